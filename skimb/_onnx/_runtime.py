"""Predicting with an exported skimb model: onnxruntime and NumPy, never torch."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["OnnxModel", "load_onnx"]

#: The metadata :func:`skimb.to_onnx` writes into every exported model.
METADATA_KEYS = ("skimb_version", "label_names", "feature_names", "thresholds", "score",
                 "estimator")

#: Rows densified at a time when X is sparse.
BLOCK_ROWS = 4096


def _import_onnxruntime():
    try:
        import onnxruntime
    except ImportError:
        raise ImportError(
            "running an ONNX model needs onnxruntime: pip install 'skimb[onnx]' "
            "(or pip install onnxruntime)."
        ) from None
    return onnxruntime


class OnnxModel:
    """A skimb model exported by :func:`skimb.to_onnx`, run with onnxruntime.

    Needs neither torch nor skorch: only onnxruntime, NumPy and SciPy. Loading
    an ONNX file runs no Python code from it (unlike a pickle / joblib file).

    Parameters
    ----------
    model : str, path-like, bytes or onnx.ModelProto
        The exported model: a file, its bytes, or the object ``to_onnx`` returned.
    num_threads : int or None, default=None
        onnxruntime's intra-op threads; None: onnxruntime's default (all cores).
    providers : sequence of str or None, default=None
        onnxruntime execution providers; None: ``["CPUExecutionProvider"]``.

    Attributes
    ----------
    label_names_ : list of str
    feature_names_ : list of str
        The columns the model was trained on, in order.
    thresholds_ : ndarray of shape (n_labels,), float64
        The thresholds the model applies, ``score >= thresholds_`` (also
        ``inf``: a label never predicted).
    score_ : {"predict_proba", "decision_function"}
        What the ``probabilities`` output holds (and the thresholds apply to).
    n_features_in_, n_labels_ : int
    skimb_version_ : str
        The skimb version that exported the model.

    Raises
    ------
    ValueError
        The file is not an ONNX model, or not one exported by skimb.
    ImportError
        onnxruntime is not installed.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.multiclass import OneVsRestClassifier
    >>> from skimb import ThresholdOptimizer, make_long_tail_multilabel, to_onnx, OnnxModel
    >>> X, Y = make_long_tail_multilabel(300, 5, 3, random_state=0)
    >>> model = ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=3).fit(X, Y)
    >>> onnx_model = OnnxModel(to_onnx(model, X))
    >>> onnx_model.predict(X[:2]).shape, onnx_model.label_names_
    ((2, 3), ['label0', 'label1', 'label2'])
    """

    def __init__(self, model: Any, *, num_threads: int | None = None, providers=None):
        ort = _import_onnxruntime()
        if hasattr(model, "SerializeToString"):
            model = model.SerializeToString()
        source = model if isinstance(model, bytes) else os.fspath(model)
        if not isinstance(source, bytes) and not os.path.isfile(source):
            raise ValueError(f"{source}: no such ONNX model file.")
        options = ort.SessionOptions()
        if num_threads is not None:
            options.intra_op_num_threads = int(num_threads)
        name = "the ONNX model" if isinstance(source, bytes) else source
        try:
            self.session_ = ort.InferenceSession(
                source, options, providers=providers or ["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ValueError(
                f"{name}: not an ONNX model onnxruntime can load ({type(exc).__name__}: "
                f"{' '.join(str(exc).split())[:300]})."
            ) from None
        meta = self.session_.get_modelmeta().custom_metadata_map
        missing = [key for key in METADATA_KEYS if key not in meta]
        if missing:
            raise ValueError(
                f"{name}: an ONNX model, but not one exported by skimb.to_onnx (its metadata "
                f"lacks {missing}); export it with skimb.to_onnx or `skimb export`."
            )
        self.metadata_ = dict(meta)
        self.label_names_ = json.loads(meta["label_names"])
        self.feature_names_ = json.loads(meta["feature_names"])
        self.thresholds_ = np.asarray(json.loads(meta["thresholds"]), dtype=np.float64)
        self.score_ = meta["score"]
        self.skimb_version_ = meta["skimb_version"]
        self.n_features_in_ = len(self.feature_names_)
        self.n_labels_ = len(self.label_names_)

    def __repr__(self) -> str:
        return (f"OnnxModel({self.metadata_['estimator']}: {self.n_features_in_} features, "
                f"{self.n_labels_} labels, skimb {self.skimb_version_})")

    def _blocks(self, X):
        if sp.issparse(X):
            X = sp.csr_matrix(X)
            if X.ndim != 2 or X.shape[1] != self.n_features_in_:
                self._wrong_shape(X.shape)
            for start in range(0, X.shape[0], BLOCK_ROWS):
                yield self._checked(X[start:start + BLOCK_ROWS].toarray())
            return
        if hasattr(X, "columns"):  # a DataFrame: its columns matched to the model's by name
            X = self._by_name(X)
        if hasattr(X, "to_numpy"):
            X = X.to_numpy()
        try:
            X = np.asarray(X, dtype=np.float32)
        except (TypeError, ValueError):
            raise ValueError("X must be a numeric matrix (n_samples, n_features).") from None
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            self._wrong_shape(X.shape)
        yield self._checked(X)

    def _by_name(self, X):
        """The DataFrame's columns in the model's order (as the command line does).

        Columns are matched by name when the model has the names it was fitted
        with; a frame that lacks some of them is refused. With generated names
        (``x0, x1, ...``: the model saw no names) the columns are taken in order.
        """
        columns = [str(c) for c in X.columns]
        if columns == self.feature_names_:
            return X
        missing = [n for n in self.feature_names_ if n not in columns]
        if not missing:
            return X.iloc[:, [columns.index(n) for n in self.feature_names_]]
        if self.feature_names_ == [f"x{i}" for i in range(self.n_features_in_)]:
            return X
        raise ValueError(
            f"X lacks the model's feature columns {missing[:10]}"
            f"{' ...' if len(missing) > 10 else ''}; give a DataFrame with the columns the "
            "model was fitted on (any order), or an array in their order."
        )

    def _wrong_shape(self, shape):
        raise ValueError(
            f"X has shape {shape}, but the model takes {self.n_features_in_} features "
            f"({', '.join(self.feature_names_[:5])}{', ...' if self.n_features_in_ > 5 else ''})"
            "; give a 2-D (n_samples, n_features) matrix, X.reshape(1, -1) for one sample."
        )

    def _checked(self, X):
        if not np.isfinite(X).all():
            cols = np.flatnonzero(~np.isfinite(X).all(axis=0))
            raise ValueError(
                f"X has missing or infinite values in feature columns "
                f"{[self.feature_names_[j] for j in cols[:10]]}; impute or drop them first."
            )
        return np.ascontiguousarray(X)

    def run(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Both outputs at once: the 0/1 labels and the scores they threshold.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Numeric; cast to float32. A sparse matrix is densified
            ``BLOCK_ROWS`` rows at a time.

        Returns
        -------
        labels : ndarray of shape (n_samples, n_labels), int64
        scores : ndarray of shape (n_samples, n_labels), float32
            Probabilities, or decision values when ``score_`` is ``"decision_function"``.

        Raises
        ------
        ValueError
            X is not a 2-D numeric matrix with ``n_features_in_`` columns, or
            has missing or infinite values.
        """
        labels, scores = [], []
        for block in self._blocks(X):
            label, score = self.session_.run(["label", "probabilities"], {"X": block})
            labels.append(label)
            scores.append(score)
        if not labels:  # a sparse matrix with no rows
            empty = np.zeros((0, self.n_labels_))
            return empty.astype(np.int64), empty.astype(np.float32)
        return np.concatenate(labels), np.concatenate(scores)

    def predict(self, X) -> np.ndarray:
        """0/1 predictions, ``score >= thresholds_``: int64 of shape (n_samples, n_labels).

        See :meth:`run` for ``X`` and the errors raised.
        """
        return self.run(X)[0]

    def predict_proba(self, X) -> np.ndarray:
        """Probability of each label: float32 of shape (n_samples, n_labels).

        Raises ``AttributeError`` when the model's scores are decision values
        (``score_ == "decision_function"``); see :meth:`run` for ``X``.
        """
        if self.score_ != "predict_proba":
            raise AttributeError(
                "this model thresholds decision values, not probabilities; use "
                "decision_function."
            )
        return self.run(X)[1]

    def decision_function(self, X) -> np.ndarray:
        """Decision values: float32 of shape (n_samples, n_labels).

        Only when ``score_ == "decision_function"`` (else ``AttributeError``;
        use :meth:`predict_proba`).
        """
        if self.score_ != "decision_function":
            raise AttributeError("this model's scores are probabilities; use predict_proba.")
        return self.run(X)[1]


def load_onnx(path: str | os.PathLike, **kwargs) -> OnnxModel:
    """Load a model exported by :func:`skimb.to_onnx`; ``kwargs`` go to :class:`OnnxModel`.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.multiclass import OneVsRestClassifier
    >>> from skimb import ThresholdOptimizer, make_long_tail_multilabel, to_onnx, load_onnx
    >>> X, Y = make_long_tail_multilabel(300, 5, 3, random_state=0)
    >>> model = ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=3).fit(X, Y)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.onnx")
    >>> _ = to_onnx(model, X, path=path)
    >>> load_onnx(path).thresholds_.shape
    (3,)
    """
    return OnnxModel(path, **kwargs)
