"""The SQL stores' schema, as numbered migration steps shared by SQLite and PostgreSQL.

A store records each step it has applied in ``schema_migrations``. Opening a
store applies the steps it lacks, in order, in one transaction; a store whose
highest step is newer than :data:`SCHEMA_VERSION` was written by a newer
version of the library and is refused.

Steps are frozen once released: a change to the schema is a new step at the
end of :data:`MIGRATIONS`, never an edit to an old one. The statements name
column types through placeholders (``{time}``, ``{flag}``…) that each dialect
fills in: SQLite keeps times as fixed-width ISO 8601 UTC text (so they sort as
text) and flags as 0/1; PostgreSQL uses ``timestamptz``, ``date`` and
``boolean``, and the ``"C"`` collation for ids so that they sort as Python
sorts them.

The tables, for report writers:

``events``
    the hash chain: one row per event, ``position`` from 1 without gaps.
``chain_head``
    one row (``id = 1``): the last link. Appends lock it, so the chain stays one chain.
``reviews``
    a summary row per review; ``staff_id`` opened it, ``owner_id`` holds it now.
``referrals``
    the route teams' queue; ``submitted_month`` is ``YYYY-MM`` (UTC) for monthly counts;
    ``referred_by`` made the referral and ``assignee_id`` works it (``NULL`` while unassigned).
``outbox``
    the relay's messages and their delivery state: ``attempts`` counts every claim and is never
    reset (a redrive records the count in ``redriven_after``); ``claimed_by`` and
    ``claimed_until`` name the relay holding a pending message and when its lease ends.
``outbox_ledger``, ``outbox_ledger_head``
    every change to a message's delivery state, hash-chained, and the ledger's last link
    (see :mod:`ethical_decisions.store._ledger`): verify checks the outbox against it.
``compliance``
    one row per closed review, a column per :class:`~ethical_decisions.ComplianceRecord`
    field; the tuples are JSON arrays, ``extensions`` a JSON object, and
    ``closed_month`` is ``YYYY-MM`` (UTC). Nothing the rules force is a column
    (step 4 dropped the flags that could only say yes).
``compliance_items``
    the compliance tuples again, one row per element, for aggregating with plain
    SQL: ``item`` is ``concern_category``, ``step_used`` or ``route_id``, or
    ``part:<part>`` with a staff id who took that part (``part:opened``,
    ``part:decided``…); ``ordinal`` keeps the element's place; join on ``review_id``.
``assessments``
    line managers' findings on sampled records, one row per review, person assessed
    (``staff_id``) and model element; ``note`` is free text (erased with the review's
    free text, and never read by a report); ``assessed_month`` is ``YYYY-MM`` (UTC).
``systemic_issues``
    the register of systemic issues, one row per issue (``issue_id`` is its stream's id in
    ``events``, ``si-…``), rebuilt from the issue's events like a review's rows: the route
    that raised it, the owning policy team, status, due date, the linked referrals and their
    concern categories (JSON arrays). No free text: titles and descriptions stay in the events.
``speak_up``
    answers to the speaking-up questions, one row each, kept apart from the reviews: no staff
    id, no review id; ``answered_month`` is ``YYYY-MM`` (UTC).
``guidance_feedback``
    a row per piece of feedback on the guidance, counted by guidance version: no words, no person.
``case_index``
    the keyed index of case references (:mod:`ethical_decisions.caseindex`): one row per
    review with its reference's HMAC digest under the deployment's key, never the reference.
    Written when a review is opened with the key available; deleted when its free text is erased.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import attrs

from ethical_decisions.exceptions import SchemaVersionError

if TYPE_CHECKING:
    from ._dialect import Cursor, Dialect

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Migration", "migrate"]


@attrs.frozen
class Migration:
    """One numbered step of the schema.

    :param rebuilds: after its statements, the store rebuilds its projections
        (reviews, referrals, compliance records) from the events, in the same
        transaction: for a step that adds what the events know and the old
        rows did not.
    :param starts_ledger: after its statements, the store writes each outbox
        message whose delivery has moved on from its first state into the new
        outbox ledger as it stands (``carried_over``), in the same transaction.
    :param indexes_cases: after its statements, if the deployment's case index key
        is in the environment (``EDM_CASE_INDEX_KEY``), the store indexes the case
        reference of every review not yet erased, in the same transaction; without
        the key the index starts empty (``ethical-decisions outcomes index`` fills it later).
    """

    version: int
    description: str
    statements: tuple[str, ...]
    rebuilds: bool = False
    starts_ledger: bool = False
    indexes_cases: bool = False


_BOOTSTRAP = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY,"
    " description TEXT NOT NULL,"
    " applied_at {time} NOT NULL)"
)
"""The table of applied steps; created before any step runs."""

_V1 = (
    """CREATE TABLE chain_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        position {bigint} NOT NULL,
        hash TEXT NOT NULL)""",
    "INSERT INTO chain_head (id, position, hash) VALUES (1, 0, '" + "0" * 64 + "')",
    """CREATE TABLE events (
        position {bigint} PRIMARY KEY,
        review_id {id} NOT NULL,
        sequence INTEGER NOT NULL,
        kind TEXT NOT NULL,
        occurred_at {time} NOT NULL,
        body TEXT NOT NULL,
        texts TEXT NOT NULL,
        salt TEXT,
        hash TEXT NOT NULL,
        CONSTRAINT events_review_sequence UNIQUE (review_id, sequence))""",
    """CREATE TABLE reviews (
        review_id {id} PRIMARY KEY,
        business_area TEXT NOT NULL,
        staff_id TEXT NOT NULL,
        stage TEXT NOT NULL,
        version INTEGER NOT NULL,
        opened_at {time} NOT NULL,
        updated_at {time} NOT NULL,
        closed_at {time},
        outcome_class TEXT)""",
    "CREATE INDEX reviews_opened ON reviews (opened_at, review_id)",
    "CREATE INDEX reviews_staff ON reviews (staff_id, opened_at)",
    """CREATE TABLE referrals (
        referral_id {id} PRIMARY KEY,
        review_id {id} NOT NULL,
        route_id TEXT NOT NULL,
        route_version TEXT NOT NULL,
        business_area TEXT NOT NULL,
        status TEXT NOT NULL,
        referred_by_role TEXT NOT NULL,
        concern_categories TEXT NOT NULL,
        submitted_at {time} NOT NULL,
        submitted_month TEXT NOT NULL,
        due_by {time} NOT NULL,
        updated_at {time} NOT NULL,
        acknowledged_at {time},
        advice_at {time},
        closed_at {time})""",
    "CREATE INDEX referrals_route_status ON referrals (route_id, status)",
    "CREATE INDEX referrals_submitted ON referrals (submitted_at, referral_id)",
    """CREATE TABLE outbox (
        message_id {id} PRIMARY KEY,
        referral_id {id} NOT NULL,
        review_id {id} NOT NULL,
        route_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        created_at {time} NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt_at {time} NOT NULL,
        updated_at {time} NOT NULL,
        delivered_at {time},
        last_error TEXT)""",
    "CREATE INDEX outbox_due ON outbox (status, next_attempt_at)",
    "CREATE INDEX outbox_created ON outbox (created_at, message_id)",
    """CREATE TABLE compliance (
        review_id {id} PRIMARY KEY,
        staff_id TEXT NOT NULL,
        role TEXT NOT NULL,
        team TEXT NOT NULL,
        business_area TEXT NOT NULL,
        guidance_version TEXT NOT NULL,
        opened_at {time} NOT NULL,
        reflected_at {time} NOT NULL,
        closed_at {time} NOT NULL,
        closed_month TEXT NOT NULL,
        reflection_recorded {flag} NOT NULL,
        rationale_recorded {flag} NOT NULL,
        concern_count INTEGER NOT NULL,
        concern_categories TEXT NOT NULL,
        steps_used TEXT NOT NULL,
        route_ids TEXT NOT NULL,
        referral_count INTEGER NOT NULL,
        referred_by_frontline {flag} NOT NULL,
        advice_recorded {flag} NOT NULL,
        escalations_followed_through {flag} NOT NULL,
        unresolved_acknowledged INTEGER NOT NULL,
        outcome_class TEXT NOT NULL,
        decision_changed {flag} NOT NULL,
        first_escalated_at {time},
        first_advice_at {time},
        seconds_to_escalate {bigint},
        seconds_to_advice {bigint},
        later_outcome_kind TEXT,
        later_outcome TEXT,
        later_outcome_on {date},
        extensions TEXT NOT NULL)""",
    "CREATE INDEX compliance_staff_closed ON compliance (staff_id, closed_at)",
    "CREATE INDEX compliance_closed ON compliance (closed_at)",
    """CREATE TABLE compliance_items (
        review_id {id} NOT NULL,
        item TEXT NOT NULL,
        ordinal INTEGER NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (review_id, item, ordinal))""",
    "CREATE INDEX compliance_items_value ON compliance_items (item, value)",
)

_V2 = (
    "ALTER TABLE reviews ADD COLUMN owner_id {id} NOT NULL DEFAULT ''",
    "CREATE INDEX reviews_owner ON reviews (owner_id, opened_at)",
    "ALTER TABLE referrals ADD COLUMN referred_by {id} NOT NULL DEFAULT ''",
    "ALTER TABLE referrals ADD COLUMN assignee_id {id}",
    "CREATE INDEX referrals_route_assignee ON referrals (route_id, assignee_id)",
    "ALTER TABLE compliance ADD COLUMN opened_by TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE compliance ADD COLUMN reflected_by TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE compliance ADD COLUMN escalated_by TEXT NOT NULL DEFAULT '[]'",
    "ALTER TABLE compliance ADD COLUMN handed_over_by TEXT NOT NULL DEFAULT '[]'",
    "ALTER TABLE compliance ADD COLUMN holders TEXT NOT NULL DEFAULT '[]'",
)
"""People: who holds each review, who made and who works each referral, who took each part."""

_V3 = (
    "ALTER TABLE outbox ADD COLUMN redriven_after INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE outbox ADD COLUMN claimed_by TEXT",
    "ALTER TABLE outbox ADD COLUMN claimed_until {time}",
    """CREATE TABLE outbox_ledger (
        position {bigint} PRIMARY KEY,
        review_id {id} NOT NULL,
        message_id {id} NOT NULL,
        action TEXT NOT NULL,
        state TEXT NOT NULL,
        hash TEXT NOT NULL)""",
    "CREATE INDEX outbox_ledger_review ON outbox_ledger (review_id, position)",
    """CREATE TABLE outbox_ledger_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        position {bigint} NOT NULL,
        hash TEXT NOT NULL)""",
    "INSERT INTO outbox_ledger_head (id, position, hash) VALUES (1, 0, '" + "0" * 64 + "')",
    "CREATE INDEX referrals_review ON referrals (review_id, referral_id)",
    "CREATE INDEX outbox_review ON outbox (review_id, message_id)",
)
"""The outbox ledger, attempts never reset, who holds a message; indexes for checking review by review."""
_V4 = (
    # What the rules force is not a figure to monitor: every closed review has a reflection and a rationale,
    # every discussion its advice, and every referral ended with advice or was withdrawn.
    "ALTER TABLE compliance DROP COLUMN reflection_recorded",
    "ALTER TABLE compliance DROP COLUMN rationale_recorded",
    "ALTER TABLE compliance DROP COLUMN advice_recorded",
    "ALTER TABLE compliance DROP COLUMN escalations_followed_through",
    "ALTER TABLE compliance ADD COLUMN advice_followed INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE compliance ADD COLUMN advice_followed_in_part INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE compliance ADD COLUMN advice_not_followed INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE compliance ADD COLUMN re_escalations INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE compliance ADD COLUMN referrals_returned INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE referrals ADD COLUMN proposed_at {time}",
    "ALTER TABLE referrals ADD COLUMN re_escalation {flag} NOT NULL DEFAULT {false}",
    """CREATE TABLE assessments (
        review_id {id} NOT NULL,
        staff_id {id} NOT NULL,
        element TEXT NOT NULL,
        finding TEXT NOT NULL,
        assessed_by {id} NOT NULL,
        assessed_at {time} NOT NULL,
        assessed_month TEXT NOT NULL,
        business_area TEXT NOT NULL,
        note TEXT,
        PRIMARY KEY (review_id, staff_id, element))""",
    "CREATE INDEX assessments_staff ON assessments (staff_id, review_id)",
    "CREATE INDEX assessments_assessed ON assessments (assessed_at)",
)
"""Monitoring that tells the truth (issue 16): what became of advice, escalations again, returned
referrals, the time from the proposed decision to a referral, and line managers' assessments; no column
that the rules force."""

_V5 = (
    """CREATE TABLE systemic_issues (
        issue_id {id} PRIMARY KEY,
        route_id TEXT NOT NULL,
        owner TEXT NOT NULL,
        status TEXT NOT NULL,
        opened_by {id} NOT NULL,
        opened_at {time} NOT NULL,
        opened_month TEXT NOT NULL,
        updated_at {time} NOT NULL,
        due_on {date} NOT NULL,
        version INTEGER NOT NULL,
        referral_ids TEXT NOT NULL,
        concern_categories TEXT NOT NULL)""",
    "CREATE INDEX systemic_issues_status ON systemic_issues (status, due_on)",
    """CREATE TABLE speak_up (
        answered_month TEXT NOT NULL,
        business_area TEXT NOT NULL,
        again TEXT NOT NULL,
        detriment TEXT NOT NULL)""",
    """CREATE TABLE guidance_feedback (
        sent_month TEXT NOT NULL,
        business_area TEXT NOT NULL,
        guidance_version TEXT NOT NULL,
        kind TEXT NOT NULL)""",
)
"""The learning loop (issue 17): the register of systemic issues, answers to the speaking-up
questions and counts of feedback on the guidance."""

_V6 = (
    """CREATE TABLE case_index (
        digest TEXT NOT NULL,
        review_id {id} NOT NULL,
        PRIMARY KEY (digest, review_id))""",
    "CREATE INDEX case_index_review ON case_index (review_id)",
)
"""Later outcomes by case reference (issue 17): the keyed index of case references."""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "events, chain head, reviews, referrals, outbox, compliance", _V1),
    Migration(2, "owners, assignees and who took each part in a review", _V2, rebuilds=True),
    Migration(3, "outbox ledger, claims and redrives; review indexes", _V3, starts_ledger=True),
    Migration(
        4,
        "responses to advice, escalations again, assessments; no figure the rules force",
        _V4,
        rebuilds=True,
    ),
    Migration(5, "systemic issues, speaking up, feedback on the guidance", _V5),
    Migration(6, "the keyed index of case references", _V6, indexes_cases=True),
)
"""Every step, in order; step *n* is ``MIGRATIONS[n - 1]``."""

SCHEMA_VERSION = MIGRATIONS[-1].version
"""The newest schema this version of the library reads and writes."""


def migrate(cursor: Cursor, dialect: Dialect, what: str) -> list[Migration]:
    """Apply the steps the store lacks, inside the caller's transaction; the steps applied.

    :param what: names the store in an error, e.g. ``"The store at sqlite:////srv/edm.db"``.
    :raises SchemaVersionError: if a newer version of the library wrote the store.
    """
    types = dialect.types
    cursor.execute(_BOOTSTRAP.format(**types))
    cursor.execute("SELECT max(version) FROM schema_migrations")
    found = cursor.fetchone()[0] or 0
    if found > SCHEMA_VERSION:
        raise SchemaVersionError(what, found, SCHEMA_VERSION)
    now = dialect.time(dt.datetime.now(dt.UTC))
    applied = []
    for migration in MIGRATIONS[found:]:
        for statement in migration.statements:
            cursor.execute(statement.format(**types))
        cursor.execute(
            "INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)",
            (migration.version, migration.description, now),
        )
        applied.append(migration)
    return applied
