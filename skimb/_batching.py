"""Batches of in-memory arrays as slices of whole tensors.

skorch's default path wraps arrays in a per-row :class:`skorch.dataset.Dataset`
and lets a :class:`~torch.utils.data.DataLoader` fetch every row on its own and
collate the rows into a batch (skorch #322, #1100). For tabular and sparse data
that per-row work costs more than the model. :class:`ArrayBatchIterator` does
what a hand-written loop does instead: it turns X and y into tensors once,
draws a permutation per epoch, and takes each batch as one ``index_select`` of
the whole tensors. Sparse X stays sparse (CSR): each batch is densified, or,
for a module that takes sparse batches (the default MLP, on the CPU), passed as
a torch sparse CSR tensor (``sparse_batches``, see :mod:`skimb._sparse_linear`).

Where the data lives:

* CPU training: the tensors share memory with the NumPy arrays (no copy of a
  dense X; a CSR matrix gets int64 copies of its index arrays).
* CUDA training: X and y are copied to the GPU once when their stored size is at
  most ``DEVICE_DATA_FRACTION`` of the GPU's free memory (``torch.cuda.mem_get_info``
  at the start of ``fit``); batches are then taken on the GPU. Otherwise the data
  stays in host memory and each batch is gathered into pinned memory and copied
  with ``non_blocking=True``.

Shuffling draws from torch's global random number generator exactly as skorch's
default ``DataLoader(shuffle=True)`` does (one draw for the worker base seed, one
for the ``RandomSampler`` seed, then ``torch.randperm`` on a CPU generator), so
under the same seed both paths see the same batches in the same order, and the
fast path changes nothing but speed.
"""

from __future__ import annotations

import warnings
import weakref

import numpy as np
import scipy.sparse as sp
import torch
from skorch.dataset import Dataset
from torch.utils.data import Subset

from ._sparse_linear import csr_tensor

__all__ = [
    "DEVICE_DATA_FRACTION", "SPARSE_BATCH_MAX_DENSITY", "ArrayBatchIterator",
    "draw_permutation", "in_memory_arrays", "sparse_batches_pay",
]

#: Largest share of a CUDA device's free memory that the training data may take
#: for it to be copied to the device once; above it, batches are staged in pinned
#: host memory instead.
DEVICE_DATA_FRACTION = 0.25

#: Largest share of stored entries (``nnz / (rows x columns)``) for which a CSR
#: X goes to a module as sparse batches (``sparse_batches``); denser matrices
#: are densified one batch at a time. Measured (3,000 rows, 500 and 2,000
#: columns, one thread): the sparse first layer is as fast as the dense one
#: for a single fit up to 10 % and slower from 20 %; for the stacked folds
#: 0.57-0.76 of the dense time up to 10 %, 0.85-0.88 at 20 % and 1.0-1.3 at
#: 35 %.
SPARSE_BATCH_MAX_DENSITY = 0.1


def sparse_batches_pay(X) -> bool:
    """Whether X is a sparse matrix sparse enough for sparse batches (see above)."""
    if not sp.issparse(X):
        return False
    cells = X.shape[0] * X.shape[1]
    return cells > 0 and X.nnz <= SPARSE_BATCH_MAX_DENSITY * cells


# One device copy of a dataset's arrays, shared by the iterators over its subsets
# (the training and validation parts of a train_split).
_STORED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def in_memory_arrays(dataset) -> tuple | None:
    """The arrays behind a dataset, when the fast path can batch them.

    Parameters
    ----------
    dataset : torch Dataset
        skorch's own :class:`~skorch.dataset.Dataset` (not a subclass: a subclass
        may transform rows), or a :class:`~torch.utils.data.Subset` of one, e.g.
        from :class:`skorch.dataset.ValidSplit`.

    Returns
    -------
    (base, rows) or None
        ``base`` is the skorch Dataset holding ``X`` (2-D float32 ndarray or CSR
        matrix) and ``y`` (None or a float32 ndarray); ``rows`` the int64 row
        indices of the subset, or None for all rows. None when the dataset is
        anything else; it then goes through skorch's DataLoader.
    """
    rows = None
    while isinstance(dataset, Subset):
        indices = np.asarray(dataset.indices, dtype=np.int64)
        rows = indices if rows is None else indices[rows]
        dataset = dataset.dataset
    if type(dataset) is not Dataset:
        return None
    X, y = dataset.X, dataset.y
    dense = isinstance(X, np.ndarray) and X.ndim == 2
    if not (dense or isinstance(X, sp.csr_matrix)) or X.dtype != np.float32:
        return None
    if y is not None and not (isinstance(y, np.ndarray) and y.dtype == np.float32):
        return None
    return dataset, rows


def draw_permutation(shuffle: bool, n: int, generator: torch.Generator | None = None):
    """Draw an epoch's row order as a ``DataLoader`` epoch draws it; the order or None.

    Consumes ``generator`` (torch's global CPU generator when None) exactly as
    ``DataLoader(shuffle=True)`` consumes the global one: one draw for the
    workers' base seed, one for the ``RandomSampler``'s seed, then
    ``torch.randperm`` on a fresh CPU generator seeded with it.

    Parameters
    ----------
    shuffle : bool
        False draws the workers' seed only and returns None (rows in order).
    n : int
        Number of rows.
    generator : torch.Generator or None, default=None

    Returns
    -------
    Tensor of int64 of shape (n,) or None
    """
    # _BaseDataLoaderIter draws the workers' base seed at the start of every epoch.
    torch.empty((), dtype=torch.int64).random_(generator=generator)
    if not shuffle:
        return None
    # RandomSampler without a generator seeds a fresh CPU generator from the global one.
    seed = int(torch.empty((), dtype=torch.int64).random_(generator=generator).item())
    sampler = torch.Generator()
    sampler.manual_seed(seed)
    return torch.randperm(n, generator=sampler)


def _fits_on(device: torch.device, nbytes: int) -> bool:
    """Whether data of ``nbytes`` is stored on ``device`` (True on the CPU)."""
    if device.type == "cpu":
        return True
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return nbytes <= DEVICE_DATA_FRACTION * free
    return False


def _tensor(array: np.ndarray) -> torch.Tensor:
    """A tensor sharing memory with ``array`` (read-only arrays too: batches are copies)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return torch.from_numpy(array)


def _store(dataset, storage: torch.device) -> dict:
    """Tensors of the dataset's X and y on ``storage``, made once per dataset and device."""
    per_device = _STORED.setdefault(dataset, {})
    if storage in per_device:
        return per_device[storage]
    X, y = dataset.X, dataset.y
    tensors = {}
    if sp.issparse(X):
        if not X.has_canonical_format:  # duplicate entries must add up, as toarray does
            X = X.copy()
            X.sum_duplicates()
        tensors["row_nnz"] = np.diff(X.indptr).astype(np.int64)  # host: batch sizes, no sync
        tensors["crow"] = torch.from_numpy(X.indptr.astype(np.int64)).to(storage)
        tensors["col"] = torch.from_numpy(X.indices.astype(np.int64)).to(storage)
        tensors["val"] = _tensor(X.data).to(storage)
    else:
        tensors["X"] = _tensor(np.ascontiguousarray(X)).to(storage)
    tensors["y"] = None if y is None else _tensor(np.ascontiguousarray(y)).to(storage)
    per_device[storage] = tensors
    return tensors


def _nbytes(dataset) -> int:
    X, y = dataset.X, dataset.y
    if sp.issparse(X):
        size = X.data.nbytes + 8 * (X.indices.size + X.indptr.size)
    else:
        size = X.nbytes
    return size + (0 if y is None else y.nbytes)


def _entries(crow, rows, nnz: int):
    """Where the entries of the given rows lie: their local row, their position, row lengths."""
    b = rows.numel()
    starts = crow[rows]
    lengths = crow[rows + 1] - starts
    local = torch.repeat_interleave(
        torch.arange(b, device=crow.device), lengths, output_size=nnz
    )
    # Position of every entry in the CSR arrays: its row's start plus its rank in the row.
    first = torch.cumsum(lengths, 0) - lengths
    position = (starts - first)[local] + torch.arange(nnz, device=crow.device)
    return local, position, lengths


def csr_rows_to_dense(crow, col, val, rows, nnz: int, n_cols: int, out=None):
    """Dense ``(len(rows), n_cols)`` block of the given rows of a CSR matrix.

    Pure tensor operations on the tensors' device, without a host round trip:
    ``nnz``, the number of stored entries in these rows, comes from the caller.

    Parameters
    ----------
    crow, col, val : Tensor
        The CSR arrays (int64 row pointers, int64 column indices, values), with no
        duplicate entries.
    rows : Tensor of int64
        The rows to take, in order.
    nnz : int
        Stored entries in those rows.
    n_cols : int
    out : Tensor or None
        A zero-filled ``(len(rows), n_cols)`` tensor to write into.

    Returns
    -------
    Tensor
    """
    if out is None:
        out = torch.zeros((rows.numel(), n_cols), dtype=val.dtype, device=val.device)
    if nnz == 0:
        return out
    local, position, _ = _entries(crow, rows, nnz)
    out[local, col[position]] = val[position]
    return out


def csr_rows(crow, col, val, rows, nnz: int, n_cols: int) -> torch.Tensor:
    """The given rows of a CSR matrix as a torch sparse CSR tensor ``(len(rows), n_cols)``.

    Same arguments as :func:`csr_rows_to_dense`; the arrays are new tensors.
    """
    _, position, lengths = _entries(crow, rows, nnz)
    pointers = torch.zeros(rows.numel() + 1, dtype=crow.dtype, device=crow.device)
    torch.cumsum(lengths, 0, out=pointers[1:])
    return csr_tensor(pointers, col[position], val[position], (rows.numel(), n_cols))


class ArrayBatchIterator:
    """Iterate over ``(X_batch, y_batch)`` tensors sliced from whole in-memory arrays.

    Made by :meth:`MultiLabelImbalancedClassifier.get_iterator
    <skimb.MultiLabelImbalancedClassifier.get_iterator>` for in-memory data; each
    ``iter()`` is one epoch.

    Parameters
    ----------
    dataset : skorch.dataset.Dataset
        Holds ``X`` (2-D float32 ndarray or CSR matrix) and ``y`` (float32 ndarray
        or None), see :func:`in_memory_arrays`.
    rows : ndarray of int64 or None
        The rows to iterate over (a subset), or None for all.
    batch_size : int
    shuffle : bool, default=False
        A new permutation every epoch, drawn as ``DataLoader(shuffle=True)`` draws it.
    device : str or torch.device, default="cpu"
        Where the batches are delivered.
    sparse_batches : bool, default=False
        For a CSR ``X`` stored on the CPU with at most
        :data:`SPARSE_BATCH_MAX_DENSITY` of its entries stored: deliver each
        batch of X as a torch sparse CSR tensor (for modules that take one, e.g.
        :class:`skimb.modules.MLP`) instead of densifying it.
    """

    def __init__(self, dataset, rows=None, *, batch_size: int, shuffle: bool = False,
                 device="cpu", sparse_batches: bool = False):
        self.device = torch.device(device)
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.sparse = sp.issparse(dataset.X)
        self.n_features = dataset.X.shape[1]
        self.n_samples = dataset.X.shape[0] if rows is None else len(rows)
        resident = _fits_on(self.device, _nbytes(dataset))
        self.storage = self.device if resident else torch.device("cpu")
        self._pin = self.storage.type == "cpu" and self.device.type == "cuda"
        self._tensors = _store(dataset, self.storage)
        self.sparse_batches = (sparse_batches and sparse_batches_pay(dataset.X)
                               and self.storage.type == "cpu"
                               and self.device.type == "cpu")
        self._rows = None if rows is None else torch.from_numpy(rows)

    def __len__(self) -> int:
        return -(-self.n_samples // max(self.batch_size, 1))

    def _new(self, shape, dtype):
        if self._pin:
            return torch.empty(shape, dtype=dtype, pin_memory=True)
        return torch.empty(shape, dtype=dtype, device=self.storage)

    def _take(self, tensor, rows, start: int, stop: int):
        """Rows of a stored dense tensor, as a new tensor on the compute device."""
        if rows is None:
            part = tensor[start:stop]
            # A fresh tensor: on the CPU, the stored one shares memory with the caller's array.
            out = self._new(part.shape, part.dtype).copy_(part)
        else:
            out = self._new((stop - start, *tensor.shape[1:]), tensor.dtype)
            torch.index_select(tensor, 0, rows[start:stop], out=out)
        return out.to(self.device, non_blocking=True)

    def _take_sparse(self, rows, start: int, stop: int, nnz: int):
        t = self._tensors
        if rows is None:
            index = torch.arange(start, stop, device=self.storage)
        else:
            index = rows[start:stop]
        if self.sparse_batches:
            return csr_rows(t["crow"], t["col"], t["val"], index, nnz, self.n_features)
        out = self._new((stop - start, self.n_features), t["val"].dtype).zero_()
        csr_rows_to_dense(t["crow"], t["col"], t["val"], index, nnz, self.n_features, out=out)
        return out.to(self.device, non_blocking=True)

    def gather(self, rows: torch.Tensor):
        """``(X, y)`` of the given rows of the whole dataset, on the compute device.

        Parameters
        ----------
        rows : Tensor of int64 on the CPU
            Row indices into the dataset (not into the iterator's subset).

        Returns
        -------
        (Tensor, Tensor or None)
        """
        index = rows.to(self.storage)
        n = len(rows)
        t = self._tensors
        if self.sparse:
            nnz = int(t["row_nnz"][rows.numpy()].sum())
            Xb = self._take_sparse(index, 0, n, nnz)
        else:
            Xb = self._take(t["X"], index, 0, n)
        yb = None if t["y"] is None else self._take(t["y"], index, 0, n)
        return Xb, yb

    def __iter__(self):
        order = draw_permutation(self.shuffle, self.n_samples)
        if self._rows is not None:
            order = self._rows if order is None else self._rows[order]
        rows = None if order is None else order.to(self.storage)
        t = self._tensors
        if self.sparse:
            row_nnz = t["row_nnz"] if order is None else t["row_nnz"][order.numpy()]
            cum_nnz = np.concatenate([[0], np.cumsum(row_nnz)])
        step = max(self.batch_size, 1)
        for start in range(0, self.n_samples, step):
            stop = min(start + step, self.n_samples)
            if self.sparse:
                nnz = int(cum_nnz[stop] - cum_nnz[start])
                Xb = self._take_sparse(rows, start, stop, nnz)
            else:
                Xb = self._take(t["X"], rows, start, stop)
            yb = None if t["y"] is None else self._take(t["y"], rows, start, stop)
            yield Xb, yb
