"""Hypothesis strategies for the library's value types, payloads and events, in one place."""

from __future__ import annotations

import datetime as dt
import string
from typing import Any

from hypothesis import strategies as st

from ethical_decisions import (
    AdviceResponse,
    CaseReference,
    ChainHead,
    Concern,
    ConcernCategory,
    ConsultedRole,
    DecisionMaker,
    DiscretionResult,
    DiscretionScope,
    DiscussionResult,
    EscalationRequirements,
    FinalDecision,
    LaterOutcomeKind,
    LaterOutcomeResult,
    ProposedDecision,
    RecordsOfficer,
    RoutePolicy,
    RouteTeamMember,
    StaffRole,
    UnresolvedAcknowledgement,
)
from ethical_decisions._fields import MAX_TEXT_LENGTH
from ethical_decisions.events import (
    AdviceGiven,
    AdviceResponded,
    ConcernRaised,
    DiscretionConsidered,
    DiscussionHeld,
    Event,
    FreeTextErased,
    InformationProvided,
    LaterOutcomeRecorded,
    Payload,
    ReferralAcknowledged,
    ReferralAssigned,
    ReferralReleased,
    ReferralReturned,
    ReferralSubmitted,
    ReferralWithdrawn,
    ReflectionRecorded,
    ReviewFinalised,
    ReviewHandedOver,
    ReviewOpened,
    SystemicIssueLinked,
    SystemicIssueOpened,
    SystemicIssueUpdated,
)
from ethical_decisions.model import PolicyTeamMember, SystemicIssueStatus

ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,20}", fullmatch=True)
codes = st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True)
labels = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), min_size=1, max_size=40
).filter(str.strip)

# Free text, including the awkward: quotes, backslashes, emoji, right-to-left marks, NUL.
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=200).filter(
    lambda s: bool(s.strip()) and len(s) <= MAX_TEXT_LENGTH
)
optional_texts = st.none() | texts
utc_times = st.datetimes(
    min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2040, 1, 1), timezones=st.just(dt.UTC)
)
dates = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2040, 1, 1))

decision_makers = st.builds(
    DecisionMaker, staff_id=ids, role=st.sampled_from(StaffRole), business_area=codes, team=labels
)
route_team_members = st.builds(RouteTeamMember, staff_id=ids, route_id=ids)
records_officers = st.builds(RecordsOfficer, staff_id=ids)
policy_team_members = st.builds(PolicyTeamMember, staff_id=ids, team=ids)
actors = decision_makers | route_team_members | records_officers | policy_team_members

cases = st.builds(
    CaseReference,
    reference=texts,
    personal_details=st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True), texts, max_size=3
    ),
)
proposed_decisions = st.builds(ProposedDecision, outcome=codes, summary=texts)
final_decisions = st.builds(FinalDecision, outcome=codes, summary=texts, rationale=texts)
concerns = st.builds(Concern, category=st.sampled_from(ConcernCategory), statement=texts)
concern_ids = st.integers(1, 9).map(lambda n: f"C{n}")
route_policies = st.builds(
    RoutePolicy,
    route_id=ids,
    version=labels,
    business_area=codes,
    eligible_roles=st.frozensets(st.sampled_from(StaffRole), min_size=1),
    requirements=st.builds(
        EscalationRequirements, discretion_considered=st.booleans(), discussion_held=st.booleans()
    ),
    requirements_by_role=st.dictionaries(
        st.sampled_from(StaffRole),
        st.builds(EscalationRequirements, discretion_considered=st.booleans(), discussion_held=st.booleans()),
        max_size=2,
    ),
    response_target_days=st.integers(1, 60),
    reconsiders=st.none() | ids,
)
referral_ids = st.builds(lambda review, n: f"{review}-R{n}", ids, st.integers(1, 99))

PAYLOADS: dict[type[Payload], st.SearchStrategy[Payload]] = {
    ReviewOpened: st.builds(ReviewOpened, case=cases, proposed=proposed_decisions),
    ReflectionRecorded: st.builds(
        ReflectionRecorded, concerns=st.lists(concerns, max_size=3).map(tuple), note=optional_texts
    ),
    ConcernRaised: st.builds(ConcernRaised, concern=concerns),
    DiscretionConsidered: st.builds(
        DiscretionConsidered,
        concern_id=concern_ids,
        scope=st.sampled_from(DiscretionScope),
        guidance=texts,
        reason=texts,
        result=st.sampled_from(DiscretionResult),
    ),
    DiscussionHeld: st.builds(
        DiscussionHeld,
        concern_id=concern_ids,
        consulted_role=st.sampled_from(ConsultedRole),
        consulted=texts,
        advice=texts,
        result=st.sampled_from(DiscussionResult),
    ),
    ReferralSubmitted: st.builds(
        ReferralSubmitted,
        route=route_policies,
        concern_ids=st.lists(concern_ids, min_size=1, max_size=3, unique=True).map(tuple),
        question=texts,
    ),
    ReferralAcknowledged: st.builds(ReferralAcknowledged, referral_id=referral_ids),
    ReferralReturned: st.builds(ReferralReturned, referral_id=referral_ids, question=texts),
    InformationProvided: st.builds(InformationProvided, referral_id=referral_ids, response=texts),
    AdviceGiven: st.builds(AdviceGiven, referral_id=referral_ids, advice=texts),
    AdviceResponded: st.builds(
        AdviceResponded,
        referral_id=referral_ids,
        concern_id=concern_ids,
        response=st.sampled_from(AdviceResponse),
        reason=texts,
        resolved=st.booleans(),
    ),
    ReferralWithdrawn: st.builds(ReferralWithdrawn, referral_id=referral_ids, reason=texts),
    ReviewHandedOver: st.builds(ReviewHandedOver, handed_from=ids, to=decision_makers, reason=texts),
    ReferralAssigned: st.builds(ReferralAssigned, referral_id=referral_ids, assignee=route_team_members),
    ReferralReleased: st.builds(ReferralReleased, referral_id=referral_ids),
    ReviewFinalised: st.builds(
        ReviewFinalised,
        decision=final_decisions,
        unresolved=st.none()
        | st.builds(
            UnresolvedAcknowledgement,
            concern_ids=st.lists(concern_ids, min_size=1, max_size=3, unique=True).map(tuple),
            rationale=texts,
        ),
    ),
    LaterOutcomeRecorded: st.builds(
        LaterOutcomeRecorded,
        challenge=st.sampled_from(LaterOutcomeKind),
        result=st.sampled_from(LaterOutcomeResult),
        decided_on=dates,
    ),
    FreeTextErased: st.builds(FreeTextErased, reason=codes),
    SystemicIssueOpened: st.builds(
        SystemicIssueOpened,
        title=texts,
        description=texts,
        rule=labels,
        owner=ids,
        due_on=dates,
        route_id=ids,
    ),
    SystemicIssueLinked: st.builds(
        SystemicIssueLinked,
        referral_id=referral_ids,
        concern_categories=st.lists(st.sampled_from(ConcernCategory), max_size=3).map(tuple),
    ),
    SystemicIssueUpdated: st.builds(
        SystemicIssueUpdated,
        status=st.sampled_from(SystemicIssueStatus),
        reason=optional_texts,
        due_on=st.none() | dates,
    ),
}
"""A strategy per payload kind."""

payloads = st.one_of(*PAYLOADS.values())


def events_with(payload: st.SearchStrategy[Payload]) -> st.SearchStrategy[Event]:
    """Events around payloads drawn from *payload*."""
    return st.builds(
        Event,
        review_id=ids,
        sequence=st.integers(1, 10_000),
        occurred_at=utc_times,
        actor=actors,
        payload=payload,
    )


events = events_with(payloads)


PARSED: dict[type, st.SearchStrategy[Any]] = {
    CaseReference: cases,
    ProposedDecision: proposed_decisions,
    FinalDecision: final_decisions,
    Concern: concerns,
    UnresolvedAcknowledgement: st.builds(
        UnresolvedAcknowledgement,
        concern_ids=st.lists(concern_ids, max_size=3).map(tuple),
        rationale=texts,
    ),
    DecisionMaker: decision_makers,
    RouteTeamMember: route_team_members,
    PolicyTeamMember: st.builds(PolicyTeamMember, staff_id=ids, team=ids),
    RecordsOfficer: records_officers,
    RoutePolicy: route_policies,
    EscalationRequirements: st.builds(EscalationRequirements, st.booleans(), st.booleans()),
    ChainHead: st.builds(
        ChainHead, st.integers(1, 10**6), st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)
    ),
    Event: events,
    **dict(PAYLOADS.items()),
}
"""Every class the library parses from outside JSON, with a strategy for its valid values."""

# Printable tokens that no other generated text contains: to find leaks of free text.
markers = st.text(alphabet=string.ascii_uppercase, min_size=12, max_size=12).map(lambda s: f"MARKER{s}")
