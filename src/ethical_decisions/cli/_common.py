"""What the commands share: opening the store, reading text and dates, writing output."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from ethical_decisions.exceptions import ValidationError
from ethical_decisions.service import EthicalDecisions
from ethical_decisions.store import open_store

__all__ = [
    "connect",
    "opened",
    "parse_date",
    "positive_number",
    "positive_seconds",
    "read_text",
    "whole_number",
    "write_output",
]


@contextlib.contextmanager
def connect(
    args: argparse.Namespace, *, clock: Callable[[], dt.datetime] | None = None, create: bool = True
) -> Iterator[EthicalDecisions]:
    """The service over the store the command line names (with *clock*, if given), closed afterwards.

    :param create: make the store if there is none (for commands that write); a
        command that only reads passes ``False``, and a missing store is refused.
    """
    store = open_store(args.db, create=create)
    try:
        yield EthicalDecisions(store, clock=clock) if clock is not None else EthicalDecisions(store)
    finally:
        store.close()


def whole_number(value: str) -> int:
    """An argparse type: a whole number of 0 or more."""
    if not value.isdigit():
        raise argparse.ArgumentTypeError("expected a whole number of 0 or more")
    return int(value)


def positive_number(value: str) -> int:
    """An argparse type: a whole number of 1 or more."""
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError("expected a whole number of 1 or more")
    return int(value)


def positive_seconds(value: str) -> float:
    """An argparse type: a number of seconds greater than 0."""
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError("expected a number of seconds greater than 0, e.g. 5 or 0.5")
    return seconds


def parse_date(value: str) -> dt.date:
    """An argparse type: a date written YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a date written YYYY-MM-DD, e.g. 2026-11-23") from None


def read_text(value: str, option: str) -> str:
    """The text given for *option*; ``-`` reads it from standard input."""
    text = sys.stdin.read() if value == "-" else value
    if not text.strip():
        raise ValidationError(f"The {option} option", [f"{option}: must not be empty or only whitespace"])
    return text


@contextlib.contextmanager
def opened(output: Path | None) -> Iterator[TextIO]:
    """A stream writing to *output* (its folder made if need be), or standard output when none is given."""
    if output is None:
        yield sys.stdout
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8") as stream:
        yield stream
    print(f"wrote {output}", file=sys.stderr)


def write_output(text: str, output: Path | None) -> None:
    """Write *text* to *output*, or to standard output when none is given."""
    with opened(output) as stream:
        stream.write(text if text.endswith("\n") else text + "\n")
