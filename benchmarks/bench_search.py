"""Exact threshold search vs the usual 99-point grid with sklearn's f1_score.

The usual recipe scores ``np.linspace(0.01, 0.99, 99)`` per label with
``f1_score(y[:, c], (p[:, c] > t).astype(int))`` and keeps the best grid point.
``skimb.find_thresholds`` scores every cut between distinct scores, all labels at
once. Both run on the same synthetic probabilities at N=20,000 x C=20 and
N=100,000 x C=100 (long-tailed prevalences from 30% down to 0.2%).

The exact search's time is the median of 3 runs. The grid is time-boxed: it runs
label by label until TIME_BOX seconds are spent, and its total is extrapolated
from the mean time per label (the table says how many labels were timed). Its
F1 on every label comes from the same 99 thresholds and the same ">" rule
evaluated with vectorised counts (checked to pick the same threshold as the
f1_score loop on every timed label).

    python benchmarks/bench_search.py

``--large`` measures instead the memory and time of the searches at N=100,000
rows and C=2,000 labels (``--size N C`` for another size): ``find_thresholds``
(F1, whose fast path scores only the cuts at positives, and MCC, which scores
every cut), ``strategy="micro"``'s coordinate ascent, the flood check of the
``min_score`` guard, and ``ThresholdOptimizer(cv="prefit").fit`` with both
strategies on the same scores (a prefit estimator whose scores are its input,
so that only the optimizer's own arrays and searches are measured). Peak memory
is the peak of ``tracemalloc`` (NumPy reports its allocations there) above what
was allocated before the call, also as a multiple of the float64 score matrix
(N x C x 8 bytes; the scores and labels themselves exist before the call). It
takes several minutes and about 10 GB of memory at the default size:

    python benchmarks/bench_search.py --large
"""

import argparse
import time
import tracemalloc
import warnings

import numpy as np
from _common import Timer
from sklearn.metrics import f1_score

from skimb import find_thresholds

GRID = np.linspace(0.01, 0.99, 99)
TIME_BOX = 30.0  # seconds of grid search per size


def make_scores(n, c, seed):
    """Continuous, informative but noisy probabilities for long-tailed labels."""
    rng = np.random.default_rng(seed)
    prevalence = np.geomspace(0.3, 0.002, c)
    y = (rng.random((n, c)) < prevalence).astype(np.int64)
    logit = np.log(prevalence / (1 - prevalence)) + 2.5 * y + rng.normal(0.0, 1.2, (n, c))
    return y, 1.0 / (1.0 + np.exp(-logit))


def grid_label(y, p):
    """The grid's per-label loop: 99 calls to f1_score."""
    f1 = [f1_score(y, (p > t).astype(int)) for t in GRID]
    return GRID[int(np.argmax(f1))]


def grid_all_labels(y, p):
    """The same 99 thresholds and rule, with counts instead of f1_score calls."""
    pred = p[None, :, :] > GRID[:, None, None]  # (99, n, c)
    tp = (pred & (y[None] == 1)).sum(axis=1)
    predicted = pred.sum(axis=1)
    f1 = np.where(predicted + y.sum(0) > 0, 2 * tp / np.maximum(predicted + y.sum(0), 1), 0.0)
    return GRID[np.argmax(f1, axis=0)]


def main():
    warnings.simplefilter("ignore")  # f1_score's zero-division warnings on empty grids
    print(f"{'N x C':>12} {'exact (s)':>10} {'grid (s)':>10} {'timed labels':>13} {'speed-up':>9} "
          f"{'F1 exact - grid: min':>21} {'mean':>7} {'max':>7} {'labels better':>14}")
    for n, c in ((20_000, 20), (100_000, 100)):
        y, p = make_scores(n, c, seed=n)
        runs = []
        for _ in range(3):
            with Timer() as t:
                thresholds, exact_f1 = find_thresholds(y, p)
            runs.append(t.seconds)
        exact_seconds = float(np.median(runs))
        per_label, timed = [], 0
        with Timer() as total:
            for label in range(c):
                with Timer() as t:
                    chosen = grid_label(y[:, label], p[:, label])
                per_label.append(t.seconds)
                timed += 1
                assert chosen == grid_all_labels(y[:, [label]], p[:, [label]])[0]
                if total.elapsed() > TIME_BOX:
                    break
        grid_seconds = float(np.mean(per_label)) * c
        grid_t = np.concatenate(
            [grid_all_labels(y[:, i : i + 10], p[:, i : i + 10]) for i in range(0, c, 10)]
        )
        grid_f1 = np.array([f1_score(y[:, i], p[:, i] > grid_t[i]) for i in range(c)])
        check = np.array([f1_score(y[:, i], p[:, i] >= thresholds[i]) for i in range(c)])
        assert np.allclose(check, exact_f1), "reported F1 differs from sklearn's"
        diff = exact_f1 - grid_f1
        size, timed_labels = f"{n:,} x {c}", f"{timed}/{c}"
        print(f"{size:>12} {exact_seconds:10.3f} {grid_seconds:10.1f} {timed_labels:>13} "
              f"{grid_seconds / exact_seconds:8.0f}x {diff.min():21.5f} {diff.mean():7.4f} "
              f"{diff.max():7.4f} {f'{(diff > 1e-12).sum()}/{c}':>14}")
        if timed < c:
            print(f"{'':>12} grid extrapolated from {timed} timed labels "
                  f"({np.mean(per_label):.2f} s per label)")


def make_large_scores(n, c, seed, chunk=10_000):
    """``make_scores`` generated a block of rows at a time (bounded temporaries)."""
    y = np.empty((n, c), dtype=bool)
    p = np.empty((n, c))
    for start in range(0, n, chunk):
        rows = slice(start, min(start + chunk, n))
        y[rows], p[rows] = make_scores(rows.stop - start, c, seed + start)
    return y, p


def measure(f):
    """Seconds and peak bytes allocated (tracemalloc) by ``f()``, and its result."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        out = f()
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return seconds, peak, out


def main_large(n, c):
    from sklearn.base import BaseEstimator, ClassifierMixin

    from skimb import ThresholdOptimizer
    from skimb._search import find_micro_thresholds
    from skimb.objectives import make_objective
    from skimb.thresholds import _floods

    class Scores(ClassifierMixin, BaseEstimator):
        """Prefit estimator whose scores are its input."""

        def fit(self, X, y):
            self.fitted_ = True
            return self

        def predict_proba(self, X):
            return X

    y, p = make_large_scores(n, c, seed=0)
    matrix = p.nbytes
    print(f"N={n:,} C={c:,}: float64 scores {matrix / 2**20:,.0f} MiB, bool labels "
          f"{y.nbytes / 2**20:,.0f} MiB")
    print(f"{'step':<54} {'time (s)':>9} {'peak (MiB)':>11} {'x scores':>9}")

    def row(name, f):
        seconds, peak, out = measure(f)
        print(f"{name:<54} {seconds:9.1f} {peak / 2**20:11,.0f} {peak / matrix:9.2f}",
              flush=True)
        return out

    thresholds, _ = row("find_thresholds(objective='f1')", lambda: find_thresholds(y, p))
    row("find_thresholds(objective='mcc')", lambda: find_thresholds(y, p, objective="mcc"))
    row("find_micro_thresholds (strategy='micro')",
        lambda: find_micro_thresholds(y, p, init=thresholds))
    f1 = make_objective("f1", n_labels=c)
    row("flood check (min_score guard), all labels",
        lambda: _floods(y, p, None, f1, None, thresholds, np.full(c, 0.5)))
    estimator = Scores().fit(p, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for strategy in ("per_label", "micro"):
            row(f"ThresholdOptimizer(cv='prefit', strategy='{strategy}')",
                lambda s=strategy: ThresholdOptimizer(estimator, cv="prefit", strategy=s).fit(p, y))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true",
                        help="memory and time at N=100,000, C=2,000 (minutes)")
    parser.add_argument("--size", nargs=2, type=int, metavar=("N", "C"),
                        help="the --large measurement at another size")
    args = parser.parse_args()
    if args.large or args.size:
        main_large(*(args.size or (100_000, 2_000)))
    else:
        main()
