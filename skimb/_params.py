"""Checks of the classifier's parameters that sklearn's constraints and skorch leave open.

scikit-learn's ``Interval(Integral, ...)`` takes ``True`` for 1, skorch's
``fit(..., epochs=...)`` takes any value ``range`` does, and a ``module__*``
name the module does not take reaches the user as a ``TypeError`` from the
module's ``__init__`` inside skorch. Each check here answers such a value in
words, with the fix, before any training. Imports no torch.
"""

from __future__ import annotations

import difflib
import inspect
from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import InvalidParameterError

__all__ = ["check_counts", "check_fit_epochs", "check_module_params", "refuse_unknown_names"]


def check_counts(params: dict, owner: str) -> None:
    """Refuse a bool given for a count parameter (``max_epochs``, ``batch_size``, ...).

    Python (and scikit-learn's parameter constraints) treat ``True`` as the
    int 1, so ``max_epochs=True`` would train one epoch without a word.

    Raises
    ------
    InvalidParameterError
        A ``ValueError`` and ``TypeError``, naming the parameter.
    """
    for name, value in params.items():
        if isinstance(value, (bool, np.bool_)):
            raise InvalidParameterError(
                f"The {name!r} parameter of {owner} is a count and got the bool {bool(value)!r}, "
                f"which Python would take as {int(value)}. Give a whole number, e.g. "
                f"{name}=20, or leave the default."
            )


def check_fit_epochs(epochs) -> int:
    """``fit(..., epochs=N)`` (skorch's fit parameter): a whole number, 0 or more.

    ``0`` is allowed on purpose: it builds the module, the loss and the class
    statistics without training (skorch does the same).

    Raises
    ------
    TypeError
        For a value that is not a whole number (a bool included).
    ValueError
        For a negative number.
    """
    if isinstance(epochs, (bool, np.bool_)) or not isinstance(epochs, Integral):
        raise TypeError(
            f"fit(..., epochs={epochs!r}): epochs is the number of epochs of this call, a "
            "whole number (0 builds the model without training); got a "
            f"{type(epochs).__name__}. Pass e.g. epochs=5, or leave it out to use max_epochs."
        )
    if epochs < 0:
        raise ValueError(
            f"fit(..., epochs={epochs}): the number of epochs cannot be negative. Pass 0 or "
            "more (0 builds the model without training), or leave it out to use max_epochs."
        )
    return int(epochs)


def refuse_unknown_names(given, accepted, suggestions, *, prefix: str, owner: str,
                         listed: str) -> None:
    """Refuse the first name of ``given`` that is not in ``accepted``, naming the closest.

    Parameters
    ----------
    given : iterable of str
        The names the user set (without ``prefix__``).
    accepted : collection of str
        The names the callee takes.
    suggestions : sequence of str
        The names a "did you mean" may propose.
    prefix : str
        The routing prefix, e.g. ``"module"``.
    owner : str
        What takes them, e.g. ``"the module MLP"``.
    listed : str
        The end of the message: what it takes.

    Raises
    ------
    ValueError
        ``"{prefix}__{name} is not a parameter of {owner} (did you mean ...?). It takes {listed}."``
    """
    unknown = [name for name in given if name not in accepted]
    if unknown:
        close = difflib.get_close_matches(unknown[0], suggestions, n=1)
        raise ValueError(
            f"{prefix}__{unknown[0]} is not a parameter of {owner}"
            + (f" (did you mean {prefix}__{close[0]}?)" if close else "")
            + f". It takes {listed}."
        )


def check_module_params(module, params: dict, filled=("n_features", "n_labels")) -> None:
    """Refuse ``module__*`` parameters the module cannot be built with, before it is built.

    Parameters
    ----------
    module : class, callable or torch module instance
        The classifier's ``module`` (``skimb.modules.MLP`` for ``None``). An
        instance is used as it is without ``module__*`` parameters, and rebuilt
        from its class with them alone (skorch's rule).
    params : dict
        The ``module__*`` parameters, without the prefix.
    filled : tuple of str, default=("n_features", "n_labels")
        Parameters the classifier fills in from the data when a module class
        takes them (not for an instance).

    Raises
    ------
    ValueError
        Naming the first parameter the module does not take (with the closest
        name it does take) and the parameters it takes; or the required
        parameters left without a value. A module whose signature takes
        ``**kwargs`` (or has none) is not checked for unknown names.

    Examples
    --------
    >>> from skimb.modules import MLP
    >>> check_module_params(MLP, {"hidden_sizes": (8,)})
    Traceback (most recent call last):
    ...
    ValueError: module__hidden_sizes is not a parameter of the module MLP (did you mean \
module__hidden_units?). It takes module__hidden_units, module__dropout (n_features and \
n_labels come from the data).
    """
    instance = not isinstance(module, type) and hasattr(module, "forward")
    if instance and not params:
        return
    builder = type(module) if instance else module
    try:
        signature = inspect.signature(builder)
    except (TypeError, ValueError):
        return
    name = getattr(builder, "__name__", repr(builder))
    named = {
        p.name: p for p in signature.parameters.values()
        if p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    }
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD
                    for p in signature.parameters.values())
    filled = [] if instance else [p for p in filled if p in named]
    own = [p for p in named if p not in filled]
    listed = ", ".join(f"module__{p}" for p in own) or "no parameters of its own"
    if filled:
        listed += f" ({' and '.join(filled)} come from the data)"
    if not takes_any:
        refuse_unknown_names(params, named, own, prefix="module",
                             owner=f"the module {name}", listed=listed)
    missing = [p for p, spec in named.items()
               if spec.default is inspect.Parameter.empty and p not in params
               and p not in filled]
    if missing:
        raise ValueError(
            f"The module {name} needs {', '.join(missing)}, which the classifier does not "
            f"fill in: pass {', '.join(f'module__{p}=...' for p in missing)}."
            + (" A module instance given with module__* parameters is rebuilt from its "
               "class with those parameters only; give the class instead (module="
               f"{name}) to have n_features and n_labels filled in." if instance else "")
        )
