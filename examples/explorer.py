"""Train a small model and write the explorer page: every state of the run in one HTML file.

Trains an MLP(2, [8, 8, 1]) on the two moons for 100 steps (micrograd's
loss and learning-rate schedule), keeps every state the fold passes through
(``fm.training.iterate``), and writes ``<out>/explorer.html`` with
``fm.explorer.save``. Open that file in a browser: no server and no network
are needed. The page shows the point that stays wrong longest (the largest
loss summed over the run) unless ``--point`` names one.

Datasets are listed in SETUPS below, one function each: a model, the data
and how to train; ``--dataset`` picks one.

Run: python3 examples/explorer.py [--dataset moons] [--steps 100] [--samples 100]
     [--point N] [--out out/]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import functional_micrograd as fm

Setup = Callable[[int], tuple[fm.nn.Model, fm.datasets.Dataset, dict[str, Any]]]


def moons(samples: int) -> tuple[fm.nn.Model, fm.datasets.Dataset, dict[str, Any]]:
    """micrograd's demo data, with a model small enough for its graph to be read (306 nodes)."""
    data = fm.datasets.moons(samples, noise=0.1)
    return fm.nn.mlp(2, [8, 8, 1], seed=1337), data, {}


SETUPS: dict[str, Setup] = {"moons": moons}
DEFAULT = "moons"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Train a small model and write the explorer page of the whole run."
    )
    parser.add_argument(
        "--dataset", choices=sorted(SETUPS), default=DEFAULT, help=f"default {DEFAULT}"
    )
    parser.add_argument("--steps", type=int, default=100, help="training steps (default 100)")
    parser.add_argument(
        "--samples", type=int, default=100, help="points in the dataset (default 100)"
    )
    parser.add_argument(
        "--point", type=int, default=None, help="the data point whose graph to show (an index)"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("out"), help="folder for the page (default out/)"
    )
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps must be at least 1, got {args.steps}")
    if args.samples < 2:
        parser.error(f"--samples must be at least 2, got {args.samples}")
    if args.point is not None and not 0 <= args.point < args.samples:
        parser.error(f"--point must be an index from 0 to {args.samples - 1}, got {args.point}")
    existing = next((p for p in (args.out, *args.out.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        parser.error(f"--out must be a folder, but {existing} is a file")
    return args


def hardest(states: list[fm.training.TrainState], data: fm.datasets.Dataset) -> int:
    """The point that stays wrong longest: the largest loss summed over every tenth state.

    The first point wins a tie.
    """
    models = [state.model for state in states[::10]]
    losses = [
        sum(fm.losses.max_margin(m, [x], [y], alpha=0.0).data_loss.data for m in models)
        for x, y in zip(data.xs, data.ys)
    ]
    return max(range(len(losses)), key=lambda i: (losses[i], -i))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    model, data, options = SETUPS[args.dataset](args.samples)
    print(f"{args.dataset}: {len(data)} points, {fm.nn.parameter_count(model)} parameters")
    states = []
    for state in fm.training.iterate(model, data, steps=args.steps, **options):
        states.append(state)  # every state is kept: the fold never overwrites one
        if state.history and (state.step % 10 == 0 or state.step == args.steps):
            row = state.history[-1]
            print(f"step {row.step} loss {row.loss:.4f}, accuracy {row.accuracy * 100:.1f}%")
    point = hardest(states, data) if args.point is None else args.point
    args.out.mkdir(parents=True, exist_ok=True)
    path = fm.explorer.save(args.out / "explorer.html", states, data, point=point)
    size = Path(path).stat().st_size
    print(f"point {point}: {data.xs[point]}, label {data.ys[point]}")
    print(f"wrote {path} ({size / 1e6:.2f} MB, {len(states)} states); open it in a browser")
    return 0


if __name__ == "__main__":
    sys.exit(main())
