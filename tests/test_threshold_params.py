"""ThresholdOptimizer's parameter combinations at their boundaries: refit against cv."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier

from skimb import ThresholdOptimizer, make_long_tail_multilabel


@pytest.fixture(scope="module")
def data():
    return make_long_tail_multilabel(300, 5, 4, min_prevalence=0.1, random_state=0)


class FitCounter(OneVsRestClassifier):
    """OneVsRestClassifier that counts its fits (to show that none happened)."""

    fits = 0

    def fit(self, X, y, **params):
        type(self).fits += 1
        return super().fit(X, y, **params)


def test_ensemble_with_prefit_is_refused_before_anything_runs(data):
    X, Y = data
    prefit = FitCounter(LogisticRegression()).fit(X, Y)
    FitCounter.fits = 0
    with pytest.raises(ValueError, match=r"refit='ensemble'.*cv='prefit' fits none.*"
                                         r"Use refit=True.*or an int cv"):
        ThresholdOptimizer(prefit, cv="prefit", refit="ensemble").fit(X, Y)
    assert FitCounter.fits == 0
    # refit=True and False stay accepted (ignored) with a prefit estimator
    for refit in (True, False):
        model = ThresholdOptimizer(prefit, cv="prefit", refit=refit).fit(X, Y)
        assert model.estimator_ is prefit
    assert FitCounter.fits == 0


def test_ensemble_of_a_single_split_is_that_split_model(data):
    # documented: with a float cv the "ensemble" has one member, the model refit=False keeps
    X, Y = data
    lr = OneVsRestClassifier(LogisticRegression())
    one = ThresholdOptimizer(lr, cv=0.3, refit="ensemble", random_state=0).fit(X, Y)
    kept = ThresholdOptimizer(lr, cv=0.3, refit=False, random_state=0).fit(X, Y)
    assert len(one.estimators_) == 1
    np.testing.assert_array_equal(one.thresholds_, kept.thresholds_)
    np.testing.assert_array_equal(one.predict_proba(X), kept.predict_proba(X))
    np.testing.assert_array_equal(one.predict(X), kept.predict(X))
