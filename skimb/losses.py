"""Multi-label losses on logits, and the registry that names them.

Every loss is a ``torch.nn.Module`` called as ``loss(logits, targets)`` with
``logits`` of shape ``(n, n_labels)`` and ``targets`` of the same shape in {0, 1}.
Each class declares, in ``statistics``, which training-set statistics it takes as
constructor arguments; :class:`~skimb.MultiLabelImbalancedClassifier` computes them
once from the full training labels and passes exactly those:

``"pos_weight"``
    ``n_neg / n_pos`` per label (clipped), as chosen by the classifier's
    ``pos_weight`` parameter.
``"class_counts"``
    number of positives per label in the training data.
``"n_samples"``
    number of training rows.

A loss that corrects class imbalance with weights of its own sets
``balances_classes = True``: the classifier then does not inject the automatic
``pos_weight`` into it, because two weightings stacked over-correct.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "BCELoss",
    "MultiLabelLoss",
    "available_losses",
    "get_loss",
    "register_loss",
]

STATISTICS = frozenset({"pos_weight", "class_counts", "n_samples"})
REDUCTIONS = ("mean", "sum", "none")


class MultiLabelLoss(nn.Module):
    """Base class of skimb's losses.

    Subclasses implement ``forward(logits, targets)`` and declare:

    ``statistics``
        the subset of ``{"pos_weight", "class_counts", "n_samples"}`` they accept
        as constructor arguments (the classifier injects those).
    ``balances_classes``
        ``True`` when the loss already re-weights classes by itself, so the
        automatic ``pos_weight`` is not injected.
    ``calibrated``
        ``False`` when ``sigmoid(logit)`` is not a calibrated probability for this
        loss (its natural decision threshold is still logit 0, probability 0.5).
    ``batch_coupled``
        ``True`` when the loss of a row depends on the other rows of the batch.
    """

    statistics: ClassVar[frozenset[str]] = frozenset()
    balances_classes: ClassVar[bool] = False
    calibrated: ClassVar[bool] = True
    batch_coupled: ClassVar[bool] = False

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}.")
        self.reduction = reduction

    def _reduce(self, loss: torch.Tensor) -> torch.Tensor:
        if self.reduction == "mean":
            return loss.mean()
        if self.reduction == "sum":
            return loss.sum()
        return loss

    @staticmethod
    def _as_buffer(value, name: str, dtype=torch.float32) -> torch.Tensor | None:
        if value is None:
            return None
        t = torch.as_tensor(np.asarray(value), dtype=dtype)
        if not torch.isfinite(t).all():
            raise ValueError(f"{name} must be finite; got {np.asarray(value)!r}.")
        return t


class BCELoss(MultiLabelLoss):
    """Binary cross-entropy on logits, with an optional per-label ``pos_weight``.

    ``loss = -(w_c * y * log p + (1 - y) * log(1 - p))`` with ``p = sigmoid(z)``,
    computed from the logits with log-sigmoid, so it is finite for any logit and a
    badly wrong positive keeps its gradient (the numerically stable form of
    ``torch.nn.BCEWithLogitsLoss``). ``pos_weight`` scales only the positive term;
    the right value is ``n_neg / n_pos`` per label, never its inverse.

    Parameters
    ----------
    pos_weight : array-like of shape (n_labels,) or None, default=None
        Weight of the positive term of each label.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` divides the sum by the number of elements ``n * n_labels``.

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
        self.register_buffer("pos_weight", self._as_buffer(pos_weight, "pos_weight"))

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        targets = targets.to(logits.dtype)
        pos = -F.logsigmoid(logits) * targets
        if self.pos_weight is not None:
            pos = pos * self.pos_weight.to(logits.dtype)
        neg = -F.logsigmoid(-logits) * (1 - targets)
        return self._reduce(pos + neg)


_REGISTRY: dict[str, type[nn.Module]] = {}


def register_loss(name: str, cls: type[nn.Module], *, overwrite: bool = False) -> None:
    """Make a loss class available by name, e.g. as ``criterion=name``.

    Parameters
    ----------
    name : str
        The name to register.
    cls : type
        A ``torch.nn.Module`` subclass called as ``loss(logits, targets)``.
        Subclass :class:`MultiLabelLoss` to declare the training statistics it takes.
    overwrite : bool, default=False
        Replace an existing registration of ``name``.

    Examples
    --------
    >>> from skimb.losses import BCELoss, register_loss, get_loss
    >>> class MyLoss(BCELoss):
    ...     pass
    >>> register_loss("my_loss", MyLoss)
    >>> get_loss("my_loss") is MyLoss
    True
    """
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise TypeError(f"A loss must be a torch.nn.Module subclass, got {cls!r}.")
    if not overwrite and name in _REGISTRY and _REGISTRY[name] is not cls:
        raise ValueError(
            f"A loss named {name!r} is already registered; pass overwrite=True to replace it."
        )
    unknown = set(getattr(cls, "statistics", ())) - STATISTICS
    if unknown:
        raise ValueError(
            f"{cls.__name__}.statistics names unknown statistics {sorted(unknown)}; "
            f"known ones are {sorted(STATISTICS)}."
        )
    _REGISTRY[name] = cls


def get_loss(name: str) -> type[nn.Module]:
    """Return the loss class registered under ``name``.

    Examples
    --------
    >>> from skimb.losses import get_loss
    >>> get_loss("bce").__name__
    'BCELoss'
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"Unknown loss {name!r}. Available losses: {available_losses()}; "
            "register your own with skimb.losses.register_loss."
        ) from None


def available_losses() -> list[str]:
    """Names of the registered losses, sorted.

    Examples
    --------
    >>> from skimb.losses import available_losses
    >>> "bce" in available_losses()
    True
    """
    return sorted(_REGISTRY)


register_loss("bce", BCELoss)
