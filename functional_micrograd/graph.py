"""The computation graph below a Value, as rows and as a Graphviz picture.

:func:`nodes` and :func:`edges` give the graph as plain rows (lists of
dicts), for tables or any graph tool. :func:`to_dot` gives the DOT text of
the picture micrograd's tracing notebook draws: a box per Value with its
label, data and (given gradients) grad, a small node per op between a Value
and its inputs, laid out left to right. Render it with Graphviz
(``dot -Tsvg graph.dot``) or ``graphviz.Source(text)``; neither is needed
here.

>>> from functional_micrograd.value import Value
>>> x = Value(3.0, label="x")
>>> y = x * x
>>> [(row["label"], row["op"], row["data"]) for row in nodes(y)]
[('x', '', 3.0), (None, '*', 9.0)]
>>> [row["local_grad"] for row in edges(y)]
[3.0, 3.0]
"""

from __future__ import annotations

from typing import Any

from functional_micrograd.autodiff import Gradients, _check_value, topological_order
from functional_micrograd.value import Value

__all__ = ["Row", "edges", "nodes", "to_dot"]

Row = dict[str, Any]
"""One row: a plain dict from column name to a number, a str or None."""


def _check(where: str, v: object, gradients: object = None) -> Value:
    value = _check_value(where, v)
    if gradients is not None and not isinstance(gradients, Gradients):
        raise TypeError(
            f"{where}: expected gradients to be Gradients (from fm.backward) or None, "
            f"got {type(gradients).__name__}"
        )
    return value


def nodes(v: Value, gradients: Gradients[Any] | None = None) -> list[Row]:
    """One row per node reachable from ``v``, inputs first (topological order).

    Args:
        v: the output Value whose graph to list.
        gradients: optional; adds a ``grad`` column, ``gradients[node]``.

    Returns:
        A list of ``{"id", "label", "op", "data"}`` dicts (plus ``"grad"``),
        every node after all of its inputs and ``v`` last.

    >>> from functional_micrograd.autodiff import backward
    >>> from functional_micrograd.value import Value
    >>> a = Value(2.0, label="a")
    >>> b = (a + 1).set(label="b")
    >>> [(row["label"], row["op"], row["grad"]) for row in nodes(b, backward(b))]
    [('a', '', 1.0), (None, '', 1.0), ('b', '+', 1.0)]
    """
    _check("nodes", v, gradients)
    rows: list[Row] = []
    for node in topological_order(v):
        row: Row = {"id": node.id, "label": node.label, "op": node.op, "data": node.data}
        if gradients is not None:
            grad = gradients[node]
            row["grad"] = grad.data if isinstance(grad, Value) else grad  # create_graph: a Value
        rows.append(row)
    return rows


def edges(v: Value) -> list[Row]:
    """One row per edge of the graph below ``v``: parent id, child id, local derivative.

    A node that uses the same input twice has two edges to it (``x * x``
    gives two rows, each with local derivative ``x.data``), so that summing
    ``grad[target] * local_grad`` over the rows into each ``source`` is
    exactly backpropagation.

    Args:
        v: the output Value whose graph to list.

    Returns:
        A list of ``{"source", "target", "local_grad"}`` dicts: ``source`` is
        the parent's id, ``target`` the child's, ``local_grad`` is
        d(target)/d(source); grouped by target, in topological order.

    >>> from functional_micrograd.value import Value
    >>> a, b = Value(2.0), Value(-3.0)
    >>> c = a * b
    >>> [(r["source"] == a.id, r["target"] == c.id, r["local_grad"]) for r in edges(c)]
    [(True, True, -3.0), (False, True, 2.0)]
    """
    _check("edges", v)
    return [
        {"source": parent.id, "target": node.id, "local_grad": local}
        for node in topological_order(v)
        for parent, local in zip(node.inputs, node.local_grads)
    ]


# -- DOT -----------------------------------------------------------------------------
#
# A node's text goes through two readers: the DOT lexer, for which a quoted
# string ends at an unescaped ", and (for record shapes) the record-label
# parser, for which { } | < > are structure. So those characters are escaped
# for the record parser, and every backslash is doubled so that Graphviz's own
# escapes (\n, \N, \G, ...) are never triggered by user text. Spaces are left
# alone: Graphviz trims and collapses them in records, which changes only looks
# (its escaped "hard" space leaks extra spaces into the fields that follow).

_RECORD_SPECIAL = frozenset("{}|<>")


def _escape(text: str, record: bool) -> str:
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")  # a line break in Graphviz's label syntax
        elif record and ch in _RECORD_SPECIAL:
            out.append("\\" + ch)
        elif ord(ch) < 32 or ord(ch) == 127 or 0xD800 <= ord(ch) <= 0xDFFF:
            # Other control characters (and lone surrogates, which UTF-8 cannot
            # carry) are shown as their Python escape, e.g. \t.
            out.append(repr(ch)[1:-1].replace("\\", "\\\\"))
        else:
            out.append(ch)
    return "".join(out)


def _number(x: float) -> str:
    """Four decimals, as micrograd's pictures; scientific when that would hide the number."""
    if x == 0.0 or 1e-4 <= abs(x) < 1e9:
        return f"{x:.4f}"
    return f"{x:.4e}"


def _name(node: Value) -> str:
    return f"v{node.id}"


def to_dot(v: Value, gradients: Gradients[Any] | None = None) -> str:
    """Graphviz DOT text drawing the graph below ``v``, left to right.

    Each Value is a record box ``{ label | data 2.0000 | grad -1.5000 }``
    (no label part when the node has none, no grad part without
    ``gradients``). A Value made by an op gets a small ellipse showing the op,
    with an arrow from each input to the op and from the op to the Value, as
    in micrograd's tracing notebook. DOT node names come from node ids
    (``v12``, ``v12_op``); labels are escaped, so any str label gives valid DOT.

    Args:
        v: the output Value to draw.
        gradients: optional; shows ``grad`` = ``gradients[node]`` in each box.

    Returns:
        The DOT source, a str; ``dot -Tsvg`` renders it.

    >>> from functional_micrograd.autodiff import backward
    >>> from functional_micrograd.value import Value
    >>> w = Value(2.0, label="w1")
    >>> out = (w * -0.75).set(label="out")
    >>> text = to_dot(out, backward(out))
    >>> print(text)  # doctest: +ELLIPSIS
    digraph G {
      rankdir=LR;
      node [shape=record];
      v... [label="{ w1 | data 2.0000 | grad -0.7500 }"];
      v... [label="{ data -0.7500 | grad 2.0000 }"];
      v... [label="{ out | data -1.5000 | grad 1.0000 }"];
      v..._op [label="*", shape=ellipse];
      v..._op -> v...;
      v... -> v..._op;
      v... -> v..._op;
    }
    """
    _check("to_dot", v, gradients)
    lines = ["digraph G {", "  rankdir=LR;", "  node [shape=record];"]
    for node in topological_order(v):
        fields = [] if node.label is None else [_escape(node.label, record=True)]
        fields.append(f"data {_number(node.data)}")
        if gradients is not None:
            fields.append(f"grad {_number(gradients[node])}")
        lines.append(f'  {_name(node)} [label="{{ {" | ".join(fields)} }}"];')
        if node.op:
            op = _escape(node.op, record=False)
            # A trailing backslash would escape the closing quote for some DOT readers.
            if op.endswith("\\"):
                op += " "
            lines.append(f'  {_name(node)}_op [label="{op}", shape=ellipse];')
            lines.append(f"  {_name(node)}_op -> {_name(node)};")
            lines.extend(f"  {_name(parent)} -> {_name(node)}_op;" for parent in node.inputs)
    lines.append("}")
    return "\n".join(lines) + "\n"
