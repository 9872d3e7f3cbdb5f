"""Everything a store holds, read at once, to show that a refused command changed nothing."""

from __future__ import annotations

from typing import Any

from ethical_decisions.store import Store


def snapshot(store: Store) -> dict[str, Any]:
    """Every table a store keeps, as values that compare equal only when nothing changed.

    The chain records carry their bodies, free texts, salts and hashes; the projections are
    compared whole (the review rows, the route teams' queue, the outbox with its delivery state,
    the compliance records).
    """
    return {
        "chain": list(store.chain()),
        "head": store.head(),
        "reviews": store.reviews(),
        "referrals": store.referrals(),
        "outbox": store.outbox(),
        "compliance": list(store.compliance_records()),
    }


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The parts of a store that differ between two snapshots."""
    return [part for part in before if before[part] != after[part]]
