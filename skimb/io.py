"""Reading and writing multi-label data files: CSV, MULAN ARFF (dense and sparse), npz.

What the command line reads. Every problem with a file raises :class:`DataError`
(a ``ValueError``) whose message is one line naming the file, what is wrong,
and how to fix it.

Formats
-------
CSV (``.csv``, ``.tsv``, ``.txt``)
    A header row of column names, then one row per sample; comma, semicolon
    or tab separated. Empty cells, ``?``, ``NA`` and ``nan`` are missing values.
ARFF (``.arff``)
    MULAN's format: ``@attribute`` lines (numeric features, label attributes
    ``{0,1}``), then ``@data`` rows, dense (``1.5,0,...``) or sparse
    (``{0 1.5,103 1}``, omitted values are 0). Sparse ARFF gives a sparse X.
npz (``.npz``)
    The format of the MULAN conversions next to the project: ``X`` (dense) or
    ``X_data``, ``X_indices``, ``X_indptr``, ``X_shape`` (CSR), ``Y``, and
    optionally ``is_test``, ``label_names``, ``feature_names``. A file written
    by ``scipy.sparse.save_npz`` is also read: one sparse matrix whose columns,
    having no names, are ``x0, x1, ...`` (labels: ``labels=["N"]`` for the last
    N columns); given a model's feature names, its columns are taken by position.

CSV and ARFF files are UTF-8 text; a byte-order mark selects UTF-8, UTF-16 or
UTF-32 (spreadsheets' "CSV UTF-8" and "Unicode text"), and any line ending is
read. Another encoding (Latin-1, Windows-1252), a workbook saved under a .csv
name, or decimal commas are refused with the fix.

Label columns are named, or counted from the end (MULAN puts the labels last):
``labels=["happy", "sad"]`` or ``labels=["6"]`` for the last six columns. A MEKA
ARFF declares its labels in the @relation (``@relation 'scene: -C 6'``: the first
six attributes; ``-C -6``: the last six); that declaration is used when no labels
are given, and a count that disagrees with it is refused. Each label is named once.

NumPy only: this module imports no torch.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from .diagnostics import check_label_values

__all__ = ["DataError", "Dataset", "load_data", "save_data"]

_MISSING = {"", "?", "na", "nan", "null", "none"}
CSV_SUFFIXES = (".csv", ".tsv", ".txt")


class DataError(ValueError):
    """A data file that cannot be used as given; the message says why and what to do."""


@dataclass(frozen=True)
class Dataset:
    """Features and labels read from a file.

    Attributes
    ----------
    X : ndarray of float32 of shape (n_samples, n_features), or CSR matrix
    Y : ndarray of int64 of shape (n_samples, n_labels), or None
        None when the labels were not asked for.
    feature_names : list of str
    label_names : list of str
    is_test : ndarray of bool or None
        The file's train/test split (npz files), when it has one.
    path : str
    """

    X: np.ndarray | sp.csr_matrix
    Y: np.ndarray | None
    feature_names: list[str]
    label_names: list[str]
    is_test: np.ndarray | None
    path: str

    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    def rows(self, mask: ArrayLike) -> Dataset:
        """The same data restricted to the rows where ``mask`` is true."""
        mask = np.asarray(mask, dtype=bool)
        return replace(
            self,
            X=self.X[mask],
            Y=None if self.Y is None else self.Y[mask],
            is_test=None if self.is_test is None else self.is_test[mask],
        )


# --------------------------------------------------------------------- readers
def _fail(path, message):
    raise DataError(f"{os.path.basename(path)}: {message}")


def _to_float(values, path, column):
    """Parse strings to float64 (missing -> NaN); name the column on failure."""
    try:
        return np.array(
            [np.nan if v.strip().lower() in _MISSING else float(v) for v in values]
        )
    except ValueError:
        bad = next(v for v in values if not _is_number(v))
        fix = ("one-hot encode categories first" if not re.fullmatch(r"[-+]?\d*,\d+", bad.strip())
               else "a decimal comma? write numbers with a decimal point (1.5), e.g. export "
               "the file again with '.' as the decimal separator")
        _fail(
            path,
            f"column {column!r} holds the non-numeric value {bad.strip()!r}; features and "
            f"labels must be numbers ({fix}).",
        )


def _is_number(value: str) -> bool:
    if value.strip().lower() in _MISSING:
        return True
    try:
        float(value)
    except ValueError:
        return False
    return True


#: Byte-order marks and their encodings, longest first (UTF-32's starts like UTF-16's).
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


def _read_text(path) -> str:
    """A text file's content: UTF-8, or UTF-8/16/32 with a byte-order mark (what
    spreadsheets write as "Unicode text"); anything else is named with its fix."""
    with open(path, "rb") as f:
        raw = f.read()
    name = os.path.basename(path)
    encoding = next((enc for bom, enc in _BOMS if raw.startswith(bom)), "utf-8")
    if encoding == "utf-8":
        if raw.startswith(b"PK\x03\x04"):
            _fail(path, "is a zip archive (an Excel .xlsx or .ods workbook?), not text; "
                  "save the sheet as CSV (UTF-8).")
        if b"\x00" in raw[:4096]:
            _fail(path, "holds NUL bytes, so it is not a text file (or is UTF-16 without a "
                  "byte-order mark); save it as CSV (UTF-8).")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        stem, ext = os.path.splitext(name)
        if encoding != "utf-8":
            _fail(path, f"starts with a {encoding.upper()} byte-order mark but line {line} is "
                  f"not {encoding.upper()}; save it again as UTF-8.")
        _fail(path, f"is not UTF-8 text: line {line} holds the byte 0x{raw[exc.start]:02x} (a "
              f"Latin-1 or Windows-1252 file?); save it as UTF-8, e.g. iconv -f WINDOWS-1252 "
              f"-t UTF-8 {name} > {stem}-utf8{ext}.")


def _read_csv(path):
    with io.StringIO(_read_text(path), newline="") as f:
        head = f.readline()
        delimiter = max(",;\t", key=head.count)
        f.seek(0)
        rows = list(csv.reader(f, delimiter=delimiter))
    rows = [r for r in rows if r and any(c.strip() for c in r)]
    if not rows:
        _fail(path, "the file is empty; it needs a header row of column names and data rows.")
    header = [c.strip() for c in rows[0]]
    if len(rows) < 2:
        _fail(path, "the file has a header but no data rows.")
    if all(_is_number(c) and c.strip() for c in header):
        _fail(path, "the first row holds numbers; the file needs a header row of column names.")
    for i, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            _fail(
                path,
                f"data row {i} has {len(row)} values but the header has {len(header)} "
                "columns.",
            )
    unnamed = [j for j, name in enumerate(header) if not name]
    if unnamed:
        # a trailing delimiter (spreadsheet exports) adds an unnamed, empty column: drop it
        empty = [j for j in unnamed if not any(row[j].strip() for row in rows[1:])]
        named = [j for j in unnamed if j not in empty]
        if named:
            _fail(path, f"column {named[0] + 1} has values but no name in the header row; "
                  "name every column.")
        keep = [j for j in range(len(header)) if j not in empty]
        header = [header[j] for j in keep]
        rows = [header] + [[row[j] for j in keep] for row in rows[1:]]
    try:
        data = np.array(rows[1:], dtype=np.float64)
    except ValueError:
        columns = list(zip(*rows[1:]))
        data = np.column_stack([_to_float(c, path, n) for c, n in zip(columns, header)])
    _check_unique(path, header)
    return header, data


_ATTRIBUTE = re.compile(
    r"""@attribute\s+('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s{]+)\s*(.*)$""", re.IGNORECASE
)


def _unquote(token: str) -> str:
    token = token.strip()
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "'\"":
        return re.sub(r"\\(.)", r"\1", token[1:-1])
    return token


def _split_values(line: str) -> list[str]:
    if "'" not in line and '"' not in line:
        return line.split(",")
    quote = "'" if "'" in line else '"'
    return next(csv.reader([line], quotechar=quote, skipinitialspace=True))


def _attribute_parser(path, name, kind):
    """A function mapping an ARFF value to float, and the value of an omitted sparse entry."""
    lowered = kind.lower()
    if lowered in ("numeric", "real", "integer"):
        return None, 0.0
    if kind.startswith("{") and kind.endswith("}"):
        values = [_unquote(v) for v in _split_values(kind[1:-1])]
        if not all(_is_number(v) and v.strip() for v in values):
            _fail(
                path,
                f"attribute {name!r} is nominal {{{', '.join(values[:6])}}}; the command "
                "line reads numeric features and 0/1 labels (one-hot encode categories).",
            )
        return {v: float(v) for v in values}, float(values[0])
    _fail(
        path,
        f"attribute {name!r} has type {kind.split()[0]!r}; only numeric attributes and "
        "nominal {0,1} labels are supported.",
    )


#: MEKA's option in an ARFF's @relation: ``-C N``, the number of labels (N > 0: the
#: first N attributes, N < 0: the last -N).
_MEKA_C = re.compile(r"(?:^|[\s:'\"])-C\s+(-?\d+)")


def _read_arff(path):
    """The attribute names, the data (dense or CSR), and MEKA's ``-C`` (or None)."""
    names, parsers, omitted, meka = [], [], [], None
    with io.StringIO(_read_text(path), newline=None) as f:  # \n, \r\n or \r
        lines = iter(f)
        for raw in lines:
            line = raw.strip()
            if not line or line.startswith("%"):
                continue
            low = line.lower()
            if low.startswith("@relation"):
                found = _MEKA_C.search(line)
                meka = int(found.group(1)) if found and int(found.group(1)) else None
            elif low.startswith("@attribute"):
                m = _ATTRIBUTE.match(line)
                if not m or not m.group(2):
                    _fail(path, f"cannot read the attribute line {line[:60]!r}.")
                name = _unquote(m.group(1))
                parser, default = _attribute_parser(path, name, m.group(2).strip())
                names.append(name)
                parsers.append(parser)
                omitted.append(default)
            elif low.startswith("@data"):
                break
            elif not low.startswith("@"):
                _fail(path, f"expected @relation, @attribute or @data, found {line[:60]!r}.")
        else:
            _fail(path, "no @data section; is this an ARFF file?")
        if not names:
            _fail(path, "no @attribute lines before @data.")
        _check_unique(path, names)
        rows = [ln.strip() for ln in lines]
    rows = [r for r in rows if r and not r.startswith("%")]
    if not rows:
        _fail(path, "the @data section has no rows.")
    n_cols = len(names)

    def value(j, token, row_number):
        token = _unquote(token)
        if token == "?":
            return np.nan
        parser = parsers[j]
        try:
            return float(token) if parser is None else parser[token]
        except (KeyError, ValueError):
            _fail(
                path,
                f"data row {row_number}: {token!r} is not a valid value of attribute "
                f"{names[j]!r}.",
            )

    if rows[0].startswith("{"):
        bad = [names[j] for j, d in enumerate(omitted) if d != 0]
        if bad:
            _fail(
                path,
                f"sparse rows omit the attributes' first values, but {bad[:5]} have a first "
                "nominal value other than 0; declare them as {0,1}.",
            )
        data, indices, indptr = [], [], [0]
        for i, row in enumerate(rows, start=1):
            if not (row.startswith("{") and row.endswith("}")):
                _fail(path, f"data row {i} mixes dense and sparse format: {row[:60]!r}.")
            body = row[1:-1].strip()
            entries = body.split(",") if body else []
            for entry in entries:
                parts = entry.split(None, 1)
                if len(parts) != 2 or not parts[0].isdigit() or int(parts[0]) >= n_cols:
                    _fail(path, f"data row {i}: cannot read the sparse entry {entry!r}.")
                j = int(parts[0])
                indices.append(j)
                data.append(value(j, parts[1], i))
            indptr.append(len(indices))
        matrix = sp.csr_matrix(
            (np.array(data, dtype=np.float64), np.array(indices), np.array(indptr)),
            shape=(len(rows), n_cols),
        )
        matrix.sum_duplicates()
        return names, matrix, meka
    out = np.empty((len(rows), n_cols))
    for i, row in enumerate(rows, start=1):
        tokens = _split_values(row)
        if len(tokens) != n_cols:
            _fail(path, f"data row {i} has {len(tokens)} values but there are {n_cols} "
                  "attributes.")
        if all(p is None for p in parsers) and "?" not in row and "'" not in row:
            try:
                out[i - 1] = np.array(tokens, dtype=np.float64)
                continue
            except ValueError:
                pass
        out[i - 1] = [value(j, t, i) for j, t in enumerate(tokens)]
    return names, out, meka


def _check_unique(path, names):
    values, counts = np.unique(np.asarray(names, dtype=object).astype(str), return_counts=True)
    if (counts > 1).any():
        dup = values[counts > 1].tolist()
        _fail(path, f"column names must be unique; {dup[:5]} appear more than once.")


_SCIPY_NPZ_KEYS = {"data", "indices", "indptr", "format", "shape"}


def _is_scipy_npz(path) -> bool:
    """A file written by ``scipy.sparse.save_npz`` (one matrix, no names)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return _SCIPY_NPZ_KEYS <= set(z.files) and "X" not in z.files
    except (OSError, ValueError, zipfile.BadZipFile):
        return False  # _read_npz says what is wrong


def _read_scipy_npz(path, feature_names, labels):
    """One sparse matrix, columns named ``x0, x1, ...``; with a model's
    ``feature_names`` (and label names) the columns are taken by position."""
    try:
        data = sp.load_npz(path).tocsr()
    except (OSError, ValueError) as exc:
        _fail(path, f"cannot read it as a scipy.sparse.save_npz file ({exc}).")
    n_columns = data.shape[1]
    columns = [f"x{i}" for i in range(n_columns)]
    if feature_names is not None:
        expected = [str(n) for n in feature_names]
        named = [str(n) for n in labels] if labels is not None else []
        if n_columns == len(expected) + len(named):
            columns = expected + named
        elif n_columns == len(expected):
            columns = expected
        else:
            _fail(
                path,
                f"has {n_columns} columns, but the model takes {len(expected)} features"
                f"{f' and {len(named)} labels' if named else ''}; a scipy.sparse.save_npz "
                "file has no column names, so its columns are taken by position (features, "
                "then labels).",
            )
    return columns, data


def _read_npz(path):
    try:
        z = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        _fail(path, f"cannot read it as a NumPy .npz archive ({exc}).")
    with z:
        keys = set(z.files)
        if "X" in keys:
            X = np.asarray(z["X"])
        elif {"X_data", "X_indices", "X_indptr", "X_shape"} <= keys:
            X = sp.csr_matrix(
                (z["X_data"], z["X_indices"], z["X_indptr"]), shape=tuple(z["X_shape"])
            )
        else:
            _fail(
                path,
                "no features: the archive needs X (dense) or X_data, X_indices, X_indptr "
                f"and X_shape (CSR); it has {sorted(keys)}.",
            )
        if X.ndim != 2:
            _fail(path, f"X must be 2-D (n_samples, n_features); it has shape {X.shape}.")
        Y = np.asarray(z["Y"]) if "Y" in keys else None
        if Y is not None and Y.ndim == 1:
            Y = Y.reshape(-1, 1)
        if Y is not None and Y.shape[0] != X.shape[0]:
            _fail(path, f"X has {X.shape[0]} rows but Y has {Y.shape[0]}.")
        features = (
            [str(n) for n in z["feature_names"]] if "feature_names" in keys
            else [f"x{i}" for i in range(X.shape[1])]
        )
        labels = (
            [str(n) for n in z["label_names"]] if "label_names" in keys and Y is not None
            else [f"label{j}" for j in range(0 if Y is None else Y.shape[1])]
        )
        is_test = np.asarray(z["is_test"], dtype=bool) if "is_test" in keys else None
    return X, Y, features, labels, is_test


# ----------------------------------------------------------------- selection
def _label_positions(path, columns, labels, hint=None, meka=None):
    """Indices of the label columns: names, or one integer N for the last N columns.

    ``hint``: what to say instead of the ``--labels`` advice when labels are fixed
    (e.g. by a model) and some are missing. ``meka``: the ``-C N`` of a MEKA ARFF's
    @relation (N > 0: the first N attributes are the labels, N < 0: the last -N).
    """
    seen = set()
    repeated = [n for n in labels if n in seen or seen.add(n)]
    if repeated:
        _fail(path, f"--labels names {sorted(set(repeated))[:10]} more than once; give each "
              "label column once.")
    if len(labels) == 1 and labels[0] not in columns and re.fullmatch(r"\d+", labels[0]):
        count = int(labels[0])
        if meka is not None:
            return _meka_positions(path, columns, meka, count)
        if not 1 <= count < len(columns):
            _fail(
                path,
                f"--labels {count} asks for the last {count} columns as labels, but the file "
                f"has {len(columns)} columns; at least one must be a feature.",
            )
        return list(range(len(columns) - count, len(columns)))
    unknown = [name for name in labels if name not in columns]
    if unknown and hint is not None:
        _fail(path, f"lacks the label columns {unknown[:10]}; {hint}")
    if unknown:
        shown = ", ".join(columns[:8]) + (", ..." if len(columns) > 8 else "")
        _fail(
            path,
            f"unknown label columns {unknown[:10]}; the columns are {shown}. Give label "
            "names from the header, or a number N for the last N columns.",
        )
    index = {name: i for i, name in enumerate(columns)}
    return [index[name] for name in labels]


def _meka_positions(path, columns, meka, count=None):
    """The label columns a MEKA ``-C`` option declares; ``count``, from ``--labels N``,
    must agree with it."""
    n = abs(meka)
    where = (f"the first {n} attributes are the labels" if meka > 0
             else f"the last {n} attributes are the labels")
    if not 1 <= n < len(columns):
        _fail(path, f"its @relation declares MEKA's -C {meka} ({where}), but the file has "
              f"{len(columns)} attributes; fix the @relation line or name the label columns.")
    if count is not None and count != n:
        _fail(path, f"its @relation declares MEKA's -C {meka} ({where}), but --labels {count} "
              f"asks for {count}; give --labels {n} (MEKA's labels), or name the label "
              "columns.")
    return list(range(n)) if meka > 0 else list(range(len(columns) - n, len(columns)))


def _as_labels(path, Y, names):
    Y = np.asarray(Y.toarray() if sp.issparse(Y) else Y, dtype=np.float64)
    try:
        check_label_values(Y, names, what="the label data")
    except ValueError as exc:
        _fail(path, str(exc))
    return Y.astype(np.int64)


def _as_features(path, X, names):
    if sp.issparse(X):
        X = sp.csr_matrix(X, dtype=np.float32)
        finite = np.isfinite(X.data)
        bad = np.unique(X.indices[~finite]) if not finite.all() else np.array([], int)
    else:
        X = np.asarray(X, dtype=np.float32)
        bad = np.flatnonzero(~np.isfinite(X).all(axis=0))
    if bad.size:
        cols = [names[j] for j in bad[:10]]
        _fail(
            path,
            f"feature columns {cols}{' ...' if bad.size > 10 else ''} have missing or "
            "infinite values; impute or drop them first.",
        )
    return X


def load_data(
    path: str | os.PathLike,
    labels: Sequence[str] | None = None,
    *,
    feature_names: Sequence[str] | None = None,
    require_labels: bool = True,
    labels_hint: str | None = None,
) -> Dataset:
    """Read features and 0/1 labels from a CSV, ARFF or npz file.

    Parameters
    ----------
    path : str or path-like
        ``.csv`` / ``.tsv`` / ``.txt``, ``.arff``, or ``.npz``.
    labels : sequence of str or None, default=None
        Label column names, or a single number ``"N"`` for the last N columns
        (a column whose name is that number wins; in a MEKA ARFF, whose @relation
        says ``-C N``, the count must be ``abs(N)`` and means MEKA's labels, the
        first N columns for N > 0). For npz files, a subset of
        ``label_names`` (None: all of ``Y``). CSV and ARFF files need it when
        ``require_labels``, except a MEKA ARFF (None: the labels its ``-C`` declares).
    feature_names : sequence of str or None, default=None
        The feature columns, in order (e.g. those a model was trained on). None:
        every column that is not a label. For npz files, checked against the
        file's ``feature_names``.
    require_labels : bool, default=True
        ``False`` reads features only (``Y`` is None) unless ``labels`` is given.
    labels_hint : str or None, default=None
        When ``labels`` are fixed (e.g. a model's) and the file lacks some: the
        advice the error gives, instead of the advice to name other columns.

    Returns
    -------
    Dataset
        X as float32 (dense, or CSR for sparse ARFF and sparse npz), Y as int64.

    Raises
    ------
    DataError
        A missing file, an unknown format or column, non-numeric or missing
        feature values, label values other than 0/1 (naming the columns), a label
        named twice, a label count that disagrees with a MEKA ``-C``.

    Examples
    --------
    >>> import os, tempfile
    >>> from skimb.io import load_data
    >>> path = os.path.join(tempfile.mkdtemp(), "toy.csv")
    >>> with open(path, "w") as f:
    ...     _ = f.write("x1,x2,spam,urgent\\n0.5,1.0,1,0\\n1.5,-2.0,0,0\\n")
    >>> data = load_data(path, labels=["2"])  # the last two columns
    >>> data.feature_names, data.label_names, data.Y.tolist()
    (['x1', 'x2'], ['spam', 'urgent'], [[1, 0], [0, 0]])
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise DataError(f"{path}: no such file.")
    if os.path.isdir(path):
        raise DataError(f"{path}: is a directory, not a data file.")
    suffix = os.path.splitext(path)[1].lower()
    labels = None if labels is None else [str(n) for n in labels]
    if suffix == ".npz" and not _is_scipy_npz(path):
        return _load_npz(path, labels, feature_names, require_labels, labels_hint)
    meka = None
    if suffix == ".npz":
        columns, data = _read_scipy_npz(path, feature_names, labels)
    elif suffix in CSV_SUFFIXES:
        columns, data = _read_csv(path)
    elif suffix == ".arff":
        columns, data, meka = _read_arff(path)
    else:
        raise DataError(
            f"{path}: unknown format {suffix or '(no extension)'!r}; give a .csv, .arff or "
            ".npz file."
        )
    positions = []
    if labels is not None:
        positions = _label_positions(path, columns, labels, labels_hint, meka)
    elif require_labels and meka is not None:
        positions = _meka_positions(path, columns, meka)
    elif require_labels:
        _fail(
            path,
            "which columns are the labels? Name them (--labels spam urgent) or give their "
            "number at the end (--labels 14).",
        )
    if feature_names is None:
        taken = set(positions)
        features = [j for j in range(len(columns)) if j not in taken]
        if not features:
            _fail(path, "every column is a label; at least one feature column is needed.")
    else:
        index = {name: j for j, name in enumerate(columns)}
        missing = [str(n) for n in feature_names if str(n) not in index]
        if missing:
            _fail(
                path,
                f"lacks the feature columns {missing[:10]}{' ...' if len(missing) > 10 else ''}"
                " that the model was trained on.",
            )
        features = [index[str(n)] for n in feature_names]
    if sp.issparse(data):
        data = data.tocsc()
        X, Y = data[:, features].tocsr(), data[:, positions] if positions else None
    else:
        X, Y = data[:, features], data[:, positions] if positions else None
    names = [columns[j] for j in features]
    label_names = [columns[j] for j in positions]
    if Y is not None:
        try:
            Y = _as_labels(path, Y, label_names)
        except DataError as exc:
            if meka is None or (labels and labels[0] in columns):
                raise
            side, other = ("first", "last") if meka > 0 else ("last", "first")
            raise DataError(
                f"{exc} These are the {side} {abs(meka)} attributes, the labels that the "
                f"@relation's MEKA option -C {meka} declares; if the file's labels are "
                f"elsewhere, fix -C (-C {-meka}: the {other} {abs(meka)}) or name the label "
                "columns."
            ) from None
    return Dataset(
        X=_as_features(path, X, names),
        Y=Y,
        feature_names=names,
        label_names=label_names,
        is_test=None,
        path=path,
    )


def _load_npz(path, labels, feature_names, require_labels, labels_hint=None):
    X, Y, features, names, is_test = _read_npz(path)
    if Y is None and (require_labels or labels is not None):
        _fail(path, "no label matrix Y in the archive" + (f"; {labels_hint}" if labels_hint
                                                          else "."))
    if feature_names is not None and [str(n) for n in feature_names] != features:
        if len(feature_names) != len(features):
            _fail(
                path,
                f"has {len(features)} features but the model was trained on "
                f"{len(feature_names)}.",
            )
        _fail(path, "its feature_names differ from those the model was trained on.")
    positions = list(range(len(names)))
    if labels is not None:
        positions = (_label_positions(path, names, labels, labels_hint) if labels != names
                     else positions)
    keep = Y is not None and (require_labels or labels is not None)
    label_names = [names[j] for j in positions] if keep else []
    return Dataset(
        X=_as_features(path, X, features),
        Y=_as_labels(path, Y[:, positions], label_names) if keep else None,
        feature_names=features,
        label_names=label_names,
        is_test=is_test,
        path=path,
    )


# --------------------------------------------------------------------- writers
def _number_format(X):
    return "%.9g" if X.dtype == np.float32 else "%.17g"


def save_data(
    path: str | os.PathLike,
    X,
    Y,
    feature_names: Sequence[str] | None = None,
    label_names: Sequence[str] | None = None,
    *,
    sparse: bool | None = None,
) -> None:
    """Write features and labels as CSV, MULAN ARFF or npz (by the file's extension).

    Features are written with enough digits to read back bit for bit (9
    significant digits for float32); labels go last. A ``.arff`` file is
    sparse ARFF when X is a sparse matrix (or ``sparse=True``), dense
    otherwise.

    Parameters
    ----------
    path : str or path-like
        Ends in ``.csv``, ``.arff`` or ``.npz``.
    X : array-like or sparse matrix of shape (n_samples, n_features)
    Y : array-like of shape (n_samples, n_labels)
        0/1 labels.
    feature_names, label_names : sequence of str or None, default=None
        ``x0, x1, ...`` and ``label0, label1, ...`` when None.
    sparse : bool or None, default=None
        Sparse ARFF rows; None follows X.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from skimb.io import load_data, save_data
    >>> path = os.path.join(tempfile.mkdtemp(), "toy.arff")
    >>> save_data(path, np.array([[0.5, 0.0], [0.0, 2.0]]), np.array([[1], [0]]))
    >>> load_data(path, labels=["1"]).X.tolist()
    [[0.5, 0.0], [0.0, 2.0]]
    """
    path = os.fspath(path)
    Y = np.asarray(Y.toarray() if sp.issparse(Y) else Y)
    if Y.ndim == 1:
        Y = Y.reshape(-1, 1)
    check_label_values(Y)
    Y = Y.astype(np.int64)
    is_sparse = sp.issparse(X) if sparse is None else sparse
    X = sp.csr_matrix(X) if sp.issparse(X) or is_sparse else np.asarray(X)
    if sp.issparse(X):
        X.sort_indices()
    features = [str(n) for n in feature_names] if feature_names is not None else [
        f"x{i}" for i in range(X.shape[1])
    ]
    labels = [str(n) for n in label_names] if label_names is not None else [
        f"label{j}" for j in range(Y.shape[1])
    ]
    suffix = os.path.splitext(path)[1].lower()
    fmt = _number_format(X)
    if suffix == ".npz":
        arrays = {"Y": Y.astype(np.uint8), "feature_names": np.array(features),
                  "label_names": np.array(labels)}
        if sp.issparse(X):
            arrays.update(X_data=X.data, X_indices=X.indices, X_indptr=X.indptr,
                          X_shape=np.array(X.shape))
        else:
            arrays["X"] = X
        np.savez_compressed(path, **arrays)
    elif suffix in CSV_SUFFIXES:
        dense = X.toarray() if sp.issparse(X) else X
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow([*features, *labels])
            for x, y in zip(dense, Y):
                writer.writerow([fmt % v for v in x] + [str(v) for v in y])
    elif suffix == ".arff":
        def quote(name):
            return "'" + name.replace("\\", "\\\\").replace("'", "\\'") + "'"

        with open(path, "w") as f:
            f.write(f"@relation {quote(os.path.splitext(os.path.basename(path))[0])}\n\n")
            for name in features:
                f.write(f"@attribute {quote(name)} numeric\n")
            for name in labels:
                f.write(f"@attribute {quote(name)} {{0,1}}\n")
            f.write("\n@data\n")
            n_features = X.shape[1]
            for i in range(X.shape[0]):
                if is_sparse:
                    row = X.getrow(i)
                    entries = [f"{j} {fmt % v}" for j, v in zip(row.indices, row.data) if v]
                    entries += [f"{n_features + j} 1" for j in np.flatnonzero(Y[i])]
                    f.write("{" + ",".join(entries) + "}\n")
                else:
                    f.write(",".join([*(fmt % v for v in X[i]), *map(str, Y[i])]) + "\n")
    else:
        raise DataError(f"{path}: unknown format {suffix!r}; use .csv, .arff or .npz.")
