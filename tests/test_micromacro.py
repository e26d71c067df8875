"""The micro-macro threshold search (Lin & Lin, CIKM 2023) and strategy="micromacro"."""

import importlib.util
import pathlib

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import f1_score
from sklearn.model_selection import KFold
from sklearn.utils._param_validation import InvalidParameterError

from skimb import ThresholdOptimizer, find_thresholds
from skimb._search import find_micromacro_thresholds
from skimb.objectives import confusion_counts, f1


class ColumnScores(ClassifierMixin, BaseEstimator):
    """Scores are the first n_labels columns of X, so out-of-fold scores are known."""

    def fit(self, X, y, sample_weight=None):
        self.n_labels_ = np.asarray(y).shape[1]
        return self

    def predict_proba(self, X):
        return np.asarray(X, dtype=float)[:, : self.n_labels_]


def scores(n=120, prevalences=(0.45, 0.3, 0.15, 0.08, 0.04), signal=0.4, seed=0):
    rng = np.random.default_rng(seed)
    Y = (rng.random((n, len(prevalences))) < prevalences).astype(int)
    return Y, np.clip(signal * Y + rng.random(Y.shape), 0, 1.4)


def slow_micromacro(Y, S, folds=None, W=None):
    """The rule written out: every candidate threshold scored with confusion_counts."""
    n, n_labels = Y.shape
    W = np.ones(Y.shape) if W is None else np.broadcast_to(np.asarray(W, float).reshape(n, -1),
                                                           Y.shape)
    order = sorted(range(n_labels), key=lambda c: (-(W[:, c] * Y[:, c]).sum(), c))
    parts = [np.arange(n)] if folds is None else [np.flatnonzero(folds == f)
                                                  for f in np.unique(folds)]
    totals, out = np.zeros(4), np.empty(n_labels)
    for k, c in enumerate(order, start=1):
        cuts, added = [], np.zeros(4)
        for rows in parts:
            y, s, w = Y[rows, c], S[rows, c], W[rows, c]
            if not w.any():
                continue
            u = np.unique(s)
            candidates = [np.nextafter(u[0], -np.inf), *(0.5 * u[:-1] + 0.5 * u[1:]),
                          np.nextafter(u[-1], np.inf)]
            best = -np.inf
            for t in candidates:  # ascending: ">=" keeps the highest of equal values
                counts = np.array(confusion_counts(y, s >= t, w), dtype=float)
                value = f1(*(totals + counts)) + f1(*counts) / k
                if value >= best:
                    best, best_t, best_counts = value, t, counts
            cuts.append(best_t)
            added += best_counts
        out[c] = np.mean(cuts)
        totals += added
    return out


@pytest.mark.parametrize("n_folds", [None, 3])
@pytest.mark.parametrize("weights", [None, "rows", "cells"])
@pytest.mark.parametrize("seed", [0, 1])
def test_search_equals_slow_reimplementation(n_folds, weights, seed):
    Y, S = scores(seed=seed)
    S[: len(S) // 3] = np.round(S[: len(S) // 3], 1)  # groups of tied scores
    rng = np.random.default_rng(seed + 10)
    W = {None: None,
         "rows": rng.integers(0, 3, len(Y)).astype(float),
         "cells": rng.integers(0, 3, Y.shape).astype(float)}[weights]
    folds = None if n_folds is None else rng.integers(0, n_folds, len(Y))
    t, score = find_micromacro_thresholds(Y, S, folds=folds, sample_weight=W)
    np.testing.assert_allclose(t, slow_micromacro(Y, S, folds, W), rtol=0, atol=1e-12)
    counts = confusion_counts(Y, S >= t, W)
    expected = (np.mean(f1(*counts)) + f1(*[np.sum(c) for c in counts])) / 2
    assert score == pytest.approx(expected)


def _libmultilabel_linear():
    pytest.importorskip("liblinear")
    pytest.importorskip("psutil")
    spec = importlib.util.find_spec("libmultilabel")
    if spec is None:
        pytest.skip("libmultilabel is not installed")
    # libmultilabel.linear's __init__ imports its tree models (and their heavy
    # dependencies); the thresholding lives in linear.py alone.
    path = pathlib.Path(spec.origin).parent / "linear" / "linear.py"
    module_spec = importlib.util.spec_from_file_location("_lml_linear", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
def test_fold_rule_matches_libmultilabel(monkeypatch):
    """LibMultiLabel's own per-label routine, its liblinear fits replaced by fixed scores.

    With the identity as features and the scores as weights, ``x[val] * w`` are the
    scores of the validation rows; each label's 3-fold permutation is the same
    fixed one, so every label has the same folds, and labels are visited in
    LibMultiLabel's order (``np.flip(np.argsort(n_positives))``; distinct counts here).
    """
    import scipy.sparse as sp

    lml = _libmultilabel_linear()
    rng = np.random.default_rng(3)
    n = 150
    Y = (rng.random((n, 6)) < [0.5, 0.33, 0.2, 0.12, 0.06, 0.03]).astype(int)
    while len(set(Y.sum(axis=0))) < Y.shape[1] or Y.sum(axis=0).min() == 0:
        Y = (rng.random((n, 6)) < [0.5, 0.33, 0.2, 0.12, 0.06, 0.03]).astype(int)
    S = 0.8 * Y + rng.normal(size=Y.shape)  # decision values
    current = {}
    monkeypatch.setattr(lml, "_do_train", lambda y, x, options: current["w"])
    perm = rng.permutation(n)
    monkeypatch.setattr(np.random, "permutation", lambda length: perm.copy())
    X = sp.identity(n, format="csr")
    stats = {"tp": 0, "fp": 0, "fn": 0, "labels": 0}
    theirs = np.empty(Y.shape[1])
    for label in np.flip(np.argsort(Y.sum(axis=0))):
        current["w"] = np.asmatrix(S[:, label]).T
        _, threshold, stats = lml._micromacro_one_label(2 * Y[:, label] - 1, X, "", stats)
        theirs[label] = -threshold  # LibMultiLabel adds it to the decision values
    folds = np.empty(n, dtype=int)
    for f in range(3):
        folds[perm[int(f * n / 3):int((f + 1) * n / 3)]] = f
    ours, _ = find_micromacro_thresholds(Y, S, folds=folds)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    assert stats["labels"] == Y.shape[1]


def test_labels_are_visited_by_decreasing_frequency():
    Y, S = scores(n=300, signal=0.5)
    t, _ = find_micromacro_thresholds(Y, S)
    # the first label visited maximises 2 * its own F1: its per-label best threshold
    assert t[0] == find_thresholds(Y[:, 0], S[:, 0])[0]
    # the order follows the counts, not the columns: permuted columns, permuted thresholds
    perm = [3, 0, 4, 2, 1]
    t_perm, _ = find_micromacro_thresholds(Y[:, perm], S[:, perm])
    np.testing.assert_array_equal(t_perm, t[perm])
    # row weights that make the last column the most frequent put it first
    w = np.where(Y[:, 4] == 1, 50.0, 1.0)
    t_w, _ = find_micromacro_thresholds(Y, S, sample_weight=w)
    assert t_w[4] == find_thresholds(Y[:, 4], S[:, 4], sample_weight=w)[0]


def test_integer_weights_equal_repeated_rows():
    Y, S = scores(n=90, seed=4)
    w = np.random.default_rng(5).integers(1, 4, len(Y))
    repeated = np.repeat(np.arange(len(Y)), w)
    for folds in (None, np.arange(len(Y)) % 3):
        t_w, score_w = find_micromacro_thresholds(Y, S, folds=folds, sample_weight=w)
        t_r, score_r = find_micromacro_thresholds(
            Y[repeated], S[repeated], folds=None if folds is None else folds[repeated]
        )
        np.testing.assert_array_equal(t_w, t_r)
        assert score_w == pytest.approx(score_r)


def test_fold_thresholds_are_averaged():
    Y, S = scores(n=240, seed=6)
    folds = np.arange(len(Y)) % 4
    t, _ = find_micromacro_thresholds(Y, S, folds=folds)
    # the first label visited takes each fold's best F1 cut, and their mean
    per_fold = [find_thresholds(Y[folds == f, 0], S[folds == f, 0])[0] for f in range(4)]
    assert t[0] == pytest.approx(np.mean(per_fold), abs=1e-12)
    # a fold where a label has no row (zero weight) is left out of its mean
    W = np.ones(Y.shape)
    W[folds == 3, 0] = 0
    t_w, _ = find_micromacro_thresholds(Y, S, folds=folds, sample_weight=W)
    assert t_w[0] == pytest.approx(np.mean(per_fold[:3]), abs=1e-12)


def test_rare_labels_are_held_back_by_the_micro_term():
    rng = np.random.default_rng(7)
    n = 400
    Y = (rng.random((n, 4)) < [0.5, 0.4, 0.3, 0.1]).astype(int)
    S = np.clip(0.6 * Y + rng.random(Y.shape), 0, 1.6)
    S[:, 3] = rng.random(n)  # a rarer label the model has not learned
    Y_none = Y.copy()
    Y_none[:, 2] = 0  # a label without any positive
    per_label = find_thresholds(Y, S)[0]
    t, _ = find_micromacro_thresholds(Y, S)
    # F1 alone floods the noise label with positives; the micro term holds it back
    assert (S[:, 3] >= per_label[3]).sum() > n / 2
    assert (S[:, 3] >= t[3]).sum() < (S[:, 3] >= per_label[3]).sum() / 4
    assert f1_score(Y, S >= t, average="micro") > f1_score(Y, S >= per_label, average="micro")
    t_none, _ = find_micromacro_thresholds(Y_none, S)
    assert t_none[2] > S[:, 2].max()  # no positive: predict none


def test_one_label_is_the_per_label_search():
    Y, S = scores(seed=8)
    t, _ = find_micromacro_thresholds(Y[:, 1], S[:, 1])
    assert isinstance(t, float)
    assert t == find_thresholds(Y[:, 1], S[:, 1])[0]


def test_frozen_labels_keep_init_and_count_in_the_micro_term():
    Y, S = scores(seed=9)
    free, _ = find_micromacro_thresholds(Y, S)
    init = np.full(Y.shape[1], np.nan)
    init[0] = 0.0  # the most frequent label predicts every row
    t, _ = find_micromacro_thresholds(Y, S, init=init, frozen=[True, 0, 0, 0, 0])
    assert t[0] == 0.0
    # the next label sees the flooded counts, so its cut changes
    assert not np.array_equal(t[1:], free[1:])
    assert t[1] == slow_frozen_second(Y, S)


def slow_frozen_second(Y, S):
    """Label 1 visited second after label 0 frozen at 0.0 (predict all)."""
    totals = np.array(confusion_counts(Y[:, 0], S[:, 0] >= 0.0), dtype=float)
    u = np.unique(S[:, 1])
    best = -np.inf
    for t in [np.nextafter(u[0], -np.inf), *(0.5 * u[:-1] + 0.5 * u[1:]),
              np.nextafter(u[-1], np.inf)]:
        counts = np.array(confusion_counts(Y[:, 1], S[:, 1] >= t), dtype=float)
        value = f1(*(totals + counts)) + f1(*counts) / 2
        if value >= best:
            best, best_t = value, t
    return best_t


def test_threshold_optimizer_strategy():
    Y, S = scores(n=300, seed=10)
    folds = np.arange(len(Y)) // 100
    common = {"cv": KFold(3), "fallback": None}
    pooled = ThresholdOptimizer(ColumnScores(), strategy="micromacro", **common).fit(S, Y)
    np.testing.assert_array_equal(pooled.thresholds_, find_micromacro_thresholds(Y, S)[0])
    mean = ThresholdOptimizer(ColumnScores(), strategy="micromacro", cv_aggregate="mean",
                              **common).fit(S, Y)
    expected, _ = find_micromacro_thresholds(Y, S, folds=folds)
    np.testing.assert_array_equal(mean.thresholds_, expected)
    macro = f1_score(Y, S >= pooled.thresholds_, average="macro", zero_division=0)
    micro = f1_score(Y, S >= pooled.thresholds_, average="micro")
    assert pooled.best_score_ == pytest.approx((macro + micro) / 2)
    assert pooled.predict(S).tolist() == (S >= pooled.thresholds_).astype(int).tolist()


def test_threshold_optimizer_weights_and_guards():
    Y, S = scores(n=300, seed=11)
    Y[:, 4] = 0
    Y[[0, 100, 200], 4] = 1  # three positives, one per fold: few_positives
    S[:, 3] = np.random.default_rng(12).random(len(S))  # noise: no low_score guard here
    w = np.random.default_rng(13).integers(1, 3, len(Y)).astype(float)
    w[[0, 100, 200]] = 1  # weighted positives count towards min_positives
    model = ThresholdOptimizer(ColumnScores(), strategy="micromacro", cv=KFold(3),
                               min_score=0.9).fit(S, Y, sample_weight=w)
    assert model.fallback_labels_ == {4: "few_positives"}
    assert model.thresholds_[4] == np.nextafter(0.5, 1)  # the estimator's own rule
    init = np.full(5, np.nan)
    init[4] = np.nextafter(0.5, 1)
    expected, _ = find_micromacro_thresholds(
        Y, S, init=init, frozen=[0, 0, 0, 0, 1], sample_weight=w
    )
    np.testing.assert_array_equal(model.thresholds_, expected)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"strategy": "micro_macro"}, InvalidParameterError, "micromacro"),
        ({"strategy": "micromacro", "objective": "cost", "fp_cost": [1, 2, 3, 4, 5]},
         ValueError, "per-label values need strategy='per_label'"),
    ],
)
def test_threshold_optimizer_parameter_errors(kwargs, error, message):
    Y, S = scores()
    with pytest.raises(error, match=message):
        ThresholdOptimizer(ColumnScores(), cv=3, **kwargs).fit(S, Y)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fn_cost": [1, 2, 3, 4, 5], "objective": "cost"},
         "per-label floors or costs need strategy='per_label'"),
        ({"folds": [0, 1]}, r"folds must have shape \(120,\)"),
        ({"init": [0.5, 0.5], "frozen": [1, 0, 0, 0, 0]}, r"init must have shape \(5,\)"),
        ({"frozen": [True, False]}, r"frozen must have shape \(5,\)"),
        ({"frozen": [1, 0, 0, 0, 0]}, "pass init as well"),
    ],
)
def test_search_input_errors(kwargs, message):
    Y, S = scores()
    with pytest.raises(ValueError, match=message):
        find_micromacro_thresholds(Y, S, **kwargs)
