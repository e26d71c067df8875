"""ThresholdOptimizer with groups: whole groups per fold, with and without metadata routing."""

import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_validate
from sklearn.multiclass import OneVsRestClassifier
from sklearn.neighbors import KNeighborsClassifier

from skimb import ThresholdOptimizer, make_long_tail_multilabel
from skimb.model_selection import MultilabelStratifiedGroupKFold


@pytest.fixture(scope="module")
def grouped():
    X, Y = make_long_tail_multilabel(400, 5, 4, min_prevalence=0.08, random_state=0)
    groups = np.random.default_rng(0).integers(0, 60, len(Y))
    return X, Y, groups


def _lr():
    return OneVsRestClassifier(LogisticRegression())


def test_groups_make_the_folds_grouped(grouped):
    X, Y, groups = grouped
    opt = ThresholdOptimizer(_lr(), cv=3, random_state=0).fit(X, Y, groups=groups)
    explicit = MultilabelStratifiedGroupKFold(3, shuffle=True, random_state=0)
    same = ThresholdOptimizer(_lr(), cv=explicit).fit(X, Y, groups=groups)
    np.testing.assert_array_equal(opt.thresholds_, same.thresholds_)
    np.testing.assert_array_equal(opt.oof_scores_, same.oof_scores_)
    ungrouped = ThresholdOptimizer(_lr(), cv=3, random_state=0).fit(X, Y)
    assert not np.array_equal(opt.oof_scores_, ungrouped.oof_scores_)


def test_groups_stop_a_group_leaking_into_its_own_validation_scores():
    # labels constant within a group, and the only feature is the group id: a 1-NN
    # scores a validation row perfectly only when its group is in the training part
    rng = np.random.default_rng(1)
    groups = rng.integers(0, 80, 800)
    labels = (rng.random((80, 3)) < 0.3).astype(int)
    X, Y = groups[:, None].astype(float), labels[groups]
    knn = KNeighborsClassifier(n_neighbors=1)
    leaky = ThresholdOptimizer(knn, cv=4, random_state=0).fit(X, Y)
    whole = ThresholdOptimizer(knn, cv=4, random_state=0).fit(X, Y, groups=groups)
    assert np.mean((leaky.oof_scores_ >= 0.5) == Y) == 1.0
    assert np.mean((whole.oof_scores_ >= 0.5) == Y) < 0.8


def test_groups_with_a_float_cv_are_refused(grouped):
    X, Y, groups = grouped
    with pytest.raises(ValueError, match=r"does not keep groups whole.*int cv"):
        ThresholdOptimizer(_lr(), cv=0.3).fit(X, Y, groups=groups)


def test_groups_are_routed_from_a_grid_search(grouped):
    X, Y, groups = grouped
    with sklearn.config_context(enable_metadata_routing=True):
        opt = ThresholdOptimizer(_lr(), cv=3, random_state=0)
        assert opt.get_metadata_routing().consumes("fit", ["groups"]) == {"groups"}
        search = GridSearchCV(opt, {"min_positives": [5]}, cv=GroupKFold(2),
                              scoring="f1_micro").fit(X, Y, groups=groups)
        direct = ThresholdOptimizer(_lr(), cv=3, random_state=0).fit(X, Y, groups=groups)
    np.testing.assert_array_equal(search.best_estimator_.thresholds_, direct.thresholds_)
    ungrouped = ThresholdOptimizer(_lr(), cv=3, random_state=0).fit(X, Y)
    assert not np.array_equal(direct.oof_scores_, ungrouped.oof_scores_)


def test_set_fit_request_takes_groups(grouped):
    # groups is a parameter of fit, requested by default as scikit-learn's group
    # splitters request it; set_fit_request(groups=...) sets that request
    X, Y, groups = grouped
    with sklearn.config_context(enable_metadata_routing=True):
        opt = ThresholdOptimizer(_lr(), cv=3, random_state=0)
        assert opt.get_metadata_routing().consumes("fit", ["groups"]) == {"groups"}
        assert opt.set_fit_request(groups=True) is opt
        assert opt.get_metadata_routing().consumes("fit", ["groups"]) == {"groups"}
        direct = ThresholdOptimizer(_lr(), cv=3, random_state=0).fit(X, Y, groups=groups)
        result = cross_validate(opt, X, Y, params={"groups": groups}, cv=GroupKFold(2),
                                scoring="f1_micro", return_estimator=True)
        # declined: an outer search keeps its own groups and passes none in
        declined = ThresholdOptimizer(_lr(), cv=3, random_state=0).set_fit_request(groups=False)
        assert declined.get_metadata_routing().consumes("fit", ["groups"]) == set()
        search = GridSearchCV(declined, {"min_positives": [5]}, cv=GroupKFold(2),
                              scoring="f1_micro").fit(X, Y, groups=groups)
    ungrouped = ThresholdOptimizer(_lr(), cv=3, random_state=0).fit(X, Y)
    np.testing.assert_array_equal(search.best_estimator_.oof_scores_, ungrouped.oof_scores_)
    assert not np.array_equal(direct.oof_scores_, ungrouped.oof_scores_)
    # the folds of each outer training part are grouped: no group in two inner folds
    for (train, _), model in zip(GroupKFold(2).split(X, Y, groups), result["estimator"]):
        inner = ThresholdOptimizer(_lr(), cv=3, random_state=0).fit(
            X[train], Y[train], groups=groups[train])
        np.testing.assert_array_equal(model.oof_scores_, inner.oof_scores_)


def test_groups_keyword_without_routing(grouped):
    X, Y, groups = grouped
    keyword = ThresholdOptimizer(_lr(), cv=3, random_state=0).fit(X, Y, groups=groups)
    positional = ThresholdOptimizer(_lr(), cv=3, random_state=0).fit(X, Y, None, groups)
    np.testing.assert_array_equal(keyword.oof_scores_, positional.oof_scores_)
    explicit = MultilabelStratifiedGroupKFold(3, shuffle=True, random_state=0)
    split = ThresholdOptimizer(_lr(), cv=explicit).fit(X, Y, groups=groups)
    np.testing.assert_array_equal(keyword.oof_scores_, split.oof_scores_)


def test_routing_enabled_fit_without_any_metadata(grouped):
    # process_routing returns an EmptyRequest then; looking up the splitter in it with
    # `in` never ended. Now it fits as without routing, also inside a grid search.
    X, Y, _ = grouped
    plain = ThresholdOptimizer(_lr(), cv=3, random_state=0).fit(X, Y)
    with sklearn.config_context(enable_metadata_routing=True):
        routed = ThresholdOptimizer(_lr(), cv=3, random_state=0).fit(X, Y)
        split = ThresholdOptimizer(_lr(), cv=GroupKFold(3)).fit(X, Y, groups=np.arange(len(Y)))
        search = GridSearchCV(ThresholdOptimizer(_lr(), cv=3, random_state=0),
                              {"min_positives": [5]}, cv=2, scoring="f1_micro").fit(X, Y)
    np.testing.assert_array_equal(routed.oof_scores_, plain.oof_scores_)
    assert split.thresholds_.shape == (Y.shape[1],)
    assert search.best_estimator_.thresholds_.shape == (Y.shape[1],)
