"""Input checks of the NumPy side, each answering a mistake with its fix.

Used by :class:`~skimb.ThresholdOptimizer` and :func:`~skimb.find_thresholds`;
imports no torch.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

__all__ = [
    "check_feature_frame",
    "check_finite_scores",
    "check_thresholds",
    "label_array",
    "numeric_labels",
    "one_d_y_message",
]


def _names(cols, names) -> str:
    cols = [str(names[c]) for c in cols] if names is not None else [int(c) for c in cols]
    return f"{cols[:20]}{' (and more)' if len(cols) > 20 else ''}"


def _is_missing(value) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, NaT
    except TypeError:  # pandas.NA: "boolean value of NA is ambiguous"
        return True


def label_array(y):
    """A label matrix (array-like, sparse matrix or DataFrame) as a NumPy array and its names.

    Sparse matrices become dense; pandas frames and series (nullable ``Int64`` /
    ``boolean`` columns included) become arrays, with ``pd.NA`` kept as an
    object for :func:`numeric_labels` to name.

    Returns
    -------
    (ndarray, ndarray of str or None)
    """
    names = None
    if hasattr(y, "columns"):
        names = np.asarray(y.columns, dtype=object).astype(str)
    if sparse.issparse(y):
        y = y.toarray()
    elif hasattr(y, "to_numpy"):
        y = y.to_numpy()
    return np.asarray(y), names


def numeric_labels(y: np.ndarray, names=None, what: str = "y") -> np.ndarray:
    """``y`` with numbers, or a ValueError naming missing values, strings and empty shapes.

    A label matrix of strings, objects or pandas nullable values is converted
    to float64 when every value is a number; missing values (``pd.NA``,
    ``None``, NaN) and strings are named by column, with the fix. A matrix
    with no label column is refused.
    """
    if y.ndim == 2 and y.shape[1] == 0:
        raise ValueError(
            f"{what} has 0 label columns (shape {y.shape}); a label matrix needs at least "
            "one 0/1 column per label."
        )
    if y.dtype.kind not in "OUS":
        if y.dtype.kind == "f" and np.isnan(y).any():
            cols = np.flatnonzero(np.isnan(y.reshape(len(y), -1)).any(axis=0))
            raise ValueError(
                f"{what} has missing values (NaN) in columns {_names(cols, names)}. A label "
                "matrix holds 0/1 only: fill them (e.g. with 0 for 'not labelled') or drop "
                "those rows."
            )
        return y
    flat = y.reshape(len(y), -1)
    missing = np.vectorize(_is_missing, otypes=[bool])(flat) if flat.size else flat.astype(bool)
    if missing.any():
        cols = np.flatnonzero(missing.any(axis=0))
        raise ValueError(
            f"{what} has missing values (NA) in columns {_names(cols, names)}. A label "
            "matrix holds 0/1 only: fill them (e.g. y.fillna(0) for 'not labelled') or drop "
            "those rows."
        )
    try:
        return flat.astype(np.float64).reshape(y.shape)
    except (TypeError, ValueError):
        pass
    bad = np.zeros(flat.shape, dtype=bool)
    for j in range(flat.shape[1]):
        for i, v in enumerate(flat[:, j]):
            try:
                float(v)
            except (TypeError, ValueError):
                bad[i, j] = True
                break
    cols = np.flatnonzero(bad.any(axis=0))
    example = flat[bad][0] if bad.any() else flat.flat[0]
    raise ValueError(
        f"{what} holds strings (e.g. {example!r}) in columns {_names(cols, names)}, but a "
        "label matrix holds 0/1 numbers, one column per label. Encode label names with "
        "sklearn.preprocessing.MultiLabelBinarizer, or convert '0'/'1' strings with "
        f"{what}.astype(int)."
    )


def one_d_y_message(y: np.ndarray, what: str = "y") -> str:
    """The message for a y that is not 2-D, by what it looks like."""
    from sklearn.utils.multiclass import type_of_target

    if y.ndim != 1:
        return (
            f"{what} must be a 2-D 0/1 label matrix of shape (n_samples, n_labels); got "
            f"{y.ndim} dimensions (shape {y.shape})."
        )
    try:
        kind = type_of_target(y)
    except ValueError:
        kind = "unknown"
    if kind == "binary":
        return (
            f"{what} is 1-D (shape {y.shape}), one binary classification target, but this "
            "estimator takes a 2-D 0/1 label matrix of shape (n_samples, n_labels), one "
            "column per label. For one binary label use "
            f"{what}.reshape(-1, 1)."
        )
    return (
        f"Only binary classification is supported per label: {what} is a 1-D target of "
        f"type '{kind}' (shape {y.shape}), but this estimator takes a 2-D 0/1 label matrix "
        "of shape (n_samples, n_labels). One-hot encode class indices "
        "(sklearn.preprocessing.LabelBinarizer), or encode lists of label names with "
        "sklearn.preprocessing.MultiLabelBinarizer."
    )


def check_thresholds(threshold, what: str = "threshold") -> None:
    """Raise a ValueError naming every element of a probability threshold outside [0, 1].

    A scalar is checked by the parameter constraints; an array is checked here,
    element by element (NaN included).
    """
    if isinstance(threshold, str):
        return
    t = np.asarray(threshold, dtype=object)
    if t.ndim == 0:
        return
    try:
        t = np.asarray(threshold, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must hold numbers in [0, 1]; got {threshold!r}.") from None
    bad = np.flatnonzero(~((t >= 0) & (t <= 1)))
    if bad.size:
        raise ValueError(
            f"{what} must be in [0, 1] for every label (a probability at or above it is "
            f"predicted 1); labels {bad[:20].tolist()} have {t[bad][:20].tolist()}. A value "
            "above 1 never predicts the label, one below 0 always does, NaN never does."
        )


def check_feature_frame(X) -> None:
    """Raise a ValueError naming the DataFrame columns of X that are not numbers.

    Called when converting X to float failed, to say which columns (strings,
    categories) and how to encode them.
    """
    if not hasattr(X, "columns") or not hasattr(X, "dtypes"):
        return
    bad = []
    for name in X.columns:
        try:
            np.asarray(X[name], dtype=np.float32)
        except (TypeError, ValueError):
            bad.append(str(name))
    if bad:
        raise ValueError(
            f"X has columns that are not numbers: {bad[:20]}"
            f"{' (and more)' if len(bad) > 20 else ''}. Encode them first, e.g. with "
            "sklearn.compose.make_column_transformer((OneHotEncoder(), columns), "
            "remainder='passthrough') in a Pipeline, or drop them."
        )


def check_finite_scores(folds, estimator, method: str, prefit: bool = False) -> None:
    """Raise a ValueError when the estimator's out-of-fold scores are not all finite.

    Parameters
    ----------
    folds : list of (scores, test, skipped)
        Each fold's ``(len(test), n_labels)`` scores, its rows and the labels
        skipped there (their scores are not searched, so not checked).
    estimator : estimator object
        The wrapped estimator (for its name).
    method : str
        ``"predict_proba"`` or ``"decision_function"``.
    prefit : bool, default=False
        The scores come from a prefit estimator on the data passed to fit.
    """
    for number, (scores, _, skipped) in enumerate(folds):
        bad = ~np.isfinite(scores) & ~np.asarray(skipped, dtype=bool)
        if not bad.any():
            continue
        labels = np.flatnonzero(bad.any(axis=0))
        kinds = sorted({"NaN" if np.isnan(v) else "infinite" for v in scores[bad][:1000]})
        name = type(estimator).__name__
        source = ("the data passed to fit" if prefit
                  else f"the validation rows of fold {number}")
        raise ValueError(
            f"The {'scores' if prefit else 'out-of-fold scores'} of {name}.{method} are not "
            f"finite ({' and '.join(kinds)} in {int(bad.sum())} values, labels "
            f"{labels[:10].tolist()}{' ...' if labels.size > 10 else ''}) on {source}, so "
            "no threshold can be searched on them. The estimator has most likely diverged "
            "in training (scale the features, lower its learning rate) or cannot score "
            "these rows; check it on its own with cross_val_predict."
        )
