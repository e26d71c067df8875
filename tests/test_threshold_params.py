"""ThresholdOptimizer's parameter combinations at their boundaries: refit against cv,
objective parameters the objective does not use."""

import warnings

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


def test_a_refit_after_an_ensemble_fit_drops_the_old_fold_models(data):
    X, Y = data
    opt = ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=3,
                             refit="ensemble", random_state=0).fit(X, Y)
    assert len(opt.estimators_) == 3
    opt.set_params(refit=True).fit(X, Y)
    assert not hasattr(opt, "estimators_")


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"objective": "f1", "min_recall": 0.8}, r"min_recall.*objective='f1'.*"
                                                 r"only objective='precision_at_recall'"),
        ({"objective": "mcc", "beta": 2.0}, r"beta.*objective='mcc'.*only objective='fbeta'"),
        ({"objective": "precision_at_recall", "min_recall": 0.5, "min_precision": 0.9},
         r"min_precision.*objective='precision_at_recall'.*objective='recall_at_precision'"),
        ({"objective": "f1", "fn_cost": [1.0, 2.0, 1.0, 1.0]},
         r"fn_cost.*objective='f1'.*only objective='cost'"),
        ({"objective": lambda tp, fp, fn, tn: tp - fp, "fp_cost": 3.0},
         r"fp_cost.*a callable objective takes no parameters.*objective='cost'"),
    ],
)
def test_objective_parameters_the_objective_does_not_use_warn(data, params, named):
    X, Y = data
    model = ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=2,
                               random_state=0, **params)
    with pytest.warns(UserWarning, match=named) as record:
        model.fit(X, Y)
    unused = [w for w in record if "is set but" in str(w.message)]
    assert len(unused) == 1 and unused[0].filename == __file__  # points at the caller
    assert "or leave" in str(unused[0].message)  # names the fix


@pytest.mark.parametrize(
    "params",
    [
        {"objective": "fbeta", "beta": 2.0},
        {"objective": "precision_at_recall", "min_recall": 0.5},
        {"objective": "cost", "fp_cost": 2.0, "fn_cost": [1.0, 2.0, 1.0, 1.0]},
        {"objective": "f1", "beta": 1.0, "fp_cost": 1.0},  # the defaults, given explicitly
    ],
)
def test_objective_parameters_in_use_do_not_warn(data, params):
    X, Y = data
    model = ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=2,
                               random_state=0, **params)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*is set but", category=UserWarning)
        model.fit(X, Y)
