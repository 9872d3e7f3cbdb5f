"""``referrals``: a route team's queue: list, show, acknowledge, return for information, advise."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import textwrap

from ethical_decisions.exceptions import NotFoundError
from ethical_decisions.guidance import concern_category_label, consulted_role_label, discretion_scope_label
from ethical_decisions.model import RouteTeamMember
from ethical_decisions.review import Referral, Review
from ethical_decisions.serialization import unparse
from ethical_decisions.service import EthicalDecisions

from ._common import connect, read_text
from ._table import table

__all__ = ["add_commands"]


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``referrals`` and its subcommands."""
    referrals = commands.add_parser(
        "referrals",
        help="work a route's referral queue",
        description="What a route's team does with the referrals made to it: list them, read one, "
        "acknowledge it, return it for more information, give advice. Advice flows back into the "
        "review, and the decision-maker then finalises.",
    )
    actions = referrals.add_subparsers(title="actions", metavar="ACTION", required=True)

    listing = actions.add_parser(
        "list",
        help="list referrals awaiting advice",
        description="List referrals, oldest first: by default those awaiting advice.",
    )
    listing.add_argument("--route", metavar="ROUTE_ID", help="only this route's referrals")
    listing.add_argument("--all", action="store_true", help="include referrals advised, closed or withdrawn")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    listing.set_defaults(run=_list)

    def action(name: str, help: str, run: object) -> argparse.ArgumentParser:
        parser = actions.add_parser(name, help=help, description=help[0].upper() + help[1:] + ".")
        parser.add_argument("referral_id", metavar="REFERRAL_ID")
        parser.add_argument("--route", required=True, metavar="ROUTE_ID", help="your route")
        parser.set_defaults(run=run)
        return parser

    action("show", "show a referral with its question, concerns and history", _show)
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
        parser.add_argument("--staff", required=True, metavar="STAFF_ID", help="your staff id")
        if text_option:
            parser.add_argument(text_option, required=True, metavar="TEXT", help=help_text)


def _date(when: dt.datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M") if when else "-"


def _list(args: argparse.Namespace) -> int:
    with connect(args) as edm:
        rows = edm.referrals(args.route, open_only=not args.all)
        if args.format == "json":
            print(json.dumps([unparse(r) for r in rows], indent=2))
            return 0
        now = dt.datetime.now(dt.UTC)
        print(
            table(
                ("referral", "route", "status", "submitted", "due by", "referred by", "concerns"),
                [
                    (
                        r.referral_id,
                        r.route_id,
                        r.status,
                        _date(r.submitted_at),
                        _date(r.due_by) + (" OVERDUE" if r.status.awaiting_advice and r.due_by < now else ""),
                        r.referred_by_role,
                        ", ".join(r.concern_categories),
                    )
                    for r in rows
                ],
            )
        )
        print(f"\n{len(rows)} referral(s).")
        if not rows and args.route not in {route.route_id for route in edm.routes()}:
            print(
                f"No route {args.route!r} is installed: check the id with 'ethical-decisions routes'.",
                file=sys.stderr,
            )
    return 0


def _referral(edm: EthicalDecisions, args: argparse.Namespace) -> tuple[Review, Referral]:
    referral = edm.referral(args.referral_id)
    if referral.route_id != args.route:
        # Another route's referral is not shown, nor its existence confirmed.
        raise NotFoundError(f"referral to route {args.route!r}", args.referral_id)
    return edm.review(referral.review_id), referral


def _indent(text: str, by: int = 4) -> str:
    return textwrap.indent(textwrap.fill(text, width=100 - by), " " * by)


def _show(args: argparse.Namespace) -> int:
    with connect(args) as edm:
        review, referral = _referral(edm, args)
    maker = referral.referred_by
    print(f"Referral {referral.referral_id} to {referral.route_id} (rules version {referral.route.version})")
    print(
        f"  status: {referral.status}   submitted: {_date(referral.submitted_at)}   "
        f"due by: {_date(referral.due_by)}"
    )
    print(f"  referred by: {maker.staff_id} ({maker.role}, {maker.team}, {maker.business_area})")
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
            print(f"      discretion {discretion_scope_label(d.scope).lower()}: {d.result}")
            print(_indent(d.reason, 8))
        for talk in concern.discussions:
            print(
                f"      discussed with {consulted_role_label(talk.consulted_role).lower()} "
                f"{talk.consulted}: {talk.result}"
            )
            print(_indent(talk.advice, 8))
    if referral.history:
        print("\nHistory")
        for event in referral.history:
            print(f"  {_date(event.occurred_at)} {event.kind.replace('_', ' ')} by {event.actor.staff_id}")
            text = (
                getattr(event.payload, "question", None)
                or getattr(event.payload, "response", None)
                or getattr(event.payload, "advice", None)
            )
            if text:
                print(_indent(text))
    return 0


def _act(args: argparse.Namespace, verb: str) -> int:
    member = RouteTeamMember(staff_id=args.staff, route_id=args.route)
    # Read any text first: a mistake in it is reported before the store is touched.
    question = read_text(args.question, "--question") if verb == "return" else ""
    advice = read_text(args.advice, "--advice") if verb == "advise" else ""
    with connect(args) as edm:
        _referral(edm, args)
        if verb == "acknowledge":
            review = edm.acknowledge_referral(args.referral_id, by=member)
        elif verb == "return":
            review = edm.return_referral(args.referral_id, by=member, question=question)
        else:
            review = edm.give_advice(args.referral_id, by=member, advice=advice)
    referral = review.referral(args.referral_id)
    assert referral is not None
    print(f"Referral {args.referral_id} is now {referral.status}.")
    return 0


def _acknowledge(args: argparse.Namespace) -> int:
    return _act(args, "acknowledge")


def _return(args: argparse.Namespace) -> int:
    return _act(args, "return")


def _advise(args: argparse.Namespace) -> int:
    return _act(args, "advise")
