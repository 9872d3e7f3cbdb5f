"""Who may take which step: the permission policy, and the library's default one.

The model's rules (:mod:`ethical_decisions.steps`) say which steps a review
allows now. The permission policy says who may take them. Plugins answer
through the ``ethical_decisions_permission`` hook, first answer wins; the
library's own answer, :func:`default_policy`, comes last, so any deployment
can override it. The default:

- anyone who is a decision-maker may open a review; only the review's current
  owner takes its decision-maker's steps (reflect, discretion, discussion,
  escalation, answering the route, withdrawing, the final decision);
- the owner may hand the review over, and so may someone in one of the
  :attr:`People.handover_roles` (line managers and team leaders by default)
  in the review's business area, who manages the owner where
  :attr:`People.managers` says whom people manage;
- a member of a route's team acts only on their route's referrals, never on a
  referral they made nor on a review they own; once a referral is assigned,
  only its assignee acknowledges, returns or advises on it (a colleague may
  reassign it to themselves or release it);
- only a records officer erases free text; a records officer or the review's
  owner records a later outcome;
- on the register of systemic issues, a member of a route's team opens an issue
  from one of their route's referrals, or links one to an issue (never a
  referral they made); only a member of the policy team that owns an issue
  updates it; only a records officer erases an issue's free text.

Who people are is the casework system's to establish (it authenticates them);
:class:`People` describes only what the policy needs to know about them, and
with none of it configured the default works for a single team. A deployment
describes more in a small TOML file named by the ``EDM_PEOPLE_FILE``
environment variable (see :func:`load_people`).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from ._fields import FrozenDict, is_identifier
from .events import Actor, Payload, ReferralAssigned, ReviewHandedOver
from .exceptions import ValidationError
from .model import DecisionMaker, PolicyTeamMember, RecordsOfficer, RouteTeamMember, StaffRole, Step
from .review import Referral, Review

__all__ = [
    "DEFAULT_HANDOVER_ROLES",
    "PEOPLE_FILE_VARIABLE",
    "People",
    "Permission",
    "PermissionRequest",
    "default_policy",
    "describe_actor",
    "load_people",
    "people_from_environment",
    "request_for",
]

PEOPLE_FILE_VARIABLE = "EDM_PEOPLE_FILE"
"""The environment variable naming the deployment's TOML file about people (see :func:`load_people`)."""

DEFAULT_HANDOVER_ROLES = frozenset({StaffRole.LINE_MANAGER, StaffRole.TEAM_LEADER})
"""The roles that may hand over someone else's review when the deployment names none."""


@attrs.frozen
class PermissionRequest:
    """Someone wants to take a step: what the policy is asked.

    :param actor: who wants to take it.
    :param step: the step.
    :param review: the review as it stands, or ``None`` when opening one.
    :param referral: the referral the step acts on, for a route team's steps
        and for answering or withdrawing a referral.
    :param target: the decision-maker a review is handed over to, or the
        route team member a referral is assigned to.
    :param issue_owner: on the register of systemic issues, the policy team that
        owns the issue acted on (``None`` when opening one).
    """

    actor: Actor
    step: Step
    review: Review | None = None
    referral: Referral | None = None
    target: Actor | None = None
    issue_owner: str | None = None


@attrs.frozen
class Permission:
    """The policy's answer. Build one with :meth:`allow` or :meth:`refuse`.

    :param reason: why the step is refused, in words for the person refused;
        ids and roles only, never free text.
    :param would_allow: what would let the step be taken.
    """

    allowed: bool
    reason: str = ""
    would_allow: str = ""

    @classmethod
    def allow(cls) -> Permission:
        """The step may be taken."""
        return _ALLOWED

    @classmethod
    def refuse(cls, reason: str, would_allow: str) -> Permission:
        """The step may not be taken, because of *reason*; *would_allow* says what would allow it."""
        return cls(False, reason, would_allow)


_ALLOWED = Permission(True)


def request_for(review: Review, payload: Payload, actor: Actor) -> PermissionRequest | None:
    """What the policy is asked when *actor* records *payload* on *review*.

    ``None`` when the payload names a referral the review does not have: there is
    nobody to ask about, and the rules refuse the step for what it is.
    """
    referral_id = getattr(payload, "referral_id", None)
    referral = review.referral(referral_id) if isinstance(referral_id, str) else None
    if isinstance(referral_id, str) and referral is None:
        return None
    target: Actor | None = None
    if isinstance(payload, ReviewHandedOver):
        target = payload.to
    elif isinstance(payload, ReferralAssigned):
        target = payload.assignee
    return PermissionRequest(actor=actor, step=payload.step, review=review, referral=referral, target=target)


def _staff_ids(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


def _teams(value: Mapping[str, Iterable[str]]) -> FrozenDict[str, frozenset[str]]:
    return FrozenDict({route: frozenset(members) for route, members in value.items()})


def _register(value: Mapping[str, DecisionMaker]) -> FrozenDict[str, DecisionMaker]:
    return FrozenDict(value)


def _handover_roles(value: Iterable[StaffRole]) -> frozenset[StaffRole]:
    return frozenset(StaffRole(role) for role in value)


@attrs.frozen
class People:
    """What the default policy knows of people beyond what each actor says of themselves.

    Everything is optional: with nothing given, a route team is whoever acts
    as a member of it, anyone in a handover role may hand over reviews in their
    business area, and any records officer may erase.

    :param route_teams: the staff ids on each route's team, by route id. A
        route listed here takes steps only from its members.
    :param managers: the staff ids each line manager or team leader manages,
        by the manager's staff id. When given, a manager hands over only the
        reviews of people they manage.
    :param handover_roles: the roles that may hand over a review they do not own.
    :param records_officers: the staff ids of the records officers, or
        ``None`` to trust anyone acting as one.
    :param staff: the deployment's register of decision-makers, by staff id,
        or empty. When given, a decision-maker not in it is unknown: they
        cannot open a review or be handed one.
    """

    route_teams: Mapping[str, frozenset[str]] = attrs.field(factory=FrozenDict, converter=_teams)
    managers: Mapping[str, frozenset[str]] = attrs.field(factory=FrozenDict, converter=_teams)
    handover_roles: frozenset[StaffRole] = attrs.field(
        default=DEFAULT_HANDOVER_ROLES, converter=_handover_roles
    )
    records_officers: frozenset[str] | None = None
    staff: Mapping[str, DecisionMaker] = attrs.field(factory=FrozenDict, converter=_register)

    def known(self, staff_id: str) -> bool:
        """Whether *staff_id* is a decision-maker the deployment knows (always, with no register)."""
        return not self.staff or staff_id in self.staff


def describe_actor(actor: Actor) -> str:
    """The actor's role in words, with their staff id, e.g. ``"caseworker cw-0042"``."""
    if isinstance(actor, DecisionMaker):
        return f"{actor.role.value.replace('_', ' ')} {actor.staff_id}"
    if isinstance(actor, RouteTeamMember):
        return f"member of route {actor.route_id}'s team {actor.staff_id}"
    if isinstance(actor, PolicyTeamMember):
        return f"member of policy team {actor.team} {actor.staff_id}"
    return f"records officer {actor.staff_id}"


def default_policy(request: PermissionRequest, people: People | None = None) -> Permission:
    """The library's own answer to *request*: see the module's description of the default policy."""
    people = people if people is not None else _NOBODY
    step, actor, review = request.step, request.actor, request.review
    if step.on_register or request.issue_owner is not None:
        return _on_register(request, people)
    if step is Step.OPEN_REVIEW or review is None:
        return _may_open(actor, people)
    if step.by_decision_maker:
        return _owner_only(actor, review)
    if step is Step.HAND_OVER:
        return _may_hand_over(actor, review, request.target, people)
    if step.by_route_team:
        return _route_team(request, review, people)
    if step is Step.RECORD_LATER_OUTCOME:
        return _records(actor, people, review.owner.staff_id)
    if step is Step.ERASE_FREE_TEXT:
        return _records(actor, people, None)
    return _ALLOWED


_NOBODY = People()


def _is_records_officer(actor: Actor, people: People) -> bool:
    return isinstance(actor, RecordsOfficer) and (
        people.records_officers is None or actor.staff_id in people.records_officers
    )


def _records(actor: Actor, people: People, owner: str | None) -> Permission:
    """Records officers' steps: a later outcome (also by the review's *owner*, if given), or erasure."""
    if _is_records_officer(actor, people) or (owner is not None and actor.staff_id == owner):
        return _ALLOWED
    if owner is None:
        return Permission.refuse("only a records officer erases free text", "ask a records officer")
    return Permission.refuse(
        "a later outcome is recorded by a records officer or the review's owner",
        f"ask a records officer, or {owner}, who holds the review",
    )


def _on_register(request: PermissionRequest, people: People) -> Permission:
    """Steps on the register of systemic issues (see the module's description)."""
    actor, step, referral = request.actor, request.step, request.referral
    if step is Step.ERASE_FREE_TEXT:
        return _records(actor, people, None)
    if step is Step.UPDATE_SYSTEMIC_ISSUE:
        owner = request.issue_owner
        if isinstance(actor, PolicyTeamMember) and actor.team == owner:
            return _ALLOWED
        return Permission.refuse(
            f"the issue is owned by policy team {owner}, and only a member of it updates it",
            f"ask a member of policy team {owner}",
        )
    if not isinstance(actor, RouteTeamMember) or referral is None:
        return Permission.refuse(
            "a systemic issue is raised from a referral by a member of the route's team",
            "ask a member of the team of the route the referral went to",
        )
    route = referral.route_id
    members = people.route_teams.get(route)
    if actor.route_id != route or (members is not None and actor.staff_id not in members):
        return Permission.refuse(
            f"the referral went to route {route}, and only its team raises issues from it",
            f"ask a member of route {route}'s team",
        )
    if actor.staff_id == referral.referred_by.staff_id:
        return Permission.refuse(
            "a route team member does not raise an issue from a referral they made",
            f"ask another member of route {route}'s team",
        )
    return _ALLOWED


def _may_open(actor: Actor, people: People) -> Permission:
    if isinstance(actor, DecisionMaker) and not people.known(actor.staff_id):
        return _unknown(actor.staff_id)
    return _ALLOWED


def _unknown(staff_id: str) -> Permission:
    return Permission.refuse(
        f"staff id {staff_id} is not in the deployment's register of staff",
        f"check the staff id, or add them to the file named by {PEOPLE_FILE_VARIABLE}",
    )


def _owner_only(actor: Actor, review: Review) -> Permission:
    owner = review.owner.staff_id
    if actor.staff_id == owner and isinstance(actor, DecisionMaker):
        return _ALLOWED
    return Permission.refuse(
        f"the review is held by {owner}, and only a decision-maker who holds it takes this step",
        f"ask {owner}, or have the review handed over to you",
    )


def _may_hand_over(actor: Actor, review: Review, target: Actor | None, people: People) -> Permission:
    owner = review.owner.staff_id
    names = sorted(role.value.replace("_", " ") for role in people.handover_roles)
    roles = " or ".join(filter(None, [", ".join(names[:-1]), names[-1]])) if names else "nobody"
    if target is not None and not people.known(target.staff_id):
        return _unknown(target.staff_id)
    if actor.staff_id == owner:
        return _ALLOWED
    if not isinstance(actor, DecisionMaker) or actor.role not in people.handover_roles:
        return Permission.refuse(
            f"the review is held by {owner}; someone else's review is handed over only by a {roles}",
            f"ask {owner}, or their line manager, to hand it over",
        )
    if actor.business_area != review.business_area:
        return Permission.refuse(
            f"the review belongs to business area {review.business_area}, and "
            f"{describe_actor(actor)} is in {actor.business_area}",
            f"ask {owner}, or a manager in {review.business_area}, to hand it over",
        )
    managed = people.managers.get(actor.staff_id)
    if people.managers and (managed is None or owner not in managed):
        return Permission.refuse(
            f"the review is held by {owner}, whom {actor.staff_id} does not manage",
            f"ask {owner}'s own manager to hand it over",
        )
    return _ALLOWED


def _route_team(request: PermissionRequest, review: Review, people: People) -> Permission:
    actor, referral = request.actor, request.referral
    if referral is None:
        return Permission.refuse("this step is taken on a referral", "name the referral")
    if not isinstance(actor, RouteTeamMember):
        return Permission.refuse(
            f"only route {referral.route_id}'s team takes this step on referral {referral.referral_id}",
            f"ask a member of route {referral.route_id}'s team",
        )
    route = referral.route_id
    if actor.route_id != route:
        return Permission.refuse(
            f"referral {referral.referral_id} was made to route {route}, and {actor.staff_id} is on "
            f"route {actor.route_id}'s team",
            f"ask a member of route {route}'s team",
        )
    problem = _team_member_problem(actor.staff_id, route, review, referral, people)
    if problem is not None:
        return problem
    target = request.target
    if request.step is Step.ASSIGN_REFERRAL and target is not None:
        problem = _team_member_problem(target.staff_id, route, review, referral, people)
        if problem is not None:
            return problem
    assignee = referral.assignee
    if (
        request.step in (Step.ACKNOWLEDGE_REFERRAL, Step.RETURN_REFERRAL, Step.GIVE_ADVICE)
        and assignee is not None
        and assignee.staff_id != actor.staff_id
    ):
        return Permission.refuse(
            f"referral {referral.referral_id} is assigned to {assignee.staff_id}",
            f"ask {assignee.staff_id}, or assign the referral to yourself first",
        )
    return _ALLOWED


def _team_member_problem(
    staff_id: str, route: str, review: Review, referral: Referral, people: People
) -> Permission | None:
    """Why *staff_id* may not work *referral* for *route*'s team, or ``None`` if they may."""
    members = people.route_teams.get(route)
    if members is not None and staff_id not in members:
        return Permission.refuse(
            f"{staff_id} is not on route {route}'s team",
            f"ask a member of route {route}'s team, or add {staff_id} to it in the file named by "
            f"{PEOPLE_FILE_VARIABLE}",
        )
    if staff_id == referral.referred_by.staff_id:
        return Permission.refuse(
            f"{staff_id} made referral {referral.referral_id}, and nobody answers their own referral",
            f"ask a colleague on route {route}'s team",
        )
    if staff_id == review.owner.staff_id:
        return Permission.refuse(
            f"{staff_id} holds the review the referral belongs to, and nobody answers a referral on "
            "their own review",
            f"ask a colleague on route {route}'s team",
        )
    return None


# -- the deployment's file ---------------------------------------------------------------


def people_from_environment(environ: Mapping[str, str] | None = None) -> People:
    """The :class:`People` of the file named by ``EDM_PEOPLE_FILE``, or nobody in particular if unset.

    :raises ValidationError: if the file cannot be read or says something the policy cannot use.
    """
    path = (os.environ if environ is None else environ).get(PEOPLE_FILE_VARIABLE, "").strip()
    return load_people(Path(path)) if path else _NOBODY


def load_people(path: Path) -> People:
    """The :class:`People` a deployment describes in the TOML file at *path*.

    Every part is optional::

        # Roles that may hand over a review they do not hold (default: line_manager, team_leader).
        handover_roles = ["line_manager", "team_leader"]
        # The records officers (default: anyone acting as one).
        records_officers = ["ro-0001"]

        [route_teams]                      # who is on each route's team
        chief_caseworker_unit = ["ccu-0001", "ccu-0002"]

        [managers]                         # whom each manager manages
        lm-0007 = ["cw-0042", "cw-0043"]

        [staff.cw-0042]                    # the register of decision-makers
        role = "caseworker"
        business_area = "customer_services_group"
        team = "Settlement Casework"

    :raises ValidationError: naming the file's key that is wrong (never its value),
        if the file cannot be read or is not such a description.
    """
    what = f"The people file {path}"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValidationError(what, [f"$: cannot be read ({exc.strerror or type(exc).__name__})"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        raise ValidationError(what, ["$: is not valid TOML"]) from None
    return _people(data, what)


_KEYS = frozenset({"handover_roles", "records_officers", "route_teams", "managers", "staff"})


def _people(data: Mapping[str, Any], what: str) -> People:
    problems = [
        f"{key}: unknown key; expected one of {', '.join(sorted(_KEYS))}" for key in data if key not in _KEYS
    ]
    handover = _list_of(data, "handover_roles", problems, _role_code)
    officers = _list_of(data, "records_officers", problems, _staff_id)
    teams = _table_of_lists(data, "route_teams", problems)
    managers = _table_of_lists(data, "managers", problems)
    staff = _register_of(data.get("staff", {}), problems)
    if problems:
        raise ValidationError(what, problems)
    return People(
        route_teams=teams,
        managers=managers,
        handover_roles=DEFAULT_HANDOVER_ROLES if handover is None else [StaffRole(r) for r in handover],
        records_officers=None if officers is None else frozenset(officers),
        staff=staff,
    )


def _staff_id(value: object) -> bool:
    return is_identifier(value)


def _role_code(value: object) -> bool:
    return isinstance(value, str) and value in StaffRole._value2member_map_


def _list_of(data: Mapping[str, Any], key: str, problems: list[str], ok: Any) -> list[str] | None:
    if key not in data:
        return None
    value = data[key]
    if not isinstance(value, list) or not all(ok(v) for v in value):
        expected = "role codes such as 'line_manager'" if key == "handover_roles" else "staff ids"
        problems.append(f"{key}: must be a list of {expected}")
        return None
    return value


def _table_of_lists(data: Mapping[str, Any], key: str, problems: list[str]) -> dict[str, list[str]]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        problems.append(f"{key}: must be a table of lists of staff ids")
        return {}
    found = {}
    for name, members in value.items():
        if not _staff_id(name) or not isinstance(members, list) or not all(_staff_id(m) for m in members):
            problems.append(f"{key}.[…]: each entry must name an id and list staff ids")
            continue
        found[name] = members
    return found


def _register_of(value: object, problems: list[str]) -> dict[str, DecisionMaker]:
    if not isinstance(value, dict):
        problems.append("staff: must be a table of staff, by staff id")
        return {}
    found = {}
    for staff_id, entry in value.items():
        try:
            if not isinstance(entry, dict) or set(entry) != {"role", "business_area", "team"}:
                raise ValidationError("", ["role, business_area and team"])
            found[staff_id] = DecisionMaker(staff_id, entry["role"], entry["business_area"], entry["team"])
        except ValidationError:
            problems.append(
                "staff.[…]: each entry is a staff id with exactly a role (such as 'caseworker'), a "
                "business_area (such as 'border_force') and a team name"
            )
    return found
