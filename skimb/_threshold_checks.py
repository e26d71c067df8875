"""Checks of ThresholdOptimizer's configuration, answered in words.

What ``ThresholdOptimizer.fit`` verifies before any model is trained: the
data (complex values, rows of ``X`` and ``y``), the objective against the
strategy (and a warning for objective parameters it does not use),
``min_score`` against the objective, and ``refit`` against ``cv``
(``refit="ensemble"`` with ``cv="prefit"`` has no fold models to average).
Each error names the problem and the fix. NumPy side: imports no torch.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.utils.validation import _num_samples

from ._stacklevel import user_stacklevel
from .objectives import _BUILTIN

__all__ = [
    "check_X_y_rows",
    "check_complex",
    "check_objective",
    "check_refit",
    "resolve_min_score",
]

#: Objective parameters of ThresholdOptimizer, with their defaults.
OBJECTIVE_PARAMS = {
    "beta": 1.0,
    "min_recall": None,
    "min_precision": None,
    "fp_cost": 1.0,
    "fn_cost": 1.0,
}


def check_complex(X) -> None:
    """Raise a ValueError for a complex ``X`` (before ``validate_data`` sees it)."""
    if getattr(getattr(X, "dtype", None), "kind", None) == "c":
        raise ValueError(
            "Complex data not supported: X has a complex dtype; pass real features."
        )


def check_X_y_rows(X, n_samples: int) -> None:
    """Raise a ValueError unless ``X`` has the ``n_samples`` rows of ``y``."""
    if _num_samples(X) != n_samples:
        raise ValueError(
            f"X has {_num_samples(X)} rows but y has {n_samples}; they must match."
        )


def _is_default(value, default) -> bool:
    if default is None:
        return value is None
    return np.ndim(value) == 0 and value == default


def _warn_unused_params(opt) -> None:
    """Warn about objective parameters set away from their default that the objective ignores.

    As scikit-learn's ``LogisticRegression`` does for an ``l1_ratio`` without
    ``penalty="elasticnet"``: a warning, not an error, so that a grid search
    over objectives and their parameters together still runs.
    """
    objective = opt.objective
    used = _BUILTIN[objective][1] if isinstance(objective, str) else ()
    users = {name: key for key, (_, names, _) in _BUILTIN.items() for name in names}
    for name, default in OBJECTIVE_PARAMS.items():
        if name in used or _is_default(getattr(opt, name), default):
            continue
        if isinstance(objective, str):
            ignored = f"objective={objective!r} does not use it"
        else:
            ignored = "a callable objective takes no parameters"
        warnings.warn(
            f"{name} is set but {ignored}: only objective={users[name]!r} uses {name}. "
            f"Use objective={users[name]!r}, or leave {name} at its default ({default!r}).",
            UserWarning,
            stacklevel=user_stacklevel(),
        )


def check_objective(opt, objective) -> None:
    """Check the resolved ``objective`` against ``opt``'s strategy and parameters.

    Raises a ValueError for per-label floors or costs with a strategy that
    pools the labels, and for ``strategy="micro"`` with ``cv_aggregate="mean"``;
    warns (UserWarning) about objective parameters the objective does not use.
    """
    _warn_unused_params(opt)
    if opt.strategy != "per_label" and objective.per_label:
        raise ValueError(
            f"strategy={opt.strategy!r} pools the labels' counts, so the objective's "
            "floors and costs must be scalars; per-label values need "
            "strategy='per_label'."
        )
    if opt.strategy == "micro" and opt.cv_aggregate == "mean":
        raise ValueError(
            "strategy='micro' searches the counts pooled over folds and labels; "
            "cv_aggregate='mean' needs strategy='per_label' or 'shared' (or "
            "'micromacro', which averages the folds' thresholds)."
        )


def resolve_min_score(min_score, objective):
    """``min_score_``: ``"auto"`` resolved (0.1 for F-measures, else None), checked."""
    if min_score == "auto":
        return 0.1 if objective.name in ("f1", "fbeta") else None
    if min_score is not None and not objective.greater_is_better:
        raise ValueError(
            f"min_score={min_score} guards objectives where larger is better, but "
            f"{objective.name!r} is minimised; use min_score=None (or 'auto')."
        )
    return min_score


def check_refit(refit, cv, n_splits: int | None = None) -> None:
    """Raise a ValueError when ``refit`` cannot be honoured with ``cv``.

    ``refit=False`` keeps the model of a single split, so it needs exactly one
    (``n_splits``); ``refit="ensemble"`` averages fold models, and
    ``cv="prefit"`` fits none.
    """
    if cv == "prefit":
        if refit == "ensemble":
            raise ValueError(
                "refit='ensemble' averages the fold models, but cv='prefit' fits none: "
                "the prefit estimator is used as it is. Use refit=True (the default) with "
                "cv='prefit', or an int cv (e.g. cv=5) with refit='ensemble'."
            )
        return
    if refit is False and n_splits != 1:
        raise ValueError(
            f"refit=False keeps the model fitted on the training part of a single "
            f"split, but cv={cv!r} gives {n_splits} splits. Use a float cv "
            "(e.g. cv=0.3) or refit=True."
        )
