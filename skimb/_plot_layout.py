"""Which labels a Display draws, and on which axes (matplotlib imported lazily).

NumPy side: imports no torch.
"""

from __future__ import annotations

import math

import numpy as np

#: Labels drawn when ``labels="auto"`` and more labels have positives.
MAX_AUTO_LABELS = 16
#: With ``layout="auto"``, up to this many labels share one Axes; more get a panel each.
MAX_OVERLAY_LABELS = 4


def pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            'skimb.display needs matplotlib: pip install "skimb[plot]" (or matplotlib).'
        ) from None
    return plt


def select_labels(labels, n_labels: int, support=None):
    """Label indices to draw, and a sentence saying what is drawn (or None).

    ``labels``: ``"auto"`` (or None) draws every label with positives when
    there are at most :data:`MAX_AUTO_LABELS`, otherwise that many chosen by
    their number of positives: the rarest half, the most frequent quarter, and
    the rest evenly spread in between, so the rarest labels are always shown.
    ``"all"`` draws every label with positives; a sequence of indices draws
    those.
    """
    support = np.ones(n_labels, dtype=int) if support is None else np.asarray(support)
    has = np.flatnonzero(support > 0)
    left_out = n_labels - has.size
    empty = f" ({left_out} without positives left out)" if left_out else ""
    if labels is None or (isinstance(labels, str) and labels in ("auto", "all")):
        if labels == "all" or has.size <= MAX_AUTO_LABELS:
            return has, f"all {has.size} labels with positives{empty}"
        order = has[np.argsort(support[has], kind="stable")]  # rarest first
        n_rare, n_frequent = MAX_AUTO_LABELS // 2, MAX_AUTO_LABELS // 4
        n_middle = MAX_AUTO_LABELS - n_rare - n_frequent
        middle = order[n_rare:-n_frequent]
        spread = middle[np.linspace(0, middle.size - 1, n_middle).round().astype(int)]
        chosen = np.sort(np.r_[order[:n_rare], spread, order[-n_frequent:]])
        return chosen, (
            f"{MAX_AUTO_LABELS} of {has.size} labels with positives: the {n_rare} rarest, "
            f"the {n_frequent} most frequent and {n_middle} in between{empty}; "
            "labels='all' or a list of indices to choose"
        )
    if isinstance(labels, str):
        raise ValueError(
            f"labels={labels!r} is not supported; use 'auto', 'all' or a list of label "
            "indices."
        )
    labels = np.atleast_1d(np.asarray(labels, dtype=int))
    if labels.size and (labels.min() < -n_labels or labels.max() >= n_labels):
        raise ValueError(f"labels {labels.tolist()} are out of range for {n_labels} labels.")
    labels = labels % n_labels
    described = f"{labels.size} of {n_labels} labels" if labels.size < n_labels else None
    return labels, described


def layout_axes(ax, n_panels: int, layout: str):
    """The Axes to draw on: ``(axes, grid)``.

    ``layout="overlay"`` draws every label on one Axes (``axes`` is that one);
    ``"grid"`` gives each label a panel (``axes`` one per label); ``"auto"`` is
    ``"overlay"`` up to :data:`MAX_OVERLAY_LABELS` labels. In a grid, ``ax``
    may be None (a new figure sized for the panels), one Axes (the grid takes
    its place, as in scikit-learn's ``PartialDependenceDisplay``) or an array
    of at least ``n_panels`` Axes.
    """
    if layout not in ("auto", "overlay", "grid"):
        raise ValueError(f"layout={layout!r} is not supported; use 'auto', 'overlay' or 'grid'.")
    if layout == "auto":
        layout = "overlay" if n_panels <= MAX_OVERLAY_LABELS else "grid"
    plt = pyplot()
    several = ax is not None and np.ndim(ax) > 0
    if layout == "overlay":
        if several:
            raise ValueError(
                "layout='overlay' draws every label on one Axes; pass one Axes, or "
                "layout='grid' to use an array of Axes."
            )
        if ax is None:
            _, ax = plt.subplots(figsize=(9, 5), layout="constrained")
        return [ax], False
    if several:
        axes = list(np.ravel(ax))
        if len(axes) < n_panels:
            raise ValueError(
                f"layout='grid' needs one Axes per label: got {len(axes)} Axes for "
                f"{n_panels} labels."
            )
        for extra in axes[n_panels:]:
            extra.set_axis_off()
        return axes[:n_panels], True
    n_cols = min(n_panels, max(2, math.ceil(math.sqrt(n_panels))))
    n_rows = math.ceil(n_panels / n_cols)
    if ax is None:
        width, height = (2.6, 2.1) if n_panels <= MAX_AUTO_LABELS else (1.9, 1.55)
        fig = plt.figure(figsize=(n_cols * width, n_rows * height + 1.0), layout="constrained")
        spec = fig.add_gridspec(n_rows, n_cols)
    else:
        fig = ax.figure
        ax.set_axis_off()
        spec = ax.get_subplotspec().subgridspec(n_rows, n_cols)
    axes = []
    for k in range(n_panels):
        share = axes[0] if axes else None
        axes.append(fig.add_subplot(spec[k // n_cols, k % n_cols], sharey=share))
    for k, panel in enumerate(axes):
        if k % n_cols:
            panel.tick_params(labelleft=False)
        if k + n_cols < n_panels:
            panel.tick_params(labelbottom=False)
        panel.tick_params(labelsize="x-small")
    return axes, True
