"""The benchmark harness: timing, medians, the result line and the verdict.

Every figure is a ratio of the library's time to a baseline's time measured in
the same run, the two interleaved (library, baseline, baseline, library, …) so
that a change in the machine's load falls on both alike. Each side's time is
the median of its repeated runs, so a few slow runs on a busy machine do not
move the verdict.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["Figure", "Skipped", "Timings", "compare", "format_seconds", "ratio_figure", "time_once"]


class Skipped(Exception):  # noqa: N818 - read as "benchmark skipped", like unittest.SkipTest
    """A benchmark that cannot run here (no PostgreSQL server, say); the message says why."""


@dataclass(frozen=True)
class Timings:
    """The seconds each repeated run of one side took."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        """The median run, in seconds."""
        return statistics.median(self.samples)

    def describe(self, per: int = 1, unit: str = "") -> str:
        """The median (per item when *per* > 1), e.g. ``"0.512 ms per review"``."""
        per_item = f" per {unit}" if unit else ""
        return f"{format_seconds(self.median / per)}{per_item}"


@dataclass(frozen=True)
class Figure:
    """One line of the report: a measured value, its target, and what it was measured from.

    :param value: a ratio, or an absolute amount in *unit*.
    :param target: the largest value that passes.
    :param detail: the absolute timings (or sizes) behind the value.
    """

    name: str
    value: float
    target: float
    detail: str
    unit: str = ""

    @property
    def passed(self) -> bool:
        """Whether the value meets its target."""
        return self.value <= self.target

    def line(self) -> str:
        """``<name> <value> target <= <target>`` followed by the figures behind it."""
        unit = f" {self.unit}" if self.unit else ""
        verdict = "ok" if self.passed else "MISSED"
        return (
            f"{self.name} {self.value:.2f}{unit} target <= {self.target:g}{unit}  [{verdict}]  {self.detail}"
        )


def format_seconds(seconds: float) -> str:
    """*seconds* in a readable unit: ``"812 µs"``, ``"4.21 ms"``, ``"1.37 s"``."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def time_once(run: Callable[[], object]) -> float:
    """Seconds one call of *run* takes, after a garbage collection so that earlier garbage is not billed."""
    gc.collect()
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def compare(
    library: Callable[[], Callable[[], object]],
    baseline: Callable[[], Callable[[], object]],
    *,
    runs: int,
) -> tuple[Timings, Timings]:
    """Time *library* and *baseline* *runs* times each, interleaved, alternating which goes first.

    Each argument prepares one run (fresh files, say; not timed) and returns
    the call to time. Returns each side's timings.
    """
    sides: tuple[list[float], list[float]] = ([], [])
    makers: Sequence[Callable[[], Callable[[], object]]] = (library, baseline)
    for index in range(runs):
        order = (0, 1) if index % 2 == 0 else (1, 0)
        for side in order:
            sides[side].append(time_once(makers[side]()))
    return Timings(tuple(sides[0])), Timings(tuple(sides[1]))


def ratio_figure(
    name: str,
    target: float,
    library: Timings,
    baseline: Timings,
    *,
    per: int = 1,
    unit: str = "",
) -> Figure:
    """The figure for the ratio of the median times, with both medians and the number of runs."""
    detail = (
        f"library {library.describe(per, unit)}, baseline {baseline.describe(per, unit)}"
        f" (medians of {len(library.samples)} runs)"
    )
    return Figure(name, library.median / baseline.median, target, detail)
