"""Three classes: the yin-yang set, trained the way EurekaLabs' micrograd trains it.

Karpathy's newer micrograd (EurekaLabs) leaves the two moons for a
three-class problem: points of a yin-yang sign (yin, yang and the two dots),
split 80/10/10 into training, validation and test parts, an MLP(2, [8, 3])
of tanh units whose three outputs are logits, softmax cross-entropy, and
AdamW (learning rate 0.1, betas 0.9 / 0.95, weight decay 1e-4) for 100
steps. This script runs that setup as one fold: it prints the training and
validation loss every few steps, then the test accuracy.

With matplotlib installed (``pip install -e ".[examples]"``) it also writes
``<out>/yinyang.png``: the data over the model's class regions (one colour
per class, shaded by the model's probability), the training and validation
loss, and the accuracy.

Run: python3 examples/yinyang.py [--steps 100] [--samples 100] [--seed 1337] [--out out/]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import functional_micrograd as fm

HIDDEN = [8, 3]  # two inputs, eight tanh units, three logits
LEARNING_RATE = 0.1
PROGRESS_EVERY = 10
CLASS_NAMES = ("yin", "yang", "dots")
CLASS_COLOURS = ("tab:red", "tab:green", "tab:blue")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Train EurekaLabs' yin-yang MLP (3 classes, cross-entropy, AdamW)."
    )
    parser.add_argument("--steps", type=int, default=100, help="training steps (default 100)")
    parser.add_argument(
        "--samples", type=int, default=100, help="points before the 80/10/10 split (default 100)"
    )
    parser.add_argument(
        "--seed", type=int, default=1337, help="seed of data, split and model (default 1337)"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("out"), help="folder for the picture (default out/)"
    )
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps must be at least 1, got {args.steps}")
    if args.samples < 10:
        parser.error(f"--samples must be at least 10 (to split 80/10/10), got {args.samples}")
    existing = next((p for p in (args.out, *args.out.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        parser.error(f"--out must be a folder, but {existing} is a file")
    return args


def train(
    parts: tuple[fm.datasets.Dataset, ...], steps: int, seed: int
) -> tuple[fm.training.TrainState, float]:
    """The fold, printing progress; the last state and the seconds it took."""
    train_part, val_part, _ = parts
    model = fm.nn.mlp(2, HIDDEN, activation="tanh", seed=seed, init="scaled")
    optimizer = fm.optim.adamw(LEARNING_RATE, b2=0.95, weight_decay=1e-4)
    started = time.perf_counter()
    states = fm.training.iterate(
        model, train_part, steps=steps, alpha=0.0, optimizer=optimizer, validation=val_part
    )
    state = next(states)  # no steps done yet
    for state in states:
        row = state.history[-1]
        if row.step % PROGRESS_EVERY == 0 or state.step == steps:
            print(
                f"step {row.step + 1}/{steps}, train loss {row.loss:.6f}, "
                f"val loss {row.val_loss:.6f}"
            )
    return state, time.perf_counter() - started


def draw(parts: tuple[fm.datasets.Dataset, ...], state: fm.training.TrainState, path: Path) -> None:
    """Class regions with the three parts on top, the losses, the accuracies."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import plotting  # examples/plotting.py: the drawing shared by every example

    from functional_micrograd import plot_data

    fig, axes = plt.subplots(1, 3, figsize=(17, 5.6), gridspec_kw={"width_ratios": [1.1, 1, 1]})
    ax = axes[0]
    everything = fm.datasets.from_lists(
        [xy for part in parts for xy in part.xs], [y for part in parts for y in part.ys]
    )
    plotting.decision_regions(ax, state.model, everything, CLASS_COLOURS, padding=0.25)
    markers = {"train": "o", "validation": "s", "test": "^"}
    for part, (name, marker) in zip(parts, markers.items()):
        names = [f"{name}: {CLASS_NAMES[c]}" for c in range(3)]
        size = 34 if name == "train" else 52
        plotting.scatter_classes(ax, part, CLASS_COLOURS, names, marker=marker, s=size)
    ax.set_title(
        f"Class regions of {plotting.model_name(state.model)} after {state.step} steps\n"
        "circles: train, squares: validation, triangles: test"
    )
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, fontsize="small")

    ax = axes[1]
    curves = (
        ("total loss", "training", "tab:purple"),
        ("validation loss", "validation", "tab:orange"),
    )
    for metric, label, colour in curves:
        rows = [r for r in plot_data.loss_history(state) if r["metric"] == metric]
        ax.plot([r["step"] for r in rows], [r["value"] for r in rows], c=colour, label=label)
    ax.set_title("Cross-entropy loss")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_ylim(bottom=0)
    ax.legend()

    ax = axes[2]
    curves = (
        ("accuracy", "training", "tab:purple"),
        ("validation accuracy", "validation", "tab:orange"),
    )
    for metric, label, colour in curves:
        rows = [r for r in plot_data.accuracy_history(state) if r["metric"] == metric]
        ax.plot([r["step"] for r in rows], [r["value"] for r in rows], c=colour, label=label)
    test = fm.training.evaluate(state.model, parts[2])
    if test.accuracy is not None:
        ax.axhline(100 * test.accuracy, c="k", ls="--", lw=0.8, label="test, at the end")
    ax.set_title("Accuracy")
    ax.set_xlabel("step")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 102)
    ax.legend(loc="lower right")

    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    data = fm.datasets.yinyang(args.samples, seed=args.seed)
    parts = fm.datasets.split(data, (0.8, 0.1, 0.1), seed=args.seed)
    print(data)
    print(f"train / validation / test: {' / '.join(str(len(p)) for p in parts)} points")
    print(
        f"MLP(2, {HIDDEN}) tanh, {fm.nn.parameter_count(fm.nn.mlp(2, HIDDEN))} parameters; "
        f"AdamW, learning rate {LEARNING_RATE}, weight decay 1e-4, {args.steps} steps"
    )
    state, seconds = train(parts, args.steps, args.seed)
    test = fm.training.evaluate(state.model, parts[2])
    accuracy = 0.0 if test.accuracy is None else test.accuracy
    print(f"test loss {test.loss:.6f}, test accuracy {accuracy * 100:.1f}%")
    print(f"trained in {seconds:.2f} s")

    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print('For the picture, install matplotlib: python3 -m pip install -e ".[examples]"')
        return 0
    path = args.out / "yinyang.png"
    draw(parts, state, path)
    print(f"picture written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
