"""The yin-yang example, and a plain-Python reference of the same work to time it against.

EurekaLabs' micrograd trains its three-class yin-yang model with a mutable,
closure-based scalar engine: each op returns a node whose ``_backward``
closure adds into its inputs' ``.grad``, backward is a recursive topological
sort, and AdamW writes into each parameter's ``.data``. ``Ref`` below is that
style of engine, written here (micrograd 0.1.0's Value has no ``tanh``,
``exp`` or ``log``), and ``reference_run`` trains with it exactly what
``examples/yinyang.py`` trains: the same split, the same initial weights,
MLP(2, [8, 3]) of tanh units, cross-entropy as five numbered steps, AdamW
(0.1, betas 0.9 / 0.95, weight decay 1e-4), and the validation loss at every
step. ``ours_run`` is the library's fold of the same setup.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import functional_micrograd as fm

HIDDEN = [8, 3]
LEARNING_RATE = 0.1
BETAS = (0.9, 0.95)
WEIGHT_DECAY = 1e-4


class Ref:
    """A scalar node of the reference engine: data, grad, its inputs and a backward closure."""

    __slots__ = ("_backward", "_prev", "data", "grad")

    def __init__(self, data: float, prev: tuple[Ref, ...] = ()) -> None:
        self.data = data
        self.grad = 0.0
        self._prev = prev
        self._backward: Callable[[], None] = _nothing

    def __add__(self, other: Any) -> Ref:
        other = other if isinstance(other, Ref) else Ref(other)
        out = Ref(self.data + other.data, (self, other))

        def backward() -> None:
            self.grad += out.grad
            other.grad += out.grad

        out._backward = backward
        return out

    def __mul__(self, other: Any) -> Ref:
        other = other if isinstance(other, Ref) else Ref(other)
        out = Ref(self.data * other.data, (self, other))

        def backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = backward
        return out

    def __pow__(self, n: float) -> Ref:
        out = Ref(self.data**n, (self,))

        def backward() -> None:
            self.grad += n * self.data ** (n - 1) * out.grad

        out._backward = backward
        return out

    def tanh(self) -> Ref:
        out = Ref(math.tanh(self.data), (self,))

        def backward() -> None:
            self.grad += (1.0 - out.data**2) * out.grad

        out._backward = backward
        return out

    def exp(self) -> Ref:
        out = Ref(math.exp(self.data), (self,))

        def backward() -> None:
            self.grad += out.data * out.grad

        out._backward = backward
        return out

    def log(self) -> Ref:
        out = Ref(math.log(self.data), (self,))

        def backward() -> None:
            self.grad += (1.0 / self.data) * out.grad

        out._backward = backward
        return out

    def __radd__(self, other: Any) -> Ref:
        return self + other

    def __rmul__(self, other: Any) -> Ref:
        return self * other

    def __neg__(self) -> Ref:
        return self * -1.0

    def __truediv__(self, other: Any) -> Ref:
        return self * other**-1

    def backward(self) -> None:
        order: list[Ref] = []
        seen: set[int] = set()

        def visit(node: Ref) -> None:
            if id(node) not in seen:
                seen.add(id(node))
                for parent in node._prev:
                    visit(parent)
                order.append(node)

        visit(self)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()


def _nothing() -> None:
    return None


class RefNeuron:
    def __init__(self, w: Sequence[float], b: float, nonlinear: bool) -> None:
        self.w = [Ref(x) for x in w]
        self.b = Ref(b)
        self.nonlinear = nonlinear

    def __call__(self, x: Sequence[Any]) -> Ref:
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.tanh() if self.nonlinear else act


class RefMLP:
    """The reference MLP, holding the weights of one of the library's models."""

    def __init__(self, model: fm.nn.MLP) -> None:
        last = len(model.layers) - 1
        self.layers = [
            [RefNeuron([w.data for w in unit.w], unit.b.data, i != last) for unit in row.neurons]
            for i, row in enumerate(model.layers)
        ]

    def __call__(self, x: Sequence[Any]) -> list[Ref]:
        for row in self.layers:
            x = [unit(x) for unit in row]
        return list(x)

    def parameters(self) -> list[Ref]:
        return [p for row in self.layers for unit in row for p in (*unit.w, unit.b)]


def reference_cross_entropy(logits: list[Ref], target: int) -> Ref:
    # 1) e ** z for each logit
    ex = [z.exp() for z in logits]
    # 2) their sum
    denominator = sum(ex)
    # 3) normalised to probabilities
    probs = [e / denominator for e in ex]
    # 4) the log-probability of the target class
    logp = probs[target].log()
    # 5) negated: the negative log-likelihood
    return -logp


def reference_loss(model: RefMLP, part: fm.datasets.Dataset) -> Ref:
    total = Ref(0.0)
    for x, y in zip(part.xs, part.ys):
        total = total + reference_cross_entropy(model(x), y)
    return total * (1.0 / len(part))


def reference_run(
    model: fm.nn.MLP, parts: tuple[fm.datasets.Dataset, ...], steps: int
) -> list[float]:
    """The training losses of ``steps`` steps of the reference, validation measured each step."""
    train_part, val_part, _ = parts
    net = RefMLP(model)
    params = net.parameters()
    m = [0.0] * len(params)
    v = [0.0] * len(params)
    b1, b2 = BETAS
    losses = []
    for t in range(1, steps + 1):
        reference_loss(net, val_part)  # the validation loss, as the example reports it
        loss = reference_loss(net, train_part)
        loss.backward()
        for i, p in enumerate(params):
            m[i] = b1 * m[i] + (1 - b1) * p.grad
            v[i] = b2 * v[i] + (1 - b2) * p.grad**2
            m_hat = m[i] / (1 - b1**t)
            v_hat = v[i] / (1 - b2**t)
            p.data -= LEARNING_RATE * (m_hat / (v_hat**0.5 + 1e-8) + WEIGHT_DECAY * p.data)
            p.grad = 0.0
        losses.append(loss.data)
    return losses


def setup(seed: int = 1337) -> tuple[fm.nn.MLP, tuple[fm.datasets.Dataset, ...]]:
    """examples/yinyang.py's model and split."""
    parts = fm.datasets.split(fm.datasets.yinyang(100, seed=seed), (0.8, 0.1, 0.1), seed=seed)
    model = fm.nn.mlp(2, HIDDEN, activation="tanh", seed=seed, init="scaled")
    return model, parts


def ours_run(
    model: fm.nn.MLP, parts: tuple[fm.datasets.Dataset, ...], steps: int, jit: bool = False
) -> list[float]:
    """The training losses of the library's fold of the same setup (compiled with ``jit``)."""
    train_part, val_part, _ = parts
    run = fm.train(
        model,
        train_part,
        steps=steps,
        alpha=0.0,
        optimizer=fm.optim.adamw(
            LEARNING_RATE, b1=BETAS[0], b2=BETAS[1], weight_decay=WEIGHT_DECAY
        ),
        validation=val_part,
        jit=jit,
    )
    return [row.loss for row in run.history]
