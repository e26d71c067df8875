"""Per-label decision thresholds learned out-of-fold for any multi-label classifier."""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from joblib import Parallel, delayed
from joblib.parallel import get_active_backend
from scipy import sparse
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    _fit_context,
    clone,
)
from sklearn.model_selection import check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import HasMethods, Interval, RealNotInt, StrOptions
from sklearn.utils._tags import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _num_samples, check_is_fitted, validate_data

from ._calibration import CALIBRATIONS, calibrated_proba, calibrated_thresholds, fit_calibrators
from ._routing import metadata_router, route_fit, row_weights
from ._search import (
    find_fold_mean_thresholds,
    find_micro_thresholds,
    find_shared_threshold,
    find_thresholds,
)
from ._search_micromacro import find_micromacro_thresholds
from ._validation import check_finite_scores
from .diagnostics import _names
from .model_selection import (
    MultilabelStratifiedGroupKFold,
    MultilabelStratifiedKFold,
    MultilabelStratifiedShuffleSplit,
    check_multilabel_y,
)
from .objectives import OBJECTIVES, confusion_counts, make_objective

__all__ = ["ThresholdOptimizer"]

FALLBACKS = ("default", "max_score", "never")


def _estimator_has(attr):
    """Check the fitted estimator when there is one, else the unfitted one."""

    def check(self):
        if hasattr(self, "estimator_"):
            return hasattr(self.estimator_, attr)
        return hasattr(self.estimator, attr)

    return check


def _response_method(estimator, response_method):
    if response_method == "auto":
        for method in ("predict_proba", "decision_function"):
            if hasattr(estimator, method):
                return method
        raise ValueError(
            f"{type(estimator).__name__} has neither predict_proba nor decision_function, "
            "so there are no scores to threshold. Wrap a classifier that has one of them."
        )
    if not hasattr(estimator, response_method):
        raise ValueError(
            f"response_method={response_method!r}, but {type(estimator).__name__} has no "
            f"{response_method}. Use response_method='auto'."
        )
    return response_method


def _label_scores(estimator, X, method, n_labels):
    """Scores of class 1 per label, as an ``(n_samples, n_labels)`` float array.

    Handles the list of per-label ``(n, n_classes)`` arrays returned by
    multi-output estimators (``MultiOutputClassifier``, random forests, k-NN),
    where a label seen with one class only has a single column.
    """
    out = getattr(estimator, method)(X)
    if isinstance(out, list):
        classes = getattr(estimator, "classes_", None)
        columns = []
        for i, proba in enumerate(out):
            proba = np.asarray(proba, dtype=np.float64)
            if proba.ndim == 1:
                columns.append(proba)
                continue
            label_classes = np.asarray(classes[i]) if classes is not None else None
            if label_classes is not None and label_classes.size == proba.shape[1]:
                hit = np.flatnonzero(label_classes == 1)
                columns.append(proba[:, hit[0]] if hit.size else np.zeros(proba.shape[0]))
            else:
                columns.append(proba[:, -1])
        out = np.column_stack(columns)
    else:
        out = np.asarray(out, dtype=np.float64)
        if out.ndim == 1:
            out = out.reshape(-1, 1)
        elif n_labels == 1 and out.shape[1] == 2 and method == "predict_proba":
            out = out[:, 1:]  # a single label fitted as a binary problem
    if out.shape[1] != n_labels:
        raise ValueError(
            f"{type(estimator).__name__}.{method} returned {out.shape[1]} columns for "
            f"{n_labels} labels; ThresholdOptimizer needs one score per label. Wrap a "
            "single-label classifier in OneVsRestClassifier or MultiOutputClassifier."
        )
    return out


def _default_thresholds(estimator, method, n_labels):
    """The wrapped estimator's own decision rule per label, as ``score >= threshold``.

    An estimator with a numeric ``threshold`` parameter (skimb's classifier)
    predicts ``probability >= threshold``: that value. Any other estimator
    predicts class 1 when its decision value is above 0 or its probability is
    above 0.5, a tie going to class 0 (``OneVsRestClassifier``, ``argmax`` over
    ``[p0, p1]`` in ``MultiOutputClassifier`` and k-NN): the next float64 above
    0 or 0.5, so that ``score >= threshold`` gives the estimator's own
    decisions on every row, ties and constant (single-class) labels included.
    """
    final = estimator[-1] if isinstance(estimator, Pipeline) else estimator
    threshold = None
    if hasattr(final, "get_params"):
        threshold = final.get_params(deep=False).get("threshold")
    if threshold is not None and not isinstance(threshold, str):
        arr = np.asarray(threshold, dtype=np.float64)
        if arr.ndim == 0 or arr.shape == (n_labels,):
            arr = np.array(np.broadcast_to(arr, (n_labels,)))
            if method == "decision_function":  # probability >= t  <=>  logit >= logit(t)
                with np.errstate(divide="ignore"):
                    arr = np.log(arr) - np.log1p(-arr)
            return arr
    cut = 0.0 if method == "decision_function" else 0.5
    return np.full(n_labels, np.nextafter(cut, np.inf))


def _clone_unchecked(estimator):
    """A clone with skimb's post-fit collapse check switched off, where it has one.

    The check (``check_collapse`` of ``MultiLabelImbalancedClassifier``, also
    inside a Pipeline) warns about labels never predicted at the classifier's
    own fixed threshold, the very threshold this optimizer replaces: in the
    folds and the refit it would only repeat a warning the tuned thresholds
    answer.
    """
    estimator = clone(estimator)
    off = {
        name: False
        for name in estimator.get_params()
        if name == "check_collapse" or name.endswith("__check_collapse")
    }
    return estimator.set_params(**off) if off else estimator


def _progress(total, verbose):
    """A tqdm bar over the folds and the refit when ``verbose >= 1``, else None."""
    if verbose < 1:
        return None
    from ._progress import progress_bar  # tqdm on a terminal, one line in a log file

    return progress_bar(total, "ThresholdOptimizer", "fit")


def _fold_params(params, rows, n_samples):
    """Index the fit parameters that hold one value per row."""
    out = {}
    for key, value in params.items():
        if hasattr(value, "__len__") and not isinstance(value, str):
            if _num_samples(value) == n_samples:
                value = _safe_indexing(value, rows)
        out[key] = value
    return out


def _fit_fold(estimator, X, Y, train, test, method, params, keep_estimator):
    """Fit on one training part; return validation scores and the labels skipped.

    A label with a single class in the training part cannot be learned there:
    its validation scores are left out of the search (``skipped``). When the
    estimator refuses such a label outright (sklearn's LogisticRegression needs
    two classes), it is refitted on the other labels.
    """
    n_samples, n_labels = Y.shape
    Y_train = Y[train]
    skipped = Y_train.min(axis=0) == Y_train.max(axis=0)
    X_train, X_test = _safe_indexing(X, train), _safe_indexing(X, test)
    params = _fold_params(params, train, n_samples)
    scores = np.zeros((len(test), n_labels))
    try:
        estimator.fit(X_train, Y_train, **params)
        scores[:] = _label_scores(estimator, X_test, method, n_labels)
    except ValueError:
        if not skipped.any() or skipped.all():
            raise
        kept = ~skipped
        estimator.fit(X_train, Y_train[:, kept], **params)
        scores[:, kept] = _label_scores(estimator, X_test, method, int(kept.sum()))
    return scores, skipped, estimator if keep_estimator else None


class FoldEnsemble:
    """The mean of fitted fold models' scores (``ThresholdOptimizer(refit="ensemble")``).

    Cross-validation bagging: each fold model was fitted on all rows but one
    fold, and the thresholds were learned on exactly these models' held-out
    scores.

    Parameters
    ----------
    estimators : list of fitted estimators
    method : {"predict_proba", "decision_function"}
        The scores the thresholds were learned on.
    n_labels : int
    """

    def __init__(self, estimators, method: str, n_labels: int):
        self.estimators = estimators
        self.method = method
        self.n_labels = n_labels

    def _mean(self, X, method):
        return np.mean([_label_scores(e, X, method, self.n_labels) for e in self.estimators],
                       axis=0)

    def check(self, X):
        """Raise a ValueError unless every fold model scores every label (on rows ``X``)."""
        try:
            self._mean(X, self.method)
        except ValueError as exc:
            raise ValueError(
                "refit='ensemble' needs every fold model to score every label, but one "
                f"cannot ({exc}) — typically a label with a single class in a training "
                "fold that the estimator refuses. Use refit=True, or fewer folds."
            ) from None

    @available_if(lambda self: hasattr(self.estimators[0], "predict_proba"))
    def predict_proba(self, X):
        """Mean of the fold models' probabilities, shape ``(n_samples, n_labels)``."""
        return self._mean(X, "predict_proba")

    @available_if(lambda self: hasattr(self.estimators[0], "decision_function"))
    def decision_function(self, X):
        """Mean of the fold models' decision values, shape ``(n_samples, n_labels)``."""
        return self._mean(X, "decision_function")


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


class ThresholdOptimizer(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Learn one decision threshold per label, out-of-fold, for any multi-label classifier.

    A fixed threshold of 0.5 is rarely right for imbalanced labels: a rare
    label's probabilities sit far below it and the label is never predicted.
    This meta-estimator fits a clone of ``estimator`` on each training fold,
    collects the scores of every validation row, and searches each label's
    best threshold on the pooled out-of-fold scores with an exact search
    (every distinct score is a candidate, see :func:`skimb.find_thresholds`).
    Labels with too little evidence keep a safe fallback instead of an
    over-fitted threshold. With ``refit=True`` the estimator is then fitted on
    all the data, and :meth:`predict` applies the thresholds to its scores.

    Parameters
    ----------
    estimator : estimator object
        A multi-label classifier with ``fit`` and ``predict_proba`` or
        ``decision_function``: skimb's ``MultiLabelImbalancedClassifier``,
        ``MLPClassifier``, ``KNeighborsClassifier``, ``RandomForestClassifier``,
        ``OneVsRestClassifier(...)``, ``MultiOutputClassifier(...)``, a Pipeline...
    objective : str or callable, default="f1"
        What each threshold maximises: ``"f1"``, ``"fbeta"``, ``"mcc"``,
        ``"youden"``, ``"balanced_accuracy"``, ``"precision_at_recall"``,
        ``"recall_at_precision"``, ``"cost"`` (minimised), or a callable
        ``f(tp, fp, fn, tn)`` on count arrays (see :mod:`skimb.objectives`).
    beta : float, default=1.0
        Beta of ``"fbeta"``.
    min_recall : float, array-like of shape (n_labels,) or None, default=None
        Recall floor in (0, 1] of ``"precision_at_recall"``.
    min_precision : float, array-like of shape (n_labels,) or None, default=None
        Precision floor in (0, 1] of ``"recall_at_precision"``.
    fp_cost, fn_cost : float or array-like of shape (n_labels,), default=1.0
        Costs of a false positive and a false negative for ``"cost"``.
    strategy : {"per_label", "shared", "micro", "micromacro"}, default="per_label"
        ``"per_label"``: one threshold per label, each maximising that label's
        objective (so the macro average). ``"shared"``: one threshold for all
        labels, maximising the objective of the pooled counts. ``"micro"``: one
        threshold per label maximising the objective of the pooled counts
        (micro-F1 for ``"f1"``) by exact coordinate ascent. ``"micromacro"``:
        Lin & Lin's (2023) rule for macro + micro, labels tuned in decreasing
        frequency (:func:`skimb._search.find_micromacro_thresholds`); its micro
        term replaces the ``min_score`` guard. The last three need scalar
        objective parameters.
    cv_aggregate : {"pooled", "mean"}, default="pooled"
        How the validation folds are combined to score a candidate threshold.
        ``"pooled"``: the objective of the counts of all out-of-fold rows
        together. ``"mean"``: the mean over folds of each fold's objective,
        every cut of the pooled scores being scored exactly on each fold's
        rows (the aggregation of scikit-learn's ``TunedThresholdClassifierCV``,
        without its grid; see :func:`skimb._search.find_fold_mean_thresholds`).
        With a single validation split (float ``cv``, ``"prefit"``) both are
        the same. ``"mean"`` needs ``strategy="per_label"``, ``"shared"`` or
        ``"micromacro"``; for the last it is LibMultiLabel's rule instead:
        each fold's own cut, the fold thresholds averaged.
        On yeast, enron and bibtex the two chose nearly the same thresholds and
        the test F1 differed by less than the fold-to-fold noise
        (``docs/thresholds.md``), hence the simpler default.
    cv : int, float, cross-validation splitter, iterable or "prefit", default=5
        An int is the number of folds of :class:`~skimb.model_selection.MultilabelStratifiedKFold`
        (shuffled with ``random_state``; with ``groups`` passed to :meth:`fit`,
        of :class:`~skimb.model_selection.MultilabelStratifiedGroupKFold`); a
        float in (0, 1) is the validation share of one
        :class:`~skimb.model_selection.MultilabelStratifiedShuffleSplit`;
        a splitter or an iterable of (train, test) gives the splits;
        ``"prefit"`` takes ``estimator`` as already fitted and uses the data
        passed to :meth:`fit` as validation data.
    refit : bool or "ensemble", default=True
        Fit the estimator on all the data after the threshold search. With
        ``False`` the model fitted on the training part of the (single) split is
        kept, which needs a float ``cv`` or a one-split splitter. With
        ``"ensemble"`` no model is refitted: :meth:`predict` and the score
        methods use the mean of the fold models' scores (cross-validation
        bagging), so the thresholds apply to models of the kind they were
        learned on (``estimators_`` holds the fold models). Ignored with
        ``cv="prefit"``.
    min_positives : int, default=5
        Labels with fewer out-of-fold positives than this take the ``fallback``
        threshold.
    min_score : "auto", float or None, default="auto"
        Labels whose best out-of-fold objective is below this (the trigger of
        Fan & Lin's SCutFBR) take the ``fallback`` when their tuned threshold
        floods: when, on the out-of-fold data, it costs the objective of the
        counts pooled over all labels (micro) more than it adds to the mean
        over labels (macro), i.e. when the fallback gives the higher
        ``(macro + micro) / 2``. It catches labels the model has not learned:
        with uninformative scores the F-measure is maximised by predicting
        (nearly) every row positive, which floods the predictions with false
        positives; a low-scoring label whose tuned threshold fires on few rows
        keeps it. ``"auto"`` is 0.1 for ``"f1"`` and ``"fbeta"`` and no such
        guard for the other objectives; a float applies to any objective where
        larger is better (objectives with per-label floors or costs, which
        cannot be pooled, use the bare floor); ``None`` disables it.
    fallback : {"default", "max_score", "never"} or None, default="default"
        Threshold of a guarded label: ``"default"`` the estimator's own rule
        (``> 0.5`` for probabilities, ``> 0`` for decision values, stored as
        the next float above them, or ``>= threshold`` for an estimator with a
        ``threshold`` parameter), so a guarded label is predicted exactly as
        the estimator's own ``predict`` would; ``"max_score"`` just above the label's
        highest out-of-fold score (SCutFBR.1: only a new, higher score fires);
        ``"never"`` infinity. ``None`` switches the guards off. A label is
        guarded when it has fewer than ``min_positives`` out-of-fold positives,
        constant out-of-fold scores, or a best out-of-fold objective below
        ``min_score`` with a tuned threshold that floods. With
        ``"per_label"``, a label whose tuned threshold does not beat the
        default threshold on the out-of-fold data keeps the default threshold
        (whatever ``fallback`` says: it is as good). The defaults of
        ``min_positives``, ``min_score`` and ``fallback`` come from the
        rare-label benchmark on enron and bibtex (``docs/thresholds.md``).
    response_method : {"auto", "predict_proba", "decision_function"}, default="auto"
        Which scores to threshold; ``"auto"`` prefers ``predict_proba``.
    n_jobs : int or None, default=None
        Folds fitted in parallel with joblib (any joblib backend, e.g. dask or
        ray through ``joblib.parallel_config``). Not used when the estimator
        fits all folds in one pass (the fold protocol, see Notes).
    random_state : int, RandomState instance or None, default=None
        Seed of the stratified folds (int or float ``cv``).
    verbose : int, default=0
        ``1`` shows a progress bar over the folds and the refit (tqdm), or the
        estimator's own over the epochs when it fits all folds in one pass;
        ``2`` and more also print joblib's messages (at joblib's verbosity
        ``verbose - 1``).
    calibration : {"sigmoid", "isotonic"} or None, default=None
        Fit one non-decreasing map per label from scores to probabilities on
        ``oof_scores_`` (weighted by ``sample_weight``): ``"sigmoid"``, Platt
        scaling as ``CalibratedClassifierCV(method="sigmoid")`` fits it;
        ``"isotonic"``, isotonic regression bounded by Platt's smoothed
        targets (:func:`~skimb._calibration.fit_calibrators`).
        :meth:`predict_proba` then returns calibrated probabilities of the
        final model's scores (also for an estimator with ``decision_function``
        only), and ``predict_proba(X) >= calibrated_thresholds_`` equals
        :meth:`predict` exactly. :meth:`predict` and :meth:`decision_function`
        are unchanged.

    Attributes
    ----------
    thresholds_ : ndarray of shape (n_labels,)
        Applied as ``score >= thresholds_``.
    best_scores_ : ndarray of shape (n_labels,)
        Each label's objective at ``thresholds_`` on the out-of-fold scores,
        aggregated over folds as ``cv_aggregate`` says.
    best_score_ : float
        The quantity the strategy maximises, at ``thresholds_`` on the
        out-of-fold scores: mean of ``best_scores_`` for ``"per_label"``, the
        objective of the counts pooled over labels for ``"shared"`` and
        ``"micro"`` (for ``cv_aggregate="mean"``, its mean over folds), the mean
        of both for ``"micromacro"``.
    default_thresholds_ : ndarray of shape (n_labels,)
        The estimator's own decision rule as ``score >= default_thresholds_``
        (what ``fallback="default"`` uses): the next float above 0.5 (or 0 for
        decision values) for estimators that predict ``score > 0.5`` (``> 0``),
        the ``threshold`` parameter for estimators that have one.
    fallback_labels_ : dict
        ``{label index: reason}`` for every label that got the fallback:
        ``"few_positives"``, ``"constant_scores"``, ``"low_score"`` or
        ``"no_gain"``.
    min_score_ : float or None
        The ``min_score`` used (``"auto"`` resolved).
    oof_scores_ : ndarray of shape (n_samples, n_labels)
        The validation scores the thresholds were searched on, each row from
        the fold where it was held out (with ``cv="prefit"``, the scores of the
        data passed to :meth:`fit`). NaN where a row was in no validation part,
        or its label was skipped in that fold. For reports and plots of the
        out-of-fold quality (:func:`skimb.diagnostics.label_report`).
    cv_results_ : dict of ndarrays
        Per split (rows) and label (columns): ``"thresholds"`` and ``"scores"``
        (each split's own best threshold and its objective on that split's
        validation rows), ``"n_positives"`` (validation positives),
        ``"skipped"`` (the label had a single class in the training part; its
        threshold and score are NaN); and per label ``"mean_threshold"``,
        ``"std_threshold"``, ``"mean_score"``, ``"std_score"``.
    estimators_ : list of estimator objects
        The fitted fold models (``refit="ensemble"`` only).
    estimator_ : estimator object
        The fitted estimator whose scores :meth:`predict` thresholds (with
        ``refit="ensemble"``, a :class:`FoldEnsemble` of the fold models). When it
        is (or ends in) skimb's classifier, its ``check_collapse`` is off: that
        check tests the fixed threshold the optimizer replaces.
    classes_ : list of ndarray
        ``[array([0, 1])] * n_labels``.
    calibrators_ : list of fitted calibrators
        One map per label (``calibration`` set only), ``predict(scores) -> proba``.
    calibrated_thresholds_ : ndarray of shape (n_labels,)
        ``thresholds_`` on the calibrated scale (``calibration`` set only):
        ``predict_proba(X) >= calibrated_thresholds_`` equals ``predict(X)``.
    n_features_in_ : int
        Number of features seen during fit (when ``X`` has a shape).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` had string column names.
    label_names_ : ndarray of str of shape (n_labels,)
        The column names of ``y`` when it was a pandas DataFrame (the estimator
        is fitted on that DataFrame, in the refit or the stacked folds, so it has them too).
        :func:`~skimb.diagnostics.label_report` and the Displays of
        :mod:`skimb.display` use them, and so do the warnings.

    See Also
    --------
    skimb.find_thresholds : the exact search on scores you already have.
    sklearn.model_selection.TunedThresholdClassifierCV : the binary-only
        counterpart, on a grid of thresholds.

    Notes
    -----
    The fold fits see every label; a label whose training part has a single
    class is skipped in that fold with a warning. The pooled search treats all
    validation rows alike, so the folds must not overlap for the pooled scores
    to be out-of-fold (an overlapping splitter pools rows more than once).

    **The fold protocol.** An estimator may fit all folds (and the refit) at
    once, faster than one after the other, by implementing::

        fit_folds(X, y, splits, *, response_method, refit, return_estimators,
                  verbose, **fit_params) -> (folds, refitted) or None

    where ``splits`` is the list of ``(train, test)`` row indices, ``folds``
    has one ``(scores, skipped, estimator)`` per split (the float
    ``(len(test), n_labels)`` scores of ``response_method`` on the test rows,
    the bool ``(n_labels,)`` mask of labels with a single class in the
    training rows, and the fitted fold estimator when ``return_estimators``,
    else None), and ``refitted`` is the estimator fitted on all rows when
    ``refit``, else None. It is called on an unfitted clone and must leave
    the clone unfitted. Returning None means "not for this configuration":
    the folds are then fitted one by one with joblib, as for any estimator
    without the method. skimb's :class:`~skimb.MultiLabelImbalancedClassifier`
    implements it by training the fold models stacked
    (:meth:`~skimb.MultiLabelImbalancedClassifier.fit_folds`).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.multiclass import OneVsRestClassifier
    >>> from skimb import ThresholdOptimizer, make_long_tail_multilabel
    >>> X, Y = make_long_tail_multilabel(600, 8, 4, min_prevalence=0.05, random_state=0)
    >>> model = ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=3,
    ...                            random_state=0).fit(X, Y)
    >>> model.thresholds_.shape, model.predict(X[:2]).shape
    ((4,), (2, 4))
    >>> bool(model.thresholds_[3] < 0.5)  # the rarest label gets a lower threshold
    True
    """

    _parameter_constraints: ClassVar[dict] = {
        "estimator": [HasMethods(["fit"])],
        "objective": [StrOptions(set(OBJECTIVES)), callable],
        "beta": [Interval(Real, 0, None, closed="neither")],
        "min_recall": [Interval(Real, 0, 1, closed="right"), "array-like", None],
        "min_precision": [Interval(Real, 0, 1, closed="right"), "array-like", None],
        "fp_cost": [Interval(Real, 0, None, closed="left"), "array-like"],
        "fn_cost": [Interval(Real, 0, None, closed="left"), "array-like"],
        "strategy": [StrOptions({"per_label", "shared", "micro", "micromacro"})],
        "cv_aggregate": [StrOptions({"pooled", "mean"})],
        "cv": [
            "cv_object",
            StrOptions({"prefit"}),
            Interval(RealNotInt, 0.0, 1.0, closed="neither"),
        ],
        "refit": ["boolean", StrOptions({"ensemble"})],
        "min_positives": [Interval(Integral, 0, None, closed="left")],
        "min_score": [StrOptions({"auto"}), Real, None],
        "fallback": [StrOptions(set(FALLBACKS)), None],
        "response_method": [StrOptions({"auto", "predict_proba", "decision_function"})],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "calibration": [StrOptions(set(CALIBRATIONS)), None],
    }

    def __init__(
        self,
        estimator,
        *,
        objective="f1",
        beta=1.0,
        min_recall=None,
        min_precision=None,
        fp_cost=1.0,
        fn_cost=1.0,
        strategy="per_label",
        cv_aggregate="pooled",
        cv=5,
        refit=True,
        min_positives=5,
        min_score="auto",
        fallback="default",
        response_method="auto",
        n_jobs=None,
        random_state=None,
        verbose=0,
        calibration=None,
    ):
        self.estimator = estimator
        self.objective = objective
        self.beta = beta
        self.min_recall = min_recall
        self.min_precision = min_precision
        self.fp_cost = fp_cost
        self.fn_cost = fn_cost
        self.strategy = strategy
        self.cv_aggregate = cv_aggregate
        self.cv = cv
        self.refit = refit
        self.min_positives = min_positives
        self.min_score = min_score
        self.fallback = fallback
        self.response_method = response_method
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose
        self.calibration = calibration

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        tags.classifier_tags.multi_class = False  # a multiclass y is not a label matrix
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        inner = get_tags(self.estimator)
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        tags.input_tags.pairwise = inner.input_tags.pairwise
        return tags

    def _splits(self, X, Y, **split_params):
        n_samples = Y.shape[0]
        if n_samples < 2:
            raise ValueError(
                f"ThresholdOptimizer got {n_samples} sample(s) (n_samples={n_samples}); learning "
                "thresholds needs at least 2 (a model fitted on some rows, scored on others), "
                "and in practice "
                "enough rows for every label to have positives in each fold."
            )
        cv = 5 if self.cv is None else self.cv
        if isinstance(cv, Integral):
            if cv > n_samples:
                raise ValueError(
                    f"cv={cv} asks for {cv} folds but y has n_samples={n_samples} rows; use "
                    f"cv <= {n_samples}, or a float such as cv=0.3 for one hold-out split."
                )
            kfold = (MultilabelStratifiedKFold if split_params.get("groups") is None
                     else MultilabelStratifiedGroupKFold)
            splitter = kfold(cv, shuffle=True, random_state=self.random_state)
        elif isinstance(cv, Real):
            if split_params.get("groups") is not None:
                raise ValueError(
                    f"groups were given, but cv={cv} asks for one stratified hold-out split, "
                    "which does not keep groups whole. Use an int cv (grouped stratified "
                    "folds) or a group splitter such as GroupShuffleSplit as cv."
                )
            splitter = MultilabelStratifiedShuffleSplit(
                n_splits=1, test_size=cv, random_state=self.random_state
            )
        else:
            splitter = check_cv(cv)
        return list(splitter.split(X, Y, **split_params))

    def get_metadata_routing(self):
        """The metadata routing of this object: to the estimator's ``fit``, the
        splitter's ``split`` (a splitter given as ``cv``) and its own search.

        Returns
        -------
        sklearn.utils.metadata_routing.MetadataRouter
        """
        return metadata_router(self)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit the fold models, search the thresholds, and refit.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Training data, passed to the estimator as it is.
        y : array-like or sparse matrix of shape (n_samples, n_labels)
            0/1 label indicator matrix.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Row weights of the threshold search (a row of weight 2 counts as two
            rows in every label's counts, ``min_positives`` included), also
            passed to the estimator's ``fit`` (per fold, then for the refit):
            without metadata routing when that ``fit`` takes ``sample_weight``,
            with routing (``sklearn.set_config(enable_metadata_routing=True)``)
            as the estimator requested it (``set_fit_request``).
        **fit_params : dict
            Passed to the estimator's ``fit`` (with routing: as requested by
            the estimator and the splitter); values with one entry per row are
            indexed for each fold. ``groups`` (one group id per row) goes to
            the splitter: with an int ``cv`` the folds are
            :class:`~skimb.model_selection.MultilabelStratifiedGroupKFold`, so
            no group is in two folds.

        Returns
        -------
        self : ThresholdOptimizer
            The fitted estimator.
        """
        if getattr(getattr(X, "dtype", None), "kind", None) == "c":
            raise ValueError(
                "Complex data not supported: X has a complex dtype; pass real features."
            )
        validate_data(self, X, skip_check_array=True, reset=True)
        Y = check_multilabel_y(y).astype(np.int64)
        n_samples, n_labels = Y.shape
        fit_params, split_params, row_weight = route_fit(self, X, sample_weight, fit_params)
        if hasattr(y, "columns"):  # a DataFrame: its column names name the labels
            self.label_names_ = np.asarray(y.columns, dtype=object).astype(str)
        elif hasattr(self, "label_names_"):
            del self.label_names_
        if _num_samples(X) != n_samples:
            raise ValueError(
                f"X has {_num_samples(X)} rows but y has {n_samples}; they must match."
            )
        objective = make_objective(
            self.objective,
            beta=self.beta,
            min_recall=self.min_recall,
            min_precision=self.min_precision,
            fp_cost=self.fp_cost,
            fn_cost=self.fn_cost,
            n_labels=n_labels,
        )
        if self.strategy != "per_label" and objective.per_label:
            raise ValueError(
                f"strategy={self.strategy!r} pools the labels' counts, so the objective's "
                "floors and costs must be scalars; per-label values need "
                "strategy='per_label'."
            )
        if self.strategy == "micro" and self.cv_aggregate == "mean":
            raise ValueError(
                "strategy='micro' searches the counts pooled over folds and labels; "
                "cv_aggregate='mean' needs strategy='per_label' or 'shared' (or "
                "'micromacro', which averages the folds' thresholds)."
            )
        method = _response_method(self.estimator, self.response_method)
        self.min_score_ = self.min_score
        if self.min_score == "auto":
            self.min_score_ = 0.1 if objective.name in ("f1", "fbeta") else None
        elif self.min_score is not None and not objective.greater_is_better:
            raise ValueError(
                f"min_score={self.min_score} guards objectives where larger is better, but "
                f"{objective.name!r} is minimised; use min_score=None (or 'auto')."
            )

        if self.cv == "prefit":
            check_is_fitted(self.estimator)
            estimator = self.estimator
            folds = [
                (_label_scores(estimator, X, method, n_labels), np.arange(n_samples),
                 np.zeros(n_labels, dtype=bool))
            ]
        else:
            splits = self._splits(X, Y, **split_params)
            # folds index rows; sparse formats without row indexing go to CSR
            X_folds = X.tocsr() if sparse.issparse(X) and X.format not in ("csr", "csc") else X
            keep = self.refit is False
            ensemble = self.refit == "ensemble"
            if keep and len(splits) != 1:
                raise ValueError(
                    f"refit=False keeps the model fitted on the training part of a single "
                    f"split, but cv={self.cv!r} gives {len(splits)} splits. Use a float cv "
                    "(e.g. cv=0.3) or refit=True."
                )
            # y as given to the estimator where it is a DataFrame, so that its label
            # names reach the refitted (or stacked) models
            y_named = y if hasattr(y, "columns") else Y
            results, estimator = self._fit_folds(
                X_folds, Y, y_named, splits, method, fit_params, keep or ensemble,
                not (keep or ensemble),
            )
            folds = [(scores, test, skipped) for (scores, skipped, _), (_, test) in
                     zip(results, splits)]
            if keep:
                estimator = results[0][2]
            elif ensemble:
                self.estimators_ = [fitted for _, _, fitted in results]
                estimator = FoldEnsemble(self.estimators_, method, n_labels)
                estimator.check(_safe_indexing(X_folds, [0]))
        check_finite_scores(folds, self.estimator, method, prefit=self.cv == "prefit")
        self._warn_skipped(
            [skipped for _, _, skipped in folds], getattr(self, "label_names_", None)
        )

        self.estimator_ = estimator
        self.classes_ = [np.array([0, 1]) for _ in range(n_labels)]
        self.default_thresholds_ = _default_thresholds(
            estimator.estimators[0] if isinstance(estimator, FoldEnsemble) else estimator,
            method, n_labels,
        )
        self._response = method

        scores = np.concatenate([s for s, _, _ in folds])
        # the search needs bool labels and views of scores: int64 labels and the fold
        # fits' own score arrays can go (memory: benchmarks/bench_search.py --large)
        Y, y_named, results = Y == 1, None, None
        truth = np.concatenate([Y[test] for _, test, _ in folds])
        ends = np.cumsum([len(test) for _, test, _ in folds])
        folds = [(scores[end - len(t):end], t, k) for (_, t, k), end in zip(folds, ends)]
        fold_of_row = None
        if self.cv_aggregate == "mean" and len(folds) > 1:
            fold_of_row = np.concatenate(
                [np.full(len(test), i) for i, (_, test, _) in enumerate(folds)]
            )
        self.oof_scores_ = np.full((n_samples, n_labels), np.nan)
        for fold_scores, test, skipped in folds:
            self.oof_scores_[test] = fold_scores
            self.oof_scores_[np.ix_(test, skipped)] = np.nan
        weight = row_weights(row_weight, folds, n_labels)
        self.thresholds_, self.fallback_labels_ = self._find(
            truth, scores, weight, objective, guard=True, folds=fold_of_row
        )
        self.best_scores_ = _aggregate_objective(
            truth, scores >= self.thresholds_, weight, objective, fold_of_row
        )
        if self.strategy == "per_label":
            self.best_score_ = float(np.nanmean(self.best_scores_))
        else:
            self.best_score_ = float(
                _aggregate_objective(
                    truth, scores >= self.thresholds_, weight, objective, fold_of_row,
                    pool_labels=True,
                )
            )
            if self.strategy == "micromacro":  # (macro + micro) / 2
                self.best_score_ = (self.best_score_ + float(np.nanmean(self.best_scores_))) / 2
        self.cv_results_ = self._cv_results(folds, Y, objective, row_weight)
        for name in ("calibrators_", "calibrated_thresholds_"):  # from an earlier fit
            self.__dict__.pop(name, None)
        if self.calibration is not None:
            self.calibrators_ = fit_calibrators(self.calibration, Y, self.oof_scores_, row_weight)
            self.calibrated_thresholds_ = calibrated_thresholds(self.calibrators_, self.thresholds_)
        return self

    def _fit_folds(self, X, Y, y_named, splits, method, fit_params, keep, refit):
        """Per split ``(scores, skipped, fitted or None)``, and the refitted estimator or None.

        ``keep``: return the fold models; ``refit``: fit one on all rows.
        ``y_named`` is ``Y`` or the DataFrame it came from (for label names).

        Through the estimator's ``fit_folds`` when it has one and accepts
        (the fold protocol, see the class Notes), else with joblib, one fold
        per task; the refit then follows, shown on the same progress bar.
        """
        fit_all = getattr(_clone_unchecked(self.estimator), "fit_folds", None)
        if callable(fit_all):
            fitted = fit_all(
                X, y_named, splits, response_method=method, refit=refit,
                return_estimators=keep, verbose=self.verbose, **fit_params,
            )
            if fitted is not None:
                return fitted
        bar = _progress(len(splits) + refit, self.verbose)
        results = []
        # results one by one for the progress bar, where the backend can (ray's cannot)
        lazy = bar is not None and get_active_backend()[0].supports_return_generator
        for result in Parallel(
            n_jobs=self.n_jobs, verbose=max(self.verbose - 1, 0),
            return_as="generator" if lazy else "list",
        )(
            delayed(_fit_fold)(
                _clone_unchecked(self.estimator), X, Y, train, test, method, fit_params, keep
            )
            for train, test in splits
        ):
            results.append(result)
            if bar is not None:
                bar.update()
        estimator = None
        if refit:
            if bar is not None:
                bar.set_postfix_str("refit on all rows")
            estimator = _clone_unchecked(self.estimator).fit(X, y_named, **fit_params)
            if bar is not None:
                bar.update()
        if bar is not None:
            bar.close()
        return results, estimator

    def _find(self, truth, scores, weight, objective, guard, folds=None):
        """Thresholds for the validation scores, with the rare-label guards.

        ``folds`` (the fold of each row) switches to the mean-over-folds
        objective (``cv_aggregate="mean"``); ``None`` pools the rows.
        """
        n_labels = truth.shape[1]
        if self.strategy == "shared":
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
        if not guard or self.fallback is None:
            if self.strategy == "micro":
                tuned, _ = find_micro_thresholds(
                    truth, scores, objective=objective, init=tuned, sample_weight=weight
                )
            elif self.strategy == "micromacro":
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
        reasons[positives < self.min_positives] = "few_positives"
        reasons[(reasons == "") & ~(high > low)] = "constant_scores"
        fallback = {
            "default": self.default_thresholds_,
            # a label without any usable validation score never fires
            "max_score": np.where(np.isfinite(high), np.nextafter(high, np.inf), np.inf),
            "never": np.full(n_labels, np.inf),
        }[self.fallback]
        if self.min_score_ is not None and self.strategy != "micromacro":  # its micro term
            low = (reasons == "") & ~(values >= self.min_score_)
            if low.any() and not objective.per_label:
                current = np.where(reasons == "", tuned, fallback)
                low &= _floods(truth, scores, weight, objective, folds, current, fallback)
            reasons[low] = "low_score"
        if self.strategy == "per_label":
            default = _aggregate_objective(
                truth, scores >= self.default_thresholds_, weight, objective, folds
            )
            if not objective.greater_is_better:
                values, default = -values, -default
            beats = values > np.where(np.isnan(default), -np.inf, default)
            reasons[(reasons == "") & ~beats] = "no_gain"
        guarded = reasons != ""
        thresholds = np.where(guarded, fallback, tuned)
        # the default is as good as the tuned threshold there: keep it, whatever fallback says
        no_gain = reasons == "no_gain"
        thresholds[no_gain] = self.default_thresholds_[no_gain]
        if self.strategy == "micro":
            thresholds, _ = find_micro_thresholds(
                truth, scores, objective=objective, init=thresholds, frozen=guarded,
                sample_weight=weight,
            )
        elif self.strategy == "micromacro":
            thresholds, _ = find_micromacro_thresholds(
                truth, scores, folds=folds, objective=objective, init=thresholds,
                frozen=guarded, sample_weight=weight,
            )
        return thresholds, {int(i): str(reasons[i]) for i in np.flatnonzero(guarded)}

    def _cv_results(self, folds, Y, objective, row_weight=None):
        rows = {"thresholds": [], "scores": [], "n_positives": [], "skipped": []}
        for fold in folds:
            scores, test, skipped = fold
            truth = Y[test]
            weight = row_weights(row_weight, [fold], Y.shape[1])
            thresholds, _ = self._find(truth, scores, weight, objective, guard=False)
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

    @staticmethod
    def _warn_skipped(skipped, label_names=None):
        skipped = np.array(skipped)
        labels = np.flatnonzero(skipped.any(axis=0))
        if labels.size:
            names = _names(label_names, skipped.shape[1])
            folds = {names[c]: np.flatnonzero(skipped[:, c]).tolist() for c in labels[:10]}
            warnings.warn(
                f"Labels {[names[c] for c in labels[:10]]}"
                f"{' ...' if labels.size > 10 else ''} have a "
                f"single class in the training part of some folds ({{label: folds}} = "
                f"{folds}). A model cannot learn them there, so their validation scores "
                "from those folds are left out of the threshold search and their "
                "cv_results_ entries are NaN. Fewer folds (or more data) avoid this.",
                UserWarning,
                stacklevel=3,
            )

    def _check_X(self, X):
        check_is_fitted(self)
        if getattr(X, "ndim", None) == 1 and hasattr(self, "n_features_in_"):
            raise ValueError(
                f"X is a 1-D array but the model was fitted on {self.n_features_in_} "
                "features. Reshape your data: X.reshape(1, -1) for a single sample."
            )
        validate_data(self, X, skip_check_array=True, reset=False)

    def _scores(self, X):
        self._check_X(X)
        return _label_scores(self.estimator_, X, self._response, len(self.thresholds_))

    def predict(self, X):
        """Predict labels by applying ``thresholds_`` to the estimator's scores.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        ndarray of shape (n_samples, n_labels)
            0/1 predictions, ``score >= thresholds_``.
        """
        return (self._scores(X) >= self.thresholds_).astype(np.int64)

    @available_if(lambda self: self.calibration is not None or hasattr(self, "calibrators_")
                  or _estimator_has("predict_proba")(self))
    def predict_proba(self, X):
        """The estimator's ``predict_proba``, unchanged, or calibrated (``calibration``).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        ndarray or list of ndarray
            Whatever the wrapped estimator returns; when fitted with
            ``calibration``, the ``(n_samples, n_labels)`` float64 calibrated
            probabilities of the scores :meth:`predict` thresholds (see
            :func:`skimb._calibration.calibrated_proba`).
        """
        if hasattr(self, "calibrators_"):
            return calibrated_proba(self.calibrators_, self._scores(X), self.thresholds_,
                                    self.calibrated_thresholds_)
        self._check_X(X)
        return self.estimator_.predict_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """The estimator's ``decision_function``, unchanged.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        ndarray
            Whatever the wrapped estimator returns.
        """
        self._check_X(X)
        return self.estimator_.decision_function(X)
