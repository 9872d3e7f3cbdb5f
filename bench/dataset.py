"""The reports' data set: a SQLite store holding many closed reviews, built once and cached.

The file is made by opening an :class:`~ethical_decisions.SQLiteStore` (so the
store's own migrations create the schema) and inserting rows with SQL, in the
store's row format, into every table the reports read: ``compliance`` (and
``compliance_items``), ``referrals`` and ``reviews``. Records are varied as a
department's would be: 1,000 decision-makers in six business areas (four with
a route), every outcome class, every concern category, referrals with advice
early, late or not yet given, and later challenges with their results. Rows go
in by closing time, as reviews close.

The file is kept under ``bench/.cache/``, named by schema version, record count
and generator version, and reused by later runs.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from library import (
    SQLITE_DIALECT,
    STORE_SCHEMA_VERSION,
    ConcernCategory,
    LaterOutcomeKind,
    LaterOutcomeResult,
    OutcomeClass,
    ReferralStatus,
    SQLiteStore,
    StaffRole,
    Stage,
    StepUsed,
)
from library import store_rows as rows

__all__ = ["FIRST", "LAST", "STAFF", "build", "path_for"]

CACHE = Path(__file__).resolve().parent / ".cache"
GENERATOR = 2
"""Bump when the rows made here change, so that old cache files are not reused."""

FIRST = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
"""When the first record closes."""
LAST = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
"""Every record closes before this."""
STAFF = 1000
"""Decision-makers; staff ids are ``dm-00000`` to ``dm-00999``."""

_SPAN = int((LAST - FIRST).total_seconds())
_AREAS = (
    ("customer_services_group", "chief_caseworker_unit", 10),
    ("border_force", "national_immigration_casework_oversight_team", 10),
    ("hm_passport_office", "quality_examination_support_team", 15),
    ("immigration_enforcement", "safety_valve_mechanism", 5),
    ("visas_and_citizenship", None, 0),
    ("asylum_support", None, 0),
)
_CATEGORIES = sorted(ConcernCategory)
_RESULTS = (LaterOutcomeResult.UPHELD, LaterOutcomeResult.OVERTURNED, LaterOutcomeResult.WITHDRAWN)
_KINDS = tuple(LaterOutcomeKind)


def path_for(records: int) -> Path:
    """The cache file for *records* compliance records at this schema version."""
    return CACHE / f"reports-schema{STORE_SCHEMA_VERSION}-gen{GENERATOR}-{records}.db"


def build(records: int) -> Path:
    """The cached store of *records* closed reviews, built now if it is not there yet."""
    path = path_for(records)
    if path.exists():
        return path
    CACHE.mkdir(exist_ok=True)
    partial = path.with_suffix(f".partial-{os.getpid()}")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    SQLiteStore(partial).close()  # the schema, from the store's own migrations
    connection = sqlite3.connect(partial, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=OFF")  # a partial file is thrown away if this fails
        connection.execute("BEGIN")
        _fill(connection, records)
        connection.execute("COMMIT")
        connection.execute("ANALYZE")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    _check(partial)
    partial.rename(path)
    return path


def _staff(index: int) -> tuple[str, str, StaffRole, str, str | None, int]:
    area, route, days = _AREAS[index % len(_AREAS)]
    role = (
        StaffRole.FRONTLINE_OFFICER
        if area == "immigration_enforcement"
        else (StaffRole.SENIOR_CASEWORKER if index % 7 == 0 else StaffRole.CASEWORKER)
    )
    return f"dm-{index:05d}", area, role, f"{area.replace('_', ' ').title()} team {index % 5}", route, days


def _fill(connection: sqlite3.Connection, records: int) -> None:
    """Insert *records* closed reviews (and a few open ones) in closing order."""
    compliance_sql = rows.COMPLIANCE.insert()
    items_sql = rows.COMPLIANCE_ITEMS.insert()
    referrals_sql = rows.REFERRALS.insert()
    reviews_sql = rows.REVIEWS.insert()
    chunk = 20_000
    for start in range(0, records, chunk):
        compliance: list[tuple[Any, ...]] = []
        items: list[tuple[Any, ...]] = []
        referrals: list[tuple[Any, ...]] = []
        reviews: list[tuple[Any, ...]] = []
        for record in _records(start, min(chunk, records - start), records):
            compliance.append(record["compliance"])
            items.extend(record["items"])
            referrals.extend(record["referrals"])
            reviews.append(record["review"])
        connection.executemany(compliance_sql, compliance)
        connection.executemany(items_sql, items)
        connection.executemany(referrals_sql, referrals)
        connection.executemany(reviews_sql, reviews)
    connection.executemany(reviews_sql, list(_open_reviews(max(records // 50, 10))))
    connection.executemany(referrals_sql, list(_awaiting(max(records // 200, 10))))


def _records(start: int, count: int, total: int) -> Iterator[dict[str, Any]]:
    """Records number *start* to *start* + *count* - 1 of *total*, closing evenly across the span."""
    for number in range(start, start + count):
        rng = random.Random(number)
        closed = FIRST + dt.timedelta(seconds=_SPAN * number // total + rng.randrange(0, 60))
        yield _record(rng, number, closed)


def _record(rng: random.Random, number: int, closed: dt.datetime) -> dict[str, Any]:  # noqa: PLR0912, PLR0915 - one realistic record, written out
    staff_id, area, role, team, route, days = _staff(rng.randrange(STAFF))
    review_id = f"rv-{number:016x}"
    opened = closed - dt.timedelta(days=rng.randrange(1, 40), seconds=rng.randrange(86_400))
    reflected = opened + dt.timedelta(minutes=rng.randrange(5, 600))
    concerns = rng.choices((0, 1, 2, 3), weights=(55, 25, 15, 5))[0]
    categories = sorted(rng.sample(_CATEGORIES, concerns))
    steps: set[StepUsed] = set()
    route_ids: list[str] = []
    referral_rows: list[tuple[Any, ...]] = []
    first_escalated = first_advice = None
    if concerns:
        if rng.random() < 0.8:
            steps.add(StepUsed.DISCRETION_INSIDE_RULES)
        if rng.random() < 0.2:
            steps.add(StepUsed.DISCRETION_OUTSIDE_RULES)
        if rng.random() < 0.5:
            steps.add(StepUsed.DISCUSSION)
        if route is not None and rng.random() < 0.35:
            steps.add(StepUsed.ESCALATION)
            route_ids.append(route)
            first_escalated = reflected + dt.timedelta(hours=rng.randrange(1, 72))
            due = first_escalated + dt.timedelta(days=days)
            withdrawn = rng.random() < 0.05
            if withdrawn:
                steps.add(StepUsed.REFERRAL_WITHDRAWN)
                advice = None
            else:
                advice = first_escalated + dt.timedelta(hours=rng.randrange(2, days * 24 + 120))
                first_advice = advice
            if rng.random() < 0.1:
                steps.add(StepUsed.INFORMATION_REQUESTED)
            status = ReferralStatus.WITHDRAWN if withdrawn else ReferralStatus.CLOSED
            referral_rows.append(
                _referral(
                    f"{review_id}-R5",
                    review_id,
                    route,
                    area,
                    status,
                    role,
                    categories,
                    first_escalated,
                    due,
                    advice,
                    closed,
                )
            )
    if not concerns:
        outcome = OutcomeClass.NO_CONCERNS
    elif rng.random() < 0.3:
        outcome = OutcomeClass.PROCEEDED_WITH_UNRESOLVED_CONCERNS
    elif first_advice is not None:
        outcome = OutcomeClass.RESOLVED_AFTER_ESCALATION
    elif StepUsed.DISCUSSION in steps:
        outcome = OutcomeClass.RESOLVED_BY_DISCUSSION
    else:
        outcome = OutcomeClass.RESOLVED_BY_DISCRETION
    unresolved = rng.randint(1, concerns) if outcome is OutcomeClass.PROCEEDED_WITH_UNRESOLVED_CONCERNS else 0
    later_kind = later_result = later_on = None
    if rng.random() < 0.12:
        later_kind = rng.choice(_KINDS)
        later_result = rng.choices(_RESULTS, weights=(70, 20, 10))[0]
        later_on = (closed + dt.timedelta(days=rng.randrange(20, 300))).date()
    steps_used = sorted(steps)
    referred = bool(route_ids)
    to_escalate = int((first_escalated - reflected).total_seconds()) if first_escalated else None
    to_advice = None
    if first_advice and first_escalated:
        to_advice = int((first_advice - first_escalated).total_seconds())
    compliance = rows.COMPLIANCE.row(
        SQLITE_DIALECT,
        {
            "review_id": review_id, "staff_id": staff_id, "role": role, "team": team, "business_area": area,
            "guidance_version": "2026.1", "opened_at": opened, "reflected_at": reflected, "closed_at": closed,
            "concern_count": concerns, "concern_categories": categories, "steps_used": steps_used,
            "route_ids": route_ids, "referral_count": len(route_ids),
            "referred_by_frontline": role is StaffRole.FRONTLINE_OFFICER and referred,
            "unresolved_acknowledged": unresolved, "outcome_class": outcome,
            "decision_changed": rng.random() < 0.1, "opened_by": staff_id, "reflected_by": staff_id,
            "escalated_by": [staff_id] if referred else [], "handed_over_by": [], "holders": [staff_id],
            "first_escalated_at": first_escalated, "first_advice_at": first_advice,
            "seconds_to_escalate": to_escalate, "seconds_to_advice": to_advice,
            "later_outcome_kind": later_kind, "later_outcome": later_result, "later_outcome_on": later_on,
            "advice_followed": int(first_advice is not None and outcome is not _UNRESOLVED),
            "advice_followed_in_part": 0,
            "advice_not_followed": int(first_advice is not None and outcome is _UNRESOLVED),
            "re_escalations": 0,
            "referrals_returned": int(StepUsed.INFORMATION_REQUESTED in steps),
            "extensions": {},
        },
    )  # fmt: skip
    items = [
        (review_id, item, ordinal, value)
        for item, values in (
            ("concern_category", [c.value for c in categories]),
            ("step_used", [s.value for s in steps_used]),
            ("route_id", route_ids),
        )
        for ordinal, value in enumerate(values)
    ]
    review = rows.REVIEWS.row(
        SQLITE_DIALECT,
        {
            "review_id": review_id, "business_area": area, "staff_id": staff_id, "owner_id": staff_id,
            "stage": Stage.CLOSED, "version": 9, "opened_at": opened, "updated_at": closed,
            "closed_at": closed, "outcome_class": outcome,
        },
    )  # fmt: skip
    return {"compliance": compliance, "items": items, "referrals": referral_rows, "review": review}


_UNRESOLVED = OutcomeClass.PROCEEDED_WITH_UNRESOLVED_CONCERNS


def _referral(  # noqa: PLR0917 - one row's values, in its column order
    referral_id: str,
    review_id: str,
    route: str,
    area: str,
    status: ReferralStatus,
    role: StaffRole,
    categories: list[ConcernCategory],
    submitted: dt.datetime,
    due: dt.datetime,
    advice: dt.datetime | None,
    updated: dt.datetime,
) -> tuple[Any, ...]:
    acknowledged = submitted + dt.timedelta(hours=1)
    finished = status in (ReferralStatus.CLOSED, ReferralStatus.WITHDRAWN)
    return rows.REFERRALS.row(
        SQLITE_DIALECT,
        {
            "referral_id": referral_id, "review_id": review_id, "route_id": route, "route_version": "1.0.0",
            "business_area": area, "status": status, "referred_by": f"by-{review_id[-5:]}",
            "referred_by_role": role, "concern_categories": categories, "submitted_at": submitted,
            "due_by": due, "updated_at": updated, "proposed_at": submitted - dt.timedelta(hours=26),
            "acknowledged_at": acknowledged, "advice_at": advice, "closed_at": updated if finished else None,
            "assignee_id": None, "re_escalation": False,
        },
    )  # fmt: skip


def _open_reviews(count: int) -> Iterator[tuple[Any, ...]]:
    """Reviews still open at the end of the span: they count in PDR reports as open at the period's end."""
    stages = (Stage.AWAITING_REFLECTION, Stage.RESOLVING_CONCERNS, Stage.AWAITING_ADVICE)
    for number in range(count):
        rng = random.Random(-1 - number)
        staff_id, area, *_ = _staff(rng.randrange(STAFF))
        opened = LAST - dt.timedelta(days=rng.randrange(1, 400))
        yield rows.REVIEWS.row(
            SQLITE_DIALECT,
            {
                "review_id": f"rv-open-{number:08d}", "business_area": area, "staff_id": staff_id,
                "owner_id": staff_id, "stage": stages[number % 3], "version": 3, "opened_at": opened,
                "updated_at": opened + dt.timedelta(hours=2), "closed_at": None, "outcome_class": None,
            },
        )  # fmt: skip


def _awaiting(count: int) -> Iterator[tuple[Any, ...]]:
    """Referrals of open reviews still awaiting advice, some of them overdue."""
    statuses = (ReferralStatus.SUBMITTED, ReferralStatus.ACKNOWLEDGED, ReferralStatus.RETURNED)
    routed = [(index, a) for index, a in enumerate(_AREAS) if a[1] is not None]
    for number in range(count):
        rng = random.Random(10_000_000 + number)
        _, (area, route, days) = routed[number % len(routed)]
        assert route is not None
        submitted = LAST - dt.timedelta(days=rng.randrange(1, 30), hours=rng.randrange(24))
        role = StaffRole.FRONTLINE_OFFICER if area == "immigration_enforcement" else StaffRole.CASEWORKER
        yield _referral(
            f"rv-open-{number:08d}-R4", f"rv-open-{number:08d}", route, area, statuses[number % 3], role,
            [ConcernCategory.VULNERABILITY], submitted, submitted + dt.timedelta(days=days), None, submitted,
        )  # fmt: skip


def _check(path: Path) -> None:
    """Read a few rows of each table back through the store: the rows must be in its format."""
    store = SQLiteStore(path)
    try:
        records = store.compliance_records()
        for _ in range(50):
            next(records, None)
        store.referrals(route_id="safety_valve_mechanism")
        store.reviews(staff_id="dm-00003")
    finally:
        store.close()
