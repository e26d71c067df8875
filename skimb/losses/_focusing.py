"""Losses that focus on hard examples: focal and asymmetric (ASL)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from ._base import MultiLabelLoss, bce_terms, check_real, focal_terms, focusing, safe_pow
from ._weighting import register_pos_weight


class FocalLoss(MultiLabelLoss):
    """Focal loss: cross-entropy down-weighted on well-classified elements.

    Per element, with ``p = sigmoid(z)``::

        loss = -alpha * w_c * (1 - p) ** gamma * log p            if y = 1
        loss = -(1 - alpha) * p ** gamma * log(1 - p)              if y = 0

    ``gamma`` shrinks the loss of easy elements (``p_t`` near 1), so the many easy
    negatives of a rare label stop dominating the gradient. ``alpha`` is a fixed
    class weight: ``alpha < 0.5`` *down*-weights the positives (the paper pairs
    ``alpha=0.25`` with ``gamma=2`` because focusing already removes most easy
    negatives). Because ``alpha`` weights classes, the classifier does not inject
    its automatic ``pos_weight``; for per-label positive weights, set
    ``alpha=None`` and pass ``pos_weight`` explicitly. Passing ``pos_weight``
    with ``alpha`` set emits a :class:`~skimb.losses.DoubleWeightingWarning`.

    The focusing factor is computed as ``exp(gamma * log_sigmoid(.))``, so its
    derivative stays finite for ``gamma < 1``, where ``(1 - p) ** gamma`` has an
    infinite slope at ``p = 1``. The factor is differentiated (as in the paper),
    not detached. Scores are not calibrated probabilities for ``gamma > 0``.

    Source: T.-Y. Lin, P. Goyal, R. Girshick, K. He, P. Dollár, "Focal Loss for
    Dense Object Detection", ICCV 2017.

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter, ``>= 0``; 0 gives (alpha-weighted) cross-entropy.
    alpha : float in [0, 1] or None, default=0.25
        Weight of the positive term; the negative term gets ``1 - alpha``.
        ``None`` weights both terms 1.
    pos_weight : array-like of shape (n_labels,) or None, default=None
        Per-label weight of the positive term, on top of ``alpha``.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` divides the sum by the number of elements ``n * n_labels``;
        ``"none"`` returns shape ``(n, n_labels)``.

    Examples
    --------
    >>> import torch
    >>> from skimb.losses import FocalLoss
    >>> loss = FocalLoss(gamma=2.0, alpha=0.25)
    >>> round(float(loss(torch.tensor([[2.0, -1.0]]), torch.tensor([[1.0, 0.0]]))), 4)
    0.0087
    """

    statistics = frozenset({"pos_weight"})
    balances_classes = True
    calibrated = False

    def __init__(self, gamma: float = 2.0, alpha: float | None = 0.25, pos_weight=None,
                 reduction: str = "mean"):
        super().__init__(reduction)
        self.gamma = check_real(gamma, "gamma", 0)
        self.alpha = None if alpha is None else check_real(alpha, "alpha", 0, 1)
        register_pos_weight(self, pos_weight, alpha=alpha)

    @classmethod
    def own_weighting(cls, params: dict[str, Any]) -> str | None:
        alpha = params.get("alpha")
        if alpha is None:
            return None
        return f"its alpha={alpha} (set alpha=None to weight positives by pos_weight alone)"

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        z, y = self._prepare(logits, targets)
        pos, neg = focal_terms(z, self.gamma)
        if self.alpha is not None:
            pos, neg = self.alpha * pos, (1 - self.alpha) * neg
        return self._reduce(self._combine(y, pos, neg))


class AsymmetricLoss(MultiLabelLoss):
    """Asymmetric loss (ASL): separate focusing for positives and negatives, and
    a probability margin that discards easy negatives.

    Per element, with ``p = sigmoid(z)`` and the shifted probability
    ``p_m = max(p - clip, 0)``::

        loss = -w_c * (1 - p) ** gamma_pos * log p                 if y = 1
        loss = -p_m ** gamma_neg * log(1 - p_m)                     if y = 0

    A large ``gamma_neg`` and the ``clip`` margin make the loss of easy negatives
    (``p < clip``) exactly zero, which is how ASL handles the
    positive-negative imbalance; the classifier therefore does not inject its
    automatic ``pos_weight`` (pass one explicitly to stack it, with a
    :class:`~skimb.losses.DoubleWeightingWarning`).

    Choices made here, where the paper and its reference implementation differ:
    ``gamma_pos`` defaults to 1 (the reference implementation's default; the
    paper's recipe is ``gamma_pos=0``, set ``gamma_pos=0`` to follow it); the
    focusing factors are differentiated as in the paper's formula (the reference
    code can compute them with gradients switched off globally, which skimb never
    does); ``log`` terms come from log-sigmoid instead of ``log(clamp(p, eps))``;
    ``"mean"`` averages over elements where the reference code returns the sum.
    With ``gamma_pos = gamma_neg = clip = 0`` the loss equals cross-entropy.
    Scores are not calibrated probabilities.

    Source: E. Ben-Baruch, T. Ridnik, N. Zamir, A. Noy, I. Friedman, M. Protter,
    L. Zelnik-Manor, "Asymmetric Loss For Multi-Label Classification", ICCV 2021.

    Parameters
    ----------
    gamma_pos : float, default=1.0
        Focusing parameter of the positives, ``>= 0``.
    gamma_neg : float, default=4.0
        Focusing parameter of the negatives, ``>= 0``.
    clip : float in [0, 1), default=0.05
        Probability margin subtracted from the negatives' ``p``.
    pos_weight : array-like of shape (n_labels,) or None, default=None
        Per-label weight of the positive term.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` divides the sum by the number of elements ``n * n_labels``;
        ``"none"`` returns shape ``(n, n_labels)``.

    Examples
    --------
    >>> import torch
    >>> from skimb.losses import AsymmetricLoss
    >>> loss = AsymmetricLoss(reduction="none")
    >>> # the easy negative (p < clip) costs exactly 0; the positive keeps a small loss
    >>> loss(torch.tensor([[-3.0, 3.0]]), torch.tensor([[0.0, 1.0]]))
    tensor([[0.0000, 0.0023]])
    """

    statistics = frozenset({"pos_weight"})
    balances_classes = True
    calibrated = False

    def __init__(self, gamma_pos: float = 1.0, gamma_neg: float = 4.0, clip: float = 0.05,
                 pos_weight=None, reduction: str = "mean"):
        super().__init__(reduction)
        self.gamma_pos = check_real(gamma_pos, "gamma_pos", 0)
        self.gamma_neg = check_real(gamma_neg, "gamma_neg", 0)
        self.clip = check_real(clip, "clip", 0, 1, high_open=True)
        register_pos_weight(
            self, pos_weight, gamma_pos=gamma_pos, gamma_neg=gamma_neg, clip=clip
        )

    @classmethod
    def own_weighting(cls, params: dict[str, Any]) -> str | None:
        if params.get("gamma_neg", 0) <= params.get("gamma_pos", 0) and not params.get("clip"):
            return None
        return (
            f"its asymmetric focusing gamma_neg={params.get('gamma_neg')}, "
            f"clip={params.get('clip')} (set gamma_neg=gamma_pos and clip=0 to switch it off)"
        )

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        z, y = self._prepare(logits, targets)
        pos, neg_plain = bce_terms(z)
        pos = pos * focusing(-neg_plain, self.gamma_pos)
        if self.clip > 0:
            p_m = (torch.sigmoid(z) - self.clip).clamp(min=0)
            # 1 - p_m >= clip > 0, so the log is finite without an epsilon.
            neg = -torch.log((torch.sigmoid(-z) + self.clip).clamp(max=1))
            neg = neg * safe_pow(p_m, self.gamma_neg)
        else:
            neg = neg_plain * focusing(F.logsigmoid(z), self.gamma_neg)
        return self._reduce(self._combine(y, pos, neg))
