"""The webhook transport, against a real HTTP server on 127.0.0.1 that fails, times out and recovers."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from ethical_decisions import DeliveryError, ValidationError
from ethical_decisions.transports import ReferralMessage, WebhookTransport, sign, verify_signature

from .conftest import WEBHOOK_SECRET
from .webhook import HANG, Receiver, WebhookServer

SENSITIVE = "The applicant's son was detained at the border on 3 March."


@pytest.fixture(name="message")
def _message() -> ReferralMessage:
    return ReferralMessage(
        message_id="rv-1#6",
        idempotency_key="rv-1-R6",
        kind="referral_submitted",
        referral_id="rv-1-R6",
        review_id="rv-1",
        route_id="safety_valve_mechanism",
        route_version="0.1.0",
        body={"referral_id": "rv-1-R6", "question": SENSITIVE, "concerns": [{"statement": SENSITIVE}]},
    )


@pytest.fixture(name="transport")
def _transport(webhook: WebhookServer) -> WebhookTransport:
    return WebhookTransport(webhook.url, WEBHOOK_SECRET, timeout=2)


def test_delivers_signed_json_with_idempotency_key(
    transport: WebhookTransport, receiver: Receiver, message: ReferralMessage
) -> None:
    """A 2xx answer is delivery; the POST carries the JSON body, its HMAC signature and idempotency key."""
    transport.deliver(message)

    [request] = receiver.requests
    expected_signature = "sha256=" + hmac.new(WEBHOOK_SECRET, request.body, hashlib.sha256).hexdigest()
    assert (request.method, request.path) == ("POST", "/referrals")
    assert request.headers["content-type"] == "application/json"
    assert request.headers["idempotency-key"] == "rv-1-R6"
    assert expected_signature == request.headers["x-edm-signature"]
    assert dict(message.body) == json.loads(request.body)
    assert {"rv-1-R6": dict(message.body)} == receiver.accepted


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (408, True),
        (429, True),
        (500, True),
        (503, True),
        (400, False),
        (401, False),
        (404, False),
        (422, False),
    ],
)
def test_failure_statuses_name_only_the_status(
    transport: WebhookTransport, receiver: Receiver, message: ReferralMessage, status: int, retryable: bool
) -> None:
    """408, 429 and 5xx are worth retrying, any other 4xx not; the error names the status, never the body."""
    receiver.script = [status]

    with pytest.raises(DeliveryError) as caught:
        transport.deliver(message)

    assert retryable == caught.value.retryable
    assert f"HTTP {status}" in str(caught.value)
    assert SENSITIVE not in str(caught.value)
    assert caught.value.__cause__ is None
    assert receiver.accepted == {}


def test_redirect_is_refused_not_followed(
    transport: WebhookTransport, receiver: Receiver, message: ReferralMessage
) -> None:
    """A redirect is not followed (urllib would re-send it as a GET without the body) and is not retried."""
    receiver.script = [302]

    with pytest.raises(DeliveryError) as caught:
        transport.deliver(message)

    assert not caught.value.retryable
    assert [r.method for r in receiver.requests] == ["POST"]


def test_timeout_is_retryable(webhook: WebhookServer, receiver: Receiver, message: ReferralMessage) -> None:
    """A receiver that does not answer within the timeout gives a retryable DeliveryError."""
    receiver.script = [HANG]
    transport = WebhookTransport(webhook.url, WEBHOOK_SECRET, timeout=0.2)

    with pytest.raises(DeliveryError) as caught:
        transport.deliver(message)

    assert caught.value.retryable
    assert "0.2 s" in str(caught.value)
    assert SENSITIVE not in str(caught.value)


def test_refused_connection_is_retryable(
    webhook: WebhookServer, transport: WebhookTransport, message: ReferralMessage
) -> None:
    """With the receiver stopped, the refused connection gives a retryable DeliveryError naming its type."""
    webhook.stop()

    with pytest.raises(DeliveryError) as caught:
        transport.deliver(message)

    assert caught.value.retryable
    assert "ConnectionRefusedError" in str(caught.value)


def test_recovers_after_failure_and_outage(
    webhook: WebhookServer, transport: WebhookTransport, receiver: Receiver, message: ReferralMessage
) -> None:
    """After a 500 and an outage, the same message is delivered once the receiver is back."""
    receiver.script = [500]
    with pytest.raises(DeliveryError):
        transport.deliver(message)
    webhook.stop()
    with pytest.raises(DeliveryError):
        transport.deliver(message)
    webhook.start()

    transport.deliver(message)

    assert list(receiver.accepted) == ["rv-1-R6"]


def test_receiver_honours_the_idempotency_key(
    transport: WebhookTransport, receiver: Receiver, message: ReferralMessage
) -> None:
    """Every attempt at a message carries the same key, so a receiver that honours it acts once."""
    transport.deliver(message)
    transport.deliver(message)

    assert len(receiver.accepted) == 1
    assert receiver.repeats == 1
    assert {"rv-1-R6"} == {r.headers["idempotency-key"] for r in receiver.requests}


def test_wrong_secret_is_refused_for_good(
    webhook: WebhookServer, receiver: Receiver, message: ReferralMessage
) -> None:
    """A receiver that cannot verify the signature refuses it (401), and retrying would not help."""
    transport = WebhookTransport(webhook.url, b"not-the-shared-secret")

    with pytest.raises(DeliveryError) as caught:
        transport.deliver(message)

    assert not caught.value.retryable
    assert [r.signature_ok for r in receiver.requests] == [False]


@pytest.mark.parametrize(
    ("url", "secret", "timeout"),
    [
        ("file:///etc/passwd", "s", 5),
        ("ftp://files.example/upload", "s", 5),
        ("https:///no-host", "s", 5),
        ("https://receiver.example/hook?token=abc", "", 5),
        ("https://receiver.example/hook?token=abc", "s", 0),
        ("https://receiver.example/hook?token=abc", "s", 121),
        ("https://receiver.example/hook?token=abc", 32, 5),
        ("https://receiver.example/hook?token=abc", None, 5),
    ],
)
def test_bad_configuration_is_refused_without_echoing_it(url: str, secret: str, timeout: float) -> None:
    """Only http(s) URLs with a host, a non-empty secret and a timeout up to 120 s are accepted.

    The error never repeats the URL, which may carry a token.
    """
    with pytest.raises(ValidationError) as caught:
        WebhookTransport(url, secret, timeout)

    assert url not in str(caught.value)


def test_repr_hides_url_and_secret() -> None:
    """Neither the URL (which may carry a token) nor the secret appears in the transport's repr."""
    transport = WebhookTransport("https://receiver.example/hook?token=abc", "s3cret")

    assert "token" not in repr(transport)
    assert "s3cret" not in repr(transport)


def test_signature_helpers_agree_with_hmac(message: ReferralMessage) -> None:
    """``sign`` is the hex HMAC-SHA256 of the body; ``verify_signature`` accepts it and nothing else."""
    body = message.json()
    expected = "sha256=" + hmac.new(b"k", body, hashlib.sha256).hexdigest()

    assert expected == sign(body, b"k")
    assert verify_signature(body, b"k", expected)
    assert not verify_signature(body + b" ", b"k", expected)
    assert not verify_signature(body, b"k", None)
