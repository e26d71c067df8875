"""Torch threads inside Dask workers: what they see, and what oversubscription costs.

Starts a ``distributed.LocalCluster`` of 2 worker processes with one thread each
(loopback only), reports what each worker sees (``torch.get_num_threads()``,
``OMP_NUM_THREADS``, the count ``num_threads="auto"`` would pick for a step of
1e12 multiply-adds, i.e. its cap), then times
``ThresholdOptimizer(MultiLabelImbalancedClassifier(...), cv=4, n_jobs=4)``
(4 folds; a callback makes the classifier fit the folds one by one, so they go
to the workers) on generated data, three ways:

1. in this process, sequentially (``num_threads="auto"``),
2. on the cluster with the default ``num_threads="auto"``,
3. on the cluster with ``num_threads=2`` forced, i.e. 2 torch threads in each
   of the 2 workers on a 2-core machine: oversubscribed.

For the cluster runs, "worker CPU / wall" is the CPU time the workers spent
(summed over both, from ``resource.getrusage``) per second of wall time: at
most the number of cores when the threads do not oversubscribe. The thresholds
of every run are compared with the sequential run's.

    python benchmarks/bench_dask.py
"""

import os
import resource
import time

import joblib
import numpy as np
from _common import Timer
from skorch.callbacks import Callback

from skimb import MultiLabelImbalancedClassifier, ThresholdOptimizer, make_long_tail_multilabel


class Epochs(Callback):
    """Any callback makes the classifier train the folds one by one."""


def seen_by_worker():
    import torch

    from skimb._threads import auto_num_threads

    return (torch.get_num_threads(), os.environ.get("OMP_NUM_THREADS"),
            auto_num_threads(1e12))


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main():
    from distributed import Client, LocalCluster

    X, Y = make_long_tail_multilabel(6000, 100, 20, min_prevalence=0.01, random_state=0)
    X = X.astype(np.float32)

    def model(num_threads):
        clf = MultiLabelImbalancedClassifier(
            module__hidden_units=(512,), max_epochs=4, batch_size=256, random_state=0,
            num_threads=num_threads, callbacks=[Epochs()],
        )
        return ThresholdOptimizer(clf, cv=4, random_state=0, n_jobs=4)

    import torch

    print(f"this process: torch.get_num_threads() = {torch.get_num_threads()}, "
          f"OMP_NUM_THREADS = {os.environ.get('OMP_NUM_THREADS')}, cores = {os.cpu_count()}")
    with Timer() as t:
        reference = model("auto").set_params(n_jobs=None).fit(X, Y).thresholds_
    rows = [("in this process, sequential, auto", t.seconds, None, True)]
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        for address, seen in sorted(client.run(seen_by_worker).items()):
            print(f"worker {address}: torch.get_num_threads() = {seen[0]}, "
                  f"OMP_NUM_THREADS = {seen[1]}, num_threads='auto' caps at {seen[2]}")
        client.run(lambda: __import__("skimb.classifier"))  # imports out of the timings
        for label, num_threads in (("dask, 2 workers x 1 thread, auto", "auto"),
                                   ("dask, 2 workers, num_threads=2", 2)):
            before = sum(client.run(cpu_seconds).values())
            with Timer() as t, joblib.parallel_config(backend="dask"):
                thresholds = model(num_threads).fit(X, Y).thresholds_
            used = sum(client.run(cpu_seconds).values()) - before
            rows.append((label, t.seconds, used / t.seconds,
                         np.array_equal(thresholds, reference)))
    print(f"\n{'run':<36} {'wall (s)':>9} {'worker CPU / wall':>18} {'same thresholds':>16}")
    for label, seconds, ratio, same in rows:
        ratio = "" if ratio is None else f"{ratio:.2f}"
        print(f"{label:<36} {seconds:9.1f} {ratio:>18} {same!s:>16}")
    print(f"load average after the runs: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    start = time.time()
    main()
    print(f"run time {time.time() - start:.0f} s")
