"""A harder dataset: two interleaved spirals, and tanh against ReLU.

The moons demo's classes can almost be split by a bent line; two spiral arms
that wind around each other cannot. This script trains the same wider MLP
twice on the spiral data, once with tanh hidden units and once with ReLU
hidden units: same seed (so the same data and the same initial draws), same
number of steps, same optimizer (Adam, which gets much further than plain
gradient descent in a hundred steps here). It prints progress, then a table
of each run's final loss and accuracy.

With matplotlib installed (``pip install -e ".[examples]"``) it also writes
``<out>/spiral.png``: each model's decision boundary over the points, and
both runs' loss and accuracy curves.

Run: python3 examples/spiral.py [--steps 100] [--samples 100] [--seed 1337] [--out out/]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import functional_micrograd as fm

ACTIVATIONS = ("tanh", "relu")
HIDDEN = [24, 24, 1]  # 697 parameters, twice the moons model's
LEARNING_RATE = 0.1
PROGRESS_EVERY = 10
COLOURS = {"tanh": "tab:purple", "relu": "tab:orange"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Train an MLP with tanh and with ReLU units on two spirals and compare."
    )
    parser.add_argument(
        "--steps", type=int, default=100, help="training steps per run (default 100)"
    )
    parser.add_argument(
        "--samples", type=int, default=100, help="points in the dataset (default 100)"
    )
    parser.add_argument(
        "--seed", type=int, default=1337, help="seed of data and models (default 1337)"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("out"), help="folder for the picture (default out/)"
    )
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps must be at least 1, got {args.steps}")
    if args.samples < 2:
        parser.error(f"--samples must be at least 2, got {args.samples}")
    existing = next((p for p in (args.out, *args.out.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        parser.error(f"--out must be a folder, but {existing} is a file")
    return args


def train_one(
    activation: str, data: fm.datasets.Dataset, steps: int, seed: int
) -> tuple[fm.training.TrainState, float]:
    """One run, printing every PROGRESS_EVERY-th step; the last state and the seconds taken."""
    model = fm.nn.mlp(2, HIDDEN, activation=activation, seed=seed)
    optimizer = fm.optim.adam(LEARNING_RATE)
    started = time.perf_counter()
    states = fm.training.iterate(model, data, steps=steps, optimizer=optimizer, seed=seed)
    state = next(states)  # no steps done yet
    for state in states:
        row = state.history[-1]
        if row.step % PROGRESS_EVERY == 0 or state.step == steps:
            print(
                f"{activation} step {row.step} loss {row.loss:.4f}, "
                f"accuracy {row.accuracy * 100:.1f}%"
            )
    return state, time.perf_counter() - started


def draw(data: fm.datasets.Dataset, states: dict[str, fm.training.TrainState], path: Path) -> None:
    """A decision-boundary panel per activation, then the loss and accuracy curves."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import plotting  # examples/plotting.py: the drawing shared by every example

    from functional_micrograd import plot_data

    fig, axes = plt.subplots(2, 2, figsize=(11, 10))

    for ax, (activation, state) in zip(axes[0], states.items()):
        plotting.decision_regions(ax, state.model, data, padding=0.3)
        plotting.scatter_classes(ax, data)
        last = state.history[-1]
        ax.set_title(
            f"{activation}: decision boundary after {state.step} steps "
            f"(accuracy {last.accuracy * 100:.0f}%)"
        )
        ax.set_aspect("equal")
        ax.legend(loc="lower right", fontsize="small")

    ax = axes[1][0]
    for activation, state in states.items():
        rows = [r for r in plot_data.loss_history(state) if r["metric"] == "total loss"]
        ax.plot(
            [r["step"] for r in rows],
            [r["value"] for r in rows],
            c=COLOURS[activation],
            label=activation,
        )
    ax.set_title("Total loss (max-margin + L2)")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_ylim(bottom=0)
    ax.legend()

    ax = axes[1][1]
    for activation, state in states.items():
        rows = plot_data.accuracy_history(state)
        ax.plot(
            [r["step"] for r in rows],
            [r["value"] for r in rows],
            c=COLOURS[activation],
            label=activation,
        )
    ax.set_title("Training accuracy")
    ax.set_xlabel("step")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 102)
    ax.legend()

    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    data = fm.datasets.spiral(args.samples, noise=0.1, seed=args.seed)
    print(data)
    print(
        f"MLP(2, {HIDDEN}), {fm.nn.parameter_count(fm.nn.mlp(2, HIDDEN))} parameters; "
        f"Adam, learning rate {LEARNING_RATE}, {args.steps} steps per activation"
    )

    states: dict[str, fm.training.TrainState] = {}
    seconds: dict[str, float] = {}
    for activation in ACTIVATIONS:
        states[activation], seconds[activation] = train_one(activation, data, args.steps, args.seed)

    print()
    print(f"{'activation':<12}{'final loss':>12}{'accuracy':>10}{'seconds':>9}")
    for activation, state in states.items():
        last = state.history[-1]
        print(
            f"{activation:<12}{last.loss:>12.4f}{last.accuracy * 100:>9.1f}%"
            f"{seconds[activation]:>9.1f}"
        )

    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print('For the picture, install matplotlib: python3 -m pip install -e ".[examples]"')
        return 0
    path = args.out / "spiral.png"
    draw(data, states, path)
    print(f"picture written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
