"""Errors as RFC 9457 problem details: the library's error type and message, never a submitted value.

Every error the HTTP API returns is an ``application/problem+json`` document
(:class:`Problem`) whose ``error`` is the library's exception type and whose
``detail`` is its message. The library's messages never hold free text or
applicant details (see :mod:`ethical_decisions.exceptions`); a message about an
id the client gave in the address is replaced by one that does not repeat it.

===================================  ======  ==================================
Error                                Status  When
===================================  ======  ==================================
malformed JSON, no JSON object       400     the body cannot be read
not ``application/json``             415     the body is another media type
:class:`ValidationError`             422     a field is missing or wrong
:class:`NotPermittedError`           403     the actor may not take the step
forged or missing CSRF token         403     a form without a valid token
not signed in                        401     no actor for the request
:class:`NotFoundError`               404     no such review, referral or issue
:class:`NotOnRecordError`            422     the body names something not held
:class:`StepError`                   409     the model does not allow it now
:class:`ConflictError`               409     the review changed meanwhile
stale ``If-Match``                   412     the review's version differs
body over the limit                  413     see ``max_body_bytes``
:class:`NoRouteError`                409     no route for the business area
:class:`StoreError`                  503     the store cannot be used now
anything else                        500     logged by type only
===================================  ======  ==================================
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from ethical_decisions.exceptions import (
    AssessmentError,
    ConflictError,
    EthicalDecisionsError,
    NoRouteError,
    NotFoundError,
    NotOnRecordError,
    NotPermittedError,
    StepError,
    StoreError,
    ValidationError,
)

__all__ = ["PROBLEM_TYPE_BASE", "HttpProblem", "Problem", "problem_for"]

PROBLEM_TYPE_BASE = "https://ethical-decisions.readthedocs.io/en/latest/web.html#problem-"
"""Each problem's ``type`` is this followed by its slug, e.g. ``...#problem-step-refused``."""


@attrs.frozen
class Problem:
    """An RFC 9457 problem details document.

    :param type: a URI naming the kind of problem (see the web page of the docs).
    :param title: the kind of problem, in words.
    :param status: the HTTP status code.
    :param detail: the library's message: what went wrong and what to do next.
    :param error: the library's exception type, e.g. ``StepError``.
    :param problems: for a validation error, one ``path: problem`` line per fault.
    :param stage: for a refused step, the review's stage.
    :param allowed_steps: for a refused step, the steps allowed now.
    """

    type: str
    title: str
    status: int
    detail: str
    error: str
    problems: tuple[str, ...] = ()
    stage: str | None = None
    allowed_steps: tuple[str, ...] = ()


class HttpProblem(Exception):  # noqa: N818 - an HTTP answer, raised to end a request early
    """A problem the web layer finds itself (a bad body, a stale ``If-Match``, no sign-in).

    :param error: the ``error`` member: ``HttpProblem``, or the library's error type where the web
        layer asks the library's own rule first (an assessor the rule refuses: ``AssessmentError``).
    """

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        problems: Sequence[str] = (),
        *,
        error: str = "HttpProblem",
    ) -> None:
        super().__init__(detail)
        self.problem = Problem(f"{PROBLEM_TYPE_BASE}{slug}", title, status, detail, error, tuple(problems))


def _problem(status: int, slug: str, title: str, exc: EthicalDecisionsError, detail: str = "") -> Problem:
    return Problem(f"{PROBLEM_TYPE_BASE}{slug}", title, status, detail or str(exc), type(exc).__name__)


def problem_for(exc: EthicalDecisionsError, *, stale: bool = False) -> Problem:
    """The problem document for one of the library's errors.

    :param stale: the error is a :class:`ConflictError` the client's ``If-Match`` caused.
    """
    if isinstance(exc, ValidationError):
        found = _problem(422, "invalid", "The request is not valid", exc)
        return attrs.evolve(found, problems=exc.problems)
    if isinstance(exc, StepError):
        permitted = not isinstance(exc, NotPermittedError)
        found = (
            _problem(409, "step-refused", "The model does not allow this step now", exc)
            if permitted
            else _problem(403, "not-permitted", "You may not take this step", exc)
        )
        return attrs.evolve(found, stage=str(exc.stage), allowed_steps=tuple(str(s) for s in exc.allowed))
    if isinstance(exc, NotFoundError):
        # The id came from the address: say what was not found without repeating it.
        detail = f"No {exc.kind} with that id is in the store; check the id."
        return _problem(404, "not-found", "Not found", exc, detail)
    if isinstance(exc, ConflictError):
        if stale:
            return _problem(412, "stale", "The review has changed since you read it", exc)
        return _problem(409, "conflict", "The review changed while the step was being taken", exc)
    for kind, (status, slug, title) in _SIMPLE.items():
        if isinstance(exc, kind):
            return _problem(status, slug, title, exc)
    return _problem(500, "internal", "Something went wrong", exc, "The server could not take the step.")


_SIMPLE: dict[type[EthicalDecisionsError], tuple[int, str, str]] = {
    NoRouteError: (409, "no-route", "No escalation route is installed"),
    NotOnRecordError: (422, "not-on-record", "The request names something the store does not hold"),
    AssessmentError: (409, "assessment-refused", "The record cannot be assessed"),
    StoreError: (503, "store-unavailable", "The store cannot be used now"),
}
"""The library's errors answered with their own message and nothing more: status, slug, title."""
