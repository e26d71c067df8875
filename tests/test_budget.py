"""max_epochs="auto": the training budget rule, alone and in the stacked fold pass."""

import numpy as np
import pytest
from sklearn.base import clone

from skimb import MultiLabelImbalancedClassifier, make_long_tail_multilabel
from skimb._budget import MAX_EPOCHS, MIN_EPOCHS, MIN_STEPS, auto_epochs
from skimb.model_selection import MultilabelStratifiedKFold


@pytest.mark.parametrize(("n_rows", "batch_size", "expected"), [
    (391, 128, 75),       # 4 batches: 300 / 4 steps
    (1211, 128, 30),      # 10 batches
    (4736, 128, 20),      # 37 batches: 20 epochs are 740 steps already
    (100_000, 128, 20),
    (10, 128, MAX_EPOCHS),   # one batch per epoch: capped
    (500, -1, MAX_EPOCHS),   # full batch
    (0, 128, MAX_EPOCHS),
])
def test_the_rule(n_rows, batch_size, expected):
    assert auto_epochs(n_rows, batch_size) == expected
    batches = 1 if batch_size == -1 else max(1, -(-n_rows // batch_size))
    steps = expected * batches
    assert expected >= MIN_EPOCHS and (steps >= MIN_STEPS or expected == MAX_EPOCHS)


@pytest.mark.parametrize(("n_rows", "batch_size"), [(90, 32), (1300, 32)])
def test_a_small_and_a_large_fit_take_the_steps_the_rule_says(n_rows, batch_size):
    X, Y = make_long_tail_multilabel(n_rows, 6, 3, min_prevalence=0.05, random_state=0)
    clf = MultiLabelImbalancedClassifier(batch_size=batch_size, random_state=0,
                                         module__hidden_units=(8,)).fit(X, Y)
    batches = -(-n_rows // batch_size)
    expected = auto_epochs(n_rows, batch_size)
    assert clf.max_epochs_ == expected == len(clf.history)
    assert sum(clf.history[:, "train_batch_count"]) == expected * batches
    # small data: more than 20 epochs, to reach MIN_STEPS; large data: 20 epochs
    assert (expected > MIN_EPOCHS) == (n_rows == 90)
    assert expected * batches >= MIN_STEPS


def test_an_int_is_used_as_given_and_partial_fit_resolves_per_call():
    X, Y = make_long_tail_multilabel(100, 6, 3, min_prevalence=0.05, random_state=0)
    fixed = MultiLabelImbalancedClassifier(max_epochs=3, random_state=0).fit(X, Y)
    assert fixed.max_epochs_ == 3 and len(fixed.history) == 3
    auto = MultiLabelImbalancedClassifier(batch_size=50, random_state=0)
    auto.partial_fit(X[:60], Y[:60])  # 2 batches: 150 epochs
    assert auto.max_epochs_ == 150 and len(auto.history) == 150
    auto.partial_fit(X, Y)  # 2 batches again
    assert len(auto.history) == 300


def test_a_bad_value_is_refused_before_training():
    X, Y = make_long_tail_multilabel(50, 4, 2, min_prevalence=0.1, random_state=0)
    with pytest.raises(ValueError, match="max_epochs"):
        MultiLabelImbalancedClassifier(max_epochs="many").fit(X, Y)


def test_each_fold_model_gets_the_budget_of_its_own_rows():
    """Stacked, the folds (2/3 of the rows) and the refit (all rows) resolve "auto" from
    their own rows and score as each model's own fit does."""
    X, Y = make_long_tail_multilabel(210, 6, 3, min_prevalence=0.1, random_state=0)
    X = X.astype(np.float32)
    clf = MultiLabelImbalancedClassifier(batch_size=70, random_state=0, module__dropout=0.0,
                                         module__hidden_units=(16,))
    splits = list(MultilabelStratifiedKFold(3, shuffle=True, random_state=0).split(X, Y))
    folds, refitted = clf.fit_folds(X, Y, splits, response_method="predict_proba",
                                    refit=True, return_estimators=True)
    for (scores, _, est), (train, test) in zip(folds, splits):
        assert len(train) == 140 and est.max_epochs_ == 150 == len(est.history)  # 2 batches
        alone = clone(clf).fit(X[train], Y[train])
        np.testing.assert_allclose(scores, alone.predict_proba(X[test]), atol=1e-5)
    assert refitted.max_epochs_ == 100 == len(refitted.history)  # 3 batches
    alone = clone(clf).fit(X, Y)
    np.testing.assert_allclose(refitted.predict_proba(X), alone.predict_proba(X), atol=1e-5)


def test_the_number_used_is_recorded_whoever_sets_it():
    """fit(epochs=...), fit_loop and set_params(max_epochs=...) after a fit: max_epochs_
    and the history agree with what was trained (never a stale number)."""
    X, Y = make_long_tail_multilabel(100, 6, 3, min_prevalence=0.05, random_state=0)
    X, Yf = X.astype(np.float32), Y.astype(np.float32)
    clf = MultiLabelImbalancedClassifier(batch_size=50, random_state=0)
    clf.fit(X, Y, epochs=4)
    assert clf.max_epochs_ == 4 == len(clf.history)
    clf.set_params(max_epochs=3)
    clf.fit_loop(X, Yf)
    assert clf.max_epochs_ == 3 and len(clf.history) == 7
    clf.set_params(max_epochs="auto")
    clf.fit_loop(np.concatenate([X] * 3), np.concatenate([Yf] * 3))  # 300 rows: 6 batches
    assert clf.max_epochs_ == 50 and len(clf.history) == 57
