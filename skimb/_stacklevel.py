"""The ``stacklevel`` that makes a warning point at the user's line.

A warning that skimb emits inside ``fit`` is reached through a different
number of frames depending on the path (the classifier's ``fit``, skorch's
``initialize``, ``ThresholdOptimizer``'s fold fits, a scikit-learn
``Pipeline`` or ``GridSearchCV``), so a fixed ``stacklevel`` points at a
library file on most of them. :func:`user_stacklevel` counts the frames
instead: the warning points at the first caller outside skimb and the
libraries it is called through (what pandas' ``find_stack_level`` does, and
``warnings.warn(skip_file_prefixes=...)`` from Python 3.12). Imports no torch.
"""

from __future__ import annotations

import os
import sys

__all__ = ["user_stacklevel"]

#: Packages whose frames lie between a user's call and a skimb warning.
LIBRARIES = ("skimb", "skorch", "sklearn", "torch", "joblib")


def _library_folders() -> tuple[str, ...]:
    folders = []
    for name in LIBRARIES:
        file = getattr(sys.modules.get(name), "__file__", None)  # imported ones only
        if file:
            folders.append(os.path.dirname(os.path.abspath(file)) + os.sep)
    return tuple(folders)


def user_stacklevel() -> int:
    """``stacklevel`` for a ``warnings.warn`` call made by the caller of this function.

    Returns
    -------
    int
        1 for the caller's own line, plus one for each further frame up the
        stack that belongs to skimb, skorch, scikit-learn, torch or joblib:
        the warning is reported at the first line outside them (the
        outermost frame when every frame is inside them).

    Examples
    --------
    >>> import warnings
    >>> def inside_skimb():
    ...     warnings.warn("checked", UserWarning, stacklevel=user_stacklevel())
    """
    folders = _library_folders()
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and os.path.abspath(frame.f_code.co_filename).startswith(
        folders
    ):
        frame = frame.f_back
        level += 1
    return level
