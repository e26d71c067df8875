"""The fold models' mean score: the final model of ``ThresholdOptimizer(refit="ensemble")``.

NumPy side: imports no torch.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.metaestimators import available_if

from ._wrapped import _label_scores

__all__ = ["FoldEnsemble"]


class FoldEnsemble:
    """The mean of fitted fold models' scores (``ThresholdOptimizer(refit="ensemble")``).

    Cross-validation bagging: each fold model was fitted on all rows but one
    fold, and the thresholds were learned on exactly these models' held-out
    scores.

    Parameters
    ----------
    estimators : list of fitted estimators
    method : {"predict_proba", "decision_function"}
        The scores the thresholds were learned on.
    n_labels : int
    """

    def __init__(self, estimators, method: str, n_labels: int):
        self.estimators = estimators
        self.method = method
        self.n_labels = n_labels

    def _mean(self, X, method):
        return np.mean([_label_scores(e, X, method, self.n_labels) for e in self.estimators],
                       axis=0)

    def check(self, X):
        """Raise a ValueError unless every fold model scores every label (on rows ``X``)."""
        try:
            self._mean(X, self.method)
        except ValueError as exc:
            raise ValueError(
                "refit='ensemble' needs every fold model to score every label, but one "
                f"cannot ({exc}) — typically a label with a single class in a training "
                "fold that the estimator refuses. Use refit=True, or fewer folds."
            ) from None

    @available_if(lambda self: hasattr(self.estimators[0], "predict_proba"))
    def predict_proba(self, X):
        """Mean of the fold models' probabilities, shape ``(n_samples, n_labels)``."""
        return self._mean(X, "predict_proba")

    @available_if(lambda self: hasattr(self.estimators[0], "decision_function"))
    def decision_function(self, X):
        """Mean of the fold models' decision values, shape ``(n_samples, n_labels)``."""
        return self._mean(X, "decision_function")

