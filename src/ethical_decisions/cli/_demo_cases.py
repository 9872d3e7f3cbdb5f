"""The demo's synthetic cases: realistic paths through the model in the four business areas.

No case is real and no person is: applicants are "Demo applicant NNNN" and
every text is written for the demo. Each path walks one review the way a
decision-maker in that business area might, with the time moving on between
steps, so that reports over the demo have months, routes and timings to show.
Who holds each review, and who on a route's team takes each referral, is
planned in :mod:`._demo_people`.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence

import attrs

from ethical_decisions.model import (
    AdviceResponse,
    CaseReference,
    Concern,
    ConcernCategory,
    ConsultedRole,
    DecisionMaker,
    DiscretionResult,
    DiscretionScope,
    DiscussionResult,
    FinalDecision,
    ProposedDecision,
    RouteTeamMember,
    StaffRole,
    UnresolvedAcknowledgement,
)
from ethical_decisions.review import Review
from ethical_decisions.service import EthicalDecisions

from ._demo_people import Handover, TeamPlan, team_member

__all__ = ["AREAS", "Case", "DemoClock", "Walk", "awaiting_advice", "pick_path"]

CSG = "customer_services_group"
IE = "immigration_enforcement"
HMPO = "hm_passport_office"
BF = "border_force"

AREAS: dict[str, tuple[str, str, Sequence[str]]] = {
    CSG: ("csg", "chief_caseworker_unit", ("Settlement Casework", "Family Casework", "Citizenship Casework")),
    IE: ("ie", "safety_valve_mechanism", ("Immigration Compliance and Enforcement", "Detention Casework")),
    HMPO: ("hmpo", "quality_examination_support_team", ("Passport Examination", "Complex Cases")),
    BF: ("bf", "national_immigration_casework_oversight_team", ("Heathrow Arrivals", "Dover Controls")),
}
"""Per business area: staff id prefix, its route, and its teams."""


@attrs.define
class DemoClock:
    """The demo's clock: set to each case's time as the case is walked."""

    now: dt.datetime

    def __call__(self) -> dt.datetime:
        """The time now set."""
        return self.now


@attrs.define
class Case:
    """One synthetic case to walk."""

    number: int
    maker: DecisionMaker
    opened_at: dt.datetime
    rng: random.Random
    handover: Handover | None = None
    """The handover to make once the reflection is recorded, if any."""
    taken: bool = False
    """For a case left awaiting advice: whether a member of the route's team takes the referral."""


@attrs.define
class Walk:
    """Walks one review through the service, moving the clock on between steps.

    The decision-maker's steps are taken by whoever holds the review (the one
    who opened it, until it is handed over); *teams* says how route teams take
    referrals, across all the cases walked.
    """

    edm: EthicalDecisions
    clock: DemoClock
    case: Case
    teams: TeamPlan
    review: Review | None = None

    def later(self, *, minutes: float = 0, hours: float = 0, days: float = 0) -> None:
        """Move the clock on."""
        self.clock.now += dt.timedelta(minutes=minutes, hours=hours, days=days)

    @property
    def id(self) -> str:
        """The review's id."""
        assert self.review is not None
        return self.review.review_id

    @property
    def holder(self) -> DecisionMaker:
        """The decision-maker who holds the review now."""
        return self.review.owner if self.review is not None else self.case.maker

    def open(self, outcome: str, summary: str) -> None:
        """Open the review with a proposed decision."""
        self.clock.now = self.case.opened_at
        n = self.case.number
        self.review = self.edm.open_review(
            by=self.case.maker,
            case=CaseReference(f"DEMO-{n:06d}", {"full_name": f"Demo applicant {n:04d}"}),
            proposed=ProposedDecision(outcome, summary),
        )

    def reflect(self, *concerns: tuple[ConcernCategory, str], note: str | None = None) -> None:
        """Record the reflection."""
        self.later(minutes=self.case.rng.randint(5, 40))
        self.review = self.edm.record_reflection(
            self.id, by=self.holder, concerns=[Concern(c, s) for c, s in concerns], note=note
        )
        handover = self.case.handover
        if handover is not None:
            self.later(hours=18)
            self.review = self.edm.hand_over(
                self.id, by=handover.by or self.holder, to=handover.to, reason=handover.reason
            )

    def discretion(
        self,
        scope: DiscretionScope,
        result: DiscretionResult,
        guidance: str,
        reason: str,
        concern: str = "C1",
    ) -> None:
        """Record discretion considered."""
        self.later(hours=self.case.rng.uniform(0.5, 6))
        self.review = self.edm.consider_discretion(
            self.id,
            by=self.holder,
            concern_id=concern,
            scope=scope,
            guidance=guidance,
            reason=reason,
            result=result,
        )

    def discuss(
        self, role: ConsultedRole, who: str, advice: str, result: DiscussionResult, concern: str = "C1"
    ) -> None:
        """Record a discussion."""
        self.later(hours=self.case.rng.uniform(2, 48))
        self.review = self.edm.record_discussion(
            self.id,
            by=self.holder,
            concern_id=concern,
            consulted_role=role,
            consulted=who,
            advice=advice,
            result=result,
        )

    def escalate(self, question: str, *concerns: str) -> str:
        """Escalate; return the referral id."""
        self.later(hours=self.case.rng.uniform(1, 8))
        self.review = self.edm.escalate(
            self.id, by=self.holder, concern_ids=concerns or ("C1",), question=question
        )
        return self.review.referrals[-1].referral_id

    def team(self) -> RouteTeamMember:
        """A member of the business area's route team."""
        _, route_id, _ = AREAS[self.case.maker.business_area]
        return RouteTeamMember(
            staff_id=f"{route_id[:4]}-{self.case.rng.randint(1, 4):03d}", route_id=route_id
        )

    def take(self, referral_id: str, member: RouteTeamMember) -> None:
        """A member of the route's team assigns the referral to themselves."""
        self.review = self.edm.assign_referral(referral_id, by=member, to=member)

    def route_answers(
        self, referral_id: str, advice: str, *, ask: str | None = None, answer: str | None = None
    ) -> None:
        """A route team member takes the referral, acknowledges it, maybe asks for more, then advises.

        The first referral answered is taken, released and taken by a colleague; the second is taken
        over half way by a colleague (see :class:`TeamPlan`).
        """
        team, rng = self.team(), self.case.rng
        plan = self.teams.answering()
        colleague = team_member(team.route_id, int(team.staff_id[-3:]) + 1)
        self.later(days=rng.uniform(0.2, 2.5))
        if plan == "release":
            self.take(referral_id, colleague)
            self.later(hours=3)
            self.review = self.edm.release_referral(referral_id, by=colleague)
            self.later(hours=1)
        self.take(referral_id, team)
        self.later(minutes=10)
        self.review = self.edm.acknowledge_referral(referral_id, by=team)
        if ask and answer:
            self.later(days=rng.uniform(0.5, 3))
            self.review = self.edm.return_referral(referral_id, by=team, question=ask)
            self.later(days=rng.uniform(0.5, 2))
            self.review = self.edm.provide_information(referral_id, by=self.holder, response=answer)
        if plan == "reassign":
            self.later(hours=4)
            self.take(referral_id, colleague)
            team = colleague
        self.later(days=rng.uniform(1, 11))
        self.review = self.edm.give_advice(referral_id, by=team, advice=advice)

    def respond(
        self,
        referral_id: str,
        response: AdviceResponse,
        reason: str,
        *,
        resolved: bool = True,
        concern: str = "C1",
    ) -> None:
        """The decision-maker says what they did with the advice, and whether the concern is now resolved."""
        self.later(hours=self.case.rng.uniform(1, 20))
        self.review = self.edm.respond_to_advice(
            referral_id,
            by=self.holder,
            concern_id=concern,
            response=response,
            reason=reason,
            resolved=resolved,
        )

    def finalise(self, outcome: str, summary: str, rationale: str, unresolved: str | None = None) -> None:
        """Take the final decision."""
        self.later(hours=self.case.rng.uniform(1, 30))
        assert self.review is not None
        open_ids = tuple(c.concern_id for c in self.review.open_concerns)
        self.review = self.edm.finalise(
            self.id,
            by=self.holder,
            decision=FinalDecision(outcome, summary, rationale),
            unresolved=UnresolvedAcknowledgement(open_ids, unresolved) if open_ids and unresolved else None,
        )


INSIDE, OUTSIDE = DiscretionScope.INSIDE_RULES, DiscretionScope.OUTSIDE_RULES
FOLLOWED, FOLLOWED_IN_PART, NOT_FOLLOWED = (
    AdviceResponse.FOLLOWED,
    AdviceResponse.FOLLOWED_IN_PART,
    AdviceResponse.NOT_FOLLOWED,
)
RESOLVED, NOT_RESOLVED, BEYOND = (
    DiscretionResult.RESOLVED,
    DiscretionResult.NOT_RESOLVED,
    DiscretionResult.BEYOND_AUTHORITY,
)

_ROUTINE = {
    CSG: ("grant", "Grant settlement: every requirement of the Rules is met on the evidence provided."),
    IE: ("serve_notice", "Serve notice of liability to removal; no barriers to removal identified."),
    HMPO: ("issue", "Issue the passport renewal: identity and entitlement confirmed."),
    BF: ("grant_entry", "Grant leave to enter as a visitor: the purpose of the visit is credible."),
}


def routine(walk: Walk) -> None:
    """No concerns: the decision-maker reflects and proceeds."""
    area = walk.case.maker.business_area
    outcome, summary = _ROUTINE[area]
    walk.open(outcome, summary)
    note = walk.case.rng.choice([None, None, "Considered the impact on the applicant's family; no concerns."])
    walk.reflect(note=note)
    walk.finalise(
        outcome, summary, "The decision follows the Rules and the evidence; reflection raised no concerns."
    )


def long_resident(walk: Walk) -> None:
    """A long-resident Commonwealth citizen without documents: escalated to the Chief Caseworker Unit."""
    walk.open(
        "refuse", "Refuse indefinite leave: no documentary evidence of continuous residence since 1973."
    )
    walk.reflect(
        (
            ConcernCategory.EVIDENTIAL_BURDEN,
            "We are asking for documents covering fifty years that a child arriving in 1971 would never "
            "have held. "
            "Our own records and HMRC's may show the residence the applicant cannot.",
        ),
    )
    walk.discretion(
        INSIDE,
        NOT_RESOLVED,
        "Long residence rules; evidential flexibility guidance.",
        "The Rules need continuous lawful residence to be shown; the gaps are in our evidence, not hers.",
    )
    walk.discretion(
        OUTSIDE,
        BEYOND,
        "Discretion outside the Rules; Windrush Scheme guidance.",
        "A grant outside the Rules may be right but is above my grade.",
    )
    walk.discuss(
        ConsultedRole.TECHNICAL_SPECIALIST,
        "Senior caseworker, settlement",
        "Ask the Chief Caseworker Unit: HMRC and school records may establish residence.",
        DiscussionResult.NOT_RESOLVED,
    )
    referral = walk.escalate(
        "Can records held by HMRC and the local authority establish residence, and should "
        "we grant outside the Rules if they do?"
    )
    walk.route_answers(
        referral,
        "HMRC records show employment from 1989 and school records from 1972. Grant "
        "indefinite leave outside the Rules; note the Windrush Scheme.",
        ask="Which years do the records you hold cover?",
        answer="Employment 1989 onwards; nothing yet for 1975-1988.",
    )
    walk.respond(
        referral,
        FOLLOWED,
        "The HMRC and school records establish the residence; a grant outside the Rules follows.",
    )
    walk.finalise(
        "grant",
        "Grant indefinite leave to remain outside the Rules.",
        "On the Chief Caseworker Unit's advice: our records and HMRC's establish long residence.",
    )


def records_error(walk: Walk) -> None:
    """An error in our own records, resolved by discretion inside the Rules."""
    walk.open("refuse", "Refuse: the applicant's name does not match the earlier grant.")
    walk.reflect(
        (
            ConcernCategory.ERROR_IN_RECORDS,
            "The earlier grant was keyed with a transliteration of the name; the mismatch is ours.",
        )
    )
    walk.discretion(
        INSIDE,
        RESOLVED,
        "Identity guidance on name variations.",
        "The guidance allows a recognised transliteration to be accepted; the record is corrected.",
    )
    walk.finalise(
        "grant",
        "Grant, and correct the earlier record.",
        "The mismatch was our error; identity is not in doubt.",
    )


def vulnerability_discussed(walk: Walk) -> None:
    """Signs of domestic abuse, resolved by discussion with a team leader."""
    walk.open("refuse", "Refuse further leave as a partner: the relationship has ended.")
    walk.reflect(
        (
            ConcernCategory.VULNERABILITY,
            "The file suggests the relationship ended because of abuse; the applicant may qualify under the "
            "domestic violence provisions and may be at risk.",
        )
    )
    walk.discretion(
        INSIDE,
        NOT_RESOLVED,
        "Partner route; domestic violence provisions.",
        "The application was not made under those provisions, so I cannot grant under them as it stands.",
    )
    walk.discuss(
        ConsultedRole.TEAM_LEADER,
        "Team leader, family casework",
        "Contact the applicant and invite an application under the domestic violence provisions; "
        "signpost support services.",
        DiscussionResult.RESOLVED,
    )
    walk.finalise(
        "invite_application",
        "Invite an application under the domestic violence provisions.",
        "The applicant may be eligible under a provision not yet claimed; refusing now would be unfair.",
    )


def frontline_referral(walk: Walk) -> None:
    """A frontline Immigration Enforcement officer refers directly to the Safety Valve Mechanism."""
    walk.open("detain", "Detain pending removal: overstayer encountered at a workplace visit.")
    walk.reflect(
        (
            ConcernCategory.VULNERABILITY,
            "He is the sole carer of a disabled child who was at school during the visit; detaining him now "
            "leaves the child without care.",
        )
    )
    walk.discretion(
        INSIDE,
        BEYOND,
        "Detention guidance; adults at risk.",
        "Alternatives to detention exist but the decision is not mine to take on the spot.",
    )
    referral = walk.escalate(
        "Is detention right for a sole carer, or is there an alternative that keeps the child safe?"
    )
    walk.route_answers(
        referral,
        "Do not detain. Release on immigration bail with reporting; refer the family to "
        "the local authority's children's services.",
    )
    walk.respond(referral, FOLLOWED, "Bail with reporting keeps the child in his care; referral made.")
    walk.finalise(
        "release_on_bail",
        "Release on immigration bail with reporting conditions.",
        "Safety Valve Mechanism advice: the child's welfare outweighs detention now.",
    )


def detention_review(walk: Walk) -> None:
    """A detention caseworker discusses, escalates, and is asked for more before advice."""
    walk.open("maintain_detention", "Maintain detention: removal expected within four weeks.")
    walk.reflect(
        (ConcernCategory.VULNERABILITY, "New medical evidence suggests detention is harming his health."),
        (ConcernCategory.EQUALITY_OR_HUMAN_RIGHTS, "Removal may not be imminent given the medical evidence."),
    )
    for concern in ("C1", "C2"):
        walk.discretion(
            INSIDE,
            NOT_RESOLVED,
            "Adults at risk in immigration detention.",
            "The evidence level is unclear to me.",
            concern,
        )
        walk.discuss(
            ConsultedRole.LINE_MANAGER,
            "Line manager, detention casework",
            "Escalate to the SVM.",
            DiscussionResult.NOT_RESOLVED,
            concern,
        )
    referral = walk.escalate(
        "Does the medical evidence make this person an adult at risk at level 3?", "C1", "C2"
    )
    walk.route_answers(
        referral,
        "Level 3 applies. Release with reporting and review removal timescales.",
        ask="Has a Rule 35 report been made?",
        answer="Yes, two weeks ago.",
    )
    walk.respond(referral, FOLLOWED, "Level 3 accepted: release with reporting.", concern="C1")
    walk.respond(
        referral,
        FOLLOWED_IN_PART,
        "Released as advised; removal timescales are reviewed at the next reporting event, not now.",
        concern="C2",
    )
    walk.finalise(
        "release_on_bail", "Release on immigration bail.", "On the SVM's advice: adult at risk, level 3."
    )


def passport_mismatch(walk: Walk) -> None:
    """A passport refused over a records mismatch, escalated to the Quality Examination Support Team."""
    walk.open("refuse", "Refuse the renewal: date of birth differs from the 1998 record.")
    walk.reflect(
        (
            ConcernCategory.ERROR_IN_RECORDS,
            "The 1998 record looks like a keying error; refusing leaves a British citizen unable to travel.",
        )
    )
    walk.discretion(
        INSIDE,
        NOT_RESOLVED,
        "Passport examination guidance on conflicting records.",
        "The guidance does not say which record prevails.",
    )
    walk.discuss(
        ConsultedRole.TECHNICAL_SPECIALIST,
        "Examination technical lead",
        "Escalate to QuEST.",
        DiscussionResult.NOT_RESOLVED,
    )
    referral = walk.escalate("Which record prevails, and can we correct the 1998 entry?")
    walk.route_answers(
        referral, "The birth certificate prevails. Issue the passport and correct the 1998 record."
    )
    walk.respond(referral, FOLLOWED, "Issued on the birth certificate; the 1998 record is corrected.")
    walk.finalise(
        "issue", "Issue the passport and correct the old record.", "QuEST advice: our record was wrong."
    )


def returning_resident(walk: Walk) -> None:
    """A returning resident at the border with an expired card, escalated to NICOT."""
    walk.open("refuse_entry", "Refuse leave to enter: biometric residence permit expired while abroad.")
    walk.reflect(
        (
            ConcernCategory.UNFAIR_OUTCOME,
            "She has lived here for twenty years and was abroad caring for a dying parent; refusing entry "
            "would separate her from her children.",
        )
    )
    walk.discretion(INSIDE, NOT_RESOLVED, "Returning residents.", "She was away longer than two years.")
    walk.discretion(OUTSIDE, BEYOND, "Leave outside the Rules at the border.", "Not within my authority.")
    walk.discuss(
        ConsultedRole.LINE_MANAGER,
        "Chief Immigration Officer",
        "Refer to NICOT.",
        DiscussionResult.NOT_RESOLVED,
    )
    referral = walk.escalate("Should we grant leave to enter outside the Rules?")
    walk.route_answers(
        referral, "Grant six months' leave outside the Rules so she can apply as a returning resident."
    )
    if walk.case.rng.random() < 0.3:
        walk.respond(
            referral,
            FOLLOWED_IN_PART,
            "Leave granted outside the Rules, for twelve months: six would end before her appeal is heard.",
        )
    else:
        walk.respond(referral, FOLLOWED, "Six months' leave lets her apply as a returning resident.")
    walk.finalise(
        "grant_entry",
        "Grant six months' leave to enter outside the Rules.",
        "NICOT advice, given the reasons for absence.",
    )


def proceed_regardless(walk: Walk) -> None:
    """A concern the Rules leave no room to resolve: the decision-maker proceeds, saying why."""
    area = walk.case.maker.business_area
    outcome, summary = {
        CSG: ("refuse", "Refuse: the income threshold is not met."),
        IE: ("serve_notice", "Serve notice of liability to removal."),
        HMPO: ("refuse", "Refuse: entitlement to British nationality not shown."),
        BF: ("refuse_entry", "Refuse leave to enter: no valid visa."),
    }[area]
    walk.open(outcome, summary)
    walk.reflect(
        (
            ConcernCategory.EQUALITY_OR_HUMAN_RIGHTS,
            "The decision will keep a family apart; I want to be sure that is proportionate.",
        )
    )
    walk.discretion(
        INSIDE, NOT_RESOLVED, "Exceptional circumstances guidance.", "No exceptional circumstances shown."
    )
    walk.discuss(
        ConsultedRole.COLLEAGUE,
        "Experienced colleague",
        "Nothing more the Rules allow.",
        DiscussionResult.NOT_RESOLVED,
    )
    walk.finalise(
        outcome,
        summary,
        "The requirements are not met and the applicant can reapply.",
        unresolved="The family impact remains; Article 8 was considered and the decision is proportionate.",
    )


def advice_not_followed(walk: Walk) -> None:
    """Advice the decision-maker cannot follow: they say why, and proceed with the concern acknowledged."""
    walk.open("refuse", "Refuse further leave: the requirements are not met on the evidence provided.")
    walk.reflect(
        (
            ConcernCategory.UNINTENDED_CONSEQUENCE,
            "Refusing now would end her NHS cancer treatment half way; nothing in the Rules meant that.",
        )
    )
    walk.discretion(
        INSIDE, NOT_RESOLVED, "Medical treatment guidance.", "The treatment route was not applied for."
    )
    walk.discretion(
        OUTSIDE,
        BEYOND,
        "Leave outside the Rules on medical grounds.",
        "Above my grade to grant outside the Rules.",
    )
    walk.discuss(
        ConsultedRole.TEAM_LEADER,
        "Team leader, settlement casework",
        "Ask the Chief Caseworker Unit whether the decision can wait.",
        DiscussionResult.NOT_RESOLVED,
    )
    referral = walk.escalate(
        "Can the decision wait until the treatment ends, or is leave outside the Rules open?"
    )
    walk.route_answers(referral, "Hold the decision for three months until the course of treatment ends.")
    walk.respond(
        referral,
        NOT_FOLLOWED,
        "Holding the decision is not open to me: the end of treatment is not known and the appeal rights "
        "would lapse. Refusing with a note lets her apply on medical grounds at once.",
        resolved=False,
    )
    walk.finalise(
        "refuse",
        "Refuse, noting the medical treatment and the route to apply on medical grounds.",
        "The requirements are not met; the treatment is noted so that a medical application goes quickly.",
        unresolved="The treatment may still be interrupted; the applicant has been told how to apply on "
        "medical grounds, and the decision letter says so.",
    )


def reconsidered(walk: Walk) -> None:
    """Advice that rests on a fact which changes: the decision-maker asks the route to reconsider."""
    walk.open(
        "refuse", "Refuse the child's application for registration: the good character test is not met."
    )
    walk.reflect(
        (
            ConcernCategory.VULNERABILITY,
            "He was groomed into the offences at fourteen; the refusal treats a victim of exploitation as an "
            "offender.",
        )
    )
    walk.discretion(
        INSIDE,
        NOT_RESOLVED,
        "Good character guidance on children.",
        "The guidance allows discretion, not this far.",
    )
    walk.discuss(
        ConsultedRole.TECHNICAL_SPECIALIST,
        "Nationality technical specialist",
        "Ask the Chief Caseworker Unit.",
        DiscussionResult.NOT_RESOLVED,
    )
    first = walk.escalate("Does the exploitation finding allow us to disregard the offences?")
    walk.route_answers(first, "Only if a Conclusive Grounds decision has been made; otherwise refuse.")
    walk.respond(
        first,
        NOT_FOLLOWED,
        "A Conclusive Grounds decision was made last week, after the referral: the advice's premise changed.",
        resolved=False,
    )
    second = walk.escalate("With the Conclusive Grounds decision now made, may we disregard the offences?")
    walk.route_answers(second, "Yes: disregard the offences committed while exploited, and register him.")
    walk.respond(second, FOLLOWED, "Registered: the offences were committed while he was exploited.")
    walk.finalise(
        "register",
        "Register as a British citizen.",
        "On the Chief Caseworker Unit's reconsidered advice, after the Conclusive Grounds decision.",
    )


def status_transition(walk: Walk) -> None:
    """A new way of proving status has an effect nobody meant: resolved by discussion with a team leader.

    The demo's cases of this kind cluster in its last month, as they would after a change of process,
    so that its department report has a concern category rising to show.
    """
    area = walk.case.maker.business_area
    outcome, summary = {
        CSG: ("refuse", "Refuse the replacement document: the old one has been superseded by an eVisa."),
        IE: ("serve_notice", "Serve notice: no evidence of status was shown at the workplace visit."),
        HMPO: ("refuse", "Refuse: the nationality evidence cites a status document that no longer exists."),
        BF: ("refuse_entry", "Refuse entry: the passenger could not show her status at the border."),
    }[area]
    walk.open(outcome, summary)
    walk.reflect(
        (
            ConcernCategory.UNINTENDED_CONSEQUENCE,
            "Since the move to eVisas this person cannot show their status to anyone; the decision would "
            "punish them for a change we made.",
        )
    )
    walk.discretion(
        INSIDE, NOT_RESOLVED, "Status guidance since the eVisa move.", "It assumes online access."
    )
    walk.discuss(
        ConsultedRole.TEAM_LEADER,
        "Team leader",
        "Check the Home Office's own record of status before deciding, and signpost the status helpline.",
        DiscussionResult.RESOLVED,
    )
    walk.finalise(
        "grant" if area != IE else "no_action",
        "Status confirmed from our own records.",
        "Our record shows the status; the person was not at fault for being unable to show it.",
    )


def something_else(walk: Walk) -> None:
    """A concern that fits no category of the guidance: put into words all the same, and discussed."""
    area = walk.case.maker.business_area
    walk.open(*_ROUTINE[area])
    walk.reflect(
        (
            ConcernCategory.OTHER,
            "Nothing in the guidance names it, but the account and the papers do not sit together, and the "
            "decision rests on that.",
        )
    )
    walk.discuss(
        ConsultedRole.COLLEAGUE,
        "Experienced colleague",
        "Ask the one question that would settle it, and record the answer.",
        DiscussionResult.RESOLVED,
    )
    outcome, summary = _ROUTINE[area]
    walk.finalise(outcome, summary, "The answer settled it; the decision stands on the evidence.")


def awaiting_advice(walk: Walk) -> None:
    """A recent escalation still with its route: it sits in the team's queue."""
    area = walk.case.maker.business_area
    walk.open("refuse", "Refuse: the requirements are not met on the evidence provided.")
    walk.reflect(
        (ConcernCategory.UNINTENDED_CONSEQUENCE, "The refusal would end the applicant's NHS treatment.")
    )
    walk.discretion(INSIDE, NOT_RESOLVED, "Relevant guidance.", "No provision covers the treatment.")
    if walk.case.maker.role is not StaffRole.FRONTLINE_OFFICER or area != IE:
        walk.discuss(
            ConsultedRole.TECHNICAL_SPECIALIST,
            "Technical specialist",
            "Escalate.",
            DiscussionResult.NOT_RESOLVED,
        )
    referral = walk.escalate("Can the decision wait until the treatment ends?")
    if walk.case.taken:
        member = team_member(AREAS[area][1], walk.case.number)
        walk.later(hours=2)
        walk.take(referral, member)
        walk.later(minutes=10)
        walk.review = walk.edm.acknowledge_referral(referral, by=member)


Path = Callable[[Walk], None]

_PATHS: dict[str, Sequence[tuple[Path, int]]] = {
    CSG: (
        (routine, 40),
        (long_resident, 20),
        (records_error, 12),
        (vulnerability_discussed, 14),
        (proceed_regardless, 8),
        (advice_not_followed, 8),
        (reconsidered, 5),
        (status_transition, 2),
    ),
    IE: ((routine, 40), (detention_review, 40), (proceed_regardless, 15), (something_else, 4)),
    HMPO: (
        (routine, 45),
        (passport_mismatch, 35),
        (records_error, 10),
        (proceed_regardless, 8),
        (status_transition, 2),
        (something_else, 4),
    ),
    BF: ((routine, 45), (returning_resident, 40), (proceed_regardless, 12), (something_else, 5)),
}


def pick_path(area: str, role: StaffRole, rng: random.Random, *, recent: bool, late: bool = False) -> Path:
    """A path for a case in *area*: frontline officers refer to the SVM; half of recent cases await advice.

    A case opened *late* in the period (its last month or so) is often one of the status transition's.
    """
    if recent and rng.random() < 0.5:
        return awaiting_advice
    if late and rng.random() < 0.2:
        return status_transition
    if area == IE and role is StaffRole.FRONTLINE_OFFICER:
        return rng.choice([routine, frontline_referral, frontline_referral])
    paths = _PATHS[area]
    return rng.choices([p for p, _ in paths], weights=[w for _, w in paths])[0]
