"""Pickling: Values, loss results and whole graphs of any depth; Gradients refuse, saying why.

A Value pickles as the flat columns of every node below it (value.py), so
depth costs no recursion; Values loaded from one pickle, or from several made
in one process, share their nodes. A Gradients table is keyed by node ids,
which mean nothing once the nodes are loaded again (a loaded Value is a new
node): it refuses to pickle, saying what to save instead.
"""

from __future__ import annotations

import importlib
import inspect
import math
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import functional_micrograd as fm
from functional_micrograd import _collector
from functional_micrograd._nodes import below as _below

ROOT = Path(__file__).resolve().parent.parent
CHAIN = 1_000_000


def _same_graph(a: fm.Value, b: fm.Value) -> None:
    """Node by node, in order: the same data, op, label, local derivatives and wiring."""
    left, right = _below(a), _below(b)
    assert len(left) == len(right)
    where = {n.id: i for i, n in enumerate(left)}
    there = {n.id: i for i, n in enumerate(right)}
    for m, n in zip(left, right):
        assert (m.data, m.op, m.label, m.local_grads) == (n.data, n.op, n.label, n.local_grads)
        assert [where[p.id] for p in m.inputs] == [there[p.id] for p in n.inputs]


def test_a_chain_of_a_million_ops_pickles_and_unpickles_without_recursion() -> None:
    x = fm.Value(0.75, label="x")
    y = x
    with _collector.paused():  # the build is not what is tested; this makes it faster
        for _ in range(CHAIN):
            y = -y
    loaded = pickle.loads(pickle.dumps(y, protocol=pickle.HIGHEST_PROTOCOL))
    assert loaded is not y and loaded.data == y.data == 0.75
    depth, node = 0, loaded
    while node.inputs:
        assert (node.op, node.local_grads, len(node.inputs)) == ("neg", (-1.0,), 1)
        node = node.inputs[0]
        depth += 1
    assert depth == CHAIN
    assert (node.data, node.label) == (0.75, "x")


def _moons_demo_loss() -> fm.losses.LossResult:
    model = fm.nn.mlp(2, [16, 16, 1], seed=1337)
    data = fm.datasets.moons(100, noise=0.1)
    return fm.losses.max_margin(model, data.xs, data.ys)


def test_the_moons_demos_loss_result_round_trips_whole() -> None:
    result = _moons_demo_loss()
    again = pickle.loads(pickle.dumps(result))
    assert isinstance(again, fm.losses.LossResult)
    _same_graph(result.total_loss, again.total_loss)
    assert again.accuracy == result.accuracy
    assert [s.data for s in again.scores] == [s.data for s in result.scores]
    # one graph, as before: the data loss and the scores are nodes of the loaded total
    below = {n.id for n in _below(again.total_loss)}
    assert again.data_loss.id in below and again.reg_loss.id in below
    assert all(s.id in below for s in again.scores)
    # and it differentiates to the same gradients, node for node
    g, h = fm.backward(result.total_loss), fm.backward(again.total_loss)
    assert [g[n] for n in _below(result.total_loss)] == [h[n] for n in _below(again.total_loss)]


def test_a_model_and_a_loss_pickled_apart_stay_connected() -> None:
    model = fm.nn.mlp(2, [4, 1], seed=3)
    loss = fm.losses.max_margin(model, [(0.5, -1.0), (1.0, 2.0)], [1.0, -1.0]).total_loss
    model_text, loss_text = pickle.dumps(model), pickle.dumps(loss)
    model_again, loss_again = pickle.loads(model_text), pickle.loads(loss_text)
    g = fm.backward(loss_again)
    assert [g[p] for p in fm.nn.parameters(model_again)] == [
        fm.backward(loss)[p] for p in fm.nn.parameters(model)
    ]


def _refusal(error: BaseException) -> None:
    message = str(error)
    assert "Gradients cannot be pickled" in message
    assert "node ids" in message  # why
    assert "to_map" in message and "fm.nn.parameters" in message  # what to save instead
    assert "backward" in message  # or save the Values, and differentiate again


def test_gradients_refuse_to_pickle_with_the_values_they_describe() -> None:
    x = fm.Value(3.0, label="x")
    g = fm.backward(x * x)
    for thing in (g, (x, g), {"grads": g}, [fm.backward(x * x, create_graph=True)]):
        with pytest.raises(TypeError) as info:
            pickle.dumps(thing)
        _refusal(info.value)
    # what the message says to save instead answers right after loading
    model = fm.nn.mlp(2, [3, 1], seed=0)
    loss = fm.losses.max_margin(model, [(1.0, 2.0)], [1.0]).total_loss
    grads = fm.backward(loss)
    saved = pickle.loads(pickle.dumps((model, [grads[p] for p in fm.nn.parameters(model)])))
    assert saved[1] == [grads[p] for p in fm.nn.parameters(model)]
    again = fm.losses.max_margin(saved[0], [(1.0, 2.0)], [1.0]).total_loss
    assert [fm.backward(again)[p] for p in fm.nn.parameters(saved[0])] == saved[1]


def test_gradients_refuse_to_pickle_in_a_child_process_too() -> None:
    # the worker-process case: a Gradients sent to another process must not arrive
    # keyed by ids that mean other nodes there
    script = textwrap.dedent(
        """
        import pickle, sys
        import functional_micrograd as fm
        x = fm.Value(3.0)
        g = fm.backward(x * x)
        try:
            sys.stdout.buffer.write(pickle.dumps((x, g)))
        except TypeError as error:
            print(error, file=sys.stderr)
            sys.exit(3)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, cwd=ROOT, timeout=60)
    assert done.returncode == 3, done.stderr.decode()
    assert done.stdout == b""
    _refusal(TypeError(done.stderr.decode()))


def test_values_pickled_in_a_child_process_load_here() -> None:
    script = textwrap.dedent(
        """
        import pickle, sys
        import functional_micrograd as fm
        x = fm.Value(3.0, label="x")
        y = x
        for _ in range(50_000):
            y = (y * 1.0).tanh() + x
        sys.stdout.buffer.write(pickle.dumps((x, y, fm.backward(y)[x])))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, cwd=ROOT, timeout=120, check=True
    )
    x, y, dydx = pickle.loads(done.stdout)
    assert x.label == "x" and x in set(_below(y))
    assert fm.backward(y)[x] == dydx and math.isfinite(dydx)


# -- records written in a private module pickle under the public one -------------------


def test_training_and_jit_records_pickle_under_the_module_that_documents_them() -> None:
    # Their code is in _train_records.py and _trace.py; a pickle names only the
    # public path (fm.training.Run, fm.jit.Trace), so it does not depend on where
    # the code is and loads where an older one did.
    data = fm.datasets.moons(10, seed=0)
    run = fm.train(fm.nn.mlp(2, [3, 1], seed=0), data, steps=2)
    state = fm.training.initial_state(run.final_model)
    trace = fm.make_trace(lambda x: x * 2.0 + x)(1.0)
    failed = fm.training.TrainingDiverged(1, state, OverflowError("too big"))
    records = {
        "training": [run, state, run.history[0], fm.training.evaluate(run.final_model, data),
                     fm.training.Batch(data.xs, data.ys), failed],
        "jit": [trace, trace.equations[0]],
    }  # fmt: skip
    for module, found in records.items():
        for record in found:
            blob = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
            assert f"functional_micrograd.{module}".encode() in blob
            assert b"_train_" not in blob and b"_trace" not in blob, type(record)
            loaded = pickle.loads(blob)
            assert type(loaded) is type(record) and repr(loaded) == repr(record)
    assert pickle.loads(pickle.dumps(run)).history == run.history
    assert pickle.loads(pickle.dumps(trace)) == trace
    # the default schedule, kept in Run.options, is saved by its public name too
    assert '"functional_micrograd.training.micrograd_schedule"' in fm.serialize.run_to_json(run)


def test_every_public_class_and_function_names_its_public_module() -> None:
    for module in (fm.training, importlib.import_module("functional_micrograd.jit")):
        for name in module.__all__:
            obj = getattr(module, name)
            if isinstance(obj, type) or inspect.isfunction(obj):
                assert obj.__module__ == module.__name__, (name, obj.__module__)
                assert getattr(sys.modules[obj.__module__], obj.__qualname__) is obj
