"""Bad commands: each gets a clear error of the library's own, repeats nothing given, and changes nothing.

Out-of-order steps, empty or whitespace-only texts, unknown routes, categories and ids, times in the
future or without a timezone, and oversized text, taken through the service over a real SQLite store and
through the command line. After each, every table of the store is exactly as it was.
"""

from __future__ import annotations

import collections
import datetime as dt
import io
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
import structlog

from ethical_decisions import (
    CaseReference,
    Concern,
    ConcernCategory,
    ConflictError,
    ConsultedRole,
    DecisionMaker,
    DiscretionResult,
    DiscretionScope,
    DiscussionResult,
    EthicalDecisions,
    EthicalDecisionsError,
    FinalDecision,
    LaterOutcomeKind,
    LaterOutcomeResult,
    NoRouteError,
    NotFoundError,
    NotPermittedError,
    ProposedDecision,
    RecordsOfficer,
    StepError,
    UnresolvedAcknowledgement,
    ValidationError,
    testing,
)
from ethical_decisions._fields import MAX_TEXT_LENGTH
from ethical_decisions.events import ReferralAcknowledged
from ethical_decisions.relay import Relay
from ethical_decisions.reports import Period, department_report, pdr_report
from ethical_decisions.store import SQLiteStore
from tests import scenarios
from tests.conftest import RoutesPlugin

from .conftest import Figures
from .unchanged import differences, snapshot

ROUTE = testing.route("ccu_test")
TEAM = testing.route_team_member("ccu_test", "rt-0001")
OTHER_TEAM = testing.route_team_member("svm_test", "rt-0002")
OFFICER = RecordsOfficer("ro-0001")
BORDER_FORCE = testing.decision_maker("bf-0001", business_area="border_force")
START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)

LONG = "MARKER" + "x" * MAX_TEXT_LENGTH
"""Text one character longer than allowed (and more), carrying a marker that must not be repeated."""
BLANK = "  \n\t "
EMPTY = ""
UNKNOWN = "MARKERUNKNOWN"
"""A value that names nothing the library knows: a category, scope, role or outcome kind.

Passed where an enum is typed (each such line ignores mypy's arg-type error on purpose), as a
casework system with bad data would.
"""
NAIVE = dt.datetime(2026, 1, 5, 9, 0)
FINAL = FinalDecision("refuse", "Refuse.", "The Rules are not met.")


@attrs.define
class World:
    """A SQLite store with a review at each stage the bad commands aim at."""

    store: SQLiteStore
    edm: EthicalDecisions
    dm: DecisionMaker
    opened: str
    reflected: str
    escalated: str
    submitted: str
    acknowledged: str
    closed: str
    no_route: str

    def service(self, clock: Callable[[], dt.datetime]) -> EthicalDecisions:
        """Another service over the same store, with *clock*."""
        return testing.service(RoutesPlugin(ROUTE), store=self.store, clock=clock, new_id=lambda: "rv-other")


@pytest.fixture(name="world")
def _world(sqlite_path: Path) -> Iterator[World]:
    store = SQLiteStore(sqlite_path)
    edm = testing.service(RoutesPlugin(ROUTE), store=store, clock=testing.FakeClock(START))
    dm = testing.decision_maker()
    opened = edm.open_review(
        by=dm, case=CaseReference("CASE-1"), proposed=ProposedDecision("refuse", "Refuse.")
    ).review_id
    reflected = scenarios.open_with_concern(edm, dm).review_id
    escalated = scenarios.escalated(edm, dm)
    acknowledged = scenarios.escalated(edm, dm).referrals[0].referral_id
    edm.acknowledge_referral(acknowledged, by=TEAM)
    closed = edm.record_reflection(
        edm.open_review(
            by=dm, case=CaseReference("CASE-2"), proposed=ProposedDecision("grant", "Grant.")
        ).review_id,
        by=dm,
    ).review_id
    edm.finalise(closed, by=dm, decision=FINAL)
    no_route = scenarios.prepare(
        edm, scenarios.open_with_concern(edm, BORDER_FORCE).review_id, BORDER_FORCE
    ).review_id
    try:
        yield World(
            store,
            edm,
            dm,
            opened,
            reflected,
            escalated.review_id,
            escalated.referrals[0].referral_id,
            acknowledged,
            closed,
            no_route,
        )
    finally:
        store.close()


Case = tuple[str, str, Callable[[World], object], type[EthicalDecisionsError], str]
"""The kind of mistake, what is tried, the attempt, the error expected, and words its message must hold."""


def _oversized(w: World) -> Iterator[tuple[str, Callable[[], object]]]:
    """Every place free text enters a step, given text over the limit."""
    e, dm, rid = w.edm, w.dm, w.reflected
    yield (
        "case reference",
        lambda: e.open_review(by=dm, case=CaseReference(LONG), proposed=ProposedDecision("refuse", "R.")),
    )
    yield (
        "applicant details",
        lambda: e.open_review(
            by=dm, case=CaseReference("C", {"full_name": LONG}), proposed=ProposedDecision("refuse", "R.")
        ),
    )
    yield (
        "proposed decision",
        lambda: e.open_review(by=dm, case=CaseReference("C"), proposed=ProposedDecision("refuse", LONG)),
    )
    yield "reflection note", lambda: e.record_reflection(w.opened, by=dm, note=LONG)
    yield (
        "concern in the reflection",
        lambda: e.record_reflection(w.opened, by=dm, concerns=[Concern(ConcernCategory.OTHER, LONG)]),
    )
    yield (
        "concern raised",
        lambda: e.raise_concern(rid, by=dm, category=ConcernCategory.OTHER, statement=LONG),
    )
    for field in ("guidance", "reason"):
        texts = {"guidance": "G.", "reason": "R.", field: LONG}
        yield (
            f"discretion {field}",
            lambda texts=texts: e.consider_discretion(
                rid,
                by=dm,
                concern_id="C1",
                scope=DiscretionScope.INSIDE_RULES,
                result=DiscretionResult.NOT_RESOLVED,
                **texts,
            ),
        )
    for field in ("consulted", "advice"):
        texts = {"consulted": "A colleague", "advice": "A.", field: LONG}
        yield (
            f"discussion {field}",
            lambda texts=texts: e.record_discussion(
                rid,
                by=dm,
                concern_id="C1",
                consulted_role=ConsultedRole.COLLEAGUE,
                result=DiscussionResult.NOT_RESOLVED,
                **texts,
            ),
        )
    yield "escalation question", lambda: e.escalate(w.escalated, by=dm, concern_ids=["C1"], question=LONG)
    yield "withdrawal reason", lambda: e.withdraw_referral(w.submitted, by=dm, reason=LONG)
    yield "route's question", lambda: e.return_referral(w.submitted, by=TEAM, question=LONG)
    yield "route's advice", lambda: e.give_advice(w.acknowledged, by=TEAM, advice=LONG)
    yield (
        "final summary",
        lambda: e.finalise(w.opened, by=dm, decision=FinalDecision("refuse", LONG, "Because.")),
    )
    yield (
        "final rationale",
        lambda: e.finalise(w.opened, by=dm, decision=FinalDecision("refuse", "Refuse.", LONG)),
    )
    yield (
        "unresolved rationale",
        lambda: e.finalise(rid, by=dm, decision=FINAL, unresolved=UnresolvedAcknowledgement(["C1"], LONG)),
    )


def _blank(w: World) -> Iterator[tuple[str, Callable[[], object]]]:
    """Every statement and rationale, empty or only whitespace."""
    e, dm, rid = w.edm, w.dm, w.reflected
    for text in (EMPTY, BLANK):
        shown = "empty" if text == EMPTY else "whitespace"
        yield (
            f"{shown} concern in the reflection",
            lambda t=text: e.record_reflection(w.opened, by=dm, concerns=[Concern(ConcernCategory.OTHER, t)]),
        )
        yield (
            f"{shown} concern raised",
            lambda t=text: e.raise_concern(rid, by=dm, category=ConcernCategory.OTHER, statement=t),
        )
        yield (
            f"{shown} final rationale",
            lambda t=text: e.finalise(w.opened, by=dm, decision=FinalDecision("refuse", "Refuse.", t)),
        )
        yield (
            f"{shown} unresolved rationale",
            lambda t=text: e.finalise(
                rid, by=dm, decision=FINAL, unresolved=UnresolvedAcknowledgement(["C1"], t)
            ),
        )
        yield (
            f"{shown} discretion reason",
            lambda t=text: e.consider_discretion(
                rid,
                by=dm,
                concern_id="C1",
                scope=DiscretionScope.INSIDE_RULES,
                guidance="G.",
                reason=t,
                result=DiscretionResult.NOT_RESOLVED,
            ),
        )
        yield (
            f"{shown} escalation question",
            lambda t=text: e.escalate(w.escalated, by=dm, concern_ids=["C1"], question=t),
        )
        yield f"{shown} withdrawal reason", lambda t=text: e.withdraw_referral(w.submitted, by=dm, reason=t)
        yield f"{shown} advice", lambda t=text: e.give_advice(w.acknowledged, by=TEAM, advice=t)


def _cases(w: World) -> Iterator[Case]:
    e, dm = w.edm, w.dm
    steps: list[tuple[str, Callable[[World], object], type[EthicalDecisionsError], str]] = [
        (
            "final decision before the reflection",
            lambda w: e.finalise(w.opened, by=dm, decision=FINAL),
            StepError,
            "no reflection on the proposed decision has been recorded yet",
        ),
        (
            "a second reflection",
            lambda w: e.record_reflection(w.reflected, by=dm),
            StepError,
            "already recorded",
        ),
        (
            "discretion outside the Rules before inside",
            lambda w: e.consider_discretion(
                w.reflected,
                by=dm,
                concern_id="C1",
                scope=DiscretionScope.OUTSIDE_RULES,
                guidance="G.",
                reason="R.",
                result=DiscretionResult.RESOLVED,
            ),
            StepError,
            "inside the Immigration Rules",
        ),
        (
            "escalation before discretion and discussion",
            lambda w: e.escalate(w.reflected, by=dm, concern_ids=["C1"], question="Q?"),
            StepError,
            "Cannot escalate",
        ),
        (
            "advice before acknowledgement",
            lambda w: e.give_advice(w.submitted, by=TEAM, advice="A."),
            StepError,
            "acknowledge it first",
        ),
        (
            "information nobody asked for",
            lambda w: e.provide_information(w.submitted, by=dm, response="R."),
            StepError,
            "Cannot provide information",
        ),
        (
            "final decision while advice is awaited",
            lambda w: e.finalise(w.escalated, by=dm, decision=FINAL),
            StepError,
            "awaiting advice",
        ),
        (
            "a concern after closing",
            lambda w: e.raise_concern(w.closed, by=dm, category=ConcernCategory.OTHER, statement="S."),
            StepError,
            "the review is closed",
        ),
        (
            "a later outcome before closing",
            lambda w: e.record_later_outcome(
                w.reflected,
                by=OFFICER,
                challenge=LaterOutcomeKind.APPEAL,
                result=LaterOutcomeResult.UPHELD,
                decided_on=START.date(),
            ),
            StepError,
            "only after the review is closed",
        ),
        (
            "erasure before closing",
            lambda w: e.erase_free_text(w.reflected, by=OFFICER),
            StepError,
            "only after the review is closed",
        ),
        (
            "a step on a review changed meanwhile",
            lambda w: e.raise_concern(
                w.reflected, by=dm, category=ConcernCategory.OTHER, statement="S.", expected_version=1
            ),
            ConflictError,
            "Nothing was recorded",
        ),
        (
            "a step taken by the wrong kind of actor",
            lambda w: e.record(w.escalated, ReferralAcknowledged(w.submitted), by=dm),
            NotPermittedError,
            "only route ccu_test's team takes this step",
        ),
    ]
    for name, call, error, words in steps:
        yield "out-of-order step", name, call, error, words
    for name, attempt in _blank(w):
        yield "empty or whitespace text", name, lambda w, a=attempt: a(), ValidationError, "must not be empty"
    for name, attempt in _oversized(w):
        yield "oversized text", name, lambda w, a=attempt: a(), ValidationError, "at most 20000 characters"
    unknown: list[tuple[str, str, Callable[[World], object], type[EthicalDecisionsError], str]] = [
        (
            "unknown route",
            "escalation to a route not installed",
            lambda w: e.escalate(
                w.escalated, by=dm, concern_ids=["C1"], question="Q?", route_id="no_such_route"
            ),
            NoRouteError,
            "Installed routes: ccu_test",
        ),
        (
            "unknown route",
            "a business area with no route",
            lambda w: e.escalate(w.no_route, by=BORDER_FORCE, concern_ids=["C1"], question="Q?"),
            NoRouteError,
            "No escalation route is installed for business area 'border_force'",
        ),
        (
            "unknown route",
            "a team of a route not installed acting on a referral",
            lambda w: e.acknowledge_referral(w.submitted, by=testing.route_team_member(UNKNOWN.lower())),
            NotPermittedError,
            "was made to route ccu_test, and rt-0001 is on route",
        ),
        (
            "unknown category",
            "a concern raised in no known category",
            lambda w: e.raise_concern(w.reflected, by=dm, category=UNKNOWN, statement="S."),  # type: ignore[arg-type]
            ValidationError,
            "must be one of",
        ),
        (
            "unknown category",
            "a concern in the reflection in no known category",
            lambda w: e.record_reflection(w.opened, by=dm, concerns=[Concern(UNKNOWN, "S.")]),  # type: ignore[arg-type]
            ValidationError,
            "must be one of",
        ),
        (
            "unknown category",
            "discretion of an unknown scope",
            lambda w: e.consider_discretion(
                w.reflected,
                by=dm,
                concern_id="C1",
                scope=UNKNOWN,  # type: ignore[arg-type]
                guidance="G.",
                reason="R.",
                result=DiscretionResult.RESOLVED,
            ),
            ValidationError,
            "must be one of",
        ),
        (
            "unknown category",
            "a discussion with an unknown role",
            lambda w: e.record_discussion(
                w.reflected,
                by=dm,
                concern_id="C1",
                consulted_role=UNKNOWN,  # type: ignore[arg-type]
                consulted="Someone",
                advice="A.",
                result=DiscussionResult.RESOLVED,
            ),
            ValidationError,
            "must be one of",
        ),
        (
            "unknown category",
            "a later outcome of an unknown kind",
            lambda w: e.record_later_outcome(
                w.closed,
                by=OFFICER,
                challenge=UNKNOWN,  # type: ignore[arg-type]
                result=LaterOutcomeResult.UPHELD,
                decided_on=START.date(),
            ),
            ValidationError,
            "must be one of",
        ),
        (
            "unknown category",
            "a decision-maker in an unknown role",
            lambda w: e.open_review(
                by=DecisionMaker("dm-9", UNKNOWN, "customer_services_group", "T"),  # type: ignore[arg-type]
                case=CaseReference("C"),
                proposed=ProposedDecision("refuse", "R."),
            ),
            ValidationError,
            "must be one of",
        ),
        (
            "unknown id",
            "a review that does not exist",
            lambda w: e.record_reflection("rv-missing", by=dm),
            NotFoundError,
            "No review with id 'rv-missing'",
        ),
        (
            "unknown id",
            "a referral the review does not have",
            lambda w: e.give_advice(f"{w.escalated}-R9", by=TEAM, advice="A."),
            StepError,
            "the review has no referral",
        ),
        (
            "unknown id",
            "a referral of a review that does not exist",
            lambda w: e.give_advice("rv-missing-R1", by=TEAM, advice="A."),
            NotFoundError,
            "No referral with id 'rv-missing-R1'",
        ),
        (
            "unknown id",
            "a concern the review does not have",
            lambda w: e.escalate(w.escalated, by=dm, concern_ids=["C9"], question="Q?"),
            StepError,
            "C9",
        ),
        (
            "time",
            "a later outcome decided in the future",
            lambda w: e.record_later_outcome(
                w.closed,
                by=OFFICER,
                challenge=LaterOutcomeKind.APPEAL,
                result=LaterOutcomeResult.UPHELD,
                decided_on=dt.date(2027, 1, 1),
            ),
            StepError,
            "in the future",
        ),
        (
            "time",
            "a later outcome dated with a time, not a date",
            lambda w: e.record_later_outcome(
                w.closed,
                by=OFFICER,
                challenge=LaterOutcomeKind.APPEAL,
                result=LaterOutcomeResult.UPHELD,
                decided_on=NAIVE,
            ),
            ValidationError,
            "decided_on: must be a date",
        ),
        (
            "time",
            "a review opened by a clock without a timezone",
            lambda w: w.service(lambda: NAIVE).open_review(
                by=dm, case=CaseReference("C"), proposed=ProposedDecision("refuse", "R.")
            ),
            ValidationError,
            "the clock returned a time without a timezone",
        ),
        (
            "time",
            "a step taken by a clock without a timezone",
            lambda w: w.service(lambda: NAIVE).raise_concern(
                w.reflected, by=dm, category=ConcernCategory.OTHER, statement="S."
            ),
            ValidationError,
            "the clock returned a time without a timezone",
        ),
        (
            "time",
            "a relay whose clock has no timezone",
            lambda w: Relay(w.edm, clock=lambda: NAIVE).run_once(),
            ValidationError,
            "the clock returned a time without a timezone",
        ),
        (
            "time",
            "a report period without a timezone",
            lambda w: Period(NAIVE, NAIVE + dt.timedelta(days=1)),
            ValidationError,
            "give a time with a timezone",
        ),
        (
            "time",
            "a department report as of a time without a timezone",
            lambda w: department_report(w.store, Period.from_dates(START.date(), START.date()), as_of=NAIVE),
            ValidationError,
            "as_of: give a time with a timezone",
        ),
        (
            "time",
            "a PDR report made at a time without a timezone",
            lambda w: pdr_report(
                w.store, dm.staff_id, Period.from_dates(START.date(), START.date()), made_at=NAIVE
            ),
            ValidationError,
            "made_at: give a time with a timezone",
        ),
    ]
    yield from unknown


def _shown(exc: BaseException) -> str:
    """Everything a person could see of an error: its message, arguments and traceback."""
    return str(exc) + repr(exc.args) + "".join(traceback.format_exception(exc))


def test_every_bad_command_gets_a_clear_error_and_changes_nothing(world: World, figures: Figures) -> None:
    """Each bad command is refused with the library's own error, saying what is wrong, and changes nothing.

    Out-of-order steps, every statement and rationale empty or only whitespace, text over the length
    limit in every free-text field, unknown routes, categories and ids, a later outcome in the future
    and times without a timezone (from the clock, the relay's clock or a report's times): each raises
    the expected subclass of EthicalDecisionsError whose message names the problem, and neither it nor
    its traceback repeats the text or value given. Every table of the SQLite store (the chain with its
    texts and hashes, the head, reviews, referrals, outbox and compliance records) is exactly as before.
    """
    problems: list[str] = []
    kinds: collections.Counter[str] = collections.Counter()
    for kind, name, attempt, expected, words in _cases(world):
        before = snapshot(world.store)
        try:
            attempt(world)
        except Exception as exc:
            if not isinstance(exc, expected):
                problems.append(f"{name}: {type(exc).__name__} instead of {expected.__name__}: {exc}")
            elif words not in str(exc):
                problems.append(f"{name}: the message does not say {words!r}: {exc}")
            if "MARKER" in _shown(exc):
                problems.append(f"{name}: the error repeats what was given")
        else:
            problems.append(f"{name}: accepted")
        changed = differences(before, snapshot(world.store))
        if changed:
            problems.append(f"{name}: changed {', '.join(changed)}")
        kinds[kind] += 1
    assert problems == [], "\n".join(problems)
    assert world.edm.verify().ok
    figures.record(bad_commands=sum(kinds.values()), by_kind=dict(sorted(kinds.items())))


# -- the command line ------------------------------------------------------------------------


def _cli(argv: list[str], stdin: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    from ethical_decisions.cli import main

    real = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        try:
            status = main(argv)
        except SystemExit as exit_:
            status = exit_.code if isinstance(exit_.code, int) else 2
    finally:
        sys.stdin = real
        structlog.reset_defaults()
    out, err = capsys.readouterr()
    return status, out + err


def test_bad_route_team_commands_at_the_command_line_change_nothing(
    world: World, capsys: pytest.CaptureFixture[str], figures: Figures
) -> None:
    """A route team's mistakes at the command line exit non-zero, say why, and change nothing.

    Empty or oversized advice (given as an argument or on standard input), a question that is only
    whitespace, advice on a referral not yet acknowledged, acting for another route, an unknown
    referral and a malformed date: each exits 1 (the library refused) or 2 (the command line was not
    understood) with a message naming the problem and never the text given; the store is unchanged.
    """
    db = ["--db", world.store.url]
    team = ["--route", "ccu_test", "--staff", "rt-0001"]
    cases: list[tuple[list[str], str, int, str]] = [
        (["referrals", "advise", world.acknowledged, *team, "--advice", BLANK], "", 1, "must not be empty"),
        (["referrals", "advise", world.acknowledged, *team, "--advice", "-"], BLANK, 1, "must not be empty"),
        (["referrals", "advise", world.acknowledged, *team, "--advice", LONG], "", 1, "at most 20000"),
        (["referrals", "advise", world.acknowledged, *team, "--advice", "-"], LONG, 1, "at most 20000"),
        (["referrals", "return", world.submitted, *team, "--question", BLANK], "", 1, "must not be empty"),
        (
            ["referrals", "advise", world.submitted, *team, "--advice", "MARKERADVICE"],
            "",
            1,
            "acknowledge it first",
        ),
        (
            ["referrals", "acknowledge", world.submitted, "--route", "svm_test", "--staff", "rt-0002"],
            "",
            1,
            "No referral to route 'svm_test'",
        ),
        (
            ["referrals", "advise", "rv-none-R1", *team, "--advice", "MARKERADVICE"],
            "",
            1,
            "No referral with id 'rv-none-R1'",
        ),
        (
            ["report", "department", "--from", "2026-02-30", "--to", "2026-03-01"],
            "",
            2,
            "that date does not exist",
        ),
    ]
    problems = []
    for argv, stdin, expected, words in cases:
        before = snapshot(world.store)
        status, shown = _cli([*db, *argv], stdin, capsys)
        if status != expected or words not in shown:
            problems.append(f"{argv[:2]}: exit {status}, said {shown!r}")
        if "MARKER" in shown:
            problems.append(f"{argv[:2]}: repeated what was given")
        changed = differences(before, snapshot(world.store))
        if changed:
            problems.append(f"{argv[:2]}: changed {', '.join(changed)}")
    assert problems == [], "\n".join(problems)
    figures.record(bad_commands=len(cases))


def test_another_routes_team_can_act_on_no_referral_at_any_stage(world: World) -> None:
    """A member of another route's team cannot acknowledge, return or advise on a referral, at any stage.

    Every attempt on a submitted and on an acknowledged referral raises NotPermittedError naming the
    route whose team may act, and changes nothing; the other route's queue does not list the referral.
    """
    e = world.edm
    attempts: list[tuple[str, Callable[[str], Any]]] = [
        ("acknowledge", lambda r: e.acknowledge_referral(r, by=OTHER_TEAM)),
        ("return", lambda r: e.return_referral(r, by=OTHER_TEAM, question="Which records?")),
        ("advise", lambda r: e.give_advice(r, by=OTHER_TEAM, advice="Grant.")),
    ]
    for referral in (world.submitted, world.acknowledged):
        for name, attempt in attempts:
            before = snapshot(world.store)
            with pytest.raises(NotPermittedError, match="is on route svm_test's team") as caught:
                attempt(referral)
            assert "ccu_test" in str(caught.value), name
            assert differences(before, snapshot(world.store)) == [], name
    assert e.referrals("svm_test", open_only=False) == []
