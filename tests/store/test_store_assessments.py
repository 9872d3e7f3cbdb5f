"""Line managers' assessments in every store: kept, replaced, found by person and closing time, erased."""

from __future__ import annotations

import datetime as dt

from tests import scenarios
from tests.conftest import RoutesPlugin

from ethical_decisions import (
    AssessedElement,
    DecisionMaker,
    EthicalDecisions,
    Finding,
    RecordsOfficer,
    StaffRole,
    testing,
)
from ethical_decisions.store import MemoryStore, Store

from .conftest import Backend

MANAGER = DecisionMaker("lm-1", StaffRole.LINE_MANAGER, "customer_services_group", "Settlement Casework")
EL, FI = AssessedElement, Finding
JANUARY = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)


def _service(store: Store, clock: testing.FakeClock) -> EthicalDecisions:
    return testing.service(RoutesPlugin(testing.route("ccu_test")), store=store, clock=clock)


def _closed(edm: EthicalDecisions, clock: testing.FakeClock, staff_id: str, at: dt.datetime) -> str:
    clock.now = at
    dm = testing.decision_maker(staff_id)
    review = scenarios.open_with_concern(edm, dm)
    scenarios.close_unresolved(edm, review.review_id, dm)
    return review.review_id


def _work(edm: EthicalDecisions, clock: testing.FakeClock) -> dict[str, str]:
    """Three closed reviews (two in January, one in March), assessed; a finding replaced; one erased."""
    ids = {
        "first": _closed(edm, clock, "cw-1", JANUARY),
        "second": _closed(edm, clock, "cw-2", JANUARY + dt.timedelta(days=3)),
        "march": _closed(edm, clock, "cw-1", dt.datetime(2026, 3, 2, tzinfo=dt.UTC)),
    }
    clock.now = dt.datetime(2026, 3, 20, tzinfo=dt.UTC)
    edm.assess(ids["first"], by=MANAGER, element=EL.RATIONALE_EXPLAINS, finding=FI.NOT_EVIDENT, note="First.")
    edm.assess(ids["first"], by=MANAGER, element=EL.CONCERN_ARTICULATED, finding=FI.EVIDENT, note="Clear.")
    edm.assess(ids["second"], by=MANAGER, element=EL.DISCUSSION_SOUGHT, finding=FI.PARTLY_EVIDENT)
    edm.assess(ids["march"], by=MANAGER, element=EL.USE_OF_ADVICE, finding=FI.EVIDENT, note="Gone soon.")
    clock.now += dt.timedelta(days=1)
    edm.assess(
        ids["first"], by=MANAGER, element=EL.RATIONALE_EXPLAINS, finding=FI.EVIDENT, note="On reflection."
    )
    edm.erase_free_text(ids["march"], by=RecordsOfficer("ro-1"))
    return ids


def test_every_store_keeps_the_same_assessments(backend: Backend) -> None:
    """The same work gives the same assessments in every store as in memory: replaced, in order, erased."""
    store = backend.open()
    clock = testing.FakeClock(now=JANUARY)
    ids = _work(_service(store, clock), clock)
    reference = MemoryStore()
    clock = testing.FakeClock(now=JANUARY)
    _work(_service(reference, clock), clock)

    assert reference.assessments() == store.assessments()
    found = [(a.review_id, a.element, a.finding, a.note) for a in store.assessments(staff_id="cw-1")]
    assert [
        (ids["first"], EL.CONCERN_ARTICULATED, FI.EVIDENT, "Clear."),
        (ids["first"], EL.RATIONALE_EXPLAINS, FI.EVIDENT, "On reflection."),
        (ids["march"], EL.USE_OF_ADVICE, FI.EVIDENT, None),
    ] == found


def test_assessments_are_found_by_when_their_review_closed(backend: Backend) -> None:
    """Filtering by closing time takes the reviews closed in the range, whenever they were assessed."""
    store = backend.open()
    clock = testing.FakeClock(now=JANUARY)
    ids = _work(_service(store, clock), clock)
    january = (dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 2, 1, tzinfo=dt.UTC))

    closed_in_january = store.assessments(closed_from=january[0], closed_before=january[1])
    one_review = store.assessments(review_id=ids["second"])

    assert {ids["first"], ids["second"]} == {a.review_id for a in closed_in_january}
    assert [(EL.DISCUSSION_SOUGHT, FI.PARTLY_EVIDENT, "cw-2")] == [
        (a.element, a.finding, a.staff_id) for a in one_review
    ]
    assert [] == store.assessments(staff_id="cw-9")
