"""The micro-macro thresholding of Lin & Lin (CIKM 2023), by the exact search (pure NumPy).

Labels are visited in decreasing order of their number of positives. Each
label's threshold is the cut that maximises

    micro(counts of the labels done so far + this label's counts)
    + objective(this label's counts) / (number of labels done, this one included)

that is, the part of ``micro + macro`` that this label can still change (the
other labels' own objectives are constants). Frequent labels come first, so by
the time the rare labels are tuned the micro term knows what their false
positives would cost. The candidates are the cuts of :func:`skimb.find_thresholds`
(every distinct score), each scored from cumulative counts after one sort: the
search is exact and costs one sort per label.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._search import (
    _best_cut,
    _check_search_input,
    _cumulative,
    _cut_thresholds,
    _pooled_objective,
    _sort_block,
    _valid_cuts,
)
from .objectives import confusion_counts

__all__ = ["find_micromacro_thresholds"]


def _label_cut(y, s, w, totals, k, obj):
    """Best cut of one label's rows for ``micro(totals + counts) + own(counts) / k``.

    ``y``, ``s``, ``w`` are 1-D (``w`` None or weights); returns the threshold and the
    counts ``(tp, fp, fn, tn)`` of the chosen cut.
    """
    s_sorted, y_sorted, w_sorted = _sort_block(y[None], s[None], None if w is None else w[None])
    fn, tn = _cumulative(y_sorted, w_sorted)
    fn, tn = fn[0], tn[0]
    counts = (fn[-1] - fn, tn[-1] - tn, fn, tn)  # tp, fp, fn, tn of every cut
    pooled = [total + c for total, c in zip(totals, counts)]
    gain = obj.gain(*pooled) + obj.gain(*counts) / k
    gain[~_valid_cuts(s_sorted)[0]] = -np.inf
    j = _best_cut(gain[None])
    return _cut_thresholds(s_sorted, j)[0], np.array([c[j[0]] for c in counts], dtype=np.float64)


def find_micromacro_thresholds(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    folds: ArrayLike | None = None,
    objective: str | Callable = "f1",
    init: ArrayLike | None = None,
    frozen: ArrayLike | None = None,
    sample_weight: ArrayLike | None = None,
    **params,
) -> tuple[NDArray | float, float]:
    """Per-label thresholds for ``macro + micro``, labels tuned in decreasing frequency.

    The "micromacro-freq" thresholding of Lin & Lin (2023), the rule of
    LibMultiLabel's ``libmultilabel.linear.train_thresholding``. The labels
    are visited once, most positives first (ties in label order). The ``k``-th
    label visited takes the cut maximising::

        objective(T + c) + objective(c) / k

    where ``c`` are the label's confusion counts at the cut and ``T`` the
    counts of the ``k - 1`` labels already visited at their chosen cuts,
    summed: the micro objective of the labels so far plus this label's share
    of their macro mean (the other labels' own objectives are constants). A
    frequent label is tuned nearly as for the macro objective; a rare label
    whose threshold would flood the predictions with false positives is held
    back by the micro term. The search is exact: every cut between distinct
    scores is a candidate (as in :func:`skimb.find_thresholds`), scored from
    cumulative counts after one sort per label; among equally good cuts the
    highest threshold wins (LibMultiLabel's ``>=`` scan from "predict all"
    upwards does the same).

    With ``folds`` the rule is LibMultiLabel's cross-validation: each label
    takes, on each fold's rows separately, the cut maximising
    ``objective(T + c_fold) + objective(c_fold) / k``, its threshold is the
    mean of the fold thresholds, and ``T`` then grows by the chosen cuts'
    counts summed over the folds. A fold where the label has no row (zero
    weight) is left out of its mean. As ``T`` holds the earlier labels'
    counts over all folds and ``c_fold`` one fold's, the micro term weighs a
    label's false positives about ``1 / n_folds`` as much as without
    ``folds``: the fold rule leans towards macro. Without ``folds`` the cut
    is searched once on the counts of all rows.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_labels) or (n_samples,)
        0/1 truth.
    y_score : array-like of the same shape
        Finite scores: probabilities or decision values (LibMultiLabel
        thresholds the decision values of linear models); larger means "more
        positive".
    folds : array-like of shape (n_samples,), default=None
        Validation fold of each row (any hashable labels): switches to the
        mean of per-fold thresholds, as above.
    objective : str or callable, default="f1"
        The objective of both terms, as in :func:`skimb.find_thresholds`
        (the paper's is ``"f1"``); its parameters go in ``**params`` and must
        be scalars (the micro term pools the labels).
    init : array-like of shape (n_labels,), default=None
        Thresholds of the ``frozen`` labels (other entries are not read).
    frozen : array-like of bool of shape (n_labels,), default=None
        Labels that keep their ``init`` threshold. They are visited in their
        turn all the same: their counts at ``init`` join ``T`` and they count
        in ``k``.
    sample_weight : array-like of shape (n_samples,) or like ``y_true``, default=None
        Row weights: in every count, and in the order (labels sorted by the
        weighted number of positives). A 2-D weight gives each label its own
        (0 leaves a row out).
    **params
        Objective parameters (``beta`` of ``"fbeta"``...).

    Returns
    -------
    thresholds : ndarray of shape (n_labels,), or float for 1-D input
        Predict ``y_score >= thresholds``. Without ``folds``, midpoints
        between distinct scores as in :func:`skimb.find_thresholds`; with
        ``folds``, means of such per-fold thresholds.
    score : float
        ``(macro + micro) / 2`` of the objective on all rows at
        ``thresholds``: the mean of the labels' objectives (NaN ones left out)
        and the objective of the counts summed over labels.

    Raises
    ------
    ValueError
        For inputs :func:`skimb.find_thresholds` refuses, per-label objective
        parameters, ``folds``, ``init`` or ``frozen`` of the wrong shape, and
        ``frozen`` labels without ``init``.

    See Also
    --------
    find_micro_thresholds : per-label thresholds for the micro objective alone.
    skimb.ThresholdOptimizer : ``strategy="micromacro"`` learns these thresholds
        out-of-fold (``cv_aggregate="mean"`` for the mean of fold thresholds).

    Notes
    -----
    Differences from LibMultiLabel's code, none of which changes its answer
    on distinct scores with one fold assignment for all labels: LibMultiLabel
    draws a new 3-fold split for every label and fits its linear model inside
    that loop, where here the scores (and ``folds``) are given, one
    assignment for all labels; LibMultiLabel also scans cuts inside groups of
    tied scores, which no threshold can realise, where here a tied group
    always falls on one side; and its order of labels with equally many
    positives is the reverse of ``numpy.argsort``'s, where here it is the
    label order.

    References
    ----------
    Y.-J. Lin and C.-J. Lin, "On the thresholding strategy for infrequent labels
    in multi-label classification", CIKM 2023, pp. 1441-1450,
    doi:10.1145/3583780.3614996 (Section 4.3 and Supplementary D).
    LibMultiLabel, ``libmultilabel/linear/linear.py`` (``train_thresholding``
    and ``_micromacro_one_label``), https://github.com/ntumlgroup/LibMultiLabel.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.metrics import f1_score
    >>> from skimb import make_long_tail_multilabel
    >>> from skimb._search import find_micromacro_thresholds
    >>> rng = np.random.default_rng(0)
    >>> _, y = make_long_tail_multilabel(400, 5, 6, random_state=0)
    >>> s = np.clip(0.3 * y + rng.random(y.shape), 0, 1)
    >>> t, score = find_micromacro_thresholds(y, s)
    >>> macro = f1_score(y, s >= t, average="macro", zero_division=0)
    >>> micro = f1_score(y, s >= t, average="micro")
    >>> bool(np.isclose(score, (macro + micro) / 2))
    True
    >>> t_folds, _ = find_micromacro_thresholds(y, s, folds=np.arange(400) % 3)
    >>> t_folds.shape
    (6,)
    """
    obj = _pooled_objective(objective, "micromacro", **params)
    y, s, w, was_1d = _check_search_input(y_true, y_score, sample_weight)
    n, n_labels = y.shape
    if folds is None:
        parts = [np.arange(n)]
    else:
        fold_ids = np.asarray(folds)
        if fold_ids.shape != (n,):
            raise ValueError(f"folds must have shape ({n},); got {fold_ids.shape}.")
        _, fold_ids = np.unique(fold_ids, return_inverse=True)
        parts = [np.flatnonzero(fold_ids.reshape(-1) == f) for f in range(fold_ids.max() + 1)]
    fixed = np.zeros(n_labels, dtype=bool) if frozen is None else np.asarray(frozen, dtype=bool)
    if fixed.shape != (n_labels,):
        raise ValueError(f"frozen must have shape ({n_labels},); got {fixed.shape}.")
    thresholds = np.full(n_labels, np.nan)
    if init is not None:
        thresholds = np.array(np.asarray(init, dtype=np.float64), copy=True)
        if thresholds.shape != (n_labels,):
            raise ValueError(f"init must have shape ({n_labels},); got {thresholds.shape}.")
    elif fixed.any():
        raise ValueError("frozen labels keep their init threshold: pass init as well.")

    positives = y.sum(axis=0) if w is None else (w * y).sum(axis=0)
    totals = np.zeros(4)
    for k, label in enumerate(np.argsort(-positives, kind="stable"), start=1):
        yl, sl = y[:, label], s[:, label]
        wl = None if w is None else w[:, label]
        if fixed[label]:
            totals += np.array(confusion_counts(yl, sl >= thresholds[label], wl), dtype=float)
            continue
        cuts, added = [], np.zeros(4)
        for rows in parts:
            if wl is not None and not wl[rows].any():
                continue  # no row of this label in this fold
            t, counts = _label_cut(
                yl[rows], sl[rows], None if wl is None else wl[rows], totals, k, obj
            )
            cuts.append(t)
            added += counts
        if not cuts:  # every weight is 0: any threshold; predict none
            cuts = [np.nextafter(sl.max(), np.inf)]
        thresholds[label] = np.mean(cuts)
        totals += added

    counts = confusion_counts(y, s >= thresholds, w)
    per_label = obj(*counts)
    micro = obj(*[np.sum(c) for c in counts])
    with np.errstate(invalid="ignore"):
        score = float((np.nanmean(per_label) + micro) / 2)
    if was_1d:
        return float(thresholds[0]), score
    return thresholds, score
