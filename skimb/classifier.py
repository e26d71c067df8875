"""MultiLabelImbalancedClassifier: a skorch net for imbalanced multi-label data."""

from __future__ import annotations

import contextlib
import inspect
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    Options,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import _num_samples, check_is_fitted
from skorch import NeuralNet
from skorch.callbacks import ProgressBar
from skorch.dataset import unpack_data
from skorch.utils import is_dataset, to_device, to_numpy, to_tensor
from torch.utils.data import DataLoader, Subset

from ._batching import ArrayBatchIterator, in_memory_arrays, sparse_batches_pay
from ._budget import auto_epochs
from ._input_checks import InputChecksMixin
from ._loss_setup import LossSetupMixin
from ._optim import build_optimizer, check_optimizer_params, has_sparse_gradients
from ._params import check_counts, check_fit_epochs, check_module_params
from ._sample_weight import (
    check_sample_weight,
    check_weighted_criterion,
    weighted_loss,
    with_weights,
)
from ._sparse_linear import (
    column_major_first_layer,
    row_major_parameters,
    state_in_parameter_layout,
    takes_sparse_csr,
)
from ._threads import resolve_num_threads, torch_threads
from ._torch_checks import (
    check_criterion,
    check_device,
    check_epoch_losses,
    check_module_output,
    check_train_split,
    check_unexpected_arguments,
    first_output,
)
from ._validation import check_thresholds
from .callbacks import EpochProgressBar, EpochTable
from .diagnostics import _warn_collapse, compute_pos_weight, pos_weight_clip
from .losses._registry import registered_loss, restore_registered_loss
from .model_selection import MultilabelStratifiedShuffleSplit
from .modules import MLP

__all__ = ["MultiLabelImbalancedClassifier"]

_FAST_ITERATOR_PARAMS = {"batch_size", "shuffle"}


def _device_type(device) -> str | None:
    return None if device is None else torch.device(device).type


class MultiLabelImbalancedClassifier(ClassifierMixin, InputChecksMixin, LossSetupMixin, NeuralNet):
    """A PyTorch multi-label classifier with the imbalance handled right by default.

    A skorch :class:`~skorch.NeuralNet` that trains a torch module producing one
    logit per label, with:

    * ``pos_weight = n_neg / n_pos`` per label computed once from the full training
      labels (clipped by ``max_pos_weight``; a label without positives gets a
      finite weight, never inf or NaN) and injected into the loss;
    * logits into a numerically stable loss (never sigmoid followed by BCE);
    * ``predict_proba`` returning one probability per label and ``predict``
      applying ``threshold`` (a scalar or one value per label; learn them with
      :class:`~skimb.ThresholdOptimizer`).

    Everything of skorch keeps working: callbacks, ``history``, ``module__*`` /
    ``optimizer__*`` / ``criterion__*`` routing, ``warm_start``, ``partial_fit``.

    Parameters
    ----------
    module : torch module class, instance, or None, default=None
        Maps a batch of X to logits of shape ``(n, n_labels)``. ``None`` builds
        :class:`skimb.modules.MLP` at fit time from the number of features and
        labels (set its sizes with ``module__hidden_units`` and
        ``module__dropout``). A module class whose ``__init__`` takes
        ``n_features`` / ``n_labels`` gets them filled in the same way. A module
        that ends in a sigmoid (or softmax) is refused: the losses expect logits.
    criterion : str, loss class or instance, default="bce"
        A name from :func:`skimb.losses.available_losses`, a loss class (its
        hyper-parameters routed as ``criterion__name=value``), or an instance used
        as given. Classes that declare training statistics (see
        :mod:`skimb.losses`) receive them computed from the full training labels.
    optimizer : torch optimizer class, default=torch.optim.AdamW
        Its keyword arguments are routed as ``optimizer__name=value``. Where
        neither ``optimizer__fused`` nor ``optimizer__foreach`` is set and the
        class has a fused kernel (Adam, AdamW, SGD, Adagrad), it is built with
        ``fused=True`` (unless the module has sparse gradients): the same
        update, up to rounding, faster than torch's default loop over the
        parameters on the CPU.
    lr : float, default=1e-3
    max_epochs : int >= 1 or "auto", default="auto"
        Epochs of each ``fit`` (and of each ``partial_fit`` call); 0 and bools
        are refused, as scikit-learn refuses ``max_iter=0`` (to build the model
        without training, call ``fit(X, y, epochs=0)``). ``"auto"``:
        20 epochs, or more where 20 epochs make fewer than 300 optimizer steps
        (small data): ``min(300, max(20, ceil(300 / batches_per_epoch)))`` with
        ``batches_per_epoch = ceil(n_rows / batch_size)``, e.g. 75 epochs for
        391 rows and 20 from 4,736 rows at the default batch size. The rows
        counted are those given to ``fit`` (a ``train_split``'s validation
        part included); each ``partial_fit`` call resolves it for its own rows,
        so many small ``partial_fit`` calls each train many epochs: give an
        int there. The number used is ``max_epochs_``. Chosen by measurement
        on real data sets (benchmarks/README.md, "Quality").
    batch_size : int, default=128
    pos_weight : {"auto", "sqrt"}, array-like of shape (n_labels,) or None, default="auto"
        Weight of each label's positive term. ``"auto"``: ``n_neg / n_pos`` clipped
        at ``max_pos_weight``. ``"sqrt"``: its square root. ``None``: unweighted.
        An array is used as given; values below 1 on rare labels trigger a
        warning, since that is the inverted ratio ``n_pos / n_neg``. Losses that
        re-weight classes themselves with their hyper-parameters (see
        :func:`skimb.losses.takes_automatic_pos_weight`; ``focal`` with its default
        ``alpha``, but not with ``criterion__alpha=None``) get it only when it is
        set explicitly (not ``"auto"``), with a warning about double weighting.
    max_pos_weight : "auto", float or None, default="auto"
        Upper clip of the automatic ratio. ``"auto"``: 30, raised for labels
        with fewer than 20 positives to ``30 * 20 / n_pos`` (at most 100), so
        that the rarest labels keep the full ratio
        (:func:`skimb.diagnostics.pos_weight_clip`); a float of at least 1: one
        clip for all labels (a bool is refused); ``None``: no clip. With
        ``sample_weight`` the counts are weighted (a row of weight 2 counts
        as two rows).
    threshold : float or array-like of shape (n_labels,), default=0.5
        Probability at or above which ``predict`` says 1.
    train_split : float, callable or None, default=None
        ``None`` trains on all rows (no silent hold-out). A float in (0, 1) holds
        out that share of the rows for validation (``valid_loss`` in the history)
        with a multi-label iterative stratification, so every label with at least
        two positives has positives on both sides (seeded by ``random_state``).
        A callable is a skorch-style split, e.g. :class:`skorch.dataset.ValidSplit`
        (which does not stratify multi-label y; ``stratified=True`` is refused
        with a ValueError pointing to the float).
    device : {"auto", "cpu", "cuda", ...}, default="auto"
        ``"auto"`` uses CUDA when it is available, else the CPU. Fitted state
        other than the module, criterion and optimizer is kept as NumPy, so a
        model trained on a GPU loads on a CPU-only machine.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout and batch shuffling (without changing
        torch's global random state). Two fits with the same integer on the CPU
        give identical ``predict_proba``.
    check_collapse : bool, default=True
        After ``fit``, predict the training rows and warn
        (:class:`~skimb.diagnostics.LabelCollapseWarning`) when labels that have
        positives are never predicted at ``threshold``: the "predicts all zeros"
        failure, named per label with its mean probability against its
        prevalence. The pass is streamed (per-label summaries only) and stops
        once every label with positives has fired. ``False`` skips the check
        and its prediction pass.
    verbose : int, default=0
        ``0`` is silent; ``1`` shows a progress bar over the epochs (tqdm, with
        the last losses); ``2`` also prints skorch's table, one line per epoch.
    num_threads : "auto", int or None, default="auto"
        Torch intra-op threads while this estimator fits and predicts; the
        process-wide setting (``torch.get_num_threads()``) is restored
        afterwards. ``"auto"`` uses one thread unless a training step is large
        (rows per batch x parameters of the module at least twice
        ``skimb._threads.MIN_WORK_PER_THREAD``), and then no more threads than
        the work fills, than the cores that are idle when the fit starts, and
        than ``torch.get_num_threads()``. Small models train many times faster
        on one thread when other processes take cores, and as fast when none
        do (``benchmarks/bench_threads.py``). An int sets the count; ``None``
        leaves torch's setting as it is. Under joblib (``ThresholdOptimizer(n_jobs=...)``,
        ``GridSearchCV(n_jobs=...)``) each worker process is limited to its
        share of the cores, and ``"auto"`` stays within it.
    precision : {None, "bf16", "fp16"}, default=None
        Mixed precision. ``None`` trains and predicts in float32. ``"bf16"`` runs
        the module's forward pass under bfloat16 autocast (CUDA or CPU).
        ``"fp16"`` uses float16 autocast with a gradient scaler (``grad_scaler_``),
        CUDA only (on a CPU, predictions of such a model run in float32). The loss
        is computed in float32 from the module's output either way. Not combined
        with skorch's ``AccelerateMixin``: set ``mixed_precision`` on the
        ``Accelerator`` there.
    iterator_train, iterator_valid : class or None, default=None
        ``None``: in-memory data (what ``fit`` and ``predict`` get after input
        validation: NumPy arrays or CSR matrices) is batched by slicing whole
        tensors (:class:`skimb._batching.ArrayBatchIterator`), with the data moved
        to the training device once; anything else goes through skorch's
        :class:`~torch.utils.data.DataLoader`. The slicing path honours
        ``batch_size`` and ``iterator_*__shuffle``; setting any other
        ``iterator_*__*`` or ``dataset*`` parameter, or passing an iterator class
        (e.g. ``torch.utils.data.DataLoader``), uses skorch's path as before.
        Both paths give the same batches under the same ``random_state``.
    **kwargs
        Any other :class:`skorch.NeuralNet` parameter (``callbacks``,
        ``warm_start``, ``compile``, ``optimizer__*``, ...).

    Attributes
    ----------
    module_, criterion_, optimizer_, history_ :
        The skorch components.
    pos_weight_ : ndarray of shape (n_labels,) or None
        The positive weight given to the loss (None when none was).
    class_counts_ : ndarray of shape (n_labels,)
        Positives per label in the training labels seen so far (int64; with
        ``sample_weight``, their weighted sum, float64 unless the weights are
        whole numbers).
    n_samples_seen_ : int or float
        Training rows seen so far (with ``sample_weight``, the sum of the weights).
    n_labels_ : int
    classes_ : list of ndarray
        ``array([0, 1])`` once per label (sklearn's multi-label convention).
    n_features_in_ : int
    grad_scaler_ : torch.amp.GradScaler or None
        The float16 gradient scaler (``precision="fp16"`` only).
    feature_names_in_ : ndarray of str
        Only when X had column names.
    label_names_ : ndarray of str
        Only when Y was a DataFrame.

    Examples
    --------
    >>> from skimb import MultiLabelImbalancedClassifier, make_long_tail_multilabel
    >>> X, Y = make_long_tail_multilabel(500, 10, 4, random_state=0)
    >>> clf = MultiLabelImbalancedClassifier(max_epochs=5, random_state=0).fit(X, Y)
    >>> clf.predict_proba(X[:3]).shape
    (3, 4)
    >>> clf.pos_weight_.round(1)  # n_neg / n_pos, clipped by max_pos_weight
    array([  2.3,  12.2,  49. , 100. ], dtype=float32)
    """

    def __init__(
        self,
        module=None,
        criterion="bce",
        optimizer=torch.optim.AdamW,
        lr: float = 1e-3,
        max_epochs: int | str = "auto",
        batch_size: int = 128,
        *,
        pos_weight="auto",
        max_pos_weight: float | str | None = "auto",
        threshold=0.5,
        train_split=None,
        device: str = "auto",
        random_state=None,
        check_collapse: bool = True,
        verbose: int = 0,
        precision: str | None = None,
        num_threads="auto",
        iterator_train=None,
        iterator_valid=None,
        **kwargs,
    ):
        super().__init__(
            module,
            criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            iterator_train=iterator_train,
            iterator_valid=iterator_valid,
            train_split=train_split,
            device=device,
            verbose=verbose,
            **kwargs,
        )
        self.pos_weight = pos_weight
        self.max_pos_weight = max_pos_weight
        self.threshold = threshold
        self.random_state = random_state
        self.precision = precision
        self.check_collapse = check_collapse
        self.num_threads = num_threads

    _skimb_constraints: ClassVar[dict] = {
        "pos_weight": [StrOptions({"auto", "sqrt"}), "array-like", None],
        "max_pos_weight": [Interval(Real, 1, None, closed="left"), StrOptions({"auto"}),
                           None],
        "threshold": [Interval(Real, 0, 1, closed="both"), "array-like"],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "max_epochs": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "batch_size": [Interval(Integral, 1, None, closed="left"), Options(Integral, {-1})],
        "random_state": ["random_state"],
        "train_split": [None, callable, Interval(Real, 0, 1, closed="neither")],
        "precision": [StrOptions({"bf16", "fp16"}), None],
        "num_threads": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left"), None],
        "check_collapse": ["boolean"],
        "verbose": ["verbose"],
    }

    def _check_skimb_params(self):
        params = {k: getattr(self, k) for k in self._skimb_constraints}
        check_counts({k: params[k] for k in ("max_epochs", "batch_size", "num_threads")},
                     type(self).__name__)
        validate_parameter_constraints(self._skimb_constraints, params, type(self).__name__)
        check_module_params(MLP if self.module is None else self.module,
                            self.get_params_for("module"))
        check_optimizer_params(self.get_params_for("optimizer"), self.optimizer)
        check_thresholds(self.threshold)
        check_device(self.__dict__.get("_device_", "auto"))
        check_train_split(self.train_split)
        check_criterion(self.criterion)
        if self.precision is None:
            return
        if getattr(self, "accelerator", None) is not None:
            raise ValueError(
                f"precision={self.precision!r} cannot be combined with accelerate: the "
                "Accelerator does the mixed precision. Leave precision=None and pass e.g. "
                "Accelerator(mixed_precision='bf16')."
            )
        if self.precision == "fp16" and _device_type(self.device) != "cuda":
            raise ValueError(
                f"precision='fp16' needs a CUDA device (float16 autocast with a gradient "
                f"scaler), but the classifier trains on {self.device!r}. Use "
                "precision='bf16' on the CPU, or precision=None."
            )

    def _validate_params(self):
        check_unexpected_arguments(self._params_to_validate)
        super()._validate_params()

    # ------------------------------------------------------------------ tags
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        tags.classifier_tags.multi_class = False
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        tags.input_tags.sparse = True
        return tags

    @property
    def _default_callbacks(self):
        # skorch's defaults, with its epoch table moved to verbose >= 2 and a
        # progress bar over the epochs at verbose >= 1.
        callbacks = [
            (name, EpochTable() if name == "print_log" else cb)
            for name, cb in super()._default_callbacks
        ]
        return [*callbacks, ("progress_bar", EpochProgressBar())]

    # ------------------------------------------------------- device handling
    # ``device`` is a property: the parameter keeps what the user asked for
    # ("auto" included), while skorch, which reads ``self.device`` to place
    # tensors, gets the resolved device.
    @property
    def device(self):
        requested = self.__dict__.get("_device_", "auto")
        if isinstance(requested, str) and requested == "auto":
            return "cuda" if torch.cuda.is_available() else "cpu"
        return requested

    @device.setter
    def device(self, value):
        self.__dict__["_device_"] = value

    def _get_param_names(self):
        return [*super()._get_param_names(), "device"]

    def get_params(self, deep=True):
        params = super().get_params(deep=deep)
        params["device"] = self.__dict__.get("_device_", "auto")
        return params

    def __getstate__(self):
        state = super().__getstate__()
        state["device"] = self.device
        # A loss registered by name in this process travels with the estimator,
        # so that joblib workers (and a later session) resolve the name too.
        state["_registered_loss_"] = registered_loss(self.criterion)
        return state

    def __setstate__(self, state):
        requested = state.get("_device_", "auto")
        restore_registered_loss(state.pop("_registered_loss_", None))
        super().__setstate__(state)
        # skorch mapped the saved device to one that exists here (cuda -> cpu).
        checked = self.__dict__.pop("device")
        auto = isinstance(requested, str) and requested == "auto"
        self.__dict__["_device_"] = "auto" if auto else checked

    def initialize_criterion(self):
        """Build the loss with the training statistics it declares.

        ``pos_weight``, ``class_counts`` and ``n_samples`` come from the full
        training labels (never from a batch); the user's ``criterion__*``
        parameters take precedence. An instance given as ``criterion`` is used as
        is.
        """
        return self._build_criterion()

    def initialize_module(self):
        """Build the module; the default MLP gets ``n_features`` and ``n_labels``."""
        kwargs = self.get_params_for("module")
        module = MLP if self.module is None else self.module
        check_module_params(module, kwargs)  # also after set_params(module__...) on a fitted one
        if not isinstance(module, torch.nn.Module):
            if not hasattr(self, "n_labels_"):
                raise ValueError(
                    "The module's size comes from the data; call fit(X, y) instead of "
                    "initialize()."
                )
            try:
                accepted = inspect.signature(module).parameters
            except (TypeError, ValueError):
                accepted = {}
            if "n_features" in accepted:
                kwargs.setdefault("n_features", self.n_features_in_)
            if "n_labels" in accepted:
                kwargs.setdefault("n_labels", self.n_labels_)
        self.module_ = self.initialized_instance(module, kwargs)
        return self

    def get_params_for(self, prefix):
        params = super().get_params_for(prefix)
        if prefix == "iterator_train":
            params.setdefault("shuffle", True)
        return params

    def get_split_datasets(self, X, y=None, **fit_params):
        """Split off the validation rows; a float ``train_split`` stratifies every label."""
        if not isinstance(self.train_split, Real):
            return super().get_split_datasets(X, y, **fit_params)
        dataset = self.get_dataset(X, y)
        cv = MultilabelStratifiedShuffleSplit(
            test_size=self.train_split, random_state=self._int_seed()
        )
        labels = y[:, : self.n_labels_]  # without the sample_weight column, if any
        idx_train, idx_valid = next(cv.split(np.empty((len(y), 0)), labels))
        return Subset(dataset, idx_train), Subset(dataset, idx_valid)

    # -------------------------------------------------------------- batching
    def get_iterator(self, dataset, training=False):
        """The batch iterator over ``dataset`` for training or for validation/prediction.

        With ``iterator_train`` / ``iterator_valid`` left at ``None``, skorch's
        own Dataset over in-memory arrays (or a subset of it, from
        ``train_split``) is batched by :class:`skimb._batching.ArrayBatchIterator`:
        whole tensors, on the training device when they fit, sliced by a shuffled
        permutation. Everything else gets the iterator class set by the user, or
        skorch's :class:`~torch.utils.data.DataLoader`.

        Parameters
        ----------
        dataset : torch Dataset
        training : bool, default=False
            Whether to use the ``iterator_train`` settings (else ``iterator_valid``).

        Returns
        -------
        iterable of batches
        """
        name = "iterator_train" if training else "iterator_valid"
        kwargs = self.get_params_for(name)
        kwargs.setdefault("batch_size", self.batch_size)
        if kwargs["batch_size"] == -1:
            kwargs["batch_size"] = len(dataset)
        iterator = getattr(self, name)
        if iterator is None:
            arrays = self._in_memory_arrays(dataset, kwargs)
            if arrays is not None:
                return ArrayBatchIterator(*arrays, device=self.device,
                                          sparse_batches=self._takes_sparse_batches(), **kwargs)
            iterator = DataLoader
        return iterator(dataset, **kwargs)

    def _takes_sparse_batches(self) -> bool:
        """Whether batches of a CSR X go to the module as torch sparse CSR tensors.

        For a module that declares it takes them (``accepts_sparse_csr``, e.g.
        :class:`~skimb.modules.MLP`), in float32 (no ``precision``), not
        compiled, on the CPU (where the first layer's column-major weight pays
        off: :meth:`fit` lays it out only then); the iterator adds: for an X with
        at most ``skimb._batching.SPARSE_BATCH_MAX_DENSITY`` of its entries stored.
        """
        module = getattr(self, "module_", None)
        return (takes_sparse_csr(module) and self.precision is None and not self.compile
                and _device_type(self.device) == "cpu")

    def load_params(self, *args, **kwargs):
        """skorch's ``load_params``; a loaded optimizer state takes its parameters' layout.

        The first layer's weight is stored column-major after a fit on sparse X
        (see :func:`skimb._sparse_linear.column_major_first_layer`), row-major
        otherwise; the state of the other kind is copied into this one's layout.
        """
        super().load_params(*args, **kwargs)
        for name in self._optimizers:
            optimizer = getattr(self, name + "_", None)
            if isinstance(optimizer, torch.optim.Optimizer):
                state_in_parameter_layout(optimizer)

    def save_params(self, f_params=None, f_optimizer=None, f_criterion=None, f_history=None,
                    use_safetensors=False, **kwargs):
        """skorch's ``save_params``; with ``use_safetensors=True`` the first layer's
        weight, column-major after a fit on sparse X, is written as a row-major
        copy (safetensors refuses non-contiguous tensors; the values are the same)."""
        with row_major_parameters(getattr(self, "module_", None) if use_safetensors else None):
            return super().save_params(f_params, f_optimizer, f_criterion, f_history,
                                       use_safetensors, **kwargs)

    def _steps_any_layout(self) -> bool:
        """Whether the optimizer updates a parameter stored column-major as one stored row-major.

        torch's per-tensor optimizers do (elementwise updates); LBFGS flattens
        gradients with ``view(-1)`` and third-party optimizers may do the same,
        so for those the first layer keeps its usual layout.
        """
        from ._folds import STACKABLE_OPTIMIZERS

        return isinstance(self.optimizer, type) and issubclass(self.optimizer, STACKABLE_OPTIMIZERS)

    def _in_memory_arrays(self, dataset, iterator_kwargs):
        """The arrays behind ``dataset`` when the slicing iterator applies, else None."""
        if set(iterator_kwargs) - _FAST_ITERATOR_PARAMS or self.get_params_for("dataset"):
            return None
        # accelerate shards batches over processes by wrapping a DataLoader.
        if self.device is None or getattr(self, "accelerator", None) is not None:
            return None
        return in_memory_arrays(dataset)

    def _record_loss_at_epoch_end(self, iterator) -> bool:
        """Keep a batch's loss on the device until the epoch ends (no sync per batch).

        On the CPU ``loss.item()`` costs no synchronisation, and a ProgressBar shows
        each batch's loss as it comes, so both record it at once.
        """
        return iterator.device.type != "cpu" and not any(
            isinstance(cb, ProgressBar) for _, cb in self.callbacks_
        )

    def _set_training(self, training=True):
        """Put every module and criterion in train (or eval) mode, as skorch does per batch.

        The recursive ``train()`` call, whose cost shows in small models' batches,
        is skipped for a component whose submodules are all in that mode already:
        the outcome is the same.
        """
        for name in self._modules + self._criteria:
            module = getattr(self, name + "_")
            if isinstance(module, torch.nn.Module) and any(
                m.training != training for m in module.modules()
            ):
                module.train(training)

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        """One epoch of training or validation, as in skorch.

        With the in-memory iterator on a GPU, each batch's loss is recorded in the
        history as a 0-d device tensor during the epoch and replaced by a float,
        all batches in one transfer, when the epoch's batches are done (before
        ``on_epoch_end``). Everything else is skorch's loop.
        """
        if not isinstance(iterator, ArrayBatchIterator):
            return super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)
        deferred = self._record_loss_at_epoch_end(iterator)
        pending = []
        batch_count = 0
        for batch in iterator:
            self.notify("on_batch_begin", batch=batch, training=training)
            step = step_fn(batch, **fit_params)
            loss = step["loss"].detach()
            if deferred:
                pending.append(loss)
            self.history.record_batch(prefix + "_loss", loss if deferred else loss.item())
            self.history.record_batch(prefix + "_batch_size", len(batch[0]))
            self.notify("on_batch_end", batch=batch, training=training, **step)
            batch_count += 1
        if pending:
            batches = self.history[-1]["batches"][-batch_count:]
            for record, value in zip(batches, torch.stack(pending).tolist()):
                record[prefix + "_loss"] = value
        self.history.record(prefix + "_batch_count", batch_count)

    def on_epoch_end(self, net, **kwargs):
        """Stop with :class:`~skimb.exceptions.TrainingDivergedError` once a loss is not finite."""
        check_epoch_losses(self)
        super().on_epoch_end(net, **kwargs)

    # ------------------------------------------------------- mixed precision
    def _autocast_dtype(self):
        if self.precision is None:
            return None
        if self.precision == "bf16":
            return torch.bfloat16
        return torch.float16 if _device_type(self.device) == "cuda" else None

    def infer(self, x, **fit_params):
        """The module's output on a batch, under autocast when ``precision`` is set.

        Floating-point outputs computed under autocast are returned as float32, so
        that the loss, ``predict_proba`` and scoring callbacks see float32.
        """
        dtype = self._autocast_dtype()
        if dtype is None:
            return super().infer(x, **fit_params)
        with torch.autocast(device_type=_device_type(self.device), dtype=dtype):
            out = super().infer(x, **fit_params)
        if isinstance(out, torch.Tensor) and out.is_floating_point():
            return out.float()
        return out

    def initialize_optimizer(self, *args, **kwargs):
        """Build the optimizer as skorch does and forget the float16 gradient scaler.

        Where neither ``optimizer__fused`` nor ``optimizer__foreach`` is set and
        the optimizer has a fused kernel (Adam, AdamW, SGD, Adagrad), it is
        built with ``fused=True``: the same update as torch's default loop over
        the parameters, up to rounding, in a fraction of its time on the CPU
        (see :mod:`skimb._optim`).
        """
        args, kwargs = self.get_params_for_optimizer("optimizer", self.get_all_learnable_params())
        self.optimizer_ = build_optimizer(self.optimizer, args, kwargs,
                                          sparse=has_sparse_gradients(self.module_))
        self.grad_scaler_ = None
        return self

    def _grad_scaler(self):
        """The float16 gradient scaler, made on first use; None unless ``precision="fp16"``."""
        if self._autocast_dtype() is not torch.float16:
            return None
        if getattr(self, "grad_scaler_", None) is None:
            self.grad_scaler_ = torch.amp.GradScaler(_device_type(self.device))
        return self.grad_scaler_

    def get_loss(self, y_pred, y_true, *args, **kwargs):
        """The criterion on the module's output; of several outputs, the first (skorch's rule).

        With ``sample_weight``, ``y_true`` carries the weights as one more
        column than the output has, and the loss is the weighted mean of the
        rows' losses (:func:`skimb._sample_weight.weighted_loss`).
        """
        y_pred = first_output(y_pred)
        if (isinstance(y_true, torch.Tensor) and y_true.ndim == 2 and y_pred.ndim == 2
                and y_true.shape[1] == y_pred.shape[1] + 1):
            return weighted_loss(self.criterion_, y_pred, to_tensor(y_true, self.device))
        return super().get_loss(y_pred, y_true, *args, **kwargs)

    def train_step_single(self, batch, **fit_params):
        """Forward, loss and backward on one batch; with float16 the loss is scaled.

        The gradients are unscaled before ``on_grad_computed``, so callbacks such
        as gradient clipping see their true values.
        """
        scaler = self._grad_scaler()
        if scaler is None:
            return super().train_step_single(batch, **fit_params)
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        y_pred = self.infer(Xi, **fit_params)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        scaler.scale(loss).backward()
        for name in self._optimizers:
            scaler.unscale_(getattr(self, name + "_"))
        return {"loss": loss, "y_pred": y_pred}

    def _step_optimizer(self, step_fn):
        scaler = self._grad_scaler()
        if scaler is None:
            return super()._step_optimizer(step_fn)
        # GradScaler takes no closure: compute the gradients, then step.
        step_fn()
        for name in self._optimizers:
            scaler.step(getattr(self, name + "_"))
        scaler.update()
        return None

    def _check_module_output(self, X):
        """Fail early, in words, when the module's output is not logits of the right shape."""
        check_module_output(self.module_, X, self.n_labels_, self.device)

    # --------------------------------------------------------------- seeding
    def _int_seed(self) -> int | None:
        """``random_state`` as an int (a RandomState instance gives one draw), or None."""
        seed = self.random_state
        if seed is None or isinstance(seed, Integral):
            return seed
        return int(check_random_state(seed).randint(np.iinfo(np.int32).max))

    @contextlib.contextmanager
    def _seeded(self, offset: int = 0):
        seed = self._int_seed()
        if seed is None:
            yield
            return
        devices = [torch.cuda.current_device()] if torch.cuda.is_available() else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed((int(seed) + offset) % (2**63))
            yield

    # -------------------------------------------------------------- training
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit the module on X and the 0/1 label matrix y.

        The class statistics (``class_counts_``, ``pos_weight_``) come from all of
        ``y`` before any internal train/validation split.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : array-like or sparse matrix of shape (n_samples, n_labels), values in {0, 1}
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Non-negative weight of each row: a row of weight 2 counts as the row
            twice, in the loss (the weighted mean of the rows' losses over each
            batch) and in the class statistics (weighted ``class_counts_``,
            ``n_samples_seen_`` and so ``pos_weight_``). Refused (ValueError)
            for batch-coupled losses (``soft_f1``, ``f1_weighted``,
            ``two_way``), whose per-row loss is not defined. A validation part
            of ``train_split`` gets a weighted ``valid_loss``.
        **fit_params : dict
            Passed to skorch (the module's ``forward`` and ``train_split``),
            except skorch's ``epochs=N``: the epochs of this call instead of
            ``max_epochs``, a whole number, where 0 builds the module, the loss
            and the class statistics without training (TypeError or ValueError
            otherwise).

        Returns
        -------
        self
        """
        self._check_skimb_params()
        X, y = self._check_fit_data(X, y, reset=True)
        w = check_sample_weight(sample_weight, X, self._criterion_class())
        thresholds = self._thresholds()
        self._update_statistics(y, reset=True, sample_weight=w)
        with self._seeded():
            if not self.warm_start or not self.initialized_:
                self.initialize()
                if (sparse_batches_pay(X) and self._takes_sparse_batches()
                        and self._steps_any_layout()):
                    column_major_first_layer(self.module_)
            else:
                self._initialize_criterion()
            if w is not None:
                check_weighted_criterion(self.criterion_)
            self._check_module_output(X)
            target = y if w is None else with_weights(y, w)
            self.max_epochs_ = self._epochs(X.shape[0], fit_params.get("epochs"))
            with self._threads(X.shape[0]):
                super().partial_fit(X, target, _routing_method="fit", **fit_params)
                if self.check_collapse:  # inside _seeded: a DataLoader draws a seed
                    self._check_collapse(X, y, thresholds)
        return self

    def _epochs(self, n_rows: int, epochs: int | None = None) -> int:
        """The epochs of a fit on ``n_rows`` rows: ``epochs`` when given (skorch's ``epochs``
        fit parameter), else ``max_epochs`` (``"auto"``: the budget rule)."""
        if epochs is not None:
            return check_fit_epochs(epochs)
        if self.max_epochs == "auto":
            batch_size = self.get_params_for("iterator_train").get("batch_size", self.batch_size)
            return auto_epochs(n_rows, batch_size)
        return self.max_epochs

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        # skorch's loop reads ``self.max_epochs``; "auto" is resolved here from the rows
        # given, and the number used is recorded
        epochs = self.max_epochs_ = self._epochs(_num_samples(X), epochs)
        return super().fit_loop(X, y, epochs=epochs, **fit_params)

    def _threads(self, n_rows: int):
        """The ``num_threads`` scope for work on batches of up to ``n_rows`` rows."""
        rows = n_rows if self.batch_size == -1 else min(self.batch_size, n_rows)
        module = getattr(self, "module_", None)
        n_params = sum(p.numel() for p in module.parameters()) if module is not None else 0
        return torch_threads(resolve_num_threads(self.num_threads, rows * n_params))

    def _check_collapse(self, X, y, thresholds):
        """Warn about labels never predicted on the training data (``check_collapse``).

        Streams the prediction batch by batch and keeps per-label summaries
        only (rows at or above the threshold, sum and maximum of the
        probabilities), so the check never holds an (n_samples, n_labels)
        array; the pass stops as soon as every label that has positives has
        been predicted at least once, which in a healthy fit is after a batch
        or two.
        """
        support = np.asarray(y.sum(axis=0)).ravel()
        waiting = torch.as_tensor(support > 0, device=self.device)
        t = torch.as_tensor(thresholds, dtype=torch.float32, device=self.device)
        nonlin = self._get_predict_nonlinearity()
        passed = total = maximum = None
        for out in self.forward_iter(X, training=False):
            proba = nonlin(first_output(out)).float()
            if passed is None:
                passed = torch.zeros(proba.shape[1], dtype=torch.int64, device=proba.device)
                total = torch.zeros(proba.shape[1], dtype=torch.float64, device=proba.device)
                maximum = torch.full((proba.shape[1],), -np.inf, device=proba.device)
            passed += (proba >= t).sum(dim=0)
            total += proba.sum(dim=0, dtype=torch.float64)
            maximum = torch.maximum(maximum, proba.amax(dim=0))
            if not bool((waiting & (passed == 0)).any()):
                return  # every label with positives fires somewhere: nothing to report
        if passed is None:
            return
        _warn_collapse(
            support, passed.cpu().numpy(), (total / y.shape[0]).cpu().numpy(),
            maximum.cpu().numpy(), y.shape[0], thresholds,
            label_names=getattr(self, "label_names_", None),
            data="the training data",
            switch_off="(This check costs one prediction pass; check_collapse=False skips it.)",
            **self._automatic_clip(), max_pos_weight=self.max_pos_weight,
        )

    def _automatic_clip(self) -> dict:
        """The unclipped ``n_neg / n_pos`` (``ratio``) and the clip of
        ``max_pos_weight`` (``clip``) per label, where ``pos_weight_`` is the
        automatic ratio and has a clip; empty otherwise."""
        if (not isinstance(self.pos_weight, str) or self.max_pos_weight is None
                or getattr(self, "pos_weight_", None) is None):
            return {}
        return {
            "ratio": compute_pos_weight(self.class_counts_, self.n_samples_seen_, "auto", None),
            "clip": pos_weight_clip(self.class_counts_, self.max_pos_weight),
        }

    def fit_folds(self, X, y, splits, *, response_method="predict_proba", refit=True,
                  return_estimators=False, verbose=0, **fit_params):
        """Fit one clone per cross-validation split, and optionally one on all rows, in one pass.

        The fold protocol of :class:`~skimb.ThresholdOptimizer`, which calls it
        (on an unfitted clone) instead of fitting the folds one by one. The
        clones are built as their own ``fit`` would build them (validation,
        class statistics and ``pos_weight`` from each one's own training rows,
        seed, initial weights) and trained together: every optimizer step
        evaluates all of them, each on a batch of its own shuffled rows, in one
        batched forward and backward pass (``torch.func.vmap`` over
        ``torch.func.functional_call``; see :mod:`skimb._stacking`). Without
        dropout the result equals the one-by-one fits up to floating-point
        rounding; with dropout the masks are drawn differently.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples, n_labels), values in {0, 1}
        splits : list of (train, test) pairs of int arrays
            Row indices of each fold's training and validation part.
        response_method : {"predict_proba", "decision_function"}, default="predict_proba"
            What the out-of-fold scores are.
        refit : bool, default=True
            Also fit a clone on all rows, in the same pass.
        return_estimators : bool, default=False
            Return the fitted fold clones too.
        verbose : int, default=0
            ``>= 1``: a progress bar over the epochs, or a line saying why the
            folds must be fitted one by one.
        **fit_params : dict
            Fit parameters; any makes the method decline (return None).

        Returns
        -------
        (folds, refitted) or None
            ``folds``: one ``(scores, skipped, estimator)`` per split, with
            ``scores`` the float64 ``(len(test), n_labels)`` out-of-fold scores,
            ``skipped`` a bool ``(n_labels,)`` array of the labels with a single
            class in that training part, and ``estimator`` the fitted clone or
            None. ``refitted``: the clone fitted on all rows, or None. None
            when this configuration cannot be trained stacked (callbacks, a
            ``train_split``, mixed precision, ``compile``, a custom iterator,
            fit parameters, an optimizer other than torch's per-tensor ones, or
            a module that ``vmap`` cannot run or whose buffers change in
            training, e.g. batch normalisation); the caller then fits the
            clones one by one.
        """
        from ._folds import fit_folds  # the stacked loop is needed by this path only

        return fit_folds(
            self, X, y, splits, response_method=response_method, refit=refit,
            return_estimators=return_estimators, verbose=verbose, **fit_params,
        )

    def partial_fit(self, X, y, classes=None, sample_weight=None, **fit_params):
        """Continue training on a new batch of rows.

        ``class_counts_`` and ``n_samples_seen_`` accumulate over the calls, and the
        loss is rebuilt from the cumulative statistics, so ``pos_weight_`` (when
        ``"auto"`` or ``"sqrt"``) tracks the ratio of all rows seen so far. A loss
        with trainable parameters is kept as it is instead.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples, n_labels)
        classes : ignored
            Present for scikit-learn compatibility.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Row weights, as in :meth:`fit`; the statistics accumulate weighted.
        **fit_params : dict
            As in :meth:`fit` (``epochs=N``: the epochs of this call; 0 updates
            the statistics and the loss without training).

        Returns
        -------
        self
        """
        self._check_skimb_params()
        first = not self.initialized_
        X, y = self._check_fit_data(X, y, reset=first)
        w = check_sample_weight(sample_weight, X, self._criterion_class())
        self._update_statistics(y, reset=first, sample_weight=w)
        offset = 0 if first else self.n_samples_seen_
        with self._seeded(offset):
            if first:
                self.initialize()
            elif not any(p.requires_grad for p in self.criterion_.parameters()):
                self.initialize_criterion()
                self.criterion_ = to_device(self.criterion_, self.device)
            if w is not None:
                check_weighted_criterion(self.criterion_)
            self._check_module_output(X)
            target = y if w is None else with_weights(y, w)
            self.max_epochs_ = self._epochs(X.shape[0], fit_params.get("epochs"))
            with self._threads(X.shape[0]):
                super().partial_fit(X, target, **fit_params)
        return self

    # ------------------------------------------------------------ prediction
    def _get_predict_nonlinearity(self):
        if self.predict_nonlinearity == "auto":
            return torch.sigmoid
        return super()._get_predict_nonlinearity()

    def predict_proba(self, X):
        """Probability of each label, ``sigmoid(logit)``.

        With ``pos_weight`` (``"auto"``, the default) these are scores, not
        probabilities: the loss counts each positive ``pos_weight`` times, so
        the odds of a label come out multiplied by roughly its ``pos_weight``
        (``n_neg / n_pos``) and a rare label's values sit far above its
        frequency. That suits thresholds learned on them; for probabilities,
        wrap the classifier in ``ThresholdOptimizer(calibration="sigmoid")``
        (per-label calibration on out-of-fold scores), or train with
        ``pos_weight=None``.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features), or torch Dataset
            A Dataset (skorch's scoring callbacks pass one) is given to the module
            without validation.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_labels), float32
        """
        check_is_fitted(self, "n_labels_")
        X = self._check_X_or_dataset(X)
        with self._threads(len(X) if is_dataset(X) else X.shape[0]):
            proba = super().predict_proba(X)
        if proba.ndim != 2 or proba.shape[1] != self.n_labels_:
            raise ValueError(
                f"The module produced an output of shape {proba.shape}, but the classifier "
                f"was fitted with {self.n_labels_} labels."
            )
        return proba.astype(np.float32, copy=False)

    def _thresholds(self) -> np.ndarray:
        t = np.asarray(self.threshold, dtype=np.float64)
        if t.ndim == 0:
            t = np.full(self.n_labels_, float(t))
        if t.shape != (self.n_labels_,):
            raise ValueError(
                f"threshold has {t.size} values but the classifier has {self.n_labels_} "
                "labels; give a scalar or one threshold per label."
            )
        return t

    def predict(self, X):
        """0/1 predictions: 1 where the probability is at least ``threshold``.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples, n_labels), int64
        """
        check_is_fitted(self, "n_labels_")
        thresholds = self._thresholds()
        return (self.predict_proba(X) >= thresholds).astype(np.int64)

    def decision_function(self, X):
        """Raw logits of the module, shape ``(n_samples, n_labels)``, float32."""
        check_is_fitted(self, "n_labels_")
        X = self._check_X_or_dataset(X)
        with self._threads(len(X) if is_dataset(X) else X.shape[0]):
            logits = first_output(self.forward(X, training=False, device="cpu"))
        return to_numpy(logits).astype(np.float32)

