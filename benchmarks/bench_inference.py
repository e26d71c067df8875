"""Inference speed: skimb's ``predict`` (torch, CPU) against onnxruntime on the
exported model (``skimb.to_onnx``), and the exported file's size.

Two models, each the pipeline ``skimb fit`` trains (a scaler, then
``ThresholdOptimizer(MultiLabelImbalancedClassifier())``, default MLP with one
hidden layer of 256 units):

- ``demo``: the model of ``skimb demo`` (generated long-tail data, 30 features,
  12 labels, trained on 3,000 rows, cv=3, 20 epochs);
- ``bibtex``: bibtex's standard training rows (sparse CSR, 1,836 features, 159
  labels; ``StandardScaler(with_mean=False)``), cv=2 and 5 epochs: the size of
  the model is what inference pays for, not how long it trained.

Both sides run on one thread (``torch.set_num_threads(1)``, onnxruntime's
``intra_op_num_threads=1``) and get the same input: a dense float32 array for
``demo``, a CSR matrix for ``bibtex`` (which onnxruntime's wrapper densifies).
Batch 1: ``predict`` called on single rows (300 calls); batch 1,024: ``predict``
on 1,024 rows (10 calls). Each is timed 3 times in one process, alternating
sides; the table gives the median rows per second. Parity: the largest
difference of the probabilities and the number of 0/1 predictions that differ,
on the held-out rows.

Run from the repository root::

    OMP_NUM_THREADS=1 python benchmarks/bench_inference.py
"""

from __future__ import annotations

import io
import os
import tempfile
import time
import warnings
from statistics import median

import joblib
import numpy as np
import scipy.sparse as sp
import torch
from _common import load  # puts this checkout first on sys.path
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skimb import (
    MultiLabelImbalancedClassifier,
    OnnxModel,
    ThresholdOptimizer,
    make_long_tail_multilabel,
    to_onnx,
)

REPEATS = 3
SINGLE_CALLS = 300
BATCH, BATCH_CALLS = 1024, 10


def demo_model():
    X, Y = make_long_tail_multilabel(6000, 30, 12, min_prevalence=0.005, max_prevalence=0.3,
                                     random_state=0)
    X = X.astype(np.float32)
    X_tr, X_te, Y_tr, _ = train_test_split(X, Y, test_size=0.5, random_state=0)
    model = make_pipeline(StandardScaler(), ThresholdOptimizer(
        MultiLabelImbalancedClassifier(random_state=0), cv=3, random_state=0))
    return model.fit(X_tr, Y_tr), X_te


def bibtex_model():
    X, Y, is_test = load("bibtex")
    X = sp.csr_matrix(X, dtype=np.float32)
    model = make_pipeline(StandardScaler(with_mean=False), ThresholdOptimizer(
        MultiLabelImbalancedClassifier(max_epochs=5, random_state=0), cv=2, random_state=0))
    return model.fit(X[~is_test], Y[~is_test]), X[is_test]


def rows_per_second(predict, X, batch, calls):
    n = X.shape[0]
    start = time.perf_counter()
    for i in range(calls):
        lo = (i * batch) % max(n - batch, 1)
        predict(X[lo:lo + batch])
    return batch * calls / (time.perf_counter() - start)


def main():
    torch.set_num_threads(1)
    print(f"torch threads {torch.get_num_threads()}, OMP_NUM_THREADS="
          f"{os.environ.get('OMP_NUM_THREADS', '(unset)')}, onnxruntime intra_op threads 1\n")
    header = (f"{'model':<7} {'labels':>6} {'batch':>5} {'skimb rows/s':>13} "
              f"{'onnxruntime rows/s':>19} {'ratio':>6}")
    rows, sizes, parity = [], [], []
    for name, build in (("demo", demo_model), ("bibtex", bibtex_model)):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model, X_test = build()
        trained = time.perf_counter() - start
        start = time.perf_counter()
        onx = to_onnx(model, X_test)
        exported = time.perf_counter() - start
        onnx_model = OnnxModel(onx, num_threads=1)
        with tempfile.TemporaryDirectory() as tmp:
            joblib.dump(model, os.path.join(tmp, "m.joblib"))
            pickle_bytes = os.path.getsize(os.path.join(tmp, "m.joblib"))
        buffer = io.BytesIO(onx.SerializeToString())
        sizes.append((name, len(buffer.getvalue()), pickle_bytes, trained, exported))
        labels, proba = onnx_model.run(X_test)
        diff = float(np.abs(proba - model.predict_proba(X_test)).max())
        differ = int((labels != model.predict(X_test)).sum())
        parity.append((name, X_test.shape[0], diff, differ, labels.size))
        n_labels = labels.shape[1]
        for batch, calls in ((1, SINGLE_CALLS), (BATCH, BATCH_CALLS)):
            times = {"skimb": [], "onnx": []}
            for _ in range(REPEATS):
                times["skimb"].append(rows_per_second(model.predict, X_test, batch, calls))
                times["onnx"].append(rows_per_second(onnx_model.predict, X_test, batch, calls))
            s, o = median(times["skimb"]), median(times["onnx"])
            rows.append(f"{name:<7} {n_labels:>6} {batch:>5} {s:>13,.0f} {o:>19,.0f} "
                        f"{o / s:>5.1f}x")
    print(header)
    print("\n".join(rows))
    print(f"\n{'model':<7} {'ONNX bytes':>11} {'joblib bytes':>13} {'fit s':>6} {'export s':>9}")
    for name, onnx_bytes, pickle_bytes, trained, exported in sizes:
        print(f"{name:<7} {onnx_bytes:>11,} {pickle_bytes:>13,} {trained:>6.1f} {exported:>9.2f}")
    print(f"\n{'model':<7} {'test rows':>9} {'max |proba diff|':>17} {'0/1 differing':>14}")
    for name, n, diff, differ, total in parity:
        print(f"{name:<7} {n:>9,} {diff:>17.2e} {differ:>7} of {total:,}")


if __name__ == "__main__":
    main()
