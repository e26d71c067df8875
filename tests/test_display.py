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
                      "threshold 0.5", f"c: AP {ap:.2f}, dot at threshold 0.7",
                      "dotted: prevalence (random ranking)"]
    np.testing.assert_allclose([line.get_ydata()[0] for line in disp.prevalence_lines_],
                               Y[:, [0, 2]].mean(axis=0))
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


# ------------------------------------------------------------ many labels, names
def long_tail_scores(n_labels, n=600, seed=0):
    """Scores that rank positives higher, for labels from common to very rare."""
    rng = np.random.RandomState(seed)
    prevalence = np.geomspace(0.3, 3 / n, n_labels)
    Y = (rng.rand(n, n_labels) < prevalence).astype(int)
    Y[rng.randint(n, size=n_labels), np.arange(n_labels)] = 1  # every label has a positive
    return Y, np.clip(0.3 * Y + 0.7 * rng.rand(n, n_labels), 0, 1)


def overlaps(artist, others):
    """Whether the drawn extent of artist meets that of any of others."""
    renderer = artist.figure.canvas.get_renderer()
    box = artist.get_window_extent(renderer)
    return any(box.overlaps(other.get_window_extent(renderer)) for other in others)


@pytest.mark.parametrize(
    "display, n_labels",
    [(ThresholdCurveDisplay, 14), (LabelPrecisionRecallDisplay, 50), (ThresholdCurveDisplay, 159)],
)
def test_many_labels_get_panels_that_include_the_rarest(display, n_labels):
    Y, P = long_tail_scores(n_labels)
    disp = display.from_predictions(Y, P)
    support = Y.sum(axis=0)
    shown = [int(name[5:]) for name in disp.label_names]
    assert len(shown) == min(n_labels, 16) and len(disp.axes_) == len(shown)
    rarest = np.argsort(support, kind="stable")[:8]
    assert set(rarest.tolist()) <= set(shown)           # the rarest are always drawn
    assert set(np.argsort(-support, kind="stable")[:4].tolist()) <= set(shown)
    title = disp.figure_._suptitle.get_text()
    if n_labels > 16:
        assert f"16 of {n_labels} labels with positives: the 8 rarest" in title
    else:
        assert f"all {n_labels} labels with positives" in title
    # one legend for the figure, below the panels: it hides no curve or point
    if n_labels == 50:  # (drawing a figure costs seconds: once)
        disp.figure_.canvas.draw()
        assert not overlaps(disp.legend_, disp.axes_)
    # each panel draws its own label only
    assert all(line.axes is panel for line, panel in zip(disp.lines_, disp.axes_))


def test_all_labels_and_explicit_layouts():
    Y, P = long_tail_scores(30)
    disp = LabelPrecisionRecallDisplay.from_predictions(Y, P, labels="all")
    assert len(disp.axes_) == 30 and "all 30 labels" in disp.figure_._suptitle.get_text()
    # a grid in the place of one Axes, as scikit-learn's PartialDependenceDisplay does
    fig, ax = plt.subplots()
    disp = ThresholdCurveDisplay.from_predictions(Y, P, labels=[0, 1, 2], ax=ax, layout="grid")
    assert len(disp.axes_) == 3 and not ax.axison and disp.figure_ is fig
    _, axes = plt.subplots(2, 3)
    disp = ThresholdCurveDisplay.from_predictions(Y, P, labels=range(5), ax=axes)
    assert disp.axes_ == list(axes.ravel()[:5]) and not axes[1, 2].axison
    with pytest.raises(ValueError, match="needs one Axes per label: got 6 Axes for 7"):
        ThresholdCurveDisplay.from_predictions(Y, P, labels=range(7), ax=axes)
    with pytest.raises(ValueError, match="layout='overlay' draws every label on one Axes"):
        ThresholdCurveDisplay.from_predictions(Y, P, ax=axes, layout="overlay")
    with pytest.raises(ValueError, match="layout='rows' is not supported"):
        ThresholdCurveDisplay.from_predictions(Y, P, layout="rows")
    with pytest.raises(ValueError, match="labels='rare' is not supported"):
        ThresholdCurveDisplay.from_predictions(Y, P, labels="rare")


def test_overlay_legend_beside_the_axes_and_fold_bands_as_strips():
    X, Y = make_long_tail_multilabel(500, 6, 3, min_prevalence=0.08, random_state=0)
    model = ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=4,
                               random_state=0).fit(X[:400], Y[:400])
    disp = ThresholdCurveDisplay.from_estimator(model, X[400:], Y[400:])
    disp.figure_.canvas.draw()
    assert len(disp.axes_) == 1
    assert not overlaps(disp.legend_, [disp.ax_])       # the dots stay visible
    legend = [t.get_text() for t in disp.legend_.get_texts()]
    assert "band and ticks: the folds' thresholds" in legend
    y0, y1 = disp.ax_.get_ylim()
    for span, value in zip(disp.spreads_, disp.chosen_values):
        bottom, top = span.get_transform().transform([[0, 0], [0, 1]])[:, 1]
        low, high = disp.ax_.transData.transform([[0, y0], [0, y1]])[:, 1]
        strip = (top - bottom) / (high - low)
        assert strip < 0.1                               # a strip, not the full height
        middle = disp.ax_.transData.transform([[0, value]])[0, 1]
        assert bottom <= middle <= top                   # around the label's chosen value


@pytest.mark.filterwarnings("ignore:Label not 2 is present in all training examples")
def test_label_names_from_a_dataframe_reach_reports_plots_and_warnings():
    pd = pytest.importorskip("pandas")
    X, Y = make_long_tail_multilabel(300, 6, 3, min_prevalence=0.08, random_state=0)
    names = ["cat", "dog", "owl"]
    Ydf = pd.DataFrame(Y, columns=names)
    model = make_pipeline(StandardScaler(), ThresholdOptimizer(
        MultiLabelImbalancedClassifier(max_epochs=2, random_state=0), cv=3, random_state=0,
    )).fit(X, Ydf)
    opt = model[-1]
    assert opt.label_names_.tolist() == names
    assert opt.estimator_.label_names_.tolist() == names     # the refit saw the DataFrame
    from skimb.diagnostics import check_collapse, label_report

    assert label_report(Ydf, opt.oof_scores_, opt.thresholds_).label_names == names
    # plain arrays: the names come from the fitted optimizer
    disp = ThresholdCurveDisplay.from_estimator(model, X, Y)
    assert disp.label_names == names
    disp = LabelPrecisionRecallDisplay.from_estimator(model, X, Y)
    assert disp.label_names == names
    with pytest.warns(UserWarning, match=r"never predicted .* \['dog'\]"):
        check_collapse(Ydf, np.where(np.arange(3) == 1, 0.0, Ydf.to_numpy()))
    # a label with a single class in some training folds: named in the warning
    Y2 = Ydf.copy()
    Y2["owl"] = 0
    Y2.loc[0, "owl"] = 1
    with pytest.warns(UserWarning, match=r"Labels \['owl'\] have a single class"):
        ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=3,
                           random_state=0).fit(X, Y2)
    # numpy y again: the names from the last fit are gone
    assert not hasattr(opt.fit(model[0].transform(X), Y), "label_names_")
