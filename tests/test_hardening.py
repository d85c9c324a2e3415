"""Hardening: the same answer everywhere, threads, bad numbers, hostile files, deep and wide.

- Determinism: micrograd's full moons demo gives a bit-identical history and
  final model in two fresh processes with different hash seeds, twice in one
  process, and in this one.
- Threads: graphs built and differentiated in several threads at once get
  unique node ids and the gradients a single thread gets; training in several
  threads leaves the cyclic collector as it found it, even when a step raises.
- Bad numbers: every op, on any float or int (huge, tiny, subnormal, signed
  zeros, NaN, infinities) gives a Value holding finite numbers or raises the
  documented error naming the op; non-numbers raise TypeError; backward
  raises OverflowError instead of returning an infinite gradient.
- Deep and wide: one node with 100,000 inputs, and one leaf feeding 100,000
  children that are summed, differentiate exactly.
"""

from __future__ import annotations

import gc
import itertools
import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from conftest import time_bound
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import functional_micrograd as fm
from functional_micrograd import Value, _collector
from functional_micrograd.losses import LossResult, max_margin
from functional_micrograd.training import TrainingDiverged
from functional_micrograd.value import _node

ROOT = Path(__file__).resolve().parent.parent

# -- 1. the same answer everywhere --------------------------------------------------------

DEMO = r"""
import json
import functional_micrograd as fm

FIELDS = ("loss", "data_loss", "reg_loss", "accuracy", "learning_rate")

def demo():
    model = fm.nn.mlp(2, [16, 16, 1], seed=1337)
    run = fm.train(model, fm.datasets.moons(100, noise=0.1))
    return {
        "history": [[row.step] + [getattr(row, f).hex() for f in FIELDS] for row in run.history],
        "parameters": [p.data.hex() for p in fm.nn.parameters(run.final_model)],
        "final": [run.final_loss.hex(), run.final_accuracy.hex()],
        "json": fm.nn.to_json(run.final_model),
    }, fm.nn.parameters(run.final_model)[0].id
"""


def _demo_here() -> tuple[dict[str, Any], int]:
    scope: dict[str, Any] = {}
    exec(DEMO, scope)
    result: tuple[dict[str, Any], int] = scope["demo"]()
    return result


def _start_demo(hash_seed: str, times: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    code = DEMO + f"print(json.dumps([demo() for _ in range({times})]))"
    return subprocess.Popen(
        [sys.executable, "-c", code],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_moons_demo_bit_identical_across_processes_hash_seeds_and_repeats() -> None:
    # Two fresh interpreters with different hash seeds run at the same time as
    # this process; the first runs the demo twice, so node ids differ between
    # its two runs. Every history field is compared as float.hex.
    jobs = [_start_demo("0", times=2), _start_demo("4294967295", times=1)]
    try:
        here, _ = _demo_here()
        results = []
        for job in jobs:
            out, err = job.communicate(timeout=600)
            assert job.returncode == 0, err
            results.append(json.loads(out))
    finally:
        for job in jobs:
            if job.poll() is None:
                job.kill()
                job.wait()
    (first, first_id), (second, second_id) = results[0]
    ((other_seed, _),) = results[1]
    assert first_id != second_id  # the second run made new nodes with new ids...
    assert first == second == other_seed == here  # ...and got the same bits
    assert len(here["history"]) == 100
    assert len(here["parameters"]) == 337
    assert float.fromhex(here["final"][1]) >= 0.99


# -- 2. threads --------------------------------------------------------------------------


def _small_graphs(seed: int, count: int) -> Iterator[tuple[Value, tuple[Value, ...]]]:
    """``count`` small graphs of every op, different for every seed."""
    for i in range(count):
        a = Value(0.25 + (seed * 7 + i) % 13 / 10.0, label="a")
        b = Value(-1.5 + (seed + i * 3) % 11 / 5.0, label="b")
        c = a * b + a
        y = (c.tanh() * a - b / (a + 3.0)).relu() + (b * 0.5).sigmoid() + (a**2).log()
        yield y - c.exp() + -b, (a, b)


def _thread_work(seed: int) -> tuple[list[int], list[tuple[str, ...]]]:
    """Build and differentiate many small graphs and a few MLP losses.

    Returns the id of every node made and every result as float.hex.
    """
    ids: list[int] = []
    results: list[tuple[str, ...]] = []
    for y, leaves in _small_graphs(seed, 250):
        g = fm.backward(y)
        order = fm.topological_order(y)
        ids.extend(v.id for v in order)
        results.append((y.data.hex(), *(g[leaf].hex() for leaf in leaves)))
    for k in range(3):
        model = fm.nn.mlp(2, [6, 1], seed=seed * 10 + k)
        data = fm.datasets.moons(12, noise=0.1, seed=seed)
        loss = max_margin(model, data.xs, data.ys).total_loss
        g = fm.backward(loss)
        ids.extend(v.id for v in fm.topological_order(loss))
        results.append(tuple(g[p].hex() for p in fm.nn.parameters(model)))
    return ids, results


def _in_threads(work: Callable[[int], Any], n: int) -> list[Any]:
    """Run ``work(0) .. work(n-1)`` in n threads started together; re-raise any error."""
    barrier = threading.Barrier(n)
    out: list[Any] = [None] * n
    errors: list[BaseException] = []

    def run(k: int) -> None:
        try:
            barrier.wait()
            out[k] = work(k)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(n)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often, to mix their work finely
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        sys.setswitchinterval(interval)
    assert not any(t.is_alive() for t in threads)
    if errors:
        raise errors[0]
    return out


def test_threads_get_unique_ids_and_single_threaded_gradients() -> None:
    threads = 6
    together = _in_threads(_thread_work, threads)
    every_id = [i for ids, _ in together for i in ids]
    assert len(every_id) == len(set(every_id))  # no two nodes anywhere share an id
    alone = [_thread_work(k) for k in range(threads)]
    assert [results for _, results in together] == [results for _, results in alone]


def test_threads_ids_increase_along_every_edge() -> None:
    def work(seed: int) -> list[Value]:
        return [y for y, _ in _small_graphs(seed, 100)]

    for outputs in _in_threads(work, 4):
        for y in outputs:
            for node in fm.topological_order(y):
                assert all(parent.id < node.id for parent in node.inputs)


def _training_in_threads(collecting: bool) -> tuple[list[bool], list[BaseException | None]]:
    """Four threads train at once; one's loss raises a RuntimeError, one diverges."""
    inside: list[bool] = []

    def watching(*args: Any, **kwargs: Any) -> LossResult:
        inside.append(gc.get_threshold()[0] != 0)  # would collect automatically
        return max_margin(*args, **kwargs)

    calls: list[int] = []

    def failing(*args: Any, **kwargs: Any) -> LossResult:
        inside.append(gc.get_threshold()[0] != 0)
        calls.append(1)
        if len(calls) > 1:  # fail on the second step
            raise RuntimeError("a loss that breaks")
        return max_margin(*args, **kwargs)

    def work(k: int) -> BaseException | None:
        model = fm.nn.mlp(2, [8, 1], seed=k)
        data = fm.datasets.moons(20, noise=0.1, seed=k)
        try:
            if k == 1:
                fm.train(model, data, steps=4, loss=failing)
            elif k == 2:
                huge = fm.nn.with_parameters(model, [1e200] * fm.nn.parameter_count(model))
                fm.train(huge, data, steps=4, loss=watching)
            else:
                fm.train(model, data, steps=4, loss=watching)
        except (RuntimeError, TrainingDiverged) as error:
            return error
        return None

    was = gc.isenabled()
    (gc.enable if collecting else gc.disable)()
    thresholds = gc.get_threshold()
    try:
        errors = _in_threads(work, 4)
        assert gc.isenabled() is collecting
        assert gc.get_threshold() == thresholds
    finally:
        (gc.enable if was else gc.disable)()
    return inside, errors


@pytest.mark.parametrize("collecting", [True, False], ids=["collector on", "collector off"])
def test_threads_training_leaves_the_collector_as_it_was(collecting: bool) -> None:
    for _ in range(3):
        inside, errors = _training_in_threads(collecting)
        assert not any(inside)  # every step ran with the collector paused
        assert isinstance(errors[1], RuntimeError)
        assert isinstance(errors[2], TrainingDiverged)
        assert errors[0] is None and errors[3] is None
        assert _collector._live == {}


def test_collector_pause_counted_across_threads_with_errors() -> None:
    def work(k: int) -> int:
        errors = 0
        for i in range(150):
            try:
                with _collector.paused():
                    assert gc.get_threshold()[0] == 0
                    with _collector.paused():  # nested
                        if (i + k) % 7 == 0:
                            raise KeyError(i)
                    assert gc.get_threshold()[0] == 0
            except KeyError:
                errors += 1
        return errors

    was, thresholds = gc.isenabled(), gc.get_threshold()
    try:
        for collecting in (True, False):
            (gc.enable if collecting else gc.disable)()
            assert sum(_in_threads(work, 8)) > 0
            assert gc.isenabled() is collecting
            assert gc.get_threshold() == thresholds
            assert _collector._live == {}
    finally:
        (gc.enable if was else gc.disable)()


# -- 3. bad numbers ----------------------------------------------------------------------

EDGE_FLOATS = [
    0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1e-300, 1e-200, 0.5, 1.0, -1.0,
    2.0, 709.78, 710.0, -745.2, 1e154, 1e200, 1e308, -1e308, 1.7976931348623157e308,
    math.nan, -math.nan, math.inf, -math.inf,
]  # fmt: skip
HUGE_INTS = [2**53 + 1, 2**1023, 2**1024, -(2**1024), 10**400, -(10**400), 10**5000]
every_float = st.floats() | st.sampled_from(EDGE_FLOATS)
every_number = (
    every_float
    | st.sampled_from(HUGE_INTS)
    | st.integers()
    | st.sampled_from([Fraction(1, 3), Fraction(-7, 2)])
)
non_numbers = (
    st.text(max_size=3)
    | st.none()
    | st.booleans()
    | st.binary(max_size=3)
    | st.lists(st.floats(), max_size=2)
    | st.tuples(st.floats())
    | st.dictionaries(st.text(max_size=2), st.floats(), max_size=2)
    | st.complex_numbers()
    | st.decimals()
    | st.just(object())
)

Make = Callable[[Any, Any], Any]


def _binary(name: str, op: Make, curried: Any) -> list[tuple[str, Make]]:
    return [
        (name, lambda a, b: op(Value(a), Value(b))),
        (name, lambda a, b: op(Value(a), b)),
        (name, lambda a, b: op(a, Value(b))),
        (name, lambda a, b: curried(a, b)),
        (name, lambda a, b: curried(a)(b)),
    ]


def _unary(name: str) -> list[tuple[str, Make]]:
    function = getattr(fm, name)
    forms: list[tuple[str, Make]] = [
        (name, lambda a, b: function(a)),
        (name, lambda a, b: function(Value(a))),
    ]
    if name != "neg":
        forms.append((name, lambda a, b: getattr(Value(a), name)()))
    return forms


FORMS: list[tuple[str, Make]] = [
    *_binary("add", lambda a, b: a + b, fm.add),
    *_binary("sub", lambda a, b: a - b, fm.sub),
    *_binary("mul", lambda a, b: a * b, fm.mul),
    *_binary("div", lambda a, b: a / b, fm.div),
    ("pow", lambda a, b: Value(a) ** b),
    ("pow", lambda a, b: fm.pow(a, b)),
    ("pow", lambda a, b: fm.pow(a)(b)),
    ("pow", lambda a, b: fm.pow(Value(a), b)),
    ("neg", lambda a, b: -Value(a)),
    *(form for name in ["neg", "relu", "tanh", "exp", "log", "sigmoid"] for form in _unary(name)),
    ("sum_values", lambda a, b: fm.sum_values([a, b])),  # its additions are "add" nodes
    ("sum_values", lambda a, b: fm.sum_values([Value(a)], start=b)),
    ("Value", lambda a, b: Value.create({"data": a})),
]
FORM_IDS = [f"{name}-{i}" for i, (name, _) in enumerate(FORMS)]


def _finite_or_refused(name: str, make: Callable[[], Any], *others: str) -> None:
    start = time.process_time()
    try:
        with time_bound(2.0):
            y = make()
    except (ArithmeticError, ValueError) as error:
        message = str(error)
        names = tuple(f"{op}:" for op in (name, "Value", *others))
        assert message.startswith(names), message  # names the op
    else:
        assert isinstance(y, Value), y
        assert type(y.data) is float and math.isfinite(y.data), y
        assert all(type(d) is float and math.isfinite(d) for d in y.local_grads), y.local_grads
        assert len(y.local_grads) == len(y.inputs)
    assert time.process_time() - start < 1.0


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs POSIX interval timers")
def test_time_bound_turns_a_hang_into_a_failure() -> None:
    start = time.process_time()
    with pytest.raises(TimeoutError), time_bound(0.05):
        while True:
            pass
    assert time.process_time() - start < 1.0


@pytest.mark.parametrize("form", FORMS, ids=FORM_IDS)
@given(a=every_number, b=every_number)
@settings(max_examples=40, deadline=None)
def test_every_op_on_any_number_gives_finite_value_or_documented_error(
    form: tuple[str, Make], a: Any, b: Any
) -> None:
    name, make = form
    _finite_or_refused(name, lambda: make(a, b), *(["add"] if name == "sum_values" else []))


@pytest.mark.parametrize("form", FORMS, ids=FORM_IDS)
@given(bad=non_numbers, good=every_float, bad_on_the_left=st.booleans())
@settings(max_examples=15, deadline=None)
def test_every_op_on_a_non_number_raises_type_error(
    form: tuple[str, Make], bad: Any, good: float, bad_on_the_left: bool
) -> None:
    name, make = form
    a, b = (bad, good) if bad_on_the_left else (good, bad)
    if name in ("neg", "relu", "tanh", "exp", "log", "sigmoid", "Value"):
        a = bad  # the unary forms use only their first argument
    with pytest.raises((TypeError, ValueError)) as info:
        make(a, b)
    if isinstance(info.value, ValueError):
        # only the good number can be refused for its value: NaN or inf as a leaf
        assert not math.isfinite(good), info.value


@given(every_number)
@settings(max_examples=100, deadline=None)
def test_leaf_of_any_number_is_finite_or_refused(x: Any) -> None:
    _finite_or_refused("Value", lambda: Value(x))
    _finite_or_refused("Value", lambda: Value.create({"data": x, "label": "x"}))
    _finite_or_refused(
        "value_and_grad", lambda: Value(fm.value_and_grad(lambda v: v * v)(x)[0]), "mul"
    )


@pytest.mark.parametrize(
    "big", [10**5000, -(10**5000), 10**4400], ids=["1e5000", "-1e5000", "1e4400"]
)
def test_huge_int_operands_are_refused_by_name(big: int) -> None:
    # Ints too long for str() (sys.int_max_str_digits) used to make the error
    # message itself fail: ValueError "Exceeds the limit (4300 digits) ...",
    # which named neither the op nor the operand.
    x = Value(2.0)
    for name, make in [
        ("Value", lambda: Value(big)),
        ("add", lambda: x + big),
        ("sub", lambda: big - x),
        ("mul", lambda: fm.mul(big)(x)),
        ("div", lambda: fm.div(x, big)),
        ("pow", lambda: x**big),
        ("pow", lambda: Value(1.0) ** big),
        ("pow", lambda: Value(0.0) ** -big),
        ("pow", lambda: fm.pow(big, 2)),
        ("sum_values", lambda: fm.sum_values([x], start=big)),
    ]:
        with pytest.raises((ArithmeticError, ValueError)) as info:
            make()
        message = str(info.value)
        assert message.startswith(f"{name}:"), message
        assert "digits" in message or "too large" in message or "division by zero" in message


@given(exponents=st.lists(st.integers(0, 300), min_size=1, max_size=8))
@settings(max_examples=60, deadline=None)
def test_backward_overflowing_product_raises_exactly_when_the_gradient_overflows(
    exponents: list[int],
) -> None:
    # out = x * 2**e1 * ... * 2**en with x the smallest subnormal: the output is
    # 2**(sum - 1074), and d(out)/dx = 2**sum, which exists as a float only below 2**1024.
    total = sum(exponents)
    assume(total < 2098)  # the output itself stays finite
    x = Value(5e-324)
    out = x
    for e in exponents:
        out = out * 2.0**e
    if total >= 1024:
        with pytest.raises(OverflowError, match="backward"):
            fm.backward(out)
    else:
        assert fm.backward(out)[x] == 2.0**total


@given(e=st.integers(900, 1023), j=st.integers(0, 8))
@settings(max_examples=40, deadline=None)
def test_backward_overflowing_sum_of_paths_raises_exactly_when_it_overflows(e: int, j: int) -> None:
    # 2**j paths from x to the output, each with derivative 2**e: d(out)/dx = 2**(e + j).
    x = Value(2.0**-1000)
    out = fm.sum_values([x * 2.0**e for _ in range(2**j)])
    if e + j >= 1024:
        with pytest.raises(OverflowError, match="backward"):
            fm.backward(out)
    else:
        assert fm.backward(out)[x] == 2.0 ** (e + j)


def test_backward_infinite_gradients_that_cancel_to_nan_raise() -> None:
    # Two paths whose derivatives are +2**2000 and -2**2000: inf - inf is nan.
    x = Value(5e-324)
    up = x * 2.0**1000 * 2.0**1000
    down = x * 2.0**1000 * 2.0**1000
    with pytest.raises(OverflowError, match="nan"):
        fm.backward(up - down)
    # and so is an infinite gradient times a zero local derivative (relu below 0)
    a = Value(-1.0)
    with pytest.raises(OverflowError, match="backward"):
        fm.backward(a.relu() * 2.0**1000 * 2.0**1000)


# -- 4. deep and wide --------------------------------------------------------------------

WIDE = 100_000


def test_backward_node_with_100000_inputs() -> None:
    # The public ops take at most two inputs; the engine's own constructor
    # makes a node of any fan-in, and backward must not care.
    leaves = [Value(float(i % 7) - 3.0) for i in range(WIDE)]
    local = [float(i % 5) + 0.5 for i in range(WIDE)]
    data = math.fsum(leaf.data * d for leaf, d in zip(leaves, local))
    wide = _node(data, "weighted sum", tuple(leaves), tuple(local))
    out = wide * 2.0
    g = fm.backward(out)
    assert [g[leaf] for leaf in leaves] == [2.0 * d for d in local]
    assert g[wide] == 2.0
    order = fm.topological_order(out)
    assert len(order) == WIDE + 3  # the leaves, the wide node, the constant 2.0, out
    assert order[-1] is out
    assert {v.id for v in order} == {v.id for v in leaves} | {wide.id, out.id, out.inputs[1].id}
    # the same parent on every edge: its gradient adds up over all of them
    x = Value(0.5)
    same = _node(0.5 * WIDE, "sum", (x,) * WIDE, (1.0,) * WIDE)
    assert fm.backward(same)[x] == float(WIDE)
    assert len(fm.topological_order(same)) == 2
    assert len(fm.graph.edges(same)) == WIDE


def test_backward_one_leaf_feeding_100000_children() -> None:
    x = Value(0.5, label="x")
    factors = [float(i % 3 + 1) for i in range(WIDE)]
    total = fm.sum_values(x * c for c in factors)
    g = fm.backward(total)
    assert g[x] == sum(factors)  # small integers: the sum is exact in any order
    assert total.data == 0.5 * sum(factors)
    assert len(fm.topological_order(total)) == 1 + WIDE + WIDE + (WIDE - 1)
    assert fm.value_and_grad(lambda v: fm.sum_values(v * c for c in factors))(0.5) == (
        total.data,
        sum(factors),
    )


def test_deep_chain_of_every_op_differentiates_without_recursion() -> None:
    # The million-op chain of negations is in test_autodiff; this one mixes ops.
    x = Value(0.3)
    y = x
    ops = itertools.cycle(
        [
            lambda v: v * 1.0,
            lambda v: v + 0.0,
            lambda v: v.relu(),
            lambda v: fm.neg(-v),
            lambda v: v / 1.0,
        ]
    )
    for op in itertools.islice(ops, 100_000):
        y = op(y)
    assert y.data == 0.3
    assert fm.backward(y)[x] == 1.0
