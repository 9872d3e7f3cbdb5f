"""Transports: how a referral message reaches a route's team.

The relay (:mod:`ethical_decisions.relay`) hands each outbox message to its
route's transport. A transport either returns (delivered) or raises
:class:`~ethical_decisions.DeliveryError` (the relay retries, then keeps the
message as a dead letter). Every message carries an idempotency key, the same
on every attempt, so a team's system can ignore a repeat.

Two transports ship with the library:

- :class:`QueueTransport`, the default: the referral waits in the store's own
  queue and the route's team works it through the library;
- :class:`WebhookTransport`: an HTTP POST of the message's JSON, signed with a
  secret shared with the team's system, for teams that run their own.
"""

from __future__ import annotations

import functools
import urllib.parse
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, SupportsFloat, SupportsIndex, runtime_checkable

import attrs

from .exceptions import DeliveryError, ValidationError
from .serialization import canonical_json

if TYPE_CHECKING:
    import urllib.request

__all__ = [
    "SIGNATURE_HEADER",
    "QueueTransport",
    "ReferralMessage",
    "Transport",
    "WebhookTransport",
    "sign",
    "verify_signature",
]

SIGNATURE_HEADER = "X-EDM-Signature"
"""The header that carries ``sha256=<hex HMAC-SHA256 of the body with the shared secret>``."""

_RETRYABLE_CLIENT_ERRORS = frozenset({408, 429})
_MAX_TIMEOUT = 120  # well inside the relay's default lease of five minutes


@attrs.frozen
class ReferralMessage:
    """One message to a route's team about a referral.

    :param message_id: the outbox row's id.
    :param idempotency_key: the same for every attempt at this message; the
        referral id for its submission.
    :param kind: the event it reports, e.g. ``"referral_submitted"``.
    :param body: the JSON document the team receives.
    """

    message_id: str
    idempotency_key: str
    kind: str
    referral_id: str
    review_id: str
    route_id: str
    route_version: str
    body: Mapping[str, Any] = attrs.field(repr=False)

    def json(self) -> bytes:
        """The body as the UTF-8 JSON the team receives: canonical, so its signature is stable."""
        return canonical_json(self.body).encode("utf-8")


@runtime_checkable
class Transport(Protocol):
    """Delivers referral messages to a route's team."""

    @property
    def name(self) -> str:
        """A short name for logs and listings, e.g. ``"queue"`` or ``"webhook"``."""

    def deliver(self, message: ReferralMessage) -> None:
        """Deliver *message*, or raise :class:`~ethical_decisions.DeliveryError`.

        Say in ``retryable`` whether trying again may help. The message of an
        error a plugin's transport raises is not kept (only its type is, on the
        outbox row and in the logs), so it cannot carry the referral's words to
        an operator's screen; log what you need in your own system.
        """


@attrs.frozen
class QueueTransport:
    """The default transport: the referral waits in the store's own queue.

    The route's team lists, acknowledges and answers its referrals through the
    library (``ethical-decisions referrals``), so delivery has nothing more to do.
    """

    @property
    def name(self) -> str:
        """``"queue"``."""
        return "queue"

    def deliver(self, message: ReferralMessage) -> None:
        """Nothing to send: the referral is already in the store."""


def sign(body: bytes, secret: bytes) -> str:
    """The signature header's value for *body*: ``"sha256=<hex HMAC-SHA256>"``."""
    import hmac  # noqa: PLC0415 - only webhooks sign: loaded on first use, not with the library

    return "sha256=" + hmac.digest(secret, body, "sha256").hex()


def verify_signature(body: bytes, secret: bytes, signature: str | None) -> bool:
    """Whether *signature* (the header's value) was made from *body* with *secret*.

    For a team's receiver written in Python; compares in constant time.
    """
    import hmac  # noqa: PLC0415 - as in sign

    return signature is not None and hmac.compare_digest(sign(body, secret), signature)


def _check_url(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    parts = urllib.parse.urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(
            "The webhook's configuration", ["url: must be an http:// or https:// URL with a host name"]
        )


def _check_secret(instance: object, attribute: attrs.Attribute[Any], value: bytes) -> None:
    if not value:
        raise ValidationError(
            "The webhook's configuration", ["secret: must not be empty; share one with the receiver"]
        )


def _check_timeout(instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not 0 < value <= _MAX_TIMEOUT:
        raise ValidationError(
            "The webhook's configuration",
            [f"timeout: must be more than 0 and at most {_MAX_TIMEOUT} seconds"],
        )


def _to_seconds(value: SupportsFloat | SupportsIndex | str) -> float:
    # float(value) in a function: attrs reads a converter's signature when it makes the class,
    # and reading float's (parsed from its text signature) costs about a millisecond at import.
    return float(value)


def _to_bytes(value: str | bytes) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    raise ValidationError("The webhook's configuration", ["secret: must be text or bytes"])


@functools.cache
def _opener() -> urllib.request.OpenerDirector:
    """An opener that refuses redirects: urllib would follow one with a GET that drops the body.

    Made on first delivery, so that importing the library does not import
    urllib's HTTP machinery (``http.client``, ``email``), which most services never use.
    """
    import urllib.request  # noqa: PLC0415 - slow to import: loaded on first delivery, as said above

    class NoRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    return urllib.request.build_opener(NoRedirects)


@attrs.frozen
class WebhookTransport:
    """POSTs each message's JSON to the route team's own system.

    Each request carries the headers ``Content-Type: application/json``,
    ``Idempotency-Key`` (the same on every attempt at a message) and
    ``X-EDM-Signature: sha256=<hex>``, the HMAC-SHA256 of the exact body with
    the shared *secret*, which the receiver should check before trusting the
    body (see :func:`verify_signature`).

    A 2xx answer means delivered. 408, 429, any 5xx, a timeout or a connection
    that fails is worth retrying; any other answer (including a redirect, which
    is not followed) is not, and the message becomes a dead letter at once. The
    errors raised name the status or the kind of failure only, never the body.

    :param url: where to POST, ``http://`` or ``https://``.
    :param secret: the secret shared with the receiver.
    :param timeout: seconds to wait for the receiver to connect and answer.
    """

    url: str = attrs.field(validator=_check_url, repr=False)
    secret: bytes = attrs.field(converter=_to_bytes, validator=_check_secret, repr=False)
    timeout: float = attrs.field(default=10.0, converter=_to_seconds, validator=_check_timeout)

    @property
    def name(self) -> str:
        """``"webhook"``."""
        return "webhook"

    def deliver(self, message: ReferralMessage) -> None:
        """POST *message*; return if the receiver answered 2xx.

        :raises DeliveryError: naming the status or the failure, and whether retrying may help.
        """
        import http.client  # noqa: PLC0415 - slow to import: see _opener
        import urllib.error  # noqa: PLC0415 - likewise
        import urllib.request  # noqa: PLC0415 - likewise

        body = message.json()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": message.idempotency_key,
                SIGNATURE_HEADER: sign(body, self.secret),
                "User-Agent": "ethical-decisions",
            },
        )
        try:
            with _opener().open(request, timeout=self.timeout) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            exc.close()
            status = exc.code
        except urllib.error.URLError as exc:
            failure = type(exc.reason).__name__ if isinstance(exc.reason, BaseException) else "URLError"
            raise self._unreachable(failure) from None
        except (OSError, http.client.HTTPException) as exc:  # timeouts, resets, malformed answers
            raise self._unreachable(type(exc).__name__) from None
        _check_status(status)

    def _unreachable(self, failure: str) -> DeliveryError:
        return DeliveryError(
            f"The webhook could not be reached or did not answer within {self.timeout:g} s ({failure}); "
            "the relay will try again.",
            retryable=True,
        )


def _check_status(status: int) -> None:
    if 200 <= status < 300:
        return
    if status >= 500 or status in _RETRYABLE_CLIENT_ERRORS or status < 200:
        raise DeliveryError(f"The webhook answered HTTP {status}; the relay will try again.", retryable=True)
    if 300 <= status < 400:
        problem = "a redirect, which is not followed; configure the final URL"
    else:
        problem = "a refusal; check the webhook's URL and shared secret and the receiver"
    raise DeliveryError(
        f"The webhook answered HTTP {status}, {problem}, then re-drive the dead letter.", retryable=False
    )
