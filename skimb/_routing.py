"""Where ThresholdOptimizer's fit parameters go: scikit-learn metadata routing, or not.

With ``sklearn.set_config(enable_metadata_routing=True)``, parameters go where
the consumers requested them (``set_fit_request``, ``set_split_request``):
the wrapped estimator's ``fit``, the splitter's ``split``, and the optimizer's
own threshold search (``ThresholdOptimizer().set_fit_request(sample_weight=True)``
lets an outer ``GridSearchCV`` pass it). ``groups`` is a parameter of the
optimizer's own ``fit``, requested by default (as scikit-learn's group
splitters request it): with an int or float ``cv`` the splitter is skimb's
own and, given ``groups``, keeps every group whole
(:class:`~skimb.model_selection.MultilabelStratifiedGroupKFold`);
``set_fit_request(groups=False)`` declines them. A splitter given as ``cv``
gets ``groups`` as it requests them (``GroupKFold`` does). The estimator gets
them too where it requests them. Without routing (scikit-learn's default),
``groups`` goes to the splitter, as in ``GridSearchCV``, every other fit
parameter to the estimator's ``fit``, and ``sample_weight`` goes to it too
when its ``fit`` takes one; the search always uses ``sample_weight``.
"""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import check_cv
from sklearn.utils import _safe_indexing
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.validation import _check_sample_weight, has_fit_parameter

__all__ = ["metadata_router", "route_fit", "row_weights"]


def _own_splitter(cv) -> bool:
    """Whether ``cv`` makes skimb's own stratified splitter (int or float)."""
    cv = 5 if cv is None else cv
    return isinstance(cv, (int, float, np.integer, np.floating))


def _splitter(opt):
    """The splitter given as ``cv``, or None (prefit, or skimb's own splitter,
    whose ``groups`` the optimizer's own ``fit`` request covers)."""
    if opt.cv == "prefit" or _own_splitter(opt.cv):
        return None
    return check_cv(opt.cv)


def metadata_router(opt) -> MetadataRouter:
    """The routing of :class:`~skimb.ThresholdOptimizer`: itself, its estimator, its splitter."""
    router = MetadataRouter(owner=type(opt).__name__).add_self_request(opt)
    router.add(estimator=opt.estimator,
               method_mapping=MethodMapping().add(caller="fit", callee="fit"))
    splitter = _splitter(opt)
    if splitter is not None and hasattr(splitter, "get_metadata_routing"):
        router.add(splitter=splitter,
                   method_mapping=MethodMapping().add(caller="fit", callee="split"))
    return router


def route_fit(opt, X, sample_weight, groups, fit_params) -> tuple[dict, dict, np.ndarray | None]:
    """``(estimator fit params, splitter split params, search weights or None)``."""
    weights = None if sample_weight is None else _check_sample_weight(
        sample_weight, X, dtype=np.float64, ensure_non_negative=True
    )
    own = {"groups": groups} if groups is not None and _own_splitter(opt.cv) else {}
    if _routing_enabled():
        params = dict(fit_params)
        if sample_weight is not None:
            params["sample_weight"] = sample_weight
        if groups is not None:
            params["groups"] = groups
        routed = process_routing(opt, "fit", **params)
        # getattr, not `in`: without metadata process_routing returns an EmptyRequest,
        # whose item lookup answers every key, so `in` would iterate it forever
        splitter = getattr(routed, "splitter", None)
        split = own if splitter is None else splitter.split
        return dict(routed.estimator.fit), dict(split), weights
    params = dict(fit_params)
    split = {} if groups is None else {"groups": groups}
    if sample_weight is not None and has_fit_parameter(opt.estimator, "sample_weight"):
        params["sample_weight"] = sample_weight
    return params, split, weights


def row_weights(weights, folds, n_labels) -> np.ndarray | None:
    """The search's ``(rows, n_labels)`` weights: the row weights of each fold's
    validation rows, times 0 for the labels skipped in that fold; None when all are 1."""
    skipped_any = any(skipped.any() for _, _, skipped in folds)
    if weights is None and not skipped_any:
        return None
    parts = []
    for _, test, skipped in folds:
        w = np.ones(len(test)) if weights is None else _safe_indexing(weights, test)
        parts.append(w[:, None] * ~np.asarray(skipped, dtype=bool)[None, :])
    return np.concatenate(parts).astype(np.float64).reshape(-1, n_labels)
