"""Every loss through MultiLabelImbalancedClassifier: training by name, routed
hyper-parameters, grid search, statistics injection and the double-weighting
warning."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import f1_score
from sklearn.model_selection import GridSearchCV

from skimb import MultiLabelImbalancedClassifier, ThresholdOptimizer, make_long_tail_multilabel
from skimb.losses import DoubleWeightingWarning, get_loss

# One non-default hyper-parameter per loss, routed as criterion__<name>.
ROUTED = {
    "bce": {"reduction": "sum"},
    "focal": {"gamma": 1.0},
    "asymmetric": {"gamma_pos": 0.0},
    "class_balanced": {"beta": 0.99},
    "distribution_balanced": {"neg_scale": 1.5},
    "logit_adjusted": {"tau": 0.5},
    "ldam": {"scale": 10.0},
    "f1_weighted": {"reduction": "sum"},
    "soft_f1": {"eps": 1e-3},
    "zlpr": {"reduction": "sum"},
    "two_way": {"Tp": 2.0},
}
# Measured with random_state=0 (10 epochs, the data below, thresholds learned by
# ThresholdOptimizer on the validation rows): the smallest margin of test macro-F1
# over chance was 0.129 (focal, gamma=1), the largest 0.409; over seeds 0-2 the
# smallest was 0.116. The assertion keeps a margin below that.
MARGIN = 0.08


@pytest.fixture(scope="module")
def split():
    """Training rows, the rest of the data (for the statistics and grid tests)."""
    X, Y = make_long_tail_multilabel(2000, 20, 6, min_prevalence=0.02, random_state=0)
    return X[:1000], Y[:1000], X[1000:], Y[1000:]


def chance_macro_f1(Y) -> float:
    """Best macro-F1 of uninformative scores: predict every row positive."""
    prevalence = Y.mean(axis=0)
    return float(np.mean(2 * prevalence / (1 + prevalence)))


def test_every_builtin_loss_has_a_routed_parameter():
    assert set(ROUTED) == {"bce", "focal", "asymmetric", "class_balanced",
                           "distribution_balanced", "logit_adjusted", "ldam", "f1_weighted",
                           "soft_f1", "zlpr", "two_way"}


@pytest.mark.parametrize("routed", [False, True], ids=["defaults", "criterion__"])
@pytest.mark.parametrize("name", sorted(ROUTED))
def test_each_loss_trains_the_classifier_above_chance(split, name, routed):
    X, Y, X_rest, Y_rest = split
    (X_val, Y_val), (X_test, Y_test) = (X_rest[:500], Y_rest[:500]), (X_rest[500:], Y_rest[500:])
    params = {f"criterion__{k}": v for k, v in ROUTED[name].items()} if routed else {}
    # the test reads tuned thresholds; at 0.5 focal, class_balanced, zlpr... leave rare
    # labels unpredicted, which the collapse check (tested elsewhere) would report
    clf = MultiLabelImbalancedClassifier(
        criterion=name, max_epochs=10, random_state=0, check_collapse=False, **params
    ).fit(X, Y)
    assert isinstance(clf.criterion_, get_loss(name))
    for key, value in ROUTED[name].items() if routed else ():
        assert getattr(clf.criterion_, key) == value
    assert np.isfinite(clf.predict_proba(X_test)).all()
    tuned = ThresholdOptimizer(clf, cv="prefit").fit(X_val, Y_val)
    score = f1_score(Y_test, tuned.predict(X_test), average="macro", zero_division=0)
    assert score > chance_macro_f1(Y_test) + MARGIN


def test_statistics_come_from_the_full_training_labels(split):
    X, Y, _, _ = split
    counts = Y.sum(axis=0)
    la = MultiLabelImbalancedClassifier(
        criterion="logit_adjusted", max_epochs=1, batch_size=16, random_state=0
    ).fit(X, Y)
    pi = counts / len(Y)
    np.testing.assert_allclose(la.criterion_.prior_logits.numpy(), np.log(pi / (1 - pi)),
                               rtol=1e-5)
    ldam = MultiLabelImbalancedClassifier(criterion="ldam", max_epochs=1, random_state=0)
    ldam.fit(X, Y)
    quarter = counts**-0.25
    np.testing.assert_allclose(ldam.criterion_.margins.numpy(), 0.5 * quarter / quarter.max(),
                               rtol=1e-5)
    assert la.pos_weight_ is None and ldam.pos_weight_ is None  # they weight classes


def test_grid_search_over_loss_names_and_their_parameters(split):
    X, Y, _, _ = split
    grid = [
        {"criterion": ["bce", "zlpr"]},
        {"criterion": ["focal"], "criterion__gamma": [0.5, 2.0]},
    ]
    # average precision is threshold-free: after 3 epochs focal's default alpha=0.25
    # predicts no positive at 0.5, so F1 at 0.5 would not tell its settings apart
    search = GridSearchCV(
        MultiLabelImbalancedClassifier(max_epochs=3, random_state=0, check_collapse=False),
        grid, cv=2, scoring="average_precision", error_score="raise",
    ).fit(X[:600], Y[:600])
    assert len(search.cv_results_["params"]) == 4
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    focal = [i for i, p in enumerate(search.cv_results_["params"]) if p["criterion"] == "focal"]
    scores = search.cv_results_["mean_test_score"][focal]
    assert scores[0] != scores[1]  # the two settings trained different models
    best = search.best_estimator_
    assert isinstance(best.criterion_, get_loss(search.best_params_["criterion"]))
    for name, value in search.best_params_.items():  # the chosen parameters are the loss's
        if name.startswith("criterion__"):
            assert getattr(best.criterion_, name.removeprefix("criterion__")) == value
    # each focal setting, built as the search builds it (clone + set_params), reaches
    # the fitted loss
    for gamma in (0.5, 2.0):
        net = clone(search.estimator).set_params(
            criterion="focal", criterion__gamma=gamma, max_epochs=1
        )
        assert net.fit(X[:100], Y[:100]).criterion_.gamma == gamma


def double_weighting_warnings(fit):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf = fit()
    messages = [str(w.message) for w in caught if "over-correct" in str(w.message)]
    return clf, messages, [w for w in caught if issubclass(w.category, DoubleWeightingWarning)]


def test_double_weighting_warns_once_through_the_classifier(split):
    X, Y, _, _ = split
    clf, messages, typed = double_weighting_warnings(
        lambda: MultiLabelImbalancedClassifier(
            criterion="focal", pos_weight="sqrt", max_epochs=1, random_state=0
        ).fit(X, Y)
    )
    assert len(messages) == 1 and len(typed) == 1
    assert "alpha=0.25" in messages[0] and "pos_weight" in messages[0]
    assert clf.pos_weight_ is not None  # the user asked for it explicitly

    clf, messages, typed = double_weighting_warnings(
        lambda: MultiLabelImbalancedClassifier(
            criterion="class_balanced", criterion__pos_weight=np.full(6, 3.0), max_epochs=1,
            random_state=0,
        ).fit(X, Y)
    )
    assert len(typed) == 1 and "class-balanced weights" in messages[0]


def test_a_loss_without_its_own_weighting_gets_the_automatic_pos_weight(split):
    X, Y, _, _ = split
    clf, messages, typed = double_weighting_warnings(
        lambda: MultiLabelImbalancedClassifier(
            criterion="focal", criterion__alpha=None, max_epochs=1, random_state=0
        ).fit(X, Y)
    )
    assert not messages and not typed
    assert clf.pos_weight_ is not None
    np.testing.assert_allclose(clf.criterion_.pos_weight.numpy(), clf.pos_weight_)

    clf, messages, typed = double_weighting_warnings(
        lambda: MultiLabelImbalancedClassifier(criterion="focal", max_epochs=1,
                                               random_state=0).fit(X, Y)
    )
    assert not messages and not typed and clf.pos_weight_ is None
