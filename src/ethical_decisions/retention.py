"""Retention that runs itself: erase the free text of reviews closed longer ago than the retention period.

:func:`sweep` finds the reviews closed before ``now - period``, and erases each
one's free text with the library's own erasure
(:meth:`~ethical_decisions.EthicalDecisions.erase_free_text`), acting as a named
records officer: each erasure is a ``free_text_erased`` event in the review's
trail, so ``verify`` passes after a sweep. Each erasure is its own transaction:
a sweep killed part way leaves every review it reached erased and the rest as
they were, and the next run carries on (a review already erased is counted,
not erased again). Before it erases anything, the sweep checks the audit chain:
on a broken chain it raises :class:`~ethical_decisions.IntegrityError` and
changes nothing.

Holds keep a review's free text past its period. A hold is a function of the
review that returns a reason code (a hold) or ``None``. The built-in one,
:func:`pending_outcome_hold`, holds a review while a later outcome is pending:
while, for any kind of challenge, the review's latest record of that kind has
the result ``pending`` (lodged, not yet decided). Record how it ended (upheld,
overturned, withdrawn) and the next sweep erases it. The register of systemic
issues holds every review with a referral linked from an issue still open or
accepted (:func:`systemic_issue_hold`, reason ``systemic_issue_open``): the
words are the evidence the policy team is weighing. Other holds (a
deployment's legal holds) are passed in *holds*.

The period is an ISO 8601 duration of years, months, weeks and days
(``P6Y``, ``P1Y6M``, ``P90D``) or a whole number of days, from the
``EDM_RETENTION_PERIOD`` variable or given.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from .events import LaterOutcomeRecorded
from .exceptions import IntegrityError, ValidationError
from .learning import ISSUE_OPEN_STATUSES
from .log import LogEvent, emit
from .model import LaterOutcomeKind, LaterOutcomeResult, RecordsOfficer
from .review import review_id_of_referral

if TYPE_CHECKING:
    from .learning import IssueRecord
    from .review import Review
    from .service import EthicalDecisions

__all__ = [
    "HOLDS",
    "PERIOD_VARIABLE",
    "Hold",
    "RetentionPeriod",
    "SweepReport",
    "parse_period",
    "pending_challenges",
    "pending_outcome_hold",
    "retention_period",
    "sweep",
    "systemic_issue_hold",
]

PERIOD_VARIABLE = "EDM_RETENTION_PERIOD"
"""The environment variable that holds the deployment's retention period."""

_DURATION = re.compile(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?")

Hold = Callable[["Review"], "str | None"]
"""Whether to keep a review's free text past its period: a reason code to hold it, or ``None``."""


@attrs.frozen
class RetentionPeriod:
    """How long a closed review's free text is kept: years, months, weeks and days."""

    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0

    def before(self, moment: dt.datetime) -> dt.datetime:
        """*moment* less this period (a day of the month past the month's end falls on its last day)."""
        months = moment.year * 12 + moment.month - 1 - self.years * 12 - self.months
        year, month = divmod(months, 12)
        month += 1
        day = moment.day
        while True:
            try:
                shifted = moment.replace(year=year, month=month, day=day)
                break
            except ValueError:
                day -= 1
        return shifted - dt.timedelta(weeks=self.weeks, days=self.days)

    def __str__(self) -> str:
        parts = zip((self.years, self.months, self.weeks, self.days), "YMWD", strict=True)
        return (
            "P" + "".join(f"{n}{unit}" for n, unit in parts if n)
            if any((self.years, self.months, self.weeks, self.days))
            else "P0D"
        )


def parse_period(text: str, *, source: str = "the retention period") -> RetentionPeriod:
    """The period written *text*: an ISO 8601 duration (``P6Y``, ``P1Y6M``, ``P90D``) or a number of days.

    :param source: names where it came from in an error (an option, a variable).
    :raises ValidationError: if it is neither, or is zero (the message never repeats the value).
    """
    written = text.strip().upper()
    if written.isdigit():
        period = RetentionPeriod(days=int(written))
    else:
        found = _DURATION.fullmatch(written)
        if found is None or written == "P":
            raise ValidationError(
                "The retention period",
                [
                    f"{source}: not a duration; write an ISO 8601 duration of years, months, weeks and "
                    "days such as P6Y, P1Y6M or P90D, or a whole number of days"
                ],
            )
        years, months, weeks, days = (int(g) if g else 0 for g in found.groups())
        period = RetentionPeriod(years, months, weeks, days)
    if period == RetentionPeriod():
        raise ValidationError("The retention period", [f"{source}: must be longer than nothing"])
    return period


def retention_period(text: str | None = None, *, environ: Mapping[str, str] | None = None) -> RetentionPeriod:
    """The period *text*, else the ``EDM_RETENTION_PERIOD`` variable's.

    :raises ValidationError: if neither is given, or it is not a duration.
    """
    if text is not None:
        return parse_period(text, source="--period")
    found = (os.environ if environ is None else environ).get(PERIOD_VARIABLE)
    if not found:
        raise ValidationError(
            "The retention period",
            [
                f"{PERIOD_VARIABLE}: not set; set it to the deployment's retention period (e.g. P6Y), "
                "or give the period (--period P6Y on the command line)"
            ],
        )
    return parse_period(found, source=PERIOD_VARIABLE)


def pending_challenges(review: Review) -> tuple[LaterOutcomeKind, ...]:
    """The kinds of challenge whose latest record on *review* is ``pending``."""
    latest: dict[LaterOutcomeKind, LaterOutcomeResult] = {}
    for event in review.later_outcomes:
        payload = event.payload
        assert isinstance(payload, LaterOutcomeRecorded)
        latest[payload.challenge] = payload.result
    return tuple(k for k, result in latest.items() if result is LaterOutcomeResult.PENDING)


def pending_outcome_hold(review: Review) -> str | None:
    """The built-in hold: ``"later_outcome_pending"`` while a challenge to the decision is undecided."""
    return "later_outcome_pending" if pending_challenges(review) else None


HOLDS: tuple[Hold, ...] = (pending_outcome_hold,)
"""The holds a sweep applies by default. A deployment adds its own through :func:`sweep`'s *holds*."""


def systemic_issue_hold(issues: Iterable[IssueRecord]) -> Hold:
    """A hold, ``"systemic_issue_open"``, on each review linked from an issue still open or accepted.

    Every sweep applies it, over the whole register (the statuses are
    :data:`~ethical_decisions.learning.ISSUE_OPEN_STATUSES`).
    """
    linked = {
        review_id_of_referral(referral_id)
        for issue in issues
        if issue.status in ISSUE_OPEN_STATUSES
        for referral_id in issue.referral_ids
    }
    return lambda review: "systemic_issue_open" if review.review_id in linked else None


@attrs.frozen
class SweepReport:
    """What a retention sweep did, or with *dry_run* would do: counts only.

    :param closed_before: reviews closed before this time were past their period.
    :param due: reviews past their period whose free text was not yet erased.
    :param erased: of *due*, those erased (with *dry_run*: that would be).
    :param held: of *due*, those held, by reason.
    :param already_erased: reviews past their period erased before (by an earlier run, say).
    """

    dry_run: bool
    closed_before: dt.datetime
    due: int = 0
    erased: int = 0
    held: Mapping[str, int] = attrs.field(factory=dict)
    already_erased: int = 0

    def summary(self) -> str:
        """One line for a terminal or a log: counts and the cut-off, never a review's words."""
        holds = ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in sorted(self.held.items()))
        erased = "would erase" if self.dry_run else "erased"
        return (
            f"retention sweep{' (dry run)' if self.dry_run else ''}: reviews closed before "
            f"{self.closed_before.isoformat(timespec='seconds')}: {erased} {self.erased}, held "
            f"{sum(self.held.values())}{f' ({holds})' if holds else ''}, already erased {self.already_erased}"
        )


def sweep(
    edm: EthicalDecisions,
    *,
    by: RecordsOfficer,
    period: RetentionPeriod,
    now: dt.datetime | None = None,
    dry_run: bool = False,
    holds: Sequence[Hold] = HOLDS,
    progress: Callable[[int, int], None] | None = None,
) -> SweepReport:
    """Erase the free text of every review closed before ``now - period`` that no hold keeps (see the module).

    :param by: the records officer the erasures are credited to (the permission policy must allow them).
    :param now: the time to count back from; by default the service's clock.
    :param holds: the holds to apply (by default :data:`HOLDS`, a pending later outcome), besides
        :func:`systemic_issue_hold`, which every sweep applies.
    :param progress: called with (reviews looked at, reviews past their period) as it goes.
    :raises IntegrityError: if the audit chain does not verify: nothing is erased.
    :raises NotPermittedError: if *by* may not erase: nothing is erased.
    """
    moment = now if now is not None else edm._now()
    cutoff = period.before(moment)
    report = edm.store.verify(chain_only=True)
    if report.broken is not None or report.damage is not None:
        raise IntegrityError(
            "The audit chain does not verify, so the retention sweep erased nothing. Run "
            "'ethical-decisions verify' to see where it breaks, and keep the store as it is."
        )
    holds = (systemic_issue_hold(edm.store.systemic_issues()), *holds)
    review_ids = [r.review_id for r in edm.store.compliance_records(closed_before=cutoff)]
    due = erased = already = 0
    held: Counter[str] = Counter()
    for done, review_id in enumerate(review_ids, 1):
        review = edm.review(review_id)
        if review.erased_at is not None:
            already += 1
        else:
            due += 1
            reason = next((r for r in (hold(review) for hold in holds) if r is not None), None)
            if reason is not None:
                held[reason] += 1
            else:
                if not dry_run:
                    edm.erase_free_text(review_id, by=by, reason="retention_period_ended")
                erased += 1
        if progress is not None:
            progress(done, len(review_ids))
    result = SweepReport(
        dry_run=dry_run, closed_before=cutoff, due=due, erased=erased, held=dict(held), already_erased=already
    )
    emit(
        LogEvent.RETENTION_SWEPT,
        dry_run=dry_run,
        closed_before=cutoff.isoformat(),
        reviews=len(review_ids),
        erased=erased,
        held=sum(held.values()),
        already_erased=already,
        staff_id=by.staff_id,
    )
    return result
