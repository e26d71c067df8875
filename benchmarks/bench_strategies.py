"""Threshold strategies side by side on the same out-of-fold scores and the same refit.

For each data set, model and seed, ``ThresholdOptimizer(model, random_state=seed)``
fits its five fold models and the refit once; every strategy below is then a
``ThresholdOptimizer(model, random_state=seed, **strategy).fit`` whose fold
fitting is replayed from that first fit (``skimb._oof_scores.fit_folds``
returns the recorded fold scores and refitted model; the splits, the guards
and the search run as in any fit). So the strategies differ only in how the
thresholds are chosen:

* ``per_label``: the default (each label's best F1, rare-label guards and the
  flood check);
* ``micro``: per-label thresholds for micro-F1 by coordinate ascent;
* ``micromacro``: Lin & Lin's (CIKM 2023) rule (LibMultiLabel's ``train_thresholding``),
  labels in decreasing frequency, each maximising micro-F1 so far plus its own
  F1 over the labels done; searched on the pooled out-of-fold scores, with the
  ``few_positives`` and ``constant_scores`` guards;
* ``micromacro mean``: the same with ``cv_aggregate="mean"``, LibMultiLabel's
  fold rule (each fold's own cut, the fold thresholds averaged);
* ``... no guards``: ``fallback=None`` (every label tuned, as LibMultiLabel does).

Models: ``mlp`` is skimb's main job (``MultiLabelImbalancedClassifier(random_state=seed)``
after ``StandardScaler``, ``MaxAbsScaler`` for sparse data, as in
``bench_main_job.py``); ``logreg`` is ``OneVsRestClassifier(LogisticRegression(max_iter=2000))``
on the same scaled features (probabilities); ``linearsvc`` is
``OneVsRestClassifier(LinearSVC(random_state=seed))`` (decision values, as LibMultiLabel
thresholds them). Standard MULAN split; test macro-F1, micro-F1 and their mean,
averaged over the seeds; the deltas are paired (same seed) against ``per_label``,
with the standard error of their mean over the seeds.

BLAS runs on one thread (``_common.py``) and torch too. Run from the repository root::

    OMP_NUM_THREADS=1 python benchmarks/bench_strategies.py
    OMP_NUM_THREADS=1 python benchmarks/bench_strategies.py --models linearsvc --seeds 0
    python benchmarks/bench_strategies.py --data-dir /path/to/npz/folder   # every .npz there
    python benchmarks/bench_strategies.py --data-dir /path/to/npz/folder --data name
    python benchmarks/bench_strategies.py --models mlp --json mlp.json  # in parallel
    python benchmarks/bench_strategies.py --models logreg linearsvc --json linear.json
    python benchmarks/bench_strategies.py --report mlp.json linear.json
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from _common import DATA, data_names, load  # puts this checkout first on sys.path
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import MaxAbsScaler, StandardScaler
from sklearn.svm import LinearSVC

from skimb import ThresholdOptimizer

DATASETS = ["emotions", "yeast", "scene", "enron", "bibtex"]
STRATEGIES = {
    "per_label (default)": {},
    "micro": {"strategy": "micro"},
    "micromacro": {"strategy": "micromacro"},
    "micromacro mean": {"strategy": "micromacro", "cv_aggregate": "mean"},
    "micromacro no guards": {"strategy": "micromacro", "fallback": None},
    "micromacro mean no guards": {
        "strategy": "micromacro", "cv_aggregate": "mean", "fallback": None,
    },
}


def model(name, seed):
    if name == "mlp":
        from skimb import MultiLabelImbalancedClassifier

        return MultiLabelImbalancedClassifier(random_state=seed)
    if name == "logreg":
        return OneVsRestClassifier(LogisticRegression(max_iter=2000))
    if name == "linearsvc":
        return OneVsRestClassifier(LinearSVC(random_state=seed))
    raise SystemExit(f"unknown model {name!r}: mlp, logreg or linearsvc")


@contextmanager
def replay_folds():
    """Within the block, every ThresholdOptimizer fit reuses the first one's fold fits."""
    import skimb._oof_scores

    recorded = {}
    original = skimb._oof_scores.fit_folds

    def fit_folds(opt, *args, **kwargs):
        if "result" not in recorded:
            recorded["result"] = original(opt, *args, **kwargs)
        return recorded["result"]

    skimb._oof_scores.fit_folds = fit_folds
    try:
        yield
    finally:
        skimb._oof_scores.fit_folds = original


def scaled(name, data_dir):
    X, Y, test = load(name, data_dir)
    scaler = MaxAbsScaler() if sp.issparse(X) else StandardScaler()
    X_train = scaler.fit_transform(X[~test]).astype(np.float32)
    return X_train, Y[~test], scaler.transform(X[test]).astype(np.float32), Y[test]


def run(X, Y, X_test, Y_test, model_name, seed):
    """{strategy: (macro, micro)} on the test rows, and the fold-fitting seconds."""
    out = {}
    with replay_folds():
        start = time.perf_counter()
        for label, params in STRATEGIES.items():
            fitted = ThresholdOptimizer(model(model_name, seed), random_state=seed,
                                        **params).fit(X, Y)
            if not out:
                seconds = time.perf_counter() - start
            pred = fitted.predict(X_test)
            out[label] = (f1_score(Y_test, pred, average="macro", zero_division=0),
                          f1_score(Y_test, pred, average="micro", zero_division=0))
    return out, seconds


def paired(d):
    """Mean of paired differences +- its standard error."""
    se = d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else np.nan
    return f"{d.mean():+.4f} +- {se:.4f}"


def report(results):
    """One line per data set and model: the micromacro variants against per_label."""
    runs = {}
    for r in results:
        runs.setdefault((r["data"], r["model"]), {})[r["strategy"]] = np.array(
            [r["macro"], r["micro"]]
        )
    variants = ["micromacro", "micromacro mean"]
    print("\nPaired differences against per_label (mean +- standard error over the seeds); "
          "macro / micro of per_label for reference:")
    print("| data | model | per_label macro / micro | "
          + " | ".join(f"{v}: d macro | d micro | d mean" for v in variants) + " |")
    print("|---|---|---|" + "---:|---:|---:|" * len(variants))
    for (name, model_name), v in runs.items():
        base = v["per_label (default)"]
        cells = []
        for label in variants:
            d = v[label] - base
            cells += [paired(d[0]), paired(d[1]), paired(d.mean(axis=0))]
        print(f"| {name} | {model_name} | {base[0].mean():.4f} / {base[1].mean():.4f} | "
              + " | ".join(cells) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=None,
                        help="data set names (default: every .npz of --data-dir, "
                             "or the dev sets)")
    parser.add_argument("--data-dir", type=Path, default=DATA)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--models", nargs="+", default=["mlp", "logreg", "linearsvc"])
    parser.add_argument("--json", type=Path, help="also write the per-seed scores there")
    parser.add_argument("--report", nargs="+", type=Path, metavar="JSON",
                        help="only print the summary of files written by --json")
    args = parser.parse_args()
    args.data = data_names(args.data, args.data_dir, DATASETS)
    if args.report:
        report([r for path in args.report for r in json.loads(path.read_text())])
        return
    if "mlp" in args.models:
        import torch

        torch.set_num_threads(1)
    warnings.filterwarnings("ignore")  # convergence and single-class-fold warnings
    print(f"seeds {args.seeds}; test macro-F1, micro-F1, mean = (macro + micro) / 2, "
          "averaged over seeds; deltas paired against per_label")
    summary, results = [], []
    for name in args.data:
        X, Y, X_test, Y_test = scaled(name, args.data_dir)
        for model_name in args.models:
            runs, fit_s = [], []
            for seed in args.seeds:
                result, seconds = run(X, Y, X_test, Y_test, model_name, seed)
                runs.append(result)
                fit_s.append(seconds)
            print(f"\n## {name}, {model_name} ({X.shape[0]} train / {X_test.shape[0]} test "
                  f"rows, {Y.shape[1]} labels; fold fits + refit {np.mean(fit_s):.1f} s per seed)")
            print(f"| {'strategy':26} | macro-F1 | micro-F1 |  mean  | d macro +- se     "
                  "| d mean +- se      |")
            print(f"|{'-' * 28}|---------:|---------:|-------:|------------------:"
                  "|------------------:|")
            base = np.array([r["per_label (default)"] for r in runs])  # (seeds, 2)
            best = ("per_label (default)", 0.0)
            for label in STRATEGIES:
                v = np.array([r[label] for r in runs])
                d_macro = v[:, 0] - base[:, 0]
                d_mean = v.mean(axis=1) - base.mean(axis=1)
                print(f"| {label:26} | {v[:, 0].mean():8.4f} | {v[:, 1].mean():8.4f} | "
                      f"{v.mean():.4f} | {paired(d_macro)} | {paired(d_mean)} |")
                if d_macro.mean() >= 0 and d_mean.mean() > best[1]:
                    best = (label, d_mean.mean())
                results.append({"data": name, "model": model_name, "strategy": label,
                                "seeds": args.seeds, "macro": v[:, 0].tolist(),
                                "micro": v[:, 1].tolist()})
            summary.append((name, model_name, *best))
    print("\nBest (macro + micro) / 2 without a lower mean macro-F1 than per_label:")
    print("| data | model | strategy | d mean |\n|---|---|---|---:|")
    for name, model_name, label, d_mean in summary:
        print(f"| {name} | {model_name} | {label} | {d_mean:+.4f} |")
    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
