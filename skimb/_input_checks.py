"""The classifier's input checks: X and the label matrix y, in words, before any training.

:class:`InputChecksMixin` holds what :class:`~skimb.MultiLabelImbalancedClassifier`
verifies of its data: X as float32 NumPy or CSR (at least two rows to fit,
finite values, numeric columns of a frame), y as a 0/1 matrix with one row
per row of X and, after fitting, the same labels (``n_labels_``,
``classes_``, ``label_names_``). Every failure is a ValueError (or
TypeError) that names the problem and the fix.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import _num_samples, validate_data
from skorch.utils import is_dataset

from ._validation import check_feature_frame, numeric_labels, one_d_y_message
from .diagnostics import check_label_values

__all__ = ["InputChecksMixin"]


class InputChecksMixin:
    """The input checks of :class:`~skimb.MultiLabelImbalancedClassifier` (private methods)."""

    def _check_X(self, X, *, reset: bool):
        n = _num_samples(X)
        if reset and n < 2:
            raise ValueError(
                f"X has {n} sample(s); training needs at least 2. Pass more rows to fit."
            )
        try:
            X = validate_data(
                self,
                X,
                reset=reset,
                accept_sparse="csr",
                dtype=np.float32,
                ensure_all_finite=False,
                ensure_min_samples=1,
            )
        except (TypeError, ValueError):
            check_feature_frame(X)  # names the columns that are not numbers
            raise
        if sp.issparse(X) and not isinstance(X, sp.csr_matrix):
            X = sp.csr_matrix(X)  # skorch's datasets know the matrix API, not sparray
        values = X.data if sp.issparse(X) else X
        # A float64 sum of float32 values cannot overflow: it is finite exactly when
        # every value is, and needs no temporary of X's size.
        if not np.isfinite(values.sum(dtype=np.float64)):
            if sp.issparse(X):
                cols = np.unique(X.indices[~np.isfinite(X.data)])
            else:
                cols = np.flatnonzero(~np.isfinite(X).all(axis=0))
            names = getattr(self, "feature_names_in_", None)
            cols = [str(names[c]) for c in cols] if names is not None else cols.tolist()
            raise ValueError(
                f"X contains NaN or infinity in columns {cols[:20]}"
                f"{' (and more)' if len(cols) > 20 else ''}. Impute or drop them first, "
                "e.g. with sklearn.impute.SimpleImputer in a Pipeline."
            )
        return X

    def _check_y(self, y, n_rows: int, *, reset: bool):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None; "
                "pass the 0/1 label matrix of shape (n_samples, n_labels)."
            )
        names = None
        if hasattr(y, "columns"):
            names = np.asarray(y.columns, dtype=object).astype(str)
        if sp.issparse(y):
            y = y.toarray()
        y = np.asarray(y)
        if y.ndim != 2:
            raise ValueError(one_d_y_message(y))
        if y.shape[0] != n_rows:
            raise ValueError(
                f"X has {n_rows} rows but y has {y.shape[0]}; they must have one row per "
                "sample."
            )
        y = numeric_labels(y, names)
        check_label_values(y, names)
        if not reset and y.shape[1] != self.n_labels_:
            raise ValueError(
                f"y has {y.shape[1]} labels but the classifier was fitted with "
                f"{self.n_labels_}; pass the same label columns, or call fit to start over."
            )
        if reset:
            self.n_labels_ = y.shape[1]
            self.classes_ = [np.array([0, 1]) for _ in range(y.shape[1])]
            if names is not None:
                self.label_names_ = names
            elif hasattr(self, "label_names_"):
                del self.label_names_
        return y.astype(np.float32, copy=False)  # never written to

    def _check_fit_data(self, X, y, *, reset: bool):
        if reset:
            for attr in ("feature_names_in_", "n_features_in_"):
                if hasattr(self, attr):
                    delattr(self, attr)
        X = self._check_X(X, reset=reset)
        y = self._check_y(y, X.shape[0], reset=reset)
        return X, y

    # ------------------------------------------------------------ the loss
    def _check_X_or_dataset(self, X):
        """Validate X; a torch Dataset (e.g. from a scoring callback) goes to the module as is."""
        if is_dataset(X):
            return X
        return self._check_X(X, reset=False)
