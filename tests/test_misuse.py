"""Misuse answered before training: a table of bad inputs and the message each gets."""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from skorch.dataset import ValidSplit

from skimb import (
    MultiLabelImbalancedClassifier,
    ThresholdOptimizer,
    find_thresholds,
    make_long_tail_multilabel,
)
from skimb.diagnostics import label_report
from skimb.losses import check_double_weighting
from skimb.model_selection import MultilabelStratifiedKFold

X, Y = make_long_tail_multilabel(120, 6, 3, min_prevalence=0.1, random_state=0)
X = X.astype(np.float32)


def _clf(**params):
    return MultiLabelImbalancedClassifier(**{"max_epochs": 1, "random_state": 0, **params})


def _softmax_module():
    return torch.nn.Sequential(torch.nn.Linear(6, 3), torch.nn.Softmax(dim=-1))


def _with_string_column():
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    frame["colour"] = "red"
    return frame


def _labels_with_na():
    frame = pd.DataFrame(Y, columns=["a", "b", "c"]).astype("Int64")
    frame.iloc[3, 1] = pd.NA
    return frame


CLASSIFIER_CASES = {
    "bce_on_probabilities": (dict(criterion=torch.nn.BCELoss), None, None,
                             "expects probabilities.*criterion='bce'"),
    "bce_instance": (dict(criterion=torch.nn.BCELoss()), None, None, "criterion='bce'"),
    "device_cuda_missing": (dict(device="cuda:7"), None, None, "device='auto'"),
    "device_bogus": (dict(device="bogus"), None, None, "not a torch device.*device='auto'"),
    "threshold_elements": (dict(threshold=[1.5, -0.2, np.nan]), None, None,
                           r"labels \[0, 1, 2\] have \[1.5, -0.2, nan\]"),
    "threshold_one_element": (dict(threshold=[0.5, 0.5, 2.0]), None, None,
                              r"labels \[2\] have \[2.0\]"),
    "string_y": ({}, None, np.where(Y == 1, "yes", "no"),
                 "holds strings.*'no'.*MultiLabelBinarizer"),
    "no_label_columns": ({}, None, Y[:, :0], "0 label columns"),
    "na_label": ({}, None, _labels_with_na(), r"missing values \(NA\) in columns \['b'\]"),
    "string_feature": ({}, _with_string_column(), None,
                       r"not numbers: \['colour'\].*OneHotEncoder"),
    "class_weight": (dict(class_weight="balanced"), None, None, "class_weight: .*pos_weight"),
    "n_jobs": (dict(n_jobs=2), None, None, r"ThresholdOptimizer\(\.\.\., n_jobs=\.\.\.\)"),
    "one_d_binary": ({}, None, Y[:, 0], r"y is 1-D.*y.reshape\(-1, 1\)"),
    "one_d_multiclass": ({}, None, Y[:, 0] + Y[:, 1], "Only binary classification.*'multiclass'"),
    "softmax_module": (dict(module=_softmax_module()), None, None,
                       "ends in a softmax.*multi-class, not multi-label.*Remove the final softmax"),
    "stratified_valid_split": (dict(train_split=ValidSplit(5, stratified=True)), None, None,
                               "cannot stratify a label matrix.*train_split=0.2"),
}


@pytest.mark.parametrize("case", list(CLASSIFIER_CASES))
def test_classifier_refuses_before_training(case, monkeypatch):
    params, X_bad, y_bad, message = CLASSIFIER_CASES[case]
    clf = _clf(**params)
    trained = []
    monkeypatch.setattr(MultiLabelImbalancedClassifier, "train_step",
                        lambda self, *a, **k: trained.append(1))
    with pytest.raises(ValueError, match=message):
        clf.fit(X if X_bad is None else X_bad, Y if y_bad is None else y_bad)
    assert not trained, "the error came after training started"


def test_numeric_strings_and_nullable_labels_are_accepted():
    for y in (Y.astype(str), pd.DataFrame(Y).convert_dtypes()):
        clf = _clf(check_collapse=False).fit(X, y)
        assert clf.n_labels_ == 3


def test_cross_entropy_warns():
    with pytest.warns(UserWarning, match="multi-class loss.*criterion='bce'"):
        _clf(criterion=torch.nn.CrossEntropyLoss, check_collapse=False).fit(X, Y)


def test_loss_instance_attributes_get_the_weighting_warnings():
    loss = torch.nn.BCEWithLogitsLoss(pos_weight=torch.full((3,), 0.1), weight=torch.tensor(0.5))
    assert "element-wise `weight`" in check_double_weighting(loss)
    assert check_double_weighting(torch.nn.BCEWithLogitsLoss(pos_weight=torch.ones(3))) is None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _clf(criterion=loss, check_collapse=False).fit(X, Y)
    messages = " ".join(str(w.message) for w in caught)
    assert "looks inverted" in messages
    assert "stack and over-correct" in messages


class TwoOutputs(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(6, 3)

    def forward(self, x):
        z = self.linear(x)
        return z, torch.tanh(z)  # (logits, hidden): skorch's rule takes the first


def test_module_with_several_outputs_uses_the_first():
    clf = _clf(module=TwoOutputs, max_epochs=2).fit(X, Y)
    logits = clf.decision_function(X)
    assert logits.shape == (len(X), 3)
    np.testing.assert_allclose(clf.predict_proba(X), 1 / (1 + np.exp(-logits)), rtol=1e-5)
    # ... also inside ThresholdOptimizer (the stacked folds decline such a module)
    ThresholdOptimizer(_clf(module=TwoOutputs), cv=2, random_state=0).fit(X, Y)


SEARCH_CASES = {
    "strings": (np.where(Y == 1, "yes", "no"), "holds strings"),
    "int64_na": (_labels_with_na(), r"missing values \(NA\) in columns \['b'\]"),
    "empty_columns": (Y[:, :0], "0 label columns"),
}


@pytest.mark.parametrize("case", list(SEARCH_CASES))
@pytest.mark.parametrize("where", ["find_thresholds", "label_report", "ThresholdOptimizer",
                                   "split"])
def test_label_matrix_errors_on_the_numpy_side(case, where):
    y, message = SEARCH_CASES[case]
    scores = np.linspace(0, 1, len(Y) * 3).reshape(len(Y), 3)[:, : np.shape(y)[1]]
    with pytest.raises(ValueError, match=message):
        if where == "find_thresholds":
            find_thresholds(y, scores)
        elif where == "label_report":
            label_report(y, scores)
        elif where == "ThresholdOptimizer":
            ThresholdOptimizer(_clf(), cv=2).fit(X, y)
        else:
            list(MultilabelStratifiedKFold(2).split(X, y))


def test_sparse_and_nullable_labels_on_the_numpy_side():
    scores = np.random.default_rng(0).random(Y.shape)
    expected = find_thresholds(Y, scores)[0]
    np.testing.assert_array_equal(find_thresholds(sp.csr_matrix(Y), scores)[0], expected)
    frame = pd.DataFrame(Y).convert_dtypes()
    np.testing.assert_array_equal(find_thresholds(frame, scores)[0], expected)
    folds = [test for _, test in MultilabelStratifiedKFold(2, shuffle=True, random_state=0)
             .split(X, frame)]
    same = [test for _, test in MultilabelStratifiedKFold(2, shuffle=True, random_state=0)
            .split(X, Y)]
    for a, b in zip(folds, same):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("n", [0, 1])
def test_threshold_optimizer_on_too_few_rows(n):
    with pytest.raises(ValueError, match=f"got {n} sample\\(s\\).*learning thresholds needs at "
                       "least 2") as exc_info:
        ThresholdOptimizer(_clf()).fit(X[:n], Y[:n])
    assert "cv <=" not in str(exc_info.value)


def test_registered_loss_reaches_joblib_workers():
    from sklearn.model_selection import GridSearchCV

    from skimb.losses import BCELoss, register_loss
    from skimb.losses._registry import _REGISTRY

    class Mine(BCELoss):  # local: pickled by value into the workers
        pass

    register_loss("mine_for_workers", Mine, overwrite=True)
    try:
        search = GridSearchCV(
            _clf(criterion="mine_for_workers", check_collapse=False),
            {"lr": [1e-3, 1e-2]}, cv=2, n_jobs=2, scoring="f1_micro", error_score="raise",
        ).fit(X, Y)
        assert isinstance(search.best_estimator_.criterion_, Mine)
    finally:
        _REGISTRY.pop("mine_for_workers", None)


def test_device_index_beyond_the_gpus_of_the_machine(monkeypatch):
    from skimb._torch_checks import check_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    check_device("cuda:0")
    with pytest.raises(ValueError, match=r"device='cuda:3', but this machine has 1 cuda "
                       r"device\(s\)\. Use device='auto'"):
        check_device("cuda:3")
    check_device(torch.device("cpu"))
    check_device("auto")


def test_label_report_names_nan_thresholds():
    scores = np.random.default_rng(0).random(Y.shape)
    with pytest.raises(ValueError, match=r"NaN for labels \[1\]"):
        label_report(Y, scores, thresholds=[0.5, np.nan, 0.5])


@pytest.mark.parametrize("criterion", ["bce", "focal"])
def test_an_element_weight_on_a_skimb_loss_is_refused_before_training(criterion):
    X, Y = make_long_tail_multilabel(200, 5, 3, min_prevalence=0.1, random_state=0)
    clf = MultiLabelImbalancedClassifier(criterion=criterion, criterion__weight=0.5,
                                         max_epochs=1)
    with pytest.raises(ValueError, match=r"criterion__weight is not a parameter of the loss "
                       r"\w+Loss.*stacks two weightings"):
        clf.fit(X, Y)
    with pytest.raises(ValueError, match=r"criterion__gama is not a parameter of the loss "
                       r"FocalLoss, which takes .*gamma"):
        MultiLabelImbalancedClassifier(criterion="focal", criterion__gama=2,
                                       max_epochs=1).fit(X, Y)


@pytest.mark.parametrize(("hidden_units", "error", "message"), [
    (5, TypeError, r"hidden_units must be a sequence of widths.*got 5.*\(5,\)"),
    ((16, 0), ValueError, r"positive whole numbers.*got \(16, 0\)"),
    ((-3,), ValueError, r"positive whole numbers.*got \(-3,\)"),
    ((8.0,), ValueError, r"positive whole numbers.*got \(8.0,\)"),
])
def test_mlp_hidden_units_are_checked_in_words(hidden_units, error, message, monkeypatch):
    # Without the check: "'int' object is not iterable", torch's "negative dimension",
    # or, for a width 0, a model whose output ignores X, trained without a word.
    _clf(module__hidden_units=[4, np.int64(3)]).fit(X, Y)  # a list, NumPy integers
    trained = []
    monkeypatch.setattr(MultiLabelImbalancedClassifier, "train_step",
                        lambda self, *a, **k: trained.append(1))
    with pytest.raises(error, match=message):
        _clf(module__hidden_units=hidden_units).fit(X, Y)
    assert not trained
