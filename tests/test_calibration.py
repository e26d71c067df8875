"""ThresholdOptimizer(calibration=...): calibrated probabilities consistent with predict."""

import warnings

import joblib
import numpy as np
import pytest
from scipy.special import expit, logit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss, make_scorer
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils._param_validation import InvalidParameterError
from threadpoolctl import threadpool_limits

from skimb import MultiLabelImbalancedClassifier, ThresholdOptimizer, make_long_tail_multilabel
from skimb._calibration import (
    ConstantCalibration,
    SigmoidCalibration,
    calibrated_proba,
    calibrated_thresholds,
    fit_calibrators,
)

METHODS = ["sigmoid", "isotonic"]


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    with threadpool_limits(1):
        yield


class MisScaled(ClassifierMixin, BaseEstimator):
    """One logistic regression per label whose probabilities are squashed and shifted:
    ``expit(0.3 * logit + 1.5)``, far above the true frequencies, same ranking."""

    def fit(self, X, y):
        self.model_ = OneVsRestClassifier(LogisticRegression()).fit(X, y)
        return self

    def predict_proba(self, X):
        p = np.clip(self.model_.predict_proba(X), 1e-12, 1 - 1e-12)
        return expit(0.3 * logit(p) + 1.5)


@pytest.fixture(scope="module")
def data():
    X, Y = make_long_tail_multilabel(1600, 10, 4, min_prevalence=0.05, noise=1.0,
                                     random_state=0)
    return X[:1000], Y[:1000], X[1000:], Y[1000:]


def brier(Y, P):
    return np.mean([brier_score_loss(Y[:, j], P[:, j]) for j in range(Y.shape[1])])


def logloss(Y, P):
    return np.mean([log_loss(Y[:, j], P[:, j], labels=[0, 1]) for j in range(Y.shape[1])])


def optimizer(calibration, **kw):
    return ThresholdOptimizer(MisScaled(), cv=3, random_state=0, calibration=calibration, **kw)


@pytest.mark.parametrize("method", METHODS)
def test_calibrated_probabilities_of_a_mis_scaled_model_are_better(data, method):
    X, Y, X_test, Y_test = data
    model = optimizer(method).fit(X, Y)
    raw = model.estimator_.predict_proba(X_test)
    calibrated = model.predict_proba(X_test)
    assert calibrated.shape == Y_test.shape and calibrated.dtype == np.float64
    assert brier(Y_test, calibrated) < 0.8 * brier(Y_test, raw)
    assert logloss(Y_test, calibrated) < 0.8 * logloss(Y_test, raw)
    # the mean probability of each label comes down to its frequency
    assert np.all(np.abs(calibrated.mean(axis=0) - Y_test.mean(axis=0)) < 0.03)
    assert np.all(raw.mean(axis=0) - Y_test.mean(axis=0) > 0.2)


@pytest.mark.parametrize("method", METHODS)
def test_monotone_per_label_and_within_zero_one(data, method):
    X, Y, X_test, _ = data
    model = optimizer(method).fit(X, Y)
    raw = model.estimator_.predict_proba(X_test)
    calibrated = model.predict_proba(X_test)
    assert np.all((calibrated > 0) & (calibrated < 1))
    for j in range(Y.shape[1]):
        order = np.argsort(raw[:, j], kind="stable")
        assert np.all(np.diff(calibrated[order, j]) >= 0)
    if method == "sigmoid":
        assert all(c.a_ < 0 for c in model.calibrators_)  # strictly increasing maps


@pytest.mark.parametrize("method", METHODS)
def test_predict_unchanged_and_consistent_with_calibrated_thresholds(data, method):
    X, Y, X_test, _ = data
    plain = optimizer(None).fit(X, Y)
    model = optimizer(method).fit(X, Y)
    np.testing.assert_array_equal(model.thresholds_, plain.thresholds_)
    np.testing.assert_array_equal(model.predict(X_test), plain.predict(X_test))
    # ties: many rows share a score, some exactly at the thresholds
    X_ties = np.vstack([X_test, X_test[:50], X_test[:50]])
    proba = model.predict_proba(X_ties)
    np.testing.assert_array_equal(proba >= model.calibrated_thresholds_, model.predict(X_ties))
    # the correction moves a probability by a few units in the last place at most
    raw = model.estimator_.predict_proba(X_ties)
    mapped = np.column_stack([c.predict(raw[:, j]) for j, c in enumerate(model.calibrators_)])
    np.testing.assert_allclose(proba, mapped, rtol=1e-14, atol=0)
    np.testing.assert_array_equal(
        model.calibrated_thresholds_,
        [c.predict([t])[0] for c, t in zip(model.calibrators_, model.thresholds_)],
    )


def test_sigmoid_map_alone_agrees_with_predict():
    """Without the correction, the strictly increasing sigmoid map already agrees with predict
    where float64 resolves it; the correction only matters where it rounds to one value."""
    cal = SigmoidCalibration()
    cal.a_, cal.b_ = -3.0, 1.0
    scores = np.linspace(-3, 3, 2001)[:, None]
    t = np.array([0.25])
    cut = calibrated_thresholds([cal], t)
    assert np.array_equal(cal.predict(scores[:, 0]) >= cut[0], scores[:, 0] >= t[0])
    # a steep map saturates: every score above ~15 maps to 1.0, threshold included
    steep = SigmoidCalibration()
    steep.a_, steep.b_ = -10.0, 0.0
    high = np.array([[12.0], [39.0], [40.0], [41.0]])
    t = np.array([40.0])
    cut = calibrated_thresholds([steep], t)
    assert cut[0] == 1.0 and np.all(steep.predict(high[:, 0]) == 1.0)
    proba = calibrated_proba([steep], high, t, cut)
    np.testing.assert_array_equal(proba >= cut, high >= t)
    assert proba[0, 0] == proba[1, 0] == np.nextafter(1.0, 0.0)


def test_isotonic_plateau_at_the_threshold():
    """A flat stretch of the isotonic map around the threshold: rows on it that predict says 0
    sit one float below the cut, rows that it says 1 at the cut."""
    s = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    y = np.array([0, 0, 1, 0, 1, 0, 1, 1])
    (cal,) = fit_calibrators("isotonic", y[:, None], s[:, None])
    mapped = cal.predict(s)
    assert mapped[2] == mapped[3] == mapped[4] == mapped[5]  # one block of the fit
    t = np.array([0.45])
    cut = calibrated_thresholds([cal], t)
    proba = calibrated_proba([cal], s[:, None], t, cut)[:, 0]
    np.testing.assert_array_equal(proba >= cut[0], s >= 0.45)
    assert proba[3] == np.nextafter(cut[0], 0) and proba[4] == cut[0] == mapped[4]
    assert np.all(np.diff(proba) >= 0)


def test_decision_function_estimator_gains_predict_proba(data):
    X, Y, X_test, Y_test = data
    plain = ThresholdOptimizer(OneVsRestClassifier(LinearSVC()), cv=3, random_state=0)
    assert not hasattr(plain, "predict_proba")
    model = plain.set_params(calibration="sigmoid").fit(X, Y)
    assert hasattr(model, "predict_proba") and model._response == "decision_function"
    proba = model.predict_proba(X_test)
    assert np.all((proba > 0) & (proba < 1))
    np.testing.assert_array_equal(proba >= model.calibrated_thresholds_, model.predict(X_test))
    np.testing.assert_array_equal(model.decision_function(X_test),
                                  model.estimator_.decision_function(X_test))  # stays raw
    prevalence = np.broadcast_to(Y.mean(axis=0), Y_test.shape)
    assert brier(Y_test, proba) < brier(Y_test, prevalence)


def test_the_issue_example_pos_weight_scores_come_back_to_frequencies():
    X, Y = make_long_tail_multilabel(1000, 10, 4, min_prevalence=0.03, random_state=0)
    prevalence = Y[:600].mean(axis=0)
    for refit in (True, "ensemble"):
        clf = MultiLabelImbalancedClassifier(max_epochs=10, random_state=0)
        model = ThresholdOptimizer(clf, cv=3, random_state=0, refit=refit,
                                   calibration="sigmoid").fit(X[:600], Y[:600])
        raw = model.estimator_.predict_proba(X[600:])
        proba = model.predict_proba(X[600:])
        assert np.all(raw.mean(axis=0) > prevalence + 0.1)  # pos_weight pushes them up
        assert brier(Y[600:], proba) < 0.5 * brier(Y[600:], raw)
        # the maps applied to the models they were learned on: the frequencies come back
        tolerance = 0.05 if refit is True else 0.01
        np.testing.assert_allclose(proba.mean(axis=0), prevalence, atol=tolerance)


def test_calibrators_are_fitted_on_oof_scores_with_sample_weight(data):
    X, Y, X_test, _ = data
    w = np.random.default_rng(0).choice([0.0, 1.0, 3.0], size=len(Y))
    for method in METHODS:
        model = optimizer(method).fit(X, Y, sample_weight=w)
        again = fit_calibrators(method, Y, model.oof_scores_, w)
        unweighted = fit_calibrators(method, Y, model.oof_scores_)
        raw = model.estimator_.predict_proba(X_test)
        for j, (a, b, c) in enumerate(zip(model.calibrators_, again, unweighted)):
            np.testing.assert_array_equal(a.predict(raw[:, j]), b.predict(raw[:, j]))
            assert not np.allclose(a.predict(raw[:, j]), c.predict(raw[:, j]))


@pytest.mark.parametrize("method", METHODS)
def test_integer_sample_weight_is_repeating_rows(method):
    rng = np.random.default_rng(1)
    s = rng.normal(size=(300, 2))
    Y = (rng.random((300, 2)) < expit(2 * s)).astype(int)
    w = rng.integers(0, 4, size=300)
    weighted = fit_calibrators(method, Y, s, w)
    repeated = fit_calibrators(method, np.repeat(Y, w, axis=0), np.repeat(s, w, axis=0))
    grid = np.linspace(-3, 3, 61)
    for a, b in zip(weighted, repeated):
        np.testing.assert_allclose(a.predict(grid), b.predict(grid), rtol=1e-6, atol=1e-9)


def test_sigmoid_fit_reproduces_scikit_learn():
    from sklearn.calibration import _SigmoidCalibration  # private: where sklearn keeps it

    rng = np.random.default_rng(0)
    for scale, w in [(1.0, None), (50.0, rng.random(400) * 2)]:  # 50: the rescaled branch
        s = rng.normal(size=400) * scale
        y = (rng.random(400) < expit(2 * s / scale)).astype(int)
        ours, theirs = SigmoidCalibration().fit(s, y, w), _SigmoidCalibration().fit(s, y, w)
        np.testing.assert_allclose([ours.a_, ours.b_], [theirs.a_, theirs.b_], rtol=1e-6,
                                   atol=1e-9)


def test_backward_scores_give_a_constant_not_a_reversed_map():
    rng = np.random.default_rng(0)
    s = rng.normal(size=500)
    y = (rng.random(500) < expit(-3 * s)).astype(int)  # higher score, fewer positives
    cal = SigmoidCalibration().fit(s, y)
    n1, n0 = y.sum(), (1 - y).sum()
    mean_target = (n1 * (n1 + 1) / (n1 + 2) + n0 / (n0 + 2)) / 500
    assert cal.a_ == 0.0
    np.testing.assert_allclose(cal.predict([-2.0, 0.0, 2.0]), mean_target, rtol=1e-12)


@pytest.mark.filterwarnings("ignore:Label not 2 is present:UserWarning")
def test_single_class_labels_get_laplace_constant():
    X, Y = make_long_tail_multilabel(400, 6, 3, min_prevalence=0.1, random_state=0)
    Y = Y.copy()
    Y[:, 2] = 0  # a label without positives
    for method in METHODS:
        with pytest.warns(UserWarning, match="single class"):
            model = ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=3,
                                       random_state=0, calibration=method).fit(X, Y)
        const = model.calibrators_[2]
        assert isinstance(const, ConstantCalibration) and const.value == 1 / 402
        np.testing.assert_array_equal(model.predict_proba(X) >= model.calibrated_thresholds_,
                                      model.predict(X))
    w = np.full(400, 2.0)
    (const,) = fit_calibrators("sigmoid", np.ones((400, 1)), np.zeros((400, 1)), w)
    assert const.value == 801 / 802


def test_infinite_thresholds_stay_infinite(data):
    X, Y, X_test, _ = data
    model = optimizer("sigmoid", fallback="never", min_positives=10_000).fit(X, Y)
    assert np.all(np.isinf(model.thresholds_)) and np.all(np.isinf(model.calibrated_thresholds_))
    assert model.predict(X_test).sum() == 0
    assert np.all(model.predict_proba(X_test) < 1)


@pytest.mark.parametrize(
    "cv,refit",
    [(3, True), (0.3, False), (KFold(3, shuffle=True, random_state=0), True),
     ([(np.arange(500, 1000), np.arange(500)), (np.arange(500), np.arange(500, 1000))], True)],
)
def test_every_cv_option(data, cv, refit):
    X, Y, X_test, _ = data
    model = ThresholdOptimizer(MisScaled(), cv=cv, refit=refit, random_state=0,
                               calibration="sigmoid").fit(X, Y)
    proba = model.predict_proba(X_test)
    np.testing.assert_array_equal(proba >= model.calibrated_thresholds_, model.predict(X_test))
    held_out = np.isfinite(model.oof_scores_[:, 0])
    if refit is False:  # one split: fitted on its validation rows only
        assert 0 < held_out.sum() < len(Y)
    expected = fit_calibrators("sigmoid", Y, model.oof_scores_)
    assert [c.a_ for c in model.calibrators_] == [c.a_ for c in expected]


def test_prefit_calibrates_on_the_data_passed_to_fit(data):
    X, Y, X_test, Y_test = data
    fitted = MisScaled().fit(X[:500], Y[:500])
    model = ThresholdOptimizer(fitted, cv="prefit", calibration="isotonic").fit(X[500:], Y[500:])
    assert model.estimator_ is fitted
    expected = fit_calibrators("isotonic", Y[500:], fitted.predict_proba(X[500:]))
    raw = fitted.predict_proba(X_test)
    for j, (a, b) in enumerate(zip(model.calibrators_, expected)):
        np.testing.assert_array_equal(a.predict(raw[:, j]), b.predict(raw[:, j]))
    assert brier(Y_test, model.predict_proba(X_test)) < brier(Y_test, raw)


def test_fold_ensemble_is_calibrated(data):
    X, Y, X_test, _ = data
    model = optimizer("sigmoid", refit="ensemble").fit(X, Y)
    mean = np.mean([e.predict_proba(X_test).astype(float) for e in model.estimators_], axis=0)
    expected = calibrated_proba(model.calibrators_, mean, model.thresholds_,
                                model.calibrated_thresholds_)
    np.testing.assert_allclose(model.predict_proba(X_test), expected, rtol=1e-12)
    np.testing.assert_array_equal(model.predict_proba(X_test) >= model.calibrated_thresholds_,
                                  model.predict(X_test))


def test_joblib_round_trip(data, tmp_path):
    X, Y, X_test, _ = data
    model = make_pipeline(StandardScaler(), optimizer("isotonic")).fit(X, Y)
    joblib.dump(model, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(loaded.predict_proba(X_test), model.predict_proba(X_test))
    np.testing.assert_array_equal(loaded.predict(X_test), model.predict(X_test))


def test_grid_search_over_calibration_in_a_pipeline(data):
    X, Y, _, _ = data
    scorer = make_scorer(brier, greater_is_better=False, response_method="predict_proba")
    pipe = make_pipeline(StandardScaler(), optimizer("sigmoid"))
    search = GridSearchCV(pipe, {"thresholdoptimizer__calibration": ["sigmoid", "isotonic"]},
                          scoring=scorer, cv=2).fit(X, Y)
    assert search.best_params_["thresholdoptimizer__calibration"] in METHODS
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert hasattr(search.best_estimator_[-1], "calibrators_")


def test_bad_calibration_is_refused_and_none_leaves_predict_proba_alone(data):
    X, Y, X_test, _ = data
    with pytest.raises(InvalidParameterError, match="'calibration' parameter"):
        optimizer("platt").fit(X, Y)
    model = optimizer("sigmoid").fit(X, Y)
    model.set_params(calibration=None).fit(X, Y)
    assert not hasattr(model, "calibrators_") and not hasattr(model, "calibrated_thresholds_")
    np.testing.assert_array_equal(model.predict_proba(X_test),
                                  model.estimator_.predict_proba(X_test))
    with pytest.raises(ValueError, match="calibration='platt'"):
        fit_calibrators("platt", Y, np.zeros(Y.shape))


@pytest.mark.parametrize("check", [
    "check_estimators_pickle", "check_fit_idempotent", "check_methods_subset_invariance",
    "check_methods_sample_order_invariance", "check_n_features_in_after_fitting",
    "check_readonly_memmap_input", "check_estimators_overwrite_params",
])
def test_sklearn_checks_of_the_calibrated_predict_proba(check):
    """scikit-learn's checks that call predict_proba, on a calibrated optimizer of an estimator
    that has no predict_proba of its own. (Run in full, the calibrated optimizer fails the same
    checks as the plain one, listed in test_thresholds.py, and the two sparse-container checks,
    which want a ``(n, 2)`` predict_proba for a one-column y: it is ``(n, n_labels)`` here.)"""
    from sklearn.utils import estimator_checks

    estimator = ThresholdOptimizer(OneVsRestClassifier(LinearSVC()), cv=2, random_state=0,
                                   calibration="sigmoid")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # single-class folds on tiny data
        getattr(estimator_checks, check)("ThresholdOptimizer", estimator)


def test_one_label_gives_one_column_of_probabilities(data):
    X, Y, X_test, _ = data
    model = optimizer("sigmoid").fit(X, Y[:, :1])
    assert model.predict_proba(X_test).shape == (len(X_test), 1)
