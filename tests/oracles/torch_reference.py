"""Write tests/oracles/torch.json: PyTorch's numbers for the tests in test_torch_oracle.py.

PyTorch is the independent oracle for AdamW, RMSprop, Adam, momentum and
softmax cross-entropy, but it is a large download, so the tests read its
numbers from the JSON file this script writes instead of importing it. To
check them against another PyTorch, install it (`pip install torch`) and run,
from the repository root:

    python tests/oracles/torch_reference.py

then `git diff tests/oracles/torch.json`: the numbers must not change beyond
the last digits, and the tests must still pass.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from oracle_cases import CE_CASES, OPTIMIZERS, SOFTMAX_INPUTS, gradients_along, start

# torch is imported by main() only: the test suite imports this file (for its
# doctests) where torch is not installed.


def optimizer(name: str, settings: dict[str, float], params: list[Any]) -> Any:
    import torch

    if name == "adamw":
        return torch.optim.AdamW(
            params, lr=settings["lr"], betas=(settings["b1"], settings["b2"]), eps=1e-8,
            weight_decay=settings["wd"],
        )  # fmt: skip
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=settings["lr"], alpha=settings["decay"], eps=1e-8)
    if name == "adam":
        return torch.optim.Adam(params, lr=settings["lr"], eps=1e-8)
    return torch.optim.SGD(params, lr=settings["lr"], momentum=settings["beta"])


def trajectory(name: str, settings: dict[str, float], steps: int) -> list[list[float]]:
    """torch's parameters after each update, the gradients computed by the library."""
    import torch

    params = torch.tensor(start(), requires_grad=True)
    opt = optimizer(name, settings, [params])
    out = []
    for _ in range(steps):
        opt.zero_grad()
        params.grad = torch.tensor(gradients_along(params.detach().tolist()))
        opt.step()
        out.append(params.detach().tolist())
    return out


def cross_entropy_case(rows: list[list[float]], ys: list[int]) -> dict[str, Any]:
    import torch
    import torch.nn.functional as F

    logits = torch.tensor(rows, requires_grad=True)
    loss = F.cross_entropy(logits, torch.tensor(ys))
    loss.backward()
    assert logits.grad is not None
    return {"rows": rows, "ys": ys, "loss": loss.item(), "grads": logits.grad.tolist()}


def main() -> None:
    import torch

    torch.set_default_dtype(torch.float64)
    data = {
        "torch": torch.__version__,
        "optimizers": [
            {"name": name, "settings": settings, "after": trajectory(name, settings, 6)}
            for name, settings in OPTIMIZERS
        ],
        "cross_entropy": [cross_entropy_case(rows, ys) for rows, ys in CE_CASES],
        "softmax": [
            {
                "z": z,
                "softmax": torch.softmax(torch.tensor(z), 0).tolist(),
                "log_softmax": torch.log_softmax(torch.tensor(z), 0).tolist(),
                "logsumexp": torch.logsumexp(torch.tensor(z), 0).item(),
            }
            for z in SOFTMAX_INPUTS
        ],
    }
    path = Path(__file__).with_name("torch.json")
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
