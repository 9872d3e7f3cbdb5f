"""What the commands share: opening the store, reading text and dates, writing output."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from ethical_decisions._fields import is_identifier
from ethical_decisions.exceptions import NotFoundError, ValidationError
from ethical_decisions.plugins import make_plugins
from ethical_decisions.policy import People
from ethical_decisions.review import Referral, Review
from ethical_decisions.service import EthicalDecisions
from ethical_decisions.store import open_store

__all__ = [
    "connect",
    "opened",
    "parse_date",
    "positive_number",
    "positive_seconds",
    "read_text",
    "referral_on_route",
    "staff_id",
    "whole_number",
    "write_output",
]


@contextlib.contextmanager
def connect(
    args: argparse.Namespace,
    *,
    clock: Callable[[], dt.datetime] | None = None,
    people: People | None = None,
    create: bool = True,
) -> Iterator[EthicalDecisions]:
    """The service over the store the command line names, closed afterwards.

    :param clock: the service's clock, if not the system's.
    :param people: what the permission policy knows of people, if not the people file's.
    :param create: make the store if there is none (for commands that write); a
        command that only reads passes ``False``, and a missing store is refused.
    """
    store = open_store(args.db, create=create)
    plugins = make_plugins(people=people)
    try:
        yield (
            EthicalDecisions(store, plugins=plugins, clock=clock)
            if clock
            else EthicalDecisions(store, plugins=plugins)
        )
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


def staff_id(value: str) -> str:
    """An argparse type: a staff id (checked here, so that a mistyped one is never repeated back)."""
    if not is_identifier(value):
        raise argparse.ArgumentTypeError(
            "expected a staff id of 1 to 100 letters, digits, '.', '_', ':' or '-', starting with a letter "
            "or digit"
        )
    return value


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


def referral_on_route(edm: EthicalDecisions, referral_id: str, route_id: str) -> tuple[Review, Referral]:
    """The referral and its review, if the referral was made to *route_id*.

    :raises NotFoundError: if there is no such referral, or it was made to another
        route (whose referrals are neither shown nor confirmed to exist).
    """
    referral = edm.referral(referral_id)
    if referral.route_id != route_id:
        raise NotFoundError(f"referral to route {route_id!r}", referral_id)
    return edm.review(referral.review_id), referral


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
