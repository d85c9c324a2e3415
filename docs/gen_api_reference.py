"""Write docs/api_reference.md from the library's docstrings.

For each public module it walks ``__all__`` and writes every name's signature
(from ``inspect.signature``) and docstring. Records list their fields, classes
their public methods, and type aliases and constants their definition with the
docstring written under it in the source. The output depends only on the code:
no memory addresses (a default value that is a function is shown by its
qualified name) and no set or hash order.

    python3 docs/gen_api_reference.py          # rewrite docs/api_reference.md
    python3 docs/gen_api_reference.py --check  # exit 1 if the file is out of date

tests/test_docs.py checks that the committed file equals :func:`render`.
"""

from __future__ import annotations

import ast
import collections
import importlib
import inspect
import pkgutil
import re
import sys
import typing
from pathlib import Path
from types import ModuleType
from typing import Any

import toolz
from pyrsistent import PClass, PMap

PACKAGE = "functional_micrograd"
MODULES = (
    "primitives",
    "value",
    "autodiff",
    "transforms",
    "jit",
    "nn",
    "datasets",
    "losses",
    "optim",
    "training",
    "serialize",
    "plot_data",
    "graph",
    "explorer",
    "rng",
)
OUTPUT = Path(__file__).resolve().parent / "api_reference.md"
WIDTH = 88  # signatures longer than this get one parameter per line

HEADER = """\
# API reference

Generated from the docstrings by `docs/gen_api_reference.py`; do not edit by
hand. After changing a docstring or a signature, run
`python3 docs/gen_api_reference.py` and commit the result (`tests/test_docs.py`
fails while this file and the code disagree).

Everything is reached from `import functional_micrograd as fm`: the modules
are `fm.value`, `fm.nn`, `fm.training` and so on, and the names most used are
also re-exported at the top level (noted under each one, e.g. `fm.train`).
"""


class _Shown:
    """Stands in for a default value or an annotation; its repr is the given text."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


Definitions = list[tuple[ModuleType, dict[str, tuple[str, str | None]]]]
"""Each module with its module-level assignments: name -> (expression source, docstring)."""


# -- reading the source -------------------------------------------------------------


def _assignments(module: ModuleType) -> dict[str, tuple[str, str | None]]:
    """Module-level ``name = expression``: the expression's source and the docstring under it."""
    source = inspect.getsource(module)
    body = ast.parse(source).body
    found: dict[str, tuple[str, str | None]] = {}
    for i, node in enumerate(body):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if not isinstance(target, ast.Name):
            continue
        doc = None
        after = body[i + 1] if i + 1 < len(body) else None
        if (
            isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            doc = inspect.cleandoc(after.value.value)
        found[target.id] = (ast.get_source_segment(source, value) or "", doc)
    return found


# -- formatting pieces ----------------------------------------------------------------


def _type_name(tp: Any) -> str:
    if tp is type(None):
        return "None"
    if isinstance(tp, str):
        return tp
    return getattr(tp, "__qualname__", None) or repr(tp)


def _annotation(annotation: Any) -> Any:
    """An annotation as it is written in the source, without quotes."""
    if annotation is inspect.Parameter.empty:
        return annotation
    if isinstance(annotation, str):
        return _Shown(annotation)
    if isinstance(annotation, typing.ForwardRef):
        return _Shown(annotation.__forward_arg__)
    return annotation


def _default(value: Any) -> Any:
    if value is inspect.Parameter.empty:
        return value
    if callable(value) and hasattr(value, "__qualname__"):
        return _Shown(value.__qualname__)
    return value


def _clean(sig: inspect.Signature, keep_return: bool = True) -> inspect.Signature:
    params = [
        p.replace(annotation=_annotation(p.annotation), default=_default(p.default))
        for p in sig.parameters.values()
    ]
    returns = _annotation(sig.return_annotation) if keep_return else inspect.Signature.empty
    return sig.replace(parameters=params, return_annotation=returns)


def _wrap(name: str, sig: inspect.Signature) -> str:
    """``name(params) -> returns``, one parameter per line when it is too long."""
    one_line = f"{name}{sig}"
    if len(one_line) <= WIDTH:
        return one_line
    returns = ""
    if sig.return_annotation is not inspect.Signature.empty:
        returns = f" -> {inspect.formatannotation(sig.return_annotation)}"
    parts = str(sig.replace(return_annotation=inspect.Signature.empty))[1:-1]
    lines = []
    for piece in _split_params(parts):
        lines.append(f"    {piece},")
    return f"{name}(\n" + "\n".join(lines) + f"\n){returns}"


def _split_params(text: str) -> list[str]:
    """Split a parameter list at the commas that are not inside brackets or quotes."""
    pieces, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            pieces.append(text[start:i].strip())
            start = i + 1
    pieces.append(text[start:].strip())
    return [p for p in pieces if p]


def _fence(text: str, info: str = "text") -> str:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{text}\n{ticks}\n"


def _doc(obj: Any) -> str | None:
    """The object's own docstring, dedented; None when it has none (no inherited ones)."""
    own = vars(obj) if isinstance(obj, type) else {"__doc__": getattr(obj, "__doc__", None)}
    raw = own.get("__doc__")
    return inspect.cleandoc(raw) if isinstance(raw, str) and raw.strip() else None


def _doc_block(doc: str | None) -> str:
    return _fence(doc) if doc else "*No docstring.*\n"


# -- one public name ------------------------------------------------------------------


def _field_types(cls: type, name: str, pfield: Any) -> str:
    annotations = inspect.get_annotations(cls)
    if name in annotations:
        return str(_annotation(annotations[name]))
    types = sorted((_type_name(t) for t in pfield.type), key=lambda n: (n == "None", n.lower(), n))
    return " | ".join(types) if types else "Any"


def _record_fields(cls: type) -> list[str]:
    return [
        f"{name}: {_field_types(cls, name, pfield)}"
        for name, pfield in cls._pclass_fields.items()  # type: ignore[attr-defined]
    ]


def _made_from_fields(cls: type) -> bool:
    """A record whose constructor takes one keyword argument per field."""
    kinds = [p.kind for p in inspect.signature(cls).parameters.values()]
    return issubclass(cls, PClass) and kinds == [inspect.Parameter.VAR_KEYWORD]


def _class_signature(cls: type) -> str:
    try:
        sig = inspect.signature(cls)
    except ValueError:  # no signature of its own, e.g. an exception with Exception's
        bases = ", ".join(base.__name__ for base in cls.__bases__)
        return f"class {cls.__name__}({bases})"
    if _made_from_fields(cls):
        params = []
        for name, pfield in cls._pclass_fields.items():  # type: ignore[attr-defined]
            default = inspect.Parameter.empty
            if not pfield.mandatory:
                initial = pfield.initial
                default = None if initial is _no_initial() else initial
            params.append(
                inspect.Parameter(
                    name,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=_default(default),
                    annotation=_Shown(_field_types(cls, name, pfield)),
                )
            )
        sig = inspect.Signature(params)
    return _wrap(cls.__name__, _clean(sig, keep_return=False))


def _no_initial() -> Any:
    from pyrsistent._field_common import PFIELD_NO_INITIAL

    return PFIELD_NO_INITIAL


def _members(cls: type) -> list[tuple[str, Any]]:
    """Public methods and properties the class defines, itself or in a base of this package."""
    skip = set(getattr(cls, "_pclass_fields", {})) | set(getattr(cls, "_fields", ()))
    ours = [c for c in cls.__mro__ if c.__module__.startswith("functional_micrograd")]
    members: dict[str, Any] = {}
    for c in ours:  # the class's own first, then what its bases add
        members.update({k: v for k, v in vars(c).items() if k not in members})
    out = []
    for name, member in members.items():
        if name.startswith("_") or name in skip:
            continue
        if isinstance(member, (staticmethod, classmethod)):
            member = member.__func__
        if isinstance(member, property) or inspect.isfunction(member):
            out.append((name, member))
    return out


def _member_text(cls: type, name: str, member: Any) -> str:
    title = f"{cls.__name__}.{name}"
    if isinstance(member, property):
        returns = inspect.signature(member.fget).return_annotation
        shown = "" if returns is inspect.Signature.empty else f": {_annotation(returns)}"
        head = f"{title}{shown}  (property)"
    else:
        sig = inspect.signature(getattr(cls, name))  # bound for classmethods
        head = _wrap(title, _clean(sig))
    return f"#### `{title}`\n\n{_fence(head)}\n{_doc_block(_doc(member))}"


def _kind(obj: Any) -> str:
    if isinstance(obj, toolz.curry):
        return "curried function"
    if isinstance(obj, type):
        if issubclass(obj, BaseException):
            return "exception"
        if issubclass(obj, PClass):
            return "record (pyrsistent PClass)"
        if issubclass(obj, tuple) and hasattr(obj, "_fields"):
            return "named tuple"
        return "class"
    if callable(obj) and inspect.isroutine(obj):
        return "function"
    if isinstance(obj, PMap):
        return "table (pyrsistent PMap)"
    return "constant" if _is_plain_data(obj) else "type alias"


def _is_plain_data(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, tuple):
        return all(_is_plain_data(v) for v in value)
    return False


def _alias_definition(
    module: ModuleType, name: str, definitions: Definitions
) -> tuple[str, str, str | None] | None:
    """Where ``name`` is written as ``name = <type expression>``: (module, expression, doc).

    A type alias names another type (``OptState = Any``, ``Model = Neuron | Layer | MLP``);
    its entry shows that definition and the docstring under it, not the docstring of
    what it points to. A module that imports an alias from another gets the same entry.
    """
    obj = getattr(module, name)
    renamed_type = isinstance(obj, type) and obj.__name__ != name
    if _kind(obj) != "type alias" and not renamed_type:
        return None
    for where, assigned in definitions:
        if name in assigned and getattr(where, name, None) is obj:
            expression, doc = assigned[name]
            return where.__name__, expression, doc
    return None


def _private(module_name: str) -> bool:
    """Whether a module is one of the package's private parts (``_train_measure``, say)."""
    return module_name.rsplit(".", 1)[-1].startswith("_")


def _entry(
    module: ModuleType, name: str, top_level: dict[int, str], definitions: Definitions
) -> str:
    obj = getattr(module, name)
    alias = _alias_definition(module, name, definitions)
    kind = "type alias" if alias is not None else _kind(obj)
    lines = [f"### `{name}`\n"]
    note = f"*{kind}*"
    if id(obj) in top_level and top_level[id(obj)] == name:
        note += f" · also `fm.{name}`"
    if alias is not None and alias[0] != module.__name__ and not _private(alias[0]):
        note += f" · the same as `{alias[0]}.{name}`"
    lines.append(note + "\n")
    if alias is not None:
        _, expression, doc = alias
        lines.append(_fence(f"{name} = {expression}"))
        lines.append(_doc_block(doc))
    elif isinstance(obj, type):
        lines.append(_fence(_class_signature(obj)))
        if issubclass(obj, PClass) and not _made_from_fields(obj):
            lines.append("Fields: " + ", ".join(f"`{f}`" for f in _record_fields(obj)) + ".\n")
        lines.append(_doc_block(_doc(obj)))
        for member_name, member in _members(obj):
            lines.append(_member_text(obj, member_name, member))
    elif kind in ("function", "curried function"):
        func = obj.func if isinstance(obj, toolz.curry) else obj
        lines.append(_fence(_wrap(name, _clean(inspect.signature(func)))))
        lines.append(_doc_block(_doc(obj)))
    else:
        assigned = dict(definitions)[module]
        expression, doc = assigned.get(name, ("", None))
        shown = repr(obj) if kind == "constant" or not expression else expression
        lines.append(_fence(f"{name} = {shown}"))
        lines.append(_doc_block(doc))
    return "\n".join(lines)


# -- the page -------------------------------------------------------------------------


def _slug(heading: str, seen: collections.Counter[str]) -> str:
    """The anchor GitHub gives a heading, with -1, -2 ... for repeats."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
    count = seen[text]
    seen[text] += 1
    return text if count == 0 else f"{text}-{count}"


def render() -> str:
    """The whole of docs/api_reference.md, as a str."""
    package = importlib.import_module(PACKAGE)
    top_level = {id(getattr(package, n)): n for n in package.__all__}
    modules = [importlib.import_module(f"{PACKAGE}.{short}") for short in MODULES]
    # The defining module first, so an alias is found where it is written; then
    # the private modules, where a public module's re-exported aliases are written.
    private = [
        importlib.import_module(f"{PACKAGE}.{info.name}")
        for info in pkgutil.iter_modules(package.__path__)
        if info.name.startswith("_") and not info.name.startswith("__")
    ]
    definitions = [(module, _assignments(module)) for module in (*modules, *private)]
    sections = []
    for module in modules:
        short = module.__name__.removeprefix(f"{PACKAGE}.")
        entries = [_entry(module, name, top_level, definitions) for name in module.__all__]
        intro = _doc_block(_doc(module))
        sections.append(f"## `{PACKAGE}.{short}`\n\n{intro}\n" + "\n".join(entries))
    body = "\n".join(sections)
    return HEADER + "\n" + _contents(HEADER + body) + "\n" + body


def _contents(page: str) -> str:
    """A list of the modules and their names, linked to the headings' anchors."""
    seen: collections.Counter[str] = collections.Counter()
    lines: list[str] = []
    for line in page.splitlines():
        match = re.match(r"(#+) (.*)$", line)
        if not match:
            continue
        level, title = len(match.group(1)), match.group(2)
        anchor = _slug(title, seen)
        name = title.strip("`")
        if level == 2:
            lines.append(f"- [`{name}`](#{anchor}):")
        elif level == 3:
            lines[-1] += ("" if lines[-1].endswith(":") else ",") + f" [`{name}`](#{anchor})"
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if argv[1:] == ["--check"]:
        if OUTPUT.exists() and OUTPUT.read_text(encoding="utf-8") == text:
            return 0
        print(f"{OUTPUT} is out of date: run python3 {Path(__file__).name}", file=sys.stderr)
        return 1
    if argv[1:]:
        print(__doc__, file=sys.stderr)
        return 2
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
