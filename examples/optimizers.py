"""Three optimizers, two datasets: plain SGD, momentum and Adam side by side.

Each optimizer trains the same initial MLP(2, [16, 16, 1]) on two moons and on
a two-arm spiral, with micrograd's max-margin loss and L2 regularisation:

* ``sgd``: micrograd's own recipe, ``p - rate * g`` with the rate falling from
  1.0 to 0.1 over 100 steps (``fm.training.micrograd_schedule``);
* ``momentum``: a running sum of gradients, ``v = 0.9 * v + g``, then
  ``p - rate * v``; once ``v`` has built up it is about ten times the gradient,
  so the rate is micrograd's schedule divided by ten;
* ``adam``: per-parameter steps scaled by running averages of the gradient and
  its square, with a fixed rate of 0.05.

It prints a table of the final loss and accuracy of each run. With matplotlib
installed (``pip install -e ".[examples]"``) it also writes one picture, the
loss curves: one panel per dataset, one line per optimizer.

Six runs of 100 steps take a few minutes; ``--steps 20`` gives a quick look.

Run: python3 examples/optimizers.py [--steps 100] [--samples 100] [--seed 1337] [--out out]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import functional_micrograd as fm

HIDDEN = [16, 16, 1]
PICTURE = "optimizers.png"


def momentum_schedule(k: int) -> float:
    """micrograd's schedule divided by 1 / (1 - beta) = 10, the velocity's long-run gain."""
    return 0.1 * fm.training.micrograd_schedule(k)


def optimizers() -> dict[str, fm.optim.Optimizer | None]:
    """The contenders; None is the library's plain gradient descent (micrograd's schedule)."""
    return {
        "sgd": None,
        "momentum": fm.optim.momentum(momentum_schedule, beta=0.9),
        "adam": fm.optim.adam(0.05),
    }


def datasets(samples: int, seed: int) -> dict[str, fm.datasets.Dataset]:
    return {
        "moons": fm.datasets.moons(samples, noise=0.1, seed=seed),
        "spiral": fm.datasets.spiral(samples, noise=0.1, seed=seed),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Compare SGD, momentum and Adam on two moons and a spiral."
    )
    parser.add_argument("--steps", type=int, default=100, help="training steps (default 100)")
    parser.add_argument(
        "--samples", type=int, default=100, help="points in each dataset (default 100)"
    )
    parser.add_argument(
        "--seed", type=int, default=1337, help="seed of the data and the model (default 1337)"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("out"), help="folder for the picture (default out/)"
    )
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps must be at least 1, got {args.steps}")
    if args.samples < 2:
        parser.error(f"--samples must be at least 2, got {args.samples}")
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"--out must be a folder, but {args.out} is a file")
    return args


def first_step_at(run: fm.training.Run, accuracy: float) -> str:
    """The first step whose model (before that step's update) reaches ``accuracy``, or "-"."""
    return next((str(r.step) for r in run.history if r.accuracy >= accuracy), "-")


def table(runs: dict[tuple[str, str], fm.training.Run], steps: int) -> str:
    """The final numbers of every run as aligned text."""
    header = ("dataset", "optimizer", "steps", "final loss", "accuracy", "99% at step")
    rows = [
        (
            data,
            name,
            str(steps),
            f"{run.final_loss:.4f}",
            f"{run.final_accuracy * 100:.1f}%",
            first_step_at(run, 0.99),
        )
        for (data, name), run in runs.items()
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        # text columns to the left, numbers to the right
        "  ".join(
            cell.ljust(w) if i < 2 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths))
        )
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def draw(runs: dict[tuple[str, str], fm.training.Run], path: Path) -> None:
    """One panel per dataset, one loss curve per optimizer, log scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import plotting  # examples/plotting.py: the drawing shared by every example

    names = list(dict.fromkeys(data for data, _ in runs))
    fig, axes = plt.subplots(1, len(names), figsize=(6 * len(names), 4.5), squeeze=False)
    for ax, data in zip(axes[0], names):
        for (where, name), run in runs.items():
            if where != data:
                continue
            label = f"{name} (final accuracy {run.final_accuracy * 100:.0f}%)"
            ax.plot([r.step for r in run.history], [r.loss for r in run.history], label=label)
        trained = next(run.initial_model for (where, _), run in runs.items() if where == data)
        ax.set_title(f"{data}: {plotting.model_name(trained)}, max-margin loss + L2")
        ax.set_xlabel("step")
        ax.set_ylabel("total loss (log scale)")
        ax.set_yscale("log")
        ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    model = fm.nn.mlp(2, HIDDEN, seed=args.seed)
    print(f"MLP(2, {HIDDEN}): {fm.nn.parameter_count(model)} parameters, {args.steps} steps each")

    runs: dict[tuple[str, str], fm.training.Run] = {}
    for data_name, data in datasets(args.samples, args.seed).items():
        for name, optimizer in optimizers().items():
            started = time.perf_counter()
            # every run starts from the same model: train never changes it
            runs[data_name, name] = fm.train(model, data, steps=args.steps, optimizer=optimizer)
            seconds = time.perf_counter() - started
            print(f"  trained {name} on {data_name} in {seconds:.1f} s")

    print()
    print(table(runs, args.steps))
    print()

    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print('For a picture of the loss curves, install matplotlib: pip install -e ".[examples]"')
        return 0
    path = args.out / PICTURE
    try:
        draw(runs, path)
    except OSError as error:
        print(f"optimizers.py: could not write {path}: {error}", file=sys.stderr)
        return 1
    print(f"loss curves written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
