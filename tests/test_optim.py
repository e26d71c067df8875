"""The optimizer's implementation: fused where the user left it unset, else as configured."""

import numpy as np
import pytest
import torch

import skimb._folds as folds_module
from skimb import MultiLabelImbalancedClassifier, ThresholdOptimizer, make_long_tail_multilabel
from skimb._optim import build_optimizer, prefers_fused


@pytest.fixture(scope="module")
def data():
    X, Y = make_long_tail_multilabel(300, 8, 4, min_prevalence=0.05, random_state=0)
    return X.astype(np.float32), Y


def clf(**kw):
    return MultiLabelImbalancedClassifier(max_epochs=3, batch_size=64, random_state=0,
                                          module__dropout=0.0, **kw)


def implementation(optimizer):
    group = optimizer.param_groups[0]
    return "fused" if group.get("fused") else "foreach" if group.get("foreach") else "loop"


@pytest.mark.parametrize("optimizer", [torch.optim.AdamW, torch.optim.Adam, torch.optim.SGD])
def test_the_fused_kernel_is_the_default_where_it_exists(data, optimizer):
    X, Y = data
    assert implementation(clf(optimizer=optimizer).fit(X, Y).optimizer_) == "fused"


@pytest.mark.parametrize(("settings", "expected"), [
    ({"optimizer__fused": False}, "loop"),
    ({"optimizer__foreach": True}, "foreach"),
    ({"optimizer__foreach": False}, "loop"),
    ({"optimizer": torch.optim.RMSprop}, "loop"),  # no fused kernel: torch's own choice
])
def test_the_users_choice_and_optimizers_without_the_kernel_are_kept(data, settings, expected):
    X, Y = data
    assert implementation(clf(**settings).fit(X, Y).optimizer_) == expected


def test_fused_and_loop_train_the_same_model(data):
    X, Y = data
    fused = clf().fit(X, Y)
    loop = clf(optimizer__fused=False).fit(X, Y)
    np.testing.assert_allclose(fused.predict_proba(X), loop.predict_proba(X), atol=1e-5)
    np.testing.assert_allclose(fused.history[:, "train_loss"], loop.history[:, "train_loss"],
                               rtol=1e-5)


def test_a_refused_kernel_falls_back_to_the_users_configuration():
    class NoFusedHere(torch.optim.SGD):
        def __init__(self, params, lr=0.1, fused=None, **kw):
            if fused:
                raise RuntimeError("fused=True is not supported here")
            super().__init__(params, lr=lr, **kw)

    params = [torch.nn.Parameter(torch.zeros(3))]
    assert prefers_fused(NoFusedHere, {})
    assert not prefers_fused(NoFusedHere, {"foreach": False})
    assert not prefers_fused(torch.optim.LBFGS, {})
    opt = build_optimizer(NoFusedHere, (params,), {"lr": 0.5})
    assert isinstance(opt, NoFusedHere) and opt.param_groups[0]["lr"] == 0.5


def test_a_user_error_is_not_hidden_by_the_fallback():
    params = [torch.nn.Parameter(torch.zeros(3))]
    with pytest.raises(ValueError, match="Invalid learning rate"):
        build_optimizer(torch.optim.AdamW, (params,), {"lr": -1.0})


@pytest.mark.parametrize(("settings", "expected"), [
    ({}, "fused"), ({"optimizer__fused": False}, "foreach"),
    ({"optimizer__foreach": False}, "loop"),
])
def test_the_stacked_folds_keep_the_implementation(data, monkeypatch, settings, expected):
    X, Y = data
    seen = []
    joint = folds_module._joint_optimizer

    def spy(optimizers):
        seen.append(joint(optimizers))
        return seen[-1]

    monkeypatch.setattr(folds_module, "_joint_optimizer", spy)
    ThresholdOptimizer(clf(**settings), cv=3, random_state=0).fit(X, Y)
    assert len(seen) == 1 and implementation(seen[0]) == expected



def test_a_differentiable_optimizer_is_refused_before_training(data):
    # torch's differentiable optimizers step under autograd and fail on the module's
    # leaf parameters at the first step (a torch traceback, whichever implementation).
    X, Y = data
    for model in (clf(optimizer__differentiable=True),
                  ThresholdOptimizer(clf(optimizer__differentiable=True), cv=3)):
        with pytest.raises(ValueError, match="optimizer__differentiable=True"):
            model.fit(X, Y)
    clf(optimizer__differentiable=False).fit(X, Y)


class _SparseEmbedding(torch.nn.Module):
    """Features as token ids (0..9) through an embedding with sparse gradients."""

    def __init__(self, n_labels=4):
        super().__init__()
        self.embedding = torch.nn.Embedding(10, 4, sparse=True)
        self.output = torch.nn.Linear(4, n_labels)

    def forward(self, X):
        return self.output(self.embedding(X.long().clamp(0, 9)).mean(1))


@pytest.mark.filterwarnings("ignore:Sparse invariant checks")  # torch, for Adagrad
@pytest.mark.parametrize("optimizer", [torch.optim.SGD, torch.optim.Adagrad])
def test_sparse_gradients_keep_torchs_own_implementation(data, optimizer):
    # SGD and Adagrad take sparse gradients (nn.Embedding(sparse=True)); their fused
    # kernels refuse them at the first step.
    X, Y = data
    model = MultiLabelImbalancedClassifier(
        module=_SparseEmbedding, optimizer=optimizer, lr=0.1, max_epochs=2, random_state=0,
    ).fit(np.abs(X) * 3, Y)
    assert implementation(model.optimizer_) == "loop"
    assert implementation(clf(optimizer=optimizer).fit(X, Y).optimizer_) == "fused"


def test_a_misspelled_optimizer_parameter_is_named_before_training(data):
    X, Y = data
    model = clf(optimizer__betaz=(0.9, 0.99))
    with pytest.raises(ValueError, match=r"^optimizer__betaz is not a parameter of the "
                                         r"optimizer AdamW \(did you mean optimizer__betas\?\)"):
        model.fit(X, Y)
    assert not hasattr(model, "module_")


def test_optimizer_parameters_it_takes_and_skorchs_param_groups_pass(data):
    X, Y = data
    model = clf(optimizer__betas=(0.8, 0.9), optimizer__weight_decay=0.0,
                optimizer__param_groups=[("layers.0.*", {"lr": 0.01})]).fit(X, Y)
    assert model.optimizer_.param_groups[0]["lr"] == 0.01
    assert model.optimizer_.param_groups[0]["betas"] == (0.8, 0.9)
