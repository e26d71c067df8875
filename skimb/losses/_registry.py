"""The name registry: ``criterion="focal"`` resolves to a loss class here."""

from __future__ import annotations

from torch import nn

from ._base import STATISTICS

_REGISTRY: dict[str, type[nn.Module]] = {}


def register_loss(name: str, cls: type[nn.Module], *, overwrite: bool = False) -> None:
    """Make a loss class available by name, e.g. as ``criterion=name``.

    Parameters
    ----------
    name : str
        The name to register.
    cls : type
        A ``torch.nn.Module`` subclass called as ``loss(logits, targets)``.
        Subclass :class:`~skimb.losses.MultiLabelLoss` to declare the training
        statistics it takes.
    overwrite : bool, default=False
        Replace an existing registration of ``name``.

    Examples
    --------
    >>> from skimb.losses import BCELoss, register_loss, get_loss
    >>> class MyLoss(BCELoss):
    ...     pass
    >>> register_loss("my_loss", MyLoss, overwrite=True)  # overwrite: re-runnable example
    >>> get_loss("my_loss") is MyLoss
    True
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"A loss name must be a non-empty string, got {name!r}.")
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
    except (KeyError, TypeError):
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
