"""Command line: ``python -m skimb {demo,fit,export,predict,report} ...`` (also ``skimb``).

Argument parsing and the commands; reading data files is :mod:`skimb.io`.
A user's mistake (a missing file, an unknown label column, labels that are not
0/1, a file that is not a skimb model) prints one line, ``skimb: error: ...``,
and exits with status 1; never a traceback. A misused option exits with
status 2 (argparse).

Model files: ``.onnx`` files (``skimb fit --out model.onnx``, ``skimb export``)
are run with onnxruntime, without importing torch, and loading one runs no code
from it. ``skimb fit --out`` writes a joblib pickle for ``.joblib``, ``.pkl``
and ``.pickle`` and refuses other suffixes; loading a pickle runs whatever code
it holds: ``predict``, ``report`` and ``export`` load one only with
``--trust-model``. ``--help`` imports no torch either.
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

#: The loss names ``--loss`` offers, listed without importing torch at ``--help``
#: time; a test checks them against :func:`skimb.losses.available_losses`.
LOSSES = ("asymmetric", "bce", "class_balanced", "distribution_balanced", "f1_weighted",
          "focal", "ldam", "logit_adjusted", "soft_f1", "two_way", "zlpr")

#: The suffixes of the model files ``skimb fit --out`` writes: ONNX, or a joblib pickle.
ONNX_SUFFIXES = (".onnx",)
PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")

#: Exit status after the reader of the output went away (``skimb predict | head``):
#: 128 + SIGPIPE, as for a command the shell sees killed by the broken pipe.
BROKEN_PIPE_EXIT = 141


class ModelFileError(ValueError):
    """A model file that ``skimb predict`` / ``skimb report`` cannot use."""


def demo(n_samples: int = 6000, random_state: int = 0, out=sys.stdout, *,
         threads: int | str = "auto") -> dict:
    """Train skimb's pipeline on built-in long-tail data and print what it changed.

    ``StandardScaler -> ThresholdOptimizer(MultiLabelImbalancedClassifier())``:
    the classifier trains with ``pos_weight="auto"``, the optimizer learns one
    threshold per label on 3-fold out-of-fold scores, and the report compares
    each label's F1 on the held-out half at 0.5 and at its learned threshold.

    ``threads`` is the classifier's ``num_threads``. Returns the macro- and
    micro-F1 on the held-out half, at 0.5 and tuned.
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
            MultiLabelImbalancedClassifier(random_state=random_state, num_threads=threads),
            objective="f1", cv=3, random_state=random_state,
        ),
    ).fit(X_tr, Y_tr)
    opt = model[-1]
    clf = opt.estimator_
    print(f"trained on {clf.device} in {time.perf_counter() - start:.1f}s: "
          "MultiLabelImbalancedClassifier (pos_weight='auto': n_neg / n_pos per label) "
          "inside ThresholdOptimizer (3 out-of-fold fits + refit, trained together)\n",
          file=out)
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
class _Model:
    """A loaded model file: an ONNX model run by onnxruntime, or a trusted joblib bundle."""

    def __init__(self, model, feature_names, label_names, *, onnx: bool):
        self.model = model
        self.feature_names = list(feature_names)
        self.label_names = list(label_names)
        self.onnx = onnx

    def predict(self, X):
        return self._by_blocks(self.model.predict, X)

    def predict_proba(self, X):
        if self.onnx and self.model.score_ != "predict_proba":
            raise ModelFileError("this model thresholds decision values, not probabilities; "
                                 "--proba has none to print.")
        return self._by_blocks(self.model.predict_proba, X)

    def scores_and_thresholds(self, X):
        if self.onnx:
            return self.model.run(X)[1].astype(np.float64), self.model.thresholds_
        from .diagnostics import _scores_and_thresholds

        thresholds = []

        def scores(block):
            values, found = _scores_and_thresholds(self.model, block)
            thresholds[:] = [found]
            return values

        values = self._by_blocks(scores, X)
        return values, thresholds[0]

    def _by_blocks(self, method, X):
        """``method(X)``; a sparse X for a model that centres its features (a scaler
        with ``with_mean=True``: trained on dense data) goes in dense blocks of rows.

        Centring makes every value non-zero, so the dense rows are the data the
        model was trained on; blocks bound the memory to ``BLOCK_ROWS`` rows.
        """
        import scipy.sparse as sp

        if not (sp.issparse(X) and not self.onnx and _centres(self.model)):
            return method(X)
        if X.shape[0] == 0:
            return method(X.toarray())
        return np.concatenate([method(X[start:start + BLOCK_ROWS].toarray())
                               for start in range(0, X.shape[0], BLOCK_ROWS)])


#: Rows densified at a time for a model trained on dense data (see _Model._by_blocks).
BLOCK_ROWS = 4096


def _centres(model) -> bool:
    """Whether a step of ``model`` centres its input (and so refuses sparse X)."""
    steps = [step for _, step in model.steps] if hasattr(model, "steps") else [model]
    return any(getattr(step, "with_mean", False) is True for step in steps)


def _untrusted(path: str) -> ModelFileError:
    return ModelFileError(
        f"{path} is a pickle (joblib) model file, and loading a pickle runs any code it "
        "holds, so skimb loads one only with --trust-model: add it for files you made or "
        "trust. To deploy without pickle, export once: skimb export "
        f"{path} model.onnx --trust-model, then use model.onnx (loading ONNX runs no code)."
    )


#: How pickles (joblib's plain and compressed files) begin: protocol 2+ pickles,
#: zlib, gzip, bz2, xz, lzma, lz4.
_PICKLE_STARTS = (b"\x80", b"\x78\x01", b"\x78\x5e", b"\x78\x9c", b"\x78\xda", b"\x1f\x8b",
                  b"BZh", b"\xfd7zXZ", b"\x5d\x00\x00", b"\x04\x22\x4d\x18", b"ZF")


def _looks_like_pickle(path: str) -> bool:
    with open(path, "rb") as f:
        start = f.read(8)
    return start.startswith(_PICKLE_STARTS)


def _load_onnx(path: str) -> _Model:
    from ._onnx._runtime import OnnxModel

    model = OnnxModel(path)
    return _Model(model, model.feature_names_, model.label_names_, onnx=True)


def _load_model(path: str, trust: bool = False) -> _Model:
    """An ``.onnx`` file, or a joblib pickle (only with ``trust``); never unpickles
    without it: a file that is neither is opened by onnxruntime only."""
    if os.path.isdir(path):
        raise ModelFileError(f"{path}: is a folder, not a model file; give the file that "
                             "`skimb fit --out` wrote, e.g. model.onnx.")
    if not os.path.isfile(path):
        raise ModelFileError(f"{path}: no such model file.")
    if path.lower().endswith(".onnx"):
        return _load_onnx(path)
    if not _looks_like_pickle(path) and not trust:
        try:
            return _load_onnx(path)
        except (ValueError, ImportError):
            raise ModelFileError(
                f"{path}: not a skimb model file (neither ONNX nor a joblib pickle). Make "
                f"one with `skimb fit DATA --labels ... --out model.onnx`."
            ) from None
    if not trust:
        raise _untrusted(path)
    import joblib

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
    _check_bundle(path, bundle)
    return _Model(bundle[MODEL_KEY], bundle["feature_names"], bundle["label_names"],
                  onnx=False)


def _check_bundle(path: str, bundle: dict) -> None:
    """A joblib dict with ``MODEL_KEY`` must also hold a fitted model and the names."""
    refit = f"Make it again with `skimb fit DATA --labels ... --out {path}`."
    missing = [k for k in ("feature_names", "label_names") if k not in bundle]
    if missing:
        raise ModelFileError(f"{path}: not a complete skimb model file; it lacks {missing}. "
                             + refit)
    model = bundle[MODEL_KEY]
    lacks = [m for m in ("predict", "predict_proba") if not callable(getattr(model, m, None))]
    if lacks:
        raise ModelFileError(f"{path}: its {MODEL_KEY!r} entry is a {type(model).__name__}, "
                             f"not a fitted model (it has no {' or '.join(lacks)}). " + refit)
    for key in ("feature_names", "label_names"):
        names = bundle[key]
        if isinstance(names, (str, bytes)) or not hasattr(names, "__iter__"):
            raise ModelFileError(f"{path}: its {key!r} entry is a {type(names).__name__}, "
                                 "not a list of column names. " + refit)


def _check_onnx_installed(what: str) -> None:
    """Fail before any training when the ONNX export cannot run."""
    import importlib.util

    missing = [m for m in ("onnx", "skl2onnx", "onnxruntime")
               if importlib.util.find_spec(m) is None]
    if missing:
        raise ModelFileError(
            f"{what} needs {', '.join(missing)}: pip install 'skimb[onnx]'."
        )


def _check_out_path(path: str, option: str = "--out") -> None:
    """Fail before any work when ``path`` cannot be written: its folder is missing or
    not writable, or the path is a folder."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise ModelFileError(f"{option} {path}: is a folder; give a file name inside it, "
                             f"e.g. {os.path.join(path, 'model.onnx')}.")
    if not os.path.isdir(folder):
        raise ModelFileError(f"{option} {path}: the folder {folder} does not exist; create it "
                             f"first (mkdir -p {folder}) or write elsewhere.")
    if not os.access(folder, os.W_OK):
        raise ModelFileError(f"{option} {path}: the folder {folder} is not writable; write "
                             "somewhere you may, or change its permissions.")


def _check_suffix(path: str, option: str, suffixes: tuple[str, ...]) -> None:
    """Fail before any work when the suffix of the model file to write is not one
    that says its format (``suffixes``, of ONNX and joblib pickles)."""
    if path.lower().endswith(suffixes):
        return
    _, suffix = os.path.splitext(path)
    said = f"the suffix {suffix!r}" if suffix else "no suffix"
    if suffixes == ONNX_SUFFIXES:
        raise ModelFileError(f"{option} {path}: {said}, but this writes an ONNX model; give a "
                             "name ending in .onnx, e.g. model.onnx.")
    raise ModelFileError(
        f"{option} {path}: {said}, but the suffix chooses the format of the model file: "
        f".onnx (ONNX, loads without running code) or {', '.join(PICKLE_SUFFIXES)} (a joblib "
        "pickle), e.g. model.onnx."
    )


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


def _read_for_model(model: _Model, args, *, labels: bool) -> Dataset:
    return load_data(
        args.data,
        model.label_names if labels else None,
        feature_names=model.feature_names,
        require_labels=labels,
        labels_hint=(
            "`skimb report` compares the model's predictions with these labels, so the file "
            "needs them, named as in training, next to the features (for predictions without "
            "labels, use `skimb predict`)."
        ),
    )


# -------------------------------------------------------------------- commands
def build_model(loss: str = "bce", objective: str = "f1", cv: int | float = 5, *,
                epochs: int | str = "auto", batch_size: int = 128, lr: float = 1e-3,
                sparse: bool = False, seed: int = 0, verbose: int = 0,
                threads: int | str = "auto"):
    """The pipeline ``skimb fit`` trains: a scaler, then a ThresholdOptimizer around
    the classifier (per-label thresholds learned out-of-fold).

    The same pipeline in Python gives the same model for the same data and seed.
    """
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from .classifier import MultiLabelImbalancedClassifier
    from .thresholds import ThresholdOptimizer

    classifier = MultiLabelImbalancedClassifier(
        criterion=loss, max_epochs=epochs, batch_size=batch_size, lr=lr, random_state=seed,
        verbose=max(verbose - 1, 0), num_threads=threads,
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

    to_onnx = args.out is not None and args.out.lower().endswith(ONNX_SUFFIXES)
    if args.out is not None:
        _check_out_path(args.out)
        _check_suffix(args.out, "--out", ONNX_SUFFIXES + PICKLE_SUFFIXES)
    if to_onnx:
        _check_onnx_installed(f"--out {args.out}")
    data = load_data(args.data, args.labels)
    print(f"read {os.path.basename(data.path)}: {data.n_samples} rows, "
          f"{data.X.shape[1]} features, {len(data.label_names)} labels", file=out)
    data = _rows(data, args.rows, "train", out)
    import scipy.sparse as sp

    model = build_model(args.loss, args.objective, args.cv, epochs=args.epochs,
                        batch_size=args.batch_size, lr=args.lr, sparse=sp.issparse(data.X),
                        seed=args.seed, verbose=args.verbose, threads=args.threads)
    print(f"training: scaler -> ThresholdOptimizer(objective={args.objective!r}, "
          f"cv={args.cv}) around MultiLabelImbalancedClassifier(criterion={args.loss!r}, "
          f"max_epochs={args.epochs!r}, batch_size={args.batch_size}, lr={args.lr}, "
          f"num_threads={args.threads!r}, "
          f"pos_weight='auto'), seed {args.seed}", file=out)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(data.X, data.Y)
    for w in caught:
        print(f"skimb: warning: {' '.join(str(w.message).split())}", file=sys.stderr)
    optimizer = model[-1]
    print(f"trained in {time.perf_counter() - start:.1f}s\n", file=out)
    scores = optimizer.oof_scores_
    held_out = ~np.isnan(scores).all(axis=1)  # a float --cv holds out part of the rows
    scores, truth = scores[held_out], data.Y[held_out]
    missing = np.isnan(scores)
    if missing.any():
        cols = [data.label_names[j] for j in np.flatnonzero(missing.any(axis=0))]
        print(f"note: labels {cols[:10]} had a single class in the training part of some "
              "folds; their held-out scores there count as 0 in this report", file=out)
        scores = np.where(missing, 0.0, scores)
    report = label_report(truth, scores, optimizer.thresholds_, data.label_names)
    if held_out.all():
        print(f"out-of-fold report ({data.n_samples} rows; each row scored by the fold "
              f"model that did not see it, at the learned thresholds):", file=out)
    else:
        print(f"validation report ({held_out.sum()} of {data.n_samples} rows held out by "
              f"--cv {args.cv}, scored by the model trained on the others, at the learned "
              "thresholds):", file=out)
    print(report, file=out)
    if optimizer.fallback_labels_:
        shown = ", ".join(f"{data.label_names[j]} ({why})"
                          for j, why in list(optimizer.fallback_labels_.items())[:10])
        print(f"fallback threshold ({optimizer.fallback!r}) for: {shown}", file=out)
    if args.out is None:
        print("not saved: add --out model.onnx (or model.joblib, a pickle) to keep the model",
              file=out)
        return
    if to_onnx:
        from ._onnx._export import to_onnx as export

        export(model, data.X, label_names=data.label_names, feature_names=data.feature_names,
               path=args.out)
        print(f"saved {args.out} (ONNX): skimb predict {args.out} DATA", file=out)
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
    print(f"saved {args.out} (a pickle: loading it runs code, so predict and report need "
          f"--trust-model): skimb predict {args.out} DATA --trust-model", file=out)


def _export(args, out) -> None:
    _check_onnx_installed("skimb export")
    _check_out_path(args.out, "the output")
    _check_suffix(args.out, "the output", ONNX_SUFFIXES)
    from ._onnx._export import to_onnx

    model = _load_model(args.model, args.trust_model)
    if model.onnx:
        raise ModelFileError(f"{args.model} is already an ONNX model.")
    # rows to check the export with: zeros and standard normal values
    rng = np.random.default_rng(0)
    n_features = len(model.feature_names)
    X_check = np.vstack([np.zeros((1, n_features)), rng.standard_normal((31, n_features))])
    to_onnx(model.model, X_check.astype(np.float32), label_names=model.label_names,
            feature_names=model.feature_names, path=args.out)
    print(f"saved {args.out} (ONNX, {os.path.getsize(args.out):,} bytes): "
          f"skimb predict {args.out} DATA", file=out)


def _predict(args, out) -> None:
    if args.out is not None:
        _check_out_path(args.out)
    model = _load_model(args.model, args.trust_model)
    data = _rows(_read_for_model(model, args, labels=False), args.rows, "test", sys.stderr)
    if args.proba:
        values = model.predict_proba(data.X)
        lines = (",".join(f"{v:.6g}" for v in row) for row in values)
    else:
        values = model.predict(data.X)
        lines = (",".join(str(int(v)) for v in row) for row in values)
    header = ",".join(model.label_names)
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
    from .diagnostics import label_report

    model = _load_model(args.model, args.trust_model)
    data = _rows(_read_for_model(model, args, labels=True), args.rows, "test", out)
    scores, thresholds = model.scores_and_thresholds(data.X)
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


def _cv(text: str) -> int | float:
    """``--cv``: a number of folds (at least 2) or a validation share in (0, 1)."""
    try:
        return _check_folds(int(text))
    except ValueError:
        pass
    try:
        share = float(text)
    except ValueError:
        share = float("nan")
    if not 0 < share < 1:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give a number of folds (at least 2, e.g. 5) or the share of rows held "
            "out for one validation split (between 0 and 1, e.g. 0.3)"
        )
    return share


def _check_folds(folds: int) -> int:
    if folds < 2:
        raise argparse.ArgumentTypeError(
            f"{folds} fold{'s' if folds != 1 else ''}: give at least 2 folds, or the share of "
            "rows held out for one validation split (between 0 and 1, e.g. 0.3)"
        )
    return folds


def _epochs_arg(text: str):
    """An argparse type: ``auto`` or a whole number of epochs above 0."""
    if text == "auto":
        return text
    return _positive(int, "'auto' or a whole number of epochs above 0, e.g. 20")(text)


def _threads(text: str):
    """An argparse type: ``auto`` or a number of torch threads above 0."""
    if text == "auto":
        return text
    return _positive(int, "'auto' or a whole number of threads above 0")(text)


def _positive(kind: type, what: str):
    """An argparse type: a number of ``kind`` above 0."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not value > 0 or value == float("inf"):
            raise argparse.ArgumentTypeError(f"{text!r}: give {what}")
        return value

    return parse


def _add_trust(parser) -> None:
    parser.add_argument(
        "--trust-model", action="store_true",
        help="load a pickle (joblib) model file; loading a pickle runs any code it holds, so "
        "use it only for files you made or trust (.onnx files need no trust)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``skimb`` argument parser (imports no torch)."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="skimb", description="Imbalanced multi-label classification with PyTorch."
    )
    parser.add_argument("--version", action="version", version=f"skimb {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="train on built-in long-tail data and print a report")
    p.add_argument("--n-samples", type=int, default=6000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=_threads, default="auto", metavar="N",
                   help="torch threads while training: 'auto' (default) or a number")

    from .objectives import OBJECTIVES

    p = sub.add_parser(
        "fit",
        help="train scaler + ThresholdOptimizer(classifier) on DATA and print the "
        "out-of-fold report",
    )
    p.add_argument("data", help="a CSV, ARFF (dense or sparse) or npz file")
    p.add_argument("--labels", nargs="+", metavar="COL",
                   help="label column names, or one number N for the last N columns "
                   "(npz: optional, default all of Y; MEKA ARFF: optional, default the "
                   "labels its @relation -C N declares)")
    p.add_argument("--loss", default="bce", choices=LOSSES, metavar="LOSS",
                   help=f"the training loss (default bce): {', '.join(LOSSES)}")
    p.add_argument("--objective", default="f1", choices=OBJECTIVES,
                   help="what each label's threshold maximises (default f1)")
    p.add_argument("--cv", type=_cv, default=5,
                   help="folds for the thresholds (default 5), or a share such as 0.3 for "
                   "one validation split")
    p.add_argument("--epochs", type=_epochs_arg, default="auto",
                   help="training epochs, or 'auto' (default): 20, more on small data")
    p.add_argument("--batch-size", type=_positive(int, "a whole number of rows above 0"),
                   default=128,
                   help="rows per training batch (default 128)")
    p.add_argument("--threads", type=_threads, default="auto", metavar="N",
                   help="torch threads while training: 'auto' (default: one for small "
                        "models, more for large ones on idle cores) or a number")
    p.add_argument("--lr", type=_positive(float, "a learning rate above 0, e.g. 0.001"),
                   default=1e-3, help="learning rate (default 0.001)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out",
                   help="save the fitted model here: model.onnx (ONNX, needs the onnx extra) "
                   "or model.joblib (a pickle; also .pkl, .pickle); other suffixes are "
                   "refused")
    p.add_argument("-v", "--verbose", action="count", default=1,
                   help="-v: also a progress bar over each fold's epochs")
    p.add_argument("-q", "--quiet", dest="verbose", action="store_const", const=0,
                   help="no progress bars")
    _add_rows(p, "train")

    p = sub.add_parser("export", help="convert a joblib model file to ONNX (needs the onnx "
                       "extra)")
    p.add_argument("model", help="a model.joblib written by `skimb fit --out`")
    p.add_argument("out", help="the ONNX file to write, e.g. model.onnx")
    _add_trust(p)

    model_help = "a model file written by `skimb fit --out` or `skimb export` (.onnx, or a " \
        "pickle with --trust-model)"
    p = sub.add_parser("predict", help="predict the labels of DATA with a saved model")
    p.add_argument("model", help=model_help)
    p.add_argument("data", help="CSV, ARFF or npz file with the model's feature columns")
    p.add_argument("--out", help="write the predictions to this CSV file (default: stdout)")
    p.add_argument("--proba", action="store_true", help="probabilities instead of 0/1")
    _add_rows(p, "test")
    _add_trust(p)

    p = sub.add_parser("report", help="per-label report of a saved model on labelled DATA")
    p.add_argument("model", help=model_help)
    p.add_argument("data", help="CSV, ARFF or npz file with the features and the model's "
                   "label columns")
    _add_rows(p, "test")
    _add_trust(p)
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
        demo(args.n_samples, args.seed, threads=args.threads)
        return 0
    commands = {"fit": _fit, "export": _export, "predict": _predict, "report": _report}
    try:
        commands[args.command](args, out)
    except BrokenPipeError:
        # the reader went away (`skimb predict ... | head`): stop quietly, and send
        # what is still buffered to /dev/null so Python's exit does not complain
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return BROKEN_PIPE_EXIT
    except (ValueError, OSError, ImportError) as exc:
        # DataError and ModelFileError (bad files), input validation inside the
        # estimators (ValueError), an --out path that cannot be written (OSError)
        print(f"skimb: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("skimb: interrupted", file=sys.stderr)
        return 130
    return 0
