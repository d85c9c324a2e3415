"""The training step, compiled: one point's forward, loss and backward as straight-line code.

A training step builds the same graph for every point of a batch, only with
other numbers, and the same graph again at every step. So ``train(...,
jit=True)`` traces one point once: the model, with the parameters and the
point as traced inputs, its loss term, and the gradient of that term with
respect to every parameter (the differentiable backward, built from the
rules of :mod:`~functional_micrograd.primitives`). :mod:`~functional_micrograd.jit`
turns that trace into Python lines, and this module wraps them in one loop
over the batch that adds up the loss and the gradients. Nothing here makes a
Value while it runs.

The arithmetic is the eager step's, op for op and in the same order (the
gradients are added up from the last point to the first, after the L2 term,
as backward visits them), so the history comes out the same. A number that
leaves the finite range sends the step back to the eager path, which raises
the op's own error.

>>> from functional_micrograd import datasets, nn, training
>>> data = datasets.moons(20, noise=0.1, seed=0)
>>> model = nn.mlp(2, [4, 1], seed=0)
>>> eager = training.train(model, data, steps=3)
>>> fast = training.train(model, data, steps=3, jit=True)
>>> [r.loss for r in fast.history] == [r.loss for r in eager.history]
True
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from functional_micrograd import losses
from functional_micrograd.autodiff import backward
from functional_micrograd.jit import Trace, _emit, _Recheck, make_trace
from functional_micrograd.nn import Model, forward, structure, with_parameters
from functional_micrograd.value import Value, _leaf

__all__ = ["Kernel", "Recheck", "kernel", "supports"]

Recheck = _Recheck
"""Raised by a kernel when a number may have left the finite range: redo the step eagerly."""


class Kernel(NamedTuple):
    """A compiled batch function and how long tracing and compiling it took.

    ``run(params, points)`` returns ``(terms, outputs, gradients)``: each
    point's loss term in order, each point's model output (a float, or a
    tuple of floats for several outputs) in order, and the sum over the batch
    of every parameter's gradient (scaled by ``scale``, added to the starting
    gradients ``start``) when the kernel differentiates; ``run(params,
    points, start)`` takes them.
    """

    run: Callable[..., tuple[list[float], list[Any], tuple[float, ...]]]
    seconds: float
    lines: int


# The built-in losses' terms: one point's label and output in, its term out.
def _margin_term(y: Value, out: Value) -> Value:
    return losses._margin(y, out, _leaf(1.0, None))


_TERMS: dict[Any, Callable[..., Value]] = {
    losses.max_margin: _margin_term,
    losses.mse: losses._squared,
}


def supports(loss: Any) -> bool:
    """Whether ``train(..., jit=True)`` can compile this loss (the built-in ones)."""
    return loss in _TERMS or loss is losses.cross_entropy


def kernel(model: Model, loss: Any, scale: float | None) -> Kernel:
    """The compiled batch function for a model's architecture and a built-in loss.

    Args:
        model: any model of the architecture (its numbers do not matter).
        loss: ``losses.max_margin``, ``losses.mse`` or ``losses.cross_entropy``.
        scale: what each point's gradient is multiplied by (``1 / batch size``,
            as the mean in the loss does), or None for a kernel without gradients.

    Compiled kernels are kept, one per architecture, loss and scale.
    """
    key = (structure(model), loss, scale)  # every neuron's inputs and activation
    with _lock:
        found = _kernels.get(key)
    if found is None:
        found = _compile(model, loss, scale)
        with _lock:
            if len(_kernels) >= 32:
                _kernels.pop(next(iter(_kernels)))  # the oldest
            _kernels[key] = found
    return found


_kernels: dict[tuple[Any, Any, float | None], Kernel] = {}
_lock = threading.Lock()


def _compile(model: Model, loss: Any, scale: float | None) -> Kernel:
    start = time.perf_counter()
    shape = structure(model)
    n, width, outputs = shape.size, shape.nin, shape.nout
    classes = range(outputs) if loss is losses.cross_entropy else (None,)
    traces = [_trace(model, n, width, loss, scale, c) for c in classes]
    source, namespace = _loop_source(traces, n, width, outputs, scale is not None, classes)
    exec(compile(source, "<jit training step>", "exec"), namespace)
    return Kernel(namespace["batch"], time.perf_counter() - start, source.count("\n"))


def _trace(
    model: Model, n: int, width: int, loss: Any, scale: float | None, label: int | None
) -> Trace:
    """One point's trace: inputs params, x (and y), outputs term, output(s), gradients."""

    def point(*args: Value) -> Any:
        params, x = args[:n], args[n : n + width]
        traced = with_parameters(model, params)
        out = forward(traced, x)
        outs = out if isinstance(out, tuple) else (out,)
        term = losses._nll(label, outs) if label is not None else _TERMS[loss](args[n + width], out)
        if scale is None:
            return (term, outs)
        # The eager step reaches each point's term with the gradient ``scale``
        # (the mean's 1 / n); seeding it the same way gives the same numbers.
        gradients = backward(term * scale, create_graph=True)
        return (term, outs, tuple(gradients[p] for p in params))

    inputs = n + width + (1 if label is None else 0)
    return make_trace(point)(*([0.5] * inputs))


def _loop_source(
    traces: list[Trace],
    n: int,
    width: int,
    outputs: int,
    differentiate: bool,
    classes: Sequence[int | None],
) -> tuple[str, dict[str, Any]]:
    params = [f"p{i}" for i in range(n)]
    xs = [f"x{i}" for i in range(width)]
    sums = [f"g{i}" for i in range(n)]
    namespace: dict[str, Any] = {"_isfinite": math.isfinite, "_sum": sum, "_Recheck": _Recheck}
    lines = ["def batch(params, points, start=None):", f"    {', '.join(params)}, = params"]
    if differentiate:
        lines.append(f"    {', '.join(sums)}, = start")
    lines += ["    terms = []", "    outs = []", "    witness = 0.0"]
    # Backward adds each point's contributions from the last point to the first.
    order = "reversed(points)" if differentiate else "points"
    lines.append(f"    for {', '.join(xs)}, y in {order}:")
    for k, (trace, label) in enumerate(zip(traces, classes)):
        names = dict(zip(trace.inputs, [*params, *xs, "y"]))
        code = _emit(trace, names, namespace, prefix=f"t{k}_")
        indent = "        "
        if label is not None:
            lines.append(f"        {'if' if k == 0 else 'elif'} y == {label}:")
            indent = "            "
        lines += [indent + line for line in code.lines]
        term, *rest = code.outputs
        out, grads = rest[:outputs], rest[outputs:]
        lines.append(f"{indent}terms.append({term})")
        shown = out[0] if outputs == 1 else f"({', '.join(out)},)"
        lines.append(f"{indent}outs.append({shown})")
        for s, g in zip(sums, grads):
            lines.append(f"{indent}{s} += {g}")
        # inf or nan in a point's gradient reaches the sums, checked once at the end
        watched = [w for w in code.witnesses if w not in grads]
        if watched:
            lines.append(f"{indent}witness += _sum(({', '.join(watched)},))")
    if differentiate:
        lines.append(f"    witness += _sum(({', '.join(sums)},))")
    lines.append("    if not _isfinite(witness):")
    lines.append("        raise _Recheck")
    if differentiate:
        lines += ["    terms.reverse()", "    outs.reverse()"]
    result = f"({', '.join(sums)},)" if differentiate else "()"
    lines.append(f"    return terms, outs, {result}")
    return "\n".join(lines) + "\n", namespace
