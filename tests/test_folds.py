"""All folds in one pass: the fold protocol, stacked training and its fallbacks."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from skorch.callbacks import Callback
from torch import nn

import skimb._folds as folds_module
from skimb import MultiLabelImbalancedClassifier, ThresholdOptimizer, make_long_tail_multilabel
from skimb._batching import draw_permutation
from skimb.diagnostics import compute_pos_weight
from skimb.losses import BCELoss
from skimb.model_selection import MultilabelStratifiedKFold


@pytest.fixture(scope="module")
def data():
    X, Y = make_long_tail_multilabel(700, 12, 5, min_prevalence=0.03, random_state=0)
    return X.astype(np.float32), Y


def clf(**kw):
    kw.setdefault("max_epochs", 4)
    kw.setdefault("random_state", 0)
    kw.setdefault("batch_size", 64)
    if kw.get("module") is None:
        kw.setdefault("module__dropout", 0.0)
    return MultiLabelImbalancedClassifier(**kw)


def splits_of(Y, k=3):
    return list(MultilabelStratifiedKFold(k, shuffle=True, random_state=0).split(Y, Y))


@pytest.fixture
def sequential(monkeypatch):
    """Make the classifier decline the protocol, so folds are fitted one by one."""
    monkeypatch.setattr(folds_module, "why_not_stacked", lambda clf, fit_params: "forced")


# ------------------------------------------------------------- equivalence
@pytest.mark.parametrize("sparse", [False, True])
def test_stacked_folds_equal_the_folds_fitted_one_by_one(data, sparse, monkeypatch):
    X, Y = data
    if sparse:
        X = sp.csr_matrix(np.where(np.abs(X) > 0.7, X, 0).astype(np.float32))
    stacked = ThresholdOptimizer(clf(), cv=3, random_state=0).fit(X, Y)
    monkeypatch.setattr(folds_module, "why_not_stacked", lambda clf, fit_params: "forced")
    one_by_one = ThresholdOptimizer(clf(), cv=3, random_state=0).fit(X, Y)
    np.testing.assert_allclose(stacked.oof_scores_, one_by_one.oof_scores_, atol=1e-5)
    np.testing.assert_allclose(stacked.predict_proba(X), one_by_one.predict_proba(X), atol=1e-5)
    np.testing.assert_allclose(stacked.thresholds_, one_by_one.thresholds_, atol=1e-5)
    np.testing.assert_array_equal(stacked.predict(X), one_by_one.predict(X))
    ours, theirs = stacked.estimator_.history, one_by_one.estimator_.history
    assert len(ours) == len(theirs) == 4
    np.testing.assert_allclose(ours[:, "train_loss"], theirs[:, "train_loss"], rtol=1e-5)
    assert ours[-1].keys() == theirs[-1].keys()


def test_protocol_returns_fitted_clones_with_their_own_statistics(data):
    X, Y = data
    splits = splits_of(Y)
    model = clf()
    folds, refitted = model.fit_folds(
        X, Y, splits, response_method="decision_function", refit=True, return_estimators=True
    )
    assert not hasattr(model, "module_")  # the protocol leaves the estimator unfitted
    assert len(folds) == 3
    for (scores, skipped, est), (train, test) in zip(folds, splits):
        assert scores.shape == (len(test), Y.shape[1]) and scores.dtype == np.float64
        np.testing.assert_allclose(scores, est.decision_function(X[test]), atol=1e-6)
        np.testing.assert_array_equal(skipped, Y[train].min(0) == Y[train].max(0))
        expected = compute_pos_weight(Y[train].sum(0), len(train), "auto", "auto")
        np.testing.assert_allclose(est.pos_weight_, expected)
        assert est.n_samples_seen_ == len(train)
    np.testing.assert_allclose(
        refitted.pos_weight_, compute_pos_weight(Y.sum(0), len(Y), "auto", "auto")
    )
    # skorch's own API keeps working on the returned models
    refitted.partial_fit(X, Y)
    assert len(refitted.history) == 8  # 4 stacked epochs, then max_epochs more


def test_each_model_takes_only_its_own_steps(data):
    """A model with no batch left in a step is not updated (Adam's step count is its own)."""
    X, Y = data
    splits = splits_of(Y)
    folds, refitted = clf(batch_size=100).fit_folds(
        X, Y, splits, response_method="predict_proba", refit=True, return_estimators=True
    )
    for (_, _, est), (train, _) in [*zip(folds, splits), ((None, None, refitted), (Y, None))]:
        steps = 4 * -(-len(train) // 100)
        for state in est.optimizer_.state.values():
            assert int(state["step"]) == steps
        assert est.history[:, "train_batch_count"] == [steps // 4] * 4


def test_a_generator_draws_the_permutations_the_global_stream_draws():
    generator = torch.Generator()
    generator.manual_seed(3)
    own = [draw_permutation(True, 7, generator=generator) for _ in range(2)]
    torch.manual_seed(3)
    glob = [draw_permutation(True, 7) for _ in range(2)]
    assert all(torch.equal(a, b) for a, b in zip(own, glob))
    assert not torch.equal(own[0], own[1])
    assert sorted(own[0].tolist()) == list(range(7))
    assert draw_permutation(False, 7, generator=generator) is None


def test_dropout_trains_stacked_and_is_reproducible(data):
    X, Y = data
    first = ThresholdOptimizer(clf(module__dropout=0.3), cv=3, random_state=0).fit(X, Y)
    second = ThresholdOptimizer(clf(module__dropout=0.3), cv=3, random_state=0).fit(X, Y)
    np.testing.assert_array_equal(first.oof_scores_, second.oof_scores_)
    losses = first.estimator_.history[:, "train_loss"]
    assert losses[-1] < losses[0]


def test_joblib_round_trip_of_a_stacked_fit(data, tmp_path):
    X, Y = data
    model = ThresholdOptimizer(clf(), cv=3, random_state=0).fit(X, Y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))


def test_each_stacked_model_owns_its_parameters_after_training(data):
    # During the stacked pass a parameter of all models lives in one tensor;
    # afterwards each model holds only its own (a pickled refit is one model).
    X, Y = data
    model = ThresholdOptimizer(clf(), cv=3, refit="ensemble", random_state=0).fit(X, Y)
    refit = ThresholdOptimizer(clf(), cv=3, random_state=0).fit(X, Y).estimator_
    for est in [refit, *model.estimators_]:
        for p in est.module_.parameters():
            assert p.is_leaf and p.requires_grad
            assert p.untyped_storage().nbytes() == p.numel() * p.element_size()
    single = clf().fit(X, Y)
    assert len(pickle.dumps(refit.module_)) == len(pickle.dumps(single.module_))
    # the models went on to train apart from one another
    weights = [e.module_.layers[0].weight for e in model.estimators_]
    assert not torch.equal(weights[0], weights[1])


def test_the_optimizer_state_of_a_stacked_model_continues_its_training(data, monkeypatch):
    # Adam's moments and step counts come back keyed by each model's own
    # parameters, in their layout: one more epoch of partial_fit then equals
    # the same epoch after a fit on its own.
    X, Y = data
    stacked = ThresholdOptimizer(clf(), cv=3, random_state=0).fit(X, Y).estimator_
    monkeypatch.setattr(folds_module, "why_not_stacked", lambda clf, fit_params: "forced")
    alone = ThresholdOptimizer(clf(), cv=3, random_state=0).fit(X, Y).estimator_
    for ours, theirs in zip(stacked.module_.parameters(), alone.module_.parameters()):
        a, b = stacked.optimizer_.state[ours], alone.optimizer_.state[theirs]
        assert a["exp_avg"].shape == ours.shape and a["exp_avg"].is_contiguous()
        np.testing.assert_allclose(a["exp_avg"], b["exp_avg"], atol=1e-6)
        assert float(a["step"]) == float(b["step"])
    torch.manual_seed(1)
    stacked.partial_fit(X, Y)
    torch.manual_seed(1)
    alone.partial_fit(X, Y)
    # 4 more epochs grow the float rounding of 1e-7 to about 6e-5; a lost state gives 3e-2
    np.testing.assert_allclose(stacked.predict_proba(X), alone.predict_proba(X), atol=1e-3)


class FrozenFirstLayer(nn.Module):
    def __init__(self, n_features, n_labels):
        super().__init__()
        self.frozen = nn.Linear(n_features, 8)
        self.frozen.requires_grad_(False)
        self.head = nn.Linear(8, n_labels)

    def forward(self, X):
        return self.head(torch.relu(self.frozen(X)))


def test_frozen_parameters_stack_and_stay_as_they_were(data, monkeypatch):
    X, Y = data
    stacked = ThresholdOptimizer(clf(module=FrozenFirstLayer), cv=3, refit="ensemble",
                                 random_state=0).fit(X, Y)
    monkeypatch.setattr(folds_module, "why_not_stacked", lambda clf, fit_params: "forced")
    one_by_one = ThresholdOptimizer(clf(module=FrozenFirstLayer), cv=3, refit="ensemble",
                                    random_state=0).fit(X, Y)
    np.testing.assert_allclose(stacked.oof_scores_, one_by_one.oof_scores_, atol=1e-5)
    for ours, theirs in zip(stacked.estimators_, one_by_one.estimators_):
        assert torch.equal(ours.module_.frozen.weight, theirs.module_.frozen.weight)


# ---------------------------------------------------------------- fallbacks
class BatchNormNet(nn.Module):
    def __init__(self, n_features, n_labels):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(n_features, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, n_labels)
        )

    def forward(self, X):
        return self.layers(X)


class DataDependent(nn.Module):
    def __init__(self, n_features, n_labels):
        super().__init__()
        self.linear = nn.Linear(n_features, n_labels)

    def forward(self, X):
        out = self.linear(X)
        if out.sum().item() > 1e9:  # vmap refuses .item()
            out = out * 0
        return out


class Recorder(Callback):
    pass


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        ({"module": BatchNormNet}, "buffers change in training"),
        ({"module": DataDependent}, "vmap cannot run it"),
        ({"callbacks": [Recorder()]}, "callbacks are set"),
        ({"train_split": 0.2}, "train_split"),
        ({"optimizer": torch.optim.LBFGS, "optimizer__max_iter": 1}, "optimizer LBFGS"),
        ({"precision": "bf16"}, "precision='bf16'"),
    ],
)
def test_unstackable_settings_fall_back_with_a_line(data, capsys, settings, reason):
    X, Y = data
    model = ThresholdOptimizer(clf(**settings), cv=3, random_state=0, verbose=1)
    assert model.estimator.fit_folds(
        X, Y, splits_of(Y), response_method="predict_proba", refit=True,
        return_estimators=False, verbose=1,
    ) is None
    line = capsys.readouterr().out
    assert "folds fitted one after the other" in line and reason in line
    model.fit(X, Y)  # and ThresholdOptimizer fits them one by one
    assert model.oof_scores_.shape == Y.shape
    assert np.isfinite(model.oof_scores_).all()


def test_fit_params_make_the_protocol_decline(data):
    X, Y = data
    assert clf().fit_folds(
        X, Y, splits_of(Y), response_method="predict_proba", refit=True,
        return_estimators=False, extra=1,
    ) is None


class ItemLoss(BCELoss):
    """A loss vmap cannot batch (``.item()``): evaluated model by model."""

    def forward(self, logits, targets):
        loss = super().forward(logits, targets)
        if loss.item() < 0:
            raise AssertionError
        return loss


def test_a_loss_vmap_cannot_batch_is_evaluated_per_model(data, monkeypatch):
    X, Y = data
    stacked = ThresholdOptimizer(clf(criterion=ItemLoss), cv=3, random_state=0).fit(X, Y)
    monkeypatch.setattr(folds_module, "why_not_stacked", lambda clf, fit_params: "forced")
    one_by_one = ThresholdOptimizer(clf(criterion=ItemLoss), cv=3, random_state=0).fit(X, Y)
    np.testing.assert_allclose(stacked.oof_scores_, one_by_one.oof_scores_, atol=1e-5)


def test_progress_shows_folds_epochs_and_refit(data, capsys, sequential):
    X, Y = data
    ThresholdOptimizer(clf(), cv=3, random_state=0, verbose=1).fit(X, Y)
    err = capsys.readouterr().err
    assert "4/4" in err and "refit on all rows" in err


def test_progress_of_the_stacked_pass(data, capsys):
    X, Y = data
    ThresholdOptimizer(clf(), cv=3, random_state=0, verbose=1).fit(X, Y)
    err = capsys.readouterr().err
    assert "3 folds + refit, stacked" in err and "4/4" in err


class LayerNormNet(nn.Module):
    def __init__(self, n_features, n_labels):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(n_features, 16), nn.LayerNorm(16), nn.GELU(), nn.Linear(16, n_labels)
        )

    def forward(self, X):
        return self.layers(X)


@pytest.mark.parametrize(
    "settings",
    [{"module": LayerNormNet}, {"criterion": torch.nn.BCEWithLogitsLoss},
     {"criterion": "focal"}, {"criterion": "soft_f1"}, {"criterion": "distribution_balanced"},
     {"optimizer": torch.optim.SGD, "optimizer__momentum": 0.9}],
)
def test_other_modules_losses_and_optimizers_stack_and_match(data, settings, capsys,
                                                             monkeypatch):
    X, Y = data
    stacked = ThresholdOptimizer(clf(**settings), cv=3, random_state=0, verbose=1).fit(X, Y)
    assert "stacked" in capsys.readouterr().err  # not fitted one by one
    monkeypatch.setattr(folds_module, "why_not_stacked", lambda clf, fit_params: "forced")
    one_by_one = ThresholdOptimizer(clf(**settings), cv=3, random_state=0).fit(X, Y)
    np.testing.assert_allclose(stacked.oof_scores_, one_by_one.oof_scores_, atol=1e-5)


def test_frames_stack_without_warnings(data):
    pd = pytest.importorskip("pandas")
    X, Y = data
    Xd = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = ThresholdOptimizer(clf(), cv=3, random_state=0).fit(Xd, pd.DataFrame(Y))
        assert model.predict(Xd).shape == Y.shape
    assert list(model.estimator_.feature_names_in_) == list(Xd.columns)


# ------------------------------------------------------------ fold ensembles
@pytest.mark.parametrize("stackable", [True, False])
def test_fold_ensemble_predicts_with_the_mean_of_the_fold_models(data, stackable):
    from sklearn.pipeline import make_pipeline

    X, Y = data
    estimator = clf() if stackable else make_pipeline(clf())  # a Pipeline has no fit_folds
    model = ThresholdOptimizer(estimator, cv=3, refit="ensemble", random_state=0).fit(X, Y)
    assert len(model.estimators_) == 3
    mean = np.mean([e.predict_proba(X) for e in model.estimators_], axis=0)
    np.testing.assert_allclose(model.predict_proba(X), mean, rtol=1e-6)
    np.testing.assert_array_equal(model.predict(X), (mean >= model.thresholds_).astype(int))
    # the out-of-fold scores are those of the same fold models
    for e, (_, test) in zip(model.estimators_, splits_of(Y)):
        np.testing.assert_allclose(model.oof_scores_[test], e.predict_proba(X[test]), atol=1e-6)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))


def test_fold_ensemble_of_decision_values_and_its_refusal(data):
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.multioutput import MultiOutputClassifier
    from sklearn.svm import LinearSVC

    X, Y = data
    svc = ThresholdOptimizer(OneVsRestClassifier(LinearSVC()), cv=3, refit="ensemble",
                             random_state=0).fit(X, Y)
    mean = np.mean([e.decision_function(X) for e in svc.estimators_], axis=0)
    np.testing.assert_allclose(svc.decision_function(X), mean)
    assert not hasattr(svc, "predict_proba")
    Y_rare = Y.copy()
    Y_rare[:, 0] = 0
    Y_rare[0, 0] = 1  # one positive: a training fold without it refuses the label
    with pytest.raises(ValueError, match="refit='ensemble' needs every fold model"):
        ThresholdOptimizer(MultiOutputClassifier(LogisticRegression()), cv=3,
                           refit="ensemble", random_state=0).fit(X, Y_rare)
