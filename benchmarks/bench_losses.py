"""Compare skimb's losses on yeast, enron and bibtex (MULAN standard splits).

Every loss (with its default hyper-parameters unless a variant says otherwise)
trains the same default classifier (``MultiLabelImbalancedClassifier``
with its default MLP, optimiser, learning rate, batch size and epochs) on 80% of
each standard training split. The other 20% (a random hold-out) is used only
to learn one threshold per label with ``ThresholdOptimizer(cv="prefit",
objective="f1")`` (default guards). The standard test split is scored at the
fixed threshold 0.5 and at the learned thresholds.

Printed per data set and loss (a progress line each, then a Markdown table):
macro-F1 and micro-F1 at 0.5 and with the learned thresholds, and the training
time per epoch (median over epochs) relative to ``bce`` measured in the same run
(the CPU is shared, so treat ratios within about 20% as equal).

Usage (from the repository root)::

    python -m benchmarks.bench_losses                       # all data sets, all losses
    python -m benchmarks.bench_losses --datasets yeast --losses bce focal --seeds 0
    python -m benchmarks.bench_losses --losses "focal:alpha=None,gamma=1.0"

The data sets are read from ``../shared/data`` (override with ``--data``).
"""

from __future__ import annotations

import argparse
import ast
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skimb import MultiLabelImbalancedClassifier, ThresholdOptimizer
from skimb.losses import available_losses

DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
DATASETS = ("yeast", "enron", "bibtex")
DEFAULT_SPECS = (
    "bce", "focal", "asymmetric", "class_balanced", "distribution_balanced",
    "logit_adjusted", "ldam", "f1_weighted", "soft_f1", "zlpr", "two_way",
    # two variants that separate a loss from its default weighting
    "bce:pos_weight=None", "focal:alpha=None",
)


def load(name: str, data_dir: Path):
    """Dense float32 X, uint8 Y and the standard test mask of a MULAN set."""
    z = np.load(data_dir / f"{name}.npz")
    if "X" in z:
        X = z["X"]
    else:
        X = sp.csr_matrix(
            (z["X_data"], z["X_indices"], z["X_indptr"]), shape=tuple(z["X_shape"])
        ).toarray()
    return X.astype(np.float32), z["Y"].astype(np.int64), z["is_test"].astype(bool)


def split(X, Y, test, seed):
    """Standard train/test split; 20% of the training split held out for thresholds.

    Real-valued features (yeast) are standardised with the statistics of the fit
    part; 0/1 bag-of-words features (enron, bibtex) are left as they are.
    """
    X_train, Y_train = X[~test], Y[~test]
    fit, val = train_test_split(np.arange(len(Y_train)), test_size=0.2, random_state=seed)
    X_fit, X_val, X_test = X_train[fit], X_train[val], X[test]
    if not np.isin(X, (0, 1)).all():
        scaler = StandardScaler().fit(X_fit)
        X_fit, X_val, X_test = (scaler.transform(a) for a in (X_fit, X_val, X_test))
    return (X_fit, Y_train[fit]), (X_val, Y_train[val]), (X_test, Y[test])


def scores(Y, pred):
    return (
        f1_score(Y, pred, average="macro", zero_division=0),
        f1_score(Y, pred, average="micro", zero_division=0),
    )


def parse_spec(spec: str) -> tuple[str, dict]:
    """``"focal:alpha=None,gamma=1.0"`` -> ``("focal", {"alpha": None, "gamma": 1.0})``."""
    name, _, params = spec.partition(":")
    if name not in available_losses():
        raise SystemExit(f"unknown loss {name!r}; available: {available_losses()}")
    pairs = (item.split("=", 1) for item in params.split(",") if item)
    return name, {key: ast.literal_eval(value) for key, value in pairs}


def run(spec: str, parts, seed: int, epochs: int) -> dict:
    """Fit one loss on one split; F1 at 0.5 and tuned, and the median epoch time."""
    (X_fit, Y_fit), (X_val, Y_val), (X_test, Y_test) = parts
    name, params = parse_spec(spec)
    clf = MultiLabelImbalancedClassifier(
        criterion=name, max_epochs=epochs, random_state=seed, device="cpu",
        **{f"criterion__{key}": value for key, value in params.items()},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. labels without positives in a part
        clf.fit(X_fit, Y_fit)
        at_half = clf.predict(X_test)
        tuned = ThresholdOptimizer(clf, cv="prefit", objective="f1").fit(X_val, Y_val)
        at_tuned = tuned.predict(X_test)
    # the median epoch is robust to other processes taking the CPU for a while
    return {"f1": (*scores(Y_test, at_half), *scores(Y_test, at_tuned)),
            "epoch_s": float(np.median(clf.history[:, "dur"]))}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--losses", nargs="+", default=list(DEFAULT_SPECS),
                        help="names, or name:param=value,... for criterion__ parameters")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    for spec in args.losses:
        parse_spec(spec)
    torch.set_num_threads(args.threads)

    specs = ["bce"] + [spec for spec in args.losses if spec != "bce"]
    results = {}  # (data, spec) -> list over seeds
    total = time.perf_counter()
    for data in args.datasets:
        X, Y, test = load(data, args.data)
        for seed in args.seeds:
            parts = split(X, Y, test, seed)
            for spec in specs:
                r = run(spec, parts, seed, args.epochs)
                results.setdefault((data, spec), []).append(r)
                print(f"{data:7s} seed={seed} {spec:28s} macro {r['f1'][0]:.3f}/{r['f1'][2]:.3f} "
                      f"micro {r['f1'][1]:.3f}/{r['f1'][3]:.3f} {r['epoch_s']:.3f}s/epoch",
                      flush=True)

    def cell(values):
        return f"{np.mean(values):.3f} ± {np.std(values):.3f}" if len(values) > 1 else (
            f"{values[0]:.3f}")

    print()
    print("| data | loss | macro-F1 @0.5 | macro-F1 tuned | micro-F1 @0.5 | micro-F1 tuned "
          "| time/epoch vs bce |")
    print("|---|---|---|---|---|---|---|")
    for (data, spec), runs in results.items():
        f1 = np.array([r["f1"] for r in runs])
        ratio = [r["epoch_s"] / b["epoch_s"] for r, b in zip(runs, results[data, "bce"])]
        print(f"| {data} | {spec} | {cell(f1[:, 0])} | {cell(f1[:, 2])} | {cell(f1[:, 1])} | "
              f"{cell(f1[:, 3])} | {np.median(ratio):.2f} |")
    print(f"\nmean ± std over seeds {args.seeds}; time ratio: median over seeds. "
          f"total {time.perf_counter() - total:.0f} s, epochs={args.epochs}, "
          f"threads={args.threads}, tuned thresholds: ThresholdOptimizer(cv='prefit')")


if __name__ == "__main__":
    main()
