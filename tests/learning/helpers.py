"""Closed reviews with known case references, for the later outcomes and retention tests."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ethical_decisions import (
    CaseReference,
    EthicalDecisions,
    FinalDecision,
    ProposedDecision,
    testing,
)

KEY = "test-case-index-key-0123456789abcdef"
"""A case index key for tests."""


def reference(n: int) -> str:
    """The case reference of the *n*-th case (personal data, as far as the library knows)."""
    return f"HX-{n:06d}/PRIVATE"


def closed_reviews(edm: EthicalDecisions, count: int, *, start: int = 1) -> list[str]:
    """Open and close *count* reviews of cases ``reference(start)``…, with no concerns; their ids."""
    dm = testing.decision_maker()
    ids = []
    for n in range(start, start + count):
        review = edm.open_review(
            by=dm,
            case=CaseReference(reference=reference(n), personal_details={"full_name": f"Applicant {n}"}),
            proposed=ProposedDecision(outcome="refuse", summary="Refuse: no evidence of residence."),
        )
        edm.record_reflection(review.review_id, by=dm, note="Nothing in the case troubles me.")
        edm.finalise(
            review.review_id,
            by=dm,
            decision=FinalDecision(outcome="refuse", summary="Refused.", rationale="The Rules are not met."),
        )
        ids.append(review.review_id)
    return ids


def file_bytes(path: Path) -> dict[str, str]:
    """A digest of each file of an SQLite store (the database and its write-ahead log, if any)."""
    found = {}
    for suffix in ("", "-wal"):
        part = path.with_name(path.name + suffix)
        if part.exists():
            found[suffix or "db"] = hashlib.sha256(part.read_bytes()).hexdigest()
    return found
