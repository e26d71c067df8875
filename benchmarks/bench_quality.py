"""Test-set quality of the main job against what a user would pick instead.

On each data set's standard MULAN train/test split, for each seed, every
method is fitted on the scaled training rows and scored on the test rows:

* ``skimb``: the main job with today's defaults,
  ``ThresholdOptimizer(MultiLabelImbalancedClassifier(random_state=s), random_state=s)``;
* ``skimb-0.1``: the same with the defaults of skimb 0.1 spelled out
  (``max_epochs=20``, ``refit=True``, ``strategy="per_label"``), the "before";
* ``linear``: ``ThresholdOptimizer(OneVsRestClassifier(LogisticRegression(max_iter=2000)),
  random_state=s)``, the tuned linear model;
* ``linear-ensemble``: the same with ``refit="ensemble"`` (the mean of the fold
  models, no refit), not run by default;
* ``libmultilabel-rule``: LibMultiLabel's linear thresholding re-implemented
  (the library's own ``train_thresholding`` does not run with current SciPy):
  ``ThresholdOptimizer(OneVsRestClassifier(LinearSVC()), strategy="micromacro",
  cv_aggregate="mean", fallback=None, cv=3, random_state=s)``;
* ``tuned-cv``: scikit-learn's own per-label threshold tuning,
  ``MultiOutputClassifier(TunedThresholdClassifierCV(LogisticRegression(max_iter=2000),
  scoring="f1"))``, 5 unshuffled stratified folds per label: it does not depend
  on the seed and runs once; it fails where a label has too few positives for
  its folds (reported as such);
* ``plain``: ``MultiLabelImbalancedClassifier(random_state=s)`` at its 0.5 cut;
* ``--variant NAME:PARAMS`` adds the main job with other parameters, e.g.
  ``--variant "e60:clf__max_epochs=60,to__refit='ensemble'"`` (``clf__`` for the
  classifier, ``to__`` for the ThresholdOptimizer).

Dense data are scaled with ``StandardScaler``, sparse data with
``MaxAbsScaler`` (which keeps them sparse), the same for every method.
Printed: one table of mean test macro-F1, micro-F1 and fit seconds over the
seeds, per data set and method (``zero_division=0``). Each result is also
appended to ``--out`` (JSON lines), and ``--table-only`` prints the table of
a file without fitting anything.

Run from the repository root (one torch thread and one BLAS thread)::

    python benchmarks/bench_quality.py
    python benchmarks/bench_quality.py --data emotions yeast --seeds 0 1 2
    python benchmarks/bench_quality.py --data-dir /path/to/npz/folder   # every .npz there
    python benchmarks/bench_quality.py --data-dir /path/to/npz/folder --data name
    python benchmarks/bench_quality.py --methods skimb --variant "e60:clf__max_epochs=60"
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import time
import traceback
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch
from _common import DATA, data_names  # puts this checkout first on sys.path
from _common import load as load_npz
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import TunedThresholdClassifierCV
from sklearn.multiclass import OneVsRestClassifier
from sklearn.multioutput import MultiOutputClassifier
from sklearn.preprocessing import MaxAbsScaler, StandardScaler
from sklearn.svm import LinearSVC

from skimb import MultiLabelImbalancedClassifier, ThresholdOptimizer

SETS = ["emotions", "yeast", "scene", "enron", "bibtex"]
SEED_FREE = {"tuned-cv"}  # the same result for every seed: fitted for the first one only
METHODS = ["skimb", "skimb-0.1", "linear", "libmultilabel-rule", "tuned-cv", "plain"]
OLD_DEFAULTS = {"clf__max_epochs": 20, "clf__max_pos_weight": 100.0, "to__refit": True,
                "to__strategy": "per_label"}


def load(name: str, data_dir):
    """Scaled training and test parts of a data set (float32 ndarray or CSR, int Y)."""
    X, Y, test = load_npz(name, data_dir)
    scaler = MaxAbsScaler() if sp.issparse(X) else StandardScaler()
    X_train = scaler.fit_transform(X[~test]).astype(np.float32)
    X_test = scaler.transform(X[test]).astype(np.float32)
    return X_train, Y[~test], X_test, Y[test]


def main_job(seed: int, params: dict):
    """The main job (after scaling) with ``clf__``/``to__`` parameters set."""
    clf = {k[5:]: v for k, v in params.items() if k.startswith("clf__")}
    to = {k[4:]: v for k, v in params.items() if k.startswith("to__")}
    unknown = set(params) - {f"clf__{k}" for k in clf} - {f"to__{k}" for k in to}
    if unknown:
        raise SystemExit(f"variant parameters must start with clf__ or to__: {sorted(unknown)}")
    return ThresholdOptimizer(
        MultiLabelImbalancedClassifier(random_state=seed, **clf), random_state=seed, **to)


def build(method: str, seed: int, variants: dict):
    if method == "skimb":
        return main_job(seed, {})
    if method == "skimb-0.1":
        return main_job(seed, OLD_DEFAULTS)
    if method == "linear":
        return ThresholdOptimizer(OneVsRestClassifier(LogisticRegression(max_iter=2000)),
                                  random_state=seed)
    if method == "linear-ensemble":
        return ThresholdOptimizer(OneVsRestClassifier(LogisticRegression(max_iter=2000)),
                                  refit="ensemble", random_state=seed)
    if method == "libmultilabel-rule":
        return ThresholdOptimizer(OneVsRestClassifier(LinearSVC()), strategy="micromacro",
                                  cv_aggregate="mean", fallback=None, cv=3, random_state=seed)
    if method == "tuned-cv":
        return MultiOutputClassifier(TunedThresholdClassifierCV(
            LogisticRegression(max_iter=2000), scoring="f1"))
    if method == "plain":
        return MultiLabelImbalancedClassifier(random_state=seed)
    return main_job(seed, variants[method])


def parse_variant(text: str):
    name, _, spec = text.partition(":")
    params = {}
    # split at the commas that start a new name=, not those inside a value like (64,)
    for item in filter(None, re.split(r",\s*(?=[A-Za-z_]\w*\s*=)", spec)):
        key, _, value = item.partition("=")
        try:
            params[key.strip()] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            params[key.strip()] = value.strip()
    return name.strip(), params


def evaluate(method, seed, data, variants):
    X, Y, X_test, Y_test = data
    model = build(method, seed, variants)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, Y)
        seconds = time.perf_counter() - start
        pred = np.asarray(model.predict(X_test))
    return {
        "macro_f1": f1_score(Y_test, pred, average="macro", zero_division=0),
        "micro_f1": f1_score(Y_test, pred, average="micro", zero_division=0),
        "fit_s": seconds,
    }


def table(rows):
    import pandas as pd

    frame = pd.DataFrame(rows)
    ok = frame[frame["error"].isna()] if "error" in frame else frame
    mean = ok.groupby(["data", "method"], sort=False)[["macro_f1", "micro_f1", "fit_s"]].mean()
    mean["seeds"] = ok.groupby(["data", "method"], sort=False).size()
    if "error" in frame:
        failed = frame[frame["error"].notna()].groupby(["data", "method"], sort=False).size()
        mean["failed"] = failed.reindex(mean.index).fillna(0).astype(int)
        for (data, method), count in failed.items():
            if (data, method) not in mean.index:
                mean.loc[(data, method), ["seeds", "failed"]] = [0, count]
    return mean.round({"macro_f1": 3, "micro_f1": 3, "fit_s": 1})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=None,
                        help="data set names (default: every .npz of --data-dir, "
                             "or the dev sets)")
    parser.add_argument("--data-dir", type=Path, default=DATA)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--methods", nargs="*", default=METHODS)
    parser.add_argument("--variant", action="append", default=[],
                        help="NAME:clf__param=value,to__param=value (repeatable)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (0: torch's default)")
    parser.add_argument("--out", type=Path, default=Path("bench_quality.jsonl"))
    parser.add_argument("--table-only", action="store_true")
    args = parser.parse_args()
    args.data = data_names(args.data, args.data_dir, SETS)
    if args.threads:
        torch.set_num_threads(args.threads)
    variants = dict(parse_variant(v) for v in args.variant)
    methods = args.methods + list(variants)

    rows = []
    if args.table_only:
        rows = [json.loads(line) for line in args.out.read_text().splitlines() if line]
        print(table(rows).to_string())
        return
    print(f"torch threads: {torch.get_num_threads()}; results appended to {args.out}")
    for name in args.data:
        data = load(name, args.data_dir)
        for method in methods:
            for seed in args.seeds[:1] if method in SEED_FREE else args.seeds:
                row = {"data": name, "method": method, "seed": seed,
                       "params": variants.get(method)}
                try:
                    row.update(evaluate(method, seed, data, variants))
                    row["error"] = None
                except Exception as exc:  # a competitor that cannot run on this data
                    row["error"] = f"{type(exc).__name__}: {exc}"[:300]
                    traceback.print_exc(limit=1)
                rows.append(row)
                with open(args.out, "a") as fh:
                    fh.write(json.dumps(row, default=str) + "\n")
                if row["error"]:
                    print(f"{name:10s} {method:12s} seed {seed}: FAILED {row['error'][:120]}",
                          flush=True)
                else:
                    print(f"{name:10s} {method:12s} seed {seed}: macro {row['macro_f1']:.3f} "
                          f"micro {row['micro_f1']:.3f} fit {row['fit_s']:.1f}s", flush=True)
    print()
    print(table(rows).to_string())


if __name__ == "__main__":
    main()
