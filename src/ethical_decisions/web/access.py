"""Who may read what through the web service: the permission policy's ideas, applied to reading.

The permission policy (:mod:`ethical_decisions.policy`) decides who takes a
step, and the library refuses the rest (:class:`~ethical_decisions.NotPermittedError`,
answered with 403). Reading has no such check in the service, so the web
service applies the same ideas here, from the same
:class:`~ethical_decisions.policy.People` the default policy is given (the
file named by ``EDM_PEOPLE_FILE``), and answers 404 when they say no (never
confirming that a record exists):

- a decision-maker reads the reviews they hold or have held
  (:attr:`Review.holders <ethical_decisions.Review.holders>`);
- a manager (a decision-maker in one of :attr:`People.handover_roles
  <ethical_decisions.policy.People.handover_roles>`, line managers and team
  leaders by default) reads the reviews of their business area held, now or
  before, by people they manage where :attr:`People.managers
  <ethical_decisions.policy.People.managers>` lists whom they manage, and
  every review of their business area where it lists nobody for anyone (as
  the default policy lets them hand any of those over);
- a route team member reads the referrals made to their route, and the parts
  of the review those referrals concern, when they are on the route's team
  (:attr:`People.route_teams <ethical_decisions.policy.People.route_teams>`,
  where it lists the route's team);
- a records officer reads every review;
- a member of a policy team reads no review (they read the register of systemic issues);
- a PDR report is for its decision-maker, a manager of theirs (as above), or a
  records officer; the department report and ``verify`` are for everyone
  signed in.
"""

from __future__ import annotations

from ethical_decisions.exceptions import NotFoundError
from ethical_decisions.model import DecisionMaker, PolicyTeamMember, RecordsOfficer, RouteTeamMember
from ethical_decisions.policy import People
from ethical_decisions.review import Referral, Review

from .hookspecs import WebActor

__all__ = [
    "check_pdr",
    "check_referral",
    "check_review",
    "is_manager",
    "managed_by",
    "may_read_review",
    "on_route_team",
]


def is_manager(actor: WebActor, people: People) -> bool:
    """Whether *actor* is a decision-maker in one of the roles that hand over others' reviews."""
    return isinstance(actor, DecisionMaker) and actor.role in people.handover_roles


def managed_by(actor: WebActor, people: People) -> frozenset[str] | None:
    """The staff ids *actor* manages, or ``None`` when the people file does not say whom managers manage.

    Empty for someone who is not a manager, or a manager the file lists nobody for.
    """
    if not is_manager(actor, people):
        return frozenset()
    if not people.managers:
        return None
    return people.managers.get(actor.staff_id, frozenset())


def on_route_team(actor: RouteTeamMember, route_id: str, people: People) -> bool:
    """Whether *actor* works *route_id*'s referrals: on that route, and on its team if the file lists it."""
    members = people.route_teams.get(route_id)
    return actor.route_id == route_id and (members is None or actor.staff_id in members)


def may_read_review(actor: WebActor, review: Review, people: People) -> bool:
    """Whether *actor* may read *review* (see the module's rules)."""
    if isinstance(actor, RecordsOfficer):
        return True
    if isinstance(actor, RouteTeamMember):
        return any(on_route_team(actor, r.route_id, people) for r in review.referrals)
    if isinstance(actor, PolicyTeamMember):
        return False  # a policy team reads the register of systemic issues, not the reviews behind it
    if actor.staff_id in review.holders:
        return True
    if actor.business_area != review.business_area:
        return False
    managed = managed_by(actor, people)
    if managed is None:
        return True  # a manager, and the file says nothing of whom managers manage
    return any(holder in managed for holder in review.holders)


def check_review(actor: WebActor, review: Review, people: People) -> None:
    """Refuse (as not found) a review *actor* may not read."""
    if not may_read_review(actor, review, people):
        raise NotFoundError("review", review.review_id)


def check_referral(actor: WebActor, referral: Referral, review: Review, people: People) -> None:
    """Refuse (as not found) a referral *actor* may not read."""
    if isinstance(actor, RouteTeamMember):
        if not on_route_team(actor, referral.route_id, people):
            raise NotFoundError("referral", referral.referral_id)
        return
    if not may_read_review(actor, review, people):
        raise NotFoundError("referral", referral.referral_id)


def check_pdr(actor: WebActor, staff_id: str, people: People) -> None:
    """Refuse (as not found) a PDR report *actor* may not read."""
    if isinstance(actor, RecordsOfficer) or actor.staff_id == staff_id:
        return
    managed = managed_by(actor, people)
    if managed is None:
        subject = people.staff.get(staff_id)
        assert isinstance(actor, DecisionMaker)  # managed_by says None only of a decision-maker
        if subject is None or subject.business_area == actor.business_area:
            return
    elif staff_id in managed:
        return
    raise NotFoundError("PDR report", staff_id)
