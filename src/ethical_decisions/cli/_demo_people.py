"""The demo's people: handovers, route team members taking referrals, line managers assessing records.

Some decision-makers hand reviews over before going on leave, and once a line
manager reallocates the review of someone off sick, so that PDR reports have
credit to share: the one who opened and reflected, the one who decided. Route
teams take each referral before working it; one referral is released and taken
by another member, one is reassigned half way, and the referrals still waiting
at the end are some taken, some not, so that both queues have something in them.
Each business area's line manager assesses a sample of three of each
decision-maker's records against the model's elements, as for a PDR: mostly
evident, sometimes partly, now and then not.
"""

from __future__ import annotations

import collections
import datetime as dt
import random
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

import attrs

from ethical_decisions.assessments import AssessedElement, Finding, sample_seed
from ethical_decisions.compliance import ComplianceRecord, StepUsed
from ethical_decisions.figures import Period
from ethical_decisions.model import DecisionMaker, RouteTeamMember, StaffRole, Step
from ethical_decisions.review import Referral, Review
from ethical_decisions.service import EthicalDecisions

__all__ = [
    "Handover",
    "HandoverPlanner",
    "TeamPlan",
    "assess_samples",
    "pdr_subject",
    "people_summary",
    "team_member",
]

_LEAVE = "Going on two weeks' leave: handing over my open reviews so that none waits for my return."
_REALLOCATED = "Reallocated by the line manager while the officer who held it is on unplanned leave."
_HANDOVER_SHARE = 0.06
_TEAM_SIZE = 4
_TAKEN_AT_THE_END = frozenset({"hm_passport_office", "border_force"})


@attrs.frozen
class Handover:
    """A handover to make after the reflection: to whom, by whom (``None``: the owner), and why."""

    to: DecisionMaker
    reason: str
    by: DecisionMaker | None = None


@attrs.define
class HandoverPlanner:
    """Decides which cases are handed over: the first that will close always, then a few at random.

    The first closing case after half the cases is reallocated by the business area's line manager.
    """

    staff: Sequence[DecisionMaker]
    total: int
    rng: random.Random
    handed_over: int = 0
    by_manager: bool = False

    def plan(self, number: int, maker: DecisionMaker, *, closes: bool) -> Handover | None:
        """The handover of case *number*, opened by *maker*, if it is to have one."""
        if not closes:
            return None
        manager = not self.by_manager and number > self.total // 2
        if not (manager or self.handed_over == 0 or self.rng.random() < _HANDOVER_SHARE):
            return None
        colleagues = [
            s
            for s in self.staff
            if s.business_area == maker.business_area and s.role is maker.role and s != maker
        ]
        if not colleagues:
            return None
        to = self.rng.choice(colleagues)
        self.handed_over += 1
        if manager:
            self.by_manager = True
            return Handover(to, _REALLOCATED, line_manager(maker))
        return Handover(to, _LEAVE)


def line_manager(of: DecisionMaker) -> DecisionMaker:
    """The line manager of *of*'s business area and team."""
    prefix = of.staff_id.split("-")[0]
    return DecisionMaker(f"{prefix}-lm01", StaffRole.LINE_MANAGER, of.business_area, of.team)


def team_member(route_id: str, number: int) -> RouteTeamMember:
    """Member *number* (from 1) of *route_id*'s team, e.g. ``chie-002``."""
    return RouteTeamMember(staff_id=f"{route_id[:4]}-{(number - 1) % _TEAM_SIZE + 1:03d}", route_id=route_id)


@attrs.define
class TeamPlan:
    """How route teams take the referrals of the cases walked, in order."""

    released: bool = False
    reassigned: bool = False
    waiting: int = 0

    def answering(self) -> str:
        """For a referral answered: ``"release"`` the first time, ``"reassign"`` the next, then ``"take"``."""
        if not self.released:
            self.released = True
            return "release"
        if not self.reassigned:
            self.reassigned = True
            return "reassign"
        return "take"

    def take_waiting(self, area: str | None) -> bool:
        """Whether a referral left awaiting advice is taken by a member of the route's team.

        The last case of each business area (*area*) waits at its route: those of HM Passport Office
        and Border Force are taken, those of Customer Services Group and Immigration Enforcement are
        left unassigned, so that both queues have something in them. Of the others, every other one.
        """
        if area is not None:
            return area in _TAKEN_AT_THE_END
        self.waiting += 1
        return self.waiting % 2 == 1


def _assignments(referrals: Iterable[Referral]) -> collections.Counter[str]:
    counts: collections.Counter[str] = collections.Counter()
    for referral in referrals:
        kinds = [event.kind for event in referral.history]
        counts["referrals"] += 1
        counts["assigned"] += "referral_assigned" in kinds
        counts["released"] += kinds.count("referral_released")
        held = False
        for kind in kinds:
            counts["reassigned"] += held and kind == "referral_assigned"
            held = kind == "referral_assigned" or (held and kind != "referral_released")
        counts["waiting unassigned"] += referral.status.awaiting_advice and referral.assignee is None
    return counts


def people_summary(reviews: Sequence[Review]) -> str:
    """What the demo's people did, in two lines counted from the reviews themselves."""
    handovers = [s for r in reviews for s in r.steps_taken if s.step is Step.HAND_OVER]
    by_others = sum(1 for s in handovers if s.by != s.holder)
    counts = _assignments(referral for r in reviews for referral in r.referrals)
    assigned, referrals, waiting = counts["assigned"], counts["referrals"], counts["waiting unassigned"]
    return (
        f"{len(handovers)} reviews handed over ({by_others} by a line manager). {assigned} of {referrals} "
        f"referrals assigned to a route team member ({counts['reassigned']} reassigned, "
        f"{counts['released']} released and taken again); {waiting} awaiting advice are unassigned."
    )


def pdr_subject(reviews: Sequence[Review]) -> str:
    """Whom the demo's PDR report is about: someone who handed over a review they held before it closed.

    Of those (or, with nobody, of everyone who decided a review), the one who decided most reviews with
    concerns, then most reviews, then the first by staff id.
    """
    handed = {
        s.by
        for r in reviews
        if r.is_closed
        for s in r.steps_taken
        if s.step is Step.HAND_OVER and s.by == s.holder
    }
    with_concerns = collections.Counter(r.decided_by for r in reviews if r.concerns and r.decided_by)
    decided = collections.Counter(r.decided_by for r in reviews if r.decided_by)
    people = sorted(handed) or sorted(decided) or [reviews[0].owner.staff_id]
    return min(people, key=lambda who: (-with_concerns[who], -decided[who], who))


_NOTES = {
    Finding.EVIDENT: "Clear in the record; a good one to share with the team.",
    Finding.PARTLY_EVIDENT: "There, but thin: worth saying more about why, next time.",
    Finding.NOT_EVIDENT: "Not in the record: talk through what was thought about.",
}
"""The demo managers' notes (made up, like everything in the demo), by finding."""

_ELEMENTS: Sequence[tuple[AssessedElement, Callable[[ComplianceRecord], bool]]] = (
    (AssessedElement.CONCERN_ARTICULATED, lambda r: r.concern_count > 0),
    (
        AssessedElement.DISCRETION_CONSIDERED,
        lambda r: StepUsed.DISCRETION_INSIDE_RULES in r.steps_used,
    ),
    (AssessedElement.DISCUSSION_SOUGHT, lambda r: StepUsed.DISCUSSION in r.steps_used),
    (
        AssessedElement.ESCALATION_WHERE_UNRESOLVED,
        lambda r: r.referral_count > 0 or r.unresolved_acknowledged > 0,
    ),
    (AssessedElement.RATIONALE_EXPLAINS, lambda r: True),
    (
        AssessedElement.USE_OF_ADVICE,
        lambda r: bool(r.advice_responses) or StepUsed.DISCUSSION in r.steps_used,
    ),
)
"""Each element, and whether a record calls for it (a review with no concerns needs no discretion)."""


class _Clock(Protocol):
    """A clock whose time is set by hand (the demo's)."""

    now: dt.datetime


def assess_samples(
    edm: EthicalDecisions,
    clock: _Clock,
    staff: Sequence[DecisionMaker],
    period: Period,
    rng: random.Random,
) -> tuple[int, int]:
    """Each decision-maker's line manager assesses three of the records they decided in *period*.

    A few days after each review closed, on every element the record calls for. The clock (the demo's,
    with a settable ``now``) is moved to each assessment. Returns how many records and findings.
    """
    records = findings = 0
    for person in staff:
        manager = line_manager(person)
        seed = sample_seed(person.staff_id, period.first_day)  # the sample `assessments` lists
        for record in edm.store.pdr_sample(person.staff_id, period, size=3, seed=seed):
            if record.staff_id != person.staff_id:
                continue  # another decided it: their own manager assesses it
            records += 1
            clock.now = record.closed_at + dt.timedelta(days=rng.uniform(2, 20))
            for element, applies in _ELEMENTS:
                if not applies(record):
                    continue
                finding = rng.choices(list(Finding), weights=(70, 22, 8))[0]
                note = _NOTES[finding] if rng.random() < 0.5 else None
                edm.assess(record.review_id, by=manager, element=element, finding=finding, note=note)
                findings += 1
    return records, findings
