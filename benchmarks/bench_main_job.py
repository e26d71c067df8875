"""The main job's fit time: all folds in one pass against one fit and a hand-written loop.

``ThresholdOptimizer(MultiLabelImbalancedClassifier(), cv=5)`` fits five fold
models and a refit. skimb's classifier trains them stacked (the fold protocol,
``MultiLabelImbalancedClassifier.fit_folds``). Contenders, all on the same
scaled training rows, with the classifier's defaults (MLP with one hidden
layer of 256 units and dropout 0.2, BCE with ``pos_weight = n_neg / n_pos``,
AdamW lr 1e-3, batch 128) and 20 epochs for every model (``max_epochs=20``: the
hand loop's count; the default ``max_epochs="auto"`` gives small data more, e.g.
25 epochs for yeast's refit and 30 for its folds, which ``--wall`` keeps):

* ``single fit``: one ``MultiLabelImbalancedClassifier().fit`` on all rows;
* ``main job, stacked``: ``ThresholdOptimizer(MultiLabelImbalancedClassifier(), cv=5).fit``
  (skimb's default path);
* ``main job, fold ensemble``: ``refit="ensemble"``, the five stacked fold
  models and no refit (predictions from the mean of their scores);
* ``main job, one by one``: the same as the default, with the classifier inside a one-step
  Pipeline (which has no ``fit_folds``), so the folds and the refit are fitted
  one after the other as for any estimator;
* ``hand loop, 6 models``: a minimal PyTorch loop (tensors sliced by a
  ``torch.randperm`` per epoch, no skorch) training the same five fold models
  and the refit one after the other: the limit without stacking; once with
  AdamW as a user writes it (torch's per-tensor loop on the CPU) and once with
  ``fused=True``, the kernel skimb uses (its default where the user leaves the
  implementation unset);
* ``single fit, AdamW loop``: the single fit with ``optimizer__fused=False``,
  as skimb trained before it chose the fused kernel.

A sparse X (bibtex) goes to skimb's MLP as sparse batches (its first layer
on the stored entries only, ``skimb/_sparse_linear.py``); the hand loop
densifies it once, as a hand-written loop does.

Printed: each time (the least of ``--repeat`` runs, default 3), and the
ratios (a) main job / single fit, (b) main job / hand loop, and (c) the
out-of-fold macro-F1 at the learned thresholds (``best_score_``) and the
test macro-F1 of the stacked and one-by-one paths.
With dropout the two paths draw different masks, so (c) compares two draws
of the same procedure; ``--dropout 0`` makes them equal up to rounding.

``--wall`` times only the main job as a user writes it, with every default
(``make_pipeline(scaler, ThresholdOptimizer(MultiLabelImbalancedClassifier()))``),
and runs on older checkouts too (copy the script and ``_common.py`` into their
``benchmarks/``):
the before/after comparison. ``--threads 0`` leaves torch's default thread
count (one per core).

Run from the repository root (one torch thread by default)::

    python benchmarks/bench_main_job.py
    python benchmarks/bench_main_job.py --wall --data enron bibtex --threads 0
    python benchmarks/bench_main_job.py --wall --data enron --threads 0 --competitors 2
    python benchmarks/bench_main_job.py --data yeast --device cuda
    python benchmarks/bench_main_job.py --data-dir /path/to/npz/folder   # every .npz there
    python benchmarks/bench_main_job.py --data-dir /path/to/npz/folder --data name
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch
from _common import DATA, data_names  # puts this checkout first on sys.path
from _common import load as load_npz
from sklearn.metrics import f1_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MaxAbsScaler, StandardScaler

from skimb import MultiLabelImbalancedClassifier, ThresholdOptimizer, make_long_tail_multilabel
from skimb.diagnostics import class_counts, compute_pos_weight
from skimb.losses import BCELoss
from skimb.model_selection import MultilabelStratifiedKFold
from skimb.modules import MLP

CV = 5
EPOCHS = 20


def load(name: str, data_dir: Path):
    """Scaled training and test parts (float32 ndarray or CSR, int Y) of a data set."""
    if name == "generated":
        X, Y = make_long_tail_multilabel(25_000, 100, 20, random_state=0)
        test = np.arange(len(Y)) >= 20_000
    else:
        X, Y, test = load_npz(name, data_dir)
    scaler = MaxAbsScaler() if sp.issparse(X) else StandardScaler()
    X_train = scaler.fit_transform(X[~test]).astype(np.float32)
    X_test = scaler.transform(X[test]).astype(np.float32)
    return X_train, Y[~test], X_test, Y[test]


def classifier(args):
    return MultiLabelImbalancedClassifier(
        device=args.device, random_state=0, module__dropout=args.dropout, max_epochs=EPOCHS
    )


def hand_loop(X, Y, rows, args, fused=False):
    """Train one default-sized model per row set, one after the other, by hand.

    AdamW as a user writes it (torch's per-tensor loop on the CPU), or with
    ``fused=True``, the kernel skimb's classifier uses.
    """
    device = args.device
    Xt = torch.from_numpy(X.toarray() if sp.issparse(X) else X).to(device)
    Yt = torch.from_numpy(Y.astype(np.float32)).to(device)
    torch.manual_seed(0)
    kw = {"fused": True} if fused else {}
    for part in rows:
        part = torch.from_numpy(part).to(device)
        model = MLP(X.shape[1], Y.shape[1], dropout=args.dropout).to(device)
        weight = compute_pos_weight(class_counts(Y[part.cpu().numpy()]), len(part), "auto", 100.0)
        criterion = BCELoss(pos_weight=weight).to(device)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, **kw)
        model.train()
        for _ in range(EPOCHS):
            order = part[torch.randperm(len(part), device=device)]
            for start in range(0, len(order), 128):
                idx = order[start:start + 128]
                optimizer.zero_grad()
                criterion(model(Xt[idx]), Yt[idx]).backward()
                optimizer.step()
    if device.startswith("cuda"):
        torch.cuda.synchronize()


REPEAT = 1  # set by --repeat


def timed(fn):
    """The least wall time of ``REPEAT`` calls (as ``timeit`` reports), and the last result."""
    best = float("inf")
    for _ in range(REPEAT):
        start = time.perf_counter()
        out = fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return best, out


def run(name, args):
    X, Y, X_test, Y_test = load(name, args.data_dir)
    # a short fit first, so that what torch sets up on first use is not counted
    ThresholdOptimizer(MultiLabelImbalancedClassifier(max_epochs=1, device=args.device),
                       cv=2).fit(X[:300], Y[:300])
    splits = list(MultilabelStratifiedKFold(CV, shuffle=True, random_state=0).split(X, Y))
    rows = [train for train, _ in splits] + [np.arange(len(Y))]

    t_single, _ = timed(lambda: classifier(args).fit(X, Y))
    t_loop, _ = timed(lambda: classifier(args).set_params(optimizer__fused=False).fit(X, Y))
    t_stacked, stacked = timed(
        lambda: ThresholdOptimizer(classifier(args), cv=CV, random_state=0).fit(X, Y))
    t_ens, ens = timed(
        lambda: ThresholdOptimizer(classifier(args), cv=CV, refit="ensemble",
                                   random_state=0).fit(X, Y))
    t_seq, seq = timed(
        lambda: ThresholdOptimizer(make_pipeline(classifier(args)), cv=CV,
                                   random_state=0).fit(X, Y))
    t_hand, _ = timed(lambda: hand_loop(X, Y, rows, args))
    t_hand_fused, _ = timed(lambda: hand_loop(X, Y, rows, args, fused=True))

    def test_f1(model):
        return f1_score(Y_test, model.predict(X_test), average="macro", zero_division=0)

    print(f"\n## {name}: {X.shape[0]} training rows, {X.shape[1]} features "
          f"({'sparse' if sp.issparse(X) else 'dense'}), {Y.shape[1]} labels")
    print(f"{'':34}{'fit (s)':>9}{'OOF macro-F1':>14}{'test macro-F1':>15}")
    print(f"{'single fit':34}{t_single:9.2f}")
    print(f"{'single fit, AdamW loop (fused=False)':34}{t_loop:9.2f}")
    print(f"{'main job, stacked (default)':34}{t_stacked:9.2f}"
          f"{stacked.best_score_:14.4f}{test_f1(stacked):15.4f}")
    print(f"{'main job, fold ensemble (no refit)':34}{t_ens:9.2f}"
          f"{ens.best_score_:14.4f}{test_f1(ens):15.4f}")
    print(f"{'main job, one by one':34}{t_seq:9.2f}{seq.best_score_:14.4f}{test_f1(seq):15.4f}")
    print(f"{'hand loop, 6 models one by one':34}{t_hand:9.2f}")
    print(f"{'hand loop, 6 models, fused AdamW':34}{t_hand_fused:9.2f}")
    print(f"(a) main job / single fit: stacked {t_stacked / t_single:.2f}, "
          f"(fold ensemble {t_ens / t_single:.2f}), one by one {t_seq / t_single:.2f}")
    print(f"(b) main job / hand loop of the 6 models: stacked {t_stacked / t_hand:.2f}, "
          f"one by one {t_seq / t_hand:.2f}; against the fused-AdamW hand loop: stacked "
          f"{t_stacked / t_hand_fused:.2f}, one by one {t_seq / t_hand_fused:.2f}")
    print(f"    single fit, fused AdamW (default) / AdamW loop: {t_single / t_loop:.2f}")
    print(f"    stacked / one by one (skimb's own path without stacking): "
          f"{t_stacked / t_seq:.2f}")
    print(f"(c) OOF macro-F1 stacked - one by one: {stacked.best_score_ - seq.best_score_:+.4f}")


def wall(name, args):
    X, Y, X_test, Y_test = load(name, args.data_dir)
    scaler = MaxAbsScaler() if sp.issparse(X) else StandardScaler()
    t, model = timed(lambda: make_pipeline(
        scaler, ThresholdOptimizer(MultiLabelImbalancedClassifier())).fit(X, Y))
    f1 = f1_score(Y_test, model.predict(X_test), average="macro", zero_division=0)
    print(f"{name:10} main job with defaults: fit {t:7.1f} s, test macro-F1 {f1:.4f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=None,
                        help="data set names (default: every .npz of --data-dir, "
                             "or the dev sets)")
    parser.add_argument("--data-dir", type=Path, default=DATA)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (torch.set_num_threads), default 1")
    parser.add_argument("--dropout", type=float, default=0.2)
    parser.add_argument("--wall", action="store_true",
                        help="time only the main job with every default")
    parser.add_argument("--competitors", type=int, default=0,
                        help="with --wall: CPU-bound processes to run meanwhile (busy loops "
                             "that end after 15 minutes, or when the benchmark ends)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="time each contender this many times and keep the least (default 3)")
    args = parser.parse_args()
    args.data = data_names(args.data, args.data_dir, ["yeast", "bibtex", "generated"])
    global REPEAT
    REPEAT = max(1, args.repeat)
    # 0: torch's default, one thread per usable core (Linux), not _common's limit of 1
    torch.set_num_threads(args.threads or len(os.sched_getaffinity(0)))
    print(f"torch {torch.__version__}, device {args.device}, torch threads "
          f"{torch.get_num_threads()}, cv={CV}, dropout {args.dropout}, "
          f"least of {REPEAT} runs each")
    code = "import time\nend = time.time() + 900\nwhile time.time() < end:\n    pass\n"
    busy = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(args.competitors)]
    if busy:
        print(f"{len(busy)} CPU-bound processes running meanwhile")
        time.sleep(1.0)
    try:
        for name in args.data:
            (wall if args.wall else run)(name, args)
    finally:
        for p in busy:
            p.terminate()
            p.wait()


if __name__ == "__main__":
    main()
