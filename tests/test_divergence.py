"""A diverged training stops with the epoch named; non-finite scores are named as such."""

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from skorch.callbacks import GradientNormClipping

from skimb import MultiLabelImbalancedClassifier, ThresholdOptimizer, make_long_tail_multilabel
from skimb.exceptions import TrainingDivergedError

FIXES = ("StandardScaler", "lower lr", "GradientNormClipping")


@pytest.fixture(scope="module")
def data():
    X, Y = make_long_tail_multilabel(300, 8, 3, min_prevalence=0.05, random_state=0)
    return (X * 1e4).astype(np.float32), Y  # unscaled features


def _diverging(**params):
    params = {"lr": 10.0, "optimizer": torch.optim.SGD, "max_epochs": 4, "random_state": 0,
              **params}
    return MultiLabelImbalancedClassifier(**params)


def _assert_names_epoch_and_fixes(exc_info, epoch):
    message = str(exc_info.value)
    assert f"in epoch {epoch} " in message
    for fix in FIXES:
        assert fix in message


def test_fit_stops_on_the_epoch_the_loss_becomes_nan(data):
    X, Y = data
    clf = _diverging()
    with pytest.raises(TrainingDivergedError) as exc_info:
        clf.fit(X, Y)
    assert isinstance(exc_info.value, ValueError)
    epochs = len(clf.history)
    assert epochs < 4  # stopped, not run to the end
    losses = clf.history[-1, "batches", :, "train_loss"]
    assert not np.isfinite(losses).all()
    assert np.isfinite(clf.history[:-1, "batches", :, "train_loss"]).all() if epochs > 1 else True
    _assert_names_epoch_and_fixes(exc_info, epochs)


def test_deferred_losses_are_checked_after_their_epoch(data, monkeypatch):
    # the GPU path keeps batch losses on the device until the epoch ends; force it on the CPU
    X, Y = data
    monkeypatch.setattr(MultiLabelImbalancedClassifier, "_record_loss_at_epoch_end",
                        lambda self, iterator: True)
    clf = _diverging()
    with pytest.raises(TrainingDivergedError) as exc_info:
        clf.fit(X, Y)
    assert all(isinstance(v, float) for v in clf.history[-1, "batches", :, "train_loss"])
    _assert_names_epoch_and_fixes(exc_info, len(clf.history))


def test_partial_fit_and_clipping(data):
    X, Y = data
    with pytest.raises(TrainingDivergedError):
        _diverging().partial_fit(X, Y)
    # the fix the message names works: clipped gradients keep the loss finite
    clipped = _diverging(callbacks=[GradientNormClipping(1.0)], max_epochs=2,
                         check_collapse=False)
    clipped.fit(X, Y)
    assert np.isfinite(clipped.history[:, "train_loss"]).all()


def test_stacked_folds_detect_it(data):
    X, Y = data
    splits = [(np.arange(100, 300), np.arange(100)), (np.arange(100), np.arange(100, 300))]
    with pytest.raises(TrainingDivergedError, match=r"folds trained stacked|refit") as exc_info:
        _diverging().fit_folds(X, Y, splits, refit=True)
    for fix in FIXES:
        assert fix in str(exc_info.value)


@pytest.mark.parametrize("params", [{}, {"iterator_train__drop_last": False}])
def test_threshold_optimizer_stops_too(data, params):
    # stacked, and one fold after the other through skorch's DataLoader loop
    X, Y = data
    with pytest.raises(TrainingDivergedError, match="the weights diverged"):
        ThresholdOptimizer(_diverging(**params), cv=2, random_state=0).fit(X, Y)


class NaNScores(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        self.n_labels_ = np.asarray(y).shape[1]
        return self

    def predict_proba(self, X):
        out = np.full((len(X), self.n_labels_), 0.5)
        out[:, 1] = np.nan
        return out


@pytest.mark.parametrize("cv", [3, "prefit"])
def test_threshold_optimizer_names_non_finite_out_of_fold_scores(data, cv):
    X, Y = data
    estimator = NaNScores().fit(X, Y) if cv == "prefit" else NaNScores()
    with pytest.raises(ValueError, match=r"NaNScores.predict_proba are not finite \(NaN in "
                       r"\d+ values, labels \[1\]\)") as exc_info:
        ThresholdOptimizer(estimator, cv=cv, random_state=0).fit(X, Y)
    assert "y_score" not in str(exc_info.value)
