"""A route team's queue and its views: all open, unassigned, mine, overdue.

The queue is the store's referral rows (no free text), so it can be listed to
the whole team. Only a member of the route's team has one: someone acting for
a route whose team the people file lists, and who is not on it, is refused
like anyone who is not a route team member (403).
"""

from __future__ import annotations

import datetime as dt
import enum

from ethical_decisions.exceptions import ValidationError
from ethical_decisions.model import RouteTeamMember
from ethical_decisions.projections import ReferralRecord
from ethical_decisions.review import ReferralStatus
from ethical_decisions.service import EthicalDecisions

from .access import on_route_team
from .hookspecs import WebActor
from .problems import HttpProblem

__all__ = ["QueueView", "member", "queue", "view_from"]


class QueueView(enum.StrEnum):
    """Which of a route's referrals to list."""

    OPEN = "open"
    """Every referral awaiting advice."""
    UNASSIGNED = "unassigned"
    """Awaiting advice, and nobody on the team has taken it."""
    MINE = "mine"
    """Assigned to the signed-in member (awaiting advice, unless closed ones are asked for too)."""
    OVERDUE = "overdue"
    """Awaiting advice past the route's response target."""

    @property
    def label(self) -> str:
        """The view's name on the queue page."""
        return _LABELS[self]


_LABELS = {
    QueueView.OPEN: "All open",
    QueueView.UNASSIGNED: "Unassigned",
    QueueView.MINE: "Assigned to you",
    QueueView.OVERDUE: "Overdue",
}


def view_from(raw: str | None) -> QueueView:
    """The view a query parameter names (``open`` when absent).

    :raises ValidationError: for any other value, listing the views (never the value sent).
    """
    if raw is None or raw == "":
        return QueueView.OPEN
    try:
        return QueueView(raw)
    except ValueError:
        views = ", ".join(v.value for v in QueueView)
        raise ValidationError("The queue's view", [f"view: must be one of {views}"]) from None


def member(by: WebActor, edm: EthicalDecisions) -> RouteTeamMember:
    """*by*, if they work their route's queue.

    :raises HttpProblem: 403 for anyone else.
    """
    if isinstance(by, RouteTeamMember) and on_route_team(by, by.route_id, edm.plugins.people):
        return by
    detail = (
        f"You are not on route {by.route_id}'s team in the people file; ask its team leader to add you."
        if isinstance(by, RouteTeamMember)
        else "Sign in as a route team member."
    )
    raise HttpProblem(403, "not-route-team", "Only a route's team has a queue", detail)


def queue(
    edm: EthicalDecisions, by: RouteTeamMember, view: QueueView, now: dt.datetime, *, closed: bool = False
) -> list[ReferralRecord]:
    """*by*'s route's referrals in *view*, oldest first.

    :param closed: the ``open`` and ``mine`` views include referrals no longer awaiting advice.
    """
    awaiting = {s for s in ReferralStatus if s.awaiting_advice}
    statuses = None if closed and view in (QueueView.OPEN, QueueView.MINE) else awaiting
    rows = edm.store.referrals(
        route_id=by.route_id,
        statuses=statuses,
        assignee_id=by.staff_id if view is QueueView.MINE else None,
        unassigned=view is QueueView.UNASSIGNED,
    )
    if view is QueueView.OVERDUE:
        rows = [r for r in rows if r.due_by < now]
    return rows
