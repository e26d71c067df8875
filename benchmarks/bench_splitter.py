"""Multi-label stratified K-fold: skimb's splitter vs the iterative-stratification package.

Splits 100,000 rows x 100 long-tailed labels (prevalence 30% down to 0.05%, so the
rarest labels have 50 positives) into 5 shuffled folds with both implementations
and reports the time (median of 3 runs), how evenly each label's positives are
spread (largest and mean absolute difference between a fold's count and 1/5 of the
label's total), and the number of (label, fold) pairs without a positive among
labels with at least 5 positives; a second case does the same at 2,000 rows x 40
labels (rarest label: 5 positives). The repair pass that guarantees coverage when
the greedy pass alone misses a fold is exercised in tests/test_model_selection.py.

A second table compares skimb's MultilabelStratifiedGroupKFold with
scikit-learn's GroupKFold and with the ungrouped MultilabelStratifiedKFold on
rows that come in groups: a generated long-tail set (20,000 x 60, groups of 1 to
19 rows of similar feature values, so a group's rows share labels) and bibtex
(7,395 x 159) with synthetic groups made the same way from its features. Gaps are
relative, |fold count - total / 5| / (total / 5), over labels with at least 5
positives; "leaked groups" counts groups with rows in two folds, "empty" the
(label, fold) pairs without a positive among labels carried by at least 5 groups.

    python benchmarks/bench_splitter.py
    python benchmarks/bench_splitter.py --groups-only
"""

import sys

import numpy as np
from _common import Timer, load
from iterstrat.ml_stratifiers import MultilabelStratifiedKFold as IterstratKFold
from sklearn.model_selection import GroupKFold

from skimb import make_long_tail_multilabel
from skimb.model_selection import MultilabelStratifiedGroupKFold, MultilabelStratifiedKFold


def measure(splitter, X, Y, k, runs):
    times = []
    for _ in range(runs):
        with Timer() as t:
            splits = list(splitter.split(X, Y))
        times.append(t.seconds)
    counts = np.array([Y[test].sum(axis=0) for _, test in splits])
    gap = np.abs(counts - Y.sum(axis=0) / k)
    enough = Y.sum(axis=0) >= k
    empty = int((counts[:, enough] == 0).sum())
    return float(np.median(times)), gap.max(), gap.mean(), empty


def main():
    k = 5
    cases = [
        ("100,000 x 100", 100_000, 100, 0.0005, 3),
        ("2,000 x 40", 2_000, 40, 0.0025, 3),
    ]
    print(f"{'data':>14} {'splitter':<34} {'time (s)':>9} {'max gap':>8} {'mean gap':>9} "
          f"{'empty (label, fold)':>20}")
    for name, n, c, low, runs in cases:
        X, Y = make_long_tail_multilabel(
            n, 10, c, min_prevalence=low, max_prevalence=0.3, random_state=0
        )
        for label, splitter in (
            ("skimb MultilabelStratifiedKFold", MultilabelStratifiedKFold(k, shuffle=True,
                                                                          random_state=0)),
            ("iterstrat MultilabelStratifiedKFold", IterstratKFold(k, shuffle=True,
                                                                   random_state=0)),
        ):
            seconds, gap_max, gap_mean, empty = measure(splitter, X, Y, k, runs)
            print(f"{name:>14} {label:<34} {seconds:9.2f} {gap_max:8.2f} {gap_mean:9.3f} "
                  f"{empty:>20}")


def similar_groups(X, seed):
    """Groups of 1 to 19 consecutive rows along a random direction of the features."""
    rng = np.random.default_rng(seed)
    order = np.argsort(X @ rng.normal(size=X.shape[1]))
    n = X.shape[0]
    sizes = rng.integers(1, 20, n)
    group_of_sorted = np.repeat(np.arange(n), sizes)[:n]
    groups = np.empty(n, dtype=np.int64)
    groups[order] = group_of_sorted
    return groups


def measure_groups(splitter, X, Y, groups, k):
    with Timer() as t:
        splits = list(splitter.split(X, Y, groups))
    counts = np.array([Y[test].sum(axis=0) for _, test in splits])
    total = Y.sum(axis=0)
    rated = total >= k
    gap = (np.abs(counts - total / k) / (total / k))[:, rated]
    carriers = np.array([np.unique(groups[Y[:, c] > 0]).size for c in range(Y.shape[1])])
    empty = int((counts[:, carriers >= k] == 0).sum())
    fold_of_row = np.empty(len(Y), dtype=np.int64)
    for f, (_, test) in enumerate(splits):
        fold_of_row[test] = f
    leaked = sum(np.unique(fold_of_row[groups == g]).size > 1 for g in np.unique(groups))
    sizes = [len(test) for _, test in splits]
    return t.seconds, gap.max(), gap.mean(), empty, leaked, min(sizes), max(sizes)


def main_groups():
    k = 5
    X, Y = make_long_tail_multilabel(20_000, 10, 60, min_prevalence=0.001,
                                     max_prevalence=0.3, random_state=0)
    Xb, Yb, _ = load("bibtex")
    cases = [("generated 20,000 x 60", X, Y), ("bibtex 7,395 x 159", Xb, Yb)]
    print(f"{'data':>22} {'splitter':<36} {'groups':>7} {'time (s)':>9} {'max gap':>8} "
          f"{'mean gap':>9} {'empty':>6} {'leaked groups':>14} {'fold rows':>12}")
    for name, X, Y in cases:
        dense = X.toarray() if hasattr(X, "toarray") else X
        groups = similar_groups(np.asarray(dense, dtype=np.float64), seed=0)
        for label, splitter in (
            ("skimb MultilabelStratifiedGroupKFold",
             MultilabelStratifiedGroupKFold(k, shuffle=True, random_state=0)),
            ("sklearn GroupKFold", GroupKFold(k)),
            ("skimb MultilabelStratifiedKFold",
             MultilabelStratifiedKFold(k, shuffle=True, random_state=0)),
        ):
            seconds, gap_max, gap_mean, empty, leaked, small, large = measure_groups(
                splitter, X, Y, groups, k)
            print(f"{name:>22} {label:<36.36} {np.unique(groups).size:>7} {seconds:9.2f} "
                  f"{gap_max:8.3f} {gap_mean:9.3f} {empty:>6} {leaked:>14} "
                  f"{small:>5}-{large:<6}")


if __name__ == "__main__":
    if "--groups-only" not in sys.argv:
        main()
    main_groups()
