"""Out-of-fold scores for ThresholdOptimizer: the splits, the fold fits, the final model.

:func:`collect_folds` is the training part of ``ThresholdOptimizer.fit``:
it builds the splits (:func:`splits`), fits a clone of the estimator on each
training part (:func:`fit_folds`: through the estimator's own ``fit_folds``,
the fold protocol, or one joblib task per fold) and returns every split's
validation scores with the model that ``predict`` will use (the refit, the
single split's model, a :class:`~skimb._fold_ensemble.FoldEnsemble`, or the
prefit estimator). NumPy side: imports no torch.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from joblib.parallel import get_active_backend
from scipy import sparse
from sklearn.model_selection import check_cv
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import _num_samples, check_is_fitted

from ._fold_ensemble import FoldEnsemble
from ._stacklevel import user_stacklevel
from ._threshold_checks import check_refit
from ._wrapped import _clone_unchecked, _label_scores
from .diagnostics import _names
from .model_selection import (
    MultilabelStratifiedGroupKFold,
    MultilabelStratifiedKFold,
    MultilabelStratifiedShuffleSplit,
)

__all__ = ["collect_folds", "fit_folds", "make_splits", "warn_skipped"]


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


def make_splits(opt, X, Y, **split_params):
    """The ``(train, test)`` row indices of ``opt.cv`` (a ThresholdOptimizer) on ``X, Y``."""
    n_samples = Y.shape[0]
    if n_samples < 2:
        raise ValueError(
            f"ThresholdOptimizer got {n_samples} sample(s) (n_samples={n_samples}); learning "
            "thresholds needs at least 2 (a model fitted on some rows, scored on others), "
            "and in practice "
            "enough rows for every label to have positives in each fold."
        )
    cv = 5 if opt.cv is None else opt.cv
    if isinstance(cv, Integral):
        if cv > n_samples:
            raise ValueError(
                f"cv={cv} asks for {cv} folds but y has n_samples={n_samples} rows; use "
                f"cv <= {n_samples}, or a float such as cv=0.3 for one hold-out split."
            )
        kfold = (MultilabelStratifiedKFold if split_params.get("groups") is None
                 else MultilabelStratifiedGroupKFold)
        splitter = kfold(cv, shuffle=True, random_state=opt.random_state)
    elif isinstance(cv, Real):
        if split_params.get("groups") is not None:
            raise ValueError(
                f"groups were given, but cv={cv} asks for one stratified hold-out split, "
                "which does not keep groups whole. Use an int cv (grouped stratified "
                "folds) or a group splitter such as GroupShuffleSplit as cv."
            )
        splitter = MultilabelStratifiedShuffleSplit(
            n_splits=1, test_size=cv, random_state=opt.random_state
        )
    else:
        splitter = check_cv(cv)
    return list(splitter.split(X, Y, **split_params))


def fit_folds(opt, X, Y, y_named, splits, method, fit_params, keep, refit):
    """Per split ``(scores, skipped, fitted or None)``, and the refitted estimator or None.

    ``keep``: return the fold models; ``refit``: fit one on all rows.
    ``y_named`` is ``Y`` or the DataFrame it came from (for label names).

    Through the estimator's ``fit_folds`` when it has one and accepts
    (the fold protocol, see the class Notes), else with joblib, one fold
    per task; the refit then follows, shown on the same progress bar.
    """
    fit_all = getattr(_clone_unchecked(opt.estimator), "fit_folds", None)
    if callable(fit_all):
        fitted = fit_all(
            X, y_named, splits, response_method=method, refit=refit,
            return_estimators=keep, verbose=opt.verbose, **fit_params,
        )
        if fitted is not None:
            return fitted
    bar = _progress(len(splits) + refit, opt.verbose)
    results = []
    # results one by one for the progress bar, where the backend can (ray's cannot)
    lazy = bar is not None and get_active_backend()[0].supports_return_generator
    for result in Parallel(
        n_jobs=opt.n_jobs, verbose=max(opt.verbose - 1, 0),
        return_as="generator" if lazy else "list",
    )(
        delayed(_fit_fold)(
            _clone_unchecked(opt.estimator), X, Y, train, test, method, fit_params, keep
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
        estimator = _clone_unchecked(opt.estimator).fit(X, y_named, **fit_params)
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    return results, estimator


def collect_folds(opt, X, Y, y, method, fit_params, split_params):
    """The validation scores of every split, and the model that ``predict`` uses.

    Parameters
    ----------
    opt : ThresholdOptimizer
        The optimizer being fitted (its ``estimator``, ``cv``, ``refit``, ...).
    X : array-like or sparse matrix of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_labels)
        The 0/1 labels as int64.
    y : array-like
        ``y`` as given to ``fit``: a DataFrame is passed on to the estimator,
        so that its label names reach the refitted (or stacked) models.
    method : {"predict_proba", "decision_function"}
    fit_params, split_params : dict
        Routed to the estimator's ``fit`` and the splitter's ``split``.

    Returns
    -------
    folds : list of (scores, test, skipped)
        Per split, the ``(len(test), n_labels)`` validation scores, the
        validation rows and the bool mask of labels skipped in that fold.
    estimator : estimator object
        The refitted estimator (``refit=True``), the single split's model
        (``refit=False``), a :class:`~skimb._fold_ensemble.FoldEnsemble`
        (``refit="ensemble"``) or the prefit estimator.
    estimators : list of estimator objects or None
        The fold models with ``refit="ensemble"``, else None.
    """
    n_samples, n_labels = Y.shape
    if opt.cv == "prefit":
        check_refit(opt.refit, opt.cv)
        check_is_fitted(opt.estimator)
        folds = [
            (_label_scores(opt.estimator, X, method, n_labels), np.arange(n_samples),
             np.zeros(n_labels, dtype=bool))
        ]
        return folds, opt.estimator, None
    splits = make_splits(opt, X, Y, **split_params)
    # folds index rows; sparse formats without row indexing go to CSR
    X_folds = X.tocsr() if sparse.issparse(X) and X.format not in ("csr", "csc") else X
    keep = opt.refit is False
    ensemble = opt.refit == "ensemble"
    check_refit(opt.refit, opt.cv, len(splits))
    # y as given to the estimator where it is a DataFrame, so that its label
    # names reach the refitted (or stacked) models
    y_named = y if hasattr(y, "columns") else Y
    results, estimator = fit_folds(
        opt, X_folds, Y, y_named, splits, method, fit_params, keep or ensemble,
        not (keep or ensemble),
    )
    folds = [(scores, test, skipped) for (scores, skipped, _), (_, test) in
             zip(results, splits)]
    estimators = None
    if keep:
        estimator = results[0][2]
    elif ensemble:
        estimators = [fitted for _, _, fitted in results]
        estimator = FoldEnsemble(estimators, method, n_labels)
        estimator.check(_safe_indexing(X_folds, [0]))
    return folds, estimator, estimators


def warn_skipped(skipped, label_names=None):
    """Warn about the labels with a single class in the training part of some folds.

    ``skipped``: one bool ``(n_labels,)`` mask per fold. The warning points at
    the caller of ``ThresholdOptimizer.fit``.
    """
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
            stacklevel=user_stacklevel(),
        )
