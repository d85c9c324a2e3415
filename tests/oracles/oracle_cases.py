"""The cases PyTorch is asked about: shared by torch_reference.py and test_torch_oracle.py."""

from __future__ import annotations

import random
from typing import Any

import functional_micrograd as fm

OPTIMIZERS: list[tuple[str, dict[str, float]]] = [
    ("adamw", {"lr": 0.1, "b1": 0.9, "b2": 0.95, "wd": 1e-4}),
    ("adamw", {"lr": 0.01, "b1": 0.8, "b2": 0.999, "wd": 0.3}),
    ("adamw", {"lr": 0.5, "b1": 0.0, "b2": 0.5, "wd": 0.0}),
    ("rmsprop", {"lr": 0.01, "decay": 0.9}),
    ("rmsprop", {"lr": 0.1, "decay": 0.99}),
    ("rmsprop", {"lr": 0.05, "decay": 0.0}),
    ("adam", {"lr": 0.05}),
    ("momentum", {"lr": 0.1, "beta": 0.5}),
]


def model() -> fm.nn.Model:
    return fm.nn.mlp(2, [3, 1], activation="tanh", seed=11)


def start() -> list[float]:
    return [p.data for p in fm.nn.parameters(model())]


def loss_of(m: fm.nn.Model) -> fm.Value:
    """A smooth loss of every parameter: the squared outputs over three points."""
    points = [[1.0, -2.0], [0.5, 0.25], [-1.5, 1.0]]
    outputs = [m(x) for x in points]
    return fm.sum_values([(out - 0.3) ** 2 for out in outputs if isinstance(out, fm.Value)])


def gradients_along(values: list[float]) -> list[float]:
    """The loss's gradient at these parameters, as the library computes it."""
    at = fm.nn.with_parameters(model(), values)
    g = fm.backward(loss_of(at))
    return [g[p] for p in fm.nn.parameters(at)]


def _cross_entropy_cases() -> list[tuple[list[list[float]], list[int]]]:
    chooser = random.Random(20261202)
    cases = []
    for _ in range(40):
        k, n = chooser.randint(2, 6), chooser.randint(1, 6)
        rows = [[chooser.uniform(-50.0, 50.0) for _ in range(k)] for _ in range(n)]
        cases.append((rows, [chooser.randrange(k) for _ in range(n)]))
    cases.append(([[1000.0, 0.0, -1000.0]], [2]))
    cases.append(([[0.0, 0.0]], [1]))
    return cases


CE_CASES = _cross_entropy_cases()
SOFTMAX_INPUTS: list[Any] = [[3.0, -1.0, 0.5, 12.0], [1000.0, 999.0], [0.0], [-5.0, 5.0]]
