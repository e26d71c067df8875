"""Losses that rank positive logits above negative ones: ZLPR and two-way."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ._base import MultiLabelLoss, check_real


def _masked_logsumexp(values: torch.Tensor, mask: torch.Tensor, dim: int) -> torch.Tensor:
    """``log sum exp`` of ``values`` where ``mask`` holds, along ``dim``.

    An empty group gives ``-inf`` (the log of an empty sum) with a zero, not NaN,
    gradient: masked entries are ``-inf``, and an all-masked group is evaluated on
    dummy zeros whose result is then replaced.
    """
    nonempty = mask.any(dim=dim, keepdim=True)
    masked = torch.where(mask, values, float("-inf"))
    lse = torch.logsumexp(torch.where(nonempty, masked, 0.0), dim=dim)
    return torch.where(nonempty.squeeze(dim), lse, float("-inf"))


class ZLPRLoss(MultiLabelLoss):
    """Zero-bounded log-sum-exp and pairwise rank-based (ZLPR) loss.

    Per row, over its negative labels ``N`` and positive labels ``P``::

        loss = log(1 + sum_{j in N} exp(z_j)) + log(1 + sum_{i in P} exp(-z_i))

    It asks every positive logit to exceed every negative one and uses 0 as the
    separating threshold, so labels are predicted by ``z > 0``. The loss takes no
    class weights and no training statistics. ``sigmoid(z)`` is **not** a
    calibrated probability: it is only a monotone score whose natural threshold
    is 0.5 (logit 0); use :class:`~skimb.ThresholdOptimizer` to choose thresholds.

    Each row's loss depends only on that row (it couples the labels of a row, not
    the rows of a batch). The sums are log-sum-exps with an appended zero, with
    masks of ``-inf``, so the loss is finite for any logits.

    Source: J. Su, M. Zhu, A. Murtadha, S. Pan, B. Wen, Y. Liu, "ZLPR: A Novel
    Loss for Multi-label Classification", arXiv:2208.02955, 2022.

    Parameters
    ----------
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` divides the sum of the row losses by the number of rows;
        ``"none"`` returns shape ``(n,)``, one loss per row.

    Examples
    --------
    >>> import torch
    >>> from skimb.losses import ZLPRLoss
    >>> loss = ZLPRLoss(reduction="none")
    >>> loss(torch.tensor([[5.0, -5.0], [0.0, 0.0]]), torch.tensor([[1.0, 0.0], [1.0, 0.0]]))
    tensor([0.0134, 1.3863])
    """

    calibrated = False

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        z, y = self._prepare(logits, targets)
        positive = y > 0.5
        zero = z.new_zeros(z.shape[0], 1)
        keep = positive.new_ones(z.shape[0], 1)
        neg = _masked_logsumexp(torch.cat([zero, z], 1), torch.cat([keep, ~positive], 1), 1)
        pos = _masked_logsumexp(torch.cat([zero, -z], 1), torch.cat([keep, positive], 1), 1)
        return self._reduce(neg + pos)


class TwoWayLoss(MultiLabelLoss):
    """Two-way multi-label loss: a softplus of the hardest negative against the
    hardest positive, taken both per sample and per class.

    For a group ``G`` of elements (one row, or one label's column over the batch)
    with positives ``P`` and negatives ``N``::

        l(G) = softplus(Tn * LSE_{j in N}(z_j / Tn) + Tp * LSE_{i in P}(-z_i / Tp))

    where ``LSE`` is log-sum-exp, a soft maximum whose sharpness the temperatures
    set. The loss is the mean of ``l`` over the classes that have a positive in the
    batch plus the mean of ``l`` over the samples that have a positive. A group
    with no negatives contributes 0 (the log of an empty sum is ``-inf``).

    ``sigmoid(z)`` is **not** a calibrated probability; the natural threshold is
    logit 0 (probability 0.5); use :class:`~skimb.ThresholdOptimizer` to choose
    thresholds. The loss takes no class weights and no training statistics.

    Batch-coupled: the class-wise part compares logits across the rows of the
    batch, so batch size and ``sample_weight`` change the objective.

    Choice made here: sets are masked exactly, with ``-inf``; the reference
    implementation adds ``-100`` to masked logits instead, which lets masked
    entries leak into the log-sum-exp for large logits and makes a group without
    negatives contribute a small positive amount.

    Source: T. Kobayashi, "Two-way Multi-Label Loss", CVPR 2023.

    Parameters
    ----------
    Tp : float, default=4.0
        Temperature of the positives, ``> 0``.
    Tn : float, default=1.0
        Temperature of the negatives, ``> 0``.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"``: class-wise mean plus sample-wise mean, as above; ``"sum"``:
        sum of all group losses; ``"none"``: the ``n_labels`` class-wise losses
        followed by the ``n`` sample-wise losses, shape ``(n_labels + n,)``
        (0 for groups without positives).

    Examples
    --------
    >>> import torch
    >>> from skimb.losses import TwoWayLoss
    >>> loss = TwoWayLoss()
    >>> z = torch.tensor([[4.0, -4.0], [-4.0, 4.0]])
    >>> round(float(loss(z, torch.eye(2))), 4)
    0.0007
    """

    calibrated = False
    batch_coupled = True

    def __init__(self, Tp: float = 4.0, Tn: float = 1.0, reduction: str = "mean"):
        super().__init__(reduction)
        self.Tp = check_real(Tp, "Tp", 0, low_open=True)
        self.Tn = check_real(Tn, "Tn", 0, low_open=True)

    def _groups(self, z: torch.Tensor, positive: torch.Tensor, dim: int):
        hardest_neg = self.Tn * _masked_logsumexp(z / self.Tn, ~positive, dim)
        hardest_pos = self.Tp * _masked_logsumexp(-z / self.Tp, positive, dim)
        has_pos = positive.any(dim=dim)
        loss = torch.where(has_pos, F.softplus(hardest_neg + hardest_pos), 0.0)
        return loss, has_pos

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        z, y = self._prepare(logits, targets)
        positive = y > 0.5
        per_class, class_has = self._groups(z, positive, 0)
        per_sample, sample_has = self._groups(z, positive, 1)
        if self.reduction == "none":
            return torch.cat([per_class, per_sample])
        if self.reduction == "sum":
            return per_class.sum() + per_sample.sum()
        return per_class.sum() / class_has.sum().clamp_min(1) + per_sample.sum() / (
            sample_has.sum().clamp_min(1)
        )
