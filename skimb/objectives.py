"""Decision objectives computed from confusion counts.

Every objective here is a vectorised function of the four confusion counts
``(tp, fp, fn, tn)``: NumPy arrays of one common shape whose **last axis indexes
the labels** (a leading axis, when there is one, indexes candidate cuts). That is
what lets :func:`skimb.find_thresholds` score every possible cut of every label
in a few array operations.

Conventions for empty denominators (the rare-label cases):

- precision ``tp / (tp + fp)``, recall ``tp / (tp + fn)``, the true and false
  positive rates, F-beta and MCC count as 0 when their denominator is 0, as
  :mod:`sklearn.metrics` does with ``zero_division=0``;
- the floors are the exception: a cut that predicts nothing makes no false
  alarm, so it *meets* any precision floor (with recall 0), the convention of
  :func:`sklearn.metrics.precision_recall_curve`;
- a cut that violates a floor scores ``-inf``.

The parameters ``beta``, ``min_recall``, ``min_precision``, ``fp_cost`` and
``fn_cost`` may be scalars or one value per label (an array broadcast on the
last axis).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "OBJECTIVES",
    "Objective",
    "balanced_accuracy",
    "confusion_counts",
    "cost",
    "evaluate_thresholds",
    "f1",
    "fbeta",
    "make_objective",
    "mcc",
    "precision_at_recall",
    "recall_at_precision",
    "youden",
]


def _as_float(*arrays):
    return tuple(np.asarray(a, dtype=np.float64) for a in arrays)


_TINY = np.finfo(np.float64).tiny


def _ratio(num, den):
    """``num / den`` for a non-negative ``den``, 0 where ``den == 0``.

    Every ratio here has ``num == 0`` whenever ``den == 0`` (a count that sums
    into the denominator is also the numerator), so dividing by
    ``max(den, tiny)`` gives 0 there without a branch or a warning.
    """
    return np.asarray(num, dtype=np.float64) / np.maximum(den, _TINY)


def fbeta(tp: ArrayLike, fp: ArrayLike, fn: ArrayLike, tn: ArrayLike, *, beta=1.0) -> NDArray:
    """F-beta score ``(1 + b^2) tp / ((1 + b^2) tp + b^2 fn + fp)``.

    ``beta > 1`` weighs recall more, ``beta < 1`` precision. 0 when the
    denominator is 0 (no positive and nothing predicted).

    Examples
    --------
    >>> from skimb.objectives import fbeta
    >>> float(fbeta(8, 2, 4, 86, beta=2.0))
    0.6896551724137931
    """
    tp, fp, fn = _as_float(tp, fp, fn)
    b2 = np.asarray(beta, dtype=np.float64) ** 2
    return _ratio((1.0 + b2) * tp, (1.0 + b2) * tp + b2 * fn + fp)


def f1(tp: ArrayLike, fp: ArrayLike, fn: ArrayLike, tn: ArrayLike) -> NDArray:
    """F1 score ``2 tp / (2 tp + fp + fn)`` (0 when there is nothing to find or predict).

    Examples
    --------
    >>> from skimb.objectives import f1
    >>> float(f1(8, 2, 4, 86))
    0.7272727272727273
    """
    tp, fp, fn = _as_float(tp, fp, fn)
    return _ratio(2.0 * tp, 2.0 * tp + fp + fn)


def mcc(tp: ArrayLike, fp: ArrayLike, fn: ArrayLike, tn: ArrayLike) -> NDArray:
    """Matthews correlation coefficient (0 when any margin is empty).

    Examples
    --------
    >>> from skimb.objectives import mcc
    >>> round(float(mcc(8, 2, 4, 86)), 4)
    0.6975
    """
    tp, fp, fn, tn = _as_float(tp, fp, fn, tn)
    den = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return _ratio(tp * tn - fp * fn, den)


def youden(tp: ArrayLike, fp: ArrayLike, fn: ArrayLike, tn: ArrayLike) -> NDArray:
    """Youden's J statistic, true positive rate minus false positive rate.

    Examples
    --------
    >>> from skimb.objectives import youden
    >>> round(float(youden(8, 2, 4, 86)), 4)
    0.6439
    """
    return _ratio(tp, np.add(tp, fn)) - _ratio(fp, np.add(fp, tn))


def balanced_accuracy(tp: ArrayLike, fp: ArrayLike, fn: ArrayLike, tn: ArrayLike) -> NDArray:
    """Mean of the true positive rate and the true negative rate.

    Examples
    --------
    >>> from skimb.objectives import balanced_accuracy
    >>> round(float(balanced_accuracy(8, 2, 4, 86)), 4)
    0.822
    """
    return 0.5 * (_ratio(tp, np.add(tp, fn)) + _ratio(tn, np.add(fp, tn)))


def precision_at_recall(
    tp: ArrayLike, fp: ArrayLike, fn: ArrayLike, tn: ArrayLike, *, min_recall
) -> NDArray:
    """Precision where recall is at least ``min_recall``, ``-inf`` elsewhere.

    Maximising it gives the most precise cut that still finds the required
    share of the positives. A label without positives has no feasible cut.

    Examples
    --------
    >>> from skimb.objectives import precision_at_recall
    >>> precision_at_recall([8, 12], [2, 30], [4, 0], [86, 58], min_recall=0.9).tolist()
    [-inf, 0.2857142857142857]
    """
    recall = _ratio(tp, np.add(tp, fn))
    precision = _ratio(tp, np.add(tp, fp))
    return np.where(recall >= np.asarray(min_recall, dtype=np.float64), precision, -np.inf)


def recall_at_precision(
    tp: ArrayLike, fp: ArrayLike, fn: ArrayLike, tn: ArrayLike, *, min_precision
) -> NDArray:
    """Recall where precision is at least ``min_precision``, ``-inf`` elsewhere.

    A cut that predicts nothing meets every precision floor (no false alarm)
    and has recall 0, so every label has a feasible cut.

    Examples
    --------
    >>> from skimb.objectives import recall_at_precision
    >>> recall_at_precision([8, 12], [2, 30], [4, 0], [86, 58], min_precision=0.75).tolist()
    [0.6666666666666666, -inf]
    """
    tp, fp = _as_float(tp, fp)
    predicted = tp + fp
    precision = np.where(predicted > 0, _ratio(tp, predicted), 1.0)
    recall = _ratio(tp, tp + np.asarray(fn, dtype=np.float64))
    return np.where(precision >= np.asarray(min_precision, dtype=np.float64), recall, -np.inf)


def cost(
    tp: ArrayLike, fp: ArrayLike, fn: ArrayLike, tn: ArrayLike, *, fp_cost=1.0, fn_cost=1.0
) -> NDArray:
    """Mean cost per row, ``(fp_cost * fp + fn_cost * fn) / n``; lower is better.

    Examples
    --------
    >>> from skimb.objectives import cost
    >>> float(cost(8, 2, 4, 86, fp_cost=1.0, fn_cost=10.0))
    0.42
    """
    tp, fp, fn, tn = _as_float(tp, fp, fn, tn)
    fp_cost, fn_cost = _as_float(fp_cost, fn_cost)
    return _ratio(fp_cost * fp + fn_cost * fn, tp + fp + fn + tn)


# name -> (function, names of its parameters, greater_is_better)
_BUILTIN: dict[str, tuple[Callable, tuple[str, ...], bool]] = {
    "f1": (f1, (), True),
    "fbeta": (fbeta, ("beta",), True),
    "mcc": (mcc, (), True),
    "youden": (youden, (), True),
    "balanced_accuracy": (balanced_accuracy, (), True),
    "precision_at_recall": (precision_at_recall, ("min_recall",), True),
    "recall_at_precision": (recall_at_precision, ("min_precision",), True),
    "cost": (cost, ("fp_cost", "fn_cost"), False),
}

#: Names accepted by ``objective=`` (besides a callable).
OBJECTIVES: tuple[str, ...] = tuple(sorted(_BUILTIN))


@dataclass(frozen=True)
class Objective:
    """An objective with its parameters bound, as :func:`make_objective` returns it.

    Calling it on count arrays returns the objective's own values (a cost for
    ``"cost"``); :meth:`gain` returns values where larger is always better, which
    is what the searches maximise.

    Attributes
    ----------
    name : str
        The objective's name (the function's ``__name__`` for a callable).
    func : callable
        ``func(tp, fp, fn, tn, **params)``.
    params : dict
        Bound parameters; a per-label parameter is a 1-D array.
    greater_is_better : bool
        ``False`` for costs.
    monotone : bool
        ``True`` when adding a false positive (at a fixed number of true
        positives) never improves the objective. It holds for every built-in
        objective and lets the search skip cuts whose lowest predicted scores
        are all negatives; a callable is assumed not to have it.
    """

    name: str
    func: Callable[..., Any]
    params: Mapping[str, Any] = field(default_factory=dict)
    greater_is_better: bool = True
    monotone: bool = False

    def __call__(self, tp, fp, fn, tn) -> NDArray:
        values = np.asarray(self.func(tp, fp, fn, tn, **self.params), dtype=np.float64)
        shape = np.broadcast_shapes(np.shape(tp), np.shape(fp), np.shape(fn), np.shape(tn))
        if values.shape != shape:
            raise ValueError(
                f"The objective {self.name!r} returned an array of shape {values.shape} "
                f"for count arrays of shape {shape}. An objective must be elementwise: "
                "one value per entry of (tp, fp, fn, tn)."
            )
        return values

    def gain(self, tp, fp, fn, tn) -> NDArray:
        """Values to maximise: the objective, negated for a cost; NaN becomes ``-inf``."""
        values = self(tp, fp, fn, tn)
        if not self.greater_is_better:
            values = -values
        return np.where(np.isnan(values), -np.inf, values)

    @property
    def per_label(self) -> bool:
        """Whether some parameter holds one value per label."""
        return any(np.ndim(v) > 0 for v in self.params.values())

    def select(self, labels) -> Objective:
        """The same objective restricted to some labels (slices per-label parameters)."""
        params = {k: (v[labels] if np.ndim(v) > 0 else v) for k, v in self.params.items()}
        return Objective(self.name, self.func, params, self.greater_is_better, self.monotone)


def _check_param(name, value, n_labels, *, low, high=None, closed_low=False):
    """Validate a scalar or per-label parameter; return a float or a 1-D float array."""
    if high is None:
        rule = f"{'>=' if closed_low else '>'} {low}"
    else:
        rule = f"in {'[' if closed_low else '('}{low}, {high}]"
    arr = np.asarray(value, dtype=np.float64) if not isinstance(value, Real) else None
    if arr is None:
        arr = np.float64(value)
    if arr.ndim > 1 or (arr.ndim == 1 and n_labels is not None and arr.shape[0] != n_labels):
        raise ValueError(
            f"{name} must be a float or one value per label (shape ({n_labels},)); "
            f"got an array of shape {arr.shape}."
        )
    bad_low = arr < low if closed_low else arr <= low
    bad = bad_low | (arr > high if high is not None else False) | np.isnan(arr)
    if np.any(bad):
        where = "" if arr.ndim == 0 else f" for labels {np.flatnonzero(bad).tolist()}"
        shown = float(arr) if arr.ndim == 0 else arr[bad].tolist()
        raise ValueError(f"{name} must be {rule}; got {shown}{where}.")
    return float(arr) if arr.ndim == 0 else arr


def make_objective(
    objective: str | Callable | Objective = "f1",
    *,
    beta: float = 1.0,
    min_recall: float | ArrayLike | None = None,
    min_precision: float | ArrayLike | None = None,
    fp_cost: float | ArrayLike = 1.0,
    fn_cost: float | ArrayLike = 1.0,
    n_labels: int | None = None,
) -> Objective:
    """Resolve an objective name or callable and bind its parameters.

    Parameters
    ----------
    objective : str, callable or Objective, default="f1"
        One of :data:`OBJECTIVES`, or a callable ``f(tp, fp, fn, tn)`` returning an
        array of the counts' shape where larger is better (negate a loss).
    beta : float, default=1.0
        For ``"fbeta"``.
    min_recall : float, array-like or None, default=None
        Recall floor in (0, 1] for ``"precision_at_recall"`` (required there).
    min_precision : float, array-like or None, default=None
        Precision floor in (0, 1] for ``"recall_at_precision"`` (required there).
    fp_cost, fn_cost : float or array-like, default=1.0
        Cost of a false positive / false negative for ``"cost"`` (>= 0, not both 0).
    n_labels : int or None, default=None
        When given, per-label parameters must have this length.

    Returns
    -------
    Objective
        Parameters not used by the chosen objective are ignored.

    Examples
    --------
    >>> from skimb.objectives import make_objective
    >>> obj = make_objective("recall_at_precision", min_precision=0.9)
    >>> obj.name, obj.greater_is_better
    ('recall_at_precision', True)
    """
    if isinstance(objective, Objective):
        return objective
    if callable(objective):
        return Objective(getattr(objective, "__name__", "objective"), objective)
    if objective not in _BUILTIN:
        raise ValueError(
            f"Unknown objective {objective!r}. Use one of {list(OBJECTIVES)} or a callable "
            "f(tp, fp, fn, tn) returning an array where larger is better."
        )
    func, names, greater = _BUILTIN[objective]
    params: dict[str, Any] = {}
    if "beta" in names:
        params["beta"] = _check_param("beta", beta, n_labels, low=0.0)
    for name, value in (("min_recall", min_recall), ("min_precision", min_precision)):
        if name in names:
            if value is None:
                raise ValueError(
                    f"objective={objective!r} needs {name}: a float in (0, 1] or one value "
                    f"per label, e.g. {name}=0.8."
                )
            params[name] = _check_param(name, value, n_labels, low=0.0, high=1.0)
    if "fp_cost" in names:
        params["fp_cost"] = _check_param("fp_cost", fp_cost, n_labels, low=0.0, closed_low=True)
        params["fn_cost"] = _check_param("fn_cost", fn_cost, n_labels, low=0.0, closed_low=True)
        if np.any(np.asarray(params["fp_cost"]) + np.asarray(params["fn_cost"]) == 0):
            raise ValueError(
                "fp_cost and fn_cost are both 0, so every threshold costs nothing; "
                "give at least one of them a positive cost."
            )
    return Objective(objective, func, params, greater, monotone=True)


def confusion_counts(y_true: ArrayLike, y_pred: ArrayLike, sample_weight=None):
    """Per-label confusion counts of 0/1 indicator matrices.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples, n_labels) or (n_samples,)
        0/1 truth and predictions.
    sample_weight : array-like of shape (n_samples,) or like ``y_true``, default=None
        Weights (a 2-D weight gives each label its own row weights).

    Returns
    -------
    tp, fp, fn, tn : ndarray of shape (n_labels,) (scalars for 1-D input)
        Integer counts, or float sums of weights when weights are given.

    Examples
    --------
    >>> import numpy as np
    >>> from skimb.objectives import confusion_counts
    >>> tp, fp, fn, tn = confusion_counts([[1, 0], [1, 1], [0, 0]], [[1, 1], [0, 1], [0, 0]])
    >>> tp.tolist(), fp.tolist(), fn.tolist(), tn.tolist()
    ([1, 1], [0, 1], [1, 0], [1, 1])
    """
    y_true = np.asarray(y_true).astype(bool)
    y_pred = np.asarray(y_pred).astype(bool)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred have different shapes {y_true.shape} and {y_pred.shape}."
        )
    if sample_weight is None:  # counted on bool arrays: no int64 (n, L) temporaries
        tp = np.count_nonzero(y_true & y_pred, axis=0)
        fp = np.count_nonzero(y_pred, axis=0) - tp
        fn = np.count_nonzero(y_true, axis=0) - tp
        return tp, fp, fn, y_true.shape[0] - tp - fp - fn
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.ndim == 1 and y_true.ndim == 2:
        w = w[:, None]
    tp = (w * (y_true & y_pred)).sum(axis=0)
    fp = (w * (~y_true & y_pred)).sum(axis=0)
    fn = (w * (y_true & ~y_pred)).sum(axis=0)
    tn = (w * (~y_true & ~y_pred)).sum(axis=0)
    return tp, fp, fn, tn


def evaluate_thresholds(
    y_true: ArrayLike,
    y_score: ArrayLike,
    thresholds: ArrayLike,
    objective: str | Callable | Objective = "f1",
    *,
    sample_weight=None,
    **params,
) -> NDArray:
    """Objective of each label when predicting ``y_score >= thresholds``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_labels)
        0/1 truth.
    y_score : array-like of shape (n_samples, n_labels)
        Scores (probabilities or decision values).
    thresholds : float or array-like of shape (n_labels,)
        One threshold per label (a scalar applies to all).
    objective : str, callable or Objective, default="f1"
        See :func:`make_objective`.
    sample_weight : array-like, default=None
        Row weights, 1-D or one column per label.
    **params
        Parameters of the objective (``beta``, ``min_recall``, ...).

    Returns
    -------
    ndarray of shape (n_labels,)
        The objective's own values (a cost for ``"cost"``).

    Raises
    ------
    ValueError
        When a threshold is NaN or not a number, or the thresholds are neither
        a scalar nor one per label.

    Examples
    --------
    >>> from skimb.objectives import evaluate_thresholds
    >>> y = [[1, 0], [0, 1], [1, 1], [0, 0]]
    >>> s = [[0.9, 0.2], [0.4, 0.8], [0.6, 0.3], [0.1, 0.1]]
    >>> evaluate_thresholds(y, s, [0.5, 0.5]).tolist()
    [1.0, 0.6666666666666666]
    """
    y_true = np.asarray(y_true)
    y_score = np.asarray(y_score, dtype=np.float64)
    n_labels = y_true.shape[1] if y_true.ndim == 2 else None
    obj = make_objective(objective, n_labels=n_labels, **params)
    try:
        thresholds = np.asarray(thresholds, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"thresholds must be numbers; got {thresholds!r}.") from None
    if thresholds.ndim > 1 or (thresholds.ndim == 1 and n_labels is not None
                               and thresholds.shape[0] != n_labels):
        raise ValueError(
            f"thresholds has shape {thresholds.shape}; give a scalar or one threshold per "
            f"label ({n_labels})."
        )
    nan = np.flatnonzero(np.isnan(np.atleast_1d(thresholds)))
    if nan.size:
        raise ValueError(
            f"thresholds are NaN for labels {nan[:20].tolist()}; a NaN threshold never "
            "predicts its label. Give a number (inf never predicts, -inf always does)."
        )
    return obj(*confusion_counts(y_true, y_score >= thresholds, sample_weight))
