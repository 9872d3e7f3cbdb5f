"""``handover``: pass an open review to another decision-maker in its business area, saying why.

The command line trusts the ``--staff`` given, as every command does: the
casework system (or the web layer) is what authenticates people, and the
permission policy decides what they may do. This module only works out, from
what the deployment says of its people, which decision-makers ``--staff`` and
``--to`` are (see :data:`IDENTITY`).
"""

from __future__ import annotations

import argparse

from ethical_decisions.exceptions import StepError, ValidationError
from ethical_decisions.model import DecisionMaker, StaffRole, Step
from ethical_decisions.policy import PEOPLE_FILE_VARIABLE, People
from ethical_decisions.review import Review
from ethical_decisions.steps import allowed_steps

from ._common import connect, read_text, review_id, staff_id

__all__ = ["IDENTITY", "add_commands"]

IDENTITY = (
    "Who --staff and --to are: the people file's register of staff (the file named by "
    f"{PEOPLE_FILE_VARIABLE}) when it lists them; else, for --staff, the review's owner when that is "
    "who --staff names; else the role given with --role (--to-role for --to), in the review's business "
    "area and the team given with --team (--to-team), by default the owner's team. When the file has a "
    "register, a staff id it does not list is refused. The command line trusts --staff: the casework "
    "system is what authenticates people."
)
"""How the command works out who ``--staff`` and ``--to`` are; the help and the docs say the same."""

_ROLES = [role.value for role in StaffRole]


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``handover``."""
    handover = commands.add_parser(
        "handover",
        help="hand an open review over to another decision-maker (leave, a change of caseload)",
        description="Hand an open review over to another decision-maker in its business area, saying why. "
        "From then on they hold it and take its decision-maker's steps; the trail records who handed it "
        "over, from whom, to whom and why. By default the review's owner may hand it over, and so may a "
        "line manager or team leader in its business area. " + IDENTITY,
    )
    handover.add_argument("review_id", type=review_id, metavar="REVIEW_ID")
    handover.add_argument(
        "--to", required=True, type=staff_id, metavar="STAFF_ID", help="who will hold the review"
    )
    handover.add_argument("--staff", required=True, type=staff_id, metavar="STAFF_ID", help="your staff id")
    handover.add_argument(
        "--reason",
        required=True,
        metavar="TEXT",
        help="why it is handed over (or - to read it from standard input); kept in the trail, never printed",
    )
    handover.add_argument(
        "--role",
        choices=_ROLES,
        metavar="ROLE",
        help=f"your role, when needed (see above): {', '.join(_ROLES)}",
    )
    handover.add_argument("--team", metavar="TEAM", help="your team (default: the owner's)")
    handover.add_argument(
        "--to-role", choices=_ROLES, metavar="ROLE", help="their role, when needed (as for --role)"
    )
    handover.add_argument("--to-team", metavar="TEAM", help="their team (default: the owner's)")
    handover.set_defaults(run=_handover)


def _refused(problem: str) -> ValidationError:
    return ValidationError("The handover", [problem])


def _who(
    people: People,
    review: Review,
    given: str,
    role: str | None,
    team: str | None,
    *,
    options: tuple[str, str],
) -> DecisionMaker:
    """The decision-maker *given* is, as :data:`IDENTITY` says; *options* name the id and role options."""
    option, role_option = options
    if given in people.staff:
        return people.staff[given]
    if option == "--staff" and given == review.owner.staff_id:
        return review.owner
    if people.staff:
        raise _refused(
            f"{option}: {given} is not in the register of staff in the file named by {PEOPLE_FILE_VARIABLE}; "
            "check the staff id, or add them to the file"
        )
    if role is None:
        raise _refused(
            f"{role_option}: no people file lists {given}, so give their role (one of {', '.join(_ROLES)})"
        )
    return DecisionMaker(given, role, review.business_area, team or review.owner.team)


def _handover(args: argparse.Namespace) -> int:
    # Read the reason first: a mistake in it is reported before the store is touched.
    reason = read_text(args.reason, "--reason")
    with connect(args) as edm:
        review = edm.review(args.review_id)
        owner = review.owner.staff_id
        if review.is_closed:
            raise StepError(
                Step.HAND_OVER,
                review.stage,
                allowed_steps(review),
                f"review {review.review_id} is closed; only an open review is handed over",
            )
        if args.to == args.staff:
            raise _refused("--to: names you (--staff); a review is handed over to someone else")
        if args.to == owner:
            raise _refused(f"--to: {owner} already holds review {review.review_id}")
        people = edm.plugins.people
        by = _who(people, review, args.staff, args.role, args.team, options=("--staff", "--role"))
        to = _who(people, review, args.to, args.to_role, args.to_team, options=("--to", "--to-role"))
        edm.hand_over(review.review_id, by=by, to=to, reason=reason, expected_version=review.version)
    print(
        f"Review {review.review_id} is now held by {to.staff_id} ({_role(to)}, {to.team}); handed over "
        f"from {owner} by {by.staff_id} ({_role(by)})."
    )
    return 0


def _role(person: DecisionMaker) -> str:
    return person.role.value.replace("_", " ")
