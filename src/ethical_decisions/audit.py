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
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

import attrs

from .events import ISSUE_PREFIX, PAYLOAD_TYPES, Event, FreeTextErased
from .events import SCHEMA_VERSION as EVENT_SCHEMA_VERSION
from .exceptions import IntegrityError, SchemaVersionError, ValidationError
from .freetext import free_text_paths, free_texts, key_path, locate, path_key
from .serialization import canonical_json, event_from_dict, event_to_dict

__all__ = [
    "ERASED",
    "GENESIS",
    "NO_ERASURE",
    "BrokenLink",
    "ChainHead",
    "ChainRecord",
    "Links",
    "SealedEvent",
    "VerificationReport",
    "against_head",
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

    :param reviews: the reviews whose trails are in the chain.
    :param broken: the first broken link, or ``None`` when the chain is intact.
    :param issues: the systemic issues whose trails are in the chain.
    """

    events: int
    reviews: int
    head: ChainHead | None
    broken: BrokenLink | None = None
    issues: int = 0

    @property
    def ok(self) -> bool:
        """Whether the chain verified."""
        return self.broken is None

    def __str__(self) -> str:
        if self.broken is None:
            head = f"; head {self.head.hash} at position {self.head.position}" if self.head else ""
            issues = f" and {self.issues} systemic issues" if self.issues else ""
            return f"intact: {self.events} events in {self.reviews} reviews{issues}{head}"
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
    body names the review, sequence and kind the record is filed under, and each
    review's events run 1, 2, 3…; every free text still held matches its
    digest, and text is missing only from reviews whose erasure is recorded.

    It keeps each review's last sequence, so its memory grows with the number
    of reviews: a store's own :meth:`~ethical_decisions.Store.verify`
    checks the same in constant memory, and checks the store's tables too.

    :param expected_head: a head kept elsewhere; the chain must reach it.
    """
    links = Links()
    last_sequence: dict[str, int] = {}
    erased_reviews: set[str] = set()
    awaiting_erasure: dict[str, ChainRecord] = {}
    hash_at_expected: str | None = None
    for record in records:
        problem = links.check(
            (
                record.position,
                record.review_id,
                record.sequence,
                record.kind,
                record.body,
                record.texts,
                record.salt,
                record.hash,
            )
        )
        if problem is None:
            expected_sequence = last_sequence.get(record.review_id, 0) + 1
            if record.sequence != expected_sequence:
                problem = f"expected event {expected_sequence} of this review: events are missing or moved"
        if problem is not None:
            broken = BrokenLink(record.position, record.review_id, record.sequence, problem)
            return _report(links, last_sequence.keys(), broken)
        links.advance(record.position, record.hash)
        last_sequence[record.review_id] = record.sequence
        if record.kind == FreeTextErased.kind:
            erased_reviews.add(record.review_id)
        if links.erased and record.review_id not in erased_reviews:
            awaiting_erasure.setdefault(record.review_id, record)
        if expected_head is not None and record.position == expected_head.position:
            hash_at_expected = record.hash
    for review_id, record in awaiting_erasure.items():
        if review_id not in erased_reviews:
            unerased = BrokenLink(record.position, review_id, record.sequence, NO_ERASURE)
            return _report(links, last_sequence.keys(), unerased)
    return _report(links, last_sequence.keys(), against_head(links.head, expected_head, hash_at_expected))


NO_ERASURE = "free text is missing but no erasure is recorded for the review"
"""The problem verify reports for an event whose words are gone without a recorded erasure."""


def _report(links: Links, trails: Collection[str], broken: BrokenLink | None) -> VerificationReport:
    issues = sum(1 for t in trails if t.startswith(ISSUE_PREFIX))
    return VerificationReport(
        events=links.position, reviews=len(trails) - issues, head=links.head, broken=broken, issues=issues
    )


def against_head(
    head: ChainHead | None, kept: ChainHead | None, hash_at_kept: str | None
) -> BrokenLink | None:
    """The problem, if any, with a chain ending at *head* that should reach *kept*, a head kept elsewhere.

    :param hash_at_kept: the hash the chain has at the kept head's position.
    """
    if kept is None:
        return None
    position = head.position if head is not None else 0
    if position < kept.position:
        return BrokenLink(
            position + 1,
            None,
            None,
            f"the chain ends at position {position}, before the head kept elsewhere "
            f"(position {kept.position}): events were removed from the end",
        )
    if hash_at_kept != kept.hash:
        return BrokenLink(
            kept.position,
            None,
            None,
            "the link differs from the head kept elsewhere: the chain was rewritten",
        )
    return None


_PAYLOAD_KINDS = frozenset(cls.kind for cls in PAYLOAD_TYPES)
"""The kinds this version knows: none holds a character JSON escapes, so each is written as it is."""
_scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # set in its __init__
_sha256 = hashlib.sha256
_DIGEST = '"sha256:'
"""How every digest a body holds begins, as JSON: sealing writes each as ``"sha256:<hex>"``."""
_UNREADABLE_TEXTS = "the event's free texts are not readable: they were changed"
_NOT_AN_EVENT = "the event body is not an event"
_MISFILED = "the event is filed under another review, sequence or kind than its body says"
_NEWER = "the event was written by a newer version of ethical-decisions: verify with that version"


class Links:
    """Checks the chain one record at a time, in position order, keeping only the last link.

    For each record: its position follows the last; its hash links its body to
    the last link; its body names the review, sequence and kind it is filed
    under, and was written by this version or an older one; every free text
    it holds matches its salted digest in the body, and no text the body has a
    digest for is missing. Whether each review's events run 1, 2, 3… and
    whether a review whose words are gone has its erasure recorded need more
    than one record: :func:`verify` keeps what they need, a store checks them
    in its own tables.

    The body is not parsed where it can be avoided: the check reads the ids
    from the end of the canonical JSON (the event's last three fields), the
    kind from its type tag, and finds each text's digest in the text; a record
    that does not pass that way is checked again by parsing it, to name the
    problem. The events themselves are validated when a store's projections
    are checked (each review is replayed).
    """

    def __init__(self) -> None:
        self.previous = GENESIS
        self.position = 0
        self.erased = False
        """Whether the record last checked has free text erased (its review must record an erasure)."""
        self.hash_at_kept: str | None = None
        """The hash at the position :meth:`consume` was asked to keep, once it has passed it."""

    @property
    def head(self) -> ChainHead | None:
        """The last link checked, or ``None`` before the first."""
        return ChainHead(self.position, self.previous) if self.position else None

    def check(self, row: Sequence[object]) -> str | None:
        """Check one record, given as its columns; the problem found, or ``None``.

        *row* holds the position, review id, sequence, kind, body, free texts
        (a mapping, or the JSON text a store keeps them in), salt and hash, each
        as read from a store: of any type, if the row was changed. A record that
        passes becomes the last link once :meth:`advance` is called with it.
        """
        position, review_id, sequence, kind, body, texts, salt, hash_ = row
        if position != self.position + 1:
            return f"expected position {self.position + 1} but found {position}: events are missing"
        if type(body) is not str or _sha256(f"{self.previous}\n{body}".encode()).hexdigest() != hash_:
            return "the event does not match its hash: it was changed, inserted or moved"
        problem = _filing(body, review_id, sequence, kind)
        if problem is None:
            problem, self.erased = _texts(body, texts, salt)
        return problem

    def advance(self, position: int, hash_: str) -> None:
        """Make the record just checked, at *position* with *hash_*, the last link."""
        self.previous = hash_
        self.position = position

    def consume(
        self,
        rows: Iterable[Sequence[Any]],
        *,
        kept: int | None = None,
        tell: Callable[[int], object] | None = None,
    ) -> tuple[Sequence[Any], str] | None:
        """Check *rows* in order (as :meth:`check`), each becoming the last link; the first bad one.

        The same checks as :meth:`check`, written out inline for the common record (filed as its
        body says, every text present and its digest in the body): a store's whole chain goes
        through here, and each call saved counts. Any other record is handed to :meth:`check`.

        :param kept: a position whose hash to keep in :attr:`hash_at_kept` (a head kept elsewhere).
        :param tell: called with the position every 4096 records, for progress.
        :returns: the first record with a problem, and the problem; ``None`` if every one passed.
        """
        previous, at, erased = self.previous, self.position, False
        try:
            for row in rows:
                position, review_id, sequence, kind, body, stored, salt, hash_ = row
                quick = (
                    position == at + 1
                    and type(body) is str
                    and _sha256(f"{previous}\n{body}".encode()).hexdigest() == hash_
                    and type(review_id) is str
                    and type(stored) is str
                    and type(salt) is str
                    and kind in _PAYLOAD_KINDS
                )
                if quick:  # filed as the body says: its last three fields, and its payload's type
                    ids = ',"review_id":"' + review_id + '","schema_version":'
                    found = body.rfind(ids)
                    version, _, rest = body[found + len(ids) :].partition(',"sequence":')
                    quick = (
                        found >= 0
                        and rest == f"{sequence}}}"
                        and version.isdigit()
                        and version.isascii()
                        and int(version) <= EVENT_SCHEMA_VERSION
                        and '"type":"' + kind + '"' in body
                    )
                if quick and _every_digest_found(body, stored, salt):
                    erased = False
                else:
                    self.previous, self.position = previous, at
                    problem = self.check(row)
                    if problem is not None:
                        return row, problem
                    erased = self.erased
                previous, at = hash_, position
                if at == kept:
                    self.hash_at_kept = previous
                if tell is not None and not at % 4096:
                    tell(at)
        finally:
            self.previous, self.position, self.erased = previous, at, erased
        return None


def _every_digest_found(body: str, stored: str, salt: str) -> bool:
    """Whether every text of *stored* (JSON) is there and its digest in *body*, as many as it holds.

    The quick form of :func:`_texts`, for a record with no text erased.
    """
    try:
        texts, end = _scan(stored, 0)  # the C scanner, without json.loads' wrapper: stores write no spaces
    except (StopIteration, ValueError, RecursionError):
        return False
    if end != len(stored) or type(texts) is not dict or body.count(_DIGEST) != len(texts):
        return False
    salted = salt + "\n"
    for key, text in texts.items():
        if type(text) is not str or _sha256(f"{salted}{key}\n{text}".encode()).hexdigest() not in body:
            return False
    return True


def _filing(body: str, review_id: object, sequence: object, kind: object) -> str | None:
    """The problem with where a record is filed (review, sequence, kind), given its authentic body.

    The body is canonical JSON: its last three fields are the review id, the schema version and
    the sequence, and its payload's kind is the only ``type`` with a payload kind for value. An
    id is letters, digits and ``._:-``: written as it is, with no escapes.
    """
    if type(review_id) is str and type(sequence) is int and type(kind) is str and kind in _PAYLOAD_KINDS:
        ids = ',"review_id":"' + review_id + '","schema_version":'
        at = body.rfind(ids)
        if at > 0:
            version, _, rest = body[at + len(ids) :].partition(',"sequence":')
            tagged = '"type":"' + kind + '"' in body
            if tagged and rest == f"{sequence}}}" and version.isdigit() and version.isascii():
                return _NEWER if int(version) > EVENT_SCHEMA_VERSION else None
    return _filing_parsed(body, review_id, sequence, kind)


def _filing_parsed(body: str, review_id: object, sequence: object, kind: object) -> str | None:
    try:
        data = json.loads(body)
        named = (data["review_id"], data["sequence"], data["payload"]["type"])
        version = data["schema_version"]
    except (ValueError, KeyError, TypeError, RecursionError):
        return _NOT_AN_EVENT
    if named != (review_id, sequence, kind):
        return _MISFILED
    if isinstance(version, int) and not isinstance(version, bool) and version > EVENT_SCHEMA_VERSION:
        return _NEWER
    return None


def _texts(body: str, stored: object, salt: object) -> tuple[str | None, bool]:
    """The problem with a record's free texts, and whether any is erased.

    Without parsing the body when it can: the body holds as many digests as
    there are texts, each text's digest is in it, and each erased text's key
    leads to a digest. Every free text of an event sealed by :func:`seal` sits
    in its body as a digest, so the texts then cover them all. Anything else
    is looked at again with the body parsed into an event, to name the problem.
    """
    texts = stored
    if isinstance(stored, str):
        try:  # the C scanner, without json.loads' wrapper: stores write canonical JSON, no spaces
            texts, end = _scan(stored, 0)
        except (StopIteration, ValueError, RecursionError):
            return _UNREADABLE_TEXTS, False
        if end != len(stored):
            return _UNREADABLE_TEXTS, False
    if type(texts) is not dict:
        return _UNREADABLE_TEXTS, False
    if body.count(_DIGEST) == len(texts):
        if type(salt) is str:
            salted = salt + "\n"
            for key, text in texts.items():  # nearly always: every text there, with its digest
                if type(key) is not str or type(text) is not str:
                    break
                digest = _sha256(f"{salted}{key}\n{text}".encode()).hexdigest()
                if f'"sha256:{digest}"' not in body:
                    break
            else:
                return None, False
        found = _digests_found(body, texts, salt)
        if found is not None:
            return None, found
    return _texts_parsed(body, texts, salt)


def _digests_found(body: str, texts: dict[Any, Any], salt: object) -> bool | None:
    """Whether some text is erased, if every text's digest is in *body*; ``None`` if one is not found.

    An erased text (with the salt gone too) cannot be digested again: its key must lead to a digest.
    """
    data: Any = None
    erased = False
    for key, text in texts.items():
        if isinstance(text, str) and isinstance(salt, str) and isinstance(key, str):
            if f'"{_digest(salt, key, text)}"' not in body:
                return None
            continue
        if text is not None or salt is not None or not isinstance(key, str):
            return None
        if data is None:
            try:
                data = json.loads(body)
            except (ValueError, RecursionError):
                return None
        if not _leads_to_digest(data, key):
            return None
        erased = True
    return erased


def _leads_to_digest(data: Any, key: str) -> bool:
    try:
        container, last = locate(data, key_path(key))
        found = container[last]
    except (KeyError, IndexError, ValueError, TypeError):
        return False
    return isinstance(found, str) and found.startswith("sha256:")


def _texts_parsed(body: str, texts: dict[Any, Any], salt: object) -> tuple[str | None, bool]:
    """:func:`_texts` the long way: the free-text paths from the event, each text and digest in turn."""
    try:
        data = json.loads(body)
        expected = {path_key(path) for path in free_text_paths(event_from_dict(data))}
    except SchemaVersionError:
        return _NEWER, False
    except (ValidationError, ValueError, RecursionError):
        return _NOT_AN_EVENT, False
    missing = sorted(expected - set(texts))
    if missing:
        return f"free text {missing[0]} was removed", False
    erased = False
    for key, text in texts.items():
        if not isinstance(key, str) or not isinstance(text, str | None):
            return _UNREADABLE_TEXTS, False
        try:
            container, last = locate(data, key_path(key))
            digest = container[last]
        except (KeyError, IndexError, ValueError, TypeError):
            return f"free text {key} has no digest in the event", False
        if text is None:
            if salt is not None:  # an erasure drops every text and the salt with them
                return f"free text {key} was removed", False
            erased = True
        elif not isinstance(salt, str) or _digest(salt, key, text) != digest:
            return f"free text {key} was changed", False
    return None, erased
