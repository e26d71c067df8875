"""Command-line misuse answered in one line, before any training: output paths,
files that are not models, sparse data for a dense model, duplicate or disagreeing
labels, other encodings."""

import re

import pytest

from skimb import make_long_tail_multilabel
from skimb.cli import main
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
