"""Tests for functional_micrograd.graph: nodes, edges and DOT export."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyrsistent import pmap

import functional_micrograd as fm
from functional_micrograd import graph, nn
from functional_micrograd.graph import edges, nodes, to_dot
from functional_micrograd.value import Value

# Graphviz renders the DOT in some tests; CI installs it (.ci/run), so without it they fail.
DOT = shutil.which("dot")

HOSTILE_LABELS = [
    'say "hi"',
    "{braces}",
    "a|b",
    "<port>",
    "back\\slash",
    "ends with \\",
    "\\N\\G\\E\\L",
    '\\"',
    '"}|{<>\\',
    "}",
    "line\nbreak",
    "tab\there",
    "ünïcødé ∂",
    "",
    "{ w1 | data 2.0000 }",
    "digraph G { a -> b }",
]


# One DOT statement of to_dot's: a node with a quoted label (any escapes inside), or an arrow.
STATEMENT = re.compile(
    r'\s*v\d+(_op)? \[label="(?:[^"\\]|\\.)*"(, shape=ellipse)?\];'
    r"|\s*v\d+(_op)? -> v\d+(_op)?;"
)


def render_svg(text: str) -> str:
    """Run ``dot -Tsvg`` on DOT text; fail the test on any complaint."""
    assert DOT is not None, "Graphviz 'dot' is not on PATH: apt-get install graphviz"
    done = subprocess.run([DOT, "-Tsvg"], input=text.encode("utf-8"), capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
    assert not done.stderr, done.stderr.decode()
    return done.stdout.decode("utf-8")


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [el.text or "" for el in root.iter() if el.tag.endswith("}text")]


def small_graph() -> tuple[Value, dict[str, Value]]:
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = (a * b).set(label="e")
    d = (e + c).set(label="d")
    f = Value(-2.0, label="f")
    loss = (d * f).set(label="L")
    return loss, {"a": a, "b": b, "c": c, "e": e, "d": d, "f": f, "L": loss}


# -- the module ----------------------------------------------------------------------


def test_graph_is_exported() -> None:
    assert fm.graph is graph
    assert "graph" in fm.__all__
    assert set(graph.__all__) >= {"nodes", "edges", "to_dot"}


# -- nodes ---------------------------------------------------------------------------


def test_nodes_of_x_times_x() -> None:
    x = Value(3.0, label="x")
    y = x * x
    rows = nodes(y)
    assert rows == [
        {"id": x.id, "label": "x", "op": "", "data": 3.0},
        {"id": y.id, "label": None, "op": "*", "data": 9.0},
    ]
    assert all(type(row) is dict for row in rows)


def test_nodes_come_inputs_first() -> None:
    loss, named = small_graph()
    rows = nodes(loss)
    position = {row["id"]: i for i, row in enumerate(rows)}
    assert rows[-1]["id"] == loss.id
    assert len(position) == len(rows) == 7
    for edge in edges(loss):
        assert position[edge["source"]] < position[edge["target"]]
    assert {row["label"] for row in rows} == set(named)
    assert [row["id"] for row in rows] == [v.id for v in fm.topological_order(loss)]


def test_nodes_grad_column_is_the_gradients() -> None:
    loss, named = small_graph()
    g = fm.backward(loss)
    rows = nodes(loss, g)
    assert all(list(row) == ["id", "label", "op", "data", "grad"] for row in rows)
    by_label = {row["label"]: row for row in rows}
    for label, v in named.items():
        assert by_label[label]["grad"] == g[v]
    # micrograd's worked example: dL/da = 6, dL/db = -4, dL/dc = -2, dL/df = 4
    assert [by_label[k]["grad"] for k in "abcf"] == [6.0, -4.0, -2.0, 4.0]
    assert "grad" not in nodes(loss)[0]


def test_nodes_grad_of_a_node_outside_the_gradients_is_zero() -> None:
    x = Value(1.0)
    y = x * 2.0
    other = fm.backward(Value(5.0) * 3.0)
    assert [row["grad"] for row in nodes(y, other)] == [0.0, 0.0, 0.0]


def test_nodes_of_a_leaf() -> None:
    x = Value(-1.5, label="w")
    assert nodes(x, fm.backward(x)) == [
        {"id": x.id, "label": "w", "op": "", "data": -1.5, "grad": 1.0}
    ]


def test_nodes_of_a_model_output_lists_every_node_once() -> None:
    model = nn.mlp(2, [3, 1], seed=0)
    out = model([0.5, -1.0])
    assert isinstance(out, Value)
    rows = nodes(out)
    assert len(rows) == len({row["id"] for row in rows}) == len(fm.topological_order(out))
    labels = {row["label"] for row in rows}
    assert {p.label for p in nn.parameters(model)} <= labels


def test_nodes_and_edges_of_a_long_chain() -> None:
    v = Value(0.0)
    for _ in range(20_000):
        v = v + 1.0
    assert len(nodes(v)) == 40_001
    assert len(edges(v)) == 40_000


# -- edges ---------------------------------------------------------------------------


def test_edges_of_x_times_x_are_two() -> None:
    x = Value(3.0, label="x")
    y = x * x
    rows = edges(y)
    assert rows == [
        {"source": x.id, "target": y.id, "local_grad": 3.0},
        {"source": x.id, "target": y.id, "local_grad": 3.0},
    ]
    assert all(type(row) is dict for row in rows)


def test_edges_are_the_parents() -> None:
    loss, named = small_graph()
    rows = edges(loss)
    expected = [
        {"source": p.parent.id, "target": v.id, "local_grad": p.local_grad}
        for v in fm.topological_order(loss)
        for p in v.parents
    ]
    assert rows == expected
    assert len(rows) == 6
    a, b, e = named["a"], named["b"], named["e"]
    assert {"source": a.id, "target": e.id, "local_grad": b.data} in rows
    assert {"source": b.id, "target": e.id, "local_grad": a.data} in rows


def test_edges_of_a_leaf_are_none() -> None:
    assert edges(Value(1.0)) == []


def backprop_from_rows(output: Value) -> dict[int, float]:
    """Backpropagation written only against the rows, as an independent check."""
    order = [row["id"] for row in nodes(output)]
    incoming: dict[int, list[dict[str, Any]]] = {}
    for row in edges(output):
        incoming.setdefault(row["target"], []).append(row)
    grads = dict.fromkeys(order, 0.0)
    grads[output.id] = 1.0
    for node_id in reversed(order):
        for row in incoming.get(node_id, []):
            grads[row["source"]] += grads[node_id] * row["local_grad"]
    return grads


@settings(max_examples=30, deadline=None)
@given(
    x=st.floats(-3, 3),
    y=st.floats(-3, 3),
    ops=st.lists(st.sampled_from(["add", "mul", "tanh", "square", "xy"]), max_size=8),
)
def test_edges_and_nodes_reproduce_backward(x: float, y: float, ops: list[str]) -> None:
    a, b = Value(x, label="a"), Value(y, label="b")
    v = a * b
    for op in ops:
        v = {
            "add": lambda v: v + a,
            "mul": lambda v: v * b,
            "tanh": lambda v: v.tanh(),
            "square": lambda v: v * v,
            "xy": lambda v: v + a * b,
        }[op](v)
    g = fm.backward(v)
    ours = backprop_from_rows(v)
    for node in fm.topological_order(v):
        assert ours[node.id] == pytest.approx(g[node], rel=1e-9, abs=1e-12)


# -- to_dot --------------------------------------------------------------------------


def test_to_dot_draws_records_ops_and_arrows() -> None:
    loss, named = small_graph()
    text = to_dot(loss, fm.backward(loss))
    assert text.startswith("digraph ")
    assert "rankdir=LR" in text
    assert "shape=record" in text
    assert f'v{named["a"].id} [label="{{ a | data 2.0000 | grad 6.0000 }}"];' in text
    assert f'v{named["L"].id} [label="{{ L | data -8.0000 | grad 1.0000 }}"];' in text
    for v in named.values():
        if v.op:
            assert f'v{v.id}_op [label="{v.op}", shape=ellipse];' in text
            assert f"v{v.id}_op -> v{v.id};" in text
            for p in v.parents:
                assert f"v{p.parent.id} -> v{v.id}_op;" in text
        else:
            assert f"v{v.id}_op" not in text
    arrows = re.findall(r"^\s*v\d+(?:_op)? -> v\d+(?:_op)?;$", text, flags=re.M)
    ops = [v for v in named.values() if v.op]
    assert len(arrows) == len(edges(loss)) + len(ops)


def test_to_dot_without_gradients_has_no_grad() -> None:
    x = Value(3.0, label="x")
    text = to_dot(x * x)
    assert "grad" not in text
    assert '[label="{ x | data 3.0000 }"]' in text
    assert '[label="{ data 9.0000 }"]' in text
    # x * x: two arrows from x into the op
    assert text.count(f"v{x.id} -> ") == 2


def test_to_dot_shows_tiny_and_huge_numbers() -> None:
    v = Value(1e-7, label="tiny") + Value(1e12, label="huge")
    text = to_dot(v)
    assert "data 1.0000e-07" in text
    assert "data 1.0000e+12" in text


@pytest.mark.parametrize("label", HOSTILE_LABELS)
def test_to_dot_escapes_record_and_string_syntax(label: str) -> None:
    text = to_dot(Value(1.0, label=label) * 2.0)
    for line in text.splitlines()[3:-1]:
        assert re.fullmatch(STATEMENT, line), line


def test_to_dot_renders_with_graphviz_and_shows_the_labels() -> None:
    loss, named = small_graph()
    svg = render_svg(to_dot(loss, fm.backward(loss)))
    texts = svg_texts(svg)
    for label in named:
        assert label in texts
    assert "data 2.0000" in texts
    assert "grad 6.0000" in texts
    assert texts.count("*") == 2 and texts.count("+") == 1


def test_to_dot_renders_a_model_graph() -> None:
    model = nn.mlp(2, [2, 1], seed=1)
    score = model([1.0, -1.0])
    assert isinstance(score, Value)
    out = score.relu().tanh()
    texts = svg_texts(render_svg(to_dot(out, fm.backward(out))))
    assert {"L0.N0.w0", "L1.N0.b", "x0", "x1"} <= set(texts)
    assert {"relu", "tanh", "+", "*"} <= set(texts)


def test_to_dot_hostile_labels_stay_valid_dot() -> None:
    v = Value(0.0)
    for label in HOSTILE_LABELS:
        v = (v + Value(1.0, label=label)).set(label=label)
    svg = render_svg(to_dot(v, fm.backward(v)))
    texts = svg_texts(svg)
    for label in HOSTILE_LABELS:
        if not label.strip() or "\n" in label or "\t" in label:
            continue
        assert texts.count(label) >= 2, label  # the leaf and its sum
    assert "line" in texts and "break" in texts
    assert "tab\\there" in texts


@settings(max_examples=10, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=8))
def test_to_dot_any_labels_render(labels: list[str]) -> None:
    v = Value(1.0)
    for label in labels:
        v = v * Value(2.0, label=label)
    texts = {"".join(text.split()) for text in svg_texts(render_svg(to_dot(v)))}
    for label in labels:
        # Graphviz lays out the spaces in records as it likes (it trims, collapses and,
        # after some characters, drops them); control characters are shown escaped.
        if label.isprintable() and label.strip():
            assert "".join(label.split()) in texts


# -- bad input -----------------------------------------------------------------------


@pytest.mark.parametrize("function", [nodes, edges, to_dot])
@pytest.mark.parametrize("bad", [None, 3.0, "x", [Value(1.0)], {"data": 1.0}])
def test_graph_functions_reject_non_values(function: Any, bad: object) -> None:
    with pytest.raises(TypeError, match=f"{function.__name__}: expected a Value"):
        function(bad)


@pytest.mark.parametrize("function", [nodes, to_dot])
@pytest.mark.parametrize("bad", [{}, pmap({0: 1.0}), 1.0, "grads", [1.0]])
def test_graph_functions_reject_non_gradients(function: Any, bad: object) -> None:
    x = Value(1.0)
    with pytest.raises(TypeError, match=f"{function.__name__}: expected gradients"):
        function(x * 2.0, bad)
