"""Errors that skimb raises beyond scikit-learn's ValueError/TypeError."""

from __future__ import annotations

__all__ = ["TrainingDivergedError", "divergence_message"]


class TrainingDivergedError(FloatingPointError, ValueError):
    """The training loss became NaN or infinite: the weights diverged.

    Raised by :meth:`skimb.MultiLabelImbalancedClassifier.fit` (and
    ``partial_fit`` and ``fit_folds``) at the end of the epoch in which it
    happens, with the epoch named and the usual fixes. A ``ValueError``, so
    ``GridSearchCV(error_score=np.nan)`` records the candidate as failed.
    """


def divergence_message(value: float, epoch: int, batch: int, n_batches: int, lr,
                       where: str = "") -> str:
    """The message of :class:`TrainingDivergedError`."""
    return (
        f"The training loss became {value} in epoch {epoch} (batch {batch} of "
        f"{n_batches}){where}: the weights diverged, and every prediction from them "
        "would be NaN. Training stopped. Fixes: scale the features (e.g. "
        "sklearn.preprocessing.StandardScaler in a Pipeline), lower lr (it is "
        f"{lr}), or clip the gradients with "
        "callbacks=[skorch.callbacks.GradientNormClipping(1.0)]."
    )
