"""Who may read what through the web service, until the permission policy (issue 14) decides it.

Steps need no rule here: the library refuses a step its actor may not take
(:class:`~ethical_decisions.NotPermittedError`, answered with 403). Reading has
no such check in the service, so the web service applies these interim rules,
answering 404 (never confirming that a record exists) when they say no:

- a decision-maker reads the reviews of their own business area;
- a route team member reads the referrals made to their route, and the parts
  of the review those referrals concern;
- a records officer reads every review;
- a PDR report is for its decision-maker, their team leader or line manager
  (a decision-maker with that role in the same business area is trusted to
  be one), or a records officer; the department report and ``verify`` are for
  everyone signed in.
"""

from __future__ import annotations

from ethical_decisions.exceptions import NotFoundError
from ethical_decisions.model import DecisionMaker, RecordsOfficer, RouteTeamMember, StaffRole
from ethical_decisions.review import Referral, Review

from .hookspecs import WebActor

__all__ = ["check_pdr", "check_referral", "check_review"]

_MANAGERS = frozenset({StaffRole.LINE_MANAGER, StaffRole.TEAM_LEADER})


def check_review(actor: WebActor, review: Review) -> None:
    """Refuse (as not found) a review *actor* may not read."""
    if isinstance(actor, RecordsOfficer):
        return
    if isinstance(actor, DecisionMaker) and actor.business_area == review.business_area:
        return
    if isinstance(actor, RouteTeamMember) and any(r.route_id == actor.route_id for r in review.referrals):
        return
    raise NotFoundError("review", review.review_id)


def check_referral(actor: WebActor, referral: Referral, review: Review) -> None:
    """Refuse (as not found) a referral *actor* may not read."""
    if isinstance(actor, RouteTeamMember):
        if actor.route_id != referral.route_id:
            raise NotFoundError("referral", referral.referral_id)
        return
    try:
        check_review(actor, review)
    except NotFoundError:
        raise NotFoundError("referral", referral.referral_id) from None


def check_pdr(actor: WebActor, staff_id: str) -> None:
    """Refuse (as not found) a PDR report *actor* may not read."""
    if isinstance(actor, RecordsOfficer):
        return
    if isinstance(actor, DecisionMaker) and (actor.staff_id == staff_id or actor.role in _MANAGERS):
        return
    raise NotFoundError("PDR report", staff_id)
