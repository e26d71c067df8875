"""The exact threshold search against brute force, and its contract."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import f1_score

from skimb import find_thresholds
from skimb._search import (
    find_fold_mean_thresholds,
    find_micro_thresholds,
    find_shared_threshold,
)
from skimb.objectives import confusion_counts, make_objective

OBJECTIVE_CASES = [
    ("f1", {}),
    ("fbeta", {"beta": 2.0}),
    ("fbeta", {"beta": 0.5}),
    ("mcc", {}),
    ("youden", {}),
    ("balanced_accuracy", {}),
    ("precision_at_recall", {"min_recall": 0.6}),
    ("recall_at_precision", {"min_precision": 0.7}),
    ("cost", {"fp_cost": 1.0, "fn_cost": 5.0}),
    ("cost", {"fp_cost": 3.0, "fn_cost": 0.5}),
]


def brute_force(y, s, objective, sample_weight=None, **params):
    """Best value over every threshold that gives a different prediction, one label."""
    obj = make_objective(objective, **params)
    cuts = np.concatenate([np.unique(s), [np.inf]])  # predict s >= cut
    values = [obj(*confusion_counts(y, s >= c, sample_weight)) for c in cuts]
    values = np.array(values, dtype=float)
    return values.min() if not obj.greater_is_better else values.max()


def highest_best_cut(y, s, objective, sample_weight=None, **params):
    """The highest of the cuts that reach the best value (the documented tie-break)."""
    obj = make_objective(objective, **params)
    cuts = np.concatenate([np.unique(s), [np.inf]])
    values = np.array([obj(*confusion_counts(y, s >= c, sample_weight)) for c in cuts], float)
    values = values if obj.greater_is_better else -values
    return cuts[np.flatnonzero(values == values.max())[-1]]


def _check_against_brute_force(y, s, objective, params, sample_weight=None):
    t, v = find_thresholds(y, s, objective=objective, sample_weight=sample_weight, **params)
    obj = make_objective(objective, **params)
    for c in range(y.shape[1]):
        # among equally good cuts the highest wins: same predictions as that cut,
        # and the threshold never equals a score (ties are not split)
        w = sample_weight if sample_weight is None or sample_weight.ndim == 1 else None
        highest = highest_best_cut(y[:, c], s[:, c], objective, w, **params)
        np.testing.assert_array_equal(s[:, c] >= t[c], s[:, c] >= highest)
        assert not np.any(s[:, c] == t[c])
        expected = brute_force(y[:, c], s[:, c], objective, sample_weight, **params)
        reached = obj(*confusion_counts(y[:, c], s[:, c] >= t[c], sample_weight))
        if np.isneginf(expected):  # no feasible cut
            assert np.isnan(v[c])
            continue
        # the value reported is the value of the threshold returned, and it is optimal
        np.testing.assert_allclose(v[c], reached, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(v[c], expected, rtol=1e-12, atol=1e-12)


score_arrays = st.integers(min_value=1, max_value=25).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 1), min_size=n * 3, max_size=n * 3),
        # few distinct values so that ties are frequent; signs mixed or not
        st.lists(st.integers(-4, 6), min_size=n * 3, max_size=n * 3),
        st.sampled_from([0.25, 1.0, 1e-3]),
        st.booleans(),
    ).map(lambda t: (n, *t))
)


@pytest.mark.parametrize(("objective", "params"), OBJECTIVE_CASES)
@settings(max_examples=40, deadline=None)
@given(data=score_arrays)
def test_search_equals_brute_force(objective, params, data):
    n, y, s, scale, nonneg = data
    y = np.array(y).reshape(n, 3)
    s = np.array(s, dtype=float).reshape(n, 3) * scale
    if nonneg:  # the non-negative fast path and the general path
        s = np.abs(s)
    _check_against_brute_force(y, s, objective, params)


@pytest.mark.parametrize(("objective", "params"), OBJECTIVE_CASES[:4] + OBJECTIVE_CASES[6:9])
def test_search_with_weights_equals_brute_force(objective, params):
    rng = np.random.default_rng(3)
    for _ in range(15):
        n = rng.integers(1, 30)
        y = rng.integers(0, 2, (n, 2))
        s = rng.integers(0, 6, (n, 2)) / 5
        w = rng.integers(0, 4, (n, 2)).astype(float)  # zero weights leave rows out
        t, v = find_thresholds(y, s, objective=objective, sample_weight=w, **params)
        obj = make_objective(objective, **params)
        for c in range(2):
            expected = brute_force(y[:, c], s[:, c], objective, w[:, c], **params)
            if np.isneginf(expected):
                assert np.isnan(v[c])
            else:
                np.testing.assert_allclose(v[c], expected, atol=1e-12)
                reached = obj(*confusion_counts(y[:, c], s[:, c] >= t[c], w[:, c]))
                np.testing.assert_allclose(reached, expected, atol=1e-12)
            highest = highest_best_cut(y[:, c], s[:, c], objective, w[:, c], **params)
            kept = w[:, c] > 0  # rows of weight 0 do not count on either side
            np.testing.assert_array_equal((s[:, c] >= t[c])[kept], (s[:, c] >= highest)[kept])


def test_callable_objective_and_per_label_parameters():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, (60, 4))
    s = rng.random((60, 4)) + 0.3 * y - 0.5  # mixed signs

    def accuracy(tp, fp, fn, tn):
        return (tp + tn) / (tp + fp + fn + tn)

    _check_against_brute_force(y, s, accuracy, {})
    costs = {"fp_cost": [1.0, 2.0, 0.5, 4.0], "fn_cost": [3.0, 1.0, 1.0, 0.5]}
    t, v = find_thresholds(y, s, objective="cost", **costs)
    for c in range(4):
        single = find_thresholds(
            y[:, c], s[:, c], objective="cost", fp_cost=costs["fp_cost"][c],
            fn_cost=costs["fn_cost"][c],
        )
        assert single == (t[c], v[c])
    floors = [0.2, 0.5, 0.9, 1.0]
    t, v = find_thresholds(y, s, objective="precision_at_recall", min_recall=floors)
    tp, _, fn, _ = confusion_counts(y, s >= t)
    assert np.all(tp / (tp + fn) >= floors)


def test_ties_are_never_split_and_thresholds_are_midpoints():
    y = np.array([1, 0, 1, 1, 0, 0])
    s = np.array([0.8, 0.8, 0.6, 0.6, 0.2, 0.2])
    t, v = find_thresholds(y, s)
    assert t == pytest.approx(0.4)  # midway between 0.6 and 0.2
    assert v == pytest.approx(f1_score(y, s >= t))
    # every threshold returned sits strictly between two distinct scores, or outside
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, (200, 5))
    s = rng.integers(0, 10, (200, 5)) / 10
    t, _ = find_thresholds(y, s)
    for c in range(5):
        assert not np.any(s[:, c] == t[c])


# y = [1, 0, 0, 1] scored [-0.1, -0.2, -0.3, -0.4]: predicting every row and
# predicting only the top row both give F1 2/3. docs/thresholds.md promises the
# highest threshold among equally good cuts: -0.15 (and 0.85 for the scores + 1,
# which take the non-negative fast path).
TIE_Y = np.array([1, 0, 0, 1])
TIE_S = np.array([-0.1, -0.2, -0.3, -0.4])
TIE_SEARCHES = {
    "per_label": lambda y, s: find_thresholds(y, s)[0],
    "per_label_2d": lambda y, s: find_thresholds(y[:, None], s[:, None])[0][0],
    "weighted": lambda y, s: find_thresholds(y, s, sample_weight=np.ones(4))[0],
    "fold_mean": lambda y, s: find_fold_mean_thresholds(y, s, np.zeros(4))[0],
    "shared": lambda y, s: find_shared_threshold(y[:, None], s[:, None])[0],
    # from "predict none" (F1 0) the ascent moves to the best cut
    "micro": lambda y, s: find_micro_thresholds(y[:, None], s[:, None], init=[9.0])[0][0],
}


@pytest.mark.parametrize("search", list(TIE_SEARCHES))
@pytest.mark.parametrize("shift", [0.0, 1.0])
def test_equally_good_cuts_go_to_the_highest_threshold(search, shift):
    t = TIE_SEARCHES[search](TIE_Y, TIE_S + shift)
    assert t == pytest.approx(-0.15 + shift)


def test_fast_path_never_cuts_inside_a_group_of_tied_positives():
    # Precision is 1 at every cut that predicts no negative, so two cuts through
    # the tied positives reach the same value: the one between them (inside the
    # tie) is not a cut. The fast path masks it (positives sort first within a
    # tie, so a positive preceded by an equal score is never a group start).
    y = np.array([0, 1, 1])
    for shift in (0.0, -1.0):  # the fast path (non-negative scores), the general one
        s = np.array([0.1, 0.5, 0.5]) + shift
        t, v = find_thresholds(y, s, objective="precision_at_recall", min_recall=0.5)
        assert (t, v) == (pytest.approx(0.3 + shift), 1.0)


def test_all_and_none_cuts():
    s = np.array([0.1, 0.2, 0.3, 0.4])
    t, v = find_thresholds(np.ones(4, int), s)  # everything positive: predict all
    assert t < 0.1 and v == 1.0
    t, v = find_thresholds(np.zeros(4, int), s)  # nothing to find: predict none
    assert t > 0.4 and v == 0.0
    # the none threshold is just above the top score, not infinity
    assert t == np.nextafter(0.4, 1.0)
    # a label with no positive under a recall floor has no feasible cut
    _, v = find_thresholds(np.zeros(4, int), s, objective="precision_at_recall", min_recall=0.5)
    assert np.isnan(v)


def test_one_dimensional_input_returns_floats_and_matches_two_dimensional():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, (50, 3))
    s = rng.random((50, 3))
    t2, v2 = find_thresholds(y, s, objective="mcc")
    t1, v1 = find_thresholds(y[:, 1], s[:, 1], objective="mcc")
    assert isinstance(t1, float) and isinstance(v1, float)
    assert (t1, v1) == (t2[1], v2[1])


def test_large_blocks_give_the_same_answer(monkeypatch):
    import skimb._search as search

    rng = np.random.default_rng(4)
    y = (rng.random((3000, 7)) < 0.1).astype(int)
    s = rng.random((3000, 7)).round(3)
    expected = find_thresholds(y, s)
    monkeypatch.setattr(search, "_BLOCK_ELEMENTS", 1)  # one label per block
    got = find_thresholds(y, s)
    np.testing.assert_array_equal(expected[0], got[0])
    np.testing.assert_array_equal(expected[1], got[1])


def test_shared_threshold_is_best_common_threshold():
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, (40, 3))
    s = (rng.random((40, 3)) + 0.4 * y).round(2)
    t, v = find_shared_threshold(y, s)
    assert v == pytest.approx(f1_score(y, s >= t, average="micro"))
    best = max(f1_score(y, s >= c, average="micro") for c in np.unique(s))
    assert v == pytest.approx(best)


def test_micro_ascent_never_decreases_and_is_coordinatewise_optimal():
    rng = np.random.default_rng(6)
    y = (rng.random((80, 4)) < [0.5, 0.2, 0.1, 0.05]).astype(int)
    s = (rng.random((80, 4)) + 0.5 * y).round(2)
    per_label, _ = find_thresholds(y, s)
    t, v = find_micro_thresholds(y, s)
    assert v == pytest.approx(f1_score(y, s >= t, average="micro"))
    assert v >= f1_score(y, s >= per_label, average="micro")
    # no single label can improve micro-F1 by moving its threshold alone
    for c in range(4):
        for cut in np.concatenate([np.unique(s[:, c]), [np.inf]]):
            trial = t.copy()
            trial[c] = cut
            assert f1_score(y, s >= trial, average="micro") <= v + 1e-12
    frozen = np.array([True, False, False, True])
    t2, _ = find_micro_thresholds(y, s, init=per_label, frozen=frozen)
    np.testing.assert_array_equal(t2[frozen], per_label[frozen])


def test_pooled_searches_refuse_per_label_parameters():
    y = np.array([[0, 1], [1, 0]])
    with pytest.raises(ValueError, match="per-label floors or costs need strategy='per_label'"):
        find_micro_thresholds(y, y * 1.0, objective="cost", fp_cost=[1.0, 2.0])


@pytest.mark.parametrize(
    ("y", "s", "kwargs", "message"),
    [
        ([[0, 2]], [[0.1, 0.2]], {}, r"only 0 and 1; columns \[1\]"),
        ([[0, 1]], [[0.1]], {}, "same shape"),
        ([[0, 1]], [[0.1, np.nan]], {}, "NaN or infinite"),
        ([[0, 1]], [[0.1, 0.2]], {"objective": "f2"}, "Unknown objective 'f2'"),
        ([[0, 1]], [[0.1, 0.2]], {"objective": "precision_at_recall"}, "needs min_recall"),
        (
            [[0, 1]], [[0.1, 0.2]],
            {"objective": "recall_at_precision", "min_precision": 1.5},
            r"min_precision must be in \(0.0, 1.0\]",
        ),
        (
            [[0, 1]], [[0.1, 0.2]], {"objective": "cost", "fp_cost": [1.0, 2.0, 3.0]},
            r"one value per label \(shape \(2,\)\)",
        ),
        ([[0, 1]], [[0.1, 0.2]], {"objective": "cost", "fp_cost": 0, "fn_cost": 0}, "both 0"),
    ],
)
def test_input_errors_say_what_is_wrong(y, s, kwargs, message):
    with pytest.raises(ValueError, match=message):
        find_thresholds(np.array(y), np.array(s), **kwargs)


def fold_mean_value(y, predicted, folds, obj, sample_weight=None):
    """Mean over folds (with any weight) of each fold's objective of the predictions."""
    w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
    per_fold = [
        obj(*confusion_counts(y[folds == f], predicted[folds == f], w[folds == f]))
        for f in np.unique(folds)
        if w[folds == f].sum() > 0
    ]
    per_fold = [v for v in per_fold if not np.isnan(v)]
    value = np.mean(per_fold) if per_fold else np.nan
    return value if obj.greater_is_better else -value


def fold_mean_brute_force(y, s, folds, objective, sample_weight=None, **params):
    """Every cut of the pooled scores and its mean fold objective (larger is better)."""
    obj = make_objective(objective, **params)
    cuts = np.concatenate([np.unique(s), [np.inf]])
    values = np.array([fold_mean_value(y, s >= c, folds, obj, sample_weight) for c in cuts])
    values[np.isnan(values)] = -np.inf
    return cuts, values


def test_fold_mean_and_pooled_searches_differ_on_a_hand_made_case():
    # fold 0 holds five rows, fold 1 three: the mean of the two folds' F1 weighs
    # fold 1's rows more than pooling does, and moves the best cut
    y = np.array([1, 1, 1, 0, 1, 1, 0, 0])
    s = np.array([0.8, 0.2, 0.9, 0.5, 0.3, 0.6, 0.4, 0.1])
    folds = np.array([0, 0, 0, 0, 0, 1, 1, 1])
    cuts, mean_values = fold_mean_brute_force(y, s, folds, "f1")
    pooled_values = [f1_score(y, s >= c, zero_division=0) for c in cuts]
    best_mean = cuts[len(cuts) - 1 - np.argmax(mean_values[::-1])]  # ties: highest cut
    best_pooled = cuts[len(cuts) - 1 - np.argmax(pooled_values[::-1])]
    assert (best_mean, best_pooled) == (0.6, 0.2)  # the lowest score predicted positive
    t_mean, v_mean = find_fold_mean_thresholds(y, s, folds)
    t_pooled, v_pooled = find_thresholds(y, s)
    assert t_mean == pytest.approx(0.55) and t_pooled == pytest.approx(0.15)  # midpoints
    assert v_mean == pytest.approx(mean_values.max())
    assert v_pooled == pytest.approx(max(pooled_values))
    # a single fold is the pooled search
    t_one, v_one = find_fold_mean_thresholds(y, s, np.zeros(8))
    assert (t_one, v_one) == (t_pooled, pytest.approx(v_pooled))


@pytest.mark.parametrize(("objective", "params"), OBJECTIVE_CASES)
@settings(max_examples=25, deadline=None)
@given(data=score_arrays, n_folds=st.integers(1, 4), weighted=st.booleans())
def test_fold_mean_search_equals_brute_force(objective, params, data, n_folds, weighted):
    n, y, s, scale, nonneg = data
    y = np.array(y).reshape(n, 3)
    s = np.array(s, dtype=float).reshape(n, 3) * scale
    if nonneg:
        s = np.abs(s)
    folds = np.arange(n) % n_folds
    w = np.random.default_rng(n).integers(0, 3, n).astype(float) if weighted else None
    t, v = find_fold_mean_thresholds(y, s, folds, objective=objective, sample_weight=w, **params)
    obj = make_objective(objective, **params)
    for c in range(3):
        _, values = fold_mean_brute_force(y[:, c], s[:, c], folds, objective, w, **params)
        if np.isneginf(values.max()):
            assert np.isnan(v[c])
            continue
        best = values.max()
        # the threshold returned reaches the best mean, and the value says so
        reached = fold_mean_value(y[:, c], s[:, c] >= t[c], folds, obj, w)
        sign = 1 if obj.greater_is_better else -1
        np.testing.assert_allclose(sign * v[c], best, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(reached, best, rtol=1e-12, atol=1e-12)


def test_fold_mean_search_input_errors():
    with pytest.raises(ValueError, match=r"folds must have shape \(3,\)"):
        find_fold_mean_thresholds([1, 0, 1], [0.2, 0.3, 0.4], [0, 1])
