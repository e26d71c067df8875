"""Displays, rendered with the Agg backend: the artists they draw."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from sklearn.metrics import average_precision_score, precision_recall_curve

from skimb import MultiLabelImbalancedClassifier, make_long_tail_multilabel
from skimb.display import LabelPrecisionRecallDisplay


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def scores():
    rng = np.random.RandomState(0)
    Y = (rng.rand(400, 4) < [0.3, 0.1, 0.05, 0.0]).astype(int)
    P = np.clip(0.35 * Y + 0.6 * rng.rand(400, 4), 0, 1)
    return Y, P


def test_precision_recall_curves_and_operating_points(scores):
    Y, P = scores
    t = np.array([0.5, 0.4, 0.7, 0.5])
    _, ax = plt.subplots()
    disp = LabelPrecisionRecallDisplay.from_predictions(
        Y, P, thresholds=t, labels=[0, 2], label_names=list("abcd"), ax=ax
    )
    assert disp.ax_ is ax and disp.figure_ is ax.figure
    assert len(disp.lines_) == 2 and len(disp.points_) == 2
    p, r, _ = precision_recall_curve(Y[:, 2], P[:, 2])
    np.testing.assert_allclose(disp.lines_[1].get_xdata(), r)
    np.testing.assert_allclose(disp.lines_[1].get_ydata(), p)
    pred = P[:, 2] >= 0.7
    tp = (pred & (Y[:, 2] == 1)).sum()
    (x,), (y,) = disp.points_[1].get_data()
    assert x == pytest.approx(tp / Y[:, 2].sum()) and y == pytest.approx(tp / pred.sum())
    assert disp.points_[1].get_color() == disp.lines_[1].get_color()
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    ap = average_precision_score(Y[:, 2], P[:, 2])
    assert f"c (AP {ap:.2f})" in legend and "c at threshold 0.7" in legend
    assert ax.get_xlabel() == "recall" and ax.get_ylabel() == "precision"


def test_default_labels_skip_those_without_positives_and_plot_returns_self(scores):
    Y, P = scores
    disp = LabelPrecisionRecallDisplay.from_predictions(Y, P)
    assert disp.label_names == ["label0", "label1", "label2"]
    _, ax = plt.subplots()
    assert disp.plot(ax=ax) is disp and disp.ax_ is ax
    with pytest.raises(ValueError, match=r"labels \['label3'\] have no positives"):
        LabelPrecisionRecallDisplay.from_predictions(Y, P, labels=[3])


def test_collapsed_label_sits_at_recall_zero():
    """A model that never predicts a label: its operating point is at recall 0."""
    X, Y = make_long_tail_multilabel(400, 6, 3, min_prevalence=0.05, random_state=0)
    clf = MultiLabelImbalancedClassifier(max_epochs=3, random_state=0, threshold=0.999,
                                         check_collapse=False).fit(X, Y)
    disp = LabelPrecisionRecallDisplay.from_estimator(clf, X, Y)
    assert disp.thresholds.tolist() == [0.999] * 3
    assert [pt.get_xdata()[0] for pt in disp.points_] == [0.0, 0.0, 0.0]
