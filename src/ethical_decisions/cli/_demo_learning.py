"""The demo's learning loop: systemic issues, speaking up, the guidance, later outcomes, retention.

After the cases are walked, the Chief Caseworker Unit's and the Safety Valve
Mechanism's teams raise systemic issues from the referrals they advised on,
grouped by concern category, and the owning policy teams move some of them on
(one change made, one declined, one still open past its due date).
Decision-makers answer the speaking-up questions at the close of some reviews
with concerns, and send a few questions about the guidance. Later outcomes
(appeals, tribunals, complaints, an MP's letter, an ombudsman's finding, some
still pending) arrive as a CSV file of case references, which the demo writes,
checks with a dry run and imports through the keyed case index. Last, a
retention sweep runs as a dry run, to show what a short period would erase and
what it would hold.

Every case and person is made up, so the demo indexes case references under
:data:`DEMO_KEY` unless the deployment's key is set.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import attrs

from ethical_decisions.learning import GuidanceFeedbackKind
from ethical_decisions.model import (
    ConcernCategory,
    LaterOutcomeKind,
    LaterOutcomeResult,
    PolicyTeamMember,
    RecordsOfficer,
    SystemicIssueStatus,
)
from ethical_decisions.outcomes import ImportReport, import_outcomes
from ethical_decisions.retention import SweepReport, parse_period, sweep
from ethical_decisions.review import Referral, Review
from ethical_decisions.service import EthicalDecisions

from ._demo_people import team_member

__all__ = [
    "DEMO_KEY",
    "Learning",
    "import_later_outcomes",
    "raise_systemic_issues",
    "retention_dry_run",
    "speak_up_and_guidance",
    "write_later_outcomes",
]

DEMO_KEY = "demo-only-case-index-key"
"""The case index key the demo uses when ``EDM_CASE_INDEX_KEY`` is not set (its cases are made up)."""

OFFICER = RecordsOfficer("records-0001")

_ADVERSE = frozenset({"refuse", "refuse_entry", "serve_notice", "maintain_detention", "detain"})


@attrs.frozen
class _Issue:
    """A systemic issue the demo raises: what it is about, and where the policy team takes it."""

    title: str
    description: str
    rule: str
    owner: str
    moves: tuple[SystemicIssueStatus, ...]
    reason: str | None = None


_ISSUES: dict[tuple[str, ConcernCategory], _Issue] = {
    ("chief_caseworker_unit", ConcernCategory.EVIDENTIAL_BURDEN): _Issue(
        "Evidence of residence that the department already holds",
        "Applicants are asked for school and employment records of residence that HMRC and DWP records, "
        "which the department can see, already show.",
        "Appendix Settlement: evidence of continuous residence",
        "settlement_policy",
        (SystemicIssueStatus.ACCEPTED, SystemicIssueStatus.CHANGE_MADE),
    ),
    ("chief_caseworker_unit", ConcernCategory.VULNERABILITY): _Issue(
        "Interviews in person for elderly long-term residents",
        "People in their eighties who have lived here for decades are asked to travel to an interview "
        "that a call or a home visit would replace.",
        "Guidance: interviews in nationality and settlement casework",
        "settlement_policy",
        (SystemicIssueStatus.ACCEPTED,),
    ),
    ("chief_caseworker_unit", ConcernCategory.UNINTENDED_CONSEQUENCE): _Issue(
        "Refusals that end a right to rent",
        "A refusal while an application is outstanding leaves people who have always lived here unable to "
        "show a landlord a right to rent.",
        "Guidance: right to rent checks during an application",
        "settlement_policy",
        (),
    ),
    ("safety_valve_mechanism", ConcernCategory.VULNERABILITY): _Issue(
        "Removal planned while medical treatment is ongoing",
        "Removal directions are set for people part way through treatment that the receiving country "
        "cannot continue.",
        "Enforcement guidance: medical treatment and removal",
        "enforcement_policy",
        (SystemicIssueStatus.DECLINED,),
        "Medical evidence is already weighed case by case; the guidance says so.",
    ),
}
"""The issues raised, by route and by the category of the concerns that raised them."""


@attrs.frozen
class Learning:
    """What the demo's learning loop did: counts for its summary."""

    issues: int
    linked: int
    moved: int
    speak_up: int
    guidance: int
    checked: ImportReport
    outcomes: ImportReport
    swept: SweepReport


def _category(review: Review, referral: Referral) -> ConcernCategory | None:
    concern = review.concern(referral.concern_ids[0])
    return concern.category if concern is not None else None


def raise_systemic_issues(
    edm: EthicalDecisions, clock: Callable[[dt.datetime], None], reviews: Sequence[Review], end: dt.datetime
) -> tuple[int, int, int]:
    """Raise the demo's issues from advised referrals; return (issues, referrals linked, status changes).

    :param clock: sets the demo's clock. An issue is opened two days after the first advice on its
        concerns, and moved on ten days later each time, never after *end* (the reports' period ends).
    """
    found: dict[tuple[str, ConcernCategory], list[tuple[dt.datetime, str]]] = defaultdict(list)
    for review in reviews:
        for referral in review.referrals:
            category = _category(review, referral)
            if referral.advice_at is not None and category is not None:
                found[referral.route_id, category].append((referral.advice_at, referral.referral_id))
    issues = linked = moved = 0
    for (route_id, category), plan in _ISSUES.items():
        referrals = sorted(found.get((route_id, category), []))
        if not referrals:
            continue
        first_advice, first = referrals[0]
        at = first_advice + dt.timedelta(days=2)
        if at >= end:
            continue
        clock(at)
        member = team_member(route_id, 1)
        issue = edm.open_systemic_issue(
            first,
            by=member,
            title=plan.title,
            description=plan.description,
            rule=plan.rule,
            owner=plan.owner,
            due_on=(at + dt.timedelta(days=60)).date(),
        )
        issues += 1
        for advised, referral_id in referrals[1:6]:
            clock(max(at, advised) + dt.timedelta(hours=1))
            edm.link_systemic_issue(issue.issue_id, referral_id, by=team_member(route_id, 2))
            linked += 1
        policy = PolicyTeamMember(f"{plan.owner[:4]}-001", plan.owner)
        for step, status in enumerate(plan.moves, 1):
            when = at + dt.timedelta(days=10 * step)
            if when >= end:
                break
            clock(when)
            reason = plan.reason if status is SystemicIssueStatus.DECLINED else None
            edm.update_systemic_issue(issue.issue_id, by=policy, status=status, reason=reason)
            moved += 1
    return issues, linked, moved


def speak_up_and_guidance(
    edm: EthicalDecisions, clock: Callable[[dt.datetime], None], reviews: Sequence[Review], rng: random.Random
) -> tuple[int, int]:
    """Answers to the speaking-up questions at the close of reviews with concerns; feedback on the guidance.

    About two in five who closed a review with concerns answer; about one review in forty sends a
    question about the guidance (one in four of them a formatting error). Returns the two counts.
    """
    answered = sent = 0
    for review in reviews:
        decider = review.owner
        if review.closed_at is not None and review.concerns and rng.random() < 0.4:
            clock(review.closed_at + dt.timedelta(minutes=5))
            again = rng.choices(["yes", "not_sure", "no"], weights=[7, 2, 1])[0]
            detriment = rng.choices(["no", "not_sure", "yes"], weights=[8, 1, 1])[0]
            edm.record_speak_up(review.review_id, by=decider, again=again, detriment=detriment)
            answered += 1
        if rng.random() < 0.025:
            clock(review.opened_at + dt.timedelta(minutes=30))
            kind = (
                GuidanceFeedbackKind.FORMATTING_ERROR
                if rng.random() < 0.25
                else GuidanceFeedbackKind.QUESTION
            )
            text = (
                "The link to the discretion guidance in step 2 does not open."
                if kind is GuidanceFeedbackKind.FORMATTING_ERROR
                else "Does 'outside the Rules' here include leave outside the Rules on compassionate grounds?"
            )
            edm.send_guidance_feedback(review.review_id, by=review.opened_by, kind=kind, text=text)
            sent += 1
    return answered, sent


def write_later_outcomes(
    reviews: Sequence[Review], today: dt.datetime, rng: random.Random, folder: Path
) -> Path:
    """Write a CSV file of later outcomes, as a department's appeals and complaints systems might send.

    Adverse decisions closed at least sixty days ago are challenged about two times in five: at
    appeal or tribunal mostly, and by a complaint, an MP's letter, an ombudsman or judicial review;
    some are still pending. One row names a case the store does not hold, as real files do.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "later-outcomes.csv"
    kinds = [LaterOutcomeKind.APPEAL, LaterOutcomeKind.TRIBUNAL] * 4 + [
        LaterOutcomeKind.COMPLAINT,
        LaterOutcomeKind.MP_LETTER,
        LaterOutcomeKind.OMBUDSMAN,
        LaterOutcomeKind.JUDICIAL_REVIEW,
    ]
    with path.open("w", encoding="utf-8", newline="") as stream:
        out = csv.writer(stream)
        out.writerow(["case_reference", "kind", "result", "decided_on"])
        for review in reviews:
            final = review.final_decision
            if final is None or final.outcome not in _ADVERSE or review.closed_at is None:
                continue
            if (today - review.closed_at).days < 60 or rng.random() > 0.4:
                continue
            overturned = rng.random() < (0.15 if review.concerns else 0.3)
            result = LaterOutcomeResult.OVERTURNED if overturned else LaterOutcomeResult.UPHELD
            if rng.random() < 0.1:
                result = LaterOutcomeResult.PENDING
            decided = review.closed_at + dt.timedelta(days=rng.randint(30, 55))
            out.writerow(
                [review.case.reference, rng.choice(kinds).value, result.value, decided.date().isoformat()]
            )
        out.writerow(["DEMO-999999", LaterOutcomeKind.APPEAL.value, "upheld", today.date().isoformat()])
    return path


def import_later_outcomes(edm: EthicalDecisions, path: Path) -> tuple[ImportReport, ImportReport]:
    """Check *path* with a dry run, then import it; both reports."""
    checked = import_outcomes(edm, path, by=OFFICER, dry_run=True)
    return checked, import_outcomes(edm, path, by=OFFICER)


def retention_dry_run(edm: EthicalDecisions) -> SweepReport:
    """What a sweep at a 90-day retention period would erase and hold: a dry run, nothing erased."""
    return sweep(edm, by=OFFICER, period=parse_period("P90D"), dry_run=True)
