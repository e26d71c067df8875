"""ONNX export (skimb.to_onnx, the skl2onnx converters) and OnnxModel."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.multioutput import MultiOutputClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MaxAbsScaler, StandardScaler
from sklearn.svm import LinearSVC
from torch import nn

pytest.importorskip("onnxruntime")
pytest.importorskip("skl2onnx")

from skimb import (
    MultiLabelImbalancedClassifier,
    OnnxModel,
    ThresholdOptimizer,
    load_onnx,
    make_long_tail_multilabel,
    to_onnx,
)
from skimb._onnx._export import _verify, threshold_float32


def net(**kwargs):
    return MultiLabelImbalancedClassifier(max_epochs=4, random_state=0,
                                          module__hidden_units=(16,), **kwargs)


@pytest.fixture(scope="module")
def data():
    # 8 labels from 40% down to 0.5%: at 400 training rows the rarest labels have
    # fewer than min_positives=5 positives, so their thresholds are fallbacks
    X, Y = make_long_tail_multilabel(800, 8, 8, min_prevalence=0.005, max_prevalence=0.4,
                                     random_state=3)
    X = X.astype(np.float32)
    return X[:400], Y[:400], X[400:]


CASES = {
    "classifier": lambda: net(threshold=np.linspace(0.2, 0.7, 8)),
    "optimizer(classifier), fallback default": lambda: ThresholdOptimizer(
        net(), cv=3, random_state=0),
    "optimizer(classifier), fallback never": lambda: ThresholdOptimizer(
        net(), cv=3, fallback="never", random_state=0),
    "optimizer(classifier), fallback max_score": lambda: ThresholdOptimizer(
        net(), cv=3, fallback="max_score", random_state=0),
    "optimizer(classifier) on decision_function": lambda: ThresholdOptimizer(
        net(), cv=3, response_method="decision_function", random_state=0),
    "scaler -> optimizer(classifier)": lambda: make_pipeline(
        StandardScaler(), ThresholdOptimizer(net(), cv=3, random_state=0)),
    "columns -> optimizer(classifier)": lambda: make_pipeline(
        ColumnTransformer([("std", StandardScaler(), [0, 1, 2, 3]),
                           ("maxabs", MaxAbsScaler(), [4, 5, 6, 7])]),
        ThresholdOptimizer(net(), cv=3, random_state=0)),
    "scaler -> optimizer(ovr logistic)": lambda: make_pipeline(
        StandardScaler(), ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()),
                                             cv=3, random_state=0)),
    "optimizer(ovr logistic) on decision_function": lambda: ThresholdOptimizer(
        OneVsRestClassifier(LogisticRegression()), cv=3,
        response_method="decision_function", random_state=0),
    "optimizer(ovr linear svc)": lambda: ThresholdOptimizer(
        OneVsRestClassifier(LinearSVC()), cv=3, fallback="never", random_state=0),
}


def scores_of(model, X):
    final = model[-1] if hasattr(model, "steps") else model
    if getattr(final, "_response", "predict_proba") == "decision_function":
        return model.decision_function(X)
    return model.predict_proba(X)


@pytest.mark.parametrize("case", list(CASES))
def test_onnxruntime_matches_the_model(data, case):
    X, Y, X_new = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rare labels warn, as they should
        model = CASES[case]().fit(X, Y)
    onnx_model = OnnxModel(to_onnx(model, X))
    final = model[-1] if hasattr(model, "steps") else model
    if isinstance(final, ThresholdOptimizer):
        # the rare labels' thresholds come from the fallbacks
        assert len(final.fallback_labels_) >= 2, final.fallback_labels_
        np.testing.assert_array_equal(onnx_model.thresholds_, final.thresholds_)
        if final.fallback == "never":
            assert np.isinf(final.thresholds_).sum() >= 2
    labels, scores = onnx_model.run(X_new)
    assert labels.dtype == np.int64 and scores.dtype == np.float32
    np.testing.assert_allclose(scores, scores_of(model, X_new), rtol=0, atol=1e-5)
    np.testing.assert_array_equal(labels, model.predict(X_new))
    assert 0 < labels.sum() < labels.size  # neither all 0 nor all 1
    expected_score = getattr(final, "_response", "predict_proba")
    assert onnx_model.score_ == expected_score
    method = (onnx_model.predict_proba if expected_score == "predict_proba"
              else onnx_model.decision_function)
    np.testing.assert_array_equal(method(X_new), scores)


def test_float32_thresholds_decide_as_the_float64_ones():
    rng = np.random.default_rng(0)
    t64 = np.concatenate([rng.random(500), [0.0, 0.5, 1.0, np.inf, -np.inf, 1e-30]])
    t32 = threshold_float32(t64)
    # the float32 scores nearest each threshold, on both sides
    near = t64.astype(np.float32)
    for s in (near, np.nextafter(near, np.float32(-np.inf)),
              np.nextafter(near, np.float32(np.inf))):
        np.testing.assert_array_equal(s >= t64, s >= t32)
    # plain rounding to nearest would not do: it flips some of them
    assert (near >= t64).sum() != (near >= t64.astype(np.float32)).sum()


def test_names_and_version_in_the_metadata(data, tmp_path):
    pd = pytest.importorskip("pandas")
    X, Y, _ = data
    Xdf = pd.DataFrame(X, columns=[f"f{i}" for i in range(8)])
    Ydf = pd.DataFrame(Y, columns=[f"tag{j}" for j in range(8)])
    model = make_pipeline(StandardScaler(), net()).fit(Xdf, Ydf)
    path = tmp_path / "model.onnx"
    to_onnx(model, Xdf, path=path)
    loaded = load_onnx(path)
    import skimb

    assert loaded.label_names_ == list(Ydf.columns)
    assert loaded.feature_names_ == list(Xdf.columns)
    assert loaded.skimb_version_ == skimb.__version__
    np.testing.assert_array_equal(loaded.predict(Xdf), model.predict(Xdf))
    assert "8 features, 8 labels" in repr(loaded)
    renamed = OnnxModel(to_onnx(model, Xdf, label_names=list("abcdefgh")))
    assert renamed.label_names_ == list("abcdefgh")


def test_skl2onnx_to_onnx_uses_the_registered_converters(data):
    import onnxruntime as ort
    from skl2onnx import to_onnx as skl2onnx_to_onnx

    X, Y, X_new = data
    model = make_pipeline(StandardScaler(), ThresholdOptimizer(
        OneVsRestClassifier(LogisticRegression()), cv=3, random_state=0)).fit(X, Y)
    onx = skl2onnx_to_onnx(model, X[:1], target_opset=18)
    labels, _ = ort.InferenceSession(onx.SerializeToString()).run(None, {"X": X_new})
    np.testing.assert_array_equal(labels, model.predict(X_new))


def test_sparse_input_is_densified_in_blocks(data, monkeypatch):
    from skimb._onnx import _runtime

    X, Y, X_new = data
    model = make_pipeline(MaxAbsScaler(), net(check_collapse=False)).fit(sp.csr_matrix(X), Y)
    onnx_model = OnnxModel(to_onnx(model, sp.csr_matrix(X)))
    monkeypatch.setattr(_runtime, "BLOCK_ROWS", 64)  # 400 rows: 7 blocks
    np.testing.assert_array_equal(onnx_model.predict(sp.csr_matrix(X_new)),
                                  model.predict(sp.csr_matrix(X_new)))


class Inverse(nn.Module):
    """Logits through a matrix inverse, which torch.onnx.export cannot express."""

    def __init__(self, n_features, n_labels):
        super().__init__()
        self.linear = nn.Linear(n_features, n_labels)

    def forward(self, X):
        z = self.linear(X)
        return z @ torch.linalg.inv(z.T @ z + torch.eye(z.shape[1]))


class Doubler(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return 2 * X


def test_unsupported_parts_are_named(data):
    X, Y, _ = data
    with pytest.raises(ValueError, match=r"torch module Inverse .*aten::linalg_inv"):
        to_onnx(MultiLabelImbalancedClassifier(Inverse, max_epochs=1).fit(X, Y), X)
    model = make_pipeline(Doubler(), ThresholdOptimizer(
        OneVsRestClassifier(LogisticRegression()), cv=2)).fit(X, Y)
    with pytest.raises(ValueError, match=r"model\['doubler'\] is a Doubler, which skl2onnx"):
        to_onnx(model, X)
    with pytest.raises(TypeError, match="exports a MultiLabelImbalancedClassifier, a Thr"):
        to_onnx(OneVsRestClassifier(LogisticRegression()).fit(X, Y), X)
    with pytest.raises(ValueError, match=r"X_sample must be a 2-D array .* shape \(8,\)"):
        to_onnx(model[1:], X[0])


@pytest.mark.parametrize("estimator", [MultiOutputClassifier(LogisticRegression()),
                                       RandomForestClassifier(n_estimators=3, random_state=0),
                                       KNeighborsClassifier()])
def test_multi_output_scores_are_refused(data, estimator):
    X, Y, _ = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ThresholdOptimizer(estimator, cv=2, random_state=0).fit(X, Y)
    with pytest.raises(ValueError, match=f"wraps a {type(estimator).__name__} fitted on "
                       "several outputs.*wrap the estimator in OneVsRestClassifier"):
        to_onnx(model, X)


def test_columns_by_name_are_refused(data):
    pd = pytest.importorskip("pandas")
    X, Y, _ = data
    Xdf = pd.DataFrame(X, columns=[f"f{i}" for i in range(8)])
    model = make_pipeline(
        ColumnTransformer([("std", StandardScaler(), ["f0", "f1"])], remainder="passthrough"),
        net(),
    ).fit(Xdf, Y)
    with pytest.raises(ValueError, match=r"selects columns by name \(\['f0', 'f1', 'f2'"):
        to_onnx(model, Xdf)


def test_an_export_that_does_not_match_is_refused(data):
    X, Y, _ = data
    model = net().fit(X, Y)
    onx = to_onnx(model, X)
    with torch.no_grad():
        model.module_.layers[-1].bias += 1.0  # the model changes after the export
    with pytest.raises(ValueError, match="does not reproduce the model's scores"):
        _verify(onx, model, X)


def test_onnx_model_input_errors(data, tmp_path):
    X, Y, X_new = data
    model = net().fit(X, Y)
    onnx_model = OnnxModel(to_onnx(model, X))
    with pytest.raises(ValueError, match=r"X has shape \(8,\), but the model takes 8 features"):
        onnx_model.predict(X_new[0])
    bad = X_new[:3].copy()
    bad[1, 5] = np.nan
    with pytest.raises(ValueError, match=r"missing or infinite values in feature columns \['x5'\]"):
        onnx_model.predict(bad)
    with pytest.raises(AttributeError, match="use predict_proba"):
        onnx_model.decision_function(X_new)
    (tmp_path / "junk.onnx").write_bytes(b"not a model")
    with pytest.raises(ValueError, match=r"junk\.onnx: not an ONNX model onnxruntime can load"):
        load_onnx(tmp_path / "junk.onnx")
    with pytest.raises(ValueError, match="no such ONNX model file"):
        load_onnx(tmp_path / "nope.onnx")
    from skl2onnx import to_onnx as skl2onnx_to_onnx

    plain = skl2onnx_to_onnx(StandardScaler().fit(X), X[:1])
    with pytest.raises(ValueError, match=r"not one exported by skimb\.to_onnx"):
        OnnxModel(plain)


def test_frames_are_matched_by_column_name(tmp_path):
    pd = pytest.importorskip("pandas")
    from skimb import ThresholdOptimizer, load_onnx, make_long_tail_multilabel, to_onnx

    X, Y = make_long_tail_multilabel(300, 5, 3, min_prevalence=0.1, random_state=0)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(5)])
    model = ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=3,
                               random_state=0).fit(frame, Y)
    path = tmp_path / "m.onnx"
    to_onnx(model, frame, path=str(path))
    onnx_model = load_onnx(str(path))
    reversed_columns = frame[frame.columns[::-1]]
    np.testing.assert_array_equal(onnx_model.predict(reversed_columns), model.predict(frame))
    with pytest.raises(ValueError, match=r"X lacks the model's feature columns \['f4'\]"):
        onnx_model.predict(frame.drop(columns="f4").assign(other=0.0))


@pytest.mark.parametrize("torch_model", [False, True])
def test_fold_ensembles_export_as_the_mean_of_their_fold_models(tmp_path, torch_model):
    from skimb import (
        MultiLabelImbalancedClassifier,
        ThresholdOptimizer,
        load_onnx,
        make_long_tail_multilabel,
        to_onnx,
    )

    X, Y = make_long_tail_multilabel(300, 5, 3, min_prevalence=0.1, random_state=0)
    X = X.astype(np.float32)
    inner = (MultiLabelImbalancedClassifier(max_epochs=3, random_state=0) if torch_model
             else OneVsRestClassifier(LogisticRegression()))
    model = ThresholdOptimizer(inner, cv=3, refit="ensemble", random_state=0).fit(X, Y)
    path = tmp_path / "e.onnx"
    to_onnx(model, X, path=str(path))
    exported = load_onnx(str(path))
    proba = model.predict_proba(X)
    np.testing.assert_allclose(exported.predict_proba(X), proba, atol=1e-5)
    near = np.abs(proba - model.thresholds_) < 1e-5  # float32 rounding at the cut
    np.testing.assert_array_equal(exported.predict(X)[~near], model.predict(X)[~near])
    # one fold model alone scores differently: the graph holds all three
    single = model.estimators_[0].predict_proba(X)
    assert np.abs(single - proba).max() > 1e-3


def test_calibrated_optimizers_are_refused_by_name(tmp_path):
    from skimb import ThresholdOptimizer, make_long_tail_multilabel, to_onnx

    X, Y = make_long_tail_multilabel(300, 5, 3, min_prevalence=0.1, random_state=0)
    model = ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=3,
                               calibration="sigmoid", random_state=0).fit(X, Y)
    path = tmp_path / "c.onnx"
    for params in ({}, {"calibration": None}):  # set after fit: still calibrated
        model.set_params(**params)
        with pytest.raises(ValueError, match=r"fitted with calibration.*fit with calibration=N"):
            to_onnx(model, X, path=str(path))
    assert not path.exists()
