"""Checks of the classifier's configuration and training, answered in words.

The torch side of skimb's input validation: what
:class:`~skimb.MultiLabelImbalancedClassifier` verifies before training (the
loss, the device) and while training (a loss that is no longer finite).
"""

from __future__ import annotations

import math

from .exceptions import TrainingDivergedError, divergence_message

__all__ = ["check_epoch_losses"]


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
