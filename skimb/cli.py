"""Command line: ``python -m skimb {demo,fit,predict,report} ...`` (also ``skimb``).

Argument parsing and the commands; reading data files is :mod:`skimb.io`.
A user's mistake (a missing file, an unknown label column, labels that are not
0/1, a file that is not a skimb model) prints one line, ``skimb: error: ...``,
and exits with status 1; never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Sequence

import numpy as np

from .io import DataError, Dataset, load_data

__all__ = ["main"]

#: The key that marks a joblib file written by ``skimb fit``.
MODEL_KEY = "skimb_model"


class ModelFileError(ValueError):
    """A model file that ``skimb predict`` / ``skimb report`` cannot use."""


def demo(n_samples: int = 6000, random_state: int = 0, out=sys.stdout) -> dict:
    """Run the mission's pipeline on built-in long-tail data and print what it changed.

    ``StandardScaler -> ThresholdOptimizer(MultiLabelImbalancedClassifier())``:
    the classifier trains with ``pos_weight="auto"``, the optimizer learns one
    threshold per label on 3-fold out-of-fold scores, and the report compares
    each label's F1 on the held-out half at 0.5 and at its learned threshold.

    Returns the macro- and micro-F1 on the held-out half, at 0.5 and tuned.
    """
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from .classifier import MultiLabelImbalancedClassifier
    from .datasets import make_long_tail_multilabel
    from .diagnostics import label_report
    from .thresholds import ThresholdOptimizer

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
        StandardScaler(),
        ThresholdOptimizer(
            MultiLabelImbalancedClassifier(random_state=random_state),
            objective="f1", cv=3, random_state=random_state,
        ),
    ).fit(X_tr, Y_tr)
    opt = model[-1]
    clf = opt.estimator_
    print(f"trained on {clf.device} in {time.perf_counter() - start:.1f}s: "
          "MultiLabelImbalancedClassifier (pos_weight='auto': n_neg / n_pos per label) "
          "inside ThresholdOptimizer (3 out-of-fold fits + refit)\n", file=out)
    P = model.predict_proba(X_te)
    before = label_report(Y_te, P, 0.5)
    after = label_report(Y_te, P, opt.thresholds_)
    print(f"test half ({len(Y_te)} rows), learned thresholds:", file=out)
    print(after, file=out)
    print("\nF1 per label, threshold 0.5 -> learned:", file=out)
    print(f"{'label':>8} {'threshold':>9} {'F1@0.5':>7} {'F1':>6} {'change':>7}  note", file=out)
    for j in range(Y.shape[1]):
        f0, f1 = before.f1[j], after.f1[j]
        note = opt.fallback_labels_.get(j, "")
        note = f"fallback: {note}" if note else ""
        print(f"{'label' + str(j):>8} {opt.thresholds_[j]:>9.3f} {f0:>7.3f} {f1:>6.3f} "
              f"{f1 - f0:>+7.3f}  {note}", file=out)
    scores = {
        "macro_f1_05": before.macro["f1"], "macro_f1": after.macro["f1"],
        "micro_f1_05": before.micro["f1"], "micro_f1": after.micro["f1"],
    }
    print(f"\nmacro-F1 {scores['macro_f1_05']:.3f} -> {scores['macro_f1']:.3f} "
          f"({scores['macro_f1'] - scores['macro_f1_05']:+.3f})   "
          f"micro-F1 {scores['micro_f1_05']:.3f} -> {scores['micro_f1']:.3f} "
          f"({scores['micro_f1'] - scores['micro_f1_05']:+.3f})", file=out)
    return scores


# ----------------------------------------------------------------- model files
def _load_model(path: str) -> dict:
    import joblib

    if not os.path.isfile(path):
        raise ModelFileError(f"{path}: no such model file.")
    try:
        bundle = joblib.load(path)
    except Exception as exc:  # any unpickling failure: the file is not a model
        raise ModelFileError(
            f"{path}: not a skimb model file; it cannot be read by joblib "
            f"({type(exc).__name__}). Make one with `skimb fit DATA --labels ... --out {path}`."
        ) from None
    if not (isinstance(bundle, dict) and MODEL_KEY in bundle):
        raise ModelFileError(
            f"{path}: not a skimb model file; it holds a {type(bundle).__name__}, not the "
            "model that `skimb fit --out` writes."
        )
    return bundle


def _rows(data: Dataset, rows: str, default: str, out) -> Dataset:
    """Select the rows of the file's train/test split (npz files have one)."""
    if rows == "auto":
        rows = default if data.is_test is not None else "all"
    if rows == "all":
        return data
    if data.is_test is None:
        raise DataError(
            f"{os.path.basename(data.path)}: --rows {rows} needs a train/test split "
            "(an is_test array), which only npz files have; use --rows all."
        )
    chosen = data.rows(data.is_test if rows == "test" else ~data.is_test)
    print(
        f"using the {chosen.n_samples} {rows} rows of {os.path.basename(data.path)} "
        f"(its is_test split; --rows all for every row)",
        file=out,
    )
    return chosen


def _read_for_model(bundle, args, *, labels: bool) -> Dataset:
    return load_data(
        args.data,
        bundle["label_names"] if labels else None,
        feature_names=bundle["feature_names"],
        require_labels=labels,
    )


# -------------------------------------------------------------------- commands
def build_model(loss: str = "bce", objective: str = "f1", cv: int = 5, *,
                epochs: int = 20, sparse: bool = False, seed: int = 0, verbose: int = 0):
    """The pipeline ``skimb fit`` trains: a scaler, then a ThresholdOptimizer around
    the classifier (per-label thresholds learned out-of-fold).

    The same pipeline in Python gives the same model for the same data and seed.
    """
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from .classifier import MultiLabelImbalancedClassifier
    from .thresholds import ThresholdOptimizer

    classifier = MultiLabelImbalancedClassifier(
        criterion=loss, max_epochs=epochs, random_state=seed, verbose=max(verbose - 1, 0)
    )
    return make_pipeline(
        StandardScaler(with_mean=not sparse),
        ThresholdOptimizer(classifier, objective=objective, cv=cv, random_state=seed,
                           verbose=verbose),
    )


def _fit(args, out) -> None:
    import joblib

    from . import __version__
    from .diagnostics import label_report
    from .losses import get_loss

    get_loss(args.loss)  # an unknown name fails now, listing the known ones
    if args.cv < 2:
        raise DataError(f"--cv {args.cv}: give at least 2 folds.")
    data = load_data(args.data, args.labels)
    print(f"read {os.path.basename(data.path)}: {data.n_samples} rows, "
          f"{data.X.shape[1]} features, {len(data.label_names)} labels", file=out)
    data = _rows(data, args.rows, "train", out)
    import scipy.sparse as sp

    model = build_model(args.loss, args.objective, args.cv, epochs=args.epochs,
                        sparse=sp.issparse(data.X), seed=args.seed, verbose=args.verbose)
    print(f"training: scaler -> ThresholdOptimizer(objective={args.objective!r}, "
          f"cv={args.cv}) around MultiLabelImbalancedClassifier(criterion={args.loss!r}, "
          f"max_epochs={args.epochs}, pos_weight='auto'), seed {args.seed}", file=out)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(data.X, data.Y)
    for w in caught:
        print(f"skimb: warning: {' '.join(str(w.message).split())}", file=sys.stderr)
    optimizer = model[-1]
    print(f"trained in {time.perf_counter() - start:.1f}s\n", file=out)
    scores = optimizer.oof_scores_
    missing = np.isnan(scores)
    if missing.any():
        cols = [data.label_names[j] for j in np.flatnonzero(missing.any(axis=0))]
        print(f"note: labels {cols[:10]} had a single class in the training part of some "
              "folds; their held-out scores there count as 0 in this report", file=out)
        scores = np.where(missing, 0.0, scores)
    report = label_report(data.Y, scores, optimizer.thresholds_, data.label_names)
    print(f"out-of-fold report ({data.n_samples} rows; each row scored by the fold model "
          f"that did not see it, at the learned thresholds):", file=out)
    print(report, file=out)
    if optimizer.fallback_labels_:
        shown = ", ".join(f"{data.label_names[j]} ({why})"
                          for j, why in list(optimizer.fallback_labels_.items())[:10])
        print(f"fallback threshold ({optimizer.fallback!r}) for: {shown}", file=out)
    if args.out is None:
        print("not saved: add --out model.joblib to keep the model", file=out)
        return
    joblib.dump(
        {
            MODEL_KEY: model,
            "feature_names": data.feature_names,
            "label_names": data.label_names,
            "skimb_version": __version__,
            "trained_on": os.path.basename(data.path),
        },
        args.out,
    )
    print(f"saved {args.out}: skimb predict {args.out} DATA", file=out)


def _predict(args, out) -> None:
    bundle = _load_model(args.model)
    data = _rows(_read_for_model(bundle, args, labels=False), args.rows, "test", sys.stderr)
    model = bundle[MODEL_KEY]
    if args.proba:
        values = model.predict_proba(data.X)
        lines = (",".join(f"{v:.6g}" for v in row) for row in values)
    else:
        values = model.predict(data.X)
        lines = (",".join(str(int(v)) for v in row) for row in values)
    header = ",".join(bundle["label_names"])
    if args.out is None:
        print(header, file=out)
        for line in lines:
            print(line, file=out)
        return
    with open(args.out, "w") as f:
        f.write(header + "\n")
        for line in lines:
            f.write(line + "\n")
    kind = "probabilities" if args.proba else "0/1 predictions"
    print(f"wrote {kind} for {data.n_samples} rows x {values.shape[1]} labels to {args.out}",
          file=out)


def _report(args, out) -> None:
    from .diagnostics import _scores_and_thresholds, label_report

    bundle = _load_model(args.model)
    data = _rows(_read_for_model(bundle, args, labels=True), args.rows, "test", out)
    scores, thresholds = _scores_and_thresholds(bundle[MODEL_KEY], data.X)
    report = label_report(data.Y, scores, thresholds, data.label_names)
    print(f"{data.n_samples} rows of {os.path.basename(data.path)}, the model's thresholds:",
          file=out)
    print(report, file=out)


def _add_rows(parser, default):
    parser.add_argument(
        "--rows",
        choices=("auto", "all", "train", "test"),
        default="auto",
        help=f"rows of an npz file's is_test split (auto: the {default} rows when the file "
        "has a split, else all)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``skimb`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="skimb", description="Imbalanced multi-label classification with PyTorch."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="train on built-in long-tail data and print a report")
    p.add_argument("--n-samples", type=int, default=6000)
    p.add_argument("--seed", type=int, default=0)

    from .objectives import OBJECTIVES

    p = sub.add_parser(
        "fit",
        help="train scaler + ThresholdOptimizer(classifier) on DATA and print the "
        "out-of-fold report",
    )
    p.add_argument("data", help="a CSV, ARFF (dense or sparse) or npz file")
    p.add_argument("--labels", nargs="+", metavar="COL",
                   help="label column names, or one number N for the last N columns "
                   "(npz: optional, default all of Y)")
    p.add_argument("--loss", default="bce", help="loss name (skimb.losses.available_losses)")
    p.add_argument("--objective", default="f1", choices=OBJECTIVES,
                   help="what each label's threshold maximises (default f1)")
    p.add_argument("--cv", type=int, default=5, help="folds for the thresholds (default 5)")
    p.add_argument("--epochs", type=int, default=20, help="training epochs (default 20)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="save the fitted model here (e.g. model.joblib)")
    p.add_argument("-v", "--verbose", action="count", default=1,
                   help="-v: also a progress bar over each fold's epochs")
    p.add_argument("-q", "--quiet", dest="verbose", action="store_const", const=0,
                   help="no progress bars")
    _add_rows(p, "train")

    p = sub.add_parser("predict", help="predict the labels of DATA with a saved model")
    p.add_argument("model", help="a model file written by `skimb fit --out`")
    p.add_argument("data", help="CSV, ARFF or npz file with the model's feature columns")
    p.add_argument("--out", help="write the predictions to this CSV file (default: stdout)")
    p.add_argument("--proba", action="store_true", help="probabilities instead of 0/1")
    _add_rows(p, "test")

    p = sub.add_parser("report", help="per-label report of a saved model on labelled DATA")
    p.add_argument("model", help="a model file written by `skimb fit --out`")
    p.add_argument("data", help="CSV, ARFF or npz file with the features and the labels")
    _add_rows(p, "test")
    return parser


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m skimb`` and of the ``skimb`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    out = sys.stdout
    if args.command == "demo":
        if args.n_samples < 20:
            parser.error("--n-samples must be at least 20")
        np.set_printoptions(precision=3)
        demo(args.n_samples, args.seed)
        return 0
    commands = {"fit": _fit, "predict": _predict, "report": _report}
    try:
        commands[args.command](args, out)
    except (ValueError, OSError) as exc:
        # DataError and ModelFileError (bad files), input validation inside the
        # estimators (ValueError), an --out path that cannot be written (OSError)
        print(f"skimb: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("skimb: interrupted", file=sys.stderr)
        return 130
    return 0
