"""Diagnostics: the per-label report, the collapse check, label-value checks."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, f1_score, precision_recall_fscore_support

from skimb.diagnostics import (
    LabelCollapseWarning,
    check_collapse,
    check_label_values,
    compute_pos_weight,
    label_report,
)


@pytest.fixture
def scores():
    rng = np.random.RandomState(0)
    Y = (rng.rand(300, 5) < [0.4, 0.2, 0.1, 0.03, 0.0]).astype(int)
    P = np.clip(0.25 * Y + rng.rand(300, 5) * 0.6, 0, 1)
    P[:, 3] *= 0.5  # label 3 never reaches 0.5
    return Y, P


def test_report_matches_sklearn_and_the_definitions(scores):
    Y, P = scores
    t = np.array([0.5, 0.4, 0.6, 0.5, 0.5])
    r = label_report(Y, P, thresholds=t)
    pred = (P >= t).astype(int)
    p, rec, f, support = precision_recall_fscore_support(Y, pred, zero_division=0)
    np.testing.assert_allclose(r.precision, p)
    np.testing.assert_allclose(r.recall, rec)
    np.testing.assert_allclose(r.f1, f)
    np.testing.assert_array_equal(r.support, support)
    np.testing.assert_allclose(r.prevalence, Y.mean(0))
    np.testing.assert_allclose(r.mean_proba, P.mean(0))
    np.testing.assert_allclose(r.pass_rate, pred.mean(0))
    np.testing.assert_allclose(r.pos_weight, compute_pos_weight(Y.sum(0), len(Y)))
    np.testing.assert_allclose(
        r.average_precision[:4], [average_precision_score(Y[:, j], P[:, j]) for j in range(4)]
    )
    assert np.isnan(r.average_precision[4])  # no positives: undefined
    assert r.macro["f1"] == pytest.approx(f1_score(Y, pred, average="macro", zero_division=0))
    assert r.micro["f1"] == pytest.approx(f1_score(Y, pred, average="micro", zero_division=0))
    assert r.micro["precision"] == pytest.approx(
        precision_recall_fscore_support(Y, pred, average="micro", zero_division=0)[0]
    )
    assert r.macro["average_precision"] == pytest.approx(np.mean(r.average_precision[:4]))
    assert r.micro["average_precision"] == pytest.approx(
        average_precision_score(Y.ravel(), P.ravel())
    )
    assert r.collapsed.tolist() == [3]  # label 4 has no positives, so it is not "collapsed"


def test_report_text_is_aligned_and_names_the_collapsed_labels(scores):
    Y, P = scores
    names = ["common", "b", "c", "very_rare_label", "empty"]
    text = str(label_report(Y, P, label_names=names))
    lines = text.splitlines()
    table = lines[:-1]
    assert len({len(line) for line in table}) == 1  # every row as wide as the header
    assert lines[0].split()[:4] == ["label", "support", "prev", "pos_weight"]
    assert [line.split()[0] for line in table[2:7]] == names
    assert table[-2].startswith("macro") and table[-1].startswith("micro")
    # the numbers right-align under their headers
    header_end = lines[0].index("pass_rate") + len("pass_rate")
    assert table[2][:header_end].endswith(f"{(P[:, 0] >= 0.5).mean():.4f}")
    assert lines[-1].endswith(": very_rare_label")
    assert "-" in table[6].split()  # average precision of the empty label


def test_report_to_frame(scores):
    Y, P = scores
    frame = label_report(Y, P).to_frame()
    assert list(frame.index) == [f"label{j}" for j in range(5)] + ["macro", "micro"]
    assert list(frame.columns) == [
        "support", "prevalence", "pos_weight", "mean_proba", "threshold", "pass_rate",
        "precision", "recall", "f1", "average_precision",
    ]
    assert frame["support"].dtype == np.int64
    assert frame.loc["micro", "support"] == Y.sum()
    assert np.isnan(frame.loc["macro", "threshold"])
    assert frame.loc["label0", "threshold"] == 0.5


def test_report_accepts_dataframes_sparse_and_one_label(scores):
    import scipy.sparse as sp

    Y, P = scores
    a = label_report(pd.DataFrame(Y), pd.DataFrame(P))
    b = label_report(sp.csr_matrix(Y), P)
    np.testing.assert_allclose(a.f1, b.f1)
    one = label_report(Y[:, 0], P[:, 0])
    assert one.f1.shape == (1,) and one.f1[0] == pytest.approx(a.f1[0])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"y_score": np.zeros((3, 2))}, r"same shape.*\(3, 2\)"),
        ({"thresholds": [0.5, 0.5]}, "thresholds has 2 values but there are 5 labels"),
        ({"label_names": ["a"]}, "label_names has 1 names but there are 5 labels"),
    ],
)
def test_report_input_errors(scores, kwargs, match):
    Y, P = scores
    args = {"y_true": Y, "y_score": P, **kwargs}
    with pytest.raises(ValueError, match=match):
        label_report(**args)


def test_report_refuses_non_finite_scores(scores):
    Y, P = scores
    P = P.copy()
    P[3, 2] = np.nan
    with pytest.raises(ValueError, match=r"NaN or infinite values in columns \[2\]"):
        label_report(Y, P)


def test_check_collapse_names_labels_with_mean_and_prevalence(scores):
    Y, P = scores
    with pytest.warns(LabelCollapseWarning) as caught:
        collapsed = check_collapse(
            Y, P, label_names=list("abcde"), data="the training data", switch_off="OFF."
        )
    assert collapsed.tolist() == [3]
    assert len(caught) == 1
    message = str(caught[0].message)
    assert message.startswith("1 of 5 labels are never predicted on the training data")
    prevalence = Y[:, 3].mean()
    assert f"d: mean probability {P[:, 3].mean():.3g} vs prevalence {prevalence:.3g}" in message
    assert "ThresholdOptimizer" in message and "pos_weight" in message
    assert message.endswith("OFF.")
    # mean probability above the prevalence: no hint about an inverted weight
    assert "never the inverse" not in message


def test_check_collapse_hints_at_pushed_down_probabilities():
    Y = np.zeros((100, 2), dtype=int)
    Y[:20] = 1
    P = np.full((100, 2), 0.01)
    P[:, 0] = np.linspace(0, 1, 100)
    with pytest.warns(LabelCollapseWarning, match=r"\['label1'\].*never the inverse"):
        assert check_collapse(Y, P).tolist() == [1]


def test_check_collapse_is_silent_when_every_label_is_predicted(scores):
    Y, P = scores
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_collapse(Y, P, thresholds=[0.5, 0.5, 0.5, 0.2, 0.5]).size == 0
        # a label without positives and no prediction is not a collapse
        assert check_collapse(Y[:, 4:], np.zeros((300, 1))).size == 0


def test_soft_labels_get_their_own_message():
    y = np.array([[0.0, 1, 0.3], [1, 0, 0.7]])
    with pytest.raises(ValueError, match=re.escape("columns [2]. Columns [2] hold soft labels")):
        check_label_values(y)
    with pytest.raises(ValueError, match=r"\(y >= 0.5\).astype\(int\)"):
        check_label_values(y)
    counts = np.array([[0, 2, 0.5], [3, 1, 0]])
    with pytest.raises(ValueError) as info:
        check_label_values(counts, label_names=["a", "b", "c"])
    message = str(info.value)
    assert "in columns ['a', 'b', 'c']" in message
    assert "Columns ['c'] hold soft labels" in message
    assert "Columns ['a', 'b'] hold values such as [2.0, 3.0]" in message
    check_label_values(np.array([[True, False]]))  # booleans are fine
