"""The fallback "default" threshold reproduces the wrapped estimator's own decisions."""

import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.multioutput import MultiOutputClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits

from skimb import ThresholdOptimizer, make_long_tail_multilabel


def _data(zeros=True, ones=True):
    X, Y = make_long_tail_multilabel(240, 6, 3, min_prevalence=0.1, random_state=0)
    columns = [Y]
    if zeros:
        columns.append(np.zeros((len(Y), 1), dtype=Y.dtype))  # a label without positives
    if ones:
        columns.append(np.ones((len(Y), 1), dtype=Y.dtype))  # a label without negatives
    return X, np.hstack(columns)


def _skimb():
    from skimb import MultiLabelImbalancedClassifier

    return MultiLabelImbalancedClassifier(max_epochs=2, lr=1e-2, random_state=0)


ESTIMATORS = {
    "ovr_linear_svc": (lambda: OneVsRestClassifier(LinearSVC()), True),
    "ovr_logistic": (lambda: OneVsRestClassifier(LogisticRegression()), True),
    # LogisticRegression refuses a single-class label, so no constant labels there
    "multioutput_logistic": (lambda: MultiOutputClassifier(LogisticRegression()), False),
    # four neighbours: probabilities of exactly 0.5 (ties, which predict sends to 0)
    "multioutput_knn": (lambda: MultiOutputClassifier(KNeighborsClassifier(4)), True),
    "knn": (lambda: KNeighborsClassifier(4), True),
    "skimb": (_skimb, True),
}


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_default_fallback_is_the_estimators_own_predict(name):
    make, constant = ESTIMATORS[name]
    X, Y = _data(constant, constant)
    # min_positives above every label's count: every label takes the default fallback
    model = ThresholdOptimizer(make(), cv=3, min_positives=10**6, random_state=0)
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # single-class labels in the folds
        model.fit(X, Y)
    assert set(model.fallback_labels_.values()) <= {"few_positives", "constant_scores"}
    assert len(model.fallback_labels_) == Y.shape[1]
    own = np.asarray(model.estimator_.predict(X))
    np.testing.assert_array_equal(model.predict(X), own)
    if name == "multioutput_knn":  # the ties are really there
        proba = model.predict_proba(X)
        assert any((p[:, -1] == 0.5).any() for p in proba if p.shape[1] == 2)


def test_label_without_positives_is_never_predicted_by_decision_values():
    # the reported case: OvR fits a constant with decision value 0 for the empty
    # label; its own rule is decision > 0, so the label is never predicted
    X, Y = _data(ones=False)
    model = ThresholdOptimizer(OneVsRestClassifier(LinearSVC()), cv=3, random_state=0)
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, Y)
    assert (model.decision_function(X)[:, -1] == 0).all()
    assert model.predict(X)[:, -1].sum() == 0
    assert model.default_thresholds_[-1] == np.nextafter(0.0, 1.0)


@pytest.mark.parametrize(
    ("method", "threshold", "expected"),
    [
        ("decision_function", None, np.nextafter(0.0, 1.0)),
        ("predict_proba", None, np.nextafter(0.5, 1.0)),
        ("predict_proba", 0.3, 0.3),  # an estimator predicting proba >= threshold
        ("decision_function", 0.5, 0.0),  # ... scored by its logits
    ],
)
def test_default_rule_values(method, threshold, expected):
    from skimb.thresholds import _default_thresholds

    class Est:
        def get_params(self, deep=False):
            return {} if threshold is None else {"threshold": threshold}

    np.testing.assert_array_equal(_default_thresholds(Est(), method, 2), np.full(2, expected))
