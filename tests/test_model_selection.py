"""Multi-label stratified splitters."""

import warnings

import numpy as np
import pytest
from sklearn.model_selection import KFold

from skimb import make_long_tail_multilabel
from skimb.model_selection import (
    MultilabelStratifiedGroupKFold,
    MultilabelStratifiedKFold,
    MultilabelStratifiedShuffleSplit,
    check_multilabel_y,
)


@pytest.fixture(scope="module")
def data():
    return make_long_tail_multilabel(
        3000, 6, 25, min_prevalence=0.001, max_prevalence=0.4, random_state=0
    )


def _fold_counts(Y, splits):
    return np.array([Y[test].sum(axis=0) for _, test in splits])


@pytest.mark.parametrize("shuffle", [False, True])
def test_kfold_partitions_rows_and_covers_every_label(data, shuffle):
    X, Y = data
    cv = MultilabelStratifiedKFold(5, shuffle=shuffle, random_state=0 if shuffle else None)
    splits = list(cv.split(X, Y))
    assert len(splits) == cv.get_n_splits() == 5
    tests = np.concatenate([test for _, test in splits])
    np.testing.assert_array_equal(np.sort(tests), np.arange(len(Y)))
    for train, test in splits:
        assert np.intersect1d(train, test).size == 0 and train.size + test.size == len(Y)
        assert abs(test.size - len(Y) / 5) <= 3
    counts = _fold_counts(Y, splits)
    enough = Y.sum(axis=0) >= 5
    assert enough.sum() < Y.shape[1]  # the data has labels below the bar too
    assert counts[:, enough].min() >= 1
    # stratified: every label's positives are spread evenly, to a row or so (the
    # repair pass alone would give coverage, not balance)
    assert np.abs(counts - Y.sum(axis=0) / 5).max() <= 1.5


def test_kfold_is_better_stratified_than_kfold(data):
    X, Y = data
    expected = Y.sum(axis=0) / 5
    ours = _fold_counts(Y, MultilabelStratifiedKFold(5, shuffle=True, random_state=1).split(X, Y))
    plain = _fold_counts(Y, KFold(5, shuffle=True, random_state=1).split(X, Y))
    assert np.abs(ours - expected).max() <= 1.5
    assert np.abs(ours - expected).mean() < 0.5 * np.abs(plain - expected).mean()


def test_kfold_randomness(data):
    X, Y = data

    def tests(**kwargs):
        return [t for _, t in MultilabelStratifiedKFold(3, **kwargs).split(X, Y)]

    same = zip(tests(shuffle=True, random_state=0), tests(shuffle=True, random_state=0))
    assert all(np.array_equal(a, b) for a, b in same)
    other = zip(tests(shuffle=True, random_state=0), tests(shuffle=True, random_state=1))
    assert not all(np.array_equal(a, b) for a, b in other)
    assert all(np.array_equal(a, b) for a, b in zip(tests(), tests()))


def test_repair_puts_every_label_in_every_fold():
    # a case where the greedy pass alone leaves label 2 out of the third fold
    # (found by a random search with the repair pass switched off)
    Y = np.array([[1, 1, 0, 1, 0, 0, 0, 0], [0, 0, 1, 1, 0, 0, 1, 1], [1, 0, 1, 0, 1, 0, 0, 1]]).T
    splits = list(MultilabelStratifiedKFold(3).split(np.zeros((8, 1)), Y))
    assert _fold_counts(Y, splits).min() >= 1
    assert sorted(len(test) for _, test in splits) == [2, 3, 3]  # sizes kept


def test_impossible_coverage_warns():
    # three labels on three rows, each pair of rows sharing a label: with two
    # folds two of these rows share a fold, so some label misses a fold
    Y = np.array([[1, 1, 0], [1, 0, 1], [0, 1, 1], [0, 0, 0], [0, 0, 0], [0, 0, 0]])
    with pytest.warns(UserWarning, match="no assignment keeps them all covered"):
        list(MultilabelStratifiedKFold(2).split(np.zeros((6, 1)), Y))


def test_shuffle_split_sizes_and_coverage(data):
    X, Y = data
    cv = MultilabelStratifiedShuffleSplit(n_splits=3, test_size=0.25, random_state=0)
    splits = list(cv.split(X, Y))
    assert len(splits) == 3
    enough = Y.sum(axis=0) >= 2
    for train, test in splits:
        assert abs(test.size - 750) <= 3 and train.size + test.size == len(Y)
        assert Y[test][:, enough].sum(axis=0).min() >= 1
        assert Y[train][:, enough].sum(axis=0).min() >= 1
        share = Y[test].sum(axis=0) / Y.sum(axis=0)
        assert np.abs(share - 0.25)[Y.sum(axis=0) >= 40].max() < 0.05
    assert not np.array_equal(splits[0][1], splits[1][1])
    cv = MultilabelStratifiedShuffleSplit(train_size=0.5, test_size=0.2, random_state=0)
    train, test = next(cv.split(X, Y))
    assert abs(train.size - 1500) <= 3 and abs(test.size - 600) <= 3


@pytest.mark.parametrize(
    ("y", "message"),
    [
        (np.array([0, 1, 1]), r"got a 1-D array. For a single binary label use y.reshape\(-1, 1\)"),
        (np.array([[0, 2], [1, 0], [1, 1]]), r"other values in columns \[1\]"),
        (np.array([[0, 0.5], [1, 0], [1, 1]]), r"continuous values in columns \[1\]"),
        (np.array([["a"], ["b"], ["a"]]), "holds strings.*MultiLabelBinarizer"),
        (None, "requires y to be passed"),
    ],
)
def test_bad_targets_are_explained(y, message):
    with pytest.raises(ValueError, match=message):
        list(MultilabelStratifiedKFold(2).split(np.zeros((3, 1)), y))


def test_too_many_folds_and_mismatched_rows():
    with pytest.raises(ValueError, match="n_splits=4 folds with only 3 rows"):
        list(MultilabelStratifiedKFold(4).split(np.zeros((3, 1)), np.eye(3)))
    with pytest.raises(ValueError, match="X has 2 rows but y has 3"):
        list(MultilabelStratifiedKFold(2).split(np.zeros((2, 1)), np.eye(3)))


def test_check_multilabel_y_accepts_sparse_and_frames():
    import pandas as pd
    from scipy import sparse

    Y = np.array([[0, 1], [1, 0]])
    assert check_multilabel_y(sparse.csr_matrix(Y)).tolist() == Y.astype(bool).tolist()
    assert check_multilabel_y(pd.DataFrame(Y)).dtype == bool


# ------------------------------------------------------------------ groups
def _grouped(n_groups, seed=0):
    X, Y = make_long_tail_multilabel(
        3000, 6, 25, min_prevalence=0.003, max_prevalence=0.4, random_state=0
    )
    groups = np.random.default_rng(seed).integers(0, n_groups, len(Y))
    return X, Y, groups


@pytest.mark.parametrize("n_groups", [600, 150])
def test_group_kfold_keeps_groups_whole_and_balances_labels(n_groups):
    from sklearn.model_selection import GroupKFold

    X, Y, groups = _grouped(n_groups)
    cv = MultilabelStratifiedGroupKFold(5, shuffle=True, random_state=0)
    splits = list(cv.split(X, Y, groups))
    tests = np.concatenate([test for _, test in splits])
    np.testing.assert_array_equal(np.sort(tests), np.arange(len(Y)))
    for train, test in splits:
        assert not set(groups[train]) & set(groups[test])
        assert abs(test.size - len(Y) / 5) < 0.05 * len(Y)
    expected = Y.sum(axis=0) / 5
    ours = np.abs(_fold_counts(Y, splits) - expected) / np.maximum(expected, 1)
    plain = _fold_counts(Y, GroupKFold(5).split(X, Y, groups))
    plain = np.abs(plain - expected) / np.maximum(expected, 1)
    assert ours.mean() < 0.6 * plain.mean()
    enough = (Y > 0).sum(axis=0) >= 5  # all labels here have their positives in >= 5 groups
    per_label_groups = np.array([np.unique(groups[Y[:, c] > 0]).size
                                 for c in range(Y.shape[1])])
    assert np.all(per_label_groups[enough] >= 5)
    assert _fold_counts(Y, splits)[:, enough].min() >= 1


def test_group_kfold_with_single_row_groups_is_the_rowwise_splitter(data):
    X, Y = data
    ours = MultilabelStratifiedGroupKFold(4, shuffle=True, random_state=3)
    rowwise = MultilabelStratifiedKFold(4, shuffle=True, random_state=3)
    for (a, b), (c, d) in zip(ours.split(X, Y, np.arange(len(Y))[::-1]), rowwise.split(X, Y)):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)


def test_group_kfold_repairs_coverage_with_whole_groups():
    # label 0 has 3 positives in 3 groups; rows 0 and 1 are one group. Deterministic
    # greedy placement alone would put two of them in one fold for some seeds: the
    # repair must move whole groups only.
    rng = np.random.default_rng(0)
    for seed in range(20):
        Y = (rng.random((40, 4)) < [0.08, 0.1, 0.3, 0.5]).astype(int)
        groups = rng.integers(0, 14, 40)
        cv = MultilabelStratifiedGroupKFold(3, shuffle=True, random_state=seed)
        import warnings

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            splits = list(cv.split(np.zeros((40, 1)), Y, groups))
        for train, test in splits:
            assert not set(groups[train]) & set(groups[test])
        carriers = np.array([np.unique(groups[Y[:, c] > 0]).size for c in range(4)])
        counts = _fold_counts(Y, splits)
        named = " ".join(str(w.message) for w in caught)
        for c in np.flatnonzero(carriers >= 3):
            assert counts[:, c].min() >= 1 or str(c) in named


def test_group_kfold_warns_naming_labels_in_too_few_groups():
    Y = np.zeros((12, 3), dtype=int)
    Y[:4, 1] = 1  # 4 positives of label 1, all in group 0
    Y[::2, 2] = 1
    groups = np.repeat(np.arange(6), 2)
    groups[:4] = 0
    with pytest.warns(UserWarning, match=r"Labels \[1\].*fewer groups than there are parts"):
        splits = list(MultilabelStratifiedGroupKFold(3).split(np.zeros((12, 1)), Y, groups))
    assert all(not set(groups[tr]) & set(groups[te]) for tr, te in splits)
    assert _fold_counts(Y, splits)[:, 2].min() >= 1


def test_group_kfold_errors():
    X, Y = np.zeros((6, 1)), np.eye(6, 2, dtype=int)
    cv = MultilabelStratifiedGroupKFold(3)
    with pytest.raises(ValueError, match="needs the group of each row"):
        list(cv.split(X, Y))
    with pytest.raises(ValueError, match=r"3 folds from 2 distinct groups.*at most 2 folds"):
        list(cv.split(X, Y, [0, 0, 0, 1, 1, 1]))
    with pytest.raises(ValueError, match=r"from 1 distinct group:.*at least 2 groups"):
        list(cv.split(X, Y, [0] * 6))
    with pytest.raises(ValueError, match="one entry per row"):
        list(cv.split(X, Y, [0, 1, 2]))
    assert cv.get_metadata_routing().split.requests["groups"] is True


@pytest.mark.parametrize("splitter", [MultilabelStratifiedKFold(2),
                                      MultilabelStratifiedShuffleSplit(2, test_size=0.5)])
def test_ungrouped_splitters_warn_that_they_ignore_groups(splitter):
    X, Y = np.zeros((8, 1)), np.tile([[1, 0], [0, 1]], (4, 1))
    with pytest.warns(UserWarning, match="groups parameter is ignored.*GroupKFold"):
        list(splitter.split(X, Y, groups=np.arange(8) // 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        list(splitter.split(X, Y))
