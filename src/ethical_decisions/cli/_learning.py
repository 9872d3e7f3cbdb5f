"""``systemic`` and ``feedback``: the register of systemic issues, and what came of a concern.

``systemic list|show|open|link|update`` works the register: a member of a
route's team opens an issue from one of the route's referrals (or links a
referral to an issue already open); the policy team that owns it moves it on.
``feedback --staff ID`` shows a decision-maker what came of the referrals they
made. The command line trusts the ``--staff`` given; who is on which team is
the permission policy's to know (see ``docs/people.md``).
"""

from __future__ import annotations

import argparse
import datetime as dt

from ethical_decisions.learning import SystemicIssue
from ethical_decisions.model import PolicyTeamMember, RouteTeamMember, SystemicIssueStatus

from ._common import connect, parse_date, read_text, staff_id
from ._table import table, words

__all__ = ["add_commands"]

_STATUSES = [s.value for s in SystemicIssueStatus]


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``systemic`` and ``feedback``."""
    systemic = commands.add_parser(
        "systemic",
        help="the register of systemic issues: list, show, open, link, update",
        description="The register of systemic issues: rules or guidance that keep causing concern, raised "
        "by route teams from referrals and owned by policy teams. Every change is an event in the audit "
        "chain; titles, descriptions and reasons are free text, kept in the trail and erasable.",
    )
    actions = systemic.add_subparsers(title="actions", metavar="ACTION")

    listing = actions.add_parser(
        "list", help="every issue, with its status and due date; overdue ones flagged"
    )
    listing.add_argument(
        "--status", choices=_STATUSES, metavar="STATUS", help=f"only one: {', '.join(_STATUSES)}"
    )
    listing.add_argument("--overdue", action="store_true", help="only those past their due date")
    listing.set_defaults(run=_list)

    show = actions.add_parser("show", help="one issue: its title, description, links and history")
    show.add_argument("issue_id", metavar="ISSUE_ID")
    show.set_defaults(run=_show)

    opening = actions.add_parser(
        "open",
        help="open an issue from a referral to your route",
        description="Open a systemic issue from a referral to your route, which is linked to it. The title "
        "and description are free text: say what keeps happening, without applicant details.",
    )
    opening.add_argument("referral_id", metavar="REFERRAL_ID")
    opening.add_argument("--staff", required=True, type=staff_id, metavar="STAFF_ID", help="your staff id")
    opening.add_argument("--route", required=True, metavar="ROUTE_ID", help="your route")
    opening.add_argument(
        "--title", required=True, metavar="TEXT", help="a short title (or - for standard input)"
    )
    opening.add_argument("--description", required=True, metavar="TEXT", help="what keeps happening (or -)")
    opening.add_argument(
        "--rule", required=True, metavar="REFERENCE", help="the rule or guidance, as a reference"
    )
    opening.add_argument(
        "--owner", required=True, type=staff_id, metavar="TEAM", help="the owning policy team"
    )
    opening.add_argument("--due", required=True, type=parse_date, metavar="YYYY-MM-DD", help="when it is due")
    opening.set_defaults(run=_open)

    link = actions.add_parser("link", help="link a further referral to your route to an issue")
    link.add_argument("issue_id", metavar="ISSUE_ID")
    link.add_argument("referral_id", metavar="REFERRAL_ID")
    link.add_argument("--staff", required=True, type=staff_id, metavar="STAFF_ID", help="your staff id")
    link.add_argument("--route", required=True, metavar="ROUTE_ID", help="your route")
    link.set_defaults(run=_link)

    update = actions.add_parser(
        "update",
        help="move an issue on (its owning policy team)",
        description="Move an issue on: open -> accepted, declined or closed; accepted -> change_made, "
        "declined or closed; change_made or declined -> closed. Declining needs --reason. Each "
        "decision-maker whose referral is linked is told (the ethical_decisions_feedback hook).",
    )
    update.add_argument("issue_id", metavar="ISSUE_ID")
    update.add_argument("--staff", required=True, type=staff_id, metavar="STAFF_ID", help="your staff id")
    update.add_argument("--team", required=True, type=staff_id, metavar="TEAM", help="your policy team")
    update.add_argument(
        "--status", choices=_STATUSES, metavar="STATUS", help=f"one of {', '.join(_STATUSES)}"
    )
    update.add_argument("--reason", metavar="TEXT", help="why (required to decline; or - for standard input)")
    update.add_argument("--due", type=parse_date, metavar="YYYY-MM-DD", help="a new due date")
    update.set_defaults(run=_update)

    feedback = commands.add_parser(
        "feedback",
        help="what came of the referrals a decision-maker made",
        description="What came of the referrals you made: when advice was given, and the systemic issues "
        "they are linked to, with each issue's status now.",
    )
    feedback.add_argument("--staff", required=True, type=staff_id, metavar="STAFF_ID", help="your staff id")
    feedback.set_defaults(run=_feedback)


def _list(args: argparse.Namespace) -> int:
    today = dt.datetime.now(dt.UTC).date()
    with connect(args, create=False) as edm:
        issues = edm.systemic_issues()
    shown = [
        i
        for i in issues
        if (args.status is None or i.status.value == args.status) and (not args.overdue or i.overdue(today))
    ]
    if not shown:
        print("No systemic issues.")
        return 0
    rows = [
        (
            i.issue_id,
            words(i.status.value),
            i.route_id,
            i.owner,
            i.due_on.isoformat() + (" OVERDUE" if i.overdue(today) else ""),
            len(i.referral_ids),
        )
        for i in shown
    ]
    print(table(("issue", "status", "raised by route", "owner", "due", "referrals"), rows))
    overdue = sum(1 for i in shown if i.overdue(today))
    if overdue:
        print(f"{overdue} overdue.")
    return 0


def _describe(issue: SystemicIssue) -> str:
    overdue = " (OVERDUE)" if issue.overdue(dt.datetime.now(dt.UTC).date()) else ""
    lines = [
        f"Systemic issue {issue.issue_id}: {words(issue.status.value)}{overdue}",
        f"  title:       {issue.title}",
        f"  description: {issue.description}",
        f"  rule:        {issue.rule}",
        f"  owner:       {issue.owner}; due {issue.due_on.isoformat()}",
        f"  raised by:   {issue.opened_by} (route {issue.route_id}) at {issue.opened_at:%Y-%m-%d %H:%M} UTC",
        f"  referrals:   {', '.join(issue.referral_ids)}",
    ]
    if issue.concern_categories:
        lines.append(f"  concerns:    {', '.join(words(c.value) for c in issue.concern_categories)}")
    for change in issue.history:
        reason = f": {change.reason}" if change.reason else ""
        lines.append(f"  {change.at:%Y-%m-%d} {words(change.status.value)} by {change.by}{reason}")
    return "\n".join(lines)


def _show(args: argparse.Namespace) -> int:
    with connect(args, create=False) as edm:
        issue = edm.systemic_issue(args.issue_id)
    print(_describe(issue))
    return 0


def _open(args: argparse.Namespace) -> int:
    member = RouteTeamMember(staff_id=args.staff, route_id=args.route)
    with connect(args) as edm:
        issue = edm.open_systemic_issue(
            args.referral_id,
            by=member,
            title=read_text(args.title, "--title"),
            description=read_text(args.description, "--description"),
            rule=args.rule,
            owner=args.owner,
            due_on=args.due,
        )
    print(f"Systemic issue {issue.issue_id}: opened, owned by {issue.owner}, due {issue.due_on.isoformat()}.")
    return 0


def _link(args: argparse.Namespace) -> int:
    member = RouteTeamMember(staff_id=args.staff, route_id=args.route)
    with connect(args) as edm:
        issue = edm.link_systemic_issue(args.issue_id, args.referral_id, by=member)
    print(f"Systemic issue {issue.issue_id}: {len(issue.referral_ids)} referrals linked.")
    return 0


def _update(args: argparse.Namespace) -> int:
    member = PolicyTeamMember(staff_id=args.staff, team=args.team)
    reason = read_text(args.reason, "--reason") if args.reason is not None else None
    with connect(args) as edm:
        issue = edm.update_systemic_issue(
            args.issue_id, by=member, status=args.status, reason=reason, due_on=args.due
        )
    print(f"Systemic issue {issue.issue_id}: {words(issue.status.value)}, due {issue.due_on.isoformat()}.")
    return 0


def _feedback(args: argparse.Namespace) -> int:
    with connect(args, create=False) as edm:
        items = edm.feedback(args.staff)
    if not items:
        print(f"No referrals made by {args.staff}.")
        return 0
    rows = [
        (
            item.referral_id,
            item.route_id,
            f"{item.submitted_at:%Y-%m-%d}",
            f"{item.advice_at:%Y-%m-%d}" if item.advice_at else "awaiting",
            ", ".join(f"{issue} ({words(status.value)})" for issue, status in item.issues) or "-",
        )
        for item in items
    ]
    print(table(("referral", "route", "made", "advice", "systemic issues"), rows))
    return 0
