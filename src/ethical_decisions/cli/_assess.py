"""``assess`` and ``assessments``: a line manager assesses a sample of someone's records for their PDR.

``assessments STAFF_ID --from --to`` lists the sample to assess: reviews closed
in the period in which the person took a part, picked at random but the same
each time for the same person and period (unless ``--seed`` says otherwise),
with what has been assessed so far. ``assess REVIEW_ID`` records one finding on
one of the model's elements, with an optional note for the conversation. The
note is never printed, logged or put in a report.

Who ``--staff`` is comes from the people file's register when it lists them,
else from ``--role`` (a line manager or team leader, in the review's business
area). The command line trusts ``--staff``: the casework system is what
authenticates people.
"""

from __future__ import annotations

import argparse

from ethical_decisions.assessments import ELEMENT_LABELS, AssessedElement, Finding, sample_seed
from ethical_decisions.exceptions import ValidationError
from ethical_decisions.figures import Period
from ethical_decisions.model import DecisionMaker, StaffRole
from ethical_decisions.policy import PEOPLE_FILE_VARIABLE
from ethical_decisions.reports.labels import FINDING, OUTCOME

from ._common import connect, parse_date, positive_number, read_text, staff_id
from ._table import table

__all__ = ["add_commands"]

_FINDINGS = {"evident": Finding.EVIDENT, "partly": Finding.PARTLY_EVIDENT, "not": Finding.NOT_EVIDENT}
_ELEMENTS = [element.value for element in AssessedElement]
_ASSESSOR_ROLES = [StaffRole.LINE_MANAGER.value, StaffRole.TEAM_LEADER.value]
_ROLE_WORDS = " or ".join(_ASSESSOR_ROLES)


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``assess`` and ``assessments``."""
    elements = "; ".join(f"{e.value} ({words.lower()})" for e, words in ELEMENT_LABELS.items())
    assess = commands.add_parser(
        "assess",
        help="record a line manager's finding on one element of the model in a closed review's record",
        description="Record whether one of the model's elements is evident in a closed review's record, "
        "for the PDR of the person who took part in it (by default, who took the final decision). The "
        f"elements: {elements}. Recording an element again replaces the finding. The note is for the "
        "conversation: it is never printed, logged or put in a report, and it is erased with the review's "
        f"free text. Who --staff is: the people file's register (named by {PEOPLE_FILE_VARIABLE}) when it "
        "lists them, else --role, in the review's business area.",
    )
    assess.add_argument("review_id", metavar="REVIEW_ID")
    assess.add_argument("--staff", required=True, type=staff_id, metavar="STAFF_ID", help="your staff id")
    assess.add_argument(
        "--element",
        required=True,
        choices=_ELEMENTS,
        metavar="ELEMENT",
        help=f"one of {', '.join(_ELEMENTS)}",
    )
    assess.add_argument("--finding", required=True, choices=list(_FINDINGS), help="evident, partly or not")
    assess.add_argument(
        "--note", metavar="TEXT", help="what you noticed (or - to read it from standard input)"
    )
    assess.add_argument(
        "--of",
        type=staff_id,
        metavar="STAFF_ID",
        help="whose part is assessed (default: who took the final decision)",
    )
    assess.add_argument(
        "--role",
        choices=_ASSESSOR_ROLES,
        metavar="ROLE",
        help=f"your role, when no people file lists you: {' or '.join(_ASSESSOR_ROLES)}",
    )
    assess.add_argument("--team", metavar="TEAM", help="your team (default: Line management)")
    assess.set_defaults(run=_assess)

    sample = commands.add_parser(
        "assessments",
        help="list the sample of someone's records to assess, and what is assessed so far",
        description="List a sample of the reviews closed in the period in which a person took a part, "
        "picked at random but the same each time for the same person and period (unless --seed), with "
        "the findings recorded so far on each of the model's elements. Notes are never printed.",
    )
    sample.add_argument("of", type=staff_id, metavar="STAFF_ID", help="whose records")
    sample.add_argument("--from", dest="first_day", required=True, type=parse_date, metavar="DATE")
    sample.add_argument("--to", dest="last_day", required=True, type=parse_date, metavar="DATE")
    sample.add_argument("--size", type=positive_number, default=3, metavar="N", help="how many (default 3)")
    sample.add_argument(
        "--seed", type=int, help="another pick (default: one fixed for the person and period)"
    )
    sample.set_defaults(run=_list)


def _list(args: argparse.Namespace) -> int:
    period = Period.from_dates(args.first_day, args.last_day)
    seed = args.seed if args.seed is not None else sample_seed(args.of, period.first_day)
    with connect(args) as edm:
        records = edm.store.pdr_sample(args.of, period, size=args.size, seed=seed)
        found = edm.store.assessments(staff_id=args.of, closed_from=period.start, closed_before=period.end)
    by_review: dict[str, dict[AssessedElement, Finding]] = {}
    for a in found:
        by_review.setdefault(a.review_id, {})[a.element] = a.finding
    print(
        f"{len(records)} of the reviews closed from {period.describe()} in which {args.of} took a part "
        f"(seed {seed}):\n"
    )
    rows = []
    for record in records:
        done = by_review.get(record.review_id, {})
        rows.append(
            (
                record.review_id,
                record.closed_at.date().isoformat(),
                OUTCOME[record.outcome_class],
                f"{len(done)} of {len(AssessedElement)}",
            )
        )
    print(table(("review", "closed", "how it ended", "elements assessed"), rows))
    for review_id, done in sorted(by_review.items()):
        print(f"\n{review_id}")
        for element in AssessedElement:
            shown = FINDING[done[element]] if element in done else "-"
            print(f"  {ELEMENT_LABELS[element]}: {shown}")
    example = records[0].review_id if records else "REVIEW_ID"
    print(
        f"\nTo record a finding: ethical-decisions assess {example} --staff YOUR_ID --of {args.of} "
        "--element concern_articulated --finding evident --note TEXT"
    )
    return 0


def _assess(args: argparse.Namespace) -> int:
    # Read the note first: a mistake in it is reported before the store is touched.
    note = read_text(args.note, "--note") if args.note is not None else None
    with connect(args) as edm:
        review = edm.review(args.review_id)
        people = edm.plugins.people
        if args.staff in people.staff:
            by = people.staff[args.staff]
        elif people.staff:
            raise ValidationError(
                "The assessment",
                [
                    f"--staff: {args.staff} is not in the register of staff in the file named by "
                    f"{PEOPLE_FILE_VARIABLE}; check the staff id, or add them to the file"
                ],
            )
        elif args.role is None:
            raise ValidationError(
                "The assessment",
                [f"--role: no people file lists {args.staff}, so give their role ({_ROLE_WORDS})"],
            )
        else:
            by = DecisionMaker(args.staff, args.role, review.business_area, args.team or "Line management")
        assessment = edm.assess(
            review.review_id,
            by=by,
            element=AssessedElement(args.element),
            finding=_FINDINGS[args.finding],
            note=note,
            staff_id=args.of,
        )
    noted = " (with a note)" if assessment.note else ""
    print(
        f"Review {assessment.review_id}, {assessment.staff_id}'s part: "
        f"{ELEMENT_LABELS[assessment.element].lower()}: {FINDING[assessment.finding].lower()}{noted}; "
        f"recorded by {assessment.assessed_by} on {assessment.assessed_at:%Y-%m-%d}."
    )
    return 0
