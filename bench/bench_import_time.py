"""import_time: ``import ethical_decisions`` in a fresh interpreter, against importing its dependencies.

Each run starts a new Python (``-c 'import X'``, with the same flags) and
times it to exit; the two are interleaved. The baseline imports attrs, cattrs,
pluggy and structlog, which the library cannot avoid; the library may add
little on top, since entry points are loaded on first use, not at import.

Both sides get the same bytecode treatment. The dependencies, installed from
wheels, have compiled bytecode (``.pyc``) written at install time, and a
deployed wheel of this library would too; but the library is installed
editable here, and ``PYTHONDONTWRITEBYTECODE`` (set in this environment) would
have it compiled from source on every import, billing it for work a user never
pays. So each child runs without ``PYTHONDONTWRITEBYTECODE`` and with
``PYTHONPYCACHEPREFIX`` set to a folder under ``bench/.cache/`` (kept out of the
source tree), and the warm-up runs write the bytecode before anything is timed.
With a prefix set, Python reads the bytecode of every module it loads from
source (the standard library's and the dependencies' too) from that folder
only, so both sides read cached bytecode from the same place and neither
compiles while timed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from harness import Figure, compare, ratio_figure

__all__ = ["run"]

TARGET = 1.3
LIBRARY = "import ethical_decisions"
BASELINE = "import attrs, cattrs, pluggy, structlog"
PYCACHE = Path(__file__).resolve().parent / ".cache" / "pycache"
"""Where both sides' children write and read their bytecode (``PYTHONPYCACHEPREFIX``)."""


def _child_env() -> dict[str, str]:
    """The environment of this process, with bytecode written to and read from :data:`PYCACHE`."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def _start(statement: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-c", statement], check=True, env=env)


def _interpreter(statement: str, env: dict[str, str]) -> Callable[[], Callable[[], object]]:
    def prepare() -> Callable[[], object]:
        def go() -> None:
            _start(statement, env)

        return go

    return prepare


def run(quick: bool) -> list[Figure]:
    """Start *runs* interpreters each way; the ``import_time`` figure."""
    runs = 1 if quick else 41
    env = _child_env()
    PYCACHE.mkdir(parents=True, exist_ok=True)
    for _ in range(1 if quick else 3):  # write the bytecode and warm the file cache
        _start(LIBRARY, env)
        _start(BASELINE, env)
    lib, base = compare(_interpreter(LIBRARY, env), _interpreter(BASELINE, env), runs=runs)
    return [ratio_figure("import_time", TARGET, lib, base, unit="interpreter")]
