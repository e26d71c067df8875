"""Calibrated probabilities: raw, sigmoid and isotonic Brier score and log-loss on test rows.

The main job ``make_pipeline(scaler, ThresholdOptimizer(MultiLabelImbalancedClassifier(
random_state=s), random_state=s, calibration="sigmoid"))`` is fitted once per data set and
seed (``StandardScaler`` for dense X, ``MaxAbsScaler`` for sparse X, as in
``bench_main_job.py``: centring would densify it). On the test rows:

* ``raw``: the final model's own ``predict_proba`` (with ``pos_weight="auto"``, the default;
  with ``--refit ensemble`` the mean of the fold models' probabilities);
* ``sigmoid``: the pipeline's ``predict_proba`` (Platt scaling per label, fitted on the
  out-of-fold scores ``oof_scores_``);
* ``isotonic``: the isotonic maps ``calibration="isotonic"`` fits, computed here from the same
  fitted folds (``skimb._calibration.fit_calibrators("isotonic", Y, oof_scores_)``, what
  ``ThresholdOptimizer.fit`` calls; ``tests/test_calibration.py`` checks the two agree) so
  that the model is trained once for all columns;
* ``iso 0-1`` (log-loss only): plain ``IsotonicRegression(out_of_bounds="clip", y_min=0,
  y_max=1)`` on the same scores, which skimb bounds by Platt's targets instead (a label
  without any out-of-fold score takes skimb's constant).

Printed per data set and seed: the mean over labels of the per-label Brier score and log-loss
(``sklearn.metrics``; log-loss clips probabilities to [eps, 1 - eps] of float64), then the mean
over seeds and whether both calibrations beat raw. ``generated`` is the issue's example,
``make_long_tail_multilabel(4000, 20, 6, min_prevalence=0.01, random_state=0)``, first 3,000
rows for training, the classifier with ``max_epochs=10``; for it the mean predicted probability
of the rarest label is printed too.

Run from the repository root, one thread::

    OMP_NUM_THREADS=1 python benchmarks/bench_calibration.py
    OMP_NUM_THREADS=1 python benchmarks/bench_calibration.py --data-dir /path/to/npz \\
        --data emotions yeast scene enron bibtex --seeds 0 1 2
    OMP_NUM_THREADS=1 python benchmarks/bench_calibration.py --data-dir /path/to/npz  # every .npz
    OMP_NUM_THREADS=1 python benchmarks/bench_calibration.py --seeds 0 1 2 --refit ensemble
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch
from _common import DATA, data_names  # puts this checkout first on sys.path
from _common import load as load_npz
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import brier_score_loss, log_loss
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MaxAbsScaler, StandardScaler

from skimb import MultiLabelImbalancedClassifier, ThresholdOptimizer, make_long_tail_multilabel
from skimb._calibration import calibrated_proba, calibrated_thresholds, fit_calibrators

REAL = ["emotions", "yeast", "scene", "enron", "bibtex"]


def load(name, data_dir):
    """X_train, Y_train, X_test, Y_test and the classifier's keyword arguments."""
    if name == "generated":
        X, Y = make_long_tail_multilabel(4000, 20, 6, min_prevalence=0.01, random_state=0)
        return X[:3000], Y[:3000], X[3000:], Y[3000:], {"max_epochs": 10}
    X, Y, test = load_npz(name, data_dir)
    return X[~test], Y[~test], X[test], Y[test], {}


def scores(Y, P):
    """Mean over labels of the per-label Brier score and log-loss."""
    brier = np.mean([brier_score_loss(Y[:, j], P[:, j]) for j in range(Y.shape[1])])
    loss = np.mean([log_loss(Y[:, j], P[:, j], labels=[0, 1]) for j in range(Y.shape[1])])
    return brier, loss


def run(name, seed, data_dir, refit):
    X, Y, X_test, Y_test, kwargs = load(name, data_dir)
    scaler = MaxAbsScaler() if sp.issparse(X) else StandardScaler()
    model = make_pipeline(scaler, ThresholdOptimizer(
        MultiLabelImbalancedClassifier(random_state=seed, **kwargs), random_state=seed,
        refit=refit, calibration="sigmoid"))
    start = time.perf_counter()
    model.fit(X, Y)
    seconds = time.perf_counter() - start
    opt = model[-1]
    Xt = model[:-1].transform(X_test)
    raw = opt.estimator_.predict_proba(Xt).astype(np.float64)
    sigmoid = model.predict_proba(X_test)
    iso = fit_calibrators("isotonic", Y, opt.oof_scores_)
    isotonic = calibrated_proba(iso, raw, opt.thresholds_,
                                calibrated_thresholds(iso, opt.thresholds_))
    plain = np.empty_like(raw)
    for j in range(Y.shape[1]):
        rows = np.isfinite(opt.oof_scores_[:, j])
        if not rows.any():  # skipped in every fold: skimb's constant
            plain[:, j] = isotonic[:, j]
            continue
        fit = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1)
        plain[:, j] = fit.fit(opt.oof_scores_[rows, j], Y[rows, j]).predict(raw[:, j])
    row = {"raw": scores(Y_test, raw), "sigmoid": scores(Y_test, sigmoid),
           "isotonic": scores(Y_test, isotonic), "iso01": scores(Y_test, plain),
           "seconds": seconds}
    if name == "generated":
        r = int(np.argmin(Y.mean(axis=0)))
        print(f"  generated, seed {seed}: rarest label {r} (train prevalence "
              f"{Y[:, r].mean():.4f}, test {Y_test[:, r].mean():.4f}), mean predicted "
              f"probability raw {raw[:, r].mean():.3f}, sigmoid {sigmoid[:, r].mean():.4f}, "
              f"isotonic {isotonic[:, r].mean():.4f}")
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=None,
                        help="data set names (default: every .npz of --data-dir, "
                             "or the dev sets)")
    parser.add_argument("--data-dir", type=Path, default=DATA)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--refit", choices=["true", "ensemble"], default="true",
                        help="ThresholdOptimizer's refit: True (default) or 'ensemble'")
    args = parser.parse_args()
    args.data = data_names(args.data, args.data_dir, ["generated", *REAL])
    refit = True if args.refit == "true" else "ensemble"
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, 1 thread, refit={refit!r}, seeds {args.seeds}; "
          "mean over labels; "
          "log-loss of plain isotonic (iso 0-1) for comparison")
    header = (f"{'data':10}{'seed':>5} | {'Brier raw':>10}{'sigmoid':>9}{'isotonic':>9} | "
              f"{'logloss raw':>12}{'sigmoid':>9}{'isotonic':>9}{'iso 0-1':>9} | {'fit s':>6}")
    print(header)
    summary = {}
    for name in args.data:
        rows = []
        for seed in args.seeds:
            r = run(name, seed, args.data_dir, refit)
            rows.append(r)
            print(f"{name:10}{seed:>5} | {r['raw'][0]:10.4f}{r['sigmoid'][0]:9.4f}"
                  f"{r['isotonic'][0]:9.4f} | {r['raw'][1]:12.4f}{r['sigmoid'][1]:9.4f}"
                  f"{r['isotonic'][1]:9.4f}{r['iso01'][1]:9.4f} | {r['seconds']:6.1f}",
                  flush=True)
        summary[name] = {k: np.mean([r[k] for r in rows], axis=0)
                         for k in ("raw", "sigmoid", "isotonic", "iso01")}
    print("\nmean over seeds: Brier raw / sigmoid / isotonic; log-loss raw / sigmoid / isotonic;"
          " both calibrations lower than raw in both?")
    for name, m in summary.items():
        wins = {k: bool(m[k][0] < m["raw"][0] and m[k][1] < m["raw"][1])
                for k in ("sigmoid", "isotonic")}
        print(f"| {name} | {m['raw'][0]:.4f} | {m['sigmoid'][0]:.4f} | {m['isotonic'][0]:.4f} "
              f"| {m['raw'][1]:.4f} | {m['sigmoid'][1]:.4f} | {m['isotonic'][1]:.4f} "
              f"| {m['iso01'][1]:.4f} | sigmoid {'yes' if wins['sigmoid'] else 'NO'}, "
              f"isotonic {'yes' if wins['isotonic'] else 'NO'} |")


if __name__ == "__main__":
    main()
