"""Every error the library raises, under one base class.

Messages say what was wrong and what to do next. They never contain the text a
person typed (statements, advice, rationale) or an applicant's details: those
may be personal data, and exception messages end up in logs and tracebacks.

The hierarchy::

    EthicalDecisionsError
    ├── ValidationError           outside input (JSON, CLI, plugin return) is malformed
    ├── StepError                 a step was taken that the model does not allow now
    │   └── NotPermittedError     the actor may not take this step (e.g. another route's team)
    ├── AssessmentError           a record cannot be assessed (open review, no part taken, not their manager)
    ├── NotFoundError             no review or referral with that id
    │   └── CaseNotFoundError     no closed review is indexed under that case reference
    ├── ConflictError             another writer changed the review first; reload and retry
    ├── RouteError
    │   ├── NoRouteError          no installed route for that business area or id
    │   └── DuplicateRouteError   two plugins registered the same route id
    ├── PluginError               a plugin could not be loaded or misbehaved
    ├── StoreError                the store cannot be opened or used
    │   └── SchemaVersionError    the store or a record was written by a newer version
    ├── IntegrityError            the audit chain does not verify
    └── DeliveryError             a transport could not deliver a referral message
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = [
    "AssessmentError",
    "CaseNotFoundError",
    "ConflictError",
    "DeliveryError",
    "DuplicateRouteError",
    "EthicalDecisionsError",
    "IntegrityError",
    "NoRouteError",
    "NotFoundError",
    "NotOnRecordError",
    "NotPermittedError",
    "PluginError",
    "RouteError",
    "SchemaVersionError",
    "StepError",
    "StoreError",
    "ValidationError",
]


def raised_by_library(exc: BaseException) -> bool:
    """Whether *exc* was raised in the library's own code (its innermost frame is in the package).

    The library's messages never hold free text; a plugin may raise one of the
    library's errors with anything in its message, so only the former are shown whole.
    """
    frame = exc.__traceback__
    if frame is None:
        return False
    while frame.tb_next is not None:
        frame = frame.tb_next
    module = frame.tb_frame.f_globals.get("__name__", "")
    return isinstance(module, str) and module.startswith("ethical_decisions.")


class EthicalDecisionsError(Exception):
    """Base class of every error raised by ethical-decisions."""


class ValidationError(EthicalDecisionsError, ValueError):
    """Input from outside the library is malformed.

    :ivar problems: one ``path: problem`` line per fault, in input order. The
        lines name where the fault is and what is expected, never the value
        that was submitted.
    """

    def __init__(self, what: str, problems: Sequence[str]) -> None:
        self.what = what
        self.problems = tuple(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{what} is not valid; correct these fields and submit it again:\n{lines}")


class StepError(EthicalDecisionsError):
    """A step of the model was taken when the review does not allow it.

    Nothing was recorded. The message names the step tried, why it cannot be
    taken, the review's current stage and the steps allowed now.

    :ivar step: the step tried (a :class:`~ethical_decisions.Step`).
    :ivar stage: the review's stage (a :class:`~ethical_decisions.Stage`).
    :ivar allowed: the steps the review allows now.
    :ivar problem: why the step was refused, in words for a developer or caseworker.
    """

    def __init__(self, step: object, stage: object, allowed: Sequence[object], problem: str) -> None:
        self.step = step
        self.stage = stage
        self.allowed = tuple(allowed)
        self.problem = problem
        allowed_text = ", ".join(str(s) for s in self.allowed) or "none"
        super().__init__(
            f"Cannot {step}: {problem}. The review is at stage '{stage}'; steps allowed now: {allowed_text}."
        )


class NotPermittedError(StepError):
    """The actor may not take this step, e.g. someone other than the review's owner, or another route's team.

    Nothing was recorded. When the permission policy refused the step, the
    message names the step, who tried it (their role and staff id), why not,
    and what would allow it.

    :ivar actor: who tried, e.g. ``"caseworker cw-0042"`` (``""`` if the message does not name them).
    :ivar would_allow: what would let the step be taken (``""`` if not known).
    """

    def __init__(
        self,
        step: object,
        stage: object,
        allowed: Sequence[object],
        problem: str,
        *,
        actor: str = "",
        would_allow: str = "",
    ) -> None:
        super().__init__(step, stage, allowed, problem)
        self.actor = actor
        self.would_allow = would_allow
        if actor:
            to_allow = f" To take it: {would_allow}." if would_allow else ""
            self.args = (f"Cannot {step} as {actor}: {problem}.{to_allow} Nothing was recorded.",)


class AssessmentError(EthicalDecisionsError):
    """A line manager's assessment of a record cannot be recorded.

    The review is still open, or its free text has been erased, or the person
    named took no part in it, or the assessor may not assess them (not a line
    manager or team leader of the business area, not their manager, or the
    person themselves). Nothing was recorded.

    :ivar problem: why, in words: ids and roles only, never the note.
    :ivar would_allow: what would let it be recorded (``""`` if nothing would).
    """

    def __init__(self, problem: str, would_allow: str = "") -> None:
        self.problem = problem
        self.would_allow = would_allow
        to_allow = f" To record it: {would_allow}." if would_allow else ""
        super().__init__(f"Cannot record the assessment: {problem}.{to_allow} Nothing was recorded.")


_SHOWABLE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:#/-]{0,220}")
"""What has an id's form, so that a message may name it (free text never does)."""


class NotFoundError(EthicalDecisionsError, LookupError):
    """No review or referral has the given id.

    :ivar kind: ``"review"`` or ``"referral"``.
    :ivar identifier: the id that was looked up (ids are never personal data).
    """

    def __init__(self, kind: str, identifier: str) -> None:
        self.kind = kind
        self.identifier = identifier
        # An id is named; anything else given as one (free text, perhaps personal data) never is.
        showable = _SHOWABLE_ID.fullmatch(identifier) is not None
        named = f"id {identifier!r}" if showable else "the id given (not in an id's form)"
        super().__init__(f"No {kind} with {named} is in the store; check the id.")


class NotOnRecordError(EthicalDecisionsError, LookupError):
    """Input names something the store does not hold (a referral to link, a systemic issue).

    The message names the field, never the value given: it came from outside and may be anything.

    :ivar field: the field whose value names nothing in the store.
    """

    def __init__(self, what: str, field: str) -> None:
        self.field = field
        super().__init__(
            f"No {what} with the {field} given is in the store; check the {field}. Nothing was recorded."
        )


class CaseNotFoundError(NotFoundError):
    """No review that can take the record is indexed under the case reference given.

    The message never repeats the reference (it is personal data).
    """

    def __init__(self, problem: str = "no review is indexed under the case reference given") -> None:
        self.kind = "case"
        self.identifier = ""
        EthicalDecisionsError.__init__(
            self,
            f"Cannot find the case: {problem}. Check the reference against the casework system; a review "
            "opened without the case index key is found once 'ethical-decisions outcomes index' has run, "
            "and one whose free text is erased cannot be found by reference. Nothing was recorded.",
        )


class ConflictError(EthicalDecisionsError):
    """Another writer appended to the review after it was loaded.

    Nothing was recorded. Reload the review, check the step still makes sense,
    and take it again.
    """

    def __init__(self, review_id: str, expected_version: int, actual_version: int) -> None:
        self.review_id = review_id
        self.expected_version = expected_version
        self.actual_version = actual_version
        super().__init__(
            f"Review {review_id!r} changed while you were working on it: you had version "
            f"{expected_version}, the store has version {actual_version}. Nothing was recorded; "
            "reload the review and take the step again."
        )


class RouteError(EthicalDecisionsError):
    """Base class of errors about escalation routes."""


class NoRouteError(RouteError, LookupError):
    """No installed route serves the business area or has the route id asked for.

    :ivar installed: ids of the routes that are installed.
    """

    def __init__(self, wanted: str, installed: Sequence[str]) -> None:
        self.wanted = wanted
        self.installed = tuple(installed)
        listed = ", ".join(self.installed) or "none"
        super().__init__(
            f"No escalation route is installed for {wanted}. Installed routes: {listed}. "
            "Install the business area's route plugin (for example "
            "`pip install ethical-decisions-<route>`) or name an installed route; "
            "nothing was recorded."
        )


class DuplicateRouteError(RouteError):
    """Two plugins registered a route with the same id."""

    def __init__(self, route_id: str, first_plugin: str, second_plugin: str) -> None:
        self.route_id = route_id
        self.plugins = (first_plugin, second_plugin)
        super().__init__(
            f"Route id {route_id!r} is registered by both plugin {first_plugin!r} and plugin "
            f"{second_plugin!r}. Uninstall or block one of them."
        )


class PluginError(EthicalDecisionsError):
    """A plugin could not be loaded, or returned something the library cannot use."""

    def __init__(self, plugin: str, problem: str) -> None:
        self.plugin = plugin
        self.problem = problem
        super().__init__(f"Plugin {plugin!r}: {problem}")


class StoreError(EthicalDecisionsError):
    """The store cannot be opened or used."""


class SchemaVersionError(StoreError):
    """The store or a record was written by a newer version of ethical-decisions."""

    def __init__(self, what: str, found: int, supported: int) -> None:
        self.found = found
        self.supported = supported
        super().__init__(
            f"{what} has schema version {found}, but this version of ethical-decisions "
            f"reads up to version {supported}. Upgrade ethical-decisions to read it."
        )


class IntegrityError(EthicalDecisionsError):
    """The audit chain does not verify; ``report`` says where it first breaks."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


class DeliveryError(EthicalDecisionsError):
    """A transport could not deliver a referral message; the relay will retry it.

    :ivar retryable: whether trying again may succeed.
    """

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        self.retryable = retryable
        super().__init__(message)
