"""Reading data files: CSV, MULAN ARFF (dense and sparse), npz, and their errors."""

import numpy as np
import pytest
import scipy.sparse as sp

from skimb import make_long_tail_multilabel
from skimb.io import DataError, load_data, save_data

DENSE_ARFF = """% A MULAN-style file: comments, quoted names, labels last
@relation 'toy: -C -2'

@attribute 'feature one' numeric
@attribute f2 REAL
@attribute "f 3" integer
@attribute happy {0,1}
@attribute 'sad face' {0,1}

@data
0.5,1,3,1,0
% a comment between rows
-1.25,0,8,0,1
2e-3,4.5,7,1,1
"""

SPARSE_ARFF = """@relation sparse
@attribute a numeric
@attribute b numeric
@attribute c numeric
@attribute y1 {0,1}
@attribute y2 {0,1}
@data
{0 1.5,3 1}
{}
{1 -2,2 0.25,4 1}
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_dense_arff_by_count_and_by_name(tmp_path):
    path = write(tmp_path, "toy.arff", DENSE_ARFF)
    by_count = load_data(path, labels=["2"], require_labels=True)
    assert by_count.feature_names == ["feature one", "f2", "f 3"]
    assert by_count.label_names == ["happy", "sad face"]
    assert by_count.Y.tolist() == [[1, 0], [0, 1], [1, 1]]
    assert by_count.X.dtype == np.float32
    by_name = load_data(path, labels=["sad face", "happy"])
    assert by_name.Y.tolist() == [[0, 1], [1, 0], [1, 1]]
    # '?' is a missing value: refused for a feature, naming the column
    path = write(tmp_path, "missing.arff", DENSE_ARFF.replace("-1.25,0,8", "-1.25,0,?"))
    with pytest.raises(DataError, match=r"missing.arff: feature columns \['f 3'\] have missing"):
        load_data(path, labels=["2"])


def test_sparse_arff_gives_a_sparse_matrix(tmp_path):
    data = load_data(write(tmp_path, "s.arff", SPARSE_ARFF), labels=["y1", "y2"])
    assert sp.issparse(data.X) and data.X.dtype == np.float32
    np.testing.assert_array_equal(
        data.X.toarray(), [[1.5, 0, 0], [0, 0, 0], [0, -2, 0.25]]
    )
    assert data.Y.tolist() == [[1, 0], [0, 0], [0, 1]]


def test_csv_with_semicolons_and_a_label_subset(tmp_path):
    path = write(tmp_path, "d.csv", "x1;x2;spam;urgent\n0.5;1;1;0\n1.5;-2;0;0\n")
    data = load_data(path, labels=["urgent"])
    assert data.feature_names == ["x1", "x2", "spam"] and data.label_names == ["urgent"]
    ordered = load_data(path, labels=["spam"], feature_names=["x2", "x1"])
    assert ordered.X.tolist() == [[1, 0.5], [-2, 1.5]]
    features_only = load_data(path, feature_names=["x1", "x2"], require_labels=False)
    assert features_only.Y is None


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("suffix", [".csv", ".arff", ".npz"])
def test_save_and_load_round_trip_bit_for_bit(tmp_path, suffix, sparse):
    X, Y = make_long_tail_multilabel(60, 5, 3, min_prevalence=0.1, random_state=0)
    X = np.where(np.abs(X) > 0.8, X, 0).astype(np.float32)
    Xs = sp.csr_matrix(X) if sparse else X
    path = tmp_path / f"d{suffix}"
    save_data(path, Xs, Y, [f"f{i}" for i in range(5)], ["a", "b", "c"])
    data = load_data(path, labels=["3"] if suffix != ".npz" else None)
    dense = data.X.toarray() if sp.issparse(data.X) else data.X
    np.testing.assert_array_equal(dense, X)
    np.testing.assert_array_equal(data.Y, Y)
    assert data.label_names == ["a", "b", "c"]
    assert sp.issparse(data.X) == (sparse and suffix != ".csv")


def test_npz_in_the_shared_format(tmp_path):
    X, Y = make_long_tail_multilabel(40, 4, 3, min_prevalence=0.1, random_state=0)
    path = tmp_path / "d.npz"
    np.savez(path, X=X, Y=Y.astype(np.uint8), is_test=np.arange(40) >= 30,
             label_names=np.array(["a", "b", "c"]), feature_names=np.array(list("wxyz")))
    data = load_data(path)
    assert data.Y.dtype == np.int64 and data.label_names == ["a", "b", "c"]
    assert data.rows(~data.is_test).n_samples == 30
    assert load_data(path, labels=["c", "a"]).Y.tolist() == Y[:, [2, 0]].tolist()
    with pytest.raises(DataError, match="trained on 5"):
        load_data(path, feature_names=list("vwxyz"))


@pytest.mark.parametrize(
    "name, text, labels, match",
    [
        ("m.csv", None, ["a"], "m.csv: no such file"),
        ("d.xlsx", "x", ["a"], "unknown format '.xlsx'"),
        ("d.csv", "x,a\n1,0\n", ["b"], r"unknown label columns \['b'\]; the columns are x, a"),
        ("d.csv", "x,a\n1,0\n", None, "which columns are the labels"),
        ("d.csv", "x,a,b\n1,2,0\n2,0.5,1\n", ["a", "b"],
         r"label data has values other than 0 and 1 in columns \['a'\]. Columns \['a'\] hold"),
        ("d.csv", "x,a\nred,1\n", ["a"], "column 'x' holds the non-numeric value 'red'"),
        ("d.csv", "x,a\n1,0\n2\n", ["a"], "data row 3 has 1 values but the header has 2"),
        ("d.csv", "1,0\n2,1\n", ["1"], "needs a header row"),
        ("d.csv", "x,a\n1,0\n", ["2"], "the last 2 columns as labels, but the file has 2"),
        ("d.arff", "@relation r\n@attribute c {red,blue}\n@data\nred\n", ["1"],
         "attribute 'c' is nominal"),
        ("d.arff", "@relation r\n@attribute s string\n@data\n'x'\n", ["1"], "type 'string'"),
        ("d.arff", "@relation r\n@attribute a numeric\n", ["1"], "no @data section"),
        ("d.arff", "@relation r\n@attribute a numeric\n@attribute b {0,1}\n@data\n1,2\n", ["b"],
         r"data row 1: '2' is not a valid value of attribute 'b'"),
        ("d.npz", "not a zip", None, "cannot read it as a NumPy .npz archive"),
    ],
)
def test_bad_files_raise_one_line_data_errors(tmp_path, name, text, labels, match):
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    with pytest.raises(DataError, match=match) as info:
        load_data(path, labels=labels)
    assert "\n" not in str(info.value)
