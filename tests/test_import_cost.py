"""What ``import ethical_decisions`` costs: no rarely used modules, no slow work at class creation.

The import is timed against the dependencies' own (``bench/bench_import_time.py``);
these tests keep the causes of a slow import from coming back one at a time.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import types
from typing import Any

import attrs
import pytest

from ethical_decisions import DecisionMaker, StaffRole, ValidationError
from ethical_decisions.transports import WebhookTransport


def _modules_after(statement: str) -> set[str]:
    """The modules loaded in a fresh interpreter after running *statement*."""
    found = subprocess.run(
        [sys.executable, "-c", f"{statement}\nimport sys\nprint('\\n'.join(sys.modules))"],
        check=True,
        capture_output=True,
        text=True,
    )
    return set(found.stdout.split())


@pytest.mark.parametrize(
    "module",
    [
        "sqlite3",  # the SQLite store, loaded when first opened
        "importlib.metadata",  # entry points and the version, read when first asked for
        "urllib.request",  # the webhook transport's HTTP machinery, loaded on first delivery
        "http.client",
        "hmac",  # webhook signatures, computed on first delivery
        "random",  # ids and salts come straight from os.urandom
    ],
)
def test_import_does_not_load_modules_for_rare_features(module: str) -> None:
    """Importing the library leaves modules needed only by features not yet used unloaded."""
    assert module not in _modules_after("import ethical_decisions")


def _attrs_classes() -> list[type]:
    """Every attrs class defined in the library's modules that ``import ethical_decisions`` loads."""
    loaded = _modules_after("import ethical_decisions")
    classes: list[type] = []
    for name in sorted(m for m in loaded if m == "ethical_decisions" or m.startswith("ethical_decisions.")):
        for value in vars(importlib.import_module(name)).values():
            if isinstance(value, type) and attrs.has(value) and value.__module__ == name:
                classes.append(value)
    return classes


def test_converters_are_plain_functions() -> None:
    """Every field converter of the classes made at import is a Python function.

    attrs reads each converter's signature when it makes the class; for a class
    (an enum, say) or a builtin such as ``float`` that takes several times
    longer, and the first builtin makes :mod:`inspect` compile the tokenizer's
    patterns: milliseconds of every import.
    """
    classes = _attrs_classes()
    assert DecisionMaker in classes  # the search finds the classes it should
    slow = [
        f"{cls.__name__}.{field.name}"
        for cls in classes
        for field in attrs.fields(cls)
        if field.converter is not None and not isinstance(field.converter, types.FunctionType)
    ]
    assert slow == []


def test_enum_converters_still_convert_and_refuse() -> None:
    """A role given as its code becomes the enum; an unknown code is refused without being echoed."""
    assert DecisionMaker("dm-1", "caseworker", "border_force", "T").role is StaffRole.CASEWORKER
    with pytest.raises(ValidationError) as caught:
        DecisionMaker("dm-1", "MARKER-ROLE", "border_force", "T")
    assert "MARKER-ROLE" not in str(caught.value)


@pytest.mark.parametrize(("given", "seconds"), [(2, 2.0), (2.5, 2.5), ("7.5", 7.5)])
def test_webhook_timeout_is_converted_to_float(given: Any, seconds: float) -> None:
    """The webhook's timeout is stored as a float whether given as an int, a float or numeric text."""
    transport = WebhookTransport("https://receiver.example/hook", "s3cret", given)

    assert transport.timeout == seconds
    assert type(transport.timeout) is float
