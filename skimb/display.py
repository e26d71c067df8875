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

from ._plot_layout import layout_axes, pyplot, select_labels
from .diagnostics import _check_scores, _label_names_of, _names, _scores_and_thresholds
from .objectives import Objective, confusion_counts, make_objective

__all__ = ["LabelPrecisionRecallDisplay", "ThresholdCurveDisplay"]

def _legend_outside(ax, handles=None, labels=None):
    """A legend to the right of the axes, where it hides no curve or point."""
    kwargs = {} if handles is None else {"handles": handles, "labels": labels}
    return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
                     fontsize="small", **kwargs)


def _figure_legend(fig, handles, labels):
    """One legend for all panels, below them (outside the panels when the figure
    uses constrained layout, as the figures the Displays make do)."""
    engine = type(fig.get_layout_engine()).__name__
    loc = "outside lower center" if engine == "ConstrainedLayoutEngine" else "lower center"
    return fig.legend(handles, labels, loc=loc, ncols=min(len(labels), 2),
                      fontsize="small", frameon=False)


def _outer_labels(axes, xlabel, ylabel):
    """Axis labels on the panels of the bottom row and the first column."""
    positions = [panel.get_subplotspec() for panel in axes]
    for panel, spec in zip(axes, positions):
        if spec is None:
            continue
        below = [other for other in positions if other is not None
                 and other.colspan.start == spec.colspan.start
                 and other.rowspan.start > spec.rowspan.start]
        if not below:
            panel.set_xlabel(xlabel, fontsize="small")
        if spec.colspan.start == 0:
            panel.set_ylabel(ylabel, fontsize="small")


def _title(axes, grid, title, described):
    full = title if not described else f"{title}\n{described}"
    if grid:
        axes[0].figure.suptitle(full, fontsize="medium")
    else:
        axes[0].set_title(full, fontsize="medium")


class LabelPrecisionRecallDisplay:
    """Precision-recall curves of several labels, each with its operating point.

    The operating point is the (recall, precision) the label gets at its
    threshold: where ``predict`` actually works on the curve. A point at recall
    0 on a label with positives is the "predicts all zeros" failure. The dotted
    line at each label's prevalence is the precision of a random ranking.

    Up to four labels share one Axes, with the legend beside it; more get one
    small panel each (``layout``), and by default at most 16 labels are drawn,
    always including the rarest (``labels="auto"``; the title says which).

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
    described : str or None, default=None
        Which labels are drawn, added to the title (set by ``from_*``).

    Attributes
    ----------
    ax_ : matplotlib Axes
        The Axes of the curves; with one panel per label, the first panel.
    axes_ : list of matplotlib Axes
        ``[ax_]``, or one panel per label.
    figure_ : matplotlib Figure
    lines_ : list of Line2D
        The curves.
    points_ : list of Line2D
        The operating points.
    prevalence_lines_ : list of Line2D
        The prevalence lines.

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
        described: str | None = None,
    ):
        self.precision = precision
        self.recall = recall
        self.average_precision = np.asarray(average_precision)
        self.operating_points = np.asarray(operating_points)
        self.thresholds = np.asarray(thresholds)
        self.label_names = list(label_names)
        self.prevalence = np.asarray(prevalence)
        self.described = described

    def plot(self, ax=None, *, layout: str = "auto"):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, array of Axes or None, default=None
            Where to draw; a new figure when None. With one panel per label,
            one Axes is replaced by the grid of panels, or an array gives one
            Axes per label.
        layout : {"auto", "overlay", "grid"}, default="auto"
            ``"overlay"``: every label on one Axes, legend beside it;
            ``"grid"``: one panel per label; ``"auto"``: overlay up to 4 labels.

        Returns
        -------
        self : LabelPrecisionRecallDisplay

        Raises
        ------
        ValueError
            For an unknown ``layout``, or too few Axes for the panels.
        """
        plt = pyplot()
        axes, grid = layout_axes(ax, len(self.label_names), layout)
        self.lines_, self.points_, self.prevalence_lines_ = [], [], []
        for k, name in enumerate(self.label_names):
            panel = axes[k] if grid else axes[0]
            color = "C0" if grid else f"C{k % 10}"
            label = (f"{name}: AP {self.average_precision[k]:.2f}, "
                     f"dot at threshold {self.thresholds[k]:.3g}")
            (line,) = panel.step(self.recall[k], self.precision[k], where="post",
                                 color=color, label=label)
            r, p = self.operating_points[k]
            (point,) = panel.plot([r], [p], "o", color="C3" if grid else color,
                                  markeredgecolor="black", markersize=6 if grid else 7,
                                  zorder=3)
            self.prevalence_lines_.append(
                panel.axhline(self.prevalence[k], color="grey" if grid else color,
                              linestyle=":", linewidth=1)
            )
            self.lines_.append(line)
            self.points_.append(point)
            panel.set(xlim=(-0.02, 1.02), ylim=(-0.02, 1.02))
            if grid:
                panel.set_title(f"{name}\nAP {self.average_precision[k]:.2f}, "
                                f"t {self.thresholds[k]:.3g}", fontsize="x-small")
        title = "precision-recall per label; dots: operating points at each label's threshold"
        prevalence = plt.Line2D([], [], color="grey", linestyle=":")
        if grid:
            _outer_labels(axes, "recall", "precision")
            point = plt.Line2D([], [], marker="o", color="C3", markeredgecolor="black",
                               linestyle="")
            self.legend_ = _figure_legend(
                axes[0].figure,
                [plt.Line2D([], [], color="C0"), point, prevalence],
                ["precision-recall curve", "operating point at the label's threshold",
                 "prevalence (precision of a random ranking)"],
            )
        else:
            axes[0].set(xlabel="recall", ylabel="precision")
            handles, labels = axes[0].get_legend_handles_labels()
            self.legend_ = _legend_outside(
                axes[0], [*handles, prevalence],
                [*labels, "dotted: prevalence (random ranking)"],
            )
        _title(axes, grid, title, self.described)
        self.axes_, self.ax_, self.figure_ = axes, axes[0], axes[0].figure
        return self

    @classmethod
    def from_predictions(
        cls,
        y_true: ArrayLike,
        y_score: ArrayLike,
        *,
        thresholds: float | ArrayLike = 0.5,
        labels: str | Sequence[int] = "auto",
        label_names: Sequence[str] | None = None,
        ax=None,
        layout: str = "auto",
    ) -> LabelPrecisionRecallDisplay:
        """Plot from truth and scores.

        Parameters
        ----------
        y_true : array-like of shape (n_samples, n_labels)
            0/1 truth; a pandas DataFrame's columns name the labels.
        y_score : array-like of shape (n_samples, n_labels)
            Scores.
        thresholds : float or array-like of shape (n_labels,), default=0.5
            Each label's threshold, for its operating point.
        labels : "auto", "all" or sequence of int, default="auto"
            Which labels to draw. ``"auto"``: every label with positives when
            there are at most 16, otherwise 16 chosen by their number of
            positives (the 8 rarest, the 4 most frequent and 4 in between;
            the title says so); ``"all"``: every label with positives; or
            label indices.
        label_names : sequence of str or None, default=None
            None: the columns of a DataFrame ``y_true``, else ``label0, ...``.
        ax : matplotlib Axes, array of Axes or None, default=None
        layout : {"auto", "overlay", "grid"}, default="auto"
            As in :meth:`plot`.

        Returns
        -------
        LabelPrecisionRecallDisplay

        Raises
        ------
        ValueError
            When a label asked for has no positives (it has no curve), or as
            in :meth:`plot`.
        """
        from sklearn.metrics import average_precision_score, precision_recall_curve

        y, s, t = _check_scores(y_true, y_score, thresholds)
        names = _names(_label_names_of(y_true, label_names), y.shape[1])
        support = y.sum(axis=0)
        chosen, described = select_labels(labels, y.shape[1], support)
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
            support[chosen] / y.shape[0], described,
        )
        return display.plot(ax=ax, layout=layout)

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y: ArrayLike,
        *,
        labels: str | Sequence[int] = "auto",
        label_names: Sequence[str] | None = None,
        ax=None,
        layout: str = "auto",
    ) -> LabelPrecisionRecallDisplay:
        """Plot from a fitted estimator, at the thresholds it applies.

        The thresholds are ``thresholds_`` of a :class:`~skimb.ThresholdOptimizer`
        (also as the last step of a Pipeline), else the estimator's
        ``threshold`` parameter, else 0.5. The label names are, in this order,
        ``label_names``, the columns of a DataFrame ``y``, and the
        ``label_names_`` the estimator kept from a DataFrame at fit.

        Parameters
        ----------
        estimator : fitted multi-label estimator with ``predict_proba``
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples, n_labels)
        labels, label_names, ax, layout :
            As in :meth:`from_predictions`.

        Returns
        -------
        LabelPrecisionRecallDisplay
        """
        scores, thresholds = _scores_and_thresholds(estimator, X)
        return cls.from_predictions(
            y, scores, thresholds=thresholds, labels=labels,
            label_names=_label_names_of(y, label_names, estimator), ax=ax, layout=layout,
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

    Up to four labels share one Axes (each fold band then spans only a strip
    around its label's chosen value, so bands of different labels do not pile
    up), with the legend beside it; more labels get one small panel each
    (``layout``), and by default at most 16 labels are drawn, always including
    the rarest (``labels="auto"``; the title says which).

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
    described : str or None, default=None
        Which labels are drawn, added to the title (set by ``from_*``).

    Attributes
    ----------
    ax_ : matplotlib Axes
        The Axes of the curves; with one panel per label, the first panel.
    axes_ : list of matplotlib Axes
        ``[ax_]``, or one panel per label.
    figure_ : matplotlib Figure
    lines_ : list of Line2D
        The curves.
    chosen_ : list of Line2D
        The dots at the chosen thresholds.
    default_lines_ : list of Line2D
        The default threshold line(s): on one Axes, one per distinct default;
        with panels, one per panel.
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
        described: str | None = None,
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
        self.described = described

    def plot(self, ax=None, *, layout: str = "auto"):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, array of Axes or None, default=None
            Where to draw; a new figure when None. With one panel per label,
            one Axes is replaced by the grid of panels, or an array gives one
            Axes per label.
        layout : {"auto", "overlay", "grid"}, default="auto"
            ``"overlay"``: every label on one Axes, legend beside it;
            ``"grid"``: one panel per label; ``"auto"``: overlay up to 4 labels.

        Returns
        -------
        self : ThresholdCurveDisplay

        Raises
        ------
        ValueError
            For an unknown ``layout``, or too few Axes for the panels.
        """
        plt = pyplot()
        axes, grid = layout_axes(ax, len(self.label_names), layout)
        self.lines_, self.chosen_, self.spreads_, self.fold_markers_ = [], [], [], []
        bands = []
        for k, name in enumerate(self.label_names):
            panel = axes[k] if grid else axes[0]
            color = "C0" if grid else f"C{k % 10}"
            (line,) = panel.step(self.thresholds[k], self.values[k], where="pre",
                                 color=color, label=f"{name}: chosen {self.chosen[k]:.3g}")
            mark = "C3" if grid else color
            (dot,) = panel.plot([self.chosen[k]], [self.chosen_values[k]], "o", color=mark,
                                markeredgecolor="black", markersize=6 if grid else 7,
                                zorder=3)
            panel.axvline(self.chosen[k], color=mark, linestyle=":", linewidth=1)
            self.lines_.append(line)
            self.chosen_.append(dot)
            if self.fold_thresholds is not None:
                t, v = self.fold_thresholds[:, k], self.fold_values[:, k]
                ok = np.isfinite(t) & np.isfinite(v)
                if ok.any():
                    (ticks,) = panel.plot(t[ok], v[ok], "|", color=mark, markersize=10, mew=1.5)
                    self.fold_markers_.append(ticks)
                    bands.append((panel, t[ok].min(), t[ok].max(), color,
                                  self.chosen_values[k]))
            if grid:
                panel.set_title(f"{name}\nchosen {self.chosen[k]:.3g}, "
                                f"{self.objective_name} {self.chosen_values[k]:.2f}",
                                fontsize="x-small")
        for panel, low, high, color, value in bands:
            # bands last, once the y range is known: on one Axes each covers a strip
            # around its label's chosen value instead of the full height
            if grid:
                span = panel.axvspan(low, high, color=color, alpha=0.2, lw=0)
            else:
                panel.set_ylim(panel.get_ylim())
                y0, y1 = panel.get_ylim()
                middle = (value - y0) / (y1 - y0)
                span = panel.axvspan(low, high, ymin=max(middle - 0.03, 0),
                                     ymax=min(middle + 0.03, 1), color=color, alpha=0.3, lw=0)
            self.spreads_.append(span)
        if grid:
            self.default_lines_ = [
                panel.axvline(d, color="grey", linestyle="--", linewidth=1)
                for panel, d in zip(axes, self.default)
                if np.isfinite(d)
            ]
        else:
            defaults = np.unique(self.default[np.isfinite(self.default)])
            self.default_lines_ = [
                axes[0].axvline(d, color="grey", linestyle="--", linewidth=1.2,
                                label=f"default {d:.3g}" if i == 0 else None)
                for i, d in enumerate(defaults)
            ]
        title = f"{self.objective_name} against the threshold; dots: chosen"
        if self.spreads_:
            title += "; bands and ticks: folds"
        folds = plt.Rectangle((0, 0), 1, 1, color="grey", alpha=0.3)
        if grid:
            fig = axes[0].figure
            _outer_labels(axes, "threshold", self.objective_name)
            handles = [plt.Line2D([], [], color="C0"),
                       plt.Line2D([], [], marker="o", color="C3", markeredgecolor="black",
                                  linestyle=":"),
                       plt.Line2D([], [], color="grey", linestyle="--")]
            labels = [self.objective_name, "chosen threshold", "default threshold"]
            if self.spreads_:
                handles.append(folds)
                labels.append("folds' thresholds (band: lowest to highest; ticks: each fold)")
            self.legend_ = _figure_legend(fig, handles, labels)
        else:
            axes[0].set(xlabel="threshold (predict score >= threshold)",
                        ylabel=self.objective_name)
            handles, labels = axes[0].get_legend_handles_labels()
            if self.spreads_:
                handles.append(folds)
                labels.append("band and ticks: the folds' thresholds")
            self.legend_ = _legend_outside(axes[0], handles, labels)
        _title(axes, grid, title, self.described)
        self.axes_, self.ax_, self.figure_ = axes, axes[0], axes[0].figure
        return self

    @classmethod
    def _curves(cls, y, s, labels, objective, chosen, default, names, described, **folds):
        thresholds, values, chosen_values = [], [], []
        for k, j in enumerate(labels):
            obj = objective.select(slice(j, j + 1)) if objective.per_label else objective
            t, v = _objective_curve(y[:, j], s[:, j], obj)
            thresholds.append(t)
            values.append(v)
            counts = confusion_counts(y[:, [j]], s[:, [j]] >= chosen[k])
            chosen_values.append(obj(*counts)[0])
        return cls(thresholds, values, chosen, chosen_values, default,
                   [names[j] for j in labels], objective.name, described=described, **folds)

    @classmethod
    def from_predictions(
        cls,
        y_true: ArrayLike,
        y_score: ArrayLike,
        *,
        labels: str | Sequence[int] = "auto",
        objective="f1",
        thresholds: float | ArrayLike | None = None,
        default_threshold: float | ArrayLike = 0.5,
        label_names: Sequence[str] | None = None,
        ax=None,
        layout: str = "auto",
        **objective_params,
    ) -> ThresholdCurveDisplay:
        """Plot from truth and scores.

        Parameters
        ----------
        y_true : array-like of shape (n_samples, n_labels)
            0/1 truth; a pandas DataFrame's columns name the labels.
        y_score : array-like of shape (n_samples, n_labels)
            Scores (probabilities or decision values).
        labels : "auto", "all" or sequence of int, default="auto"
            Which labels to draw. ``"auto"``: every label with positives when
            there are at most 16, otherwise 16 chosen by their number of
            positives (the 8 rarest, the 4 most frequent and 4 in between;
            the title says so); ``"all"``: every label with positives; or
            label indices.
        objective : str or callable, default="f1"
            As in :class:`~skimb.ThresholdOptimizer` (see :mod:`skimb.objectives`).
        thresholds : float, array-like of shape (n_labels,) or None, default=None
            The chosen thresholds to mark; None: the best ones on these scores
            (:func:`skimb.find_thresholds`, the exact search).
        default_threshold : float or array-like of shape (n_labels,), default=0.5
            The reference threshold drawn as a dashed line.
        label_names : sequence of str or None, default=None
            None: the columns of a DataFrame ``y_true``, else ``label0, ...``.
        ax : matplotlib Axes, array of Axes or None, default=None
        layout : {"auto", "overlay", "grid"}, default="auto"
            As in :meth:`plot`.
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
        chosen_labels, described = select_labels(labels, y.shape[1], y.sum(axis=0))
        display = cls._curves(
            y, s, chosen_labels, obj, chosen[chosen_labels], default[chosen_labels],
            _names(_label_names_of(y_true, label_names), y.shape[1]), described,
        )
        return display.plot(ax=ax, layout=layout)

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y: ArrayLike,
        *,
        labels: str | Sequence[int] = "auto",
        label_names: Sequence[str] | None = None,
        ax=None,
        layout: str = "auto",
    ) -> ThresholdCurveDisplay:
        """Plot a fitted :class:`~skimb.ThresholdOptimizer` on data, with its folds.

        The curves are the optimizer's objective on the scores of ``X``
        (held-out data shows what the thresholds do on new rows); the dots are
        its ``thresholds_``, the dashed line its ``default_thresholds_``, and
        the bands and ticks each fold's own best threshold and objective
        (``cv_results_``). The label names are, in this order,
        ``label_names``, the columns of a DataFrame ``y``, and the optimizer's
        ``label_names_``.

        Parameters
        ----------
        estimator : fitted ThresholdOptimizer, or a Pipeline ending in one
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples, n_labels)
            0/1 truth of X.
        labels, label_names, ax, layout :
            As in :meth:`from_predictions`.

        Returns
        -------
        ThresholdCurveDisplay

        Raises
        ------
        ValueError
            When ``estimator`` is not a fitted ThresholdOptimizer (or a
            Pipeline ending in one).
        """
        final = estimator[-1] if hasattr(estimator, "steps") else estimator
        if not hasattr(final, "cv_results_") or not hasattr(final, "thresholds_"):
            raise ValueError(
                f"from_estimator needs a fitted skimb.ThresholdOptimizer (or a Pipeline "
                f"ending in one); got {type(final).__name__}. For other models use "
                "ThresholdCurveDisplay.from_predictions(y, model.predict_proba(X))."
            )
        scores, chosen = _scores_and_thresholds(estimator, X)
        names = _label_names_of(y, label_names, estimator)
        y, s, default = _check_scores(y, scores, final.default_thresholds_)
        obj = make_objective(
            final.objective, beta=final.beta, min_recall=final.min_recall,
            min_precision=final.min_precision, fp_cost=final.fp_cost, fn_cost=final.fn_cost,
            n_labels=y.shape[1],
        )
        chosen_labels, described = select_labels(labels, y.shape[1], y.sum(axis=0))
        results = final.cv_results_
        display = cls._curves(
            y, s, chosen_labels, obj, np.asarray(chosen)[chosen_labels],
            default[chosen_labels], _names(names, y.shape[1]), described,
            fold_thresholds=results["thresholds"][:, chosen_labels],
            fold_values=results["scores"][:, chosen_labels],
        )
        return display.plot(ax=ax, layout=layout)
