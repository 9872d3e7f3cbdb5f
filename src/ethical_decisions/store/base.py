"""The store protocol and the records a store keeps besides the events.

A store keeps, for every review, its sealed events in one hash chain
(:mod:`ethical_decisions.audit`), plus projections written in the same
transaction as the events: a summary row per review, the route teams' referral
queue, the relay's outbox, and the compliance record of each closed review.
Beside them, and never part of a review's trail, it keeps line managers'
assessments of sampled records (:class:`~ethical_decisions.assessments.Assessment`).

Appends carry the version the writer loaded (``expected_version``): if another
writer got there first, the append fails with
:class:`~ethical_decisions.ConflictError` and nothing is written, so two
writers to one review can never both succeed silently.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Collection, Iterator
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import attrs

from ethical_decisions.assessments import Assessment
from ethical_decisions.audit import ChainHead, ChainRecord, SealedEvent
from ethical_decisions.compliance import ComplianceRecord
from ethical_decisions.exceptions import StoreError
from ethical_decisions.learning import GuidanceFeedbackNote, IssueRecord, SpeakUpAnswer
from ethical_decisions.projections import OutboxMessage, ReferralRecord, ReviewRecord
from ethical_decisions.review import ReferralStatus

if TYPE_CHECKING:  # the figures are loaded when a report is asked for, not with the store
    from ethical_decisions.figures import DepartmentFigures, PdrFigures, Period

    from .verification import Progress, StoreReport

__all__ = [
    "AppendBatch",
    "OutboxMessage",
    "OutboxRow",
    "OutboxStatus",
    "ReferralRecord",
    "ReviewRecord",
    "Store",
]


class OutboxStatus(enum.StrEnum):
    """Where an outbox message stands."""

    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"
    """Every retry failed. Kept, counted and re-drivable; never deleted."""


@attrs.frozen
class OutboxRow:
    """An outbox message with its delivery state.

    :param attempts: delivery attempts so far, counted when claimed and never
        reset: the number of the claim that holds (or last held) it.
    :param next_attempt_at: when the relay may next try it.
    :param last_error: the last failure's type and a message that holds no free text.
    :param redriven_after: the attempts made before it was last re-driven
        (0 if it never was): the retries count from there.
    :param claimed_by: the relay that holds it now, or held it last while it is
        still pending; ``None`` when no claim is in force.
    :param claimed_until: when that claim's lease ends.
    """

    message: OutboxMessage
    status: OutboxStatus
    attempts: int
    next_attempt_at: dt.datetime
    updated_at: dt.datetime
    delivered_at: dt.datetime | None = None
    last_error: str | None = None
    redriven_after: int = 0
    claimed_by: str | None = None
    claimed_until: dt.datetime | None = None

    @property
    def attempts_since_redrive(self) -> int:
        """The attempts made since the message was last re-driven (all of them if it never was)."""
        return self.attempts - self.redriven_after

    def held_at(self, moment: dt.datetime) -> bool:
        """Whether a relay's claim holds the message at *moment* (pending, and the lease not yet over)."""
        return (
            self.status is OutboxStatus.PENDING
            and self.claimed_until is not None
            and moment < self.claimed_until
        )


@attrs.frozen
class AppendBatch:
    """Everything one command writes, in one transaction.

    :param expected_version: the review's version when the writer loaded it
        (0 for a new review).
    :param erase_texts: blank the free text (and salts) of the review's earlier
        events, and the notes of its assessments, and delete its row in the case
        index; set with a ``free_text_erased`` event.
    :param review: the review's summary row; ``None`` for a systemic issue's stream
        (``review_id`` is then the issue's id), which carries its *issue* row instead.
    :param case_digest: the review's row in the case index (its case reference's
        keyed digest, see :mod:`ethical_decisions.caseindex`), written with the
        review's first event when the deployment's key is available.
    """

    review_id: str
    expected_version: int
    events: tuple[SealedEvent, ...]
    review: ReviewRecord | None
    referrals: tuple[ReferralRecord, ...] = ()
    outbox: tuple[OutboxMessage, ...] = ()
    compliance: ComplianceRecord | None = None
    erase_texts: bool = False
    issue: IssueRecord | None = None
    case_digest: str | None = None

    def __attrs_post_init__(self) -> None:
        sequence = self.expected_version
        for event in self.events:
            sequence += 1
            if event.sequence != sequence or event.review_id != self.review_id:
                break
        else:
            return
        raise StoreError(
            f"an append to review {self.review_id!r} must carry its events numbered from "
            f"{self.expected_version + 1} without gaps; this is a bug in the caller"
        )


@runtime_checkable
class Store(Protocol):
    """What every store provides. Implementations: memory, SQLite, PostgreSQL."""

    @property
    def url(self) -> str:
        """Where the store is, with any password left out."""

    def append(self, batch: AppendBatch) -> tuple[ChainRecord, ...]:
        """Write *batch* in one transaction, chaining its events after the current head.

        :raises ConflictError: if the review's version is not ``batch.expected_version``;
            nothing is written.
        """

    def load(self, review_id: str, *, after: int = 0) -> tuple[ChainRecord, ...]:
        """The review's events with sequence greater than *after*, in order.

        :raises NotFoundError: if the review does not exist.
        """

    def chain(self, *, after: int = 0) -> Iterator[ChainRecord]:
        """Every event of every review in chain order, from position *after* + 1."""

    def head(self) -> ChainHead | None:
        """The chain's last link, or ``None`` for an empty store."""

    def reviews(
        self,
        *,
        business_area: str | None = None,
        staff_id: str | None = None,
        owner_id: str | None = None,
        open_only: bool = False,
    ) -> list[ReviewRecord]:
        """Review summaries, oldest first, optionally filtered.

        :param staff_id: only reviews this decision-maker opened.
        :param owner_id: only reviews this decision-maker holds now.
        """

    def referral(self, referral_id: str) -> ReferralRecord:
        """One referral's queue row.

        :raises NotFoundError: if there is no such referral.
        """

    def referrals(
        self,
        *,
        route_id: str | None = None,
        statuses: Collection[ReferralStatus] | None = None,
        assignee_id: str | None = None,
        unassigned: bool = False,
    ) -> list[ReferralRecord]:
        """Referral queue rows, oldest first, optionally for one route and some statuses.

        :param assignee_id: only the referrals assigned to this route team member.
        :param unassigned: only the referrals nobody is assigned.
        """

    def systemic_issues(self) -> list[IssueRecord]:
        """The register of systemic issues: every issue's row, oldest first."""

    def record_speak_up(self, answer: SpeakUpAnswer) -> None:
        """Keep an answer to the speaking-up question: apart from every review, without a staff id."""

    def speak_up_answers(self) -> list[SpeakUpAnswer]:
        """Every answer to the speaking-up question, oldest month first."""

    def record_guidance_feedback(self, note: GuidanceFeedbackNote) -> None:
        """Count a piece of feedback on the guidance (its words went to the plugin that handles it)."""

    def guidance_feedback(self) -> list[GuidanceFeedbackNote]:
        """Every piece of feedback on the guidance counted, oldest month first."""

    def compliance_records(
        self,
        *,
        staff_id: str | None = None,
        closed_from: dt.datetime | None = None,
        closed_before: dt.datetime | None = None,
    ) -> Iterator[ComplianceRecord]:
        """Compliance records of closed reviews, by closing time, optionally filtered."""

    def record_assessment(self, assessment: Assessment) -> None:
        """Keep a line manager's finding, replacing any on the same review, person and element."""

    def assessments(
        self,
        *,
        staff_id: str | None = None,
        review_id: str | None = None,
        closed_from: dt.datetime | None = None,
        closed_before: dt.datetime | None = None,
    ) -> list[Assessment]:
        """Assessments, by review, person and element (in the model's order), optionally filtered.

        :param staff_id: only those of this person's part in reviews.
        :param closed_from: only those of reviews closed at or after this time (likewise *closed_before*).
        """

    def find_cases(self, digests: Collection[str]) -> dict[str, list[str]]:
        """The reviews indexed under each of *digests* (case index digests), by digest; review ids sorted.

        A digest with no review is left out.
        """

    def index_cases(self, entries: Collection[tuple[str, str]]) -> int:
        """Add ``(digest, review_id)`` rows to the case index, keeping those already there; how many were new.

        Rows of reviews that do not exist, or whose free text is erased, are not added.
        """

    def pdr_figures(self, staff_id: str, period: Period) -> PdrFigures:
        """What a PDR report shows of one decision-maker: counts over their reviews closed in *period*.

        Counted where the records are (in SQL for the SQL stores); see
        :class:`~ethical_decisions.reports.PdrFigures` for what each figure counts.
        """

    def pdr_sample(
        self, staff_id: str, period: Period, *, size: int = 3, seed: int | None = None
    ) -> list[ComplianceRecord]:
        """*size* of the records closed in *period* in which *staff_id* took part, at random, by closing time.

        Every store picks the same records for the same *seed*; without one the pick is fresh each time.

        :raises ValidationError: if *size* is negative.
        """

    def department_figures(self, period: Period, *, as_of: dt.datetime) -> DepartmentFigures:
        """What a department report shows: referrals submitted and reviews closed in *period*.

        Aggregated where the records are, never loaded one by one. *as_of* is
        when the report is made: referrals still awaiting advice and due before
        it count as overdue. See :class:`~ethical_decisions.reports.DepartmentFigures`.
        """

    def claim_outbox(
        self, *, now: dt.datetime, limit: int, lease: dt.timedelta, by: str = "relay"
    ) -> list[OutboxRow]:
        """Take up to *limit* pending messages due by *now*, oldest first, for delivery.

        Each claimed row's attempts go up by one and its next attempt moves to
        ``now + lease``, so another relay does not take it meanwhile; a relay
        that crashes leaves it to be claimed again after the lease. The
        returned rows carry the new attempt number: the claim that
        :meth:`mark_delivered` and :meth:`mark_failed` must be given. Each row
        records *by* (the relay's name) and the lease's end, for
        :meth:`outbox` to show who holds it, and the claim is written to the
        outbox ledger in the same transaction.
        """

    def mark_delivered(self, message_id: str, *, attempt: int, at: dt.datetime) -> bool:
        """Record that the message was delivered, if the claim *attempt* still holds it.

        The claim holds while the message is pending and its attempts are still
        *attempt* (the ``attempts`` of the row :meth:`claim_outbox` returned).
        Once its lease ran out and another relay claimed the message again (or
        it was marked, or re-driven, since), this changes nothing: the other
        relay's result stands.

        :returns: whether it was recorded; ``False`` means the claim had lapsed.
        :raises NotFoundError: if there is no such message.
        """

    def mark_failed(
        self,
        message_id: str,
        *,
        attempt: int,
        at: dt.datetime,
        next_attempt_at: dt.datetime,
        error: str,
        dead: bool,
    ) -> bool:
        """Record a failed attempt, if the claim *attempt* still holds the message.

        The message is retried at *next_attempt_at*, or with *dead*, kept as a
        dead letter. The claim holds as for :meth:`mark_delivered`.

        :returns: whether it was recorded; ``False`` means the claim had lapsed and nothing changed.
        :raises NotFoundError: if there is no such message.
        """

    def outbox(self, *, status: OutboxStatus | None = None) -> list[OutboxRow]:
        """Outbox rows, oldest first, optionally of one status."""

    def redrive(self, message_id: str, *, at: dt.datetime) -> None:
        """Make a dead letter pending again, due at *at*; a message that is not dead is left alone.

        Its attempts are kept (``redriven_after`` records them, and the relay's
        retries count from there), so no claim made before the redrive can
        match a claim made after it: a relay that stalled through the dead
        letter and the redrive cannot record its stale result.

        :raises NotFoundError: if there is no such message.
        """

    def verify(
        self,
        *,
        expected_head: ChainHead | None = None,
        chain_only: bool = False,
        progress: Progress | None = None,
    ) -> StoreReport:
        """Check the whole store: the audit chain, and every table against the events.

        See :mod:`ethical_decisions.store.verification` for every check made.
        Reads one consistent snapshot of the store; writers carry on meanwhile.

        :param expected_head: a head kept elsewhere; the chain must reach it.
        :param chain_only: check the audit chain alone (its links, its
            reviews' sequences and erasures, the store's head row): not the
            storage's own integrity check, nor the tables built from the chain,
            nor the outbox ledger.
        :param progress: told how far the check has got.
        """

    def rebuild(self, *, dry_run: bool = False) -> StoreReport:
        """Rewrite every table built from the events so that it matches them, in one transaction.

        The audit chain and the outbox ledger are checked first, in the same
        transaction; the rows are then made what the events and the ledger say
        (each difference :meth:`verify` would report is put right, rows with
        no event behind them are removed), keeping the fields plugins added
        to compliance records. The events and the ledger are never changed.

        :param dry_run: only report what would change; write nothing.
        :returns: the report of the check, whose differences are what was (or,
            with *dry_run*, would be) put right.
        :raises IntegrityError: if the chain or the ledger does not verify, or
            the storage is damaged: nothing is changed.
        """

    def compact(self) -> None:
        """Rewrite the store's storage so that erased words leave the database's files.

        SQLite overwrites deleted content as it goes (``secure_delete``) and
        checkpoints its log after each erasure: this only checkpoints the log
        again. PostgreSQL keeps old row versions in the table's file until the
        table is rewritten: this rewrites the events table (``VACUUM FULL``),
        which holds its lock while it runs. See the guarantees page for what
        copies (the write-ahead log, backups) keep and for how long.
        """

    def close(self) -> None:
        """Release connections. The store is not used afterwards."""
