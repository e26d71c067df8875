"""Training speed: a hand-written PyTorch loop vs plain skorch vs skimb.

The same module (skimb's MLP 100-256-256-20: two hidden layers of 256 units with
ReLU; no dropout unless ``--dropout`` says so),
loss (BCE with logits and pos_weight = n_neg / n_pos), optimizer (AdamW,
lr=1e-3), batch size (256) and number of epochs for the three contenders:

(a) ``hand``: a hand-written loop: X and y as tensors, a ``torch.randperm`` per
    epoch, batches by indexing the whole tensors (a sparse X is densified once,
    up front, as one would write it by hand when it fits in memory);
(b) ``skorch``: ``skorch.NeuralNet`` with its default Dataset and DataLoader
    (``iterator_train__shuffle=True``);
(c) ``skimb``: ``MultiLabelImbalancedClassifier.fit`` (input validation and the
    label statistics included in its time).

Data: generated long-tail data (20,000 x 100, 20 labels) and bibtex's standard
training rows (sparse CSR, 1,836 features, 159 labels) from ``../shared/data``
(or ``$SKIMB_DATA``).

Time: one process, a warm-up fit of each contender first, then ``--repeats``
rounds, each of which times the three contenders once, in an order rotated
from round to round; the table reports the median wall-clock time, and the
ratios also from the process's CPU time. Peak memory (hand and skimb): each
contender's fit runs again in three fresh subprocesses; each loads the data,
runs a one-epoch warm-up fit on 512 rows (so that what torch sets up on first
use is not counted), then reports its peak resident set size during the fit
(VmHWM, reset through /proc/self/clear_refs just before it) minus its resident
set size before it, i.e. the memory the fit adds on top of the loaded data,
and the whole process's peak. The table reports the medians.

Run from the repository root::

    python benchmarks/bench_training.py              # CPU, torch.set_num_threads(1)
    python benchmarks/bench_training.py --device cuda
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

import numpy as np
import scipy.sparse as sp
import torch
from _common import DATA  # puts this checkout first on sys.path
from skorch import NeuralNet

from skimb import MultiLabelImbalancedClassifier, make_long_tail_multilabel
from skimb.diagnostics import class_counts, compute_pos_weight
from skimb.losses import BCELoss
from skimb.modules import MLP

HIDDEN = (256, 256)
DROPOUT = 0.0  # set by --dropout
LR = 1e-3
BATCH = 256
CONTENDERS = ("hand", "skorch", "skimb")


# ---------------------------------------------------------------------- data
def load(name: str, data_dir: Path):
    """X (float32 ndarray or CSR) and Y (float32) of a benchmark data set."""
    if name == "generated":
        X, Y = make_long_tail_multilabel(20_000, 100, 20, random_state=0)
        return X.astype(np.float32), Y.astype(np.float32)
    z = np.load(data_dir / f"{name}.npz")
    if "X" in z:
        X = z["X"].astype(np.float32)
    else:
        X = sp.csr_matrix(
            (z["X_data"], z["X_indices"], z["X_indptr"]), shape=tuple(z["X_shape"])
        ).astype(np.float32)
    train = ~z["is_test"]
    return X[train], z["Y"][train].astype(np.float32)


def pos_weight(Y) -> np.ndarray:
    return compute_pos_weight(class_counts(Y), Y.shape[0], "auto", 100.0)


# ---------------------------------------------------------------- contenders
def fit_hand(X, Y, epochs: int, device: str, seed: int = 0):
    """The hand-written loop."""
    torch.manual_seed(seed)
    Xt = torch.from_numpy(X.toarray() if sp.issparse(X) else X).to(device)
    yt = torch.from_numpy(Y).to(device)
    model = MLP(X.shape[1], Y.shape[1], HIDDEN, DROPOUT).to(device)
    criterion = BCELoss(pos_weight=pos_weight(Y)).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR)
    n = Xt.shape[0]
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(n, device=device)
        for start in range(0, n, BATCH):
            idx = perm[start : start + BATCH]
            optimizer.zero_grad()
            loss = criterion(model(Xt[idx]), yt[idx])
            loss.backward()
            optimizer.step()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return model


def fit_skorch(X, Y, epochs: int, device: str, seed: int = 0):
    """skorch's NeuralNet with its default iterators."""
    torch.manual_seed(seed)
    net = NeuralNet(
        MLP,
        module__n_features=X.shape[1],
        module__n_labels=Y.shape[1],
        module__hidden_units=HIDDEN,
        module__dropout=DROPOUT,
        criterion=BCELoss,
        criterion__pos_weight=pos_weight(Y),
        optimizer=torch.optim.AdamW,
        lr=LR,
        batch_size=BATCH,
        max_epochs=epochs,
        iterator_train__shuffle=True,
        train_split=None,
        device=device,
        verbose=0,
    )
    net.fit(X, Y)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return net


def fit_skimb(X, Y, epochs: int, device: str, seed: int = 0):
    """skimb's classifier, defaults otherwise (criterion="bce", pos_weight="auto")."""
    clf = MultiLabelImbalancedClassifier(
        module__hidden_units=HIDDEN,
        module__dropout=DROPOUT,
        lr=LR,
        batch_size=BATCH,
        max_epochs=epochs,
        device=device,
        random_state=seed,
    )
    clf.fit(X, Y)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return clf


FIT = {"hand": fit_hand, "skorch": fit_skorch, "skimb": fit_skimb}


# -------------------------------------------------------------------- memory
def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def memory_child(contender: str, dataset: str, epochs: int, device: str, data_dir: Path):
    """Run in a fresh process: print the peak RSS (MiB) one fit adds."""
    X, Y = load(dataset, data_dir)
    # A short fit on a few rows first, so that what torch and the libraries set up
    # on first use (kernels, allocator pools, thread pools) is not counted as the fit's.
    FIT[contender](X[:512], Y[:512], 1, device)
    gc.collect()
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
        reset = True
    except OSError:
        reset = False
    before = _status_kib("VmRSS")
    FIT[contender](X, Y, epochs, device)
    peak = _status_kib("VmHWM")
    print(json.dumps({"peak_added_mib": (peak - before) / 1024, "peak_total_mib": peak / 1024,
                      "hwm_reset": reset}))


def peak_memory(contender, dataset, epochs, device, data_dir, threads, runs=3) -> dict:
    """Median over ``runs`` fresh processes of what :func:`memory_child` reports."""
    cmd = [
        sys.executable, __file__, "--memory-child", contender, dataset,
        "--epochs", str(epochs), "--device", device, "--data-dir", str(data_dir),
        "--threads", str(threads), "--dropout", str(DROPOUT),
    ]
    reports = []
    for _ in range(runs):
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        reports.append(json.loads(out.strip().splitlines()[-1]))
    return {
        "peak_added_mib": median(r["peak_added_mib"] for r in reports),
        "peak_total_mib": median(r["peak_total_mib"] for r in reports),
        "hwm_reset": all(r["hwm_reset"] for r in reports),
    }


# --------------------------------------------------------------------- timing
def time_dataset(dataset, X, Y, epochs, repeats, device):
    for name in CONTENDERS:  # warm-up: one epoch each
        FIT[name](X, Y, 1, device)
    wall = {name: [] for name in CONTENDERS}
    cpu = {name: [] for name in CONTENDERS}
    for r in range(repeats):
        order = CONTENDERS[r % 3 :] + CONTENDERS[: r % 3]
        for name in order:
            gc.collect()
            start, start_cpu = time.perf_counter(), time.process_time()
            FIT[name](X, Y, epochs, device)
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    return wall, cpu


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dropout", type=float, default=0.0, help="of the MLP's hidden layers")
    parser.add_argument("--data-dir", type=Path, default=DATA,
                        help="folder of the .npz files (default: $SKIMB_DATA or ../shared/data)")
    parser.add_argument("--datasets", nargs="+", default=["generated", "bibtex"])
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory runs")
    parser.add_argument("--memory-child", nargs=2, metavar=("CONTENDER", "DATASET"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    global DROPOUT
    DROPOUT = args.dropout
    torch.set_num_threads(args.threads)
    if args.memory_child:
        memory_child(*args.memory_child, args.epochs, args.device, args.data_dir)
        return

    print(
        f"device={args.device}  torch.set_num_threads({args.threads})  epochs={args.epochs}  "
        f"batch={BATCH}  MLP hidden={HIDDEN} dropout={DROPOUT}  AdamW lr={LR}  "
        f"repeats={args.repeats} (median)  torch {torch.__version__}"
    )
    rows = []
    for dataset in args.datasets:
        X, Y = load(dataset, args.data_dir)
        kind = "CSR" if sp.issparse(X) else "dense"
        print(f"\n{dataset}: {X.shape[0]} x {X.shape[1]} ({kind}), {Y.shape[1]} labels")
        wall, cpu = time_dataset(dataset, X, Y, args.epochs, args.repeats, args.device)
        for name in CONTENDERS:
            print(f"  {name:7s} wall (s): " + ", ".join(f"{t:.3f}" for t in wall[name])
                  + "   cpu (s): " + ", ".join(f"{t:.3f}" for t in cpu[name]))
        med = {name: median(t) for name, t in wall.items()}
        med_cpu = {name: median(t) for name, t in cpu.items()}
        mem = {}
        if not args.no_memory:
            for name in ("hand", "skimb"):
                mem[name] = peak_memory(
                    name, dataset, args.epochs, args.device, args.data_dir, args.threads
                )
        rows.append((dataset, med, med_cpu, mem))

    print(
        "\nTimes are wall-clock medians; (cpu) is the same ratio from the process's CPU "
        "time, which the other processes' load on a shared machine disturbs less. "
        "skorch / hand bounds skorch / skimb: skimb is at best as fast as the hand loop."
    )
    print(
        "Peak memory (median of 3 fresh processes): what the fit adds to the resident set "
        "size of a process that holds the data and has run a short warm-up fit, and in "
        "brackets the process's whole peak resident set size."
    )
    print("\n| data | hand ep/s | skorch ep/s | skimb ep/s | skimb / hand time (cpu) "
          "| skorch / skimb time (cpu) | skorch / hand time | peak MiB hand (process) "
          "| peak MiB skimb (process) | skimb / hand peak (process) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    met = {"skimb / hand <= 1.15": True, "skorch / skimb >= 2.5": True,
           "skimb peak <= 1.5 x hand": True}
    for dataset, med, med_cpu, mem in rows:
        eps = {name: args.epochs / med[name] for name in CONTENDERS}
        slow = med["skimb"] / med["hand"]
        gain = med["skorch"] / med["skimb"]
        cells = [
            dataset,
            *(f"{eps[n]:.2f}" for n in CONTENDERS),
            f"{slow:.3f} ({med_cpu['skimb'] / med_cpu['hand']:.3f})",
            f"{gain:.2f} ({med_cpu['skorch'] / med_cpu['skimb']:.2f})",
            f"{med['skorch'] / med['hand']:.2f}",
        ]
        met["skimb / hand <= 1.15"] &= slow <= 1.15
        met["skorch / skimb >= 2.5"] &= gain >= 2.5
        if mem:
            hand, ours = mem["hand"]["peak_added_mib"], mem["skimb"]["peak_added_mib"]
            hand_all, ours_all = mem["hand"]["peak_total_mib"], mem["skimb"]["peak_total_mib"]
            cells += [
                f"{hand:.1f} ({hand_all:.0f})",
                f"{ours:.1f} ({ours_all:.0f})",
                f"{ours / hand:.2f} ({ours_all / hand_all:.2f})",
            ]
            met["skimb peak <= 1.5 x hand"] &= ours <= 1.5 * hand
        else:
            cells += ["-", "-", "-"]
        print("| " + " | ".join(cells) + " |")
    if any(not m["hand"]["hwm_reset"] for *_, m in rows if m):
        print("note: /proc/self/clear_refs was not writable; peaks include the data loading")
    print("\ntargets (CPU; times wall-clock; peak = what the fit adds), on every data set:")
    for target, ok in met.items():
        print(f"  {target}: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
