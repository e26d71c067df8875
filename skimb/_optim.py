"""The optimizer's implementation: torch's fused kernel where the user left it unset.

torch's per-parameter optimizers (Adam, AdamW, SGD, Adagrad) have three
implementations of one update: a Python loop over the parameter tensors
(torch's choice on the CPU when ``foreach`` and ``fused`` are left unset), a
multi-tensor one (``foreach=True``) and a fused kernel (``fused=True``). They
compute the same update, up to floating-point rounding. On the CPU the loop
costs most: for the default MLP on bibtex-sized data (1,836 inputs, 256 hidden
units, 159 labels: 0.5 M parameters, batch 128, one thread) AdamW's loop took
about 4 ms of a 10 ms training step and the fused kernel 0.4 ms. So where the
user sets neither ``optimizer__foreach`` nor ``optimizer__fused``, skimb asks
for the fused kernel; where torch refuses it (a device without one), the
optimizer is built as the user configured it.
"""

from __future__ import annotations

import inspect

import torch

from ._params import refuse_unknown_names

__all__ = ["build_optimizer", "check_optimizer_params", "has_sparse_gradients", "prefers_fused"]


def prefers_fused(optimizer_cls, kwargs: dict) -> bool:
    """Whether skimb asks ``optimizer_cls`` for its fused kernel given the user's ``kwargs``.

    Parameters
    ----------
    optimizer_cls : type
        A ``torch.optim.Optimizer`` subclass (anything else: False).
    kwargs : dict
        The keyword arguments the user gives it (``optimizer__*``).

    Returns
    -------
    bool
        True when ``fused`` is a parameter of the class and neither ``fused``
        nor ``foreach`` is set (None counts as unset).
    """
    if not isinstance(optimizer_cls, type):
        return False
    try:
        accepted = inspect.signature(optimizer_cls).parameters
    except (TypeError, ValueError):
        return False
    return ("fused" in accepted and kwargs.get("fused") is None
            and kwargs.get("foreach") is None)


def has_sparse_gradients(module) -> bool:
    """Whether ``module`` has a layer whose weight gets sparse gradients.

    Parameters
    ----------
    module : torch.nn.Module or None

    Returns
    -------
    bool
        True when one of its modules is an ``nn.Embedding`` or
        ``nn.EmbeddingBag`` with ``sparse=True``.

    Examples
    --------
    >>> import torch
    >>> has_sparse_gradients(torch.nn.Embedding(10, 3, sparse=True))
    True
    """
    if not isinstance(module, torch.nn.Module):
        return False
    return any(isinstance(m, (torch.nn.Embedding, torch.nn.EmbeddingBag)) and m.sparse
               for m in module.modules())


def build_optimizer(optimizer_cls, args, kwargs: dict, *, sparse: bool = False):
    """``optimizer_cls(*args, **kwargs)``, with ``fused=True`` where :func:`prefers_fused` says so.

    ``sparse=True`` (the module has sparse gradients, :func:`has_sparse_gradients`)
    builds it as configured: the fused kernels refuse sparse gradients.

    Raises
    ------
    Whatever ``optimizer_cls(*args, **kwargs)`` raises: a refusal of the fused
    kernel itself (RuntimeError or ValueError, e.g. parameters on a device
    without one, or not floating point) falls back to the user's configuration.
    """
    if not sparse and prefers_fused(optimizer_cls, kwargs):
        try:
            return optimizer_cls(*args, **{**kwargs, "fused": True})
        except (RuntimeError, ValueError):
            pass
    return optimizer_cls(*args, **kwargs)


def check_optimizer_params(params: dict, optimizer_cls=None) -> None:
    """Refuse ``optimizer__*`` settings that no training step can run with, before training.

    Parameters
    ----------
    params : dict
        The ``optimizer__*`` parameters, without the prefix (skorch's
        per-group ``param_groups`` settings are not checked here).
    optimizer_cls : type or None, default=None
        The optimizer class; when given, a name its signature does not take
        is refused (unless it takes ``**kwargs``).

    Raises
    ------
    ValueError
        For a name the optimizer does not take, naming the closest one it
        takes; for ``differentiable=True``: torch's differentiable optimizers
        step under autograd (to differentiate through the update, for
        meta-learning) and so cannot update a module's parameters, leaf
        tensors, in place; torch raises at the first step, whichever
        implementation runs.

    Examples
    --------
    >>> import torch
    >>> check_optimizer_params({"weight_decay": 0.1}, torch.optim.AdamW)
    >>> check_optimizer_params({"betaz": (0.9, 0.99)}, torch.optim.AdamW)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: optimizer__betaz is not a parameter of the optimizer AdamW (did you mean ...
    >>> check_optimizer_params({"differentiable": True})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: optimizer__differentiable=True cannot train a module: ...
    """
    own = [key for key in params  # skorch's own: per-group settings
           if key != "param_groups" and not key.startswith("param_groups__")]
    try:
        signature = inspect.signature(optimizer_cls) if isinstance(optimizer_cls, type) else None
    except (TypeError, ValueError):
        signature = None
    if signature is not None and not any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values()
    ):
        takes = [name for name in signature.parameters if name != "params"]
        refuse_unknown_names(own, takes, takes, prefix="optimizer",
                             owner=f"the optimizer {optimizer_cls.__name__}",
                             listed=", ".join(f"optimizer__{name}" for name in takes))
    if params.get("differentiable"):
        raise ValueError(
            "optimizer__differentiable=True cannot train a module: a differentiable "
            "optimizer steps under autograd (to differentiate through the update itself), "
            "which cannot update the module's parameters in place, so torch would fail at "
            "the first step. Leave optimizer__differentiable unset."
        )
