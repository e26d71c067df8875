"""Command-line misuse answered in one line, before any training: output paths,
files that are not models, sparse data for a dense model, duplicate or disagreeing
labels, other encodings."""

import re

import joblib
import numpy as np
import pytest

from skimb import make_long_tail_multilabel
from skimb.cli import MODEL_KEY, main
from skimb.io import save_data

FEATURES, LABELS = ["f0", "f1", "f2", "f3"], ["a", "b"]


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def one_line_error(code, err, match):
    assert code == 1, err
    assert err.startswith("skimb: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert re.search(match, err), err


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("inputs")
    X, Y = make_long_tail_multilabel(60, 4, 2, min_prevalence=0.2, random_state=0)
    save_data(tmp / "d.csv", X, Y, FEATURES, LABELS)
    return tmp, X, Y


FIT = ["--epochs", "1", "--cv", "2", "-q"]


@pytest.mark.parametrize("name", ["model.joblib", "model.onnx"])
def test_fit_checks_the_output_folder_before_training(data, capsys, name):
    tmp = data[0]
    target = tmp / "missing_dir" / name
    code, out, err = run(["fit", tmp / "d.csv", "--labels", "2", *FIT, "--out", target],
                         capsys)
    one_line_error(code, err, rf"--out .*{name}: the folder .*missing_dir does not exist; "
                              r"create it first \(mkdir -p .*missing_dir\)")
    assert out == ""  # nothing read, nothing trained
    code, out, err = run(["fit", tmp / "d.csv", "--labels", "2", *FIT, "--out", tmp], capsys)
    one_line_error(code, err, "is a folder; give a file name inside it")
    assert out == ""


def _foreign_onnx(path):
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    from onnx import TensorProto, helper

    io_ = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [None, 4]) for n in "xy"]
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", io_[:1],
                              io_[1:])
    onnx.save(helper.make_model(graph), path)


@pytest.mark.parametrize("content, match", [
    ({"weights": [1, 2]}, r"not a skimb model file; it holds a dict"),
    ({MODEL_KEY: 5, "feature_names": FEATURES, "label_names": LABELS},
     r"its 'skimb_model' entry is a int, not a fitted model \(it has no predict or "
     r"predict_proba\)\. Make it again with `skimb fit"),
    ({MODEL_KEY: make_long_tail_multilabel}, r"lacks \['feature_names', 'label_names'\]"),
    ({MODEL_KEY: np.zeros(1), "feature_names": 3, "label_names": LABELS},
     "is a ndarray, not a fitted model"),
    ("onnx", r"an ONNX model, but not one exported by skimb.to_onnx"),
    (b"not a model", r"not an ONNX model onnxruntime can load"),
])
def test_a_file_that_is_not_a_model_is_one_line(data, capsys, content, match):
    tmp = data[0]
    if content == "onnx":
        path = tmp / "foreign.onnx"
        _foreign_onnx(path)
    elif isinstance(content, bytes):
        pytest.importorskip("onnxruntime")
        path = tmp / "garbage.onnx"
        path.write_bytes(content)
    else:
        path = tmp / "notmodel.joblib"
        joblib.dump(content, path)
    for command in ("predict", "report"):
        code, _, err = run([command, path, tmp / "d.csv", "--trust-model"], capsys)
        one_line_error(code, err, match)
