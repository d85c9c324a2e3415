"""Tests for train(..., jit=True): the compiled step gives the eager step's numbers."""

from __future__ import annotations

import math
from typing import Any

import pytest

import functional_micrograd as fm
from functional_micrograd import compiled, losses


def _parameters(model: fm.nn.Model) -> list[float]:
    return [p.data for p in fm.nn.parameters(model)]


def _same_runs(**options: Any) -> None:
    """The same run eagerly and compiled: every history row and final weight equal."""
    eager = fm.train(**options)
    fast = fm.train(**options, jit=True)
    assert list(fast.history) == list(eager.history)
    assert _parameters(fast.final_model) == _parameters(eager.final_model)
    assert fast.options["jit"] is True and eager.options["jit"] is False


def test_jit_moons_demo_history_equals_the_eager_one() -> None:
    model, data = fm.nn.mlp(2, [16, 16, 1], seed=1337), fm.datasets.moons(40, noise=0.1)
    _same_runs(model=model, dataset=data, steps=6)


def test_jit_multiclass_with_validation_and_adamw_equals_eager() -> None:
    train_part, val_part, _ = fm.datasets.split(fm.datasets.yinyang(60))
    _same_runs(
        model=fm.nn.mlp(2, [8, 3], activation="tanh", seed=1337, init="scaled"),
        dataset=train_part,
        steps=5,
        alpha=0.0,
        optimizer=fm.optim.adamw(0.1, b2=0.95, weight_decay=1e-4),
        validation=val_part,
    )


@pytest.mark.parametrize(
    "options",
    [
        {"dataset": fm.datasets.sine(30), "optimizer": fm.optim.adam(0.05)},
        {"dataset": fm.datasets.moons(30), "loss": losses.mse, "alpha": 1e-3},
        {"dataset": fm.datasets.moons(30), "batch_size": 7, "log_every": 2},
        {"dataset": fm.datasets.circles(30), "optimizer": fm.optim.momentum(0.1)},
        {"dataset": fm.datasets.blobs(30, centers=((0, 0), (1, 1), (0, 2))), "alpha": 1e-3},
    ],
    ids=["sine-adam", "binary-mse", "batches", "circles-momentum", "blobs-3"],
)
def test_jit_equals_eager_for_every_task(options: dict[str, Any]) -> None:
    dataset = options["dataset"]
    outputs = dataset.num_classes if dataset.task == "multiclass" else 1
    width = dataset.width
    model = fm.nn.mlp(width, [6, outputs], activation="tanh", seed=3)
    _same_runs(model=model, steps=4, **options)


def test_jit_iterate_yields_the_eager_states() -> None:
    model, data = fm.nn.mlp(2, [5, 1], seed=2), fm.datasets.moons(20, seed=4)
    eager = list(fm.training.iterate(model, data, steps=3))
    fast = list(fm.training.iterate(model, data, steps=3, jit=True))
    assert [list(s.history) for s in fast] == [list(s.history) for s in eager]
    assert [_parameters(s.model) for s in fast] == [_parameters(s.model) for s in eager]


def test_kernel_terms_outputs_and_gradients_equal_the_eager_graph() -> None:
    model = fm.nn.mlp(2, [4, 4, 1], seed=5)
    data = fm.datasets.moons(12, seed=6)
    alpha = 1e-3
    run = compiled.kernel(model, losses.max_margin, 1.0 / len(data)).run
    values = _parameters(model)
    start = [0.0 + alpha * v + alpha * v for v in values]
    terms, outs, grads = run(values, [(*x, y) for x, y in zip(data.xs, data.ys)], start)
    result = losses.max_margin(model, data.xs, data.ys, alpha=alpha)
    g = fm.backward(result.total_loss)
    assert outs == [s.data for s in result.scores]
    assert list(grads) == [g[p] for p in fm.nn.parameters(model)]
    assert math.fsum(terms) / len(terms) == pytest.approx(result.data_loss.data, rel=1e-15)


def test_kernel_is_compiled_once_per_architecture_loss_and_scale() -> None:
    a = compiled.kernel(fm.nn.mlp(2, [3, 1], seed=1), losses.max_margin, 0.5)
    b = compiled.kernel(fm.nn.mlp(2, [3, 1], seed=9), losses.max_margin, 0.5)
    c = compiled.kernel(fm.nn.mlp(2, [3, 1], activation="tanh", seed=1), losses.max_margin, 0.5)
    assert a is b
    assert c is not a
    assert a.seconds > 0 and a.lines > 0


def test_jit_divergence_is_the_eager_divergence() -> None:
    options = {
        "model": fm.nn.mlp(2, [8, 1], seed=0),
        "dataset": fm.datasets.moons(20, seed=0),
        "steps": 50,
        "learning_rate": 1e150,
    }
    with pytest.raises(fm.TrainingDiverged) as eager:
        fm.train(**options)
    with pytest.raises(fm.TrainingDiverged) as fast:
        fm.train(**options, jit=True)
    assert fast.value.step == eager.value.step
    assert str(fast.value) == str(eager.value)
    assert type(fast.value.__cause__) is type(eager.value.__cause__)


def test_jit_refuses_a_loss_it_cannot_compile_and_a_non_bool() -> None:
    model, data = fm.nn.mlp(2, [3, 1]), fm.datasets.moons(10)

    def own(model: fm.nn.Model, xs: Any, ys: Any) -> fm.Value:
        return fm.sum_values(model(x) for x in xs)

    with pytest.raises(ValueError, match=r"jit=True compiles the built-in losses.*'own'"):
        fm.train(model, data, loss=own, jit=True)
    with pytest.raises(TypeError, match=r"train: expected jit to be True or False, got 1 \(int\)"):
        fm.train(model, data, jit=1)  # type: ignore[arg-type]
