"""The imperative shell: load a review, take a step, store what it records, tell the plugins.

:class:`EthicalDecisions` is what a casework system calls. Each step takes the
review as this service last stored or read it (reading its events from the store
when it holds no copy), asks the pure rules (:mod:`ethical_decisions.steps`)
for the event to record, and appends it in one transaction with its audit link,
the projections it changes (review summary, referral queue, outbox: see
:mod:`ethical_decisions.projections`) and the compliance record. Only then are
the observer plugins told. Before that, the permission policy (the
``ethical_decisions_permission`` hook, see :mod:`ethical_decisions.policy`)
says whether this actor may take the step at all, and then the model's rules
whether the review allows it now. A step the policy refuses raises
:class:`~ethical_decisions.NotPermittedError`, one the model does not allow
now raises :class:`~ethical_decisions.StepError`, and a concurrent change
raises :class:`~ethical_decisions.ConflictError`; each records nothing. The
append checks that the review's version is still the one the step was decided
on, so a copy made stale by another writer is found there: the review is then
read again and the step decided again (a refusal, too, is judged only on the
review as stored).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence

from ._fields import check_id
from .assessments import AssessedElement, Assessment, Finding, assessor_problem
from .audit import ChainHead, ChainRecord, seal
from .caseindex import case_digest, case_index_key
from .clock import Clock, read_clock, system_clock
from .compliance import build_record
from .events import (
    Actor,
    AdviceGiven,
    AdviceResponded,
    ConcernRaised,
    DiscretionConsidered,
    DiscussionHeld,
    Event,
    FreeTextErased,
    InformationProvided,
    LaterOutcomeRecorded,
    Payload,
    ReferralAcknowledged,
    ReferralAssigned,
    ReferralReleased,
    ReferralReturned,
    ReferralSubmitted,
    ReferralWithdrawn,
    ReflectionRecorded,
    ReviewFinalised,
    ReviewHandedOver,
    ReviewOpened,
    SystemicIssueLinked,
    SystemicIssueOpened,
    SystemicIssueUpdated,
    is_issue_id,
)
from .exceptions import (
    AssessmentError,
    CaseNotFoundError,
    ConflictError,
    NotFoundError,
    NotOnRecordError,
    NotPermittedError,
    StepError,
    ValidationError,
)
from .learning import (
    Answer,
    FeedbackItem,
    FeedbackKind,
    FeedbackNotice,
    GuidanceFeedback,
    GuidanceFeedbackKind,
    GuidanceFeedbackNote,
    IssueRecord,
    SpeakUpAnswer,
    SystemicIssue,
    check_update,
    evolve_issue,
    issue_record,
    new_issue_id,
)
from .log import LogEvent, emit
from .model import (
    AdviceResponse,
    CaseReference,
    Concern,
    ConcernCategory,
    ConsultedRole,
    DecisionMaker,
    DiscretionResult,
    DiscretionScope,
    DiscussionResult,
    FinalDecision,
    LaterOutcomeKind,
    LaterOutcomeResult,
    PolicyTeamMember,
    ProposedDecision,
    RecordsOfficer,
    RouteTeamMember,
    Stage,
    Step,
    SystemicIssueStatus,
    UnresolvedAcknowledgement,
)
from .plugins import Plugins, make_plugins
from .policy import PermissionRequest, describe_actor, request_for
from .projections import changed_referrals, outbox_messages, review_record
from .review import Referral, ReferralStatus, Review, evolve, review_id_of_referral
from .routes import DiscretionGuidance, RouteRegistry
from .steps import allowed_steps, decide, open_review
from .store import AppendBatch, ReferralRecord, Store
from .store.verification import Progress, StoreReport

__all__ = ["EthicalDecisions", "new_review_id"]

_CACHE_SIZE = 1024


def new_review_id() -> str:
    """A fresh random review id, e.g. ``"rv-3f9a1c2b7d4e5f60"``."""
    return f"rv-{os.urandom(8).hex()}"


def _took_part(review: Review) -> set[str]:
    """The decision-makers who took a part in *review* that a PDR report credits them with.

    Who opened it, held it, reflected on it, escalated, handed it over or decided it: not the route's
    team or a records officer, whose steps are theirs to account for elsewhere.
    """
    named = (review.reflected_by, review.decided_by)
    return {
        review.opened_by.staff_id,
        *review.holders,
        *review.escalated_by,
        *review.handed_over_by,
        *(n for n in named if n is not None),
    }


def _issue_status(value: SystemicIssueStatus | str) -> SystemicIssueStatus:
    try:
        return SystemicIssueStatus(value)
    except ValueError:
        codes = ", ".join(s.value for s in SystemicIssueStatus)
        raise ValidationError("The systemic issue's update", [f"status: must be one of {codes}"]) from None


def _case_key(given: str | bytes | None) -> bytes | None:
    return case_index_key(given, required=False)


def _new_salt() -> str:
    # os.urandom, as secrets.token_hex uses, without loading random, bisect and hmac at import
    return os.urandom(16).hex()


class EthicalDecisions:
    """The Ethical Decision-Making Model, over a store, with plugins.

    :param store: where reviews are kept (see :func:`ethical_decisions.open_store`).
    :param plugins: the plugins to use; by default those installed, loaded now.
    :param clock: where times come from; by default the system clock in UTC.
    :param new_id: makes ids for new reviews.
    :param case_index_key: the deployment's key for the case index (see
        :mod:`ethical_decisions.caseindex`); by default the ``EDM_CASE_INDEX_KEY``
        environment variable. Without one, reviews are opened unindexed and
        finding a review by case reference raises :class:`~ethical_decisions.ValidationError`.

    Every step method returns the review as it stands after the step.
    """

    def __init__(
        self,
        store: Store,
        *,
        plugins: Plugins | None = None,
        clock: Clock = system_clock,
        new_id: Callable[[], str] = new_review_id,
        case_index_key: str | bytes | None = None,
    ) -> None:
        self.store = store
        self._case_key = _case_key(case_index_key)
        self.plugins = plugins if plugins is not None else make_plugins()
        self._clock = clock
        self._new_id = new_id
        self._salt = _new_salt
        self._cache: OrderedDict[str, Review] = OrderedDict()
        self._cache_lock = threading.Lock()

    # -- reading ---------------------------------------------------------------------------

    def review(self, review_id: str) -> Review:
        """The review as it stands now.

        :raises NotFoundError: if there is no such review.
        :raises ValidationError: if *review_id* is not in a review id's form.
        """
        check_id(review_id, "review", "review_id")
        with self._cache_lock:
            cached = self._cache.get(review_id)
        records = self.store.load(review_id, after=cached.version if cached else 0)
        if cached is not None and any(r.kind == FreeTextErased.kind for r in records):
            # Another process erased the words; the cached review still holds them.
            cached, records = None, self.store.load(review_id)
        review = cached
        for record in records:
            review = evolve(review, record.event())
        assert review is not None
        self._remember(review)
        return review

    def trail(self, review_id: str) -> tuple[Event, ...]:
        """Every event of the review, in order.

        :raises NotFoundError: if there is no such review.
        """
        return tuple(record.event() for record in self.store.load(review_id))

    def allowed_steps(self, review_id: str) -> tuple[Step, ...]:
        """The steps the review allows now."""
        return allowed_steps(self.review(review_id))

    def routes(self) -> RouteRegistry:
        """The installed escalation routes."""
        return self.plugins.routes()

    def discretion_guidance(self, review_id: str, concern_id: str) -> tuple[DiscretionGuidance, ...]:
        """What the installed plugins suggest considering for one of the review's concerns.

        :raises NotFoundError: if there is no such review or concern.
        """
        check_id(concern_id, "concern", "concern_id")
        review = self.review(review_id)
        concern = review.concern(concern_id)
        if concern is None:
            raise NotFoundError("concern", f"{review_id}/{concern_id}")
        return self.plugins.discretion_guidance(review.business_area, concern.category)

    def referral(self, referral_id: str) -> Referral:
        """A referral with its question, history and advice (for the route's team).

        :raises NotFoundError: if there is no such referral.
        :raises ValidationError: if *referral_id* is not in a referral id's form.
        """
        try:
            review = self.review(review_id_of_referral(referral_id))
        except NotFoundError:
            raise NotFoundError("referral", referral_id) from None
        referral = review.referral(referral_id)
        if referral is None:
            raise NotFoundError("referral", referral_id)
        return referral

    def referrals(self, route_id: str | None = None, *, open_only: bool = True) -> list[ReferralRecord]:
        """A route's queue: its referrals, oldest first (only those awaiting advice by default)."""
        statuses = {s for s in ReferralStatus if s.awaiting_advice} if open_only else None
        return self.store.referrals(route_id=route_id, statuses=statuses)

    def verify(
        self,
        *,
        expected_head: ChainHead | None = None,
        chain_only: bool = False,
        progress: Progress | None = None,
    ) -> StoreReport:
        """Check the whole store: the audit chain, the outbox ledger, and every table against the events.

        See :meth:`Store.verify <ethical_decisions.Store.verify>`; what is found is also
        logged (``chain_verified`` or ``chain_broken``, ``ledger_broken``, ``tables_differ``,
        ``store_damaged``), with positions, ids and counts only.
        """
        report = self.store.verify(expected_head=expected_head, chain_only=chain_only, progress=progress)
        if report.damage is not None:
            emit(LogEvent.STORE_DAMAGED, level="error")
        elif report.broken is None:
            emit(LogEvent.CHAIN_VERIFIED, events=report.events, reviews=report.reviews)
        else:
            emit(
                LogEvent.CHAIN_BROKEN,
                level="error",
                position=report.broken.position,
                review_id=report.broken.review_id,
                sequence=report.broken.sequence,
            )
        if report.ledger is not None and not report.ledger.ok:
            emit(LogEvent.LEDGER_BROKEN, level="error")
        if report.difference_count:
            emit(LogEvent.TABLES_DIFFER, level="error", count=report.difference_count)
        return report

    def head(self) -> ChainHead | None:
        """The audit chain's last link: keep a copy elsewhere to detect truncation."""
        return self.store.head()

    # -- the decision-maker's steps ----------------------------------------------------------

    def open_review(
        self,
        *,
        by: DecisionMaker,
        case: CaseReference,
        proposed: ProposedDecision,
        review_id: str | None = None,
    ) -> Review:
        """Open a review of a proposed decision. The model starts here.

        :param review_id: the id to use; by default a new random one.
        :raises StepError: if a review with that id exists.
        """
        review_id = review_id if review_id is not None else self._new_id()
        self._check_permission(None, PermissionRequest(by, Step.OPEN_REVIEW), review_id)
        event = open_review(review_id, ReviewOpened(case=case, proposed=proposed), actor=by, now=self._now())
        review = evolve(None, event)
        try:
            self._append(None, review, [event])
        except ConflictError:
            existing = self.review(review_id)
            raise StepError(
                Step.OPEN_REVIEW,
                existing.stage,
                allowed_steps(existing),
                f"a review with id {review_id!r} already exists; choose another id",
            ) from None
        return review

    def record_reflection(
        self,
        review_id: str,
        *,
        by: DecisionMaker,
        concerns: Sequence[Concern] = (),
        note: str | None = None,
        expected_version: int | None = None,
    ) -> Review:
        """Record the reflection on the proposed decision: no concerns, or one or more.

        The model's question is ``GUIDANCE.question`` (:attr:`ethical_decisions.guidance.Guidance.question`).
        """
        return self.record(
            review_id,
            ReflectionRecorded(concerns=tuple(concerns), note=note),
            by=by,
            expected_version=expected_version,
        )

    def raise_concern(
        self,
        review_id: str,
        *,
        by: DecisionMaker,
        category: ConcernCategory,
        statement: str,
        expected_version: int | None = None,
    ) -> Review:
        """Articulate a further concern after the reflection."""
        payload = ConcernRaised(Concern(category=category, statement=statement))
        return self.record(review_id, payload, by=by, expected_version=expected_version)

    def consider_discretion(
        self,
        review_id: str,
        *,
        by: DecisionMaker,
        concern_id: str,
        scope: DiscretionScope,
        guidance: str,
        reason: str,
        result: DiscretionResult,
        expected_version: int | None = None,
    ) -> Review:
        """Record discretion considered for a concern: inside the Rules first, then outside."""
        payload = DiscretionConsidered(
            concern_id=concern_id, scope=scope, guidance=guidance, reason=reason, result=result
        )
        return self.record(review_id, payload, by=by, expected_version=expected_version)

    def record_discussion(
        self,
        review_id: str,
        *,
        by: DecisionMaker,
        concern_id: str,
        consulted_role: ConsultedRole,
        consulted: str,
        advice: str,
        result: DiscussionResult,
        expected_version: int | None = None,
    ) -> Review:
        """Record a discussion of a concern with a specialist, manager, team leader or colleague."""
        payload = DiscussionHeld(
            concern_id=concern_id,
            consulted_role=consulted_role,
            consulted=consulted,
            advice=advice,
            result=result,
        )
        return self.record(review_id, payload, by=by, expected_version=expected_version)

    def escalate(
        self,
        review_id: str,
        *,
        by: DecisionMaker,
        concern_ids: Iterable[str],
        question: str,
        route_id: str | None = None,
        expected_version: int | None = None,
    ) -> Review:
        """Escalate concerns to the business area's route (or the named one).

        The route's rules in force when this review first escalated to it stay
        in force for the rest of the review.

        :param route_id: the route to escalate to; by default the business area's
            own route. Name a second tier (a route that reconsiders another's
            advice) to take a concern further after its advice.
        :raises NoRouteError: if no route is installed for the business area;
            it lists the installed routes.
        """
        review = self.review(review_id)
        routes = self.plugins.routes()
        route = routes.get(route_id) if route_id else routes.for_business_area(review.business_area)
        policy = review.routes.get(route.route_id, route.policy)
        payload = ReferralSubmitted(route=policy, concern_ids=tuple(concern_ids), question=question)
        return self.record(review_id, payload, by=by, expected_version=expected_version)

    def provide_information(
        self, referral_id: str, *, by: DecisionMaker, response: str, expected_version: int | None = None
    ) -> Review:
        """Answer a route's request for more information about a referral."""
        payload = InformationProvided(referral_id=referral_id, response=response)
        return self._on_referral(referral_id, payload, by=by, expected_version=expected_version)

    def respond_to_advice(
        self,
        referral_id: str,
        *,
        by: DecisionMaker,
        concern_id: str,
        response: AdviceResponse,
        reason: str,
        resolved: bool,
        expected_version: int | None = None,
    ) -> Review:
        """Record what you did with a route's advice on one of the referral's concerns, and why.

        Advice informs; you decide. *response* says whether you followed it, in
        part, or not; *resolved* whether the concern is now resolved. A concern
        still unresolved can be escalated again (to the same route, or to a
        second tier that reconsiders its advice), or acknowledged as unresolved
        when you finalise.
        """
        payload = AdviceResponded(
            referral_id=referral_id,
            concern_id=concern_id,
            response=response,
            reason=reason,
            resolved=resolved,
        )
        return self.record(
            review_id_of_referral(referral_id), payload, by=by, expected_version=expected_version
        )

    def withdraw_referral(
        self, referral_id: str, *, by: DecisionMaker, reason: str, expected_version: int | None = None
    ) -> Review:
        """Withdraw a referral that is awaiting advice, with a reason."""
        payload = ReferralWithdrawn(referral_id=referral_id, reason=reason)
        return self._on_referral(referral_id, payload, by=by, expected_version=expected_version)

    def finalise(
        self,
        review_id: str,
        *,
        by: DecisionMaker,
        decision: FinalDecision,
        unresolved: UnresolvedAcknowledgement | None = None,
        expected_version: int | None = None,
    ) -> Review:
        """Take the final decision, with its rationale, and close the review.

        :param unresolved: required when concerns remain unresolved: names
            exactly those concerns and says why it is right to proceed.
        """
        payload = ReviewFinalised(decision=decision, unresolved=unresolved)
        return self.record(review_id, payload, by=by, expected_version=expected_version)

    # -- people ------------------------------------------------------------------------------

    def hand_over(
        self,
        review_id: str,
        *,
        by: DecisionMaker,
        to: DecisionMaker,
        reason: str,
        expected_version: int | None = None,
    ) -> Review:
        """Hand an open review over to another decision-maker in its business area, saying why.

        From then on *to* holds the review and takes its decision-maker's steps.
        By default the review's owner may hand it over, and so may a line manager
        or team leader of the business area (see :mod:`ethical_decisions.policy`).
        """
        review = self.review(review_id)
        payload = ReviewHandedOver(handed_from=review.owner.staff_id, to=to, reason=reason)
        return self.record(review_id, payload, by=by, expected_version=expected_version)

    def assign_referral(self, referral_id: str, *, by: RouteTeamMember, to: RouteTeamMember) -> Review:
        """Assign a referral to a member of its route's team (yourself, or a colleague), or reassign it."""
        payload = ReferralAssigned(referral_id=referral_id, assignee=to)
        return self._on_referral(referral_id, payload, by=by)

    def release_referral(self, referral_id: str, *, by: RouteTeamMember) -> Review:
        """Put an assigned referral back in its route's unassigned queue."""
        return self._on_referral(referral_id, ReferralReleased(referral_id), by=by)

    # -- the route team's steps --------------------------------------------------------------

    def acknowledge_referral(self, referral_id: str, *, by: RouteTeamMember) -> Review:
        """Acknowledge a referral to your route."""
        return self._on_referral(referral_id, ReferralAcknowledged(referral_id), by=by)

    def return_referral(self, referral_id: str, *, by: RouteTeamMember, question: str) -> Review:
        """Return a referral to the decision-maker, asking for more information."""
        payload = ReferralReturned(referral_id=referral_id, question=question)
        return self._on_referral(referral_id, payload, by=by)

    def give_advice(self, referral_id: str, *, by: RouteTeamMember, advice: str) -> Review:
        """Give the route's advice on a referral. It flows back into the review."""
        payload = AdviceGiven(referral_id=referral_id, advice=advice)
        return self._on_referral(referral_id, payload, by=by)

    # -- a line manager's assessment of a sampled record --------------------------------------

    def assess(
        self,
        review_id: str,
        *,
        by: DecisionMaker,
        element: AssessedElement,
        finding: Finding,
        note: str | None = None,
        staff_id: str | None = None,
    ) -> Assessment:
        """Record a line manager's finding on one of the model's elements in a closed review's record.

        Evidence for a PDR conversation that the rules cannot force: whether the
        concern was put into words, discretion considered, and so on (see
        :mod:`ethical_decisions.assessments`). The assessment is its own record,
        never an event of the review; recording the same element again replaces
        the finding. The *note* is free text for the conversation: it never
        reaches a report, a log or an error, and is erased with the review's
        free text.

        :param by: the line manager or team leader assessing.
        :param staff_id: whose use of the model is assessed; by default whoever took the final decision.
        :raises AssessmentError: if the review is open or erased, the person took no part in it, or *by*
            may not assess them; nothing is recorded.
        :raises NotFoundError: if there is no such review.
        :raises ValidationError: if an argument is malformed (the message never repeats the note).
        """
        element, finding = AssessedElement(element), Finding(finding)
        if staff_id is not None:
            check_id(staff_id, "staff", "staff_id")
        review = self.review(review_id)
        subject = staff_id if staff_id is not None else review.decided_by
        try:
            self._check_assessment(review, by, subject)
            assert subject is not None  # a closed review has someone who decided it
            assessment = Assessment(
                review_id=review.review_id,
                staff_id=subject,
                element=element,
                finding=finding,
                assessed_by=by.staff_id,
                assessed_at=self._now(),
                business_area=review.business_area,
                note=note,
            )
        except (AssessmentError, ValidationError):
            emit(LogEvent.ASSESSMENT_REFUSED, review_id=review.review_id, assessed_by=by.staff_id)
            raise
        self.store.record_assessment(assessment)
        emit(
            LogEvent.ASSESSMENT_RECORDED,
            review_id=assessment.review_id,
            staff_id=assessment.staff_id,
            assessed_by=assessment.assessed_by,
            element=assessment.element.value,
            finding=assessment.finding.value,
        )
        return assessment

    def _check_assessment(self, review: Review, by: DecisionMaker, subject: str | None) -> None:
        """Refuse an assessment of *subject*'s part in *review* by *by*, with what would allow it."""
        if not review.is_closed or subject is None:
            raise AssessmentError(
                f"review {review.review_id} is still open; a record is assessed once its decision is taken",
                "wait for the final decision",
            )
        if review.erased_at is not None:
            raise AssessmentError(
                f"review {review.review_id}'s free text has been erased: there is no record left to read"
            )
        if subject not in _took_part(review):
            raise AssessmentError(
                f"{subject} took no part in review {review.review_id}",
                "name someone who opened, reflected on, escalated, decided, handed over or held it",
            )
        people = self.plugins.people
        managed = people.managers.get(by.staff_id, frozenset()) if people.managers else None
        problem = assessor_problem(
            by, subject, review.business_area, roles=people.handover_roles, managed=managed
        )
        if problem is not None:
            raise AssessmentError(problem, f"ask {subject}'s line manager")

    def assessments(self, review_id: str) -> list[Assessment]:
        """The line managers' findings on a review, by person assessed and element (notes included)."""
        return self.store.assessments(review_id=review_id)

    # -- later facts -------------------------------------------------------------------------

    def record_later_outcome(
        self,
        review_id: str,
        *,
        by: DecisionMaker | RecordsOfficer,
        challenge: LaterOutcomeKind,
        result: LaterOutcomeResult,
        decided_on: dt.date,
    ) -> Review:
        """Record a later outcome on a closed review: a challenge's result, a complaint, an MP letter...

        The kinds: administrative review, appeal, tribunal, complaint, judicial
        review, MP letter, ombudsman finding. A result of ``pending`` records a
        challenge lodged and not yet decided (*decided_on* is then the day it
        was lodged): it holds the review's free
        text from a retention sweep until a later record of the same kind says
        how it ended.
        """
        payload = LaterOutcomeRecorded(challenge=challenge, result=result, decided_on=decided_on)
        return self.record(review_id, payload, by=by)

    def find_case(self, reference: str) -> list[str]:
        """The ids of the reviews indexed under the case *reference* (see :mod:`ethical_decisions.caseindex`).

        :raises ValidationError: if the deployment's case index key is not set.
        """
        key = self._require_case_key()
        return self.store.find_cases([case_digest(key, reference)]).get(case_digest(key, reference), [])

    def case_review(self, reference: str) -> Review:
        """The review that a later outcome for the case *reference* is recorded on.

        Of the closed reviews indexed under it, the one closed last (a case
        reviewed again is challenged on its last decision).

        :raises CaseNotFoundError: if no closed review is indexed under it (the reference is never repeated).
        :raises ValidationError: if the deployment's case index key is not set.
        """
        return self._case_review(self.find_case(reference))

    def _case_review(self, review_ids: Sequence[str]) -> Review:
        if not review_ids:
            raise CaseNotFoundError()
        closed = [r for r in (self.review(i) for i in review_ids) if r.is_closed and r.closed_at is not None]
        if not closed:
            raise CaseNotFoundError("the reviews indexed under the case reference given are still open")
        return max(closed, key=lambda r: (r.closed_at, r.review_id))

    def record_later_outcome_by_case(
        self,
        reference: str,
        *,
        by: DecisionMaker | RecordsOfficer,
        challenge: LaterOutcomeKind,
        result: LaterOutcomeResult,
        decided_on: dt.date,
    ) -> Review:
        """Record a later outcome against the decision on the case *reference*, found through the case index.

        See :meth:`record_later_outcome` and :meth:`case_review` (which review is chosen).

        :raises CaseNotFoundError: if no closed review is indexed under the reference.
        :raises ValidationError: if the deployment's case index key is not set.
        """
        review = self.case_review(reference)
        return self.record_later_outcome(
            review.review_id, by=by, challenge=challenge, result=result, decided_on=decided_on
        )

    def index_case_references(self, *, progress: Callable[[int, int], None] | None = None) -> int:
        """Index the case reference of every review not yet indexed whose free text is not erased.

        For reviews opened before the store had a case index, or while no key was
        set. Idempotent; how many rows were added.

        :param progress: called with (reviews done, reviews in all) as it goes.
        :raises ValidationError: if the deployment's case index key is not set.
        """
        key = self._require_case_key()
        summaries = self.store.reviews()
        added = 0
        batch: list[tuple[str, str]] = []
        for done, summary in enumerate(summaries, 1):
            review = self.review(summary.review_id)
            if review.erased_at is None:
                batch.append((case_digest(key, review.case.reference), review.review_id))
            if len(batch) >= 500 or done == len(summaries):
                added += self.store.index_cases(batch)
                batch = []
            if progress is not None:
                progress(done, len(summaries))
        return added

    def _require_case_key(self) -> bytes:
        if self._case_key is None:
            key = case_index_key(required=True)
            assert key is not None
            self._case_key = key
        return self._case_key

    def erase_free_text(
        self, review_id: str, *, by: RecordsOfficer, reason: str = "retention_period_ended"
    ) -> Review:
        """Erase a closed review's free text and applicant details; the trail still verifies."""
        return self.record(review_id, FreeTextErased(reason=reason), by=by)

    # -- the learning loop: systemic issues -----------------------------------------------------

    def systemic_issue(self, issue_id: str) -> SystemicIssue:
        """A systemic issue as it stands, with its title, description and history.

        :raises NotOnRecordError: if there is no such issue (the message does not repeat the id).
        """
        if not is_issue_id(issue_id):
            raise NotOnRecordError("systemic issue", "issue_id")
        try:
            records = self.store.load(issue_id)
        except NotFoundError:
            raise NotOnRecordError("systemic issue", "issue_id") from None
        issue = None
        for record in records:
            issue = evolve_issue(issue, record.event())
        assert issue is not None
        return issue

    def systemic_issues(self) -> list[IssueRecord]:
        """The register of systemic issues, oldest first: ids, codes and dates, no free text."""
        return self.store.systemic_issues()

    def _referral_for_issue(self, referral_id: str) -> tuple[Review, Referral]:
        try:
            review = self.review(review_id_of_referral(referral_id))
        except (NotFoundError, ValueError):
            raise NotOnRecordError("referral", "referral_id") from None
        referral = review.referral(referral_id)
        if referral is None:
            raise NotOnRecordError("referral", "referral_id")
        return review, referral

    def open_systemic_issue(
        self,
        referral_id: str,
        *,
        by: RouteTeamMember,
        title: str,
        description: str,
        rule: str,
        owner: str,
        due_on: dt.date,
        issue_id: str | None = None,
    ) -> SystemicIssue:
        """Open a systemic issue on the register from a referral that raises it, and link the referral.

        :param title: free text, erasable; never in a log, an error or a report (unless a
            deployment opts in to titles in the department report).
        :param rule: the rule or guidance the issue concerns, as a reference.
        :param owner: the policy team that owns the issue.
        :param due_on: when the owner is to have answered it.
        :raises NotOnRecordError: if there is no such referral; nothing is recorded.
        :raises NotPermittedError: if *by* is not on the team of the route the referral went to.
        :raises ValidationError: if a field is malformed (naming the field, never its value).
        """
        review, referral = self._referral_for_issue(referral_id)
        issue_id = issue_id if issue_id is not None else new_issue_id()
        if not is_issue_id(issue_id):
            raise ValidationError("The systemic issue", ["issue_id: must begin 'si-'"])
        self._check_register(PermissionRequest(by, Step.OPEN_SYSTEMIC_ISSUE, review, referral), issue_id)
        opened = SystemicIssueOpened(
            title=title,
            description=description,
            rule=rule,
            owner=owner,
            due_on=due_on,
            route_id=referral.route_id,
        )
        now = self._now()
        first = Event(review_id=issue_id, sequence=1, occurred_at=now, actor=by, payload=opened)
        issue = evolve_issue(None, first)
        link = Event(issue_id, 2, now, by, self._link_payload(review, referral))
        linked = evolve_issue(issue, link)
        self._append_issue(None, linked, [first, link])
        self._tell_feedback(review, referral, FeedbackKind.ISSUE_LINKED, now, linked)
        return linked

    def link_systemic_issue(self, issue_id: str, referral_id: str, *, by: RouteTeamMember) -> SystemicIssue:
        """Link a further referral to a systemic issue it raises.

        :raises NotOnRecordError: if there is no such issue or referral; nothing is recorded.
        :raises ValidationError: if the referral is already linked to the issue.
        """
        issue = self.systemic_issue(issue_id)
        review, referral = self._referral_for_issue(referral_id)
        self._check_register(PermissionRequest(by, Step.LINK_SYSTEMIC_ISSUE, review, referral), issue_id)
        if referral_id in issue.referral_ids:
            raise ValidationError("The link", ["referral_id: the referral is already linked to the issue"])
        now = self._now()
        event = Event(issue_id, issue.version + 1, now, by, self._link_payload(review, referral))
        updated = evolve_issue(issue, event)
        self._append_issue(issue, updated, [event])
        self._tell_feedback(review, referral, FeedbackKind.ISSUE_LINKED, now, updated)
        return updated

    @staticmethod
    def _link_payload(review: Review, referral: Referral) -> SystemicIssueLinked:
        concerns = (review.concern(cid) for cid in referral.concern_ids)
        return SystemicIssueLinked(
            referral_id=referral.referral_id,
            concern_categories=tuple(c.category for c in concerns if c is not None),
        )

    def update_systemic_issue(
        self,
        issue_id: str,
        *,
        by: PolicyTeamMember,
        status: SystemicIssueStatus | str | None = None,
        reason: str | None = None,
        due_on: dt.date | None = None,
    ) -> SystemicIssue:
        """Move a systemic issue on: a new status (accepted, change made, declined, closed), a new due date.

        Declining needs a *reason* (free text, erasable). Each decision-maker whose
        referral is linked to the issue is told of a change of status (the
        ``ethical_decisions_feedback`` hook).

        :raises NotOnRecordError: if there is no such issue.
        :raises ValidationError: if the status cannot follow the issue's, or a decline has no reason;
            nothing is recorded.
        :raises NotPermittedError: if *by* is not on the policy team that owns the issue.
        """
        issue = self.systemic_issue(issue_id)
        wanted = issue.status if status is None else _issue_status(status)
        update = SystemicIssueUpdated(status=wanted, reason=reason, due_on=due_on)
        check_update(issue, update)
        request = PermissionRequest(by, Step.UPDATE_SYSTEMIC_ISSUE, issue_owner=issue.owner)
        self._check_register(request, issue_id)
        now = self._now()
        event = Event(issue_id, issue.version + 1, now, by, update)
        updated = evolve_issue(issue, event)
        self._append_issue(issue, updated, [event])
        if updated.status is not issue.status:
            for referral_id in updated.referral_ids:
                try:
                    review, referral = self._referral_for_issue(referral_id)
                except NotOnRecordError:
                    continue
                self._tell_feedback(review, referral, FeedbackKind.ISSUE_STATUS_CHANGED, now, updated)
        return updated

    def erase_systemic_issue_text(self, issue_id: str, *, by: RecordsOfficer) -> SystemicIssue:
        """Erase a systemic issue's free text (title, description, reasons); its trail still verifies."""
        issue = self.systemic_issue(issue_id)
        request = PermissionRequest(by, Step.ERASE_FREE_TEXT, issue_owner=issue.owner)
        self._check_register(request, issue_id)
        event = Event(issue_id, issue.version + 1, self._now(), by, FreeTextErased("retention_period_ended"))
        self._append_issue(issue, evolve_issue(issue, event), [event], erase=True)
        return self.systemic_issue(issue_id)

    def _check_register(self, request: PermissionRequest, issue_id: str) -> None:
        """Ask the permission policy about a step on the register (no review's stage or steps to name)."""
        self._check_permission(None, request, issue_id, register=True)

    def _append_issue(
        self,
        before: SystemicIssue | None,
        after: SystemicIssue,
        events: Sequence[Event],
        *,
        erase: bool = False,
    ) -> None:
        sealed = tuple(seal(e, self._salt()) for e in events)
        batch = AppendBatch(
            review_id=after.issue_id,
            expected_version=before.version if before else 0,
            events=sealed,
            review=None,
            issue=issue_record(after),
            erase_texts=erase,
        )
        self.store.append(batch)
        for event in events:
            emit(LogEvent.ISSUE_RECORDED, issue_id=after.issue_id, kind=event.kind, status=after.status.value)

    # -- the learning loop: feedback to the person who raised a concern ----------------------------

    def _tell_feedback(
        self,
        review: Review,
        referral: Referral,
        kind: FeedbackKind,
        at: dt.datetime,
        issue: SystemicIssue | None = None,
    ) -> None:
        notice = FeedbackNotice(
            staff_id=referral.referred_by.staff_id,
            kind=kind,
            referral_id=referral.referral_id,
            at=at,
            issue_id=issue.issue_id if issue else None,
            status=issue.status if issue else None,
        )
        self.plugins.feedback(notice)

    def feedback(self, staff_id: str) -> list[FeedbackItem]:
        """What has come of the referrals *staff_id* made: advice, and the systemic issues linked to them.

        Ids, codes and times only, oldest referral first: the person's own view of the learning loop.
        """
        issues: dict[str, list[tuple[str, SystemicIssueStatus]]] = {}
        for issue in self.store.systemic_issues():
            for referral_id in issue.referral_ids:
                issues.setdefault(referral_id, []).append((issue.issue_id, issue.status))
        return [
            FeedbackItem(
                referral_id=r.referral_id,
                route_id=r.route_id,
                submitted_at=r.submitted_at,
                advice_at=r.advice_at,
                issues=tuple(issues.get(r.referral_id, ())),
            )
            for r in self.store.referrals()
            if r.referred_by == staff_id
        ]

    def record_speak_up(
        self, review_id: str, *, by: DecisionMaker, again: Answer | str, detriment: Answer | str
    ) -> None:
        """Keep the answers to the speaking-up questions asked at the close of a review with concerns.

        The questions are :data:`~ethical_decisions.learning.SPEAK_UP_QUESTION` (the NHS Freedom to
        Speak Up question, verbatim) and :data:`~ethical_decisions.learning.DETRIMENT_QUESTION`. The
        answers are kept apart from the review: a row with the month and business area only, never the
        review's id or the person's, so they reach no PDR report and no log with the person's id; the
        department report counts them, suppressed.

        :raises ValidationError: if the review is open or had no concerns, *by* did not decide it, or
            an answer is not one of yes, no, not_sure; nothing is kept.
        """
        review = self.review(review_id)
        if not review.is_closed or not review.concerns or review.decided_by != by.staff_id:
            raise ValidationError(
                "The speaking-up answer",
                ["review_id: the questions are asked of whoever closed a review with concerns, once closed"],
            )
        answer = SpeakUpAnswer(
            month=f"{self._now():%Y-%m}", business_area=review.business_area, again=again, detriment=detriment
        )
        self.store.record_speak_up(answer)
        emit(LogEvent.SPEAK_UP_RECORDED)

    # -- the learning loop: questions about the guidance itself ------------------------------------

    def send_guidance_feedback(
        self, review_id: str, *, by: DecisionMaker, kind: GuidanceFeedbackKind | str, text: str
    ) -> bool:
        """Send feedback on the guidance itself from within a review: a question, or a formatting error.

        It carries none of the case's free text: who sent it, the review's guidance version and
        business area, and *text* (which goes to the plugin, never to a log or the store). The
        store counts it by guidance version for the department report.

        :returns: whether a plugin took it (the ``ethical_decisions_guidance_feedback`` hook).
        :raises ValidationError: if the kind is unknown or the text empty; nothing is sent.
        """
        review = self.review(review_id)
        feedback = GuidanceFeedback(
            staff_id=by.staff_id,
            business_area=review.business_area,
            guidance_version=review.guidance_version,
            kind=kind,
            text=text,
        )
        taken = self.plugins.guidance_feedback(feedback)
        self.store.record_guidance_feedback(
            GuidanceFeedbackNote(
                month=f"{self._now():%Y-%m}",
                business_area=feedback.business_area,
                guidance_version=feedback.guidance_version,
                kind=feedback.kind,
            )
        )
        emit(LogEvent.GUIDANCE_FEEDBACK_SENT, kind=feedback.kind.value, taken=taken)
        return taken

    # -- the engine --------------------------------------------------------------------------

    def record(
        self, review_id: str, payload: Payload, *, by: Actor, expected_version: int | None = None
    ) -> Review:
        """Take the step that records *payload*, if the model allows it now.

        Every step method above comes here.

        :param expected_version: the review's version when the caller last
            showed it to the person acting; if it has changed since, nothing
            is recorded and :class:`~ethical_decisions.ConflictError` is raised.
        :raises NotPermittedError: if the permission policy does not let *by* take the step.
        :raises StepError: if the model does not allow the step now.
        :raises ConflictError: if the review changed meanwhile.
        :raises NotFoundError: if there is no such review.
        """
        check_id(review_id, "review", "review_id")
        with self._cache_lock:
            cached = self._cache.get(review_id)
        if cached is not None and expected_version in (None, cached.version):
            taken = self._take_on_cached(cached, payload, by)
            if taken is not None:
                return taken
        review = self.review(review_id)
        if expected_version is not None and expected_version != review.version:
            emit(
                LogEvent.APPEND_CONFLICT,
                level="warning",
                review_id=review_id,
                expected_version=expected_version,
                actual_version=review.version,
            )
            raise ConflictError(review_id, expected_version, review.version)
        request = request_for(review, payload, by)
        if request is not None:
            self._check_permission(review, request, review_id)
        try:
            event = decide(review, payload, actor=by, now=self._now())
        except StepError as exc:
            emit(LogEvent.STEP_REFUSED, review_id=review_id, step=str(exc.step), stage=str(exc.stage))
            raise
        updated = evolve(review, event)
        self._append(review, updated, [event])
        if isinstance(payload, FreeTextErased):
            return self.review(review_id)  # the words are gone from the store: show what it now holds
        return updated

    def _take_on_cached(self, review: Review, payload: Payload, by: Actor) -> Review | None:
        """The step taken on the cached review without reading the store first, or ``None``.

        The append's version check finds out whether the cached review is still the stored one. If
        another writer got there first (:class:`ConflictError`), or the step is refused, nothing is
        recorded or logged and ``None`` is returned: :meth:`record` then reads the review and decides
        again, so every refusal and conflict is judged, and logged, on the review as stored.
        """
        request = request_for(review, payload, by)
        if request is not None and not self.plugins.permission(request).allowed:
            return None
        try:
            event = decide(review, payload, actor=by, now=self._now())
        except StepError:
            return None
        updated = evolve(review, event)
        try:
            self._append(review, updated, [event], quiet=True)
        except ConflictError:
            return None
        if isinstance(payload, FreeTextErased):
            return self.review(review.review_id)  # the words are gone from the store: show what it now holds
        return updated

    def _on_referral(
        self, referral_id: str, payload: Payload, *, by: Actor, expected_version: int | None = None
    ) -> Review:
        """:meth:`record` on the referral's review; a referral whose review is not stored is named."""
        try:
            return self.record(
                review_id_of_referral(referral_id), payload, by=by, expected_version=expected_version
            )
        except NotFoundError as exc:
            if exc.kind != "review":
                raise
            raise NotFoundError("referral", referral_id) from None

    def _check_permission(
        self, review: Review | None, request: PermissionRequest, review_id: str, *, register: bool = False
    ) -> None:
        """Ask the permission policy; raise :class:`NotPermittedError` (and log it) if it refuses.

        :param register: the step is on the register of systemic issues (*review_id* an issue's id).
        """
        permission = self.plugins.permission(request)
        if permission.allowed:
            return
        actor = request.actor
        emit(
            LogEvent.PERMISSION_REFUSED,
            review_id=review_id,
            step=str(request.step),
            actor_kind=type(actor).__name__,
            role=str(actor.role) if isinstance(actor, DecisionMaker) else None,
            staff_id=actor.staff_id,
        )
        raise NotPermittedError(
            request.step,
            review.stage if review is not None else Stage.NOT_OPENED,
            () if register else allowed_steps(review),
            permission.reason,
            actor=describe_actor(actor),
            would_allow=permission.would_allow,
        )

    def _now(self) -> dt.datetime:
        return read_clock(self._clock, "The clock's time")

    def _remember(self, review: Review) -> None:
        with self._cache_lock:
            self._cache[review.review_id] = review
            self._cache.move_to_end(review.review_id)
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)

    def _forget(self, review_id: str) -> None:
        with self._cache_lock:
            self._cache.pop(review_id, None)

    def _append(
        self, before: Review | None, after: Review, events: Sequence[Event], *, quiet: bool = False
    ) -> tuple[ChainRecord, ...]:
        """Seal and store *events*; a conflict is logged unless *quiet* (the caller will try again)."""
        # Sealed first: an event that cannot be stored is refused before any plugin hears of it.
        sealed = tuple(seal(e, self._salt()) for e in events)
        compliance = None
        if after.is_closed and any(
            isinstance(e.payload, (ReviewFinalised, LaterOutcomeRecorded)) for e in events
        ):
            compliance = self.plugins.compliance_record(build_record(after))
        erasing = any(isinstance(e.payload, FreeTextErased) for e in events)
        digest = None
        if before is None and self._case_key is not None:
            opened = events[0].payload
            assert isinstance(opened, ReviewOpened)
            digest = case_digest(self._case_key, opened.case.reference)
        batch = AppendBatch(
            review_id=after.review_id,
            expected_version=before.version if before else 0,
            events=sealed,
            review=review_record(after),
            referrals=changed_referrals(before, after),
            outbox=tuple(outbox_messages(after, events)),
            compliance=compliance,
            erase_texts=erasing,
            case_digest=digest,
        )
        try:
            written = self.store.append(batch)
        except ConflictError as exc:
            self._forget(after.review_id)
            if quiet:
                raise
            emit(
                LogEvent.APPEND_CONFLICT,
                level="warning",
                review_id=after.review_id,
                expected_version=exc.expected_version,
                actual_version=exc.actual_version,
            )
            raise
        if erasing:
            self._forget(after.review_id)
        else:
            self._remember(after)
        for event in events:
            self.plugins.event_stored(event, after)
            if isinstance(event.payload, AdviceGiven):
                referral = after.referral(event.payload.referral_id)
                if referral is not None:
                    self._tell_feedback(after, referral, FeedbackKind.ADVICE_GIVEN, event.occurred_at)
            elif isinstance(event.payload, LaterOutcomeRecorded):
                for referral in after.referrals:
                    self._tell_feedback(after, referral, FeedbackKind.LATER_OUTCOME, event.occurred_at)
        return written
