"""ThresholdOptimizer: behaviour, wrapped estimators and the scikit-learn contract."""

import ast
import pathlib
import subprocess
import sys
import warnings

import joblib
import numpy as np
import pytest
from joblib import parallel_config
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.multiclass import OneVsRestClassifier
from sklearn.multioutput import MultiOutputClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from skimb import ThresholdOptimizer, find_thresholds, make_long_tail_multilabel
from skimb._search import find_fold_mean_thresholds, find_micro_thresholds
from skimb.objectives import evaluate_thresholds


class ColumnScores(ClassifierMixin, BaseEstimator):
    """Scores are the first n_labels columns of X, so out-of-fold scores are known.

    Records the sample weights its last fit received.
    """

    def __init__(self, threshold=0.5):
        self.threshold = threshold

    def fit(self, X, y, sample_weight=None):
        self.n_labels_ = np.asarray(y).shape[1]
        self.sample_weight_ = sample_weight
        return self

    def predict_proba(self, X):
        return np.asarray(X, dtype=float)[:, : self.n_labels_]


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    # many tiny LogisticRegression fits: threaded BLAS only oversubscribes 2 cores
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def data():
    X, Y = make_long_tail_multilabel(
        400, 8, 5, min_prevalence=0.03, max_prevalence=0.3, noise=1.0, random_state=0
    )
    return X, Y


def _scores_of(model, X):
    """The scores predict thresholds (computed outside the optimizer)."""
    est = model.estimator_
    if hasattr(est, "predict_proba"):
        proba = est.predict_proba(X)
        if isinstance(proba, list):
            return np.column_stack([p[:, -1] for p in proba])
        return proba
    return est.decision_function(X)


LR = LogisticRegression(max_iter=500)
WRAPPED = {
    "ovr_logistic": OneVsRestClassifier(LR),
    "ovr_linear_svc": OneVsRestClassifier(LinearSVC()),  # decision_function only
    "multioutput_logistic": MultiOutputClassifier(LR),  # list of (n, 2) arrays
    "random_forest": RandomForestClassifier(n_estimators=15, max_depth=4, random_state=0),
    "k_neighbors": KNeighborsClassifier(n_neighbors=7),  # list of arrays too
    "mlp": MLPClassifier(hidden_layer_sizes=(16,), max_iter=300, random_state=0),
}


@pytest.mark.parametrize("name", list(WRAPPED))
def test_wrapped_estimators(name, data):
    X, Y = data
    model = ThresholdOptimizer(WRAPPED[name], cv=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MLP convergence
        model.fit(X, Y)
    assert model.thresholds_.shape == (5,) and np.all(np.isfinite(model.thresholds_))
    pred = model.predict(X)
    assert pred.shape == Y.shape and set(np.unique(pred)) <= {0, 1}
    # predict thresholds the estimator's scores, it never calls the estimator's predict
    np.testing.assert_array_equal(pred, _scores_of(model, X) >= model.thresholds_)
    # the estimator's own rule, score > 0 (or 0.5), as score >= the next float
    default = np.nextafter(0.0 if name == "ovr_linear_svc" else 0.5, 1.0)
    np.testing.assert_array_equal(model.default_thresholds_, np.full(5, default))
    # tuned labels beat the default on the pooled out-of-fold scores (exact search)
    tuned = [c for c in range(5) if c not in model.fallback_labels_]
    assert tuned, "every label fell back; the test data is too hard"
    oof = model.oof_scores_
    best, best_f1 = find_thresholds(Y, oof)
    np.testing.assert_array_equal(model.thresholds_[tuned], best[tuned])
    np.testing.assert_allclose(model.best_scores_, best_f1)
    at_default = f1_score(Y, oof >= model.default_thresholds_, average=None, zero_division=0)
    assert np.all(model.best_scores_[tuned] > at_default[tuned])
    assert model.cv_results_["thresholds"].shape == (3, 5)
    assert model.best_score_ == pytest.approx(np.mean(model.best_scores_))
    assert hasattr(model, "predict_proba") == (name != "ovr_linear_svc")
    assert hasattr(model, "decision_function") == hasattr(model.estimator_, "decision_function")


def test_wraps_skimb_classifier(data, tmp_path):
    from skimb import MultiLabelImbalancedClassifier

    X, Y = data
    net = MultiLabelImbalancedClassifier(
        max_epochs=3, batch_size=64, lr=1e-2, threshold=0.4, random_state=0
    )
    model = make_pipeline(StandardScaler(), ThresholdOptimizer(net, cv=2, random_state=0))
    model.fit(X, Y)
    tuned = model[-1]
    # the classifier's own threshold parameter is the default (and the fallback)
    np.testing.assert_array_equal(tuned.default_thresholds_, np.full(5, 0.4))
    proba = tuned.estimator_.predict_proba(model[:-1].transform(X))
    np.testing.assert_array_equal(model.predict(X), proba >= tuned.thresholds_)
    assert tuned.cv_results_["thresholds"].shape == (2, 5)
    path = tmp_path / "net.joblib"
    joblib.dump(model, path)
    np.testing.assert_array_equal(joblib.load(path).predict(X), model.predict(X))


def test_pooled_out_of_fold_search_is_exact(data):
    _, Y = data
    rng = np.random.default_rng(0)
    S = np.clip(0.3 * Y + rng.random(Y.shape), 0, 1).round(2)  # scores with ties
    model = ThresholdOptimizer(ColumnScores(), cv=4, fallback=None, random_state=0)
    model.fit(S, Y)
    expected, values = find_thresholds(Y, S)
    # every row is scored once out-of-fold, so the pooled search sees all of S
    np.testing.assert_array_equal(model.thresholds_, expected)
    np.testing.assert_allclose(model.best_scores_, values)
    assert model.fallback_labels_ == {}
    # cv_results_ keeps each fold's own best threshold, and their mean and spread
    folds = model.cv_results_["thresholds"]
    assert folds.shape == (4, 5)
    np.testing.assert_allclose(model.cv_results_["mean_threshold"], folds.mean(axis=0))
    np.testing.assert_allclose(model.cv_results_["std_threshold"], folds.std(axis=0))
    assert np.all(model.cv_results_["n_positives"].sum(axis=0) == Y.sum(axis=0))


def test_cv_aggregate_mean_scores_each_fold_on_its_own():
    # one label, two folds of 5 and 3 rows: the best cut of the pooled counts
    # and the best cut of the mean of the two folds' F1 differ
    y = np.array([[1], [1], [1], [0], [1], [1], [0], [0]])
    s = np.array([[0.8], [0.2], [0.9], [0.5], [0.3], [0.6], [0.4], [0.1]])
    folds = np.array([0, 0, 0, 0, 0, 1, 1, 1])
    cv = [(np.flatnonzero(folds != f), np.flatnonzero(folds == f)) for f in (0, 1)]
    cuts = np.concatenate([np.unique(s), [np.inf]])

    def mean_f1(predicted):
        return np.mean([f1_score(y[folds == f], predicted[folds == f]) for f in (0, 1)])

    by_mean = [mean_f1(s >= c) for c in cuts]
    by_pool = [f1_score(y, s >= c) for c in cuts]
    common = {"cv": cv, "fallback": None}
    pooled = ThresholdOptimizer(ColumnScores(), **common).fit(s, y)
    mean = ThresholdOptimizer(ColumnScores(), cv_aggregate="mean", **common).fit(s, y)
    # brute force over every cut: 0.2 (pooled) and 0.6 (mean) are the lowest
    # scores predicted positive; the thresholds are the midpoints below them
    assert cuts[np.argmax(by_pool)] == 0.2 and cuts[np.argmax(by_mean)] == 0.6
    np.testing.assert_allclose(pooled.thresholds_, [0.15])
    np.testing.assert_allclose(mean.thresholds_, [0.55])
    np.testing.assert_allclose(pooled.best_scores_, [max(by_pool)])
    np.testing.assert_allclose(mean.best_scores_, [max(by_mean)])
    assert mean.best_score_ == pytest.approx(max(by_mean))
    # a single validation split: both aggregations are the same search
    one = ThresholdOptimizer(ColumnScores(), cv=[cv[0]], refit=True, fallback=None)
    np.testing.assert_array_equal(
        one.fit(s, y).thresholds_,
        clone(one).set_params(cv_aggregate="mean").fit(s, y).thresholds_,
    )


def test_cv_aggregate_mean_with_guards_and_strategies(data):
    _, Y = data
    rng = np.random.default_rng(2)
    S = np.clip(0.3 * Y + rng.random(Y.shape), 0, 1)
    S[:, 4] = rng.random(len(S)) * 0.05  # a label the model has not learned
    folds = np.arange(len(S)) // 100
    common = {"cv": KFold(4), "cv_aggregate": "mean"}
    model = ThresholdOptimizer(ColumnScores(), fallback=None, **common).fit(S, Y)
    expected, values = find_fold_mean_thresholds(Y, S, folds)
    np.testing.assert_array_equal(model.thresholds_, expected)
    np.testing.assert_allclose(model.best_scores_, values)
    # the guards read the mean fold objective: the noise label falls below min_score
    guarded = ThresholdOptimizer(ColumnScores(), min_score=0.3, **common).fit(S, Y)
    assert guarded.fallback_labels_.get(4) == "low_score"
    assert guarded.thresholds_[4] == 0.5
    keep = [c for c in range(5) if c not in guarded.fallback_labels_]
    np.testing.assert_array_equal(guarded.thresholds_[keep], expected[keep])
    shared = ThresholdOptimizer(ColumnScores(), strategy="shared", **common).fit(S, Y)
    per_fold = [f1_score(Y[folds == f], S[folds == f] >= shared.thresholds_, average="micro")
                for f in range(4)]
    assert shared.best_score_ == pytest.approx(np.mean(per_fold))


def test_strategies(data):
    _, Y = data
    rng = np.random.default_rng(1)
    S = np.clip(0.35 * Y + rng.random(Y.shape), 0, 1)
    common = {"cv": 3, "fallback": None, "random_state": 0}
    per_label = ThresholdOptimizer(ColumnScores(), **common).fit(S, Y)
    shared = ThresholdOptimizer(ColumnScores(), strategy="shared", **common).fit(S, Y)
    micro = ThresholdOptimizer(ColumnScores(), strategy="micro", **common).fit(S, Y)
    assert np.unique(shared.thresholds_).size == 1
    shared_f1 = f1_score(Y, S >= shared.thresholds_, average="micro")
    assert shared.best_score_ == pytest.approx(shared_f1)
    micro_f1 = {m: f1_score(Y, S >= m.thresholds_, average="micro") for m in (per_label, micro)}
    assert micro.best_score_ == pytest.approx(micro_f1[micro])
    assert micro_f1[micro] >= micro_f1[per_label]
    assert micro_f1[micro] >= shared.best_score_
    np.testing.assert_array_equal(micro.thresholds_, find_micro_thresholds(Y, S)[0])


@pytest.mark.parametrize(
    ("fallback", "expected"),
    [("default", 0.3), ("max_score", np.nextafter(0.45, 1.0)), ("never", np.inf)],
)
def test_rare_label_guards_and_fallbacks(fallback, expected):
    rng = np.random.default_rng(0)
    n = 120
    Y = np.zeros((n, 4), dtype=int)
    Y[:60, 0] = 1
    Y[:3, 1] = 1  # three positives: below min_positives=5
    Y[:40, 2] = 1
    Y[:50, 3] = 1
    S = rng.random((n, 4)) * 0.45
    S[:60, 0] += 0.1  # informative, tuned threshold is better than 0.3
    S[:, 2] = 0.2  # constant scores
    S[:50, 3] = 0.9  # separable at the default already: tuning gains nothing
    S[50:, 3] = 0.1
    model = ThresholdOptimizer(
        ColumnScores(threshold=0.3), cv=3, min_positives=5, fallback=fallback, random_state=0
    ).fit(S, Y)
    assert model.fallback_labels_ == {1: "few_positives", 2: "constant_scores", 3: "no_gain"}
    np.testing.assert_array_equal(model.default_thresholds_, np.full(4, 0.3))
    if fallback != "max_score":
        assert model.thresholds_[1] == model.thresholds_[2] == expected
    else:
        assert model.thresholds_[1] == np.nextafter(S[:, 1].max(), np.inf)
        assert model.thresholds_[2] == np.nextafter(0.2, 1.0)
    assert model.thresholds_[3] == 0.3  # no gain: the default, whatever the fallback
    assert model.thresholds_[0] == find_thresholds(Y[:, 0], S[:, 0])[0]
    # guards off: every label keeps its tuned threshold
    off = ThresholdOptimizer(ColumnScores(0.3), cv=3, fallback=None, random_state=0).fit(S, Y)
    assert off.fallback_labels_ == {}
    np.testing.assert_array_equal(off.thresholds_, find_thresholds(Y, S)[0])


def _macro_micro_f1(Y, P):
    tp = (Y & P).sum(0)
    fp = (~Y & P).sum(0)
    fn = (Y & ~P).sum(0)
    macro = np.mean(2 * tp / np.maximum(2 * tp + fp + fn, 1))
    micro = 2 * tp.sum() / (2 * tp.sum() + fp.sum() + fn.sum())
    return macro, micro


def test_low_score_guard_spares_labels_that_do_not_flood():
    # min_score only marks a label as suspect: it falls back when its tuned
    # threshold lowers (macro-F1 + micro-F1) / 2 on the validation data
    rng = np.random.default_rng(5)
    n = 2000
    Y = np.zeros((n, 4), dtype=bool)
    Y[:, 0] = rng.random(n) < 0.4
    Y[:, 1] = rng.random(n) < 0.3
    Y[:, 2] = rng.random(n) < 0.2  # noise: F1 peaks at "predict every row"
    Y[:40, 3] = True  # rare: a few positives are recognisable, few false alarms
    S = np.column_stack([
        rng.random((n, 2)) * 0.7 + 0.35 * Y[:, :2],
        rng.random(n),
        rng.random(n) * 0.3,
    ])
    S[:12, 3] = S[40:52, 3] = 0.4  # 12 of the 40 positives, and 12 false alarms
    common = {"cv": "prefit", "min_positives": 0, "min_score": 0.45}
    model = ThresholdOptimizer(ColumnScores().fit(S, Y), **common).fit(S, Y.astype(int))
    tuned, best = find_thresholds(Y, S)
    assert best[2] < 0.45 and best[3] < 0.45  # both are below min_score...
    assert model.fallback_labels_ == {2: "low_score"}  # ...only the noise label floods
    np.testing.assert_array_equal(model.thresholds_[[0, 1, 3]], tuned[[0, 1, 3]])
    # brute force: each verdict raises (macro + micro) / 2 on the validation data
    kept = S >= tuned
    for label, falls_back in ((2, True), (3, False)):
        switched = kept.copy()
        switched[:, label] = S[:, label] >= 0.5
        gain = np.sum(_macro_micro_f1(Y, kept)) - np.sum(_macro_micro_f1(Y, switched))
        assert (gain < 0) == falls_back


@pytest.mark.parametrize("cv_aggregate", ["pooled", "mean"])
def test_flood_check_spares_rare_labels_that_fire_on_few_rows(cv_aggregate):
    # Through cross-validation, with weights: three rare labels whose tuned
    # thresholds catch a third of their positives on few rows. They are below
    # min_score but do not flood: tuning gains macro- and micro-F1 over the
    # default 0.5 (which predicts none of their rows), so none may fall back. A
    # noise label, whose F1 peaks at "predict every row", floods the learned
    # frequent label's true positives with false ones and must fall back.
    rng = np.random.default_rng(11)
    n = 1500
    Y = np.zeros((n, 5), dtype=int)
    Y[:, 0] = rng.random(n) < 0.4
    S = rng.random((n, 5)) * 0.3
    S[:, 0] = rng.random(n) * 0.7 + 0.35 * Y[:, 0]  # learned
    for label in (1, 2, 3):
        pos = rng.choice(n, 60, replace=False)
        Y[pos, label] = 1
        S[pos[:20], label] = 0.4  # recognisable positives, and a few false alarms
        S[rng.choice(np.flatnonzero(Y[:, label] == 0), 15, replace=False), label] = 0.4
    Y[:, 4] = rng.random(n) < 0.2  # the scores know nothing about this label
    S[:, 4] = rng.random(n) * 0.45
    w = rng.integers(1, 3, n).astype(float)
    common = {"cv": KFold(3), "min_positives": 0, "min_score": 0.45,
              "cv_aggregate": cv_aggregate}
    model = ThresholdOptimizer(ColumnScores(), **common).fit(S, Y, sample_weight=w)
    assert np.all(model.best_scores_[1:] < 0.45)  # below the floor...
    assert model.fallback_labels_ == {4: "low_score"}  # ...only the noise label floods
    assert np.all(model.thresholds_[1:4] < 0.4)  # tuned, not the fallback 0.5


def test_low_score_guard():
    rng = np.random.default_rng(3)
    Y = (rng.random((300, 2)) < 0.2).astype(int)
    S = rng.random((300, 2))
    S[:, 0] += 0.6 * Y[:, 0]  # learned; label 1 is noise: F1 optimum near "predict all"
    common = {"cv": 3, "random_state": 0, "min_positives": 0}
    model = ThresholdOptimizer(ColumnScores(), min_score=0.4, **common).fit(S, Y)
    assert model.min_score_ == 0.4
    assert model.fallback_labels_ == {1: "low_score"} and model.thresholds_[1] == 0.5
    assert ThresholdOptimizer(ColumnScores(), **common).fit(S, Y).min_score_ == 0.1
    mcc = ThresholdOptimizer(ColumnScores(), objective="mcc", **common).fit(S, Y)
    assert mcc.min_score_ is None
    with pytest.raises(ValueError, match="'cost' is minimised; use min_score=None"):
        ThresholdOptimizer(ColumnScores(), objective="cost", min_score=0.2, **common).fit(S, Y)


def test_micro_strategy_keeps_guarded_labels_fixed():
    rng = np.random.default_rng(2)
    Y = (rng.random((150, 4)) < [0.4, 0.3, 0.02, 0.2]).astype(int)
    Y[:2, 2] = 1
    S = np.clip(0.3 * Y + rng.random(Y.shape), 0, 1)
    model = ThresholdOptimizer(
        ColumnScores(), strategy="micro", cv=3, min_positives=10, random_state=0
    ).fit(S, Y)
    assert model.fallback_labels_ == {2: "few_positives"}
    assert model.thresholds_[2] == 0.5
    assert model.best_score_ == pytest.approx(f1_score(Y, S >= model.thresholds_, average="micro"))


@pytest.mark.filterwarnings("ignore:Label not 2 is present in all training examples")
def test_label_without_positive_in_a_training_fold():
    X, Y = make_long_tail_multilabel(150, 6, 3, min_prevalence=0.2, random_state=0)
    Y[:, 2] = 0
    Y[7, 2] = 1  # a single positive: the fold that tests it trains without any
    for est in (MultiOutputClassifier(LR), OneVsRestClassifier(LR)):
        model = ThresholdOptimizer(est, cv=3, random_state=0)
        with pytest.warns(UserWarning, match=r"Labels \['label2'\] have a single class in the"):
            model.fit(X, Y)
        skipped = model.cv_results_["skipped"]
        assert skipped[:, 2].sum() == 1 and not skipped[:, :2].any()
        assert np.isnan(model.cv_results_["thresholds"][skipped]).all()
        assert model.fallback_labels_[2] == "few_positives"
        assert model.predict(X).shape == Y.shape
    # a label without any positive is skipped in every fold: max_score has no score
    Y[:, 2] = 0
    with pytest.warns(UserWarning, match="single class"):
        model = ThresholdOptimizer(OneVsRestClassifier(LR), cv=3, fallback="max_score").fit(X, Y)
    assert model.fallback_labels_[2] == "few_positives" and model.thresholds_[2] == np.inf


def test_cv_options(data):
    X, Y = data
    kfold = ThresholdOptimizer(ColumnScores(), cv=KFold(3), fallback=None).fit(X, Y)
    iterable = ThresholdOptimizer(ColumnScores(), cv=list(KFold(3).split(X)), fallback=None)
    np.testing.assert_array_equal(iterable.fit(X, Y).thresholds_, kfold.thresholds_)
    holdout = ThresholdOptimizer(OneVsRestClassifier(LR), cv=0.3, refit=False, random_state=0)
    holdout.fit(X, Y)
    assert holdout.cv_results_["thresholds"].shape == (1, 5)
    # a stratified 30% hold-out: each label's share of positives, to one row
    n_val = holdout.cv_results_["n_positives"][0]
    assert np.abs(n_val - 0.3 * Y.sum(axis=0)).max() <= 1
    # refit=False keeps the model of the training part: not the one fitted on all rows
    full = OneVsRestClassifier(LR).fit(X, Y)
    assert not np.allclose(holdout.estimator_.decision_function(X), full.decision_function(X))
    prefit = ThresholdOptimizer(full, cv="prefit", fallback=None).fit(X, Y)
    assert prefit.estimator_ is full
    np.testing.assert_array_equal(
        prefit.thresholds_, find_thresholds(Y, full.predict_proba(X))[0]
    )


def test_default_threshold_comes_from_the_estimator_parameter(data):
    X, Y = data
    per_label = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
    model = ThresholdOptimizer(ColumnScores(threshold=per_label), cv=3, random_state=0)
    model.fit(np.abs(X), Y)
    np.testing.assert_array_equal(model.default_thresholds_, per_label)
    piped = ThresholdOptimizer(make_pipeline(StandardScaler(), ColumnScores(threshold=0.7)))
    np.testing.assert_array_equal(piped.fit(np.abs(X), Y).default_thresholds_, np.full(5, 0.7))


def test_fit_params_are_split_per_fold(data):
    X, Y = data
    weights = np.arange(len(Y), dtype=float)
    model = ThresholdOptimizer(ColumnScores(), cv=3, random_state=0)
    model.fit(X, Y, sample_weight=weights)
    np.testing.assert_array_equal(model.estimator_.sample_weight_, weights)  # the refit
    folds = ThresholdOptimizer(ColumnScores(), cv=3, refit=False, random_state=0)
    with pytest.raises(ValueError, match="refit=False keeps the model fitted on the training"):
        folds.fit(X, Y, sample_weight=weights)
    folds.set_params(cv=0.25).fit(X, Y, sample_weight=weights)
    assert 0.7 * len(Y) < len(folds.estimator_.sample_weight_) < 0.8 * len(Y)


@pytest.mark.parametrize("backend", ["sequential", "threading", "loky"])
def test_parallel_backends_give_the_same_thresholds(data, backend):
    X, Y = data
    reference = ThresholdOptimizer(OneVsRestClassifier(LR), cv=3, random_state=0).fit(X, Y)
    with parallel_config(backend=backend):
        model = ThresholdOptimizer(OneVsRestClassifier(LR), cv=3, n_jobs=2, random_state=0)
        model.fit(X, Y)
    np.testing.assert_array_equal(model.thresholds_, reference.thresholds_)


def test_pipeline_grid_search_clone_and_pickle(data, tmp_path):
    X, Y = data
    scaled = StandardScaler().fit_transform(X)
    direct = ThresholdOptimizer(OneVsRestClassifier(LR), cv=3, random_state=0).fit(scaled, Y)
    pipe = make_pipeline(StandardScaler(), ThresholdOptimizer(OneVsRestClassifier(LR), cv=3,
                                                              random_state=0))
    pipe.fit(X, Y)
    np.testing.assert_allclose(pipe[-1].thresholds_, direct.thresholds_)

    grid = GridSearchCV(
        ThresholdOptimizer(OneVsRestClassifier(LR), cv=2, random_state=0),
        {"estimator__estimator__C": [0.05, 1.0], "objective": ["f1", "mcc"]},
        scoring="f1_macro",
        cv=2,
    ).fit(X, Y)
    assert len(grid.cv_results_["params"]) == 4
    best = grid.best_estimator_
    assert best.objective == grid.best_params_["objective"]
    assert best.estimator_.estimator.C == grid.best_params_["estimator__estimator__C"]

    copy = clone(direct)
    assert copy.get_params()["cv"] == 3 and not hasattr(copy, "thresholds_")

    path = tmp_path / "model.joblib"
    joblib.dump(pipe, path)
    loaded = joblib.load(path)
    np.testing.assert_array_equal(loaded.predict(X), pipe.predict(X))
    np.testing.assert_array_equal(loaded[-1].thresholds_, pipe[-1].thresholds_)


def test_feature_names_and_frames():
    pd = pytest.importorskip("pandas")
    X, Y = make_long_tail_multilabel(200, 4, 3, min_prevalence=0.1, as_frame=True, random_state=0)
    model = ThresholdOptimizer(OneVsRestClassifier(LR), cv=2, random_state=0).fit(X, Y)
    assert list(model.feature_names_in_) == list(X.columns) and model.n_features_in_ == 4
    assert model.predict(X).shape == (200, 3)
    assert list(model.estimator_.feature_names_in_) == list(X.columns)  # passed on as a frame
    with pytest.raises(ValueError, match="feature names"):
        model.predict(X.rename(columns={"x0": "other"}))
    # frames give what their arrays give (up to float32 rounding in the estimator)
    assert isinstance(X, pd.DataFrame) and isinstance(Y, pd.DataFrame)
    arrays = ThresholdOptimizer(OneVsRestClassifier(LR), cv=2, random_state=0)
    arrays.fit(X.to_numpy(), Y.to_numpy())
    np.testing.assert_allclose(model.thresholds_, arrays.thresholds_, rtol=1e-6)
    np.testing.assert_array_equal(model.predict(X), arrays.predict(X.to_numpy()))


def test_per_label_floor_objective(data):
    X, Y = data
    floors = [0.9, 0.8, 0.7, 0.6, 0.5]
    model = ThresholdOptimizer(
        ColumnScores(), objective="precision_at_recall", min_recall=floors, cv=3, fallback=None,
        random_state=0,
    ).fit(np.abs(X), Y)
    S = np.abs(X)[:, :5]
    recall = ((S >= model.thresholds_) & (Y == 1)).sum(axis=0) / Y.sum(axis=0)
    assert np.all(recall >= floors)
    np.testing.assert_allclose(
        model.best_scores_,
        evaluate_thresholds(Y, S, model.thresholds_, "precision_at_recall", min_recall=floors),
    )


@pytest.mark.parametrize(
    ("params", "fit_y", "error", "message"),
    [
        ({"objective": "f2"}, None, InvalidParameterError, "'objective' parameter.*Got 'f2'"),
        (
            {"objective": "precision_at_recall", "min_recall": 1.5},
            None, InvalidParameterError, r"'min_recall'.*range \(0.0, 1.0\]",
        ),
        (
            {"objective": "precision_at_recall", "min_recall": [0.5, 0.0, 1, 1, 1]},
            None, ValueError, r"min_recall must be in \(0.0, 1.0\]; got \[0.0\] for labels \[1\]",
        ),
        ({"objective": "recall_at_precision"}, None, ValueError, "needs min_precision"),
        ({"cv": 50}, slice(0, 20), ValueError, "cv=50 asks for 50 folds but y has n_samples=20"),
        ({}, "1d", ValueError, r"got a 1-D array. For a single binary label use y.reshape"),
        (
            {"strategy": "micro", "objective": "cost", "fp_cost": [1, 2, 3, 4, 5]},
            None, ValueError, "per-label values need strategy='per_label'",
        ),
        ({"cv": 3, "refit": False}, None, ValueError, "gives 3 splits"),
        (
            {"response_method": "predict_proba", "estimator": OneVsRestClassifier(LinearSVC())},
            None, ValueError, "has no predict_proba",
        ),
        ({"estimator": StandardScaler()}, None, ValueError, "neither predict_proba nor"),
        ({"cv_aggregate": "median"}, None, InvalidParameterError, "'cv_aggregate' parameter"),
        (
            {"strategy": "micro", "cv_aggregate": "mean"},
            None, ValueError, "cv_aggregate='mean' needs strategy='per_label' or 'shared'",
        ),
    ],
)
def test_validation_errors(data, params, fit_y, error, message):
    X, Y = data
    params = {"estimator": ColumnScores(), **params}
    model = ThresholdOptimizer(**params)
    if fit_y == "1d":
        X, Y = X, Y[:, 0]
    elif fit_y is not None:
        X, Y = X[fit_y], Y[fit_y]
    with pytest.raises(error, match=message):
        model.fit(X, Y)


def test_numpy_side_does_not_import_torch():
    package = pathlib.Path(__file__).resolve().parents[1] / "skimb"
    for module in ("thresholds.py", "_threshold_checks.py", "_wrapped.py", "_oof_scores.py",
                   "_oof_search.py", "_fold_ensemble.py", "_search.py", "objectives.py",
                   "model_selection.py"):
        tree = ast.parse((package / module).read_text())
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                names.add(("." * node.level) + (node.module or ""))
        assert not {n for n in names if n.split(".")[0] in {"torch", "skorch"}}, module
        assert ".classifier" not in names and "skimb.classifier" not in names, module


def test_importing_the_numpy_side_loads_no_torch():
    """The package root imports the classifier lazily, so torch stays unloaded."""
    code = (
        "import sys, skimb, skimb.thresholds, skimb.diagnostics; "
        "assert 'torch' not in sys.modules, 'torch loaded'; "
        "from skimb import MultiLabelImbalancedClassifier; "
        "assert 'torch' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


EXPECTED_FAILED_CHECKS = {
    # sklearn's generic checks feed 1-D or 1/2-coded targets; ThresholdOptimizer
    # takes a 2-D 0/1 label matrix only and says so.
    "check_estimators_dtypes": "y = [1, 2, 1, 2, ...] reshaped to one column: not 0/1",
    "check_classifier_data_not_an_array": "y is coded 1/2, not 0/1",
    "check_fit2d_1feature": "y comes from X[:, 0] as ints 1/2, not 0/1",
    "check_classifiers_one_label": (
        "1-D y; it is refused with a reshape hint, and the check accepts an error only "
        "when its message contains 'class'"
    ),
    "check_classifiers_one_label_sample_weights": (
        "1-D y, refused before sample_weight is read; the check wants an error naming "
        "sample_weight"
    ),
    "check_classifiers_classes": "string class labels; a label matrix holds 0/1 numbers",
    "check_decision_proba_consistency": "1-D y",
    "check_classifier_not_supporting_multiclass": (
        "a multiclass y is refused with a message asking for one-hot encoding, not "
        "'Only binary classification is supported' (multi-label is supported)"
    ),
    "check_classifiers_train": (
        "predict returns (n_samples, n_labels) for a one-column y; the check wants 1-D"
    ),
    "check_classifier_multioutput": (
        "the check indexes classes_ as one array; classes_ is a list of array([0, 1]) "
        "per label, sklearn's multi-label convention"
    ),
    "check_sample_weights_pandas_series": "y is coded 1/2 (or 0/1/2), not 0/1",
    "check_sample_weights_not_an_array": "y is coded 1/2 (or 0/1/2), not 0/1",
    "check_sample_weights_not_overwritten": "y is coded 1/2 (or 0/1/2), not 0/1",
    "check_sample_weights_shape": "y is coded 1/2 (or 0/1/2), not 0/1",
    "check_sample_weight_equivalence_on_dense_data": (
        "y is multiclass; and repeated rows land in other folds than weighted ones "
        "(weight 2 == a repeated row holds for the search: tests/test_sample_weight.py)"
    ),
    "check_sample_weight_equivalence_on_sparse_data": "as on dense data",
}


def test_one_label_gives_one_column(data):
    # what check_classifiers_train trips on, tested directly
    X, Y = data
    model = ThresholdOptimizer(OneVsRestClassifier(LR), cv=2, random_state=0).fit(X, Y[:, :1])
    assert model.thresholds_.shape == (1,)
    assert model.predict(X).shape == (len(X), 1)
    # predict_proba is the estimator's own: OvR fits one column as a binary problem
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_array_equal(model.predict(X), proba[:, 1:] >= model.thresholds_)


@parametrize_with_checks(
    [ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=2, random_state=0)],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS,
)
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # single-class folds on tiny data
        check(estimator)


def test_flood_check_reads_weights_and_fold_means_as_row_copies():
    # the check behind the low_score guard: a weight of 2 is the row twice, and
    # with folds it averages each fold's verdict margin
    from skimb.objectives import make_objective
    from skimb.thresholds import _floods

    rng = np.random.default_rng(7)
    Y = rng.random((300, 5)) < [0.4, 0.3, 0.2, 0.05, 0.02]
    S = np.clip(rng.random((300, 5)) * 0.8 + 0.3 * Y, 0, 1)
    current = np.quantile(S, [0.5, 0.6, 0.1, 0.9, 0.02], axis=0).diagonal()
    fallback = np.full(5, 0.5)
    f1 = make_objective("f1", n_labels=5)
    w = rng.integers(0, 3, size=300)
    weighted = _floods(Y, S, np.repeat(w[:, None], 5, 1).astype(float), f1, None,
                       current, fallback)
    copies = np.repeat(np.arange(300), w)
    np.testing.assert_array_equal(
        weighted, _floods(Y[copies], S[copies], None, f1, None, current, fallback)
    )
    assert weighted[[2, 4]].all()  # the labels cut at "nearly every row" flood
    folds = np.arange(300) % 3
    per_fold = [_floods(Y[folds == f], S[folds == f], None, f1, None, current, fallback)
                for f in range(3)]
    both = _floods(Y, S, None, f1, folds, current, fallback)
    assert both[np.all(per_fold, axis=0)].all()  # every fold says so: the mean says so
    assert not both[~np.any(per_fold, axis=0)].any()
