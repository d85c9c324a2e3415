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
- Hostile files: from_json on random text and on every structural mutation of
  valid documents raises ValueError (or loads a valid model), quickly, and
  never imports, evaluates or executes anything.
- Deep and wide: one node with 100,000 inputs, and one leaf feeding 100,000
  children that are summed, differentiate exactly.
"""

from __future__ import annotations

import builtins
import gc
import importlib
import itertools
import json
import math
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import functional_micrograd as fm
from functional_micrograd import Value, _collector
from functional_micrograd.losses import LossResult, max_margin
from functional_micrograd.nn import MLP, Layer, Neuron
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


@contextmanager
def _time_bound(seconds: float) -> Iterator[None]:
    """Turn a hang into a failure: TimeoutError after ``seconds`` of this process's CPU time.

    CPU time, not the clock, so that other work on a shared machine cannot make
    a test fail (POSIX, main thread).
    """
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield  # the callers also check the time taken afterwards
        return

    def expire(signum: int, frame: Any) -> None:
        raise TimeoutError(f"still running after {seconds} s of CPU time")

    previous = signal.signal(signal.SIGPROF, expire)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def _finite_or_refused(name: str, make: Callable[[], Any], *others: str) -> None:
    start = time.process_time()
    try:
        with _time_bound(2.0):
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
    with pytest.raises(TimeoutError), _time_bound(0.05):
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


# -- 4. hostile files --------------------------------------------------------------------

VALID_DOCS = {
    "MLP": fm.nn.to_json(fm.nn.mlp(2, [2, 1], activation="tanh", seed=3)),
    "Layer": fm.nn.to_json(fm.nn.layer(2, 2, activation="sigmoid", seed=4)),
    "Neuron": fm.nn.to_json(fm.nn.neuron(3, activation="linear", seed=5)),
}


def _paths(doc: Any, deepest: int = 30) -> list[tuple[Any, ...]]:
    """The path to every value in a JSON document, down to ``deepest`` levels."""
    found: list[tuple[Any, ...]] = []
    todo: list[tuple[tuple[Any, ...], Any]] = [((), doc)]
    while todo:
        here, node = todo.pop()
        found.append(here)
        if len(here) < deepest and isinstance(node, dict):
            todo.extend(((*here, key), child) for key, child in node.items())
        elif len(here) < deepest and isinstance(node, list):
            todo.extend(((*here, i), child) for i, child in enumerate(node))
    return found[::-1]


def _at(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        doc = doc[step]
    return doc


def _replaced(doc: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, *rest = path
    if isinstance(doc, dict):
        return {**doc, head: _replaced(doc[head], tuple(rest), new)}
    return [_replaced(c, tuple(rest), new) if i == head else c for i, c in enumerate(doc)]


def _dumps_with(doc: Any, path: tuple[Any, ...], text: str) -> str:
    """The document as JSON with the value at ``path`` written as raw ``text``."""
    marker = "\x00MARK\x00"
    dumped = json.dumps(_replaced(doc, path, marker))
    assert dumped.count(json.dumps(marker)) == 1
    return dumped.replace(json.dumps(marker), text)


def _dumps_duplicating(doc: Any, path: tuple[Any, ...], key: str) -> str:
    """The document as JSON with ``key`` written twice in the object at ``path``."""
    if isinstance(doc, dict):
        parts = []
        for k, v in doc.items():
            inner = _dumps_duplicating(v, path[1:], key) if path and path[0] == k else json.dumps(v)
            parts.append(f"{json.dumps(k)}: {inner}")
            if not path and k == key:
                parts.append(f"{json.dumps(k)}: {inner}")
        return "{" + ", ".join(parts) + "}"
    if isinstance(doc, list) and path:
        items = [
            _dumps_duplicating(v, path[1:], key) if i == path[0] else json.dumps(v)
            for i, v in enumerate(doc)
        ]
        return "[" + ", ".join(items) + "]"
    return json.dumps(doc)


FORBIDDEN = ("__import__", "eval", "exec", "compile", "open", "breakpoint")


@contextmanager
def _nothing_imported_or_run() -> Iterator[list[str]]:
    """Record every import, eval, exec, compile, open or pickle load while the body runs."""
    calls: list[str] = []

    def spy(name: str, real: Any) -> Any:
        def called(*args: Any, **kwargs: Any) -> Any:
            calls.append(f"{name}{args[:1]!r}")
            return real(*args, **kwargs)

        return called

    patches = [mock.patch.object(builtins, n, spy(n, getattr(builtins, n))) for n in FORBIDDEN]
    patches.append(
        mock.patch.object(importlib, "import_module", spy("import_module", importlib.import_module))
    )
    patches.append(mock.patch.object(pickle, "loads", spy("pickle.loads", pickle.loads)))
    for p in patches:
        p.start()
    try:
        yield calls
    finally:
        for p in reversed(patches):
            p.stop()


def _loads_or_value_error(text: Any, limit: float = 2.0) -> None:
    """from_json gives a model or ValueError, within ``limit`` seconds, running nothing."""
    start = time.process_time()
    with _nothing_imported_or_run() as calls, _time_bound(2 * limit):
        try:
            model = fm.nn.from_json(text)
        except ValueError as error:
            model = None
            message = str(error)
    assert time.process_time() - start < limit
    assert calls == []
    if model is None:
        assert message.startswith("from_json: "), message
        return
    assert isinstance(model, (Neuron, Layer, MLP))
    again = fm.nn.from_json(fm.nn.to_json(model))
    assert [p.data.hex() for p in fm.nn.parameters(again)] == [
        p.data.hex() for p in fm.nn.parameters(model)
    ]


def _refused(text: str, limit: float = 2.0) -> None:
    """from_json raises its own ValueError, within ``limit`` seconds, running nothing."""
    start = time.process_time()
    error: BaseException | None = None
    with _nothing_imported_or_run() as calls, _time_bound(2 * limit):
        try:
            fm.nn.from_json(text)
        except BaseException as caught:  # checked below, outside the spies
            error = caught
    assert time.process_time() - start < limit
    assert calls == []
    assert isinstance(error, ValueError), repr(error)[:200]
    assert str(error).startswith("from_json: "), str(error)[:200]


WRONG_VALUES: list[Any] = [
    None, True, False, 0, -1, 1.5, -0.0, 10**400, "1", "", "relu", "MLP", "NaN",
    [], [1.0], [[0.5]], {}, {"w": [1.0]}, {"__class__": "os.system"},
]  # fmt: skip


@pytest.mark.parametrize("kind", sorted(VALID_DOCS))
def test_from_json_wrong_value_at_every_position(kind: str) -> None:
    doc = json.loads(VALID_DOCS[kind])
    for path in _paths(doc):
        for wrong in WRONG_VALUES:
            _loads_or_value_error(json.dumps(_replaced(doc, path, wrong)))


@pytest.mark.parametrize("kind", sorted(VALID_DOCS))
def test_from_json_unknown_and_missing_keys_at_every_level(kind: str) -> None:
    doc = json.loads(VALID_DOCS[kind])
    objects = [path for path in _paths(doc) if isinstance(_at(doc, path), dict)]
    assert len(objects) >= 2
    for path in objects:
        here = _at(doc, path)
        for key in ("extra", "__class__", "__proto__", "", "W", "grad", "py/object"):
            _refused(json.dumps(_replaced(doc, path, {**here, key: 1})))
        for key in here:
            _refused(json.dumps(_replaced(doc, path, {k: v for k, v in here.items() if k != key})))


@pytest.mark.parametrize("kind", sorted(VALID_DOCS))
def test_from_json_duplicate_keys_at_every_level(kind: str) -> None:
    doc = json.loads(VALID_DOCS[kind])
    for path in _paths(doc):
        here = _at(doc, path)
        if isinstance(here, dict):
            for key in here:
                text = _dumps_duplicating(doc, path, key)
                assert json.loads(text) == doc  # plain json would take it, silently
                _refused(text)


@pytest.mark.parametrize("kind", sorted(VALID_DOCS))
def test_from_json_bad_numbers_at_every_numeric_position(kind: str) -> None:
    doc = json.loads(VALID_DOCS[kind])
    numeric = [p for p in _paths(doc) if isinstance(_at(doc, p), (int, float))]
    assert numeric
    always_bad = [
        "NaN", "-NaN", "Infinity", "-Infinity", "1e400", "-1e99999", "1e" + "9" * 1000,
        "1" * 401, "-" + "9" * 5000, "1" * 5000 + ".0", "0x10", "1_000", "+1", ".5", "1.",
        "01", "1e", "--1", "1ee5", "\u0661",  # an Arabic-Indic digit one
    ]  # fmt: skip
    maybe_fine = ["1" * 300, "0." + "0" * 100_000 + "1", "-0", "4.9e-324", "1.7976931348623157e308"]
    for path in numeric:
        number = _at(doc, path)
        _refused(json.dumps(_replaced(doc, path, repr(number))))  # a number as a string
        _refused(json.dumps(_replaced(doc, path, str(number))))
        for text in always_bad:
            _refused(_dumps_with(doc, path, text))
        for text in maybe_fine:
            _loads_or_value_error(_dumps_with(doc, path, text))


@pytest.mark.parametrize("kind", sorted(VALID_DOCS))
def test_from_json_deep_nesting_at_every_position(kind: str) -> None:
    doc = json.loads(VALID_DOCS[kind])
    for path in _paths(doc):
        for depth in (2, 50, 990, 1010, 5000, 100_000):
            _refused(_dumps_with(doc, path, "[" * depth + "]" * depth))
            _refused(_dumps_with(doc, path, '{"a": ' * depth + "0" + "}" * depth))
            _refused(_dumps_with(doc, path, "[" * depth))  # and never closed


def test_from_json_huge_arrays_are_bounded() -> None:
    # A valid but enormous model loads; enormous junk is refused; neither hangs.
    n = 100_000
    wide = json.dumps({"format_version": 1, "kind": "Neuron", "model": {
        "activation": "relu", "w": [0.5] * n, "b": 0.0}})  # fmt: skip
    _loads_or_value_error(wide, limit=10.0)
    layer = json.dumps({"format_version": 1, "kind": "Layer", "model": {
        "neurons": [{"activation": "relu", "w": [0.5, 0.5], "b": 0.0}] * 20_000}})  # fmt: skip
    _loads_or_value_error(layer, limit=10.0)
    for junk in (
        json.dumps({"format_version": [1] * n, "kind": "MLP", "model": {}}),
        json.dumps(
            {
                "format_version": 1,
                "kind": "Neuron",
                "model": {"activation": "relu", "w": [0.5] * n + [None], "b": 0.0},
            }
        ),
        json.dumps({"format_version": 1, "kind": "MLP", "model": {"layers": [{}] * n}}),
        json.dumps({f"k{i}": i for i in range(n)}),
        "[" + "0," * n + "]",
        '"' + "\\u0000" * n + '"',
    ):
        _refused(junk, limit=10.0)


def test_from_json_huge_text_is_refused_before_parsing() -> None:
    limit = fm.serialize.MAX_TEXT
    start = time.process_time()
    with pytest.raises(ValueError, match="characters"):
        fm.nn.from_json(" " * (limit + 1))
    assert time.process_time() - start < 2.0


json_tokens = st.sampled_from(
    ['{', '}', '[', ']', ',', ':', '"', '\\', 'NaN', 'Infinity', '-', 'e', 'E', '.', '0', '1',
     '9', 'true', 'null', ' ', '\n', '"w"', '"b"', '"kind"', '"MLP"', '"Neuron"', '"Layer"',
     '"format_version"', '"model"', '"layers"', '"neurons"', '"activation"', '"relu"', '\\u0000',
     '\\ud800', '\x00', 'é', '💥', '__import__', 'os.system']
)  # fmt: skip


@given(st.lists(json_tokens, max_size=80).map("".join) | st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_from_json_fuzz_random_text_bigger(text: str) -> None:
    _loads_or_value_error(text)


json_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["relu", "tanh", "linear", "MLP", "Layer", "Neuron", "w", "b", ""])
)
json_trees = st.recursive(
    json_leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "format_version",
                    "kind",
                    "model",
                    "layers",
                    "neurons",
                    "w",
                    "b",
                    "activation",
                    "x",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=10,
)


def _mutate(doc: Any, data: st.DataObject) -> Any:
    """One structural change at a random place in a JSON document."""
    path = data.draw(st.sampled_from(_paths(doc)))
    here = _at(doc, path)
    change = data.draw(
        st.sampled_from(["replace", "wrap", "add key", "drop key", "grow", "shrink", "nest"])
    )
    if change == "replace":
        return _replaced(doc, path, data.draw(json_trees))
    if change == "wrap":
        return _replaced(doc, path, data.draw(st.sampled_from([[here], {"model": here}])))
    if change == "nest":
        return _replaced(doc, path, _nested(here, data.draw(st.integers(1, 1200))))
    if isinstance(here, dict) and change == "add key":
        return _replaced(doc, path, {**here, data.draw(st.text(max_size=5)): data.draw(json_trees)})
    if isinstance(here, dict) and change == "drop key" and here:
        gone = data.draw(st.sampled_from(sorted(here)))
        return _replaced(doc, path, {k: v for k, v in here.items() if k != gone})
    if isinstance(here, list) and change == "grow":
        return _replaced(doc, path, here + here[: data.draw(st.integers(0, len(here)))] * 3)
    if isinstance(here, list) and change == "shrink" and here:
        return _replaced(doc, path, here[: data.draw(st.integers(0, len(here) - 1))])
    return _replaced(doc, path, data.draw(json_trees))


def _nested(x: Any, depth: int) -> Any:
    for _ in range(depth):
        x = [x]
    return x


@given(kind=st.sampled_from(sorted(VALID_DOCS)), data=st.data())
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_from_json_fuzz_structural_mutations(kind: str, data: st.DataObject) -> None:
    doc = json.loads(VALID_DOCS[kind])
    for _ in range(data.draw(st.integers(1, 4))):
        doc = _mutate(doc, data)
    try:
        text = json.dumps(doc)
    except RecursionError:  # json.dumps itself recurses: nesting this deep is refused anyway
        return
    _loads_or_value_error(text)


def test_from_json_hostile_names_import_and_run_nothing() -> None:
    hostile = [
        '{"__class__": "os.system", "args": ["echo hacked"]}',
        '{"format_version": 1, "kind": "__import__(\'os\').system(\'echo hacked\')", "model": {}}',
        '{"format_version": 1, "kind": "MLP", "model": {"layers": [], "__reduce__": "os.system"}}',
        '{"format_version": 1, "kind": "Neuron", "model": {"activation": "exec", "w": [1], '
        '"b": 0}}',
        '{"py/object": "subprocess.Popen", "py/reduce": [{"py/type": "os.system"}]}',
        "!!python/object/apply:os.system ['echo hacked']",
        "cos\nsystem\n(S'echo hacked'\ntR.",
        "eval(compile('1', '<x>', 'eval'))",
        '{"format_version": 1, "kind": "Neuron", "model": {"activation": "relu", '
        '"w": ["__import__(\'os\')"], "b": 0}}',
    ]
    for text in hostile:
        _refused(text)
    # and the spy does see an import when one happens
    with _nothing_imported_or_run() as calls:
        importlib.import_module("json")
        __import__("json")
    assert len(calls) == 2


@pytest.mark.parametrize("text", [b"{}", bytearray(b"{}"), None, 1, 1.5, ["{}"], {"a": 1}])
def test_from_json_non_str_is_type_error_only(text: Any) -> None:
    with pytest.raises(TypeError, match="from_json"):
        fm.nn.from_json(text)


# -- 5. deep and wide --------------------------------------------------------------------

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
