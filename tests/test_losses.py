"""Tests for functional_micrograd.losses: max_margin against micrograd's demo, mse, cross_entropy.

cross_entropy's oracle is the formula computed with ``math`` on the model's
logits, and central finite differences for its gradients.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from typing import Any

import micrograd.engine
import micrograd.nn
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import functional_micrograd as fm
from functional_micrograd.losses import LossResult, cross_entropy, max_margin, mse

TOL = 1e-9


def close(a: float, b: float, tol: float = TOL) -> bool:
    """Equal to ``tol``, relative for large numbers and absolute near zero."""
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def micrograd_twin(model: fm.nn.MLP, nin: int, nouts: list[int]) -> micrograd.nn.MLP:
    """micrograd's MLP of the same shape, holding the same weights."""
    saved = random.getstate()  # micrograd initialises from the global random
    try:
        twin = micrograd.nn.MLP(nin, nouts)
    finally:
        random.setstate(saved)
    ours = fm.nn.parameters(model)
    theirs = twin.parameters()
    assert len(ours) == len(theirs)
    for p, q in zip(ours, theirs):
        q.data = p.data
    return twin


def micrograd_demo_loss(
    model: micrograd.nn.MLP, xs: Sequence[Sequence[float]], ys: Sequence[float], alpha: float
) -> tuple[Any, Any, Any, float]:
    """The loss cell of micrograd's demo notebook, line for line (no batching)."""
    Value = micrograd.engine.Value
    inputs = [list(map(Value, xrow)) for xrow in xs]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(ys, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = alpha * sum(p * p for p in model.parameters())
    total_loss = data_loss + reg_loss
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(ys, scores)]
    return total_loss, data_loss, reg_loss, sum(accuracy) / len(accuracy)


def assert_matches_micrograd(
    model: fm.nn.MLP,
    nouts: list[int],
    xs: Sequence[Sequence[float]],
    ys: Sequence[float],
    alpha: float,
) -> None:
    ours = max_margin(model, xs, ys, alpha=alpha)
    twin = micrograd_twin(model, 2, nouts)
    total, data, reg, accuracy = micrograd_demo_loss(twin, xs, ys, alpha)
    twin.zero_grad()
    total.backward()
    assert close(ours.total_loss.data, total.data)
    assert close(ours.data_loss.data, data.data)
    assert close(ours.reg_loss.data, reg.data)
    assert ours.accuracy == accuracy
    g = fm.backward(ours.total_loss)
    for p, q in zip(fm.nn.parameters(model), twin.parameters(), strict=True):
        assert close(g[p], q.grad), (p.label, g[p], q.grad)


# -- max_margin against micrograd's demo ------------------------------------------


def test_max_margin_matches_micrograd_demo_loss_and_every_gradient() -> None:
    ds = fm.datasets.moons(20, noise=0.1)
    model = fm.nn.mlp(2, [16, 16, 1], seed=1337)
    assert_matches_micrograd(model, [16, 16, 1], ds.xs, ds.ys, alpha=1e-4)


def test_max_margin_matches_micrograd_demo_after_training() -> None:
    # Trained weights put many points past the margin, where relu's derivative is 0.
    ds = fm.datasets.moons(20, noise=0.1, seed=3)
    run = fm.train(fm.nn.mlp(2, [8, 8, 1], seed=4), ds, steps=15)
    assert run.final_accuracy > 0.5
    assert_matches_micrograd(run.final_model, [8, 8, 1], ds.xs, ds.ys, alpha=1e-4)


@given(
    model_seed=st.integers(0, 2**32),
    data_seed=st.integers(0, 2**32),
    n=st.integers(2, 12),
    # micrograd's Layer hands a one-neuron layer's output on unwrapped, so widths >= 2
    hidden=st.lists(st.integers(2, 6), min_size=0, max_size=2),
    alpha=st.sampled_from([0.0, 1e-4, 1e-2, 0.5]),
)
@settings(max_examples=25, deadline=None)
def test_max_margin_matches_micrograd_any_model_and_data(
    model_seed: int, data_seed: int, n: int, hidden: list[int], alpha: float
) -> None:
    nouts = [*hidden, 1]
    ds = fm.datasets.moons(n, noise=0.2, seed=data_seed)
    model = fm.nn.mlp(2, nouts, seed=model_seed)
    assert_matches_micrograd(model, nouts, ds.xs, ds.ys, alpha=alpha)


def test_max_margin_default_alpha_is_the_demos() -> None:
    ds = fm.datasets.moons(10, noise=0.1)
    model = fm.nn.mlp(2, [4, 1], seed=2)
    default = max_margin(model, ds.xs, ds.ys)
    explicit = max_margin(model, ds.xs, ds.ys, alpha=1e-4)
    assert default.total_loss.data == explicit.total_loss.data
    expected_reg = 1e-4 * sum(p.data * p.data for p in fm.nn.parameters(model))
    assert close(default.reg_loss.data, expected_reg)


def test_max_margin_result_fields() -> None:
    ds = fm.datasets.moons(10, noise=0.1)
    result = max_margin(fm.nn.mlp(2, [4, 1], seed=2), ds.xs, ds.ys)
    assert isinstance(result, LossResult)
    for name in ("total_loss", "data_loss", "reg_loss"):
        assert isinstance(getattr(result, name), fm.Value)
    assert isinstance(result.accuracy, float)
    assert isinstance(result.scores, tuple)
    assert len(result.scores) == len(ds)
    assert all(isinstance(s, fm.Value) for s in result.scores)
    assert result.total_loss.data == result.data_loss.data + result.reg_loss.data
    assert "LossResult(" in repr(result)


def test_max_margin_hand_computed_neuron() -> None:
    # A linear neuron scoring 2x: scores 2.0 and -0.5 for labels 1 and 1.
    model = fm.nn.with_parameters(fm.nn.neuron(1, activation="linear"), [2.0, 0.0])
    result = max_margin(model, [(1.0,), (-0.25,)], [1.0, 1.0], alpha=0.5)
    # relu(1 - 2) = 0, relu(1 + 0.5) = 1.5; mean 0.75; reg 0.5 * (4 + 0)
    assert result.data_loss.data == 0.75
    assert result.reg_loss.data == 2.0
    assert result.total_loss.data == 2.75
    assert result.accuracy == 0.5
    g = fm.backward(result.total_loss)
    w, b = fm.nn.parameters(model)
    # only the second point is inside the margin: d/dw = -y * x / n + 2 * alpha * w
    assert g[w] == pytest.approx(0.25 / 2 + 2.0)
    assert g[b] == pytest.approx(-1.0 / 2)


def test_max_margin_score_zero_counts_as_negative_prediction() -> None:
    # the demo's accuracy: (y > 0) == (score > 0), so a score of exactly 0 predicts -1
    model = fm.nn.with_parameters(fm.nn.neuron(1, activation="linear"), [0.0, 0.0])
    result = max_margin(model, [(1.0,), (2.0,)], [-1.0, 1.0], alpha=0.0)
    assert result.accuracy == 0.5
    assert result.data_loss.data == 1.0


def test_max_margin_leaves_model_unchanged() -> None:
    ds = fm.datasets.moons(10, noise=0.1)
    model = fm.nn.mlp(2, [4, 1], seed=2)
    before = [(p.id, p.data) for p in fm.nn.parameters(model)]
    max_margin(model, ds.xs, ds.ys)
    assert [(p.id, p.data) for p in fm.nn.parameters(model)] == before


@given(
    model_seed=st.integers(0, 1000),
    n=st.integers(2, 15),
    batch_size=st.none() | st.integers(1, 15),
)
@settings(max_examples=30, deadline=None)
def test_max_margin_accuracy_in_unit_interval(
    model_seed: int, n: int, batch_size: int | None
) -> None:
    ds = fm.datasets.moons(n, noise=0.3, seed=model_seed)
    size = None if batch_size is None else min(batch_size, n)
    result = max_margin(fm.nn.mlp(2, [3, 1], seed=model_seed), ds.xs, ds.ys, batch_size=size)
    assert 0.0 <= result.accuracy <= 1.0
    assert len(result.scores) == (n if size is None else size)
    hits = result.accuracy * len(result.scores)
    assert abs(hits - round(hits)) < 1e-9


# -- batches ----------------------------------------------------------------------


def tagging_model() -> fm.nn.Neuron:
    """A linear neuron whose score tells which point it was given: x + 1000 * y."""
    return fm.nn.with_parameters(fm.nn.neuron(2, activation="linear"), [1.0, 1000.0, 0.0])


def tagged_points(n: int) -> tuple[list[tuple[float, float]], list[float]]:
    xs = [(float(i), float(i % 3)) for i in range(n)]
    ys = [1.0 if i % 2 else -1.0 for i in range(n)]
    return xs, ys


def picked(result: LossResult) -> list[int]:
    """Which points a batch used, read back from the tagging model's scores."""
    by_score = {x + 1000.0 * y: i for i, (x, y) in enumerate(tagged_points(40)[0])}
    return [by_score[s.data] for s in result.scores]


@given(n=st.integers(1, 40), data=st.data())
@settings(max_examples=40, deadline=None)
def test_max_margin_batch_is_deterministic_subset_without_replacement(
    n: int, data: st.DataObject
) -> None:
    batch_size = data.draw(st.integers(1, n), label="batch_size")
    seed = data.draw(st.integers(0, 2**64), label="seed")
    xs, ys = tagged_points(n)
    model = tagging_model()
    first = max_margin(model, xs, ys, batch_size=batch_size, seed=seed)
    again = max_margin(model, xs, ys, batch_size=batch_size, seed=seed)
    indices = picked(first)
    assert len(first.scores) == batch_size
    assert len(set(indices)) == batch_size
    assert all(0 <= i < n for i in indices)
    assert picked(again) == indices
    assert again.total_loss.data == first.total_loss.data
    # the batch's loss is the demo's loss on exactly those points
    margins = [max(0.0, 1.0 - ys[i] * first.scores[j].data) for j, i in enumerate(indices)]
    assert close(first.data_loss.data, sum(margins) / batch_size)
    accuracy = sum((ys[i] > 0) == (s.data > 0) for i, s in zip(indices, first.scores))
    assert first.accuracy == accuracy / batch_size


def test_max_margin_batch_different_seeds_usually_differ() -> None:
    xs, ys = tagged_points(20)
    model = tagging_model()
    subsets = Counter(
        frozenset(picked(max_margin(model, xs, ys, batch_size=5, seed=s))) for s in range(30)
    )
    # C(20, 5) = 15504 subsets: 30 seeds should almost all pick different ones
    assert len(subsets) >= 25


def test_max_margin_full_batch_is_all_points() -> None:
    xs, ys = tagged_points(12)
    model = tagging_model()
    full = max_margin(model, xs, ys, alpha=0.0)
    as_batch = max_margin(model, xs, ys, alpha=0.0, batch_size=12, seed=5)
    assert sorted(picked(as_batch)) == list(range(12))
    assert picked(full) == list(range(12))
    assert close(as_batch.data_loss.data, full.data_loss.data)
    assert as_batch.accuracy == full.accuracy


def test_max_margin_batch_regularises_every_parameter() -> None:
    ds = fm.datasets.moons(10, noise=0.1)
    model = fm.nn.mlp(2, [4, 1], seed=2)
    full = max_margin(model, ds.xs, ds.ys, alpha=0.01)
    batch = max_margin(model, ds.xs, ds.ys, alpha=0.01, batch_size=3, seed=1)
    assert batch.reg_loss.data == full.reg_loss.data


def test_max_margin_seed_ignored_without_batch() -> None:
    ds = fm.datasets.moons(10, noise=0.1)
    model = fm.nn.mlp(2, [4, 1], seed=2)
    a = max_margin(model, ds.xs, ds.ys, seed=1)
    b = max_margin(model, ds.xs, ds.ys, seed=2)
    assert a.total_loss.data == b.total_loss.data
    assert [s.data for s in a.scores] == [s.data for s in b.scores]


# -- mse --------------------------------------------------------------------------


def test_mse_hand_computed() -> None:
    # score = 2x + 1: scores 1, 3, 5 against targets 1, 4, 0
    model = fm.nn.with_parameters(fm.nn.neuron(1, activation="linear"), [2.0, 1.0])
    result = mse(model, [(0.0,), (1.0,), (2.0,)], [1.0, 4.0, 0.0], alpha=0.5)
    # errors 0, -1, 5: mean square 26 / 3; reg 0.5 * (2^2 + 1^2) = 2.5
    assert result.data_loss.data == pytest.approx(26.0 / 3.0, rel=1e-15)
    assert result.reg_loss.data == 2.5
    assert result.total_loss.data == pytest.approx(26.0 / 3.0 + 2.5, rel=1e-15)
    assert result.accuracy is None  # a regression loss counts no hits
    assert [s.data for s in result.scores] == [1.0, 3.0, 5.0]
    g = fm.backward(result.total_loss)
    w, b = fm.nn.parameters(model)
    # d/dw = mean(2 * e * x) + 2 * alpha * w = (0 - 2 + 20) / 3 + 2
    assert g[w] == pytest.approx(8.0, rel=1e-12)
    # d/db = mean(2 * e) + 2 * alpha * b = (0 - 2 + 10) / 3 + 1
    assert g[b] == pytest.approx(8.0 / 3.0 + 1.0, rel=1e-12)


def test_mse_default_alpha_is_zero_and_targets_any_number() -> None:
    model = fm.nn.with_parameters(fm.nn.neuron(1, activation="linear"), [1.0, 0.0])
    result = mse(model, [(1.5,), (-2.0,)], [0.5, 3.0])
    assert result.reg_loss.data == 0.0
    assert result.data_loss.data == pytest.approx((1.0 + 25.0) / 2)


@given(
    seed=st.integers(0, 1000),
    targets=st.lists(st.floats(-10, 10), min_size=1, max_size=8),
)
@settings(max_examples=30, deadline=None)
def test_mse_matches_plain_arithmetic(seed: int, targets: list[float]) -> None:
    xs = [(0.3 * i, 1.0 - 0.2 * i) for i in range(len(targets))]
    model = fm.nn.mlp(2, [3, 1], seed=seed)
    result = mse(model, xs, targets)
    outputs = [fm.nn.forward(model, x).data for x in xs]  # type: ignore[union-attr]
    expected = sum((o - t) ** 2 for o, t in zip(outputs, targets)) / len(targets)
    assert close(result.data_loss.data, expected)


# -- bad input --------------------------------------------------------------------

LOSSES = [max_margin, mse]


@pytest.mark.parametrize("labels", [[0.0, 1.0], [1.0, 2.0], [0.5, -1.0], [1.0, -0.999]])
def test_max_margin_rejects_labels_other_than_plus_minus_one(labels: list[float]) -> None:
    model = fm.nn.mlp(2, [3, 1])
    with pytest.raises(ValueError, match=r"max_margin: .*-1\.0 or 1\.0"):
        max_margin(model, [(0.0, 0.0), (1.0, 1.0)], labels)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("label", [math.nan, math.inf, True, "1", None])
def test_max_margin_rejects_non_numeric_labels(loss: Any, label: Any) -> None:
    model = fm.nn.mlp(2, [3, 1])
    with pytest.raises((ValueError, TypeError), match=loss.__name__):
        loss(model, [(0.0, 0.0), (1.0, 1.0)], [1.0, label])


@pytest.mark.parametrize("loss", LOSSES)
def test_max_margin_rejects_mismatched_lengths(loss: Any) -> None:
    model = fm.nn.mlp(2, [3, 1])
    with pytest.raises(ValueError, match="2 xs and 3 ys"):
        loss(model, [(0.0, 0.0), (1.0, 1.0)], [1.0, -1.0, 1.0])
    with pytest.raises(ValueError, match="2 xs and 1 ys"):
        loss(model, [(0.0, 0.0), (1.0, 1.0)], [1.0])


@pytest.mark.parametrize("loss", LOSSES)
def test_max_margin_rejects_empty_data(loss: Any) -> None:
    with pytest.raises(ValueError, match="at least one"):
        loss(fm.nn.mlp(2, [3, 1]), [], [])


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("alpha", [-1e-4, -1.0, math.nan, math.inf])
def test_max_margin_rejects_bad_alpha(loss: Any, alpha: float) -> None:
    with pytest.raises(ValueError, match="alpha"):
        loss(fm.nn.mlp(2, [3, 1]), [(0.0, 0.0)], [1.0], alpha=alpha)


@pytest.mark.parametrize("alpha", ["0.1", None, True])
def test_max_margin_rejects_non_number_alpha(alpha: Any) -> None:
    with pytest.raises(TypeError, match="alpha"):
        max_margin(fm.nn.mlp(2, [3, 1]), [(0.0, 0.0)], [1.0], alpha=alpha)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize(
    ("batch_size", "error"),
    [(0, ValueError), (-1, ValueError), (4, ValueError), (True, TypeError), (2.0, TypeError)],
)
def test_max_margin_rejects_bad_batch_size(loss: Any, batch_size: Any, error: type) -> None:
    xs, ys = [(0.0, 0.0), (1.0, 1.0), (2.0, 0.0)], [1.0, -1.0, 1.0]
    with pytest.raises(error, match="batch_size"):
        loss(fm.nn.mlp(2, [3, 1]), xs, ys, batch_size=batch_size)


@pytest.mark.parametrize("seed", [1.5, "1", None, True])
def test_max_margin_rejects_bad_seed_with_batch(seed: Any) -> None:
    with pytest.raises(TypeError, match="seed"):
        max_margin(fm.nn.mlp(2, [3, 1]), [(0.0, 0.0)], [1.0], batch_size=1, seed=seed)


@pytest.mark.parametrize("loss", LOSSES)
def test_max_margin_rejects_non_models_and_non_sequences(loss: Any) -> None:
    with pytest.raises(TypeError, match="Neuron, Layer or MLP"):
        loss("model", [(0.0, 0.0)], [1.0])
    with pytest.raises(TypeError, match="xs"):
        loss(fm.nn.mlp(2, [3, 1]), "xy", [1.0, 1.0])
    with pytest.raises(TypeError, match="ys"):
        loss(fm.nn.mlp(2, [3, 1]), [(0.0, 0.0)], 1.0)


def test_max_margin_rejects_points_of_the_wrong_width() -> None:
    with pytest.raises(ValueError, match="expected 2 inputs"):
        max_margin(fm.nn.mlp(2, [3, 1]), [(0.0, 0.0, 0.0)], [1.0])


def test_max_margin_rejects_models_with_several_outputs() -> None:
    with pytest.raises(ValueError, match="one output"):
        max_margin(fm.nn.mlp(2, [3, 2]), [(0.0, 0.0)], [1.0])


# -- cross_entropy ----------------------------------------------------------------------


def identity_logits(k: int) -> fm.nn.Model:
    """A linear layer whose K outputs are its K inputs: logits chosen by hand."""
    weights = [1.0 if j == i else 0.0 for i in range(k) for j in [*range(k), -1]]
    return fm.nn.with_parameters(fm.nn.layer(k, k, activation="linear"), weights)


def math_cross_entropy(rows: list[list[float]], ys: list[int]) -> float:
    """mean(-log(exp(z_y) / sum(exp(z)))) with plain floats, shifted by the max."""
    total = 0.0
    for z, y in zip(rows, ys):
        m = max(z)
        total += -((z[y] - m) - math.log(math.fsum(math.exp(v - m) for v in z)))
    return total / len(rows)


def test_cross_entropy_hand_computed() -> None:
    # logits (2, 1, 0) with label 0 and (0, 0, 0) with label 2:
    # -log(e**2 / (e**2 + e + 1)) and -log(1 / 3)
    model = identity_logits(3)
    result = cross_entropy(model, [(2.0, 1.0, 0.0), (0.0, 0.0, 0.0)], [0, 2])
    first = -math.log(math.exp(2) / (math.exp(2) + math.exp(1) + 1))
    second = math.log(3)
    assert result.data_loss.data == pytest.approx((first + second) / 2, rel=1e-14)
    assert result.reg_loss.data == 0.0  # alpha defaults to 0
    assert result.total_loss.data == result.data_loss.data
    assert result.accuracy == 0.5  # the tie (0, 0, 0) goes to class 0, not 2
    assert [[v.data for v in z] for z in result.scores] == [[2.0, 1.0, 0.0], [0.0, 0.0, 0.0]]


def test_cross_entropy_regularises_like_the_others() -> None:
    model = fm.nn.mlp(2, [3, 3], seed=2)
    with_l2 = cross_entropy(model, [(0.5, 1.0)], [1], alpha=0.01)
    params = [p.data for p in fm.nn.parameters(model)]
    assert with_l2.reg_loss.data == pytest.approx(0.01 * sum(p * p for p in params), rel=1e-12)
    assert with_l2.total_loss.data == with_l2.data_loss.data + with_l2.reg_loss.data


@given(
    seed=st.integers(0, 10**6),
    k=st.integers(2, 5),
    data=st.data(),
)
@settings(max_examples=30, deadline=None)
def test_cross_entropy_value_and_gradients_match_math_and_finite_differences(
    seed: int, k: int, data: st.DataObject
) -> None:
    n = data.draw(st.integers(1, 5))
    xs = data.draw(st.lists(st.tuples(st.floats(-2, 2), st.floats(-2, 2)), min_size=n, max_size=n))
    ys = data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
    model = fm.nn.mlp(2, [4, k], activation="tanh", seed=seed)
    result = cross_entropy(model, xs, ys, alpha=0.001)
    logits = [[o.data for o in fm.nn.forward(model, x)] for x in xs]  # type: ignore[union-attr]
    assert close(result.data_loss.data, math_cross_entropy(logits, ys), 1e-12)
    hits = sum(z.index(max(z)) == y for z, y in zip(logits, ys))
    assert result.accuracy == hits / n

    def loss_at(values: list[float]) -> float:
        at = fm.nn.with_parameters(model, values)
        rows = [[o.data for o in fm.nn.forward(at, x)] for x in xs]  # type: ignore[union-attr]
        return math_cross_entropy(rows, ys) + 0.001 * sum(v * v for v in values)

    g = fm.backward(result.total_loss)
    values = [p.data for p in fm.nn.parameters(model)]
    h = 1e-6
    for i, p in enumerate(fm.nn.parameters(model)):
        up, down = list(values), list(values)
        up[i] += h
        down[i] -= h
        numeric = (loss_at(up) - loss_at(down)) / (2 * h)
        assert g[p] == pytest.approx(numeric, rel=1e-5, abs=1e-7), p.label


def test_cross_entropy_is_stable_for_huge_logits() -> None:
    result = cross_entropy(identity_logits(2), [(1000.0, 0.0), (0.0, 1000.0)], [0, 0])
    assert result.data_loss.data == pytest.approx(500.0)
    g = fm.backward(result.total_loss)
    assert all(math.isfinite(g[p]) for p in fm.nn.parameters(identity_logits(2)))


def test_cross_entropy_batch_is_a_seeded_subset() -> None:
    model = fm.nn.mlp(2, [3, 3], seed=5)
    xs = [(0.1 * i, -0.2 * i) for i in range(10)]
    ys = [i % 3 for i in range(10)]
    a = cross_entropy(model, xs, ys, batch_size=4, seed=9)
    b = cross_entropy(model, xs, ys, batch_size=4, seed=9)
    assert len(a.scores) == 4 and a.data_loss.data == b.data_loss.data


@pytest.mark.parametrize(
    ("ys", "message"),
    [
        ([0, 3], r"ys\[1\] to be a class index 0..2 \(an int\), got 3 \(int\)"),
        ([0, -1], r"ys\[1\] to be a class index"),
        ([0, 1.0], r"ys\[1\] to be a class index .* got 1.0 \(float\)"),
        ([True, 1], r"ys\[0\] to be a class index"),
        ([0, "1"], r"ys\[1\]"),
    ],
)
def test_cross_entropy_rejects_labels_that_are_not_classes(ys: list[Any], message: str) -> None:
    with pytest.raises(ValueError, match=f"^cross_entropy: expected {message}"):
        cross_entropy(fm.nn.mlp(2, [3, 3]), [(0.0, 0.0), (1.0, 1.0)], ys)


def test_cross_entropy_needs_a_logit_per_class() -> None:
    with pytest.raises(ValueError, match=r"K >= 2 outputs .* got 1 output; for -1.0 / 1.0 labels"):
        cross_entropy(fm.nn.mlp(2, [3, 1]), [(0.0, 0.0)], [0])


def test_max_margin_points_multiclass_models_to_cross_entropy() -> None:
    with pytest.raises(ValueError, match="one output, got 3; for class indices use cross_entropy"):
        max_margin(fm.nn.mlp(2, [3, 3]), [(0.0, 0.0)], [1.0])


def test_loss_result_repr_reads_like_data() -> None:
    model = fm.nn.with_parameters(fm.nn.neuron(1, activation="linear"), [1.0, 0.0])
    result = max_margin(model, [(2.0,)], [1.0], alpha=0.0)
    assert repr(result) == (
        "LossResult(total_loss=0.0, data_loss=0.0, reg_loss=0.0, accuracy=1.0, scores=<1 outputs>)"
    )
    assert "accuracy=None" in repr(mse(model, [(2.0,)], [1.0]))
