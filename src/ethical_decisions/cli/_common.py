"""What the commands share: opening the store, reading text and dates, writing output."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path

from ethical_decisions.exceptions import ValidationError
from ethical_decisions.service import EthicalDecisions
from ethical_decisions.store import open_store

__all__ = ["connect", "parse_date", "read_text", "write_output"]


@contextlib.contextmanager
def connect(args: argparse.Namespace) -> Iterator[EthicalDecisions]:
    """The service over the store the command line names, closed afterwards."""
    store = open_store(args.db)
    try:
        yield EthicalDecisions(store)
    finally:
        store.close()


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


def write_output(text: str, output: Path | None) -> None:
    """Write *text* to *output*, or to standard output when none is given."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    print(f"wrote {output}", file=sys.stderr)
