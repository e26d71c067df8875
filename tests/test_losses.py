"""Each loss against an independent float64 reference of its formula, the
identities with cross-entropy, and the numerical and side-effect contract."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from skimb.losses import BCELoss, MultiLabelLoss, get_loss

N_TRAIN = 200
COUNTS = np.array([0, 40, 7, 120, 3])  # label 0 has no positives in the training data
C = COUNTS.size
POS_WEIGHT = np.array([100.0, 4.0, 27.5, 0.6667, 65.7])

# (name, constructor parameters) — defaults and non-default settings of every loss.
CONFIGS = [
    ("bce", {}),
    ("bce", {"pos_weight": POS_WEIGHT}),
    ("focal", {}),
    ("focal", {"gamma": 0.5, "alpha": None, "pos_weight": POS_WEIGHT}),
    ("focal", {"gamma": 1.5, "alpha": 0.6}),
    ("asymmetric", {}),
    ("asymmetric", {"gamma_pos": 0.0, "gamma_neg": 2.0, "clip": 0.0}),
    ("asymmetric", {"gamma_pos": 0.3, "gamma_neg": 0.5, "clip": 0.2}),
    ("class_balanced", {"class_counts": COUNTS}),
    ("class_balanced", {"class_counts": COUNTS, "beta": 0.99, "gamma": 1.0}),
    ("distribution_balanced", {"class_counts": COUNTS, "n_samples": N_TRAIN}),
    (
        "distribution_balanced",
        {"class_counts": COUNTS, "n_samples": N_TRAIN, "gamma": 0.0, "neg_scale": 1.5,
         "kappa": 0.3, "alpha": 0.2, "beta": 4.0, "mu": 0.5},
    ),
    ("logit_adjusted", {"class_counts": COUNTS, "n_samples": N_TRAIN}),
    ("logit_adjusted", {"class_counts": COUNTS, "n_samples": N_TRAIN, "tau": 0.5}),
    ("ldam", {"class_counts": COUNTS}),
    ("ldam", {"class_counts": COUNTS, "max_margin": 1.0, "scale": 2.0}),
    ("f1_weighted", {}),
    ("soft_f1", {}),
    ("soft_f1", {"eps": 0.5}),
    ("zlpr", {}),
    ("two_way", {}),
    ("two_way", {"Tp": 1.0, "Tn": 2.0}),
]
CONFIG_IDS = [f"{name}-{i}" for i, (name, _) in enumerate(CONFIGS)]
REDUCTIONS = ["mean", "sum", "none"]


def build(name: str, params: dict, reduction: str = "mean") -> MultiLabelLoss:
    return get_loss(name)(**params, reduction=reduction)


def data(kind: str, n: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Float64 logits and 0/1 targets; the edge kinds have empty and full groups."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 2.5, size=(n, C))
    y = (rng.random((n, C)) < 0.35).astype(np.float64)
    if kind == "edges_zero":  # a label and a row without positives
        y[:, 0] = 0
        y[2, :] = 0
    elif kind == "edges_one":  # a label and a row with only positives
        y[:, 1] = 1
        y[3, :] = 1
    return z, y


# -- plain float64 references, written independently of skimb's code ------------------


def log_sigmoid(x: float) -> float:
    return -math.log1p(math.exp(-x)) if x >= 0 else x - math.log1p(math.exp(x))


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def softplus(x: float) -> float:
    return math.log1p(math.exp(x)) if x < 30 else x + math.log1p(math.exp(-x))


def prior_logit(n_c: float, n: int) -> float:
    pi = min(max(n_c, 0.5), n - 0.5) / n
    return math.log(pi / (1 - pi))


def elementwise(fn):
    """Reference of a per-element loss: (none, mean, sum) from fn(i, j, z, y)."""

    def reference(z, y, **params):
        out = np.zeros_like(z)
        for i in range(z.shape[0]):
            for j in range(z.shape[1]):
                out[i, j] = fn(i, j, z, y, **params)
        return out, out.mean(), out.sum()

    return reference


@elementwise
def ref_bce(i, j, z, y, pos_weight=None):
    w = 1.0 if pos_weight is None else pos_weight[j]
    x = z[i, j]
    return -w * y[i, j] * log_sigmoid(x) - (1 - y[i, j]) * log_sigmoid(-x)


@elementwise
def ref_focal(i, j, z, y, gamma=2.0, alpha=0.25, pos_weight=None):
    p = sigmoid(z[i, j])
    a_pos, a_neg = (1.0, 1.0) if alpha is None else (alpha, 1 - alpha)
    w = 1.0 if pos_weight is None else pos_weight[j]
    if y[i, j] == 1:
        return -a_pos * w * (1 - p) ** gamma * math.log(p)
    return -a_neg * p**gamma * math.log(1 - p)


@elementwise
def ref_asymmetric(i, j, z, y, gamma_pos=1.0, gamma_neg=4.0, clip=0.05):
    p = sigmoid(z[i, j])
    if y[i, j] == 1:
        return -((1 - p) ** gamma_pos) * math.log(p)
    p_m = max(p - clip, 0.0)
    return -(p_m**gamma_neg) * math.log(1 - p_m)


@elementwise
def ref_class_balanced(i, j, z, y, class_counts, beta=0.999, gamma=0.0):
    raw = [(1 - beta) / (1 - beta ** max(n_c, 1)) for n_c in class_counts]
    w = raw[j] * len(raw) / sum(raw)
    p = sigmoid(z[i, j])
    if y[i, j] == 1:
        return -w * (1 - p) ** gamma * math.log(p)
    return -w * p**gamma * math.log(1 - p)


@elementwise
def ref_distribution_balanced(i, j, z, y, class_counts, n_samples, alpha=0.1, beta=10.0,
                              mu=0.2, neg_scale=2.0, kappa=0.05, gamma=2.0):
    inv = [1.0 / max(n_c, 1) for n_c in class_counts]
    row_total = sum(inv[k] for k in range(len(inv)) if y[i, k] == 1)
    if row_total > 0:
        w = alpha + sigmoid(beta * (inv[j] / row_total - mu))
    else:
        w = alpha + 1.0
    zt = z[i, j] + kappa * prior_logit(class_counts[j], n_samples)
    if y[i, j] == 1:
        p = sigmoid(zt)
        return -w * (1 - p) ** gamma * math.log(p)
    p = sigmoid(neg_scale * zt)
    return -w / neg_scale * p**gamma * math.log(1 - p)


@elementwise
def ref_logit_adjusted(i, j, z, y, class_counts, n_samples, tau=1.0):
    x = z[i, j] + tau * prior_logit(class_counts[j], n_samples)
    return -y[i, j] * log_sigmoid(x) - (1 - y[i, j]) * log_sigmoid(-x)


@elementwise
def ref_ldam(i, j, z, y, class_counts, max_margin=0.5, scale=30.0):
    quarter = [max(n_c, 1) ** -0.25 for n_c in class_counts]
    delta = max_margin * quarter[j] / max(quarter)
    x = scale * (z[i, j] - delta * y[i, j])
    return -y[i, j] * log_sigmoid(x) - (1 - y[i, j]) * log_sigmoid(-x)


def ref_f1_weighted(z, y, frozen_at=None):
    """``frozen_at``: logits the F1 weights are computed from (default ``z``)."""
    n, c = z.shape
    f1_from = z if frozen_at is None else frozen_at
    out = np.zeros_like(z)
    for j in range(c):
        tp = sum(sigmoid(f1_from[i, j]) * y[i, j] for i in range(n))
        den = sum(sigmoid(f1_from[i, j]) + y[i, j] for i in range(n))
        f1 = 2 * tp / den if den > 0 else 0.0
        for i in range(n):
            if y[i, j] == 1:
                out[i, j] = -(1 - f1 / 2) * log_sigmoid(z[i, j])
            else:
                out[i, j] = -(f1 / 2) * log_sigmoid(-z[i, j])
    return out, out.mean(), out.sum()


def ref_soft_f1(z, y, eps=1e-6):
    n, c = z.shape
    out = np.zeros(c)
    for j in range(c):
        tp = fp = fn = 0.0
        for i in range(n):
            p = sigmoid(z[i, j])
            tp += p * y[i, j]
            fp += p * (1 - y[i, j])
            fn += (1 - p) * y[i, j]
        out[j] = 1 - 2 * tp / (2 * tp + fp + fn + eps)
    return out, out.mean(), out.sum()


def ref_zlpr(z, y):
    out = np.zeros(z.shape[0])
    for i in range(z.shape[0]):
        neg = sum(math.exp(z[i, j]) for j in range(z.shape[1]) if y[i, j] == 0)
        pos = sum(math.exp(-z[i, j]) for j in range(z.shape[1]) if y[i, j] == 1)
        out[i] = math.log(1 + neg) + math.log(1 + pos)
    return out, out.mean(), out.sum()


def ref_two_way(z, y, Tp=4.0, Tn=1.0):
    def group(values, labels):
        pos = [v for v, t in zip(values, labels) if t == 1]
        neg = [v for v, t in zip(values, labels) if t == 0]
        if not pos:
            return None
        if not neg:
            return 0.0
        hardest_neg = Tn * math.log(sum(math.exp(v / Tn) for v in neg))
        hardest_pos = Tp * math.log(sum(math.exp(-v / Tp) for v in pos))
        return softplus(hardest_neg + hardest_pos)

    per_class = [group(z[:, j], y[:, j]) for j in range(z.shape[1])]
    per_sample = [group(z[i], y[i]) for i in range(z.shape[0])]
    none = np.array([0.0 if v is None else v for v in per_class + per_sample])
    kept_c = [v for v in per_class if v is not None]
    kept_s = [v for v in per_sample if v is not None]
    mean = (np.mean(kept_c) if kept_c else 0.0) + (np.mean(kept_s) if kept_s else 0.0)
    return none, mean, none.sum()


REFERENCES = {
    "bce": ref_bce,
    "focal": ref_focal,
    "asymmetric": ref_asymmetric,
    "class_balanced": ref_class_balanced,
    "distribution_balanced": ref_distribution_balanced,
    "logit_adjusted": ref_logit_adjusted,
    "ldam": ref_ldam,
    "f1_weighted": ref_f1_weighted,
    "soft_f1": ref_soft_f1,
    "zlpr": ref_zlpr,
    "two_way": ref_two_way,
}


def test_every_registered_builtin_loss_has_a_reference_and_configs():
    builtin = {name for name in REFERENCES}
    assert builtin == {name for name, _ in CONFIGS}
    assert len(builtin) == 11


@pytest.mark.parametrize("kind", ["random", "edges_zero", "edges_one"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("name", "params"), CONFIGS, ids=CONFIG_IDS)
def test_loss_matches_float64_reference(name, params, reduction, kind):
    z, y = data(kind)
    got = build(name, params, reduction)(torch.from_numpy(z), torch.from_numpy(y))
    assert got.dtype == torch.float64
    none, mean, total = REFERENCES[name](z, y, **params)
    expected = {"none": none, "mean": mean, "sum": total}[reduction]
    # buffers are float32, so agreement is to float32 rounding of the statistics
    np.testing.assert_allclose(got.numpy(), expected, rtol=2e-6, atol=1e-9)


@pytest.mark.parametrize(("name", "params"), CONFIGS, ids=CONFIG_IDS)
def test_gradient_matches_finite_differences_of_reference(name, params):
    z, y = data("edges_zero", n=6, seed=7)
    t = torch.from_numpy(z).requires_grad_(True)
    build(name, params)(t, torch.from_numpy(y)).backward()
    extra = {"frozen_at": z} if name == "f1_weighted" else {}  # F1 is not differentiated

    def mean_loss(zz):
        return REFERENCES[name](zz, y, **params, **extra)[1]

    h = 1e-6
    numeric = np.zeros_like(z)
    for idx in np.ndindex(z.shape):
        up, down = z.copy(), z.copy()
        up[idx] += h
        down[idx] -= h
        numeric[idx] = (mean_loss(up) - mean_loss(down)) / (2 * h)
    np.testing.assert_allclose(t.grad.numpy(), numeric, rtol=1e-4, atol=1e-7)


def confident_and_right(n: int = 8, seed: int = 8):
    """Every label has positives and negatives; logits +/-200 on the right side."""
    rng = np.random.default_rng(seed)
    y = (rng.random((n, C)) < 0.4).astype(np.float32)
    y[0], y[1] = 1, 0
    return torch.from_numpy(200 * (2 * y - 1)), torch.from_numpy(y)


# soft_f1 with a large eps keeps a loss of eps / (2 tp + eps) by design
CONFIDENT = [(n, p) for n, p in CONFIGS if p.get("eps", 0) < 0.1]


@pytest.mark.parametrize(("name", "params"), CONFIDENT, ids=[n for n, _ in CONFIDENT])
def test_confident_right_predictions_cost_nothing(name, params):
    # guards against leaky masks: a masked logit of 200 must not enter a sum
    z, y = confident_and_right()
    assert float(build(name, params)(z, y)) < 1e-5


# -- identities -----------------------------------------------------------------------

IDENTITIES = [
    ("asymmetric", {"gamma_pos": 0.0, "gamma_neg": 0.0, "clip": 0.0}),
    ("focal", {"gamma": 0.0, "alpha": None}),
    ("class_balanced", {"class_counts": COUNTS, "beta": 0.0}),
    ("logit_adjusted", {"class_counts": COUNTS, "n_samples": N_TRAIN, "tau": 0.0}),
    ("ldam", {"class_counts": COUNTS, "max_margin": 0.0, "scale": 1.0}),
    ("distribution_balanced",
     {"class_counts": COUNTS, "n_samples": N_TRAIN, "alpha": 0.0, "beta": 0.0, "mu": 0.0,
      "neg_scale": 1.0, "kappa": 0.0, "gamma": 0.0}),
]


@pytest.mark.filterwarnings("ignore::skimb.losses.DoubleWeightingWarning")
@pytest.mark.parametrize("with_pos_weight", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("name", "params"), IDENTITIES, ids=[n for n, _ in IDENTITIES])
def test_loss_reduces_to_bce(name, params, reduction, with_pos_weight):
    z, y = data("edges_one", seed=3)  # every row has a positive (see the DB weights)
    z, y = torch.from_numpy(z), torch.from_numpy(y)
    pw = {"pos_weight": POS_WEIGHT} if with_pos_weight else {}
    got = build(name, {**params, **pw}, reduction)(z, y)
    expected = BCELoss(**pw, reduction=reduction)(z, y)
    if name == "distribution_balanced":
        expected = expected * 0.5  # alpha + sigmoid(0) = 1/2 on every element
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)


def test_bce_matches_torch_bce_with_logits():
    z, y = (torch.from_numpy(a) for a in data("random", seed=5))
    pw = torch.from_numpy(POS_WEIGHT).float()
    torch_loss = torch.nn.BCEWithLogitsLoss(pos_weight=pw.double())(z, y)
    torch.testing.assert_close(BCELoss(pos_weight=pw)(z, y), torch_loss, rtol=1e-6, atol=0)


# -- numerics ------------------------------------------------------------------------


def extreme_batch(dtype=torch.float32):
    """Logits of +/-1e4, right and wrong, with empty and full groups."""
    signs = torch.tensor(
        [[1, -1, 1, -1, 1], [-1, 1, -1, 1, -1], [1, 1, 1, 1, 1], [-1, -1, -1, -1, -1]],
        dtype=dtype,
    )
    y = torch.tensor(
        [[1, 0, 0, 1, 1], [1, 0, 1, 0, 0], [0, 1, 1, 1, 1], [0, 0, 0, 0, 0]], dtype=dtype
    )
    return 1e4 * signs, y


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize(("name", "params"), CONFIGS, ids=CONFIG_IDS)
def test_finite_loss_and_gradient_at_extreme_logits(name, params, reduction):
    z, y = extreme_batch()
    z.requires_grad_(True)
    loss = build(name, params, reduction)(z, y)
    loss.backward()
    assert loss.dtype == torch.float32
    assert torch.isfinite(loss).all()
    assert torch.isfinite(z.grad).all()


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
@pytest.mark.parametrize(("name", "params"), CONFIGS, ids=CONFIG_IDS)
def test_finite_under_cpu_autocast(name, params, dtype):
    signs, y = extreme_batch()
    x = (signs / 1e4).clone().requires_grad_(True)
    weight = torch.full((C,), 1e4).diag().requires_grad_(True)
    try:
        with torch.autocast("cpu", dtype=dtype):
            z = x @ weight  # a half-precision matmul, as a network's last layer gives
            loss = build(name, params)(z, y)
    except RuntimeError as exc:  # pragma: no cover - depends on the torch build
        pytest.skip(f"CPU autocast to {dtype} unavailable: {exc}")
    assert z.dtype == dtype
    assert loss.dtype == torch.float32
    loss.backward()
    assert torch.isfinite(loss)
    assert torch.isfinite(x.grad).all() and torch.isfinite(weight.grad).all()


def badly_wrong_positive():
    z = torch.tensor([[-30.0, 1.0, -1.0], [2.0, -2.0, 0.5], [0.0, 0.3, -0.7], [1.0, 0.0, 2.0]])
    y = torch.tensor([[1.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 1.0]])
    return z.requires_grad_(True), y


def configs_for_three_labels():
    counts = np.array([5, 40, 120])
    out = []
    for name, params in CONFIGS:
        params = dict(params)
        if "class_counts" in params:
            params["class_counts"] = counts
        if "pos_weight" in params:
            params["pos_weight"] = POS_WEIGHT[:3]
        out.append((name, params))
    return out


@pytest.mark.parametrize(
    ("name", "params"),
    [c for c in configs_for_three_labels() if c[0] != "soft_f1"],
    ids=[i for i, c in zip(CONFIG_IDS, CONFIGS) if c[0] != "soft_f1"],
)
def test_badly_wrong_positive_keeps_its_gradient(name, params):
    z, y = badly_wrong_positive()
    build(name, params, "sum")(z, y).backward()
    # the loss must push the logit up with a slope of order 1 (BCE's is -1);
    # log(sigmoid(z).clamp(1e-7)) would give exactly 0 here
    assert z.grad[0, 0] < -0.05


def test_soft_f1_gradient_at_a_badly_wrong_positive_is_what_its_formula_gives():
    # soft F1 differentiates through sigmoid(z): at z = -30 the slope is ~exp(-30),
    # a property of the formula (documented), not a numerical accident
    z, y = badly_wrong_positive()
    build("soft_f1", {}, "sum")(z, y).backward()
    assert 0 > z.grad[0, 0] > -1e-10


def test_low_gamma_focusing_has_finite_gradient_at_confident_elements():
    # (1 - p) ** gamma has an infinite slope at p = 1 when gamma < 1
    z = torch.tensor([[40.0, -40.0, 200.0, -200.0]], requires_grad=True)
    y = torch.tensor([[1.0, 0.0, 1.0, 0.0]])
    for loss in (
        get_loss("focal")(gamma=0.3),
        get_loss("asymmetric")(gamma_pos=0.3, gamma_neg=0.3, clip=0.0),
        get_loss("asymmetric")(gamma_pos=0.3, gamma_neg=0.3, clip=0.05),
    ):
        z.grad = None
        loss(z, y).backward()
        assert torch.isfinite(z.grad).all()


# -- statistics with degenerate labels ---------------------------------------------


def test_zero_and_all_positive_labels_give_finite_statistics():
    n = 50
    counts = np.array([0, n, 5])  # a label never positive, a label always positive
    pos_weight = np.clip((n - counts) / np.maximum(counts, 1), 0, 100).astype(np.float32)
    stats = {"class_counts": counts, "n_samples": n, "pos_weight": pos_weight}
    z = torch.randn(6, 3, requires_grad=True)
    y = torch.tensor([[0, 1, 1], [0, 1, 0]] * 3, dtype=torch.float32)
    for name, params in CONFIGS:
        cls = get_loss(name)
        kwargs = {k: v for k, v in params.items() if k not in stats}
        kwargs.update({k: stats[k] for k in cls.statistics if not (
            k == "pos_weight" and cls.balances_classes)})
        loss = cls(**kwargs)
        for buffer_name, buffer in loss.named_buffers():
            assert torch.isfinite(buffer).all(), (name, buffer_name)
        z.grad = None
        value = loss(z, y)
        value.backward()
        assert torch.isfinite(value) and torch.isfinite(z.grad).all(), name


# -- side effects --------------------------------------------------------------------


@pytest.mark.parametrize(("name", "params"), CONFIGS, ids=CONFIG_IDS)
def test_caller_tensors_are_not_modified(name, params):
    z, y = (torch.from_numpy(a).float() for a in data("edges_zero", seed=1))
    z.requires_grad_(True)
    z_before, y_before = z.detach().clone(), y.clone()
    build(name, params)(z, y).backward()
    assert torch.equal(z.detach(), z_before)
    assert torch.equal(y, y_before)


@pytest.mark.parametrize(("name", "params"), CONFIGS, ids=CONFIG_IDS)
def test_global_grad_mode_is_unchanged(name, params):
    z, y = (torch.from_numpy(a).float() for a in data("random", seed=2))
    loss = build(name, params)
    with torch.no_grad():
        out = loss(z.requires_grad_(True), y)
        assert not torch.is_grad_enabled()
    assert not out.requires_grad
    assert torch.is_grad_enabled()
    assert loss(z, y).requires_grad
    assert torch.is_grad_enabled()


# -- batch structure ------------------------------------------------------------------


PER_SAMPLE = [(n, p) for n, p in CONFIGS if not get_loss(n).batch_coupled]


@pytest.mark.parametrize(("name", "params"), PER_SAMPLE, ids=[n for n, _ in PER_SAMPLE])
def test_mean_of_a_duplicated_batch(name, params):
    z, y = (torch.from_numpy(a) for a in data("edges_zero", seed=4))
    loss = build(name, params)
    doubled = loss(torch.cat([z, z]), torch.cat([y, y]))
    torch.testing.assert_close(loss(z, y), doubled, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("name", "params"), CONFIGS, ids=CONFIG_IDS)
def test_batch_coupled_flag_is_honest(name, params):
    """A per-sample loss's batch mean is the mean of its halves' means; a
    batch-coupled loss's is not, and its docstring says so."""
    z, y = (torch.from_numpy(a) for a in data("random", n=16, seed=6))
    loss = build(name, params)
    halves = (loss(z[:8], y[:8]) + loss(z[8:], y[8:])) / 2
    if loss.batch_coupled:
        assert not torch.allclose(loss(z, y), halves, rtol=1e-6, atol=0)
        assert "Batch-coupled" in type(loss).__doc__
    else:
        torch.testing.assert_close(loss(z, y), halves, rtol=1e-12, atol=1e-12)
        assert "Batch-coupled" not in type(loss).__doc__


# -- properties ------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from(sorted(REFERENCES)),
    n=st.integers(1, 6),
    logits=st.lists(st.floats(-1e4, 1e4, width=32), min_size=6 * C, max_size=6 * C),
    targets=st.lists(st.booleans(), min_size=6 * C, max_size=6 * C),
)
def test_any_finite_logits_give_a_finite_non_negative_loss(name, n, logits, targets):
    params = dict(next(p for nm, p in CONFIGS if nm == name))
    z = torch.tensor(logits[: n * C]).reshape(n, C).requires_grad_(True)
    y = torch.tensor(targets[: n * C], dtype=torch.float32).reshape(n, C)
    value = build(name, params)(z, y)
    value.backward()
    assert torch.isfinite(value) and value >= 0
    assert torch.isfinite(z.grad).all()
