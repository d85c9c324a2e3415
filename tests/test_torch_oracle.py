"""PyTorch as an independent oracle: AdamW, RMSprop, Adam, momentum and cross-entropy.

PyTorch's own numbers for fixed cases (tests/oracles/oracle_cases.py) are
kept in tests/oracles/torch.json, written by tests/oracles/torch_reference.py
with torch in float64, so the suite needs no torch installed. Each test runs
the same case through the library and compares, step by step for the
optimizers.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import pytest

import functional_micrograd as fm

sys.path.insert(0, str(Path(__file__).parent / "oracles"))

from oracle_cases import CE_CASES, OPTIMIZERS, SOFTMAX_INPUTS, loss_of, model

TORCH = json.loads((Path(__file__).parent / "oracles" / "torch.json").read_text("utf-8"))


def ours(name: str, settings: dict[str, float]) -> fm.optim.Optimizer:
    if name == "adamw":
        return fm.optim.adamw(
            settings["lr"], b1=settings["b1"], b2=settings["b2"], weight_decay=settings["wd"]
        )
    if name == "rmsprop":
        return fm.optim.rmsprop(settings["lr"], decay=settings["decay"])
    if name == "adam":
        return fm.optim.adam(settings["lr"])
    return fm.optim.momentum(settings["lr"], beta=settings["beta"])


def test_the_recorded_cases_are_the_cases_asked_about() -> None:
    assert [(o["name"], o["settings"]) for o in TORCH["optimizers"]] == [
        (name, settings) for name, settings in OPTIMIZERS
    ]
    assert [(c["rows"], c["ys"]) for c in TORCH["cross_entropy"]] == [
        (rows, ys) for rows, ys in CE_CASES
    ]
    assert [s["z"] for s in TORCH["softmax"]] == SOFTMAX_INPUTS


@pytest.mark.parametrize("case", TORCH["optimizers"], ids=lambda c: f"{c['name']}-{c['settings']}")
def test_optimizer_equals_torch_step_by_step(case: dict[str, Any]) -> None:
    optimizer = ours(case["name"], case["settings"])
    current: fm.nn.Model = model()
    state = optimizer.init(current)
    for want in case["after"]:
        current, state = optimizer.update(current, fm.backward(loss_of(current)), state)
        got = [p.data for p in fm.nn.parameters(current)]
        assert got == pytest.approx(want, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize(
    "case", TORCH["cross_entropy"], ids=lambda c: f"{len(c['rows'])}x{len(c['rows'][0])}"
)
def test_cross_entropy_equals_torch_on_the_same_logits(case: dict[str, Any]) -> None:
    rows, ys = case["rows"], case["ys"]
    k = len(rows[0])
    # a linear layer whose outputs are its inputs: the logits are the rows themselves
    weights = [1.0 if j == i else 0.0 for i in range(k) for j in [*range(k), -1]]
    identity = fm.nn.with_parameters(fm.nn.layer(k, k, activation="linear"), weights)
    inputs = [[fm.Value(v) for v in row] for row in rows]
    result = fm.losses.cross_entropy(identity, inputs, ys)
    assert result.data_loss.data == pytest.approx(case["loss"], rel=1e-12, abs=1e-12)
    g = fm.backward(result.total_loss)
    for leaves, want in zip(inputs, case["grads"]):
        assert [g[v] for v in leaves] == pytest.approx(want, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("case", TORCH["softmax"], ids=lambda c: str(c["z"]))
def test_softmax_log_softmax_and_logsumexp_equal_torch(case: dict[str, Any]) -> None:
    z = case["z"]
    assert [p.data for p in fm.nn.softmax(z)] == pytest.approx(case["softmax"], rel=1e-12)
    assert [v.data for v in fm.nn.log_softmax(z)] == pytest.approx(case["log_softmax"], rel=1e-12)
    assert fm.nn.logsumexp(z).data == pytest.approx(case["logsumexp"], rel=1e-15)
    assert math.isfinite(fm.nn.logsumexp([1000.0, 999.0]).data)
