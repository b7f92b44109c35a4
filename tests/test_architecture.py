"""The package's shape, read from its source with ``ast``: layers, no import circles, sizes.

The layers, from the top (an import may only go down this list, or stay within
one package of the same layer):

0. ``__main__``: ``python -m facility_impact``, which runs the command line.
1. ``facility_impact`` (the package root, the public API) and ``cli``: entry
   points; nothing but ``__main__`` imports them.
2. ``commands``: the one workflow that the command line and the Python API share
   (simulate, summarise and write; figures and the report from a results file).
3. ``present``: figures, terminal tables and the HTML report, drawn from result
   Datasets (it may call ``run`` for files and sensitivity); beside it, blind to
   it, ``ingest``: facility tables and attack records turned into a checked
   configuration file (it uses ``config`` to check and ``run.io`` to write).
4. ``run``: simulating in memory, in chunks or on a cluster, sensitivity, file
   writing.
5. ``results`` and ``model``, side by side and blind to each other: ``model``
   turns a configuration into a parameter Dataset and runs the day loop;
   ``results`` reads result Datasets only (summaries, standards, tables of
   numbers). Neither imports the other: the kernel does not know how its output
   is summarised, and a summary must work on a results file with no model at hand.
6. ``config``: what a configuration may say, its schema, sweeps and distributions.
7. ``errors``, ``version``, ``variables``, ``curves``: the leaves, which import
   nothing above them (they may import one another, without a circle).

An edge of the import graph is an explicit import: ``from facility_impact.run
import io`` is an edge to ``facility_impact.run.io``, not to the package
``facility_impact.run``; the parent packages that Python runs first are not
edges (every module would otherwise depend on the package root). Imports under
``if TYPE_CHECKING:`` at module level count as module-level imports.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

PACKAGE = "facility_impact"
PACKAGE_DIR = Path(__file__).resolve().parents[1] / PACKAGE

LAYERS: tuple[tuple[str, ...], ...] = (
    (f"{PACKAGE}.__main__",),
    (PACKAGE, f"{PACKAGE}.cli"),
    (f"{PACKAGE}.commands",),
    (f"{PACKAGE}.present", f"{PACKAGE}.ingest"),
    (f"{PACKAGE}.run",),
    (f"{PACKAGE}.results", f"{PACKAGE}.model"),
    (f"{PACKAGE}.config",),
    (f"{PACKAGE}.errors", f"{PACKAGE}.version", f"{PACKAGE}.variables", f"{PACKAGE}.curves"),
)
"""Each layer's groups; a group is a top-level module or a sub-package of ``facility_impact``."""

MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80

OPTIONAL_HEAVY = frozenset({"matplotlib", "cycler", "dask", "distributed", "zarr"})
"""Third-party packages that may be imported inside a function: optional extras
(dask, distributed, zarr) or slow to import (matplotlib, and cycler, which comes
with it), so that a run without figures or without the ``scale`` extra does not
pay for them."""


@dataclass(frozen=True)
class Import:
    """One import statement's target, where it is, and whether it sits in a function."""

    module: str
    """The importing module (dotted)."""
    target: str
    """The imported module (dotted; for ``from x import y``, ``x.y`` when that is a module)."""
    line: int
    in_function: bool
    has_comment: bool
    """A comment on the import's line or in the block of comments and imports just above it."""


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    """Every module of the package, by dotted name."""
    return {module_name(path): path for path in sorted(PACKAGE_DIR.rglob("*.py"))}


@cache
def parsed(name: str) -> ast.Module:
    path = modules()[name]
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _is_package(name: str) -> bool:
    return modules()[name].name == "__init__.py"


def _resolve(name: str, node: ast.ImportFrom) -> str:
    """The absolute module that a ``from ... import`` names (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    base = name.split(".")
    if not _is_package(name):
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _commented(lines: list[str], line: int) -> bool:
    """Whether the import on ``line`` (1-based) carries a comment saying why."""
    if "#" in lines[line - 1]:
        return True
    for text in reversed(lines[: line - 1]):
        stripped = text.strip()
        if stripped.startswith("#"):
            return True
        if not stripped.startswith(("import ", "from ")):
            return False
    return False


def _walk(node: ast.AST, in_function: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    for child in ast.iter_child_nodes(node):
        inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
        yield child, in_function
        yield from _walk(child, inside)


@cache
def imports(name: str) -> tuple[Import, ...]:
    lines = modules()[name].read_text(encoding="utf-8").splitlines()
    found = []
    for node, in_function in _walk(parsed(name)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(name, node)
            targets = [
                f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules() else source
                for alias in node.names
            ]
        else:
            continue
        commented = _commented(lines, node.lineno)
        found += [Import(name, t, node.lineno, in_function, commented) for t in targets]
    # ``from x import a, b`` of two names in one module is one import of that module.
    return tuple(dict.fromkeys(found))


def own(target: str) -> str | None:
    """The package module an import reaches (the longest known prefix), or None if foreign."""
    parts = target.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules():
            return candidate
    return None


def graph() -> dict[str, set[str]]:
    """Imports of the package's own modules: module → modules it imports.

    Imports inside functions count too: they are forbidden (below), but while one
    exists it is as much a dependency as one at the top of the module.
    """
    edges: dict[str, set[str]] = {name: set() for name in modules()}
    for name in modules():
        for found in imports(name):
            target = own(found.target)
            if target is not None and target != name:
                edges[name].add(target)
    return edges


def group(name: str) -> str:
    """The layer group of a module: the root itself, or ``facility_impact.<first part>``."""
    parts = name.split(".")
    return ".".join(parts[:2])


def layer(name: str) -> int:
    for index, groups in enumerate(LAYERS):
        if group(name) in groups:
            return index
    raise AssertionError(f"{name} is in no layer: add its group to LAYERS (and to the docstring)")


def functions() -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    for name in modules():
        for node in ast.walk(parsed(name)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                yield name, node


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One circle of the graph (its modules in order, the first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for successor in sorted(edges.get(node, ())):
            if state.get(successor) == 1:
                return [*path[path.index(successor) :], successor]
            if successor not in state and (cycle := visit(successor)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


# ------------------------------------------------------------------ the checks' own checks


def test_the_package_is_found_and_every_module_is_in_a_layer():
    assert {f"{PACKAGE}.model.kernel", f"{PACKAGE}.config", f"{PACKAGE}.cli"} <= set(modules())
    for name in modules():
        layer(name)


def test_find_cycle_finds_a_circle_and_only_a_circle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"x": {"y"}, "y": {"y"}}) == ["y", "y"]


def test_relative_imports_resolve_to_the_package_module():
    tree = ast.parse("from .loading import Config\nfrom .. import errors\n")
    first, second = tree.body
    assert isinstance(first, ast.ImportFrom) and isinstance(second, ast.ImportFrom)
    assert _resolve(f"{PACKAGE}.config.sweeps", first) == f"{PACKAGE}.config.loading"
    assert _resolve(f"{PACKAGE}.config", first) == f"{PACKAGE}.config.loading"
    assert _resolve(f"{PACKAGE}.config.sweeps", second) == PACKAGE


def test_an_import_in_a_function_is_seen_as_one():
    source = (
        "import numpy\n\ndef f():\n    # why\n    import zarr\n\n"
        "    def g():\n        import dask\n"
    )
    flags = [
        (node.names[0].name, in_function)
        for node, in_function in _walk(ast.parse(source))
        if isinstance(node, ast.Import)
    ]
    assert flags == [("numpy", False), ("zarr", True), ("dask", True)]
    lines = source.splitlines()
    assert _commented(lines, 5)
    assert not _commented(lines, 8)


# ------------------------------------------------------------------ the package


def test_no_import_circle():
    cycle = find_cycle(graph())
    assert cycle is None, "import circle: " + " → ".join(cycle or [])


def test_imports_only_go_down_the_layers():
    upward = []
    for name, targets in graph().items():
        for target in targets:
            sideways = layer(target) == layer(name) and layer(name) == len(LAYERS) - 1
            if group(name) != group(target) and layer(target) <= layer(name) and not sideways:
                upward.append(
                    f"{name} (layer {layer(name) + 1}) imports {target} (layer {layer(target) + 1})"
                )
    assert not upward, "imports that do not go down the layers:\n" + "\n".join(sorted(upward))


@pytest.mark.parametrize("name", sorted(modules()))
def test_module_size(name):
    lines = len(modules()[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{name}: {lines} lines, more than {MAX_MODULE_LINES}"


def test_function_size():
    long = [
        f"{name}.{node.name} (line {node.lineno}): {node.end_lineno - node.lineno + 1} lines"
        for name, node in functions()
        if node.end_lineno is not None and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines:\n" + "\n".join(long)


def test_no_function_level_import_of_the_package():
    hidden = [
        f"{found.module}:{found.line} imports {found.target} inside a function"
        for name in modules()
        for found in imports(name)
        if found.in_function and own(found.target) is not None
    ]
    assert not hidden, "\n".join(hidden)


def test_function_level_imports_only_of_optional_heavy_dependencies_with_a_reason():
    wrong = []
    for name in modules():
        for found in imports(name):
            if not found.in_function or own(found.target) is not None:
                continue
            if found.target.split(".")[0] not in OPTIONAL_HEAVY:
                wrong.append(f"{found.module}:{found.line} imports {found.target} in a function")
            elif not found.has_comment:
                wrong.append(f"{found.module}:{found.line} imports {found.target} with no comment")
    assert not wrong, (
        f"only {sorted(OPTIONAL_HEAVY)} may be imported in a function, each with a comment "
        "saying why:\n" + "\n".join(wrong)
    )
