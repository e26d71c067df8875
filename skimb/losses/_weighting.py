"""Detection of two class weightings stacked on one loss."""

from __future__ import annotations

import inspect
import warnings
from typing import Any

from torch import nn

from .._stacklevel import user_stacklevel
from ._base import MultiLabelLoss
from ._registry import get_loss


class DoubleWeightingWarning(UserWarning):
    """A loss gets ``pos_weight`` on top of another weighting of the same imbalance.

    Filter it with ``warnings.simplefilter("ignore", DoubleWeightingWarning)`` when
    the stacking is deliberate.
    """


def _defaults(cls: type) -> dict[str, Any]:
    try:
        signature = inspect.signature(cls.__init__)
    except (TypeError, ValueError):  # a constructor implemented in C
        return {}
    return {
        name: p.default
        for name, p in signature.parameters.items()
        if p.default is not inspect.Parameter.empty
    }


def instance_params(loss) -> dict[str, Any]:
    """The constructor arguments a loss instance holds as attributes of the same name.

    Tensors (``pos_weight`` and ``weight`` buffers) come back as NumPy arrays;
    arguments the instance does not keep under their own name are left out.
    """
    if not isinstance(loss, nn.Module):
        return {}
    out = {}
    for name in _defaults(type(loss)):
        if not hasattr(loss, name):
            continue
        value = getattr(loss, name)
        if callable(value) and not hasattr(value, "detach"):
            continue
        if hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        out[name] = value
    return out


def _resolve(loss: str | type[nn.Module] | nn.Module) -> type:
    if isinstance(loss, str):
        return get_loss(loss)
    return loss if isinstance(loss, type) else type(loss)


def takes_automatic_pos_weight(
    loss: str | type[nn.Module] | nn.Module, params: dict[str, Any] | None = None
) -> bool:
    """Whether an automatic ``pos_weight`` belongs in this loss built with ``params``.

    True when the loss accepts ``pos_weight`` (it is in its ``statistics``, or,
    for a loss that is not a :class:`MultiLabelLoss`, in its signature) and, with
    these hyper-parameters, adding it would not stack two weightings (see
    :func:`check_double_weighting`). This
    refines the class attribute ``balances_classes``, which describes the
    defaults: ``FocalLoss`` weights classes with its default ``alpha=0.25`` but
    not with ``alpha=None``, so ``criterion__alpha=None`` makes room for
    ``pos_weight``.

    Parameters
    ----------
    loss : str, loss class or loss instance
        A registered name, a ``torch.nn.Module`` subclass or an instance of one.
    params : dict or None, default=None
        The user's constructor arguments; missing ones take the defaults.

    Returns
    -------
    bool

    Examples
    --------
    >>> from skimb.losses import takes_automatic_pos_weight
    >>> takes_automatic_pos_weight("bce"), takes_automatic_pos_weight("focal")
    (True, False)
    >>> takes_automatic_pos_weight("focal", {"alpha": None})
    True
    """
    cls = _resolve(loss)
    defaults = _defaults(cls)
    if isinstance(cls, type) and issubclass(cls, MultiLabelLoss):
        accepts = "pos_weight" in cls.statistics
    else:  # a foreign loss, e.g. torch.nn.BCEWithLogitsLoss: its signature decides
        accepts = "pos_weight" in defaults
    if not accepts:
        return False
    merged = {**defaults, **(params or {}), "pos_weight": True}
    return check_double_weighting(cls, merged) is None


def check_double_weighting(
    loss: str | type[nn.Module] | nn.Module, params: dict[str, Any] | None = None
) -> str | None:
    """Say whether a loss built with ``params`` stacks two class weightings.

    ``pos_weight`` (``n_neg / n_pos`` per label) already corrects the imbalance
    between positives and negatives. Stacking a second weighting on top of it
    over-corrects: rare labels end up over-predicted, or, with a down-weighting
    such as focal's ``alpha=0.25``, the two fight each other. The stacked cases
    detected are ``pos_weight`` together with

    - an element-wise ``weight`` (the ``BCEWithLogitsLoss(pos_weight=...,
      weight=...)`` mistake), for any loss class that has both parameters;
    - the loss's own class weighting, as described by
      :meth:`MultiLabelLoss.own_weighting` (focal's ``alpha``, the class-balanced
      weights, the distribution-balanced weights, the logit adjustment, the LDAM
      margins, ...).

    :class:`~skimb.MultiLabelImbalancedClassifier` does not inject its automatic
    ``pos_weight`` into a loss with ``balances_classes = True``; the stacking
    happens when a user passes ``pos_weight`` explicitly. skimb's losses call this
    function in their constructors and emit a :class:`DoubleWeightingWarning`.

    Parameters
    ----------
    loss : str, loss class or loss instance
        A registered name, a ``torch.nn.Module`` subclass or an instance of one
        (whose own ``pos_weight``, ``weight`` and other attributes named like
        its constructor's arguments are read).
    params : dict or None, default=None
        The keyword arguments the loss is (or will be) built with; missing ones
        take the instance's attributes, then the constructor's defaults.

    Returns
    -------
    str or None
        A message naming both weightings and how to keep only one, or ``None``.

    Examples
    --------
    >>> from skimb.losses import check_double_weighting
    >>> check_double_weighting("focal", {"pos_weight": [9.0, 3.0]})[:50]
    'FocalLoss gets pos_weight on top of its alpha=0.25'
    >>> check_double_weighting("focal", {"pos_weight": [9.0, 3.0], "alpha": None}) is None
    True
    """
    cls = _resolve(loss)
    merged = {**_defaults(cls), **instance_params(loss), **(params or {})}
    if merged.get("pos_weight") is None:
        return None
    stacked = []
    if merged.get("weight") is not None:
        stacked.append(
            "an element-wise `weight`, which scales the positive AND the negative terms"
        )
    if isinstance(cls, type) and issubclass(cls, MultiLabelLoss):
        own = cls.own_weighting(merged)
        if own is not None:
            stacked.append(own)
    if not stacked:
        return None
    return (
        f"{cls.__name__} gets pos_weight on top of {' and '.join(stacked)}. Two weightings "
        "of the same imbalance stack and over-correct it. Keep one: drop pos_weight "
        "(pos_weight=None on MultiLabelImbalancedClassifier) or switch the other off."
    )


def register_pos_weight(loss: MultiLabelLoss, pos_weight, **params: Any) -> None:
    """Store ``pos_weight`` as a buffer of ``loss``; warn if it stacks on the loss's own
    weighting (described by ``params``, its active hyper-parameters)."""
    loss.register_buffer("pos_weight", loss._as_buffer(pos_weight, "pos_weight"))
    message = check_double_weighting(type(loss), {**params, "pos_weight": pos_weight})
    if message is not None:
        warnings.warn(message, DoubleWeightingWarning, stacklevel=user_stacklevel())
