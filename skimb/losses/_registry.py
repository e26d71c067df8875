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

    Notes
    -----
    The registry lives in one process. A classifier with ``criterion=name``
    carries the registered class when it is pickled, so joblib workers
    (``GridSearchCV(n_jobs=...)``, ``ThresholdOptimizer(n_jobs=...)``) and a
    model loaded in a later session resolve the name too, provided the class
    itself can be pickled (defined at a module's top level, or in
    ``__main__`` or a function under joblib's cloudpickle).

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


def registered_loss(criterion) -> tuple[str, type[nn.Module]] | None:
    """``(name, class)`` when ``criterion`` names a loss registered by the user, else None.

    Stored in a pickled :class:`~skimb.MultiLabelImbalancedClassifier`, so
    that a process that unpickles it (a joblib worker of ``GridSearchCV`` or
    ``ThresholdOptimizer(n_jobs=...)``, or a later session) knows the name
    too: :func:`register_loss` registers in one process only.
    """
    if not isinstance(criterion, str) or criterion not in _REGISTRY:
        return None
    cls = _REGISTRY[criterion]
    if getattr(cls, "__module__", "").startswith("skimb."):
        return None  # skimb's own losses are registered on import everywhere
    return criterion, cls


def restore_registered_loss(entry) -> None:
    """Register an entry of :func:`registered_loss` unless the name is taken already."""
    if entry is not None and entry[0] not in _REGISTRY:
        _REGISTRY[entry[0]] = entry[1]
