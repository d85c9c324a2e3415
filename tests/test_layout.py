"""The package's layout: every module imports, and data flows one way (DESIGN.md).

DESIGN.md's line is ``_checks -> primitives -> value -> autodiff ->
transforms / jit -> nn -> losses -> optim -> training``, with the other
modules beside it. No module of the line imports one to its right when it
loads, not even through a module beside the line, and the imports made when
modules load have no circle. A function may import later only what
LATER allows, each with its reason. Every module of the package is placed
here, in the line or beside it, so a new one has to be placed on purpose.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import functional_micrograd as fm

PACKAGE = Path(fm.__file__).resolve().parent
LINE = [
    ["_checks"],
    ["primitives"],
    ["_nodes", "_pickling"],
    ["_closed"],  # Value's record protocol; value builds on it
    ["value"],
    ["_ops"],
    ["autodiff"],
    ["_trace"],  # jit's tracing half; jit re-exports it
    ["transforms", "jit"],
    ["_nn_records"],
    ["_nn_walk"],
    ["nn"],
    ["losses"],
    ["optim"],
    # training's parts, each using the ones before it; training re-exports them
    ["_train_records"],
    ["_train_checks"],
    ["_train_measure"],
    ["training"],
]
BESIDE = [
    "__init__",
    "__main__",
    "_collector",
    "_dataset_checks",
    "_generators",
    "_json_format",
    "compiled",
    "datasets",
    "explorer",
    "graph",
    "plot_data",
    "rng",
    "serialize",
]
RANK = {name: rank for rank, names in enumerate(LINE) for name in names}
# Imports to the right made inside a function (or for type checking only).
LATER = {
    ("value", "autodiff"): "Value.backward(), micrograd's habit (API.md section 1)",
    ("_nn_records", "nn"): "calling a record runs nn.forward, micrograd's model(x) habit",
    ("_nn_walk", "nn"): "the Model type alias, for type checking only",
    ("value", "_ops"): "fm.value.relu and the other op functions, lent on first use (API.md 1)",
    ("_nodes", "value"): "type hints only: value.py hands its class over with bind()",
    ("_pickling", "value"): "type hints only: it lays out and loads Values, made by _nodes",
    ("_closed", "value"): "type hints only: Value's protocol methods name the class they serve",
}


def _module_of(path: Path) -> str:
    """A file's place in the layout: its module, or its subpackage for a file inside one."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def _imports(path: Path) -> list[tuple[str, bool]]:
    """The package's modules a file imports, each with whether the import runs when it loads.

    An import inside a function, or under ``if TYPE_CHECKING:``, runs later or never.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, bool]] = []
    at_load = {id(node) for node in tree.body}

    def named(module: str, names: list[str]) -> list[str]:
        parts = module.split(".")
        if parts[0] != "functional_micrograd":
            return []
        if len(parts) > 1:
            return [parts[1]]
        return [n for n in names if (PACKAGE / f"{n}.py").exists() or (PACKAGE / n).is_dir()]

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found += [(m, id(node) in at_load) for m in named(alias.name, [])]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [alias.name for alias in node.names]
            found += [(m, id(node) in at_load) for m in named(node.module, names)]
    return found


def _graph() -> dict[str, dict[str, bool]]:
    """Module -> {imported module: whether some import of it runs at load time}."""
    graph: dict[str, dict[str, bool]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        here = _module_of(path)
        edges = graph.setdefault(here, {})
        for module, at_load in _imports(path):
            if module != here:
                edges[module] = edges.get(module, False) or at_load
    return graph


def test_every_module_imports_and_is_placed_in_the_layout() -> None:
    graph = _graph()
    placed = set(RANK) | set(BESIDE)
    assert set(graph) == placed, (
        f"place these in the line or beside it: {sorted(set(graph) - placed)}; "
        f"gone: {sorted(placed - set(graph))}"
    )
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] in ("__init__", "__main__"):
            parts = parts[:-1]
        importlib.import_module(".".join(("functional_micrograd", *parts)))


def test_no_module_of_the_line_imports_one_to_its_right() -> None:
    graph = _graph()
    for module, rank in RANK.items():
        right = [m for m in graph[module] if RANK.get(m, -1) > rank]
        direct = [m for m in right if graph[module][m] or (module, m) not in LATER]
        assert not direct, f"{module} imports {direct}, to its right in DESIGN.md's line"
        # nor through a module beside the line that it loads with it (a function
        # may import a module beside the line later: nn re-exports serialize's
        # model functions on first use)
        todo = [m for m, at_load in graph[module].items() if at_load and m not in RANK]
        seen = {module}
        while todo:
            beside = todo.pop()
            if beside in seen:
                continue
            seen.add(beside)
            for m, at_load in graph[beside].items():
                if m in RANK:
                    assert RANK[m] <= rank, (
                        f"{module} loads {beside}, which imports {m}, to {module}'s right"
                    )
                elif at_load:
                    todo.append(m)


def test_the_imports_made_at_load_time_have_no_circle() -> None:
    graph = _graph()
    loading = {m: [n for n, at_load in edges.items() if at_load] for m, edges in graph.items()}
    # a depth-first walk, without recursion: grey while on the path, black when done
    colour: dict[str, str] = {}
    for start in sorted(loading):
        if start in colour:
            continue
        path = [start]
        stack = [iter(sorted(loading[start]))]
        colour[start] = "grey"
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                colour[path.pop()] = "black"
                stack.pop()
            elif colour.get(nxt) == "grey":
                raise AssertionError(f"import circle: {' -> '.join([*path, nxt])}")
            elif nxt not in colour:
                colour[nxt] = "grey"
                path.append(nxt)
                stack.append(iter(sorted(loading.get(nxt, []))))
