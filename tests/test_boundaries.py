"""Boundary values a fresh user tried: each refused in words before training, or shown cleanly."""

import re

import numpy as np
import pytest
import torch

from skimb import MultiLabelImbalancedClassifier, make_long_tail_multilabel

X, Y = make_long_tail_multilabel(60, 4, 3, min_prevalence=0.1, random_state=0)
X = X.astype(np.float32)


def _clf(**params):
    return MultiLabelImbalancedClassifier(
        **{"max_epochs": 1, "random_state": 0, "check_collapse": False, **params}
    )


# ----------------------------------------------------------------- max_epochs
@pytest.mark.parametrize(
    "params, message",
    [
        ({"max_epochs": 0}, r"'max_epochs' parameter .* must be an int in the range \[1, inf\)"),
        ({"max_epochs": -3}, r"'max_epochs' parameter .* must be an int in the range \[1, inf\)"),
        ({"max_epochs": True}, r"'max_epochs' parameter .* got the bool True, which Python "
                               r"would take as 1\. Give a whole number, e.g\. max_epochs=20"),
        ({"max_epochs": np.True_}, r"'max_epochs' .* got the bool True"),
        ({"batch_size": True}, r"'batch_size' .* got the bool True"),
        ({"num_threads": False}, r"'num_threads' .* got the bool False"),
    ],
)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_max_epochs_zero_and_bool_counts_are_refused_before_training(params, message, method):
    clf = _clf(**params)
    with pytest.raises(ValueError, match=message):
        getattr(clf, method)(X, Y)
    assert not hasattr(clf, "n_labels_")  # refused before the data was looked at


def test_fit_epochs_zero_builds_the_model_without_training():
    clf = _clf(max_epochs=3).fit(X, Y, epochs=0)
    assert clf.max_epochs_ == 0 and len(clf.history) == 0
    assert clf.pos_weight_.shape == (3,) and clf.predict_proba(X).shape == (60, 3)
    clf.partial_fit(X, Y, epochs=0)
    assert clf.n_samples_seen_ == 120 and len(clf.history) == 0
    clf.partial_fit(X, Y, epochs=1)
    assert clf.max_epochs_ == 1 and len(clf.history) == 1


@pytest.mark.parametrize(
    "epochs, error, message",
    [
        (True, TypeError, r"epochs=True\): epochs is the number of epochs .* got a bool"),
        (2.0, TypeError, r"epochs=2\.0\).* got a float\. Pass e\.g\. epochs=5"),
        ("3", TypeError, r"got a str"),
        (-1, ValueError, r"epochs=-1\): the number of epochs cannot be negative"),
    ],
)
def test_fit_epochs_that_are_not_a_count_are_refused(epochs, error, message):
    clf = _clf()
    with pytest.raises(error, match=message):
        clf.fit(X, Y, epochs=epochs)
    assert not hasattr(clf, "history_") or len(clf.history) == 0


def _csv(tmp_path):
    path = tmp_path / "d.csv"
    rows = [",".join(map(str, [*x, *y])) for x, y in zip(X.round(4), Y)]
    path.write_text("\n".join(["f0,f1,f2,f3,a,b,c", *rows]) + "\n")
    return path


def test_cli_epochs_zero_is_refused_by_the_option(tmp_path, capsys):
    from skimb.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["fit", str(_csv(tmp_path)), "--labels", "3", "--epochs", "0"])
    assert exit_.value.code == 2
    assert "argument --epochs: '0': give 'auto' or a whole number of epochs above 0" in (
        capsys.readouterr().err
    )


# ---------------------------------------------------------- module parameters
class _Net(torch.nn.Module):
    def __init__(self, n_features, n_labels, width=8):
        super().__init__()
        self.layers = torch.nn.Sequential(
            torch.nn.Linear(n_features, width), torch.nn.ReLU(), torch.nn.Linear(width, n_labels)
        )

    def forward(self, X):
        return self.layers(X)


class _AnyKwargs(_Net):
    def __init__(self, n_features, n_labels, **kwargs):
        super().__init__(n_features, n_labels, kwargs.get("width", 8))


class _NeedsInputs(torch.nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.linear = torch.nn.Linear(in_features, out_features)

    def forward(self, X):
        return self.linear(X)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"module__hidden_sizes": (8,)},
         r"^module__hidden_sizes is not a parameter of the module MLP \(did you mean "
         r"module__hidden_units\?\)\. It takes module__hidden_units, module__dropout "
         r"\(n_features and n_labels come from the data\)\.$"),
        ({"module": _Net, "module__widht": 4},
         r"module__widht is not a parameter of the module _Net \(did you mean module__width\?\)"
         r"\. It takes module__width \(n_features and n_labels come from the data\)"),
        ({"module": _Net, "module__colour": "red"},
         r"module__colour is not a parameter of the module _Net\. It takes module__width"),
        ({"module": _NeedsInputs},
         r"The module _NeedsInputs needs in_features, out_features, which the classifier does "
         r"not fill in: pass module__in_features=\.\.\., module__out_features=\.\.\."),
        ({"module": _Net(4, 3), "module__width": 4},
         r"The module _Net needs n_features, n_labels.* rebuilt from its class .* give the "
         r"class instead \(module=_Net\)"),
    ],
)
def test_module_parameters_the_module_does_not_take_are_named_before_training(params, message):
    clf = _clf(**params)
    with pytest.raises(ValueError, match=message):
        clf.fit(X, Y)
    assert not hasattr(clf, "n_labels_")


def test_module_parameters_are_checked_in_the_stacked_fold_path_too():
    from skimb import ThresholdOptimizer

    opt = ThresholdOptimizer(_clf(module__hidden_sizes=(8,)), cv=2)
    with pytest.raises(ValueError, match=r"module__hidden_sizes is not a parameter of the "
                                         r"module MLP"):
        opt.fit(X, Y)


def test_a_wrong_module_parameter_set_on_a_fitted_classifier_is_named():
    clf = _clf().fit(X, Y)  # skorch rebuilds the module inside set_params
    with pytest.raises(ValueError, match=r"^module__hidden_sizes is not a parameter of the "
                                         r"module MLP \(did you mean module__hidden_units"):
        clf.set_params(module__hidden_sizes=(8,))


def test_modules_taking_kwargs_or_given_parameters_they_take_train():
    _clf(module=_AnyKwargs, module__anything=1).fit(X, Y)
    _clf(module=_NeedsInputs, module__in_features=4, module__out_features=3).fit(X, Y)
    clf = _clf(module=_Net, module__width=5).fit(X, Y)
    assert clf.module_.layers[0].out_features == 5
    clf = _clf(module__hidden_units=(6,)).fit(X, Y)  # the MLP's own name
    assert clf.module_.layers[0].out_features == 6


# ------------------------------------------------------------------- warnings
class _Balanced(torch.nn.BCEWithLogitsLoss):
    balances_classes = True


@pytest.mark.parametrize(
    "params, category, message",
    [
        ({"criterion": torch.nn.MultiLabelSoftMarginLoss, "pos_weight": "sqrt"}, UserWarning,
         "is ignored: the loss MultiLabelSoftMarginLoss takes no pos_weight"),
        ({"criterion": _Balanced, "pos_weight": "sqrt"}, UserWarning,
         "already re-weights classes"),
        ({"criterion": torch.nn.BCEWithLogitsLoss, "criterion__weight": torch.ones(3)},
         UserWarning, "Both pos_weight and criterion__weight are set"),
        ({"criterion": torch.nn.BCEWithLogitsLoss(pos_weight=torch.ones(3),
                                                  weight=torch.ones(3))},
         UserWarning, "Two weightings"),
        ({"criterion": "focal", "pos_weight": "sqrt"}, None, "Two weightings"),
        ({"pos_weight": [0.1, 0.1, 0.1]}, UserWarning, "the ratio looks inverted"),
        ({"criterion": torch.nn.CrossEntropyLoss}, UserWarning, "is a multi-class loss"),
        ({"threshold": 1.0, "check_collapse": True}, None, "never predicted"),
    ],
)
def test_warnings_from_fit_point_at_the_callers_line(params, category, message):
    from skimb.diagnostics import LabelCollapseWarning
    from skimb.losses import DoubleWeightingWarning

    category = category or (LabelCollapseWarning if "threshold" in params
                             else DoubleWeightingWarning)
    clf = _clf(**params)
    with pytest.warns(category, match=message) as record:
        clf.fit(X, Y)
    ours = [r for r in record if message in str(r.message)]
    assert ours and all(r.filename == __file__ for r in ours), [r.filename for r in ours]


def test_warnings_point_at_the_callers_line_through_pipelines_and_the_optimizer():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skimb import ThresholdOptimizer
    from skimb.model_selection import MultilabelStratifiedKFold

    pipe = make_pipeline(StandardScaler(), _clf(pos_weight=[0.1, 0.1, 0.1]))
    with pytest.warns(UserWarning, match="looks inverted") as record:
        pipe.fit(X, Y)
    assert record[0].filename == __file__
    opt = ThresholdOptimizer(_clf(), cv=MultilabelStratifiedKFold(2))
    with pytest.warns(UserWarning, match="groups parameter is ignored") as record:
        opt.fit(X, Y, groups=np.arange(len(X)))
    assert record[0].filename == __file__


def test_warnings_of_public_functions_point_at_the_callers_line():
    from skimb.diagnostics import check_collapse, check_pos_weight
    from skimb.losses import DoubleWeightingWarning, FocalLoss
    from skimb.model_selection import MultilabelStratifiedKFold

    with pytest.warns(UserWarning, match="looks inverted") as record:
        check_pos_weight([0.1, 1.0], counts=[10, 50], n_samples=100)
    assert record[0].filename == __file__
    with pytest.warns(UserWarning, match="never predicted") as record:
        check_collapse(Y, np.zeros(Y.shape))
    assert record[0].filename == __file__
    with pytest.warns(UserWarning, match="groups parameter is ignored") as record:
        next(MultilabelStratifiedKFold(2).split(X, Y, groups=np.arange(len(X))))
    assert record[0].filename == __file__
    with pytest.warns(DoubleWeightingWarning) as record:
        FocalLoss(pos_weight=np.ones(3))
    assert record[0].filename == __file__


# ----------------------------------------------------------- CLI model files
@pytest.mark.parametrize(
    "name, said", [("model.txt", "the suffix '.txt'"), ("model", "no suffix"),
                   ("model.onnx.bak", "the suffix '.bak'")],
)
def test_cli_fit_refuses_an_out_suffix_that_names_no_format_before_reading(
        tmp_path, capsys, name, said):
    from skimb.cli import main

    target = tmp_path / name
    code = main(["fit", str(_csv(tmp_path)), "--labels", "3", "--epochs", "1", "--out",
                 str(target)])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""  # nothing read, nothing trained
    assert err == (
        f"skimb: error: --out {target}: {said}, but the suffix chooses the format of the "
        "model file: .onnx (ONNX, loads without running code) or .joblib, .pkl, .pickle (a "
        "joblib pickle), e.g. model.onnx.\n"
    )
    assert not target.exists()


def test_cli_export_refuses_an_output_that_is_not_onnx(tmp_path, capsys):
    pytest.importorskip("skl2onnx")
    pytest.importorskip("onnxruntime")
    from skimb.cli import main

    code = main(["export", str(tmp_path / "m.joblib"), str(tmp_path / "m.txt")])
    assert code == 1
    assert "the suffix '.txt', but this writes an ONNX model; give a name ending in .onnx" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize("name", ["m.onnx", "M.ONNX", "m.joblib", "m.pkl", "m.Pickle"])
def test_cli_model_suffixes_that_name_a_format_pass(name):
    from skimb.cli import ONNX_SUFFIXES, PICKLE_SUFFIXES, _check_suffix

    _check_suffix(name, "--out", ONNX_SUFFIXES + PICKLE_SUFFIXES)


# ------------------------------------------------------------- progress output
def test_progress_off_a_terminal_is_one_plain_line_per_fit(capsys):
    _clf(max_epochs=2, verbose=1).fit(X, Y)
    out, err = capsys.readouterr()  # capsys's streams are not terminals, as a log file
    assert out == ""
    assert re.fullmatch(r"MultiLabelImbalancedClassifier: 2/2 epochs in 00:0\d, "
                        r"train_loss=[\d.]+\n", err), repr(err)


def test_epoch_table_off_a_terminal_has_no_escape_codes(capsys, monkeypatch):
    _clf(max_epochs=2, verbose=2).fit(X, Y)
    out, err = capsys.readouterr()
    assert "train_loss" in out and "\x1b" not in out and "\r" not in out
    assert "\x1b" not in err and "\r" not in err and err.count("\n") == 1
    # on a terminal, skorch's colours stay (the best loss of each epoch)
    import skimb.callbacks

    monkeypatch.setattr(skimb.callbacks, "is_terminal", lambda stream: True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    _clf(max_epochs=2, verbose=2, callbacks__progress_bar=None).fit(X, Y)
    assert "\x1b[" in capsys.readouterr().out


def test_nested_progress_off_a_terminal_repeats_nothing(capsys):
    from skorch.callbacks import Callback

    from skimb import ThresholdOptimizer

    # a callback makes the folds fit one by one, each with its own bar inside the optimizer's
    clf = _clf(verbose=1, callbacks=[("noop", Callback())])
    ThresholdOptimizer(clf, cv=2, random_state=0, verbose=1).fit(X, Y)
    err = capsys.readouterr().err
    assert "\r" not in err and "\x1b" not in err and "100%" not in err
    lines = err.splitlines()
    assert len(lines) == 4 and lines[-1].startswith("ThresholdOptimizer: 3/3 fits in ")
    assert all(line.startswith("MultiLabelImbalancedClassifier: 1/1 epochs in ")
               for line in lines[:3])


def test_progress_on_a_terminal_is_tqdm_and_a_plain_line_is_written_once():
    import io

    from tqdm.auto import tqdm

    from skimb._progress import PlainProgress, progress_bar

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    bar = progress_bar(2, "fits", "fit", file=terminal)
    assert isinstance(bar, tqdm)
    bar.update(2)
    bar.close()
    assert "\r" in terminal.getvalue()  # tqdm redraws in place on a terminal
    log = io.StringIO()
    bar = progress_bar(2, "fits", "fit", file=log)
    assert isinstance(bar, PlainProgress)
    bar.update()
    bar.set_postfix({"loss": "0.5"})
    bar.close()
    bar.close()
    assert re.fullmatch(r"fits: 1/2 fits in 00:00, loss=0\.5\n", log.getvalue())


@pytest.mark.filterwarnings("ignore:Label not 0 is present")  # OvR on the one-class fold
def test_threshold_optimizer_warnings_point_at_the_callers_line():
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    from skimb import ThresholdOptimizer

    opt = ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), objective="f1",
                             min_recall=0.5, cv=2)
    with pytest.warns(UserWarning, match="min_recall is set") as record:
        opt.fit(X, Y)
    assert record[0].filename == __file__
    Y_rare = Y.copy()
    Y_rare[:, 0] = 0
    Y_rare[0, 0] = 1  # one positive: a fold's training part lacks it
    with pytest.warns(UserWarning, match="single class in the training part") as record:
        ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=2).fit(X, Y_rare)
    ours = [r for r in record if "single class" in str(r.message)]
    assert ours[0].filename == __file__
