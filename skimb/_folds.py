"""``MultiLabelImbalancedClassifier.fit_folds``: every fold (and the refit) in one pass.

The torch side of the fold protocol that :class:`skimb.ThresholdOptimizer`
speaks (see :meth:`MultiLabelImbalancedClassifier.fit_folds
<skimb.MultiLabelImbalancedClassifier.fit_folds>`): the classifier builds one
clone per fold (and one for the refit) exactly as their own ``fit`` would
(same validation, statistics, loss, seed and initial weights), trains them
together with :class:`skimb._stacking.StackedModels`, and hands back fitted
clones. Configurations that the stacked loop does not reproduce are named by
:func:`why_not_stacked`; the caller then fits the folds one by one.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import clone
from sklearn.utils import _safe_indexing
from skorch.dataset import Dataset
from skorch.history import History

from ._batching import ArrayBatchIterator
from ._stacking import NonFiniteLoss, NotStackable, StackedModels
from ._threads import resolve_num_threads, torch_threads
from .exceptions import TrainingDivergedError, divergence_message

__all__ = ["STACKABLE_OPTIMIZERS", "fit_folds", "why_not_stacked"]

#: Optimizers that update each parameter tensor from its own gradient and state
#: (and skip tensors without a gradient), so one of them over several models'
#: parameters acts as one per model. LBFGS (a line search over all parameters)
#: and SparseAdam (sparse gradients) are not among them.
STACKABLE_OPTIMIZERS = tuple(
    getattr(torch.optim, name)
    for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adamax", "NAdam", "RAdam",
                 "Adadelta", "ASGD", "Rprop")
    if hasattr(torch.optim, name)
)
_FITTED_FROM_DATA = ("n_features_in_", "feature_names_in_", "n_labels_", "classes_",
                     "label_names_")


def why_not_stacked(clf, fit_params: dict) -> str | None:
    """Why ``clf``'s folds cannot train stacked, or None when they can.

    Parameters
    ----------
    clf : MultiLabelImbalancedClassifier
        Unfitted.
    fit_params : dict
        Parameters that would be passed to each fold's ``fit``.

    Returns
    -------
    str or None
    """
    if fit_params:
        return f"fit parameters are passed ({', '.join(sorted(fit_params))})"
    if clf.callbacks:
        return "callbacks are set (each fold runs them in its own fit)"
    if clf.train_split is not None:
        return "train_split holds out validation rows in every fit"
    if clf.iterator_train is not None or clf.get_params_for("dataset"):
        return "a custom iterator or dataset is set"
    if set(clf.get_params_for("iterator_train")) - {"batch_size", "shuffle"}:
        return "iterator_train parameters other than batch_size and shuffle are set"
    if clf.precision is not None:
        return f"precision={clf.precision!r} (mixed precision runs one model at a time)"
    if clf.compile:
        return "compile=True"
    if getattr(clf, "accelerator", None) is not None:
        return "an accelerate Accelerator is set"
    if not (isinstance(clf.optimizer, type) and issubclass(clf.optimizer, STACKABLE_OPTIMIZERS)):
        name = getattr(clf.optimizer, "__name__", repr(clf.optimizer))
        return f"the optimizer {name} is not known to update each tensor on its own"
    return None


def _say(verbose: int, message: str) -> None:
    if verbose >= 1:
        print(f"ThresholdOptimizer: {message}")


def _record(est, epochs: list[dict]) -> None:
    """A skorch History for a model trained stacked: per epoch and batch, as skorch's own."""
    history = History()
    best = np.inf
    for number, epoch in enumerate(epochs, start=1):
        history.new_epoch()
        history.record("epoch", number)
        for loss, size in zip(epoch["losses"], epoch["sizes"]):
            history.new_batch()
            history.record_batch("train_loss", loss)
            history.record_batch("train_batch_size", size)
        history.record("train_batch_count", len(epoch["losses"]))
        history.record("dur", epoch["dur"])
        if epoch["sizes"]:
            loss = float(np.average(epoch["losses"], weights=epoch["sizes"]))
            history.record("train_loss", loss)
            history.record("train_loss_best", loss < best)
            best = min(best, loss)
    est.history_ = history


def _joint_optimizer(optimizers):
    """One optimizer over the parameters of several models' optimizers of one kind.

    The j-th parameter group of every model becomes one group (the groups
    have equal hyper-parameters: the models are clones), so a step costs one
    update per group instead of one per group and model. The models'
    optimizers come from :func:`skimb._optim.build_optimizer`, fused where the
    user left the implementation unset and torch has the kernel; the joint one
    keeps that, and where the models' optimizers run torch's per-tensor Python
    loop (``foreach`` and ``fused`` unset, no fused kernel), it uses the
    multi-tensor ("foreach") implementation instead: the loop over (k + 1)
    times the tensors costs most per step (measured for AdamW on the CPU, 24
    tensors: 2.0 ms per step, foreach 1.1 ms, fused 0.4 ms).
    """
    kind = type(optimizers[0])
    first = optimizers[0].param_groups
    fused = any(g.get("fused") for g in first)
    unset = not fused and all(g.get("foreach", False) is None for g in first)
    groups = []
    for j, group_j in enumerate(first):
        group = {key: value for key, value in group_j.items() if key != "params"}
        group["params"] = [p for opt in optimizers for p in opt.param_groups[j]["params"]]
        if unset:
            group["foreach"] = True
        groups.append(group)
    return kind(groups, fused=True) if fused else kind(groups)


def fit_folds(clf, X, y, splits, *, response_method: str, refit: bool,
              return_estimators: bool, verbose: int = 0, **fit_params):
    """Fit one clone of ``clf`` per split (and one on all rows) in one stacked pass.

    See :meth:`skimb.MultiLabelImbalancedClassifier.fit_folds` for the
    protocol. Returns None (after a line at ``verbose >= 1``) when the
    configuration or the module cannot be stacked.
    """
    verbose = max(verbose, clf.verbose)  # the classifier's own progress bar setting counts too
    reason = why_not_stacked(clf, fit_params)
    if reason is None and len(splits) + refit < 2:
        reason = "there is a single model to fit"
    if reason is not None:
        _say(verbose, f"folds fitted one after the other: {reason}.")
        return None
    clf._check_skimb_params()
    template = clone(clf)
    Xv, Yv = template._check_fit_data(X, y, reset=True)
    parts = [np.asarray(train, dtype=np.int64) for train, _ in splits]
    if refit:
        parts.append(np.arange(Yv.shape[0], dtype=np.int64))

    models, generators = [], []
    for rows in parts:
        est = clone(clf)
        for name in _FITTED_FROM_DATA:
            if hasattr(template, name):
                setattr(est, name, getattr(template, name))
        est._update_statistics(Yv[rows], reset=True)
        with est._seeded():  # the same draws as est.fit: weights, then epoch permutations
            est.initialize()
            est._check_module_output(Xv[rows[:2]])
            generator = torch.Generator()
            generator.set_state(torch.get_rng_state())
        models.append(est)
        generators.append(generator)

    stack = StackedModels([e.module_ for e in models], [e.criterion_ for e in models])
    probe = Xv[:2].toarray() if hasattr(Xv, "toarray") else np.array(Xv[:2])
    try:
        stack.check(torch.from_numpy(probe).to(clf.device),
                    torch.from_numpy(np.array(Yv[:2])).to(clf.device))
    except NotStackable as exc:
        _say(verbose, f"folds fitted one after the other: the module cannot be stacked: {exc}.")
        return None

    optimizer = _joint_optimizer([est.optimizer_ for est in models])
    iterator_params = clf.get_params_for("iterator_train")
    batch_size = iterator_params.get("batch_size", clf.batch_size)
    data = ArrayBatchIterator(Dataset(Xv, Yv), batch_size=max(batch_size, 1), device=clf.device,
                              sparse_batches=models[0]._takes_sparse_batches()
                              and stack.takes_sparse_rows)
    n_params = sum(p.numel() for p in models[0].module_.parameters())
    rows_per_step = len(parts[0]) if batch_size == -1 else batch_size
    threads = resolve_num_threads(clf.num_threads, len(models) * rows_per_step * n_params)

    epochs = []
    for est, rows in zip(models, parts):  # each as its own fit would: "auto" from its rows
        est.max_epochs_ = est._epochs(len(rows))
        epochs.append(est.max_epochs_)
    bar = None
    if verbose >= 1:
        from ._progress import progress_bar

        what = f"{len(splits)} folds" + (" + refit" if refit else "")
        bar = progress_bar(max(epochs), f"{what}, stacked", "epoch")
    try:
        with torch_threads(threads), template._seeded():
            histories = stack.fit(
                optimizer, data.gather, [torch.from_numpy(r) for r in parts], generators,
                batch_size=batch_size, max_epochs=epochs,
                shuffle=iterator_params.get("shuffle", True),
                on_epoch_end=None if bar is None else (lambda _: bar.update()),
            )
    except NonFiniteLoss as exc:
        where = (" of the refit on all rows" if exc.model == len(splits)
                 else f" of the model of fold {exc.model} (folds trained stacked)")
        raise TrainingDivergedError(
            divergence_message(exc.value, exc.epoch, exc.batch, exc.n_batches, clf.lr, where)
        ) from None
    finally:
        if bar is not None:
            bar.close()

    for est, rows, history in zip(models, parts, histories):
        for group in est.optimizer_.param_groups:
            for p in group["params"]:
                if p in optimizer.state:
                    est.optimizer_.state[p] = optimizer.state[p]
        _record(est, history)
        if est.check_collapse:
            est._check_collapse(Xv[rows], Yv[rows], est._thresholds())

    results = []
    for est, (train, test) in zip(models, splits):
        Y_train = Yv[train]
        skipped = Y_train.min(axis=0) == Y_train.max(axis=0)
        scores = np.asarray(getattr(est, response_method)(_safe_indexing(X, test)),
                            dtype=np.float64)
        results.append((scores, skipped, est if return_estimators else None))
    return results, (models[-1] if refit else None)
