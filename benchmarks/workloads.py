"""The same workloads written twice: once for functional_micrograd, once for micrograd.

Each ``ours_*`` function has a ``theirs_*`` twin that builds the same graph,
op node for op node, so that their times can be compared.
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import micrograd.engine as mg
import micrograd.nn as mg_nn

import functional_micrograd as fm

ALPHA = 1e-4


# -- the moons training step ----------------------------------------------------------


def demo_setup(n_samples: int) -> tuple[fm.datasets.Dataset, fm.nn.MLP, mg_nn.MLP]:
    """The demo's data and model, with identical initial weights in both libraries."""
    data = fm.datasets.moons(n_samples, noise=0.1, seed=1337)
    ours = fm.nn.mlp(2, [16, 16, 1], seed=1337)
    saved = random.getstate()  # micrograd initialises from the global random module
    try:
        theirs = mg_nn.MLP(2, [16, 16, 1])
    finally:
        random.setstate(saved)
    copy_weights(ours, theirs)
    return data, ours, theirs


def copy_weights(ours: fm.nn.MLP, theirs: mg_nn.MLP) -> None:
    for p, q in zip(fm.nn.parameters(ours), theirs.parameters(), strict=True):
        q.data = p.data
        q.grad = 0


def ours_step_function(
    model: fm.nn.MLP, data: fm.datasets.Dataset, jit: bool = False
) -> Callable[[Any, int], Any]:
    """The library's own step, as ``fm.train`` folds it (SGD, micrograd's schedule)."""
    return fm.training.make_step(fm.training.configure(model, data, alpha=ALPHA, jit=jit))


def ours_forward(model: fm.nn.MLP, data: fm.datasets.Dataset) -> fm.losses.LossResult:
    return fm.losses.max_margin(model, data.xs, data.ys, alpha=ALPHA)


def ours_backward(result: fm.losses.LossResult) -> fm.Gradients:
    return fm.backward(result.total_loss)


def ours_update(model: fm.nn.MLP, gradients: fm.Gradients, k: int) -> fm.nn.MLP:
    return fm.nn.apply_gradients(model, gradients, fm.training.micrograd_schedule(k))


def theirs_forward(model: mg_nn.MLP, data: fm.datasets.Dataset) -> tuple[mg.Value, float]:
    """micrograd demo's loss(), term for term."""
    inputs = [list(map(mg.Value, row)) for row in data.xs]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(data.ys, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in model.parameters())
    total_loss = data_loss + reg_loss
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(data.ys, scores)]
    return total_loss, sum(accuracy) / len(accuracy)


def theirs_backward(model: mg_nn.MLP, total_loss: mg.Value) -> None:
    model.zero_grad()
    total_loss.backward()


def theirs_update(model: mg_nn.MLP, k: int) -> None:
    learning_rate = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data -= learning_rate * p.grad


def theirs_step(model: mg_nn.MLP, data: fm.datasets.Dataset, k: int) -> None:
    total_loss, _ = theirs_forward(model, data)
    theirs_backward(model, total_loss)
    theirs_update(model, k)


# -- graph size ------------------------------------------------------------------------


def ours_op_nodes(output: fm.Value) -> int:
    return sum(1 for node in fm.topological_order(output) if node.op)


def theirs_nodes(output: mg.Value) -> list[mg.Value]:
    """Every node of a micrograd graph, found without recursion."""
    seen = {id(output): output}
    stack = [output]
    while stack:
        for child in stack.pop()._prev:
            if id(child) not in seen:
                seen[id(child)] = child
                stack.append(child)
    return list(seen.values())


def theirs_op_nodes(output: mg.Value) -> int:
    return sum(1 for node in theirs_nodes(output) if node._op)


# -- expressions -----------------------------------------------------------------------


def chain(value_type: Callable[[float], Any], n_ops: int) -> Any:
    """x -> x * a -> ... + b ...: n_ops op nodes in a line, each on the one before."""
    x = value_type(0.5)
    a = value_type(0.999)
    b = value_type(0.001)
    for i in range(n_ops):
        x = x * a if i % 2 == 0 else x + b
    return x


def balanced(value_type: Callable[[float], Any], n_ops: int) -> Any:
    """Pairwise averages, level by level: n_ops op nodes, depth about 3 * log2(n_ops)."""
    half = value_type(0.5)
    level = [value_type((i % 97) / 97.0) for i in range(n_ops // 3 + 1)]
    made = 0
    while len(level) > 1:
        paired = []
        for i in range(0, len(level) - 1, 2):
            paired.append(level[i] * half + level[i + 1] * half)
            made += 3
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    out = level[0]
    while made < n_ops:
        out = out.relu()
        made += 1
    return out


def ours_differentiate(output: fm.Value) -> fm.Gradients:
    return fm.backward(output)


def theirs_differentiate(output: mg.Value) -> None:
    output.backward()


def with_deep_recursion(depth: int, work: Callable[[], None]) -> None:
    """Run ``work`` with room for ``depth`` nested calls, then restore the limit."""
    limit = sys.getrecursionlimit()
    stack_size = threading.stack_size()
    failure: list[BaseException] = []

    def target() -> None:
        try:
            work()
        except BaseException as error:  # reported to the caller below
            failure.append(error)

    try:
        sys.setrecursionlimit(max(limit, depth + 10_000))
        threading.stack_size(512 * 1024 * 1024)
        thread = threading.Thread(target=target)
        thread.start()
        thread.join()
    finally:
        threading.stack_size(stack_size)
        sys.setrecursionlimit(limit)
    if failure:
        raise failure[0]


def compile_seconds(model: fm.nn.MLP, data: fm.datasets.Dataset) -> float:
    """How long tracing and compiling the demo step's kernel takes (not from the cache)."""
    from functional_micrograd import compiled, losses

    start = time.perf_counter()
    compiled._compile(model, losses.max_margin, 1.0 / len(data))
    return time.perf_counter() - start
