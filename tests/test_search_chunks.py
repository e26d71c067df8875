"""The threshold searches work a block of labels at a time: same results, bounded memory."""

import tracemalloc

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier

from skimb import ThresholdOptimizer, _search, find_thresholds, make_long_tail_multilabel
from skimb._search import find_fold_mean_thresholds, find_micro_thresholds


def _scores(n=300, c=12, seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.random((n, c)) < np.geomspace(0.4, 0.02, c)).astype(int)
    s = np.round(y * 0.3 + rng.random((n, c)) * 0.8, 2)  # ties on purpose
    return y, s, rng.random(n) * 2


def _all_searches(y, s, w):
    folds = np.arange(len(y)) % 3
    return [
        find_thresholds(y, s),
        find_thresholds(y, s, sample_weight=w),
        find_thresholds(y, s, objective="mcc"),
        find_thresholds(y, s - 0.5, objective="precision_at_recall",
                        min_recall=np.linspace(0.2, 0.9, y.shape[1])),
        find_micro_thresholds(y, s),
        find_micro_thresholds(y, s, sample_weight=w, frozen=np.arange(y.shape[1]) % 4 == 0),
        find_fold_mean_thresholds(y, s, folds),
        find_fold_mean_thresholds(y, s, folds, sample_weight=w, objective="youden"),
    ]


@pytest.mark.parametrize("block", [1, 301, 1000])
def test_label_blocks_give_the_same_thresholds(monkeypatch, block):
    y, s, w = _scores()
    whole = _all_searches(y, s, w)  # the default block holds all 12 labels here
    assert _search._labels_per_block(len(y)) >= y.shape[1]
    monkeypatch.setattr(_search, "_BLOCK_ELEMENTS", block)  # 1 (or 3) labels per block
    assert _search._labels_per_block(len(y)) < y.shape[1]
    for (t_whole, v_whole), (t_block, v_block) in zip(whole, _all_searches(y, s, w)):
        np.testing.assert_array_equal(t_block, t_whole)
        np.testing.assert_array_equal(v_block, v_whole)


def test_threshold_optimizer_with_tiny_blocks(monkeypatch):
    X, Y = make_long_tail_multilabel(400, 5, 6, min_prevalence=0.03, random_state=0)
    fits = []
    for block in (None, 1):
        if block is not None:
            monkeypatch.setattr(_search, "_BLOCK_ELEMENTS", block)
        for strategy in ("per_label", "micro"):
            opt = ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=3,
                                     strategy=strategy, random_state=0).fit(X, Y)
            fits.append((opt.thresholds_, opt.fallback_labels_, opt.cv_results_["thresholds"]))
    for whole, blocked in zip(fits[:2], fits[2:]):
        np.testing.assert_array_equal(blocked[0], whole[0])
        assert blocked[1] == whole[1]
        np.testing.assert_array_equal(blocked[2], whole[2])


def _peak(f):
    tracemalloc.start()
    try:
        f()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_search_memory_is_bounded_by_the_score_matrix():
    # 20,000 x 256 scores (41 MB): the per-label search allocates one block of labels
    # at a time (a few MB whatever the number of labels), the micro search also the
    # sorted scores of all labels: never several copies of the whole matrix
    rng = np.random.default_rng(0)
    y = rng.random((20_000, 256)) < np.geomspace(0.3, 0.005, 256)
    s = np.clip(y * 0.3 + rng.random(y.shape) * 0.8, 0, 1)
    thresholds = find_thresholds(y, s)[0]
    assert _peak(lambda: find_thresholds(y, s)) < 0.6 * s.nbytes
    assert _peak(lambda: find_thresholds(y, s, objective="mcc")) < 0.6 * s.nbytes
    with pytest.warns(ConvergenceWarning):  # one sweep: the memory is all there by then
        peak = _peak(lambda: find_micro_thresholds(y, s, init=thresholds, max_iter=1))
    assert peak < 1.5 * s.nbytes
