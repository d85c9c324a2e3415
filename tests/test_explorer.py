"""Tests for fm.explorer: the page's numbers, its bad input, its escaping, and the page itself
in a real browser (Debian's headless Chromium, driven by selenium through its chromedriver).

The numbers are checked against the library computed here, apart from the page
(the loss of each state's model, backward_steps and backward of the point's
loss) and against karpathy's micrograd on the same weights. The browser tests
share one Chromium for the module and a small run.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
import json
import math
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from micrograd.engine import Value as MValue
from pyrsistent import pvector

import functional_micrograd as fm
from functional_micrograd.explorer import _graph, _layout

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
EVIL = "</script><script>alert(1)</script>"


# -- a small run -------------------------------------------------------------------------


class Run(NamedTuple):
    data: fm.datasets.Dataset
    states: list[fm.training.TrainState]


@pytest.fixture(scope="module")
def run() -> Run:
    data = fm.datasets.moons(24, noise=0.1, seed=3)
    model = fm.nn.mlp(2, [4, 4, 1], seed=1)
    return Run(data, list(fm.training.iterate(model, data, steps=6)))


def embedded(text: str) -> dict[str, Any]:
    """The JSON block of a page, with the packed lists unpacked."""
    found = re.findall(
        r'<script type="application/json" id="explorer-data">(.*?)</script>', text, re.S
    )
    assert len(found) == 1
    data: dict[str, Any] = json.loads(found[0])
    for numbers in data["states"]:
        for key in fm.explorer.PACKED:
            numbers[key] = fm.explorer.unpack(numbers[key])
    return data


@pytest.fixture(scope="module")
def page_json(run: Run) -> dict[str, Any]:
    return embedded(fm.explorer.page(run.states, run.data))


@pytest.fixture(scope="module")
def multi() -> Run:
    """Three classes with a validation part: the yin-yang setup, small."""
    train_part, val_part = fm.datasets.split(fm.datasets.yinyang(36, seed=2), (0.75, 0.25))
    model = fm.nn.mlp(2, [4, 3], activation="tanh", seed=3, init="scaled")
    optimizer = fm.optim.adamw(0.1, b2=0.95, weight_decay=1e-4)
    states = fm.training.iterate(
        model, train_part, steps=5, alpha=0.0, optimizer=optimizer, validation=val_part
    )
    return Run(train_part, list(states))


@pytest.fixture(scope="module")
def multi_json(multi: Run) -> dict[str, Any]:
    return embedded(fm.explorer.page(multi.states, multi.data))


def point_loss(model: fm.nn.Model, x: Any, y: Any, task: str = "binary") -> fm.Value:
    """The point's loss as the page means it, built here from the library's loss."""
    loss = fm.losses.cross_entropy if task == "multiclass" else fm.losses.max_margin
    return loss(model, [x], [y], alpha=0.0).data_loss


# -- the numbers -------------------------------------------------------------------------


def test_page_is_in_the_package_and_the_contract() -> None:
    assert "explorer" in fm.__all__
    assert {"page", "save", "show", "page_data"} <= set(fm.explorer.__all__)


def test_history_rows_are_the_runs_and_each_is_the_loss_of_its_states_model(
    run: Run, page_json: dict[str, Any]
) -> None:
    rows = run.states[-1].history
    assert [r["step"] for r in page_json["history"]] == [row.step for row in rows]
    for shown, row in zip(page_json["history"], rows):
        assert shown["loss"] == row.loss and shown["accuracy"] == row.accuracy
        assert shown["data_loss"] == row.data_loss and shown["reg_loss"] == row.reg_loss
        assert shown["val_loss"] is None and shown["val_accuracy"] is None
    for state, numbers in zip(run.states, page_json["states"]):
        assert numbers["step"] == state.step
        if state is run.states[-1]:
            assert numbers["row"] is None  # the last model was never measured
            continue
        row = page_json["history"][numbers["row"]]
        # Independently: the loss of this state's model on all the data.
        again = fm.losses.max_margin(state.model, run.data.xs, run.data.ys)
        assert row["loss"] == again.total_loss.data
        assert row["accuracy"] == again.accuracy


def test_every_state_has_the_libraries_backward_of_the_point(
    run: Run, page_json: dict[str, Any]
) -> None:
    assert_backward_of_the_point(run, page_json)


def assert_backward_of_the_point(run: Run, page_json: dict[str, Any]) -> None:
    """Each state's data, grads and backward_steps of the first point, as the library has them."""
    x, y = run.data.xs[0], run.data.ys[0]
    assert page_json["point"] == {"inputs": list(x), "label": y, "index": 0}
    for state, numbers in zip(run.states, page_json["states"]):
        loss = point_loss(state.model, x, y, run.data.task)
        order = fm.topological_order(loss)
        position = {node.id: i for i, node in enumerate(order)}
        g = fm.backward(loss)
        steps = fm.backward_steps(loss)
        assert numbers["data"] == [node.data for node in order]
        assert numbers["grad"] == [g[node] for node in order]
        assert numbers["params"] == [p.data for p in fm.nn.parameters(state.model)]
        assert page_json["graph"]["edges"] == [
            [position[s.child.id], position[s.parent.id]] for s in steps
        ]
        for key, name in [("upstream", "upstream"), ("local", "local_grad"),
                          ("contribution", "contribution"), ("total", "total")]:  # fmt: skip
            assert numbers[key] == [getattr(s, name) for s in steps], key
        # backward's sums, edge by edge: each parent's last total is its grad
        last = {
            parent: numbers["total"][e] for e, (_, parent) in enumerate(page_json["graph"]["edges"])
        }
        assert all(numbers["grad"][p] == total for p, total in last.items())


def test_weight_grads_match_micrograd_on_the_same_weights(
    run: Run, page_json: dict[str, Any]
) -> None:
    nodes = page_json["graph"]["nodes"]
    (x0, x1), y = run.data.xs[0], run.data.ys[0]
    for state, numbers in zip(run.states[::3], page_json["states"][::3]):
        # micrograd's demo MLP, rebuilt by hand with this state's weights
        params = iter(MValue(p.data) for p in fm.nn.parameters(state.model))
        xs, made = [MValue(x0), MValue(x1)], []
        for layer in state.model.layers:
            outs = []
            for unit in layer.neurons:
                w = [next(params) for _ in unit.w]
                b = next(params)
                made.extend([*w, b])
                act = sum((wi * xi for wi, xi in zip(w, xs)), b)
                outs.append(act.relu() if unit.activation == "relu" else act)
            xs = outs
        loss = (1 + -y * xs[0]).relu() * (1.0 / 1)
        loss.backward()
        shown = [numbers["grad"][i] for i, n in enumerate(nodes) if n["kind"] in ("weight", "bias")]
        assert shown == pytest.approx([p.grad for p in made], rel=1e-12, abs=1e-15)
        assert numbers["data"][-1] == pytest.approx(loss.data, rel=1e-12, abs=1e-15)


def test_nodes_name_their_kind_and_neuron(run: Run, page_json: dict[str, Any]) -> None:
    nodes = page_json["graph"]["nodes"]
    model = run.states[0].model
    params = [n for n in nodes if n["kind"] in ("weight", "bias")]
    assert [n["label"] for n in params] == [p.label for p in fm.nn.parameters(model)]
    assert [n["label"] for n in nodes if n["kind"] == "input"] == ["x0", "x1"]
    for n in params:
        layer, index, weight = n["param"]
        assert n["neuron"] == [layer, index]
        assert n["label"] == f"L{layer}.N{index}." + ("b" if weight < 0 else f"w{weight}")
    # every product and sum of a neuron is that neuron's; the loss's nodes are nobody's
    ops = [n for n in nodes if n["kind"] == "op"]
    per_neuron = 4 * (2 + 2 + 1) + 4 * (4 + 4 + 1) + (4 + 4)  # products, sums, relu
    assert sum(1 for n in ops if n["neuron"] is not None) == per_neuron
    assert [n["op"] for n in ops if n["neuron"] is None] == ["*", "-", "relu", "*"]
    assert nodes[-1]["op"] == "*" and nodes[-1]["neuron"] is None  # mean over one point


def test_rules_come_from_the_table_of_primitives(page_json: dict[str, Any]) -> None:
    rules = page_json["rules"]
    assert set(rules) == {"*", "+", "-", "relu"}
    for op, rule in rules.items():
        assert rule["doc"] == fm.primitives.PRIMITIVES[op].doc
        assert rule["derivative"].startswith("d")
    # every built-in op has its derivative in words, so the table and the page do not drift
    built_in = [name for name, p in fm.primitives.PRIMITIVES.items() if p.on_floats]
    assert sorted(_graph.DERIVATIVES) == sorted(built_in)


def test_layout_puts_every_edge_forward_and_no_two_boxes_together(
    page_json: dict[str, Any],
) -> None:
    nodes = page_json["graph"]["nodes"]
    for child, parent in page_json["graph"]["edges"]:
        assert nodes[parent]["column"] < nodes[child]["column"]
    by_column: dict[int, list[float]] = {}
    for n in nodes:
        by_column.setdefault(n["column"], []).append(n["row"])
    for rows in by_column.values():
        rows.sort()
        assert all(b - a >= 1.0 - 1e-9 for a, b in itertools.pairwise(rows))
    assert {n["column"] for n in nodes if n["kind"] == "input"} == {0}


def test_layout_of_a_chain_and_a_shared_input() -> None:
    # x * x + 1: the constant sits next to the sum, x keeps column 0
    nodes = [
        _layout.Node((), "input"),
        _layout.Node((0, 0), "op"),
        _layout.Node((), "constant"),
        _layout.Node((1, 2), "op"),
    ]
    places = _layout.layout(nodes, [1])
    assert [c for c, _ in places] == [0, 1, 1, 2]


def test_a_generator_of_states_and_another_point(run: Run) -> None:
    data = run.data
    model = run.states[0].model
    from_stream = fm.explorer.page_data(fm.training.iterate(model, data, steps=6), data, point=5)
    assert [s["step"] for s in from_stream["states"]] == list(range(7))
    assert from_stream["point"]["index"] == 5
    chosen = fm.explorer.page_data(run.states[:2], data, point=((0.25, -0.5), -1.0))
    assert chosen["point"] == {"inputs": [0.25, -0.5], "label": -1.0, "index": None}
    loss = point_loss(run.states[1].model, (0.25, -0.5), -1.0)
    assert chosen["states"][1]["grad"] == [fm.backward(loss)[n] for n in fm.topological_order(loss)]


def test_validation_rows_are_carried_when_the_history_has_them(run: Run) -> None:
    states = with_validation(run.states)
    data = fm.explorer.page_data(states, run.data)
    for shown, row in zip(data["history"], states[-1].history):
        assert (shown["val_loss"], shown["val_accuracy"]) == (row.val_loss, row.val_accuracy)


class RowWithValidation(NamedTuple):
    """A stand-in history row with validation numbers, as runs with a validation set keep."""

    step: int
    loss: float
    data_loss: float
    reg_loss: float
    accuracy: float
    learning_rate: float
    val_loss: float
    val_accuracy: float


def with_validation(states: list[fm.training.TrainState]) -> list[fm.training.TrainState]:
    rows = pvector(
        RowWithValidation(
            row.step, row.loss, row.data_loss, row.reg_loss, row.accuracy, row.learning_rate,
            row.loss + 0.125, max(0.0, row.accuracy - 0.25),
        )
        for row in states[-1].history
    )  # fmt: skip
    return [*states[:-1], states[-1].set(history=rows)]


def test_multiclass_history_with_validation_is_the_runs(
    multi: Run, multi_json: dict[str, Any]
) -> None:
    rows = multi.states[-1].history
    assert multi_json["dataset"]["task"] == "multiclass"
    assert multi_json["dataset"]["classes"] == [0, 1, 2]
    assert multi_json["dataset"]["labels"] == list(multi.data.ys)
    assert all(row.val_loss is not None for row in rows)
    for shown, row in zip(multi_json["history"], rows, strict=True):
        assert (shown["loss"], shown["accuracy"]) == (row.loss, row.accuracy)
        assert (shown["val_loss"], shown["val_accuracy"]) == (row.val_loss, row.val_accuracy)
    for state, numbers in zip(multi.states[:-1], multi_json["states"]):
        row = multi_json["history"][numbers["row"]]
        again = fm.losses.cross_entropy(state.model, multi.data.xs, multi.data.ys)
        assert (row["loss"], row["accuracy"]) == (again.total_loss.data, again.accuracy)


def test_multiclass_states_have_the_libraries_cross_entropy_backward(
    multi: Run, multi_json: dict[str, Any]
) -> None:
    assert_backward_of_the_point(multi, multi_json)
    assert multi_json["loss"].startswith("cross_entropy's data term")


def test_multiclass_logits_and_their_differences_are_named(
    multi: Run, multi_json: dict[str, Any]
) -> None:
    nodes = multi_json["graph"]["nodes"]
    y = multi.data.ys[0]
    named = {n["name"]: n for n in nodes if n["name"] is not None}
    assert sorted(named) == sorted([f"z{k}" for k in range(3)] + [f"z{k} - z{y}" for k in range(3)])
    for k in range(3):
        assert named[f"z{k}"]["neuron"] == [1, k]  # the logit is the output of neuron k
        assert named[f"z{k} - z{y}"]["neuron"] is None  # the differences are the loss's
    loss = point_loss(multi.states[0].model, multi.data.xs[0], y, "multiclass")
    order = fm.topological_order(loss)
    (lse,) = [i for i, n in enumerate(order) if n.op == "logsumexp"]
    assert [nodes[p]["name"] for c, p in multi_json["graph"]["edges"] if c == lse] == [
        f"z{k} - z{y}" for k in range(3)
    ]
    assert multi_json["rules"]["logsumexp"]["doc"] == fm.primitives.PRIMITIVES["logsumexp"].doc


def test_multiclass_point_labels_are_classes(multi: Run) -> None:
    chosen = fm.explorer.page_data(multi.states[:1], multi.data, point=((0.5, -0.5), 2))
    assert chosen["point"] == {"inputs": [0.5, -0.5], "label": 2, "index": None}
    for bad in (3, -1, 1.5, True, "1"):
        with pytest.raises(ValueError, match=r"label to be one of 0, 1, 2, got"):
            fm.explorer.page(multi.states[:1], multi.data, point=((0.5, -0.5), bad))


# -- bad input ---------------------------------------------------------------------------


def test_no_states(run: Run) -> None:
    with pytest.raises(ValueError, match=r"non-empty sequence of TrainStates.*got none"):
        fm.explorer.page([], run.data)
    with pytest.raises(ValueError, match="non-empty"):
        fm.explorer.page(iter(()), run.data)
    with pytest.raises(TypeError, match=r"expected states to be a sequence.*got TrainState"):
        fm.explorer.page(run.states[0], run.data)
    with pytest.raises(TypeError, match=r"states\[1\] to be a TrainState, got 3 \(int\)"):
        fm.explorer.page([run.states[0], 3], run.data)


def test_states_of_different_architectures(run: Run) -> None:
    other = fm.training.initial_state(fm.nn.mlp(2, [3, 1], seed=0))
    with pytest.raises(ValueError, match=r"states\[2\] with 2 inputs, layers of 3 relu, 1 linear"):
        fm.explorer.page([*run.states[:2], other], run.data)
    tanh = fm.training.initial_state(fm.nn.mlp(2, [4, 4, 1], activation="tanh", seed=1))
    with pytest.raises(ValueError, match="architecture of states"):
        fm.explorer.page([run.states[0], tanh], run.data)


def test_a_dataset_that_does_not_fit(run: Run) -> None:
    wide = [fm.training.initial_state(fm.nn.mlp(3, [2, 1], seed=0))]
    with pytest.raises(ValueError, match="takes 3 inputs but the dataset's points have 2"):
        fm.explorer.page(wide, run.data)
    two_out = [fm.training.initial_state(fm.nn.mlp(2, [2, 2], seed=0))]
    with pytest.raises(ValueError, match=r"needs a model with one output .*got a model with 2"):
        fm.explorer.page(two_out, run.data)
    with pytest.raises(TypeError, match=r"expected dataset to be a Dataset.*\(list\)"):
        fm.explorer.page(run.states, [[0.0, 1.0]])
    blob = fm.datasets.blobs(12, centers=((0.0, 0.0, 0.0), (1.0, 1.0, 1.0)), seed=0)
    with pytest.raises(ValueError, match="takes 2 inputs but the dataset's points have 3"):
        fm.explorer.page(run.states, blob)
    in_space = [fm.training.initial_state(fm.nn.mlp(3, [2, 1], seed=0))]
    with pytest.raises(ValueError, match=r"points in the plane \(2 coordinates\).*got 3"):
        fm.explorer.page(in_space, blob)
    empty = fm.datasets.Dataset(xs=[], ys=[], metadata={"name": "none"})
    with pytest.raises(ValueError, match="the dataset is empty"):
        fm.explorer.page(run.states, empty)


def test_regression_runs_are_refused(run: Run) -> None:
    line = fm.datasets.sine(12, seed=0)
    states = list(fm.training.iterate(fm.nn.mlp(1, [3, 1], seed=0), line, steps=1))
    refusal = (
        r"expected a dataset of classes \(task 'binary' or 'multiclass': the page draws "
        r"decision regions\), got one of task 'regression'; the explorer does not draw"
    )
    with pytest.raises(ValueError, match=refusal):
        fm.explorer.page(states, line)
    plane = fm.datasets.Dataset(
        xs=run.data.xs, ys=[0.5 * x for x, _ in run.data.xs], task="regression",
        metadata={"name": "plane"},
    )  # fmt: skip
    with pytest.raises(ValueError, match=refusal):
        fm.explorer.page(run.states, plane)  # two coordinates, but nothing to shade


def test_a_multiclass_dataset_needs_one_output_per_class(run: Run, multi: Run) -> None:
    with pytest.raises(ValueError, match=r"3 classes needs a model with 3 outputs .*with 1"):
        fm.explorer.page(run.states, multi.data)
    with pytest.raises(ValueError, match=r"binary dataset needs a model with one output .*with 3"):
        fm.explorer.page(multi.states, run.data)


def test_a_point_that_does_not_fit(run: Run) -> None:
    with pytest.raises(ValueError, match=r"2 coordinates, as the model takes 2 inputs, got 3"):
        fm.explorer.page(run.states, run.data, point=((1.0, 2.0, 3.0), 1.0))
    with pytest.raises(ValueError, match="index from 0 to 23, got 24"):
        fm.explorer.page(run.states, run.data, point=24)
    with pytest.raises(TypeError, match=r"\(inputs, label\) pair.*got \(1.0, 2.0, 3.0\)"):
        fm.explorer.page(run.states, run.data, point=(1.0, 2.0, 3.0))
    with pytest.raises(TypeError, match="got True"):
        fm.explorer.page(run.states, run.data, point=True)
    with pytest.raises(ValueError, match=r"label to be one of -1.0, 1.0, got 0.5"):
        fm.explorer.page(run.states, run.data, point=((1.0, 2.0), 0.5))
    with pytest.raises(TypeError, match="point coordinate 1"):
        fm.explorer.page(run.states, run.data, point=((1.0, "2"), 1.0))


def test_save_and_show_check_their_arguments(run: Run, tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"path to be a str or a path, got 3 \(int\)"):
        fm.explorer.save(3, run.states, run.data)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="height to be an int >= 100"):
        fm.explorer.show(run.states, run.data, height=10)
    written = fm.explorer.save(tmp_path / "page.html", run.states, run.data)
    assert written == str(tmp_path / "page.html")
    assert Path(written).read_text(encoding="utf-8") == fm.explorer.page(run.states, run.data)


def test_show_embeds_the_whole_page_in_a_sandboxed_frame(run: Run) -> None:
    shown = fm.explorer.show(run.states[:2], run.data, height=700)
    frame = shown._repr_html_()
    assert frame.startswith('<iframe sandbox="allow-scripts" width="100%" height="700"')
    srcdoc = re.fullmatch(r'.*srcdoc="([^"]*)".*', frame, re.S)
    assert srcdoc is not None and html.unescape(srcdoc.group(1)) == shown.html
    assert shown.html == fm.explorer.page(run.states[:2], run.data)


# -- escaping and the page's own rules -----------------------------------------------------


def evil_run() -> tuple[list[fm.training.TrainState], fm.datasets.Dataset]:
    data = fm.datasets.Dataset(
        xs=[(0.0, 0.5), (1.0, -0.5), (0.5, 0.0)], ys=[-1.0, 1.0, 1.0], metadata={"name": EVIL}
    )
    model = fm.nn.neuron(2, activation="linear", seed=0)
    weights = [fm.Value(p.data, label=EVIL if i == 0 else p.label)
               for i, p in enumerate(fm.nn.parameters(model))]  # fmt: skip
    model = fm.nn.with_parameters(model, weights)
    return list(fm.training.iterate(model, data, steps=2)), data


def test_labels_are_escaped_and_come_back_as_text() -> None:
    states, data = evil_run()
    text = fm.explorer.page(states, data)
    assert EVIL not in text
    assert text.count("<script") == 2 and text.count("</script>") == 2
    assert "<title>explorer: &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>" in text
    json_part = text.split('id="explorer-data">', 1)[1].split("</script>", 1)[0]
    assert not set("<>&") & set(json_part)
    decoded = embedded(text)
    assert decoded["dataset"]["name"] == EVIL
    first_weight = next(n for n in decoded["graph"]["nodes"] if n["param"] == [0, 0, 0])
    assert first_weight["label"] == EVIL


def test_script_json_round_trips_every_character() -> None:
    text = "".join(map(chr, range(1, 0x2100, 7))) + "<>&\u2028\u2029'\"\\"
    assert json.loads(fm.explorer.script_json({"t": text})) == {"t": text}
    assert not set("<>&") & set(fm.explorer.script_json({"t": text}))


def test_policy_allows_only_the_pages_own_script_and_style(run: Run) -> None:
    text = fm.explorer.page(run.states[:1], run.data)
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', text)
    assert policy is not None
    rules = dict(part.strip().split(" ", 1) for part in policy.group(1).split(";"))
    assert rules["default-src"] == "'none'"
    script = text.rsplit("<script>", 1)[1].split("</script>", 1)[0]
    style = text.split("<style>", 1)[1].split("</style>", 1)[0]

    def digest(s: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"

    assert rules["script-src"] == digest(script)
    assert rules["style-src"] == digest(style)
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", text)  # the SVG namespace only


def test_size_grows_with_the_states_not_faster(run: Run) -> None:
    one = len(fm.explorer.page(run.states[:1], run.data))
    seven = len(fm.explorer.page(run.states, run.data))
    per_state = (seven - one) / 6
    graph = fm.explorer.page_data(run.states[:1], run.data)["graph"]
    nodes, edges = len(graph["nodes"]), len(graph["edges"])
    params = fm.nn.parameter_count(run.states[0].model)
    # 8 bytes a number, base64: 4/3 of that; a few bytes of JSON per list, and a history row
    assert per_state <= (2 * nodes + 4 * edges + params) * 8 * 4 / 3 + 400


# -- in the browser ------------------------------------------------------------------------


class Browser(NamedTuple):
    driver: Any
    folder: Path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the module: Debian's, never a downloaded one."""
    assert CHROMIUM.exists() and CHROMEDRIVER.exists(), (
        "the browser tests need Debian's chromium and chromium-driver: "
        "apt-get install chromium chromium-driver"
    )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    folder = Path(tempfile.mkdtemp(prefix="explorer-test-"))
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--window-size=1400,1000", f"--user-data-dir={folder / 'profile'}",
    ):  # fmt: skip
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield Browser(driver, folder)
    finally:
        driver.quit()
        shutil.rmtree(folder, ignore_errors=True)


def open_page(browser: Browser, name: str, text: str) -> str:
    """Save the page, open it from disk, wait until it has drawn; its file URL."""
    from selenium.webdriver.support.ui import WebDriverWait

    path = browser.folder / name
    path.write_text(text, encoding="utf-8")
    driver = browser.driver
    driver.get_log("browser"), driver.get_log("performance")  # drop what came before
    driver.get(path.as_uri())
    WebDriverWait(driver, 10).until(
        lambda d: d.execute_script("return document.body.dataset.ready") == "true"
    )
    return path.as_uri()


def shown(browser: Browser, element_id: str) -> float:
    """The exact number an element shows (kept on it as data-value)."""
    value = browser.driver.execute_script(
        f"return document.getElementById({element_id!r}).dataset.value"
    )
    assert value is not None, element_id
    return float(value)


def text_of(browser: Browser, element_id: str) -> str:
    return str(browser.driver.execute_script(
        f"return document.getElementById({element_id!r}).textContent"
    ))  # fmt: skip


def click(browser: Browser, element_id: str) -> None:
    browser.driver.find_element("id", element_id).click()


@pytest.fixture(scope="module")
def loaded(browser: Browser, run: Run) -> str:
    return open_page(browser, "run.html", fm.explorer.page(run.states, run.data))


def test_page_loads_with_no_console_error_and_no_request(browser: Browser, loaded: str) -> None:
    assert_quiet(browser, loaded)


def assert_quiet(browser: Browser, loaded: str) -> None:
    """Since the page at ``loaded`` was opened: no console error or warning, no request."""
    driver = browser.driver
    assert [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")] == []
    assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0
    sent = [json.loads(e["message"])["message"] for e in driver.get_log("performance")]
    urls = [
        m["params"]["request"]["url"]
        for m in sent
        if m["method"] == "Network.requestWillBeSent"
        and m["params"].get("documentURL", "").startswith(loaded)
    ]
    assert urls == [loaded]  # the document itself, from disk, and nothing else


def test_slider_shows_the_step_and_the_historys_loss(
    browser: Browser, loaded: str, run: Run
) -> None:
    from selenium.webdriver.common.keys import Keys

    click(browser, "reset")
    slider = browser.driver.find_element("id", "slider")
    slider.send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    assert text_of(browser, "step-shown") == "3"
    row = run.states[-1].history[3]
    assert shown(browser, "loss") == row.loss
    assert float(text_of(browser, "loss")) == pytest.approx(row.loss, rel=1e-3)
    assert shown(browser, "accuracy") == row.accuracy
    slider.send_keys(Keys.END)
    assert text_of(browser, "step-shown") == "6"
    assert text_of(browser, "loss") == "not measured"


def test_step_and_play_advance(browser: Browser, loaded: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    click(browser, "reset")
    click(browser, "step")
    assert text_of(browser, "step-shown") == "1"
    click(browser, "play")
    WebDriverWait(browser.driver, 5).until(lambda d: int(text_of(browser, "step-shown")) >= 3)
    WebDriverWait(browser.driver, 5).until(lambda d: text_of(browser, "play") == "\u25b6 play")
    assert text_of(browser, "step-shown") == "6"  # played to the end, then stopped


def test_backward_player_shows_backward_steps_edge_by_edge(
    browser: Browser, loaded: str, run: Run
) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    click(browser, "reset")
    click(browser, "step")  # the model after one step
    loss = point_loss(run.states[1].model, run.data.xs[0], run.data.ys[0])
    steps = fm.backward_steps(loss)
    click(browser, "bw-start")
    assert text_of(browser, "bw-position") == "0"
    for _ in range(5):
        click(browser, "bw-next")
    known = steps[4]
    assert text_of(browser, "bw-position") == "5"
    assert shown(browser, "bw-upstream") == known.upstream
    assert shown(browser, "bw-local") == known.local_grad
    assert shown(browser, "bw-contribution") == known.contribution
    assert shown(browser, "bw-total") == known.total
    assert float(text_of(browser, "bw-contribution")) == pytest.approx(known.contribution, rel=1e-3)
    click(browser, "bw-back")
    assert shown(browser, "bw-contribution") == steps[3].contribution
    click(browser, "bw-play")
    WebDriverWait(browser.driver, 10).until(lambda d: int(text_of(browser, "bw-position")) >= 8)
    click(browser, "bw-play")  # pause
    at = int(text_of(browser, "bw-position"))
    assert shown(browser, "bw-total") == steps[at - 1].total
    assert shown(browser, "bw-upstream") == steps[at - 1].upstream


def test_clicking_a_node_shows_its_grad_as_the_sum_over_its_children(
    browser: Browser, loaded: str, run: Run, page_json: dict[str, Any]
) -> None:
    click(browser, "reset")
    nodes = page_json["graph"]["nodes"]
    first_input = next(i for i, n in enumerate(nodes) if n["kind"] == "input")
    browser.driver.execute_script(
        "document.querySelectorAll('#graph .node')[arguments[0]]"
        ".dispatchEvent(new MouseEvent('click', {bubbles: true}))",
        first_input,
    )
    loss = point_loss(run.states[0].model, run.data.xs[0], run.data.ys[0])
    x0 = next(n for n in fm.topological_order(loss) if n.label == "x0")
    assert shown(browser, "node-grad") == fm.backward(loss)[x0]
    rows = browser.driver.execute_script(
        "return [...document.querySelectorAll('#node-info tr')].slice(1).map("
        "r => [...r.querySelectorAll('.num')].map(e => Number(e.dataset.value)))"
    )
    into_x0 = [s for s in fm.backward_steps(loss) if s.parent == x0]
    assert rows == [[s.upstream, s.local_grad, s.contribution, s.total] for s in into_x0]
    assert len(rows) == 4  # x0 feeds one product in each of the 4 first-layer neurons


def test_shading_forward_pass_matches_the_library(
    browser: Browser, loaded: str, run: Run, page_json: dict[str, Any]
) -> None:
    grid = [(-1.5 + 0.37 * i, -1.0 + 0.29 * j) for i in range(10) for j in range(8)]
    multi = fm.nn.mlp(2, [5, 3], activation="tanh", seed=4)  # three outputs: logits
    gate = fm.nn.mlp(2, [3, 2, 1], activation="sigmoid", seed=5)
    cases = [(s.model, n["params"]) for s, n in zip(run.states[::3], page_json["states"][::3])]
    cases += [(m, [p.data for p in fm.nn.parameters(m)]) for m in (multi, gate)]
    for model, params in cases:
        layers = [[n.activation for n in layer.neurons] for layer in model.layers]
        js = browser.driver.execute_script(
            "const f = window.fmExplorer;"
            "return arguments[2].map(x => { const o = f.forward(arguments[0], arguments[1], x);"
            " return [o, f.region(o)]; })",
            layers, params, grid,
        )  # fmt: skip
        for (x, y), (outputs, region) in zip(grid, js):
            out = fm.nn.forward(model, (x, y))
            expected = [out.data] if isinstance(out, fm.Value) else [o.data for o in out]
            assert outputs == pytest.approx(expected, rel=1e-12, abs=1e-14)
            if len(expected) == 1:
                assert region["cls"] == (1 if expected[0] > 0 else 0)
            else:
                best = max(range(len(expected)), key=lambda k: expected[k])
                z = sum(math.exp(v - expected[best]) for v in expected)
                assert region["cls"] == best
                assert region["probability"] == pytest.approx(1 / z, rel=1e-12)


def test_screenshot_is_not_blank(browser: Browser, loaded: str) -> None:
    assert_not_blank(browser)


def assert_not_blank(browser: Browser) -> None:
    import matplotlib.image

    pixels = matplotlib.image.imread(io.BytesIO(browser.driver.get_screenshot_as_png()))
    assert pixels.shape[0] >= 600 and pixels.shape[1] >= 1000
    assert pixels.std() > 0.05
    colours = {tuple(p) for p in pixels[::7, ::7, :3].reshape(-1, 3).round(2).tolist()}
    assert len(colours) > 100  # regions, points, curves and boxes, not one flat colour


def test_escaped_labels_show_as_text_and_run_nothing(browser: Browser) -> None:
    states, data = evil_run()
    open_page(browser, "evil.html", fm.explorer.page(states, data))
    driver = browser.driver
    assert text_of(browser, "dataset-name") == "\u00b7 " + EVIL
    assert driver.title == "explorer: " + EVIL
    assert driver.execute_script("return document.scripts.length") == 2
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
    titles = driver.execute_script(
        "return [...document.querySelectorAll('#graph .node title')].map(t => t.textContent)"
    )
    assert any(t.startswith(EVIL) for t in titles)


def test_validation_numbers_show_when_the_history_has_them(browser: Browser, run: Run) -> None:
    from selenium.webdriver.common.keys import Keys

    states = with_validation(run.states)
    open_page(browser, "validation.html", fm.explorer.page(states, run.data))
    browser.driver.find_element("id", "slider").send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    row = states[-1].history[2]
    assert shown(browser, "val-loss") == row.val_loss
    assert shown(browser, "val-accuracy") == row.val_accuracy
    assert [e for e in browser.driver.get_log("browser") if e["level"] == "SEVERE"] == []


# -- a multi-class page in the browser ------------------------------------------------------


def test_multiclass_page_in_the_browser(
    browser: Browser, multi: Run, multi_json: dict[str, Any]
) -> None:
    """Three classes with validation: slider, losses, class regions, backward player."""
    from selenium.webdriver.common.keys import Keys

    url = open_page(browser, "multi.html", fm.explorer.page(multi.states, multi.data))
    assert_quiet(browser, url)  # drawing three classes and the validation curves: no error
    driver = browser.driver
    slider = driver.find_element("id", "slider")
    slider.send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    assert text_of(browser, "step-shown") == "2"
    row = multi.states[-1].history[2]
    assert shown(browser, "loss") == row.loss and shown(browser, "accuracy") == row.accuracy
    assert shown(browser, "val-loss") == row.val_loss
    assert shown(browser, "val-accuracy") == row.val_accuracy
    # two curves a panel: training and validation
    assert driver.execute_script("return document.querySelectorAll('#curves path').length") == 4
    key = driver.execute_script(
        "return [...document.querySelectorAll('#class-key span')].map(s => s.dataset.label)"
    )
    assert key == ["0", "1", "2"]

    # The regions: away from the dots, each place has the colour of the class the
    # library's model picks there (red, blue and green: each one's strongest channel).
    model = multi.states[2].model
    picked = driver.execute_script(
        """
        const c = document.getElementById('regions'), f = window.fmExplorer.data;
        const [x0, x1, y0, y1] = f.dataset.bounds;
        const s = Math.min(c.width / (x1 - x0), c.height / (y1 - y0));
        const image = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, out = [];
        for (let px = 10; px < c.width; px += 24) for (let py = 10; py < c.height; py += 24) {
          const x = (x0 + x1) / 2 + (px - c.width / 2) / s;
          const y = (y0 + y1) / 2 - (py - c.height / 2) / s;
          const near = f.dataset.points.some(p => Math.hypot((p[0] - x) * s, (p[1] - y) * s) < 14);
          const far = Math.hypot((f.point.inputs[0] - x) * s, (f.point.inputs[1] - y) * s) > 16;
          const at = 4 * (py * c.width + px), rgb = [...image.slice(at, at + 3)];
          if (!near && far && Math.abs(px - c.width / 2 + ((x0 + x1) / 2) * s) > 3
              && Math.abs(py - c.height / 2 - ((y0 + y1) / 2) * s) > 3) out.push([x, y, rgb]);
        }
        return out;
        """
    )
    assert len(picked) > 150
    channel = {0: 0, 1: 2, 2: 1}  # class 0 red, 1 blue, 2 green
    seen = set()
    for x, y, rgb in picked:
        logits = [z.data for z in fm.nn.forward(model, (x, y))]
        cls = max(range(3), key=lambda k: logits[k])
        seen.add(cls)
        assert max(range(3), key=lambda k: rgb[k]) == channel[cls], (x, y, rgb, logits)
    assert seen == {0, 1, 2}

    # The backward player at this step: a known edge, into the logsumexp of the loss.
    x, y = multi.data.xs[0], multi.data.ys[0]
    steps = fm.backward_steps(point_loss(model, x, y, "multiclass"))
    known = next(k for k, s in enumerate(steps) if s.child.op == "logsumexp")
    click(browser, "bw-start")
    for _ in range(known + 1):
        click(browser, "bw-next")
    assert text_of(browser, "bw-position") == str(known + 1)
    assert shown(browser, "bw-upstream") == steps[known].upstream
    assert shown(browser, "bw-local") == steps[known].local_grad
    assert shown(browser, "bw-contribution") == steps[known].contribution
    assert shown(browser, "bw-total") == steps[known].total
    assert f"from logsumexp in the loss back to its input z0 - z{y}" in text_of(browser, "bw-text")

    # Zoomed out to the whole graph it reads per neuron: one band each (and one for the
    # loss), labelled with its output's data and grad. A page opens with all of
    # backward applied, on the whole graph.
    open_page(browser, "multi.html", fm.explorer.page(multi.states, multi.data))
    driver.find_element("id", "slider").send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    assert driver.execute_script(
        "return document.getElementById('graph').classList.contains('far')"
    )
    labels = driver.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('#graph .group-label')].map("
        "g => [g.dataset.key, [...g.querySelectorAll('text')].map(t => t.textContent)]))"
    )
    neurons = [f"L0.N{j}" for j in range(4)] + [f"L1.N{k}" for k in range(3)]
    assert sorted(labels) == sorted([*neurons, "loss"])
    loss = point_loss(model, x, y, "multiclass")
    order, grads = fm.topological_order(loss), fm.backward(loss)
    names = [n["name"] for n in multi_json["graph"]["nodes"]]
    for k in range(3):
        z = order[names.index(f"z{k}")]
        expected = driver.execute_script(
            "const f = window.fmExplorer.fmt; return `z${arguments[0]} ${f(arguments[1])}, "
            "grad ${f(arguments[2])}`",
            k, z.data, grads[z],
        )  # fmt: skip
        assert labels[f"L1.N{k}"] == [f"L1.N{k} linear", expected]
    assert labels["L0.N0"][0] == "L0.N0 tanh"
    assert labels["loss"][1] == driver.execute_script(
        "return `${window.fmExplorer.fmt(arguments[0])}, grad 1`", loss.data
    )
    assert_not_blank(browser)
    assert [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")] == []
