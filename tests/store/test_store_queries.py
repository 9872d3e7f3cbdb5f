"""The projections written with the events: review summaries, referral queue, compliance records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator
from typing import TYPE_CHECKING

import attrs
import pytest

from ethical_decisions import (
    FinalDecision,
    LaterOutcomeKind,
    LaterOutcomeResult,
    NotFoundError,
    ReferralStatus,
    StaffRole,
    Stage,
)
from ethical_decisions.compliance import ComplianceRecord
from ethical_decisions.events import ReviewFinalised
from ethical_decisions.store import Store

if TYPE_CHECKING:
    from conftest import Make

NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
IE = "immigration_enforcement"


# -- review summaries ----------------------------------------------------------------------


def test_review_row_is_replaced_by_each_append(store: Store, make: Make) -> None:
    """Each append replaces the review's summary row with the one in the batch."""
    review, batch = make.opened("rv-a")
    store.append(batch)
    review, batch = make.then(review)
    store.append(batch)
    review, batch = make.then(
        review, ReviewFinalised(FinalDecision(outcome="grant", summary="Grant.", rationale="Because."))
    )
    store.append(batch)

    (row,) = store.reviews()

    assert make.review_record(review) == row
    assert (Stage.CLOSED, 3) == (row.stage, row.version)
    assert row.closed_at is not None
    assert row.outcome_class is not None


def test_reviews_oldest_first_and_filtered(store: Store, make: Make) -> None:
    """Reviews list by opening time then id, filtered by business area, staff and openness."""
    ie_officer = make.decision_maker("io-0042", role=StaffRole.FRONTLINE_OFFICER, business_area=IE)
    make.stored(store, "rv-c", at=NOW + DAY)
    make.stored(store, "rv-b", at=NOW)
    make.stored(store, "rv-a", at=NOW + DAY)
    make.stored(store, "rv-ie", at=NOW - DAY, by=ie_officer)
    closing, batch = make.opened("rv-closed", at=NOW + 2 * DAY)
    store.append(batch)
    closing, batch = make.then(closing)
    store.append(batch)
    final = FinalDecision(outcome="refuse", summary="Refuse.", rationale="Rules met.")
    store.append(make.then(closing, ReviewFinalised(final))[1])

    def ids(
        business_area: str | None = None, staff_id: str | None = None, open_only: bool = False
    ) -> list[str]:
        rows = store.reviews(business_area=business_area, staff_id=staff_id, open_only=open_only)
        return [r.review_id for r in rows]

    assert ["rv-ie", "rv-b", "rv-a", "rv-c", "rv-closed"] == ids()
    assert ["rv-ie"] == ids(business_area=IE)
    assert ["rv-b", "rv-a", "rv-c", "rv-closed"] == ids(staff_id="dm-0001")
    assert ["rv-ie", "rv-b", "rv-a", "rv-c"] == ids(open_only=True)
    assert [] == ids(business_area=IE, staff_id="dm-0001")


# -- referrals -----------------------------------------------------------------------------


def test_referral_round_trip_and_update(store: Store, make: Make) -> None:
    """A referral row reads back as written, and a later batch's row for it replaces it."""
    submitted = make.referral("rv-a", acknowledged_at=None)
    review = make.stored(store, "rv-a", referrals=(submitted,))
    assert submitted == store.referral("rv-a-R1")

    advised = attrs.evolve(
        submitted,
        status=ReferralStatus.ADVICE_GIVEN,
        acknowledged_at=NOW + DAY,
        advice_at=NOW + 2 * DAY,
        updated_at=NOW + 2 * DAY,
    )
    store.append(make.then(review, referrals=(advised,))[1])

    assert advised == store.referral("rv-a-R1")
    assert [advised] == store.referrals()


def test_unknown_referral(store: Store, make: Make) -> None:
    """Asking for a referral that is not stored raises NotFoundError naming it."""
    make.stored(store, "rv-a", referrals=(make.referral("rv-a"),))

    with pytest.raises(NotFoundError) as info:
        store.referral("rv-a-R9")

    assert ("referral", "rv-a-R9") == (info.value.kind, info.value.identifier)


def test_referrals_filtered_by_route_and_status(store: Store, make: Make) -> None:
    """The queue lists oldest first and filters by route and by a set of statuses."""
    rows = [
        make.referral("rv-a", 1, submitted_at=NOW + DAY),
        make.referral("rv-a", 2, submitted_at=NOW, status=ReferralStatus.ACKNOWLEDGED),
        make.referral("rv-b", 1, submitted_at=NOW + DAY, route_id="svm_test", business_area=IE),
        make.referral("rv-b", 2, submitted_at=NOW + 2 * DAY, status=ReferralStatus.CLOSED),
    ]
    make.stored(store, "rv-a", referrals=tuple(rows[:2]))
    make.stored(store, "rv-b", referrals=tuple(rows[2:]))
    awaiting = {s for s in ReferralStatus if s.awaiting_advice}

    def ids(route_id: str | None = None, statuses: Collection[ReferralStatus] | None = None) -> list[str]:
        return [r.referral_id for r in store.referrals(route_id=route_id, statuses=statuses)]

    assert ["rv-a-R2", "rv-a-R1", "rv-b-R1", "rv-b-R2"] == ids()
    assert ["rv-a-R2", "rv-a-R1", "rv-b-R2"] == ids(route_id="ccu_test")
    assert ["rv-a-R2", "rv-a-R1", "rv-b-R1"] == ids(statuses=awaiting)
    assert ["rv-a-R2"] == ids(route_id="ccu_test", statuses=[ReferralStatus.ACKNOWLEDGED])
    assert [] == ids(statuses=())
    assert [] == ids(route_id="no_such_route")


# -- compliance records --------------------------------------------------------------------


def test_compliance_round_trip(store: Store, make: Make) -> None:
    """A compliance record reads back equal, tuples, dates and plugin fields included."""
    record = make.compliance(
        "rv-a",
        first_escalated_at=NOW - dt.timedelta(minutes=50),
        first_advice_at=NOW - dt.timedelta(minutes=20),
        seconds_to_escalate=600,
        seconds_to_advice=1800,
        later_outcome_kind=LaterOutcomeKind.TRIBUNAL,
        later_outcome=LaterOutcomeResult.OVERTURNED,
        later_outcome_on=dt.date(2026, 3, 1),
        extensions={"pdr_cycle": "2026-H1", "weight": 1.5, "sampled": True, "count": 3, "none": None},
    )
    make.stored(store, "rv-a", compliance=record)

    assert [record] == list(store.compliance_records())


def test_compliance_record_replaced(store: Store, make: Make) -> None:
    """A later batch's compliance record for the same review replaces the earlier one."""
    first = make.compliance("rv-a")
    review = make.stored(store, "rv-a", compliance=first)
    later = attrs.evolve(
        first,
        later_outcome_kind=LaterOutcomeKind.APPEAL,
        later_outcome=LaterOutcomeResult.UPHELD,
        later_outcome_on=dt.date(2026, 2, 1),
        route_ids=(),
        steps_used=(),
        concern_categories=(),
    )
    store.append(make.then(review, compliance=later)[1])

    assert [later] == list(store.compliance_records())


@pytest.fixture(name="compliance_store")
def _compliance_store(store: Store, make: Make) -> Store:
    closings = {
        "rv-1": ("dm-0001", NOW - DAY),
        "rv-2": ("dm-0002", NOW),
        "rv-3": ("dm-0001", NOW),
        "rv-4": ("dm-0001", NOW + DAY),
        "rv-5": ("dm-0002", NOW + 2 * DAY),
    }
    for review_id, (staff_id, closed_at) in closings.items():
        record = make.compliance(review_id, staff_id=staff_id, closed_at=closed_at)
        make.stored(store, review_id, compliance=record)
    return store


def _ids(records: Iterator[ComplianceRecord]) -> list[str]:
    assert iter(records) is records, "compliance_records streams: it returns an iterator"
    return [r.review_id for r in records]


def test_compliance_by_closing_time(compliance_store: Store) -> None:
    """Compliance records come by closing time, then review id."""
    assert ["rv-1", "rv-2", "rv-3", "rv-4", "rv-5"] == _ids(compliance_store.compliance_records())


def test_compliance_filtered_by_staff_and_period(compliance_store: Store) -> None:
    """A period includes its start and excludes its end; staff and period filters combine."""
    store = compliance_store

    assert ["rv-1", "rv-3", "rv-4"] == _ids(store.compliance_records(staff_id="dm-0001"))
    assert ["rv-2", "rv-3", "rv-4"] == _ids(
        store.compliance_records(closed_from=NOW, closed_before=NOW + 2 * DAY)
    )
    assert ["rv-3", "rv-4"] == _ids(
        store.compliance_records(staff_id="dm-0001", closed_from=NOW, closed_before=NOW + 2 * DAY)
    )
    assert ["rv-4", "rv-5"] == _ids(store.compliance_records(closed_from=NOW + dt.timedelta(seconds=1)))
    assert ["rv-1"] == _ids(store.compliance_records(closed_before=NOW))
    assert [] == _ids(store.compliance_records(staff_id="dm-9999"))


def test_compliance_period_in_another_timezone(compliance_store: Store) -> None:
    """A period given in another timezone selects by the same instants as in UTC."""
    plus_two = dt.timezone(dt.timedelta(hours=2))

    records = compliance_store.compliance_records(
        closed_from=NOW.astimezone(plus_two), closed_before=NOW + DAY
    )

    assert ["rv-2", "rv-3"] == _ids(records)


def test_compliance_pages(compliance_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The SQL stores read compliance records a page at a time; each comes back once, in order."""
    monkeypatch.setattr("ethical_decisions.store._sql._PAGE", 2)
    store = compliance_store

    assert ["rv-1", "rv-2", "rv-3", "rv-4", "rv-5"] == _ids(store.compliance_records())
    assert ["rv-2", "rv-3", "rv-4", "rv-5"] == _ids(store.compliance_records(closed_from=NOW))
    assert ["rv-1", "rv-3", "rv-4"] == _ids(store.compliance_records(staff_id="dm-0001"))
