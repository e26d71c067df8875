"""scikit-learn's estimator checks on the classifier.

Each expected failure below says what actually fails (checked by running the
check and reading its traceback). With ``xfail_strict = true`` (setup.cfg), a
check that starts passing fails the suite, so a stale entry is noticed.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.utils.estimator_checks import parametrize_with_checks

from skimb import MultiLabelImbalancedClassifier, make_long_tail_multilabel

_ONE_D_Y = (
    "the check fits on a 1-D binary or multiclass y; the classifier is multi-label only "
    "and asks for a 2-D 0/1 label matrix (y.reshape(-1, 1) for one label)"
)
_NOT_01 = (
    "the check's y, reshaped to one column, holds values other than 0 and 1 (class "
    "indices such as 1, 2 or 0..3); each label must be a 0/1 indicator"
)
_PROBA_N_1 = (
    "fits and predicts on sparse X, then wants predict_proba of shape (n, 2) for its "
    "one-column 0/1 y; a multi-label classifier gives one probability per label: (n, 1)"
)

# Every check that cannot pass by design, and why.
EXPECTED_FAILED = {
    "check_no_attributes_set_in_init": (
        "skorch's NeuralNet.__init__ sets history_, initialized_ and virtual_params_"
    ),
    "check_set_params": (
        "skorch keeps the set _params_to_validate in the instance dict, so get_params "
        "lists it and the check's fuzz values replace it with a float"
    ),
    "check_classifier_multioutput": (
        "the check indexes classes_ as one array; classes_ is a list of array([0, 1]) "
        "per label, the convention sklearn's multi-label scorers use"
    ),
    "check_classifier_data_not_an_array": _NOT_01,
    "check_classifiers_one_label_sample_weights": (
        _ONE_D_Y + "; the check wants an error naming sample_weight"
    ),
    "check_classifiers_classes": _ONE_D_Y,
    "check_classifiers_train": (
        "fits on its one-column 0/1 y, then wants predict of shape (n,); a multi-label "
        "classifier predicts one column per label: (n, 1)"
    ),
    "check_decision_proba_consistency": _ONE_D_Y,
    "check_estimators_dtypes": _NOT_01,
    "check_estimator_sparse_array": _PROBA_N_1,
    "check_estimator_sparse_matrix": _PROBA_N_1,
    "check_fit2d_1feature": _NOT_01,
    "check_sample_weights_pandas_series": _NOT_01,
    "check_sample_weights_not_an_array": _NOT_01,
    "check_sample_weights_not_overwritten": _NOT_01,
    "check_sample_weights_shape": _NOT_01,
    "check_sample_weight_equivalence_on_dense_data": (
        "minibatches and dropout: repeated rows change the batches and the dropout masks; "
        "weight 2 == a repeated row holds with one batch and no dropout "
        "(tests/test_sample_weight.py)"
    ),
    "check_sample_weight_equivalence_on_sparse_data": (
        "minibatches and dropout, as on dense data (tests/test_sample_weight.py)"
    ),
}


# The checks fit 2 epochs on small random targets, where labels never predicted at 0.5
# are expected; the collapse warning is tested where it matters (test_training_diagnostics).
@pytest.mark.filterwarnings("ignore::skimb.diagnostics.LabelCollapseWarning")
@parametrize_with_checks(
    [MultiLabelImbalancedClassifier(max_epochs=2, batch_size=32, random_state=0)],
    expected_failed_checks=lambda est: EXPECTED_FAILED,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("sparse", [False, True])
def test_one_label_gives_one_column(sparse):
    # What check_classifiers_train and check_estimator_sparse_* trip on, tested
    # directly: a one-column y gives (n, 1) predictions, probabilities and scores.
    X, Y = make_long_tail_multilabel(120, 5, 1, min_prevalence=0.3, random_state=0)
    assert Y.shape == (120, 1)
    if sparse:
        X = sp.csr_matrix(np.where(np.abs(X) > 0.5, X, 0))
    clf = MultiLabelImbalancedClassifier(max_epochs=2, random_state=0).fit(X, Y)
    proba = clf.predict_proba(X)
    assert proba.shape == (120, 1)
    np.testing.assert_array_equal(clf.predict(X), (proba >= 0.5).astype(clf.predict(X).dtype))
    assert clf.predict(X).shape == clf.decision_function(X).shape == (120, 1)
    assert len(clf.classes_) == 1 and clf.classes_[0].tolist() == [0, 1]
