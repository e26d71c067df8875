"""Torch threads: the ``num_threads="auto"`` default against fixed thread counts.

``MultiLabelImbalancedClassifier().fit`` (defaults: MLP with 256 hidden units,
20 epochs, batch 128) on three data sets: the demo's training half (3,000 x 30,
12 labels), emotions' standard training rows (391 x 72, 6 labels; generated
data of that shape when the file is missing) and bibtex's (4,880 x 1,836
sparse, 159 labels).

1. Quiet machine: the fit with each fixed count from 1 to the number of cores
   (``num_threads=n``) and with the default; the ratio of the default to the
   best fixed count.
2. Contention: the benchmark starts ``--competitors`` CPU-bound processes
   (busy loops that end by themselves after ``--contention-seconds`` and are
   ended by the benchmark when it is done), waits a second, and times the
   default against ``num_threads=1`` under the same contention
   (``--contention-repeats`` fits each: the scheduler makes these times vary).
   The "auto used" columns give the thread counts the default ran with,
   recorded at every batch.
3. The evidence for the rule: the time of one epoch with 1 and with 2
   threads for MLPs of growing size (rows per batch x parameters, the work of
   one training step), on an idle machine.

Each time is the median of ``--repeats`` fits (default 5), the contenders' order rotated
from one repeat to the next. Run from the repository root, with nothing else
running::

    python benchmarks/bench_threads.py
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

import numpy as np
import scipy.sparse as sp
import torch
from _common import DATA  # puts this checkout first on sys.path
from _common import load as load_npz
from sklearn.preprocessing import MaxAbsScaler, StandardScaler
from skorch.callbacks import Callback

from skimb import MultiLabelImbalancedClassifier, make_long_tail_multilabel
from skimb._threads import MIN_WORK_PER_THREAD, idle_cores


def load(name: str, data_dir: Path):
    if name == "demo":
        X, Y = make_long_tail_multilabel(6000, 30, 12, min_prevalence=0.005,
                                         max_prevalence=0.3, random_state=0)
        X, Y = X[:3000], Y[:3000]
    elif name == "emotions" and not (data_dir / "emotions.npz").exists():
        X, Y = make_long_tail_multilabel(391, 72, 6, min_prevalence=0.25, random_state=0)
    else:
        X, Y, test = load_npz(name, data_dir)
        X, Y = X[~test], Y[~test]
    scaler = MaxAbsScaler() if sp.issparse(X) else StandardScaler()
    return scaler.fit_transform(X).astype(np.float32), Y


class ThreadsUsed(Callback):
    """Records torch's thread count at every batch."""

    def initialize(self):
        self.counts = set()
        return self

    def on_batch_end(self, net, **kwargs):
        self.counts.add(torch.get_num_threads())


USED: dict = {}  # num_threads value -> thread counts seen in its fits


def fit_seconds(X, Y, num_threads, **params) -> float:
    used = ThreadsUsed()
    start = time.perf_counter()
    MultiLabelImbalancedClassifier(num_threads=num_threads, random_state=0, callbacks=[used],
                                   check_collapse=False, **params).fit(X, Y)
    seconds = time.perf_counter() - start
    USED.setdefault(num_threads, set()).update(used.counts)
    return seconds


def compare(X, Y, contenders, repeats, **params) -> dict:
    """Median fit time of each contender (a num_threads value), order rotated per repeat."""
    times = {c: [] for c in contenders}
    for r in range(repeats):
        for c in contenders[r % len(contenders):] + contenders[:r % len(contenders)]:
            times[c].append(fit_seconds(X, Y, c, **params))
    return {c: median(t) for c, t in times.items()}


def label(c) -> str:
    return "default ('auto')" if c == "auto" else f"{c} thread{'s' if c != 1 else ''}"


def quiet(names, args):
    cores = torch.get_num_threads()
    print(f"\n## 1. Quiet machine (torch.get_num_threads() = {cores}, idle cores now "
          f"{idle_cores()})")
    fixed = list(range(1, cores + 1))
    print(f"{'data':10}" + "".join(f"{label(c):>18}" for c in [*fixed, 'auto'])
          + f"{'auto picks':>12}{'default / best':>16}")
    for name in names:
        X, Y = load(name, args.data_dir)
        fit_seconds(X[:200], Y[:200], 1, max_epochs=1)  # warm-up
        USED.clear()
        t = compare(X, Y, [*fixed, "auto"], args.repeats)
        best = min(t[c] for c in fixed)
        print(f"{name:10}" + "".join(f"{t[c]:17.2f}s" for c in [*fixed, "auto"])
              + f"{used('auto'):>12}{t['auto'] / best:16.2f}")


def used(num_threads) -> str:
    return ",".join(str(n) for n in sorted(USED.get(num_threads, ())))


def n_params(n_features, n_labels, hidden=256):
    return n_features * hidden + hidden + hidden * n_labels + n_labels


def busy(seconds: float) -> subprocess.Popen:
    code = f"import time\nend = time.time() + {seconds}\nwhile time.time() < end:\n    pass\n"
    return subprocess.Popen([sys.executable, "-c", code])


def contention(names, args):
    print(f"\n## 2. Under contention: {args.competitors} CPU-bound processes started by the "
          "benchmark")
    print(f"{'data':10}{label(1):>18}{label('auto'):>18}{'auto used':>11}"
          f"{'default / 1 thread':>20}")
    for name in names:
        X, Y = load(name, args.data_dir)
        procs = [busy(args.contention_seconds) for _ in range(args.competitors)]
        try:
            time.sleep(1.0)
            USED.clear()
            t = compare(X, Y, [1, "auto"], args.contention_repeats)
        finally:
            for p in procs:
                p.terminate()
                p.wait()
        print(f"{name:10}{t[1]:17.2f}s{t['auto']:17.2f}s{used('auto'):>11}"
              f"{t['auto'] / t[1]:20.2f}")


def sweep(args):
    print("\n## 3. One epoch (4,096 rows, batch 128) with 1 and 2 threads, by the work of a step")
    print(f"{'features':>9}{'hidden':>8}{'labels':>8}{'work/step':>12}{'1 thread':>10}"
          f"{'2 threads':>11}{'1 / 2':>8}")
    for d, h, c in [(30, 64, 12), (100, 256, 20), (300, 256, 50), (500, 512, 100),
                    (1000, 512, 100), (2000, 512, 160), (2000, 1024, 160)]:
        X, Y = make_long_tail_multilabel(4096, d, c, min_prevalence=0.02, random_state=0)
        X = X.astype(np.float32)
        kw = {"max_epochs": 1, "module__hidden_units": (h,)}
        t = compare(X, Y, [1, 2], args.repeats, **kw)
        work = 128 * n_params(d, c, h)
        print(f"{d:9d}{h:8d}{c:8d}{work:12.2e}{t[1]:9.3f}s{t[2]:10.3f}s{t[1] / t[2]:8.2f}")
    print(f"(the rule: a second thread from {2 * MIN_WORK_PER_THREAD:.0e} multiply-adds per "
          "step)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=["demo", "emotions", "bibtex"])
    parser.add_argument("--data-dir", type=Path, default=DATA)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--contention-repeats", type=int, default=5,
                        help="repeats under contention, where times vary more")
    parser.add_argument("--competitors", type=int, default=2)
    parser.add_argument("--contention-seconds", type=float, default=600)
    parser.add_argument("--parts", nargs="+", default=["quiet", "contention", "sweep"])
    args = parser.parse_args()
    # What a user's process has: torch's default, one thread per usable core (on
    # Linux), not the one-thread limit that _common sets for the other benchmarks.
    torch.set_num_threads(len(os.sched_getaffinity(0)))
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f}")
    if "quiet" in args.parts:
        quiet(args.data, args)
    if "contention" in args.parts:
        contention(args.data, args)
    if "sweep" in args.parts:
        sweep(args)


if __name__ == "__main__":
    main()
