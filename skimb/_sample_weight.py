"""Per-row sample weights in the classifier: validation, statistics, and the loss.

The weights travel with the rows as one more column of the target (``[y | w]``),
so every batching path (skimb's in-memory iterator, skorch's DataLoader, a
``train_split`` subset) keeps each row's weight with the row; the loss tells the
weight column apart by its width (one more column than the module's output).

Meaning: a row of weight ``w`` counts as ``w`` copies of the row, in the loss
(the weighted mean ``sum_i w_i l_i / sum_i w_i`` of the per-row losses over a
batch, which equals the loss of a batch with the rows duplicated) and in the
class statistics (``class_counts_ = sum_i w_i y_i``, ``n_samples_seen_ =
sum_i w_i``, hence ``pos_weight``). Batch-coupled losses (``batch_coupled =
True``: soft F1, F1-weighted, two-way) have no per-row loss, so they refuse
weights.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.utils.validation import _check_sample_weight

__all__ = [
    "as_loss_n_samples",
    "check_sample_weight",
    "check_weighted_criterion",
    "weighted_loss",
    "weighted_statistics",
    "with_weights",
]


def check_sample_weight(sample_weight, X, criterion_cls) -> np.ndarray | None:
    """The weights as a float64 ``(n_samples,)`` array, or a ValueError before training.

    Refused: negative, NaN or infinite weights, all weights zero, a wrong
    length, and losses whose per-row value is not defined (``batch_coupled``).
    """
    if sample_weight is None:
        return None
    name = getattr(criterion_cls, "__name__", repr(criterion_cls))
    if getattr(criterion_cls, "batch_coupled", False):
        raise ValueError(
            f"sample_weight cannot weight the rows of {name}: it is batch-coupled (the loss "
            "of a row depends on the other rows of the batch, e.g. a soft F1 over the "
            "batch), so a per-row weight has no defined meaning. Use a row-wise loss "
            "(criterion='bce', 'focal', 'asymmetric', ...) with sample_weight, or repeat "
            "the rows instead of weighting them."
        )
    w = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
    if not w.sum() > 0:
        raise ValueError("sample_weight is zero for every row; nothing would be learned.")
    return w


def check_weighted_criterion(criterion) -> None:
    """Raise a ValueError unless the built loss can give per-element losses."""
    reduction = getattr(criterion, "reduction", None)
    if reduction not in ("mean", "sum"):
        raise ValueError(
            f"sample_weight needs a loss with a `reduction` attribute ('mean' or 'sum') that "
            f"accepts 'none' for per-element losses, as torch's and skimb's losses do; "
            f"{type(criterion).__name__} has reduction={reduction!r}. Add one, or fit "
            "without sample_weight."
        )


def weighted_statistics(y: np.ndarray, w: np.ndarray | None):
    """``(class_counts, n_samples)``: positives and rows, counted with weights."""
    if w is None:
        return np.asarray(y.sum(axis=0)).ravel().astype(np.int64), int(y.shape[0])
    counts = np.asarray(w @ np.asarray(y, dtype=np.float64)).ravel()
    total = float(w.sum())
    if float(total).is_integer() and np.all(np.mod(counts, 1) == 0):
        return counts.astype(np.int64), int(total)
    return counts, total


def as_loss_n_samples(n_samples, counts) -> int:
    """``n_samples`` as the integer the losses take: the weighted total rounded, never
    below the largest weighted count (the two are equal with integer weights)."""
    largest = float(np.max(counts)) if np.size(counts) else 0.0
    return max(1, round(float(n_samples)), int(np.ceil(largest - 1e-9)))


def with_weights(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``[y | w]`` as float32: the weight as the last column of the target."""
    return np.hstack([y, w.astype(np.float32)[:, None]]).astype(np.float32, copy=False)


def weighted_loss(criterion, y_pred: torch.Tensor, y_true: torch.Tensor) -> torch.Tensor:
    """The criterion's value with each row weighted (``y_true`` is ``[y | w]``).

    The per-element losses come from the criterion with ``reduction="none"``
    (set for the call and restored); a row's loss is the mean over its labels,
    and the batch's ``sum_i w_i l_i / sum_i w_i`` (``reduction="mean"``) or
    ``sum_i w_i l_i`` with the row's sum over labels (``reduction="sum"``).
    """
    w = y_true[..., -1]
    y = y_true[..., :-1]
    check_weighted_criterion(criterion)
    reduction = criterion.reduction
    criterion.reduction = "none"
    try:
        elements = criterion(y_pred, y)
    finally:
        criterion.reduction = reduction
    rows = elements.reshape(elements.shape[0], -1)
    if reduction == "sum":
        return (rows.sum(dim=1) * w).sum()
    per_row = rows.mean(dim=1)
    return (per_row * w).sum() / w.sum().clamp_min(torch.finfo(per_row.dtype).tiny)
