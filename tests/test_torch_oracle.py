"""PyTorch as an independent oracle: AdamW, RMSprop and cross-entropy against torch's own.

Each test runs the same numbers through the library and through torch (in
float64) and compares them, step by step for the optimizers.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import functional_micrograd as fm

torch.set_default_dtype(torch.float64)


def datas(model: fm.nn.Model) -> list[float]:
    return [p.data for p in fm.nn.parameters(model)]


def loss_of(model: fm.nn.Model) -> fm.Value:
    """A smooth loss of every parameter: the squared outputs over three points."""
    points = [[1.0, -2.0], [0.5, 0.25], [-1.5, 1.0]]
    outputs = [model(x) for x in points]
    return fm.sum_values([(out - 0.3) ** 2 for out in outputs if isinstance(out, fm.Value)])


def torch_steps(
    make_optimizer: object, start: list[float], grads_at: object, steps: int
) -> list[list[float]]:
    """The parameters after each torch update, with the gradients given for each point."""
    params = torch.tensor(start, requires_grad=True)
    optimizer = make_optimizer([params])  # type: ignore[operator]
    out = []
    for _ in range(steps):
        optimizer.zero_grad()
        params.grad = torch.tensor(grads_at(params.detach().tolist()))  # type: ignore[operator]
        optimizer.step()
        out.append(params.detach().tolist())
    return out


def compare(optimizer: fm.optim.Optimizer, make_torch: object, steps: int = 6) -> None:
    model: fm.nn.Model = fm.nn.mlp(2, [3, 1], activation="tanh", seed=11)

    def grads_at(values: list[float]) -> list[float]:
        at = fm.nn.with_parameters(model, values)
        g = fm.backward(loss_of(at))
        return [g[p] for p in fm.nn.parameters(at)]

    expected = torch_steps(make_torch, datas(model), grads_at, steps)
    state = optimizer.init(model)
    for want in expected:
        model, state = optimizer.update(model, fm.backward(loss_of(model)), state)
        assert datas(model) == pytest.approx(want, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize(
    ("lr", "b1", "b2", "wd"),
    [(0.1, 0.9, 0.95, 1e-4), (0.01, 0.8, 0.999, 0.3), (0.5, 0.0, 0.5, 0.0)],
)
def test_adamw_equals_torch_adamw_step_by_step(lr: float, b1: float, b2: float, wd: float) -> None:
    compare(
        fm.optim.adamw(lr, b1=b1, b2=b2, weight_decay=wd),
        lambda ps: torch.optim.AdamW(ps, lr=lr, betas=(b1, b2), eps=1e-8, weight_decay=wd),
    )


@pytest.mark.parametrize(("lr", "decay"), [(0.01, 0.9), (0.1, 0.99), (0.05, 0.0)])
def test_rmsprop_equals_torch_rmsprop_step_by_step(lr: float, decay: float) -> None:
    compare(
        fm.optim.rmsprop(lr, decay=decay),
        lambda ps: torch.optim.RMSprop(ps, lr=lr, alpha=decay, eps=1e-8),
    )


def test_adam_equals_torch_adam_step_by_step() -> None:
    compare(fm.optim.adam(0.05), lambda ps: torch.optim.Adam(ps, lr=0.05, eps=1e-8))


def test_momentum_equals_torch_sgd_with_momentum() -> None:
    compare(fm.optim.momentum(0.1, beta=0.5), lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.5))


# -- cross-entropy against F.cross_entropy ------------------------------------------------


@given(
    k=st.integers(2, 6),
    data=st.data(),
)
@settings(max_examples=40, deadline=None)
def test_cross_entropy_equals_torch_on_the_same_logits(k: int, data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 6))
    rows = data.draw(
        st.lists(st.lists(st.floats(-50, 50), min_size=k, max_size=k), min_size=n, max_size=n)
    )
    ys = data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
    # a linear layer whose outputs are its inputs: the logits are the rows themselves
    weights = [1.0 if j == i else 0.0 for i in range(k) for j in [*range(k), -1]]
    identity = fm.nn.with_parameters(fm.nn.layer(k, k, activation="linear"), weights)
    inputs = [[fm.Value(v) for v in row] for row in rows]
    ours = fm.losses.cross_entropy(identity, inputs, ys)
    logits = torch.tensor(rows, requires_grad=True)
    theirs = F.cross_entropy(logits, torch.tensor(ys))
    theirs.backward()
    assert ours.data_loss.data == pytest.approx(theirs.item(), rel=1e-12, abs=1e-12)
    g = fm.backward(ours.total_loss)
    assert logits.grad is not None
    for leaves, want in zip(inputs, logits.grad.tolist()):
        assert [g[v] for v in leaves] == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_softmax_and_log_softmax_equal_torch() -> None:
    z = [3.0, -1.0, 0.5, 12.0]
    assert [p.data for p in fm.nn.softmax(z)] == pytest.approx(
        torch.softmax(torch.tensor(z), 0).tolist(), rel=1e-12
    )
    assert [p.data for p in fm.nn.log_softmax(z)] == pytest.approx(
        torch.log_softmax(torch.tensor(z), 0).tolist(), rel=1e-12
    )
    assert fm.nn.logsumexp(z).data == pytest.approx(torch.logsumexp(torch.tensor(z), 0).item())
    assert math.isfinite(fm.nn.logsumexp([1000.0, 999.0]).data)
