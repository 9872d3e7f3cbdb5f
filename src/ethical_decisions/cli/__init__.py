"""The ``ethical-decisions`` command: demo, routes, queues, handover, reports, outcomes, retention, audit.

Run ``ethical-decisions --help``, or ``ethical-decisions COMMAND --help``. The
store is chosen with ``--db URL`` before the command (``sqlite:///path.db`` or
``postgresql://…``); by default the ``EDM_DATABASE_URL`` variable, else the
SQLite file ``ethical-decisions.db`` in the current folder.

Exit status: 0 on success, 1 when the library refuses something or the audit
chain does not verify (the message says why and what to do), 2 for a command
line that cannot be understood.
"""

from __future__ import annotations

import argparse
import difflib
import logging
import os
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import structlog

from ethical_decisions.exceptions import EthicalDecisionsError
from ethical_decisions.store import DATABASE_URL_VARIABLE, DEFAULT_DATABASE_URL

from . import (
    _assess,
    _audit,
    _delivery,
    _demo,
    _learning,
    _outcomes,
    _people,
    _queue,
    _report,
    _retention,
    _routes,
    _serve,
)

__all__ = ["main"]

PROG = "ethical-decisions"


_OPTION = re.compile(r"--?[A-Za-z][A-Za-z-]*")
_GIVEN_VALUE = re.compile(r"(invalid choice: |invalid \S+ value: )'(?:[^'\\]|\\.)*'")


class _Parser(argparse.ArgumentParser):
    """argparse, but its errors never repeat what was typed: an argument may be free text or personal data."""

    def error(self, message: str, *, prog: str | None = None) -> NoReturn:
        if message.startswith("unrecognized arguments: "):
            given = message.removeprefix("unrecognized arguments: ").split(" ")
            options = [word for word in given if _OPTION.fullmatch(word)]
            named = f" (options: {', '.join(options)})" if options else ""
            message = f"unrecognized arguments{named}; see '{prog or self.prog} --help' for what it takes"
        message = _GIVEN_VALUE.sub(r"\1the value given", message)
        super().error(message)

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        # A typo'd command or choice: suggest the nearest valid one (never repeating what was typed).
        choices = action.choices
        if choices is not None and value not in choices:
            names = [str(choice) for choice in choices]
            near = difflib.get_close_matches(str(value), names, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise argparse.ArgumentError(action, f"invalid choice{hint} (choose from {', '.join(names)})")
        super()._check_value(action, value)


def _parser() -> _Parser:
    parser = _Parser(
        prog=PROG,
        description=(
            "The Home Office Ethical Decision-Making Model for casework systems: "
            "run the demo, list routes, work a route's referral queue, hand a review "
            "over, assess sampled records for a PDR, report on compliance, and check the audit trail."
        ),
        epilog=f"The store defaults to ${DATABASE_URL_VARIABLE}, else {DEFAULT_DATABASE_URL}.",
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        help=f"the store: sqlite:///path.db or postgresql://user@host/db (default: ${DATABASE_URL_VARIABLE}, "
        f"else {DEFAULT_DATABASE_URL})",
    )
    parser.add_argument("--verbose", action="store_true", help="log the library's events to stderr")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in (
        _demo,
        _routes,
        _queue,
        _people,
        _delivery,
        _report,
        _assess,
        _learning,
        _outcomes,
        _retention,
        _audit,
        _serve,
    ):
        module.add_commands(commands)
    _name_commands(parser)
    return parser


def _name_commands(parser: argparse.ArgumentParser) -> None:
    """Have each command's parser leave its name in the namespace (``command_prog``).

    A command's defaults are applied after its parent's, so the command given names itself last: an
    unrecognized option is then answered with that command's help.
    """
    parser.set_defaults(command_prog=parser.prog)
    for action in parser._actions:  # argparse lists a parser's subparsers nowhere public
        if isinstance(action, argparse._SubParsersAction):
            for sub in set(action.choices.values()):
                _name_commands(sub)


def _configure_logging(verbose: bool) -> None:
    # The command is an application, so it (unlike the library) may configure structlog.
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO if verbose else logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line *argv* (default: ``sys.argv[1:]``) and return the exit status."""
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}", prog=args.command_prog)
    if not hasattr(args, "run"):
        parser.print_help(sys.stderr)
        return 2
    if hasattr(args, "check"):  # what argparse cannot check alone, reported as its own errors are
        args.check(args)
    _configure_logging(args.verbose)
    try:
        status: int = args.run(args)
    except EthicalDecisionsError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; everything already recorded is kept", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (``| head``): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:  # a file the command was told to write (--output, --reports)
        where = f" {exc.filename}" if exc.filename else ""
        print(
            f"{PROG}: error: cannot write{where}: {exc.strerror or type(exc).__name__}; "
            "check the path is a file in a folder you can write to, and try again",
            file=sys.stderr,
        )
        return 1
    return status
