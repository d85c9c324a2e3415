"""Train a small model and write the explorer page: every state of the run in one HTML file.

By default this trains the yin-yang model of ``examples/yinyang.py``
(EurekaLabs' micrograd setup: an MLP(2, [8, 3]) of tanh units whose three
outputs are logits, softmax cross-entropy, AdamW with learning rate 0.1,
betas 0.9 / 0.95 and weight decay 1e-4) on the training part of an
80/10/10 split, measuring the validation part at every step, for 100 steps.
The steps run compiled (``jit=True``: the same numbers as the eager fold,
faster). ``--dataset moons`` trains micrograd's MLP(2, [8, 8, 1]) on the two
moons instead (max-margin loss, micrograd's learning-rate schedule).

It keeps every state the fold passes through (``fm.training.iterate``) and
writes ``<out>/explorer.html`` with ``fm.explorer.save``. Open that file in a
browser: no server and no network are needed. The page shows the training
point that stays wrong longest (the largest loss summed over the run) unless
``--point`` names one.

Datasets are listed in SETUPS below, one function each: a model, the
training data and how to train; ``--dataset`` picks one.

Run: python3 examples/explorer.py [--dataset yinyang|moons] [--steps 100] [--samples 100]
     [--point N] [--out out/]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import functional_micrograd as fm

SEED = 1337


class Setup(NamedTuple):
    """What to train: the model, the training data and the options of ``iterate``."""

    model: fm.nn.Model
    data: fm.datasets.Dataset
    options: dict[str, Any]


def yinyang(samples: int) -> Setup:
    """examples/yinyang.py's run: 80/10/10 split, MLP(2, [8, 3]) tanh, AdamW (51 parameters)."""
    data = fm.datasets.yinyang(samples, seed=SEED)
    train_part, val_part, _ = fm.datasets.split(data, (0.8, 0.1, 0.1), seed=SEED)
    model = fm.nn.mlp(2, [8, 3], activation="tanh", seed=SEED, init="scaled")
    optimizer = fm.optim.adamw(0.1, b2=0.95, weight_decay=1e-4)
    options = {"alpha": 0.0, "optimizer": optimizer, "validation": val_part, "jit": True}
    return Setup(model, train_part, options)


def moons(samples: int) -> Setup:
    """micrograd's demo data and MLP(2, [8, 8, 1]) (105 parameters, a 306-node graph)."""
    data = fm.datasets.moons(samples, noise=0.1)
    return Setup(fm.nn.mlp(2, [8, 8, 1], seed=SEED), data, {"jit": True})


SETUPS: dict[str, Callable[[int], Setup]] = {"yinyang": yinyang, "moons": moons}
DEFAULT = "yinyang"
FEWEST = {"yinyang": 10, "moons": 2}  # yin-yang splits 80/10/10


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, Setup]:
    parser = argparse.ArgumentParser(
        description="Train a small model and write the explorer page of the whole run."
    )
    parser.add_argument(
        "--dataset", choices=sorted(SETUPS), default=DEFAULT, help=f"default {DEFAULT}"
    )
    parser.add_argument("--steps", type=int, default=100, help="training steps (default 100)")
    parser.add_argument(
        "--samples",
        type=int,
        default=100,
        help="points in the dataset, before yin-yang's 80/10/10 split (default 100)",
    )
    parser.add_argument(
        "--point",
        type=int,
        default=None,
        help="the training point whose graph to show (an index)",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("out"), help="folder for the page (default out/)"
    )
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps must be at least 1, got {args.steps}")
    fewest = FEWEST[args.dataset]
    if args.samples < fewest:
        parser.error(f"--samples must be at least {fewest} for {args.dataset}, got {args.samples}")
    existing = next((p for p in (args.out, *args.out.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        parser.error(f"--out must be a folder, but {existing} is a file")
    setup = SETUPS[args.dataset](args.samples)
    count = len(setup.data)
    if args.point is not None and not 0 <= args.point < count:
        parser.error(
            f"--point must be an index from 0 to {count - 1} ({count} training points), "
            f"got {args.point}"
        )
    return args, setup


def point_loss(model: fm.nn.Model, x: Any, y: Any, task: str) -> float:
    """The loss of one point without the L2 term: the loss the page draws."""
    loss = fm.losses.cross_entropy if task == "multiclass" else fm.losses.max_margin
    return loss(model, [x], [y], alpha=0.0).data_loss.data


def hardest(states: list[fm.training.TrainState], data: fm.datasets.Dataset) -> int:
    """The point that stays wrong longest: the largest loss summed over every tenth state.

    The first point wins a tie.
    """
    models = [state.model for state in states[::10]]
    losses = [sum(point_loss(m, x, y, data.task) for m in models) for x, y in zip(data.xs, data.ys)]
    return max(range(len(losses)), key=lambda i: (losses[i], -i))


def progress(row: Any) -> str:
    """One history row: the training loss and accuracy, and the validation ones if any."""
    text = f"step {row.step} loss {row.loss:.4f}, accuracy {row.accuracy * 100:.1f}%"
    if getattr(row, "val_loss", None) is not None:
        text += f"; validation loss {row.val_loss:.4f}, accuracy {row.val_accuracy * 100:.1f}%"
    return text


def main(argv: list[str] | None = None) -> int:
    args, (model, data, options) = parse_args(argv)
    validation = options.get("validation")
    extra = "" if validation is None else f", {len(validation)} validation points"
    print(
        f"{args.dataset}: {len(data)} training points{extra}, "
        f"{fm.nn.parameter_count(model)} parameters"
    )
    states = []
    for state in fm.training.iterate(model, data, steps=args.steps, **options):
        states.append(state)  # every state is kept: the fold never overwrites one
        if state.history and (state.step % 10 == 0 or state.step == args.steps):
            print(progress(state.history[-1]))
    point = hardest(states, data) if args.point is None else args.point
    args.out.mkdir(parents=True, exist_ok=True)
    path = fm.explorer.save(args.out / "explorer.html", states, data, point=point)
    size = Path(path).stat().st_size
    print(f"point {point}: {data.xs[point]}, label {data.ys[point]}")
    print(f"wrote {path} ({size / 1e6:.2f} MB, {len(states)} states); open it in a browser")
    return 0


if __name__ == "__main__":
    sys.exit(main())
