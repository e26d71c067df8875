"""skorch callbacks: per-epoch label diagnostics and the training progress bar.

The torch side of the diagnostics (it may use :mod:`skimb.diagnostics`; the
NumPy side never imports this module).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence

import numpy as np
from skorch import NeuralNet
from skorch.callbacks import Callback, PrintLog
from skorch.utils import Ansi

from ._progress import is_terminal, progress_bar

__all__ = ["EpochProgressBar", "EpochTable", "LabelDiagnostics"]


class LabelDiagnostics(Callback):
    """Print, every epoch, the mean probability and pass rate of the rarest labels.

    The early-warning log lines of a model sliding into "predicts all zeros":
    for each of the ``n_labels`` rarest labels (fewest positives in the
    training labels, among those that have positives), the prevalence, the
    mean predicted probability and the share of rows at or above the
    threshold (``pass@t``). A pass rate stuck at 0 while the prevalence is not
    means the label will never be predicted at that threshold; a mean
    probability far below the prevalence means the loss pushes the label
    towards 0 (an inverted ``pos_weight`` or a stacked weight).

    Each epoch costs one extra prediction pass over the training rows (or the
    validation rows, ``on="valid"``). The values are also recorded in the
    net's history under ``"label_diagnostics"``:
    ``{label name: {"mean_proba": ..., "pass_rate": ...}}``.

    Parameters
    ----------
    n_labels : int, default=3
        How many of the rarest labels to follow (ignored when ``labels`` is given).
    labels : sequence of int or None, default=None
        Follow these label indices instead of the rarest ones.
    threshold : float, array-like of shape (n_labels_total,) or None, default=None
        The threshold of the pass rate; ``None`` uses the net's ``threshold``
        parameter (per label when it is an array), else 0.5.
    on : {"train", "valid"}, default="train"
        Which rows to score; ``"valid"`` needs a ``train_split``.
    sink : callable, default=print
        Where the lines go (e.g. ``logging.getLogger(...).info``).

    Examples
    --------
    >>> from skimb import MultiLabelImbalancedClassifier, make_long_tail_multilabel
    >>> from skimb.callbacks import LabelDiagnostics
    >>> X, Y = make_long_tail_multilabel(300, 6, 4, min_prevalence=0.05, random_state=0)
    >>> lines = []
    >>> diagnostics = LabelDiagnostics(n_labels=2, sink=lines.append)
    >>> clf = MultiLabelImbalancedClassifier(
    ...     max_epochs=2, random_state=0, callbacks=[diagnostics]
    ... ).fit(X, Y)
    >>> lines[0].split(":")[0]
    'epoch 1 rarest labels'
    >>> sorted(clf.history[-1, "label_diagnostics"])
    ['label2', 'label3']
    """

    def __init__(
        self,
        n_labels: int = 3,
        labels: Sequence[int] | None = None,
        threshold=None,
        on: str = "train",
        sink: Callable[[str], object] = print,
    ):
        self.n_labels = n_labels
        self.labels = labels
        self.threshold = threshold
        self.on = on
        self.sink = sink

    def _statistics(self, net):
        counts = getattr(net, "class_counts_", None)
        if counts is None:
            raise ValueError(
                "LabelDiagnostics needs the training labels' statistics (class_counts_, "
                "n_samples_seen_) that skimb.MultiLabelImbalancedClassifier computes; "
                f"{type(net).__name__} has none."
            )
        return np.asarray(counts), int(net.n_samples_seen_)

    def _followed(self, counts):
        if self.labels is not None:
            labels = np.asarray(self.labels, dtype=int)
            if labels.size and (labels.min() < 0 or labels.max() >= counts.size):
                raise ValueError(
                    f"labels {labels.tolist()} are out of range for {counts.size} labels."
                )
            return labels
        order = np.argsort(counts, kind="stable")
        order = order[counts[order] > 0]
        return order[: self.n_labels]

    def _thresholds(self, net, n_labels):
        threshold = self.threshold
        if threshold is None:
            threshold = getattr(net, "threshold", 0.5)
        t = np.asarray(threshold, dtype=np.float64)
        return np.full(n_labels, float(t)) if t.ndim == 0 else t

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        if self.on not in ("train", "valid"):
            raise ValueError(f"on must be 'train' or 'valid', got {self.on!r}.")
        dataset = dataset_train if self.on == "train" else dataset_valid
        if dataset is None:
            raise ValueError(
                "LabelDiagnostics(on='valid') needs validation rows; set the net's "
                "train_split (e.g. skorch.dataset.ValidSplit(5)) or use on='train'."
            )
        counts, n_samples = self._statistics(net)
        labels = self._followed(counts)
        # skorch's own prediction loop: it takes a Dataset and applies the net's
        # predict nonlinearity (the sigmoid for skimb's classifier).
        proba = NeuralNet.predict_proba(net, dataset)[:, labels]
        thresholds = self._thresholds(net, counts.size)[labels]
        mean = proba.mean(axis=0)
        passed = (proba >= thresholds).mean(axis=0)
        names = getattr(net, "label_names_", None)
        names = [str(names[j]) if names is not None else f"label{j}" for j in labels]
        prevalence = counts[labels] / max(n_samples, 1)
        net.history.record(
            "label_diagnostics",
            {
                n: {"mean_proba": float(m), "pass_rate": float(p)}
                for n, m, p in zip(names, mean, passed)
            },
        )
        parts = [
            f"{n} prev {prev:.4f} mean_p {m:.4f} pass@{t:.3g} {p:.4f}"
            for n, prev, m, t, p in zip(names, prevalence, mean, thresholds, passed)
        ]
        epoch = len(net.history)
        self.sink(f"epoch {epoch} rarest labels: " + " | ".join(parts))


class EpochProgressBar(Callback):
    """A tqdm progress bar over the training epochs, shown when ``net.verbose >= 1``.

    The bar's postfix shows the last epoch's ``train_loss`` (and ``valid_loss``
    when there is a validation split). Nothing is shown at ``verbose=0``.
    :class:`~skimb.MultiLabelImbalancedClassifier` includes it by default.
    Where standard error is not a terminal (a log file, a CI job), no bar is
    drawn: one plain line is written when training ends, e.g.
    ``MultiLabelImbalancedClassifier: 20/20 epochs in 00:03, train_loss=0.1234``
    (no carriage returns, escape codes or repeated ``100%`` lines).

    Examples
    --------
    >>> from skimb import MultiLabelImbalancedClassifier, make_long_tail_multilabel
    >>> X, Y = make_long_tail_multilabel(200, 5, 3, min_prevalence=0.05, random_state=0)
    >>> clf = MultiLabelImbalancedClassifier(max_epochs=2, verbose=0).fit(X, Y)  # no bar
    """

    def __init__(self, keys: Sequence[str] = ("train_loss", "valid_loss")):
        self.keys = keys

    def initialize(self):
        self.bar_ = None
        return self

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        if net.verbose < 1:
            return
        total = getattr(net, "max_epochs_", net.max_epochs)  # "auto" resolved by fit
        self.bar_ = progress_bar(total, type(net).__name__, "epoch")

    def on_epoch_end(self, net, **kwargs):
        if self.bar_ is None:
            return
        row = net.history[-1]
        self.bar_.set_postfix(
            {k: f"{row[k]:.4g}" for k in self.keys if isinstance(row.get(k), float)},
            refresh=False,
        )
        self.bar_.update(1)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        if self.bar_ is not None:
            self.bar_.close()
            self.bar_ = None


class EpochTable(PrintLog):
    """skorch's per-epoch table (:class:`skorch.callbacks.PrintLog`) from ``verbose >= 2``.

    At ``verbose=1`` the classifier shows :class:`EpochProgressBar` alone; the
    table adds one line per epoch on top of it. The ``label_diagnostics``
    history entry of :class:`LabelDiagnostics` is left out of the table (the
    callback prints its own lines). skorch colours the best values with ANSI
    escape codes; here only when the table is printed to a terminal (``sink``
    is ``print`` and standard output is a TTY) and ``NO_COLOR`` is not set, so
    a log file or another sink gets plain text.
    """

    def __init__(self, keys_ignored=("label_diagnostics",), **kwargs):
        super().__init__(keys_ignored=keys_ignored, **kwargs)

    def _colours(self) -> bool:
        return self.sink is print and is_terminal(sys.stdout) and "NO_COLOR" not in os.environ

    def format_row(self, row, key, color):
        if self._colours():
            return super().format_row(row, key, color)
        text = super().format_row(row, key, "")
        return text.replace(Ansi.ENDC.value, "") if isinstance(text, str) else text

    def on_epoch_end(self, net, **kwargs):
        if net.verbose >= 2:
            super().on_epoch_end(net, **kwargs)
