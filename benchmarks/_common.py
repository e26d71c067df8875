"""Helpers shared by the benchmark scripts (not part of the package).

Importing this module puts the repository root first on ``sys.path`` so that
``python benchmarks/NAME.py`` measures this checkout's ``skimb`` rather than
another installed copy.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import joblib
import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from threadpoolctl import threadpool_limits

# One BLAS thread: on a shared 2-core machine, threaded BLAS inside many small
# LogisticRegression fits oversubscribes the cores and the times become noise.
threadpool_limits(1)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("SKIMB_DATA", ROOT.parent / "shared" / "data"))


def data_names(names, data_dir, default):
    """The data sets a benchmark runs: ``names`` when given (``--data``), else
    every ``.npz`` file of ``data_dir`` when it is not the default folder
    (``--data-dir`` alone), else ``default``."""
    if names:
        return list(names)
    if data_dir is not None and Path(data_dir).resolve() != DATA.resolve():
        found = sorted(path.stem for path in Path(data_dir).glob("*.npz"))
        if not found:
            raise SystemExit(f"--data-dir {data_dir}: no .npz files there.")
        return found
    return list(default)


def load(name, data_dir=None):
    """X, Y and the standard MULAN test mask of ``NAME.npz`` in ``data_dir`` (default DATA)."""
    path = Path(data_dir or DATA) / f"{name}.npz"
    if not path.exists():
        raise SystemExit(f"{path} not found: give the folder with --data-dir (or set "
                         "SKIMB_DATA) and the names with --data.")
    z = np.load(path)
    if "X" in z:
        X = z["X"]
    else:
        X = sp.csr_matrix((z["X_data"], z["X_indices"], z["X_indptr"]), shape=tuple(z["X_shape"]))
    return X, z["Y"].astype(np.int64), z["is_test"]


class Timer:
    """``with Timer() as t: ...`` then ``t.seconds``."""

    def __enter__(self):
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = self.elapsed()

    def elapsed(self):
        """Seconds since the block started."""
        return time.perf_counter() - self._start


_FITTED = {}


class CachedFit(ClassifierMixin, BaseEstimator):
    """Fit ``estimator`` once per distinct (X, y): the benchmarks compare many
    threshold settings on the same folds, and refitting identical models for
    each setting would only measure the models again."""

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X, y):
        key = joblib.hash((X, y, repr(self.estimator)))
        if key not in _FITTED:
            _FITTED[key] = clone(self.estimator).fit(X, y)
        self.model_ = _FITTED[key]
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)


@contextmanager
def bare_floor():
    """``min_score`` as a bare floor: every label below it falls back.

    Switches ThresholdOptimizer's flood check off (``skimb._oof_search._floods``
    answers "floods" for every label) so that the benchmarks can show what the
    check changes; ThresholdOptimizer has no parameter for it.
    """
    import skimb._oof_search

    original = skimb._oof_search._floods
    skimb._oof_search._floods = lambda truth, *args: np.ones(truth.shape[1], dtype=bool)
    try:
        yield
    finally:
        skimb._oof_search._floods = original
