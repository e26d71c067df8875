"""Displays, rendered with the Agg backend: the artists they draw."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, precision_recall_curve
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skimb import (
    MultiLabelImbalancedClassifier,
    ThresholdOptimizer,
    find_thresholds,
    make_long_tail_multilabel,
)
from skimb.display import LabelPrecisionRecallDisplay, ThresholdCurveDisplay
from skimb.objectives import evaluate_thresholds


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
    assert legend == [f"a: AP {average_precision_score(Y[:, 0], P[:, 0]):.2f}, dot at "
                      "threshold 0.5", f"c: AP {ap:.2f}, dot at threshold 0.7"]
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


# ------------------------------------------------------------ threshold curves
def curve_value(disp, k, t):
    """The plotted objective of curve k at threshold t (a step plot, where="pre")."""
    x, v = disp.lines_[k].get_xdata(), disp.lines_[k].get_ydata()
    return v[np.searchsorted(x, t, side="left")]


def test_threshold_curves_from_predictions(scores):
    Y, P = scores
    _, ax = plt.subplots()
    disp = ThresholdCurveDisplay.from_predictions(Y, P, labels=[0, 2], ax=ax)
    assert disp.ax_ is ax and disp.figure_ is ax.figure
    best, values = find_thresholds(Y, P, objective="f1")
    np.testing.assert_allclose(disp.chosen, best[[0, 2]])
    np.testing.assert_allclose(disp.chosen_values, values[[0, 2]])
    for k, j in enumerate([0, 2]):
        for t in np.linspace(0.01, 0.99, 37):
            expected = evaluate_thresholds(Y[:, [j]], P[:, [j]], [t])[0]
            assert curve_value(disp, k, t) == pytest.approx(expected)
        (x,), (y,) = disp.chosen_[k].get_data()
        assert x == disp.chosen[k] and y == pytest.approx(values[j])
    # one shared default line at 0.5, no folds
    assert len(disp.default_lines_) == 1 and disp.default_lines_[0].get_xdata()[0] == 0.5
    assert disp.spreads_ == [] and disp.fold_markers_ == []
    assert ax.get_ylabel() == "f1"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert f"label2: chosen {disp.chosen[1]:.3g}" in legend and "default 0.5" in legend


def test_threshold_curves_with_given_thresholds_and_another_objective(scores):
    Y, P = scores
    disp = ThresholdCurveDisplay.from_predictions(
        Y, P, objective="fbeta", beta=2.0, thresholds=[0.3, 0.4, 0.5, 0.6],
        default_threshold=[0.5, 0.5, 0.2, 0.5],
    )
    np.testing.assert_allclose(disp.chosen, [0.3, 0.4, 0.5])  # label 3 has no positives
    assert disp.ax_.get_ylabel() == "fbeta"
    assert curve_value(disp, 1, 0.25) == pytest.approx(
        evaluate_thresholds(Y[:, [1]], P[:, [1]], [0.25], "fbeta", beta=2.0)[0]
    )
    assert sorted(line.get_xdata()[0] for line in disp.default_lines_) == [0.2, 0.5]


def test_threshold_curves_from_a_fitted_optimizer_show_the_folds():
    X, Y = make_long_tail_multilabel(500, 6, 3, min_prevalence=0.08, random_state=0)
    model = make_pipeline(
        StandardScaler(),
        ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=4, random_state=0),
    ).fit(X[:400], Y[:400])
    opt = model[-1]
    disp = ThresholdCurveDisplay.from_estimator(model, X[400:], Y[400:], labels=[1, 2])
    np.testing.assert_allclose(disp.chosen, opt.thresholds_[[1, 2]])
    np.testing.assert_allclose(disp.default, opt.default_thresholds_[[1, 2]])
    folds = opt.cv_results_["thresholds"][:, [1, 2]]
    assert len(disp.spreads_) == 2 and len(disp.fold_markers_) == 2
    for k in range(2):
        patch = disp.spreads_[k]
        xs = patch.get_patch_transform().transform(patch.get_path().vertices)[:, 0]
        assert xs.min() == pytest.approx(folds[:, k].min())
        assert xs.max() == pytest.approx(folds[:, k].max())
        np.testing.assert_allclose(disp.fold_markers_[k].get_xdata(), folds[:, k])
        np.testing.assert_allclose(disp.fold_markers_[k].get_ydata(),
                                   opt.cv_results_["scores"][:, [1, 2][k]])
    # the curve is the objective on the data given, at the optimizer's scores
    S = opt.predict_proba(model[0].transform(X[400:]))
    t = 0.3
    assert curve_value(disp, 0, t) == pytest.approx(
        evaluate_thresholds(Y[400:, [1]], S[:, [1]], [t])[0]
    )
    assert "folds" in disp.ax_.get_title()
    with pytest.raises(ValueError, match=r"needs a fitted skimb\.ThresholdOptimizer"):
        ThresholdCurveDisplay.from_estimator(LogisticRegression(), X, Y)
