"""Command line: ``python -m skimb demo``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

import numpy as np

__all__ = ["main"]


def _f1_table(Y, Y_pred, prevalence, pos_weight, names) -> list[str]:
    from sklearn.metrics import f1_score, precision_recall_fscore_support

    p, r, f, support = precision_recall_fscore_support(Y, Y_pred, zero_division=0)
    lines = [f"{'label':>8} {'prevalence':>10} {'pos_weight':>10} {'support':>8} "
             f"{'precision':>9} {'recall':>7} {'F1':>6}"]
    for j, name in enumerate(names):
        lines.append(
            f"{name:>8} {prevalence[j]:>10.4f} {pos_weight[j]:>10.1f} {support[j]:>8d} "
            f"{p[j]:>9.3f} {r[j]:>7.3f} {f[j]:>6.3f}"
        )
    macro = f1_score(Y, Y_pred, average="macro", zero_division=0)
    micro = f1_score(Y, Y_pred, average="micro", zero_division=0)
    lines.append(f"macro-F1 {macro:.3f}   micro-F1 {micro:.3f}")
    return lines


def demo(n_samples: int = 6000, random_state: int = 0, out=sys.stdout) -> dict:
    """Train the default classifier on built-in long-tail data and print a report.

    Returns the macro- and micro-F1 on the held-out half.
    """
    from sklearn.metrics import f1_score
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from .classifier import MultiLabelImbalancedClassifier
    from .datasets import make_long_tail_multilabel

    X, Y = make_long_tail_multilabel(
        n_samples, 30, 12, min_prevalence=0.005, max_prevalence=0.3, random_state=random_state
    )
    X_tr, X_te, Y_tr, Y_te = train_test_split(X, Y, test_size=0.5, random_state=random_state)
    print(
        f"skimb demo: {n_samples} generated rows (half for training), 30 features, 12 labels "
        f"with prevalence from 30% down to 0.5%", file=out,
    )
    start = time.perf_counter()
    model = make_pipeline(
        StandardScaler(), MultiLabelImbalancedClassifier(random_state=random_state)
    ).fit(X_tr, Y_tr)
    clf = model[-1]
    print(f"trained MultiLabelImbalancedClassifier on {clf.device} in "
          f"{time.perf_counter() - start:.1f}s (pos_weight='auto': n_neg / n_pos per label)\n",
          file=out)
    Y_pred = model.predict(X_te)
    print("test half, threshold 0.5:", file=out)
    names = [f"label{j}" for j in range(Y.shape[1])]
    for line in _f1_table(Y_te, Y_pred, Y_tr.mean(0), clf.pos_weight_, names):
        print(line, file=out)
    return {
        "macro_f1": f1_score(Y_te, Y_pred, average="macro", zero_division=0),
        "micro_f1": f1_score(Y_te, Y_pred, average="micro", zero_division=0),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m skimb`` and of the ``skimb`` command."""
    parser = argparse.ArgumentParser(
        prog="skimb", description="Imbalanced multi-label classification with PyTorch."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_demo = sub.add_parser("demo", help="train on built-in long-tail data and print a report")
    p_demo.add_argument("--n-samples", type=int, default=6000)
    p_demo.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "demo":
        if args.n_samples < 20:
            parser.error("--n-samples must be at least 20")
        np.set_printoptions(precision=3)
        demo(args.n_samples, args.seed)
    return 0
