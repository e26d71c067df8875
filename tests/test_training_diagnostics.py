"""Diagnostics during and after training: collapse warning, callback, progress bar."""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from skorch.dataset import ValidSplit

from skimb import MultiLabelImbalancedClassifier, make_long_tail_multilabel
from skimb.callbacks import LabelDiagnostics
from skimb.diagnostics import LabelCollapseWarning


def long_tail(seed=0):
    return make_long_tail_multilabel(600, 10, 6, min_prevalence=0.02, random_state=seed)


def fit_recording(X, Y, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf = MultiLabelImbalancedClassifier(**kw).fit(X, Y)
    return clf, [w for w in caught if issubclass(w.category, UserWarning)]


@pytest.mark.parametrize("seed", [0, 1])
def test_the_articles_mistake_is_caught_and_names_the_collapsed_labels(seed):
    """Inverted pos_weight + criterion__weight=0.5 + threshold 0.5 (the article's setup).

    Measured with seeds 0-2: every label's pass rate at 0.5 is 0 on the training data.
    """
    X, Y = long_tail(seed)
    inverted = (Y.sum(0) / (len(Y) - Y.sum(0))).astype(np.float32)
    clf, caught = fit_recording(
        X, Y, criterion=torch.nn.BCEWithLogitsLoss, criterion__weight=torch.tensor(0.5),
        pos_weight=inverted, max_epochs=5, random_state=seed,
    )
    messages = [str(w.message) for w in caught]
    assert any("inverted" in m for m in messages)
    assert any("double weighting" in m for m in messages)
    collapse = [w for w in caught if w.category is LabelCollapseWarning]
    assert len(collapse) == 1  # one warning for all the labels
    message = str(collapse[0].message)
    P = clf.predict_proba(X)
    never = np.flatnonzero((P >= 0.5).sum(0) == 0)
    assert never.size >= 4
    assert f"{never.size} of 6 labels are never predicted on the training data" in message
    for j in never:
        assert f"label{j}: mean probability {P[:, j].mean():.3g} vs prevalence" in message
    assert "never the inverse" in message and "ThresholdOptimizer" in message


@pytest.mark.parametrize("seed", [0, 1])
def test_no_false_alarm_on_the_default_setup(seed):
    X, Y = long_tail(seed)
    clf, caught = fit_recording(X, Y, max_epochs=10, random_state=seed)
    assert caught == []
    assert ((clf.predict(X) == 1) & (Y == 1)).any(axis=0).all()


def test_collapse_warning_names_labels_whose_automatic_weight_was_clipped():
    """A label with 2 positives in 500 rows (n_neg / n_pos = 249) trained briefly
    with a clip of 30 collapses at 0.5; the warning names the clip and the fix,
    and raising max_pos_weight as it says brings the label back."""
    X, Y = make_long_tail_multilabel(500, 10, 4, random_state=0)
    assert Y[:, 3].sum() == 2 and Y[:, 2].sum() == 10
    _, caught = fit_recording(X, Y, max_epochs=5, random_state=0, max_pos_weight=30)
    (collapse,) = [w for w in caught if w.category is LabelCollapseWarning]
    message = str(collapse.message)
    assert ("max_pos_weight=30 clipped the automatic pos_weight of 1 of them (label3: "
            "n_neg / n_pos 249 clipped at 30): for a fixed threshold, give a max_pos_weight "
            "above their ratio (None: no clip)." in message)
    clf, caught = fit_recording(X, Y, max_epochs=5, random_state=0, max_pos_weight=None)
    assert not any(w.category is LabelCollapseWarning for w in caught)
    np.testing.assert_allclose(clf.pos_weight_[3], 498 / 2)
    # an explicit array is nobody's clip: the hint is not given
    weights = np.array([1.0, 1.0, 1.0, 1.0], dtype=np.float32)
    _, caught = fit_recording(X, Y, max_epochs=2, random_state=0, pos_weight=weights)
    (collapse,) = [w for w in caught if w.category is LabelCollapseWarning]
    assert "clipped" not in str(collapse.message)


def test_collapse_check_can_be_switched_off_and_uses_label_names():
    X, Y = long_tail()
    inverted = (Y.sum(0) / (len(Y) - Y.sum(0))).astype(np.float32)
    kw = {"pos_weight": inverted, "max_epochs": 2, "random_state": 0}
    _, caught = fit_recording(X, Y, check_collapse=False, **kw)
    assert not any(w.category is LabelCollapseWarning for w in caught)
    names = pd.DataFrame(Y, columns=[f"tag_{j}" for j in range(6)])
    _, caught = fit_recording(X, names, **kw)
    (collapse,) = [w for w in caught if w.category is LabelCollapseWarning]
    assert "tag_5: mean probability" in str(collapse.message)
    with pytest.raises(ValueError, match="'check_collapse' parameter"):
        MultiLabelImbalancedClassifier(check_collapse="yes").fit(X, Y)


def test_collapse_check_streams_the_prediction_and_stops_early(monkeypatch):
    """The fit's check keeps per-label summaries only: its warning is the one
    check_collapse gives on the full prediction, and a healthy fit stops reading
    prediction batches once every label has fired."""
    from skimb.diagnostics import check_collapse

    X, Y = long_tail()
    inverted = (Y.sum(0) / (len(Y) - Y.sum(0))).astype(np.float32)
    clf, caught = fit_recording(X, Y, pos_weight=inverted, max_epochs=2, random_state=0,
                                batch_size=64)
    (streamed,) = [w for w in caught if w.category is LabelCollapseWarning]
    with warnings.catch_warnings(record=True) as direct:
        warnings.simplefilter("always")
        check_collapse(Y, clf.predict_proba(X), 0.5, data="the training data",
                       switch_off="(This check costs one prediction pass; "
                       "check_collapse=False skips it.)")
    assert str(streamed.message) == str(direct[0].message)
    assert streamed.filename == __file__  # points at the caller's fit

    batches = []
    original = MultiLabelImbalancedClassifier.forward_iter

    def counting(self, X, *args, **kwargs):
        for out in original(self, X, *args, **kwargs):
            batches.append(len(out))
            yield out

    monkeypatch.setattr(MultiLabelImbalancedClassifier, "forward_iter", counting)
    _, caught = fit_recording(X, Y, max_epochs=10, random_state=0, batch_size=64)
    assert caught == []
    assert 0 < len(batches) < len(X) / 64  # stopped before the last of 10 batches


def test_a_wrong_threshold_length_fails_before_training():
    X, Y = long_tail()
    clf = MultiLabelImbalancedClassifier(threshold=[0.5, 0.5])
    with pytest.raises(ValueError, match="threshold has 2 values but the classifier has 6"):
        clf.fit(X, Y)
    assert not hasattr(clf, "module_")


def test_soft_labels_are_refused_with_their_own_message():
    X, Y = long_tail()
    soft = pd.DataFrame(np.where(Y == 1, 0.9, 0.1), columns=list("abcdef"))
    with pytest.raises(ValueError, match=r"Columns \['a', .*'f'\] hold soft labels.*>= 0.5"):
        MultiLabelImbalancedClassifier().fit(X, soft)


def test_label_diagnostics_prints_the_rarest_labels_each_epoch():
    X, Y = long_tail()
    lines = []
    clf = MultiLabelImbalancedClassifier(
        max_epochs=3, random_state=0, callbacks=[LabelDiagnostics(n_labels=2, sink=lines.append)]
    ).fit(X, Y)
    assert len(lines) == 3
    assert [line.split(" rarest")[0] for line in lines] == ["epoch 1", "epoch 2", "epoch 3"]
    # the two rarest labels, rarest first
    assert lines[0].index("label5 prev 0.0200") < lines[0].index("label4 prev")
    # the last epoch's numbers are those of the fitted model on the training rows
    P = clf.predict_proba(X)
    last = clf.history[-1, "label_diagnostics"]
    for j in (4, 5):
        assert last[f"label{j}"]["mean_proba"] == pytest.approx(P[:, j].mean(), rel=1e-5)
        assert last[f"label{j}"]["pass_rate"] == pytest.approx((P[:, j] >= 0.5).mean())
        assert f"label{j} prev {Y[:, j].mean():.4f} mean_p {P[:, j].mean():.4f} pass@0.5 " \
            f"{(P[:, j] >= 0.5).mean():.4f}" in lines[-1]


def test_label_diagnostics_options():
    X, Y = long_tail()
    lines = []
    cb = LabelDiagnostics(labels=[0], threshold=0.9, on="valid", sink=lines.append)
    MultiLabelImbalancedClassifier(
        max_epochs=1, random_state=0, train_split=ValidSplit(4), callbacks=[cb]
    ).fit(X, Y)
    assert "label0 prev" in lines[0] and "pass@0.9" in lines[0] and "label5" not in lines[0]
    with pytest.raises(ValueError, match="needs validation rows"):
        MultiLabelImbalancedClassifier(
            max_epochs=1, callbacks=[LabelDiagnostics(on="valid", sink=lines.append)]
        ).fit(X, Y)


def test_verbose_progress_bar(capsys):
    X, Y = long_tail()
    MultiLabelImbalancedClassifier(max_epochs=2, verbose=0).fit(X, Y)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    MultiLabelImbalancedClassifier(max_epochs=2, verbose=1).fit(X, Y)
    out = capsys.readouterr()
    assert out.out == ""
    assert "2/2" in out.err and "epoch" in out.err and "train_loss=" in out.err
    MultiLabelImbalancedClassifier(max_epochs=2, verbose=2).fit(X, Y)
    out = capsys.readouterr()
    assert "train_loss" in out.out.splitlines()[0]  # skorch's table, one line per epoch
    assert len(out.out.splitlines()) == 4 and "2/2" in out.err


# ------------------------------------------------ ThresholdOptimizer additions
def test_threshold_optimizer_fold_progress_bar_and_out_of_fold_scores(capsys):
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    from skimb import ThresholdOptimizer
    from skimb.model_selection import MultilabelStratifiedKFold

    X, Y = make_long_tail_multilabel(240, 4, 3, min_prevalence=0.1, random_state=0)
    base = OneVsRestClassifier(LogisticRegression())
    shown = ThresholdOptimizer(base, cv=3, random_state=0, verbose=1).fit(X, Y)
    err = capsys.readouterr().err
    # three folds and the refit, which is shown as such
    assert "ThresholdOptimizer" in err and "4/4" in err and "refit on all rows" in err
    # each row's score comes from the fold model that did not see it
    expected = np.empty(Y.shape)
    for train, test in MultilabelStratifiedKFold(3, shuffle=True, random_state=0).split(X, Y):
        expected[test] = clone(base).fit(X[train], Y[train]).predict_proba(X[test])
    np.testing.assert_allclose(shown.oof_scores_, expected)
    ThresholdOptimizer(base, cv=2, random_state=0).fit(X, Y)
    assert capsys.readouterr().err == ""  # verbose=0: no bar
    prefit = ThresholdOptimizer(shown.estimator_, cv="prefit").fit(X, Y)
    np.testing.assert_allclose(prefit.oof_scores_, shown.estimator_.predict_proba(X))


def test_threshold_optimizer_switches_the_fixed_threshold_check_off():
    """Inside ThresholdOptimizer the fold models' check at 0.5 would only repeat itself."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skimb import ThresholdOptimizer

    X, Y = long_tail()
    inverted = (Y.sum(0) / (len(Y) - Y.sum(0))).astype(np.float32)
    clf = MultiLabelImbalancedClassifier(pos_weight=inverted, max_epochs=2, random_state=0)
    _, alone = fit_recording(X, Y, **clf.get_params())
    assert any(w.category is LabelCollapseWarning for w in alone)  # the setup collapses
    for estimator, key in [
        (clf, "check_collapse"),
        (make_pipeline(StandardScaler(), clf), "multilabelimbalancedclassifier__check_collapse"),
    ]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            opt = ThresholdOptimizer(estimator, cv=2, random_state=0).fit(X, Y)
        assert not any(w.category is LabelCollapseWarning for w in caught)
        assert opt.estimator_.get_params()[key] is False
        assert estimator.get_params()[key] is True  # the user's estimator is untouched
