"""Sparse rows through the MLP's first layer: the product, the batches, the fits."""

import io
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from torch import nn

import skimb._sparse_linear as sparse_module
import skimb._stacking as stacking_module
from skimb import MultiLabelImbalancedClassifier, ThresholdOptimizer
from skimb._batching import ArrayBatchIterator, csr_rows
from skimb._sparse_linear import (
    csr_tensor,
    sparse_linear,
    sparse_rows_product,
    takes_sparse_csr,
)
from skimb.modules import MLP


def random_csr(n=40, d=30, density=0.1, seed=0, dtype=np.float32):
    X = sp.random(n, d, density=density, random_state=seed, format="csr", dtype=dtype)
    X = X.tolil()
    X[3] = 0  # an empty row, and the last row empty too
    X[n - 1] = 0
    return X.tocsr()


def as_tensor(X):
    return csr_tensor(torch.from_numpy(X.indptr.astype(np.int64)),
                      torch.from_numpy(X.indices.astype(np.int64)),
                      torch.from_numpy(X.data), X.shape)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = sp.random(500, 60, density=0.08, random_state=1, format="csr", dtype=np.float32)
    scores = X @ rng.normal(size=(60, 4))
    Y = (scores > np.quantile(scores, [0.7, 0.8, 0.9, 0.95], axis=0).diagonal()).astype(int)
    return X, Y


def clf(**kw):
    kw.setdefault("max_epochs", 3)
    kw.setdefault("random_state", 0)
    kw.setdefault("batch_size", 64)
    if kw.get("module") is None:
        kw.setdefault("module__dropout", 0.0)
    kw.setdefault("verbose", 0)
    return MultiLabelImbalancedClassifier(**kw)


# ------------------------------------------------------------- the product
def test_product_and_its_gradient_equal_the_dense_ones():
    X = random_csr(dtype=np.float64)
    weight = torch.randn(30, 7, dtype=torch.float64, requires_grad=True)
    crow = torch.from_numpy(X.indptr.astype(np.int64))
    col = torch.from_numpy(X.indices.astype(np.int64))
    val = torch.from_numpy(X.data)
    out = sparse_rows_product(crow, col, val, weight)
    dense = torch.from_numpy(X.toarray()) @ weight
    torch.testing.assert_close(out, dense)
    assert torch.all(out[3] == 0) and torch.all(out[-1] == 0)  # empty rows
    grad = torch.randn_like(out)
    (ours,) = torch.autograd.grad(out, weight, grad)
    (theirs,) = torch.autograd.grad(dense, weight, grad)
    torch.testing.assert_close(ours, theirs)
    assert torch.autograd.gradcheck(lambda w: sparse_rows_product(crow, col, val, w), (weight,))


def test_a_transposed_weight_gives_the_same_product():
    X = as_tensor(random_csr())
    weight = torch.randn(7, 30)
    column_major = weight.t().contiguous().t()
    torch.testing.assert_close(sparse_linear(X, weight, None), sparse_linear(X, column_major, None))
    torch.testing.assert_close(sparse_linear(X, weight, torch.ones(7)),
                               X.to_dense() @ weight.t() + 1)


@pytest.mark.parametrize("hidden", [(), (16,), (16, 8)])
def test_mlp_on_sparse_rows_equals_the_mlp_on_dense_rows(hidden):
    X = random_csr()
    torch.manual_seed(0)
    module = MLP(30, 5, hidden_units=hidden, dropout=0.0)
    sparse_out = module(as_tensor(X))
    sparse_out.sum().backward()
    sparse_grads = [p.grad.clone() for p in module.parameters()]
    module.zero_grad()
    dense_out = module(torch.from_numpy(X.toarray()))
    dense_out.sum().backward()
    torch.testing.assert_close(sparse_out, dense_out)
    for ours, theirs in zip(sparse_grads, [p.grad for p in module.parameters()]):
        torch.testing.assert_close(ours, theirs)


# ------------------------------------------------------------- the batches
def test_csr_rows_takes_the_rows_in_order():
    X = random_csr()
    rows = torch.tensor([5, 3, 0, 39, 5])
    nnz = int(np.diff(X.indptr)[rows.numpy()].sum())
    t = csr_rows(torch.from_numpy(X.indptr.astype(np.int64)),
                 torch.from_numpy(X.indices.astype(np.int64)),
                 torch.from_numpy(X.data), rows, nnz, X.shape[1])
    assert t.layout == torch.sparse_csr
    np.testing.assert_array_equal(t.to_dense().numpy(), X[rows.numpy()].toarray())


def test_iterator_delivers_sparse_batches_only_when_asked(data):
    from skorch.dataset import Dataset

    X, Y = data
    dataset = Dataset(X, Y.astype(np.float32))
    dense = list(ArrayBatchIterator(dataset, batch_size=128))
    sparse = list(ArrayBatchIterator(dataset, batch_size=128, sparse_batches=True))
    assert all(xb.layout == torch.strided for xb, _ in dense)
    assert all(xb.layout == torch.sparse_csr for xb, _ in sparse)
    for (a, ya), (b, yb) in zip(dense, sparse):
        torch.testing.assert_close(a, b.to_dense())
        torch.testing.assert_close(ya, yb)
    xb, _ = ArrayBatchIterator(dataset, batch_size=8, sparse_batches=True).gather(
        torch.tensor([9, 2, 2]))
    np.testing.assert_array_equal(xb.to_dense().numpy(), X[[9, 2, 2]].toarray())


# ------------------------------------------------------------- the classifier
def test_fit_on_sparse_X_equals_fit_on_dense_X(data):
    X, Y = data
    sparse = clf().fit(X, Y)
    dense = clf().fit(X.toarray(), Y)
    np.testing.assert_allclose(sparse.history[:, "train_loss"], dense.history[:, "train_loss"],
                               rtol=1e-5)
    np.testing.assert_allclose(sparse.predict_proba(X), dense.predict_proba(X), atol=1e-5)
    np.testing.assert_allclose(sparse.predict_proba(X.toarray()), dense.predict_proba(X),
                               atol=1e-5)
    # the first weight is stored column-major for the sparse product, same values
    assert sparse.module_.layers[0].weight.t().is_contiguous()
    assert dense.module_.layers[0].weight.is_contiguous()


def test_the_mlp_gets_sparse_batches_and_other_modules_dense_ones(data, monkeypatch):
    X, Y = data
    seen = []

    class Dense(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(60, 4)

        def forward(self, X):
            seen.append(X.layout)
            return self.linear(X)

    clf(module=Dense, max_epochs=1).fit(X, Y)
    assert seen and set(seen) == {torch.strided}
    calls = []
    product = sparse_module.sparse_rows_product
    monkeypatch.setattr(sparse_module, "sparse_rows_product",
                        lambda *a: calls.append(1) or product(*a))
    model = clf(max_epochs=1).fit(X, Y)
    assert calls  # training and prediction went through the sparse product
    calls.clear()
    clf(max_epochs=1, precision="bf16").fit(X, Y)
    assert not calls  # mixed precision: dense batches
    model.predict_proba(X.toarray())
    assert not calls


def test_sparse_fit_survives_pickle_and_continues(data):
    X, Y = data
    model = clf().fit(X, Y)
    copy = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(copy.predict_proba(X), model.predict_proba(X), atol=1e-6)
    model.partial_fit(X, Y)
    assert len(model.history) == 6  # partial_fit trains max_epochs more
    warm = clf(warm_start=True).fit(X.toarray(), Y)
    warm.fit(X, Y)  # continues on sparse rows with the row-major weight of the dense fit
    assert len(warm.history) == 6 and np.isfinite(warm.history[-1, "train_loss"])


@pytest.mark.parametrize("hidden", [(), (12, 6)])
def test_stacked_folds_on_sparse_rows_equal_the_dense_ones(data, hidden, monkeypatch):
    X, Y = data
    calls = []
    product = sparse_module.sparse_rows_product
    monkeypatch.setattr(stacking_module, "sparse_rows_product",
                        lambda *a: calls.append(1) or product(*a))
    # batch 96 on 333-334 fold rows and 500 refit rows: steps where only some models
    # take a batch, and tails of different sizes
    kw = {"batch_size": 96, "module__hidden_units": hidden}
    sparse = ThresholdOptimizer(clf(**kw), cv=3, random_state=0).fit(X, Y)
    assert calls  # the stacked first layer ran on sparse rows
    dense = ThresholdOptimizer(clf(**kw), cv=3, random_state=0).fit(X.toarray(), Y)
    np.testing.assert_allclose(sparse.oof_scores_, dense.oof_scores_, atol=1e-5)
    np.testing.assert_allclose(sparse.predict_proba(X), dense.predict_proba(X), atol=1e-5)
    np.testing.assert_array_equal(sparse.predict(X), dense.predict(X))


def test_a_module_of_ones_own_may_take_sparse_batches(data):
    X, Y = data
    seen = []

    class Sparse(nn.Module):
        accepts_sparse_csr = True

        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(60, 4)

        def forward(self, X):
            seen.append(X.layout)
            if X.layout == torch.sparse_csr:
                return sparse_linear(X, self.linear.weight, self.linear.bias)
            return self.linear(X)

    model = clf(module=Sparse, max_epochs=2).fit(X, Y)
    assert torch.sparse_csr in seen
    # stacked folds need the MLP's split of the first layer: dense batches there
    seen.clear()
    ThresholdOptimizer(clf(module=Sparse, max_epochs=2), cv=3, random_state=0).fit(X, Y)
    assert torch.strided in seen
    assert model.predict_proba(X).shape == (500, 4)


def test_lbfgs_trains_on_sparse_X_as_on_dense_X(data):
    # LBFGS flattens each gradient with view(-1): the first layer keeps its row-major layout
    X, Y = data
    kw = {"optimizer": torch.optim.LBFGS, "optimizer__max_iter": 2, "max_epochs": 2}
    sparse = clf(**kw).fit(X, Y)
    dense = clf(**kw).fit(X.toarray(), Y)
    assert sparse.module_.layers[0].weight.is_contiguous()
    np.testing.assert_allclose(sparse.predict_proba(X), dense.predict_proba(X), atol=1e-5)


@pytest.mark.parametrize("saved_from", ["dense", "sparse"])
def test_an_optimizer_state_loads_into_the_other_layout(data, saved_from):
    # the fused AdamW kernel reads parameter and state as flat memory of one layout
    X, Y = data
    source = clf().fit(X.toarray() if saved_from == "dense" else X, Y)
    params, state = io.BytesIO(), io.BytesIO()
    source.save_params(f_params=params, f_optimizer=state)
    continued = []
    for XX in (X, X.toarray()):
        params.seek(0)
        state.seek(0)
        model = clf().fit(XX, Y)
        model.load_params(f_params=params, f_optimizer=state)
        weight = model.module_.layers[0].weight
        assert model.optimizer_.state[weight]["exp_avg"].stride() == weight.stride()
        model.partial_fit(XX, Y)
        continued.append(model.predict_proba(X))
    np.testing.assert_allclose(continued[0], continued[1], atol=1e-5)


class _Doubled(MLP):
    """An MLP subclass with a forward of its own, written for dense rows."""

    def forward(self, X):
        return 2 * self.layers(X) + X[:, :4]


def test_an_mlp_subclass_with_its_own_forward_gets_dense_batches(data):
    # it inherits accepts_sparse_csr and _sparse_split, which speak of MLP.forward
    X, Y = data
    kw = {"module": _Doubled, "module__dropout": 0.0}
    sparse = clf(**kw).fit(X, Y)  # sparse batches: "Sparse CSR tensors do not have strides"
    dense = clf(**kw).fit(X.toarray(), Y)
    np.testing.assert_allclose(sparse.predict_proba(X), dense.predict_proba(X), atol=1e-5)
    # the stacked folds run its forward, not the MLP's layers without it
    sparse = ThresholdOptimizer(clf(**kw), cv=3, random_state=0).fit(X, Y)
    dense = ThresholdOptimizer(clf(**kw), cv=3, random_state=0).fit(X.toarray(), Y)
    np.testing.assert_allclose(sparse.oof_scores_, dense.oof_scores_, atol=1e-5)
    # declaring it again opts in
    opted = type("Opted", (_Doubled,), {"accepts_sparse_csr": True})
    assert takes_sparse_csr(opted(60, 4)) and takes_sparse_csr(MLP(60, 4))
    assert not takes_sparse_csr(_Doubled(60, 4))


def test_a_sparse_fit_saves_its_parameters_with_safetensors(data, tmp_path):
    # safetensors stores contiguous tensors only; the first weight is column-major
    pytest.importorskip("safetensors")
    from skorch.callbacks import Checkpoint

    X, Y = data
    model = clf().fit(X, Y)
    model.save_params(f_params=tmp_path / "p.safetensors", use_safetensors=True)
    assert model.module_.layers[0].weight.t().is_contiguous()  # kept as it was
    copy = clf().fit(X, Y, epochs=0)
    copy.load_params(f_params=tmp_path / "p.safetensors", use_safetensors=True)
    np.testing.assert_array_equal(copy.predict_proba(X), model.predict_proba(X))
    # skorch's Checkpoint swallows the error: nothing was written
    checkpoint = Checkpoint(dirname=tmp_path / "cp", monitor=None, use_safetensors=True,
                            f_params="p.safetensors", f_optimizer=None, f_criterion=None,
                            f_history=None)
    clf(callbacks=[checkpoint], max_epochs=1).fit(X, Y)
    assert (tmp_path / "cp" / "p.safetensors").exists()


class _Normed(MLP):
    """An MLP subclass whose layers start with a LayerNorm (forward inherited)."""

    def __init__(self, n_features, n_labels, **kwargs):
        super().__init__(n_features, n_labels, **kwargs)
        self.layers.insert(0, nn.LayerNorm(n_features))


def test_an_mlp_subclass_with_another_first_layer_trains_on_sparse_X(data):
    X, Y = data
    kw = {"module": _Normed, "module__dropout": 0.0}
    sparse = clf(**kw).fit(X, Y)  # was: "weight has to be a 2D Tensor"
    dense = clf(**kw).fit(X.toarray(), Y)
    np.testing.assert_allclose(sparse.predict_proba(X), dense.predict_proba(X), atol=1e-5)
    sparse = ThresholdOptimizer(clf(**kw), cv=3, random_state=0).fit(X, Y)
    dense = ThresholdOptimizer(clf(**kw), cv=3, random_state=0).fit(X.toarray(), Y)
    np.testing.assert_allclose(sparse.oof_scores_, dense.oof_scores_, atol=1e-5)


def test_a_dense_csr_matrix_is_densified_batch_by_batch():
    from skimb._batching import SPARSE_BATCH_MAX_DENSITY

    rng = np.random.default_rng(0)
    X = sp.random(300, 20, density=0.3, random_state=0, format="csr", dtype=np.float32)
    assert X.nnz > SPARSE_BATCH_MAX_DENSITY * 300 * 20
    Y = (rng.random((300, 3)) < 0.3).astype(int)
    seen = []

    class Recording(MLP):
        accepts_sparse_csr = True

        def forward(self, X):
            seen.append(X.layout)
            return super().forward(X)

    model = clf(module=Recording, module__n_features=20, module__n_labels=3).fit(X, Y)
    assert seen and set(seen) == {torch.strided}  # too dense: the dense product is faster
    assert model.module_.layers[0].weight.is_contiguous()  # and the usual layout
    seen.clear()
    sparser = X.multiply(sp.random(300, 20, density=0.2, random_state=1, format="csr") > 0)
    clf(module=Recording, module__n_features=20, module__n_labels=3).fit(sparser.tocsr(), Y)
    assert torch.sparse_csr in seen


def test_the_transposed_index_in_torch_equals_scipys():
    from skimb._sparse_linear import _transpose, _transpose_torch

    X = random_csr(n=50, d=17, density=0.2, seed=3)
    arrays = (torch.from_numpy(X.indptr.astype(np.int64)),
              torch.from_numpy(X.indices.astype(np.int64)), torch.from_numpy(X.data))
    for ours, theirs in zip(_transpose_torch(*arrays, 50, 17), _transpose(*arrays, 50, 17)):
        torch.testing.assert_close(ours, theirs)


def test_sparse_batches_and_the_column_major_layout_are_for_the_cpu_only(data):
    X, Y = data
    model = clf(max_epochs=1).fit(X, Y)
    assert model._takes_sparse_batches()
    model.device = "cuda"  # the GPU densifies batches, so fit keeps the usual layout there
    assert not model._takes_sparse_batches()
