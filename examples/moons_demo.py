"""micrograd's two-moons demo, the functional way.

Builds the moons dataset and an MLP(2, [16, 16, 1]), then trains it for 100
steps of max-margin loss with L2 regularisation and micrograd's learning-rate
schedule. Training is a fold over pure step functions; ``iterate`` streams
the states so that each step's progress can be printed as it happens.

With matplotlib installed (``pip install -e ".[examples]"``) it also writes
one picture: the data, the loss curves, the accuracy and the decision
boundary.

Run: python3 examples/moons_demo.py [--steps 100] [--samples 100] [--seed 1337]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import functional_micrograd as fm

LAYERS = [16, 16, 1]  # micrograd's demo model: MLP(2, [16, 16, 1])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train an MLP on two moons, the functional way.")
    parser.add_argument("--steps", type=int, default=100, help="training steps (default 100)")
    parser.add_argument(
        "--samples", type=int, default=100, help="points in the dataset (default 100)"
    )
    parser.add_argument("--noise", type=float, default=0.1, help="noise of the moons (default 0.1)")
    parser.add_argument(
        "--seed", type=int, default=1337, help="seed of data and model (default 1337)"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("out"), help="folder for the picture (default out/)"
    )
    parser.add_argument("--no-plot", action="store_true", help="do not write the picture")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps must be at least 1, got {args.steps}")
    if args.samples < 2:
        parser.error(f"--samples must be at least 2, got {args.samples}")
    if not 0.0 <= args.noise < 10.0:
        parser.error(f"--noise must be in [0, 10), got {args.noise}")
    existing = next((p for p in (args.out, *args.out.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        parser.error(f"--out must be a folder, but {existing} is a file")
    return args


def train_with_progress(
    model: fm.nn.MLP, data: fm.datasets.Dataset, steps: int
) -> fm.training.TrainState:
    """Fold the training steps, printing each step's numbers as micrograd's demo does."""
    states = fm.training.iterate(model, data, steps=steps)
    state = next(states)  # the initial state: no steps done yet
    for state in states:
        row = state.history[-1]
        print(f"step {row.step} loss {row.loss:.4f}, accuracy {row.accuracy * 100:.1f}%")
    return state


def draw(data: fm.datasets.Dataset, state: fm.training.TrainState, path: Path) -> None:
    """One picture with four panels: data, losses, accuracy and the decision regions."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import plotting  # examples/plotting.py: the drawing shared by every example

    from functional_micrograd import plot_data

    losses = plot_data.loss_history(state)
    accuracy = plot_data.accuracy_history(state)
    fig, axes = plt.subplots(2, 2, figsize=(11, 9))

    ax = axes[0][0]
    plotting.scatter_classes(ax, data)
    ax.set_title(f"The data: {len(data)} points of two moons")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_aspect("equal")
    ax.legend(loc="upper right")

    ax = axes[0][1]
    for metric in ("total loss", "data loss", "regularization loss"):
        rows = [r for r in losses if r["metric"] == metric]
        ax.plot([r["step"] for r in rows], [r["value"] for r in rows], label=metric)
    ax.set_title("Loss (max-margin + L2)")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_ylim(bottom=0)
    ax.legend()

    ax = axes[1][0]
    ax.plot(
        [r["step"] for r in accuracy],
        [r["value"] for r in accuracy],
        c="tab:green",
        label="training",
    )
    ax.set_title("Training accuracy")
    ax.set_xlabel("step")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 102)
    ax.legend(loc="lower right")

    ax = axes[1][1]
    plotting.decision_regions(ax, state.model, data)
    plotting.scatter_classes(ax, data)
    ax.set_title(f"Decision regions of {plotting.model_name(state.model)} after {state.step} steps")
    ax.legend(loc="upper right")

    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    data = fm.datasets.moons(args.samples, noise=args.noise, seed=args.seed)
    model = fm.nn.mlp(2, LAYERS, seed=args.seed)
    # One line about the model; print(model) shows every neuron, as micrograd's repr does.
    count = fm.nn.parameter_count(model)
    print(f"model: MLP(2, {LAYERS}), relu hidden layers, a linear output, {count} parameters")

    started = time.perf_counter()
    state = train_with_progress(model, data, args.steps)
    seconds = time.perf_counter() - started
    last = state.history[-1]
    print(
        f"final loss {last.loss:.4f}, accuracy {last.accuracy * 100:.1f}% "
        f"after {state.step} steps in {seconds:.1f} s"
    )

    if args.no_plot:
        return 0
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print('For the picture, install matplotlib: python3 -m pip install -e ".[examples]"')
        return 0
    path = args.out / "moons_demo.png"
    draw(data, state, path)
    print(f"picture written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
