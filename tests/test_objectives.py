"""Count-based objectives against scikit-learn's metrics, and their contracts."""

import numpy as np
import pytest
from sklearn.metrics import (
    balanced_accuracy_score,
    f1_score,
    fbeta_score,
    matthews_corrcoef,
    precision_score,
    recall_score,
)

from skimb.objectives import (
    OBJECTIVES,
    Objective,
    confusion_counts,
    evaluate_thresholds,
    make_objective,
)

PARAMS = {
    "fbeta": {"beta": 2.0},
    "precision_at_recall": {"min_recall": 0.5},
    "recall_at_precision": {"min_precision": 0.5},
    "cost": {"fp_cost": 1.0, "fn_cost": 4.0},
}


def _random_predictions(seed, n=60):
    rng = np.random.default_rng(seed)
    y = (rng.random((n, 4)) < rng.uniform(0.05, 0.6, 4)).astype(int)
    pred = (rng.random((n, 4)) < rng.uniform(0.0, 0.7, 4)).astype(int)
    pred[:, 3] = 0  # a label where nothing is predicted
    return y, pred


@pytest.mark.parametrize("seed", range(20))
def test_objectives_match_sklearn_metrics(seed):
    y, pred = _random_predictions(seed)
    counts = confusion_counts(y, pred)

    def per_label(metric, **kwargs):
        return [metric(y[:, c], pred[:, c], **kwargs) for c in range(4)]

    np.testing.assert_allclose(make_objective("f1")(*counts), per_label(f1_score, zero_division=0))
    np.testing.assert_allclose(
        make_objective("fbeta", beta=2.0)(*counts),
        per_label(fbeta_score, beta=2.0, zero_division=0),
    )
    np.testing.assert_allclose(make_objective("mcc")(*counts), per_label(matthews_corrcoef))
    tpr = np.array(per_label(recall_score, zero_division=0))
    fpr = counts[1] / (counts[1] + counts[3])
    np.testing.assert_allclose(make_objective("youden")(*counts), tpr - fpr)
    if (y.sum(axis=0) > 0).all() and (y.sum(axis=0) < len(y)).all():
        np.testing.assert_allclose(
            make_objective("balanced_accuracy")(*counts), per_label(balanced_accuracy_score)
        )
    precision = np.array(per_label(precision_score, zero_division=0))
    value = make_objective("precision_at_recall", min_recall=0.5)(*counts)
    np.testing.assert_allclose(value, np.where(tpr >= 0.5, precision, -np.inf))
    value = make_objective("recall_at_precision", min_precision=0.5)(*counts)
    empty = pred.sum(axis=0) == 0
    np.testing.assert_allclose(value, np.where((precision >= 0.5) | empty, tpr, -np.inf))
    cost = make_objective("cost", fp_cost=1.0, fn_cost=4.0)
    np.testing.assert_allclose(cost(*counts), (counts[1] + 4 * counts[2]) / len(y))


@pytest.mark.parametrize("name", OBJECTIVES)
def test_builtin_objectives_never_gain_from_a_false_positive(name):
    # The search skips cuts whose lowest tied group holds only negatives; that is
    # exact only if an extra false positive (same tp) never improves the objective.
    obj = make_objective(name, **PARAMS.get(name, {}))
    assert obj.monotone
    for n_pos in range(0, 25):
        for n_neg in range(0, 25):
            tp = np.arange(n_pos + 1)[:, None]
            fp = np.arange(n_neg + 1)[None, :]
            gain = obj.gain(*np.broadcast_arrays(tp, fp, n_pos - tp, n_neg - fp))
            assert np.all(gain[:, 1:] <= gain[:, :-1] + 1e-12), (name, n_pos, n_neg)


def test_gain_flips_costs_and_maps_nan():
    cost = make_objective("cost", fp_cost=2.0, fn_cost=1.0)
    assert not cost.greater_is_better
    assert cost.gain(0, 1, 0, 1) == pytest.approx(-1.0)

    def nan_objective(tp, fp, fn, tn):
        return np.full(np.shape(tp), np.nan)

    custom = make_objective(nan_objective)
    assert custom.name == "nan_objective" and not custom.monotone
    assert np.isneginf(custom.gain(np.zeros(3), np.zeros(3), np.zeros(3), np.zeros(3))).all()


def test_callable_must_be_elementwise():
    bad = make_objective(lambda tp, fp, fn, tn: np.sum(tp))
    with pytest.raises(ValueError, match="must be elementwise"):
        bad(np.ones(3), np.ones(3), np.ones(3), np.ones(3))


def test_per_label_parameters_and_select():
    obj = make_objective("cost", fp_cost=[1.0, 2.0, 3.0], fn_cost=1.0, n_labels=3)
    assert obj.per_label and not make_objective("f1").per_label
    values = obj(np.zeros(3), np.ones(3), np.zeros(3), np.ones(3))
    np.testing.assert_allclose(values, [0.5, 1.0, 1.5])
    sub = obj.select(np.array([2, 0]))
    np.testing.assert_allclose(sub(np.zeros(2), np.ones(2), np.zeros(2), np.ones(2)), [1.5, 0.5])
    assert isinstance(sub, Objective) and sub.monotone


def test_confusion_counts_with_weights():
    y = np.array([[1, 0], [0, 1], [1, 1]])
    pred = np.array([[1, 1], [0, 1], [0, 1]])
    tp, fp, fn, tn = confusion_counts(y, pred, sample_weight=[1.0, 2.0, 0.5])
    np.testing.assert_allclose(tp, [1.0, 2.5])
    np.testing.assert_allclose(fp, [0.0, 1.0])
    np.testing.assert_allclose(fn, [0.5, 0.0])
    np.testing.assert_allclose(tn, [2.0, 0.0])
    with pytest.raises(ValueError, match="different shapes"):
        confusion_counts(y, pred[:, :1])


def test_evaluate_thresholds_uses_greater_or_equal():
    y = np.array([[1], [0], [1]])
    s = np.array([[0.5], [0.4], [0.2]])
    assert evaluate_thresholds(y, s, [0.5]).tolist() == [pytest.approx(2 / 3)]
    assert evaluate_thresholds(y, s, 0.2, "recall_at_precision", min_precision=0.6).tolist() == [
        1.0
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"objective": "f3"}, "Unknown objective 'f3'. Use one of"),
        ({"objective": "precision_at_recall"}, "needs min_recall"),
        ({"objective": "precision_at_recall", "min_recall": 0.0}, r"in \(0.0, 1.0\]; got 0.0"),
        ({"objective": "recall_at_precision", "min_precision": [0.5, 2.0]}, r"labels \[1\]"),
        ({"objective": "fbeta", "beta": -1.0}, "beta must be > 0.0"),
        ({"objective": "cost", "fp_cost": -1.0}, "fp_cost must be >= 0.0"),
        ({"objective": "cost", "fp_cost": [[1.0]]}, "one value per label"),
    ],
)
def test_make_objective_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_objective(**kwargs)


def test_evaluate_thresholds_names_nan_and_wrong_shapes():
    from skimb.objectives import evaluate_thresholds

    y = np.array([[1, 0], [0, 1], [1, 1]])
    s = np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.6]])
    with pytest.raises(ValueError, match=r"thresholds are NaN for labels \[1\]"):
        evaluate_thresholds(y, s, [0.5, np.nan])
    with pytest.raises(ValueError, match=r"one threshold per label \(2\)"):
        evaluate_thresholds(y, s, [0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match="thresholds must be numbers"):
        evaluate_thresholds(y, s, ["a", "b"])
    assert evaluate_thresholds(y, s, [np.inf, -np.inf]).tolist() == [0.0, 0.8]  # none, all
