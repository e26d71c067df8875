"""Progress bars that suit where they are shown: a terminal, a notebook, or a log file.

On a terminal (and in a notebook) a tqdm bar; where the output is not a
terminal (redirected to a file, captured by a CI job), tqdm would write its
carriage returns and, for nested bars, cursor-movement escape codes, and
repeat the final ``100%`` line when a bar closes. There the bar is replaced
by :class:`PlainProgress`, which writes one plain line when it closes. tqdm
itself switches off on such outputs with ``disable=None``; one line keeps the
result in the log. Imports no torch.
"""

from __future__ import annotations

import sys
import time

__all__ = ["PlainProgress", "is_terminal", "progress_bar"]


def is_terminal(stream) -> bool:
    """Whether ``stream`` is an interactive terminal (``stream.isatty()``, tqdm's test)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, OSError, ValueError):  # no isatty, or a closed file
        return False


class PlainProgress:
    """The part of tqdm's interface skimb uses, written as one line when it closes.

    ``update``, ``set_postfix``, ``set_postfix_str`` and ``close``; the line
    reads e.g. ``MultiLabelImbalancedClassifier: 20/20 epochs in 00:03,
    train_loss=0.1234``.

    Parameters
    ----------
    total : int
    desc : str
    unit : str
        Counted thing, singular (an ``s`` is added).
    file : text stream
        Where the line goes.
    """

    def __init__(self, total: int, desc: str, unit: str, file) -> None:
        self.total, self.desc, self.unit, self.file = total, desc, unit, file
        self.n = 0
        self.postfix = ""
        self.start = time.perf_counter()
        self.closed = False

    def update(self, n: int = 1) -> None:
        self.n += n

    def set_postfix(self, ordered_dict=None, refresh: bool = True, **kwargs) -> None:
        items = {**(ordered_dict or {}), **kwargs}
        self.postfix = ", ".join(f"{key}={value}" for key, value in items.items())

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        self.postfix = str(s)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        from tqdm.std import tqdm

        elapsed = tqdm.format_interval(time.perf_counter() - self.start)
        line = f"{self.desc}: {self.n}/{self.total} {self.unit}s in {elapsed}"
        print(line + (f", {self.postfix}" if self.postfix else ""), file=self.file, flush=True)


def progress_bar(total: int, desc: str, unit: str, file=None):
    """A tqdm bar on a terminal or in a notebook, else a :class:`PlainProgress`.

    Parameters
    ----------
    total : int
        Steps of the bar.
    desc, unit : str
        Its label and the counted thing (``"epoch"``, ``"fit"``).
    file : text stream or None, default=None
        Where it is shown; ``None``: ``sys.stderr`` (tqdm's default), as it is
        when the bar is made.

    Returns
    -------
    tqdm.auto.tqdm or PlainProgress
    """
    file = sys.stderr if file is None else file
    import tqdm.auto  # imports tqdm.autonotebook without its notebook-mode warning

    if tqdm.autonotebook.tqdm is not tqdm.std.tqdm or is_terminal(file):  # notebook, terminal
        return tqdm.auto.tqdm(total=total, desc=desc, unit=unit, file=file)
    return PlainProgress(total, desc, unit, file)
