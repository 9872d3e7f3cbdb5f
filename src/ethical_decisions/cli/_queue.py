"""``referrals``: a route team's queue: list, show, acknowledge, return for information, advise.

``show`` tells the team what became of their advice: what the decision-maker did
with it (followed, in part, or not, with their reason), whether the concern is
resolved, and whether it was escalated again.

Assigning and releasing referrals are in :mod:`._assign`. Statuses are printed in
words (``advice given``); ``--format json`` keeps the codes (``advice_given``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import textwrap

from ethical_decisions.events import AdviceResponded, ReferralAssigned
from ethical_decisions.guidance import concern_category_label, consulted_role_label, discretion_scope_label
from ethical_decisions.model import RouteTeamMember
from ethical_decisions.review import ConcernStatus, Referral, ReferralStatus, Review
from ethical_decisions.serialization import unparse

from . import _assign
from ._common import connect, read_text, referral_id, referral_on_route, staff_id
from ._table import table, words

__all__ = ["add_commands"]


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``referrals`` and its subcommands."""
    referrals = commands.add_parser(
        "referrals",
        help="work a route's referral queue",
        description="What a route's team does with the referrals made to it: list them, read one, "
        "acknowledge it, return it for more information, give advice. Advice flows back into the "
        "review: the decision-maker says what they did with it (followed, in part, or not) and whether "
        "it resolved the concern, and 'show' tells the team.",
    )
    actions = referrals.add_subparsers(title="actions", metavar="ACTION", required=True)

    listing = actions.add_parser(
        "list",
        help="list referrals awaiting advice",
        description="List referrals, oldest first: by default those awaiting advice. --unassigned lists "
        "the ones nobody on the route's team has taken yet; --mine --staff STAFF_ID those assigned to you.",
    )
    listing.add_argument("--route", metavar="ROUTE_ID", help="only this route's referrals")
    listing.add_argument("--all", action="store_true", help="include referrals advised, closed or withdrawn")
    queue = listing.add_mutually_exclusive_group()
    queue.add_argument("--unassigned", action="store_true", help="only referrals nobody is assigned")
    queue.add_argument("--mine", action="store_true", help="only referrals assigned to you (needs --staff)")
    listing.add_argument("--staff", type=staff_id, metavar="STAFF_ID", help="your staff id, for --mine")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    listing.set_defaults(run=_list, check=lambda args: _check_list(listing, args))

    def action(name: str, help: str, run: object, description: str = "") -> argparse.ArgumentParser:
        about = help[0].upper() + help[1:] + "." + (f" {description}" if description else "")
        parser = actions.add_parser(name, help=help, description=about)
        parser.add_argument("referral_id", type=referral_id, metavar="REFERRAL_ID")
        parser.add_argument("--route", required=True, metavar="ROUTE_ID", help="your route")
        parser.set_defaults(run=run)
        return parser

    action(
        "show", "show a referral with its question, concerns, history and what became of its advice", _show
    )
    for parser, text_option, help_text in (
        (action("acknowledge", "acknowledge a referral to your route", _acknowledge), None, None),
        (
            action("return", "return a referral to the decision-maker, asking for more information", _return),
            "--question",
            "what you need to know (or - to read it from standard input)",
        ),
        (
            action("advise", "give your route's advice on a referral", _advise),
            "--advice",
            "your advice (or - to read it from standard input)",
        ),
    ):
        parser.add_argument("--staff", required=True, type=staff_id, metavar="STAFF_ID", help="your staff id")
        if text_option:
            parser.add_argument(text_option, required=True, metavar="TEXT", help=help_text)
    _assign.add_actions(action)


def _date(when: dt.datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M") if when else "-"


def _check_list(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.mine and args.staff is None:
        parser.error("--mine needs --staff STAFF_ID: the staff id whose referrals to list")
    if args.staff is not None and not args.mine:
        parser.error("--staff is used only with --mine")


def _list(args: argparse.Namespace) -> int:
    statuses = None if args.all else {s for s in ReferralStatus if s.awaiting_advice}
    with connect(args) as edm:
        rows = edm.store.referrals(
            route_id=args.route,
            statuses=statuses,
            assignee_id=args.staff if args.mine else None,
            unassigned=args.unassigned,
        )
        if args.format == "json":
            print(json.dumps([unparse(r) for r in rows], indent=2))
            return 0
        now = dt.datetime.now(dt.UTC)
        print(
            table(
                (
                    "referral",
                    "route",
                    "status",
                    "submitted",
                    "due by",
                    "referred by",
                    "assigned to",
                    "concerns",
                ),
                [
                    (
                        r.referral_id,
                        r.route_id,
                        r.status.label,
                        _date(r.submitted_at),
                        _date(r.due_by) + (" OVERDUE" if r.status.awaiting_advice and r.due_by < now else ""),
                        r.referred_by_role.replace("_", " "),
                        r.assignee_id or "-",
                        ", ".join(concern_category_label(c).lower() for c in r.concern_categories),
                    )
                    for r in rows
                ],
            )
        )
        print(f"\n{len(rows)} referral(s).")
        if not rows and args.route and args.route not in {route.route_id for route in edm.routes()}:
            print(
                f"No route {args.route!r} is installed: check the id with 'ethical-decisions routes'.",
                file=sys.stderr,
            )
    return 0


def _indent(text: str, by: int = 4) -> str:
    return textwrap.indent(textwrap.fill(text, width=100 - by), " " * by)


def _show(args: argparse.Namespace) -> int:
    with connect(args) as edm:
        review, referral = referral_on_route(edm, args.referral_id, args.route)
    maker = referral.referred_by
    assignee = referral.assignee.staff_id if referral.assignee else "nobody (it is in the unassigned queue)"
    print(f"Referral {referral.referral_id} to {referral.route_id} (rules version {referral.route.version})")
    print(
        f"  status: {referral.status.label}   submitted: {_date(referral.submitted_at)}   "
        f"due by: {_date(referral.due_by)}"
    )
    print(f"  assigned to: {assignee}")
    print(f"  referred by: {maker.staff_id} ({words(maker.role)}, {maker.team}, {maker.business_area})")
    print(f"  case: {review.case.reference}")
    print(f"  proposed decision: {review.proposed.outcome}")
    print(_indent(review.proposed.summary))
    print("\nQuestion")
    print(_indent(referral.question))
    print("\nConcerns")
    for concern_id in referral.concern_ids:
        concern = review.concern(concern_id)
        assert concern is not None
        print(f"  {concern_id} ({concern_category_label(concern.category)})")
        print(_indent(concern.concern.statement, 6))
        for d in concern.discretion:
            print(f"      discretion {discretion_scope_label(d.scope).lower()}: {words(d.result)}")
            print(_indent(d.reason, 8))
        for talk in concern.discussions:
            print(
                f"      discussed with {consulted_role_label(talk.consulted_role).lower()} "
                f"{talk.consulted}: {words(talk.result)}"
            )
            print(_indent(talk.advice, 8))
    if referral.advice_at is not None:
        print("\nWhat became of the advice")
        for concern_id, outcome in _what_became(review, referral):
            print(f"  {concern_id}: {outcome}")
    if referral.history:
        print("\nHistory")
        for event in referral.history:
            by = event.actor.staff_id
            what = f"{_date(event.occurred_at)} {words(event.kind)} by {by}"
            payload = event.payload
            if isinstance(payload, ReferralAssigned):
                to = payload.assignee.staff_id
                what += " to themselves" if to == by else f" to {to}"
            if isinstance(payload, AdviceResponded):
                settled = "resolved" if payload.resolved else "not resolved"
                what += f": {payload.concern_id} {words(payload.response)}, {settled}"
                text: str | None = payload.reason
            else:
                text = (
                    getattr(payload, "question", None)
                    or getattr(payload, "response", None)
                    or getattr(payload, "advice", None)
                )
            print(f"  {what}")
            if text:
                print(_indent(text))
    return 0


def _what_became(review: Review, referral: Referral) -> list[tuple[str, str]]:
    """For each concern the referral asked about: what the decision-maker did with its advice, in words."""
    assert referral.advice_at is not None
    found = []
    for concern_id in referral.concern_ids:
        concern = review.concern(concern_id)
        assert concern is not None
        response = next((r for r in concern.responses if r.referral_id == referral.referral_id), None)
        later = [
            other
            for other in review.referrals
            if concern_id in other.concern_ids
            and other.submitted_at >= referral.advice_at
            and other is not referral
        ]
        if response is not None:
            settled = "the concern is resolved" if response.resolved else "the concern is not resolved"
            outcome = f"{words(response.response)}; {settled}"
        elif later:
            outcome = "no response recorded"
        else:
            outcome = "awaiting the decision-maker's response"
        if later:
            outcome += "; escalated again to " + ", ".join(f"{o.route_id} ({o.referral_id})" for o in later)
        if concern.status is ConcernStatus.ACKNOWLEDGED_UNRESOLVED:
            outcome += "; the decision was taken with it acknowledged as unresolved"
        found.append((concern_id, outcome))
    return found


def _act(args: argparse.Namespace, verb: str) -> int:
    member = RouteTeamMember(staff_id=args.staff, route_id=args.route)
    # Read any text first: a mistake in it is reported before the store is touched.
    question = read_text(args.question, "--question") if verb == "return" else ""
    advice = read_text(args.advice, "--advice") if verb == "advise" else ""
    with connect(args) as edm:
        referral_on_route(edm, args.referral_id, args.route)
        if verb == "acknowledge":
            review = edm.acknowledge_referral(args.referral_id, by=member)
        elif verb == "return":
            review = edm.return_referral(args.referral_id, by=member, question=question)
        else:
            review = edm.give_advice(args.referral_id, by=member, advice=advice)
    referral = review.referral(args.referral_id)
    assert referral is not None
    print(f"Referral {args.referral_id}: {referral.status.label}.")
    return 0


def _acknowledge(args: argparse.Namespace) -> int:
    return _act(args, "acknowledge")


def _return(args: argparse.Namespace) -> int:
    return _act(args, "return")


def _advise(args: argparse.Namespace) -> int:
    return _act(args, "advise")
