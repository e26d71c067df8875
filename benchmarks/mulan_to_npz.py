"""Convert a MULAN data set (ARFF + XML label file) into the benchmarks' ``.npz`` format.

The benchmarks read ``NAME.npz`` files (the format of ``../shared/data``, see
its README): ``X`` (float32) or a CSR matrix as ``X_data``, ``X_indices``,
``X_indptr``, ``X_shape``; ``Y`` (uint8 label indicator matrix); ``is_test``
(bool, the train/test split); ``label_names``; ``feature_names``. This script
writes one from the ARFF files MULAN distributes, so that any MULAN data set
(or any multi-label ARFF with a MULAN label file) can be run through
``--data-dir``::

    pip install liac-arff
    python benchmarks/mulan_to_npz.py medical-train.arff medical-test.arff \\
        --xml medical.xml --out npz/medical.npz
    python benchmarks/mulan_to_npz.py cal500.arff --xml cal500.xml \\
        --test-fraction 0.33 --out npz/cal500.npz       # no standard split
    python benchmarks/bench_quality.py --data-dir npz

Two ARFF files are the training and the test part (the standard split); one
file is split at random with ``--test-fraction`` (seed ``--seed``). Sparse
ARFF (``{index value, ...}`` rows) gives a CSR ``X``. Nominal features whose
values are numerals (``{1,2,3}``, ``{0,1}``) are read as those numbers, as
``skimb.io.load_data`` reads them; other nominal features by the index of
their value. Nominal attributes with more than ``--max-levels`` values (row
identifiers, such as genbase's ``protein``) and string attributes are
dropped, and the script says which. Missing values become 0 (counted in the
summary).

``skimb.io.load_data`` (what ``skimb fit`` reads) refuses what a model cannot
use as it stands (text-valued nominal attributes, missing values) and takes
its labels by name or count; this script takes them from MULAN's XML file
and makes those choices for the user, for benchmarks. ARFF is parsed by
liac-arff (``pip install liac-arff``), which reads the sparse format that
``scipy.io.arff`` does not.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import scipy.sparse as sp


def _arff():
    try:
        import arff
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SystemExit("mulan_to_npz needs liac-arff: pip install liac-arff") from exc
    return arff


def label_names(xml_path) -> list[str]:
    """Label names of a MULAN XML label file, in document order (nested labels included)."""
    try:
        root = ElementTree.parse(xml_path).getroot()
    except ElementTree.ParseError as exc:
        raise SystemExit(f"{xml_path}: not a readable XML file ({exc}).") from exc
    # MULAN's files use a namespace ({http://mulan.sourceforge.net/labels}label)
    names = [el.get("name") for el in root.iter()
             if el.tag.rsplit("}", 1)[-1] == "label" and el.get("name") is not None]
    if not names:
        raise SystemExit(f"{xml_path}: no <label name=...> entries.")
    return names


def _is_string(kind) -> bool:
    """Whether an attribute type (as liac-arff gives it) is ARFF's ``string``."""
    return isinstance(kind, str) and kind.upper() == "STRING"


def read_arff(path):
    """Attributes and data of one ARFF file: (attributes, dense ndarray or CSR, n_missing)."""
    arff = _arff()
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    data_at = re.search(r"^\s*@data\s*$", text, flags=re.IGNORECASE | re.MULTILINE)
    if data_at is None:
        raise SystemExit(f"{path}: no @data section.")
    data_lines = [line.strip() for line in text[data_at.end():].splitlines()
                  if line.strip() and not line.strip().startswith("%")]
    sparse = bool(data_lines) and data_lines[0].startswith("{")
    parsed = arff.loads(text, encode_nominal=True,
                        return_type=arff.COO if sparse else arff.DENSE)
    attributes = parsed["attributes"]
    numerals = _nominal_numerals(attributes, sparse)
    text_columns = {j for j, (_, kind) in enumerate(attributes) if _is_string(kind)}
    if sparse:
        values, rows, cols = parsed["data"]
        keep = [k for k, j in enumerate(cols) if j not in text_columns]
        rows, cols = np.asarray(rows, dtype=np.int64)[keep], np.asarray(cols, dtype=np.int64)[keep]
        values = np.array([np.nan if values[k] is None else values[k] for k in keep],
                          dtype=np.float64)
        for j, numeral in numerals.items():
            at = (cols == j) & ~np.isnan(values)
            values[at] = numeral[values[at].astype(int)]
        n_rows = len(data_lines)  # rows with no stored value ({}) are rows too
        matrix = sp.csr_matrix((values, (rows, cols)), shape=(n_rows, len(attributes)))
        missing = int(np.isnan(matrix.data).sum())
        matrix.data = np.nan_to_num(matrix.data)
    else:
        matrix = np.array([[np.nan if v is None or j in text_columns else v
                            for j, v in enumerate(row)] for row in parsed["data"]],
                          dtype=np.float64).reshape(-1, len(attributes))
        for j, numeral in numerals.items():
            known = ~np.isnan(matrix[:, j])
            matrix[known, j] = numeral[matrix[known, j].astype(int)]
        missing = int(np.isnan(np.delete(matrix, list(text_columns), axis=1)).sum())
        matrix = np.nan_to_num(matrix)
    return attributes, matrix, missing


def _nominal_numerals(attributes, sparse):
    """{column: the number each value index stands for} for nominal attributes of numerals.

    A nominal attribute whose values are all numerals (``{1,2,3}``, ``{0,1}``) is
    read as those numbers, as ``skimb.io.load_data`` reads it; liac-arff gives the
    value's index. In sparse ARFF an omitted entry is the first value, stored as 0,
    so there only attributes whose first value is 0 are mapped.
    """
    numerals = {}
    for j, (_, kind) in enumerate(attributes):
        if not isinstance(kind, list):
            continue
        try:
            numbers = np.array([float(v) for v in kind])
        except ValueError:
            continue
        if sparse and numbers[0] != 0:
            continue
        if np.array_equal(numbers, np.arange(len(numbers))):  # {0,1}: the index is the value
            continue
        numerals[j] = numbers
    return numerals


def convert(arff_paths, xml_path, *, test_fraction=None, seed=0, max_levels=50):
    """The arrays of the ``.npz`` file (a dict) and a list of notes."""
    labels = label_names(xml_path)
    parts = [read_arff(p) for p in arff_paths]
    attributes = parts[0][0]
    for path, (other, _, _) in zip(arff_paths[1:], parts[1:]):
        if [a[0] for a in other] != [a[0] for a in attributes]:
            raise SystemExit(f"{path}: its attributes differ from {arff_paths[0]}'s.")
    names = [a[0] for a in attributes]
    # ARFF quoting keeps a backslash before quotes in some MULAN files.
    lookup = {n.replace("\\'", "'").replace('\\"', '"'): i for i, n in enumerate(names)}
    missing_labels = [lab for lab in labels if lab not in lookup]
    if missing_labels:
        raise SystemExit(
            f"labels of {xml_path} not among the ARFF attributes: {missing_labels[:5]}")
    label_cols = [lookup[lab] for lab in labels]
    notes = []
    feature_cols = []
    label_set = set(label_cols)
    for i, (name, kind) in enumerate(attributes):
        if i in label_set:
            continue
        if _is_string(kind):
            notes.append(f"dropped string attribute {name!r}")
        elif isinstance(kind, list) and len(kind) > max_levels:
            notes.append(f"dropped nominal attribute {name!r} ({len(kind)} values)")
        else:
            feature_cols.append(i)
    matrices = [p[1] for p in parts]
    n_missing = sum(p[2] for p in parts)
    if any(sp.issparse(m) for m in matrices):
        matrix = sp.vstack([sp.csr_matrix(m) for m in matrices]).tocsr()
    else:
        matrix = np.vstack(matrices)
    if len(arff_paths) == 2:
        is_test = np.r_[np.zeros(matrices[0].shape[0], bool), np.ones(matrices[1].shape[0], bool)]
    else:
        if test_fraction is None:
            raise SystemExit("one ARFF file: give --test-fraction (or a training and a test file).")
        rng = np.random.RandomState(seed)
        is_test = rng.permutation(matrix.shape[0]) < round(test_fraction * matrix.shape[0])
    Y = matrix[:, label_cols]
    Y = Y.toarray() if sp.issparse(Y) else Y
    if not np.isin(Y, (0, 1)).all():
        raise SystemExit("label columns hold values other than 0 and 1.")
    X = matrix[:, feature_cols]
    out = {"Y": Y.astype(np.uint8), "is_test": is_test, "label_names": np.array(labels),
           "feature_names": np.array([names[i] for i in feature_cols])}
    if sp.issparse(X):
        X = sp.csr_matrix(X, dtype=np.float32)
        X.sort_indices()
        out.update(X_data=X.data, X_indices=X.indices, X_indptr=X.indptr,
                   X_shape=np.array(X.shape))
    else:
        out["X"] = X.astype(np.float32)
    if n_missing:
        notes.append(f"{n_missing} missing values set to 0")
    return out, notes


def summary(name, out) -> str:
    """One row in the columns of ../shared/data/README.md."""
    Y, test = out["Y"], out["is_test"]
    n, n_labels = Y.shape
    n_features = len(out["feature_names"])
    prevalence = Y.mean(axis=0)
    train_pos = Y[~test].sum(axis=0)
    kind = "dense" if "X" in out else "sparse"
    return (f"{name}: n {n}, features {n_features} ({kind}), labels {n_labels}, cardinality "
            f"{Y.sum(axis=1).mean():.2f}, min prevalence {prevalence.min():.4f}, labels <5% "
            f"{int((prevalence < 0.05).sum())}, "
            f"training positives <10: {int((train_pos < 10).sum())} "
            f"(none: {int((train_pos == 0).sum())}), test rows {int(test.sum())}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("arff", nargs="+", help="one ARFF file, or the training and the test file")
    parser.add_argument("--xml", required=True, help="the MULAN XML label file")
    parser.add_argument("--out", required=True, help="the .npz file to write")
    parser.add_argument("--test-fraction", type=float, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-levels", type=int, default=50)
    args = parser.parse_args(argv)
    if len(args.arff) > 2:
        parser.error("give one ARFF file or two (training, test)")
    out, notes = convert(args.arff, args.xml, test_fraction=args.test_fraction,
                         seed=args.seed, max_levels=args.max_levels)
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **out)
    for note in notes:
        print(f"note: {note}")
    print(summary(path.stem, out))


if __name__ == "__main__":
    main()
