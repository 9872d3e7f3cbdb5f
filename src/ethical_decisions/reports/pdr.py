"""The PDR report: evidence of how one decision-maker used the model, for their review conversation.

Windrush Recommendation 17 asks for "a system for monitoring compliance with
the ethical standard ... built into the Performance Development Review
process". This report is that evidence for one person and a period: whether a
reflection and a rationale were recorded on every closed review, concerns put
into words, advice recorded, escalations followed through; and a few reviews
picked at random to talk about.

Each step is credited to whoever took it: most figures count the reviews the
person took the final decision on, and a table of their part counts every
review closed in the period that they opened, reflected on, escalated,
decided, handed over or received by handover.

It never ranks or sets one person against another, and sets no number of
concerns or escalations to reach: raising a concern never counts against
anyone (the model exists "to enable staff to articulate and raise concerns").
So concerns and escalations are shown as plain counts, never as shares, and
only the recording measures (reflection, rationale, advice, follow-through)
carry a share of the reviews they apply to.

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

from ethical_decisions.compliance import ComplianceRecord, Part, StepUsed
from ethical_decisions.figures import PdrFigures
from ethical_decisions.model import ConcernCategory, LaterOutcomeResult, OutcomeClass

from . import labels
from .document import ALL, Cell, Chart, Report, Row, Table, count_cell, share_cell, text_cell

__all__ = ["PdrReport"]

_SUPPRESSION = (
    "No counts are suppressed: this report is about one person's own reviews, read with their line "
    "manager, and holds nothing about anyone else (no applicant details and no free text)."
)


def _how_to_read(staff_id: str, period: str) -> tuple[str, ...]:
    return (
        f"This is evidence for a Performance Development Review conversation about how {staff_id} used "
        f"the Ethical Decision-Making Model on reviews closed from {period}. It counts what was "
        "recorded; it does not judge whether any decision was right.",
        "Each step of a review is credited to whoever took it. A review may pass through more than one "
        "pair of hands (opened by one person, handed over, decided by another), so the figures count the "
        f"reviews {staff_id} took the final decision on, and the table of their part counts every review "
        "in which they took one.",
        "Raising a concern never counts against anyone. The model exists \u201cto enable staff to "
        "articulate and raise concerns\u201d, and there is no right number of concerns or escalations.",
        "Signs the model was used well: a reflection and a rationale recorded on every closed review; "
        "concerns put into words when something did not feel right; advice recorded after each "
        "discussion or referral; and every escalation followed through to advice, or withdrawn with a "
        "reason.",
        "The sampled reviews at the end were picked at random. Open them in the casework system to "
        "talk through what happened and what was learnt.",
    )


def _summary(f: PdrFigures) -> Table:
    def line(key: str, label: str, count: int, out_of: int | None = None) -> Row:
        cell = count_cell(key, (), count)
        if out_of is None:
            return Row(label, (cell, None, None))
        whole = count_cell(f"{key}_out_of", (), out_of)
        return Row(label, (cell, whole, share_cell(f"{key}_share", (), cell, whole)))

    rows = (
        line("closed_reviews", "Reviews closed in the period", f.closed),
        line("reflection_recorded", "Reflection recorded", f.reflection_recorded, f.closed),
        line("rationale_recorded", "Rationale recorded for the decision", f.rationale_recorded, f.closed),
        line("reviews_with_concerns", "Reviews with concerns put into words", f.with_concerns),
        line("concerns_articulated", "Concerns put into words", f.concerns),
        line(
            "advice_recorded", "Advice recorded (discussions, referrals)", f.advice_recorded, f.advice_sought
        ),
        line("reviews_escalated", "Reviews escalated to a route", f.escalated),
        line("referrals_made", "Referrals made", f.referrals),
        line("escalations_followed_through", "Escalations followed through", f.followed_through, f.escalated),
        line("decisions_changed", "Decisions changed after reflection", f.decisions_changed),
        line(
            "proceeded_unresolved",
            "Proceeded with concerns unresolved, reasons given",
            f.proceeded_unresolved,
        ),
        line("open_at_end", "Reviews still open at the end of the period", f.open_at_end),
    )
    return Table(
        "use",
        "How the model was used",
        "Counts over the reviews closed in the period that they took the final decision on. Where a line "
        "has a share, it is of the reviews that "
        "line applies to: every closed review needs a reflection and a rationale; every discussion and "
        "referral needs its advice recorded; every escalation needs advice, or withdrawing with a reason.",
        "Closed reviews",
        ("Count", "Out of", "Share"),
        rows,
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


_Code = TypeVar("_Code", ConcernCategory, StepUsed, OutcomeClass, LaterOutcomeResult, Part)


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


def _sampled(record: ComplianceRecord, staff_id: str) -> Row:
    dims = (("review_id", record.review_id),)
    parts = record.parts(staff_id)
    taken = "; ".join(words for part, words in labels.PART.items() if part in parts) or "None"
    categories = "; ".join(labels.CATEGORY[c] for c in record.concern_categories) or "None"
    steps = "; ".join(labels.STEP[s] for s in record.steps_used) or "None"
    cells: tuple[Cell, ...] = (
        text_cell("closed_on", dims, record.closed_at.date().isoformat()),
        text_cell("parts", dims, taken),
        text_cell("concern_categories", dims, categories),
        text_cell("steps_used", dims, steps),
        text_cell("outcome_class", dims, labels.OUTCOME[record.outcome_class]),
        text_cell("decision_changed", dims, "Yes" if record.decision_changed else "No"),
    )
    return Row(record.review_id, cells)


@attrs.frozen(kw_only=True)
class PdrReport(Report):
    """The PDR report of one decision-maker for a period. Build it with :meth:`from_figures`."""

    kind = "pdr"
    dimensions = ("part", "category", "step", "outcome_class", "result", "review_id")

    staff_id: str

    @classmethod
    def from_figures(
        cls, figures: PdrFigures, sample: Sequence[ComplianceRecord], *, made_at: dt.datetime
    ) -> PdrReport:
        """The report of *figures*, with the *sample* of records to talk about."""
        f = figures
        period = f.period.describe()
        tables = (
            _summary(f),
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
                "later_outcomes",
                "Later challenges to these decisions",
                "The latest administrative review, appeal or tribunal outcome recorded so far for the "
                "decisions closed in the period. A decision overturned later is something to learn from "
                "together, not a mark against anyone.",
                "Result",
                ("Reviews",),
                _breakdown("reviews", "result", f.later_outcomes, labels.RESULT, total=False),
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
                    "How it ended",
                    "Decision changed",
                ),
                tuple(_sampled(r, f.staff_id) for r in sample),
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
