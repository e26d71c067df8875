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
from scipy import sparse
from sklearn.model_selection._split import (
    BaseShuffleSplit,
    GroupsConsumerMixin,
    _BaseKFold,
    _validate_shuffle_split,
)
from sklearn.utils import check_random_state
from sklearn.utils.validation import _num_samples

from ._stacklevel import user_stacklevel

__all__ = [
    "MultilabelStratifiedGroupKFold",
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


def _warn_ignored_groups(splitter, groups) -> None:
    if groups is not None:
        warnings.warn(
            f"The groups parameter is ignored by {type(splitter).__name__}: rows of one "
            "group may fall in two folds. Use MultilabelStratifiedGroupKFold to keep "
            "groups whole.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )


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


def _repair_coverage(Y, part, targets, rng, unit_sizes=None):
    """Move positives so that every label with enough of them is in every target part.

    ``Y`` holds one row per unit that moves as a whole: a row (bool), or a
    group of rows (its positives per label, int) with ``unit_sizes`` rows. A
    unit carrying the label is moved out of a part that keeps a positive of
    it, choosing one (the smallest, then the one with fewest labels) whose
    other labels also keep a positive there; a unit of about the same size is
    moved back the other way when one can be moved without losing a label and
    the part sizes get closer that way. A label counts as "enough" when as
    many units as there are target parts carry it.

    Returns the labels that stay uncovered (they are also named in a warning).
    """
    n_parts = targets.size
    target_parts = np.flatnonzero(targets)
    sizes = np.ones(Y.shape[0], dtype=np.int64) if unit_sizes is None else unit_sizes
    has = Y > 0
    counts = np.stack([Y[part == p].sum(axis=0) for p in range(n_parts)], axis=1)
    need = has.sum(axis=0) >= target_parts.size

    def harmless(units, p):
        """Units of part ``p`` that leave every needed label of ``p`` covered."""
        fragile = need & targets[p] & (counts[:, p] > 0)
        lost = has[units] & (counts[:, p] - Y[units] <= 0) & fragile
        return units[~lost.any(axis=1)]

    missing = []
    for label, p in zip(*np.nonzero((counts[:, target_parts] == 0) & need[:, None])):
        to = target_parts[p]
        if counts[label, to] > 0:  # fixed by an earlier move
            continue
        moved = False
        for src in np.argsort(-counts[label], kind="stable"):
            if counts[label, src] < 2:
                break
            units = harmless(np.flatnonzero((part == src) & has[:, label]), src)
            units = units[Y[units, label] < counts[label, src]]  # src keeps the label
            if units.size == 0:
                continue
            unit = units[np.lexsort((has[units].sum(axis=1), sizes[units]))[0]]
            part[unit] = to
            counts[:, src] -= Y[unit]
            counts[:, to] += Y[unit]
            # move one unit back to keep the sizes, if one can go without harm
            back = np.flatnonzero(part == to)
            back = harmless(back[back != unit], to)
            off = np.abs(sizes[back] - sizes[unit])
            back = back[off < sizes[unit]]  # the sizes get closer
            if back.size:
                off = np.abs(sizes[back] - sizes[unit])
                back = back[off == off.min()]
                n_labels_back = has[back].sum(axis=1)
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
            stacklevel=user_stacklevel(),
        )
    return sorted(set(missing))


def _group_stratification(U, group_rows, sizes, rng, part_has_positives):
    """Assign each group to a part: iterative stratification with groups as units.

    ``U`` (int, groups x labels) holds each group's positives, ``group_rows``
    its number of rows, ``sizes`` the rows wanted per part. Labels are visited
    from the rarest (fewest positives left); the groups carrying it go, the
    largest share of it first, each to the part that still lacks most of the
    group's labels and rows (the sum over the group's labels of the part's
    lack of each label, as a share of that label's positives, plus its lack
    of rows, as a share of all rows, times the group's rows; ties: most rows
    lacking, then at random): balancing all of a group's labels at once keeps
    the part sizes close to ``sizes``. Groups without a label fill the parts
    lacking most rows, largest first. The repair pass of the
    row-wise splitter then covers every label that enough groups carry.
    """
    n_groups = U.shape[0]
    sizes = np.asarray(sizes, dtype=np.float64)
    n = group_rows.sum()
    positives = U.sum(axis=0)
    wanted = np.outer(positives, sizes / n)
    wanted_rows = sizes.copy()
    remaining = positives.copy()
    part = np.full(n_groups, -1)
    free = np.ones(n_groups, dtype=bool)
    Ut = np.ascontiguousarray(U.T)
    share = U / np.maximum(positives, 1)
    tiebreak = rng.random(n_groups) if rng is not None else -np.arange(n_groups)
    while True:
        active = np.flatnonzero(remaining > 0)
        if active.size == 0:
            break
        fewest = active[remaining[active] == remaining[active].min()]
        label = fewest[rng.randint(fewest.size)] if rng is not None else fewest[0]
        groups = np.flatnonzero((Ut[label] > 0) & free)
        groups = groups[np.lexsort((tiebreak[groups], group_rows[groups], Ut[label, groups]))[::-1]]
        for g in groups:
            third = rng.random(sizes.size) if rng is not None else -np.arange(sizes.size)
            # share of the group's labels and rows each part still lacks
            lack = share[g] @ wanted + wanted_rows * (group_rows[g] / n)
            p = np.lexsort((third, wanted_rows, lack))[-1]
            part[g] = p
            wanted[:, p] -= U[g]
            wanted_rows[p] -= group_rows[g]
        free[groups] = False
        remaining -= U[groups].sum(axis=0)
    rest = np.flatnonzero(free)
    for g in rest[np.lexsort((tiebreak[rest], group_rows[rest]))[::-1]]:
        third = rng.random(sizes.size) if rng is not None else -np.arange(sizes.size)
        p = np.lexsort((third, wanted_rows))[-1]
        part[g] = p
        wanted_rows[p] -= group_rows[g]
    targets = np.asarray(part_has_positives, dtype=bool)
    too_few = (positives >= targets.sum()) & ((U > 0).sum(axis=0) < targets.sum())
    if too_few.any():
        warnings.warn(
            f"Labels {np.flatnonzero(too_few)[:10].tolist()}"
            f"{' ...' if too_few.sum() > 10 else ''} have enough positives for every part, "
            "but they lie in fewer groups than there are parts, and a group stays in one "
            "part; some parts have no positive of them. Use fewer folds, or accept it "
            "(ThresholdOptimizer then searches those labels on the folds that have them).",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
    _repair_coverage(U, part, targets, rng, unit_sizes=group_rows)
    return part


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
            Ignored, with a warning when given: rows of one group may fall in
            two folds (use :class:`MultilabelStratifiedGroupKFold`).

        Yields
        ------
        train, test : ndarray
            Row indices of each fold's training and test part.
        """
        _warn_ignored_groups(self, groups)
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


def _group_folds(Y, groups, k, rng):
    """Fold of each row for ``k`` folds that keep every group whole."""
    n = Y.shape[0]
    groups = np.asarray(groups)
    if groups.ndim != 1 or groups.shape[0] != n:
        raise ValueError(
            f"groups must be a 1-D array with one entry per row ({n}); got shape "
            f"{groups.shape}."
        )
    _, group_of_row, group_rows = np.unique(groups, return_inverse=True, return_counts=True)
    group_of_row = group_of_row.reshape(-1)
    if group_rows.size < k:
        m = group_rows.size
        fix = (f"use at most {m} folds (n_splits; ThresholdOptimizer's cv)" if m >= 2
               else "cross-validation needs at least 2 groups")
        raise ValueError(
            f"Cannot make {k} folds from {m} distinct group{'s' if m != 1 else ''}: each "
            f"fold takes whole groups; {fix}, or give finer groups."
        )
    sizes = np.full(k, n // k) + (np.arange(k) < n % k)
    targets = np.ones(k, dtype=bool)
    if group_rows.size == n:  # one row per group: the row-wise stratification
        return _iterative_stratification(Y, sizes, rng, targets)
    member = sparse.csr_matrix(
        (np.ones(n, dtype=np.int64), (group_of_row, np.arange(n))), shape=(group_rows.size, n)
    )
    U = np.asarray(member @ Y.astype(np.int64))
    return _group_stratification(U, group_rows, sizes, rng, targets)[group_of_row]


class MultilabelStratifiedGroupKFold(GroupsConsumerMixin, _BaseKFold):
    """K-fold cross-validation on whole groups, stratified on every label.

    The multi-label counterpart of scikit-learn's ``StratifiedGroupKFold``:
    the rows of one group (a patient, an author, a video) are always in the
    same fold, so no group leaks from a training part into its test part, and
    each fold gets about ``1 / n_splits`` of the positives of every label as
    far as the groups allow. It is the iterative stratification of
    :class:`MultilabelStratifiedKFold` with groups as the units: labels are
    visited from the rarest, and the groups carrying the current label (the
    ones holding most of its positives first) each go to the fold that still
    lacks most of the group's labels and rows (each label's lack as a share of
    its positives, so a rare label weighs more per positive). The
    same repair pass then gives every label carried by at least ``n_splits``
    groups a positive in every fold; a warning names the labels whose
    positives lie in fewer groups than folds (no split can cover them) or
    that no move of whole groups could cover.

    With one row per group the folds are exactly those of
    :class:`MultilabelStratifiedKFold` (same ``shuffle`` and ``random_state``).
    Fold sizes follow the groups: a fold is about ``n_samples / n_splits`` rows
    when the groups are small against that.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2 and at most the number of distinct groups.
    shuffle : bool, default=False
        Break ties at random (and visit rows at random when every group is one
        row). Without it the split is deterministic.
    random_state : int, RandomState instance or None, default=None
        Seed used when ``shuffle=True``.

    See Also
    --------
    MultilabelStratifiedKFold : the same without groups.
    sklearn.model_selection.GroupKFold : groups kept whole, labels ignored.

    Examples
    --------
    >>> import numpy as np
    >>> from skimb import make_long_tail_multilabel
    >>> from skimb.model_selection import MultilabelStratifiedGroupKFold
    >>> X, Y = make_long_tail_multilabel(600, 5, 6, min_prevalence=0.05, random_state=0)
    >>> groups = np.arange(600) // 4  # 150 groups of 4 rows
    >>> cv = MultilabelStratifiedGroupKFold(n_splits=3, shuffle=True, random_state=0)
    >>> folds = list(cv.split(X, Y, groups))
    >>> any(set(groups[train]) & set(groups[test]) for train, test in folds)
    False
    >>> all(Y[test].sum(axis=0).min() >= 1 for _, test in folds)
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
        groups : array-like of shape (n_samples,)
            Group of each row; rows of one group are never in two folds.

        Yields
        ------
        train, test : ndarray
            Row indices of each fold's training and test part.

        Raises
        ------
        ValueError
            When ``groups`` is missing or has the wrong length, or there are
            fewer groups than folds.
        """
        if groups is None:
            raise ValueError(
                "MultilabelStratifiedGroupKFold needs the group of each row: pass "
                "groups=... to split (or MultilabelStratifiedKFold when rows have no groups)."
            )
        Y = check_multilabel_y(y)
        n = _num_samples(X)
        if Y.shape[0] != n:
            raise ValueError(f"X has {n} rows but y has {Y.shape[0]}; they must match.")
        rng = check_random_state(self.random_state) if self.shuffle else None
        fold = _group_folds(Y, groups, self.n_splits, rng)
        indices = np.arange(n)
        for f in range(self.n_splits):
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
            Ignored, with a warning when given: rows of one group may fall in
            two folds (use :class:`MultilabelStratifiedGroupKFold`).

        Yields
        ------
        train, test : ndarray
            Row indices of the training and the test part.
        """
        _warn_ignored_groups(self, groups)
        yield from self._iter_indices(X, y, groups)

