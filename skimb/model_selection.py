"""Multi-label stratified splitting (iterative stratification).

scikit-learn's stratified splitters accept only binary or multiclass targets;
on a multi-label indicator matrix a user falls back to plain ``KFold``, and a
rare label can then be missing from a test fold, where no threshold can be
tuned for it. The splitters here implement iterative stratification (Sechidis,
Tsoumakas & Vlahavas, "On the stratification of multi-label data", ECML PKDD
2011): labels are visited from the rarest, and each row carrying the current
label goes to the part that still lacks most of that label (ties: the part
that lacks most rows, then at random). A repair pass then makes sure every
label with at least as many positives as there are parts has a positive in
every part, which the greedy pass alone does not guarantee.

The greedy pass is vectorised: the rows of one label are assigned in one step
(the greedy choice for row ``i`` of a batch equals the ``i``-th best "slot"
of all parts, as every part's slots only get worse as it fills up), so the
cost is a handful of array operations per label.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.model_selection._split import (
    BaseShuffleSplit,
    _BaseKFold,
    _validate_shuffle_split,
)
from sklearn.utils import check_random_state
from sklearn.utils.validation import _num_samples

__all__ = [
    "MultilabelStratifiedKFold",
    "MultilabelStratifiedShuffleSplit",
    "check_multilabel_y",
]


def check_multilabel_y(y, *, name: str = "y") -> np.ndarray:
    """Validate a 0/1 label-indicator matrix; return it as a dense ``bool`` array.

    Parameters
    ----------
    y : array-like or sparse matrix of shape (n_samples, n_labels)
        Labels.
    name : str, default="y"
        Name used in error messages.

    Returns
    -------
    ndarray of shape (n_samples, n_labels), dtype bool

    Examples
    --------
    >>> from skimb.model_selection import check_multilabel_y
    >>> check_multilabel_y([[0, 1], [1, 1]]).tolist()
    [[False, True], [True, True]]
    """
    if y is None:
        raise ValueError(
            "This estimator requires y to be passed, but the target y is None; pass the "
            "0/1 label matrix of shape (n_samples, n_labels)."
        )
    from ._validation import label_array, numeric_labels

    y, names = label_array(y)
    if y.dtype.kind in "OUS" or y.ndim == 2:
        y = numeric_labels(y, names, what=name)  # pandas nullable values, strings, NA
    if y.dtype.kind not in "biuf":
        raise ValueError(
            f"Unknown label type: {name} has dtype {y.dtype}, but a label indicator "
            "matrix holds 0/1 numbers. Encode label names with "
            "sklearn.preprocessing.MultiLabelBinarizer first."
        )
    if y.dtype != bool:
        bad = (y != 0) & (y != 1)
        if bad.any():
            kind = "continuous" if np.any(y[bad] != np.round(y[bad])) else "other"
            where = ""
            if y.ndim == 2:
                cols = np.flatnonzero(bad.any(axis=0)).tolist()
                where = f" in columns {cols[:10]}{' ...' if len(cols) > 10 else ''}"
            raise ValueError(
                f"{name} must hold only 0 and 1, but it has {kind} values{where}. A "
                "multiclass target must be one-hot encoded "
                "(sklearn.preprocessing.LabelBinarizer); a continuous one is a regression "
                "problem."
            )
    if y.ndim == 1:
        raise ValueError(
            f"{name} must be a 2-D 0/1 indicator matrix of shape (n_samples, n_labels); "
            f"got a 1-D array. For a single binary label use {name}.reshape(-1, 1)."
        )
    if y.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D 0/1 indicator matrix of shape (n_samples, n_labels); "
            f"got an array with {y.ndim} dimensions."
        )
    return y.astype(bool)


def _greedy_slots(first_key, second_key, m, rng):
    """Parts chosen, in order, by ``m`` greedy picks.

    Part ``p`` offers slots ``t = 0, 1, ...`` with keys ``(first_key[p] - t,
    second_key[p] - t, random)``; the greedy choice takes the best slot each
    time, which is the same as taking the ``m`` best slots of all parts.
    """
    k = first_key.size
    t = np.arange(m)
    first = (first_key[:, None] - t).ravel()
    second = (second_key[:, None] - t).ravel()
    third = rng.random(k * m) if rng is not None else -np.repeat(np.arange(k), m)
    best = np.lexsort((third, second, first))[::-1][:m]
    return best // m


def _iterative_stratification(Y, sizes, rng, part_has_positives):
    """Assign each row of ``Y`` (bool, n x L) to a part with ``sizes`` rows.

    ``part_has_positives`` (bool per part) says which parts the repair pass
    must give a positive of every label that has at least as many positives
    as there are such parts. Returns the part of each row.
    """
    n = Y.shape[0]
    sizes = np.asarray(sizes, dtype=np.float64)
    order = rng.permutation(n) if rng is not None else np.arange(n)
    Yp = Y[order]
    Yt = np.ascontiguousarray(Yp.T)
    positives = Yp.sum(axis=0)
    wanted = np.outer(positives, sizes / n)  # positives each part still lacks
    wanted_rows = sizes.copy()
    remaining = positives.copy()
    part = np.full(n, -1)
    free = np.ones(n, dtype=bool)
    while True:
        active = np.flatnonzero(remaining > 0)
        if active.size == 0:
            break
        fewest = active[remaining[active] == remaining[active].min()]
        label = fewest[rng.randint(fewest.size)] if rng is not None else fewest[0]
        rows = np.flatnonzero(Yt[label] & free)
        chosen = _greedy_slots(wanted[label], wanted_rows, rows.size, rng)
        part[rows] = chosen
        free[rows] = False
        onehot = np.zeros((rows.size, sizes.size))
        onehot[np.arange(rows.size), chosen] = 1.0
        wanted -= Yp[rows].T @ onehot
        wanted_rows -= onehot.sum(axis=0)
        remaining -= Yp[rows].sum(axis=0)
    rows = np.flatnonzero(free)  # rows without any label
    if rows.size:
        part[rows] = _greedy_slots(wanted_rows, np.zeros_like(wanted_rows), rows.size, rng)
    _repair_coverage(Yp, part, part_has_positives, rng)
    result = np.empty(n, dtype=np.intp)
    result[order] = part
    return result


def _repair_coverage(Y, part, targets, rng):
    """Move positives so that every label with enough of them is in every target part.

    A positive row is moved out of a part that has at least two positives of
    that label, choosing a row whose other labels also keep a positive there;
    a row is moved back the other way when one can be moved without losing a
    label, so the part sizes do not change.
    """
    n_parts = targets.size
    target_parts = np.flatnonzero(targets)
    counts = np.stack([Y[part == p].sum(axis=0) for p in range(n_parts)], axis=1)
    need = Y.sum(axis=0) >= target_parts.size
    missing = []
    for label, p in zip(*np.nonzero((counts[:, target_parts] == 0) & need[:, None])):
        to = target_parts[p]
        if counts[label, to] > 0:  # fixed by an earlier move
            continue
        moved = False
        for src in np.argsort(-counts[label], kind="stable"):
            if counts[label, src] < 2:
                break
            fragile = need & (counts[:, src] < 2) & targets[src]
            rows = np.flatnonzero((part == src) & Y[:, label])
            rows = rows[~(Y[rows] & fragile).any(axis=1)]
            if rows.size == 0:
                continue
            row = rows[np.argmin(Y[rows].sum(axis=1))]
            part[row] = to
            counts[:, src] -= Y[row]
            counts[:, to] += Y[row]
            # move one row back to keep the sizes, if one can go without harm
            fragile = need & (counts[:, to] < 2) & targets[to]
            back = np.flatnonzero(part == to)
            back = back[(back != row) & ~(Y[back] & fragile).any(axis=1)]
            if back.size:
                n_labels_back = Y[back].sum(axis=1)
                back = back[n_labels_back == n_labels_back.min()]
                pick = back[rng.randint(back.size)] if rng is not None else back[0]
                part[pick] = src
                counts[:, to] -= Y[pick]
                counts[:, src] += Y[pick]
            moved = True
            break
        if not moved:
            missing.append(int(label))
    if missing:
        warnings.warn(
            f"Labels {sorted(set(missing))[:10]} have enough positives for every part, but "
            "their rows share labels in a way that no assignment keeps them all covered; "
            "some parts have no positive of them.",
            UserWarning,
            stacklevel=4,
        )


class MultilabelStratifiedKFold(_BaseKFold):
    """K-fold cross-validation stratified on every label of a multi-label target.

    Each test fold gets about ``1 / n_splits`` of the positives of every label
    (iterative stratification, Sechidis et al. 2011), and every label with at
    least ``n_splits`` positives has at least one positive in every test fold
    (a warning names the labels where the data make this impossible).

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2.
    shuffle : bool, default=False
        Visit the rows in random order and break ties at random. Without it the
        split is deterministic (rows in order, ties to the lowest fold).
    random_state : int, RandomState instance or None, default=None
        Seed used when ``shuffle=True``.

    See Also
    --------
    MultilabelStratifiedShuffleSplit : one stratified train/test split.

    Examples
    --------
    >>> from skimb import make_long_tail_multilabel
    >>> from skimb.model_selection import MultilabelStratifiedKFold
    >>> X, Y = make_long_tail_multilabel(500, 5, 6, min_prevalence=0.02, random_state=0)
    >>> cv = MultilabelStratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    >>> all(Y[test].sum(axis=0).min() >= 1 for _, test in cv.split(X, Y))
    True
    """

    def __init__(self, n_splits: int = 5, *, shuffle: bool = False, random_state=None):
        super().__init__(n_splits=n_splits, shuffle=shuffle, random_state=random_state)

    def split(self, X, y, groups=None):
        """Generate train and test indices.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Only its number of rows is used.
        y : array-like or sparse matrix of shape (n_samples, n_labels)
            0/1 label indicator matrix.
        groups : None
            Ignored.

        Yields
        ------
        train, test : ndarray
            Row indices of each fold's training and test part.
        """
        Y = check_multilabel_y(y)
        n = _num_samples(X)
        if Y.shape[0] != n:
            raise ValueError(f"X has {n} rows but y has {Y.shape[0]}; they must match.")
        if self.n_splits > n:
            raise ValueError(
                f"Cannot have n_splits={self.n_splits} folds with only {n} rows; "
                f"use n_splits <= {n}."
            )
        rng = check_random_state(self.random_state) if self.shuffle else None
        k = self.n_splits
        sizes = np.full(k, n // k) + (np.arange(k) < n % k)
        fold = _iterative_stratification(Y, sizes, rng, np.ones(k, dtype=bool))
        indices = np.arange(n)
        for f in range(k):
            yield indices[fold != f], indices[fold == f]


class MultilabelStratifiedShuffleSplit(BaseShuffleSplit):
    """Random train/test splits stratified on every label of a multi-label target.

    Each split is an independent iterative stratification of the rows into a
    training part and a test part (and an unused rest when ``train_size +
    test_size < 1``). Every label with at least two positives gets one in both
    the training and the test part where the data allow it. The part sizes are
    the requested ones up to a few rows.

    Parameters
    ----------
    n_splits : int, default=1
        Number of independent splits.
    test_size : float or int, default=None
        Share (float) or number (int) of test rows; ``None`` means the
        complement of ``train_size``, or 0.1 when both are ``None``.
    train_size : float or int, default=None
        Share or number of training rows; ``None`` means the complement of
        ``test_size``.
    random_state : int, RandomState instance or None, default=None
        Seed of the splits.

    Examples
    --------
    >>> from skimb import make_long_tail_multilabel
    >>> from skimb.model_selection import MultilabelStratifiedShuffleSplit
    >>> X, Y = make_long_tail_multilabel(400, 5, 4, random_state=0)
    >>> cv = MultilabelStratifiedShuffleSplit(test_size=0.25, random_state=0)
    >>> train, test = next(cv.split(X, Y))
    >>> len(train), len(test)
    (300, 100)
    """

    def __init__(self, n_splits: int = 1, *, test_size=None, train_size=None, random_state=None):
        super().__init__(
            n_splits=n_splits, test_size=test_size, train_size=train_size,
            random_state=random_state,
        )
        self._default_test_size = 0.1

    def _iter_indices(self, X, y, groups=None):
        Y = check_multilabel_y(y)
        n = _num_samples(X)
        if Y.shape[0] != n:
            raise ValueError(f"X has {n} rows but y has {Y.shape[0]}; they must match.")
        n_train, n_test = _validate_shuffle_split(
            n, self.test_size, self.train_size, default_test_size=self._default_test_size
        )
        sizes = np.array([n_train, n_test, n - n_train - n_test])
        targets = np.array([True, True, False])
        if sizes[2] == 0:
            sizes, targets = sizes[:2], targets[:2]
        rng = check_random_state(self.random_state)
        indices = np.arange(n)
        for _ in range(self.n_splits):
            part = _iterative_stratification(Y, sizes, rng, targets)
            yield indices[part == 0], indices[part == 1]

    def split(self, X, y, groups=None):
        """Generate train and test indices.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Only its number of rows is used.
        y : array-like or sparse matrix of shape (n_samples, n_labels)
            0/1 label indicator matrix.
        groups : None
            Ignored.

        Yields
        ------
        train, test : ndarray
            Row indices of the training and the test part.
        """
        yield from self._iter_indices(X, y, groups)

