"""Run every script in examples/ as a user would: a fresh process, small arguments.

Each script runs with ``sys.executable`` in a temporary folder (so ``out/``
lands there), importing this checkout of the library. The tests check the
exit code, the progress lines, the files written, and that bad arguments
give argparse's usage message and exit code 2 instead of a traceback.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import functional_micrograd as fm

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
DOT = shutil.which("dot")
QUICK = ("--steps", "3", "--samples", "20")


def run(
    script: str, *args: str, cwd: Path, extra_path: Path | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run examples/<script> with ``args`` in ``cwd``; ``extra_path`` goes first on PYTHONPATH."""
    paths = [str(p) for p in (extra_path, ROOT) if p is not None]
    if os.environ.get("PYTHONPATH"):
        paths.append(os.environ["PYTHONPATH"])
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(paths), **env}
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr


def assert_png(path: Path) -> None:
    import matplotlib.image

    assert path.is_file() and path.stat().st_size > 0, path
    pixels = matplotlib.image.imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] > 100 and pixels.shape[1] > 100
    assert pixels.std() > 0  # not a blank canvas


@pytest.fixture
def matplotlib_blocked(tmp_path: Path) -> Path:
    """A folder that, first on PYTHONPATH, makes ``import matplotlib`` fail."""
    blocker = tmp_path / "no_matplotlib"
    (blocker / "matplotlib").mkdir(parents=True)
    (blocker / "matplotlib" / "__init__.py").write_text(
        'raise ImportError("matplotlib is hidden for this test")\n'
    )
    return blocker


# -- moons_demo.py ------------------------------------------------------------------


def test_moons_demo_prints_progress_and_draws(tmp_path: Path) -> None:
    result = run("moons_demo.py", *QUICK, cwd=tmp_path)
    assert_ok(result)
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "model: MLP(2, [16, 16, 1]), relu hidden layers, a linear output, 337 parameters"
    )
    progress = [line for line in lines if line.startswith("step ")]
    assert [line.split()[:3] for line in progress] == [
        ["step", "0", "loss"],
        ["step", "1", "loss"],
        ["step", "2", "loss"],
    ]
    assert any(line.startswith("final loss ") and "after 3 steps" in line for line in lines)
    picture = tmp_path / "out" / "moons_demo.png"
    if HAVE_MATPLOTLIB:
        assert_png(picture)
    else:
        assert "install matplotlib" in result.stdout
        assert not picture.exists()


def test_moons_demo_without_matplotlib_says_how_to_get_it(
    tmp_path: Path, matplotlib_blocked: Path
) -> None:
    result = run("moons_demo.py", *QUICK, cwd=tmp_path, extra_path=matplotlib_blocked)
    assert_ok(result)
    assert "final loss" in result.stdout
    assert 'pip install -e ".[examples]"' in result.stdout
    assert not (tmp_path / "out" / "moons_demo.png").exists()


# -- trace_graph.py -----------------------------------------------------------------


def test_trace_graph_prints_nodes_and_writes_dot(tmp_path: Path) -> None:
    result = run("trace_graph.py", cwd=tmp_path)
    assert_ok(result)
    # label, op, data and grad of every node of o = tanh(x1*w1 + x2*w2 + b)
    expected = [
        ("x1", "", "2.0000", "-1.5000"),
        ("w1", "", "-3.0000", "1.0000"),
        ("x1*w1", "*", "-6.0000", "0.5000"),
        ("x2", "", "0.0000", "0.5000"),
        ("w2", "", "1.0000", "0.0000"),
        ("x2*w2", "*", "0.0000", "0.5000"),
        ("x1*w1 + x2*w2", "+", "-6.0000", "0.5000"),
        ("b", "", "6.8814", "0.5000"),
        ("n", "+", "0.8814", "0.5000"),
        ("o", "tanh", "0.7071", "1.0000"),
    ]
    for label, op, data, grad in expected:
        row = rf"^{re.escape(label)}\s+{re.escape(op)}\s*{re.escape(data)}\s+{re.escape(grad)}$"
        assert re.search(row, result.stdout, re.MULTILINE), (label, result.stdout)

    dot_file = tmp_path / "out" / "trace_graph.dot"
    text = dot_file.read_text(encoding="utf-8")
    assert text.startswith("digraph")
    for box in ("{ x1 | data 2.0000 | grad -1.5000 }", "{ o | data 0.7071 | grad 1.0000 }"):
        assert box in text
    assert 'label="tanh"' in text

    if DOT is None:
        assert "apt-get install graphviz" in result.stdout
        return
    svg = (tmp_path / "out" / "trace_graph.svg").read_text(encoding="utf-8")
    assert "<svg" in svg
    assert svg.count(">grad ") == len(expected)  # a grad field in every node's box
    assert ">grad &#45;1.5000<" in svg  # Graphviz writes the minus sign as an entity
    parsed = subprocess.run(
        [DOT, "-Tsvg", str(dot_file)], capture_output=True, text=True, timeout=60, check=False
    )
    assert parsed.returncode == 0, parsed.stderr
    assert parsed.stderr == ""  # no warnings either


def test_trace_graph_without_graphviz_says_how_to_get_it(tmp_path: Path) -> None:
    empty = tmp_path / "empty_path"
    empty.mkdir()
    result = run("trace_graph.py", "--out", "pictures", cwd=tmp_path, PATH=str(empty))
    assert_ok(result)
    assert "apt-get install graphviz" in result.stdout
    assert (tmp_path / "pictures" / "trace_graph.dot").is_file()
    assert not (tmp_path / "pictures" / "trace_graph.svg").exists()


# -- spiral.py ----------------------------------------------------------------------


def test_spiral_compares_activations_and_draws(tmp_path: Path) -> None:
    result = run("spiral.py", *QUICK, "--seed", "7", "--out", "pictures", cwd=tmp_path)
    assert_ok(result)
    lines = result.stdout.splitlines()
    for activation in ("tanh", "relu"):
        assert f"{activation} step 0 loss" in result.stdout
        assert f"{activation} step 2 loss" in result.stdout
    header = lines.index(next(line for line in lines if line.startswith("activation")))
    assert header >= 0 and "final loss" in lines[header] and "accuracy" in lines[header]
    table = [line.split() for line in lines[header + 1 : header + 3]]
    assert [row[0] for row in table] == ["tanh", "relu"]
    for row in table:
        assert float(row[1]) >= 0.0 and row[2].endswith("%")
    if HAVE_MATPLOTLIB:
        assert_png(tmp_path / "pictures" / "spiral.png")
    else:
        assert "install matplotlib" in result.stdout


def test_spiral_without_matplotlib_says_how_to_get_it(
    tmp_path: Path, matplotlib_blocked: Path
) -> None:
    result = run("spiral.py", *QUICK, cwd=tmp_path, extra_path=matplotlib_blocked)
    assert_ok(result)
    assert 'pip install -e ".[examples]"' in result.stdout
    assert not (tmp_path / "out" / "spiral.png").exists()


# -- yinyang.py and regression.py --------------------------------------------------------


def test_yinyang_prints_train_and_val_loss_then_test_accuracy(tmp_path: Path) -> None:
    result = run("yinyang.py", *QUICK, "--out", "pictures", cwd=tmp_path)
    assert_ok(result)
    lines = result.stdout.splitlines()
    assert "train / validation / test: 16 / 2 / 2 points" in lines
    progress = [line for line in lines if line.startswith("step ")]
    assert [line.split(",")[0] for line in progress] == ["step 1/3", "step 3/3"]
    for line in progress:
        assert re.fullmatch(r"step \d+/3, train loss [0-9.]+, val loss [0-9.]+", line), line
    assert any(re.fullmatch(r"test loss [0-9.]+, test accuracy [0-9.]+%", line) for line in lines)
    assert any(re.fullmatch(r"trained in [0-9.]+ s", line) for line in lines)
    if HAVE_MATPLOTLIB:
        assert_png(tmp_path / "pictures" / "yinyang.png")
    else:
        assert "install matplotlib" in result.stdout


def test_regression_prints_both_losses_and_draws(tmp_path: Path) -> None:
    result = run("regression.py", *QUICK, cwd=tmp_path)
    assert_ok(result)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Dataset(name='sine', n_samples=20")
    progress = [line for line in lines if line.startswith("step ")]
    assert [line.split()[:2] for line in progress] == [["step", "0"], ["step", "2"]]
    assert all("train mse" in line and "val mse" in line for line in progress)
    assert any(line.startswith("validation mse ") for line in lines)
    if HAVE_MATPLOTLIB:
        assert_png(tmp_path / "out" / "regression.png")


@pytest.mark.parametrize("script", ["yinyang.py", "regression.py"])
def test_new_examples_without_matplotlib_say_how_to_get_it(
    tmp_path: Path, matplotlib_blocked: Path, script: str
) -> None:
    result = run(
        script, "--steps", "1", "--samples", "10", cwd=tmp_path, extra_path=matplotlib_blocked
    )
    assert_ok(result)
    assert 'pip install -e ".[examples]"' in result.stdout
    assert not (tmp_path / "out").exists()


# -- readme_example.py --------------------------------------------------------------


def test_readme_example_prints_the_readme_numbers(tmp_path: Path) -> None:
    result = run("readme_example.py", cwd=tmp_path)
    assert_ok(result)
    assert result.stdout.split() == ["24.7041", "138.8338", "645.5773"]


# -- explorer.py ------------------------------------------------------------------


def test_explorer_writes_the_page_of_the_yinyang_run(tmp_path: Path) -> None:
    result = run("explorer.py", *QUICK, "--point", "4", cwd=tmp_path)
    assert_ok(result)
    lines = result.stdout.splitlines()
    assert lines[0] == "yinyang: 16 training points, 2 validation points, 51 parameters"
    assert re.fullmatch(
        r"step 2 loss \d+\.\d{4}, accuracy \d+\.\d%; "
        r"validation loss \d+\.\d{4}, accuracy \d+\.\d%",
        lines[1],
    )
    assert re.fullmatch(r"point 4: \(.*\), label [012]", lines[2])
    page = tmp_path / "out" / "explorer.html"
    assert lines[3].startswith(f"wrote {Path('out') / 'explorer.html'} (")
    assert lines[3].endswith("4 states); open it in a browser")
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and '"index":4' in text
    assert '"task":"multiclass"' in text and '"classes":[0,1,2]' in text


def load_example(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_explorer_trains_what_yinyang_py_trains() -> None:
    explorer, yinyang = load_example("explorer"), load_example("yinyang")
    model, data, options = explorer.yinyang(30)
    assert options["jit"] is True
    states = list(fm.training.iterate(model, data, steps=4, **options))
    whole = fm.datasets.yinyang(30, seed=1337)
    parts = fm.datasets.split(whole, (0.8, 0.1, 0.1), seed=1337)
    assert (data, options["validation"]) == parts[:2]
    theirs, _ = yinyang.train(parts, 4, 1337)  # eager, the yinyang example's own settings
    assert states[-1].history == theirs.history
    params = [p.data for p in fm.nn.parameters(states[-1].model)]
    assert params == [p.data for p in fm.nn.parameters(theirs.model)]


def test_explorer_shows_the_point_that_stays_wrong_longest(tmp_path: Path) -> None:
    result = run(
        "explorer.py", "--dataset", "moons", "--steps", "12", "--samples", "6", cwd=tmp_path
    )
    assert_ok(result)
    assert result.stdout.splitlines()[0] == "moons: 6 training points, 105 parameters"
    data = fm.datasets.moons(6, noise=0.1)
    states = list(fm.training.iterate(fm.nn.mlp(2, [8, 8, 1], seed=1337), data, steps=12))
    losses = [
        sum(fm.losses.max_margin(states[k].model, [x], [y], alpha=0.0).data_loss.data
            for k in (0, 10))
        for x, y in zip(data.xs, data.ys)
    ]  # fmt: skip
    assert f"point {losses.index(max(losses))}: " in result.stdout


# -- bad arguments ------------------------------------------------------------------

BAD_ARGUMENTS = [
    ("moons_demo.py", ["--steps", "0"]),
    ("moons_demo.py", ["--steps", "x"]),
    ("moons_demo.py", ["--samples", "1"]),
    ("moons_demo.py", ["--noise", "-0.5"]),
    ("moons_demo.py", ["--out", "a_file"]),
    ("spiral.py", ["--steps", "0"]),
    ("spiral.py", ["--steps", "x"]),
    ("spiral.py", ["--samples", "1"]),
    ("spiral.py", ["--seed", "1.5"]),
    ("spiral.py", ["--out", "a_file/below"]),
    ("yinyang.py", ["--steps", "0"]),
    ("yinyang.py", ["--samples", "9"]),
    ("yinyang.py", ["--seed", "x"]),
    ("yinyang.py", ["--out", "a_file"]),
    ("regression.py", ["--steps", "-1"]),
    ("regression.py", ["--samples", "4"]),
    ("regression.py", ["--out", "a_file/below"]),
    ("trace_graph.py", ["--steps", "0"]),
    ("trace_graph.py", ["--steps", "x"]),
    ("trace_graph.py", ["--out", "a_file"]),
    ("explorer.py", ["--steps", "0"]),
    ("explorer.py", ["--samples", "9"]),
    ("explorer.py", ["--dataset", "moons", "--samples", "1"]),
    ("explorer.py", ["--point", "80"]),
    ("explorer.py", ["--dataset", "moons", "--point", "100"]),
    ("explorer.py", ["--point", "-1"]),
    ("explorer.py", ["--dataset", "mnist"]),
    ("explorer.py", ["--out", "a_file"]),
    ("readme_example.py", ["--steps", "0"]),
    ("readme_example.py", ["--steps", "x"]),
]


@pytest.mark.parametrize(
    ("script", "args"), BAD_ARGUMENTS, ids=[f"{s}-{' '.join(a)}" for s, a in BAD_ARGUMENTS]
)
def test_bad_arguments_give_usage_and_exit_2(tmp_path: Path, script: str, args: list[str]) -> None:
    (tmp_path / "a_file").write_text("not a folder\n")
    result = run(script, *args, cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith("usage:"), result.stderr
    assert "error:" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""  # rejected before doing anything
    assert not (tmp_path / "out").exists()
