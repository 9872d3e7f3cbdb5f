"""The learning loop's people: whoever raised a concern is told what came of it; speaking up; the guidance.

Feedback reaches the decision-maker who made a referral, through the ``ethical_decisions_feedback``
observer hook, when a route advises, when the referral is linked to a systemic issue and when that
issue's status changes; the answers to the speaking-up questions are kept with no person or review;
feedback on the guidance goes to the first plugin that takes it (pluggy's ``firstresult``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from ethical_decisions import (
    CaseReference,
    DecisionMaker,
    EthicalDecisions,
    FinalDecision,
    LaterOutcomeKind,
    LaterOutcomeResult,
    ProposedDecision,
    RouteTeamMember,
    ValidationError,
    hookimpl,
    testing,
)
from ethical_decisions.figures import Period
from ethical_decisions.learning import (
    Answer,
    FeedbackKind,
    FeedbackNotice,
    GuidanceFeedback,
    GuidanceFeedbackKind,
)
from ethical_decisions.model import PolicyTeamMember, SystemicIssueStatus
from ethical_decisions.reports import department_report, render
from ethical_decisions.review import review_id_of_referral
from ethical_decisions.store import SQLiteStore
from tests import scenarios
from tests.conftest import RoutesPlugin

ROUTE = "ccu_test"
MEMBER = RouteTeamMember("ccu-0001", ROUTE)
POLICY = PolicyTeamMember("pol-0001", "settlement_policy")
MARKER = "MARKERFEEDBACKWORDS"


class Listener:
    """Hears every feedback notice."""

    def __init__(self) -> None:
        self.notices: list[FeedbackNotice] = []

    @hookimpl
    def ethical_decisions_feedback(self, notice: FeedbackNotice) -> None:
        """Keep the notice."""
        self.notices.append(notice)


class Taker:
    """Takes guidance feedback (or passes it on, returning ``None``) and remembers what it saw."""

    def __init__(self, name: str, *, takes: int) -> None:
        self.name, self.takes = name, takes
        self.seen: list[GuidanceFeedback] = []

    @hookimpl
    def ethical_decisions_guidance_feedback(self, feedback: GuidanceFeedback) -> bool | None:
        """Take it, or leave it to the next plugin."""
        self.seen.append(feedback)
        return True if self.takes else None  # (each instance is its own class: plugins are named by class)


def _service(*plugins: object, store: SQLiteStore | None = None) -> EthicalDecisions:
    route = testing.route(ROUTE, business_area="customer_services_group")
    return testing.service(RoutesPlugin(route), *plugins, store=store, clock=testing.FakeClock())


def test_whoever_made_a_referral_is_told_of_advice_a_linked_issue_and_its_changes() -> None:
    """Advice, a link to an issue, its status changing and a later outcome each tell the referral's maker."""
    listener = Listener()
    edm = _service(listener)
    dm, other = testing.decision_maker("dm-0001"), testing.decision_maker("dm-0002")
    referral = scenarios.escalated(edm, dm).referrals[0].referral_id
    scenarios.escalated(edm, other)  # someone else's referral: they are told nothing of this one

    edm.acknowledge_referral(referral, by=MEMBER)
    edm.give_advice(referral, by=MEMBER, advice=f"{MARKER} advice")
    issue = edm.open_systemic_issue(
        referral,
        by=MEMBER,
        title=f"{MARKER} title",
        description=f"{MARKER} description",
        rule="Appendix Settlement 4.2",
        owner="settlement_policy",
        due_on=dt.date(2026, 3, 1),
    )
    edm.update_systemic_issue(issue.issue_id, by=POLICY, status=SystemicIssueStatus.ACCEPTED)
    scenarios.respond(edm, referral, dm)
    review_id = review_id_of_referral(referral)
    edm.finalise(review_id, by=dm, decision=FinalDecision("grant", "Granted.", "Advice followed."))
    edm.record_later_outcome(
        review_id,
        by=dm,
        challenge=LaterOutcomeKind.APPEAL,
        result=LaterOutcomeResult.UPHELD,
        decided_on=dt.date(2026, 1, 5),
    )

    told = [(n.staff_id, n.kind, n.referral_id, n.status) for n in listener.notices]
    assert told == [
        ("dm-0001", FeedbackKind.ADVICE_GIVEN, referral, None),
        ("dm-0001", FeedbackKind.ISSUE_LINKED, referral, SystemicIssueStatus.OPEN),
        ("dm-0001", FeedbackKind.ISSUE_STATUS_CHANGED, referral, SystemicIssueStatus.ACCEPTED),
        ("dm-0001", FeedbackKind.LATER_OUTCOME, referral, None),
    ]
    assert MARKER not in repr(listener.notices)
    [item] = edm.feedback("dm-0001")
    assert (item.referral_id, item.issues) == (referral, ((issue.issue_id, SystemicIssueStatus.ACCEPTED),))
    assert item.advice_at is not None
    assert [i.issues for i in edm.feedback("dm-0002")] == [()]


def _closed_with_concerns(edm: EthicalDecisions, dm: DecisionMaker) -> str:
    review = scenarios.open_with_concern(edm, dm)
    return scenarios.close_unresolved(edm, review.review_id, dm).review_id


def test_speaking_up_is_kept_without_the_person_or_the_review(tmp_path: Path) -> None:
    """The answers are kept as month, business area and the two answers: no staff id, no review id."""
    store = SQLiteStore(tmp_path / "s.db")
    edm = _service(store=store)
    dm = testing.decision_maker()
    review_id = _closed_with_concerns(edm, dm)

    edm.record_speak_up(review_id, by=dm, again="yes", detriment=Answer.NOT_SURE)

    [answer] = store.speak_up_answers()
    assert (answer.again, answer.detriment, answer.business_area) == (
        Answer.YES,
        Answer.NOT_SURE,
        "customer_services_group",
    )
    with contextlib.closing(sqlite3.connect(tmp_path / "s.db")) as raw:
        [row] = raw.execute("SELECT * FROM speak_up").fetchall()
    assert dm.staff_id not in repr(row)
    assert review_id not in repr(row)


@pytest.mark.parametrize(
    "case", ["the review is open", "someone else decided it", "an answer that is not one", "no concerns"]
)
def test_speaking_up_is_refused_where_the_questions_are_not_asked(case: str) -> None:
    """Only whoever closed a review with concerns answers (yes, no or not sure); a refusal keeps nothing."""
    edm = _service()
    dm = testing.decision_maker()
    again = "yes"
    if case == "the review is open":
        review_id = scenarios.open_with_concern(edm, dm).review_id
    elif case == "no concerns":
        review_id = edm.open_review(
            by=dm, case=CaseReference("REF-1"), proposed=ProposedDecision("refuse", "Refuse.")
        ).review_id
        edm.record_reflection(review_id, by=dm, concerns=[])
        edm.finalise(review_id, by=dm, decision=FinalDecision("refuse", "Refused.", "No concern arose."))
    else:
        review_id = _closed_with_concerns(edm, dm)
    by = testing.decision_maker("dm-0002") if case == "someone else decided it" else dm
    if case == "an answer that is not one":
        again = f"{MARKER} maybe"

    with pytest.raises(ValidationError) as refused:
        edm.record_speak_up(review_id, by=by, again=again, detriment="no")

    assert MARKER not in str(refused.value)
    assert edm.store.speak_up_answers() == []


def test_guidance_feedback_goes_to_the_first_plugin_that_takes_it_and_is_counted_by_version() -> None:
    """Pluggy's firstresult: the last registered plugin is asked first; once one takes it, no other is."""
    early, late, passes = (
        type(n, (Taker,), {})(n, takes=t) for n, t in (("early", 1), ("late", 1), ("passes", 0))
    )
    edm = _service(early, late, passes)  # registered in this order: asked passes, late, early
    dm = testing.decision_maker()
    review_id = scenarios.open_with_concern(edm, dm).review_id

    taken = edm.send_guidance_feedback(
        review_id, by=dm, kind="question", text=f"{MARKER} what does 4.2 mean?"
    )

    assert taken is True
    assert ([len(p.seen) for p in (passes, late, early)]) == [1, 1, 0]
    [note] = edm.store.guidance_feedback()
    assert (note.kind, note.guidance_version) == (
        GuidanceFeedbackKind.QUESTION,
        edm.review(review_id).guidance_version,
    )
    assert MARKER not in repr(note)


def test_guidance_feedback_no_plugin_takes_is_still_counted() -> None:
    """With no plugin to take it, sending says so (False) and the store still counts it."""
    edm = _service()
    dm = testing.decision_maker()
    review_id = scenarios.open_with_concern(edm, dm).review_id

    assert (
        edm.send_guidance_feedback(review_id, by=dm, kind="formatting_error", text="A broken link") is False
    )
    assert [n.kind for n in edm.store.guidance_feedback()] == [GuidanceFeedbackKind.FORMATTING_ERROR]


def _issues_titled(edm: EthicalDecisions, titles: list[str]) -> None:
    for n, title in enumerate(titles):
        referral = scenarios.escalated(edm, testing.decision_maker(f"dm-{n:04d}")).referrals[0].referral_id
        edm.open_systemic_issue(
            referral,
            by=MEMBER,
            title=title,
            description=f"{MARKER} description",
            rule="Appendix Settlement 4.2",
            owner="settlement_policy",
            due_on=dt.date(2026, 3, 1),
        )


JANUARY = Period.from_months("2026-01", "2026-01")
LATER = dt.datetime(2026, 2, 10, tzinfo=dt.UTC)


@pytest.mark.parametrize("opened", [4, 2])
def test_issue_titles_are_listed_only_where_a_deployment_opts_in_and_the_count_is_shown(opened: int) -> None:
    """Titles alone, in alphabetical order, on request; none when the count of issues is hidden or not asked.

    Four issues (at least the threshold of 3) are counted and so may be listed; two are hidden, so
    listing their titles would show the hidden count, and the list is withheld with the reason.
    """
    edm = _service()
    titles = ["residence evidence", "Biometric letters", "Age assessments", "fees waived"][:opened]
    _issues_titled(edm, titles)

    plain = department_report(edm.store, JANUARY, as_of=LATER, threshold=3)
    listed = department_report(edm.store, JANUARY, as_of=LATER, threshold=3, issue_titles=True)

    assert "systemic_issue_titles" not in [t.key for t in plain.tables]
    (section,) = [t for t in listed.tables if t.key == "systemic_issue_titles"]
    if opened >= 3:
        assert [r.label for r in section.rows] == sorted(titles, key=str.casefold)
    else:
        assert section.rows == ()
        assert "hidden" in section.about
    assert MARKER not in render(listed, "json")
