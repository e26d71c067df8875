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

__all__ = ["LabelPrecisionRecallDisplay"]


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
                label=f"{name} (AP {self.average_precision[k]:.2f})",
            )
            color = line.get_color()
            r, p = self.operating_points[k]
            (point,) = ax.plot(
                [r], [p], "o", color=color, markeredgecolor="black", markersize=7,
                label=f"{name} at threshold {self.thresholds[k]:.3g}",
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
