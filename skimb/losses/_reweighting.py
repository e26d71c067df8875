"""Losses that re-weight elements by label frequency: class-balanced and
distribution-balanced."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ._base import (
    MultiLabelLoss,
    check_counts,
    check_n_samples,
    check_real,
    focal_terms,
    focusing,
    prior_logits,
)
from ._weighting import register_pos_weight


class ClassBalancedLoss(MultiLabelLoss):
    """Class-balanced loss: each label weighted by its inverse effective number.

    The effective number of ``n_c`` examples is ``(1 - beta ** n_c) / (1 - beta)``
    (it grows like ``n_c`` for small counts and saturates at ``1 / (1 - beta)``).
    Label ``c`` gets the weight ``(1 - beta) / (1 - beta ** n_c)``, normalised so
    the weights sum to ``n_labels``, and the loss is::

        loss = cb_c * focal_gamma(z, y)          (cross-entropy when gamma = 0)

    where the weight multiplies both terms of label ``c`` (the per-label, "by
    class" reading of the paper for sigmoid outputs: the paper weights whole
    single-label samples by their class, which has no direct multi-label
    analogue). The weighting therefore changes how the labels share the network,
    not the balance of positives and negatives within a label. ``beta = 0`` gives
    weights 1 (plain cross-entropy); ``beta -> 1`` approaches inverse-frequency
    weights. A label with no positives is counted as having one, so its weight is
    finite. The classifier does not inject its automatic ``pos_weight``; pass one
    explicitly to stack it (with a :class:`~skimb.losses.DoubleWeightingWarning`).

    Source: Y. Cui, M. Jia, T.-Y. Lin, Y. Song, S. Belongie, "Class-Balanced Loss
    Based on Effective Number of Samples", CVPR 2019. The default ``beta=0.999``
    is the middle of the paper's range {0.9, 0.99, 0.999, 0.9999}: at the label
    counts of typical multi-label tables (tens to thousands) 0.9999 is almost
    inverse frequency and 0.9 almost uniform.

    Parameters
    ----------
    class_counts : array-like of shape (n_labels,)
        Positives of each label in the training data (injected by the classifier).
    beta : float in [0, 1), default=0.999
        Hyper-parameter of the effective number.
    gamma : float, default=0.0
        Focusing parameter; ``> 0`` weights the focal loss (without alpha) instead
        of cross-entropy.
    pos_weight : array-like of shape (n_labels,) or None, default=None
        Per-label weight of the positive term.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` divides the sum by the number of elements ``n * n_labels``
        (the weights average 1); ``"none"`` returns shape ``(n, n_labels)``.

    Examples
    --------
    >>> import torch
    >>> from skimb.losses import ClassBalancedLoss
    >>> loss = ClassBalancedLoss(class_counts=[900, 100, 10], beta=0.999)
    >>> [round(w, 3) for w in loss.class_weights.tolist()]
    [0.045, 0.28, 2.675]
    >>> float(loss(torch.zeros(4, 3), torch.zeros(4, 3))) > 0
    True
    """

    statistics = frozenset({"class_counts", "pos_weight"})
    balances_classes = True

    def __init__(self, class_counts=None, beta: float = 0.999, gamma: float = 0.0,
                 pos_weight=None, reduction: str = "mean"):
        super().__init__(reduction)
        counts = check_counts(class_counts, type(self).__name__)
        self.beta = check_real(beta, "beta", 0, 1, high_open=True)
        self.gamma = check_real(gamma, "gamma", 0)
        n = np.maximum(counts, 1.0)
        effective = (1.0 - self.beta**n) / (1.0 - self.beta)
        weights = 1.0 / effective
        weights *= weights.size / weights.sum()
        self.register_buffer("class_weights", self._as_buffer(weights, "class_weights"))
        register_pos_weight(self, pos_weight, beta=beta)

    @classmethod
    def own_weighting(cls, params: dict[str, Any]) -> str | None:
        if not params.get("beta"):
            return None
        return f"its class-balanced weights beta={params['beta']} (beta=0 switches them off)"

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        z, y = self._prepare(logits, targets)
        pos, neg = focal_terms(z, self.gamma)
        loss = self._combine(y, pos, neg)
        return self._reduce(loss * self._per_label("class_weights", z))


class DistributionBalancedLoss(MultiLabelLoss):
    """Distribution-balanced loss: re-balanced weights plus negative-tolerant
    regularisation, for long-tailed multi-label data.

    Two parts, per element of row ``k`` and label ``c``:

    - *Re-balanced weighting.* ``r = (1 / n_c) / sum_{j in pos(k)} 1 / n_j``
      compares the label's inverse frequency with the row's total; it is mapped
      smoothly to ``w = alpha + sigmoid(beta * (r - mu))``. Positives and negatives
      are weighted alike. A row without positives gets ``w = alpha + 1`` (the limit
      ``r -> inf``, which is what the reference implementation computes).
    - *Negative-tolerant regularisation.* The logits are shifted by the prior,
      ``z~ = z + kappa * log(pi_c / (1 - pi_c))``; a negative's logit is scaled by
      ``lambda`` and its loss by ``1 / lambda``, so confidently rejected negatives
      stop contributing sooner.

    With the optional focal factor::

        loss = w * w_c * (1 - sigmoid(z~)) ** gamma * -log sigmoid(z~)              y = 1
        loss = w / lambda * sigmoid(lambda z~) ** gamma * -log(1 - sigmoid(lambda z~))  y = 0

    The weights ``w`` depend on the other labels of the same row but not on the
    other rows of the batch: the loss couples labels, not samples. The paper uses
    the weights to undo class-aware re-sampling; skimb trains without re-sampling,
    so here they act as a plain loss weighting. The classifier does not inject its
    automatic ``pos_weight``. Prediction uses the raw logits ``z``, so scores are
    not calibrated probabilities.

    Choices made here: the reference implementation multiplies the focal version
    by a constant ``balance_param`` (2) and adds the prior shift to the caller's
    logits in place; skimb omits the constant (a learning-rate rescale) and never
    modifies the input. A label with no positives is counted as having one for
    ``1 / n_c`` and as half an example for the prior, so everything stays finite.

    Source: T. Wu, Q. Huang, Z. Liu, Y. Wang, D. Lin, "Distribution-Balanced Loss
    for Multi-Label Classification in Long-Tailed Datasets", ECCV 2020. Defaults
    are the paper's COCO-MLT setting.

    Parameters
    ----------
    class_counts : array-like of shape (n_labels,)
        Positives of each label in the training data (injected by the classifier).
    n_samples : int
        Number of training rows (injected by the classifier).
    alpha, beta, mu : float, default=0.1, 10.0, 0.2
        Smoothing function of the re-balanced weight.
    neg_scale : float, default=2.0
        ``lambda`` of the negative-tolerant regularisation, ``> 0``.
    kappa : float, default=0.05
        Scale of the prior shift of the logits.
    gamma : float, default=2.0
        Focusing parameter; 0 switches the focal factor off.
    pos_weight : array-like of shape (n_labels,) or None, default=None
        Per-label weight of the positive term.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` divides the sum by the number of elements ``n * n_labels``;
        ``"none"`` returns shape ``(n, n_labels)``.

    Examples
    --------
    >>> import torch
    >>> from skimb.losses import DistributionBalancedLoss
    >>> loss = DistributionBalancedLoss(class_counts=[500, 50, 5], n_samples=1000)
    >>> float(loss(torch.zeros(2, 3), torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 0.0]]))) > 0
    True
    """

    statistics = frozenset({"class_counts", "n_samples", "pos_weight"})
    balances_classes = True
    calibrated = False

    def __init__(self, class_counts=None, n_samples: int | None = None, alpha: float = 0.1,
                 beta: float = 10.0, mu: float = 0.2, neg_scale: float = 2.0,
                 kappa: float = 0.05, gamma: float = 2.0, pos_weight=None,
                 reduction: str = "mean"):
        super().__init__(reduction)
        owner = type(self).__name__
        counts = check_counts(class_counts, owner)
        n_samples = check_n_samples(n_samples, counts, owner)
        self.alpha = check_real(alpha, "alpha", 0)
        self.beta = check_real(beta, "beta", 0)
        self.mu = check_real(mu, "mu")
        self.neg_scale = check_real(neg_scale, "neg_scale", 0, low_open=True)
        self.kappa = check_real(kappa, "kappa")
        self.gamma = check_real(gamma, "gamma", 0)
        inverse = 1.0 / np.maximum(counts, 1.0)
        self.register_buffer("inverse_counts", self._as_buffer(inverse, "inverse_counts"))
        self.register_buffer(
            "prior_logits", self._as_buffer(prior_logits(counts, n_samples), "prior_logits")
        )
        register_pos_weight(self, pos_weight)

    @classmethod
    def own_weighting(cls, params: dict[str, Any]) -> str | None:
        return "its re-balanced weights and negative-tolerant regularisation"

    def rebalanced_weights(self, targets: torch.Tensor) -> torch.Tensor:
        """Smoothed re-balanced weight of every element, shape ``(n, n_labels)``."""
        inverse = self._per_label("inverse_counts", targets)
        row_total = (targets * inverse).sum(dim=1, keepdim=True)
        has_pos = row_total > 0
        r = inverse / torch.where(has_pos, row_total, 1.0)
        smoothed = torch.where(has_pos, torch.sigmoid(self.beta * (r - self.mu)), 1.0)
        return self.alpha + smoothed

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        z, y = self._prepare(logits, targets)
        weights = self.rebalanced_weights(y)
        shifted = z + self.kappa * self._per_label("prior_logits", z)
        pos = -F.logsigmoid(shifted) * focusing(F.logsigmoid(-shifted), self.gamma)
        scaled = self.neg_scale * shifted
        neg = -F.logsigmoid(-scaled) * focusing(F.logsigmoid(scaled), self.gamma)
        loss = self._combine(y, pos, neg / self.neg_scale)
        return self._reduce(weights * loss)
