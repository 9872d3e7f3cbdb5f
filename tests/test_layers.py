"""The library's layers: no import cycle, the store below the reports, the core below the shell.

The imports are read with :mod:`ast`, never by importing, so nothing escapes the
count: every ``import`` and ``from ... import`` in a module is an import of it,
at module level, under ``if TYPE_CHECKING:`` and inside a function alike, with
relative imports resolved. ``from package import name`` imports the submodule
``package.name`` when there is one, else the package. A module loaded by
``importlib.import_module`` is not seen; the packages that load lazily name the
same modules under ``TYPE_CHECKING`` for the type checker, and those lines count.

Importing a module also runs its parent packages; that is not counted as an
import of them, or every module would import the package's top level, which
imports everything.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Callable, Mapping, Set
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "ethical_decisions"

CORE = ("model", "events", "guidance", "_fields", "steps", "review", "exceptions")
"""The pure core: value types, the model's words, the rules. No I/O, no clock, no plugins."""

SHELL = ("store", "reports", "service", "plugins", "cli", "relay", "transports", "log")
"""The shell around it: storage, reports, the facade, plugins, the command line, delivery, logging."""

Graph = Mapping[str, Set[str]]


def _modules(source: Path) -> dict[str, tuple[Path, bool]]:
    """Every module under *source*, by dotted name: its file, and whether it is a package."""
    found = {}
    for path in sorted(source.rglob("*.py")):
        parts = list(path.relative_to(source).with_suffix("").parts)
        package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if package else parts)] = (path, package)
    return found


def _imported(node: ast.Import | ast.ImportFrom, package: str, known: Set[str]) -> set[str]:
    """The modules of *known* that one import statement names, in a module of *package*."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in known}
    base = node.module or ""
    if node.level:
        parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
        base = f"{parent}.{base}" if base else parent
    found = set()
    for alias in node.names:
        submodule = f"{base}.{alias.name}"
        if submodule in known:
            found.add(submodule)
        elif base in known:
            found.add(base)
    return found


def imports(source: Path) -> dict[str, set[str]]:
    """Each module under *source* and the modules under *source* it imports, anywhere in its code."""
    modules = _modules(source)
    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in modules.items():
        package = name if is_package else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        graph[name] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                graph[name] |= _imported(node, package, modules.keys())
    return graph


def _cycle_through(graph: Graph, start: str) -> list[str] | None:
    """The shortest chain of imports from *start* back to itself, or ``None``."""
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        for target in sorted(graph.get(current, ())):
            if target == start:
                path = [current]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return path[::-1]
            if target not in came_from:
                came_from[target] = current
                queue.append(target)
    return None


def cycles(graph: Graph) -> list[str]:
    """Every shortest import cycle in *graph*, each named ``a -> b -> a`` from its first module."""
    found = set()
    for start in graph:
        cycle = _cycle_through(graph, start)
        if cycle is not None:
            first = cycle.index(min(cycle))
            found.add(tuple(cycle[first:] + cycle[:first]))
    return sorted(" -> ".join((*cycle, cycle[0])) for cycle in found)


def room(module: str) -> str:
    """The part of the library *module* belongs to: its subpackage of the library, or itself."""
    return ".".join(module.split(".")[:2])


def rooms(graph: Graph) -> dict[str, set[str]]:
    """*graph* with the modules of each room taken together: which rooms import which."""
    joined: dict[str, set[str]] = {}
    for module, targets in graph.items():
        joined.setdefault(room(module), set()).update(room(t) for t in targets if room(t) != room(module))
    return joined


def reachable(graph: Graph, start: str) -> set[str]:
    """Every module that importing *start* imports, directly or through others."""
    seen: set[str] = set()
    queue = deque([start])
    while queue:
        for target in graph.get(queue.popleft(), ()):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


IMPORTS = imports(SOURCE)


def _in(module: str, rooms: tuple[str, ...]) -> bool:
    return room(module) in {f"{PACKAGE}.{r}" for r in rooms}


def crossings(graph: Graph, starts: Set[str], into: Callable[[str], bool]) -> list[str]:
    """Each import, made in loading any of *starts*, from a module outside *into* to one inside it."""
    loaded = set(starts).union(*(reachable(graph, m) for m in starts))
    return sorted(
        f"{module} -> {target}"
        for module in loaded
        if not into(module)
        for target in graph.get(module, ())
        if into(target)
    )


def test_no_module_imports_itself_through_others() -> None:
    """No module of the library imports itself, directly or through other modules, in any kind of import."""
    assert [] == cycles(IMPORTS)


def test_no_part_of_the_library_imports_itself_through_another() -> None:
    """With each subpackage (store, reports, cli) taken as one, the parts of the library form no cycle."""
    assert [] == cycles(rooms(IMPORTS))


def test_the_store_never_imports_the_reports() -> None:
    """No module of the store imports a module of the reports, directly or through others, even lazily."""
    store = {m for m in IMPORTS if _in(m, ("store",))}

    assert [] == crossings(IMPORTS, store, lambda m: _in(m, ("reports",)))


@pytest.mark.parametrize("core", CORE)
def test_the_pure_core_imports_nothing_of_the_shell(core: str) -> None:
    """A module of the pure core imports no module of the shell, nor the top level, even indirectly."""
    module = f"{PACKAGE}.{core}"

    assert [] == crossings(IMPORTS, {module}, lambda m: _in(m, SHELL) or m == PACKAGE)


def test_every_layer_named_here_exists() -> None:
    """The core and shell named above are modules of the library, so a renamed one is noticed."""
    present = {room(m) for m in IMPORTS}

    assert set() == {f"{PACKAGE}.{name}" for name in CORE + SHELL} - present


def test_the_walk_counts_type_checking_and_function_level_imports() -> None:
    """The walk sees the library's own imports of each kind: under TYPE_CHECKING, in a function, relative."""
    assert f"{PACKAGE}.figures" in IMPORTS[f"{PACKAGE}.store.base"]  # under TYPE_CHECKING
    assert f"{PACKAGE}.store._counting" in IMPORTS[f"{PACKAGE}.store.memory"]  # in a method, relative
    assert f"{PACKAGE}.store._rows" in IMPORTS[f"{PACKAGE}.store._sql"]  # from . import _rows


def _write(root: Path, files: Mapping[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


SMALL_CYCLES = {
    "type_checking": (
        {
            "pkg/a.py": "from . import b\n",
            "pkg/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import thing\n",
        },
        "pkg.a -> pkg.b -> pkg.a",
    ),
    "in_a_function_relative_to_a_parent": (
        {
            "pkg/low.py": "def later():\n    from .sub.high import x\n    return x\n",
            "pkg/sub/__init__.py": "",
            "pkg/sub/high.py": "from .. import mid\n",
            "pkg/mid.py": "import pkg.low\n",
        },
        "pkg.low -> pkg.sub.high -> pkg.mid -> pkg.low",
    ),
}
"""Small packages with a cycle closed by an import of one kind, and the cycle's name."""


@pytest.mark.parametrize(("files", "named"), SMALL_CYCLES.values(), ids=SMALL_CYCLES.keys())
def test_a_cycle_through_any_kind_of_import_is_found_and_named(
    tmp_path: Path, files: Mapping[str, str], named: str
) -> None:
    """A cycle closed by an import for type checking only, or in a function and relative, is named."""
    _write(tmp_path, {"pkg/__init__.py": "", **files})

    assert [named] == cycles(imports(tmp_path))


def test_parts_that_import_each_other_are_a_cycle_though_their_modules_are_not(tmp_path: Path) -> None:
    """A store that imports one report module while another report module imports the store is found."""
    _write(
        tmp_path,
        {
            "lib/__init__.py": "",
            "lib/store/__init__.py": "",
            "lib/store/sqlite.py": "from lib.reports.sql import queries\n",
            "lib/reports/__init__.py": "",
            "lib/reports/sql.py": "from lib.store import rows\n",
            "lib/store/rows.py": "",
        },
    )
    graph = imports(tmp_path)

    assert [] == cycles(graph)
    assert ["lib.reports -> lib.store -> lib.reports"] == cycles(rooms(graph))
