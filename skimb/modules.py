"""The default torch module: a multi-layer perceptron that outputs logits."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from numbers import Integral

import torch
from torch import nn

from ._sparse_linear import sparse_linear

__all__ = ["MLP"]


class MLP(nn.Module):
    """A multi-layer perceptron mapping features to one logit per label.

    ``Linear -> ReLU -> Dropout`` blocks followed by a final ``Linear`` layer with
    no activation: the output is logits, as skimb's losses expect (the sigmoid is
    applied inside the loss, in its numerically stable log-sigmoid form, and by
    ``predict_proba``).

    Parameters
    ----------
    n_features : int
        Number of input features. :class:`~skimb.MultiLabelImbalancedClassifier`
        fills it in from the training data.
    n_labels : int
        Number of outputs (labels), filled in the same way.
    hidden_units : sequence of int, default=(256,)
        Width of each hidden layer; ``()`` gives a linear model.
    dropout : float, default=0.2
        Dropout probability after each hidden layer.

    Raises
    ------
    TypeError
        ``hidden_units`` is not a sequence (e.g. ``5`` for ``(5,)``).
    ValueError
        A width that is not a positive whole number, or ``dropout`` outside
        ``[0, 1)``.

    Examples
    --------
    >>> import torch
    >>> from skimb.modules import MLP
    >>> MLP(n_features=8, n_labels=3, hidden_units=(16, 16))(torch.zeros(5, 8)).shape
    torch.Size([5, 3])
    """

    def __init__(
        self,
        n_features: int,
        n_labels: int,
        hidden_units: Sequence[int] = (256,),
        dropout: float = 0.2,
    ):
        super().__init__()
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}.")
        if not isinstance(hidden_units, Iterable) or isinstance(hidden_units, str):
            raise TypeError(
                f"hidden_units must be a sequence of widths, one per hidden layer, got "
                f"{hidden_units!r}: for one layer of {hidden_units!r} units pass "
                f"({hidden_units!r},); () gives a linear model."
            )
        hidden_units = tuple(hidden_units)
        if not all(isinstance(u, Integral) and not isinstance(u, bool) and u > 0
                   for u in hidden_units):
            raise ValueError(
                f"hidden_units must hold positive whole numbers (layer widths), got "
                f"{hidden_units!r}, e.g. (256,) or (128, 64); () gives a linear model."
            )
        layers: list[nn.Module] = []
        width = n_features
        for units in hidden_units:
            layers += [nn.Linear(width, units), nn.ReLU(), nn.Dropout(dropout)]
            width = units
        layers.append(nn.Linear(width, n_labels))
        self.layers = nn.Sequential(*layers)

    #: Takes a torch sparse CSR batch (see :meth:`forward`).
    accepts_sparse_csr = True

    def forward(self, X):
        """Logits ``(rows, n_labels)`` of a batch ``X`` of shape ``(rows, n_features)``.

        ``X`` is a float32 tensor, dense or sparse CSR (``layout=torch.sparse_csr``,
        as :class:`~skimb.MultiLabelImbalancedClassifier` passes batches of a
        SciPy CSR matrix on the CPU): the first layer then sums the weights of
        each row's stored columns instead of multiplying by the zeros
        (``torch.nn.functional.embedding_bag``), the same values up to rounding.
        A subclass whose ``layers`` start with another layer gets ``X`` densified.
        """
        if X.layout == torch.sparse_csr:
            first = self.layers[0]
            if not isinstance(first, nn.Linear):
                return self.layers(X.to_dense())
            h = sparse_linear(X, first.weight, first.bias)
            for layer in list(self.layers)[1:]:
                h = layer(h)
            return h
        return self.layers(X)

    def _sparse_split(self) -> tuple[str, nn.Module] | None:
        """The name of the first Linear layer and a module computing the rest of ``forward``.

        The rest's parameter names are the MLP's without the ``layers.`` prefix
        (for :class:`skimb._stacking.StackedModels`, which computes the first
        layer of several models on sparse rows itself). None when ``layers``
        start with another layer (a subclass's).
        """
        if not isinstance(self.layers[0], nn.Linear):
            return None
        return "layers.0", nn.Sequential(OrderedDict(list(self.layers.named_children())[1:]))
