"""Losses derived from the F1 score: F1-weighted cross-entropy and soft F1."""

from __future__ import annotations

from typing import Any

import torch

from ._base import MultiLabelLoss, bce_terms, check_real
from ._weighting import register_pos_weight


def _soft_f1_per_label(p: torch.Tensor, y: torch.Tensor, eps: float) -> torch.Tensor:
    """``2 tp / (2 tp + fp + fn + eps)`` per label, with soft counts over the rows."""
    tp = (p * y).sum(dim=0)
    # 2 tp + fp + fn = sum(p) + sum(y)
    denominator = p.sum(dim=0) + y.sum(dim=0) + eps
    return 2 * tp / denominator.clamp_min(torch.finfo(p.dtype).tiny)


class F1WeightedLoss(MultiLabelLoss):
    """Cross-entropy weighted by the batch's soft F1: the gradient of smooth F1,
    carried over to log-probabilities.

    With ``F1_c = 2 sum_i y_ic p_ic / sum_i (y_ic + p_ic)``, the soft F1 of label
    ``c`` over the rows of the batch, treated as a constant (not differentiated)::

        loss = -(1 - F1_c / 2) * w_c * y * log p - (F1_c / 2) * (1 - y) * log(1 - p)

    Derivation: the gradient of ``-F1_smooth`` weights each positive's ``dp`` by
    ``1 - F1/2`` and each negative's by ``F1/2`` (up to a common factor); replacing
    ``p`` by ``log p`` and ``1 - p`` by ``log(1 - p)``, as cross-entropy does for
    accuracy, gives this weighted cross-entropy. While a label's F1 is low its
    negatives weigh almost nothing, so the model is pushed to predict it; as F1
    grows the weights approach the symmetric ``1/2, 1/2``. A label without
    positives and without predicted mass in the batch has ``F1 = 0``, so its
    negatives get weight 0 in that batch.

    Batch-coupled: the weights come from the whole batch, so the loss of a row
    depends on the other rows, and batch size and ``sample_weight`` change the
    objective. Choice made here: F1 is computed per label (each label its own
    binary problem, matching macro-F1), not pooled over labels. The weights
    re-balance positives against negatives, so the classifier does not inject its
    automatic ``pos_weight``. Scores are not calibrated probabilities.

    Source: Su Jianlin, "再谈类别不平衡问题：调节权重与魔改Loss的对比联系" (2020),
    https://spaces.ac.cn/archives/7708, section "from smooth F1 to weighted
    cross-entropy".

    Parameters
    ----------
    pos_weight : array-like of shape (n_labels,) or None, default=None
        Per-label weight of the positive term.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` divides the sum by the number of elements ``n * n_labels``;
        ``"none"`` returns shape ``(n, n_labels)``.

    Examples
    --------
    >>> import torch
    >>> from skimb.losses import F1WeightedLoss
    >>> loss = F1WeightedLoss()
    >>> z = torch.tensor([[3.0, -3.0], [-3.0, -3.0]])
    >>> round(float(loss(z, torch.tensor([[1.0, 1.0], [0.0, 0.0]]))), 4)
    0.7418
    """

    statistics = frozenset({"pos_weight"})
    balances_classes = True
    calibrated = False
    batch_coupled = True

    def __init__(self, pos_weight=None, reduction: str = "mean"):
        super().__init__(reduction)
        register_pos_weight(self, pos_weight)

    @classmethod
    def own_weighting(cls, params: dict[str, Any]) -> str | None:
        return "its F1-based weights of positives (1 - F1/2) and negatives (F1/2)"

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        z, y = self._prepare(logits, targets)
        half_f1 = _soft_f1_per_label(torch.sigmoid(z.detach()), y, 0.0) / 2
        pos, neg = bce_terms(z)
        loss = self._combine(y, (1 - half_f1) * pos, half_f1 * neg)
        return self._reduce(loss)


class SoftF1Loss(MultiLabelLoss):
    """One minus the macro soft F1 of the batch (a Dice loss per label).

    With soft counts over the rows of the batch, ``tp_c = sum_i p_ic y_ic``,
    ``fp_c = sum_i p_ic (1 - y_ic)``, ``fn_c = sum_i (1 - p_ic) y_ic``::

        loss_c = 1 - 2 tp_c / (2 tp_c + fp_c + fn_c + eps)

    It optimises (a smooth version of) the metric directly and needs no class
    weights. Its weaknesses follow from the formula: a label without positives in
    the batch has ``tp_c = 0``, so its loss is 1 whatever the scores and it gets
    no gradient (negatives of rare labels are only pushed down in batches that
    contain a positive); the gradient passes through ``p = sigmoid(z)``, so a
    badly wrong element (``|z|`` large) gets almost none. Use large batches.
    Scores are pushed towards 0 and 1 and are not calibrated probabilities.

    Batch-coupled: the counts are sums over the batch, so the loss does not
    decompose per row; batch size and ``sample_weight`` change the objective.

    Source: the macro soft-F1 / Dice surrogate, e.g. F. Milletari, N. Navab,
    S.-A. Ahmadi, "V-Net", 3DV 2016 (Dice loss), used per label as in
    multi-label soft-F1 training.

    Parameters
    ----------
    eps : float, default=1e-6
        Added to each denominator, ``> 0``.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` averages the per-label losses (``1 -`` macro soft F1);
        ``"sum"`` adds them; ``"none"`` returns the ``n_labels`` per-label losses
        (there is no per-element loss).

    Examples
    --------
    >>> import torch
    >>> from skimb.losses import SoftF1Loss
    >>> loss = SoftF1Loss()
    >>> z = torch.tensor([[20.0], [-20.0]])
    >>> round(float(loss(z, torch.tensor([[1.0], [0.0]]))), 4)
    0.0
    """

    calibrated = False
    batch_coupled = True

    def __init__(self, eps: float = 1e-6, reduction: str = "mean"):
        super().__init__(reduction)
        self.eps = check_real(eps, "eps", 0, low_open=True)

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        z, y = self._prepare(logits, targets)
        return self._reduce(1 - _soft_f1_per_label(torch.sigmoid(z), y, self.eps))
