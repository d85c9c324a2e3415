"""Saving and loading (serialize.py): every loader's round trips and its fuzzing, in one place.

- Round trips: every model kind, a Run (both models and the history) and
  every optimizer state go through JSON and come back bit-exact.
- Hostile text: random text, random JSON, every structural mutation of valid
  documents, bad numbers, deep nesting, duplicate and unknown keys: each
  loader gives a valid record or its own short ValueError, quickly, and never
  imports, evaluates or executes anything.
- Bounded loading: texts of 8 and 64 MiB that must be refused are refused
  before anything big is built; their peak memory, measured in a fresh
  process, stays within the bound the docs state.
"""

from __future__ import annotations

import builtins
import importlib
import json
import pickle
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from conftest import time_bound
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyrsistent import pmap, pvector

import functional_micrograd as fm
from functional_micrograd.nn import MLP, Layer, Neuron

ROOT = Path(__file__).resolve().parent.parent

# Plain floats of every size and sign, with the awkward ones drawn often.
awkward = st.sampled_from(
    [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1e-300, 1.7976931348623157e308, -1e308]
)
any_float = st.one_of(awkward, st.floats(allow_nan=False, allow_infinity=False))
small_float = st.floats(min_value=-10.0, max_value=10.0, allow_nan=False)

LOADERS = [fm.serialize.from_json, fm.serialize.run_from_json, fm.serialize.opt_state_from_json]


def hexes(model: fm.nn.Model) -> list[str]:
    return [p.data.hex() for p in fm.nn.parameters(model)]


def outputs(out: fm.Value | tuple[fm.Value, ...]) -> list[float]:
    return [out.data] if isinstance(out, fm.Value) else [o.data for o in out]


# -- the hostile-text harness --------------------------------------------------------------------

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


DUMPERS: dict[Callable[[str], Any], Callable[[Any], str]] = {
    fm.serialize.from_json: fm.serialize.to_json,
    fm.serialize.run_from_json: fm.serialize.run_to_json,
    fm.serialize.opt_state_from_json: fm.serialize.opt_state_to_json,
}
MESSAGE_LIMIT = 400  # every loader's error message is at most this long


def _loads_or_value_error(
    text: Any, limit: float = 2.0, load: Callable[[str], Any] = fm.nn.from_json
) -> None:
    """The loader gives a record or its own short ValueError, within ``limit`` s, running nothing.

    A record it gives saves and loads again to the same text.
    """
    start = time.process_time()
    with _nothing_imported_or_run() as calls, time_bound(2 * limit):
        try:
            loaded = load(text)
        except ValueError as error:
            loaded = None
            message = str(error)
    assert time.process_time() - start < limit
    assert calls == []
    if loaded is None:
        assert message.startswith(f"{load.__name__}: "), message[:200]
        assert len(message) <= MESSAGE_LIMIT, message[:200]
        return
    dump = DUMPERS[load]
    if load is fm.serialize.from_json:
        assert isinstance(loaded, (Neuron, Layer, MLP))
        assert hexes(load(dump(loaded))) == hexes(loaded)
    else:
        text = dump(loaded)
        assert dump(load(text)) == text


def _refused(text: str, limit: float = 2.0, load: Callable[[str], Any] = fm.nn.from_json) -> None:
    """The loader raises its own short ValueError, within ``limit`` seconds, running nothing."""
    start = time.process_time()
    error: BaseException | None = None
    with _nothing_imported_or_run() as calls, time_bound(2 * limit):
        try:
            load(text)
        except BaseException as caught:  # checked below, outside the spies
            error = caught
    assert time.process_time() - start < limit
    assert calls == []
    assert isinstance(error, ValueError), repr(error)[:200]
    assert str(error).startswith(f"{load.__name__}: "), str(error)[:200]
    assert len(str(error)) <= MESSAGE_LIMIT, str(error)[:200]


json_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.sampled_from(["relu", "tanh", "linear", "MLP", "Layer", "Neuron", "w", "b", ""])
    | st.text(max_size=5)
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


# -- models: round trips ------------------------------------------------------------------


def test_to_json_plain_json_with_format_version() -> None:
    for model in [fm.nn.neuron(2), fm.nn.layer(2, 3), fm.nn.mlp(2, [3, 1])]:
        doc = json.loads(fm.nn.to_json(model))
        assert isinstance(doc, dict)
        assert doc["format_version"] == 1
        assert type(doc["format_version"]) is int
        assert doc["kind"] == type(model).__name__


def model_with(build: Callable[[], fm.nn.Model], numbers: list[float]) -> fm.nn.Model:
    template = build()
    count = fm.nn.parameter_count(template)
    return fm.nn.with_parameters(template, (numbers * count)[:count])


shapes: list[Callable[[], fm.nn.Model]] = [
    lambda: fm.nn.neuron(3, activation="sigmoid"),
    lambda: fm.nn.layer(2, 3, activation="tanh"),
    lambda: fm.nn.mlp(2, [3, 2, 1]),
]


@given(build=st.sampled_from(shapes), numbers=st.lists(any_float, min_size=1, max_size=20))
@settings(max_examples=80)
def test_from_json_round_trip_bit_exact(
    build: Callable[[], fm.nn.Model], numbers: list[float]
) -> None:
    model = model_with(build, numbers)
    loaded = fm.nn.from_json(fm.nn.to_json(model))
    assert type(loaded) is type(model)
    assert repr(loaded) == repr(model)
    assert hexes(loaded) == hexes(model)
    assert fm.nn.to_json(loaded) == fm.nn.to_json(model)
    assert [p.label for p in fm.nn.parameters(loaded)] == [p.label for p in fm.nn.parameters(model)]


@given(
    build=st.sampled_from(shapes),
    numbers=st.lists(small_float, min_size=1, max_size=20),
    x=st.tuples(small_float, small_float, small_float),
)
@settings(max_examples=40)
def test_from_json_loaded_model_same_outputs(
    build: Callable[[], fm.nn.Model], numbers: list[float], x: tuple[float, ...]
) -> None:
    model = model_with(build, numbers)
    loaded = fm.nn.from_json(fm.nn.to_json(model))
    inputs = list(x[: len(model.w)] if isinstance(model, Neuron) else x[:2])
    assert [o.hex() for o in outputs(loaded(inputs))] == [o.hex() for o in outputs(model(inputs))]


def test_from_json_round_trip_keeps_activations() -> None:
    for activation in fm.nn.ACTIVATIONS:
        model = fm.nn.mlp(2, [3, 3, 1], activation=activation, seed=4)
        loaded = fm.nn.from_json(fm.nn.to_json(model))
        assert isinstance(loaded, MLP)
        assert [n.activation for r in loaded.layers for n in r.neurons] == [
            n.activation for r in model.layers for n in r.neurons
        ]
        assert loaded([0.2, -0.4]).data == model([0.2, -0.4]).data


# -- models: hand-written bad documents ---------------------------------------------------

VALID = VALID_DOCS["MLP"]


def neuron_doc(**changes: Any) -> str:
    model: dict[str, Any] = {"activation": "relu", "w": [0.5, -0.5], "b": 0.0}
    model.update(changes)
    return json.dumps({"format_version": 1, "kind": "Neuron", "model": model})


def mlp_doc(layers: Any) -> str:
    return json.dumps({"format_version": 1, "kind": "MLP", "model": {"layers": layers}})


def unit(width: int) -> dict[str, Any]:
    return {"activation": "relu", "w": [0.1] * width, "b": 0.0}


BAD_DOCUMENTS = [
    # malformed
    "",
    " ",
    "{",
    "}",
    "nul",
    "{'format_version': 1}",
    VALID + "x",
    VALID + VALID,
    VALID.replace(":", "=", 1),
    VALID.replace('"', "'"),
    "\x00",
    # wrongly shaped
    "null",
    "1",
    '"MLP"',
    "[]",
    "{}",
    f"[{VALID}]",
    '{"format_version": 1}',
    '{"format_version": 1, "kind": "MLP"}',
    '{"format_version": 1, "kind": "MLP", "model": {}}',
    '{"format_version": 1, "kind": "MLP", "model": []}',
    '{"format_version": 1, "kind": "MLP", "model": {"layers": []}}',
    '{"format_version": 1, "kind": "MLP", "model": {"layers": {}}}',
    '{"format_version": 1, "kind": "Layer", "model": {"neurons": []}}',
    '{"format_version": 1, "kind": "Layer", "model": {"layers": []}}',
    mlp_doc([{"neurons": [unit(2), unit(2)]}, {"neurons": [unit(2)]}, {"neurons": []}]),
    mlp_doc([[unit(2)]]),
    mlp_doc([{"neurons": [[0.1, 0.1]]}]),
    neuron_doc(w=[]),
    neuron_doc(w=[[0.5], [0.5]]),
    # unknown or missing keys
    VALID.replace('"kind"', '"kind", "extra": 0, "x"', 1),
    VALID[:-1] + ', "extra": null}',
    neuron_doc(bias=0.0),
    neuron_doc(grad=[0.0, 0.0]),
    json.dumps({"format_version": 1, "kind": "Neuron", "model": {"w": [1.0], "b": 0.0}}),
    json.dumps({"format_version": 1, "kind": "Neuron", "model": {"activation": "relu", "b": 0}}),
    json.dumps({"kind": "Neuron", "model": json.loads(neuron_doc())["model"]}),
    # wrong types
    neuron_doc(w="0.5"),
    neuron_doc(w=0.5),
    neuron_doc(w=[0.5, "0.5"]),
    neuron_doc(w=[0.5, None]),
    neuron_doc(w=[True, 0.5]),
    neuron_doc(b="0"),
    neuron_doc(b=None),
    neuron_doc(b=False),
    neuron_doc(b=[0.0]),
    neuron_doc(b={"data": 0.0}),
    neuron_doc(activation=None),
    neuron_doc(activation=1),
    neuron_doc(activation=["relu"]),
    neuron_doc(activation="gelu"),
    neuron_doc(activation="RELU"),
    neuron_doc(activation="__import__('os')"),
    json.dumps({"format_version": 1, "kind": None, "model": {}}),
    json.dumps({"format_version": 1, "kind": ["MLP"], "model": {}}),
    json.dumps({"format_version": 1, "kind": "neuron", "model": {}}),
    json.dumps({"format_version": 1, "kind": "Value", "model": {"data": 1.0}}),
    # NaN, Infinity and numbers too large for a float
    neuron_doc().replace("0.5", "NaN", 1),
    neuron_doc().replace("0.5", "Infinity", 1),
    neuron_doc().replace("-0.5", "-Infinity", 1),
    neuron_doc().replace('"b": 0.0', '"b": NaN'),
    neuron_doc().replace("0.5", "1e400", 1),
    neuron_doc().replace("-0.5", "-1e999", 1),
    neuron_doc().replace("0.5", "1" * 400, 1),
    neuron_doc().replace("0.5", "1" * 5000, 1),
    neuron_doc().replace("-0.5", "-" + "9" * 401, 1),
    neuron_doc().replace('"format_version": 1', '"format_version": ' + "1" * 5000),
    # another format_version
    neuron_doc().replace('"format_version": 1', '"format_version": 2'),
    neuron_doc().replace('"format_version": 1', '"format_version": 0'),
    neuron_doc().replace('"format_version": 1', '"format_version": -1'),
    neuron_doc().replace('"format_version": 1', '"format_version": "1"'),
    neuron_doc().replace('"format_version": 1', '"format_version": true'),
    neuron_doc().replace('"format_version": 1', '"format_version": null'),
    neuron_doc().replace('"format_version": 1', '"format_version": [1]'),
    neuron_doc().replace('"format_version": 1', '"format_version": 1.5'),
    neuron_doc().replace('"format_version": 1', '"format_version": NaN'),
    # mismatched widths
    mlp_doc([{"neurons": [unit(2), unit(2), unit(2)]}, {"neurons": [unit(2)]}]),
    mlp_doc([{"neurons": [unit(2)]}, {"neurons": [unit(3)]}]),
    mlp_doc([{"neurons": [unit(2), unit(3)]}]),
    json.dumps({"format_version": 1, "kind": "Layer", "model": {"neurons": [unit(1), unit(2)]}}),
    # duplicate keys
    neuron_doc().replace('"b": 0.0', '"b": 0.0, "b": 1.0'),
    neuron_doc().replace('"kind": "Neuron"', '"kind": "Neuron", "kind": "Neuron"'),
    neuron_doc()[:-1] + ', "format_version": 1}',
    # hostile
    '{"__class__": "os.system"}',
    '{"__class__": "os.system", "args": ["echo hacked"]}',
    '{"format_version": 1, "kind": "os.system", "model": {"layers": []}}',
    '{"format_version": 1, "kind": "functional_micrograd.nn.MLP", "model": {"layers": []}}',
    '{"format_version": 1, "kind": "MLP", "model": {"__reduce__": ["os.system", ["id"]]}}',
    '{"py/object": "subprocess.Popen", "py/reduce": [{"py/type": "os.system"}]}',
    "!!python/object/apply:os.system ['echo hacked']",
    "cos\nsystem\n(S'echo hacked'\ntR.",
    "__import__('os').system('echo hacked')",
    # absurd nesting
    "[" * 100000,
    "[" * 100000 + "]" * 100000,
    '{"a":' * 100000,
    '{"a":' * 50000 + "1" + "}" * 50000,
    neuron_doc().replace("[0.5, -0.5]", "[" * 100000 + "]" * 100000),
]


@pytest.mark.parametrize("text", BAD_DOCUMENTS, ids=range(len(BAD_DOCUMENTS)))
def test_from_json_bad_text_value_error(text: str) -> None:
    with pytest.raises(ValueError, match=r"^from_json: \S"):
        fm.nn.from_json(text)


def test_from_json_every_truncation_value_error() -> None:
    for text in [VALID, fm.nn.to_json(fm.nn.neuron(2, activation="sigmoid"))]:
        for end in range(len(text)):
            with pytest.raises(ValueError):
                fm.nn.from_json(text[:end])


def test_from_json_nesting_every_depth_value_error() -> None:
    # Around the recursion limit the parser and the error message both recurse.
    for depth in range(1, 3000, 11):
        nested = "[" * depth + "]" * depth
        for text in [
            nested,
            neuron_doc().replace("[0.5, -0.5]", nested),
            neuron_doc().replace('"format_version": 1', '"format_version": ' + nested),
            neuron_doc().replace('"kind": "Neuron"', '"kind": ' + nested),
            neuron_doc().replace('"b": 0.0', '"b": ' + '{"a": ' * depth + "1" + "}" * depth),
        ]:
            with pytest.raises(ValueError):
                fm.nn.from_json(text)


def test_from_json_messages_say_where() -> None:
    with pytest.raises(ValueError, match="format_version"):
        fm.nn.from_json(neuron_doc().replace('"format_version": 1', '"format_version": 2'))
    with pytest.raises(ValueError, match=r"model\.w\[1\]"):
        fm.nn.from_json(neuron_doc(w=[0.5, "x"]))
    with pytest.raises(ValueError, match="unknown: \\['extra'\\]"):
        fm.nn.from_json(neuron_doc(extra=1))
    with pytest.raises(ValueError, match="duplicate"):
        fm.nn.from_json(neuron_doc().replace('"b": 0.0', '"b": 0.0, "b": 1.0'))
    with pytest.raises(ValueError, match="NaN"):
        fm.nn.from_json(neuron_doc().replace("0.5", "NaN", 1))
    with pytest.raises(ValueError, match="5000 digits is too large to be a float"):
        fm.nn.from_json(neuron_doc().replace("0.5", "1" * 5000, 1))
    with pytest.raises(ValueError, match=r"layers\[1\]"):
        fm.nn.from_json(mlp_doc([{"neurons": [unit(2)] * 3}, {"neurons": [unit(2)]}]))


def test_from_json_imports_and_runs_nothing() -> None:
    assert "this" not in sys.modules  # importing it prints; never imported by these tests
    for text in [
        '{"__class__": "this.Zen"}',
        '{"format_version": 1, "kind": "this", "model": {}}',
        '{"format_version": 1, "kind": "MLP", "model": {"__module__": "this", "layers": []}}',
    ]:
        with pytest.raises(ValueError):
            fm.nn.from_json(text)
    assert "this" not in sys.modules


@given(
    st.text(alphabet=st.characters(), max_size=60) | st.text(alphabet='{}[]":,01.-eE ', max_size=60)
)
@settings(max_examples=200)
def test_from_json_fuzz_random_text(text: str) -> None:
    _loads_or_value_error(text)


@given(json_trees)
@settings(max_examples=100)
def test_from_json_fuzz_random_json(doc: Any) -> None:
    _loads_or_value_error(json.dumps(doc))
    _loads_or_value_error(json.dumps({"format_version": 1, "kind": "MLP", "model": doc}))


@given(data=st.data())
@settings(max_examples=120, suppress_health_check=[HealthCheck.too_slow])
def test_from_json_fuzz_mutated_documents(data: st.DataObject) -> None:
    doc = json.loads(VALID)
    path = data.draw(st.sampled_from(_paths(doc)))
    _loads_or_value_error(json.dumps(_replaced(doc, path, data.draw(json_trees))))

    text = VALID
    for _ in range(data.draw(st.integers(1, 3))):
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, min(len(text), start + 8)))
        piece = data.draw(st.text(alphabet='{}[]":,01.-eENaIfy ', max_size=4))
        text = text[:start] + piece + text[end:]
    _loads_or_value_error(text)


# -- models: every mutation of valid documents -----------------------------------------

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


NOT_TEXT = [b"{}", bytearray(b"{}"), None, 1, 1.5, ["{}"], {"a": 1}, json.loads(VALID_DOCS["MLP"])]


@pytest.mark.parametrize("text", NOT_TEXT, ids=range(len(NOT_TEXT)))
@pytest.mark.parametrize("load", LOADERS, ids=lambda f: f.__name__)
def test_loaders_non_str_is_type_error_only(load: Callable[[Any], Any], text: Any) -> None:
    with pytest.raises(TypeError, match=f"{load.__name__}: expected a str of JSON text, got "):
        load(text)


# -- runs and optimizer states: round trips -------------------------------------------------

maybe_float = st.none() | any_float
option_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**18), 10**18) | any_float | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def runs(draw: st.DrawFn) -> fm.training.Run:
    """A Run record of any model kind, with any finite numbers in its history."""
    build = draw(st.sampled_from(shapes))
    first = model_with(build, draw(st.lists(any_float, min_size=1, max_size=20)))
    last = model_with(build, draw(st.lists(any_float, min_size=1, max_size=20)))
    steps = sorted(draw(st.sets(st.integers(0, 10**6), min_size=1, max_size=5)))
    rows = [
        fm.training.HistoryRow(
            step=k,
            loss=draw(any_float),
            data_loss=draw(any_float),
            reg_loss=draw(any_float),
            accuracy=draw(maybe_float),
            learning_rate=draw(any_float),
            val_loss=draw(maybe_float),
            val_accuracy=draw(maybe_float),
        )
        for k in steps
    ]
    return fm.training.Run(
        initial_model=first,
        final_model=last,
        history=pvector(rows),
        final_loss=rows[-1].loss,
        final_accuracy=rows[-1].accuracy,
        options=_frozen(draw(st.dictionaries(st.text(max_size=8), option_values, max_size=4))),
    )


def _frozen(x: Any) -> Any:
    """Options as a run holds them: mappings as PMaps, sequences as tuples."""
    if isinstance(x, dict):
        return pmap({k: _frozen(v) for k, v in x.items()})
    if isinstance(x, list):
        return tuple(_frozen(v) for v in x)
    return x


def _row_hexes(run: fm.training.Run) -> list[list[str | None]]:
    return [
        [None if x is None else float(x).hex() for x in (getattr(row, f) for f in ROW_FIELDS)]
        for row in run.history
    ]


ROW_FIELDS = tuple(fm.training.HistoryRow._pclass_fields)


@given(runs())
@settings(max_examples=60, deadline=None)
def test_run_round_trip_bit_exact(run: fm.training.Run) -> None:
    text = fm.serialize.run_to_json(run)
    loaded = fm.serialize.run_from_json(text)
    assert isinstance(loaded, fm.training.Run)
    assert hexes(loaded.initial_model) == hexes(run.initial_model)
    assert hexes(loaded.final_model) == hexes(run.final_model)
    assert repr(loaded.final_model) == repr(run.final_model)
    assert _row_hexes(loaded) == _row_hexes(run)
    assert loaded.history == run.history
    assert (loaded.final_loss, loaded.final_accuracy) == (run.final_loss, run.final_accuracy)
    assert loaded.options == run.options  # plain data comes back as it went
    assert fm.serialize.run_to_json(loaded) == text


def _trained_runs() -> list[fm.training.Run]:
    """Real runs of every task, with validation, batches and an optimizer."""
    moons = fm.datasets.moons(12, seed=1)
    train_part, val_part = fm.datasets.split(fm.datasets.yinyang(30), (0.7, 0.3))
    sine = fm.datasets.sine(10, seed=2)
    return [
        fm.train(fm.nn.mlp(2, [4, 1], seed=1), moons, steps=3, batch_size=5),
        fm.train(
            fm.nn.mlp(2, [4, 3], activation="tanh", seed=2),
            train_part,
            steps=3,
            optimizer=fm.optim.adamw(0.1, b2=0.95),
            validation=val_part,
            log_every=2,
        ),
        fm.train(fm.nn.layer(1, 1, activation="linear"), sine, steps=2, learning_rate=0.05),
    ]


def test_run_round_trip_of_trained_runs_of_every_task() -> None:
    for run in _trained_runs():
        loaded = fm.serialize.run_from_json(fm.serialize.run_to_json(run))
        assert hexes(loaded.final_model) == hexes(run.final_model)
        assert hexes(loaded.initial_model) == hexes(run.initial_model)
        assert _row_hexes(loaded) == _row_hexes(run)
        # the options come back as data: names where the run had functions
        assert loaded.options["steps"] == run.options["steps"]
        assert loaded.options["dataset"] == run.options["dataset"]
        assert loaded.options["learning_rate"] in (
            run.options["learning_rate"],
            "functional_micrograd.training.micrograd_schedule",
        )
        # and the loaded final model goes on working
        x = run.options["dataset"] and (0.5,) * fm.nn.structure(run.final_model).nin
        assert outputs(loaded.final_model(x)) == outputs(run.final_model(x))


OPTIMIZERS = {
    "sgd": fm.optim.sgd(0.1),
    "momentum": fm.optim.momentum(0.1),
    "adam": fm.optim.adam(0.1),
    "adamw": fm.optim.adamw(0.1),
    "rmsprop": fm.optim.rmsprop(0.1),
}


@given(
    name=st.sampled_from(sorted(OPTIMIZERS)),
    build=st.sampled_from(shapes),
    numbers=st.lists(any_float, min_size=1, max_size=30),
    count=st.integers(0, 10**9),
)
@settings(max_examples=80, deadline=None)
def test_opt_state_round_trip_bit_exact(
    name: str, build: Callable[[], fm.nn.Model], numbers: list[float], count: int
) -> None:
    model = build()
    state = OPTIMIZERS[name].init(model)
    size = fm.nn.parameter_count(model)
    vectors = {
        field: pvector((numbers[i:] + numbers * size)[:size])
        for i, field in enumerate(
            f for f in type(state)._pclass_fields if f not in ("count", "architecture")
        )
    }
    state = state.set(count=count, **vectors)
    text = fm.serialize.opt_state_to_json(state)
    loaded = fm.serialize.opt_state_from_json(text)
    assert type(loaded) is type(state)
    assert loaded == state
    for field, vector in vectors.items():
        assert [x.hex() for x in getattr(loaded, field)] == [x.hex() for x in vector]
    assert fm.serialize.opt_state_to_json(loaded) == text


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_opt_state_loaded_resumes_training_exactly(name: str) -> None:
    opt = OPTIMIZERS[name]
    model = fm.nn.mlp(2, [3, 1], seed=4)
    state = opt.init(model)
    for x in ([0.5, -1.0], [1.5, 0.25]):
        model, state = opt.update(model, fm.backward(model(x)), state)
    loaded = fm.serialize.opt_state_from_json(fm.serialize.opt_state_to_json(state))
    g = fm.backward(model([0.1, 0.2]))
    after, _ = opt.update(model, g, state)
    again, _ = opt.update(model, g, loaded)
    assert hexes(again) == hexes(after)


def test_savers_refuse_what_they_cannot_save() -> None:
    with pytest.raises(TypeError, match="to_json: expected a Neuron, Layer or MLP"):
        fm.serialize.to_json([1.0])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="run_to_json: expected a Run"):
        fm.serialize.run_to_json(fm.nn.neuron(1))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="opt_state_to_json: expected an optimizer state"):
        fm.serialize.opt_state_to_json(fm.nn.neuron(1))


# -- runs and optimizer states: hostile text ------------------------------------------------

VALID_RUN = fm.serialize.run_to_json(
    fm.train(fm.nn.mlp(2, [2, 1], seed=3), fm.datasets.moons(6, seed=0), steps=2)
)
VALID_STATES = {
    name: fm.serialize.opt_state_to_json(opt.init(fm.nn.mlp(2, [2, 1])))
    for name, opt in OPTIMIZERS.items()
}
OTHER_DOCS = [(fm.serialize.run_from_json, VALID_RUN)] + [
    (fm.serialize.opt_state_from_json, text) for text in VALID_STATES.values()
]
OTHER_IDS = ["Run", *VALID_STATES]


@pytest.mark.parametrize(("load", "text"), OTHER_DOCS, ids=OTHER_IDS)
def test_other_loaders_wrong_value_at_every_position(load: Callable[[str], Any], text: str) -> None:
    doc = json.loads(text)
    for path in _paths(doc):
        for wrong in WRONG_VALUES:
            _loads_or_value_error(json.dumps(_replaced(doc, path, wrong)), load=load)


@pytest.mark.parametrize(("load", "text"), OTHER_DOCS, ids=OTHER_IDS)
def test_other_loaders_unknown_missing_and_duplicate_keys(
    load: Callable[[str], Any], text: str
) -> None:
    doc = json.loads(text)
    objects = [path for path in _paths(doc) if isinstance(_at(doc, path), dict)]
    for path in objects:
        here = _at(doc, path)
        if path[-1:] == ("options",) or "options" in path:
            continue  # options are free-form data
        _refused(json.dumps(_replaced(doc, path, {**here, "__class__": 1})), load=load)
        for key in here:
            _refused(
                json.dumps(_replaced(doc, path, {k: v for k, v in here.items() if k != key})),
                load=load,
            )
            _refused(_dumps_duplicating(doc, path, key), load=load)


@given(which=st.integers(0, len(OTHER_DOCS) - 1), data=st.data())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_other_loaders_fuzz_structural_mutations(which: int, data: st.DataObject) -> None:
    load, text = OTHER_DOCS[which]
    doc = json.loads(text)
    for _ in range(data.draw(st.integers(1, 4))):
        doc = _mutate(doc, data)
    try:
        dumped = json.dumps(doc)
    except RecursionError:
        return
    _loads_or_value_error(dumped, load=load)


@given(st.lists(json_tokens, max_size=80).map("".join) | st.text(max_size=200))
@settings(max_examples=150, deadline=None)
def test_other_loaders_fuzz_random_text(text: str) -> None:
    for load in LOADERS:
        _loads_or_value_error(text, load=load)


def test_loaders_refuse_each_others_documents_by_kind() -> None:
    with pytest.raises(ValueError, match="run_from_json: expected kind to be 'Run', got 'MLP'"):
        fm.serialize.run_from_json(VALID_DOCS["MLP"].replace('"model"', '"run"'))
    with pytest.raises(
        ValueError, match=r"from_json: .*keys \['format_version', 'kind', 'model'\]"
    ):
        fm.nn.from_json(VALID_RUN)
    with pytest.raises(ValueError, match="opt_state_from_json: expected kind to be one of"):
        fm.serialize.opt_state_from_json(VALID_DOCS["MLP"].replace('"model"', '"state"'))


def test_opt_state_vectors_must_fit_the_architecture() -> None:
    doc = json.loads(VALID_STATES["adam"])
    doc["state"]["m"] = doc["state"]["m"][:-1]
    with pytest.raises(ValueError, match=r"state\.m to hold 9 numbers.*got 8"):
        fm.serialize.opt_state_from_json(json.dumps(doc))
    doc = json.loads(VALID_STATES["sgd"])
    doc["state"]["architecture"] = ["Neuron", 2, 3]
    with pytest.raises(ValueError, match="architecture"):
        fm.serialize.opt_state_from_json(json.dumps(doc))


def test_run_models_and_history_must_agree() -> None:
    doc = json.loads(VALID_RUN)
    other = json.loads(fm.nn.to_json(fm.nn.mlp(2, [3, 1])))
    bad = _replaced(doc, ("run", "final_model"), {"kind": other["kind"], "model": other["model"]})
    with pytest.raises(ValueError, match="differ in architecture"):
        fm.serialize.run_from_json(json.dumps(bad))
    bad = _replaced(doc, ("run", "final_loss"), 123.0)
    with pytest.raises(ValueError, match="last row's"):
        fm.serialize.run_from_json(json.dumps(bad))
    bad = _replaced(doc, ("run", "history", 1, "step"), 0)
    with pytest.raises(ValueError, match=r"history\[1\]\.step"):
        fm.serialize.run_from_json(json.dumps(bad))


# -- bounded loading -----------------------------------------------------------------------

MIB = 1024 * 1024

# A child process builds one hostile text of about ``mib`` MiB (without
# building anything else big) and reports its peak memory growth while
# from_json refuses it, measured with resource.getrusage.
PEAK = r"""
import json, resource, sys
import functional_micrograd as fm

case, size = sys.argv[1], int(sys.argv[2])
model_head = '{"format_version": 1, "kind": "MLP", "model": {"layers": ['
wide = '{"neurons": [{"activation": "relu", "w": ['
wrong = '], "b": 0}]}, {"neurons": [{"activation": "relu", "w": [1, 1], "b": 0}]}]}}'
if case in ("ints", "floats"):  # one neuron of millions of weights, then a wrong-width layer
    item = "1," if case == "ints" else "0.5,"
    n = (size - len(model_head) - len(wide) - len(wrong)) // len(item)
    text = model_head + wide + item * (n - 1) + item[:-1] + wrong
elif case == "objects":  # nothing but tiny objects
    n = (size - 100) // 9
    text = model_head + '{"b": 0},' * (n - 1) + '{"b": 0}]}}'
elif case == "lists":  # nothing but empty lists
    n = (size - 100) // 3
    text = model_head + "[]," * (n - 1) + "[]]}}"
else:  # a valid neuron of many weights: accepted
    n = (size - 100) // 5
    head = '{"format_version": 1, "kind": "Neuron", "model": {"activation": "relu", "w": ['
    text = head + "0.5, " * (n - 1) + '0.5], "b": 0}}'
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    model = fm.nn.from_json(text)
    outcome, count = "loaded", fm.nn.parameter_count(model)
except ValueError as error:
    outcome, count = str(error), 0
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
unit = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is in bytes there, KiB elsewhere
print(json.dumps({"chars": len(text), "grew": (after - before) * unit, "outcome": outcome,
                  "parameters": count}))
"""


def _peak(case: str, mib: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", PEAK, case, str(mib * MIB)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=300,
    )
    return json.loads(done.stdout)


@pytest.mark.parametrize(
    ("case", "mib", "bound"),
    [
        ("ints", 8, 6),
        ("ints", 64, 6),
        ("floats", 8, 12),
        ("objects", 8, 30),
        ("lists", 8, 30),
    ],
)
def test_from_json_hostile_text_peak_memory_is_bounded(case: str, mib: int, bound: int) -> None:
    # The bounds are serialize.py's: about 4 bytes per character for an array
    # of small ints, 10 for one of floats, at most 30 for tiny containers.
    found = _peak(case, mib)
    assert found["chars"] <= fm.serialize.MAX_TEXT
    assert found["chars"] > (mib - 1) * MIB
    assert found["outcome"].startswith("from_json: "), found["outcome"]
    assert len(found["outcome"]) <= MESSAGE_LIMIT
    if case in ("ints", "floats"):  # refused at the wrong-width layer, before any Value
        assert "layers[1] takes 2 inputs but layers[0] has 1 outputs" in found["outcome"]
    assert found["grew"] <= bound * found["chars"], found


def test_from_json_accepted_text_peak_memory_is_bounded() -> None:
    # An accepted text costs the parse plus the model: at most 30 bytes per
    # character and 300 per parameter.
    found = _peak("valid", 2)
    assert found["outcome"] == "loaded"
    assert found["parameters"] > 400_000
    assert found["grew"] <= 30 * found["chars"] + 300 * found["parameters"], found


def test_from_json_messages_stay_short_for_huge_documents() -> None:
    many_keys = json.dumps(
        {"format_version": 1, "kind": "MLP", "model": {f"k{i}": 0 for i in range(200_000)}}
    )
    long_key = json.dumps({"format_version": 1, "kind": "MLP", "model": {"x" * 10**6: 0}})
    long_kind = json.dumps({"format_version": 1, "kind": "M" * 10**6, "model": {}})
    duplicates = "{" + ", ".join(f'"k{i % 1000}": 0' for i in range(200_000)) + "}"
    wide = json.dumps({"format_version": 1, "kind": "MLP", "model": {"layers": [0] * 10**6}})
    for text in (many_keys, long_key, long_kind, duplicates, wide):
        _refused(text, limit=10.0)
    with pytest.raises(
        ValueError, match=r"unknown: \['k0', 'k1', 'k2', 'k3', 'k4', \.\.\. \(200000 in all\)\]"
    ):
        fm.nn.from_json(many_keys)
