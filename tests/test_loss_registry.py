"""The loss registry, the declared contract of each loss, the double-weighting
check and input validation (the docstring examples run through --doctest-modules)."""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest
import torch

from skimb.losses import (
    BCELoss,
    DoubleWeightingWarning,
    FocalLoss,
    MultiLabelLoss,
    _registry,
    available_losses,
    check_double_weighting,
    get_loss,
    register_loss,
    takes_automatic_pos_weight,
)
from skimb.losses._base import STATISTICS

BUILTIN = [
    "asymmetric", "bce", "class_balanced", "distribution_balanced", "f1_weighted",
    "focal", "ldam", "logit_adjusted", "soft_f1", "two_way", "zlpr",
]
COUNTS = np.array([30, 5, 0, 100])
STATS = {
    "class_counts": COUNTS,
    "n_samples": 100,
    "pos_weight": np.array([2.33, 19.0, 100.0, 0.0], dtype=np.float32),
}


def inject(cls, explicit_pos_weight: bool = False) -> dict:
    """The statistics the classifier passes to ``cls`` (its documented contract)."""
    return {
        k: STATS[k]
        for k in cls.statistics
        if k != "pos_weight" or explicit_pos_weight or not cls.balances_classes
    }


@pytest.fixture
def private_registry(monkeypatch):
    monkeypatch.setattr(_registry, "_REGISTRY", dict(_registry._REGISTRY))


def test_available_losses_lists_the_builtin_names():
    assert set(BUILTIN) <= set(available_losses())
    assert available_losses() == sorted(available_losses())


@pytest.mark.parametrize("name", BUILTIN)
def test_builtin_loss_declares_its_contract(name):
    cls = get_loss(name)
    assert issubclass(cls, MultiLabelLoss)
    assert cls.statistics <= STATISTICS
    doc = cls.__doc__
    assert "Source:" in doc and "Examples" in doc
    assert ("Batch-coupled" in doc) == cls.batch_coupled
    if not cls.calibrated:
        assert "calibrated" in doc
    # built as the classifier builds it: no warning, and a usable loss
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = cls(**inject(cls))
    value = loss(torch.zeros(3, 4), torch.tensor([[1.0, 0, 0, 1], [0, 1, 0, 1], [0, 0, 0, 0]]))
    assert value.ndim == 0 and torch.isfinite(value)


@pytest.mark.parametrize("name", ["zlpr", "two_way"])
def test_uncalibrated_ranking_losses_point_to_threshold_optimizer(name):
    cls = get_loss(name)
    assert not cls.calibrated
    assert "not** a" in cls.__doc__ and "ThresholdOptimizer" in cls.__doc__


def test_statistics_declared_as_the_issue_says():
    assert get_loss("bce").statistics == {"pos_weight"}
    assert {"class_counts", "n_samples"} <= get_loss("logit_adjusted").statistics
    assert {"class_counts", "n_samples"} <= get_loss("distribution_balanced").statistics
    assert "class_counts" in get_loss("class_balanced").statistics
    assert "class_counts" in get_loss("ldam").statistics
    for name in ("soft_f1", "zlpr", "two_way"):
        assert get_loss(name).statistics == frozenset()
    # losses with their own class weighting do not get the automatic pos_weight
    for name in BUILTIN:
        cls = get_loss(name)
        if name != "bce" and "pos_weight" in cls.statistics:
            assert cls.balances_classes, name


def test_get_loss_unknown_name_lists_the_names():
    with pytest.raises(ValueError, match=r"Unknown loss 'fcoal'.*'focal'.*register_loss"):
        get_loss("fcoal")


def test_register_a_user_loss(private_registry):
    class Squared(MultiLabelLoss):
        def forward(self, logits, targets):
            z, y = self._prepare(logits, targets)
            return self._reduce((torch.sigmoid(z) - y) ** 2)

    register_loss("squared", Squared)
    assert "squared" in available_losses() and get_loss("squared") is Squared
    register_loss("squared", Squared)  # the same class again is fine
    with pytest.raises(ValueError, match="overwrite=True"):
        register_loss("squared", BCELoss)
    register_loss("squared", BCELoss, overwrite=True)
    assert get_loss("squared") is BCELoss


def test_register_loss_rejects_bad_input(private_registry):
    with pytest.raises(TypeError, match=r"torch\.nn\.Module subclass"):
        register_loss("f", lambda z, y: z)
    with pytest.raises(TypeError, match="non-empty string"):
        register_loss("", BCELoss)

    class Odd(MultiLabelLoss):
        statistics = frozenset({"class_prior"})

    with pytest.raises(ValueError, match=r"unknown statistics \['class_prior'\]"):
        register_loss("odd", Odd)


# -- double weighting ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("loss", "params", "fires"),
    [
        ("bce", {"pos_weight": [2.0]}, False),
        ("focal", {"pos_weight": [2.0]}, True),  # default alpha=0.25
        ("focal", {"pos_weight": [2.0], "alpha": None}, False),
        ("focal", {"alpha": 0.25}, False),  # no pos_weight, one weighting
        ("asymmetric", {"pos_weight": [2.0]}, True),
        ("asymmetric", {"pos_weight": [2.0], "gamma_neg": 1.0, "clip": 0.0}, False),
        ("class_balanced", {"pos_weight": [2.0]}, True),
        ("class_balanced", {"pos_weight": [2.0], "beta": 0.0}, False),
        ("distribution_balanced", {"pos_weight": [2.0]}, True),
        ("logit_adjusted", {"pos_weight": [2.0]}, True),
        ("logit_adjusted", {"pos_weight": [2.0], "tau": 0.0}, False),
        ("ldam", {"pos_weight": [2.0]}, True),
        ("ldam", {"pos_weight": [2.0], "max_margin": 0.0}, False),
        ("f1_weighted", {"pos_weight": [2.0]}, True),
        (torch.nn.BCEWithLogitsLoss, {"pos_weight": torch.ones(2), "weight": torch.ones(2)},
         True),
        (torch.nn.BCEWithLogitsLoss, {"pos_weight": torch.ones(2)}, False),
    ],
)
def test_check_double_weighting(loss, params, fires):
    message = check_double_weighting(loss, params)
    assert (message is not None) == fires
    if fires:
        assert "pos_weight" in message and "Keep one" in message


def test_double_weighting_message_names_both_weightings_and_the_fix():
    message = check_double_weighting(FocalLoss, {"pos_weight": np.ones(3)})
    assert "alpha=0.25" in message and "alpha=None" in message
    message = check_double_weighting(
        torch.nn.BCEWithLogitsLoss(pos_weight=torch.ones(2), weight=torch.ones(2)),
        {"pos_weight": torch.ones(2), "weight": torch.ones(2)},
    )
    assert "element-wise `weight`" in message


@pytest.mark.parametrize("name", BUILTIN)
def test_automatic_pos_weight_follows_balances_classes_at_the_defaults(name):
    cls = get_loss(name)
    expected = "pos_weight" in cls.statistics and not cls.balances_classes
    assert takes_automatic_pos_weight(name) == expected
    assert takes_automatic_pos_weight(cls) == expected


@pytest.mark.parametrize(
    ("name", "params", "takes"),
    [
        ("focal", {"alpha": None}, True),
        ("focal", {"alpha": 0.5}, False),
        ("class_balanced", {"beta": 0.0}, True),
        ("logit_adjusted", {"tau": 0.0}, True),
        ("asymmetric", {"gamma_pos": 0.0, "gamma_neg": 0.0, "clip": 0.0}, True),
        ("distribution_balanced", {"gamma": 0.0}, False),
        ("zlpr", {}, False),
    ],
)
def test_automatic_pos_weight_depends_on_the_hyper_parameters(name, params, takes):
    assert takes_automatic_pos_weight(name, params) is takes
    # injecting it then never stacks two weightings
    if takes:
        assert check_double_weighting(name, {**params, "pos_weight": [2.0]}) is None


def test_foreign_losses_take_an_automatic_pos_weight_when_their_signature_has_one():
    assert takes_automatic_pos_weight(torch.nn.BCEWithLogitsLoss)
    assert not takes_automatic_pos_weight(torch.nn.BCEWithLogitsLoss, {"weight": torch.ones(2)})
    assert not takes_automatic_pos_weight(torch.nn.MultiLabelSoftMarginLoss)


@pytest.mark.parametrize("name", BUILTIN)
def test_constructor_warns_when_pos_weight_is_stacked(name):
    cls = get_loss(name)
    kwargs = inject(cls, explicit_pos_weight=True)
    expected = check_double_weighting(cls, kwargs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cls(**kwargs)
    stacked = [w for w in caught if issubclass(w.category, DoubleWeightingWarning)]
    assert [str(w.message) for w in stacked] == ([expected] if expected else [])
    assert bool(stacked) == (cls.balances_classes and "pos_weight" in cls.statistics)
    if stacked:  # the warning points at the caller, not at skimb's internals
        assert stacked[0].filename == __file__


# -- validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "params", "match"),
    [
        ("focal", {"gamma": -1.0}, r"gamma=-1.0 is outside its range \[0, inf\)"),
        ("focal", {"alpha": 1.5}, r"alpha=1.5 is outside its range \[0, 1\]"),
        ("asymmetric", {"clip": 1.0}, r"clip=1.0 is outside its range \[0, 1\)"),
        ("class_balanced", {"class_counts": COUNTS, "beta": 1.0}, r"beta=1.0 is outside"),
        ("ldam", {"class_counts": COUNTS, "scale": 0.0}, r"scale=0.0 is outside .*\(0, inf\)"),
        ("two_way", {"Tp": 0.0}, "Tp=0.0 is outside"),
        ("soft_f1", {"eps": 0.0}, "eps=0.0 is outside"),
        ("bce", {"reduction": "avg"}, "reduction must be one of"),
        ("bce", {"pos_weight": [1.0, np.inf]}, "pos_weight must be finite"),
        ("logit_adjusted", {}, r"needs class_counts.*Y.sum\(axis=0\)"),
        ("logit_adjusted", {"class_counts": COUNTS}, r"needs n_samples.*len\(Y\)"),
        ("logit_adjusted", {"class_counts": COUNTS, "n_samples": 50}, "at least the largest"),
        ("ldam", {"class_counts": [3, -1]}, "non-negative"),
        ("ldam", {"class_counts": [[3, 1]]}, "1-d array"),
    ],
)
def test_invalid_parameters_say_what_and_how(name, params, match):
    with pytest.raises(ValueError, match=match):
        get_loss(name)(**params)


def test_non_numeric_parameters_raise_type_errors():
    with pytest.raises(TypeError, match="gamma must be a finite real number"):
        FocalLoss(gamma="2")
    with pytest.raises(TypeError, match="n_samples must be an integer"):
        get_loss("logit_adjusted")(class_counts=COUNTS, n_samples=100.0)


@pytest.mark.parametrize("name", BUILTIN)
def test_wrong_shapes_raise_before_computing(name):
    loss = get_loss(name)(**inject(get_loss(name)))
    with pytest.raises(ValueError, match="one 0/1 target per logit"):
        loss(torch.zeros(3, 4), torch.zeros(3, 5))
    with pytest.raises(ValueError, match=r"Reshape a single label to \(n_samples, 1\)"):
        loss(torch.zeros(3), torch.zeros(3))


@pytest.mark.parametrize(
    "name", [n for n in BUILTIN if get_loss(n).statistics - {"pos_weight"}]
)
def test_statistics_of_other_labels_are_detected(name):
    loss = get_loss(name)(**inject(get_loss(name)))
    with pytest.raises(ValueError, match="entries but the logits have 5 labels"):
        loss(torch.zeros(2, 5), torch.zeros(2, 5))


# -- modules behave as torch modules --------------------------------------------------


@pytest.mark.parametrize("name", BUILTIN)
def test_pickle_deepcopy_and_dtype_moves_keep_the_loss(name):
    cls = get_loss(name)
    loss = cls(**inject(cls, explicit_pos_weight=not cls.balances_classes))
    z = torch.randn(6, 4, generator=torch.Generator().manual_seed(0))
    y = (torch.rand(6, 4, generator=torch.Generator().manual_seed(1)) < 0.4).float()
    expected = loss(z, y)
    for other in (pickle.loads(pickle.dumps(loss)), copy.deepcopy(loss)):
        torch.testing.assert_close(other(z, y), expected)
    as64 = copy.deepcopy(loss).to(torch.float64)
    assert all(b.dtype == torch.float64 for b in as64.buffers())
    torch.testing.assert_close(as64(z.double(), y.double()).float(), expected)
    restored = cls(**inject(cls, explicit_pos_weight=not cls.balances_classes))
    restored.load_state_dict(loss.state_dict())
    torch.testing.assert_close(restored(z, y), expected)

