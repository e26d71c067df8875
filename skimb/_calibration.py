"""Per-label probability calibration of out-of-fold scores (``ThresholdOptimizer(calibration)``).

scikit-learn's ``CalibratedClassifierCV`` refuses a multi-label ``y``; here
each label gets its own one-dimensional calibration map, fitted on the
out-of-fold scores that :class:`~skimb.ThresholdOptimizer` already holds for
its threshold search (``oof_scores_``):

* ``"sigmoid"``: Platt scaling (Platt 1999), fitted as scikit-learn's
  ``CalibratedClassifierCV(method="sigmoid")`` fits it (:class:`SigmoidCalibration`);
* ``"isotonic"``: ``sklearn.isotonic.IsotonicRegression(out_of_bounds="clip")``,
  its values bounded by Platt's smoothed targets so that no probability is 0
  or 1 (:func:`fit_calibrators`).

Both maps are non-decreasing, so they keep each label's ranking and the
thresholds can be re-expressed on the calibrated scale
(:func:`calibrated_thresholds`, :func:`calibrated_proba`). NumPy/SciPy side:
no torch here.
"""

from __future__ import annotations

from math import log

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, logit
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.isotonic import IsotonicRegression
from sklearn.utils.validation import check_is_fitted, column_or_1d

__all__ = [
    "ConstantCalibration",
    "SigmoidCalibration",
    "calibrated_proba",
    "calibrated_thresholds",
    "fit_calibrators",
]

CALIBRATIONS = ("sigmoid", "isotonic")


def _platt_targets(y, sample_weight):
    """Platt's smoothed targets and the (weighted) class sizes ``(T, prior0, prior1)``.

    A positive's target is ``(N+ + 1) / (N+ + 2)`` and a negative's
    ``1 / (N- + 2)`` instead of 1 and 0 (Platt 1999, end of section 2.2): the
    maximum a posteriori estimate under a uniform prior, which keeps the fit
    from claiming certainty on a finite sample. ``N+`` and ``N-`` are sums of
    ``sample_weight`` when it is given, as in scikit-learn.
    """
    negative = y <= 0
    if sample_weight is None:
        prior0 = float(np.sum(negative))
        prior1 = y.shape[0] - prior0
    else:
        prior0 = float(sample_weight[negative].sum())
        prior1 = float(sample_weight[~negative].sum())
    T = np.where(negative, 1.0 / (prior0 + 2.0), (prior1 + 1.0) / (prior1 + 2.0))
    return T, prior0, prior1


class SigmoidCalibration(RegressorMixin, BaseEstimator):
    """Platt scaling of one label's scores: ``p = 1 / (1 + exp(a_ * s + b_))``.

    The fit reproduces scikit-learn's ``_SigmoidCalibration`` (the calibrator
    of ``CalibratedClassifierCV(method="sigmoid")``): the weighted logistic
    loss against Platt's smoothed targets (a positive counts as
    ``(N+ + 1) / (N+ + 2)``, a negative as ``1 / (N- + 2)``), minimised by
    L-BFGS-B from ``a = 0, b = log((N- + 1) / (N+ + 1))`` with the same
    tolerances, the scores divided by their largest absolute value when it is
    30 or more (and the slope scaled back). Same parametrisation and sign:
    an increasing map has ``a_ < 0``.

    One difference: the map is kept non-decreasing. Where the unconstrained
    fit is decreasing (``a_ > 0``: the scores rank the label backwards on the
    calibration data, where scikit-learn's map would reverse them), the slope
    is set to 0 and ``b_`` to the exact optimum for that slope, a constant
    probability equal to the weighted mean of the targets. A calibrated
    probability then never reorders the rows, and thresholds on the scores
    keep their meaning.

    Attributes
    ----------
    a_ : float
        The slope (``<= 0``).
    b_ : float
        The intercept.

    References
    ----------
    J. Platt, "Probabilistic Outputs for Support Vector Machines and
    Comparisons to Regularized Likelihood Methods", Advances in Large Margin
    Classifiers, 1999.

    Examples
    --------
    >>> import numpy as np
    >>> from skimb._calibration import SigmoidCalibration
    >>> s = np.array([-2.0, -1.0, -0.5, 0.5, 1.0, 2.0])
    >>> cal = SigmoidCalibration().fit(s, [0, 0, 1, 0, 1, 1])
    >>> bool(cal.a_ < 0), cal.predict(s).round(2).tolist()
    (True, [0.22, 0.35, 0.42, 0.58, 0.65, 0.78])
    """

    def fit(self, X, y, sample_weight=None):
        """Fit the slope and intercept on one label's scores.

        Parameters
        ----------
        X : array-like of shape (n_samples,)
            Scores (probabilities or decision values) of one label.
        y : array-like of shape (n_samples,)
            0/1 truth.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Row weights (of the loss and of Platt's class sizes).

        Returns
        -------
        self : SigmoidCalibration
        """
        F = column_or_1d(X).astype(np.float64)
        y = column_or_1d(y)
        w = None if sample_weight is None else column_or_1d(sample_weight).astype(np.float64)
        scale = 1.0
        largest = np.max(np.abs(F))
        if largest >= 30:
            scale = largest
            F = F / scale
        T, prior0, prior1 = _platt_targets(y, w)

        def loss_grad(AB):
            raw = -(AB[0] * F + AB[1])
            loss = np.logaddexp(0.0, raw) - T * raw  # the half binomial loss
            g = expit(raw) - T
            if w is not None:
                loss, g = loss * w, g * w
            return loss.sum(), np.array([-g @ F, -g.sum()])

        AB0 = np.array([0.0, log((prior0 + 1.0) / (prior1 + 1.0))])
        result = minimize(
            loss_grad, AB0, method="L-BFGS-B", jac=True,
            options={"gtol": 1e-6, "ftol": 64 * np.finfo(float).eps},
        )
        a, b = result.x
        if a > 0:  # decreasing: the best non-decreasing map is the constant mean target
            mean = np.average(T, weights=w)
            a, b = 0.0, -float(logit(mean))
        self.a_, self.b_ = float(a) / scale, float(b)
        return self

    def predict(self, T):
        """Calibrated probabilities ``1 / (1 + exp(a_ * T + b_))``.

        Parameters
        ----------
        T : array-like of shape (n_samples,)
            Scores of the label.

        Returns
        -------
        ndarray of shape (n_samples,), float64
        """
        check_is_fitted(self, "a_")
        return expit(-(self.a_ * column_or_1d(T).astype(np.float64) + self.b_))


class ConstantCalibration(RegressorMixin, BaseEstimator):
    """One probability for every row: a label whose calibration data has one class.

    Parameters
    ----------
    value : float
        The probability, in (0, 1).

    Examples
    --------
    >>> from skimb._calibration import ConstantCalibration
    >>> ConstantCalibration(0.25).predict([0.1, 0.9]).tolist()
    [0.25, 0.25]
    """

    def __init__(self, value: float = 0.5):
        self.value = value

    def fit(self, X=None, y=None, sample_weight=None):
        """Nothing to learn; returns self."""
        return self

    def predict(self, T):
        """``value`` for each score, shape ``(n_samples,)``, float64."""
        return np.full(column_or_1d(T).shape[0], float(self.value))


def fit_calibrators(method: str, Y, scores, sample_weight=None) -> list:
    """One fitted calibration map per label, from out-of-fold scores.

    Parameters
    ----------
    method : {"sigmoid", "isotonic"}
    Y : array-like of shape (n_samples, n_labels)
        0/1 truth of the training rows.
    scores : ndarray of shape (n_samples, n_labels)
        Out-of-fold scores (``ThresholdOptimizer.oof_scores_``); NaN marks a
        row without a score for that label (in no validation part, or its
        label skipped in that fold), which is left out.
    sample_weight : array-like of shape (n_samples,) or None, default=None
        Row weights; rows of weight 0 are left out.

    Returns
    -------
    list of n_labels fitted calibrators, each with ``predict(scores) -> proba``
        ``"sigmoid"``: :class:`SigmoidCalibration`. ``"isotonic"``:
        ``IsotonicRegression(out_of_bounds="clip", increasing=True)`` with
        ``y_min = 1 / (N- + 2)`` and ``y_max = (N+ + 1) / (N+ + 2)``, Platt's
        smoothed targets (so a test row in a block of calibration negatives
        gets a small probability, not 0, and the log-loss stays finite; a
        bounded isotonic fit is the unbounded one clipped to the bounds). A
        label whose rows with a score have a single class (or none) cannot be
        calibrated: :class:`ConstantCalibration` at Laplace's rule of
        succession on all training rows, ``(N+ + 1) / (N + 2)`` with weighted
        counts (``1 / (N + 2)`` for a label without positives).

    Raises
    ------
    ValueError
        If ``method`` is not one of ``"sigmoid"``, ``"isotonic"``.
    """
    if method not in CALIBRATIONS:
        raise ValueError(f"calibration={method!r}; use one of {CALIBRATIONS} or None.")
    Y = np.asarray(Y)
    scores = np.asarray(scores, dtype=np.float64)
    w = np.ones(Y.shape[0]) if sample_weight is None else np.asarray(sample_weight, np.float64)
    calibrators = []
    for j in range(Y.shape[1]):
        rows = np.isfinite(scores[:, j]) & (w > 0)
        s, y, wj = scores[rows, j], Y[rows, j], w[rows]
        if y.size == 0 or y.min() == y.max():
            n_pos = float(w @ (Y[:, j] > 0))
            calibrators.append(ConstantCalibration((n_pos + 1.0) / (w.sum() + 2.0)))
            continue
        weight = None if sample_weight is None else wj
        if method == "sigmoid":
            calibrators.append(SigmoidCalibration().fit(s, y, weight))
        else:
            T, _, _ = _platt_targets(y, weight)
            iso = IsotonicRegression(
                out_of_bounds="clip", increasing=True, y_min=T.min(), y_max=T.max()
            )
            calibrators.append(iso.fit(s, y, weight))
    return calibrators


def calibrated_thresholds(calibrators, thresholds) -> np.ndarray:
    """The thresholds on the calibrated scale: each label's map at its threshold.

    An infinite threshold stays infinite (``+inf``: never predicted); a
    finite one maps into ``(0, 1]`` (the smallest positive float where the
    map gives 0), so that a probability can always sit just below it.

    Parameters
    ----------
    calibrators : list of fitted calibrators (from :func:`fit_calibrators`)
    thresholds : ndarray of shape (n_labels,)
        Thresholds on the raw scores (``ThresholdOptimizer.thresholds_``).

    Returns
    -------
    ndarray of shape (n_labels,), float64
    """
    thresholds = np.asarray(thresholds, dtype=np.float64)
    cuts = thresholds.copy()
    for j, (cal, t) in enumerate(zip(calibrators, thresholds)):
        if np.isfinite(t):
            cuts[j] = max(float(cal.predict(np.array([t]))[0]), np.nextafter(0.0, 1.0))
    return cuts


def calibrated_proba(calibrators, scores, thresholds, cuts) -> np.ndarray:
    """Calibrated probabilities that agree with the thresholds on every row.

    Each label's map is applied to its raw scores; then a probability that
    rounding or a flat stretch of the map (an isotonic plateau, a constant
    map) would put on the other side of ``cuts`` than ``scores >= thresholds``
    puts its row is moved to the cut (rows predicted 1) or to the float just
    below it (rows predicted 0). For a monotone map this moves a probability
    by at most a few units in the last place, and makes
    ``calibrated_proba(...) >= cuts`` equal ``scores >= thresholds`` exactly.

    Parameters
    ----------
    calibrators : list of fitted calibrators (from :func:`fit_calibrators`)
    scores : ndarray of shape (n_samples, n_labels)
        Raw scores.
    thresholds : ndarray of shape (n_labels,)
        Thresholds on the raw scores.
    cuts : ndarray of shape (n_labels,)
        :func:`calibrated_thresholds` of ``thresholds``.

    Returns
    -------
    ndarray of shape (n_samples, n_labels), float64
    """
    scores = np.asarray(scores, dtype=np.float64)
    proba = np.empty_like(scores)
    for j, cal in enumerate(calibrators):
        proba[:, j] = cal.predict(scores[:, j])
    fires = scores >= thresholds
    return np.where(fires, np.maximum(proba, cuts), np.minimum(proba, np.nextafter(cuts, -np.inf)))
