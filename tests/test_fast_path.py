"""The in-memory batch path: same results as skorch's DataLoader path, callbacks, precision."""

import pickle
import types

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from skorch.callbacks import (
    Callback,
    Checkpoint,
    EarlyStopping,
    EpochScoring,
    GradientNormClipping,
    LRScheduler,
    ProgressBar,
)
from skorch.dataset import Dataset, ValidSplit
from torch.utils.data import DataLoader

import skimb._batching as batching
from skimb import MultiLabelImbalancedClassifier, make_long_tail_multilabel
from skimb._batching import ArrayBatchIterator, csr_rows_to_dense, in_memory_arrays

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@pytest.fixture(scope="module")
def data():
    return make_long_tail_multilabel(600, 10, 4, min_prevalence=0.05, random_state=0)


def fast(**kw):
    kw.setdefault("max_epochs", 3)
    kw.setdefault("random_state", 0)
    kw.setdefault("batch_size", 64)
    return MultiLabelImbalancedClassifier(**kw)


def dataloader(**kw):
    return fast(iterator_train=DataLoader, iterator_valid=DataLoader, **kw)


def sparse_version(X):
    return sp.csr_matrix(np.where(np.abs(X) > 0.8, X, 0).astype(np.float32))


# ------------------------------------------------------- same results, faster
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("split", [None, ValidSplit(4), 0.25])
def test_fast_path_matches_the_dataloader_path(data, sparse, split):
    X, Y = data
    X = sparse_version(X) if sparse else X
    ours = fast(train_split=split).fit(X, Y)
    theirs = dataloader(train_split=split).fit(X, Y)
    dataset = ours.get_dataset(ours._check_X(X, reset=False), Y.astype(np.float32))
    assert isinstance(ours.get_iterator(dataset, training=True), ArrayBatchIterator)
    assert isinstance(ours.get_iterator(dataset, training=False), ArrayBatchIterator)
    assert isinstance(theirs.get_iterator(dataset, training=True), DataLoader)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-6)
    for key in ["train_loss", "valid_loss"] if split else ["train_loss"]:
        np.testing.assert_allclose(ours.history[:, key], theirs.history[:, key], rtol=1e-6)
    assert ours.history[-1, "batches", 0, "train_batch_size"] == 64


def test_iterator_batches_a_seeded_permutation_of_the_rows():
    n = 103
    X = np.arange(n, dtype=np.float32).reshape(-1, 1) * np.ones((1, 3), dtype=np.float32)
    y = np.arange(n, dtype=np.float32).reshape(-1, 1)
    it = ArrayBatchIterator(Dataset(X, y), batch_size=25, shuffle=True)
    assert len(it) == 5

    def epoch():
        batches = list(it)
        for Xb, yb in batches:
            np.testing.assert_array_equal(Xb[:, 0].numpy(), yb[:, 0].numpy())
        return [b[1][:, 0].numpy().astype(int) for b in batches]

    torch.manual_seed(0)
    first, second = epoch(), epoch()
    assert [len(b) for b in first] == [25, 25, 25, 25, 3]
    assert sorted(np.concatenate(first)) == list(range(n))
    assert not np.array_equal(np.concatenate(first), np.concatenate(second))
    torch.manual_seed(0)
    np.testing.assert_array_equal(np.concatenate(epoch()), np.concatenate(first))
    # Without shuffling: the rows in order, as fresh tensors (never views of X).
    ordered = ArrayBatchIterator(Dataset(X, None), batch_size=40)
    Xb, yb = next(iter(ordered))
    assert yb is None and Xb[:, 0].tolist() == list(range(40))
    Xb += 1
    assert X[0, 0] == 0


def test_subsets_map_to_the_rows_of_the_full_arrays():
    X = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10, dtype=np.float32).reshape(-1, 1)
    inner = torch.utils.data.Subset(Dataset(X, y), [9, 7, 5, 3, 1])
    outer = torch.utils.data.Subset(inner, [4, 0])
    base, rows = in_memory_arrays(outer)
    assert rows.tolist() == [1, 9]
    (Xb, yb), = ArrayBatchIterator(base, rows, batch_size=8)
    assert yb[:, 0].tolist() == [1, 9] and Xb.tolist() == [[2, 3], [18, 19]]


def test_what_goes_through_skorchs_dataloader(data):
    X, Y = data
    Y = Y.astype(np.float32)

    class CountingDataset(Dataset):
        calls = 0

        def __getitem__(self, i):
            CountingDataset.calls += 1
            return super().__getitem__(i)

    plain = fast()
    assert in_memory_arrays(CountingDataset(X, Y)) is None
    assert in_memory_arrays(torch.utils.data.TensorDataset(torch.zeros(3, 2))) is None
    assert in_memory_arrays(Dataset(X.astype(np.float64), Y)) is None
    assert isinstance(plain.get_iterator(Dataset(X, Y), training=True), ArrayBatchIterator)
    for clf in [
        fast(dataset=CountingDataset),
        fast(iterator_train__num_workers=0),
        fast(iterator_train=DataLoader),
        fast(dataset__length=len(X)),
    ]:
        assert isinstance(clf.get_iterator(clf.get_dataset(X, Y), training=True), DataLoader)
    # A user's Dataset class trains through its own __getitem__.
    clf = fast(dataset=CountingDataset, max_epochs=1).fit(X, Y)
    assert CountingDataset.calls >= len(X)
    np.testing.assert_allclose(clf.predict_proba(X), dataloader(max_epochs=1).fit(X, Y)
                               .predict_proba(X), atol=1e-6)
    # shuffle and batch_size are honoured on the fast path.
    ordered = fast(iterator_train__shuffle=False, iterator_valid__batch_size=7)
    it = ordered.get_iterator(Dataset(X, Y), training=True)
    assert isinstance(it, ArrayBatchIterator) and not it.shuffle and it.batch_size == 64
    assert ordered.get_iterator(Dataset(X, Y)).batch_size == 7
    assert fast(batch_size=-1).get_iterator(Dataset(X, Y), training=True).batch_size == len(X)


# ----------------------------------------------------------------- sparse X
def test_csr_rows_to_dense_matches_scipy():
    rng = np.random.RandomState(0)
    keep = np.ones(50, dtype=np.float32)
    keep[3] = 0  # an empty row
    X = sp.diags(keep) @ sp.random(50, 30, density=0.2, format="csr", dtype=np.float32,
                                   random_state=rng)
    X = sp.csr_matrix(X)
    X.eliminate_zeros()
    assert X[3].nnz == 0
    rows = np.array([3, 7, 7, 0, 49])
    dense = csr_rows_to_dense(
        torch.from_numpy(X.indptr.astype(np.int64)),
        torch.from_numpy(X.indices.astype(np.int64)),
        torch.from_numpy(X.data),
        torch.from_numpy(rows),
        int(np.diff(X.indptr)[rows].sum()),
        30,
    )
    np.testing.assert_array_equal(dense.numpy(), X[rows].toarray())
    # Duplicate entries add up, as in scipy.
    dup = sp.csr_matrix((np.ones(3, np.float32), [1, 1, 2], [0, 3]), shape=(1, 4))
    (Xb, _), = ArrayBatchIterator(Dataset(dup, None), batch_size=1)
    assert Xb.tolist() == [[0, 2, 1, 0]]


@pytest.mark.parametrize("module_takes_csr", [True, False])
def test_sparse_X_is_taken_one_batch_at_a_time(monkeypatch, module_takes_csr):
    # 3,000 x 20,000: 240 MB when dense, 0.4 MB as CSR. The MLP takes sparse CSR
    # batches; a module that does not gets each batch densified on its own.
    from skimb.modules import MLP

    monkeypatch.setattr(MLP, "accepts_sparse_csr", module_takes_csr)
    rng = np.random.RandomState(0)
    nnz = 30_000
    X = sp.csr_matrix(
        (rng.rand(nnz).astype(np.float32),
         (rng.randint(0, 3000, nnz), rng.randint(0, 20_000, nnz))),
        shape=(3000, 20_000),
    )
    Y = (rng.rand(3000, 3) < 0.2).astype(int)
    blocks, sparse_blocks = [], []
    real, real_rows = batching.csr_rows_to_dense, batching.csr_rows

    def recording(*args, **kwargs):
        out = real(*args, **kwargs)
        blocks.append(out.shape)
        return out

    def recording_rows(*args, **kwargs):
        out = real_rows(*args, **kwargs)
        sparse_blocks.append(out.shape)
        return out

    densified = []
    real_toarray = sp.csr_matrix.toarray

    def recording_toarray(self, *args, **kwargs):
        densified.append(self.shape)
        return real_toarray(self, *args, **kwargs)

    monkeypatch.setattr(batching, "csr_rows_to_dense", recording)
    monkeypatch.setattr(batching, "csr_rows", recording_rows)
    monkeypatch.setattr(sp.csr_matrix, "toarray", recording_toarray)
    clf = fast(
        max_epochs=1, batch_size=100, module__hidden_units=(4,), check_collapse=False
    ).fit(X, Y)
    assert clf.predict_proba(X[:250]).shape == (250, 3)
    taken, other = (sparse_blocks, blocks) if module_takes_csr else (blocks, sparse_blocks)
    assert len(taken) == 30 + 3 and not other  # the training epoch and the prediction
    assert max(rows for rows, _ in taken) == 100
    assert all(cols == 20_000 for _, cols in taken)
    assert max((rows for rows, _ in densified), default=0) <= 2  # the module check only


# --------------------------------------------------------------- callbacks
def test_early_stopping_and_lr_scheduler(data):
    X, Y = data
    stop = EarlyStopping(monitor="valid_loss", patience=2, threshold=10.0,
                         threshold_mode="abs")
    clf = fast(max_epochs=10, train_split=ValidSplit(4), callbacks=[stop]).fit(X, Y)
    assert len(clf.history) == 3  # no epoch improves by 10, so it stops after patience + 1
    sched = LRScheduler(policy=torch.optim.lr_scheduler.StepLR, step_size=1, gamma=0.5)
    clf = fast(lr=0.01, callbacks=[sched]).fit(X, Y)
    assert clf.optimizer_.param_groups[0]["lr"] == pytest.approx(0.01 * 0.5**3)
    per_batch = LRScheduler(policy=torch.optim.lr_scheduler.LinearLR, step_every="batch",
                            start_factor=1.0, end_factor=0.1, total_iters=10)
    clf = fast(max_epochs=1, lr=0.01, callbacks=[per_batch]).fit(X, Y)
    assert clf.optimizer_.param_groups[0]["lr"] == pytest.approx(0.001)  # 10 batches


def test_checkpoint_saves_params_that_load_back(data, tmp_path):
    X, Y = data
    cp = Checkpoint(monitor=None, dirname=str(tmp_path))
    clf = fast(callbacks=[cp]).fit(X, Y)
    assert (tmp_path / "params.pt").exists() and (tmp_path / "history.json").exists()
    other = fast(max_epochs=1, random_state=5).fit(X, Y)
    assert not np.allclose(other.predict_proba(X), clf.predict_proba(X))
    other.load_params(checkpoint=cp)
    np.testing.assert_array_equal(other.predict_proba(X), clf.predict_proba(X))
    assert len(other.history) == 3


@pytest.mark.parametrize("use_caching", [True, False])
def test_epoch_scoring_on_valid_and_train(data, use_caching):
    X, Y = data
    callbacks = [
        ("f1", EpochScoring("f1_macro", lower_is_better=False, use_caching=use_caching)),
        ("ap_train", EpochScoring("average_precision", on_train=True,
                                  lower_is_better=False, use_caching=use_caching)),
    ]
    ours = fast(train_split=ValidSplit(4), callbacks=callbacks).fit(X, Y)
    theirs = dataloader(train_split=ValidSplit(4), callbacks=callbacks).fit(X, Y)
    for key in ["f1_macro", "average_precision"]:
        assert np.isfinite(ours.history[:, key]).all()
        np.testing.assert_allclose(ours.history[:, key], theirs.history[:, key], rtol=1e-6)


def test_progress_bar_shows_each_batch_loss_as_a_number(data):
    X, Y = data
    shown = []

    class Bar(ProgressBar):
        def _get_postfix_dict(self, net):
            postfix = super()._get_postfix_dict(net)
            shown.append(postfix)
            return postfix

    fast(max_epochs=2, train_split=ValidSplit(4), callbacks=[Bar()]).fit(X, Y)
    assert len(shown) == 2 * (8 + 3)
    assert all(isinstance(v, float) for p in shown for v in p.values())
    assert {k for p in shown for k in p} == {"train_loss", "valid_loss"}


def test_batch_losses_recorded_at_epoch_end_equal_the_per_batch_ones(data, monkeypatch):
    X, Y = data
    direct = fast(train_split=ValidSplit(4)).fit(X, Y)
    recorded = []
    monkeypatch.setattr(MultiLabelImbalancedClassifier, "_record_loss_at_epoch_end",
                        lambda self, it: True)

    class Peek(Callback):  # what a callback sees during the epoch
        def on_batch_end(self, net, training, **kwargs):
            if training:
                recorded.append(type(net.history[-1, "batches", -1, "train_loss"]))

    deferred = fast(train_split=ValidSplit(4), callbacks=[Peek()]).fit(X, Y)
    assert torch.Tensor in recorded  # held as a tensor during the epoch
    for key in ["train_loss", "valid_loss"]:
        a = direct.history[:, "batches", :, key]
        b = deferred.history[:, "batches", :, key]
        assert all(isinstance(v, float) for epoch in b for v in epoch)
        np.testing.assert_allclose(np.concatenate(a), np.concatenate(b))
    monkeypatch.undo()
    gpu = types.SimpleNamespace(device=torch.device("cuda"))
    assert direct._record_loss_at_epoch_end(gpu)
    assert not fast(callbacks=[ProgressBar()]).initialize_callbacks()._record_loss_at_epoch_end(
        gpu)
    assert not direct._record_loss_at_epoch_end(types.SimpleNamespace(device=torch.device("cpu")))


# ---------------------------------------------------------- mixed precision
class Recording(torch.nn.Module):
    """An MLP that records the dtype of its hidden activations, in training or not."""

    def __init__(self, n_features, n_labels):
        super().__init__()
        self.hidden = torch.nn.Linear(n_features, 16)
        self.out = torch.nn.Linear(16, n_labels)
        self.dtypes = set()

    def forward(self, X):
        h = torch.relu(self.hidden(X))
        self.dtypes.add((self.training, h.dtype))
        return self.out(h)


def test_bf16_autocast_on_cpu(data):
    X, Y = data
    clf = fast(
        module=Recording, precision="bf16", lr=0.01, max_epochs=5, check_collapse=False
    ).fit(X, Y)
    # Training in bfloat16; the float32 call is the module check before training
    # (the post-fit collapse check, a bfloat16 prediction pass, is off here).
    assert clf.module_.dtypes == {(True, torch.bfloat16), (False, torch.float32)}
    clf.module_.dtypes.clear()
    P = clf.predict_proba(X)
    assert clf.module_.dtypes == {(False, torch.bfloat16)}
    assert P.dtype == np.float32 and np.isfinite(P).all()
    assert clf.decision_function(X).dtype == np.float32
    full = fast(module=Recording, lr=0.01, max_epochs=5).fit(X, Y)
    assert {dtype for _, dtype in full.module_.dtypes} == {torch.float32}
    assert np.corrcoef(P.ravel(), full.predict_proba(X).ravel())[0, 1] > 0.95
    assert clf.grad_scaler_ is None


def test_precision_errors(data):
    X, Y = data
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match=r"'fp16' needs a CUDA device.*precision='bf16'"):
            fast(precision="fp16").fit(X, Y)
    with pytest.raises(ValueError, match="'precision' parameter"):
        fast(precision="fp8").fit(X, Y)


class LargestGradient(GradientNormClipping):
    """Records the largest gradient entry that on_grad_computed sees."""

    def on_train_begin(self, net, **kwargs):
        self.seen = []

    def on_grad_computed(self, net, named_parameters, **kwargs):
        self.seen.append(max(p.grad.abs().max().item() for _, p in named_parameters))


def test_float16_gradient_scaler_steps(data, monkeypatch):
    """The GradScaler path, run on the CPU (the classifier allows float16 on CUDA only)."""
    X, Y = data
    monkeypatch.setattr(MultiLabelImbalancedClassifier, "_autocast_dtype",
                        lambda self: torch.float16)
    norm = LargestGradient()
    clf = fast(module=Recording, max_epochs=2, callbacks=[norm]).fit(X, Y)
    seen = norm.seen
    assert (True, torch.float16) in clf.module_.dtypes
    assert (True, torch.float32) not in clf.module_.dtypes
    scaler = clf.grad_scaler_
    assert isinstance(scaler, torch.amp.GradScaler)
    assert scaler._scale is not None and np.isfinite(scaler.get_scale())
    assert max(seen) < 100  # callbacks see unscaled gradients (the scale is 65536)
    assert np.isfinite(clf.predict_proba(X)).all()
    again = pickle.loads(pickle.dumps(clf))
    assert again.grad_scaler_.get_scale() == scaler.get_scale()
    clf.initialize_optimizer()  # a new optimizer gets a new scaler
    assert clf.grad_scaler_ is None


# ----------------------------------------------------------------- compile
def test_compile_trains_and_saved_params_load_back(data, tmp_path):
    X, Y = data
    # The "eager" backend runs TorchDynamo's capture without inductor's C++ code
    # generation, which takes about half a minute per shape on these CPUs.
    kw = {"compile": True, "compile__backend": "eager", "max_epochs": 2}
    clf = fast(**kw).fit(X, Y)
    assert type(clf.module_).__name__ == "OptimizedModule"
    P = clf.predict_proba(X)
    np.testing.assert_allclose(P, fast(max_epochs=2).fit(X, Y).predict_proba(X), atol=1e-6)
    clf.save_params(f_params=tmp_path / "params.pt")
    other = fast(random_state=3, **kw).fit(X, Y)
    other.load_params(f_params=tmp_path / "params.pt")
    np.testing.assert_array_equal(other.predict_proba(X), P)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X), P)


# -------------------------------------------------------------- accelerate
def test_composes_with_accelerate_mixin(data):
    pytest.importorskip("accelerate")
    from accelerate import Accelerator
    from skorch.hf import AccelerateMixin

    class AcceleratedClassifier(AccelerateMixin, MultiLabelImbalancedClassifier):
        """skimb's classifier on Hugging Face accelerate."""

    X, Y = data
    clf = AcceleratedClassifier(
        accelerator=Accelerator(cpu=True), max_epochs=3, batch_size=64, random_state=0,
        train_split=ValidSplit(4), callbacks__print_log__sink=print,
    ).fit(X, Y)
    dataset = clf.get_dataset(X, Y.astype(np.float32))
    # accelerate shards batches over processes by wrapping skorch's DataLoader.
    assert not isinstance(clf.get_iterator(dataset, training=True), ArrayBatchIterator)
    ref = fast(train_split=ValidSplit(4)).fit(X, Y)
    np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(X), atol=1e-6)
    np.testing.assert_allclose(clf.pos_weight_, ref.pos_weight_)
    with pytest.raises(ValueError, match="Accelerator\\(mixed_precision='bf16'\\)"):
        AcceleratedClassifier(accelerator=Accelerator(cpu=True), precision="bf16").fit(X, Y)


# -------------------------------------------------------------------- CUDA
@cuda
@pytest.mark.cuda
@pytest.mark.parametrize("sparse", [False, True])
def test_cuda_data_resident_on_the_device(data, sparse):
    X, Y = data
    X = sparse_version(X) if sparse else X
    clf = fast(device="cuda").fit(X, Y)
    it = clf.get_iterator(clf.get_dataset(clf._check_X(X, reset=False),
                                          Y.astype(np.float32)), training=True)
    assert it.storage.type == "cuda" and not it._pin
    Xb, yb = next(iter(it))
    assert Xb.is_cuda and yb.is_cuda
    ref = dataloader(device="cuda").fit(X, Y)
    np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(X), atol=1e-4)


@cuda
@pytest.mark.cuda
@pytest.mark.parametrize("sparse", [False, True])
def test_cuda_pinned_host_staging_when_the_data_does_not_fit(data, sparse, monkeypatch):
    X, Y = data
    X = sparse_version(X) if sparse else X
    monkeypatch.setattr(batching, "DEVICE_DATA_FRACTION", 0.0)
    clf = fast(device="cuda").fit(X, Y)
    it = clf.get_iterator(clf.get_dataset(clf._check_X(X, reset=False),
                                          Y.astype(np.float32)), training=True)
    assert it.storage.type == "cpu" and it._pin
    Xb, _ = next(iter(it))
    assert Xb.is_cuda
    resident = fast(device="cuda")
    monkeypatch.setattr(batching, "DEVICE_DATA_FRACTION", 0.25)
    np.testing.assert_allclose(clf.predict_proba(X), resident.fit(X, Y).predict_proba(X),
                               atol=1e-4)


@cuda
@pytest.mark.cuda
def test_cuda_mixed_precision_and_deferred_losses(data):
    X, Y = data
    for precision in ["bf16", "fp16"]:
        clf = fast(device="cuda", precision=precision, module=Recording).fit(X, Y)
        expected = torch.bfloat16 if precision == "bf16" else torch.float16
        assert {d for training, d in clf.module_.dtypes if training} == {expected}
        assert np.isfinite(clf.predict_proba(X)).all()
        assert all(isinstance(v, float) for v in clf.history[-1, "batches", :, "train_loss"])
    assert isinstance(clf.grad_scaler_, torch.amp.GradScaler)
    state = pickle.dumps(clf)  # no CUDA tensor outside the torch components
    assert pickle.loads(state).grad_scaler_.get_scale() == clf.grad_scaler_.get_scale()


def test_set_training_puts_every_submodule_in_the_mode(data):
    X, Y = data
    clf = fast(max_epochs=1).fit(X, Y)
    clf.module_.layers[0].eval()  # e.g. a callback changed one submodule
    clf._set_training(True)
    assert all(m.training for m in clf.module_.modules())
    assert clf.criterion_.training
    clf._set_training(False)
    assert not any(m.training for m in clf.module_.modules())
    assert not clf.criterion_.training
