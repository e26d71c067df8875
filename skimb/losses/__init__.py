"""Multi-label losses on logits, and the registry that names them.

Every loss is a ``torch.nn.Module`` called as ``loss(logits, targets)`` with
``logits`` of shape ``(n, n_labels)`` and ``targets`` of the same shape in {0, 1}.
Each class declares, in ``statistics``, which training-set statistics it takes as
constructor arguments; :class:`~skimb.MultiLabelImbalancedClassifier` computes them
once from the full training labels and passes exactly those:

``"pos_weight"``
    ``n_neg / n_pos`` per label (clipped), as chosen by the classifier's
    ``pos_weight`` parameter.
``"class_counts"``
    number of positives per label in the training data.
``"n_samples"``
    number of training rows.

A loss that corrects class imbalance with weights of its own sets
``balances_classes = True``: the classifier then does not inject the automatic
``pos_weight`` into it, because two weightings stacked over-correct. A user who
passes ``pos_weight`` to such a loss explicitly gets a
:class:`DoubleWeightingWarning` (see :func:`check_double_weighting`).
:func:`takes_automatic_pos_weight` refines ``balances_classes`` for given
hyper-parameters (focal with ``alpha=None`` weights no classes itself).

=========================  =================================  ====================================
name                       class                              statistics
=========================  =================================  ====================================
``bce``                    :class:`BCELoss`                   pos_weight
``focal``                  :class:`FocalLoss`                 pos_weight*
``asymmetric``             :class:`AsymmetricLoss`            pos_weight*
``class_balanced``         :class:`ClassBalancedLoss`         class_counts, pos_weight*
``distribution_balanced``  :class:`DistributionBalancedLoss`  class_counts, n_samples, pos_weight*
``logit_adjusted``         :class:`LogitAdjustedLoss`         class_counts, n_samples, pos_weight*
``ldam``                   :class:`LDAMLoss`                  class_counts, pos_weight*
``f1_weighted``            :class:`F1WeightedLoss`            pos_weight*
``soft_f1``                :class:`SoftF1Loss`                (none)
``zlpr``                   :class:`ZLPRLoss`                  (none)
``two_way``                :class:`TwoWayLoss`                (none)
=========================  =================================  ====================================

``pos_weight*``: with the default hyper-parameters the loss weights classes
itself, so it gets ``pos_weight`` only when the user passes one (and a
:class:`DoubleWeightingWarning`), or when its hyper-parameters switch its own
weighting off (``takes_automatic_pos_weight``, e.g. focal with ``alpha=None``).

Losses with ``batch_coupled = True`` (``f1_weighted``, ``soft_f1``, ``two_way``)
compute their loss from the whole batch, so they do not decompose per row.
"""

from ._base import MultiLabelLoss
from ._bce import BCELoss
from ._f1 import F1WeightedLoss, SoftF1Loss
from ._focusing import AsymmetricLoss, FocalLoss
from ._margins import LDAMLoss, LogitAdjustedLoss
from ._ranking import TwoWayLoss, ZLPRLoss
from ._registry import available_losses, get_loss, register_loss
from ._reweighting import ClassBalancedLoss, DistributionBalancedLoss
from ._weighting import (
    DoubleWeightingWarning,
    check_double_weighting,
    takes_automatic_pos_weight,
)

__all__ = [
    "AsymmetricLoss",
    "BCELoss",
    "ClassBalancedLoss",
    "DistributionBalancedLoss",
    "DoubleWeightingWarning",
    "F1WeightedLoss",
    "FocalLoss",
    "LDAMLoss",
    "LogitAdjustedLoss",
    "MultiLabelLoss",
    "SoftF1Loss",
    "TwoWayLoss",
    "ZLPRLoss",
    "available_losses",
    "check_double_weighting",
    "get_loss",
    "register_loss",
    "takes_automatic_pos_weight",
]

for _name, _cls in {
    "bce": BCELoss,
    "focal": FocalLoss,
    "asymmetric": AsymmetricLoss,
    "class_balanced": ClassBalancedLoss,
    "distribution_balanced": DistributionBalancedLoss,
    "logit_adjusted": LogitAdjustedLoss,
    "ldam": LDAMLoss,
    "f1_weighted": F1WeightedLoss,
    "soft_f1": SoftF1Loss,
    "zlpr": ZLPRLoss,
    "two_way": TwoWayLoss,
}.items():
    register_loss(_name, _cls)
del _name, _cls
