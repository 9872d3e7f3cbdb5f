"""The benchmark harness: timing, medians, the result line and the verdict.

Every ratio is the library's time over a baseline's time measured in the same
run, the sides interleaved (library, baseline, baseline, library, …; with more
than two sides, each run starts one side later) so that a change in the
machine's load falls on all alike. Each side's time is the median of its
repeated runs, so a few slow runs on a busy machine do not move the verdict;
the spread is the lowest and highest ratio of the runs taken pair by pair
(run *i* of the library over run *i* of the baseline).

Memory is measured in a fresh child process that reports its own peak
resident set (:func:`child_peak_mb`), so neither the parent's size nor
another child's peak shows up in a figure.
"""

from __future__ import annotations

import gc
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "Figure",
    "Maker",
    "Skipped",
    "Timings",
    "child_peak_mb",
    "compare",
    "compare_sides",
    "format_seconds",
    "pair_ratios",
    "print_peak",
    "ratio_figure",
    "time_once",
]

Maker = Callable[[], Callable[[], object]]
"""Prepares one timed run (fresh files, say; not timed) and returns the call to time."""

_PEAK = "peak-rss-kb="


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


def compare_sides(makers: Mapping[str, Maker], *, runs: int) -> dict[str, Timings]:
    """Time every side *runs* times, interleaved: each run starts one side later than the one before.

    With two sides that is library, baseline, baseline, library, … Returns
    each side's timings, by name.
    """
    names = list(makers)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for index in range(runs):
        start = index % len(names)
        order = names[start:] + names[:start]
        if index % 2:
            order.reverse()
        for name in order:
            samples[name].append(time_once(makers[name]()))
    return {name: Timings(tuple(found)) for name, found in samples.items()}


def compare(library: Maker, baseline: Maker, *, runs: int) -> tuple[Timings, Timings]:
    """Time *library* and *baseline* *runs* times each, interleaved, alternating which goes first."""
    found = compare_sides({"library": library, "baseline": baseline}, runs=runs)
    return found["library"], found["baseline"]


def pair_ratios(library: Timings, baseline: Timings) -> list[float]:
    """Run *i* of the library over run *i* of the baseline, for every *i*."""
    return [mine / theirs for mine, theirs in zip(library.samples, baseline.samples, strict=True)]


def child_peak_mb(argv: Sequence[str]) -> float:
    """Run ``python *argv*`` in a fresh process; its peak resident set in MB (see :func:`print_peak`)."""
    done = subprocess.run([sys.executable, *argv], check=True, capture_output=True, text=True)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(_PEAK):
            return int(line.removeprefix(_PEAK)) / 1024
    raise RuntimeError(f"the child {argv!r} did not report its peak memory: {done.stderr[-2000:]}")


def print_peak() -> None:
    """In a child of :func:`child_peak_mb`: print this process's peak resident set.

    Read from ``VmHWM`` in ``/proc/self/status``: the high-water mark of this
    program's own memory. ``ru_maxrss`` would not do: Linux carries it across
    ``exec``, so a child started by a large parent reports the parent's size.
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:  # not Linux: the best there is
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    else:
        (line,) = [line for line in status.splitlines() if line.startswith("VmHWM:")]
        peak_kb = int(line.split()[1])
    print(f"{_PEAK}{peak_kb}", flush=True)


def ratio_figure(
    name: str,
    target: float,
    library: Timings,
    baseline: Timings,
    *,
    per: int = 1,
    unit: str = "",
    names: tuple[str, str] = ("library", "baseline"),
    note: str = "",
) -> Figure:
    """The figure for the ratio of the median times: both medians, the runs, the spread and *note*."""
    ratios = pair_ratios(library, baseline)
    spread = f", pair ratios {min(ratios):.2f}-{max(ratios):.2f}" if len(ratios) > 1 else ""
    detail = (
        f"{names[0]} {library.describe(per, unit)}, {names[1]} {baseline.describe(per, unit)}"
        f" (medians of {len(library.samples)} paired runs{spread})"
    )
    return Figure(name, library.median / baseline.median, target, f"{detail}; {note}" if note else detail)
