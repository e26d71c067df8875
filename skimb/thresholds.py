"""Per-label decision thresholds learned out-of-fold for any multi-label classifier.

The public :class:`ThresholdOptimizer`. Its parts live in private modules,
one idea each: :mod:`skimb._threshold_checks` (the configuration checks),
:mod:`skimb._wrapped` (the wrapped estimator's scores and own rule),
:mod:`skimb._oof_scores` (splits, fold fits, the final model),
:mod:`skimb._oof_search` (thresholds from the out-of-fold scores, with the
rare-label guards), :mod:`skimb._fold_ensemble` (``refit="ensemble"``).
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    _fit_context,
)
from sklearn.utils._param_validation import HasMethods, Interval, RealNotInt, StrOptions
from sklearn.utils._tags import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from ._calibration import CALIBRATIONS, calibrated_proba, calibrated_thresholds, fit_calibrators
from ._fold_ensemble import FoldEnsemble
from ._oof_scores import collect_folds, warn_skipped
from ._oof_search import _floods as _floods  # importable from here (tests, benchmarks)
from ._oof_search import best_scores, cv_results, find_guarded
from ._routing import metadata_router, route_fit, row_weights
from ._threshold_checks import (
    check_complex,
    check_objective,
    check_X_y_rows,
    resolve_min_score,
)
from ._validation import check_finite_scores
from ._wrapped import _default_thresholds, _estimator_has, _label_scores, _response_method
from .model_selection import check_multilabel_y
from .objectives import OBJECTIVES, make_objective

__all__ = ["ThresholdOptimizer"]

FALLBACKS = ("default", "max_score", "never")


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
        :meth:`fit` warns (UserWarning) when one of the objective parameters
        below is set away from its default but the objective does not use it
        (``min_recall`` with ``"f1"``; any of them with a callable), as
        scikit-learn's ``LogisticRegression`` does for ``l1_ratio`` without an
        elastic net.
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
        learned on (``estimators_`` holds the fold models). With a single
        split (a float ``cv`` or a one-split splitter) that ensemble is the
        split's one model: the predictions of ``refit=False``. With
        ``cv="prefit"``, ``True`` and ``False`` are ignored (the prefit
        estimator is used) and ``"ensemble"`` raises a ValueError (there are
        no fold models).
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

    def get_metadata_routing(self):
        """The metadata routing of this object: to the estimator's ``fit``, the
        splitter's ``split`` (a splitter given as ``cv``) and its own ``fit``
        (``sample_weight`` for the search when requested; ``groups``, requested
        by default, for its own splitter with an int ``cv``).

        Returns
        -------
        sklearn.utils.metadata_routing.MetadataRouter
        """
        return metadata_router(self)

    # groups requested by default, as scikit-learn's group splitters request them
    __metadata_request__fit: ClassVar[dict] = {"groups": True}

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, groups=None, **fit_params):
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
        groups : array-like of shape (n_samples,) or None, default=None
            One group id per row, for the splitter: with an int ``cv`` the
            folds are :class:`~skimb.model_selection.MultilabelStratifiedGroupKFold`,
            so no group is in two folds; a splitter given as ``cv`` gets them
            (with routing: as it requests them); a float ``cv`` refuses them.
            With metadata routing the optimizer requests ``groups`` by default
            (as scikit-learn's group splitters do), so an outer ``GridSearchCV``
            or ``cross_validate`` passes them in; ``set_fit_request(groups=False)``
            declines them.
        **fit_params : dict
            Passed to the estimator's ``fit`` (with routing: as requested by
            the estimator and the splitter); values with one entry per row are
            indexed for each fold.

        Returns
        -------
        self : ThresholdOptimizer
            The fitted estimator.
        """
        check_complex(X)
        validate_data(self, X, skip_check_array=True, reset=True)
        Y = check_multilabel_y(y).astype(np.int64)
        n_samples, n_labels = Y.shape
        fit_params, split_params, row_weight = route_fit(
            self, X, sample_weight, groups, fit_params
        )
        if hasattr(y, "columns"):  # a DataFrame: its column names name the labels
            self.label_names_ = np.asarray(y.columns, dtype=object).astype(str)
        elif hasattr(self, "label_names_"):
            del self.label_names_
        check_X_y_rows(X, n_samples)
        objective = make_objective(
            self.objective,
            beta=self.beta,
            min_recall=self.min_recall,
            min_precision=self.min_precision,
            fp_cost=self.fp_cost,
            fn_cost=self.fn_cost,
            n_labels=n_labels,
        )
        check_objective(self, objective)
        method = _response_method(self.estimator, self.response_method)
        self.min_score_ = resolve_min_score(self.min_score, objective)

        folds, estimator, estimators = collect_folds(
            self, X, Y, y, method, fit_params, split_params
        )
        if estimators is not None:
            self.estimators_ = estimators
        elif hasattr(self, "estimators_"):  # from an earlier fit with refit="ensemble"
            del self.estimators_
        check_finite_scores(folds, self.estimator, method, prefit=self.cv == "prefit")
        warn_skipped([skipped for _, _, skipped in folds], getattr(self, "label_names_", None))

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
        Y = Y == 1
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
        self.thresholds_, self.fallback_labels_ = find_guarded(
            self, truth, scores, weight, objective, guard=True, folds=fold_of_row
        )
        self.best_scores_, self.best_score_ = best_scores(
            truth, scores >= self.thresholds_, weight, objective, fold_of_row, self.strategy
        )
        self.cv_results_ = cv_results(self, folds, Y, objective, row_weight)
        for name in ("calibrators_", "calibrated_thresholds_"):  # from an earlier fit
            self.__dict__.pop(name, None)
        if self.calibration is not None:
            self.calibrators_ = fit_calibrators(self.calibration, Y, self.oof_scores_, row_weight)
            self.calibrated_thresholds_ = calibrated_thresholds(self.calibrators_, self.thresholds_)
        return self

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
