"""The public API: what the package exports, and that each export is real and documented."""

from __future__ import annotations

import inspect

import ethical_decisions


def test_all_is_sorted_and_complete() -> None:
    """__all__ is sorted, unique, and every name in it exists."""
    exported = ethical_decisions.__all__
    assert exported == sorted(exported, key=lambda n: (not n.isupper(), n))
    assert len(exported) == len(set(exported))
    missing = [name for name in exported if not hasattr(ethical_decisions, name)]
    assert missing == []


def test_every_public_name_has_a_docstring() -> None:
    """Each exported class and function says what it is for."""
    undocumented = [
        name
        for name in ethical_decisions.__all__
        if (inspect.isclass(obj := getattr(ethical_decisions, name)) or inspect.isfunction(obj))
        and not inspect.getdoc(obj)
    ]
    assert undocumented == []


def test_version_comes_from_the_installed_metadata() -> None:
    """__version__ is the distribution's version, not typed by hand."""
    from importlib.metadata import version

    assert ethical_decisions.__version__ == version("ethical-decisions")
