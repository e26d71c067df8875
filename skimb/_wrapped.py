"""The wrapped estimator as ThresholdOptimizer sees it: its scores and its own rule.

Which score method to threshold (``response_method``), the class-1 scores of
any multi-label estimator as one ``(n_samples, n_labels)`` array, the
estimator's own decision rule as ``score >= threshold``, and a clone with
skimb's post-fit collapse check off. NumPy side: imports no torch.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import clone
from sklearn.pipeline import Pipeline

__all__ = [
    "_clone_unchecked",
    "_default_thresholds",
    "_estimator_has",
    "_label_scores",
    "_response_method",
]

def _estimator_has(attr):
    """Check the fitted estimator when there is one, else the unfitted one."""

    def check(self):
        if hasattr(self, "estimator_"):
            return hasattr(self.estimator_, attr)
        return hasattr(self.estimator, attr)

    return check


def _response_method(estimator, response_method):
    if response_method == "auto":
        for method in ("predict_proba", "decision_function"):
            if hasattr(estimator, method):
                return method
        raise ValueError(
            f"{type(estimator).__name__} has neither predict_proba nor decision_function, "
            "so there are no scores to threshold. Wrap a classifier that has one of them."
        )
    if not hasattr(estimator, response_method):
        raise ValueError(
            f"response_method={response_method!r}, but {type(estimator).__name__} has no "
            f"{response_method}. Use response_method='auto'."
        )
    return response_method


def _label_scores(estimator, X, method, n_labels):
    """Scores of class 1 per label, as an ``(n_samples, n_labels)`` float array.

    Handles the list of per-label ``(n, n_classes)`` arrays returned by
    multi-output estimators (``MultiOutputClassifier``, random forests, k-NN),
    where a label seen with one class only has a single column.
    """
    out = getattr(estimator, method)(X)
    if isinstance(out, list):
        classes = getattr(estimator, "classes_", None)
        columns = []
        for i, proba in enumerate(out):
            proba = np.asarray(proba, dtype=np.float64)
            if proba.ndim == 1:
                columns.append(proba)
                continue
            label_classes = np.asarray(classes[i]) if classes is not None else None
            if label_classes is not None and label_classes.size == proba.shape[1]:
                hit = np.flatnonzero(label_classes == 1)
                columns.append(proba[:, hit[0]] if hit.size else np.zeros(proba.shape[0]))
            else:
                columns.append(proba[:, -1])
        out = np.column_stack(columns)
    else:
        out = np.asarray(out, dtype=np.float64)
        if out.ndim == 1:
            out = out.reshape(-1, 1)
        elif n_labels == 1 and out.shape[1] == 2 and method == "predict_proba":
            out = out[:, 1:]  # a single label fitted as a binary problem
    if out.shape[1] != n_labels:
        raise ValueError(
            f"{type(estimator).__name__}.{method} returned {out.shape[1]} columns for "
            f"{n_labels} labels; ThresholdOptimizer needs one score per label. Wrap a "
            "single-label classifier in OneVsRestClassifier or MultiOutputClassifier."
        )
    return out


def _default_thresholds(estimator, method, n_labels):
    """The wrapped estimator's own decision rule per label, as ``score >= threshold``.

    An estimator with a numeric ``threshold`` parameter (skimb's classifier)
    predicts ``probability >= threshold``: that value. Any other estimator
    predicts class 1 when its decision value is above 0 or its probability is
    above 0.5, a tie going to class 0 (``OneVsRestClassifier``, ``argmax`` over
    ``[p0, p1]`` in ``MultiOutputClassifier`` and k-NN): the next float64 above
    0 or 0.5, so that ``score >= threshold`` gives the estimator's own
    decisions on every row, ties and constant (single-class) labels included.
    """
    final = estimator[-1] if isinstance(estimator, Pipeline) else estimator
    threshold = None
    if hasattr(final, "get_params"):
        threshold = final.get_params(deep=False).get("threshold")
    if threshold is not None and not isinstance(threshold, str):
        arr = np.asarray(threshold, dtype=np.float64)
        if arr.ndim == 0 or arr.shape == (n_labels,):
            arr = np.array(np.broadcast_to(arr, (n_labels,)))
            if method == "decision_function":  # probability >= t  <=>  logit >= logit(t)
                with np.errstate(divide="ignore"):
                    arr = np.log(arr) - np.log1p(-arr)
            return arr
    cut = 0.0 if method == "decision_function" else 0.5
    return np.full(n_labels, np.nextafter(cut, np.inf))


def _clone_unchecked(estimator):
    """A clone with skimb's post-fit collapse check switched off, where it has one.

    The check (``check_collapse`` of ``MultiLabelImbalancedClassifier``, also
    inside a Pipeline) warns about labels never predicted at the classifier's
    own fixed threshold, the very threshold this optimizer replaces: in the
    folds and the refit it would only repeat a warning the tuned thresholds
    answer.
    """
    estimator = clone(estimator)
    off = {
        name: False
        for name in estimator.get_params()
        if name == "check_collapse" or name.endswith("__check_collapse")
    }
    return estimator.set_params(**off) if off else estimator

