"""The guarantees page cannot drift: every test it names exists, and every reliability module is cited.

Also: the committed figures come from a passing run that reached PostgreSQL, and only from tests the page
still cites.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "guarantees.md"
FIGURES = ROOT / "docs" / "reliability-figures.json"
CITED = re.compile(r"``(tests/[\w/]+\.py)::([\w:]+)``")


def _cited() -> list[tuple[str, str]]:
    return CITED.findall(PAGE.read_text(encoding="utf-8"))


def _defined(path: Path, name: str) -> bool:
    """Whether *name* (``test_x`` or ``TestClass::test_x``) is a test function defined in *path*."""
    if not path.is_file():
        return False
    scope: list[ast.stmt] = ast.parse(path.read_text(encoding="utf-8")).body
    *classes, function = name.split("::")
    for class_name in classes:
        found = [n for n in scope if isinstance(n, ast.ClassDef) and n.name == class_name]
        if not found:
            return False
        scope = found[0].body
    return any(
        isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        and n.name == function
        and n.name.startswith("test")
        for n in scope
    )


def test_every_test_named_on_the_page_exists() -> None:
    """Each ``file::test`` literal on the page names a test function defined in that file."""
    cited = _cited()
    assert len(cited) > 40
    missing = [f"{path}::{name}" for path, name in cited if not _defined(ROOT / path, name)]
    assert missing == []


def test_every_reliability_module_is_cited() -> None:
    """Every test module under tests/reliability/ has at least one of its tests named on the page."""
    cited_files = {path for path, _ in _cited()}
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "tests" / "reliability").glob("test_*.py")}
    assert modules - cited_files == set()


def test_the_figures_come_from_a_passing_run_of_the_tests_on_the_page() -> None:
    """The committed figures are from a run that passed, reached PostgreSQL, and ran tests still cited."""
    document = json.loads(FIGURES.read_text(encoding="utf-8"))
    assert (document["exit_status"], document["postgresql"] is not None) == (0, True)
    cited = {f"{path}::{name}" for path, name in _cited()}
    recorded = {nodeid.split("[", 1)[0] for nodeid in document["tests"]}
    assert recorded - cited == set()
    assert "{edm-reliability-figures} reliability-figures.json" in PAGE.read_text(encoding="utf-8")
