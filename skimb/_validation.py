"""Input checks of the NumPy side, each answering a mistake with its fix.

Used by :class:`~skimb.ThresholdOptimizer` and :func:`~skimb.find_thresholds`;
imports no torch.
"""

from __future__ import annotations

import numpy as np

__all__ = ["check_finite_scores"]


def check_finite_scores(folds, estimator, method: str, prefit: bool = False) -> None:
    """Raise a ValueError when the estimator's out-of-fold scores are not all finite.

    Parameters
    ----------
    folds : list of (scores, test, skipped)
        Each fold's ``(len(test), n_labels)`` scores, its rows and the labels
        skipped there (their scores are not searched, so not checked).
    estimator : estimator object
        The wrapped estimator (for its name).
    method : str
        ``"predict_proba"`` or ``"decision_function"``.
    prefit : bool, default=False
        The scores come from a prefit estimator on the data passed to fit.
    """
    for number, (scores, _, skipped) in enumerate(folds):
        bad = ~np.isfinite(scores) & ~np.asarray(skipped, dtype=bool)
        if not bad.any():
            continue
        labels = np.flatnonzero(bad.any(axis=0))
        kinds = sorted({"NaN" if np.isnan(v) else "infinite" for v in scores[bad][:1000]})
        name = type(estimator).__name__
        source = ("the data passed to fit" if prefit
                  else f"the validation rows of fold {number}")
        raise ValueError(
            f"The {'scores' if prefit else 'out-of-fold scores'} of {name}.{method} are not "
            f"finite ({' and '.join(kinds)} in {int(bad.sum())} values, labels "
            f"{labels[:10].tolist()}{' ...' if labels.size > 10 else ''}) on {source}, so "
            "no threshold can be searched on them. The estimator has most likely diverged "
            "in training (scale the features, lower its learning rate) or cannot score "
            "these rows; check it on its own with cross_val_predict."
        )
