"""Later outcomes imported in bulk from CSV, matched to reviews by case reference through the keyed index.

The file has a header row naming these columns, in any order (other columns are refused):

``case_reference``
    the casework system's case reference (personal data: never repeated in a report, error or log).
``kind``
    ``administrative_review``, ``appeal``, ``tribunal``, ``complaint``, ``judicial_review``,
    ``mp_letter`` or ``ombudsman``.
``result``
    ``upheld``, ``overturned``, ``withdrawn`` or ``pending`` (lodged, not yet decided).
``decided_on``
    the date of the result (for ``pending``, the day it was lodged), ``YYYY-MM-DD``.

:func:`import_outcomes` reads the file with the standard library's ``csv``,
a row at a time, and looks the references up in the case index a thousand at a
time, so a file of any length is read in constant memory. A dry run only reads
and matches: it reports how many rows would match a review and how many cannot
(not in the index, or malformed), with line numbers, never the rows' contents.

An import checks the whole file first: if any row is malformed, it raises
:class:`~ethical_decisions.ValidationError` naming the line and column of each
fault (the first :data:`MAX_LINES`) and records nothing. Otherwise it records
each matched row on the review it names (see
:meth:`~ethical_decisions.EthicalDecisions.case_review`), skipping a row whose
outcome (kind, result and date) that review already has, so that an import
interrupted part way can be run again.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import attrs

from .caseindex import case_digester
from .events import LaterOutcomeRecorded
from .exceptions import CaseNotFoundError, NotPermittedError, StepError, ValidationError
from .log import LogEvent, emit
from .model import DecisionMaker, LaterOutcomeKind, LaterOutcomeResult, RecordsOfficer

if TYPE_CHECKING:
    from .service import EthicalDecisions

__all__ = ["COLUMNS", "MAX_LINES", "ImportReport", "import_outcomes"]

COLUMNS = ("case_reference", "kind", "result", "decided_on")
"""The columns a later outcomes file has, named in its header row."""

MAX_LINES = 20
"""How many line numbers a report lists for each kind of row that cannot be matched or read."""

_BATCH = 1000
_KINDS = {k.value: k for k in LaterOutcomeKind}
_RESULTS = {r.value: r for r in LaterOutcomeResult}


@attrs.frozen
class ImportReport:
    """What an import of later outcomes did, or with *dry_run* would do: counts and line numbers only.

    :param rows: data rows read (the header is line 1).
    :param matched: rows whose case reference is in the case index.
    :param unmatched: rows whose case reference is not (or whose review's free text is erased).
    :param invalid: rows that cannot be read; *problems* says where.
    :param recorded: rows recorded on a review (0 in a dry run).
    :param already_recorded: matched rows whose review already has that outcome.
    :param not_recordable: matched rows the review cannot take (still open, or the date is before it closed
        or in the future).
    :param unmatched_lines: the first :data:`MAX_LINES` line numbers of unmatched rows.
    :param problems: the first :data:`MAX_LINES` faults, as ``line N, column NAME: problem``.
    :param not_recordable_lines: the first :data:`MAX_LINES` line numbers of rows that could not be recorded.
    """

    dry_run: bool
    rows: int = 0
    matched: int = 0
    unmatched: int = 0
    invalid: int = 0
    recorded: int = 0
    already_recorded: int = 0
    not_recordable: int = 0
    unmatched_lines: tuple[int, ...] = ()
    problems: tuple[str, ...] = ()
    not_recordable_lines: tuple[int, ...] = ()

    def summary(self) -> str:
        """One line for a terminal or a log: the counts, never a row's contents."""
        done = "would match" if self.dry_run else "matched"
        line = (
            f"{self.rows} rows: {self.matched} {done} a review, {self.unmatched} not found in the case "
            f"index, {self.invalid} malformed"
        )
        if not self.dry_run:
            line += (
                f"; {self.recorded} recorded, {self.already_recorded} already recorded, "
                f"{self.not_recordable} could not be recorded"
            )
        return line


class _Row(NamedTuple):
    line: int
    digest: str
    kind: LaterOutcomeKind
    result: LaterOutcomeResult
    decided_on: dt.date


@functools.lru_cache(maxsize=4096)
def _date(text: str) -> dt.date | None:
    if len(text) != 10:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


class _Reader:
    """Streams a later outcomes file: a :class:`_Row` per good row, faults counted and noted."""

    def __init__(self, stream: Iterator[str], key: bytes) -> None:
        self._reader = csv.reader(stream, strict=True)
        self._digest = case_digester(key)
        self.rows = 0
        self.invalid = 0
        self.problems: list[str] = []

    def _fault(self, line: int, column: str, problem: str) -> None:
        if len(self.problems) < MAX_LINES:
            self.problems.append(f"line {line}, column {column}: {problem}")

    def _header(self) -> tuple[int, int, int, int]:
        try:
            header = next(self._reader)
        except StopIteration:
            raise ValidationError(
                "The later outcomes file", ["line 1: empty; expected a header row"]
            ) from None
        except csv.Error:
            raise ValidationError("The later outcomes file", ["line 1: not readable as CSV"]) from None
        names = [h.strip().lower() for h in header]
        faults = [
            f"line 1, column {i}: not one of {', '.join(COLUMNS)}"
            for i, name in enumerate(names, 1)
            if name not in COLUMNS
        ]
        faults += [f"line 1: the column {c} is missing" for c in COLUMNS if c not in names]
        faults += [f"line 1: the column {c} is named twice" for c in COLUMNS if names.count(c) > 1]
        if faults:
            raise ValidationError("The later outcomes file", faults)
        at = names.index
        return at("case_reference"), at("kind"), at("result"), at("decided_on")

    def __iter__(self) -> Iterator[_Row]:
        reference, kind, result, decided = self._header()
        width = len(COLUMNS)
        digest, reader = self._digest, self._reader
        kinds, results = _KINDS, _RESULTS
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error:
                self.rows += 1
                self.invalid += 1
                self._fault(reader.line_num, "-", "not readable as CSV (check the quotes)")
                continue
            if not row:
                continue
            self.rows += 1
            line = reader.line_num
            if len(row) != width:
                self.invalid += 1
                self._fault(line, "-", f"has {len(row)} fields; the header has {width}")
                continue
            found_kind = kinds.get(row[kind])
            found_result = results.get(row[result])
            found_date = _date(row[decided])
            text = row[reference]
            if found_kind is None or found_result is None or found_date is None or not text.strip():
                self.invalid += 1
                if not text.strip():
                    self._fault(line, "case_reference", "must not be empty")
                if found_kind is None:
                    self._fault(line, "kind", f"must be one of {', '.join(_KINDS)}")
                if found_result is None:
                    self._fault(line, "result", f"must be one of {', '.join(_RESULTS)}")
                if found_date is None:
                    self._fault(line, "decided_on", "must be a date written YYYY-MM-DD")
                continue
            yield _Row(line, digest(text), found_kind, found_result, found_date)


def _batches(rows: Iterator[_Row]) -> Iterator[list[_Row]]:
    batch: list[_Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _note(lines: list[int], line: int) -> None:
    if len(lines) < MAX_LINES:
        lines.append(line)


def import_outcomes(
    edm: EthicalDecisions,
    path: Path | str,
    *,
    by: DecisionMaker | RecordsOfficer,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Read the later outcomes in the CSV file *path* and record each against its case (see the module).

    :param by: who records them (a records officer, under the default policy).
    :param dry_run: only read the file and match its references; record nothing.
    :param progress: called with the number of rows read so far, every thousand rows.
    :raises ValidationError: if the case index key is not set, or (unless *dry_run*) any row is
        malformed: nothing is recorded.
    """
    key = edm._require_case_key()
    matched = unmatched = 0
    unmatched_lines: list[int] = []
    with open(path, encoding="utf-8-sig", newline="") as stream:
        reader = _Reader(stream, key)
        for batch in _batches(iter(reader)):
            found = edm.store.find_cases([row.digest for row in batch])
            for row in batch:
                if row.digest in found:
                    matched += 1
                else:
                    unmatched += 1
                    _note(unmatched_lines, row.line)
            if progress is not None:
                progress(reader.rows)
    report = ImportReport(
        dry_run=dry_run,
        rows=reader.rows,
        matched=matched,
        unmatched=unmatched,
        invalid=reader.invalid,
        unmatched_lines=tuple(unmatched_lines),
        problems=tuple(reader.problems),
    )
    if dry_run:
        _log(report)
        return report
    if report.invalid:
        more = report.invalid - len(report.problems)
        extra = [f"and {more} more malformed rows"] if more > 0 else []
        raise ValidationError("The later outcomes file (nothing was recorded)", [*report.problems, *extra])
    report = _record(edm, path, key, by, report)
    _log(report)
    return report


def _record(
    edm: EthicalDecisions,
    path: Path | str,
    key: bytes,
    by: DecisionMaker | RecordsOfficer,
    report: ImportReport,
) -> ImportReport:
    recorded = already = refused = 0
    refused_lines: list[int] = []
    with open(path, encoding="utf-8-sig", newline="") as stream:
        for batch in _batches(iter(_Reader(stream, key))):
            found = edm.store.find_cases([row.digest for row in batch])
            for row in batch:
                ids = found.get(row.digest)
                if not ids:
                    continue
                try:
                    review = edm._case_review(ids)
                    wanted = LaterOutcomeRecorded(row.kind, row.result, row.decided_on)
                    if any(e.payload == wanted for e in review.later_outcomes):
                        already += 1
                        continue
                    edm.record_later_outcome(
                        review.review_id,
                        by=by,
                        challenge=row.kind,
                        result=row.result,
                        decided_on=row.decided_on,
                    )
                    recorded += 1
                except NotPermittedError:
                    raise
                except (CaseNotFoundError, StepError):
                    refused += 1
                    _note(refused_lines, row.line)
    return attrs.evolve(
        report,
        recorded=recorded,
        already_recorded=already,
        not_recordable=refused,
        not_recordable_lines=tuple(refused_lines),
    )


def _log(report: ImportReport) -> None:
    emit(
        LogEvent.OUTCOMES_IMPORTED,
        dry_run=report.dry_run,
        rows=report.rows,
        matched=report.matched,
        unmatched=report.unmatched,
        invalid=report.invalid,
        recorded=report.recorded,
        already_recorded=report.already_recorded,
        not_recordable=report.not_recordable,
    )
