"""benchmarks/mulan_to_npz.py: MULAN ARFF + XML into the benchmarks' npz format."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from skimb.io import load_data

pytest.importorskip("arff")

_SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "mulan_to_npz.py"
_spec = importlib.util.spec_from_file_location("mulan_to_npz", _SCRIPT)
mulan_to_npz = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mulan_to_npz)

HEADER = """@relation toy
@attribute id {p1,p2,p3,p4,p5}
@attribute f1 numeric
@attribute site {2,10,1}
@attribute note string
@attribute "it's" {0,1}
@attribute sad {0,1}
@data
"""
XML = """<?xml version="1.0" encoding="utf-8"?>
<labels xmlns="http://mulan.sourceforge.net/labels">
<label name="it&apos;s"></label>
<label name="sad"></label>
</labels>
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture
def dense_pair(tmp_path):
    train = write(tmp_path, "train.arff", HEADER + "p1,0.5,10,'a b',1,0\np2,?,1,x,0,1\n")
    test = write(tmp_path, "test.arff", HEADER + "p3,2.5,2,y,1,1\n")
    return train, test, write(tmp_path, "toy.xml", XML)


def test_a_dense_pair_gives_features_labels_and_the_split(dense_pair):
    train, test, xml = dense_pair
    out, notes = mulan_to_npz.convert([train, test], xml, max_levels=4)
    # 'id' (5 text values > 4) and the string 'note' are dropped; 'site' is read
    # as its numerals, the missing f1 as 0
    assert out["feature_names"].tolist() == ["f1", "site"]
    np.testing.assert_array_equal(out["X"], [[0.5, 10.0], [0.0, 1.0], [2.5, 2.0]])
    assert out["X"].dtype == np.float32
    np.testing.assert_array_equal(out["Y"], [[1, 0], [0, 1], [1, 1]])
    assert out["label_names"].tolist() == ["it's", "sad"]
    assert out["is_test"].tolist() == [False, False, True]
    assert any("'id'" in n for n in notes) and any("'note'" in n for n in notes)
    assert "1 missing values set to 0" in notes


def test_a_text_nominal_within_max_levels_is_coded_by_its_index(dense_pair):
    train, test, xml = dense_pair
    out, _ = mulan_to_npz.convert([train, test], xml, max_levels=50)
    assert out["feature_names"].tolist() == ["id", "f1", "site"]
    np.testing.assert_array_equal(out["X"][:, 0], [0, 1, 2])


def test_the_written_npz_reads_back_as_skimb_io_reads_the_arff(tmp_path):
    header = HEADER.replace("@attribute id {p1,p2,p3,p4,p5}\n", "").replace(
        "@attribute note string\n", "")
    train = write(tmp_path, "a.arff", header + "0.5,10,1,0\n-1.25,1,0,1\n3,2,1,1\n")
    test = write(tmp_path, "b.arff", header + "7,2,0,0\n")
    xml = write(tmp_path, "toy.xml", XML)
    npz = tmp_path / "out" / "toy.npz"
    mulan_to_npz.main([train, test, "--xml", xml, "--out", str(npz)])
    from_npz = load_data(npz)
    from_arff = load_data(train, labels=["it's", "sad"])
    np.testing.assert_array_equal(from_npz.X[:3], from_arff.X)
    np.testing.assert_array_equal(from_npz.Y[:3], from_arff.Y)
    assert from_npz.feature_names == from_arff.feature_names == ["f1", "site"]


def test_sparse_arff_gives_csr_with_the_dense_files_values(tmp_path):
    header = "@relation s\n@attribute w0 numeric\n@attribute w1 numeric\n" \
             "@attribute w2 {0,1}\n@attribute t string\n@attribute lab {0,1}\n@data\n"
    dense = write(tmp_path, "d.arff", header + "0,1.5,0,a,1\n2,0,1,b,0\n0,0,0,c,0\n")
    # the last row stores nothing: it is still a row
    sparse = write(tmp_path, "s.arff", header + "{1 1.5,3 a,4 1}\n{0 2,2 1,3 'b c'}\n{}\n")
    xml = write(tmp_path, "s.xml", '<labels><label name="lab"></label></labels>')
    out_dense, _ = mulan_to_npz.convert([dense], xml, test_fraction=0.34)
    out_sparse, _ = mulan_to_npz.convert([sparse], xml, test_fraction=0.34)
    X = sp.csr_matrix((out_sparse["X_data"], out_sparse["X_indices"], out_sparse["X_indptr"]),
                      shape=tuple(out_sparse["X_shape"]))
    assert "X" not in out_sparse and X.nnz == 3
    np.testing.assert_array_equal(X.toarray(), out_dense["X"])
    np.testing.assert_array_equal(out_sparse["Y"], out_dense["Y"])


def test_one_file_is_split_at_random_by_the_seed(tmp_path):
    rows = "".join(f"{i},{i % 2}\n" for i in range(20))
    path = write(tmp_path, "one.arff", "@relation r\n@attribute f numeric\n"
                 "@attribute lab {0,1}\n@data\n" + rows)
    xml = write(tmp_path, "r.xml", '<labels><label name="lab"></label></labels>')
    split = [mulan_to_npz.convert([path], xml, test_fraction=0.25, seed=s)[0]["is_test"]
             for s in (0, 0, 1)]
    assert split[0].sum() == 5
    np.testing.assert_array_equal(split[0], split[1])
    assert not np.array_equal(split[0], split[2])
    with pytest.raises(SystemExit, match="--test-fraction"):
        mulan_to_npz.convert([path], xml)


def test_labels_missing_from_the_arff_are_named(dense_pair, tmp_path):
    train, test, _ = dense_pair
    xml = write(tmp_path, "other.xml", '<labels><label name="happy"></label></labels>')
    with pytest.raises(SystemExit, match="happy"):
        mulan_to_npz.convert([train, test], xml)
