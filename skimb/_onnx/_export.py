"""skl2onnx converters for skimb's estimators, and :func:`to_onnx`.

The two estimators are registered with skl2onnx (``update_registered_converter``),
so they convert inside any Pipeline or ColumnTransformer that skl2onnx knows:

- :class:`~skimb.MultiLabelImbalancedClassifier`: its torch module is exported
  with ``torch.onnx.export`` and its nodes are inlined into the skl2onnx graph,
  followed by ``Sigmoid`` (the probabilities) and ``probabilities >= threshold``
  (the 0/1 labels).
- :class:`~skimb.ThresholdOptimizer`: the wrapped estimator is converted by its
  own skl2onnx converter (ours, or sklearn's), with raw scores when the
  optimizer thresholds ``decision_function``; then ``scores >= thresholds_``.

Both have two outputs, ``label`` (int64, ``(n, n_labels)``) and
``probabilities`` (float32, ``(n, n_labels)``; decision values when the
thresholds apply to ``decision_function``).
"""

from __future__ import annotations

import copy
import io
import json
import os
import warnings
from typing import Any

import numpy as np
import onnx
import scipy.sparse as sp
from onnx import TensorProto, helper, numpy_helper, version_converter
from skl2onnx import to_onnx as _skl2onnx_to_onnx
from skl2onnx import update_registered_converter
from skl2onnx._supported_operators import sklearn_operator_name_map
from skl2onnx.common.data_types import FloatTensorType, Int64TensorType
from sklearn.compose import ColumnTransformer
from sklearn.multioutput import MultiOutputClassifier
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.utils.validation import check_is_fitted

from .. import __version__
from ..classifier import MultiLabelImbalancedClassifier
from ..diagnostics import _scores_and_thresholds
from ..thresholds import FoldEnsemble, ThresholdOptimizer
from ._runtime import OnnxModel

__all__ = ["to_onnx"]

_ALIASES = {
    MultiLabelImbalancedClassifier: "SkimbMultiLabelImbalancedClassifier",
    ThresholdOptimizer: "SkimbThresholdOptimizer",
}


# ------------------------------------------------------------------ helpers
def threshold_float32(thresholds: Any) -> np.ndarray:
    """The smallest float32 at or above each float64 threshold.

    For a float32 score ``s``, ``s >= t`` (compared in float64, as skimb's
    ``predict`` does) holds exactly when ``s >= threshold_float32(t)``: rounding
    ``t`` to the nearest float32 could round it down and turn a score just
    below ``t`` into a positive.
    """
    t64 = np.asarray(thresholds, dtype=np.float64)
    t32 = t64.astype(np.float32)
    below = t32.astype(np.float64) < t64
    t32[below] = np.nextafter(t32[below], np.float32(np.inf))
    return t32


def _add_thresholds(scope, container, scores: str, thresholds, label: str) -> None:
    """``label = Cast(scores >= thresholds, int64)``, one threshold per column."""
    name = scope.get_unique_variable_name("thresholds")
    t32 = threshold_float32(thresholds).reshape(1, -1)
    container.add_initializer(name, TensorProto.FLOAT, list(t32.shape), t32.ravel().tolist())
    above = scope.get_unique_variable_name("at_or_above")
    container.add_node("GreaterOrEqual", [scores, name], [above],
                       name=scope.get_unique_operator_name("GreaterOrEqual"))
    container.add_node("Cast", [above], [label], to=TensorProto.INT64,
                       name=scope.get_unique_operator_name("Cast"))


def _as_float(scope, container, name: str, var_type) -> str:
    if isinstance(var_type, FloatTensorType):
        return name
    cast = scope.get_unique_variable_name("as_float")
    container.add_node("Cast", [name], [cast], to=TensorProto.FLOAT,
                       name=scope.get_unique_operator_name("Cast"))
    return cast


def _n_labels(model) -> int:
    if isinstance(model, ThresholdOptimizer):
        return len(model.thresholds_)
    return int(model.n_labels_)


# ------------------------------------------------- skl2onnx parser and shapes
def _parse(scope, model, inputs, custom_parsers=None):
    operator = scope.declare_local_operator(_ALIASES[type(model)], model)
    operator.inputs = inputs
    operator.outputs.append(scope.declare_local_variable("label", Int64TensorType()))
    operator.outputs.append(scope.declare_local_variable("probabilities", FloatTensorType()))
    return operator.outputs


def _shapes(operator) -> None:
    n_rows = operator.inputs[0].get_first_dimension()
    n_labels = _n_labels(operator.raw_operator)
    operator.outputs[0].type = Int64TensorType([n_rows, n_labels])
    operator.outputs[1].type = FloatTensorType([n_rows, n_labels])


# ------------------------------------------------------- the torch classifier
def _torch_graph(net: MultiLabelImbalancedClassifier, opset: int) -> onnx.GraphProto:
    """The module's graph from ``torch.onnx.export``: input ``X``, output the logits."""
    import torch

    # the TorchScript exporter's newest opset; a newer target is reached with
    # onnx's version converter
    torch_opset = min(opset, getattr(torch.onnx._constants,
                                     "ONNX_TORCHSCRIPT_EXPORTER_MAX_OPSET", 17))
    module = copy.deepcopy(net.module_).to("cpu").eval()
    sample = torch.zeros(2, int(net.n_features_in_), dtype=torch.float32)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # TorchScript-based export: chosen on purpose (see docs/deployment.md)
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            torch.onnx.export(
                module, (sample,), buffer, dynamo=False, input_names=["X"],
                output_names=["logits"], opset_version=torch_opset,
                dynamic_axes={"X": {0: "n_samples"}, "logits": {0: "n_samples"}},
            )
        except Exception as exc:
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
            raise ValueError(
                f"the torch module {type(module).__name__} of MultiLabelImbalancedClassifier "
                f"cannot be exported to ONNX (opset {torch_opset}): {reason} Use operations "
                "torch.onnx.export supports in the module, or keep this model in Python."
            ) from None
    model = onnx.load_from_string(buffer.getvalue())
    if torch_opset < opset:
        model = version_converter.convert_version(model, opset)
    graph = model.graph
    foreign = [n.op_type for n in graph.node if n.domain not in ("", "ai.onnx")]
    if foreign or model.functions or len(graph.input) != 1 or len(graph.output) != 1:
        raise ValueError(
            f"the torch module {type(module).__name__} exports to an ONNX graph that skimb "
            f"cannot embed (custom operators {sorted(set(foreign))}, "
            f"{len(model.functions)} functions, {len(graph.input)} inputs, "
            f"{len(graph.output)} outputs); a module with one tensor input and one logits "
            "output, made of standard operators, exports."
        )
    return graph


def _inline(graph: onnx.GraphProto, scope, container, input_name: str) -> str:
    """Copy ``graph``'s initializers and nodes into the skl2onnx container under fresh
    names; return the name of its output."""
    names = {graph.input[0].name: input_name, "": ""}

    def rename(name: str) -> str:
        if name not in names:
            names[name] = scope.get_unique_variable_name("torch_" + name.replace(".", "_"))
        return names[name]

    for init in graph.initializer:
        array = numpy_helper.to_array(init)
        container.add_initializer(rename(init.name), init.data_type, list(array.shape),
                                  numpy_helper.from_array(array))
    for node in graph.node:
        attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        container.add_node(
            node.op_type, [rename(n) for n in node.input], [rename(n) for n in node.output],
            name=scope.get_unique_operator_name("torch_" + node.op_type), **attributes,
        )
    return rename(graph.output[0].name)


def _convert_classifier(scope, operator, container) -> None:
    net = operator.raw_operator
    options = container.get_options(net, dict(raw_scores=False))
    graph = _torch_graph(net, container.target_opset)
    x = _as_float(scope, container, operator.inputs[0].full_name, operator.inputs[0].type)
    logits = _inline(graph, scope, container, x)
    proba = scope.get_unique_variable_name("proba")
    container.add_node("Sigmoid", [logits], [proba], name=scope.get_unique_operator_name("Sigmoid"))
    _add_thresholds(scope, container, proba, net._thresholds(), operator.outputs[0].full_name)
    scores = logits if options["raw_scores"] else proba
    container.add_node("Identity", [scores], [operator.outputs[1].full_name],
                       name=scope.get_unique_operator_name("Identity"))


# ----------------------------------------------------------- the optimizer
def _inner_alias(estimator) -> str:
    alias = sklearn_operator_name_map.get(type(estimator))
    if alias is None:
        raise ValueError(
            f"ThresholdOptimizer wraps a {type(estimator).__name__}, which skl2onnx cannot "
            "convert (no registered converter); wrap an estimator skl2onnx supports."
        )
    return alias


def _inner_scores(scope, container, inner, response, inputs) -> str:
    """Declare ``inner`` (a fitted estimator or Pipeline) on ``inputs``; return the name of
    its float scores of kind ``response``."""
    final = inner[-1] if isinstance(inner, Pipeline) else inner
    if (isinstance(final, MultiOutputClassifier) or getattr(final, "n_outputs_", 1) > 1
            or getattr(final, "outputs_2d_", False)):
        raise ValueError(
            f"ThresholdOptimizer wraps a {type(final).__name__} fitted on several outputs, "
            "whose scores come as one array per label (an ONNX sequence), which skimb's "
            "export does not read; wrap the estimator in OneVsRestClassifier instead "
            "(one score per label in one matrix)."
        )
    allowed = scope._get_allowed_options(final, fail=False)
    # decision values: converters output them in place of probabilities when the
    # estimator has no predict_proba (e.g. LinearSVC), else with raw_scores=True;
    # to_onnx checks the exported scores against the model's either way
    raw = response == "decision_function" and hasattr(final, "predict_proba")
    if raw and "raw_scores" not in allowed:
        raise ValueError(
            f"ThresholdOptimizer thresholds the decision_function of {type(final).__name__}, "
            "but skl2onnx's converter for it has no raw_scores option, so the exported "
            "scores would not be the ones the thresholds were learned on."
        )
    options = {key: value for key, value in (("zipmap", False), ("raw_scores", raw))
               if key in allowed}
    scope.add_options(id(final), options)
    container.add_options(id(final), options)
    inner_operator = scope.declare_local_operator(_inner_alias(inner), inner)
    inner_operator.inputs = inputs
    label = scope.declare_local_variable("inner_label", Int64TensorType())
    scores = scope.declare_local_variable("inner_scores", FloatTensorType())
    inner_operator.outputs.extend([label, scores])
    return _as_float(scope, container, scores.onnx_name, scores.type)


def _convert_optimizer(scope, operator, container) -> None:
    opt = operator.raw_operator
    inner = opt.estimator_
    if isinstance(inner, FoldEnsemble):  # refit="ensemble": the mean of the fold models
        names = [_inner_scores(scope, container, est, opt._response, operator.inputs)
                 for est in inner.estimators]
        score_name = scope.get_unique_variable_name("fold_mean")
        container.add_node("Mean", names, [score_name],
                           name=scope.get_unique_operator_name("Mean"))
    else:
        score_name = _inner_scores(scope, container, inner, opt._response, operator.inputs)
    _add_thresholds(scope, container, score_name, opt.thresholds_, operator.outputs[0].full_name)
    container.add_node("Identity", [score_name], [operator.outputs[1].full_name],
                       name=scope.get_unique_operator_name("Identity"))


_CONVERTERS = {MultiLabelImbalancedClassifier: _convert_classifier,
               ThresholdOptimizer: _convert_optimizer}


def register_converters(cls: type | None = None) -> None:
    """Register skimb's converters with skl2onnx (done on import; ``cls``: a subclass)."""
    for base, convert in _CONVERTERS.items():
        if cls is None or (issubclass(cls, base) and cls not in sklearn_operator_name_map):
            target = base if cls is None else cls
            _ALIASES.setdefault(target, _ALIASES[base] + ("" if cls is None else cls.__name__))
            update_registered_converter(
                target, _ALIASES[target], _shapes, convert, parser=_parse,
                options={"zipmap": [False, True], "raw_scores": [False, True]},
            )


register_converters()


# -------------------------------------------------------------- the model walk
def _parts(model, path="model"):
    """(path, estimator) for every estimator inside Pipelines, ColumnTransformers,
    FeatureUnions and ThresholdOptimizers."""
    yield path, model
    if isinstance(model, Pipeline):
        for name, step in model.steps:
            yield from _parts(step, f"{path}[{name!r}]")
    elif isinstance(model, ColumnTransformer):
        for name, transformer, _ in model.transformers_:
            if not isinstance(transformer, str):
                yield from _parts(transformer, f"{path}.transformers_[{name!r}]")
    elif isinstance(model, FeatureUnion):
        for name, transformer in model.transformer_list:
            yield from _parts(transformer, f"{path}[{name!r}]")
    elif isinstance(model, ThresholdOptimizer):
        yield from _parts(model.estimator_, f"{path}.estimator_")
    elif isinstance(model, FoldEnsemble):
        for i, est in enumerate(model.estimators):
            yield from _parts(est, f"{path}.estimators[{i}]")


def _check_parts(model) -> None:
    for where, part in _parts(model):
        if isinstance(part, ThresholdOptimizer) and hasattr(part, "calibrators_"):
            raise ValueError(
                f"{where} is a ThresholdOptimizer fitted with calibration (its "
                "calibrators_), whose calibrated predict_proba skimb does not export to ONNX "
                "yet (the exported model would give the raw scores). Its predict does not "
                "depend on the calibration: fit with calibration=None to export, or keep "
                "this model as a pickle."
            )
        if isinstance(part, (MultiLabelImbalancedClassifier, ThresholdOptimizer)):
            register_converters(type(part))
            continue
        if isinstance(part, FoldEnsemble):
            continue  # exported as the mean of its fold models (checked one by one)
        if isinstance(part, str) or type(part) in sklearn_operator_name_map:
            pass
        else:
            raise ValueError(
                f"{where} is a {type(part).__name__}, which skl2onnx cannot convert (no "
                "registered converter); replace it with a step skl2onnx supports "
                "(https://onnx.ai/sklearn-onnx/supported.html) or register a converter."
            )
        if isinstance(part, ColumnTransformer):
            names = [str(c) for _, _, cols in part.transformers_
                     for c in np.atleast_1d(cols) if isinstance(c, str)]
            if names:
                raise ValueError(
                    f"{where} selects columns by name ({names[:5]}); the ONNX model takes "
                    "one numeric matrix, so select the columns by position instead."
                )


def _final(model):
    final = model[-1] if isinstance(model, Pipeline) else model
    if not isinstance(final, (MultiLabelImbalancedClassifier, ThresholdOptimizer)):
        raise TypeError(
            f"skimb.to_onnx exports a MultiLabelImbalancedClassifier, a ThresholdOptimizer, "
            f"or a Pipeline ending in one; got a {type(final).__name__}. For other "
            "estimators use skl2onnx.to_onnx."
        )
    check_is_fitted(final)
    if isinstance(final, ThresholdOptimizer):
        if not hasattr(final, "estimator_"):
            raise ValueError("ThresholdOptimizer(refit=False) without a fitted estimator has "
                             "no model to export.")
        return final, final.thresholds_, final._response
    return final, final._thresholds(), "predict_proba"


def _n_features(X_sample) -> int:
    if sp.issparse(X_sample):
        shape = X_sample.shape
    else:
        if hasattr(X_sample, "dtypes"):  # a DataFrame
            kinds = {np.dtype(d).kind for d in X_sample.dtypes}
            if not kinds <= set("biuf"):
                raise ValueError(
                    "X_sample has non-numeric columns; the ONNX model takes one numeric "
                    "matrix. Encode them first (inside the pipeline, with a step skl2onnx "
                    "converts)."
                )
        shape = np.shape(X_sample)
    if len(shape) != 2 or shape[1] < 1:
        raise ValueError(
            f"X_sample must be a 2-D array (n_samples, n_features); it has shape {shape}."
        )
    return int(shape[1])


def _names(given, fitted, n, what, prefix):
    names = given if given is not None else fitted
    names = [str(v) for v in names] if names is not None else [f"{prefix}{i}" for i in range(n)]
    if len(names) != n:
        raise ValueError(f"{len(names)} {what} names given for {n} {what}s.")
    return names


def _verify(onx, model, X_sample, n_rows: int = 100) -> None:
    """Check the exported scores against the model's on the first rows of X_sample."""
    rows = X_sample.iloc[:n_rows] if hasattr(X_sample, "iloc") else X_sample[:n_rows]
    if rows.shape[0] == 0:
        return
    expected, _ = _scores_and_thresholds(model, rows)
    dense = rows.toarray() if sp.issparse(rows) else np.asarray(rows)
    got = OnnxModel(onx).run(dense)[1]
    if not np.allclose(got, expected, rtol=1e-4, atol=1e-5):
        worst = float(np.max(np.abs(got - expected)))
        raise ValueError(
            f"the exported {type(model).__name__} does not reproduce the model's scores on "
            f"X_sample (largest difference {worst:.3g}); a converter inside it does not "
            "match its estimator. Nothing was written."
        )


def to_onnx(
    model,
    X_sample,
    *,
    label_names=None,
    feature_names=None,
    target_opset: int | None = None,
    path: str | os.PathLike | None = None,
) -> onnx.ModelProto:
    """Export a fitted skimb model to ONNX, thresholds included.

    Converts with skl2onnx, where skimb registers converters for its two
    estimators (so ``skl2onnx.to_onnx`` works on them as well); this function
    adds what a deployment needs: the label and feature names, the thresholds
    and skimb's version in the model's metadata, and a clear error for parts
    that cannot be exported.

    Parameters
    ----------
    model : estimator
        A fitted :class:`~skimb.MultiLabelImbalancedClassifier`, a fitted
        :class:`~skimb.ThresholdOptimizer` (around it or around any estimator
        skl2onnx converts, e.g. ``OneVsRestClassifier(LogisticRegression())``),
        or a Pipeline ending in one whose other steps skl2onnx converts
        (StandardScaler, MaxAbsScaler, ColumnTransformer selecting columns by
        position, ...).
    X_sample : array-like or sparse matrix of shape (n_samples, n_features)
        Gives the number of features, and its first 100 rows check the export:
        onnxruntime's scores must match the model's (``rtol=1e-4``,
        ``atol=1e-5``) or nothing is returned. The ONNX model takes a dense
        float32 matrix; :class:`~skimb.OnnxModel` densifies sparse input in
        blocks of rows.
    label_names, feature_names : sequence of str or None, default=None
        Stored in the metadata. None: the model's ``label_names_`` /
        ``feature_names_in_`` when it has them, else ``label0, ...`` / ``x0, ...``.
    target_opset : int or None, default=None
        ONNX opset; None: the newest opset skl2onnx has tested.
    path : str or path-like or None, default=None
        Also write the model to this file.

    Returns
    -------
    onnx.ModelProto
        Input ``X`` (float32, ``(n, n_features)``); outputs ``label`` (int64,
        ``(n, n_labels)``, the 0/1 predictions, ``score >= threshold``) and
        ``probabilities`` (float32, ``(n, n_labels)``: the probabilities, or the
        decision values when a ThresholdOptimizer thresholds
        ``decision_function``; metadata ``score`` says which).

    Raises
    ------
    TypeError
        The model is not one of the above.
    ValueError
        A part that cannot be exported, named (an estimator skl2onnx does not
        know, a torch module whose operations ONNX cannot express, a
        ColumnTransformer selecting columns by name, non-numeric ``X_sample``),
        or exported scores that differ from the model's on ``X_sample``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.multiclass import OneVsRestClassifier
    >>> from skimb import ThresholdOptimizer, make_long_tail_multilabel, to_onnx, OnnxModel
    >>> X, Y = make_long_tail_multilabel(300, 5, 3, random_state=0)
    >>> model = ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=3).fit(X, Y)
    >>> onx = to_onnx(model, X)
    >>> bool((OnnxModel(onx).predict(X) == model.predict(X)).all())
    True
    """
    final, thresholds, score = _final(model)
    n_features = _n_features(X_sample)
    _check_parts(model)
    fitted_features = getattr(model, "feature_names_in_", None)
    if fitted_features is None and isinstance(model, Pipeline):
        fitted_features = getattr(model[0], "feature_names_in_", None)
    fitted_labels = getattr(final, "label_names_", None)
    if fitted_labels is None and isinstance(final, ThresholdOptimizer):
        fitted_labels = getattr(final.estimator_, "label_names_", None)
    features = _names(feature_names, fitted_features, n_features, "feature", "x")
    labels = _names(label_names, fitted_labels, len(thresholds), "label", "label")
    try:
        onx = _skl2onnx_to_onnx(
            model, initial_types=[("X", FloatTensorType([None, n_features]))],
            target_opset=target_opset,
        )
    except (ValueError, TypeError):
        raise
    except Exception as exc:  # skl2onnx's own errors: name the model
        raise ValueError(
            f"skl2onnx could not convert the {type(model).__name__}: "
            f"{type(exc).__name__}: {' '.join(str(exc).split())[:500]}"
        ) from None
    outputs = [o.name for o in onx.graph.output]
    if outputs != ["label", "probabilities"]:  # pragma: no cover - skl2onnx's naming
        raise ValueError(f"unexpected outputs {outputs} from skl2onnx.")
    metadata = {
        "skimb_version": __version__,
        "label_names": json.dumps(labels),
        "feature_names": json.dumps(features),
        "thresholds": json.dumps([float(t) for t in np.asarray(thresholds, dtype=np.float64)]),
        "score": score,
        "estimator": type(final).__name__,
    }
    helper.set_model_props(onx, metadata)
    onx.doc_string = f"exported by skimb {__version__} from {type(model).__name__}"
    _verify(onx, model, X_sample)
    if path is not None:
        onnx.save_model(onx, os.fspath(path))
    return onx
