"""Tests for what a user gets: the built sdist and wheel, ``python -m functional_micrograd``,
``python -m benchmarks``'s command line, the README as PyPI shows it and the changelog.

The sdist and the wheel are built once (``python -m build``, as a release is) from a copy
of the source tree, so the build's files never land in the tree itself.
"""

from __future__ import annotations

import email
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import pytest

import functional_micrograd as fm

ROOT = Path(__file__).resolve().parent.parent
NAME = f"functional_micrograd-{fm.__version__}"
SHIPPED_FOLDERS = ("functional_micrograd", "docs", "examples", "benchmarks", "tests")
# What a source tree holds that is not source: left out of the copy that is built.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "out", "*.egg-info", "__pycache__", "*.py[cod]",
    ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis", ".ipynb_checkpoints",
)  # fmt: skip


def run(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``python args...`` in ``cwd``; never raise on a non-zero exit."""
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


# -- the sdist and the wheel --------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    tree: Path  # the copy of the source tree that was built
    sdist: Path
    wheel: Path
    log: str  # everything the build printed

    def sdist_files(self) -> set[str]:
        """The sdist's file names, relative to its top folder."""
        with tarfile.open(self.sdist) as archive:
            names = [m.name for m in archive.getmembers() if m.isfile()]
        assert all(name.startswith(f"{NAME}/") for name in names), names
        return {name.removeprefix(f"{NAME}/") for name in names}

    def wheel_files(self) -> set[str]:
        with zipfile.ZipFile(self.wheel) as archive:
            return {name for name in archive.namelist() if not name.endswith("/")}

    def wheel_metadata(self) -> Message:
        with zipfile.ZipFile(self.wheel) as archive:
            text = archive.read(f"{NAME}.dist-info/METADATA").decode("utf-8")
        return email.message_from_string(text)

    def source_files(self, folder: str) -> set[str]:
        """The files of one folder of the source tree, as paths relative to the tree."""
        base = self.tree / folder
        return {p.relative_to(self.tree).as_posix() for p in base.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Build the sdist, then the wheel from it, as ``python -m build`` does for a release."""
    tree = tmp_path_factory.mktemp("build") / "source"
    shutil.copytree(ROOT, tree, ignore=NOT_SOURCE)
    # The package that the tests import: this checkout's, or where an unpacked sdist is
    # tested against its installed package (as CI does), the installed files.
    shutil.rmtree(tree / "functional_micrograd", ignore_errors=True)
    shutil.copytree(Path(fm.__file__).parent, tree / "functional_micrograd", ignore=NOT_SOURCE)
    done = run("-m", "build", "--outdir", str(tree / "dist"), str(tree), cwd=tree, timeout=600)
    log = done.stdout + done.stderr
    assert done.returncode == 0, log
    (sdist,) = (tree / "dist").glob("*.tar.gz")
    (wheel,) = (tree / "dist").glob("*.whl")
    return Built(tree, sdist, wheel, log)


def test_sdist_holds_docs_examples_benchmarks_tests_and_the_project_files(built: Built) -> None:
    files = built.sdist_files()
    for name in (
        "LICENSE",
        "CHANGELOG.md",
        "README.md",
        "pyproject.toml",
        "functional_micrograd/py.typed",
        "functional_micrograd/__main__.py",
        "docs/api_reference.md",
        "docs/images/decision_boundary.png",
        "examples/moons_demo.py",
        "examples/demo.ipynb",
        "benchmarks/__main__.py",
        "tests/test_packaging.py",
    ):
        assert name in files, f"{name} is not in the sdist"
    for folder in SHIPPED_FOLDERS:  # every file of these folders, not only the ones named
        missing = built.source_files(folder) - files
        assert not missing, f"not in the sdist: {sorted(missing)}"
    assert not [name for name in files if name.endswith((".pyc", ".pyo"))]


def test_wheel_ships_py_typed_and_every_file_of_the_package(built: Built) -> None:
    files = built.wheel_files()
    assert "functional_micrograd/py.typed" in files
    package = built.source_files("functional_micrograd")  # sub-packages and data too
    assert package <= files, f"not in the wheel: {sorted(package - files)}"
    # Only the library is installed: no tests/, docs/ or benchmarks/ package in site-packages.
    assert {name.split("/")[0] for name in files} == {"functional_micrograd", f"{NAME}.dist-info"}


def test_wheel_metadata_has_an_spdx_licence_and_the_package_version(built: Built) -> None:
    metadata = built.wheel_metadata()
    assert metadata["Version"] == fm.__version__
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert f"{NAME}.dist-info/licenses/LICENSE" in built.wheel_files()
    assert metadata["License"] is None  # the old free-text field
    classifiers = metadata.get_all("Classifier") or []
    assert not [c for c in classifiers if c.startswith("License ::")], classifiers
    assert "Typing :: Typed" in classifiers
    assert metadata["Requires-Python"] == ">=3.10"
    runtime = [r for r in metadata.get_all("Requires-Dist") or [] if ";" not in r]
    assert runtime == ["pyrsistent>=0.19", "toolz>=0.12"]
    description = metadata.get_payload()
    assert isinstance(description, str)
    assert description.startswith("# functional_micrograd\n")  # PyPI shows the README


def test_build_prints_no_deprecation_warning(built: Built) -> None:
    assert "Successfully built" in built.log
    flagged = [line for line in built.log.splitlines() if re.search(r"deprecat", line, re.I)]
    assert not flagged, "\n".join(flagged)


def test_mypy_reads_the_types_of_the_installed_wheel(built: Built, tmp_path: Path) -> None:
    site = tmp_path / "site"  # the wheel unpacked is what pip installs
    with zipfile.ZipFile(built.wheel) as archive:
        archive.extractall(site)
    user = tmp_path / "user"
    user.mkdir()
    (user / "use.py").write_text(
        "import functional_micrograd as fm\n\n"
        "x = fm.Value(2.0)\n"
        "y: float = (x * x).data\n"
        "wrong: str = fm.backward(x * x)[x]\n",
        encoding="utf-8",
    )
    command = [
        sys.executable, "-m", "mypy", "--strict", "--no-incremental",
        "--cache-dir", str(tmp_path / "cache"), "use.py",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run(command, cwd=user, env=env, capture_output=True, text=True, timeout=300)
    # One error, on the line that is wrong: mypy knows what the library returns.
    assert done.returncode == 1, done.stdout + done.stderr
    assert "use.py:5: error: Incompatible types in assignment" in done.stdout, done.stdout
    assert 'expression has type "float", variable has type "str"' in done.stdout
    assert "Found 1 error in 1 file" in done.stdout
    assert "py.typed" not in done.stdout  # "missing library stubs or py.typed marker"


# -- python -m functional_micrograd -------------------------------------------------------


def test_main_runs_the_moons_demo_and_prints_the_version_first(tmp_path: Path) -> None:
    done = run("-m", "functional_micrograd", "--steps", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[0] == f"functional_micrograd {fm.__version__}"
    assert lines[1] == (
        "model: MLP(2, [16, 16, 1]), relu hidden layers, a linear output, 337 parameters"
    )
    assert lines[2] == "data: 100 points of two moons, noise 0.1, seed 1337"
    # The same numbers as fm.train on the demo's data and model (train's fold, not iterate's).
    history = fm.train(
        fm.nn.mlp(2, [16, 16, 1], seed=1337), fm.datasets.moons(100, noise=0.1), steps=2
    ).history
    assert lines[3:5] == [
        f"step {row.step} loss {row.loss:.4f}, accuracy {row.accuracy * 100:.1f}%"
        for row in history
    ]
    last = history[-1]
    final = rf"final loss {last.loss:.4f}, accuracy {last.accuracy * 100:.1f}% after 2 steps in "
    assert re.fullmatch(re.escape(final) + r"\d+\.\d s", lines[5]), lines[5]
    assert len(lines) == 6
    assert not list(tmp_path.iterdir())  # no picture, no files


def test_main_help_names_the_command_and_its_options(tmp_path: Path) -> None:
    done = run("-m", "functional_micrograd", "--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: python -m functional_micrograd [-h] [--steps STEPS]")
    assert f"functional_micrograd {fm.__version__}:" in done.stdout
    for option in ("--steps", "--samples", "--noise", "--seed", "--version"):
        assert option in done.stdout
    version = run("-m", "functional_micrograd", "--version", cwd=tmp_path)
    assert (version.returncode, version.stdout) == (0, f"functional_micrograd {fm.__version__}\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--steps", "0"], "--steps must be an int from 1 to 1000000, got 0"),
        (["--steps", "ten"], "argument --steps: invalid int value: 'ten'"),
        (
            ["--steps", "9" * 400],
            "--steps must be an int from 1 to 1000000, got <an int of about 400 digits>",
        ),
        (["--samples", "1"], "--samples must be an int from 2 to 1000000, got 1"),
        (["--noise", "nan"], "--noise must be a number in [0, 10), got nan"),
        (["--noise", "-1"], "--noise must be a number in [0, 10), got -1.0"),
        (["--seed", "1.5"], "argument --seed: invalid int value: '1.5'"),
        (["--plot"], "unrecognized arguments: --plot"),
        (["100"], "unrecognized arguments: 100"),
    ],
)
def test_main_bad_arguments_exit_2_with_the_usage(
    tmp_path: Path, args: list[str], message: str
) -> None:
    done = run("-m", "functional_micrograd", *args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""  # nothing ran
    assert done.stderr.startswith("usage: python -m functional_micrograd ")
    assert f"python -m functional_micrograd: error: {message}" in done.stderr
    assert "Traceback" not in done.stderr


# -- python -m benchmarks -----------------------------------------------------------------


def test_benchmarks_help_names_the_command_and_where_it_runs() -> None:
    done = run("-m", "benchmarks", "--help", cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: python -m benchmarks [-h] [--quick] [--json JSON]")
    assert "Run it from the repository root" in " ".join(done.stdout.split())


@pytest.mark.parametrize("target", ["benchmarks", "benchmarks/__main__.py"])
def test_benchmarks_run_from_elsewhere_name_the_fix(tmp_path: Path, target: str) -> None:
    done = run(str(ROOT / target), "--quick", cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "cannot import the benchmarks package from here" in done.stderr
    assert "It runs from the repository root" in done.stderr
    assert f'cd "{ROOT}" && ' in done.stderr and " -m benchmarks" in done.stderr


def test_benchmarks_time_per_node_rows_hold_our_numbers_only() -> None:
    # The scaling rows at tiny sizes: 2,000 and 100 ops, one run each.
    code = (
        "import json\n"
        "from benchmarks import run\n"
        "rows = run.scaling(run.Settings(True, 10, 1, 1, 1, 100, 2000, 100))\n"
        "print(json.dumps([vars(r) for r in rows]))\n"
        "print(run.table(rows))\n"
    )
    done = run("-c", code, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    rows_json, *table = done.stdout.splitlines()
    rows = json.loads(rows_json)
    assert [r["name"] for r in rows] == [
        f"{size}{collector}"
        for collector in (" (collector as shipped)", " (collector off)")
        for size in ("2,000-op chain, build + backward", "  time per node at 2,000 ops",
                     "  time per node at 100 ops")
    ]  # fmt: skip
    for chain, big, small in (rows[:3], rows[3:]):
        assert chain["theirs"] is None and chain["note"] == "micrograd: RecursionError"
        for row in (big, small):  # micrograd's column holds no number of ours
            assert row["unit"] == "ns" and row["ours"] > 0
            assert row["theirs"] is None and row["ratio"] is None
        assert big["ours"] == pytest.approx(chain["ours"] / 2000 * 1e9)
        growth = big["ours"] / small["ours"]
        assert big["note"] == f"{growth:.2f} x the time per node at 100 ops"
    for line in table:
        if "time per node" in line:
            assert re.search(r"\d+ ns\s+-\s+-  ", line), line  # ours, then micrograd: -


# -- README on PyPI, and the changelog ----------------------------------------------------


def readme_prose() -> str:
    """README.md without its fenced blocks and inline code."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    text = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    return re.sub(r"`[^`\n]*`", "", text)


def test_readme_links_are_absolute_so_they_work_on_pypi() -> None:
    # PyPI shows the README without the repository around it: a relative link is a 404.
    prose = readme_prose()
    targets = re.findall(r"\]\(([^)\s]+)", prose) + re.findall(r"src=\"([^\"]+)", prose)
    assert targets, "the README links to micrograd"
    for target in targets:
        assert re.match(r"https://", target), f"README: {target} does not work on PyPI"


def test_readme_names_only_files_that_ship_in_the_sdist(built: Built) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    files = built.sdist_files()
    named = re.findall(r"`((?:docs|examples|benchmarks|tests)/[^`\s]*|[A-Z]+\.md)`", text)
    assert "docs/api_reference.md" in named and "CHANGELOG.md" in named
    for path in named:
        assert path in files or any(f.startswith(path) for f in files if path.endswith("/")), path


def test_changelog_has_a_section_per_version_in_keep_a_changelog_form() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog\n")
    versions = re.findall(r"^## (\S+) - (\S+)$", text, re.M)
    assert len(versions) == len(re.findall(r"^## ", text, re.M)), "a version heading is malformed"
    numbers = [tuple(int(part) for part in v.split(".")) for v, _ in versions]
    assert numbers == sorted(numbers, reverse=True), "newest first"
    assert fm.__version__ in [v for v, _ in versions]
    for _, when in versions:
        assert when == "unreleased" or re.fullmatch(r"\d{4}-\d\d-\d\d", when), when
    kinds = set(re.findall(r"^### (.*)$", text, re.M))
    assert kinds <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}, kinds
