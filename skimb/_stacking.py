"""Train several models of one architecture in one pass: the folds and the refit.

Cross-validation trains ``k`` small models on the same data, one after the
other, and then refits one more. Each step of each fit is a handful of small
matrix products plus the Python and dispatch overhead around them, which
dominates for small models. :class:`StackedModels` trains all the models
together: each optimizer step evaluates every model on its own batch with one
batched forward pass (``torch.func.functional_call`` under ``torch.func.vmap``,
so ``k`` matrix products become one batched product) and one backward pass
through the sum of the models' losses, whose gradient with respect to a
model's parameters is that model's own gradient.

Each model keeps its own parameters (the modules' own ``nn.Parameter``
objects; while :meth:`StackedModels.fit` runs, their data are views of one
``(models, ...)`` tensor per parameter, so that a step neither copies them
into a stack nor copies the gradients out, see ``StackedModels._share``),
its own loss (its own
``pos_weight`` and class statistics, from its own training rows) and its own
random permutation of its own training rows, drawn exactly as
:class:`skimb._batching.ArrayBatchIterator` draws it. One optimizer holds the
parameters of all models; since every parameter tensor belongs to one model,
any optimizer that updates each tensor from its own gradient (SGD, Adam,
AdamW, RMSprop, ...) updates every model as its own optimizer would, step
counts included: a model with no batch left in a step gets no gradient
(``None``) and is left alone. Hence, without dropout, the stacked models
equal the models trained one after the other with the same seeds, up to
floating-point rounding.

Dropout: a step draws one mask per layer and applies it to every model
(``vmap(randomness="same")``). Each model on its own sees exactly what its
own fit would see, Bernoulli masks drawn afresh at every step; the masks of
different models in one step are not independent, as their initial weights
are not when one ``random_state`` seeds them all. On a CPU, drawing the
masks is a large share of a small model's step (about 10 ns per element),
so drawing them once for all the models saves most of that cost. With
dropout the models therefore differ from the sequential ones in their
draws.

Modules that ``vmap`` cannot run (data-dependent control flow, ``.item()``),
or whose buffers change in training (batch normalisation's running
statistics), are detected by :meth:`StackedModels.check` before training and
raise :class:`NotStackable`; the caller then trains the models one by one.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Sequence

import torch
from torch.func import functional_call, vmap

from ._batching import draw_permutation
from ._sparse_linear import sparse_rows_product, sparse_split

__all__ = ["NonFiniteLoss", "NotStackable", "StackedModels"]


class NotStackable(Exception):
    """The models cannot be trained stacked; the message says why."""


class NonFiniteLoss(FloatingPointError):
    """A model's loss was NaN or infinite in an epoch (checked once per epoch).

    Attributes ``model``, ``epoch`` (from 1), ``batch`` (from 1), ``n_batches``
    and ``value`` say where.
    """

    def __init__(self, model: int, epoch: int, batch: int, n_batches: int, value: float):
        super().__init__(f"model {model}: loss {value} in epoch {epoch}, batch {batch}")
        self.model, self.epoch, self.batch = model, epoch, batch
        self.n_batches, self.value = n_batches, value


def _stack(dicts: Sequence[dict], group: Sequence[int]) -> dict:
    if not dicts[0]:
        return {}
    return {name: torch.stack([dicts[i][name] for i in group]) for name in dicts[0]}


class StackedModels:
    """Modules of one architecture, each with its own loss, evaluated in one batched call.

    Parameters
    ----------
    modules : sequence of torch.nn.Module
        Same class, same parameter and buffer names and shapes; trained in place.
    criteria : sequence of torch.nn.Module
        One loss per module, returning a scalar; same class, each with its own
        buffers (e.g. ``pos_weight``).
    """

    def __init__(self, modules: Sequence[torch.nn.Module], criteria: Sequence[torch.nn.Module]):
        self.modules = list(modules)
        self.criteria = list(criteria)
        self.params = [dict(m.named_parameters()) for m in self.modules]
        self.buffers = [dict(m.named_buffers()) for m in self.modules]
        self.loss_buffers = [dict(c.named_buffers()) for c in self.criteria]
        base, loss = self.modules[0], self.criteria[0]

        def forward(p, b, x):
            return functional_call(base, (p, b), (x,))

        def loss_of(lb, z, y):
            return functional_call(loss, lb, (z, y))

        self._forward = vmap(forward, randomness="same")
        self._vmap_loss = vmap(loss_of)
        # One batched call for the outputs and the losses of a step.
        self._vmap_step = vmap(
            lambda p, b, lb, x, y: loss_of(lb, forward(p, b, x), y), randomness="same"
        )
        self.loss_in_one_call = True
        # Sparse rows (a torch sparse CSR batch): the first Linear layer on them
        # (_sparse_first), the rest of the module under vmap.
        self._first = None
        split = sparse_split(base)
        if split is not None:
            self._first, rest = split
            names = {id(t): n for n, t in (*base.named_parameters(), *base.named_buffers())}
            self._rest_names = [(names[id(t)], n) for n, t in
                                (*rest.named_parameters(), *rest.named_buffers())]

            def rest_forward(p, b, h):
                return functional_call(rest, (p, b), (h,))

            self._vmap_rest = vmap(rest_forward, randomness="same")
            self._vmap_rest_step = vmap(
                lambda p, b, lb, h, y: loss_of(lb, rest_forward(p, b, h), y), randomness="same"
            )
        self._shared: dict[str, torch.Tensor] = {}  # name -> (models, ...) leaf, while fitting
        self._transposed: set[str] = set()  # shared Linear weights, stored (models, in, out)
        self._alias: dict = {}  # a transposed weight -> the contiguous alias the optimizer steps

    def __len__(self) -> int:
        return len(self.modules)

    @property
    def takes_sparse_rows(self) -> bool:
        """Whether :meth:`step_losses` takes sparse CSR rows (the module has ``_sparse_split``)."""
        return self._first is not None

    def train(self, mode: bool = True) -> None:
        for m in (*self.modules, *self.criteria):
            m.train(mode)

    # ------------------------------------------------- parameters in one storage
    def _params(self, group: Sequence[int]) -> dict:
        """The group's parameters stacked ``(len(group), ...)``, differentiable.

        While :meth:`fit` runs, a parameter of all the models lives in one
        ``(models, ...)`` leaf tensor (:meth:`_share`): the whole group is that
        tensor itself (no copy), a part of it is indexed out. Otherwise the
        models' own parameters are stacked afresh.
        """
        if not self._shared:
            return _stack(self.params, group)
        whole = len(group) == len(self) and list(group) == list(range(len(self)))
        index = None if whole else torch.tensor(list(group), device=self._device)
        out = {}
        for name in self.params[0]:
            shared = self._shared.get(name)
            if shared is None:  # a frozen parameter: stacked afresh, it has no gradient
                out[name] = torch.stack([self.params[i][name] for i in group])
                continue
            part = shared if index is None else shared[index]
            out[name] = part.transpose(1, 2) if name in self._transposed else part
        return out

    def _share(self, optimizer: torch.optim.Optimizer) -> None:
        """Move each trainable parameter of all the models into one leaf tensor.

        The models' ``nn.Parameter`` objects stay (the optimizer holds them),
        their data becoming views of the leaf, so an optimizer step on them
        updates the leaf in place. A training step then differentiates with
        respect to the leaf instead of copying every parameter into a stack
        and every gradient out of it (for a wide first layer, e.g. 1,836 x 256
        weights in six models, those copies cost about a sixth of the step);
        :meth:`_hand_gradients` gives each model its part of the gradient.

        A Linear weight's model views are transposed (column-major); the
        optimizer, whose fused kernel would copy such tensors in and out at
        every step, updates contiguous aliases of the same memory instead
        (``self._alias``: the model's parameter -> its ``(in, out)`` alias;
        elementwise updates are the same either way), until :meth:`_unshare`
        puts the parameters back.
        """
        self._device = next(iter(self.params[0].values())).device if self.params[0] else None
        linear = {f"{prefix}.weight" if prefix else "weight"
                  for prefix, module in self.modules[0].named_modules()
                  if isinstance(module, torch.nn.Linear)}
        for name in self.params[0]:
            own = [params[name] for params in self.params]
            if not all(p.requires_grad for p in own):
                continue
            if name in linear:
                # Stored (models, in, out): the layout in which the batched product's
                # backward computes the weights' gradient, which would otherwise be
                # transposed into (models, out, in), a copy as slow as the product.
                leaf = torch.stack([p.detach().t() for p in own]).requires_grad_(True)
                for i, p in enumerate(own):
                    p.data = leaf.data[i].t()
                    self._alias[p] = leaf.data[i]
                self._transposed.add(name)
            else:
                leaf = torch.stack([p.detach() for p in own]).requires_grad_(True)
                for i, p in enumerate(own):
                    p.data = leaf.data[i]
            self._shared[name] = leaf
        self._swap(optimizer, self._alias, lambda value: value.t().contiguous())

    @staticmethod
    def _swap(optimizer, pairs: dict, convert) -> None:
        """Put ``pairs[p]`` where the optimizer holds ``p``, with ``p``'s state converted."""
        if not pairs:
            return
        for group in optimizer.param_groups:
            group["params"] = [pairs.get(p, p) for p in group["params"]]
        for old, new in pairs.items():
            if old in optimizer.state:
                optimizer.state[new] = {
                    key: convert(value) if isinstance(value, torch.Tensor)
                    and value.shape == old.shape else value
                    for key, value in optimizer.state.pop(old).items()
                }

    def _hand_gradients(self, models: Sequence[int]) -> None:
        """Give each model its part of the gradients (views, no copy), where the optimizer looks.

        ``models`` took their step in a batched call: their gradients are in
        the leaves. The others that took one took it alone, through their own
        parameters; a transposed weight's gradient then moves to its alias.
        """
        for name, leaf in self._shared.items():
            transposed = name in self._transposed
            for i in range(len(self)):
                p = self.params[i][name]
                if i in models and leaf.grad is not None:
                    grad = leaf.grad[i]
                elif transposed and p.grad is not None:
                    grad = p.grad.t()
                    p.grad = None
                else:
                    continue
                if transposed:
                    self._alias[p].grad = grad
                else:
                    p.grad = grad
            leaf.grad = None

    def _unshare(self, optimizer: torch.optim.Optimizer) -> None:
        """Give every model its own contiguous storage again, and its optimizer state too.

        A pickled model then holds only its own parameters, in the layout its
        own ``fit`` gives them.
        """
        # back to the parameters as transposed views; made contiguous below
        self._swap(optimizer, {q: p for p, q in self._alias.items()}, lambda value: value.t())
        for name in self._shared:
            for params in self.params:
                p = params[name]
                p.data = p.data.clone(memory_format=torch.contiguous_format)
                p.grad = None
                for key, value in optimizer.state.get(p, {}).items():
                    if isinstance(value, torch.Tensor) and value.shape == p.shape:
                        optimizer.state[p][key] = value.clone(memory_format=torch.contiguous_format)
        self._shared = {}
        self._transposed = set()
        self._alias = {}

    def logits(self, group: Sequence[int], x: torch.Tensor) -> torch.Tensor:
        """Outputs ``(len(group), rows, n_labels)``: ``x[j]`` through model ``group[j]``.

        ``x`` is ``(len(group), rows, n_features)``, or a sparse CSR tensor of
        the groups' rows one after the other (``(len(group) * rows, n_features)``).
        """
        if x.layout == torch.sparse_csr:
            h, params, buffers = self._sparse_first(group, x)
            return self._vmap_rest(params, buffers, h)
        return self._forward(self._params(group), _stack(self.buffers, group), x)

    def _sparse_first(self, group: Sequence[int], x: torch.Tensor):
        """The first layer's outputs ``(len(group), rows, units)`` on sparse rows, and the rest's
        stacked parameters and buffers (named as in the rest module).

        The models' first-layer weights, ``(len(group), in, units)``, are one
        ``(len(group) * in, units)`` table; model ``j``'s rows read its part
        (their column indices shifted by ``j * in``), so one sparse product
        computes every model's layer (:func:`skimb._sparse_linear.sparse_rows_product`).
        """
        if self._first is None:
            raise NotStackable("the module does not take sparse CSR batches")
        params = self._params(group)
        weight = params[self._first + ".weight"].transpose(1, 2)  # (models, in, units)
        bias = params.get(self._first + ".bias")
        g, n_in = weight.shape[0], weight.shape[1]
        crow, col, val = x.crow_indices(), x.col_indices(), x.values()
        rows = (len(crow) - 1) // g
        per_model = crow[::rows].diff()
        shift = torch.repeat_interleave(torch.arange(g, device=col.device) * n_in, per_model,
                                        output_size=len(col))
        h = sparse_rows_product(crow, col + shift, val, weight.reshape(g * n_in, -1))
        h = h.view(g, rows, -1)
        if bias is not None:
            h = h + bias[:, None, :]
        buffers = _stack(self.buffers, group)
        return (h, {rest: params[name] for name, rest in self._rest_names if name in params},
                {rest: buffers[name] for name, rest in self._rest_names if name in buffers})

    def step_losses(self, group: Sequence[int], x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Each model's loss on its own batch ``x[j], y[j]``, shape ``(len(group),)``.

        A group of one model (the tail of an epoch, where the models' batches
        differ in size) calls the module and loss directly, without ``vmap``.
        """
        sparse = x.layout == torch.sparse_csr
        if len(group) == 1:
            i = group[0]
            return self.criteria[i](self.modules[i](x if sparse else x[0]), y[0]).reshape(1)
        if sparse and self.loss_in_one_call:
            h, params, buffers = self._sparse_first(group, x)
            return self._vmap_rest_step(params, buffers, _stack(self.loss_buffers, group), h, y)
        if self.loss_in_one_call:
            return self._vmap_step(
                self._params(group), _stack(self.buffers, group),
                _stack(self.loss_buffers, group), x, y,
            )
        return self.losses(group, self.logits(group, x), y)

    def losses(self, group: Sequence[int], z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Each model's loss on its own outputs and targets, shape ``(len(group),)``."""
        if self.loss_in_one_call:
            return self._vmap_loss(_stack(self.loss_buffers, group), z, y)
        return torch.stack([self.criteria[i](z[j], y[j]) for j, i in enumerate(group)])

    # ---------------------------------------------------------------- checks
    def check(self, x: torch.Tensor, y: torch.Tensor) -> None:
        """Raise :class:`NotStackable` unless the stacked call equals the models' own.

        ``x`` and ``y`` are a few rows ``(n, n_features)`` and ``(n, n_labels)``
        (training data, all models get the same). Compares, in eval mode, the
        batched outputs and losses with each model's and loss's own, then runs
        one training-mode forward and backward pass and checks that it leaves
        the buffers unchanged. A loss that gives other values in one batched
        call is evaluated model by model instead (``loss_in_one_call``).
        """
        names = [tuple((n, p.shape) for n, p in params.items()) for params in self.params]
        if any(n != names[0] for n in names) or any(
            b.keys() != self.buffers[0].keys() for b in self.buffers
        ):
            raise NotStackable("the modules do not all have the same parameters")
        if any(p.requires_grad for c in self.criteria for p in c.parameters()):
            raise NotStackable("the loss has trainable parameters")
        if any(type(c) is not type(self.criteria[0]) for c in self.criteria) or any(
            b.keys() != self.loss_buffers[0].keys() for b in self.loss_buffers
        ):
            raise NotStackable("the losses differ in kind")
        group = range(len(self))
        xs = x.expand(len(self), *x.shape)
        ys = y.expand(len(self), *y.shape)
        self.train(False)
        try:
            with torch.no_grad():
                own = [m(x) for m in self.modules]
                if not all(isinstance(o, torch.Tensor) for o in own):
                    raise NotStackable("the module returns more than one output")
                z = self.logits(group, xs)
                if not torch.allclose(z, torch.stack(own), rtol=1e-4, atol=1e-5):
                    raise NotStackable("the module gives other outputs under torch.func.vmap")
                own_losses = torch.stack([c(o, y) for c, o in zip(self.criteria, own)])
                if own_losses.ndim != 1:
                    raise NotStackable("the loss does not reduce to one value per model")
                try:
                    stacked = self.losses(group, z, ys)
                    self.loss_in_one_call = torch.allclose(
                        stacked, own_losses, rtol=1e-4, atol=1e-6
                    )
                except Exception:  # any failure under vmap means "one by one"
                    self.loss_in_one_call = False
            self.train(True)
            buffers = _stack(self.buffers, group)
            before = {n: b.clone() for n, b in buffers.items()}
            self._forward(_stack(self.params, group), buffers, xs).sum().backward()
        except NotStackable:
            raise
        except Exception as exc:  # vmap refuses in many ways
            raise NotStackable(
                f"torch.func.vmap cannot run it ({type(exc).__name__}: {exc})"
            ) from exc
        finally:
            for params in self.params:
                for p in params.values():
                    p.grad = None
        if any(not torch.equal(b, before[n]) for n, b in buffers.items()):
            raise NotStackable("its buffers change in training (e.g. batch normalisation)")

    # -------------------------------------------------------------- training
    def fit(
        self,
        optimizer: torch.optim.Optimizer,
        gather: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]],
        rows: Sequence[torch.Tensor],
        generators: Sequence[torch.Generator],
        *,
        batch_size: int,
        max_epochs: int | Sequence[int],
        shuffle: bool = True,
        on_epoch_end: Callable[[int], object] | None = None,
    ) -> list[list[dict]]:
        """Train every model on its own rows for ``max_epochs`` epochs.

        Parameters
        ----------
        optimizer : torch.optim.Optimizer
            Over the parameters of all the modules.
        gather : callable
            ``gather(rows) -> (X, y)``: the rows (int64 CPU tensor) of the whole
            data as tensors on the training device.
        rows : sequence of int64 tensors
            The training rows of each model.
        generators : sequence of torch.Generator
            Each model's source of its epochs' permutations.
        batch_size : int
            Rows per batch (``-1``: all of a model's rows).
        max_epochs : int or sequence of int
            Epochs of every model, or of each model (a model whose epochs are
            done takes no further batches, draws no further permutations and
            gets no gradient: as if it had stopped on its own).
        shuffle : bool, default=True
        on_epoch_end : callable or None
            Called with the epoch number (from 1) after each epoch.

        Raises
        ------
        NonFiniteLoss
            At the end of the first epoch in which a model's loss was NaN or
            infinite (the losses are read once per epoch, not per batch).

        Returns
        -------
        list of list of dict
            Per model, per epoch: ``{"losses": [...], "sizes": [...], "dur": s}``
            with the loss and the size of each of its batches.
        """
        m = len(self)
        epochs = [max_epochs] * m if isinstance(max_epochs, int) else list(max_epochs)
        sizes = [len(r) for r in rows]
        per_epoch = [1 if batch_size == -1 else -(-n // batch_size) for n in sizes]
        history: list[list[dict]] = [[] for _ in range(m)]
        self.train(True)
        self._share(optimizer)
        try:
            self._fit_epochs(optimizer, gather, rows, generators, batch_size, epochs, sizes,
                             per_epoch, shuffle, on_epoch_end, history)
        finally:
            self._unshare(optimizer)
        return history

    def _fit_epochs(self, optimizer, gather, rows, generators, batch_size, epochs, sizes,
                    per_epoch, shuffle, on_epoch_end, history) -> None:
        m = len(self)
        for epoch in range(max(epochs, default=0)):
            start = time.perf_counter()
            active = [i for i in range(m) if epoch < epochs[i]]
            steps = [per_epoch[i] if epoch < epochs[i] else 0 for i in range(m)]
            orders = {}
            for i in active:
                perm = draw_permutation(shuffle, sizes[i], generator=generators[i])
                orders[i] = rows[i] if perm is None else rows[i][perm]
            recorded = {i: ([], []) for i in active}
            for step in range(max(steps, default=0)):
                groups = defaultdict(list)
                for i in range(m):
                    if step < steps[i]:
                        b = sizes[i] if batch_size == -1 else batch_size
                        groups[min(b, sizes[i] - step * b)].append(i)
                total = None
                stacked = []  # models whose gradient comes from the shared leaves
                for size, group in groups.items():
                    if len(group) > 1:
                        stacked += group
                    first = step * (sizes[group[0]] if batch_size == -1 else batch_size)
                    index = torch.cat([orders[i][first:first + size] for i in group])
                    xb, yb = gather(index)
                    if xb.layout != torch.sparse_csr:  # sparse: the rows one after the other
                        xb = xb.view(len(group), size, *xb.shape[1:])
                    yb = yb.view(len(group), size, *yb.shape[1:])
                    loss = self.step_losses(group, xb, yb)
                    total = loss.sum() if total is None else total + loss.sum()
                    for j, i in enumerate(group):
                        recorded[i][0].append(loss[j].detach())
                        recorded[i][1].append(size)
                optimizer.zero_grad(set_to_none=True)
                total.backward()
                self._hand_gradients(stacked)
                optimizer.step()
            dur = time.perf_counter() - start
            for i, (losses, batch_sizes) in recorded.items():
                values = torch.stack(losses).tolist() if losses else []  # one sync per epoch
                history[i].append({"losses": values, "sizes": batch_sizes, "dur": dur})
                bad = [b for b, v in enumerate(values) if not math.isfinite(v)]
                if bad:
                    raise NonFiniteLoss(i, epoch + 1, bad[0] + 1, len(values), values[bad[0]])
            if on_epoch_end is not None:
                on_epoch_end(epoch + 1)
