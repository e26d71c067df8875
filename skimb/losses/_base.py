"""The base class of skimb's losses and the numerics every loss shares."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

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

    A subclass whose own weighting can be switched off by a hyper-parameter
    overrides :meth:`own_weighting`, which :func:`skimb.losses.check_double_weighting`
    asks before warning that ``pos_weight`` is stacked on top of it.
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

    @classmethod
    def own_weighting(cls, params: dict[str, Any]) -> str | None:
        """Describe the class weighting this loss applies with ``params``, if any.

        Parameters
        ----------
        params : dict
            The constructor arguments, defaults included.

        Returns
        -------
        str or None
            A short description that names the hyper-parameter switching the
            weighting off, or ``None`` when the loss weights no classes itself.
        """
        if cls.balances_classes:
            return f"the class weighting built into {cls.__name__}"
        return None

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
        if t.ndim > 1:
            raise ValueError(
                f"{name} must be a scalar or a 1-d array with one entry per label; "
                f"got shape {tuple(t.shape)}."
            )
        return t

    def _prepare(
        self, logits: torch.Tensor, targets: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Check shapes; return logits in at least float32 and targets of that dtype.

        Half-precision logits (e.g. from a layer under autocast) are promoted, so
        every loss is evaluated in float32 or float64. The caller's tensors are
        never modified.
        """
        if logits.ndim != 2:
            raise ValueError(
                f"{type(self).__name__} expects logits of shape (n_samples, n_labels); got "
                f"shape {tuple(logits.shape)}. Reshape a single label to (n_samples, 1)."
            )
        if tuple(targets.shape) != tuple(logits.shape):
            raise ValueError(
                f"targets have shape {tuple(targets.shape)} but logits have shape "
                f"{tuple(logits.shape)}; pass one 0/1 target per logit."
            )
        z = logits if logits.dtype in (torch.float32, torch.float64) else logits.float()
        return z, targets.to(dtype=z.dtype)

    def _per_label(self, name: str, like: torch.Tensor) -> torch.Tensor:
        """Buffer ``name`` on ``like``'s device and dtype, checked against n_labels."""
        value = getattr(self, name)
        if value.ndim == 1 and value.shape[0] not in (1, like.shape[-1]):
            raise ValueError(
                f"{type(self).__name__}.{name} has {value.shape[0]} entries but the logits "
                f"have {like.shape[-1]} labels; compute it from labels with the same columns."
            )
        return value.to(device=like.device, dtype=like.dtype)

    def _combine(self, y: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
        """Element losses: ``pos`` (times ``pos_weight``, if any) where y = 1, ``neg`` where 0."""
        if getattr(self, "pos_weight", None) is not None:
            pos = pos * self._per_label("pos_weight", pos)
        return y * pos + (1 - y) * neg


# -- statistics ---------------------------------------------------------------------


def check_counts(class_counts, owner: str) -> np.ndarray:
    """Validate ``class_counts``; return them as a float64 array."""
    if class_counts is None:
        raise ValueError(
            f"{owner} needs class_counts, the number of positives of each label in the "
            "training data, e.g. class_counts=Y.sum(axis=0). "
            "MultiLabelImbalancedClassifier passes it automatically."
        )
    counts = np.asarray(class_counts, dtype=np.float64)
    if counts.ndim != 1 or counts.size == 0:
        raise ValueError(
            f"class_counts must be a 1-d array with one count per label; got shape "
            f"{counts.shape}."
        )
    if not np.isfinite(counts).all() or (counts < 0).any():
        raise ValueError(
            f"class_counts must be finite and non-negative; got {counts!r}. "
            "Count the positives of each label, e.g. Y.sum(axis=0)."
        )
    return counts


def check_n_samples(n_samples, counts: np.ndarray, owner: str) -> int:
    """Validate ``n_samples`` against the class counts."""
    if n_samples is None:
        raise ValueError(
            f"{owner} needs n_samples, the number of training rows, e.g. "
            "n_samples=len(Y). MultiLabelImbalancedClassifier passes it automatically."
        )
    if isinstance(n_samples, bool) or not isinstance(n_samples, Integral):
        raise TypeError(f"n_samples must be an integer; got {n_samples!r}.")
    n_samples = int(n_samples)
    if n_samples < 1 or n_samples < counts.max():
        raise ValueError(
            f"n_samples={n_samples} must be at least 1 and at least the largest class "
            f"count ({counts.max():g}); pass the number of rows the counts come from."
        )
    return n_samples


def prior_logits(counts: np.ndarray, n_samples: int) -> np.ndarray:
    """``log(pi / (1 - pi))`` of each label's prior ``pi = n_c / N``, kept finite.

    A label with no positives (or with only positives) would give an infinite
    logit; the count is clipped to ``[1/2, N - 1/2]`` (half an example on either
    side), so the prior stays inside ``(0, 1)``.
    """
    clipped = np.clip(counts, 0.5, n_samples - 0.5)
    return np.log(clipped) - np.log(n_samples - clipped)


# -- numerics -----------------------------------------------------------------------


def focusing(log_q: torch.Tensor, gamma: float) -> torch.Tensor:
    """``q ** gamma`` computed as ``exp(gamma * log q)``.

    ``q ** gamma`` has an infinite derivative at ``q = 0`` when ``gamma < 1``
    (``inf * 0`` gives NaN gradients for confidently right predictions). Going
    through ``log q``, itself a log-sigmoid of the logits, keeps the derivative
    finite for every ``gamma >= 0``.
    """
    if gamma == 0:
        return torch.ones_like(log_q)
    return torch.exp(gamma * log_q)


def safe_pow(q: torch.Tensor, gamma: float) -> torch.Tensor:
    """``q ** gamma`` for ``q >= 0`` with a finite derivative everywhere.

    Where ``q == 0`` the value is 0 (1 when ``gamma == 0``) and the gradient 0;
    elsewhere ``q`` is kept at or above the smallest normal float, so
    ``gamma * q ** (gamma - 1)`` stays finite for ``gamma < 1``.
    """
    if gamma == 0:
        return torch.ones_like(q)
    positive = q > 0
    base = torch.where(positive, q.clamp_min(torch.finfo(q.dtype).tiny), 1.0)
    return torch.where(positive, base.pow(gamma), 0.0)


def bce_terms(z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(-log p, -log(1 - p))`` with ``p = sigmoid(z)``, from log-sigmoid."""
    return -F.logsigmoid(z), -F.logsigmoid(-z)


def focal_terms(z: torch.Tensor, gamma: float) -> tuple[torch.Tensor, torch.Tensor]:
    """``(-(1 - p)^gamma log p, -p^gamma log(1 - p))``: the focal loss of a positive
    and of a negative, without alpha (cross-entropy when ``gamma = 0``)."""
    log_p, log_q = F.logsigmoid(z), F.logsigmoid(-z)
    return -log_p * focusing(log_q, gamma), -log_q * focusing(log_p, gamma)


def check_real(value, name: str, low: float | None = None, high: float | None = None,
               *, low_open: bool = False, high_open: bool = False) -> float:
    """Check a real hyper-parameter; the error says the allowed range."""
    if isinstance(value, bool) or not isinstance(value, Real) or not np.isfinite(value):
        raise TypeError(f"{name} must be a finite real number; got {value!r}.")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        interval = f"{'(' if low_open or low is None else '['}{lo}, {hi}"
        interval += ")" if high_open or high is None else "]"
        raise ValueError(f"{name}={value!r} is outside its range {interval}; pick a value in it.")
    return float(value)
