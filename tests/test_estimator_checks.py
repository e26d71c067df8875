"""scikit-learn's estimator checks on the classifier."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skimb import MultiLabelImbalancedClassifier

_ONE_D_Y = (
    "the check fits on a 1-D binary or multiclass y; the classifier is multi-label only "
    "and asks for a 2-D 0/1 label matrix (y.reshape(-1, 1) for one label)"
)
_NOT_01 = (
    "the check's y, reshaped to one column, holds values other than 0 and 1 (class "
    "indices such as 1, 2 or 0..3); each label must be a 0/1 indicator"
)

# Every check that cannot pass by design, and why.
EXPECTED_FAILED = {
    "check_no_attributes_set_in_init": (
        "skorch's NeuralNet.__init__ sets history_, initialized_ and virtual_params_"
    ),
    "check_set_params": (
        "skorch keeps the set _params_to_validate in the instance dict, so get_params "
        "lists it and the check's fuzz values replace it with a float"
    ),
    "check_classifier_multioutput": (
        "the check indexes classes_ as one array; classes_ is a list of array([0, 1]) "
        "per label, the convention sklearn's multi-label scorers use"
    ),
    "check_classifier_data_not_an_array": _ONE_D_Y,
    "check_classifiers_one_label_sample_weights": _ONE_D_Y,
    "check_classifiers_classes": _ONE_D_Y,
    "check_classifiers_train": _ONE_D_Y,
    "check_decision_proba_consistency": _ONE_D_Y,
    "check_estimators_dtypes": _NOT_01,
    "check_estimator_sparse_array": _NOT_01,
    "check_estimator_sparse_matrix": _NOT_01,
    "check_fit2d_1feature": _NOT_01,
    "check_sample_weights_pandas_series": _NOT_01,
    "check_sample_weights_not_an_array": _NOT_01,
    "check_sample_weights_not_overwritten": _NOT_01,
    "check_sample_weights_shape": _NOT_01,
    "check_sample_weight_equivalence_on_dense_data": (
        "minibatches and dropout: repeated rows change the batches and the dropout masks; "
        "weight 2 == a repeated row holds with one batch and no dropout "
        "(tests/test_sample_weight.py)"
    ),
    "check_sample_weight_equivalence_on_sparse_data": (
        "minibatches and dropout, as on dense data (tests/test_sample_weight.py)"
    ),
}


@parametrize_with_checks(
    [MultiLabelImbalancedClassifier(max_epochs=2, batch_size=32, random_state=0)],
    expected_failed_checks=lambda est: EXPECTED_FAILED,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
