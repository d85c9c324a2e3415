"""The explorer's graph of one point: the point's loss through the model, node by node.

``_point_graph`` builds the point's loss (the data term of the loss for the
dataset's task) as Values; ``_structure`` names every node and finds the
neuron it belongs to; ``_state_numbers`` gives one state's data and grad per
node and backward's edges as :func:`~functional_micrograd.autodiff.backward_steps`
applies them; ``_rule`` explains an op. ``_data.py`` checks what it is given
and puts these on the page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from functional_micrograd.autodiff import backward, backward_steps, topological_order
from functional_micrograd.explorer._layout import Node
from functional_micrograd.losses import LossResult, cross_entropy, max_margin
from functional_micrograd.nn import Model, flatten
from functional_micrograd.primitives import lookup
from functional_micrograd.training import TrainState
from functional_micrograd.value import Value

WHERE = "explorer.page"  # the name every error of the page's data starts with
# The loss drawn for the point, by the dataset's task: the training loss's data term.
POINT_LOSS = {"binary": max_margin, "multiclass": cross_entropy}
LOSS_TEXT = {
    "binary": "max_margin's data term relu(1 - y * score), without the L2 term, for this one point",
    "multiclass": (
        "cross_entropy's data term logsumexp(z - z[y]) = -log softmax(z)[y] of the logits z "
        "and the class y, without the L2 term, for this one point"
    ),
}

# What each built-in op's local derivatives are, in words, for the node panel.
DERIVATIVES = {
    "+": "d(a + b)/da = 1 and d(a + b)/db = 1",
    "-": "d(a - b)/da = 1 and d(a - b)/db = -1",
    "*": "d(a * b)/da = b and d(a * b)/db = a",
    "/": "d(a / b)/da = 1 / b and d(a / b)/db = -a / b²",
    "neg": "d(-a)/da = -1",
    "relu": "d relu(a)/da = 1 where a > 0, else 0",
    "step": "d step(a)/da = 0",
    "tanh": "d tanh(a)/da = 1 - tanh(a)²",
    "exp": "d e^a/da = e^a",
    "log": "d log(a)/da = 1 / a",
    "sigmoid": "d sigmoid(a)/da = sigmoid(a) * (1 - sigmoid(a))",
    "sin": "d sin(a)/da = cos(a)",
    "cos": "d cos(a)/da = -sin(a)",
    "sqrt": "d sqrt(a)/da = 1 / (2 sqrt(a))",
    "abs": "d |a|/da = the sign of a (0 at 0)",
    "softplus": "d softplus(a)/da = sigmoid(a)",
    "logsumexp": "d logsumexp(x)/dx_i = softmax(x)_i",
    "**": "d(x ** n)/dx = n * x ** (n - 1)",
}


def _parameter_roles(model: Model) -> dict[int, tuple[int, int, str, int]]:
    """Each parameter's id: its layer, neuron, kind (weight or bias) and weight index."""
    roles: dict[int, tuple[int, int, str, int]] = {}
    params, shape = flatten(model)
    at = 0
    for layer, row in enumerate(shape.layers):
        for j, (nin, _) in enumerate(row):
            for i in range(nin):
                roles[params[at + i].id] = (layer, j, "weight", i)
            roles[params[at + nin].id] = (layer, j, "bias", -1)
            at += nin + 1
    return roles


# -- the graph of the point -----------------------------------------------------------


def _point_graph(model: Model, coords: tuple[float, ...], label: Any, task: str) -> Any:
    """The point's loss (data term only) and the model's outputs, as Values."""
    inputs = tuple(Value(x, label=f"x{i}") for i, x in enumerate(coords))
    result = POINT_LOSS[task](model, [inputs], [label], alpha=0.0)
    if not isinstance(result, LossResult):  # cannot happen with the built-in losses
        raise TypeError(f"{WHERE}: expected the loss to give a LossResult, got {result!r}")
    return result.data_loss, inputs, result.scores


def _flat(scores: Iterable[Any]) -> list[Value]:
    out: list[Value] = []
    for s in scores:
        out.extend(s if isinstance(s, tuple) else (s,))
    return out


def _names(outputs: list[Value], order: Sequence[Value]) -> dict[int, str]:
    """Names for the model's outputs (``score``, or logits ``z0``, ``z1`` ...) and for the
    loss's differences of two named nodes (``z0 - z1``); other nodes have none."""
    names = {outputs[0].id: "score"} if len(outputs) == 1 else {}
    names.update({z.id: f"z{k}" for k, z in enumerate(outputs) if len(outputs) > 1})
    for node in order:
        parents = [edge.parent.id for edge in node.parents]
        if node.op == "-" and len(parents) == 2 and all(p in names for p in parents):
            names[node.id] = f"{names[parents[0]]} - {names[parents[1]]}"
    return names


def _structure(
    model: Model, root: Value, inputs: tuple[Value, ...], scores: Iterable[Any]
) -> tuple[list[dict[str, Any]], list[Node]]:
    """Each node's kind, name parts and neuron, in topological order."""
    order = topological_order(root)
    roles = _parameter_roles(model)
    input_index = {v.id: i for i, v in enumerate(inputs)}
    outputs = _flat(scores)
    in_model = {n.id for s in outputs for n in topological_order(s)}
    names = _names(outputs, order)
    neuron_of: dict[int, tuple[int, int]] = {}
    position = {n.id: i for i, n in enumerate(order)}
    rows: list[dict[str, Any]] = []
    nodes: list[Node] = []
    for node in order:
        parents = [edge.parent for edge in node.parents]
        param: list[int] | None = None
        if not parents:
            if node.id in input_index:
                kind = "input"
            elif node.id in roles:
                layer, index, kind, weight = roles[node.id]
                neuron_of[node.id] = (layer, index)
                param = [layer, index, weight]
            else:
                kind = "constant"
        else:
            kind = "op"
            if node.id in in_model:
                owner = next((roles[p.id][:2] for p in parents if p.id in roles), None)
                if owner is None:
                    owner = next((neuron_of[p.id] for p in parents if p.id in neuron_of), None)
                if owner is not None:
                    neuron_of[node.id] = owner
        neuron = neuron_of.get(node.id)
        rows.append(
            {
                "label": node.label,
                "name": names.get(node.id),
                "op": node.op,
                "kind": kind,
                "neuron": None if neuron is None else list(neuron),
                "param": param,
            }
        )
        nodes.append(
            Node(
                inputs=tuple(position[p.id] for p in parents),
                kind=kind,
                neuron=neuron,
                index=input_index.get(node.id, 0),
            )
        )
    return rows, nodes


def _rule(op: str) -> dict[str, str]:
    rule = lookup(op)
    family = "**" if op.startswith("**") else op
    return {"doc": rule.doc, "derivative": DERIVATIVES.get(family, "")}


def _state_numbers(
    state: TrainState, coords: tuple[float, ...], label: Any, task: str
) -> tuple[dict[str, Any], tuple[Any, ...]]:
    """One state's numbers, and the shape of its graph (ops and edges) to check against."""
    root, _, _ = _point_graph(state.model, coords, label, task)
    order = topological_order(root)
    position = {n.id: i for i, n in enumerate(order)}
    grads = backward(root)
    steps = backward_steps(root)
    numbers = {
        "step": state.step,
        "params": [p.data for p in flatten(state.model)[0]],
        "data": [n.data for n in order],
        "grad": [grads[n] for n in order],
        "upstream": [s.upstream for s in steps],
        "local": [s.local_grad for s in steps],
        "contribution": [s.contribution for s in steps],
        "total": [s.total for s in steps],
    }
    shape = (
        tuple(n.op for n in order),
        tuple((position[s.child.id], position[s.parent.id]) for s in steps),
    )
    return numbers, shape
