"""Class statistics of a label matrix and checks for the classic weighting mistakes.

NumPy only: this module imports no torch.
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["check_pos_weight", "class_counts", "compute_pos_weight"]


def class_counts(Y) -> np.ndarray:
    """Number of positives per label of a 0/1 label matrix (int64).

    Examples
    --------
    >>> import numpy as np
    >>> from skimb.diagnostics import class_counts
    >>> class_counts(np.array([[1, 0], [1, 0], [0, 1]]))
    array([2, 1])
    """
    return np.asarray(Y.sum(axis=0)).ravel().astype(np.int64)


def compute_pos_weight(
    counts, n_samples: int, method: str = "auto", max_pos_weight: float | None = 100.0
) -> np.ndarray:
    """The positive-class weight per label: ``n_neg / n_pos``, never its inverse.

    ``"auto"`` gives ``clip(n_neg / max(n_pos, 1), max=max_pos_weight)``: a label
    with 1% positives gets 99, a label with no positives gets ``max_pos_weight``
    (no inf, no NaN), a label whose rows are all positive gets 0. ``"sqrt"`` gives
    the square root of that, a milder correction.

    Parameters
    ----------
    counts : array-like of shape (n_labels,)
        Positives per label in the training data.
    n_samples : int
        Number of training rows.
    method : {"auto", "sqrt"}, default="auto"
    max_pos_weight : float or None, default=100.0
        Upper clip; ``None`` disables it (the ratio stays finite anyway).

    Returns
    -------
    pos_weight : ndarray of shape (n_labels,), float32

    Examples
    --------
    >>> from skimb.diagnostics import compute_pos_weight
    >>> compute_pos_weight([10, 50, 0, 100], n_samples=100)
    array([  9.,   1., 100.,   0.], dtype=float32)
    """
    counts = np.asarray(counts, dtype=np.float64)
    ratio = (n_samples - counts) / np.maximum(counts, 1.0)
    if max_pos_weight is not None:
        ratio = np.minimum(ratio, max_pos_weight)
    if method == "sqrt":
        ratio = np.sqrt(ratio)
    elif method != "auto":
        raise ValueError(f"method must be 'auto' or 'sqrt', got {method!r}.")
    return ratio.astype(np.float32)


def check_pos_weight(pos_weight, counts, n_samples: int, label_names=None) -> np.ndarray:
    """Validate an explicit ``pos_weight`` and warn when it looks inverted.

    A weight below 1 on a label whose prevalence is below 0.5 down-weights the
    rare positives: that is almost always ``n_pos / n_neg`` where ``n_neg / n_pos``
    was meant, the mistake that makes a model predict all zeros.

    Returns the weights as a float32 array.

    Examples
    --------
    >>> import warnings
    >>> from skimb.diagnostics import check_pos_weight
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     _ = check_pos_weight([0.1, 1.0], counts=[10, 50], n_samples=100)
    >>> "inverted" in str(w[0].message)
    True
    """
    counts = np.asarray(counts)
    w = np.asarray(pos_weight, dtype=np.float64).reshape(-1)
    if w.shape[0] != counts.shape[0]:
        raise ValueError(
            f"pos_weight has {w.shape[0]} values but y has {counts.shape[0]} labels; "
            "give one weight per label, or use pos_weight='auto'."
        )
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        bad = np.flatnonzero(~np.isfinite(w) | (w < 0)).tolist()
        raise ValueError(
            f"pos_weight must be finite and non-negative; labels {bad} are not. "
            "Use pos_weight='auto' for n_neg / n_pos per label."
        )
    prevalence = counts / max(n_samples, 1)
    suspicious = np.flatnonzero((w < 1) & (prevalence < 0.5))
    if suspicious.size:
        auto = compute_pos_weight(counts, n_samples, max_pos_weight=None)
        names = (
            [str(label_names[i]) for i in suspicious]
            if label_names is not None
            else suspicious.tolist()
        )
        details = ", ".join(
            f"{n}: given {w[i]:.3g}, prevalence {prevalence[i]:.3g}, 'auto' gives {auto[i]:.3g}"
            for n, i in zip(names[:10], suspicious[:10])
        )
        warnings.warn(
            f"pos_weight is below 1 for rare labels {names}: the ratio looks inverted "
            f"(n_pos / n_neg instead of n_neg / n_pos), which pushes the model towards "
            f"predicting all zeros ({details}). Use pos_weight='auto'.",
            UserWarning,
            stacklevel=3,
        )
    return w.astype(np.float32)
