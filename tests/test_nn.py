"""Tests for functional_micrograd.nn: Neuron, Layer and MLP records.

The oracle for forward passes and gradients is micrograd 0.1.0 itself: the
same architecture with the same numbers copied into its parameters.
"""

from __future__ import annotations

import math
import os
import random
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from conftest import any_finite_float, floats_between
from hypothesis import given, settings
from hypothesis import strategies as st
from micrograd import engine as mg_engine
from micrograd import nn as mg_nn
from pyrsistent import PClass

import functional_micrograd as fm
from functional_micrograd.nn import MLP, Layer, Neuron

REPO = Path(__file__).resolve().parent.parent

any_float = any_finite_float  # plain floats of every size and sign, the awkward ones often
small_float = floats_between(-10.0, 10.0)
activations = st.sampled_from(fm.nn.ACTIVATIONS)


def hexes(model: fm.nn.Model) -> list[str]:
    return [p.data.hex() for p in fm.nn.parameters(model)]


def datas(model: fm.nn.Model) -> list[float]:
    return [p.data for p in fm.nn.parameters(model)]


def outputs(out: fm.Value | tuple[fm.Value, ...]) -> list[float]:
    return [out.data] if isinstance(out, fm.Value) else [o.data for o in out]


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


# -- micrograd as the oracle --------------------------------------------------------


def micrograd_twin(model: fm.nn.Model) -> Any:
    """The same model in micrograd 0.1.0, holding the same numbers."""
    state = random.getstate()  # micrograd draws its init from the global random
    try:
        if isinstance(model, Neuron):
            assert model.activation in ("relu", "linear")
            twin: Any = mg_nn.Neuron(len(model.w), nonlin=model.activation == "relu")
        elif isinstance(model, Layer):
            kind = model.neurons[0].activation
            assert kind in ("relu", "linear")
            twin = mg_nn.Layer(len(model.neurons[0].w), len(model.neurons), nonlin=kind == "relu")
        else:
            hidden = {n.activation for row in model.layers[:-1] for n in row.neurons}
            assert hidden <= {"relu"}
            twin = mg_nn.MLP(
                len(model.layers[0].neurons[0].w), [len(r.neurons) for r in model.layers]
            )
    finally:
        random.setstate(state)
    twin_params = twin.parameters()
    assert len(twin_params) == fm.nn.parameter_count(model)
    for q, p in zip(twin_params, fm.nn.parameters(model)):
        q.data = p.data
    return twin


def mg_outputs(out: Any) -> list[float]:
    return [o.data for o in out] if isinstance(out, list) else [out.data]


def squares_loss(model: Callable[[Any], Any], xs: Sequence[Sequence[float]]) -> Any:
    """Sum of squared outputs over several inputs, written once for both libraries."""
    total: Any = 0
    for x in xs:
        out = model(list(x))
        for o in out if isinstance(out, (list, tuple)) else [out]:
            total = total + o * o
    return total


def max_margin_loss(
    model: Callable[[Any], Any],
    params: Sequence[Any],
    value: Callable[[float], Any],
    xs: Sequence[Sequence[float]],
    ys: Sequence[float],
) -> Any:
    """The loss of micrograd's demo notebook, written once for both libraries."""
    inputs = [list(map(value, row)) for row in xs]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * score).relu() for yi, score in zip(ys, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in params)
    return data_loss + reg_loss


POINTS = [(0.5, -0.25), (-1.2, 0.8), (1.9, 0.3), (-0.4, -1.1), (0.1, 1.5), (1.0, -0.7)]
LABELS = [1.0, -1.0, 1.0, -1.0, 1.0, -1.0]


# -- parameters -----------------------------------------------------------------------


def test_parameter_count_micrograd_demo_model() -> None:
    assert fm.nn.parameter_count(fm.nn.mlp(2, [16, 16, 1])) == 337
    assert fm.nn.parameter_count(fm.nn.neuron(5)) == 6
    assert fm.nn.parameter_count(fm.nn.layer(3, 4)) == 16


def test_parameters_order_by_labels() -> None:
    model = fm.nn.mlp(3, [4, 2, 1], seed=5)
    expected = [
        f"L{i}.N{j}.{name}"
        for i, (nin, nout) in enumerate([(3, 4), (4, 2), (2, 1)])
        for j in range(nout)
        for name in [*(f"w{k}" for k in range(nin)), "b"]
    ]
    assert [p.label for p in fm.nn.parameters(model)] == expected
    assert [p.label for p in fm.nn.parameters(fm.nn.layer(2, 2))] == [
        "N0.w0",
        "N0.w1",
        "N0.b",
        "N1.w0",
        "N1.w1",
        "N1.b",
    ]


def test_parameters_order_with_parameters_known_list() -> None:
    numbers = [1.0, -1.0, 0.0, 0.5, 0.5, -1.0, 2.0, -3.0, 0.25]
    model = fm.nn.with_parameters(fm.nn.mlp(2, [2, 1]), numbers)
    assert isinstance(model, MLP)
    assert datas(model) == numbers
    first, second = model.layers
    assert [w.data for w in first.neurons[0].w] == [1.0, -1.0]
    assert first.neurons[0].b.data == 0.0
    assert [w.data for w in first.neurons[1].w] == [0.5, 0.5]
    assert first.neurons[1].b.data == -1.0
    assert [w.data for w in second.neurons[0].w] == [2.0, -3.0]
    assert second.neurons[0].b.data == 0.25


def test_parameters_order_matches_micrograd() -> None:
    model = fm.nn.mlp(3, [4, 3, 2], seed=9)
    numbers = [float(i) for i in range(fm.nn.parameter_count(model))]
    model = fm.nn.with_parameters(model, numbers)
    twin = micrograd_twin(model)
    for row, twin_row in zip(model.layers, twin.layers):
        for unit, twin_unit in zip(row.neurons, twin_row.neurons):
            assert [w.data for w in unit.w] == [w.data for w in twin_unit.w]
            assert unit.b.data == twin_unit.b.data


def test_with_parameters_keeps_model_and_labels() -> None:
    model = fm.nn.mlp(2, [3, 1], seed=2)
    before = hexes(model)
    new = fm.nn.with_parameters(model, [0.5] * 13)
    assert hexes(model) == before
    assert [p.label for p in fm.nn.parameters(new)] == [p.label for p in fm.nn.parameters(model)]


def test_with_parameters_rejects_wrong_count_and_non_numbers() -> None:
    model = fm.nn.neuron(2)
    with pytest.raises(ValueError, match="expected 3 values, got 2"):
        fm.nn.with_parameters(model, [1.0, 2.0])
    with pytest.raises(TypeError, match="'x'"):
        fm.nn.with_parameters(model, [1.0, 2.0, "x"])


def test_parameters_rejects_non_models() -> None:
    with pytest.raises(TypeError, match="list"):
        fm.nn.parameters([fm.Value(1.0)])  # type: ignore[arg-type]


# -- init -------------------------------------------------------------------------------


@given(seed=st.integers(min_value=-(2**63), max_value=2**63), activation=activations)
@settings(max_examples=30)
def test_mlp_init_weights_uniform_biases_zero(seed: int, activation: str) -> None:
    model = fm.nn.mlp(3, [5, 4, 2], activation=activation, seed=seed)
    for row in model.layers:
        for unit in row.neurons:
            assert all(-1.0 <= w.data <= 1.0 for w in unit.w)
            assert unit.b.data.hex() == "0x0.0p+0"  # 0.0, not -0.0


def test_layer_init_spreads_over_the_interval() -> None:
    weights = [w.data for n in fm.nn.layer(50, 40, seed=3).neurons for w in n.w]
    assert min(weights) < -0.99
    assert max(weights) > 0.99
    assert abs(sum(weights) / len(weights)) < 0.05
    assert len(set(weights)) == len(weights)


@given(seed=st.integers(min_value=-(2**70), max_value=2**70))
@settings(max_examples=25)
def test_mlp_same_seed_bit_identical(seed: int) -> None:
    assert hexes(fm.nn.mlp(2, [4, 3, 1], seed=seed)) == hexes(fm.nn.mlp(2, [4, 3, 1], seed=seed))
    assert hexes(fm.nn.neuron(3, seed=seed)) == hexes(fm.nn.neuron(3, seed=seed))
    assert hexes(fm.nn.layer(3, 2, seed=seed)) == hexes(fm.nn.layer(3, 2, seed=seed))


def test_mlp_same_seed_bit_identical_across_processes() -> None:
    code = (
        "import functional_micrograd as fm\n"
        "m = fm.nn.mlp(3, [4, 2], activation='tanh', seed=1337)\n"
        "print(' '.join(p.data.hex() for p in fm.nn.parameters(m)))\n"
    )
    expected = " ".join(hexes(fm.nn.mlp(3, [4, 2], activation="tanh", seed=1337)))
    for hash_seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert done.stdout.strip() == expected


def test_mlp_different_seeds_differ() -> None:
    seen = {tuple(hexes(fm.nn.mlp(2, [3, 1], seed=s))) for s in range(100)}
    assert len(seen) == 100
    assert hexes(fm.nn.neuron(4, seed=-1)) != hexes(fm.nn.neuron(4, seed=1))


def test_mlp_global_random_untouched() -> None:
    random.seed(2024)
    state = random.getstate()
    fm.nn.mlp(2, [16, 16, 1], seed=7)
    fm.nn.layer(3, 3, seed=7)
    fm.nn.neuron(3, seed=7)
    assert random.getstate() == state
    # ... and never read: the global state does not change the weights.
    random.seed(1)
    a = hexes(fm.nn.mlp(2, [3, 1], seed=7))
    random.seed(2)
    b = hexes(fm.nn.mlp(2, [3, 1], seed=7))
    assert a == b


@pytest.mark.parametrize("activation", fm.nn.ACTIVATIONS)
def test_mlp_hidden_layers_use_activation_last_is_linear(activation: str) -> None:
    model = fm.nn.mlp(2, [4, 3, 2], activation=activation)
    for row in model.layers[:-1]:
        assert {n.activation for n in row.neurons} == {activation}
    assert {n.activation for n in model.layers[-1].neurons} == {"linear"}
    single = fm.nn.mlp(2, [3], activation=activation)
    assert {n.activation for n in single.layers[0].neurons} == {"linear"}


def test_mlp_default_activation_is_relu_as_micrograd() -> None:
    model = fm.nn.mlp(2, [2, 1])
    assert repr(model) == repr(micrograd_twin(model))
    assert fm.nn.neuron(2).activation == "relu"
    assert {n.activation for n in fm.nn.layer(2, 3).neurons} == {"relu"}


@pytest.mark.parametrize(
    ("activation", "expected"),
    [
        ("relu", 2.75),
        ("linear", 2.75),
        ("tanh", math.tanh(2.75)),
        ("sigmoid", 1.0 / (1.0 + math.exp(-2.75))),
    ],
)
def test_neuron_every_activation_works(activation: str, expected: float) -> None:
    unit = fm.nn.with_parameters(fm.nn.neuron(2, activation=activation), [2.0, -3.0, 0.5])
    out = unit([1.5, 0.25])  # 0.5 + 2 * 1.5 - 3 * 0.25 = 2.75
    assert isinstance(out, fm.Value)
    assert math.isclose(out.data, expected, rel_tol=1e-15)
    negative = {
        "relu": 0.0,
        "linear": -1.5,
        "tanh": math.tanh(-1.5),
        "sigmoid": math.exp(-1.5) / (1.0 + math.exp(-1.5)),
    }[activation]
    assert math.isclose(unit([-1.0, 0.0]).data, negative, rel_tol=1e-15)  # 0.5 - 2 = -1.5
    row = fm.nn.layer(2, 3, activation=activation, seed=5)
    assert outputs(row([0.3, -0.2])) == [n([0.3, -0.2]).data for n in row.neurons]


# -- forward ----------------------------------------------------------------------------


def test_forward_hand_computed_mlp() -> None:
    # hidden: relu(x0 - x1), relu(0.5 x0 + 0.5 x1 - 1); output: 2 h0 - 3 h1 + 0.25
    model = fm.nn.with_parameters(
        fm.nn.mlp(2, [2, 1]), [1.0, -1.0, 0.0, 0.5, 0.5, -1.0, 2.0, -3.0, 0.25]
    )
    assert fm.nn.forward(model, [3.0, 1.0]).data == 0.25 + 2 * 2.0 - 3 * 1.0
    assert fm.nn.forward(model, [1.0, 3.0]).data == 0.25 + 2 * 0.0 - 3 * 1.0
    assert fm.nn.forward(model, [-4.0, -4.0]).data == 0.25
    # A hidden layer one neuron wide (micrograd 0.1.0 cannot run this one).
    narrow = fm.nn.with_parameters(fm.nn.mlp(2, [1, 1]), [1.0, 1.0, 0.0, 2.0, 0.5])
    assert narrow([1.0, 2.0]).data == 2.0 * 3.0 + 0.5
    assert narrow([-1.0, -2.0]).data == 0.5


def test_forward_hand_computed_layer_tanh() -> None:
    row = fm.nn.with_parameters(fm.nn.layer(2, 2, activation="tanh"), [1, 2, 3, -1, 0.5, 0])
    a, b = row([0.5, -1.0])
    assert a.data == math.tanh(3 + 0.5 - 2.0)
    assert b.data == math.tanh(0 - 0.5 - 0.5)


@pytest.mark.parametrize(
    "build",
    [
        lambda: fm.nn.neuron(3, activation="relu", seed=1),
        lambda: fm.nn.neuron(3, activation="linear", seed=2),
        lambda: fm.nn.layer(3, 4, activation="relu", seed=3),
        lambda: fm.nn.layer(3, 1, activation="linear", seed=4),
        lambda: fm.nn.mlp(3, [8, 8, 1], seed=5),
        lambda: fm.nn.mlp(3, [6, 4, 3], seed=6),
        lambda: fm.nn.mlp(3, [2], seed=7),
    ],
)
def test_forward_matches_micrograd(build: Callable[[], fm.nn.Model]) -> None:
    model = build()
    twin = micrograd_twin(model)
    for x in [(0.5, -1.0, 2.0), (-0.3, 0.7, 0.1), (1.5, 1.5, -2.5), (0.0, 0.0, 0.0)]:
        assert outputs(model(list(x))) == mg_outputs(twin(list(x)))


@given(
    weights=st.lists(small_float, min_size=23, max_size=23),
    x=st.tuples(small_float, small_float, small_float),
)
@settings(max_examples=60)
def test_forward_matches_micrograd_any_weights(weights: list[float], x: tuple[float, ...]) -> None:
    model = fm.nn.with_parameters(fm.nn.mlp(3, [3, 2, 1]), weights)
    twin = micrograd_twin(model)
    assert outputs(model(list(x))) == mg_outputs(twin(list(x)))


def test_forward_call_equals_function() -> None:
    for model in [fm.nn.neuron(2, seed=1), fm.nn.layer(2, 3, seed=1), fm.nn.mlp(2, [3, 2], seed=1)]:
        assert outputs(model([0.3, -0.9])) == outputs(fm.nn.forward(model, [0.3, -0.9]))


def test_forward_one_output_value_several_tuple() -> None:
    assert isinstance(fm.nn.mlp(2, [3, 1])([1.0, 2.0]), fm.Value)
    assert isinstance(fm.nn.layer(2, 1)([1.0, 2.0]), fm.Value)
    assert isinstance(fm.nn.neuron(2)([1.0, 2.0]), fm.Value)
    out = fm.nn.mlp(2, [3, 2])([1.0, 2.0])
    assert isinstance(out, tuple)
    assert len(out) == 2
    assert all(isinstance(o, fm.Value) for o in out)
    three = fm.nn.layer(2, 3)((1.0, 2.0))
    assert isinstance(three, tuple)
    assert len(three) == 3


def test_forward_accepts_numbers_and_values() -> None:
    model = fm.nn.mlp(2, [3, 1], seed=11)
    x0, x1 = fm.Value(0.5, label="x0"), fm.Value(-2.0, label="x1")
    from_values = model([x0, x1])
    assert from_values.data == model([0.5, -2.0]).data == model([0.5, -2]).data
    assert model([x0, -2.0]).data == from_values.data
    # Values given as inputs are used as they are, so gradients reach them.
    g = fm.backward(from_values)
    eps = 1e-6
    numeric = (model([0.5 + eps, -2.0]).data - model([0.5 - eps, -2.0]).data) / (2 * eps)
    assert g[x0] == pytest.approx(numeric, rel=1e-6, abs=1e-9)


def test_forward_leaves_model_unchanged() -> None:
    model = fm.nn.mlp(2, [4, 1], seed=3)
    before = [(p.id, p.data.hex(), p.label) for p in fm.nn.parameters(model)]
    fm.backward(model([1.0, 2.0]))
    assert [(p.id, p.data.hex(), p.label) for p in fm.nn.parameters(model)] == before


# -- gradients against micrograd --------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda: fm.nn.mlp(2, [8, 8, 1], seed=1337),
        lambda: fm.nn.mlp(2, [5, 3], seed=4),
        lambda: fm.nn.layer(2, 4, seed=8),
        lambda: fm.nn.neuron(2, activation="linear", seed=2),
    ],
)
def test_backward_squares_loss_matches_micrograd(build: Callable[[], fm.nn.Model]) -> None:
    model = build()
    twin = micrograd_twin(model)
    loss = squares_loss(model, POINTS[:4])
    twin_loss = squares_loss(twin, POINTS[:4])
    assert close(loss.data, twin_loss.data)
    g = loss.backward()
    twin_loss.backward()
    ours = [g[p] for p in fm.nn.parameters(model)]
    theirs = [q.grad for q in twin.parameters()]
    assert any(x != 0.0 for x in ours)
    assert all(close(a, b) for a, b in zip(ours, theirs, strict=True)), (ours, theirs)


@pytest.mark.parametrize("seed", [1337, 1, 42])
def test_backward_max_margin_loss_matches_micrograd(seed: int) -> None:
    model = fm.nn.mlp(2, [16, 16, 1], seed=seed)
    twin = micrograd_twin(model)
    params = fm.nn.parameters(model)
    loss = max_margin_loss(model, params, fm.Value, POINTS, LABELS)
    twin_loss = max_margin_loss(twin, twin.parameters(), mg_engine.Value, POINTS, LABELS)
    assert close(loss.data, twin_loss.data)
    g = fm.backward(loss)
    twin_loss.backward()
    ours = [g[p] for p in params]
    theirs = [q.grad for q in twin.parameters()]
    assert sum(x != 0.0 for x in ours) > 100
    assert all(close(a, b) for a, b in zip(ours, theirs, strict=True)), (ours, theirs)


# -- apply_gradients ------------------------------------------------------------------


def test_apply_gradients_descends() -> None:
    model = fm.nn.mlp(2, [4, 4, 1], seed=3)
    params = fm.nn.parameters(model)
    g = fm.backward(max_margin_loss(model, params, fm.Value, POINTS, LABELS))
    new = fm.nn.apply_gradients(model, g, 0.1)
    assert type(new) is MLP
    assert [p.data for p in fm.nn.parameters(new)] == [p.data - 0.1 * g[p] for p in params]
    assert [p.label for p in fm.nn.parameters(new)] == [p.label for p in params]
    assert not {p.id for p in fm.nn.parameters(new)} & {p.id for p in params}
    assert [n.activation for r in new.layers for n in r.neurons] == [
        n.activation for r in model.layers for n in r.neurons
    ]


def test_apply_gradients_old_model_unchanged_and_usable() -> None:
    model = fm.nn.mlp(2, [4, 1], seed=12)
    snapshot = [(p.id, p.data.hex(), p.label) for p in fm.nn.parameters(model)]
    out_before = model([0.4, -0.6]).data
    g = fm.backward(squares_loss(model, POINTS[:3]))
    grads_before = [g[p] for p in fm.nn.parameters(model)]
    new = fm.nn.apply_gradients(model, g, 0.05)
    assert [(p.id, p.data.hex(), p.label) for p in fm.nn.parameters(model)] == snapshot
    assert model([0.4, -0.6]).data == out_before
    again = fm.backward(squares_loss(model, POINTS[:3]))
    assert [again[p] for p in fm.nn.parameters(model)] == grads_before
    assert fm.nn.apply_gradients(model, g, 0.05) is not model
    assert hexes(fm.nn.apply_gradients(model, g, 0.05)) == hexes(new)


@given(rate=st.floats(min_value=0.0, max_value=10.0), activation=activations)
@settings(max_examples=30)
def test_apply_gradients_every_kind_of_model(rate: float, activation: str) -> None:
    for model in [
        fm.nn.neuron(3, activation=activation, seed=1),
        fm.nn.layer(3, 2, activation=activation, seed=2),
        fm.nn.mlp(3, [2, 2], activation=activation, seed=3),
    ]:
        g = fm.backward(squares_loss(model, [(0.1, 0.2, 0.3), (-1.0, 0.5, 2.0)]))
        new = fm.nn.apply_gradients(model, g, rate)
        assert type(new) is type(model)
        params = fm.nn.parameters(model)
        assert datas(new) == [p.data - rate * g[p] for p in params]


def test_apply_gradients_parameters_outside_the_graph_stay() -> None:
    model = fm.nn.neuron(2, seed=1)
    g = fm.backward(fm.Value(3.0) * 2)
    assert datas(fm.nn.apply_gradients(model, g, 0.5)) == datas(model)
    assert datas(fm.nn.apply_gradients(model, fm.backward(model([1.0, 1.0])), 0)) == datas(model)


@pytest.mark.parametrize("rate", [-0.1, -1e-300, math.nan, math.inf, -math.inf])
def test_apply_gradients_bad_learning_rate_value_error(rate: float) -> None:
    model = fm.nn.neuron(2)
    g = fm.backward(model([1.0, 1.0]))
    with pytest.raises(ValueError, match=repr(rate) if math.isfinite(rate) else "finite"):
        fm.nn.apply_gradients(model, g, rate)


@pytest.mark.parametrize("gradients", [None, {}, {0: 1.0}, 1.0, "g"])
def test_apply_gradients_non_gradients_type_error(gradients: object) -> None:
    model = fm.nn.neuron(2)
    with pytest.raises(TypeError, match="Gradients"):
        fm.nn.apply_gradients(model, gradients, 0.1)  # type: ignore[arg-type]


def test_apply_gradients_non_number_rate_and_non_model_type_error() -> None:
    model = fm.nn.neuron(2)
    g = fm.backward(model([1.0, 1.0]))
    with pytest.raises(TypeError, match="'fast'"):
        fm.nn.apply_gradients(model, g, "fast")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        fm.nn.apply_gradients(model, g, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="tuple"):
        fm.nn.apply_gradients(fm.nn.parameters(model), g, 0.1)  # type: ignore[arg-type]


# -- bad input to the factories and forward ----------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "shown"),
    [
        (lambda: fm.nn.neuron(0), ValueError, "got 0"),
        (lambda: fm.nn.neuron(-3), ValueError, "got -3"),
        (lambda: fm.nn.neuron(2.0), TypeError, "got 2.0"),
        (lambda: fm.nn.neuron(True), TypeError, "got True"),
        (lambda: fm.nn.neuron("2"), TypeError, "got '2'"),
        (lambda: fm.nn.neuron(None), TypeError, "got None"),
        (lambda: fm.nn.neuron(2, activation="gelu"), ValueError, "got 'gelu'"),
        (lambda: fm.nn.neuron(2, activation=None), (ValueError, TypeError), "got None"),
        (lambda: fm.nn.neuron(2, seed=1.5), TypeError, "got 1.5"),
        (lambda: fm.nn.neuron(2, seed="a"), TypeError, "got 'a'"),
        (lambda: fm.nn.layer(0, 2), ValueError, "got 0"),
        (lambda: fm.nn.layer(2, 0), ValueError, "got 0"),
        (lambda: fm.nn.layer(2, -1), ValueError, "got -1"),
        (lambda: fm.nn.layer(2, 3.0), TypeError, "got 3.0"),
        (lambda: fm.nn.layer(2, False), TypeError, "got False"),
        (lambda: fm.nn.layer(2, 2, activation="softmax"), ValueError, "got 'softmax'"),
        (lambda: fm.nn.mlp(0, [2]), ValueError, "got 0"),
        (lambda: fm.nn.mlp(2.5, [2]), TypeError, "got 2.5"),
        (lambda: fm.nn.mlp(True, [2]), TypeError, "got True"),
        (lambda: fm.nn.mlp(2, []), ValueError, "got []"),
        (lambda: fm.nn.mlp(2, ()), ValueError, "got ()"),
        (lambda: fm.nn.mlp(2, 16), (ValueError, TypeError), "got 16"),
        (lambda: fm.nn.mlp(2, None), (ValueError, TypeError), "got None"),
        (lambda: fm.nn.mlp(2, "16"), (ValueError, TypeError), "got '16'"),
        (lambda: fm.nn.mlp(2, [16, 0, 1]), ValueError, "got 0"),
        (lambda: fm.nn.mlp(2, [16, -16, 1]), ValueError, "got -16"),
        (lambda: fm.nn.mlp(2, [16, 16.0, 1]), TypeError, "got 16.0"),
        (lambda: fm.nn.mlp(2, [16, True]), TypeError, "got True"),
        (lambda: fm.nn.mlp(2, [16, "1"]), TypeError, "got '1'"),
        (lambda: fm.nn.mlp(2, [16, None]), TypeError, "got None"),
        (lambda: fm.nn.mlp(2, [16, 1], activation="Relu"), ValueError, "got 'Relu'"),
        (lambda: fm.nn.mlp(2, [16, 1], activation=""), ValueError, "got ''"),
    ],
)
def test_mlp_neuron_layer_bad_arguments(
    call: Callable[[], object], error: type[Exception] | tuple[type[Exception], ...], shown: str
) -> None:
    with pytest.raises(error) as info:
        call()
    assert shown in str(info.value), str(info.value)


def test_mlp_error_message_shape() -> None:
    with pytest.raises(ValueError, match=r"^mlp: .*non-empty.*got \[\]$"):
        fm.nn.mlp(2, [])
    with pytest.raises(ValueError, match=r"relu.*tanh.*sigmoid.*linear.*'gelu'"):
        fm.nn.mlp(2, [1], activation="gelu")


@pytest.mark.parametrize(
    ("x", "error", "shown"),
    [
        ([1.0], ValueError, "expected 2 inputs, got 1"),
        ([1.0, 2.0, 3.0], ValueError, "expected 2 inputs, got 3"),
        ([], ValueError, "expected 2 inputs, got 0"),
        ([1.0, "2"], TypeError, "'2'"),
        ([None, 1.0], TypeError, "None"),
        ([1.0, True], TypeError, "True"),
        ([1.0, [2.0]], TypeError, "[2.0]"),
        ([1.0, math.nan], ValueError, "nan"),
        ([math.inf, 1.0], ValueError, "inf"),
        ("12", TypeError, "'12'"),
        (None, TypeError, "None"),
        (1.0, TypeError, "1.0"),
        ({1.0, 2.0}, TypeError, "{"),
    ],
)
def test_forward_bad_input(x: object, error: type[Exception], shown: str) -> None:
    for model in [fm.nn.neuron(2), fm.nn.layer(2, 2), fm.nn.mlp(2, [3, 1])]:
        with pytest.raises(error) as info:
            fm.nn.forward(model, x)  # type: ignore[arg-type]
        assert shown in str(info.value), str(info.value)
        with pytest.raises(error):
            model(x)  # type: ignore[arg-type]


def test_forward_non_model_type_error() -> None:
    with pytest.raises(TypeError, match="list"):
        fm.nn.forward([fm.nn.neuron(2)], [1.0, 2.0])  # type: ignore[arg-type]


# -- immutability --------------------------------------------------------------------


def test_neuron_layer_mlp_are_pclass_records() -> None:
    model = fm.nn.mlp(2, [3, 1])
    assert isinstance(model, PClass)
    assert all(isinstance(row, PClass) for row in model.layers)
    assert all(isinstance(n, PClass) for row in model.layers for n in row.neurons)
    assert isinstance(model.layers, tuple)
    assert isinstance(model.layers[0].neurons, tuple)
    assert isinstance(model.layers[0].neurons[0].w, tuple)


@pytest.mark.parametrize(
    ("build", "name", "new"),
    [
        (lambda: fm.nn.neuron(2), "w", ()),
        (lambda: fm.nn.neuron(2), "b", fm.Value(1.0)),
        (lambda: fm.nn.neuron(2), "activation", "tanh"),
        (lambda: fm.nn.neuron(2), "grad", 0.0),
        (lambda: fm.nn.layer(2, 2), "neurons", ()),
        (lambda: fm.nn.mlp(2, [2, 1]), "layers", ()),
        (lambda: fm.nn.mlp(2, [2, 1]), "nonlin", False),
    ],
)
def test_neuron_layer_mlp_setting_attributes_raises(
    build: Callable[[], fm.nn.Model], name: str, new: object
) -> None:
    model = build()
    before = fm.nn.to_json(model)
    with pytest.raises(AttributeError):
        setattr(model, name, new)
    if hasattr(model, name):
        with pytest.raises(AttributeError):
            delattr(model, name)
    assert fm.nn.to_json(model) == before


def test_neuron_set_returns_new_record() -> None:
    unit = fm.nn.neuron(2, seed=1)
    other = unit.set(activation="tanh")
    assert unit.activation == "relu"
    assert other.activation == "tanh"
    with pytest.raises(Exception, match="activation"):
        unit.set(activation="gelu")
    with pytest.raises(Exception):  # noqa: B017 - pyrsistent's own invariant error
        fm.nn.mlp(2, [2, 1]).set(layers=(fm.nn.layer(3, 2), fm.nn.layer(3, 1)))


# -- init="scaled" ------------------------------------------------------------------------


@given(seed=st.integers(min_value=-(2**40), max_value=2**40), activation=activations)
@settings(max_examples=20)
def test_scaled_init_is_the_uniform_draws_times_one_over_root_nin(
    seed: int, activation: str
) -> None:
    uniform = fm.nn.mlp(3, [5, 4, 2], activation=activation, seed=seed)
    scaled = fm.nn.mlp(3, [5, 4, 2], activation=activation, seed=seed, init="scaled")
    for row_u, row_s in zip(uniform.layers, scaled.layers):
        for unit_u, unit_s in zip(row_u.neurons, row_s.neurons):
            nin = len(unit_u.w)
            for wu, ws in zip(unit_u.w, unit_s.w):
                assert ws.data == wu.data * nin**-0.5
                assert abs(ws.data) <= nin**-0.5
            assert unit_s.b.data == 0.0 and unit_s.activation == unit_u.activation
    assert [p.label for p in fm.nn.parameters(scaled)] == [
        p.label for p in fm.nn.parameters(uniform)
    ]


def test_scaled_init_for_neurons_and_layers() -> None:
    assert datas(fm.nn.neuron(4, seed=2, init="scaled")) == [
        x * 0.5 for x in datas(fm.nn.neuron(4, seed=2))[:-1]
    ] + [0.0]
    assert datas(fm.nn.layer(9, 2, seed=2, init="scaled")) == [
        x * 9**-0.5 if i % 10 != 9 else 0.0 for i, x in enumerate(datas(fm.nn.layer(9, 2, seed=2)))
    ]


@pytest.mark.parametrize("build", [fm.nn.mlp, fm.nn.layer, fm.nn.neuron])
@pytest.mark.parametrize("init", ["xavier", "", None, 1])
def test_init_unknown_scheme_raises(build: Callable[..., Any], init: object) -> None:
    args: tuple[Any, ...] = {fm.nn.mlp: (2, [3, 1]), fm.nn.layer: (2, 3), fm.nn.neuron: (2,)}[build]
    with pytest.raises(
        ValueError, match=rf"^{build.__name__}: expected init to be one of 'uniform', 'scaled'"
    ):
        build(*args, init=init)


# -- logsumexp, log_softmax, softmax ------------------------------------------------------

logit_lists = st.lists(st.floats(-30.0, 30.0), min_size=1, max_size=6)


def numeric_grad(f: Callable[[list[float]], float], xs: list[float], i: int) -> float:
    h = 1e-6
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    return (f(up) - f(down)) / (2 * h)


def plain_lse(xs: list[float]) -> float:
    m = max(xs)
    return m + math.log(math.fsum(math.exp(x - m) for x in xs))


@given(xs=logit_lists)
@settings(max_examples=60, deadline=None)
def test_logsumexp_value_and_gradient_are_the_softmax(xs: list[float]) -> None:
    leaves = [fm.Value(x) for x in xs]
    lse = fm.nn.logsumexp(leaves)
    assert lse.data == pytest.approx(plain_lse(xs), rel=1e-12, abs=1e-12)
    g = fm.backward(lse)
    probs = [math.exp(x - plain_lse(xs)) for x in xs]
    for i, leaf in enumerate(leaves):
        assert g[leaf] == pytest.approx(probs[i], rel=1e-9, abs=1e-12)
        assert g[leaf] == pytest.approx(numeric_grad(plain_lse, xs, i), rel=1e-5, abs=1e-7)


@given(xs=logit_lists, target=st.integers(0, 5))
@settings(max_examples=60, deadline=None)
def test_log_softmax_and_softmax_values_and_gradients(xs: list[float], target: int) -> None:
    target %= len(xs)
    leaves = [fm.Value(x) for x in xs]
    logp = fm.nn.log_softmax(leaves)
    probs = fm.nn.softmax(leaves)
    lse = plain_lse(xs)
    assert [v.data for v in logp] == pytest.approx([x - lse for x in xs], rel=1e-12, abs=1e-12)
    assert [p.data for p in probs] == pytest.approx(
        [math.exp(x - lse) for x in xs], rel=1e-9, abs=1e-300
    )
    assert math.fsum(p.data for p in probs) == pytest.approx(1.0, rel=1e-12)
    g_log = fm.backward(logp[target])
    g_prob = fm.backward(probs[target])
    for i, leaf in enumerate(leaves):
        want_log = numeric_grad(lambda v: v[target] - plain_lse(v), xs, i)
        want_prob = numeric_grad(lambda v: math.exp(v[target] - plain_lse(v)), xs, i)
        assert g_log[leaf] == pytest.approx(want_log, rel=1e-5, abs=1e-7)
        assert g_prob[leaf] == pytest.approx(want_prob, rel=1e-5, abs=1e-7)


def test_softmax_is_stable_for_large_logits() -> None:
    assert [p.data for p in fm.nn.softmax([1000.0, 0.0])] == [1.0, 0.0]
    assert [v.data for v in fm.nn.log_softmax([1000.0, 0.0])] == [0.0, -1000.0]
    assert fm.nn.logsumexp([-1e300, -1e300]).data == pytest.approx(-1e300 + math.log(2))
    big = [fm.Value(1e300), fm.Value(1e300)]
    g = fm.backward(fm.nn.logsumexp(big))
    assert [g[v] for v in big] == [0.5, 0.5]


def test_softmax_takes_numbers_values_and_model_outputs() -> None:
    model = fm.nn.mlp(2, [4, 3], seed=1)
    out = model([0.5, -1.0])
    assert isinstance(out, tuple)
    from_values = [p.data for p in fm.nn.softmax(out)]
    from_numbers = [p.data for p in fm.nn.softmax([o.data for o in out])]
    assert from_values == from_numbers
    assert fm.nn.softmax((3,))[0].data == 1.0


@pytest.mark.parametrize("function", [fm.nn.softmax, fm.nn.log_softmax, fm.nn.logsumexp])
@pytest.mark.parametrize(
    ("bad", "error"),
    [([], ValueError), (3.0, TypeError), ("ab", TypeError), ([1.0, "a"], TypeError),
     ([1.0, math.nan], ValueError), (fm.Value(1.0), TypeError), ([True], TypeError)],
)  # fmt: skip
def test_softmax_family_bad_input(function: Callable[..., Any], bad: object, error: type) -> None:
    with pytest.raises(error, match=f"^{function.__name__}: expected"):
        function(bad)


# -- predict --------------------------------------------------------------------------------


def test_predict_one_output_is_the_sign_with_zero_as_one() -> None:
    ident = fm.nn.with_parameters(fm.nn.neuron(1, activation="linear"), [1.0, 0.0])
    assert [fm.nn.predict(ident, [x]) for x in (-2.0, -1e-300, 0.0, 3.5)] == [-1.0, -1.0, 1.0, 1.0]
    assert type(fm.nn.predict(ident, [1.0])) is float


def test_predict_several_outputs_is_the_index_of_the_largest() -> None:
    model = fm.nn.mlp(2, [5, 4], seed=3)
    for x in ([0.0, 1.0], [-1.0, 2.5], [3.0, -0.5]):
        out = model(x)
        assert isinstance(out, tuple)
        datas_out = [o.data for o in out]
        assert fm.nn.predict(model, x) == datas_out.index(max(datas_out))
    ties = fm.nn.with_parameters(fm.nn.layer(1, 3, activation="linear"), [1, 0, 2, 0, 2, 0])
    assert fm.nn.predict(ties, [1.0]) == 1  # the first of the largest


def test_predict_bad_input() -> None:
    with pytest.raises(ValueError, match="expected 2 inputs"):
        fm.nn.predict(fm.nn.mlp(2, [3, 1]), [1.0])
    with pytest.raises(TypeError, match="Neuron, Layer or MLP"):
        fm.nn.predict("model", [1.0])  # type: ignore[arg-type]


# -- micrograd habits get a pointer ----------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "args", "fix"),
    [
        (MLP, (2, [16, 1]), r"fm\.nn\.mlp\(2, \[16, 1\]\)"),
        (Layer, (2, 3), r"fm\.nn\.layer\(2, 3\)"),
        (Neuron, (2,), r"fm\.nn\.neuron\(2\)"),
    ],
)
def test_micrograd_constructors_point_to_the_builders(
    make: Callable[..., Any], args: tuple[Any, ...], fix: str
) -> None:
    with pytest.raises(
        TypeError, match=rf"^{make.__name__}\(.*\) is micrograd's constructor; here write {fix}"
    ):
        make(*args)


@pytest.mark.parametrize("model", [fm.nn.mlp(2, [3, 1]), fm.nn.layer(2, 2), fm.nn.neuron(2)])
def test_micrograd_methods_point_to_the_functions(model: fm.nn.Model) -> None:
    kind = type(model).__name__
    with pytest.raises(
        AttributeError, match=rf"^{kind} has no parameters\(\) method.*fm\.nn\.parameters\(model\)"
    ):
        model.parameters()  # type: ignore[union-attr]
    with pytest.raises(
        AttributeError, match=rf"^{kind} has no zero_grad\(\): there is nothing to zero"
    ):
        model.zero_grad()  # type: ignore[union-attr]
    with pytest.raises(AttributeError, match="has no attribute 'weights'"):
        model.weights  # type: ignore[union-attr]  # noqa: B018
    assert not hasattr(model, "parameters")


def test_records_still_build_copy_and_pickle_by_keyword() -> None:
    import copy
    import pickle

    model = fm.nn.mlp(2, [3, 1], seed=4)
    again = MLP(layers=model.layers)
    assert datas(again) == datas(model)
    assert datas(pickle.loads(pickle.dumps(model))) == datas(model)
    assert datas(copy.deepcopy(model)) == datas(model)
    assert model.set(layers=model.layers) == model


def test_public_names_of_nn_keep_it_as_their_module_and_pickle_under_it() -> None:
    # The records and the walker are written in private files; pickles, saved
    # runs (options name functions by module) and help() go by __module__,
    # which stays functional_micrograd.nn wherever the code lives.
    import inspect
    import pickle

    from_serialize = {"FORMAT_VERSION", "from_json", "to_json"}
    named = {
        name: getattr(fm.nn, name)
        for name in fm.nn.__all__
        if name not in from_serialize
        and (inspect.isclass(getattr(fm.nn, name)) or inspect.isfunction(getattr(fm.nn, name)))
    }
    assert {"Neuron", "Layer", "MLP", "Structure", "flatten", "apply_gradients"} <= set(named)
    assert {name: obj.__module__ for name, obj in named.items()} == dict.fromkeys(
        named, "functional_micrograd.nn"
    )
    model = fm.nn.mlp(2, [3, 1], seed=4)
    for record in (model, model.layers[0], model.layers[0].neurons[0]):
        saved = pickle.dumps(record)
        assert b"functional_micrograd.nn" in saved and b"_nn_" not in saved
        loaded = pickle.loads(saved)
        assert (type(loaded), repr(loaded), datas(loaded)) == (
            type(record),
            repr(record),
            datas(record),
        )
    shape = fm.nn.structure(model)
    saved = pickle.dumps(shape)
    assert b"functional_micrograd.nn" in saved and b"_nn_" not in saved
    assert pickle.loads(saved) == shape
