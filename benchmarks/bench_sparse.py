"""Sparse batches against densified ones, by the density of a CSR X.

The default MLP takes a CSR X on the CPU as sparse batches (its first layer on
the stored entries, ``skimb/_sparse_linear.py``) when at most
``skimb._batching.SPARSE_BATCH_MAX_DENSITY`` of the entries are stored, and
densified batches otherwise. This measures both kinds on generated CSR
matrices of growing density: a single ``MultiLabelImbalancedClassifier().fit``
and the main job ``ThresholdOptimizer(MultiLabelImbalancedClassifier()).fit``
(5 stacked folds and the refit), 3 epochs, one torch thread, the least of
``--repeat`` runs. "Densified" switches the MLP's opt-in off
(``MLP.accepts_sparse_csr = False``), so the same code runs on dense batches;
"sparse" lifts the density limit for the run, so that both kinds are measured
at every density.
Printed: the times and the ratio sparse / densified (below 1: sparse faster).

Run from the repository root (about 3 minutes)::

    python benchmarks/bench_sparse.py
    python benchmarks/bench_sparse.py --features 1000 --densities 0.05 0.1 0.15
"""

from __future__ import annotations

import argparse
import time
import warnings

import _common  # noqa: F401  (puts this checkout first on sys.path)
import numpy as np
import scipy.sparse as sp
import torch

import skimb._batching as batching
from skimb import MultiLabelImbalancedClassifier, ThresholdOptimizer
from skimb.modules import MLP


def least(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def classifier():
    return MultiLabelImbalancedClassifier(max_epochs=3, random_state=0, verbose=0,
                                          check_collapse=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--features", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--densities", type=float, nargs="+",
                        default=[0.02, 0.05, 0.1, 0.2, 0.35])
    parser.add_argument("--labels", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    print(f"torch {torch.__version__}, one thread, {args.rows} rows, {args.labels} labels, "
          f"3 epochs, least of {args.repeat}; the default uses sparse batches up to "
          f"density {batching.SPARSE_BATCH_MAX_DENSITY}")
    rng = np.random.default_rng(0)
    Y = (rng.random((args.rows, args.labels)) < 0.1).astype(int)
    ThresholdOptimizer(classifier(), cv=2).fit(rng.random((300, 20)).astype(np.float32), Y[:300])
    print(f"{'features':>8} {'density':>8} {'single: sparse':>15} {'densified':>10} {'ratio':>6}"
          f" {'main job: sparse':>17} {'densified':>10} {'ratio':>6}")
    opt_in, limit = MLP.accepts_sparse_csr, batching.SPARSE_BATCH_MAX_DENSITY
    batching.SPARSE_BATCH_MAX_DENSITY = 1.0  # both kinds at every density
    try:
        for d in args.features:
            for density in args.densities:
                X = sp.random(args.rows, d, density=density, random_state=0, format="csr",
                              dtype=np.float32)
                times = {}
                for sparse in (True, False):
                    MLP.accepts_sparse_csr = sparse
                    times[sparse] = (
                        least(lambda X=X: classifier().fit(X, Y), args.repeat),
                        least(lambda X=X: ThresholdOptimizer(classifier(), random_state=0)
                              .fit(X, Y), args.repeat),
                    )
                (s1, m1), (s0, m0) = times[True], times[False]
                print(f"{d:8d} {density:8.2f} {s1:14.2f}s {s0:9.2f}s {s1 / s0:6.2f}"
                      f" {m1:16.2f}s {m0:9.2f}s {m1 / m0:6.2f}", flush=True)
    finally:
        MLP.accepts_sparse_csr, batching.SPARSE_BATCH_MAX_DENSITY = opt_in, limit


if __name__ == "__main__":
    main()
