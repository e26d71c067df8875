"""The num_threads parameter: scoped, and 'auto' picks from the size of the work."""

import os

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

import skimb._threads as threads
from skimb import MultiLabelImbalancedClassifier, make_long_tail_multilabel
from skimb._threads import auto_num_threads, idle_cores, resolve_num_threads, torch_threads


class ThreadsSeen(Callback):
    def initialize(self):
        self.seen = []
        return self

    def on_batch_end(self, net, **kwargs):
        self.seen.append(torch.get_num_threads())


@pytest.fixture
def data():
    return make_long_tail_multilabel(200, 6, 3, min_prevalence=0.1, random_state=0)


@pytest.mark.parametrize(("num_threads", "expected"), [("auto", 1), (2, 2), (1, 1)])
def test_fit_uses_the_count_and_restores_the_setting(data, num_threads, expected):
    X, Y = data
    before = torch.get_num_threads()
    seen = ThreadsSeen()
    MultiLabelImbalancedClassifier(
        max_epochs=1, num_threads=num_threads, callbacks=[seen], random_state=0
    ).fit(X, Y)
    assert set(seen.seen) == {expected}  # a small MLP gets one thread under "auto"
    assert torch.get_num_threads() == before


def test_none_leaves_torch_setting_alone(data):
    X, Y = data
    seen = ThreadsSeen()
    with torch_threads(2):
        MultiLabelImbalancedClassifier(
            max_epochs=1, num_threads=None, callbacks=[seen], random_state=0
        ).fit(X, Y)
    assert set(seen.seen) == {2}


def test_prediction_is_scoped_too(data, monkeypatch):
    X, Y = data
    clf = MultiLabelImbalancedClassifier(max_epochs=1, num_threads=2, random_state=0).fit(X, Y)
    seen = []
    original = clf.module_.forward
    monkeypatch.setattr(clf.module_, "forward",
                        lambda x: (seen.append(torch.get_num_threads()), original(x))[1])
    before = torch.get_num_threads()
    clf.predict_proba(X)
    clf.decision_function(X)
    assert seen and set(seen) == {2}
    assert torch.get_num_threads() == before


def test_results_do_not_depend_on_the_thread_count(data):
    X, Y = data
    one = MultiLabelImbalancedClassifier(max_epochs=2, num_threads=1, random_state=0).fit(X, Y)
    two = MultiLabelImbalancedClassifier(max_epochs=2, num_threads=2, random_state=0).fit(X, Y)
    np.testing.assert_allclose(one.predict_proba(X), two.predict_proba(X), atol=1e-5)


@pytest.mark.parametrize("bad", [0, -1, "many", 1.5])
def test_bad_num_threads_is_refused_before_training(data, bad):
    X, Y = data
    with pytest.raises(ValueError, match="num_threads"):
        MultiLabelImbalancedClassifier(num_threads=bad).fit(X, Y)


def test_auto_rule(monkeypatch):
    monkeypatch.setattr(threads, "idle_cores", lambda: 2)
    small = threads.MIN_WORK_PER_THREAD * 1.9
    large = threads.MIN_WORK_PER_THREAD * 10
    with torch_threads(4):
        assert auto_num_threads(small) == 1  # below two threads' worth of work
        assert auto_num_threads(large) == 2  # capped by the idle cores
        monkeypatch.setattr(threads, "idle_cores", lambda: 8)
        assert auto_num_threads(large) == 4  # capped by torch's own setting
        assert auto_num_threads(threads.MIN_WORK_PER_THREAD * 3) == 3  # by the work
        monkeypatch.setattr(threads, "idle_cores", lambda: 1)
        assert auto_num_threads(large) == 1  # other processes hold the other cores
    with torch_threads(1):  # e.g. OMP_NUM_THREADS=1, or a joblib worker's share
        monkeypatch.setattr(threads, "idle_cores", lambda: 8)
        assert auto_num_threads(large) == 1
    assert resolve_num_threads(None, large) is None
    assert resolve_num_threads(3, 0) == 3


def test_idle_cores_is_a_count_of_usable_cores():
    n = idle_cores()
    assert 1 <= n <= len(os.sched_getaffinity(0))


def test_scope_restores_after_an_error():
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError), torch_threads(before + 1):
        assert torch.get_num_threads() == before + 1
        raise RuntimeError
    assert torch.get_num_threads() == before
