"""Fold fits and searches on a Dask cluster through joblib, equal to the sequential run.

A ``LocalCluster`` of two worker processes on the loopback interface, started
and closed by the module fixture (a few seconds, most of it the workers
importing torch). Skipped where ``distributed`` is not installed.
"""

import joblib
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.multiclass import OneVsRestClassifier
from skorch.callbacks import Callback

from skimb import MultiLabelImbalancedClassifier, ThresholdOptimizer, make_long_tail_multilabel
from skimb.losses import register_loss

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
        dashboard_address=None,
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


@pytest.fixture(scope="module")
def data():
    X, Y = make_long_tail_multilabel(300, 6, 4, min_prevalence=0.08, random_state=0)
    return X.astype(np.float32), Y


def _on_dask(client, fit):
    """``fit()`` under joblib's dask backend; also the number of tasks the cluster ran."""
    with distributed.get_task_stream(client) as tasks, joblib.parallel_config(backend="dask"):
        result = fit()
    return result, len(tasks.data)


def test_fold_fits_on_dask_equal_the_sequential_run(client, data):
    X, Y = data
    linear = ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=3, random_state=0)
    seq = linear.fit(X, Y).thresholds_
    par, n_tasks = _on_dask(client, lambda: linear.set_params(n_jobs=2).fit(X, Y).thresholds_)
    np.testing.assert_array_equal(par, seq)
    assert n_tasks >= 3  # the folds ran on the workers

    # skimb's classifier trains the folds stacked, in one pass in this process: the
    # fold protocol takes precedence over n_jobs, and nothing goes to the cluster
    clf = MultiLabelImbalancedClassifier(max_epochs=2, random_state=0)
    stacked = ThresholdOptimizer(clf, cv=3, random_state=0)
    seq = stacked.fit(X, Y).thresholds_
    par, n_tasks = _on_dask(client, lambda: stacked.set_params(n_jobs=2).fit(X, Y).thresholds_)
    np.testing.assert_array_equal(par, seq)
    assert n_tasks == 0

    # with a callback the folds train one by one: then they go to the workers
    one_by_one = ThresholdOptimizer(clf.set_params(callbacks=[Recorder()]), cv=3,
                                    random_state=0)
    seq = one_by_one.fit(X, Y)
    par, n_tasks = _on_dask(client, lambda: one_by_one.set_params(n_jobs=2).fit(X, Y))
    np.testing.assert_array_equal(par.thresholds_, seq.thresholds_)
    np.testing.assert_array_equal(par.oof_scores_, seq.oof_scores_)
    assert n_tasks >= 3


def test_grid_search_on_dask_equals_the_sequential_run(client, data):
    X, Y = data
    clf = MultiLabelImbalancedClassifier(max_epochs=2, random_state=0)
    search = GridSearchCV(ThresholdOptimizer(clf, cv=2, random_state=0),
                          {"estimator__criterion": ["bce", "focal"]}, cv=2, scoring="f1_micro")
    seq = search.fit(X, Y)
    seq_scores, seq_thresholds = seq.cv_results_["mean_test_score"], seq.best_estimator_.thresholds_
    par, n_tasks = _on_dask(client, lambda: search.set_params(n_jobs=2).fit(X, Y))
    np.testing.assert_array_equal(par.cv_results_["mean_test_score"], seq_scores)
    np.testing.assert_array_equal(par.best_estimator_.thresholds_, seq_thresholds)
    assert n_tasks >= 4


class Recorder(Callback):
    """A user callback (defined in this test module, importable on the workers)."""

    def on_train_end(self, net, **kwargs):
        self.epochs_ = len(net.history)


def test_user_classes_from_main_reach_the_workers(client, data):
    # Classes defined in a script or a notebook live in __main__, which the workers
    # cannot import: dask then pickles the task with cloudpickle, which sends them by
    # value. (A class in a module of your own is pickled by reference instead: that
    # module must be importable on the workers; see docs/scaling.md.)
    namespace = {}
    exec(
        "import torch\n"
        "from skimb.losses import BCELoss\n"
        "class ScaledBCE(BCELoss):\n"
        "    def forward(self, logits, target):\n"
        "        return 2.0 * super().forward(logits, target)\n"
        "class Net(torch.nn.Module):\n"
        "    def __init__(self, n_in=6, n_out=4):\n"
        "        super().__init__()\n"
        "        self.linear = torch.nn.Linear(n_in, n_out)\n"
        "    def forward(self, X):\n"
        "        return self.linear(X)\n",
        namespace,
    )
    ScaledBCE, Net = namespace["ScaledBCE"], namespace["Net"]
    ScaledBCE.__module__ = Net.__module__ = "__main__"
    try:
        register_loss("scaled_bce_on_dask", ScaledBCE)
        X, Y = data
        clf = MultiLabelImbalancedClassifier(
            module=Net, criterion="scaled_bce_on_dask", max_epochs=2, random_state=0,
            callbacks=[Recorder()],
        )
        # refit=True: the workers send back scores only (a fitted skorch net pickles
        # its module with plain pickle, so fold models with __main__ classes cannot
        # come back: refit="ensemble" needs them importable)
        opt = ThresholdOptimizer(clf, cv=2, random_state=0)
        seq = opt.fit(X, Y).thresholds_
        par, n_tasks = _on_dask(client, lambda: opt.set_params(n_jobs=2).fit(X, Y))
        np.testing.assert_array_equal(par.thresholds_, seq)
        assert n_tasks >= 2
        assert type(par.estimator_.module_).__name__ == "Net"  # the refit, here
        assert type(par.estimator_.criterion_).__name__ == "ScaledBCE"
    finally:
        from skimb.losses._registry import _REGISTRY

        _REGISTRY.pop("scaled_bce_on_dask", None)


def test_workers_run_torch_on_one_thread(client):
    # dask's nanny starts each worker with OMP_NUM_THREADS=1, so torch (and with it
    # num_threads="auto") uses one thread per worker process: no oversubscription
    def threads():
        import os

        import torch

        from skimb._threads import auto_num_threads

        return torch.get_num_threads(), os.environ.get("OMP_NUM_THREADS"), auto_num_threads(1e12)

    assert set(client.run(threads).values()) == {(1, "1", 1)}
