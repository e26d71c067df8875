"""How many torch threads a fit or a prediction uses, and a scope that sets them.

Torch parallelises each operation over its intra-op threads (OpenMP). For a
small model the work of one operation is a few microseconds, and the threads
meet at a barrier after every operation: when another process holds one of
the cores, the thread that waits for it stalls all the others, and a fit runs
10-40x slower than with one thread (measured: ``benchmarks/bench_threads.py``).
Large operations (wide layers on big batches) do gain from a second thread on
an idle machine, and lose little under contention.

:func:`auto_num_threads` therefore picks one thread unless the work of one
training step is large, and never more threads than the cores that are idle
when the fit starts (read from the kernel's count of runnable processes), nor
more than torch's own setting (``torch.get_num_threads()``, which follows
``OMP_NUM_THREADS``, ``torch.set_num_threads`` and the limits that joblib's
worker processes get). :func:`torch_threads` applies a count for the duration
of a block and restores the process-wide setting afterwards.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from numbers import Integral

import torch

__all__ = ["MIN_WORK_PER_THREAD", "auto_num_threads", "idle_cores", "resolve_num_threads",
           "torch_threads"]

#: Multiply-adds of one training step (rows per batch x parameters of the module)
#: per thread: a second thread from twice this. Measured on a 2-core machine
#: (``benchmarks/bench_threads.py``, one epoch with 1 and 2 threads): a step of
#: 1.2e7 ran 10 % slower on two threads, one of 3.9e7 16 % faster, 7e7 and more
#: 40-45 % faster.
MIN_WORK_PER_THREAD = 1.5e7


def idle_cores(samples: int = 5, interval: float = 0.002) -> int:
    """Cores not taken by other runnable processes right now (at least 1).

    Reads the number of runnable tasks from ``/proc/loadavg`` (the caller
    counts as one) a few times and keeps the smallest count of busy cores.
    Where ``/proc`` is not available, all usable cores are taken as idle.

    Returns
    -------
    int
    """
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    usable = usable or 1
    busy = None
    try:
        for i in range(samples):
            with open("/proc/loadavg") as f:
                running = int(f.read().split()[3].split("/")[0])
            busy = running - 1 if busy is None else min(busy, running - 1)
            if i + 1 < samples:
                time.sleep(interval)
    except (OSError, ValueError, IndexError):
        return usable
    return max(1, usable - max(busy, 0))


def auto_num_threads(work_per_step: float) -> int:
    """The thread count of ``num_threads="auto"`` for steps of ``work_per_step`` multiply-adds.

    One thread when the work of a step is below :data:`MIN_WORK_PER_THREAD`
    per thread; otherwise as many threads as the work fills, capped by the
    idle cores (:func:`idle_cores`) and by ``torch.get_num_threads()``.

    Parameters
    ----------
    work_per_step : float
        Rows per batch times the module's number of parameters.

    Returns
    -------
    int
    """
    limit = torch.get_num_threads()
    wanted = int(work_per_step // MIN_WORK_PER_THREAD)
    if limit <= 1 or wanted <= 1:
        return 1
    return max(1, min(limit, wanted, idle_cores()))


def resolve_num_threads(num_threads, work_per_step: float) -> int | None:
    """The thread count for a ``num_threads`` parameter value (None: leave torch's setting)."""
    if num_threads is None:
        return None
    if isinstance(num_threads, str):  # "auto", checked by the parameter constraints
        return auto_num_threads(work_per_step)
    if isinstance(num_threads, Integral) and num_threads >= 1:
        return int(num_threads)
    raise ValueError(
        f"num_threads must be 'auto', a positive integer or None; got {num_threads!r}."
    )


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``n`` torch intra-op threads; restore the setting after it.

    ``None`` leaves the setting as it is. The setting is process-wide: two
    threads of one process that fit models at the same time share it.
    """
    before = torch.get_num_threads()
    if n is None or n == before:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
