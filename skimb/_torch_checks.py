"""Checks of the classifier's configuration and training, answered in words.

The torch side of skimb's input validation: what
:class:`~skimb.MultiLabelImbalancedClassifier` verifies before training (the
loss, the device) and while training (a loss that is no longer finite).
"""

from __future__ import annotations

import inspect
import math
import warnings

import scipy.sparse as sp
import torch
from skorch.utils import to_tensor

from ._stacklevel import user_stacklevel
from .exceptions import TrainingDivergedError, divergence_message

__all__ = [
    "check_criterion",
    "check_criterion_params",
    "check_device",
    "check_epoch_losses",
    "check_module_output",
    "check_train_split",
    "check_unexpected_arguments",
    "first_output",
]


def check_epoch_losses(net) -> None:
    """Raise :class:`TrainingDivergedError` when a batch loss of the last epoch is not finite.

    Reads the batch losses skorch recorded in ``net.history`` for the epoch
    that just ended (floats by then: skimb's iterator converts a GPU epoch's
    losses in one transfer at its end), so the check costs no device
    synchronisation per batch.
    """
    epoch = net.history[-1]
    batches = epoch.get("batches", [])
    for key in ("train_loss", "valid_loss"):
        values = [b[key] for b in batches if key in b]
        for i, value in enumerate(values):
            value = float(value)
            if not math.isfinite(value):
                where = "" if key == "train_loss" else " (on the validation rows)"
                raise TrainingDivergedError(
                    divergence_message(value, epoch.get("epoch", len(net.history)), i + 1,
                                       len(values), net.lr, where)
                )


# ---------------------------------------------------------------- arguments
#: Arguments of other estimators that users pass to the classifier, and where
#: the same thing lives in skimb.
_ELSEWHERE = {
    "class_weight": "class weights are pos_weight here: pos_weight='auto' (n_neg / n_pos per "
                    "label, the default), 'sqrt', or an array of one weight per label",
    "n_jobs": "the classifier trains one model in one process (set num_threads for torch's "
              "threads); fit the folds in parallel with ThresholdOptimizer(..., n_jobs=...) "
              "or GridSearchCV(..., n_jobs=...)",
    "sample_weights": "the fit parameter is sample_weight: fit(X, y, sample_weight=w)",
}


def check_unexpected_arguments(names) -> None:
    """Raise a ValueError naming skimb's equivalent of a known foreign argument."""
    known = [name for name in sorted(names) if name in _ELSEWHERE]
    if known:
        raise ValueError(
            "MultiLabelImbalancedClassifier got unexpected argument(s) "
            f"{', '.join(known)}: " + "; ".join(f"{n}: {_ELSEWHERE[n]}" for n in known) + "."
        )


# --------------------------------------------------------------------- loss
def _loss_class(criterion):
    return criterion if isinstance(criterion, type) else type(criterion)


def check_criterion(criterion) -> None:
    """Refuse losses that expect probabilities; warn about single-label losses.

    Raises
    ------
    ValueError
        For ``torch.nn.BCELoss`` (class or instance), which expects sigmoid
        outputs where skimb's modules give logits.

    Warns
    -----
    UserWarning
        For ``torch.nn.CrossEntropyLoss`` and ``NLLLoss``: they treat the label
        matrix as one distribution over classes per row (labels competing),
        which is multi-class, not multi-label.
    """
    cls = _loss_class(criterion)
    if not isinstance(cls, type):
        return
    if issubclass(cls, torch.nn.BCELoss):
        raise ValueError(
            f"criterion={cls.__name__} expects probabilities (the output of a sigmoid), but "
            "the module's outputs are logits, and a sigmoid followed by BCELoss loses "
            "precision for confident mistakes. Use criterion='bce' (BCEWithLogitsLoss with "
            "pos_weight from the training labels), or torch.nn.BCEWithLogitsLoss."
        )
    if issubclass(cls, (torch.nn.CrossEntropyLoss, torch.nn.NLLLoss)):
        warnings.warn(
            f"criterion={cls.__name__} is a multi-class loss: it makes the labels of a row "
            "compete (a softmax over them), so on a 0/1 label matrix it does not learn each "
            "label on its own and ignores pos_weight. For multi-label data use "
            "criterion='bce' or another name from skimb.losses.available_losses().",
            UserWarning,
            stacklevel=user_stacklevel(),
        )


def check_criterion_params(cls, user_params) -> None:
    """Refuse ``criterion__*`` names the loss class does not take, before it is built.

    Raises
    ------
    ValueError
        Naming the first unknown parameter and the ones the loss takes; for
        ``weight`` on a loss without one (skimb's), it explains that an element
        weight on top of ``pos_weight`` is double weighting.
    """
    try:
        accepted = inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values()):
        return
    unknown = sorted(set(user_params) - set(accepted))
    if not unknown:
        return
    name = getattr(cls, "__name__", repr(cls))
    message = (
        f"criterion__{unknown[0]} is not a parameter of the loss {name}, which takes "
        f"{', '.join(sorted(accepted)) or 'no parameters'}."
    )
    if "weight" in unknown:
        message += (
            " skimb's losses weight each label's positives with pos_weight (set on the "
            "classifier, 'auto' by default); an element weight on top of it stacks two "
            "weightings, a classic cause of a model that predicts all zeros. Drop "
            "criterion__weight (or pass per-row weights as fit(..., sample_weight=...))."
        )
    raise ValueError(message)


# ------------------------------------------------------------------- device
def _available(kind: str, index: int | None) -> tuple[bool, int | None]:
    backend = getattr(torch, kind, None)
    if kind == "mps":
        return torch.backends.mps.is_available(), None
    if backend is None or not hasattr(backend, "is_available"):
        return True, None  # a device type torch knows but that we cannot query
    if not backend.is_available():
        return False, 0
    count = backend.device_count() if hasattr(backend, "device_count") else None
    return index is None or count is None or index < count, count


def check_device(requested) -> None:
    """Raise a ValueError when ``device`` names no device of this machine.

    ``"auto"`` and ``None`` (skorch's "leave the module where it is") pass.
    """
    if requested is None or (isinstance(requested, str) and requested == "auto"):
        return
    try:
        device = torch.device(requested)
    except (RuntimeError, TypeError, ValueError):
        raise ValueError(
            f"device={requested!r} is not a torch device. Use device='auto' (CUDA when "
            "available, else the CPU), 'cpu', 'cuda' or 'cuda:N'."
        ) from None
    if device.type in ("cpu", "meta"):
        return
    ok, count = _available(device.type, device.index)
    if not ok:
        have = (f"this machine has {count} {device.type} device(s)" if count
                else f"{device.type} is not available on this machine")
        raise ValueError(
            f"device={requested!r}, but {have}. Use device='auto' (CUDA when available, "
            "else the CPU); a model fitted on a GPU loads and predicts on a CPU-only machine."
        )


# -------------------------------------------------------------- train split
def check_train_split(train_split) -> None:
    """Refuse skorch's ``ValidSplit(stratified=True)``, which cannot stratify a label matrix."""
    from skorch.dataset import ValidSplit

    if isinstance(train_split, ValidSplit) and train_split.stratified:
        raise ValueError(
            "train_split=ValidSplit(..., stratified=True) stratifies one class per row and "
            "cannot stratify a label matrix. Use a float, e.g. train_split=0.2: a "
            "multi-label stratified hold-out where every label with at least two positives "
            "has positives on both sides."
        )


# ------------------------------------------------------------------ outputs
def first_output(out):
    """skorch's convention: of a module returning several outputs, the first is the prediction."""
    return out[0] if isinstance(out, (tuple, list)) else out


_NOT_LOGITS = {"SigmoidBackward0": "sigmoid", "SoftmaxBackward0": "softmax"}


def check_module_output(module: torch.nn.Module, X, n_labels: int, device) -> None:
    """Raise ValueError, in words, unless the module maps X's rows to logits ``(n, n_labels)``.

    Runs the module (as written: not compiled, for a readable autograd graph)
    in eval mode on ``X[:2]`` (an array or CSR matrix, densified) and refuses
    an error on that batch, a final sigmoid or softmax, and a wrong shape.
    """
    rows = X[:2]
    if sp.issparse(rows):
        rows = rows.toarray()
    # The module as written: not compiled (no compilation for this one shape,
    # and a readable autograd graph), in float32.
    module = getattr(module, "_orig_mod", module)
    training = module.training
    module.eval()
    try:
        with torch.enable_grad():
            out = module(to_tensor(torch.tensor(rows), device=device))
    except Exception as exc:
        raise ValueError(
            f"The module failed on a batch of X with {rows.shape[1]} features: "
            f"{type(exc).__name__}: {exc}. Check that its input size matches X."
        ) from exc
    finally:
        module.train(training)
    if isinstance(out, (tuple, list)):
        out = out[0]
    kind = _NOT_LOGITS.get(type(out.grad_fn).__name__) if out.grad_fn else None
    if kind == "softmax":
        raise ValueError(
            "The module ends in a softmax, which makes the labels of a row compete (its "
            "outputs sum to 1): that is multi-class, not multi-label, and skimb's losses "
            "expect raw logits, one independent score per label. Remove the final "
            "softmax; the loss applies a sigmoid per label in a stable form and "
            "predict_proba applies it to the outputs."
        )
    if kind:
        raise ValueError(
            "The module ends in a sigmoid, but skimb's losses expect raw logits: "
            "sigmoid followed by a log in the loss loses precision (log(sigmoid(z)) "
            "rounds to log(0) for confident mistakes, and the gradient of a badly wrong "
            "positive vanishes), which is how a model ends up predicting all zeros. "
            "Remove the final sigmoid; the loss applies it in a stable form and "
            "predict_proba applies it to the outputs."
        )
    if out.ndim != 2 or out.shape[1] != n_labels:
        raise ValueError(
            f"The module outputs shape {tuple(out.shape)} for {rows.shape[0]} rows, but y "
            f"has {n_labels} labels; its output must be (n_rows, {n_labels})."
        )

