"""The hash chain: what sealing hides, and every kind of tampering verify() detects."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any, cast

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ethical_decisions import (
    CaseReference,
    ChainHead,
    Concern,
    ConcernCategory,
    DecisionMaker,
    DiscretionResult,
    DiscretionScope,
    EthicalDecisions,
    FinalDecision,
    ProposedDecision,
    RecordsOfficer,
    StaffRole,
    audit,
    verify,
)
from ethical_decisions.audit import GENESIS, ChainRecord, Links, _digest, chain_hash, seal, unseal
from ethical_decisions.events import (
    PAYLOAD_TYPES,
    Event,
    Payload,
    ReflectionRecorded,
    ReviewOpened,
)
from ethical_decisions.freetext import free_text_paths, free_texts, path_key
from ethical_decisions.serialization import canonical_json, event_to_dict

from .strategies import PAYLOADS, events_with

SECRET = "MARKER-APPLICANT-SECRET"


def _walk(edm: EthicalDecisions, dm: DecisionMaker, n: int) -> None:
    for i in range(n):
        review = edm.open_review(
            by=dm,
            case=CaseReference(f"{SECRET}-{i}", {"full_name": SECRET}),
            proposed=ProposedDecision("refuse", f"Refuse {SECRET}"),
        )
        review = edm.record_reflection(
            review.review_id, by=dm, concerns=[Concern(ConcernCategory.VULNERABILITY, f"{SECRET} is unwell")]
        )
        edm.consider_discretion(
            review.review_id,
            by=dm,
            concern_id="C1",
            scope=DiscretionScope.INSIDE_RULES,
            guidance="Rules",
            reason=SECRET,
            result=DiscretionResult.RESOLVED,
        )
        edm.finalise(review.review_id, by=dm, decision=FinalDecision("grant", "Grant", f"Because {SECRET}"))


@pytest.fixture(name="chain")
def _chain(edm: EthicalDecisions, dm: DecisionMaker) -> list[ChainRecord]:
    _walk(edm, dm, 3)
    return list(edm.store.chain())


def _rehash(records: list[ChainRecord]) -> list[ChainRecord]:
    """Recompute every link, as a forger who rewrites the whole chain would."""
    previous = GENESIS
    fixed = []
    for position, original in enumerate(records, start=1):
        record = attrs.evolve(original, position=position, hash=chain_hash(previous, original.body))
        previous = record.hash
        fixed.append(record)
    return fixed


def test_an_untouched_chain_verifies(chain: list[ChainRecord]) -> None:
    """Twelve events in three reviews, in order, verify."""
    report = verify(chain)
    assert (report.ok, report.events, report.reviews) == (True, 12, 3)
    assert ChainHead(12, chain[-1].hash) == report.head
    assert str(report).startswith("intact: 12 events in 3 reviews")


def test_sealed_bodies_hold_no_free_text(chain: list[ChainRecord]) -> None:
    """The hashed bodies hold salted digests of the words, never the words."""
    assert all(SECRET not in record.body for record in chain)
    texts = chain[0].texts
    assert {
        "/payload/case/reference",
        "/payload/case/personal_details/full_name",
        "/payload/proposed/summary",
    } == set(texts)
    assert json.loads(chain[0].body)["payload"]["case"]["reference"].startswith("sha256:")


def test_seal_then_unseal_gives_the_event_back(edm: EthicalDecisions, chain: list[ChainRecord]) -> None:
    """The body and the texts together are the event."""
    for record in chain:
        event = record.event()
        sealed = seal(event, "00" * 16)
        assert event == unseal(sealed.body, sealed.texts)


@pytest.mark.parametrize("payload_type", PAYLOAD_TYPES, ids=lambda t: t.kind)
@given(data=st.data())
def test_sealing_digests_exactly_the_free_texts_and_keeps_them_by_path(
    payload_type: type[Payload], data: st.DataObject
) -> None:
    """For every kind of event, the sealed texts are keyed by the walker's paths, each digested in its place.

    And the body with its texts is the event again.
    """
    event = data.draw(events_with(PAYLOADS[payload_type]))
    salt = "ab" * 16
    sealed = seal(event, salt)
    plain, body = event_to_dict(event), json.loads(sealed.body)
    expected: dict[str, str | None] = {}
    for path in free_text_paths(event):
        key, text_in, digest_in = path_key(path), cast(Any, plain), cast(Any, body)
        for part in path:
            text_in, digest_in = text_in[part], digest_in[part]
        expected[key] = text_in
        assert digest_in == _digest(salt, key, text_in)
    assert sealed.texts == expected
    assert [path for path, _ in free_texts(event)] == list(free_text_paths(event))
    assert unseal(sealed.body, sealed.texts) == event


def test_the_same_text_digests_differently_per_event(chain: list[ChainRecord]) -> None:
    """Digests are salted per event, so equal words in two events cannot be matched by digest."""
    first = json.loads(chain[0].body)["payload"]["case"]["personal_details"]["full_name"]
    second = json.loads(chain[4].body)["payload"]["case"]["personal_details"]["full_name"]
    assert first != second


def test_an_edited_event_is_detected(chain: list[ChainRecord]) -> None:
    """Changing one byte of an event's body breaks its link."""
    body = chain[5].body.replace('"caseworker"', '"line_manager"')
    chain[5] = attrs.evolve(chain[5], body=body)
    report = verify(chain)
    assert not report.ok
    assert (
        report.broken.position,
        report.broken.problem,
    ) == (6, "the event does not match its hash: it was changed, inserted or moved")


def test_an_edited_event_with_its_own_hash_fixed_breaks_the_next_link(chain: list[ChainRecord]) -> None:
    """Re-hashing the edited event alone still breaks the event after it."""
    body = chain[5].body.replace('"caseworker"', '"line_manager"')
    chain[5] = attrs.evolve(chain[5], body=body, hash=chain_hash(chain[4].hash, body))
    assert verify(chain).broken.position == 7


@pytest.mark.parametrize(
    ("tamper", "position"),
    [
        (lambda c: c[:3] + c[4:], 5),
        (lambda c: [*c[:3], c[4], c[3], *c[5:]], 5),
        (lambda c: [*c[:3], c[0], *c[3:]], 1),
    ],
    ids=["deleted", "reordered", "inserted"],
)
def test_deleted_reordered_or_inserted_events_are_detected(
    chain: list[ChainRecord], tamper: Callable[[list[ChainRecord]], list[ChainRecord]], position: int
) -> None:
    """Removing, swapping or duplicating an event breaks the chain at the first record out of place."""
    report = verify(tamper(chain))
    assert (False, position) == (report.ok, report.broken.position)
    assert report.broken.problem.startswith("expected position 4")


def test_a_rewritten_chain_still_shows_the_missing_events(chain: list[ChainRecord]) -> None:
    """A forger who deletes an event and recomputes every hash leaves a gap in the review's sequence."""
    forged = _rehash(chain[:5] + chain[6:])
    report = verify(forged)
    assert not report.ok
    assert "expected event 2 of this review" in report.broken.problem


def test_a_deleted_review_is_detected(chain: list[ChainRecord]) -> None:
    """Removing every event of one review breaks the chain at the next review's first event."""
    review_id = chain[4].review_id
    remaining = [r for r in chain if r.review_id != review_id]
    report = verify(remaining)
    assert report.broken is not None
    assert (report.broken.position, report.broken.problem) == (
        9,
        "expected position 5 but found 9: events are missing",
    )


def test_a_changed_free_text_is_detected(chain: list[ChainRecord]) -> None:
    """Words changed outside the library no longer match their digest."""
    texts = {**chain[0].texts, "/payload/proposed/summary": "Grant"}
    chain[0] = attrs.evolve(chain[0], texts=texts)
    report = verify(chain)
    assert (
        report.broken.position,
        report.broken.problem,
    ) == (1, "free text /payload/proposed/summary was changed")


def test_text_removed_without_an_erasure_is_detected(chain: list[ChainRecord]) -> None:
    """Words may go only through a recorded erasure."""
    chain[1] = attrs.evolve(chain[1], texts=dict.fromkeys(chain[1].texts), salt=None)
    report = verify(chain)
    assert not report.ok
    assert "no erasure is recorded" in report.broken.problem


def test_a_recorded_erasure_verifies(edm: EthicalDecisions, dm: DecisionMaker) -> None:
    """After an erasure the words are gone from the store and the chain still verifies."""
    _walk(edm, dm, 2)
    edm.erase_free_text("rv-test-0001", by=RecordsOfficer("ro-1"))
    records = list(edm.store.chain())
    assert all(text is None for r in records if r.review_id == "rv-test-0001" for text in r.texts.values())
    assert all(SECRET not in json.dumps(dict(r.texts)) for r in records if r.review_id == "rv-test-0001")
    assert verify(records).ok


def test_truncation_is_detected_against_a_head_kept_elsewhere(chain: list[ChainRecord]) -> None:
    """Dropping the last events leaves a consistent chain; the head kept elsewhere shows it."""
    head = verify(chain).head
    assert head is not None
    assert verify(chain[:-2]).ok
    report = verify(chain[:-2], expected_head=head)
    assert (report.ok, report.broken.position) == (False, 11)
    assert verify(chain, expected_head=head).ok


def test_a_rewritten_head_is_detected(chain: list[ChainRecord]) -> None:
    """A chain rewritten from some point on no longer reaches the head kept elsewhere."""
    head = verify(chain).head
    assert head is not None
    body = chain[-1].body.replace('"grant"', '"refuse"')
    forged = _rehash([*chain[:-1], attrs.evolve(chain[-1], body=body)])
    assert verify(forged).ok
    assert not verify(forged, expected_head=head).ok


def test_a_record_filed_under_another_review_is_detected(chain: list[ChainRecord]) -> None:
    """A row whose columns disagree with its hashed body is caught."""
    chain[2] = attrs.evolve(chain[2], review_id="rv-elsewhere")
    assert "filed under another review" in verify(chain).broken.problem


def test_service_verify_reports_and_logs(edm: EthicalDecisions, dm: DecisionMaker) -> None:
    """EthicalDecisions.verify checks the store's whole chain."""
    _walk(edm, dm, 1)
    assert edm.verify(expected_head=edm.head()).ok


def test_an_event_from_a_newer_version_is_reported_not_raised(chain: list[ChainRecord]) -> None:
    """A link a newer version wrote is reported by verify, which does not raise mid-chain."""
    body = json.loads(chain[-1].body)
    body["schema_version"] = 99
    newer = json.dumps(body, sort_keys=True, separators=(",", ":"))
    chain[-1] = attrs.evolve(chain[-1], body=newer, hash=chain_hash(chain[-2].hash, newer))

    report = verify(chain)

    assert report.broken is not None
    assert report.broken.position == chain[-1].position
    assert "newer version" in report.broken.problem


def test_the_chain_format_is_unchanged() -> None:
    """Two events sealed with a fixed salt link to the very hash earlier versions gave: old stores verify."""
    at = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
    dm = DecisionMaker("dm-1", StaffRole.CASEWORKER, "customer_services_group", "Settlement")
    case = CaseReference("HO-1", {"full_name": "A. Person", "nationality": "X"})
    concerns = (Concern(ConcernCategory.VULNERABILITY, "Unwell."), Concern(ConcernCategory.OTHER, "Carer."))
    trail = [
        Event("rv-1", 1, at, dm, ReviewOpened(case, ProposedDecision("refuse", "Refuse: no fee."))),
        Event("rv-1", 2, at, dm, ReflectionRecorded(concerns, "Checked.")),
    ]
    previous = GENESIS
    for event in trail:
        previous = chain_hash(previous, seal(event, "00" * 16).body)
    assert previous == "f6867179207574302a530f34360fb7974f719261c7dc37956895923525e11d9e"


@pytest.mark.parametrize("payload_type", PAYLOAD_TYPES, ids=lambda t: t.__name__)
@given(data=st.data())
def test_the_quick_link_check_agrees_with_parsing_every_body(
    payload_type: type[Payload], data: st.DataObject
) -> None:
    """For every kind of event, the check that reads the body as text finds what parsing it would.

    A record as sealed, or as erased (no texts, no salt), passes both ways; with its columns or texts
    changed in any of the ways a row can be (another review, sequence or kind; a text changed,
    removed, or gone with its salt kept; the salt gone with the texts kept), it fails both ways, with
    the same problem: the quick way hands anything it cannot settle to the parsing way. So does the
    check a store's chain goes through (``Links.consume``, with the texts as the JSON a store keeps).
    """
    event = data.draw(events_with(PAYLOADS[payload_type]))
    sealed = seal(event, "cd" * 16)
    texts = dict(sealed.texts)
    other_kind = "review_finalised" if event.kind != "review_finalised" else "review_opened"
    changes: list[dict[int, object]] = [
        {1: "rv-elsewhere"},
        {2: event.sequence + 1},
        {3: other_kind},
        {3: "not_a_kind"},
        {6: None},
        {5: dict.fromkeys(texts), 6: None},  # an erasure: the record itself verifies
    ]
    for key in texts:
        changes += [
            {5: {**texts, key: "changed"}},
            {5: {k: v for k, v in texts.items() if k != key}},
            {5: {**texts, key: None}},
        ]
    change = data.draw(st.sampled_from([{}, *changes]))
    row = [1, event.review_id, event.sequence, event.kind, sealed.body, texts, sealed.salt]
    for column, value in change.items():
        row[column] = value
    body, stored, salt = sealed.body, row[5], row[6]

    quick = audit._filing(body, row[1], row[2], row[3]) or audit._texts(body, stored, salt)[0]
    parsed = audit._filing_parsed(body, row[1], row[2], row[3])
    if parsed is None:
        assert isinstance(stored, dict)
        parsed = audit._texts_parsed(body, stored, salt)[0]

    assert quick == parsed
    stored_row = (1, *row[1:5], canonical_json(stored) if isinstance(stored, dict) else stored, salt)
    link = chain_hash(GENESIS, body)
    by_store = Links().consume([(*stored_row, link)])
    from_store = by_store[1] if by_store else None
    assert from_store == Links().check((*stored_row, link))
    assert (from_store is None) == (quick is None)
    passes = not change or change == {5: dict.fromkeys(texts), 6: None} or (change == {6: None} and not texts)
    assert (quick is None) == passes
