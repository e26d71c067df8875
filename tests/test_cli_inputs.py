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


def write_meka_arff(path, X, Y, option):
    """A MEKA ARFF: the labels first, declared by -C in the @relation."""
    lines = [f"@relation 'toy: {option}'",
             *(f"@attribute {lab} {{0,1}}" for lab in LABELS),
             *(f"@attribute {f} numeric" for f in FEATURES), "@data"]
    lines += [",".join([*(str(v) for v in y), *(f"{v:.9g}" for v in x)]) for x, y in zip(X, Y)]
    path.write_text("\n".join(lines) + "\n")


def test_labels_named_twice_are_refused(data, capsys):
    tmp = data[0]
    code, out, err = run(["fit", tmp / "d.csv", "--labels", "a", "a", *FIT], capsys)
    one_line_error(code, err, r"d.csv: --labels names \['a'\] more than once; give each label "
                              "column once")
    assert out == ""


@pytest.mark.parametrize("labels", [["2"], [], ["a", "b"]])
def test_meka_labels_first_are_honoured(data, capsys, labels):
    tmp, X, Y = data
    write_meka_arff(tmp / "meka.arff", X, Y, "-C 2")
    argv = ["fit", tmp / "meka.arff", *(["--labels", *labels] if labels else []), *FIT]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert "meka.arff: 60 rows, 4 features, 2 labels" in out
    report = out[out.index("out-of-fold report"):]
    assert re.search(r"^\s*a\s", report, re.M) and re.search(r"^\s*b\s", report, re.M)
    assert not re.search(r"^\s*f3\s", report, re.M)  # a feature is no label


def test_meka_count_that_disagrees_is_refused(data, capsys):
    tmp, X, Y = data
    write_meka_arff(tmp / "meka.arff", X, Y, "-C 2")
    code, out, err = run(["fit", tmp / "meka.arff", "--labels", "3", *FIT], capsys)
    one_line_error(code, err, r"meka.arff: its @relation declares MEKA's -C 2 \(the first 2 "
                              r"attributes are the labels\), but --labels 3 asks for 3; give "
                              r"--labels 2 \(MEKA's labels\), or name the label columns")
    assert out == ""


def test_meka_labels_last_without_labels_argument(data):
    from skimb.io import load_data

    tmp, X, Y = data
    save_data(tmp / "last.arff", X, Y, FEATURES, LABELS)
    text = (tmp / "last.arff").read_text().replace("@relation 'last'", "@relation 'last: -C -2'")
    (tmp / "last.arff").write_text(text)
    read = load_data(tmp / "last.arff")
    assert read.label_names == LABELS and read.feature_names == FEATURES
    np.testing.assert_array_equal(read.Y, Y)


def test_meka_declaration_that_misses_the_labels_says_so(data, capsys):
    tmp, X, Y = data
    save_data(tmp / "wrong.arff", X, Y, FEATURES, LABELS)  # labels last, -C says first
    text = (tmp / "wrong.arff").read_text().replace("@relation 'wrong'",
                                                    "@relation 'wrong: -C 2'")
    (tmp / "wrong.arff").write_text(text)
    code, _, err = run(["fit", tmp / "wrong.arff", *FIT], capsys)
    one_line_error(code, err, r"wrong.arff: the label data has values other than 0 and 1 .* "
                              r"These are the first 2 attributes, the labels that the "
                              r"@relation's MEKA option -C 2 declares; .*fix -C \(-C -2: the "
                              r"last 2\) or name the label columns")


@pytest.mark.parametrize("sparse_name", ["s.arff", "s.npz"])
def test_sparse_data_for_a_model_trained_on_dense_data(data, capsys, monkeypatch,
                                                       sparse_name):
    import scipy.sparse as sp

    import skimb.cli

    tmp, X, Y = data
    model = tmp / "dense.joblib"
    if not model.exists():
        code, _, err = run(["fit", tmp / "d.csv", "--labels", "2", *FIT, "--out", model],
                           capsys)
        assert code == 0, err
    save_data(tmp / sparse_name, sp.csr_matrix(X), Y, FEATURES, LABELS)
    monkeypatch.setattr(skimb.cli, "BLOCK_ROWS", 7)  # several dense blocks of rows
    outputs = {}
    for name in ("d.csv", sparse_name):
        for command in (["predict"], ["predict", "--proba"], ["report"]):
            code, out, err = run([command[0], model, tmp / name, "--trust-model",
                                  *command[1:]], capsys)
            assert code == 0 and err == "", err
            outputs[(name, *command)] = out.replace(name, "DATA")
    for command in (["predict"], ["predict", "--proba"], ["report"]):
        assert outputs[(sparse_name, *command)] == outputs[("d.csv", *command)]
    assert len(outputs["d.csv", "predict"].splitlines()) == 61


NAMES = ["température", "x", "été"]


def encoded_csv(tmp, name, encoding, sep=",", newline="\n"):
    rows = [sep.join(NAMES)] + [sep.join(r) for r in
                                (("1.5", "2", "0"), ("3", "-4", "1"), ("5", "6", "0"))]
    path = tmp / name
    path.write_bytes((newline.join(rows) + newline).encode(encoding))
    return path


@pytest.mark.parametrize("name, encoding, sep, newline", [
    ("utf8.csv", "utf-8", ",", "\n"),
    ("bom.csv", "utf-8-sig", ";", "\r\n"),  # Excel's "CSV UTF-8"
    ("unicode.txt", "utf-16", "\t", "\r\n"),  # Excel's "Unicode text"
    ("mac.csv", "utf-8", ",", "\r"),
])
def test_unicode_files_are_read(data, name, encoding, sep, newline):
    from skimb.io import load_data

    read = load_data(encoded_csv(data[0], name, encoding, sep, newline), ["été"])
    assert read.feature_names == ["température", "x"] and read.label_names == ["été"]
    np.testing.assert_array_equal(read.X, [[1.5, 2], [3, -4], [5, 6]])
    assert read.Y.ravel().tolist() == [0, 1, 0]


def test_a_file_in_another_encoding_is_named_with_the_fix(data, capsys):
    tmp = data[0]
    for path, line in ((encoded_csv(tmp, "latin.csv", "latin-1"), 1),
                       (encoded_csv(tmp, "latin.arff", "latin-1"), 2)):
        if path.suffix == ".arff":
            path.write_bytes(b"@relation t\n@attribute 'temp\xe9rature' numeric\n"
                             b"@attribute a {0,1}\n@data\n1,0\n2,1\n")
        code, out, err = run(["fit", path, "--labels", "1", *FIT], capsys)
        one_line_error(code, err, rf"{path.name}: is not UTF-8 text: line {line} holds the byte "
                                  rf"0xe9 \(a Latin-1 or Windows-1252 file\?\); save it as "
                                  rf"UTF-8, e.g. iconv -f WINDOWS-1252 -t UTF-8 {path.name} > "
                                  rf"latin-utf8{path.suffix}")
        assert out == ""


@pytest.mark.parametrize("content, match", [
    (b"PK\x03\x04\x14\x00\x06\x00", r"is a zip archive \(an Excel .xlsx or .ods workbook\?\), "
                                    r"not text; save the sheet as CSV \(UTF-8\)"),
    (b"a\x00,b\x00\n", "holds NUL bytes, so it is not a text file"),
    (b"x;a\n1,5;0\n2,5;1\n", r"column 'x' holds the non-numeric value '1,5'; .*a decimal "
                             r"comma\? write numbers with a decimal point \(1.5\)"),
])
def test_unusual_csv_content_is_named_with_the_fix(data, capsys, content, match):
    path = data[0] / "odd.csv"
    path.write_bytes(content)
    code, _, err = run(["fit", path, "--labels", "1", *FIT], capsys)
    one_line_error(code, err, "odd.csv: " + match)


def test_a_trailing_delimiter_is_read_and_an_unnamed_column_refused(data, capsys):
    from skimb.io import load_data

    tmp = data[0]
    (tmp / "trail.csv").write_text("x,y,a,\n1,2,0,\n3,4,1,\n")
    read = load_data(tmp / "trail.csv", ["a"])
    assert read.feature_names == ["x", "y"] and read.Y.ravel().tolist() == [0, 1]
    (tmp / "unnamed.csv").write_text("x,,a\n1,2,0\n3,4,1\n")
    code, _, err = run(["fit", tmp / "unnamed.csv", "--labels", "a", *FIT], capsys)
    one_line_error(code, err, "unnamed.csv: column 2 has values but no name in the header "
                              "row; name every column")


def test_a_folder_as_the_model_is_named(data, capsys):
    tmp = data[0]
    code, _, err = run(["predict", tmp, tmp / "d.csv"], capsys)
    one_line_error(code, err, "is a folder, not a model file")


def test_export_checks_the_output_folder_first(data, capsys):
    pytest.importorskip("skl2onnx")
    pytest.importorskip("onnxruntime")
    tmp = data[0]
    joblib.dump({"weights": 1}, tmp / "notmodel2.joblib")
    code, _, err = run(["export", tmp / "notmodel2.joblib", tmp / "nowhere" / "m.onnx",
                        "--trust-model"], capsys)
    one_line_error(code, err, r"the output .*m.onnx: the folder .*nowhere does not exist")
