r"""Tamper evidence: every event sealed into one SHA-256 hash chain.

Sealing an event splits it in two. The *body* is the event's canonical JSON
with each free-text string replaced by a salted digest of it; the *texts* are
the strings themselves, by path. The chain runs over the bodies of all events
of all reviews in the order they were stored::

    hash[n] = SHA-256(hash[n-1] + "\\n" + body[n])        hash[0] = "0" * 64

so changing, removing, inserting or reordering any event, or removing a whole
review, breaks every later link. Because the chain commits to digests rather
than the words, the words can be erased at the end of retention and the chain
still verifies; :func:`verify` then checks that an erasure was recorded.

Removing events from the very end of the chain leaves a shorter chain that is
still consistent: keep a copy of :class:`ChainHead` elsewhere and pass it to
:func:`verify` to detect that too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from .events import Event, FreeTextErased
from .exceptions import IntegrityError, SchemaVersionError, ValidationError
from .freetext import free_text_paths, free_texts, key_path, locate, path_key
from .serialization import canonical_json, event_from_dict, event_to_dict

__all__ = [
    "ERASED",
    "GENESIS",
    "BrokenLink",
    "ChainHead",
    "ChainRecord",
    "SealedEvent",
    "VerificationReport",
    "chain_hash",
    "seal",
    "unseal",
    "verify",
]

GENESIS = "0" * 64
"""The hash before the first event."""

ERASED = "[erased]"
"""What erased free text reads as when a review is loaded."""


@attrs.frozen
class SealedEvent:
    """An event split for storage: digested body, free texts and their salt."""

    review_id: str
    sequence: int
    kind: str
    occurred_at: dt.datetime
    body: str
    texts: Mapping[str, str | None]
    salt: str


@attrs.frozen
class ChainRecord:
    """A sealed event as stored, with its place and hash in the chain.

    :param position: its place in the chain, from 1, without gaps.
    :param texts: free texts by path; a value is ``None`` once erased.
    :param salt: hex salt of the text digests; ``None`` once erased.
    """

    position: int
    review_id: str
    sequence: int
    kind: str
    occurred_at: dt.datetime
    body: str = attrs.field(repr=False)
    texts: Mapping[str, str | None] = attrs.field(repr=False)
    salt: str | None = attrs.field(repr=False)
    hash: str

    def event(self) -> Event:
        """The event, with erased text read as :data:`ERASED`.

        :raises IntegrityError: if the stored record cannot be read as an event
            (it was changed outside the library); :func:`verify` says where.
        :raises SchemaVersionError: if a newer version of the library wrote it.
        """
        try:
            return unseal(self.body, self.texts)
        except SchemaVersionError:
            raise
        except ValidationError as exc:
            problems = "; ".join(exc.problems)
            raise IntegrityError(
                f"The stored event at position {self.position} (event {self.sequence} of its review) "
                f"cannot be read ({problems}): it was changed outside the library. "
                "Keep the store as it is and run verify to find where the audit chain breaks."
            ) from None


@attrs.frozen
class ChainHead:
    """The last link of the chain: keep a copy elsewhere to detect truncation."""

    position: int
    hash: str


@attrs.frozen
class BrokenLink:
    """Where and how the chain first fails to verify."""

    position: int
    review_id: str | None
    sequence: int | None
    problem: str

    def __str__(self) -> str:
        where = f"position {self.position}"
        if self.review_id is not None:
            where += f" (review {self.review_id!r}, event {self.sequence})"
        return f"{where}: {self.problem}"


@attrs.frozen
class VerificationReport:
    """The result of :func:`verify`.

    :param broken: the first broken link, or ``None`` when the chain is intact.
    """

    events: int
    reviews: int
    head: ChainHead | None
    broken: BrokenLink | None = None

    @property
    def ok(self) -> bool:
        """Whether the chain verified."""
        return self.broken is None

    def __str__(self) -> str:
        if self.broken is None:
            head = f"; head {self.head.hash} at position {self.head.position}" if self.head else ""
            return f"intact: {self.events} events in {self.reviews} reviews{head}"
        return f"BROKEN at {self.broken}"


def chain_hash(previous: str, body: str) -> str:
    """The link hash of *body* after a link with hash *previous*."""
    return hashlib.sha256(f"{previous}\n{body}".encode()).hexdigest()


def _digest(salt: str, key: str, text: str) -> str:
    return "sha256:" + hashlib.sha256(f"{salt}\n{key}\n{text}".encode()).hexdigest()


def seal(event: Event, salt: str) -> SealedEvent:
    """Split *event* into a digested body and its free texts, with *salt* (hex).

    :raises ValidationError: if a text holds characters no store can keep
        (an unpaired surrogate, as from a badly decoded form), naming where.
    """
    try:
        # Nearly every event is storable: encoding its texts (for their digests) and its body
        # proves it, without first walking every string in it.
        return _seal(event, event_to_dict(event), salt, check=True)
    except UnicodeEncodeError:
        pass
    data = event_to_dict(event)
    unstorable = list(_unstorable(data, ()))
    if unstorable:
        problem = "holds characters that cannot be stored (unpaired surrogates); check how it was decoded"
        raise ValidationError("The event", [f"{p}: {problem}" for p in unstorable])
    return _seal(event, data, salt, check=False)


def _seal(event: Event, data: dict[str, Any], salt: str, *, check: bool) -> SealedEvent:
    """The sealed event; with *check*, raises :class:`UnicodeEncodeError` if any string is unstorable."""
    texts: dict[str, str | None] = {}
    for path, text in free_texts(event):
        key = path_key(path)
        texts[key] = text
        container, last = locate(data, path)
        container[last] = _digest(salt, key, text)
    body = canonical_json(data)
    if check:
        body.encode()
    return SealedEvent(
        review_id=event.review_id,
        sequence=event.sequence,
        kind=event.kind,
        occurred_at=event.occurred_at,
        body=body,
        texts=texts,
        salt=salt,
    )


def _unstorable(data: Any, path: tuple[str, ...]) -> Iterable[str]:
    """The paths of the strings in *data* that UTF-8 cannot encode (and so no SQL store can keep)."""
    if isinstance(data, str):
        try:
            data.encode("utf-8")
        except UnicodeEncodeError:
            yield ".".join(path) or "$"
    elif isinstance(data, Mapping):
        for key, value in data.items():
            yield from _unstorable(value, (*path, str(key)))
    elif isinstance(data, list | tuple):
        for index, value in enumerate(data):
            yield from _unstorable(value, (*path, str(index)))


def unseal(body: str, texts: Mapping[str, str | None]) -> Event:
    """The event from a sealed body and its texts (``None`` texts read as :data:`ERASED`).

    :raises ValidationError: if the body and texts are not a sealed event.
    :raises SchemaVersionError: if a newer version of the library sealed it.
    """
    try:
        data = json.loads(body)
        for key, text in texts.items():
            if not isinstance(text, str | None):
                raise TypeError(key)
            container, last = locate(data, key_path(key))
            container[last] = ERASED if text is None else text
    except (ValueError, LookupError, TypeError, AttributeError, RecursionError):
        raise ValidationError(
            "The sealed event", ["$: its body or free texts are not those of a sealed event"]
        ) from None
    return event_from_dict(data)


def verify(records: Iterable[ChainRecord], *, expected_head: ChainHead | None = None) -> VerificationReport:
    """Check the chain, streaming, and report the first broken link.

    Checks, for every record in position order: positions run 1, 2, 3… without
    gaps; each link's hash follows from the previous link and its body; the
    body names the review and sequence the record is filed under, and each
    review's events run 1, 2, 3…; every free text still held matches its
    digest, and text is missing only from reviews whose erasure is recorded.

    :param expected_head: a head kept elsewhere; the chain must reach it.
    """
    verifier = _Verifier(expected_head)
    for record in records:
        problem = verifier.check(record)
        if problem is not None:
            return verifier.report(BrokenLink(record.position, record.review_id, record.sequence, problem))
    return verifier.report(verifier.finish())


class _Verifier:
    """The running state of :func:`verify`."""

    def __init__(self, expected_head: ChainHead | None) -> None:
        self.expected_head = expected_head
        self.previous = GENESIS
        self.position = 0
        self.last_sequence: dict[str, int] = {}
        self.erased_reviews: set[str] = set()
        self.awaiting_erasure: dict[str, ChainRecord] = {}
        self.hash_at_expected: str | None = None

    def report(self, broken: BrokenLink | None) -> VerificationReport:
        head = ChainHead(self.position, self.previous) if self.position else None
        return VerificationReport(
            events=self.position, reviews=len(self.last_sequence), head=head, broken=broken
        )

    def check(self, record: ChainRecord) -> str | None:
        """Check one record; the problem found, or ``None``."""
        expected_position = self.position + 1
        if record.position != expected_position:
            return f"expected position {expected_position} but found {record.position}: events are missing"
        if chain_hash(self.previous, record.body) != record.hash:
            return "the event does not match its hash: it was changed, inserted or moved"
        try:
            body = json.loads(record.body)
            named = (body["review_id"], body["sequence"], body["payload"]["type"])
        except (ValueError, KeyError, TypeError):
            return "the event body is not an event"
        if named != (record.review_id, record.sequence, record.kind):
            return "the event is filed under another review, sequence or kind than its body says"
        expected_sequence = self.last_sequence.get(record.review_id, 0) + 1
        if record.sequence != expected_sequence:
            return f"expected event {expected_sequence} of this review: events are missing or moved"
        if record.kind == FreeTextErased.kind:
            self.erased_reviews.add(record.review_id)
        problem = self._check_texts(record, body)
        if problem is not None:
            return problem
        self.last_sequence[record.review_id] = record.sequence
        self.previous = record.hash
        self.position = record.position
        if self.expected_head is not None and self.position == self.expected_head.position:
            self.hash_at_expected = record.hash
        return None

    def _check_texts(self, record: ChainRecord, body: Any) -> str | None:
        texts: object = record.texts  # read from a store's row: anything, if it was tampered with
        if not isinstance(texts, Mapping):
            return "the event's free texts are not readable: they were changed"
        try:
            expected = {path_key(path) for path in free_text_paths(event_from_dict(body))}
        except SchemaVersionError:
            return "the event was written by a newer version of ethical-decisions: verify with that version"
        except ValidationError:
            return "the event body is not an event"
        missing = sorted(expected - set(texts))
        if missing:
            return f"free text {missing[0]} was removed"
        for key, text in texts.items():
            if not isinstance(key, str) or not isinstance(text, str | None):
                return "the event's free texts are not readable: they were changed"
            try:
                container, last = locate(body, key_path(key))
                digest = container[last]
            except (KeyError, IndexError, ValueError, TypeError):
                return f"free text {key} has no digest in the event"
            if text is None:
                if record.review_id not in self.erased_reviews:
                    self.awaiting_erasure.setdefault(record.review_id, record)
            elif record.salt is None or _digest(record.salt, key, text) != digest:
                return f"free text {key} was changed"
        return None

    def finish(self) -> BrokenLink | None:
        """Checks that need the whole chain: erasures recorded, and the head kept elsewhere reached."""
        for review_id, record in self.awaiting_erasure.items():
            if review_id not in self.erased_reviews:
                return BrokenLink(
                    record.position,
                    review_id,
                    record.sequence,
                    "free text is missing but no erasure is recorded for the review",
                )
        head = self.expected_head
        if head is None:
            return None
        if self.position < head.position:
            return BrokenLink(
                self.position + 1,
                None,
                None,
                f"the chain ends at position {self.position}, before the head kept elsewhere "
                f"(position {head.position}): events were removed from the end",
            )
        if self.hash_at_expected != head.hash:
            return BrokenLink(
                head.position,
                None,
                None,
                "the link differs from the head kept elsewhere: the chain was rewritten",
            )
        return None
