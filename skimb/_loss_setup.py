"""The classifier's loss set-up: class statistics from the labels, and the loss built from them.

:class:`LossSetupMixin` holds what :class:`~skimb.MultiLabelImbalancedClassifier`
does to turn its ``criterion``, ``pos_weight`` and ``max_pos_weight``
parameters and the training labels into ``criterion_``: the weighted class
counts (``class_counts_``, ``n_samples_seen_``), which statistics the loss
declares it takes, the ``pos_weight`` to inject (``n_neg / n_pos`` per label,
from all training rows, never from a batch) and the warnings for double
weighting. The classifier's public ``initialize_criterion`` calls
:meth:`LossSetupMixin._build_criterion`.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import torch

from ._sample_weight import as_loss_n_samples, weighted_statistics
from ._stacklevel import user_stacklevel
from ._torch_checks import check_criterion_params
from .diagnostics import check_pos_weight, compute_pos_weight
from .losses import MultiLabelLoss, get_loss, takes_automatic_pos_weight
from .losses._weighting import check_double_weighting, instance_params

__all__ = ["LossSetupMixin"]


class LossSetupMixin:
    """The loss set-up of :class:`~skimb.MultiLabelImbalancedClassifier` (private methods)."""

    def _update_statistics(self, y, *, reset: bool, sample_weight=None) -> None:
        """Count positives per label and rows (weighted), afresh or on top of earlier calls."""
        counts, n = weighted_statistics(y, sample_weight)
        if reset:
            self.class_counts_, self.n_samples_seen_ = counts, n
        else:
            self.class_counts_ = self.class_counts_ + counts
            self.n_samples_seen_ += n

    def _criterion_class(self):
        criterion = self.criterion
        if isinstance(criterion, str):
            return get_loss(criterion)
        if isinstance(criterion, torch.nn.Module):
            return type(criterion)
        return criterion

    @staticmethod
    def _is_skimb_loss(cls) -> bool:
        return isinstance(cls, type) and issubclass(cls, MultiLabelLoss)

    def _criterion_accepts(self, cls, name: str) -> bool:
        if self._is_skimb_loss(cls):
            return name in cls.statistics
        try:
            return name in inspect.signature(cls).parameters
        except (TypeError, ValueError):
            return False

    def _pos_weight_for_loss(self, cls, user_params):
        """The pos_weight to inject into the loss, or None."""
        if self.pos_weight is None or "pos_weight" in user_params:
            return None
        explicit = not (isinstance(self.pos_weight, str) and self.pos_weight == "auto")
        if not self._criterion_accepts(cls, "pos_weight"):
            if explicit:
                warnings.warn(
                    f"pos_weight={self.pos_weight!r} is ignored: the loss "
                    f"{getattr(cls, '__name__', cls)} takes no pos_weight.",
                    UserWarning,
                    stacklevel=user_stacklevel(),
                )
            return None
        ours = self._is_skimb_loss(cls)
        if ours:  # whether a skimb loss weights classes itself depends on its parameters
            balances = not takes_automatic_pos_weight(cls, user_params)
        else:
            balances = getattr(cls, "balances_classes", False)
        if balances and not explicit:
            return None
        if isinstance(self.pos_weight, str):  # "auto" or "sqrt" (_skimb_constraints)
            w = compute_pos_weight(
                self.class_counts_, self.n_samples_seen_, self.pos_weight, self.max_pos_weight
            )
        else:
            w = check_pos_weight(
                self.pos_weight,
                self.class_counts_,
                self.n_samples_seen_,
                getattr(self, "label_names_", None),
            )
        if balances and not ours:  # skimb's losses warn when built (DoubleWeightingWarning)
            warnings.warn(
                f"The loss {cls.__name__} already re-weights classes; adding pos_weight on "
                "top of it over-corrects (double weighting). Leave pos_weight='auto' to let "
                "the loss weight classes alone.",
                UserWarning,
                stacklevel=user_stacklevel(),
            )
        if "weight" in user_params:
            warnings.warn(
                "Both pos_weight and criterion__weight are set: the two weightings stack "
                "(double weighting), a classic cause of a model that predicts all zeros. "
                "Keep one of them.",
                UserWarning,
                stacklevel=user_stacklevel(),
            )
        return w

    def _build_criterion(self):
        """Build ``criterion_`` (see ``initialize_criterion``)."""
        user_params = self.get_params_for("criterion")
        criterion = self.criterion
        if isinstance(criterion, torch.nn.Module) and not user_params:
            self._check_loss_instance(criterion)
            self.pos_weight_ = None
            self.criterion_ = criterion
            return self
        if not hasattr(self, "class_counts_"):
            raise ValueError(
                "The criterion needs the training labels' statistics; call fit(X, y) "
                "instead of initialize()."
            )
        cls = self._criterion_class()
        kwargs = {}
        w = self._pos_weight_for_loss(cls, user_params)
        if w is not None:
            kwargs["pos_weight"] = w if self._is_skimb_loss(cls) else torch.as_tensor(w)
        self.pos_weight_ = w
        if self._criterion_accepts(cls, "class_counts"):
            kwargs["class_counts"] = self.class_counts_.copy()
        if self._criterion_accepts(cls, "n_samples"):
            kwargs["n_samples"] = as_loss_n_samples(self.n_samples_seen_, self.class_counts_)
        check_criterion_params(cls, user_params)
        kwargs.update(user_params)
        self.criterion_ = cls(**kwargs)
        return self

    def _check_loss_instance(self, criterion):
        """The warnings an instance's own pos_weight and weight deserve, as for parameters."""
        own = instance_params(criterion)
        if own.get("pos_weight") is not None and hasattr(self, "class_counts_"):
            w = np.asarray(own["pos_weight"], dtype=np.float64).reshape(-1)
            if w.size == self.class_counts_.size:
                check_pos_weight(w, self.class_counts_, self.n_samples_seen_,
                                 getattr(self, "label_names_", None))
        message = check_double_weighting(criterion)
        if message is not None:
            warnings.warn(message, UserWarning, stacklevel=user_stacklevel())
