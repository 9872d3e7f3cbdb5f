"""A progress bar on stderr for work that takes more than a second; silent when stderr is not a terminal."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

__all__ = ["Progress"]

_WIDTH = 30
_DELAY = 1.0
_REFRESH = 0.1


class Progress:
    """Shows ``label [#####     ] 12/40`` on *stream*, once the work has run for a second.

    Use as a context manager and call :meth:`advance` per item done. Nothing is
    written unless *stream* is a terminal, so logs and pipes stay clean.
    """

    def __init__(self, label: str, total: int, *, stream: TextIO | None = None) -> None:
        self.label = label
        self.total = max(total, 1)
        self.done = 0
        self._stream = stream if stream is not None else sys.stderr
        self._enabled = self._stream.isatty()
        self._started = time.monotonic()
        self._drawn_at = 0.0
        self._shown = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._shown:
            self._draw()
            self._stream.write("\n")
            self._stream.flush()

    def advance(self, count: int = 1) -> None:
        """Record *count* more items done, redrawing at most ten times a second."""
        self.done = min(self.done + count, self.total)
        if not self._enabled:
            return
        now = time.monotonic()
        if now - self._started < _DELAY or now - self._drawn_at < _REFRESH:
            return
        self._drawn_at = now
        self._shown = True
        self._draw()

    def _draw(self) -> None:
        filled = _WIDTH * self.done // self.total
        bar = "#" * filled + " " * (_WIDTH - filled)
        self._stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total}")
        self._stream.flush()
