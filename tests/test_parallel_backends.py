"""ThresholdOptimizer's fold fits under other joblib backends (Ray; one without generators)."""

import joblib
import numpy as np
import pytest
from joblib._parallel_backends import ThreadingBackend
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.multiclass import OneVsRestClassifier

from skimb import ThresholdOptimizer, make_long_tail_multilabel


@pytest.fixture(scope="module")
def data():
    return make_long_tail_multilabel(300, 6, 4, min_prevalence=0.08, random_state=0)


def _optimizer(**kw):
    return ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=3, random_state=0,
                              **kw)


class NoGeneratorBackend(ThreadingBackend):
    """A backend that, like Ray's, cannot return results as a generator."""

    supports_return_generator = False


def test_progress_bar_under_a_backend_without_generators(data):
    pytest.importorskip("tqdm")
    X, Y = data
    joblib.register_parallel_backend("skimb_test_no_generator", NoGeneratorBackend)
    with joblib.parallel_config(backend="skimb_test_no_generator"):
        par = _optimizer(n_jobs=2, verbose=1).fit(X, Y)
    np.testing.assert_array_equal(par.thresholds_, _optimizer().fit(X, Y).thresholds_)


def test_fold_fits_and_search_on_ray_equal_the_sequential_run(data):
    ray = pytest.importorskip("ray")
    from ray.util.joblib import register_ray

    X, Y = data
    search = GridSearchCV(_optimizer(), {"min_positives": [3, 5]}, cv=2, scoring="f1_micro")
    seq = _optimizer().fit(X, Y).thresholds_
    seq_scores = search.fit(X, Y).cv_results_["mean_test_score"]
    register_ray()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        with joblib.parallel_config(backend="ray"):
            par = _optimizer(n_jobs=2, verbose=1).fit(X, Y).thresholds_
            par_scores = search.set_params(n_jobs=2).fit(X, Y).cv_results_["mean_test_score"]
    finally:
        ray.shutdown()
    np.testing.assert_array_equal(par, seq)
    np.testing.assert_array_equal(par_scores, seq_scores)


def test_accelerate_mixin_inside_the_threshold_optimizer(data):
    pytest.importorskip("accelerate")
    from accelerate import Accelerator
    from skorch.callbacks import Callback
    from skorch.hf import AccelerateMixin

    from skimb import MultiLabelImbalancedClassifier

    class AcceleratedClassifier(AccelerateMixin, MultiLabelImbalancedClassifier):
        """skimb's classifier on Hugging Face accelerate."""

    X, Y = data
    X = X.astype(np.float32)
    clf = AcceleratedClassifier(accelerator=Accelerator(cpu=True), max_epochs=2, random_state=0)
    accelerated = ThresholdOptimizer(clf, cv=3, random_state=0).fit(X, Y)
    # the folds train one by one under accelerate; a callback does the same without it
    plain = MultiLabelImbalancedClassifier(max_epochs=2, random_state=0, callbacks=[Callback()])
    reference = ThresholdOptimizer(plain, cv=3, random_state=0).fit(X, Y)
    # equal in a fresh process; after other tests' global torch/accelerate state, to
    # rounding (seen: 4e-5)
    np.testing.assert_allclose(accelerated.oof_scores_, reference.oof_scores_, atol=1e-3)
    np.testing.assert_allclose(accelerated.thresholds_, reference.thresholds_, atol=1e-3)
    assert isinstance(accelerated.estimator_, AcceleratedClassifier)
