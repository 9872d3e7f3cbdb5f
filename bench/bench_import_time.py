"""import_time: ``import ethical_decisions`` in a fresh interpreter, against importing its dependencies.

Each run starts a new Python (``-c 'import X'``, with the same flags) and
times it to exit; the two are interleaved. The baseline imports attrs, cattrs,
pluggy and structlog, which the library cannot avoid; the library may add
little on top, since entry points are loaded on first use, not at import.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable

from harness import Figure, compare, ratio_figure

__all__ = ["run"]

TARGET = 1.3
LIBRARY = "import ethical_decisions"
BASELINE = "import attrs, cattrs, pluggy, structlog"


def _interpreter(statement: str) -> Callable[[], Callable[[], object]]:
    def prepare() -> Callable[[], object]:
        def go() -> None:
            subprocess.run([sys.executable, "-c", statement], check=True)

        return go

    return prepare


def run(quick: bool) -> list[Figure]:
    """Start *runs* interpreters each way; the ``import_time`` figure."""
    runs = 1 if quick else 41
    for _ in range(0 if quick else 3):  # warm the file cache and the bytecode
        subprocess.run([sys.executable, "-c", LIBRARY], check=True)
        subprocess.run([sys.executable, "-c", BASELINE], check=True)
    started = time.perf_counter()
    lib, base = compare(_interpreter(LIBRARY), _interpreter(BASELINE), runs=runs)
    del started
    return [ratio_figure("import_time", TARGET, lib, base, unit="interpreter")]
