"""The training budget of ``max_epochs="auto"``: enough optimizer steps on small data.

Counted in epochs, a fixed budget gives a data set of a few hundred rows a few
dozen optimizer steps and one of many thousand rows several hundred. ``"auto"``
keeps ``MIN_EPOCHS`` epochs where they already make ``MIN_STEPS`` steps and
adds epochs where they do not, so that every fit makes at least ``MIN_STEPS``
steps (and at most ``MAX_EPOCHS`` epochs). The constants were chosen by
measurement on real data sets (``benchmarks/bench_quality.py``, see
benchmarks/README.md, "Quality").
"""

from __future__ import annotations

import math

MIN_EPOCHS = 20
MIN_STEPS = 300
MAX_EPOCHS = 300


def auto_epochs(n_rows: int, batch_size: int) -> int:
    """Epochs of ``max_epochs="auto"`` for ``n_rows`` training rows.

    Parameters
    ----------
    n_rows : int
        Rows the model trains on.
    batch_size : int
        Rows per batch; ``-1``: all rows in one batch.

    Returns
    -------
    int
        ``min(MAX_EPOCHS, max(MIN_EPOCHS, ceil(MIN_STEPS / batches_per_epoch)))``
        with ``batches_per_epoch = ceil(n_rows / batch_size)``.

    Examples
    --------
    >>> auto_epochs(391, 128), auto_epochs(1500, 128), auto_epochs(5000, 128)
    (75, 25, 20)
    """
    batches = 1 if batch_size == -1 or n_rows <= 0 else math.ceil(n_rows / batch_size)
    return min(MAX_EPOCHS, max(MIN_EPOCHS, math.ceil(MIN_STEPS / batches)))
