"""Exact decision-threshold search by sorting and cumulative counts (pure NumPy).

For one label with ``n`` scores there are at most ``n + 1`` different ways to
split the rows into "predicted positive" and "predicted negative" with a
threshold: predict everything, nothing, or cut between two neighbouring
*distinct* scores. Sorting the scores once gives the confusion counts of every
cut as cumulative sums, so every candidate is scored in O(n) after an
O(n log n) sort, and the optimum found is the true optimum over all thresholds
(a grid of thresholds can only find it by luck).

All labels are processed together: the scores of a block of labels are sorted
along one axis and the objective is evaluated on a ``(cuts, labels)`` array.
A prediction is ``score >= threshold``; the returned threshold lies midway
between the two distinct scores it separates (so rows with tied scores always
land on the same side), below the lowest score for "predict all" and above the
highest for "predict none". Among cuts with the same objective value the one
predicting the fewest positives (the highest threshold) wins.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.exceptions import ConvergenceWarning

from ._stacklevel import user_stacklevel
from .objectives import Objective, confusion_counts, make_objective

__all__ = [
    "find_fold_mean_thresholds",
    "find_micro_thresholds",
    "find_micromacro_thresholds",
    "find_shared_threshold",
    "find_thresholds",
]

# Labels are processed in blocks of about this many scores, which bounds the
# memory of the count arrays (a few arrays of 8 bytes per score and cut).
_BLOCK_ELEMENTS = 1 << 19
# Position of the lowest byte inside a native uint64.
_LOW_BYTE = 0 if sys.byteorder == "little" else 7


def _check_search_input(y_true, y_score, sample_weight):
    """Validate inputs; return Y (n, L) bool, S (n, L) float64, W or None, was_1d."""
    from ._validation import label_array, numeric_labels

    y, names = label_array(y_true)  # sparse, pandas (nullable dtypes too)
    y = numeric_labels(y, names, what="y_true")
    s = np.asarray(y_score, dtype=np.float64)
    was_1d = y.ndim == 1
    if was_1d:
        y, s = y.reshape(-1, 1), s.reshape(-1, 1) if s.ndim == 1 else s
    if y.ndim != 2:
        raise ValueError(
            f"y_true must be 1-D (one label) or 2-D (n_samples, n_labels); got {y.ndim} dims."
        )
    if s.shape != y.shape:
        raise ValueError(
            f"y_true and y_score must have the same shape; got {np.shape(y_true)} and "
            f"{np.shape(y_score)}."
        )
    if y.shape[0] == 0:
        raise ValueError("y_true is empty: at least one row is needed to choose a threshold.")
    if y.dtype != bool:
        if not (y.min() >= 0 and y.max() <= 1 and y.dtype.kind in "iu"):
            bad = (y != 0) & (y != 1)
            if bad.any():
                cols = np.flatnonzero(bad.any(axis=0)).tolist()
                raise ValueError(
                    f"y_true must hold only 0 and 1; columns {cols[:10]} have other values."
                )
        y = y.astype(bool)
    if not (np.isfinite(s.min()) and np.isfinite(s.max())):
        raise ValueError(
            "y_score has NaN or infinite values; thresholds need finite scores "
            "(replace or drop those rows)."
        )
    w = None
    if sample_weight is not None:
        w = np.asarray(sample_weight, dtype=np.float64)
        if w.ndim == 1 and w.shape[0] == y.shape[0]:
            w = np.broadcast_to(w[:, None], y.shape)
        if w.shape != y.shape:
            raise ValueError(
                f"sample_weight must have shape ({y.shape[0]},) or {y.shape}; got {w.shape}."
            )
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError("sample_weight must be finite and non-negative.")
    return y, s, w, was_1d


def _labels_per_block(n):
    """Labels per block of the searches: about ``_BLOCK_ELEMENTS`` scores."""
    return max(1, _BLOCK_ELEMENTS // (n + 1))


def _label_rows(labels, *arrays):
    """Columns ``labels`` of ``(n, L)`` arrays as contiguous ``(labels, n)`` copies."""
    return tuple(None if a is None else np.ascontiguousarray(a[:, labels].T) for a in arrays)


def _sort_block(y, s, w):
    """Sort each row of a ``(labels, samples)`` block by score, ascending.

    Returns ``s_sorted``, ``y_sorted`` and ``w_sorted`` (``None`` without weights).
    """
    if w is None and s.min() >= 0:
        # Non-negative floats order like their bit patterns, whose top (sign) bit
        # is 0: shift it out and put the label in the freed lowest bit, so one
        # sort of plain integers orders the scores and carries the labels along.
        keys = np.left_shift(s.view(np.uint64), np.uint64(1))
        keys |= y.view(np.uint8)
        keys.sort(axis=1)
        y_sorted = (keys & np.uint64(1)).astype(bool)
        keys >>= np.uint64(1)
        return keys.view(np.float64), y_sorted, None
    order = np.argsort(s, axis=1)
    s_sorted = np.take_along_axis(s, order, axis=1)
    y_sorted = np.take_along_axis(y, order, axis=1)
    w_sorted = None if w is None else np.take_along_axis(w, order, axis=1)
    return s_sorted, y_sorted, w_sorted


def _cumulative(y_sorted, w_sorted):
    """Counts below each cut: ``fn[:, j]`` and ``tn[:, j]`` for rows ``< j`` (ascending order).

    Cut ``j`` predicts positive the rows at sorted positions ``>= j``.
    """
    c, n = y_sorted.shape
    if w_sorted is None:
        fn = np.zeros((c, n + 1), dtype=np.int64)
        np.cumsum(y_sorted, axis=1, out=fn[:, 1:])
        tn = np.arange(n + 1, dtype=np.int64) - fn
    else:
        fn = np.zeros((c, n + 1))
        tn = np.zeros((c, n + 1))
        np.cumsum(w_sorted * y_sorted, axis=1, out=fn[:, 1:])
        np.cumsum(w_sorted * ~y_sorted, axis=1, out=tn[:, 1:])
    return fn, tn


def _valid_cuts(s_sorted):
    """Cuts that do not split tied scores: all, none, and between distinct neighbours."""
    c, n = s_sorted.shape
    valid = np.ones((c, n + 1), dtype=bool)
    np.less(s_sorted[:, :-1], s_sorted[:, 1:], out=valid[:, 1:n])
    return valid


def _cut_thresholds(s_sorted, j):
    """Threshold of cut ``j`` per row: ``s[j-1] < t <= s[j]`` (predict ``score >= t``)."""
    c, n = s_sorted.shape
    rows = np.arange(c)
    lo = s_sorted[rows, np.clip(j - 1, 0, n - 1)]
    hi = s_sorted[rows, np.clip(j, 0, n - 1)]
    return _thresholds_between(lo, hi, j, n)


def _thresholds_between(lo, hi, j, n):
    """Midpoint of ``lo < hi`` (never equal to ``lo``); below ``hi`` for cut 0, above ``lo``
    for cut ``n``."""
    mid = 0.5 * lo + 0.5 * hi
    mid = np.where((mid > lo) & (mid <= hi), mid, hi)
    above = np.where(j == n, np.nextafter(lo, np.inf), mid)
    return np.where(j == 0, np.nextafter(hi, -np.inf), above)


def _best_cut(gain):
    """Index of the best cut per row; ties go to the largest index (highest threshold)."""
    n_cuts = gain.shape[1]
    return n_cuts - 1 - np.argmax(gain[:, ::-1], axis=1)


def _search(y, s, w, objective: Objective):
    """Per-label exact search on validated ``(n, L)`` arrays; returns thresholds, values."""
    n, n_labels = y.shape
    thresholds = np.empty(n_labels)
    values = np.empty(n_labels)
    fast = w is None and objective.monotone and s.min() >= 0
    block = _search_positive_cuts if fast else _search_all_cuts
    step = _labels_per_block(n)
    for start in range(0, n_labels, step):
        labels = slice(start, min(start + step, n_labels))
        # each block of labels along contiguous rows: memory of a block, not of all labels
        thresholds[labels], values[labels] = block(
            *_label_rows(labels, y, s, w),
            objective.select(labels) if objective.per_label else objective,
        )
    values[np.isneginf(values)] = np.nan  # no cut meets the floor
    if not objective.greater_is_better:
        values = -values
    return thresholds, values


def _search_all_cuts(y, s, w, objective):
    """Evaluate every cut between distinct scores of a block of labels."""
    s_sorted, y_sorted, w_sorted = _sort_block(y, s, w)
    fn, tn = _cumulative(y_sorted, w_sorted)
    tp = fn[:, -1:] - fn
    fp = tn[:, -1:] - tn
    # The objective sees (cuts, labels) arrays: the label axis is last.
    gain = objective.gain(tp.T, fp.T, fn.T, tn.T).T
    gain[~_valid_cuts(s_sorted)] = -np.inf
    j = _best_cut(gain)
    return _cut_thresholds(s_sorted, j), gain[np.arange(gain.shape[0]), j]


def _search_positive_cuts(y, s, w, objective):
    """The same search for a monotone objective and non-negative scores, done faster.

    When adding false positives never helps (``objective.monotone``), a cut
    whose lowest predicted group of tied scores holds no positive is never
    better than the next cut up, which predicts the same positives and fewer
    negatives. The search then only scores the cuts that start at a positive
    (plus "predict none") and returns the same answer as
    :func:`_search_all_cuts`, tie-breaking included. Scores and labels are
    sorted together as integers: the bits of a non-negative float order like
    the float, the freed sign bit holds ``1 - y``, so positives come first
    within each group of tied scores and "the group starting at ``j`` holds a
    positive" reads "row ``j`` is a positive that starts a group".
    """
    c, n = y.shape
    keys = np.left_shift(s.view(np.uint64), np.uint64(1))
    keys |= (~y).view(np.uint8)
    keys.sort(axis=1)
    keys = keys.reshape(-1)
    # the lowest bit of each key holds 1 - y
    low_byte = keys.view(np.uint8)[_LOW_BYTE::8]
    flat = np.flatnonzero(~low_byte & 1)  # positives, label by label, ascending score
    row = flat // n
    j = flat - row * n
    n_pos = np.bincount(row, minlength=c)
    # positives below j (the false negatives of cut j): the rank of this positive
    fn = (np.arange(flat.size) - (np.cumsum(n_pos) - n_pos)[row]).astype(np.float64)
    tn = j - fn
    tp = n_pos[row] - fn
    fp = (n - n_pos)[row] - tn
    obj = objective.select(row) if objective.per_label else objective
    gain = obj.gain(tp, fp, fn, tn)
    # a positive preceded by an equal score is inside a tie group: not a cut. Not
    # redundant: where the objective does not grow with that group's other
    # positives (precision while no negative is predicted), this cut ties with the
    # group's start and, being higher, would win (test_search.py pins it).
    gain[(j > 0) & ((keys[flat - 1] ^ keys[flat]) <= np.uint64(1))] = -np.inf
    # "predict none" (cut n) for every label; it wins ties, being the highest cut
    n_pos = n_pos.astype(np.float64)
    zero = np.zeros(c)
    best = objective.gain(zero, zero, n_pos, n - n_pos)
    best_j = np.full(c, n)
    if row.size:
        first = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
        seg_max = np.maximum.reduceat(gain, first)
        labels = row[first]
        top = np.full(c, -np.inf)
        top[labels] = seg_max
        # the last (highest) cut reaching its label's maximum
        hit = np.flatnonzero(gain == top[row])
        last = hit[np.r_[row[hit][1:] != row[hit][:-1], True]]
        wins = top[row[last]] > best[row[last]]
        take = row[last][wins]
        best[take] = top[take]
        best_j[take] = j[last][wins]
    rows = np.arange(c)
    lo = (keys[rows * n + np.clip(best_j - 1, 0, n - 1)] >> np.uint64(1)).view(np.float64)
    hi = (keys[rows * n + np.clip(best_j, 0, n - 1)] >> np.uint64(1)).view(np.float64)
    return _thresholds_between(lo, hi, best_j, n), best


def find_thresholds(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    objective: str | Callable = "f1",
    beta: float = 1.0,
    min_recall: float | ArrayLike | None = None,
    min_precision: float | ArrayLike | None = None,
    fp_cost: float | ArrayLike = 1.0,
    fn_cost: float | ArrayLike = 1.0,
    sample_weight: ArrayLike | None = None,
) -> tuple[NDArray | float, NDArray | float]:
    """Find each label's best decision threshold by an exact search.

    Every distinct score is a candidate cut. The scores of each label are sorted
    once; the confusion counts of all cuts are cumulative sums of the sorted
    labels, and the objective is evaluated on all of them at once. Cost:
    O(n log n) per label, vectorised across labels.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_labels) or (n_samples,)
        0/1 truth.
    y_score : array-like of the same shape
        Finite scores: probabilities or decision values; larger means "more
        positive".
    objective : str or callable, default="f1"
        One of ``"f1"``, ``"fbeta"``, ``"mcc"``, ``"youden"``,
        ``"balanced_accuracy"``, ``"precision_at_recall"``,
        ``"recall_at_precision"``, ``"cost"``, or a callable
        ``f(tp, fp, fn, tn)`` on count arrays (last axis = labels) returning an
        array of their shape where larger is better. See :mod:`skimb.objectives`.
    beta : float, default=1.0
        F-beta's beta (``objective="fbeta"``).
    min_recall : float, array-like of shape (n_labels,) or None, default=None
        Recall floor in (0, 1] for ``"precision_at_recall"``.
    min_precision : float, array-like of shape (n_labels,) or None, default=None
        Precision floor in (0, 1] for ``"recall_at_precision"``.
    fp_cost, fn_cost : float or array-like of shape (n_labels,), default=1.0
        Cost of a false positive / negative for ``"cost"`` (minimised).
    sample_weight : array-like of shape (n_samples,) or like ``y_true``, default=None
        Row weights; a 2-D weight gives each label its own (0 leaves a row out).

    Returns
    -------
    thresholds : ndarray of shape (n_labels,), or float for 1-D input
        Predict ``y_score >= thresholds``. A threshold lies midway between the
        two neighbouring distinct scores it separates; just below the lowest
        score when predicting every row is best, just above the highest when
        predicting none is best.
    scores : ndarray of shape (n_labels,), or float for 1-D input
        The objective reached (its own value: a cost for ``"cost"``). NaN where
        no cut satisfies a floor (a label without positives under
        ``"precision_at_recall"``).

    See Also
    --------
    find_micro_thresholds : per-label thresholds maximising a pooled (micro) objective.
    find_shared_threshold : one threshold for all labels.

    Examples
    --------
    >>> import numpy as np
    >>> from skimb import find_thresholds
    >>> y = np.array([[1, 0], [1, 1], [0, 0], [0, 1], [1, 0]])
    >>> s = np.array([[0.9, 0.1], [0.7, 0.8], [0.6, 0.3], [0.2, 0.4], [0.6, 0.2]])
    >>> thresholds, scores = find_thresholds(y, s)
    >>> thresholds.tolist(), scores.tolist()
    ([0.4, 0.35], [0.8571428571428571, 1.0])
    >>> t, precision = find_thresholds(
    ...     y[:, 1], s[:, 1], objective="precision_at_recall", min_recall=0.5
    ... )
    >>> round(t, 6), precision
    (0.6, 1.0)
    """
    y, s, w, was_1d = _check_search_input(y_true, y_score, sample_weight)
    obj = make_objective(
        objective,
        beta=beta,
        min_recall=min_recall,
        min_precision=min_precision,
        fp_cost=fp_cost,
        fn_cost=fn_cost,
        n_labels=y.shape[1],
    )
    thresholds, values = _search(y, s, w, obj)
    if was_1d:
        return float(thresholds[0]), float(values[0])
    return thresholds, values


def _pooled_objective(objective, strategy, **params):
    obj = make_objective(objective, **params)
    if obj.per_label:
        raise ValueError(
            f"The {strategy} search pools all labels into one set of counts, so its "
            "objective parameters must be scalars; per-label floors or costs need "
            "strategy='per_label'."
        )
    return obj


def find_shared_threshold(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    objective: str | Callable = "f1",
    sample_weight: ArrayLike | None = None,
    **params,
) -> tuple[float, float]:
    """Find one threshold for all labels, best for the objective of the pooled counts.

    The labels are pooled into one binary problem (all ``n_samples * n_labels``
    cells), so for ``"f1"`` this maximises micro-F1 under a common threshold,
    which is optimal for micro-F1 when the scores are calibrated probabilities.
    The search is exact, as in :func:`find_thresholds`.

    Parameters
    ----------
    y_true, y_score : array-like of shape (n_samples, n_labels)
        0/1 truth and scores.
    objective : str or callable, default="f1"
        As in :func:`find_thresholds`; parameters (``beta``, floors, costs) go in
        ``**params`` and must be scalars.
    sample_weight : array-like of shape (n_samples,) or like ``y_true``, default=None
        Row weights.
    **params
        Objective parameters.

    Returns
    -------
    threshold : float
    score : float
        The objective of the pooled counts at ``threshold``.

    Examples
    --------
    >>> from skimb._search import find_shared_threshold
    >>> y = [[1, 0], [1, 1], [0, 0], [0, 1]]
    >>> s = [[0.9, 0.1], [0.7, 0.8], [0.6, 0.3], [0.2, 0.4]]
    >>> t, micro_f1 = find_shared_threshold(y, s)
    >>> t, round(micro_f1, 4)
    (0.35, 0.8889)
    """
    obj = _pooled_objective(objective, "shared", **params)
    y, s, w, _ = _check_search_input(y_true, y_score, sample_weight)
    flat_w = None if w is None else w.reshape(-1, 1)
    thresholds, values = _search(y.reshape(-1, 1), s.reshape(-1, 1), flat_w, obj)
    return float(thresholds[0]), float(values[0])


def find_micro_thresholds(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    objective: str | Callable = "f1",
    init: ArrayLike | None = None,
    frozen: ArrayLike | None = None,
    max_iter: int = 100,
    sample_weight: ArrayLike | None = None,
    **params,
) -> tuple[NDArray, float]:
    """Per-label thresholds that maximise an objective of the pooled (micro) counts.

    Micro-averaged objectives such as micro-F1 couple the labels: a label's best
    threshold depends on the other labels' counts. This is coordinate ascent
    (Pillai, Fumera & Roli, 2013): visit the labels in turn and move each one's
    threshold to the exact best cut for the pooled objective while the other
    labels' counts stay fixed; repeat until a full sweep changes nothing. A
    label moves only on a strict gain, so the objective never decreases and
    the ascent stops after finitely many steps (at a coordinate-wise optimum,
    not necessarily the global one).

    Parameters
    ----------
    y_true, y_score : array-like of shape (n_samples, n_labels)
        0/1 truth and scores.
    objective : str or callable, default="f1"
        As in :func:`find_thresholds`, evaluated on the counts summed over labels;
        parameters go in ``**params`` and must be scalars.
    init : array-like of shape (n_labels,), default=None
        Starting thresholds. Default: each label's own best threshold for the
        objective (:func:`find_thresholds`).
    frozen : array-like of bool of shape (n_labels,), default=None
        Labels whose threshold stays at ``init`` (they still count in the pool).
    max_iter : int, default=100
        Most sweeps over the labels (a ``ConvergenceWarning`` when reached).
    sample_weight : array-like of shape (n_samples,) or like ``y_true``, default=None
        Row weights.
    **params
        Objective parameters.

    Returns
    -------
    thresholds : ndarray of shape (n_labels,)
    score : float
        The objective of the pooled counts at ``thresholds``.

    Examples
    --------
    >>> import numpy as np
    >>> from skimb import make_long_tail_multilabel
    >>> from skimb._search import find_micro_thresholds, find_thresholds
    >>> rng = np.random.default_rng(0)
    >>> _, y = make_long_tail_multilabel(300, 5, 4, random_state=0)
    >>> s = np.clip(y * 0.3 + rng.random(y.shape) * 0.8, 0, 1)
    >>> t, micro = find_micro_thresholds(y, s)
    >>> from sklearn.metrics import f1_score
    >>> bool(np.isclose(micro, f1_score(y, s >= t, average="micro")))
    True
    >>> per_label = find_thresholds(y, s)[0]
    >>> bool(micro >= f1_score(y, s >= per_label, average="micro"))
    True
    """
    obj = _pooled_objective(objective, "micro", **params)
    y, s, w, _ = _check_search_input(y_true, y_score, sample_weight)
    n_labels = y.shape[1]
    if init is None:
        t = _search(y, s, w, obj)[0]
    else:
        t = np.array(np.broadcast_to(np.asarray(init, dtype=np.float64), (n_labels,)))
    update = np.ones(n_labels, bool) if frozen is None else ~np.asarray(frozen, dtype=bool)
    counts = np.array(confusion_counts(y, s >= t, w), dtype=np.float64)  # (4, L)
    totals = counts.sum(axis=1)
    current = obj.gain(*totals)
    labels = np.flatnonzero(update)
    # per moving label, sorted a block of labels at a time: its labels (and weights)
    # in score order and where the cuts between distinct scores are; the scores
    # themselves are not kept (bool arrays: 1/4 of the scores' memory)
    n = y.shape[0]
    y_sorted = np.empty((labels.size, n), dtype=bool)
    cuts = np.empty((labels.size, n + 1), dtype=bool)
    w_sorted = None if w is None else np.empty((labels.size, n))
    step = _labels_per_block(n)
    for start in range(0, labels.size, step):
        rows = slice(start, start + step)
        s_block, y_sorted[rows], w_block = _sort_block(*_label_rows(labels[rows], y, s, w))
        cuts[rows] = _valid_cuts(s_block)
        if w is not None:
            w_sorted[rows] = w_block
    for _ in range(max_iter):
        moved = False
        for k, label in enumerate(labels):
            fn, tn = _cumulative(y_sorted[k : k + 1], None if w is None else w_sorted[k : k + 1])
            fn, tn = fn[0], tn[0]
            tp, fp = fn[-1] - fn, tn[-1] - tn
            others = totals - counts[:, label]
            gain = obj.gain(others[0] + tp, others[1] + fp, others[2] + fn, others[3] + tn)
            gain[~cuts[k]] = -np.inf
            j = _best_cut(gain[None, :])
            if gain[j[0]] > current:
                current = gain[j[0]]
                # the scores on both sides of cut j: order statistics of the label's scores
                sides = np.clip([j[0] - 1, j[0]], 0, n - 1)
                lo, hi = np.partition(s[:, label], np.unique(sides))[sides]
                t[label] = _thresholds_between(lo, hi, j[0], n)
                counts[:, label] = (tp[j[0]], fp[j[0]], fn[j[0]], tn[j[0]])
                totals = others + counts[:, label]
                moved = True
        if not moved:
            break
    else:
        warnings.warn(
            f"The micro-threshold coordinate ascent did not settle in max_iter={max_iter} "
            "sweeps; increase max_iter.",
            ConvergenceWarning,
            stacklevel=user_stacklevel(),
        )
    score = float(current if obj.greater_is_better else -current)
    return t, score


def find_fold_mean_thresholds(
    y_true: ArrayLike,
    y_score: ArrayLike,
    folds: ArrayLike,
    *,
    objective: str | Callable | Objective = "f1",
    sample_weight: ArrayLike | None = None,
    **params,
) -> tuple[NDArray, NDArray]:
    """Per-label thresholds maximising the mean over folds of each fold's objective.

    The candidates are the cuts of :func:`find_thresholds` on the pooled scores
    (every distinct score). Each candidate is scored on every fold's own rows
    (exact counts: per-fold cumulative sums along the pooled sort order, one
    pass per fold, vectorised over cuts and labels), and the cut with the
    largest mean of the per-fold objectives wins. This is the aggregation of
    scikit-learn's ``TunedThresholdClassifierCV`` (mean of the fold score
    curves), without its grid: the mean of several curves is smoother than the
    curve of the pooled counts, so a narrow peak that one fold creates weighs
    less. A fold with no row for a label (zero weight) is left out of that
    label's mean.

    Parameters
    ----------
    y_true, y_score : array-like of shape (n_samples, n_labels) or (n_samples,)
        0/1 truth and scores (the pooled out-of-fold scores).
    folds : array-like of shape (n_samples,)
        Fold of each row (any hashable labels, e.g. integers).
    objective : str, callable or Objective, default="f1"
        As in :func:`find_thresholds`; parameters go in ``**params``.
    sample_weight : array-like of shape (n_samples,) or like ``y_true``, default=None
        Row weights; 0 leaves a row out.
    **params
        Objective parameters (``beta``, floors, costs).

    Returns
    -------
    thresholds : ndarray of shape (n_labels,), or float for 1-D input
        Predict ``y_score >= thresholds``; midpoints between distinct pooled
        scores as in :func:`find_thresholds`, the highest among ties.
    scores : ndarray of shape (n_labels,), or float for 1-D input
        The mean fold objective reached (NaN where no cut is defined on any fold).

    Examples
    --------
    >>> import numpy as np
    >>> from skimb._search import find_fold_mean_thresholds
    >>> y = np.array([1, 0, 1, 0, 1, 1, 0, 0])
    >>> s = np.array([0.9, 0.8, 0.3, 0.1, 0.7, 0.6, 0.5, 0.2])
    >>> t, mean_f1 = find_fold_mean_thresholds(y, s, [0, 0, 0, 0, 1, 1, 1, 1])
    >>> round(t, 6), round(mean_f1, 4)
    (0.25, 0.8)
    """
    y, s, w, was_1d = _check_search_input(y_true, y_score, sample_weight)
    n, n_labels = y.shape
    fold_ids = np.asarray(folds)
    if fold_ids.shape != (n,):
        raise ValueError(f"folds must have shape ({n},); got {fold_ids.shape}.")
    _, fold_ids = np.unique(fold_ids, return_inverse=True)
    fold_ids = fold_ids.reshape(-1)
    obj = (
        objective
        if isinstance(objective, Objective)
        else make_objective(objective, n_labels=n_labels, **params)
    )
    thresholds = np.empty(n_labels)
    values = np.empty(n_labels)
    n_folds = int(fold_ids.max()) + 1
    step = max(1, _BLOCK_ELEMENTS // ((n + 1) * 2))
    for start in range(0, n_labels, step):
        labels = slice(start, min(start + step, n_labels))
        block_obj = obj.select(labels) if obj.per_label else obj
        y_block, s_block, w_block = _label_rows(labels, y, s, w)
        if w_block is None:
            w_block = np.ones_like(s_block)
        order = np.argsort(s_block, axis=1, kind="stable")
        s_sorted = np.take_along_axis(s_block, order, axis=1)
        y_sorted = np.take_along_axis(y_block, order, axis=1)
        w_sorted = np.take_along_axis(w_block, order, axis=1)
        f_sorted = fold_ids[order]
        c = s_sorted.shape[0]
        total = np.zeros((c, n + 1))
        used = np.zeros(c)
        for f in range(n_folds):
            wf = np.where(f_sorted == f, w_sorted, 0.0)
            fn = np.zeros((c, n + 1))
            tn = np.zeros((c, n + 1))
            np.cumsum(wf * y_sorted, axis=1, out=fn[:, 1:])
            np.cumsum(wf * ~y_sorted, axis=1, out=tn[:, 1:])
            tp, fp = fn[:, -1:] - fn, tn[:, -1:] - tn
            present = (fn[:, -1] + tn[:, -1]) > 0
            gain = block_obj.gain(tp.T, fp.T, fn.T, tn.T).T
            total += np.where(present[:, None], gain, 0.0)
            used += present
        with np.errstate(invalid="ignore"):
            mean = total / used[:, None]
        mean[~_valid_cuts(s_sorted)] = -np.inf
        mean[np.isnan(mean)] = -np.inf
        j = _best_cut(mean)
        thresholds[labels] = _cut_thresholds(s_sorted, j)
        values[labels] = mean[np.arange(c), j]
    values[np.isneginf(values)] = np.nan
    if not obj.greater_is_better:
        values = -values
    if was_1d:
        return float(thresholds[0]), float(values[0])
    return thresholds, values


# The micro-macro search has its own module, which uses the helpers above.
from ._search_micromacro import find_micromacro_thresholds  # noqa: E402
