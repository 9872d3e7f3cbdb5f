"""The department report's sections: every count entered in one ledger, suppressed together, laid out.

Each set of counts that adds up to a shown total is entered as a matrix with
its totals (:meth:`~ethical_decisions.reports.ledger.Ledger.matrix`), so that
suppression sees every total a reader could subtract from; a count shown in
two tables (a route's referrals) is one entry. What the sections' words tell a
reader about how counts relate (referrals advised are some of those submitted;
challenged reviews are some of those closed; a review that ended with concerns
had at least one) is entered too (:meth:`~ethical_decisions.reports.ledger.Ledger.at_most`).
Shares and means are worked out from the cells as shown, so a suppressed count
suppresses them too.

A new section enters its counts and relations in the same ledger before any
cell is drawn, so that one suppression covers the whole report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ethical_decisions.figures import CHALLENGES_AT_APPEAL, DepartmentFigures, tally
from ethical_decisions.guidance import GUIDANCE
from ethical_decisions.learning import Answer, GuidanceFeedbackKind
from ethical_decisions.model import (
    ConcernCategory,
    LaterOutcomeKind,
    LaterOutcomeResult,
    OutcomeClass,
    SystemicIssueStatus,
)

from . import labels
from .document import ALL, Chart, Row, Table, days_cell, share_cell
from .ledger import Ledger, Matrix
from .trends import arrange, enter

__all__ = ["department_tables"]

_DECIDED = ("upheld", "overturned")
"""The results of a later outcome that decide it (withdrawn and pending ones decide nothing)."""

_REC17 = "Windrush Lessons Learned Review response, Recommendation 17"


def _split(
    part: Mapping[Any, int], whole: Mapping[Any, int], first: str, key: Callable[[str], Any] = str
) -> Callable[[str, str], int]:
    """A row's count in two columns: *part* in column *first*, the rest of *whole* in the other."""

    def count(row: str, column: str) -> int:
        found = part.get(key(row), 0)
        return found if column == first else whole.get(key(row), 0) - found

    return count


def _row(ledger: Ledger, matrix: Matrix, row: str, label: str, columns: tuple[str, ...]) -> Row:
    return Row(label, tuple(ledger.cell(matrix.key(row, c)) for c in columns), total=row == ALL)


def _grid(
    ledger: Ledger, matrix: Matrix, rows: Mapping[str, str], columns: tuple[str, ...]
) -> tuple[Row, ...]:
    """The rows of *matrix*, each with its columns then its total, and a total row."""
    return tuple(_row(ledger, matrix, r, label, (*columns, ALL)) for r, label in {**rows, ALL: "All"}.items())


def _relations(
    ledger: Ledger,
    routes: Mapping[str, str],
    *,
    escalations: Matrix,
    advised: Matrix,
    ended: Matrix,
    concerns: Matrix,
    challenged: Matrix,
    later: Matrix,
) -> None:
    """Enter what the sections' words tell a reader about how their counts relate."""
    for r in (*routes, ALL):  # advised referrals are referrals submitted in the period
        ledger.at_most([advised.key(r, ALL)], [escalations.key(r, ALL)])
    reviews, no_concerns = ended.key(ALL, ALL), ended.key(OutcomeClass.NO_CONCERNS.value, ALL)
    with_concerns = challenged.key("with_concerns", ALL)
    # challenged reviews are reviews closed in the period, with concerns or without
    ledger.at_most([with_concerns, no_concerns], [reviews])
    ledger.at_most([challenged.key("no_concerns", ALL)], [no_concerns])
    # later outcomes are of reviews closed in the period; those at appeal or tribunal are the challenges above
    ledger.at_most([later.key(ALL, ALL)], [reviews])
    appeal = [k.value for k in CHALLENGES_AT_APPEAL]
    for c in (*_DECIDED, ALL):
        ledger.adds_up(challenged.key(ALL, c), [later.key(k, c) for k in appeal])
    # every review that ended with concerns put at least one into words
    ledger.at_most([reviews], [concerns.key(ALL, ALL), no_concerns])


def department_tables(
    figures: DepartmentFigures, threshold: int, route_names: Mapping[str, str] | None
) -> tuple[Table, ...]:
    """The department report's tables for *figures*, counts under *threshold* suppressed."""
    f, t = figures, threshold
    ledger = Ledger(t)
    months = f.period.months()
    # Every route named is listed, with its zeros: a row that appears only when it has a referral
    # would tell a reader its hidden counts are not all 0.
    listed = sorted({*f.routes, *(route_names or {})})
    routes = {r: labels.route_label(r, route_names) for r in listed}
    categories = {c.value: labels.CATEGORY[c] for c in ConcernCategory}
    outcomes = {o.value: labels.OUTCOME[o] for o in OutcomeClass}

    escalations = ledger.matrix(
        "referrals", ("route", routes), ("month", months), lambda r, m: f.escalations.get((r, m), 0)
    )
    route_totals = tally((route, n) for (route, _), n in f.escalations.items())
    referred = ledger.matrix(
        "referrals",
        ("route", routes),
        ("referred_by", ("frontline", "other")),
        _split(f.frontline, route_totals, "frontline"),
        row_totals=lambda r: escalations.key(r, ALL),
        grand=escalations.key(ALL, ALL),
    )
    advised = ledger.matrix(
        "referrals_advised",
        ("route", routes),
        ("timing", ("within_target", "after_target")),
        _split(f.within_target, f.advised, "within_target"),
    )
    awaiting = ledger.matrix(
        "referrals_awaiting",
        ("route", routes),
        ("due", ("overdue", "not_yet_due")),
        _split(f.overdue, f.awaiting, "overdue"),
    )
    ended = ledger.matrix(
        "reviews",
        ("outcome_class", outcomes),
        ("decision", ("changed", "unchanged")),
        _split(f.changed, f.outcomes, "changed", OutcomeClass),
    )
    concerns = ledger.matrix(
        "concerns",
        ("category", categories),
        ("month", months),
        lambda c, m: f.categories.get((m, ConcernCategory(c)), 0),
    )
    groups = {"with_concerns": "Reviews with concerns", "no_concerns": "Reviews with no concerns"}
    challenged = ledger.matrix(
        "challenges_decided",
        ("concerns", groups),
        ("result", ("upheld", "overturned")),
        lambda g, r: f.challenges.get((g == "with_concerns", LaterOutcomeResult(r)), 0),
    )
    learning = _enter_learning(ledger, f, routes)
    outcome_kinds = {k.value: labels.KIND[k] for k in LaterOutcomeKind}
    later = ledger.matrix(
        "later_outcomes_decided",
        ("kind", outcome_kinds),
        ("result", _DECIDED),
        lambda k, r: f.later_outcomes.get((LaterOutcomeKind(k), LaterOutcomeResult(r)), 0),
    )
    trends = enter(ledger, f, routes, escalations=escalations, concerns=concerns, advised=advised)

    _relations(
        ledger,
        routes,
        escalations=escalations,
        advised=advised,
        ended=ended,
        concerns=concerns,
        challenged=challenged,
        later=later,
    )

    referred_rows = []
    for r, label in {**routes, ALL: "All routes"}.items():
        front, other, total = (ledger.cell(referred.key(r, c)) for c in ("frontline", "other", ALL))
        share = share_cell("share_frontline", (("route", r),), front, total)
        referred_rows.append(Row(label, (front, other, share), total=r == ALL))

    advice_rows = []
    for r, label in {**routes, ALL: "All routes"}.items():
        within, after, count = (
            ledger.cell(advised.key(r, c)) for c in ("within_target", "after_target", ALL)
        )
        dims = (("route", r),)
        seconds = f.advice_seconds.get(r, 0) if r != ALL else sum(f.advice_seconds.values())
        target = days_cell("target_days", dims, f.target_seconds.get(r)) if r != ALL else None
        advice_rows.append(
            Row(
                label,
                (
                    target,
                    count,
                    within,
                    after,
                    share_cell("share_within_target", dims, within, count),
                    days_cell("mean_days_to_advice", dims, seconds, over=count),
                ),
                total=r == ALL,
            )
        )

    decided_rows = []
    for g, label in {**groups, ALL: "All challenged reviews"}.items():
        decided, upheld, overturned = (
            ledger.cell(challenged.key(g, c)) for c in (ALL, "upheld", "overturned")
        )
        share = share_cell("share_overturned", (("concerns", g),), overturned, decided)
        decided_rows.append(Row(label, (decided, upheld, overturned, share), total=g == ALL))

    later_rows = []
    for k, label in {**outcome_kinds, ALL: "All later outcomes"}.items():
        decided, upheld, overturned = (ledger.cell(later.key(k, c)) for c in (ALL, *_DECIDED))
        share = share_cell("share_overturned", (("kind", k),), overturned, decided)
        later_rows.append(Row(label, (decided, upheld, overturned, share), total=k == ALL))

    month_headers = tuple(labels.month_label(m) for m in months)
    tables = (
        Table(
            "escalations",
            "Escalations per route per month",
            "Referrals submitted to each route in each month of the period. A review escalated twice "
            "counts twice.",
            "Route",
            (*month_headers, "Total"),
            _grid(ledger, escalations, routes, months),
            Chart.TREND,
            aim="More escalations for ethical considerations is the aim: the Home Office said it "
            f"expects \u201can increase in case escalation for ethical considerations\u201d ({_REC17}).",
        ),
        Table(
            "referred_by",
            "Who referred",
            "Referrals submitted in the period by frontline officers (who meet people in their work) "
            "and by caseworkers and other staff.",
            "Route",
            ("Frontline officers", "Caseworkers and others", "Share frontline"),
            tuple(referred_rows),
        ),
        Table(
            "outcomes",
            "How reviews ended",
            "Reviews closed in the period by the furthest step any of their concerns needed, and whether "
            "the final decision differed from the decision proposed before reflection.",
            "Outcome",
            ("Reviews", "Decision changed", "Unchanged"),
            tuple(
                _row(ledger, ended, o, label, (ALL, "changed", "unchanged"))
                for o, label in {**outcomes, ALL: "All reviews"}.items()
            ),
            Chart.BARS,
        ),
        Table(
            "time_to_advice",
            "Time to advice against each route's target",
            "Referrals submitted in the period that have had advice: how many came within the route's "
            "response target (the longest target in force, in days) and the mean days from referral "
            "to advice.",
            "Route",
            ("Target (days)", "Advised", "Within target", "After target", "Share within", "Mean days"),
            tuple(advice_rows),
            Chart.BARS,
            chart_column=4,
        ),
        Table(
            "awaiting_advice",
            "Referrals awaiting advice now",
            "Every referral still waiting for its route's advice when the report was made, whenever it "
            "was submitted, and how many of them are past their due date.",
            "Route",
            ("Overdue", "Not yet due", "Awaiting"),
            _grid(ledger, awaiting, routes, ("overdue", "not_yet_due")),
        ),
        Table(
            "concern_categories",
            "Concern categories over time",
            "Concerns put into words on reviews closed in each month, by category: a rise in one kind "
            "may point to a rule or a process to feed back to policy (Windrush Recommendation 22).",
            "Category",
            (*month_headers, "Total"),
            _grid(ledger, concerns, categories, months),
            Chart.TREND,
        ),
        Table(
            "overturned",
            "Overturned at appeal or tribunal",
            "Decisions from reviews closed in the period whose latest challenge, at appeal or tribunal, "
            "has been decided, for reviews that raised concerns and reviews that did not. Withdrawn "
            "challenges and administrative reviews are left out.",
            "Reviews",
            ("Decided", "Upheld", "Overturned", "Share overturned"),
            tuple(decided_rows),
            Chart.BARS,
            chart_column=3,
            aim="Fewer decisions overturned at tribunal is the aim, as the model helps get decisions "
            f"right first time ({_REC17}).",
        ),
        Table(
            "later_outcomes",
            "Later outcomes by kind",
            "Decisions from reviews closed in the period, by the kind of their latest later outcome that "
            "has been decided: administrative review, appeal, tribunal, complaint, judicial review, MP "
            "letter or ombudsman. Upheld means the decision stood (a complaint, letter or finding that "
            "found it sound); overturned, that it was changed or found wrong. Withdrawn and pending ones "
            "are left out. The appeal and tribunal rows add up to the table above.",
            "Later outcome",
            ("Decided", "Upheld", "Overturned", "Share overturned"),
            tuple(later_rows),
            Chart.BARS,
            chart_column=3,
        ),
    )
    return arrange((*tables, *_learning_tables(ledger, learning)), trends)


@attrs.frozen
class _Learning:
    """The learning loop's counts as entered in a report's ledger, with their rows' and columns' labels."""

    routes: Mapping[str, str]
    statuses: Mapping[str, str]
    issues: Matrix
    questions: Mapping[str, str]
    answers: Mapping[str, str]
    speak_up: Matrix
    versions: Mapping[str, str]
    kinds: Mapping[str, str]
    guidance: Matrix


def _enter_learning(ledger: Ledger, f: DepartmentFigures, routes: Mapping[str, str]) -> _Learning:
    """Enter the systemic issues, speaking-up answers and guidance feedback in *ledger*."""
    statuses = {s.value: s.value.replace("_", " ").capitalize() for s in SystemicIssueStatus}
    issues = ledger.matrix(
        "systemic_issues", ("route", routes), ("status", statuses), lambda r, s: f.issues.get((r, s), 0)
    )
    questions = {"again": "Would speak up again", "detriment": "Suffered detriment for raising it"}
    answers = {a.value: a.value.replace("_", " ").capitalize() for a in Answer}
    speak_up = ledger.matrix(
        "speak_up_answers",
        ("question", questions),
        ("answer", answers),
        lambda q, a: f.speak_up.get((q, a), 0),
    )
    # both questions are answered together: each question's answers add up to the same number
    ledger.at_most([speak_up.key("again", ALL)], [speak_up.key("detriment", ALL)])
    ledger.at_most([speak_up.key("detriment", ALL)], [speak_up.key("again", ALL)])
    # The guidance in force is listed whether or not anyone sent feedback on it: a row that appeared
    # only with feedback would tell a reader its hidden counts are not all 0.
    versions = {v: v for v in sorted({GUIDANCE.version, *(version for version, _ in f.guidance_feedback)})}
    kinds = {k.value: k.value.replace("_", " ").capitalize() for k in GuidanceFeedbackKind}
    guidance = ledger.matrix(
        "guidance_feedback",
        ("guidance_version", versions),
        ("kind", kinds),
        lambda v, k: f.guidance_feedback.get((v, k), 0),
    )
    return _Learning(routes, statuses, issues, questions, answers, speak_up, versions, kinds, guidance)


def _learning_tables(ledger: Ledger, e: _Learning) -> tuple[Table, ...]:
    """The learning loop's tables, once every count is entered."""
    return (
        Table(
            "systemic_issues",
            "Systemic issues raised",
            "Systemic issues opened on the register in the period, by the route whose team raised them "
            "and where each stands now (Windrush Recommendations 16, 19 and 22: what staff see fed back "
            "to policy).",
            "Route",
            (*e.statuses.values(), "Total"),
            _grid(ledger, e.issues, e.routes, tuple(e.statuses)),
        ),
        Table(
            "speak_up",
            "Speaking up",
            "Answers, given in the period at the close of reviews with concerns, to \u201cGiven your "
            "experience, would you speak up again?\u201d and whether the person suffered detriment for "
            "raising their concern. Both questions are answered together.",
            "Question",
            (*e.answers.values(), "Total"),
            _grid(ledger, e.speak_up, e.questions, tuple(e.answers)),
        ),
        Table(
            "guidance_feedback",
            "Feedback on the guidance",
            "Questions about the guidance and formatting errors sent from within reviews in the period, "
            "by the version of the guidance they were about.",
            "Guidance version",
            (*e.kinds.values(), "Total"),
            _grid(ledger, e.guidance, e.versions, tuple(e.kinds)),
        ),
    )
