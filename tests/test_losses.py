"""Tests for functional_micrograd.losses: max_margin against micrograd's demo, and mse."""

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
from functional_micrograd.losses import LossResult, max_margin, mse

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
    # target 0 is not > 0 while its score 5 is: two of three signs agree
    assert result.accuracy == pytest.approx(2.0 / 3.0)
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
