"""sample_weight end to end: the loss, the class statistics, the threshold search, routing."""

import numpy as np
import pytest
import torch

from skimb import MultiLabelImbalancedClassifier, make_long_tail_multilabel

X, Y = make_long_tail_multilabel(200, 6, 3, min_prevalence=0.05, random_state=0)
X = X.astype(np.float32)
W = np.random.default_rng(0).integers(0, 3, len(X)).astype(float)  # 0, 1 or 2 copies
X_DUP = np.repeat(X, W.astype(int), axis=0)
Y_DUP = np.repeat(Y, W.astype(int), axis=0)


def _clf(**params):
    # one batch, no dropout: the weighted and the duplicated fit see the same steps
    base = {"module__dropout": 0.0, "max_epochs": 4, "batch_size": -1, "random_state": 0,
            "optimizer": torch.optim.SGD, "lr": 0.1, "check_collapse": False}
    return MultiLabelImbalancedClassifier(**{**base, **params})


@pytest.mark.parametrize("criterion", ["bce", "focal", "logit_adjusted",
                                       torch.nn.BCEWithLogitsLoss])
def test_weight_two_equals_a_duplicated_row(criterion):
    weighted = _clf(criterion=criterion).fit(X, Y, sample_weight=W)
    duplicated = _clf(criterion=criterion).fit(X_DUP, Y_DUP)
    np.testing.assert_array_equal(weighted.class_counts_, duplicated.class_counts_)
    assert weighted.n_samples_seen_ == duplicated.n_samples_seen_ == W.sum()
    if duplicated.pos_weight_ is not None:
        np.testing.assert_array_equal(weighted.pos_weight_, duplicated.pos_weight_)
    np.testing.assert_allclose(weighted.history[:, "train_loss"],
                               duplicated.history[:, "train_loss"], rtol=1e-5)
    np.testing.assert_allclose(weighted.predict_proba(X), duplicated.predict_proba(X),
                               atol=1e-5)


def test_unit_weights_change_nothing_and_weights_matter():
    plain = _clf().fit(X, Y).predict_proba(X)
    np.testing.assert_allclose(_clf().fit(X, Y, sample_weight=np.ones(len(X)))
                               .predict_proba(X), plain, atol=1e-6)
    assert np.abs(_clf().fit(X, Y, sample_weight=W).predict_proba(X) - plain).max() > 1e-3


def test_both_batching_paths_and_partial_fit():
    params = {"batch_size": 32, "iterator_train__shuffle": False}
    fast = _clf(**params).fit(X, Y, sample_weight=W).predict_proba(X)
    loader = _clf(iterator_train__drop_last=False, **params).fit(X, Y, sample_weight=W)
    np.testing.assert_allclose(loader.predict_proba(X), fast, atol=1e-6)
    clf = _clf(max_epochs=1).partial_fit(X[:100], Y[:100], sample_weight=W[:100])
    clf.partial_fit(X[100:], Y[100:], sample_weight=W[100:])
    np.testing.assert_array_equal(clf.class_counts_, W @ Y)
    assert clf.n_samples_seen_ == W.sum()


def test_fractional_weights_and_a_stratified_hold_out():
    w = np.linspace(0.1, 2.0, len(X))
    clf = _clf(train_split=0.25).fit(X, Y, sample_weight=w)
    np.testing.assert_allclose(clf.class_counts_, w @ Y)
    assert np.isfinite(clf.history[:, "valid_loss"]).all()


@pytest.mark.parametrize(
    ("params", "weights", "message"),
    [
        ({"criterion": "soft_f1"}, W, "batch-coupled.*row-wise loss"),
        ({"criterion": "two_way"}, W, "batch-coupled"),
        ({}, -W, "Negative values in data passed to `sample_weight`"),
        ({}, np.full(len(X), np.nan), "NaN"),
        ({}, W[:-1], r"sample_weight.shape == \(199,\), expected \(200,\)"),
        ({}, np.zeros(len(X)), "at least one non-zero"),
    ],
)
def test_bad_weights_are_refused_before_training(params, weights, message, monkeypatch):
    trained = []
    monkeypatch.setattr(MultiLabelImbalancedClassifier, "train_step",
                        lambda self, *a, **k: trained.append(1))
    with pytest.raises(ValueError, match=message):
        _clf(**params).fit(X, Y, sample_weight=weights)
    assert not trained


# ------------------------------------------------------------- ThresholdOptimizer
import sklearn  # noqa: E402
from sklearn.base import BaseEstimator, ClassifierMixin  # noqa: E402
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_validate  # noqa: E402

from skimb import ThresholdOptimizer  # noqa: E402


class Recorder(ClassifierMixin, BaseEstimator):
    """Scores are the first n_labels columns of X; records the weights of every fit."""

    def __init__(self, n_labels=3):
        self.n_labels = n_labels

    def fit(self, X, y, sample_weight=None):
        self.seen_ = sample_weight
        self.n_rows_ = len(X)
        return self

    def predict_proba(self, X):
        return np.asarray(X, dtype=float)[:, : self.n_labels]


def _scores_and_labels():
    rng = np.random.default_rng(1)
    labels = (rng.random((300, 3)) < [0.3, 0.1, 0.015]).astype(int)
    scores = np.clip(labels * 0.3 + rng.random((300, 3)) * 0.7, 0, 1)
    weights = rng.integers(0, 4, 300).astype(float)
    return scores, labels, weights


def test_threshold_search_weight_two_equals_a_duplicated_row():
    S, L, w = _scores_and_labels()
    reps = w.astype(int)
    prefit = Recorder().fit(S, L)
    weighted = ThresholdOptimizer(prefit, cv="prefit").fit(S, L, sample_weight=w)
    duplicated = ThresholdOptimizer(prefit, cv="prefit").fit(np.repeat(S, reps, axis=0),
                                                             np.repeat(L, reps, axis=0))
    np.testing.assert_array_equal(weighted.thresholds_, duplicated.thresholds_)
    assert weighted.fallback_labels_ == duplicated.fallback_labels_
    np.testing.assert_allclose(weighted.best_scores_, duplicated.best_scores_)
    plain = ThresholdOptimizer(prefit, cv="prefit").fit(S, L)
    assert not np.array_equal(plain.thresholds_, weighted.thresholds_)


def test_weights_reach_the_fold_fits_without_routing():
    S, L, w = _scores_and_labels()
    opt = ThresholdOptimizer(Recorder(), cv=3, random_state=0).fit(S, L, sample_weight=w)
    np.testing.assert_array_equal(opt.estimator_.seen_, w)  # the refit
    kept = ThresholdOptimizer(Recorder(), cv=0.3, refit=False, random_state=0)
    kept.fit(S, L, sample_weight=w)
    assert len(kept.estimator_.seen_) == kept.estimator_.n_rows_ < len(w)
    # skimb's classifier takes them too (its folds then train one by one)
    clf = MultiLabelImbalancedClassifier(max_epochs=1, random_state=0)
    ThresholdOptimizer(clf, cv=2, random_state=0).fit(X, Y, sample_weight=W)


@pytest.mark.filterwarnings("ignore:Labels .* have a single class")
def test_metadata_routing_in_grid_search_and_cross_validate():
    from sklearn.metrics import f1_score, make_scorer

    S, L, w = _scores_and_labels()
    groups = np.arange(len(S)) % 6
    with sklearn.config_context(enable_metadata_routing=True):
        scorer = make_scorer(f1_score, average="micro").set_score_request(sample_weight=True)
        inner = Recorder().set_fit_request(sample_weight=True)
        opt = ThresholdOptimizer(inner, cv=GroupKFold(3)).set_fit_request(sample_weight=True)
        # the splitter gets groups, the estimator and the search get the weights
        opt.fit(S, L, sample_weight=w, groups=groups)
        np.testing.assert_array_equal(opt.estimator_.seen_, w)
        assert opt.get_metadata_routing().consumes("fit", ["sample_weight", "groups"]) == {
            "sample_weight", "groups"}
        search = GridSearchCV(opt, {"min_positives": [1, 5]}, cv=2, scoring=scorer)
        search.fit(S, L, sample_weight=w, groups=groups)
        assert search.best_estimator_.estimator_.seen_ is not None
        result = cross_validate(opt, S, L, params={"sample_weight": w, "groups": groups},
                                cv=2, scoring=scorer, return_estimator=True)
        assert all(e.estimator_.seen_ is not None for e in result["estimator"])
        # not requested by the estimator: only the search uses them
        unrequested = ThresholdOptimizer(Recorder().set_fit_request(sample_weight=False),
                                         cv=3).set_fit_request(sample_weight=True)
        unrequested.fit(S, L, sample_weight=w)
        assert unrequested.estimator_.seen_ is None
        # skimb's classifier, requested, inside the grid search
        clf = MultiLabelImbalancedClassifier(max_epochs=1, random_state=0)
        routed = ThresholdOptimizer(clf.set_fit_request(sample_weight=True), cv=2,
                                    random_state=0).set_fit_request(sample_weight=True)
        GridSearchCV(routed, {"min_positives": [5]}, cv=2, scoring=scorer).fit(
            X, Y, sample_weight=W)
