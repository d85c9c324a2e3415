"""Tests for functional_micrograd.plot_data: plain rows for charts."""

from __future__ import annotations

import math
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import functional_micrograd as fm
from functional_micrograd import datasets, nn, plot_data, training
from functional_micrograd.datasets import Dataset
from functional_micrograd.plot_data import (
    accuracy_history,
    dataset_points,
    decision_boundary,
    loss_history,
    prediction_curve,
    training_history,
)

HISTORY_KEYS = [
    "step",
    "loss",
    "data_loss",
    "reg_loss",
    "accuracy",
    "accuracy_percent",
    "learning_rate",
]


@pytest.fixture(scope="module")
def run() -> training.Run:
    return fm.train(nn.mlp(2, [4, 1], seed=3), datasets.moons(20, seed=5), steps=3)


def linear(wx: float, wy: float, b: float) -> nn.Model:
    """A model whose score is ``wx * x + wy * y + b``: cheap, and its sign is known."""
    return nn.with_parameters(nn.neuron(2, activation="linear"), [wx, wy, b])


def numpy_grid(ds: Dataset, h: float, padding: float) -> tuple[Any, Any]:
    """micrograd demo's grid axes, computed by numpy."""
    px = np.array([x for x, _ in ds.xs])
    py = np.array([y for _, y in ds.xs])
    x_axis = np.arange(px.min() - padding, px.max() + padding, h)
    y_axis = np.arange(py.min() - padding, py.max() + padding, h)
    return x_axis, y_axis


def assert_plain(rows: list[dict[str, Any]], keys: list[str]) -> None:
    for row in rows:
        assert type(row) is dict
        assert list(row) == keys
        for value in row.values():
            assert type(value) in (int, float, str)


# -- the module ---------------------------------------------------------------


def test_plot_data_imports_no_plotting_library() -> None:
    code = (
        "import sys, functional_micrograd.plot_data, functional_micrograd.graph\n"
        "bad = [m for m in ('matplotlib', 'numpy', 'pandas', 'graphviz') if m in sys.modules]\n"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_plot_data_is_exported() -> None:
    assert fm.plot_data is plot_data
    assert "plot_data" in fm.__all__
    assert set(plot_data.__all__) >= {
        "dataset_points",
        "training_history",
        "loss_history",
        "accuracy_history",
        "decision_boundary",
    }


# -- dataset_points -----------------------------------------------------------


@pytest.mark.parametrize("make", [datasets.moons, datasets.spiral, datasets.blobs])
def test_dataset_points_match_the_dataset(make: Any) -> None:
    ds = make(15, seed=2)
    rows = dataset_points(ds)
    assert_plain(rows, ["x", "y", "label"])
    assert [(r["x"], r["y"]) for r in rows] == list(ds.xs)
    assert [r["label"] for r in rows] == list(ds.ys)
    assert {r["label"] for r in rows} == {-1.0, 1.0}


def test_dataset_points_rows_are_fresh_dicts() -> None:
    ds = datasets.moons(4, seed=0)
    rows = dataset_points(ds)
    rows[0]["x"] = 99.0
    assert dataset_points(ds)[0]["x"] == ds.xs[0][0]


@pytest.mark.parametrize("bad", [None, [(0.0, 1.0)], "moons", {"xs": ()}])
def test_dataset_points_rejects_non_datasets(bad: object) -> None:
    with pytest.raises(TypeError, match="dataset_points: expected a Dataset"):
        dataset_points(bad)  # type: ignore[arg-type]


# -- training_history, loss_history, accuracy_history ---------------------------


def test_training_history_matches_the_run(run: training.Run) -> None:
    rows = training_history(run)
    assert_plain(rows, HISTORY_KEYS)
    assert len(rows) == len(run.history) == 3
    for row, hist in zip(rows, run.history):
        assert row["step"] == hist.step
        assert row["loss"] == hist.loss
        assert row["data_loss"] == hist.data_loss
        assert row["reg_loss"] == hist.reg_loss
        assert row["accuracy"] == hist.accuracy
        assert row["accuracy_percent"] == pytest.approx(100 * hist.accuracy)
        assert row["learning_rate"] == hist.learning_rate
    assert [row["step"] for row in rows] == [0, 1, 2]
    assert rows[-1]["loss"] == run.final_loss


def test_training_history_accepts_a_train_state_and_rows(run: training.Run) -> None:
    expected = training_history(run)
    assert training_history(run.history) == expected
    assert training_history(list(run.history)) == expected
    assert training_history(tuple(run.history)) == expected
    states = list(training.iterate(nn.mlp(2, [4, 1], seed=3), datasets.moons(20, seed=5), steps=3))
    assert training_history(states[-1]) == expected
    assert training_history(states[0]) == []


def test_training_history_keeps_log_every_steps() -> None:
    logged = fm.train(nn.mlp(2, [3, 1]), datasets.blobs(10, seed=1), steps=5, log_every=2)
    assert [row["step"] for row in training_history(logged)] == [0, 2, 4]
    assert [row["step"] for row in accuracy_history(logged)] == [0, 2, 4]


def test_loss_history_has_three_rows_per_step(run: training.Run) -> None:
    rows = loss_history(run)
    assert_plain(rows, ["step", "metric", "value"])
    assert len(rows) == 3 * len(run.history)
    for k, hist in enumerate(run.history):
        total, data, reg = rows[3 * k : 3 * k + 3]
        assert {r["step"] for r in (total, data, reg)} == {hist.step}
        assert (total["metric"], data["metric"], reg["metric"]) == (
            "total loss",
            "data loss",
            "regularization loss",
        )
        assert (total["value"], data["value"], reg["value"]) == (
            hist.loss,
            hist.data_loss,
            hist.reg_loss,
        )
        assert total["value"] == pytest.approx(data["value"] + reg["value"])


def test_accuracy_history_is_in_percent(run: training.Run) -> None:
    rows = accuracy_history(run)
    assert_plain(rows, ["step", "metric", "value"])
    assert len(rows) == len(run.history)
    for row, hist in zip(rows, run.history):
        assert row["step"] == hist.step
        assert row["metric"] == "accuracy"
        assert row["value"] == pytest.approx(100.0 * hist.accuracy)
        assert 0.0 <= row["value"] <= 100.0
    assert [r["value"] for r in rows] == [r["accuracy_percent"] for r in training_history(run)]


@pytest.mark.parametrize("function", [training_history, loss_history, accuracy_history])
@pytest.mark.parametrize(
    "bad", [None, 3, "history", b"rows", [1, 2], [{"step": 0, "loss": 1.0}], {"history": []}]
)
def test_history_functions_reject_other_things(function: Any, bad: object) -> None:
    with pytest.raises(TypeError, match=function.__name__):
        function(bad)


# -- decision_boundary ---------------------------------------------------------------


GRID_DATASETS = [
    datasets.moons(12, seed=1),
    datasets.spiral(10, seed=2),
    datasets.blobs(8, noise=0.3, seed=3),
    Dataset(xs=[(0, 0), (1, 1)], ys=[-1, 1], metadata={"name": "square"}),
    Dataset(xs=[(0.1, -0.3), (0.7, 0.2)], ys=[1, -1], metadata={"name": "thirds"}),
]


@pytest.mark.parametrize("ds", GRID_DATASETS, ids=lambda ds: ds.metadata["name"])
@pytest.mark.parametrize(
    ("h", "padding"),
    [(0.25, 1.0), (0.1, 0.0), (0.3, 0.5), (1.0, 1.0), (0.7, 2.5), (0.5, 0), (3, 0.1)],
)
def test_decision_boundary_grid_is_numpys_arange(ds: Dataset, h: float, padding: float) -> None:
    rows = decision_boundary(linear(1.0, -1.0, 0.0), ds, h=h, padding=padding)
    x_axis, y_axis = numpy_grid(ds, h, padding)
    assert len(rows) == len(x_axis) * len(y_axis)
    xs = sorted({r["x"] for r in rows})
    ys = sorted({r["y"] for r in rows})
    assert len(xs) == len(x_axis) and len(ys) == len(y_axis)
    assert xs == pytest.approx(list(x_axis), rel=1e-12, abs=1e-12)
    assert ys == pytest.approx(list(y_axis), rel=1e-12, abs=1e-12)


def test_decision_boundary_rows_run_along_x_then_up_y() -> None:
    ds = GRID_DATASETS[3]
    rows = decision_boundary(linear(1.0, 0.0, 0.0), ds, h=0.5, padding=0.5)
    x_axis, y_axis = numpy_grid(ds, 0.5, 0.5)
    xx, yy = np.meshgrid(x_axis, y_axis)  # the demo's Xmesh = c_[xx.ravel(), yy.ravel()]
    assert [r["x"] for r in rows] == pytest.approx(list(xx.ravel()), abs=1e-12)
    assert [r["y"] for r in rows] == pytest.approx(list(yy.ravel()), abs=1e-12)
    assert [r["x"] for r in rows[:4]] == [-0.5, 0.0, 0.5, 1.0]
    assert {r["y"] for r in rows[:4]} == {-0.5}


def test_decision_boundary_defaults_are_the_demos() -> None:
    ds = datasets.moons(10, seed=4)
    rows = decision_boundary(linear(0.5, 0.5, -0.1), ds)
    x_axis, y_axis = numpy_grid(ds, 0.25, 1.0)
    assert len(rows) == len(x_axis) * len(y_axis)


def test_decision_boundary_scores_are_the_models_output() -> None:
    model = nn.mlp(2, [4, 3, 1], seed=7)
    ds = datasets.moons(10, seed=4)
    rows = decision_boundary(model, ds, h=0.6, padding=0.5)
    assert_plain(rows, ["x", "y", "score", "predicted"])
    assert len({r["score"] for r in rows}) > 1
    for row in rows:
        score = model([row["x"], row["y"]])
        assert isinstance(score, fm.Value)
        assert row["score"] == score.data
        assert row["predicted"] == (1.0 if row["score"] > 0 else -1.0)


def test_decision_boundary_predicted_follows_the_sign() -> None:
    # score = x - y: positive below the diagonal, exactly 0 on it (0 -> -1.0)
    ds = GRID_DATASETS[3]
    rows = decision_boundary(linear(1.0, -1.0, 0.0), ds, h=0.5, padding=0.5)
    for row in rows:
        assert row["score"] == row["x"] - row["y"]
        expected = 1.0 if row["x"] > row["y"] else -1.0
        assert row["predicted"] == expected
    assert {r["predicted"] for r in rows} == {-1.0, 1.0}
    assert any(r["score"] == 0.0 and r["predicted"] == -1.0 for r in rows)


def test_decision_boundary_changes_nothing() -> None:
    model = nn.mlp(2, [3, 1], seed=2)
    ds = datasets.blobs(6, seed=0)
    before = (nn.to_json(model), ds.xs, ds.ys)
    decision_boundary(model, ds, h=1.0)
    assert (nn.to_json(model), ds.xs, ds.ys) == before


def test_decision_boundary_zero_span_gives_an_empty_axis_as_numpy() -> None:
    ds = Dataset(xs=[(1.0, 0.0), (1.0, 2.0)], ys=[-1, 1], metadata={"name": "line"})
    assert decision_boundary(linear(1, 1, 0), ds, h=0.5, padding=0.0) == []
    assert len(np.arange(1.0, 1.0, 0.5)) == 0


@settings(max_examples=60, deadline=None)
@given(
    start=st.floats(-1e3, 1e3),
    span=st.floats(0.0, 1e3),
    h=st.floats(1e-3, 1e3),
)
def test_arange_counts_and_values_as_numpy(start: float, span: float, h: float) -> None:
    stop = start + span
    theirs = np.arange(start, stop, h)
    if len(theirs) > 10_000:
        return
    ours = plot_data._arange(start, stop, h)
    assert len(ours) == len(theirs)
    assert ours == pytest.approx(list(theirs), rel=1e-9, abs=1e-9)
    assert all(v == start + i * h for i, v in enumerate(ours))


def test_arange_edge_counts_as_numpy() -> None:
    for start, stop, h in [
        (0.0, 1e-300, 1e300),  # the quotient underflows: numpy still gives one point
        (0.0, 0.0, 0.25),
        (-1.0, 1.0, 0.1),
        (0.0, 0.30000000000000004, 0.1),
        (0.0, 0.3, 0.1),
        (-2.0, 3.0, 0.25),
    ]:
        assert len(plot_data._arange(start, stop, h)) == len(np.arange(start, stop, h))


@settings(max_examples=25, deadline=None)
@given(h=st.floats(0.2, 2.0), padding=st.floats(0.0, 2.0), seed=st.integers(0, 50))
def test_decision_boundary_grid_size_follows_h_and_padding(
    h: float, padding: float, seed: int
) -> None:
    ds = datasets.moons(6, seed=seed)
    rows = decision_boundary(linear(1.0, 1.0, 0.0), ds, h=h, padding=padding)
    x_axis, y_axis = numpy_grid(ds, h, padding)
    assert len(rows) == len(x_axis) * len(y_axis)


@pytest.mark.parametrize("h", [0, 0.0, -0.25, math.nan, math.inf, -math.inf])
def test_decision_boundary_rejects_bad_h(h: float) -> None:
    with pytest.raises(ValueError, match="h"):
        decision_boundary(linear(1, 1, 0), datasets.moons(4), h=h)


@pytest.mark.parametrize("padding", [-1.0, -1e-9, math.nan, math.inf])
def test_decision_boundary_rejects_bad_padding(padding: float) -> None:
    with pytest.raises(ValueError, match="padding"):
        decision_boundary(linear(1, 1, 0), datasets.moons(4), padding=padding)


@pytest.mark.parametrize(
    ("name", "bad"), [("h", "0.25"), ("h", None), ("h", True), ("padding", "1"), ("padding", [1])]
)
def test_decision_boundary_rejects_non_numbers(name: str, bad: object) -> None:
    with pytest.raises(TypeError, match=name):
        decision_boundary(linear(1, 1, 0), datasets.moons(4), **{name: bad})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "model", [nn.neuron(3), nn.mlp(1, [2, 1]), nn.layer(3, 2), nn.mlp(1, [3, 2])]
)
def test_decision_boundary_rejects_models_of_the_wrong_shape(model: nn.Model) -> None:
    with pytest.raises(ValueError, match="decision_boundary: expected a model with"):
        decision_boundary(model, datasets.moons(4), h=1.0)


def test_decision_boundary_accepts_every_model_kind() -> None:
    ds = datasets.moons(4, seed=0)
    for model in (nn.neuron(2), nn.layer(2, 1), nn.mlp(2, [2, 1])):
        assert decision_boundary(model, ds, h=1.0)


def test_decision_boundary_rejects_non_models_and_non_datasets() -> None:
    with pytest.raises(TypeError, match="decision_boundary"):
        decision_boundary(lambda x: x, datasets.moons(4))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="decision_boundary: expected a Dataset"):
        decision_boundary(nn.neuron(2), [(0.0, 0.0)])  # type: ignore[arg-type]


def test_decision_boundary_rejects_bounds_beyond_floats() -> None:
    ds = Dataset(xs=[(-1e308, 0.0), (1e308, 1.0)], ys=[-1, 1], metadata={"name": "huge"})
    with pytest.raises(ValueError, match="not all finite"):
        decision_boundary(linear(1, 1, 0), ds, h=1.0, padding=1e308)
    wide = Dataset(xs=[(-1.5e308, 0.0), (1.5e308, 1.0)], ys=[-1, 1], metadata={"name": "wide"})
    with pytest.raises(ValueError, match="not all finite"):
        decision_boundary(linear(1, 1, 0), wide, h=1.0, padding=0.0)


def test_decision_boundary_rejects_an_empty_dataset() -> None:
    empty = Dataset(xs=[], ys=[], metadata={"name": "empty"})
    with pytest.raises(ValueError, match="the dataset is empty"):
        decision_boundary(linear(1, 1, 0), empty)


# -- multiclass, regression and validation ---------------------------------------------


def test_dataset_points_of_every_task() -> None:
    yy = datasets.yinyang(6)
    rows = dataset_points(yy)
    assert [row["label"] for row in rows] == list(yy.ys) and all(
        type(row["label"]) is int for row in rows
    )
    curve = datasets.sine(4, noise=0.0)
    assert [(r["x"], r["y"], r["label"]) for r in dataset_points(curve)] == [
        (x, y, y) for (x,), y in zip(curve.xs, curve.ys)
    ]
    with pytest.raises(ValueError, match="width 3"):
        dataset_points(datasets.blobs(4, centers=((0, 0, 0), (1, 1, 1))))


def test_decision_boundary_for_k_outputs_gives_class_and_probability() -> None:
    ds = datasets.yinyang(12, seed=3)
    model = nn.mlp(2, [5, 3], seed=2)
    rows = decision_boundary(model, ds, h=0.7, padding=0.5)
    assert_plain(rows, ["x", "y", "predicted", "probability"])
    x_axis, y_axis = numpy_grid(ds, 0.7, 0.5)
    assert len(rows) == len(x_axis) * len(y_axis)
    for row in rows:
        out = nn.forward(model, (row["x"], row["y"]))
        logits = [o.data for o in out]  # type: ignore[union-attr]
        m = max(logits)
        probs = [math.exp(z - m) / math.fsum(math.exp(v - m) for v in logits) for z in logits]
        assert row["predicted"] == logits.index(m) == nn.predict(model, (row["x"], row["y"]))
        assert row["probability"] == pytest.approx(max(probs), rel=1e-12)
        assert 1 / 3 <= row["probability"] <= 1.0


def test_history_functions_with_validation_and_regression() -> None:
    train_part, val_part, _ = datasets.split(datasets.yinyang(30))
    run = fm.train(nn.mlp(2, [4, 3], seed=1), train_part, steps=2, validation=val_part)
    rows = training_history(run)
    assert_plain(rows, [*HISTORY_KEYS, "val_loss", "val_accuracy"])
    assert [r["val_loss"] for r in rows] == [h.val_loss for h in run.history]
    losses = loss_history(run)
    assert len(losses) == 4 * len(run.history)
    assert [r["value"] for r in losses if r["metric"] == "validation loss"] == [
        h.val_loss for h in run.history
    ]
    accuracies = accuracy_history(run)
    assert [r["metric"] for r in accuracies] == ["accuracy", "validation accuracy"] * 2
    fit = fm.train(nn.mlp(1, [3, 1], seed=1), datasets.sine(8), steps=2, learning_rate=0.01)
    assert accuracy_history(fit) == []
    assert [r["accuracy_percent"] for r in training_history(fit)] == [None, None]


def test_prediction_curve_runs_evenly_across_the_data() -> None:
    ds = datasets.sine(9, low=-2.0, high=4.0)
    model = nn.mlp(1, [4, 1], activation="tanh", seed=5)
    rows = prediction_curve(model, ds, points=7)
    assert [row["x"] for row in rows] == pytest.approx([-2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0])
    assert rows[0]["x"] == -2.0 and rows[-1]["x"] == 4.0
    for row in rows:
        assert row["prediction"] == nn.forward(model, (row["x"],)).data  # type: ignore[union-attr]
    assert len(prediction_curve(model, ds)) == 200


@pytest.mark.parametrize(
    ("model", "ds", "points", "error", "message"),
    [
        (nn.mlp(2, [3, 1]), datasets.sine(5), 10, ValueError, "1 input and 1 output"),
        (nn.mlp(1, [3, 2]), datasets.sine(5), 10, ValueError, "1 input and 1 output"),
        (nn.mlp(1, [3, 1]), datasets.moons(5), 10, ValueError, "1-wide inputs"),
        (nn.mlp(1, [3, 1]), datasets.sine(5), 1, ValueError, "points to be an int >= 2"),
        (nn.mlp(1, [3, 1]), datasets.sine(5), 2.5, TypeError, "points"),
        (nn.mlp(1, [3, 1]), [(0.0,)], 10, TypeError, "expected a Dataset"),
        ("model", datasets.sine(5), 10, TypeError, "Neuron, Layer or MLP"),
    ],
)
def test_prediction_curve_bad_input(
    model: Any, ds: Any, points: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=f"prediction_curve: .*{message}"):
        prediction_curve(model, ds, points=points)
