"""Tests for functional_micrograd.training: the fold, its stream, and micrograd's demo loop."""

from __future__ import annotations

import copy
import functools
import gc
import itertools
import json
import math
import os
import pickle
import random
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import micrograd.engine
import micrograd.nn
import pytest
import toolz
from hypothesis import given, settings
from hypothesis import strategies as st
from pyrsistent import PMap, PVector

import functional_micrograd as fm
from functional_micrograd.datasets import Dataset
from functional_micrograd.losses import LossResult, max_margin
from functional_micrograd.training import (
    HistoryRow,
    Run,
    TrainingDiverged,
    TrainingFailed,
    TrainState,
    iterate,
    micrograd_schedule,
    train,
)

TOL = 1e-9
ROOT = Path(__file__).resolve().parent.parent
ROW_FIELDS = ("step", "loss", "data_loss", "reg_loss", "accuracy", "learning_rate")


def close(a: float, b: float, tol: float = TOL) -> bool:
    """Equal to ``tol``, relative for large numbers and absolute near zero."""
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def data_of(model: fm.nn.Model) -> list[float]:
    return [p.data for p in fm.nn.parameters(model)]


def row_tuple(row: HistoryRow) -> tuple[float, ...]:
    return tuple(getattr(row, name) for name in ROW_FIELDS)


def small() -> tuple[fm.nn.MLP, Dataset]:
    """A model and data small enough for a step to take milliseconds."""
    return fm.nn.mlp(2, [4, 4, 1], seed=7), fm.datasets.moons(12, noise=0.1, seed=3)


# -- micrograd's demo loop, as the notebook writes it ------------------------------


def micrograd_twin(model: fm.nn.MLP, nouts: list[int]) -> micrograd.nn.MLP:
    """micrograd's MLP of the same shape, holding the same weights."""
    saved = random.getstate()  # micrograd initialises from the global random
    try:
        twin = micrograd.nn.MLP(2, nouts)
    finally:
        random.setstate(saved)
    for p, q in zip(fm.nn.parameters(model), twin.parameters(), strict=True):
        q.data = p.data
    return twin


def relu_ties(output: Any) -> int:
    """How many ReLUs in a micrograd graph have an input within TOL of 0."""
    seen, stack, ties = {id(output)}, [output], 0
    while stack:
        node = stack.pop()
        if node._op == "ReLU":
            ties += sum(abs(child.data) <= TOL for child in node._prev)
        for child in node._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return ties


def micrograd_demo(
    model: micrograd.nn.MLP, xs: Sequence[Sequence[float]], ys: Sequence[float], steps: int
) -> list[tuple[tuple[float, ...], int, int]]:
    """The demo notebook's loss and training loop; one row per step, as it prints them.

    Each row comes with the number of scores within TOL of 0: micrograd adds
    up gradients in set order, so a weight whose gradient cancels out lands on
    0.0 or on +-1e-17 from one run to the next, and a score that close to 0
    may count as right or wrong. It also comes with the number of ReLU inputs
    within TOL of 0: there the same last-bit noise decides whether a gradient
    passes, so the two libraries' updates may part from that step on.
    """
    Value = micrograd.engine.Value

    def loss() -> tuple[Any, Any, Any, float, int]:
        inputs = [list(map(Value, xrow)) for xrow in xs]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(ys, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(ys, scores)]
        ties = sum(abs(scorei.data) <= TOL for scorei in scores)
        return total_loss, data_loss, reg_loss, sum(accuracy) / len(accuracy), ties

    rows = []
    for k in range(steps):
        total_loss, data_loss, reg_loss, acc, ties = loss()
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        row = (k, total_loss.data, data_loss.data, reg_loss.data, acc, learning_rate)
        rows.append((row, ties, relu_ties(total_loss)))
    return rows


def assert_train_matches_micrograd(
    model: fm.nn.MLP, nouts: list[int], ds: Dataset, steps: int
) -> None:
    run = train(model, ds, steps=steps)
    twin = micrograd_twin(model, nouts)
    expected = micrograd_demo(twin, ds.xs, ds.ys, steps)
    assert len(run.history) == steps
    for row, (want, ties, gates) in zip(run.history, expected):
        got = row_tuple(row)
        assert got[0] == want[0]
        # accuracy counts points: equal, but for scores micrograd leaves at about 0
        assert abs(got[4] - want[4]) * len(ds) <= ties + 1e-9, (row, want, ties)
        for i in (1, 2, 3, 5):  # loss, data_loss, reg_loss, learning_rate
            assert close(got[i], want[i]), (ROW_FIELDS[i], row, want)
        if gates:  # a ReLU at its kink: the next steps may rightly differ
            return
    for p, q in zip(fm.nn.parameters(run.final_model), twin.parameters(), strict=True):
        assert close(p.data, q.data), (p.label, p.data, q.data)


def test_train_matches_micrograd_demo_loop_row_by_row() -> None:
    model = fm.nn.mlp(2, [16, 16, 1], seed=1337)
    assert_train_matches_micrograd(model, [16, 16, 1], fm.datasets.moons(20, noise=0.1), steps=4)


@given(
    model_seed=st.integers(0, 2**32),
    data_seed=st.integers(0, 2**32),
    n=st.integers(2, 10),
    # micrograd's Layer hands a one-neuron layer's output on unwrapped, so widths >= 2
    hidden=st.lists(st.integers(2, 5), min_size=0, max_size=2),
    steps=st.integers(1, 4),
)
@settings(max_examples=10, deadline=None)
def test_train_matches_micrograd_demo_loop_any_model(
    model_seed: int, data_seed: int, n: int, hidden: list[int], steps: int
) -> None:
    nouts = [*hidden, 1]
    model = fm.nn.mlp(2, nouts, seed=model_seed)
    assert_train_matches_micrograd(model, nouts, fm.datasets.moons(n, seed=data_seed), steps)


# -- the parity run: micrograd's demo, 100 steps on 100 moons ----------------------


class Demo:
    def __init__(self) -> None:
        self.model = fm.nn.mlp(2, [16, 16, 1], seed=1337)
        self.dataset = fm.datasets.moons(100, noise=0.1)
        self.before = [(p.id, p.label, p.data.hex()) for p in fm.nn.parameters(self.model)]
        start = time.process_time()
        self.run = train(self.model, self.dataset)
        self.seconds = time.process_time() - start


@pytest.fixture(scope="module")
def demo() -> Demo:
    return Demo()


def test_train_micrograd_demo_reaches_99_percent(demo: Demo) -> None:
    run = demo.run
    print(
        f"\nmoons demo: final_loss={run.final_loss!r} final_accuracy={run.final_accuracy!r} "
        f"in {demo.seconds:.1f} s"
    )
    assert run.final_accuracy >= 0.99
    assert run.final_loss < run.history[0].loss
    assert run.history[0].accuracy < 0.99  # it had something to learn


def test_train_run_fields(demo: Demo) -> None:
    run = demo.run
    assert isinstance(run, Run)
    assert set(Run._pclass_fields) == {
        "initial_model",
        "final_model",
        "history",
        "final_loss",
        "final_accuracy",
        "options",
    }
    assert run.initial_model is demo.model
    assert isinstance(run.final_model, fm.nn.MLP)
    assert isinstance(run.history, PVector)
    assert all(isinstance(row, HistoryRow) for row in run.history)
    assert run.final_loss == run.history[-1].loss
    assert run.final_accuracy == run.history[-1].accuracy
    assert isinstance(run.options, PMap)
    assert run.options["steps"] == 100
    assert run.options["alpha"] == 1e-4
    assert run.options["batch_size"] is None
    assert run.options["learning_rate"] is micrograd_schedule
    assert run.options["seed"] == 1337
    assert run.options["log_every"] == 1
    assert run.options["optimizer"] is None
    assert run.options["dataset"] == demo.dataset.metadata
    assert "Run(" in repr(run)


def test_train_history_rows_are_steps_in_order(demo: Demo) -> None:
    history = demo.run.history
    assert [row.step for row in history] == list(range(100))
    for row in history:
        assert row.loss == row.data_loss + row.reg_loss
        assert 0.0 <= row.accuracy <= 1.0
        assert row.accuracy * 100 == pytest.approx(round(row.accuracy * 100))
        assert all(isinstance(getattr(row, name), float) for name in ROW_FIELDS[1:])


def test_train_history_learning_rate_is_micrograd_schedule(demo: Demo) -> None:
    assert [row.learning_rate for row in demo.run.history] == [
        1.0 - 0.9 * k / 100 for k in range(100)
    ]


def test_train_history_row_measured_before_the_update(demo: Demo) -> None:
    # row 0 is the initial model's loss: the numbers come before the step's update
    first = max_margin(demo.model, demo.dataset.xs, demo.dataset.ys)
    row = demo.run.history[0]
    assert row.loss == first.total_loss.data
    assert row.data_loss == first.data_loss.data
    assert row.reg_loss == first.reg_loss.data
    assert row.accuracy == first.accuracy
    # and the final model is one update past the last row
    after = max_margin(demo.run.final_model, demo.dataset.xs, demo.dataset.ys)
    assert after.total_loss.data != demo.run.final_loss


def test_train_does_not_change_initial_model(demo: Demo) -> None:
    now = [(p.id, p.label, p.data.hex()) for p in fm.nn.parameters(demo.model)]
    assert now == demo.before
    assert data_of(demo.run.final_model) != [float.fromhex(h) for _, _, h in demo.before]
    assert not {p.id for p in fm.nn.parameters(demo.run.final_model)} & {
        i for i, _, _ in demo.before
    }


# -- one step, learning rates, log_every ------------------------------------------


def test_train_one_step_is_loss_backward_update() -> None:
    model, ds = small()
    run = train(model, ds, steps=1, learning_rate=0.3)
    g = fm.backward(max_margin(model, ds.xs, ds.ys).total_loss)
    assert data_of(run.final_model) == data_of(fm.nn.apply_gradients(model, g, 0.3))


def test_train_learning_rate_number_is_constant() -> None:
    model, ds = small()
    run = train(model, ds, steps=3, learning_rate=0.25)
    assert [row.learning_rate for row in run.history] == [0.25, 0.25, 0.25]
    as_function = train(model, ds, steps=3, learning_rate=lambda k: 0.25)
    assert data_of(as_function.final_model) == data_of(run.final_model)
    assert list(map(row_tuple, as_function.history)) == list(map(row_tuple, run.history))


def test_train_learning_rate_function_of_step() -> None:
    model, ds = small()
    run = train(model, ds, steps=4, learning_rate=lambda k: 0.5 / (k + 1))
    assert [row.learning_rate for row in run.history] == [0.5, 0.25, 0.5 / 3, 0.125]


def test_train_learning_rate_zero_keeps_the_model() -> None:
    model, ds = small()
    run = train(model, ds, steps=3, learning_rate=0)
    assert data_of(run.final_model) == data_of(model)
    assert len({row.loss for row in run.history}) == 1


def test_train_sgd_optimizer_with_the_schedule_is_the_default() -> None:
    model, ds = small()
    plain = train(model, ds, steps=3)
    with_sgd = train(model, ds, steps=3, optimizer=fm.optim.sgd(micrograd_schedule))
    assert data_of(with_sgd.final_model) == data_of(plain.final_model)
    assert list(map(row_tuple, with_sgd.history)) == list(map(row_tuple, plain.history))


@functools.lru_cache(maxsize=1)
def full_history() -> tuple[tuple[float, ...], ...]:
    model, ds = small()
    return tuple(map(row_tuple, train(model, ds, steps=8).history))


@given(steps=st.integers(1, 8), log_every=st.integers(1, 10))
@settings(max_examples=20, deadline=None)
def test_train_log_every_keeps_multiples_and_the_last(steps: int, log_every: int) -> None:
    model, ds = small()
    run = train(model, ds, steps=steps, log_every=log_every)
    kept = [k for k in range(steps) if k % log_every == 0 or k == steps - 1]
    assert [row.step for row in run.history] == kept
    assert list(map(row_tuple, run.history)) == [full_history()[k] for k in kept]
    assert run.final_loss == full_history()[steps - 1][1]


def test_train_log_every_skips_rows_not_training() -> None:
    model, ds = small()
    every = train(model, ds, steps=7)
    sparse = train(model, ds, steps=7, log_every=3)
    assert [row.step for row in sparse.history] == [0, 3, 6]
    assert data_of(sparse.final_model) == data_of(every.final_model)


def test_train_batches_are_seeded() -> None:
    model, ds = small()
    a = train(model, ds, steps=4, batch_size=5, seed=1)
    b = train(model, ds, steps=4, batch_size=5, seed=1)
    c = train(model, ds, steps=4, batch_size=5, seed=2)
    assert list(map(row_tuple, a.history)) == list(map(row_tuple, b.history))
    assert list(map(row_tuple, a.history)) != list(map(row_tuple, c.history))
    assert all((row.accuracy * 5) == round(row.accuracy * 5) for row in a.history)
    # each step draws its own batch
    still = train(model, ds, steps=4, batch_size=5, learning_rate=0)
    assert len({row.data_loss for row in still.history}) > 1


# -- micrograd_schedule -----------------------------------------------------------


def test_micrograd_schedule_is_the_demos_formula() -> None:
    for k in range(101):
        assert micrograd_schedule(k) == 1.0 - 0.9 * k / 100
    assert micrograd_schedule(0) == 1.0
    assert micrograd_schedule(100) == pytest.approx(0.1)


@given(k=st.integers(101, 10**12))
def test_micrograd_schedule_stays_at_final_value_after_100(k: int) -> None:
    assert micrograd_schedule(k) == micrograd_schedule(100)


# -- determinism ------------------------------------------------------------------

FINGERPRINT = """
import json
import functional_micrograd as fm

def fingerprint():
    out = []
    for batch_size in (None, 5):
        run = fm.train(fm.nn.mlp(2, [4, 4, 1], seed=7), fm.datasets.moons(12, noise=0.1, seed=3),
                       steps=4, batch_size=batch_size)
        out.append([[float(getattr(row, name)).hex() for name in
                     ("step", "loss", "data_loss", "reg_loss", "accuracy", "learning_rate")]
                    for row in run.history])
        out.append([p.data.hex() for p in fm.nn.parameters(run.final_model)])
    return out
"""


def fingerprint() -> Any:
    scope: dict[str, Any] = {}
    exec(FINGERPRINT, scope)
    return scope["fingerprint"]()


def test_train_twice_bit_identical() -> None:
    assert fingerprint() == fingerprint()


def test_train_bit_identical_across_processes_and_hash_seeds() -> None:
    here = fingerprint()
    for hash_seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        out = subprocess.run(
            [sys.executable, "-c", FINGERPRINT + "print(json.dumps(fingerprint()))"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        assert json.loads(out.stdout) == here


# -- iterate ----------------------------------------------------------------------


def test_iterate_yields_initial_state_then_one_per_step() -> None:
    model, ds = small()
    states = list(iterate(model, ds, steps=5))
    assert [s.step for s in states] == [0, 1, 2, 3, 4, 5]
    assert all(isinstance(s, TrainState) for s in states)
    assert states[0].model is model
    assert len(states[0].history) == 0
    assert [len(s.history) for s in states] == [0, 1, 2, 3, 4, 5]


def test_iterate_states_stay_valid() -> None:
    model, ds = small()
    states = list(iterate(model, ds, steps=4))
    # every earlier state is untouched by the later steps: each history a prefix of the next
    for before, after in itertools.pairwise(states):
        assert list(after.history[: len(before.history)]) == list(before.history)
        assert data_of(before.model) != data_of(after.model)
    assert data_of(states[0].model) == data_of(model)


def test_iterate_last_state_equals_train() -> None:
    model, ds = small()
    *_, last = iterate(model, ds, steps=6, log_every=4)
    run = train(model, ds, steps=6, log_every=4)
    assert data_of(last.model) == data_of(run.final_model)
    assert list(map(row_tuple, last.history)) == list(map(row_tuple, run.history))
    assert last.step == 6


def test_iterate_is_lazy() -> None:
    model, ds = small()
    start = time.process_time()
    first_two = list(toolz.take(2, iterate(model, ds, steps=10**6)))
    assert time.process_time() - start < 10.0  # a million steps would take hours
    assert [s.step for s in first_two] == [0, 1]


def test_iterate_early_stop() -> None:
    model = fm.nn.mlp(2, [8, 1], seed=1)
    ds = fm.datasets.blobs(10, noise=0.1, seed=2)
    stream = iterate(model, ds, steps=1000)
    done = next(s for s in stream if s.history and s.history[-1].accuracy == 1.0)
    assert done.step < 1000
    assert done.history[-1].step == done.step - 1


# -- divergence -------------------------------------------------------------------


def test_training_diverged_on_enormous_weights() -> None:
    model, ds = small()
    huge = fm.nn.with_parameters(model, [1e200] * fm.nn.parameter_count(model))
    with pytest.raises(TrainingDiverged) as info:
        train(huge, ds, steps=5)
    error = info.value
    assert isinstance(error, ArithmeticError)
    assert error.step == 0
    assert error.state.step == 0
    assert error.state.model is huge
    assert isinstance(error.__cause__, (ArithmeticError, ValueError))
    assert not isinstance(error.__cause__, TrainingDiverged)
    assert "step 0" in str(error)


def diverging_states() -> tuple[list[TrainState], TrainingDiverged]:
    model = fm.nn.mlp(2, [4, 1], seed=5)
    ds = fm.datasets.moons(10, noise=0.1, seed=1)
    seen: list[TrainState] = []
    stream: Iterator[TrainState] = iterate(model, ds, steps=50, learning_rate=1e300)
    with pytest.raises(TrainingDiverged) as info:
        for state in stream:
            seen.append(state)
    return seen, info.value


def test_training_diverged_keeps_last_good_state() -> None:
    seen, error = diverging_states()
    # the loss of seen[-1]'s model overflowed: the last good state is the one before
    assert error.state is seen[-2]
    assert error.step == len(seen) - 1 == error.state.step + 1
    assert len(error.state.history) == error.state.step
    # the last good model is an ordinary, finite, usable model
    model = error.state.model
    assert all(math.isfinite(x) for x in data_of(model))
    assert data_of(fm.nn.from_json(fm.nn.to_json(model))) == data_of(model)
    assert isinstance(error.__cause__, (ArithmeticError, ValueError))
    assert f"step {error.step}" in str(error)


def test_training_diverged_from_train_with_huge_learning_rate() -> None:
    model = fm.nn.mlp(2, [4, 1], seed=5)
    ds = fm.datasets.moons(10, noise=0.1, seed=1)
    with pytest.raises(TrainingDiverged) as info:
        train(model, ds, steps=50, learning_rate=1e300)
    _, streamed = diverging_states()
    assert info.value.step == streamed.step
    assert data_of(info.value.state.model) == data_of(streamed.state.model)
    assert isinstance(info.value, ArithmeticError)


def test_training_diverged_pickles_and_copies() -> None:
    # e.g. raised in a worker process and sent back to the parent
    _, error = diverging_states()
    for again in (pickle.loads(pickle.dumps(error)), copy.copy(error)):
        assert isinstance(again, TrainingDiverged)
        assert again.step == error.step
        assert again.state.step == error.state.step
        assert data_of(again.state.model) == data_of(error.state.model)
        assert str(again) == str(error)
        assert type(again.__cause__) is type(error.__cause__)
        assert str(again.__cause__) == str(error.__cause__)


JITS = pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
SCHEDULE_FAILURES: dict[str, tuple[Callable[[int], Any], type[Exception]]] = {
    "inf": (lambda k: math.inf, ValueError),
    "nan": (lambda k: math.nan, ValueError),
    "huge int": (lambda k: 10**400, ValueError),
    "negative": (lambda k: -0.1, ValueError),
    "a str": (lambda k: "0.1", TypeError),
    "exp overflows": (lambda k: math.exp(1000.0 * k), OverflowError),
    "division by zero": (lambda k: 1.0 / (20 - k), ZeroDivisionError),
}


@JITS
@pytest.mark.parametrize("how", list(SCHEDULE_FAILURES))
def test_a_schedule_failing_at_step_20_keeps_the_20_steps(jit: bool, how: str) -> None:
    model, ds = small()
    bad, cause = SCHEDULE_FAILURES[how]

    def schedule(k: int) -> Any:
        return 0.1 if k < 20 else bad(k)

    good = train(model, ds, steps=20, learning_rate=0.1, jit=jit)
    for run in (train, lambda *a, **kw: list(iterate(*a, **kw))):
        with pytest.raises(TrainingFailed) as info:
            run(model, ds, steps=30, learning_rate=schedule, jit=jit)
        error = info.value
        assert not isinstance(error, TrainingDiverged)
        assert error.reason == "schedule"
        assert error.step == error.state.step == len(error.state.history) == 20
        assert list(error.state.history) == list(good.history)
        assert data_of(error.state.model) == data_of(good.final_model)
        assert type(error.__cause__) is cause
        assert "at step 20: the learning-rate schedule failed" in str(error)
        assert "not divergence" in str(error)
        again = pickle.loads(pickle.dumps(error))
        assert type(again) is TrainingFailed
        assert (again.reason, again.step, str(again)) == (error.reason, error.step, str(error))


@JITS
def test_a_value_error_in_the_users_optimizer_is_a_bug_not_divergence(jit: bool) -> None:
    model, ds = small()
    base = fm.optim.sgd(0.1)
    raised: list[ValueError] = []

    def update(model: Any, gradients: Any, state: Any) -> Any:
        if state.count == 5:
            raised.append(ValueError("my_update: expected 2 moments, got 3"))
            raise raised[-1]
        return base.update(model, gradients, state)

    mine = fm.optim.Optimizer(name="mine", learning_rate=0.1, init=base.init, update=update)
    with pytest.raises(TrainingFailed) as info:
        train(model, ds, steps=10, optimizer=mine, jit=jit)
    error = info.value
    assert not isinstance(error, (TrainingDiverged, ArithmeticError))
    assert error.reason == "user code"
    assert error.__cause__ is raised[0]
    assert error.__cause__.__traceback__ is not None
    assert error.step == error.state.step == len(error.state.history) == 5
    message = str(error)
    assert "by a ValueError in your own code, not by divergence" in message
    assert "my_update: expected 2 moments, got 3" in message
    assert "smaller learning rate" not in message and "diverged" not in message


def test_a_value_error_in_the_users_loss_is_a_bug_not_divergence() -> None:
    model, ds = small()
    calls: list[int] = []

    def own_loss(model: Any, xs: Any, ys: Any) -> LossResult:
        calls.append(1)
        if len(calls) == 4:
            xs, ys = xs  # a slip: unpacks the points, not (xs, ys)
        return max_margin(model, xs, ys)

    with pytest.raises(TrainingFailed) as info:
        train(model, ds, steps=10, loss=own_loss)
    error = info.value
    assert not isinstance(error, TrainingDiverged)
    assert error.reason == "user code"
    assert type(error.__cause__) is ValueError
    assert "too many values to unpack" in str(error.__cause__)
    assert error.step == error.state.step == 3
    assert "your own code, not by divergence" in str(error)
    assert "smaller learning rate" not in str(error)
    # jit=True compiles the built-in losses only: a loss of one's own is refused before step 0
    with pytest.raises(ValueError, match="jit=True compiles the built-in losses"):
        train(model, ds, steps=10, loss=own_loss, jit=True)


def test_an_op_refusing_a_number_in_the_users_loss_is_divergence() -> None:
    model, ds = small()

    def log_loss(model: Any, xs: Any, ys: Any) -> fm.Value:
        # log(1 + relu(-margin)) is fine until the weights make a margin overflow to -inf...
        scores = [fm.nn.forward(model, x) for x, y in zip(xs, ys)]
        return fm.sum_values(fm.log(fm.relu(1.0 - y * s)) for s, y in zip(scores, ys))

    with pytest.raises(TrainingDiverged) as info:  # ...or a relu gives log its 0.0
        train(model, ds, steps=10, loss=log_loss)
    assert info.value.reason == "diverged"
    assert "log: expected a positive number" in str(info.value)
    assert "try a smaller learning rate" in str(info.value)


@JITS
def test_the_state_kept_on_divergence_has_a_finite_loss_and_can_be_resumed(jit: bool) -> None:
    model, ds = small()
    with pytest.raises(TrainingDiverged) as info:
        train(model, ds, steps=50, learning_rate=1e300, jit=jit)
    state = info.value.state
    assert info.value.step == state.step + 1  # the model after that step overflows its own loss
    assert math.isfinite(fm.training.evaluate(state.model, ds).loss)
    assert f"(after {state.step} steps, whose loss is finite)" in str(info.value)
    config = fm.training.configure(model, ds, steps=100, learning_rate=0.1, jit=jit)
    resumed = toolz.reduce(fm.training.make_step(config), range(state.step, state.step + 5), state)
    assert resumed.step == state.step + 5
    assert all(math.isfinite(row.loss) for row in resumed.history)


def test_train_collector_paused_during_a_step_and_restored() -> None:
    seen: list[int] = []

    def watching_loss(*args: Any, **kwargs: Any) -> LossResult:
        seen.append(gc.get_threshold()[0])  # 0: no automatic collection
        return max_margin(*args, **kwargs)

    model, ds = small()
    was, thresholds = gc.isenabled(), gc.get_threshold()
    gc.enable()
    try:
        train(model, ds, steps=2, loss=watching_loss)
        assert seen == [0, 0]
        assert gc.isenabled()
        assert gc.get_threshold() == thresholds
        with pytest.raises(TrainingDiverged):
            huge = [1e200] * fm.nn.parameter_count(model)
            train(fm.nn.with_parameters(model, huge), ds, steps=2)
        assert gc.isenabled()
        gc.disable()
        train(model, ds, steps=1)
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()
        else:
            gc.disable()


# -- bad input --------------------------------------------------------------------

TRAINERS: list[Callable[..., Any]] = [train, iterate]
BAD: list[tuple[dict[str, Any], type[Exception], str]] = [
    ({"steps": 0}, ValueError, "steps"),
    ({"steps": -1}, ValueError, "steps"),
    ({"steps": 1.5}, TypeError, "steps"),
    ({"steps": True}, TypeError, "steps"),
    ({"steps": "10"}, TypeError, "steps"),
    ({"log_every": 0}, ValueError, "log_every"),
    ({"log_every": 2.0}, TypeError, "log_every"),
    ({"alpha": -1e-4}, ValueError, "alpha"),
    ({"alpha": math.nan}, ValueError, "alpha"),
    ({"learning_rate": -0.1}, ValueError, "learning_rate"),
    ({"learning_rate": math.inf}, ValueError, "learning_rate"),
    ({"learning_rate": "fast"}, TypeError, "learning_rate"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"batch_size": 13}, ValueError, "batch_size"),
    ({"batch_size": True}, TypeError, "batch_size"),
    ({"seed": 1.0}, TypeError, "seed"),
    ({"optimizer": "adam"}, TypeError, "optimizer"),
    ({"optimizer": fm.optim.sgd(0.1), "learning_rate": 0.1}, ValueError, "learning rate"),
    ({"loss": "max_margin"}, TypeError, "loss"),
]


@pytest.mark.parametrize("trainer", TRAINERS, ids=["train", "iterate"])
@pytest.mark.parametrize(
    ("options", "error", "names"),
    BAD,
    ids=[repr(sorted(o)) + repr(list(o.values())) for o, _, _ in BAD],
)
def test_train_rejects_bad_options(
    trainer: Callable[..., Any], options: dict[str, Any], error: type[Exception], names: str
) -> None:
    model, ds = small()
    # iterate checks everything when called, before the first state is asked for
    with pytest.raises(error, match=rf"{trainer.__name__}: .*{names}"):
        trainer(model, ds, **options)


@pytest.mark.parametrize("trainer", TRAINERS, ids=["train", "iterate"])
def test_train_rejects_non_datasets(trainer: Callable[..., Any]) -> None:
    model, ds = small()
    with pytest.raises(TypeError, match="Dataset"):
        trainer(model, (ds.xs, ds.ys))
    with pytest.raises(TypeError, match="Dataset"):
        trainer(model, None)


@pytest.mark.parametrize("trainer", TRAINERS, ids=["train", "iterate"])
def test_train_rejects_empty_dataset(trainer: Callable[..., Any]) -> None:
    empty = Dataset(xs=(), ys=(), metadata={"name": "empty"})
    with pytest.raises(ValueError, match="empty"):
        trainer(fm.nn.mlp(2, [3, 1]), empty)


@pytest.mark.parametrize("trainer", TRAINERS, ids=["train", "iterate"])
@pytest.mark.parametrize("nin", [1, 3])
def test_train_rejects_dataset_of_other_width(trainer: Callable[..., Any], nin: int) -> None:
    _, ds = small()
    with pytest.raises(ValueError, match=rf"takes {nin} inputs .* have 2"):
        trainer(fm.nn.mlp(nin, [3, 1]), ds)


@pytest.mark.parametrize("trainer", TRAINERS, ids=["train", "iterate"])
def test_train_rejects_non_models(trainer: Callable[..., Any]) -> None:
    _, ds = small()
    with pytest.raises(TypeError, match="Neuron, Layer or MLP"):
        trainer("model", ds)


def test_train_rejects_schedule_giving_negative_rate() -> None:
    model, ds = small()
    with pytest.raises(TrainingFailed, match="learning rate") as info:
        train(model, ds, steps=3, learning_rate=lambda k: 0.1 - 0.1 * k)
    assert info.value.reason == "schedule"
    assert info.value.step == info.value.state.step == 2
    assert isinstance(info.value.__cause__, ValueError)


# -- every task through the same fold -------------------------------------------------


def three_blobs(n: int = 30, seed: int = 2) -> Dataset:
    return fm.datasets.blobs(n, noise=0.3, seed=seed, centers=((0, 0), (2, 0), (0, 2)))


def test_train_multiclass_defaults_to_cross_entropy_and_learns() -> None:
    ds = three_blobs()
    model = fm.nn.mlp(2, [6, 3], seed=4)
    run = train(model, ds, steps=25, optimizer=fm.optim.adam(0.05))
    assert run.options["loss"] == "cross_entropy" and run.options["task"] == "multiclass"
    first = fm.losses.cross_entropy(model, ds.xs, ds.ys, alpha=1e-4)
    assert run.history[0].loss == first.total_loss.data
    assert run.history[0].accuracy == first.accuracy
    assert run.final_loss < run.history[0].loss and run.final_accuracy >= 0.9
    assert all(row.val_loss is None and row.val_accuracy is None for row in run.history)


def test_train_regression_defaults_to_mse_and_has_no_accuracy() -> None:
    ds = fm.datasets.sine(20, noise=0.05, seed=1)
    model = fm.nn.mlp(1, [8, 1], activation="tanh", seed=3)
    run = train(model, ds, steps=30, alpha=0.0, optimizer=fm.optim.adam(0.05))
    assert run.options["loss"] == "mse"
    assert run.history[0].data_loss == fm.losses.mse(model, ds.xs, ds.ys).data_loss.data
    assert run.final_loss < 0.5 * run.history[0].loss
    assert run.final_accuracy is None and all(row.accuracy is None for row in run.history)
    assert "final_accuracy=None" in repr(run)


def test_train_binary_with_mse_counts_the_accuracy_by_sign() -> None:
    model, ds = small()
    run = train(model, ds, steps=2, loss=fm.losses.mse, learning_rate=0.05)
    scores = [fm.nn.forward(model, x).data for x in ds.xs]  # type: ignore[union-attr]
    hits = sum((y > 0) == (s > 0) for y, s in zip(ds.ys, scores))
    assert run.history[0].accuracy == hits / len(ds)


def test_train_multiclass_batches_are_seeded() -> None:
    ds = three_blobs(40)
    model = fm.nn.mlp(2, [4, 3], seed=1)
    a = train(model, ds, steps=3, batch_size=7, seed=5, optimizer=fm.optim.adam(0.01))
    b = train(model, ds, steps=3, batch_size=7, seed=5, optimizer=fm.optim.adam(0.01))
    assert list(map(row_tuple, a.history)) == list(map(row_tuple, b.history))
    assert all(row.accuracy * 7 == round(row.accuracy * 7) for row in a.history)


# -- the loss protocol ------------------------------------------------------------------


def test_loss_returning_a_bare_value_gets_l2_and_accuracy_from_training() -> None:
    model, ds = small()

    def hinge_only(m: fm.nn.Model, xs: Sequence[Any], ys: Sequence[Any]) -> fm.Value:
        return max_margin(m, xs, ys, alpha=0.0).data_loss

    custom = train(model, ds, steps=4, loss=hinge_only)
    built_in = train(model, ds, steps=4)
    assert list(map(row_tuple, custom.history)) == list(map(row_tuple, built_in.history))
    assert data_of(custom.final_model) == data_of(built_in.final_model)
    assert custom.options["loss"] == "hinge_only"


def test_loss_returning_a_loss_result_is_used_as_it_is() -> None:
    model, ds = small()

    def own_l2(m: fm.nn.Model, xs: Sequence[Any], ys: Sequence[Any]) -> LossResult:
        return max_margin(m, xs, ys, alpha=0.5)

    run = train(model, ds, steps=1, loss=own_l2, alpha=0.0)
    assert run.history[0].reg_loss == max_margin(model, ds.xs, ds.ys, alpha=0.5).reg_loss.data


def test_loss_with_only_three_arguments_trains_a_batch() -> None:
    model, ds = small()
    seen: list[int] = []

    def counting(m: fm.nn.Model, xs: Sequence[Any], ys: Sequence[Any]) -> fm.Value:
        seen.append(len(xs))
        return fm.losses.mse(m, xs, ys).data_loss

    train(model, ds, steps=3, batch_size=5, loss=counting)
    assert seen == [5, 5, 5]


def test_loss_returning_something_else_is_a_type_error_not_divergence() -> None:
    model, ds = small()
    with pytest.raises(TypeError, match="expected the loss function to return a Value or a Loss"):
        train(model, ds, steps=1, loss=lambda m, xs, ys: 0.5)


# -- validation and evaluate ----------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def yin_yang_states() -> tuple[list[TrainState], Dataset, Dataset, Dataset, float]:
    """EurekaLabs' yin-yang setup, once: the states iterate yields and the three parts."""
    train_part, val_part, test_part = fm.datasets.split(fm.datasets.yinyang(100))
    model = fm.nn.mlp(2, [8, 3], activation="tanh", seed=1337, init="scaled")
    start = time.process_time()
    states = list(
        iterate(
            model,
            train_part,
            steps=100,
            alpha=0.0,
            optimizer=fm.optim.adamw(0.1, b2=0.95, weight_decay=1e-4),
            validation=val_part,
        )
    )
    return states, train_part, val_part, test_part, time.process_time() - start


def test_yin_yang_with_eurekalabs_settings_reaches_a_low_training_loss() -> None:
    states, train_part, _, test_part, seconds = yin_yang_states()
    history = states[-1].history
    test = fm.training.evaluate(states[-1].model, test_part)
    print(
        f"\nyin-yang: final train loss {history[-1].loss:.4f}, "
        f"val loss {history[-1].val_loss:.4f}, test accuracy {test.accuracy}, {seconds:.1f} s"
    )
    assert len(history) == 100 and len(train_part) == 80
    assert history[-1].loss <= 0.15
    assert history[-1].reg_loss == 0.0  # weight decay instead of an L2 term
    assert history[-1].accuracy >= 0.9


def test_validation_rows_equal_evaluate_on_the_states_iterate_yields() -> None:
    states, _, val_part, _, _ = yin_yang_states()
    history = states[-1].history
    for k, row in enumerate(history):
        metrics = fm.training.evaluate(states[k].model, val_part)  # the model before step k
        assert (row.val_loss, row.val_accuracy) == (metrics.loss, metrics.accuracy)
    assert history[-1].val_loss < history[0].val_loss


def test_validation_rows_only_where_history_is_kept() -> None:
    ds = three_blobs(24)
    val = three_blobs(9, seed=7)
    run = train(fm.nn.mlp(2, [4, 3], seed=2), ds, steps=5, log_every=2, validation=val)
    assert [row.step for row in run.history] == [0, 2, 4]
    assert all(row.val_loss is not None for row in run.history)
    assert run.options["validation"] == val.metadata
    assert "val_loss=" in repr(run.history[0])


def test_evaluate_gives_metrics_without_regularisation() -> None:
    model, ds = small()
    metrics = fm.training.evaluate(model, ds)
    result = max_margin(model, ds.xs, ds.ys)
    assert isinstance(metrics, fm.training.Metrics)
    assert metrics.loss == result.data_loss.data and metrics.accuracy == result.accuracy
    reg = fm.training.evaluate(fm.nn.mlp(1, [3, 1], seed=2), fm.datasets.sine(6))
    assert reg.accuracy is None and reg.loss >= 0.0
    custom = fm.training.evaluate(model, ds, loss=lambda m, xs, ys: fm.Value(2.5))
    assert custom.loss == 2.5 and custom.accuracy == result.accuracy
    assert repr(custom).startswith("Metrics(loss=2.5, accuracy=")


# -- a model, loss or validation set that does not fit: refused before any step ------------------


MISFITS: list[tuple[tuple[int, list[int]], str, dict[str, Any], type[Exception], str]] = [
    ((2, [4, 3]), "binary", {}, ValueError, "binary dataset needs a model with one output.* 3"),
    ((2, [4, 1]), "multi", {}, ValueError, "of 3 classes needs a model with 3 .* with 1 output$"),
    ((2, [4, 2]), "multi", {}, ValueError, "needs a model with 3 outputs .* got a model with 2"),
    ((1, [4, 2]), "sine", {}, ValueError, "regression dataset needs a model with one output"),
    (
        (2, [4, 3]),
        "multi",
        {"loss": max_margin},
        ValueError,
        "loss=max_margin is for binary datasets, got a multiclass dataset; "
        "leave loss=None to train it with cross_entropy",
    ),
    ((2, [4, 1]), "binary", {"loss": fm.losses.cross_entropy}, ValueError, "is for multiclass"),
    ((1, [4, 1]), "sine", {"loss": max_margin}, ValueError, "loss=max_margin is for binary"),
    ((2, [4, 1]), "binary", {"validation": "val"}, TypeError, "expected validation to be a Data"),
    (
        (2, [4, 1]),
        "binary",
        {"validation": fm.datasets.from_lists([[0, 0, 0], [1, 1, 1]], [1, -1])},
        ValueError,
        "takes 2 inputs but the validation set's points have 3",
    ),
    (
        (2, [4, 1]),
        "binary",
        {"validation": fm.datasets.from_lists([[0, 1]], [0.5], task="regression")},
        ValueError,
        "expected validation to be a binary Dataset like the training data, got a regression one",
    ),
    (
        (2, [4, 3]),
        "multi",
        {"validation": fm.datasets.blobs(8, centers=((0, 0), (1, 1), (2, 2), (3, 3)))},
        ValueError,
        r"a multiclass Dataset like the training data \(3 classes\), got a multiclass one of 4",
    ),
    (
        (2, [4, 1]),
        "binary",
        {"validation": Dataset(xs=(), ys=(), metadata={"name": "e"})},
        ValueError,
        "the validation set is empty",
    ),
]


@pytest.mark.parametrize("trainer", TRAINERS, ids=["train", "iterate"])
@pytest.mark.parametrize(("shape", "data", "options", "error", "message"), MISFITS)
def test_train_refuses_what_does_not_fit_before_any_step(
    trainer: Callable[..., Any],
    shape: tuple[int, list[int]],
    data: str,
    options: dict[str, Any],
    error: type[Exception],
    message: str,
) -> None:
    datasets = {"binary": small()[1], "multi": three_blobs(), "sine": fm.datasets.sine(10)}
    # iterate checks everything when called, before the first state is asked for
    with pytest.raises(error, match=rf"^{trainer.__name__}: .*{message}"):
        trainer(fm.nn.mlp(*shape), datasets[data], **options)


def test_train_refuses_a_mismatch_before_calling_the_loss() -> None:
    calls: list[int] = []

    def loss(m: fm.nn.Model, xs: Sequence[Any], ys: Sequence[Any]) -> fm.Value:
        calls.append(1)
        return fm.Value(0.0)

    with pytest.raises(ValueError, match="one output"):
        iterate(fm.nn.mlp(2, [3, 2]), small()[1], loss=loss)
    assert calls == []


def test_configure_takes_trains_options_and_no_others() -> None:
    model, ds = small()
    config = fm.training.configure(model, ds, steps=3, batch_size=4)
    assert (config.steps, config.batch_size, config.alpha, config.seed) == (3, 4, 1e-4, 1337)
    assert config.optimizer.name == "sgd" and config.loss is max_margin
    with pytest.raises(TypeError, match="unknown option 'lerning_rate'"):
        fm.training.configure(model, ds, lerning_rate=0.1)
    state = fm.training.make_step(config)(fm.training.initial_state(model), 0)
    assert state.history[0] == train(model, ds, steps=3, batch_size=4).history[0]


def test_step_is_one_function_of_model_and_batch_then_numbers() -> None:
    model, ds = small()
    config = fm.training.configure(model, ds, steps=1)
    batch = fm.training.Batch(ds.xs, ds.ys)
    measured = fm.training.loss_and_gradients(lambda m, xs, ys: max_margin(m, xs, ys), model, batch)
    row = train(model, ds, steps=1).history[0]
    assert (measured.loss, measured.data_loss, measured.reg_loss, measured.accuracy) == (
        row.loss, row.data_loss, row.reg_loss, row.accuracy,
    )  # fmt: skip
    g = fm.backward(max_margin(model, ds.xs, ds.ys).total_loss)
    assert all(measured.gradients[p] == g[p] for p in fm.nn.parameters(model))
    assert config.optimizer.name == "sgd"


def test_run_and_history_row_reprs_read_like_data() -> None:
    model, ds = small()
    run = train(model, ds, steps=2)
    assert re.fullmatch(
        r"Run\(steps=2, history=2 rows, final_loss=[0-9.e-]+, final_accuracy=[01]\.[0-9]+\)",
        repr(run),
    ), repr(run)
    row = run.history[0]
    assert repr(row).startswith("HistoryRow(step=0, loss=") and "accuracy=" in repr(row)
    assert "val_loss" not in repr(row)
    one = HistoryRow(step=1, loss=1.0, data_loss=1.0, reg_loss=0.0, accuracy=1.0, learning_rate=1.0)
    assert repr(one) == (
        "HistoryRow(step=1, loss=1.0, data_loss=1.0, reg_loss=0.0, accuracy=1.0, learning_rate=1.0)"
    )


def test_run_options_do_not_change_with_the_metadata_given() -> None:
    tags = ["a"]
    model, ds = small()
    mine = ds.set(metadata={"name": "mine", "tags": tags})
    run = train(model, mine, steps=1)
    tags.append("b")
    assert list(run.options["dataset"]["tags"]) == ["a"]
