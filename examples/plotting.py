"""Drawing helpers shared by the examples, the notebook and docs/make_images.py.

Every picture of a model's decision regions is drawn by :func:`decision_regions`,
the same way: the model runs on a fine grid over the data (compiled once with
``fm.jit``, so a fine grid costs a fraction of a second), each class's region
is a filled contour in that class's colour, and a thin black line is the
boundary. The contours follow a continuous quantity (the score for one
output, the margin of each class's logit over the others for several), so the
boundary is smooth rather than a staircase of grid cells.

matplotlib is imported by the caller; this module only needs numpy, which
matplotlib brings.

    import plotting                      # from a script in examples/
    plotting.decision_regions(ax, model, data, colours={-1.0: "tab:red", 1.0: "tab:blue"})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import functional_micrograd as fm

__all__ = ["BINARY_COLOURS", "decision_regions", "model_name", "scatter_classes"]

BINARY_COLOURS = {-1.0: "tab:red", 1.0: "tab:blue"}
"""The colour of each label of a binary dataset, in every picture."""


def model_name(model: fm.nn.MLP) -> str:
    """The model written as it is built: ``MLP(2, [16, 16, 1])``, read from its layers.

    >>> model_name(fm.nn.mlp(2, [16, 16, 1]))
    'MLP(2, [16, 16, 1])'
    """
    nin = len(model.layers[0].neurons[0].w)
    return f"MLP({nin}, {[len(layer.neurons) for layer in model.layers]})"


def _grid(
    model: fm.nn.MLP, data: fm.datasets.Dataset, step: float, padding: float
) -> tuple[Any, Any, Any]:
    """The grid's x and y coordinates and the model's outputs there, shape (ny, nx, outputs)."""
    import numpy as np

    px = [x for x, _ in data.xs]
    py = [y for _, y in data.xs]
    xs = np.arange(min(px) - padding, max(px) + padding + step / 2, step)
    ys = np.arange(min(py) - padding, max(py) + padding + step / 2, step)
    # One trace of the forward pass, then compiled straight-line code per grid point.
    forward = fm.jit(lambda x, y: model([x, y]))
    outputs = np.array([[forward(float(x), float(y)) for x in xs] for y in ys], dtype=float)
    return xs, ys, outputs.reshape(len(ys), len(xs), -1)


def decision_regions(
    ax: Any,
    model: fm.nn.MLP,
    data: fm.datasets.Dataset,
    colours: Mapping[Any, str] | Sequence[str] = BINARY_COLOURS,
    step: float = 0.04,
    padding: float = 0.5,
) -> None:
    """Shade the model's decision regions over the data's box, with the boundary as a line.

    Args:
        ax: the matplotlib axes to draw on.
        model: an MLP with 2 inputs: one output (a score whose sign is the
            class, -1.0 or 1.0) or K outputs (logits of classes 0..K-1).
        data: the dataset whose bounding box, plus ``padding``, the grid covers.
        colours: each class's colour: a mapping from label (binary) or a
            sequence indexed by class.
        step: the grid spacing.
        padding: how far the grid reaches past the data on every side.
    """
    import numpy as np

    xs, ys, outputs = _grid(model, data, step, padding)
    if outputs.shape[2] == 1:
        # One output: the region of -1.0 is score < 0, that of 1.0 score > 0.
        score = outputs[:, :, 0]
        margins = {-1.0: -score, 1.0: score}
    else:
        # Class c wins where its logit beats the largest of the others.
        margins = {}
        for c in range(outputs.shape[2]):
            others = np.delete(outputs, c, axis=2).max(axis=2)
            margins[c] = outputs[:, :, c] - others
    for label, margin in margins.items():
        top = max(float(margin.max()), 1e-9)
        ax.contourf(xs, ys, margin, levels=[0.0, top], colors=[colours[label]], alpha=0.22)
        ax.contour(xs, ys, margin, levels=[0.0], colors="k", linewidths=0.8)
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_aspect("equal")


def scatter_classes(
    ax: Any,
    data: fm.datasets.Dataset,
    colours: Mapping[Any, str] | Sequence[str] = BINARY_COLOURS,
    names: Mapping[Any, str] | Sequence[str] | None = None,
    **style: Any,
) -> None:
    """Scatter the data's points, one colour and one legend entry per class.

    Args:
        ax: the matplotlib axes to draw on.
        data: a binary or multiclass dataset with 2 inputs.
        colours: each class's colour, as for :func:`decision_regions`.
        names: each class's legend entry; by default ``label -1`` / ``label +1``
            for binary data and ``class c`` for multiclass.
        style: more keyword arguments for ``ax.scatter`` (``marker``, ``s``, ...).
    """
    labels = sorted(set(data.ys))
    for label in labels:
        chosen = [xy for xy, y in zip(data.xs, data.ys) if y == label]
        if names is not None:
            name = names[label]
        elif data.task == "binary":
            name = f"label {label:+.0f}"
        else:
            name = f"class {label}"
        options = {"s": 22, "edgecolors": "k", "linewidths": 0.5, "label": name, **style}
        ax.scatter([x for x, _ in chosen], [y for _, y in chosen], c=colours[label], **options)
