"""Where each node of the point's graph goes on the page: a column and a row.

The graph is drawn left to right: a node's column is after the columns of all
of its inputs. Rows group a neuron's nodes in a band of three rows (its
weights and bias on top, their products in the middle, the running sum and
the activation at the bottom), bands of one layer stacked and centred, so a
neuron reads as a staircase from its weights to its output. Nodes of the
loss, which belong to no neuron, sit between the nodes they read.

This is presentation only: no number the page shows is computed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Node", "layout"]

BAND = 3.5  # rows per neuron: three rows of nodes and half a row of space


@dataclass(frozen=True)
class Node:
    """What the layout needs to know about one node (the nodes come in topological order).

    Fields:
        inputs: the positions (in the node list) of the node's inputs, repeats kept.
        kind: ``"input"``, ``"weight"``, ``"bias"``, ``"constant"`` or ``"op"``.
        neuron: ``(layer, index)`` of the neuron the node belongs to, or None.
        index: for an input, which coordinate it is.
    """

    inputs: tuple[int, ...]
    kind: str
    neuron: tuple[int, int] | None = None
    index: int = 0


def layout(nodes: Sequence[Node], widths: Sequence[int]) -> tuple[tuple[int, float], ...]:
    """A ``(column, row)`` for every node; every edge goes to a later column.

    Args:
        nodes: the graph's nodes in topological order (inputs before the
            nodes made from them), the last one the output.
        widths: the number of neurons in each layer, for centring the bands.

    Returns:
        One ``(column, row)`` pair per node: columns are ints from 0, rows are
        floats, and two nodes of one column are at least one row apart.

    >>> x = Node((), "input")
    >>> w = Node((), "weight", (0, 0))
    >>> product = Node((0, 1), "op", (0, 0))
    >>> layout([x, w, product], [1])
    ((0, 0.0), (0, -1.0), (1, 0.0))
    """
    columns = _columns(nodes)
    rows = _resolve(columns, _wanted_rows(nodes, widths, columns))
    return tuple(zip(columns, rows))


def _children(nodes: Sequence[Node]) -> list[list[int]]:
    children: list[list[int]] = [[] for _ in nodes]
    for i, node in enumerate(nodes):
        for parent in node.inputs:
            children[parent].append(i)
    return children


def _columns(nodes: Sequence[Node]) -> list[int]:
    """Longest path from the leaves, then later where that shortens edges.

    An op with one child, a leaf among its inputs and at most one input that
    is not a leaf (a weight times an activation, say) moves next to its
    child, and so does every leaf but the inputs: each weight sits next to
    the product it feeds, each product next to the sum it goes into.
    """
    column = [0] * len(nodes)
    for i, node in enumerate(nodes):
        if node.inputs:
            column[i] = 1 + max(column[p] for p in node.inputs)
    children = _children(nodes)
    for i in reversed(range(len(nodes) - 1)):
        node, below = nodes[i], children[i]
        if not below or node.kind == "input":
            continue
        leaf = sum(1 for p in set(node.inputs) if not nodes[p].inputs)
        non_leaf = len(set(node.inputs)) - leaf
        if not node.inputs or (len(set(below)) == 1 and leaf and non_leaf <= 1):
            column[i] = min(column[c] for c in below) - 1
    return column


def _band(neuron: tuple[int, int], widths: Sequence[int]) -> float:
    layer, index = neuron
    return (index - (widths[layer] - 1) / 2) * BAND


def _wanted_rows(nodes: Sequence[Node], widths: Sequence[int], columns: list[int]) -> list[float]:
    """Each node's preferred row, before nodes of one column are pushed apart."""
    wanted = [0.0] * len(nodes)
    inputs = sum(1 for node in nodes if node.kind == "input")
    for i, node in enumerate(nodes):
        if node.kind == "input":
            wanted[i] = (node.index - (inputs - 1) / 2) * BAND
        elif node.neuron is not None:
            param_input = any(nodes[p].kind in ("weight", "bias") for p in node.inputs)
            offset = -1.0 if not node.inputs else (0.0 if param_input else 1.0)
            wanted[i] = _band(node.neuron, widths) + offset
        elif node.inputs:
            placed = [wanted[p] for p in node.inputs if nodes[p].inputs or nodes[p].neuron]
            wanted[i] = sum(placed) / len(placed) if placed else 0.0
    children = _children(nodes)
    for i, node in enumerate(nodes):
        if not node.inputs and node.neuron is None and node.kind != "input" and children[i]:
            wanted[i] = min(wanted[c] for c in children[i]) - 1.0  # a constant above its user
    return wanted


def _resolve(columns: list[int], wanted: list[float]) -> list[float]:
    """Push the nodes of each column apart to one row or more, keeping their order."""
    rows = list(wanted)
    by_column: dict[int, list[int]] = {}
    for i, c in enumerate(columns):
        by_column.setdefault(c, []).append(i)
    for members in by_column.values():
        members.sort(key=lambda i: (wanted[i], i))
        placed: list[float] = []
        for i in members:
            placed.append(wanted[i] if not placed else max(wanted[i], placed[-1] + 1.0))
        # Shift the column back so that, on average, nodes sit where they wanted.
        shift = sum(wanted[i] - y for i, y in zip(members, placed)) / len(members)
        for i, y in zip(members, placed):
            rows[i] = y + shift
    return rows
