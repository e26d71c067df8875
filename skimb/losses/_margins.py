"""Losses that move the decision boundary by label frequency: logit adjustment
and label-distribution-aware margins (LDAM)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ._base import (
    MultiLabelLoss,
    bce_terms,
    check_counts,
    check_n_samples,
    check_real,
    prior_logits,
)
from ._weighting import register_pos_weight


class LogitAdjustedLoss(MultiLabelLoss):
    """Logit-adjusted cross-entropy: train on prior-shifted logits, predict from raw.

    With the label prior ``pi_c = n_c / N``::

        loss = BCE(z + tau * log(pi_c / (1 - pi_c)), y)

    The shift exists only inside the loss. The network's raw logit ``z`` then
    learns the prior-free ("balanced") log-odds, and predicting ``z > 0`` is the
    balanced-error decision: rare labels are predicted more often than plain
    cross-entropy would. ``sigmoid(z)`` is therefore not ``P(y = 1 | x)``; it is
    the probability under balanced priors (not calibrated; use
    :class:`~skimb.ThresholdOptimizer` to pick thresholds for another objective).
    ``tau = 0`` is plain cross-entropy. A label with no positives (or only
    positives) is counted as having half an example of each side, so its prior
    logit stays finite. The adjustment plays the role of class weights, so the
    classifier does not inject its automatic ``pos_weight``.

    This is the margin view of class re-weighting: adding ``tau * log prior`` to
    the logit before the log-sigmoid is a weighting applied before the log
    instead of after it (Su Jianlin, "再谈类别不平衡问题", 2020, spaces.ac.cn/archives/7708).

    Source: A. K. Menon, S. Jayasumana, A. S. Rawat, H. Jain, A. Veit, S. Kumar,
    "Long-tail learning via logit adjustment", ICLR 2021 (written there for
    softmax; this is its per-label sigmoid form).

    Parameters
    ----------
    class_counts : array-like of shape (n_labels,)
        Positives of each label in the training data (injected by the classifier).
    n_samples : int
        Number of training rows (injected by the classifier).
    tau : float, default=1.0
        Strength of the adjustment, ``>= 0``.
    pos_weight : array-like of shape (n_labels,) or None, default=None
        Per-label weight of the positive term.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` divides the sum by the number of elements ``n * n_labels``;
        ``"none"`` returns shape ``(n, n_labels)``.

    Examples
    --------
    >>> import torch
    >>> from skimb.losses import LogitAdjustedLoss
    >>> loss = LogitAdjustedLoss(class_counts=[500, 10], n_samples=1000)
    >>> [round(v, 3) for v in loss.prior_logits.tolist()]
    [0.0, -4.595]
    >>> float(loss(torch.zeros(1, 2), torch.tensor([[1.0, 1.0]]))) > 0.6931
    True
    """

    statistics = frozenset({"class_counts", "n_samples", "pos_weight"})
    balances_classes = True
    calibrated = False

    def __init__(self, class_counts=None, n_samples: int | None = None, tau: float = 1.0,
                 pos_weight=None, reduction: str = "mean"):
        super().__init__(reduction)
        owner = type(self).__name__
        counts = check_counts(class_counts, owner)
        n_samples = check_n_samples(n_samples, counts, owner)
        self.tau = check_real(tau, "tau", 0)
        self.register_buffer(
            "prior_logits", self._as_buffer(prior_logits(counts, n_samples), "prior_logits")
        )
        register_pos_weight(self, pos_weight, tau=tau)

    @classmethod
    def own_weighting(cls, params: dict[str, Any]) -> str | None:
        if not params.get("tau"):
            return None
        return f"its logit adjustment tau={params['tau']} (tau=0 switches it off)"

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        z, y = self._prepare(logits, targets)
        pos, neg = bce_terms(z + self.tau * self._per_label("prior_logits", z))
        return self._reduce(self._combine(y, pos, neg))


class LDAMLoss(MultiLabelLoss):
    """Label-distribution-aware margin (LDAM) loss, per-label sigmoid form.

    Each positive must clear a margin that grows as its label gets rarer::

        loss = BCE(s * (z - delta_c * y), y),   delta_c = C / n_c ** (1/4)

    with ``C`` chosen so that the largest margin is ``max_margin``. The margin is
    subtracted from the positives' logits only. ``s`` scales the logits inside
    the loss: the paper applies it to cosine logits in ``[-1, 1]``; on the
    unnormalised logits of an ordinary network it acts as an inverse temperature
    (the loss saturates ``s`` times faster). Prediction uses the raw logits; the
    natural threshold is ``z = 0`` and ``sigmoid(z)`` is not calibrated (use
    :class:`~skimb.ThresholdOptimizer`). A label with no positives is counted as
    having one, so its margin is finite (the largest). The paper combines LDAM with
    deferred re-weighting; here the margins are the only imbalance correction, and
    the classifier does not inject its automatic ``pos_weight``.

    Source: K. Cao, C. Wei, A. Gaidon, N. Arechiga, T. Ma, "Learning Imbalanced
    Datasets with Label-Distribution-Aware Margin Loss", NeurIPS 2019 (written
    there for softmax; its reference implementation defaults are ``max_m=0.5``,
    ``s=30``).

    Parameters
    ----------
    class_counts : array-like of shape (n_labels,)
        Positives of each label in the training data (injected by the classifier).
    max_margin : float, default=0.5
        Margin of the rarest label (the paper's ``max_m``), ``>= 0``.
    scale : float, default=30.0
        Logit scale ``s``, ``> 0``.
    pos_weight : array-like of shape (n_labels,) or None, default=None
        Per-label weight of the positive term.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` divides the sum by the number of elements ``n * n_labels``;
        ``"none"`` returns shape ``(n, n_labels)``.

    Examples
    --------
    >>> from skimb.losses import LDAMLoss
    >>> loss = LDAMLoss(class_counts=[10000, 625, 16])
    >>> [round(m, 3) for m in loss.margins.tolist()]
    [0.1, 0.2, 0.5]
    """

    statistics = frozenset({"class_counts", "pos_weight"})
    balances_classes = True
    calibrated = False

    def __init__(self, class_counts=None, max_margin: float = 0.5, scale: float = 30.0,
                 pos_weight=None, reduction: str = "mean"):
        super().__init__(reduction)
        counts = check_counts(class_counts, type(self).__name__)
        self.max_margin = check_real(max_margin, "max_margin", 0)
        self.scale = check_real(scale, "scale", 0, low_open=True)
        quarter = np.maximum(counts, 1.0) ** -0.25
        margins = self.max_margin * quarter / quarter.max()
        self.register_buffer("margins", self._as_buffer(margins, "margins"))
        register_pos_weight(self, pos_weight, max_margin=max_margin)

    @classmethod
    def own_weighting(cls, params: dict[str, Any]) -> str | None:
        if not params.get("max_margin"):
            return None
        return (
            f"its label-frequency margins max_margin={params['max_margin']} "
            "(max_margin=0 switches them off)"
        )

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        z, y = self._prepare(logits, targets)
        pos, neg = bce_terms(self.scale * (z - self._per_label("margins", z) * y))
        return self._reduce(self._combine(y, pos, neg))
