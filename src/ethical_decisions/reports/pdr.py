"""The PDR report: evidence of how one decision-maker used the model, for their review conversation.

Windrush Recommendation 17 asks for "a system for monitoring compliance with
the ethical standard ... built into the Performance Development Review
process". This report is that evidence for one person and a period.

**A guarantee is stated once, never scored.** Every closed review has a
reflection and a rationale because the library requires them (and every
referral ended with advice or was withdrawn): a share of reviews "with a
rationale" would always read 100%, telling a manager nothing, the checklist the
Windrush review warned against. The report says so once, in words, and shows
instead what can differ between people and over time:

- **records assessed by their line manager** against the model's own elements
  (concern put into words, discretion considered, discussion sought, escalation
  where unresolved, a rationale that explains the decision, use made of advice),
  each evident, partly evident or not evident (the notes stay with the manager:
  they never appear in a report);
- **what happened after advice**: followed, followed in part, not followed, and
  concerns taken further after advice (escalated again);
- **referrals returned** by a route for more information;
- **their own decisions later challenged**, and the result: upheld (right first
  time), overturned or withdrawn;
- **concerns proceeded with unresolved**, each acknowledged with its reason;
- the plain counts of their use of the model, their part in reviews, and a few
  reviews picked at random to talk about.

Each step is credited to whoever took it: most figures count the reviews the
person took the final decision on, and a table of their part counts every
review closed in the period that they opened, reflected on, escalated,
decided, handed over or received by handover.

It never ranks or sets one person against another, and sets no number of
concerns or escalations to reach: raising a concern never counts against
anyone (the model exists "to enable staff to articulate and raise concerns").
So every figure is a plain count of the person's own work: no share, no
average, nothing about anyone else.

**No suppression.** Small counts are suppressed to stop a reader identifying
someone they should not. A PDR report is about one named person, read by them
and their line manager; its counts are of that person's own work, and hiding
them would hide the very evidence the conversation needs. Nothing in it is
about anyone else: compliance records hold no applicant details, no free text
and no one else's staff id. So the report shows every count, and says why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TypeVar

import attrs

from ethical_decisions.assessments import AssessedElement, Assessment, Finding
from ethical_decisions.compliance import ComplianceRecord, Part, StepUsed
from ethical_decisions.figures import PdrFigures
from ethical_decisions.model import AdviceResponse, ConcernCategory, LaterOutcomeResult, OutcomeClass

from . import labels
from .document import ALL, Cell, Chart, Report, Row, Table, count_cell, text_cell

__all__ = ["GUARANTEED", "PdrReport"]

_SUPPRESSION = (
    "No counts are suppressed: this report is about one person's own reviews, read with their line "
    "manager, and holds nothing about anyone else (no applicant details and no free text)."
)

GUARANTEED = (
    "Every closed review has a reflection on the proposed decision and a rationale for the final decision, "
    "and every referral ended with advice or was withdrawn with a reason, because the library requires "
    "them. They are not shown as figures: every closed review would count, for everyone, always."
)
"""The guarantees the rules enforce, said once in the report instead of scored."""


def _how_to_read(staff_id: str, period: str) -> tuple[str, ...]:
    return (
        f"This is evidence for a Performance Development Review conversation about how {staff_id} used "
        f"the Ethical Decision-Making Model on reviews closed from {period}. It shows what was recorded "
        "and how their line manager assessed a sample of the records; it does not judge whether any "
        "decision was right.",
        GUARANTEED,
        "What can differ is shown instead: the line manager's assessment of sampled records against the "
        "model's own elements; what was done with each route's advice; referrals a route returned for "
        "more information; decisions later challenged, and the result; and concerns proceeded with "
        "unresolved, each with its reason recorded.",
        "Each step of a review is credited to whoever took it. A review may pass through more than one "
        "pair of hands (opened by one person, handed over, decided by another), so the figures count the "
        f"reviews {staff_id} took the final decision on, and the table of their part counts every review "
        "in which they took one.",
        "Every number here is a plain count of this person's own work: none sets them beside anyone "
        "else, puts people in order, or counts escalations against them. Raising a concern never counts "
        "against anyone. The model exists \u201cto enable staff to articulate and raise concerns\u201d, "
        "and there is no right number of concerns or escalations.",
        "The reviews to talk about at the end were picked at random. Open them in the casework system to "
        "talk through what happened and what was learnt.",
    )


def _count_rows(rows: Sequence[tuple[str, str, int]]) -> tuple[Row, ...]:
    return tuple(Row(label, (count_cell(key, (), count),)) for key, label, count in rows)


def _use(f: PdrFigures) -> Table:
    rows = (
        ("closed_reviews", "Reviews closed in the period (they took the final decision)", f.closed),
        ("reviews_with_concerns", "Reviews with concerns put into words", f.with_concerns),
        ("concerns_articulated", "Concerns put into words", f.concerns),
        ("reviews_escalated", "Reviews escalated to a route", f.escalated),
        ("referrals_made", "Referrals made", f.referrals),
        ("referrals_returned", "Referrals a route returned for more information", f.returned),
        ("decisions_changed", "Decisions changed after reflection", f.decisions_changed),
        ("proceeded_unresolved", "Reviews decided with concerns unresolved", f.proceeded_unresolved),
        (
            "unresolved_acknowledged",
            "Concerns acknowledged as unresolved, each with its reason recorded",
            f.unresolved_acknowledged,
        ),
        ("open_at_end", "Reviews still open at the end of the period", f.open_at_end),
    )
    return Table(
        "use",
        "How the model was used",
        "Plain counts over the reviews closed in the period that they took the final decision on "
        "(reviews still open are those they hold). None is a share and none is a number to reach: a "
        "review with no concerns is a complete, proper use of the model.",
        "Closed reviews",
        ("Count",),
        _count_rows(rows),
    )


def _after_advice(f: PdrFigures) -> Table:
    rows = [
        Row(
            words,
            (count_cell("advice_responses", (("response", key.value),), f.advice_responses.get(key, 0)),),
        )
        for key, words in labels.RESPONSE.items()
    ]
    all_responses = count_cell("advice_responses", (("response", ALL),), sum(f.advice_responses.values()))
    rows.append(Row("All responses to advice", (all_responses,), total=True))
    rows.append(
        Row(
            "Concerns taken further after advice (escalated again)",
            (count_cell("re_escalations", (), f.re_escalations),),
        )
    )
    return Table(
        "after_advice",
        "What happened after advice",
        "A route's advice informs; the decision-maker decides. For each concern a route advised on, they "
        "recorded whether they followed the advice, followed it in part or did not follow it, each with "
        "their reason (open the review to read it), and whether the concern was then resolved. A concern "
        "still unresolved may be escalated again, to the same route or to a second tier. Not following "
        "advice, with a reason, is a proper use of the model.",
        "What they did",
        ("Count",),
        tuple(rows),
    )


def _assessed_summary(f: PdrFigures) -> Table:
    findings = tuple(Finding)
    rows = []
    for element, words in labels.ELEMENT.items():
        cells = [
            count_cell(
                "assessed",
                (("element", element.value), ("finding", fi.value)),
                f.assessed.get((element, fi), 0),
            )
            for fi in findings
        ]
        total = sum(f.assessed.get((element, fi), 0) for fi in findings)
        cells.append(count_cell("assessed", (("element", element.value), ("finding", ALL)), total))
        rows.append(Row(words, tuple(cells)))
    reviews = f.assessed_reviews
    about = (
        f"Their line manager read {reviews} of the reviews closed in the period in which they took a part, "
        "and recorded for each of the model's elements whether it is evident in the record. An element a "
        "review did not call for (no concern, no advice) is left unassessed. The manager's notes are for "
        "the conversation and never appear in a report."
        if reviews
        else "None of the reviews closed in the period has been assessed yet. Their line manager picks a "
        "sample and records, for each of the model's elements, whether it is evident in the record "
        "(ethical-decisions assess, or EthicalDecisions.assess)."
    )
    return Table(
        "assessed",
        "Sampled records assessed by their line manager",
        about,
        "Element of the model",
        (*(labels.FINDING[fi] for fi in findings), "Assessed"),
        tuple(rows),
        aim="What can differ from one record to the next, and over time: the model asks for each element, "
        "and a record shows it or not. A finding is for the conversation, never a mark against anyone.",
    )


def _assessed_records(assessments: Sequence[Assessment]) -> Table:
    by_review: dict[str, dict[AssessedElement, Finding]] = {}
    latest: dict[str, dt.datetime] = {}
    for a in assessments:
        by_review.setdefault(a.review_id, {})[a.element] = a.finding
        latest[a.review_id] = max(latest.get(a.review_id, a.assessed_at), a.assessed_at)
    rows = []
    for review_id, found in sorted(by_review.items()):
        dims = (("review_id", review_id),)
        cells: list[Cell] = [text_cell("assessed_on", dims, latest[review_id].date().isoformat())]
        cells += [
            text_cell(f"finding_{e.value}", dims, labels.FINDING[found[e]] if e in found else "-")
            for e in AssessedElement
        ]
        rows.append(Row(review_id, tuple(cells)))
    return Table(
        "assessed_records",
        "The records assessed",
        "Each assessed review and the finding on each element (\u201c-\u201d: not assessed). Open the "
        "review in the casework system to talk it through.",
        "Review",
        ("Assessed on", *labels.ELEMENT.values()),
        tuple(rows),
    )


def _parts(f: PdrFigures) -> Table:
    return Table(
        "parts",
        "Your part in reviews closed in the period",
        "Every review closed in the period in which they took a part, whoever took the final decision: "
        "opening it, recording the reflection, escalating a concern, taking the final decision, handing "
        "it over (before leave, say, or as a manager), or holding it after it was handed over to them. A "
        "review counts once in each part taken in it, so the lines do not add up to a number of reviews.",
        "Part",
        ("Reviews",),
        _breakdown("reviews", "part", f.parts, labels.PART, total=False),
    )


_Code = TypeVar("_Code", ConcernCategory, StepUsed, OutcomeClass, LaterOutcomeResult, Part, AdviceResponse)


def _breakdown(
    measure: str, dimension: str, counts: Mapping[_Code, int], words: Mapping[_Code, str], *, total: bool
) -> tuple[Row, ...]:
    rows = [
        Row(words[key], (count_cell(measure, ((dimension, key.value),), counts.get(key, 0)),))
        for key in words
    ]
    if total:
        rows.append(Row("All", (count_cell(measure, ((dimension, ALL),), sum(counts.values())),), total=True))
    return tuple(rows)


def _sampled(record: ComplianceRecord, staff_id: str, assessed: set[str]) -> Row:
    dims = (("review_id", record.review_id),)
    parts = record.parts(staff_id)
    taken = "; ".join(words for part, words in labels.PART.items() if part in parts) or "None"
    categories = "; ".join(labels.CATEGORY[c] for c in record.concern_categories) or "None"
    steps = "; ".join(labels.STEP[s] for s in record.steps_used) or "None"
    responses = "; ".join(
        f"{labels.RESPONSE[r]} ({n})" if n > 1 else labels.RESPONSE[r]
        for r, n in record.advice_responses.items()
    )
    cells: tuple[Cell, ...] = (
        text_cell("closed_on", dims, record.closed_at.date().isoformat()),
        text_cell("parts", dims, taken),
        text_cell("concern_categories", dims, categories),
        text_cell("steps_used", dims, steps),
        text_cell("after_advice", dims, responses or "No advice"),
        text_cell("outcome_class", dims, labels.OUTCOME[record.outcome_class]),
        text_cell("decision_changed", dims, "Yes" if record.decision_changed else "No"),
        text_cell("assessed", dims, "Yes" if record.review_id in assessed else "Not yet"),
    )
    return Row(record.review_id, cells)


@attrs.frozen(kw_only=True)
class PdrReport(Report):
    """The PDR report of one decision-maker for a period. Build it with :meth:`from_figures`."""

    kind = "pdr"
    dimensions = (
        "part",
        "response",
        "element",
        "finding",
        "category",
        "step",
        "outcome_class",
        "result",
        "review_id",
    )

    staff_id: str

    @classmethod
    def from_figures(
        cls,
        figures: PdrFigures,
        sample: Sequence[ComplianceRecord],
        *,
        made_at: dt.datetime,
        assessments: Sequence[Assessment] = (),
    ) -> PdrReport:
        """The report of *figures*, with the *sample* of records to talk about.

        :param assessments: the line manager's findings on the person's part in reviews closed in the
            period; only their elements and findings are shown, never their notes.
        """
        f = figures
        period = f.period.describe()
        mine = [a for a in assessments if a.staff_id == f.staff_id]
        tables = (
            _use(f),
            _assessed_summary(f),
            _assessed_records(mine),
            _after_advice(f),
            Table(
                "later_outcomes",
                "Later challenges to their decisions",
                "The latest administrative review, appeal or tribunal outcome recorded so far for the "
                "decisions they took on reviews closed in the period: upheld is a decision right first "
                "time. A decision overturned later is something to learn from together, not a mark "
                "against anyone.",
                "Result",
                ("Reviews",),
                _breakdown("reviews", "result", f.later_outcomes, labels.RESULT, total=True),
            ),
            _parts(f),
            Table(
                "concerns",
                "What the concerns were about",
                "Concerns put into words on the reviews closed in the period, by category. A review may "
                "have several concerns.",
                "Category",
                ("Concerns",),
                _breakdown("concerns", "category", f.concerns_by_category, labels.CATEGORY, total=True),
                Chart.BARS,
            ),
            Table(
                "steps",
                "Steps of the model used",
                "How many closed reviews used each step. Each step is there to use when it helps a "
                "concern; a review with no concerns needs none of them.",
                "Step",
                ("Reviews",),
                _breakdown("reviews", "step", f.steps, labels.STEP, total=False),
                Chart.BARS,
            ),
            Table(
                "outcomes",
                "How the reviews ended",
                "Each closed review by the furthest step any of its concerns needed.",
                "Outcome",
                ("Reviews",),
                _breakdown("reviews", "outcome_class", f.outcomes, labels.OUTCOME, total=True),
                Chart.BARS,
            ),
            Table(
                "sample",
                "Reviews to talk about",
                f"{len(sample)} of the reviews closed in the period in which they took a part, picked at "
                "random. Records hold no applicant details and no free text: open each review in the "
                "casework system to see what was written.",
                "Review",
                (
                    "Closed on",
                    "Your part",
                    "Concern categories",
                    "Steps used",
                    "After advice",
                    "How it ended",
                    "Decision changed",
                    "Assessed",
                ),
                tuple(_sampled(r, f.staff_id, {a.review_id for a in mine}) for r in sample),
            ),
        )
        return cls(
            title="Ethical decision-making: PDR evidence",
            subject=f"Decision-maker {f.staff_id}",
            period=f.period,
            made_at=made_at,
            threshold=None,
            suppression=_SUPPRESSION,
            how_to_read=_how_to_read(f.staff_id, period),
            tables=tables,
            staff_id=f.staff_id,
        )
