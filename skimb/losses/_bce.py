"""Binary cross-entropy on logits, the reference every other loss is compared to."""

from __future__ import annotations

import torch

from ._base import MultiLabelLoss, bce_terms
from ._weighting import register_pos_weight


class BCELoss(MultiLabelLoss):
    """Binary cross-entropy on logits, with an optional per-label ``pos_weight``.

    ``loss = -(w_c * y * log p + (1 - y) * log(1 - p))`` with ``p = sigmoid(z)``,
    computed from the logits with log-sigmoid, so it is finite for any logit and a
    badly wrong positive keeps its gradient (the numerically stable form of
    ``torch.nn.BCEWithLogitsLoss``). ``pos_weight`` scales only the positive term;
    the right value is ``n_neg / n_pos`` per label, never its inverse. Without
    ``pos_weight`` the loss is a proper scoring rule and ``sigmoid(z)`` estimates
    ``P(y = 1 | x)``; with it, the odds are multiplied by ``w_c``.

    Source: the logistic log-loss; ``pos_weight`` as defined by PyTorch's
    ``torch.nn.BCEWithLogitsLoss``.

    Parameters
    ----------
    pos_weight : array-like of shape (n_labels,) or None, default=None
        Weight of the positive term of each label.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` divides the sum by the number of elements ``n * n_labels``
        (not by the sum of the weights); ``"none"`` returns shape ``(n, n_labels)``.

    Examples
    --------
    >>> import torch
    >>> from skimb.losses import BCELoss
    >>> loss = BCELoss(pos_weight=[3.0, 1.0])
    >>> round(float(loss(torch.zeros(2, 2), torch.tensor([[1.0, 0.0], [0.0, 1.0]]))), 4)
    1.0397
    """

    statistics = frozenset({"pos_weight"})

    def __init__(self, pos_weight=None, reduction: str = "mean"):
        super().__init__(reduction)
        register_pos_weight(self, pos_weight)

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        z, y = self._prepare(logits, targets)
        pos, neg = bce_terms(z)
        return self._reduce(self._combine(y, pos, neg))
