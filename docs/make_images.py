"""Draw the pictures of docs/walkthrough.md into docs/images/.

Trains micrograd's demo in full (moons(100, noise=0.1), MLP(2, [16, 16, 1]),
100 steps: about half a minute) and draws, from ``fm.plot_data`` rows:

    moons_data.png         the dataset
    loss_curves.png        total, data and regularization loss per step
    accuracy.png           training accuracy per step
    decision_boundary.png  the model's decision regions before and after training,
                           drawn by examples/plotting.py as every example draws them

and, from ``fm.graph.to_dot`` rendered by Graphviz's ``dot`` (skipped with a
message when ``dot`` is not installed; ``apt-get install graphviz``):

    neuron_graph.png           the graph of one small neuron, with its gradients
                               (docs/walkthrough.md)
    tanh_derivative_graph.png  the graph that backward(create_graph=True) builds for
                               d tanh(x)/dx at 0.5 (docs/higher_order.md)
    custom_op_graph.png        my_sin(w * x) + softsign(x), two ops made with
                               fm.define_op, with gradients (docs/custom_ops.md)

Needs matplotlib (``python3 -m pip install -e ".[examples]"``).

Run: python3 docs/make_images.py            (everything)
     python3 docs/make_images.py --graphs   (the Graphviz pictures only: no training)
"""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import functional_micrograd as fm
from functional_micrograd import plot_data

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))
import plotting  # noqa: E402  examples/plotting.py: the decision regions of every picture

IMAGES = ROOT / "docs" / "images"
COLOURS = plotting.BINARY_COLOURS
SAVE = {"dpi": 100, "metadata": {"Software": None}}  # no version stamp in the files


def small_neuron() -> tuple[fm.Value, fm.Gradients]:
    """The neuron of the walkthrough's backward section, run on (2, 1), and its gradients."""
    unit = fm.nn.with_parameters(fm.nn.neuron(2, activation="relu"), [0.5, -1.0, 0.25])
    out = unit([2.0, 1.0]).set(label="out")
    return out, fm.backward(out)


def save(fig: Any, name: str) -> None:
    fig.tight_layout()
    fig.savefig(IMAGES / name, **SAVE)
    plt.close(fig)
    print(f"wrote {IMAGES / name}")


def draw_data(data: fm.datasets.Dataset) -> None:
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    plotting.scatter_classes(ax, data)
    ax.set_title("fm.datasets.moons(100, noise=0.1)")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_aspect("equal")
    ax.legend(loc="upper right")
    save(fig, "moons_data.png")


def draw_losses(rows: list[dict[str, Any]]) -> None:
    fig, ax = plt.subplots(figsize=(6, 4))
    for metric in ("total loss", "data loss", "regularization loss"):
        chosen = [r for r in rows if r["metric"] == metric]
        ax.plot([r["step"] for r in chosen], [r["value"] for r in chosen], label=metric)
    ax.set_title("Loss at each step (measured before the step's update)")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend()
    save(fig, "loss_curves.png")


def draw_accuracy(rows: list[dict[str, Any]]) -> None:
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot([r["step"] for r in rows], [r["value"] for r in rows], c="tab:green", label="training")
    ax.set_title("Training accuracy")
    ax.set_xlabel("step")
    ax.set_ylabel("% of points on the right side")
    ax.set_ylim(0, 102)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    save(fig, "accuracy.png")


def draw_boundaries(run: Any, data: fm.datasets.Dataset) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    name = plotting.model_name(run.initial_model)
    panels = [
        (run.initial_model, f"{name} before training: accuracy {run.history[0].accuracy:.0%}"),
        (run.final_model, f"After {len(run.history)} steps: accuracy {run.final_accuracy:.0%}"),
    ]
    for ax, (model, title) in zip(axes, panels):
        plotting.decision_regions(ax, model, data)
        plotting.scatter_classes(ax, data)
        ax.set_title(title)
        ax.legend(loc="upper right")
    save(fig, "decision_boundary.png")


def tanh_derivative() -> fm.Value:
    """d tanh(x)/dx at x = 0.5 as a graph, as docs/higher_order.md builds it."""
    x = fm.Value(0.5, label="x")
    return fm.backward(x.tanh(), create_graph=True)[x]


def custom_ops_expression() -> tuple[fm.Value, fm.Gradients]:
    """The expression of docs/custom_ops.md, with its two defined ops, and its gradients."""
    softsign = fm.define_op(
        "softsign", lambda x: x / (1.0 + abs(x)), lambda x, out: ((1.0 - abs(out)) ** 2,)
    )
    my_sin = fm.define_op("my_sin", math.sin, lambda x, out: (fm.cos(x),))
    w = fm.Value(-1.5, label="w")
    x = fm.Value(0.8, label="x")
    out = (my_sin(w * x) + softsign(x)).set(label="out")
    return out, fm.backward(out)


def titled(text: str, title: str) -> str:
    """DOT text with ``title`` and a key to the shapes as the graph's label, at the top."""
    key = "boxes: Values (label | data | grad), ovals: the op that made the Value to their right"
    label = f"{title}\\n{key}".replace('"', "'")
    head, brace, rest = text.partition("{")
    return f'{head}{brace}\n  labelloc=t; fontsize=16; label="{label}";{rest}'


def render(name: str, text: str) -> None:
    """Render DOT text to docs/images/<name> with Graphviz's dot; skip if dot is missing."""
    dot = shutil.which("dot")
    if dot is None:
        print(f"Graphviz 'dot' is not installed: skipped {name}")
        return
    png = subprocess.run([dot, "-Tpng", "-Gdpi=90"], input=text.encode(), capture_output=True)
    if png.returncode != 0:
        raise RuntimeError(f"dot failed: {png.stderr.decode(errors='replace')}")
    (IMAGES / name).write_bytes(png.stdout)
    print(f"wrote {IMAGES / name}")


def draw_graphs() -> None:
    neuron = titled(fm.graph.to_dot(*small_neuron()), "relu(w0*x0 + w1*x1 + b) and its gradients")
    render("neuron_graph.png", neuron)
    derivative = titled(
        fm.graph.to_dot(tanh_derivative()),
        "d tanh(x)/dx at x = 0.5, as the graph backward(create_graph=True) builds (no grads)",
    )
    render("tanh_derivative_graph.png", derivative)
    custom = titled(
        fm.graph.to_dot(*custom_ops_expression()),
        "my_sin(w * x) + softsign(x), two ops made with fm.define_op, and its gradients",
    )
    render("custom_op_graph.png", custom)


def main(argv: list[str]) -> int:
    if argv not in ([], ["--graphs"]):
        print("usage: python3 docs/make_images.py [--graphs]", file=sys.stderr)
        return 2
    IMAGES.mkdir(exist_ok=True)
    draw_graphs()
    if argv == ["--graphs"]:
        return 0
    data = fm.datasets.moons(100, noise=0.1)
    draw_data(data)

    print("training micrograd's demo for 100 steps ...")
    run = fm.train(fm.nn.mlp(2, [16, 16, 1], seed=1337), data, steps=100)
    draw_losses(plot_data.loss_history(run))
    draw_accuracy(plot_data.accuracy_history(run))
    draw_boundaries(run, data)

    rows = plot_data.training_history(run)
    perfect = next((r["step"] for r in rows if r["accuracy"] == 1.0), None)
    print(f"{run}; first row with 100% accuracy: step {perfect}")
    for r in rows[:: len(rows) // 10] + rows[-1:]:
        print(
            f"  step {r['step']:3d}: loss {r['loss']:.4f} (data {r['data_loss']:.4f}, "
            f"reg {r['reg_loss']:.4f}), accuracy {r['accuracy_percent']:.0f}%"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
