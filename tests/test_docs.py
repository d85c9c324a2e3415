"""Tests for the documentation: README.md and docs/*.md.

- Every ```python block runs: a file's blocks run in order, in one fresh
  namespace, in a subprocess of their own (all files at once). Blocks tagged
  anything else (```text, ```console, ```output, ...) are not run.
- An ```output block that directly follows a ```python block is what that
  block prints, exactly.
- docs/api_reference.md is what docs/gen_api_reference.py generates now.
- README.md opens with its title, then a block of the two set-up commands.
- Relative links and pictures in the docs point at files that exist, and
  links to a heading in the same file point at a heading that exists.
"""

from __future__ import annotations

import collections
import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"
DOC_FILES = [README, *sorted(DOCS.glob("*.md"))]
TIMEOUT = 300  # seconds for one file's blocks; the slowest (README) takes about 20

SETUP_COMMANDS = (
    'python3 -m pip install -e ".[examples]" && python3 examples/moons_demo.py',
    'python3 -m pip install -e ".[dev]" && python3 -m pytest',
)


@dataclass(frozen=True)
class Block:
    info: str  # the fence's info string, e.g. "python" or "text"
    line: int  # 1-based line number of the first line of code
    code: str
    after_python: bool  # directly follows a python block (only blank lines between)

    @property
    def language(self) -> str:
        return self.info.split()[0] if self.info.split() else ""


def fenced_blocks(text: str) -> list[Block]:
    """The fenced code blocks of a Markdown text, in order (backtick fences).

    A fence may be indented (inside a list item); its indent is taken off the
    block's lines.
    """
    blocks: list[Block] = []
    lines = text.splitlines()
    i = 0
    last_python_end = -2  # index of the closing fence of the latest python block
    while i < len(lines):
        opening = re.match(r"( *)(`{3,})([^`]*)$", lines[i])
        if not opening:
            i += 1
            continue
        indent, fence, info = len(opening.group(1)), opening.group(2), opening.group(3).strip()
        end = i + 1
        while end < len(lines) and not re.fullmatch(rf" *{fence}`* *", lines[end]):
            end += 1
        code = [dedent(row, indent) for row in lines[i + 1 : end]]
        between = lines[last_python_end + 1 : i]
        follows = last_python_end >= 0 and all(not row.strip() for row in between)
        block = Block(info, i + 2, "\n".join(code) + "\n", follows)
        blocks.append(block)
        if block.language == "python":
            last_python_end = end
        i = end + 1
    return blocks


def dedent(row: str, indent: int) -> str:
    """Take up to ``indent`` leading spaces off a line."""
    return row[min(indent, len(row) - len(row.lstrip(" "))) :]


def outside_code(text: str) -> str:
    """The text with every fenced block blanked out (line numbers kept)."""
    lines = text.splitlines()
    for block in fenced_blocks(text):
        start = block.line - 2
        end = start + block.code.count("\n") + 1
        for k in range(start, min(end + 1, len(lines))):
            lines[k] = ""
    return "\n".join(lines)


# -- running the python blocks --------------------------------------------------------

# Runs in the subprocess: blocks in, one result per block out (as JSON, in a file, so
# that nothing a block prints can get mixed up with it). Code is compiled with the
# Markdown file's name and line numbers, so a traceback points into the doc.
RUNNER = r"""
import contextlib, io, json, sys, traceback

with open(sys.argv[1], encoding="utf-8") as f:
    source, blocks, results_path = json.load(f)
namespace = {"__name__": "__main__"}
results = []
for block in blocks:
    printed = io.StringIO()
    error = None
    try:
        code = compile("\n" * (block["line"] - 1) + block["code"], source, "exec")
        with contextlib.redirect_stdout(printed):
            exec(code, namespace)
    except BaseException:
        error = traceback.format_exc()
    results.append({"stdout": printed.getvalue(), "error": error})
    if error:
        break
with open(results_path, "w", encoding="utf-8") as f:
    json.dump(results, f)
"""


@dataclass
class DocRun:
    path: Path
    blocks: list[Block]
    process: subprocess.Popen[bytes]
    results_path: Path
    results: list[dict[str, Any]] | None = None

    def wait(self) -> list[dict[str, Any]]:
        if self.results is None:
            try:
                self.process.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                pytest.fail(f"{self.path.name}: the python blocks took over {TIMEOUT} s")
            if not self.results_path.exists():
                stderr = (self.results_path.parent / "stderr.txt").read_text(encoding="utf-8")
                pytest.fail(f"{self.path.name}: the block runner crashed:\n{stderr}")
            self.results = json.loads(self.results_path.read_text(encoding="utf-8"))
        return self.results


@pytest.fixture(scope="module")
def doc_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[Path, DocRun]]:
    """Start every doc file's blocks at once (one process each); wait for them per test."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["MPLBACKEND"] = "Agg"
    runs = {}
    for path in DOC_FILES:
        blocks = fenced_blocks(path.read_text(encoding="utf-8"))
        python = [{"line": b.line, "code": b.code} for b in blocks if b.language == "python"]
        workdir = tmp_path_factory.mktemp(path.stem)  # anything a block writes lands here
        results_path = workdir / "results.json"
        job = workdir / "blocks.json"
        job.write_text(json.dumps([str(path), python, str(results_path)]), encoding="utf-8")
        with open(workdir / "stderr.txt", "w", encoding="utf-8") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-c", RUNNER, str(job)],
                cwd=workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        runs[path] = DocRun(path, blocks, process, results_path)
    yield runs
    for run in runs.values():
        if run.process.poll() is None:
            run.process.kill()
            run.process.wait()


def ids(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", DOC_FILES, ids=ids)
def test_docs_python_blocks_run(path: Path, doc_runs: dict[Path, DocRun]) -> None:
    run = doc_runs[path]
    python = [b for b in run.blocks if b.language == "python"]
    results = run.wait()
    for block, result in zip(python, results):
        if result["error"]:
            pytest.fail(
                f"{ids(path)}: the python block at line {block.line} failed:\n{result['error']}"
            )
    assert len(results) == len(python)


@pytest.mark.parametrize("path", DOC_FILES, ids=ids)
def test_docs_output_blocks_match_what_the_code_prints(
    path: Path, doc_runs: dict[Path, DocRun]
) -> None:
    run = doc_runs[path]
    results = run.wait()
    printed: list[str | None] = [r["stdout"] for r in results]
    k = -1  # index of the latest python block
    for block in run.blocks:
        if block.language == "python":
            k += 1
            continue
        if block.language != "output":
            continue
        assert block.after_python, (
            f"{ids(path)}: the output block at line {block.line} does not follow a python block"
        )
        if k >= len(printed) or printed[k] is None:
            pytest.fail(f"{ids(path)}: the python block before line {block.line} did not run")
        assert printed[k].rstrip("\n") == block.code.rstrip("\n"), (
            f"{ids(path)}: the output block at line {block.line} differs from what the code "
            f"above it prints, which is:\n{printed[k]}"
        )


def test_fenced_blocks_reads_tags_lines_and_order() -> None:
    text = (
        "# t\n\n```python\nx = 1\n```\n\n```output\n1\n```\n"
        "````text\n```python\nnot run\n```\n````\n```console\n$ ls\n```\n"
        "- item\n\n  ```python\n  if x:\n\n      y = 2\n  ```\n"
    )
    blocks = fenced_blocks(text)
    assert [(b.language, b.line, b.after_python) for b in blocks] == [
        ("python", 4, False),
        ("output", 8, True),
        ("text", 11, False),
        ("console", 16, False),
        ("python", 21, False),
    ]
    assert blocks[2].code == "```python\nnot run\n```\n"
    assert blocks[0].code == "x = 1\n"
    assert blocks[4].code == "if x:\n\n    y = 2\n"


# -- the API reference ----------------------------------------------------------------


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_api_reference", DOCS / "gen_api_reference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_api_reference_is_what_the_generator_writes_now() -> None:
    committed = (DOCS / "api_reference.md").read_text(encoding="utf-8")
    assert committed == load_generator().render(), (
        "docs/api_reference.md is out of date: run python3 docs/gen_api_reference.py"
    )


def test_api_reference_lists_every_public_name() -> None:
    generator = load_generator()
    text = (DOCS / "api_reference.md").read_text(encoding="utf-8")
    for short in generator.MODULES:
        module = importlib.import_module(f"functional_micrograd.{short}")
        section = text.split(f"## `functional_micrograd.{short}`\n", 1)[1].split("\n## ", 1)[0]
        for name in module.__all__:
            assert f"\n### `{name}`\n" in section, f"{short}.{name} is missing"
    assert " at 0x" not in text  # no memory addresses


# -- README ---------------------------------------------------------------------------


def test_readme_opens_with_its_title_then_the_setup_commands() -> None:
    text = README.read_text(encoding="utf-8")
    title, *rest = text.splitlines()
    assert title == "# functional_micrograd"
    first = fenced_blocks(text)[0]
    assert first.language == "console"
    assert not "".join(rest[: first.line - 3]).strip(), "something stands between title and set-up"
    assert tuple(first.code.splitlines()) == SETUP_COMMANDS
    assert (ROOT / "examples" / "moons_demo.py").is_file()
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for extra in ("examples", "dev"):
        assert re.search(rf"^{extra} = \[", pyproject, re.M), f"no [{extra}] extra"


def test_getting_started_shows_the_readme_setup_commands() -> None:
    text = (DOCS / "getting_started.md").read_text(encoding="utf-8")
    console = [b.code for b in fenced_blocks(text) if b.language == "console"]
    assert any(tuple(code.splitlines()) == SETUP_COMMANDS for code in console)


# -- links ------------------------------------------------------------------------------


def github_anchors(text: str) -> set[str]:
    """The anchors GitHub makes for the headings of a Markdown text."""
    seen: collections.Counter[str] = collections.Counter()
    anchors = set()
    for line in outside_code(text).splitlines():
        heading = re.match(r"#{1,6} (.*)$", line)
        if heading:
            slug = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-")
            anchors.add(slug if not seen[slug] else f"{slug}-{seen[slug]}")
            seen[slug] += 1
    return anchors


def link_target(doc: Path, link: str) -> Path:
    """The file a relative link in ``doc`` names.

    A link into the package's source names the installed module when the
    sources are not beside the docs (the sdist check runs its tests against
    the installed package, with the unpacked sources removed).
    """
    target = (doc.parent / link).resolve()
    source = ROOT / "functional_micrograd"
    if not source.exists() and target.is_relative_to(source):
        import functional_micrograd

        installed = Path(functional_micrograd.__file__).resolve().parent
        return installed / target.relative_to(source)
    return target


@pytest.mark.parametrize("path", DOC_FILES, ids=ids)
def test_docs_links_and_pictures_point_at_something(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    anchors = github_anchors(text)
    prose = re.sub(r"`[^`\n]*`", "", outside_code(text))  # inline code is not a link
    for target in re.findall(r"!?\[[^\]]*\]\(([^)\s]+)\)", prose):
        if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        if file_part:
            assert link_target(path, file_part).exists(), f"{ids(path)}: broken link {target}"
        elif anchor:
            assert anchor in anchors, f"{ids(path)}: no heading for #{anchor}"
