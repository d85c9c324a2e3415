"""Regression: fit a noisy sine with an MLP and the mean squared error.

The same fold that classifies the moons fits a curve: ``fm.datasets.sine``
gives 1-wide inputs and real-number targets (a regression dataset), so
``fm.train`` picks the mean squared error and leaves the accuracy out.
Here a fifth of the points is held out as a validation set; the script
prints both losses every few steps.

With matplotlib installed (``pip install -e ".[examples]"``) it also writes
``<out>/regression.png``: the points, the true sine and the fitted curve,
and the two loss curves.

Run: python3 examples/regression.py [--steps 200] [--samples 60] [--seed 1337] [--out out/]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import functional_micrograd as fm

HIDDEN = [16, 1]
LEARNING_RATE = 0.05
NOISE = 0.1
PROGRESS_EVERY = 20


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Fit sin(x) plus noise with an MLP and mse.")
    parser.add_argument("--steps", type=int, default=200, help="training steps (default 200)")
    parser.add_argument("--samples", type=int, default=60, help="points in all (default 60)")
    parser.add_argument("--seed", type=int, default=1337, help="seed (default 1337)")
    parser.add_argument(
        "--out", type=Path, default=Path("out"), help="folder for the picture (default out/)"
    )
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps must be at least 1, got {args.steps}")
    if args.samples < 5:
        parser.error(f"--samples must be at least 5 (to hold a fifth out), got {args.samples}")
    existing = next((p for p in (args.out, *args.out.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        parser.error(f"--out must be a folder, but {existing} is a file")
    return args


def draw(
    parts: tuple[fm.datasets.Dataset, fm.datasets.Dataset],
    state: fm.training.TrainState,
    path: Path,
) -> None:
    """The points with the true and fitted curves; the training and validation loss."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import plotting  # examples/plotting.py: the drawing shared by every example

    from functional_micrograd import plot_data

    train_part, val_part = parts
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    both = fm.datasets.from_lists([*train_part.xs, *val_part.xs], [*train_part.ys, *val_part.ys])
    curve = plot_data.prediction_curve(state.model, both, points=300)
    xs = [row["x"] for row in curve]
    left.plot(xs, [math.sin(x) for x in xs], c="0.5", ls="--", lw=1.2, label="sin(x)")
    left.plot(xs, [row["prediction"] for row in curve], c="tab:purple", lw=2.2, label="the MLP")
    for part, name, colour in (
        (train_part, "train", "tab:blue"),
        (val_part, "validation", "tab:orange"),
    ):
        rows = plot_data.dataset_points(part)
        left.scatter(
            [r["x"] for r in rows],
            [r["y"] for r in rows],
            s=22,
            c=colour,
            edgecolors="k",
            linewidths=0.5,
            label=f"{name} points",
            zorder=3,
        )
    name = plotting.model_name(state.model)
    left.set_title(f"{name} fitted to sin(x) + noise after {state.step} steps")
    left.set_xlabel("x")
    left.set_ylabel("y")
    left.legend(loc="upper left", fontsize="small")

    for metric, label, colour in (
        ("total loss", "training", "tab:blue"),
        ("validation loss", "validation", "tab:orange"),
    ):
        rows = [r for r in plot_data.loss_history(state) if r["metric"] == metric]
        right.plot([r["step"] for r in rows], [r["value"] for r in rows], c=colour, label=label)
    right.set_yscale("log")
    right.set_title("Mean squared error")
    right.set_xlabel("step")
    right.set_ylabel("mean squared error (log scale)")
    right.legend()

    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    data = fm.datasets.sine(args.samples, noise=NOISE, seed=args.seed)
    train_part, val_part = fm.datasets.split(data, (0.8, 0.2), seed=args.seed)
    print(data)
    model = fm.nn.mlp(1, HIDDEN, activation="tanh", seed=args.seed)
    print(
        f"MLP(1, {HIDDEN}) tanh, {fm.nn.parameter_count(model)} parameters; "
        f"Adam, learning rate {LEARNING_RATE}, {args.steps} steps on {len(train_part)} points"
    )
    started = time.perf_counter()
    states = fm.training.iterate(
        model,
        train_part,
        steps=args.steps,
        alpha=0.0,
        optimizer=fm.optim.adam(LEARNING_RATE),
        validation=val_part,
    )
    state = next(states)
    for state in states:
        row = state.history[-1]
        if row.step % PROGRESS_EVERY == 0 or state.step == args.steps:
            print(f"step {row.step} train mse {row.loss:.5f}, val mse {row.val_loss:.5f}")
    seconds = time.perf_counter() - started
    final = fm.training.evaluate(state.model, val_part)
    print(f"validation mse {final.loss:.5f} (the noise alone gives about {NOISE**2:.5f})")
    print(f"trained in {seconds:.2f} s")

    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print('For the picture, install matplotlib: python3 -m pip install -e ".[examples]"')
        return 0
    path = args.out / "regression.png"
    draw((train_part, val_part), state, path)
    print(f"picture written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
