"""Plots of per-label thresholds and precision-recall curves (matplotlib, optional).

Displays follow scikit-learn's conventions: build one with
``from_predictions`` or ``from_estimator`` (which plot right away), or with the
constructor and then :meth:`plot`; ``plot(ax=...)`` draws on the given axes and
returns the display, whose ``ax_`` and ``figure_`` are the axes and figure.

matplotlib is an optional dependency: ``pip install "skimb[plot]"``.
NumPy side: this module imports no torch.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from .diagnostics import _check_scores, _names, _scores_and_thresholds
from .objectives import Objective, confusion_counts, make_objective

__all__ = ["LabelPrecisionRecallDisplay", "ThresholdCurveDisplay"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            'skimb.display needs matplotlib: pip install "skimb[plot]" (or matplotlib).'
        ) from None
    return plt


def _axes(ax):
    if ax is None:
        _, ax = _pyplot().subplots()
    return ax


def _select(labels, n_labels, support=None):
    """Label indices to plot: the given ones, else the first 10 (with positives)."""
    if labels is None:
        labels = np.arange(n_labels)
        if support is not None:
            labels = labels[support[labels] > 0]
        return labels[:10]
    labels = np.atleast_1d(np.asarray(labels, dtype=int))
    if labels.size and (labels.min() < -n_labels or labels.max() >= n_labels):
        raise ValueError(f"labels {labels.tolist()} are out of range for {n_labels} labels.")
    return labels % n_labels


class LabelPrecisionRecallDisplay:
    """Precision-recall curves of several labels, each with its operating point.

    The operating point is the (recall, precision) the label gets at its
    threshold: where ``predict`` actually works on the curve. A point at recall
    0 on a label with positives is the "predicts all zeros" failure.

    Parameters
    ----------
    precision, recall : list of ndarray
        One curve per plotted label (as :func:`sklearn.metrics.precision_recall_curve`).
    average_precision : ndarray of shape (n_plotted,)
    operating_points : ndarray of shape (n_plotted, 2)
        (recall, precision) at each label's threshold.
    thresholds : ndarray of shape (n_plotted,)
    label_names : list of str
    prevalence : ndarray of shape (n_plotted,)
        Drawn as the precision of a random ranking (dotted, per label).

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    lines_ : list of Line2D
        The curves.
    points_ : list of Line2D
        The operating points.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skimb.display import LabelPrecisionRecallDisplay
    >>> rng = np.random.RandomState(0)
    >>> Y = (rng.rand(200, 3) < [0.3, 0.1, 0.05]).astype(int)
    >>> P = np.clip(0.4 * Y + 0.6 * rng.rand(200, 3), 0, 1)
    >>> disp = LabelPrecisionRecallDisplay.from_predictions(Y, P, thresholds=0.5)
    >>> len(disp.lines_), len(disp.points_)
    (3, 3)
    """

    def __init__(
        self,
        precision: list,
        recall: list,
        average_precision: ArrayLike,
        operating_points: ArrayLike,
        thresholds: ArrayLike,
        label_names: Sequence[str],
        prevalence: ArrayLike,
    ):
        self.precision = precision
        self.recall = recall
        self.average_precision = np.asarray(average_precision)
        self.operating_points = np.asarray(operating_points)
        self.thresholds = np.asarray(thresholds)
        self.label_names = list(label_names)
        self.prevalence = np.asarray(prevalence)

    def plot(self, ax=None):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Axes to draw on; a new figure when None.

        Returns
        -------
        self : LabelPrecisionRecallDisplay
        """
        ax = _axes(ax)
        self.lines_, self.points_ = [], []
        for k, name in enumerate(self.label_names):
            (line,) = ax.step(
                self.recall[k], self.precision[k], where="post",
                label=f"{name}: AP {self.average_precision[k]:.2f}, "
                f"dot at threshold {self.thresholds[k]:.3g}",
            )
            color = line.get_color()
            r, p = self.operating_points[k]
            (point,) = ax.plot(
                [r], [p], "o", color=color, markeredgecolor="black", markersize=7
            )
            ax.axhline(self.prevalence[k], color=color, linestyle=":", linewidth=0.8)
            self.lines_.append(line)
            self.points_.append(point)
        ax.set(xlabel="recall", ylabel="precision", xlim=(-0.01, 1.01), ylim=(-0.01, 1.01),
               title="precision-recall per label; dots: operating points")
        ax.legend(fontsize="small", loc="upper right")
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_predictions(
        cls,
        y_true: ArrayLike,
        y_score: ArrayLike,
        *,
        thresholds: float | ArrayLike = 0.5,
        labels: Sequence[int] | None = None,
        label_names: Sequence[str] | None = None,
        ax=None,
    ) -> LabelPrecisionRecallDisplay:
        """Plot from truth and scores.

        Parameters
        ----------
        y_true : array-like of shape (n_samples, n_labels)
            0/1 truth.
        y_score : array-like of shape (n_samples, n_labels)
            Scores.
        thresholds : float or array-like of shape (n_labels,), default=0.5
            Each label's threshold, for its operating point.
        labels : sequence of int or None, default=None
            Label indices to plot; None plots the labels with positives (at most 10).
        label_names : sequence of str or None, default=None
        ax : matplotlib Axes or None, default=None

        Returns
        -------
        LabelPrecisionRecallDisplay
        """
        from sklearn.metrics import average_precision_score, precision_recall_curve

        y, s, t = _check_scores(y_true, y_score, thresholds)
        names = _names(label_names, y.shape[1])
        support = y.sum(axis=0)
        chosen = _select(labels, y.shape[1], support)
        empty = [names[j] for j in chosen if support[j] == 0]
        if empty:
            raise ValueError(
                f"labels {empty} have no positives in y_true, so they have no "
                "precision-recall curve; leave them out of labels."
            )
        precision, recall, ap, points = [], [], [], []
        for j in chosen:
            p, r, _ = precision_recall_curve(y[:, j], s[:, j])
            precision.append(p)
            recall.append(r)
            ap.append(average_precision_score(y[:, j], s[:, j]))
            pred = s[:, j] >= t[j]
            tp = (pred & y[:, j]).sum()
            points.append((tp / support[j], tp / pred.sum() if pred.any() else 0.0))
        display = cls(
            precision, recall, ap, points, t[chosen], [names[j] for j in chosen],
            support[chosen] / y.shape[0],
        )
        return display.plot(ax=ax)

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y: ArrayLike,
        *,
        labels: Sequence[int] | None = None,
        label_names: Sequence[str] | None = None,
        ax=None,
    ) -> LabelPrecisionRecallDisplay:
        """Plot from a fitted estimator, at the thresholds it applies.

        The thresholds are ``thresholds_`` of a :class:`~skimb.ThresholdOptimizer`
        (also as the last step of a Pipeline), else the estimator's
        ``threshold`` parameter, else 0.5.

        Parameters
        ----------
        estimator : fitted multi-label estimator with ``predict_proba``
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples, n_labels)
        labels, label_names, ax :
            As in :meth:`from_predictions`.

        Returns
        -------
        LabelPrecisionRecallDisplay
        """
        scores, thresholds = _scores_and_thresholds(estimator, X)
        return cls.from_predictions(
            y, scores, thresholds=thresholds, labels=labels, label_names=label_names, ax=ax
        )


def _objective_curve(y, s, objective: Objective):
    """The objective of ``score >= t`` for every distinct cut of one label.

    Returns ``thresholds`` (a start at 0 or below, the distinct scores ascending,
    and one point above the highest score, at least 1 for probabilities:
    "predict nothing") and the objective
    at each, where the value at ``thresholds[i]`` holds for every ``t`` in
    ``(thresholds[i-1], thresholds[i]]`` (a step plot with ``where="pre"``).
    """
    order = np.argsort(-s, kind="stable")
    s_sorted, y_sorted = s[order], y[order]
    tp = np.cumsum(y_sorted)
    fp = np.cumsum(~y_sorted)
    last = np.r_[s_sorted[1:] != s_sorted[:-1], True]  # last row of each distinct score
    tp, fp, cuts = np.r_[0, tp[last]], np.r_[0, fp[last]], s_sorted[last]
    n_pos = y.sum()
    fn, tn = n_pos - tp, (len(y) - n_pos) - fp
    values = objective(tp[:, None], fp[:, None], fn[:, None], tn[:, None])[:, 0]
    top = cuts[0] + max(1e-3, 1e-3 * abs(cuts[0]))
    if 0 <= cuts[-1] and cuts[0] <= 1:  # probabilities: draw the whole [0, 1] range
        top = max(top, 1.0)
    bottom = min(0.0, cuts[-1] - 1e-3)
    return np.r_[bottom, cuts[::-1], top], np.r_[values[-1], values[1:][::-1], values[0]]


class ThresholdCurveDisplay:
    """The objective against the decision threshold, per label.

    Shows what a per-label threshold buys: each label's objective (F1 by
    default) at every threshold, the chosen threshold (a dot on the curve and
    a dotted line), the default threshold (0.5, a dashed grey line), and, when
    built from a fitted :class:`~skimb.ThresholdOptimizer`, the spread of the
    thresholds the cross-validation folds chose (a shaded band from the lowest
    to the highest, and one tick per fold at that fold's own objective value).

    Parameters
    ----------
    thresholds, values : list of ndarray
        One curve per plotted label: thresholds ascending, and the objective at
        each (a step function; see :meth:`from_predictions`).
    chosen : ndarray of shape (n_plotted,)
        The chosen threshold of each label.
    chosen_values : ndarray of shape (n_plotted,)
        The objective at the chosen threshold.
    default : ndarray of shape (n_plotted,)
        The default threshold of each label.
    label_names : list of str
    objective_name : str
    fold_thresholds, fold_values : ndarray of shape (n_folds, n_plotted) or None
        Each fold's own best threshold and its objective (NaN where a label was
        skipped in a fold).

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    lines_ : list of Line2D
        The curves.
    chosen_ : list of Line2D
        The dots at the chosen thresholds.
    default_lines_ : list of Line2D
        The default threshold line(s): one when every label shares it.
    spreads_ : list of matplotlib patches
        The fold bands, from ``axvspan`` (empty without folds).
    fold_markers_ : list of Line2D
        One per label: the folds' (threshold, objective) ticks (empty without folds).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skimb.display import ThresholdCurveDisplay
    >>> rng = np.random.RandomState(0)
    >>> Y = (rng.rand(300, 2) < [0.3, 0.05]).astype(int)
    >>> P = np.clip(0.3 * Y + 0.5 * rng.rand(300, 2), 0, 1)
    >>> disp = ThresholdCurveDisplay.from_predictions(Y, P, objective="f1")
    >>> bool(disp.chosen[1] < 0.5)  # the rare label's best F1 is below 0.5
    True
    """

    def __init__(
        self,
        thresholds: list,
        values: list,
        chosen: ArrayLike,
        chosen_values: ArrayLike,
        default: ArrayLike,
        label_names: Sequence[str],
        objective_name: str,
        fold_thresholds: ArrayLike | None = None,
        fold_values: ArrayLike | None = None,
    ):
        self.thresholds = thresholds
        self.values = values
        self.chosen = np.asarray(chosen)
        self.chosen_values = np.asarray(chosen_values)
        self.default = np.asarray(default)
        self.label_names = list(label_names)
        self.objective_name = objective_name
        self.fold_thresholds = None if fold_thresholds is None else np.asarray(fold_thresholds)
        self.fold_values = None if fold_values is None else np.asarray(fold_values)

    def plot(self, ax=None):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Axes to draw on; a new figure when None.

        Returns
        -------
        self : ThresholdCurveDisplay
        """
        ax = _axes(ax)
        self.lines_, self.chosen_, self.spreads_, self.fold_markers_ = [], [], [], []
        for k, name in enumerate(self.label_names):
            (line,) = ax.step(
                self.thresholds[k], self.values[k], where="pre",
                label=f"{name}: chosen {self.chosen[k]:.3g}",
            )
            color = line.get_color()
            (dot,) = ax.plot(
                [self.chosen[k]], [self.chosen_values[k]], "o", color=color,
                markeredgecolor="black", markersize=7,
            )
            ax.axvline(self.chosen[k], color=color, linestyle=":", linewidth=1)
            self.lines_.append(line)
            self.chosen_.append(dot)
            if self.fold_thresholds is not None:
                t, v = self.fold_thresholds[:, k], self.fold_values[:, k]
                ok = np.isfinite(t) & np.isfinite(v)
                if ok.any():
                    self.spreads_.append(
                        ax.axvspan(t[ok].min(), t[ok].max(), color=color, alpha=0.15, lw=0)
                    )
                    (ticks,) = ax.plot(t[ok], v[ok], "|", color=color, markersize=12, mew=2)
                    self.fold_markers_.append(ticks)
        finite = self.default[np.isfinite(self.default)]
        defaults = np.unique(finite)
        self.default_lines_ = [
            ax.axvline(d, color="grey", linestyle="--", linewidth=1.2,
                       label=f"default {d:.3g}" if i == 0 else None)
            for i, d in enumerate(defaults)
        ]
        title = f"{self.objective_name} against the threshold; dots: chosen"
        if self.spreads_:
            title += "; bands and ticks: folds"
        ax.set(xlabel="threshold (predict score >= threshold)", ylabel=self.objective_name,
               title=title)
        ax.legend(fontsize="small")
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def _curves(cls, y, s, labels, objective, chosen, default, names, **folds):
        thresholds, values, chosen_values = [], [], []
        for k, j in enumerate(labels):
            obj = objective.select(slice(j, j + 1)) if objective.per_label else objective
            t, v = _objective_curve(y[:, j], s[:, j], obj)
            thresholds.append(t)
            values.append(v)
            counts = confusion_counts(y[:, [j]], s[:, [j]] >= chosen[k])
            chosen_values.append(obj(*counts)[0])
        return cls(thresholds, values, chosen, chosen_values, default,
                   [names[j] for j in labels], objective.name, **folds)

    @classmethod
    def from_predictions(
        cls,
        y_true: ArrayLike,
        y_score: ArrayLike,
        *,
        labels: Sequence[int] | None = None,
        objective="f1",
        thresholds: float | ArrayLike | None = None,
        default_threshold: float | ArrayLike = 0.5,
        label_names: Sequence[str] | None = None,
        ax=None,
        **objective_params,
    ) -> ThresholdCurveDisplay:
        """Plot from truth and scores.

        Parameters
        ----------
        y_true : array-like of shape (n_samples, n_labels)
            0/1 truth.
        y_score : array-like of shape (n_samples, n_labels)
            Scores (probabilities or decision values).
        labels : sequence of int or None, default=None
            Label indices to plot; None: the first 10 labels that have positives.
        objective : str or callable, default="f1"
            As in :class:`~skimb.ThresholdOptimizer` (see :mod:`skimb.objectives`).
        thresholds : float, array-like of shape (n_labels,) or None, default=None
            The chosen thresholds to mark; None: the best ones on these scores
            (:func:`skimb.find_thresholds`, the exact search).
        default_threshold : float or array-like of shape (n_labels,), default=0.5
            The reference threshold drawn as a dashed line.
        label_names : sequence of str or None, default=None
        ax : matplotlib Axes or None, default=None
        **objective_params
            ``beta``, ``min_recall``, ``min_precision``, ``fp_cost``, ``fn_cost``.

        Returns
        -------
        ThresholdCurveDisplay
        """
        from ._search import find_thresholds

        y, s, default = _check_scores(y_true, y_score, default_threshold)
        obj = make_objective(objective, n_labels=y.shape[1], **objective_params)
        if thresholds is None:
            chosen, _ = find_thresholds(y, s, objective=obj)
        else:
            chosen = _check_scores(y, s, thresholds)[2]
        chosen_labels = _select(labels, y.shape[1], y.sum(axis=0))
        display = cls._curves(
            y, s, chosen_labels, obj, chosen[chosen_labels], default[chosen_labels],
            _names(label_names, y.shape[1]),
        )
        return display.plot(ax=ax)

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y: ArrayLike,
        *,
        labels: Sequence[int] | None = None,
        label_names: Sequence[str] | None = None,
        ax=None,
    ) -> ThresholdCurveDisplay:
        """Plot a fitted :class:`~skimb.ThresholdOptimizer` on data, with its folds.

        The curves are the optimizer's objective on the scores of ``X``
        (held-out data shows what the thresholds do on new rows); the dots are
        its ``thresholds_``, the dashed line its ``default_thresholds_``, and
        the bands and ticks each fold's own best threshold and objective
        (``cv_results_``).

        Parameters
        ----------
        estimator : fitted ThresholdOptimizer, or a Pipeline ending in one
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples, n_labels)
            0/1 truth of X.
        labels, label_names, ax :
            As in :meth:`from_predictions`.

        Returns
        -------
        ThresholdCurveDisplay
        """
        final = estimator[-1] if hasattr(estimator, "steps") else estimator
        if not hasattr(final, "cv_results_") or not hasattr(final, "thresholds_"):
            raise ValueError(
                f"from_estimator needs a fitted skimb.ThresholdOptimizer (or a Pipeline "
                f"ending in one); got {type(final).__name__}. For other models use "
                "ThresholdCurveDisplay.from_predictions(y, model.predict_proba(X))."
            )
        scores, chosen = _scores_and_thresholds(estimator, X)
        y, s, default = _check_scores(y, scores, final.default_thresholds_)
        obj = make_objective(
            final.objective, beta=final.beta, min_recall=final.min_recall,
            min_precision=final.min_precision, fp_cost=final.fp_cost, fn_cost=final.fn_cost,
            n_labels=y.shape[1],
        )
        chosen_labels = _select(labels, y.shape[1], y.sum(axis=0))
        results = final.cv_results_
        display = cls._curves(
            y, s, chosen_labels, obj, np.asarray(chosen)[chosen_labels],
            default[chosen_labels], _names(label_names, y.shape[1]),
            fold_thresholds=results["thresholds"][:, chosen_labels],
            fold_values=results["scores"][:, chosen_labels],
        )
        return display.plot(ax=ax)
