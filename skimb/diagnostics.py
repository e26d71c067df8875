"""Class statistics, checks for the classic mistakes, and the per-label report.

The failure these tools exist for: a multi-label model on rare labels that
"predicts all zeros". Its signature is visible in three numbers per label —
the prevalence, the mean predicted probability, and the share of rows whose
score passes the threshold (the *pass rate*). :func:`label_report` prints them
next to precision, recall, F1 and average precision; :func:`check_collapse`
warns when a label that has positives is never predicted.

NumPy only: this module imports no torch.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from numbers import Real

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._stacklevel import user_stacklevel

__all__ = [
    "LabelCollapseWarning",
    "LabelReport",
    "check_collapse",
    "check_label_values",
    "check_pos_weight",
    "class_counts",
    "compute_pos_weight",
    "label_report",
    "pos_weight_clip",
]


class LabelCollapseWarning(UserWarning):
    """Labels that have positives but are never predicted at their threshold.

    Filter it like any warning, e.g.
    ``warnings.simplefilter("ignore", LabelCollapseWarning)``.
    """


def class_counts(Y) -> np.ndarray:
    """Number of positives per label of a 0/1 label matrix (int64).

    Examples
    --------
    >>> import numpy as np
    >>> from skimb.diagnostics import class_counts
    >>> class_counts(np.array([[1, 0], [1, 0], [0, 1]]))
    array([2, 1])
    """
    return np.asarray(Y.sum(axis=0)).ravel().astype(np.int64)


#: ``max_pos_weight="auto"``: the automatic weight is clipped at ``AUTO_CLIP``,
#: and for a label with fewer than ``AUTO_CLIP_FEW`` positives at
#: ``AUTO_CLIP * AUTO_CLIP_FEW / n_pos`` instead, at most ``AUTO_CLIP_MAX``: the
#: rarest labels keep the full ratio, labels with a few dozen positives or more
#: a gentler weight. Chosen by measurement on real data (benchmarks/README.md,
#: "Class weights tried").
AUTO_CLIP, AUTO_CLIP_MAX, AUTO_CLIP_FEW = 30.0, 100.0, 20.0


def pos_weight_clip(counts, max_pos_weight: float | str | None = "auto"):
    """The upper clip of the automatic ``pos_weight`` of each label.

    Parameters
    ----------
    counts : array-like of shape (n_labels,)
        Positives per label in the training data.
    max_pos_weight : "auto", float or None, default="auto"
        ``"auto"``: 30 for a label with 20 or more positives, ``30 * 20 / n_pos``
        for rarer ones, at most 100 (6 or fewer positives). A float of at least
        1: that clip for every label. ``None``: no clip.

    Returns
    -------
    clip : ndarray of shape (n_labels,), float64, or None
        None where ``max_pos_weight`` is None.

    Raises
    ------
    ValueError
        ``max_pos_weight`` is a string other than ``"auto"``, a bool, not
        finite, or below 1 (a clip below 1 weights the positives of every rare
        label below its negatives: the inverted ratio).

    Examples
    --------
    >>> from skimb.diagnostics import pos_weight_clip
    >>> pos_weight_clip([5, 10, 15, 20, 500])
    array([100.,  60.,  40.,  30.,  30.])
    >>> pos_weight_clip([5, 20], 10.0)
    array([10., 10.])
    """
    counts = np.asarray(counts, dtype=np.float64)
    if max_pos_weight is None:
        return None
    if isinstance(max_pos_weight, str) and max_pos_weight == "auto":
        raised = AUTO_CLIP * AUTO_CLIP_FEW / np.maximum(counts, 1.0)
        return np.clip(raised, AUTO_CLIP, AUTO_CLIP_MAX)
    if (isinstance(max_pos_weight, (bool, np.bool_)) or not isinstance(max_pos_weight, Real)
            or not np.isfinite(max_pos_weight) or max_pos_weight < 1):
        raise ValueError(
            f"max_pos_weight must be 'auto', a number of at least 1 or None, got "
            f"{max_pos_weight!r}: a clip below 1 would weight the positives of every "
            "rare label below its negatives (the inverted ratio)."
        )
    return np.full(counts.shape, float(max_pos_weight))


def compute_pos_weight(
    counts, n_samples: int, method: str = "auto", max_pos_weight: float | str | None = "auto"
) -> np.ndarray:
    """The positive-class weight per label: ``n_neg / n_pos``, never its inverse.

    ``"auto"`` gives ``n_neg / max(n_pos, 1)`` clipped from above by
    :func:`pos_weight_clip`: a label with 1% positives gets 99 unclipped, 30
    among 10,000 rows (100 positives), 60 among 1,000 rows (10 positives); a
    label with no positives gets ``min(n_samples, clip)`` (no inf, no NaN), a
    label whose rows are all positive gets 0. ``"sqrt"`` gives the square root
    of that, a milder correction.

    Parameters
    ----------
    counts : array-like of shape (n_labels,)
        Positives per label in the training data.
    n_samples : int
        Number of training rows.
    method : {"auto", "sqrt"}, default="auto"
    max_pos_weight : "auto", float or None, default="auto"
        Upper clip (see :func:`pos_weight_clip`): ``"auto"`` 30, rising to 100
        for labels with fewer than 20 positives; a float of at least 1: that
        clip; ``None`` disables it (the ratio stays finite anyway).

    Returns
    -------
    pos_weight : ndarray of shape (n_labels,), float32

    Raises
    ------
    ValueError
        ``method`` is not ``"auto"`` or ``"sqrt"``, or ``max_pos_weight`` is not
        ``"auto"``, ``None`` or a finite number of at least 1.

    Examples
    --------
    >>> from skimb.diagnostics import compute_pos_weight
    >>> compute_pos_weight([10, 50, 0, 100], n_samples=100)
    array([  9.,   1., 100.,   0.], dtype=float32)
    >>> compute_pos_weight([50, 100], n_samples=10_000)  # 199 and 99, clipped at 30
    array([30., 30.], dtype=float32)
    """
    counts = np.asarray(counts, dtype=np.float64)
    ratio = (n_samples - counts) / np.maximum(counts, 1.0)
    clip = pos_weight_clip(counts, max_pos_weight)
    if clip is not None:
        ratio = np.minimum(ratio, clip)
    if method == "sqrt":
        ratio = np.sqrt(ratio)
    elif method != "auto":
        raise ValueError(f"method must be 'auto' or 'sqrt', got {method!r}.")
    return ratio.astype(np.float32)


def check_pos_weight(pos_weight, counts, n_samples: int, label_names=None) -> np.ndarray:
    """Validate an explicit ``pos_weight`` and warn when it looks inverted.

    A weight below 1 on a label whose prevalence is below 0.5 down-weights the
    rare positives: that is almost always ``n_pos / n_neg`` where ``n_neg / n_pos``
    was meant, the mistake that makes a model predict all zeros.

    Returns the weights as a float32 array.

    Examples
    --------
    >>> import warnings
    >>> from skimb.diagnostics import check_pos_weight
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     _ = check_pos_weight([0.1, 1.0], counts=[10, 50], n_samples=100)
    >>> "inverted" in str(w[0].message)
    True
    """
    counts = np.asarray(counts)
    w = np.asarray(pos_weight, dtype=np.float64).reshape(-1)
    if w.shape[0] != counts.shape[0]:
        raise ValueError(
            f"pos_weight has {w.shape[0]} values but y has {counts.shape[0]} labels; "
            "give one weight per label, or use pos_weight='auto'."
        )
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        bad = np.flatnonzero(~np.isfinite(w) | (w < 0)).tolist()
        raise ValueError(
            f"pos_weight must be finite and non-negative; labels {bad} are not. "
            "Use pos_weight='auto' for n_neg / n_pos per label."
        )
    prevalence = counts / max(n_samples, 1)
    suspicious = np.flatnonzero((w < 1) & (prevalence < 0.5))
    if suspicious.size:
        auto = compute_pos_weight(counts, n_samples)
        all_names = _names(label_names, counts.shape[0])
        names = [all_names[i] for i in suspicious]
        details = ", ".join(
            f"{n}: given {w[i]:.3g}, prevalence {prevalence[i]:.3g}, 'auto' gives {auto[i]:.3g}"
            for n, i in zip(names[:10], suspicious[:10])
        )
        warnings.warn(
            f"pos_weight is below 1 for rare labels {names}: the ratio looks inverted "
            f"(n_pos / n_neg instead of n_neg / n_pos), which pushes the model towards "
            f"predicting all zeros ({details}). Use pos_weight='auto'.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
    return w.astype(np.float32)


def _label_names_of(y, label_names=None, estimator=None):
    """The label names to show: the ones given, else a DataFrame's columns, else
    the ``label_names_`` a fitted estimator (or the last step of a Pipeline, or
    the estimator it wraps) kept from fit, else None."""
    if label_names is not None:
        return label_names
    if hasattr(y, "columns"):
        return [str(c) for c in y.columns]
    final = estimator[-1] if hasattr(estimator, "steps") else estimator
    for candidate in (final, getattr(final, "estimator_", None)):
        names = getattr(candidate, "label_names_", None)
        if names is not None:
            return list(names)
    return None


def _names(label_names, n_labels: int) -> list[str]:
    if label_names is None:
        return [f"label{j}" for j in range(n_labels)]
    names = [str(n) for n in label_names]
    if len(names) != n_labels:
        raise ValueError(
            f"label_names has {len(names)} names but there are {n_labels} labels; give one "
            "name per label column."
        )
    return names


def check_label_values(
    y: ArrayLike, label_names: Sequence | None = None, *, what: str = "y"
) -> None:
    """Raise a ValueError, naming the columns, when a label matrix is not 0/1.

    Soft labels (values strictly between 0 and 1, such as averaged annotations
    or label smoothing) get their own explanation, since the fix differs from
    that of counts or class indices.

    Parameters
    ----------
    y : array-like of shape (n_samples, n_labels)
        Numeric label matrix.
    label_names : sequence of str or None, default=None
        Column names used in the message (column indices otherwise).
    what : str, default="y"
        What the matrix is called in the message.

    Examples
    --------
    >>> import numpy as np
    >>> from skimb.diagnostics import check_label_values
    >>> check_label_values(np.array([[0, 1], [1, 0]]))
    >>> try:
    ...     check_label_values(np.array([[0.2, 1], [0.9, 0]]), label_names=["a", "b"])
    ... except ValueError as e:
    ...     print(str(e)[:70])
    y has values other than 0 and 1 in columns ['a']. Columns ['a'] hold s
    """
    y = np.asarray(y)
    if y.ndim == 1:
        y = y.reshape(-1, 1)
    not_binary = (y != 0) & (y != 1)
    bad = np.flatnonzero(not_binary.any(axis=0))
    if not bad.size:
        return

    def named(cols):
        cols = [str(label_names[c]) for c in cols] if label_names is not None else list(cols)
        return f"{cols[:20]}{' (and more)' if len(cols) > 20 else ''}"

    outside = (not_binary & ~((y > 0) & (y < 1))).any(axis=0)
    soft = [int(c) for c in bad if not outside[c]]
    message = f"{what} has values other than 0 and 1 in columns {named(bad.tolist())}."
    if soft:
        message += (
            f" Columns {named(soft)} hold soft labels (values strictly between 0 and 1, "
            "e.g. averaged annotations or label smoothing); the classifier trains on hard "
            "0/1 labels: binarise them first, e.g. (y >= 0.5).astype(int)."
        )
    if len(soft) < bad.size:
        others = [int(c) for c in bad if outside[c]]
        examples = np.unique(y[:, others][not_binary[:, others]])[:5].tolist()
        message += (
            f" Columns {named(others)} hold values such as {examples}: each label column "
            "must be a 0/1 indicator; binarise counts first (e.g. y > 0) and turn class "
            "indices into indicator columns (sklearn.preprocessing.MultiLabelBinarizer)."
        )
    raise ValueError(message)


def _scores_and_thresholds(estimator, X):
    """Scores of a fitted multi-label estimator and the thresholds it applies.

    A :class:`~skimb.ThresholdOptimizer` (also as the last step of a Pipeline)
    gives the scores it thresholds and ``thresholds_``; another estimator its
    ``predict_proba`` and its ``threshold`` parameter (else 0.5).
    """
    final = estimator[-1] if hasattr(estimator, "steps") else estimator
    if hasattr(final, "thresholds_") and hasattr(final, "_scores"):
        if final is not estimator and len(estimator.steps) > 1:
            X = estimator[:-1].transform(X)
        return np.asarray(final._scores(X), dtype=np.float64), final.thresholds_
    thresholds = final.get_params(deep=False).get("threshold", 0.5)
    scores = estimator.predict_proba(X)
    if isinstance(scores, list) or np.ndim(scores) != 2:
        raise ValueError(
            f"{type(final).__name__}.predict_proba does not return one probability per "
            "label as an (n_samples, n_labels) array; wrap it in skimb.ThresholdOptimizer, "
            "which reads list outputs, or pass the scores to from_predictions."
        )
    return np.asarray(scores, dtype=np.float64), thresholds


def _check_scores(y_true, y_score, thresholds):
    """Validate a truth / score pair; return Y (bool), S (float64), T (n_labels,)."""
    from ._validation import label_array, numeric_labels

    y, names = label_array(y_true)
    y = numeric_labels(y, names, what="y_true")
    s = np.asarray(y_score, dtype=np.float64)
    if y.ndim == 1:
        y = y.reshape(-1, 1)
    if s.ndim == 1:
        s = s.reshape(-1, 1)
    if y.ndim != 2 or y.shape != s.shape:
        raise ValueError(
            f"y_true and y_score must be label matrices of the same shape (n_samples, "
            f"n_labels); got {np.shape(y_true)} and {np.shape(y_score)}."
        )
    if y.shape[0] == 0:
        raise ValueError("y_true is empty; the report needs at least one row.")
    if not np.isfinite(s).all():
        cols = np.flatnonzero(~np.isfinite(s).all(axis=0)).tolist()
        raise ValueError(f"y_score has NaN or infinite values in columns {cols[:20]}.")
    check_label_values(y)
    t = np.asarray(thresholds, dtype=np.float64)
    if t.ndim == 0:
        t = np.full(y.shape[1], float(t))
    if t.shape != (y.shape[1],):
        raise ValueError(
            f"thresholds has {t.size} values but there are {y.shape[1]} labels; give a "
            "scalar or one threshold per label."
        )
    if np.isnan(t).any():  # scores may be decision values: any other number is a cut
        raise ValueError(
            f"thresholds are NaN for labels {np.flatnonzero(np.isnan(t))[:20].tolist()}; a "
            "NaN threshold never predicts the label. Give a number per label."
        )
    return y.astype(bool), s, t


def _ratio(num, den) -> NDArray:
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den > 0)


_COLUMNS = (
    # (attribute, header, format); format None: an integer
    ("support", "support", None),
    ("prevalence", "prev", ".4f"),
    ("pos_weight", "pos_weight", ".1f"),
    ("mean_proba", "mean_p", ".4f"),
    ("thresholds", "threshold", ".4f"),
    ("pass_rate", "pass_rate", ".4f"),
    ("precision", "prec", ".3f"),
    ("recall", "recall", ".3f"),
    ("f1", "f1", ".3f"),
    ("average_precision", "AP", ".3f"),
)


@dataclass(frozen=True)
class LabelReport:
    """Per-label diagnostics of scores against 0/1 truth, made by :func:`label_report`.

    ``str(report)`` is an aligned text table; :meth:`to_frame` gives a pandas
    DataFrame. Per-label values are arrays of shape ``(n_labels,)``.

    Attributes
    ----------
    label_names : list of str
    n_samples : int
    support : ndarray of int
        Positives per label.
    prevalence : ndarray
        ``support / n_samples``.
    pos_weight : ndarray
        What ``pos_weight="auto"`` gives on these labels: ``n_neg / n_pos``
        with the default clip (see :func:`compute_pos_weight`).
    mean_proba : ndarray
        Mean score per label. For probabilities of a model trained without
        weighting it sits near the prevalence; far below it, the model was pushed
        towards zeros (an inverted ``pos_weight``, a stacked weight).
    thresholds : ndarray
        The threshold applied to each label (``score >= threshold``).
    pass_rate : ndarray
        Share of rows predicted positive at the threshold. 0 on a label with
        positives means the model never predicts it: the "all zeros" collapse.
    precision, recall, f1 : ndarray
        At the threshold; 0 where undefined (sklearn's ``zero_division=0``).
    average_precision : ndarray
        Threshold-free ranking quality (NaN for a label without positives).
    macro, micro : dict
        Averages: ``macro`` is the mean over labels (``average_precision``
        over the labels that have positives), ``micro`` pools the counts of
        all labels. The keys are those of the per-label attributes.
    """

    label_names: list[str]
    n_samples: int
    support: NDArray
    prevalence: NDArray
    pos_weight: NDArray
    mean_proba: NDArray
    thresholds: NDArray
    pass_rate: NDArray
    precision: NDArray
    recall: NDArray
    f1: NDArray
    average_precision: NDArray
    macro: dict = field(default_factory=dict)
    micro: dict = field(default_factory=dict)

    @property
    def collapsed(self) -> NDArray:
        """Indices of labels with positives but a pass rate of 0 (never predicted)."""
        return np.flatnonzero((self.support > 0) & (self.pass_rate == 0))

    def _rows(self):
        for j, name in enumerate(self.label_names):
            yield name, {attr: getattr(self, attr)[j] for attr, _, _ in _COLUMNS}
        yield "macro", self.macro
        yield "micro", self.micro

    def to_frame(self):
        """The report as a pandas DataFrame: one row per label, then ``macro`` and ``micro``.

        Requires pandas (an optional dependency).

        Returns
        -------
        pandas.DataFrame
            Columns ``support, prevalence, pos_weight, mean_proba, threshold,
            pass_rate, precision, recall, f1, average_precision``; NaN where an
            average has no meaning.
        """
        try:
            import pandas as pd
        except ImportError:
            raise ImportError(
                "LabelReport.to_frame needs pandas: pip install pandas (str(report) "
                "gives the same table as text)."
            ) from None
        records = {}
        for name, row in self._rows():
            records[name] = {
                ("threshold" if attr == "thresholds" else attr): row.get(attr, np.nan)
                for attr, _, _ in _COLUMNS
            }
        frame = pd.DataFrame.from_dict(records, orient="index")
        frame["support"] = frame["support"].astype("int64")
        return frame

    def to_text(self) -> str:
        """The report as an aligned text table (also ``str(report)``)."""
        header = ["label"] + [h for _, h, _ in _COLUMNS]
        lines = []
        for name, row in self._rows():
            cells = [name]
            for attr, _, fmt in _COLUMNS:
                value = row.get(attr, np.nan)
                if fmt is None:
                    cells.append(str(int(value)))
                elif np.isnan(value):
                    cells.append("-")
                else:
                    cells.append(format(value, fmt))
            lines.append(cells)
        widths = [max(len(c[i]) for c in [header, *lines]) for i in range(len(header))]

        def render(cells):
            first = cells[0].ljust(widths[0])
            return "  ".join([first, *(c.rjust(w) for c, w in zip(cells[1:], widths[1:]))])

        rule = "-" * len(render(header))
        body = [render(c) for c in lines]
        out = [render(header), rule, *body[:-2], rule, *body[-2:]]
        if self.collapsed.size:
            names = [self.label_names[j] for j in self.collapsed]
            out.append(
                f"never predicted although they have positives (pass_rate 0): "
                f"{', '.join(names[:20])}{' ...' if len(names) > 20 else ''}"
            )
        return "\n".join(out)

    def __str__(self) -> str:
        return self.to_text()


def label_report(
    y_true: ArrayLike,
    y_score: ArrayLike,
    thresholds: float | ArrayLike = 0.5,
    label_names: Sequence[str] | None = None,
) -> LabelReport:
    """Per-label diagnostics that show a model predicting all zeros, and why.

    One row per label: support, prevalence, the ``pos_weight`` that ``"auto"``
    would use, mean predicted probability, pass rate at the threshold (share of
    rows predicted positive), precision, recall, F1 and average precision; then
    macro and micro averages. A label with positives and a pass rate of 0 is
    never predicted: the report lists those below the table.

    Parameters
    ----------
    y_true : array-like or sparse matrix of shape (n_samples, n_labels)
        0/1 truth.
    y_score : array-like of shape (n_samples, n_labels)
        Scores, usually ``predict_proba`` probabilities.
    thresholds : float or array-like of shape (n_labels,), default=0.5
        A row is predicted positive when ``score >= threshold``. Pass
        ``ThresholdOptimizer.thresholds_`` for tuned ones.
    label_names : sequence of str or None, default=None
        None: the column names when ``y_true`` is a pandas DataFrame, else
        ``label0, label1, ...``.

    Returns
    -------
    LabelReport
        ``print(report)`` for the table, ``report.to_frame()`` for a DataFrame.

    Examples
    --------
    >>> import numpy as np
    >>> from skimb.diagnostics import label_report
    >>> Y = np.array([[1, 0], [0, 0], [1, 1], [0, 0]])
    >>> P = np.array([[0.8, 0.1], [0.3, 0.2], [0.6, 0.4], [0.1, 0.1]])
    >>> report = label_report(Y, P, label_names=["common", "rare"])
    >>> report.collapsed.tolist()  # "rare" has a positive but no score above 0.5
    [1]
    >>> print(report)
    label   support    prev  pos_weight  mean_p  threshold  pass_rate   prec  recall     f1     AP
    ----------------------------------------------------------------------------------------------
    common        2  0.5000         1.0  0.4500     0.5000     0.5000  1.000   1.000  1.000  1.000
    rare          1  0.2500         3.0  0.2000     0.5000     0.0000  0.000   0.000  0.000  1.000
    ----------------------------------------------------------------------------------------------
    macro         3  0.3750           -  0.3250          -     0.2500  0.500   0.500  0.500  1.000
    micro         3       -           -       -          -          -  1.000   0.667  0.800  1.000
    never predicted although they have positives (pass_rate 0): rare
    """
    from sklearn.metrics import average_precision_score

    y, s, t = _check_scores(y_true, y_score, thresholds)
    n, n_labels = y.shape
    names = _names(_label_names_of(y_true, label_names), n_labels)
    pred = s >= t
    tp = (y & pred).sum(axis=0)
    fp = (~y & pred).sum(axis=0)
    fn = (y & ~pred).sum(axis=0)
    support = y.sum(axis=0).astype(np.int64)
    ap = np.full(n_labels, np.nan)
    for j in np.flatnonzero(support):
        ap[j] = average_precision_score(y[:, j], s[:, j])
    per_label = {
        "support": support,
        "prevalence": support / n,
        "pos_weight": compute_pos_weight(support, n).astype(np.float64),
        "mean_proba": s.mean(axis=0),
        "thresholds": t,
        "pass_rate": pred.mean(axis=0),
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "average_precision": ap,
    }
    macro = {
        "support": int(support.sum()),
        "prevalence": float(per_label["prevalence"].mean()),
        "mean_proba": float(s.mean()),
        "pass_rate": float(pred.mean()),
        "precision": float(per_label["precision"].mean()),
        "recall": float(per_label["recall"].mean()),
        "f1": float(per_label["f1"].mean()),
        "average_precision": float(np.nanmean(ap)) if support.any() else np.nan,
    }
    TP, FP, FN = tp.sum(), fp.sum(), fn.sum()
    micro = {
        "support": int(support.sum()),
        "precision": float(_ratio(TP, TP + FP)),
        "recall": float(_ratio(TP, TP + FN)),
        "f1": float(_ratio(2 * TP, 2 * TP + FP + FN)),
        "average_precision": (
            float(average_precision_score(y.ravel(), s.ravel())) if support.any() else np.nan
        ),
    }
    return LabelReport(names, n, macro=macro, micro=micro, **per_label)


def check_collapse(
    y_true: ArrayLike,
    y_score: ArrayLike,
    thresholds: float | ArrayLike = 0.5,
    *,
    label_names: Sequence[str] | None = None,
    data: str = "these rows",
    switch_off: str | None = None,
) -> NDArray:
    """Warn once when labels that have positives are never predicted.

    A label whose positives exist but whose scores never reach its threshold
    is predicted all zeros. One :class:`LabelCollapseWarning` names every such
    label with its mean probability against its prevalence, and points to the
    fixes: per-label thresholds (:class:`~skimb.ThresholdOptimizer`), a correct
    ``pos_weight`` (``n_neg / n_pos``, one weighting only), or the loss.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_labels)
        0/1 truth.
    y_score : array-like of shape (n_samples, n_labels)
        Predicted probabilities (or scores on the thresholds' scale).
    thresholds : float or array-like of shape (n_labels,), default=0.5
        ``score >= threshold`` is a positive prediction.
    label_names : sequence of str or None, default=None
        Names used in the message; None: the column names when ``y_true`` is a
        pandas DataFrame, else ``label0, label1, ...``.
    data : str, default="these rows"
        What the rows are, for the message (e.g. ``"the training data"``).
    switch_off : str or None, default=None
        How to switch the check off, appended to the message.

    Returns
    -------
    collapsed : ndarray of int
        Indices of the collapsed labels (empty when none; then nothing warns).

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from skimb.diagnostics import check_collapse
    >>> Y = np.array([[1, 0], [0, 1], [1, 0], [0, 0]])
    >>> P = np.array([[0.7, 0.02], [0.2, 0.04], [0.9, 0.01], [0.1, 0.03]])
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     check_collapse(Y, P, label_names=["cat", "dog"]).tolist()
    [1]
    >>> print(str(caught[0].message)[:70])
    1 of 2 labels are never predicted on these rows although they have pos
    """
    y, s, t = _check_scores(y_true, y_score, thresholds)
    return _warn_collapse(
        y.sum(axis=0), (s >= t).sum(axis=0), s.mean(axis=0), s.max(axis=0), y.shape[0], t,
        label_names=_label_names_of(y_true, label_names), data=data, switch_off=switch_off,
    )


def _warn_collapse(
    support, passed, mean, maximum, n_samples, thresholds, *, label_names=None,
    data="these rows", switch_off=None, ratio=None, clip=None, max_pos_weight=None,
) -> NDArray:
    """:func:`check_collapse` from per-label summaries, so that a caller can
    compute them batch by batch: ``support`` positives, ``passed`` rows at or
    above the threshold, ``mean`` and ``maximum`` score (read only for the
    collapsed labels) over ``n_samples`` rows. ``ratio`` and ``clip`` (per
    label) are the unclipped ``n_neg / n_pos`` and the clip that
    ``max_pos_weight`` set where the automatic ``pos_weight`` was used; the
    message names the collapsed labels whose ratio was clipped, with both."""
    support, passed = np.asarray(support), np.asarray(passed)
    t = np.asarray(thresholds, dtype=np.float64)
    names = _names(label_names, support.shape[0])
    collapsed = np.flatnonzero((support > 0) & (passed == 0))
    if not collapsed.size:
        return collapsed
    prevalence = support / n_samples
    mean = np.asarray(mean, dtype=np.float64)
    maximum = np.asarray(maximum, dtype=np.float64)
    shown = collapsed[np.argsort(prevalence[collapsed], kind="stable")][:10]
    details = "; ".join(
        f"{names[j]}: mean probability {mean[j]:.3g} vs prevalence {prevalence[j]:.3g}, "
        f"max {maximum[j]:.3g} < threshold {t[j]:.3g}"
        for j in shown
    )
    more = f" (and {collapsed.size - shown.size} more)" if collapsed.size > shown.size else ""
    pushed = bool((mean[collapsed] < prevalence[collapsed]).any())
    message = (
        f"{collapsed.size} of {support.shape[0]} labels are never predicted on {data} although "
        f"they have positives: the model predicts all zeros for "
        f"{[names[j] for j in collapsed][:20]}{more} ({details}). "
    )
    if pushed:
        message += (
            "Mean probabilities below the prevalence mean the training pushed these labels "
            "towards 0: check pos_weight (n_neg / n_pos per label, never the inverse; "
            "pos_weight='auto' computes it) and that no second weighting such as "
            "criterion__weight is stacked on it. "
        )
    message += (
        "Fixes: learn one threshold per label on held-out scores with "
        "skimb.ThresholdOptimizer instead of a fixed threshold; keep pos_weight='auto'; "
        "or pick a loss made for rare labels (skimb.losses.available_losses())."
    )
    if clip is not None:
        capped = [j for j in collapsed if ratio[j] > clip[j]]
        if capped:
            listed = ", ".join(
                f"{names[j]}: n_neg / n_pos {ratio[j]:.3g} clipped at {clip[j]:.3g}"
                for j in capped[:10]
            )
            more = f" and {len(capped) - 10} more" if len(capped) > 10 else ""
            message += (
                f" max_pos_weight={max_pos_weight!r} clipped the automatic pos_weight of "
                f"{len(capped)} of them ({listed}{more}): for a fixed threshold, give a "
                "max_pos_weight above their ratio (None: no clip)."
            )
    if switch_off:
        message += f" {switch_off}"
    warnings.warn(message, LabelCollapseWarning, stacklevel=user_stacklevel())
    return collapsed
