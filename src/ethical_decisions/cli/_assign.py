"""``referrals assign`` and ``referrals release``: who on a route's team works a referral.

A referral waits in its route's unassigned queue until a member of the team
takes it (assigns it to themselves) or is given it by a colleague. Once it is
assigned, only its assignee acknowledges, returns or advises on it; anyone on
the team may reassign it, or release it back to the unassigned queue. Who is on
which team is the permission policy's to know (the people file, see
``docs/people.md``); the command line trusts the ``--staff`` given.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ethical_decisions.model import RouteTeamMember

from ._common import connect, referral_on_route, staff_id

__all__ = ["add_actions"]

_ASSIGN = (
    "By default you take it yourself; --to gives it to a colleague on the route's team, or takes it from "
    "whoever holds it. Only a referral still awaiting advice is assigned. The permission policy refuses "
    "someone not on the team (where the people file lists the team), whoever made the referral, and "
    "whoever holds the review it belongs to."
)
_RELEASE = (
    "It goes back to the route's unassigned queue ('referrals list --unassigned'), for anyone on the team "
    "to take."
)


def add_actions(action: Callable[..., argparse.ArgumentParser]) -> None:
    """Add ``assign`` and ``release`` with *action*, the ``referrals`` command's maker of actions."""
    assign = action(
        "assign", "assign a referral to yourself or to a colleague on your route's team", _assign, _ASSIGN
    )
    assign.add_argument("--staff", required=True, type=staff_id, metavar="STAFF_ID", help="your staff id")
    assign.add_argument(
        "--to",
        type=staff_id,
        metavar="STAFF_ID",
        help="the team member to assign it to (default: yourself)",
    )
    release = action(
        "release", "put an assigned referral back in your route's unassigned queue", _release, _RELEASE
    )
    release.add_argument("--staff", required=True, type=staff_id, metavar="STAFF_ID", help="your staff id")


def _assign(args: argparse.Namespace) -> int:
    member = RouteTeamMember(staff_id=args.staff, route_id=args.route)
    to = RouteTeamMember(staff_id=args.to or args.staff, route_id=args.route)
    with connect(args) as edm:
        _, referral = referral_on_route(edm, args.referral_id, args.route)
        before = referral.assignee
        edm.assign_referral(args.referral_id, by=member, to=to)
    taken_from = f" (it was assigned to {before.staff_id})" if before is not None else ""
    print(f"Referral {args.referral_id}: assigned to {to.staff_id}{taken_from}.")
    return 0


def _release(args: argparse.Namespace) -> int:
    member = RouteTeamMember(staff_id=args.staff, route_id=args.route)
    with connect(args) as edm:
        _, referral = referral_on_route(edm, args.referral_id, args.route)
        before = referral.assignee
        edm.release_referral(args.referral_id, by=member)
    assert before is not None  # the model releases only an assigned referral
    print(
        f"Referral {args.referral_id}: released from {before.staff_id}; it is back in route {args.route}'s "
        "unassigned queue."
    )
    return 0
