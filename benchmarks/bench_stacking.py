"""The stacked pass with its parameters in shared leaves against stacking them every step.

While ``fit_folds`` trains the fold models and the refit together, each
trainable parameter of all the models lives in one ``(models, ...)`` leaf
tensor, and a Linear layer's weights are stored ``(models, in, out)``, the
layout in which the batched backward pass computes their gradient
(``skimb._stacking.StackedModels._share``). The alternative, skimb's earlier
implementation and still the path for a model's parameters outside ``fit``,
stacks every parameter afresh at every step (a copy) and lets autograd copy
each gradient out of the stack, transposed for a Linear layer's weights.

This script fits ``ThresholdOptimizer(MultiLabelImbalancedClassifier(), cv=5)``
both ways, alternating (``--repeats`` pairs, the first pair after a warm-up
fit), on the scaled standard training rows of each data set, one torch
thread, and prints every time, the minimum and the median of each way and
their ratio, with the out-of-fold macro-F1 of both (equal: the same
arithmetic). Times on a shared machine move by 10-20 % from one fit to the
next; the minimum over the repeats is the steadier figure.

Run from the repository root::

    python benchmarks/bench_stacking.py
    python benchmarks/bench_stacking.py --data bibtex --repeats 3 --epochs 20
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import torch
from _common import DATA  # puts this checkout first on sys.path
from bench_main_job import load

import skimb._stacking as stacking
from skimb import MultiLabelImbalancedClassifier, ThresholdOptimizer

SHARE = stacking.StackedModels._share


def fit(X, Y, epochs: int, shared: bool) -> tuple[float, float]:
    stacking.StackedModels._share = SHARE if shared else (lambda self, optimizer: None)
    try:
        start = time.perf_counter()
        model = ThresholdOptimizer(
            MultiLabelImbalancedClassifier(random_state=0, max_epochs=epochs),
            cv=5, random_state=0,
        ).fit(X, Y)
        return time.perf_counter() - start, model.best_score_
    finally:
        stacking.StackedModels._share = SHARE


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=["yeast", "bibtex"])
    parser.add_argument("--data-dir", type=Path, default=DATA)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore", UserWarning)  # single-class folds on yeast
    print(f"torch {torch.__version__}, one thread, cv=5, {args.epochs} epochs, "
          f"{args.repeats} pairs")
    for name in args.data:
        X, Y, _, _ = load(name, args.data_dir)
        fit(X, Y, 1, True)  # warm-up: what torch and the allocator set up on first use
        times = {True: [], False: []}
        scores = {}
        for _ in range(args.repeats):
            for shared in (False, True):
                t, scores[shared] = fit(X, Y, args.epochs, shared)
                times[shared].append(t)
        print(f"\n## {name}: {X.shape[0]} rows, {X.shape[1]} features, {Y.shape[1]} labels")
        for shared, label in ((False, "stacked every step"), (True, "shared leaves")):
            ts = sorted(times[shared])
            print(f"{label:20} min {ts[0]:7.2f} s  median {ts[len(ts) // 2]:7.2f} s  "
                  f"all {' '.join(f'{t:.2f}' for t in times[shared])}  "
                  f"OOF macro-F1 {scores[shared]:.4f}")
        mid = args.repeats // 2
        median = sorted(times[True])[mid] / sorted(times[False])[mid]
        print(f"shared / every step: min {min(times[True]) / min(times[False]):.2f}, "
              f"median {median:.2f}")


if __name__ == "__main__":
    main()
