"""Generated long-tail multi-label data: the embedded default for demos and tests."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

__all__ = ["make_long_tail_multilabel"]


@validate_params(
    {
        "n_samples": [Interval(Integral, 2, None, closed="left")],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "n_labels": [Interval(Integral, 1, None, closed="left")],
        "min_prevalence": [Interval(Real, 0, 1, closed="neither")],
        "max_prevalence": [Interval(Real, 0, 1, closed="neither")],
        "n_informative": [Interval(Integral, 1, None, closed="left"), None],
        "n_topics": [Interval(Integral, 1, None, closed="left")],
        "topic_strength": [Interval(Real, 0, None, closed="left")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "as_frame": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_long_tail_multilabel(
    n_samples: int = 2000,
    n_features: int = 20,
    n_labels: int = 10,
    *,
    min_prevalence: float = 0.005,
    max_prevalence: float = 0.3,
    n_informative: int | None = None,
    n_topics: int = 3,
    topic_strength: float = 1.0,
    noise: float = 0.5,
    as_frame: bool = False,
    random_state=None,
):
    """Generate a learnable multi-label data set with long-tailed label prevalences.

    Label ``j`` is positive when a noisy linear score of the features exceeds the
    quantile that gives it prevalence ``p_j``; the prevalences are log-spaced from
    ``max_prevalence`` (label 0) down to ``min_prevalence`` (the last label). Each
    label's score mixes a label-specific direction with the direction of a shared
    "topic", so labels of the same topic co-occur more often than chance.

    Parameters
    ----------
    n_samples : int, default=2000
        Number of rows.
    n_features : int, default=20
        Number of features (standard normal, float32).
    n_labels : int, default=10
        Number of labels.
    min_prevalence, max_prevalence : float, default=0.005, 0.3
        Prevalence of the rarest and of the most frequent label, in (0, 1).
    n_informative : int or None, default=None
        Number of features the labels depend on (the first ones). ``None`` uses
        ``max(1, n_features // 2)``.
    n_topics : int, default=3
        Number of shared latent topics; label ``j`` belongs to topic ``j % n_topics``.
    topic_strength : float, default=1.0
        Weight of the topic direction in each label's score (0: independent labels).
    noise : float, default=0.5
        Standard deviation of the Gaussian noise added to each score, relative to
        the unit-variance signal. Larger values make the labels harder to learn.
    as_frame : bool, default=False
        Return pandas DataFrames with columns ``x0..`` and ``label0..`` (needs pandas).
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float32, or DataFrame
    Y : ndarray of shape (n_samples, n_labels), int64 in {0, 1}, or DataFrame

    Examples
    --------
    >>> from skimb.datasets import make_long_tail_multilabel
    >>> X, Y = make_long_tail_multilabel(1000, 10, 5, random_state=0)
    >>> X.shape, Y.shape
    ((1000, 10), (1000, 5))
    >>> bool(Y[:, 0].mean() > Y[:, -1].mean())
    True
    """
    if min_prevalence > max_prevalence:
        raise ValueError(
            f"min_prevalence={min_prevalence} is larger than max_prevalence="
            f"{max_prevalence}; swap them."
        )
    rng = check_random_state(random_state)
    k = max(1, n_features // 2) if n_informative is None else min(n_informative, n_features)
    X = rng.standard_normal((n_samples, n_features))

    def unit_directions(n):
        W = rng.standard_normal((k, n))
        return W / np.linalg.norm(W, axis=0, keepdims=True)

    own = unit_directions(n_labels)
    topics = unit_directions(n_topics)[:, np.arange(n_labels) % n_topics]
    directions = own + topic_strength * topics
    directions /= np.linalg.norm(directions, axis=0, keepdims=True)
    scores = X[:, :k] @ directions + noise * rng.standard_normal((n_samples, n_labels))

    prevalence = np.geomspace(max_prevalence, min_prevalence, n_labels)
    n_pos = np.maximum(1, np.round(prevalence * n_samples)).astype(int)
    # The n_pos highest scores of each label are its positives (ties broken by order).
    order = np.argsort(-scores, axis=0, kind="stable")
    Y = np.zeros((n_samples, n_labels), dtype=np.int64)
    for j in range(n_labels):
        Y[order[: n_pos[j], j], j] = 1
    X = X.astype(np.float32)
    if as_frame:
        import pandas as pd

        X = pd.DataFrame(X, columns=[f"x{i}" for i in range(n_features)])
        Y = pd.DataFrame(Y, columns=[f"label{j}" for j in range(n_labels)])
    return X, Y
