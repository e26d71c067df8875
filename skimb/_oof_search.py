"""Thresholds from out-of-fold scores: the strategies' searches, the rare-label guards.

:func:`find_guarded` picks the thresholds of ``ThresholdOptimizer`` on the
pooled validation scores (the strategy's search from :mod:`skimb._search`,
then the guards: too few positives, constant scores, a low score that
floods, no gain over the estimator's own rule); :func:`best_scores` and
:func:`cv_results` report the objective at the chosen thresholds, pooled
and per split. NumPy side: imports no torch, knows no estimator.
"""

from __future__ import annotations

import warnings

import numpy as np

from ._routing import row_weights
from ._search import (
    find_fold_mean_thresholds,
    find_micro_thresholds,
    find_shared_threshold,
    find_thresholds,
)
from ._search_micromacro import find_micromacro_thresholds
from .objectives import confusion_counts

__all__ = ["best_scores", "cv_results", "find_guarded"]


def _floods(truth, scores, weight, objective, folds, current, fallback):
    """Which labels' ``current`` thresholds lower the mean of macro and micro objective.

    For each label, the ``current`` thresholds of all labels are compared with
    the same thresholds where only that label takes its ``fallback``: the
    label's own objective gain counts ``1 / n_labels`` towards the macro mean,
    and the objective of the counts pooled over all labels (micro) changes by
    the label's added true and false positives. A label "floods" when the
    micro loss outweighs its share of the macro gain, i.e. when switching it to
    the fallback raises ``(macro + micro) / 2`` on the validation data. This is
    the trap the ``min_score`` guard is for: a label the model has not learned
    reaches a small F1 by predicting most rows, and its false positives swamp
    the true positives of every other label. With ``folds``, each fold is
    scored on its own rows and the folds are averaged (``cv_aggregate="mean"``).

    Returns a boolean array of shape (n_labels,), True where falling back is
    better by that measure.
    """
    n_labels = truth.shape[1]

    def gains(rows):
        w = None if weight is None else weight[rows]
        kept = confusion_counts(truth[rows], scores[rows] >= current, w)
        back = confusion_counts(truth[rows], scores[rows] >= fallback, w)
        total = [np.atleast_1d(c.sum()) for c in kept]
        switched = [t - k + b for t, k, b in zip(total, kept, back)]
        own = objective.gain(*kept) - objective.gain(*back)
        micro = objective.gain(*total) - objective.gain(*switched)
        with np.errstate(invalid="ignore"):
            return np.nan_to_num(own / n_labels + micro, nan=0.0, posinf=np.inf, neginf=-np.inf)

    if folds is None:
        return gains(slice(None)) < 0
    return np.mean([gains(folds == f) for f in np.unique(folds)], axis=0) < 0


def _aggregate_objective(truth, predicted, weight, objective, folds, pool_labels=False):
    """Objective of the predictions per label (or of the counts pooled over labels).

    ``folds=None`` scores all rows together; otherwise the mean over folds of
    each fold's objective, leaving out a fold where a label has no row
    (zero weight), as :func:`skimb._search.find_fold_mean_thresholds` does.
    """

    def score(rows):
        w = None if weight is None else weight[rows]
        counts = confusion_counts(truth[rows], predicted[rows], w)
        if pool_labels:
            counts = [np.atleast_1d(c.sum()) for c in counts]
        return objective(*counts)

    if folds is None:
        values = score(slice(None))
        return values[0] if pool_labels else values
    ids = np.unique(folds)
    values, present = [], []
    for f in ids:
        rows = folds == f
        values.append(score(rows))
        w = np.ones_like(predicted[rows], dtype=np.float64) if weight is None else weight[rows]
        present.append(w.sum() > 0 if pool_labels else w.sum(axis=0) > 0)
    values = np.array(values, dtype=np.float64).reshape(len(ids), -1)
    present = np.array(present).reshape(len(ids), -1) & ~np.isnan(values)
    with np.errstate(invalid="ignore"):
        mean = np.where(present, values, 0.0).sum(axis=0) / present.sum(axis=0)
    return mean[0] if pool_labels else mean


def find_guarded(opt, truth, scores, weight, objective, guard, folds=None):
    """Thresholds for the validation scores, with the rare-label guards.

    ``opt`` is the ThresholdOptimizer being fitted: its ``strategy``,
    ``fallback``, ``min_positives``, and (with ``guard``) its resolved
    ``min_score_`` and ``default_thresholds_``. ``folds`` (the fold of each
    row) switches to the mean-over-folds objective (``cv_aggregate="mean"``);
    ``None`` pools the rows. ``guard=False`` skips the guards (each split's
    own thresholds in ``cv_results_``).

    Returns the thresholds, shape ``(n_labels,)``, and ``{label: reason}``
    for the guarded labels (``fallback_labels_``).
    """
    n_labels = truth.shape[1]
    if opt.strategy == "shared":
        if folds is None:
            threshold, _ = find_shared_threshold(
                truth, scores, objective=objective, sample_weight=weight
            )
        else:
            threshold, _ = find_fold_mean_thresholds(
                truth.reshape(-1), scores.reshape(-1), np.repeat(folds, n_labels),
                objective=objective,
                sample_weight=None if weight is None else weight.reshape(-1),
            )
        return np.full(n_labels, threshold), {}
    if folds is None:
        tuned, values = find_thresholds(
            truth, scores, objective=objective, sample_weight=weight
        )
    else:
        tuned, values = find_fold_mean_thresholds(
            truth, scores, folds, objective=objective, sample_weight=weight
        )
    if not guard or opt.fallback is None:
        if opt.strategy == "micro":
            tuned, _ = find_micro_thresholds(
                truth, scores, objective=objective, init=tuned, sample_weight=weight
            )
        elif opt.strategy == "micromacro":
            tuned, _ = find_micromacro_thresholds(
                truth, scores, folds=folds, objective=objective, sample_weight=weight
            )
        return tuned, {}
    if weight is None:  # no (rows, labels) temporaries: see benchmarks/bench_search.py
        positives, high, low = truth.sum(axis=0), scores.max(axis=0), scores.min(axis=0)
    else:
        positives = (truth * weight).sum(axis=0)
        high = np.where(weight > 0, scores, -np.inf).max(axis=0)
        low = np.where(weight > 0, scores, np.inf).min(axis=0)
    reasons = np.full(n_labels, "", dtype=object)
    reasons[positives < opt.min_positives] = "few_positives"
    reasons[(reasons == "") & ~(high > low)] = "constant_scores"
    fallback = {
        "default": opt.default_thresholds_,
        # a label without any usable validation score never fires
        "max_score": np.where(np.isfinite(high), np.nextafter(high, np.inf), np.inf),
        "never": np.full(n_labels, np.inf),
    }[opt.fallback]
    if opt.min_score_ is not None and opt.strategy != "micromacro":  # its micro term
        low = (reasons == "") & ~(values >= opt.min_score_)
        if low.any() and not objective.per_label:
            current = np.where(reasons == "", tuned, fallback)
            low &= _floods(truth, scores, weight, objective, folds, current, fallback)
        reasons[low] = "low_score"
    if opt.strategy == "per_label":
        default = _aggregate_objective(
            truth, scores >= opt.default_thresholds_, weight, objective, folds
        )
        if not objective.greater_is_better:
            values, default = -values, -default
        beats = values > np.where(np.isnan(default), -np.inf, default)
        reasons[(reasons == "") & ~beats] = "no_gain"
    guarded = reasons != ""
    thresholds = np.where(guarded, fallback, tuned)
    # the default is as good as the tuned threshold there: keep it, whatever fallback says
    no_gain = reasons == "no_gain"
    thresholds[no_gain] = opt.default_thresholds_[no_gain]
    if opt.strategy == "micro":
        thresholds, _ = find_micro_thresholds(
            truth, scores, objective=objective, init=thresholds, frozen=guarded,
            sample_weight=weight,
        )
    elif opt.strategy == "micromacro":
        thresholds, _ = find_micromacro_thresholds(
            truth, scores, folds=folds, objective=objective, init=thresholds,
            frozen=guarded, sample_weight=weight,
        )
    return thresholds, {int(i): str(reasons[i]) for i in np.flatnonzero(guarded)}


def best_scores(truth, predicted, weight, objective, folds, strategy):
    """``(best_scores_, best_score_)`` of the 0/1 ``predicted`` out-of-fold labels.

    Each label's objective, aggregated over ``folds`` as ``cv_aggregate``
    says, and the quantity the ``strategy`` maximises: their mean
    (``"per_label"``), the objective of the counts pooled over labels
    (``"shared"``, ``"micro"``), or the mean of both (``"micromacro"``).
    """
    per_label = _aggregate_objective(truth, predicted, weight, objective, folds)
    if strategy == "per_label":
        return per_label, float(np.nanmean(per_label))
    pooled = float(
        _aggregate_objective(truth, predicted, weight, objective, folds, pool_labels=True)
    )
    if strategy == "micromacro":  # (macro + micro) / 2
        pooled = (pooled + float(np.nanmean(per_label))) / 2
    return per_label, pooled


def cv_results(opt, folds, Y, objective, row_weight=None):
    """``cv_results_``: each split's own best thresholds and scores, and their mean and std.

    ``folds`` holds one ``(scores, test, skipped)`` per split; a label skipped
    in a split is NaN there.
    """
    rows = {"thresholds": [], "scores": [], "n_positives": [], "skipped": []}
    for fold in folds:
        scores, test, skipped = fold
        truth = Y[test]
        weight = row_weights(row_weight, [fold], Y.shape[1])
        thresholds, _ = find_guarded(opt, truth, scores, weight, objective, guard=False)
        values = objective(*confusion_counts(truth, scores >= thresholds, weight))
        rows["thresholds"].append(np.where(skipped, np.nan, thresholds))
        rows["scores"].append(np.where(skipped, np.nan, values))
        rows["n_positives"].append(truth.sum(axis=0))
        rows["skipped"].append(skipped)
    results = {key: np.array(value) for key, value in rows.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN labels stay NaN
        for key in ("threshold", "score"):
            values = np.where(np.isfinite(results[f"{key}s"]), results[f"{key}s"], np.nan)
            results[f"mean_{key}"] = np.nanmean(values, axis=0)
            results[f"std_{key}"] = np.nanstd(values, axis=0)
    return results
