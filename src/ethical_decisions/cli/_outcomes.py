"""``outcomes``: later outcomes recorded against a decision by its case reference, one at a time or from CSV.

``outcomes record`` records one (the reference is read from standard input with
``--case -``, so that it stays out of the shell's history), ``outcomes import
FILE.csv [--dry-run]`` a file of them (see :mod:`ethical_decisions.outcomes`),
and ``outcomes index`` indexes the reviews opened before the store had a case
index or while no key was set. Each needs the deployment's case index key in
``EDM_CASE_INDEX_KEY``. Nothing printed repeats a case reference: counts and
line numbers only. They act as the records officer named by ``--staff``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ethical_decisions.caseindex import KEY_VARIABLE
from ethical_decisions.model import LaterOutcomeKind, LaterOutcomeResult, RecordsOfficer
from ethical_decisions.outcomes import COLUMNS, MAX_LINES, import_outcomes

from ._common import connect, parse_date, read_text, staff_id
from ._progress import Progress

__all__ = ["add_commands"]

_KINDS = [k.value for k in LaterOutcomeKind]
_RESULTS = [r.value for r in LaterOutcomeResult]


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``outcomes`` with ``record``, ``import`` and ``index``."""
    outcomes = commands.add_parser(
        "outcomes",
        help="record appeal, tribunal, complaint and other later outcomes by case reference",
        description="Later outcomes (administrative review, appeal, tribunal, complaint, judicial review, MP "
        "letter, ombudsman) recorded against the decision on a case, found by its case reference through "
        f"the keyed case index (the key in ${KEY_VARIABLE}). Nothing printed repeats a case reference.",
    )
    actions = outcomes.add_subparsers(title="actions", metavar="ACTION")

    record = actions.add_parser(
        "record",
        help="record one later outcome against a case",
        description="Record one later outcome on the last closed review of the case. A result of pending "
        "records a challenge lodged and not yet decided (--on is then the day it was lodged): it holds the "
        "review's free text from a retention sweep until its result is recorded.",
    )
    record.add_argument(
        "--case",
        required=True,
        metavar="REFERENCE",
        help="the case reference (- to read it from standard input)",
    )
    record.add_argument("--kind", required=True, choices=_KINDS, metavar="KIND", help=", ".join(_KINDS))
    record.add_argument(
        "--result", required=True, choices=_RESULTS, metavar="RESULT", help=", ".join(_RESULTS)
    )
    record.add_argument("--on", required=True, type=parse_date, metavar="DATE", help="the date of the result")
    record.add_argument("--staff", required=True, type=staff_id, metavar="STAFF_ID", help="your staff id")
    record.set_defaults(run=_record)

    bulk = actions.add_parser(
        "import",
        help="record the later outcomes in a CSV file (--dry-run to check it first)",
        description=f"Record the later outcomes in a CSV file with a header row naming {', '.join(COLUMNS)}. "
        "The whole file is checked first: a malformed row (named by line and column) stops the import "
        "before anything is recorded. A row whose outcome its review already has is skipped, so an import "
        "can be run again. --dry-run only reads the file and matches its references, and reports counts "
        f"and the line numbers (the first {MAX_LINES}) of the rows it cannot match.",
    )
    bulk.add_argument("file", type=Path, metavar="FILE.csv")
    bulk.add_argument("--dry-run", action="store_true", help="record nothing; report what would match")
    bulk.add_argument("--staff", required=True, type=staff_id, metavar="STAFF_ID", help="your staff id")
    bulk.set_defaults(run=_import)

    index = actions.add_parser(
        "index",
        help="index the case references of reviews opened without the key",
        description="Index the case reference of every review not yet in the case index whose free text is "
        "not erased: for reviews opened before schema step 5, or while no key was set. Run again after "
        "changing the key (rows under the old key are then never found).",
    )
    index.set_defaults(run=_index)


def _record(args: argparse.Namespace) -> int:
    reference = read_text(args.case, "--case").strip()
    with connect(args) as edm:
        review = edm.record_later_outcome_by_case(
            reference,
            by=RecordsOfficer(args.staff),
            challenge=LaterOutcomeKind(args.kind),
            result=LaterOutcomeResult(args.result),
            decided_on=args.on,
        )
    print(f"Recorded the {args.kind.replace('_', ' ')} outcome on review {review.review_id}.")
    return 0


def _lines(label: str, lines: tuple[int, ...], count: int) -> None:
    if lines:
        more = f" (and {count - len(lines)} more)" if count > len(lines) else ""
        print(f"  {label}: lines {', '.join(map(str, lines))}{more}")


def _import(args: argparse.Namespace) -> int:
    with connect(args, create=not args.dry_run) as edm, Progress("reading", 0) as bar:
        report = import_outcomes(
            edm,
            args.file,
            by=RecordsOfficer(args.staff),
            dry_run=args.dry_run,
            progress=lambda rows: bar.advance(rows - bar.done),
        )
    print(("Dry run, nothing recorded: " if report.dry_run else "") + report.summary() + ".")
    _lines("not found in the case index", report.unmatched_lines, report.unmatched)
    _lines("could not be recorded", report.not_recordable_lines, report.not_recordable)
    for problem in report.problems:
        print(f"  {problem}")
    if report.invalid > len(report.problems):
        print(f"  and {report.invalid - len(report.problems)} more malformed rows")
    return 0


def _index(args: argparse.Namespace) -> int:
    with connect(args) as edm, Progress("indexing", 1) as bar:

        def advance(done: int, total: int) -> None:
            bar.total = max(total, 1)
            bar.advance(done - bar.done)

        added = edm.index_case_references(progress=advance)
    print(f"Indexed {added} reviews' case references.", file=sys.stdout)
    return 0
