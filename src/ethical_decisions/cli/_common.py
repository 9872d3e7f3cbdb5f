"""What the commands share: opening the store, reading text and dates, writing output."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from ethical_decisions._fields import ID_FORMATS, is_id
from ethical_decisions.clock import system_clock
from ethical_decisions.exceptions import EthicalDecisionsError, NotFoundError, ValidationError
from ethical_decisions.plugins import make_plugins
from ethical_decisions.policy import People
from ethical_decisions.review import Referral, Review
from ethical_decisions.service import EthicalDecisions
from ethical_decisions.store import Store, open_store

__all__ = [
    "CommandError",
    "check_output",
    "connect",
    "opened",
    "parse_date",
    "positive_number",
    "positive_seconds",
    "read_text",
    "referral_id",
    "referral_on_route",
    "refuse_store_file",
    "review_id",
    "staff_id",
    "whole_number",
    "write_output",
]


class CommandError(EthicalDecisionsError):
    """The command cannot do what was asked (e.g. write where ``--output`` says); nothing was written."""


@contextlib.contextmanager
def connect(
    args: argparse.Namespace,
    *,
    clock: Callable[[], dt.datetime] | None = None,
    people: People | None = None,
    create: bool = False,
    case_index_key: str | None = None,
) -> Iterator[EthicalDecisions]:
    """The service over the store the command line names, closed afterwards.

    :param clock: the service's clock, if not the system's.
    :param people: what the permission policy knows of people, if not the people file's.
    :param case_index_key: the case index key, if not ``EDM_CASE_INDEX_KEY``'s.
    :param create: make the store if there is none. Only ``demo`` does: every other
        command acts on what is already recorded, so a store that does not exist
        (a mistyped path, the wrong folder) is refused, naming where it was looked for.
    """
    store = open_store(args.db, create=create)
    plugins = make_plugins(people=people)
    try:
        yield EthicalDecisions(
            store, plugins=plugins, clock=clock or system_clock, case_index_key=case_index_key
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


def _id_type(kind: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not is_id(value, kind):
            raise argparse.ArgumentTypeError(f"expected {ID_FORMATS[kind]}")
        return value

    check.__name__ = f"{kind}_id"
    check.__doc__ = f"An argparse type: {ID_FORMATS[kind]} (a malformed one is never repeated back)."
    return check


staff_id = _id_type("staff")
review_id = _id_type("review")
referral_id = _id_type("referral")


def parse_date(value: str) -> dt.date:
    """An argparse type: a date written YYYY-MM-DD that exists on the calendar."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            raise argparse.ArgumentTypeError(
                "that date does not exist: the month has fewer days, or is not 01 to 12"
            ) from None
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


def _store_files(store: Store | None) -> list[str]:
    """The real paths of *store*'s files (an SQLite file, its journal and WAL); none for others."""
    path = getattr(store, "path", None)
    if not isinstance(path, Path):
        return []
    return [os.path.realpath(f"{path}{suffix}") for suffix in ("", "-wal", "-shm", "-journal")]


def _is_store_file(output: Path, store: Store | None) -> bool:
    real = os.path.realpath(output)
    for name in _store_files(store):
        if real == name:
            return True
        with contextlib.suppress(OSError):  # either may not exist: then only the paths are compared
            if os.path.samefile(output, name):  # a hard link to the store's file
                return True
    return False


def refuse_store_file(output: Path, store: Store | None) -> None:
    """Refuse to write *output* if it is one of *store*'s own files (by any path or link).

    :raises CommandError: naming the path.
    """
    if _is_store_file(output, store):
        raise CommandError(
            f"Cannot write {output}: it is the store's own file, which writing would destroy (even with "
            "--force). Name another file; nothing was written."
        )


def check_output(output: Path | None, *, force: bool, store: Store | None = None) -> None:
    """Refuse an ``--output`` that would overwrite something, before anything is written.

    The store's own files are always refused (even with *force*); an existing file
    unless *force*; a folder; and a file in a folder that does not exist (folders are
    never made).

    :raises CommandError: naming the path and what to do.
    """
    if output is None:
        return
    folder = output.parent
    refuse_store_file(output, store)
    if not folder.is_dir():
        raise CommandError(
            f"Cannot write {output}: the folder {folder} does not exist. Make the folder first, or name a "
            "file in a folder that exists (folders are never made); nothing was written."
        )
    if output.is_dir():
        raise CommandError(f"Cannot write {output}: it is a folder. Name a file; nothing was written.")
    if not force and (output.exists() or output.is_symlink()):
        raise CommandError(
            f"Cannot write {output}: the file already exists. Pass --force to replace it, or name a new "
            "file; nothing was written."
        )


@contextlib.contextmanager
def opened(output: Path | None, *, force: bool = False, store: Store | None = None) -> Iterator[TextIO]:
    """A stream writing to *output*, or standard output when none is given.

    *output* is checked first (:func:`check_output`); without *force* it is made
    exclusively, so a file that appeared meanwhile is not replaced either.
    """
    if output is None:
        yield sys.stdout
        return
    check_output(output, force=force, store=store)
    try:
        stream = output.open("w" if force else "x", encoding="utf-8")
    except FileExistsError:
        raise CommandError(
            f"Cannot write {output}: the file already exists. Pass --force to replace it, or name a new "
            "file; nothing was written."
        ) from None
    try:
        with stream:
            yield stream
    except BaseException:
        if not force:  # the file was made here: leave no half-written one behind
            output.unlink(missing_ok=True)
        raise
    print(f"wrote {output}", file=sys.stderr)


def write_output(text: str, output: Path | None, *, force: bool = False, store: Store | None = None) -> None:
    """Write *text* to *output* (see :func:`opened`), or to standard output when none is given."""
    with opened(output, force=force, store=store) as stream:
        stream.write(text if text.endswith("\n") else text + "\n")
