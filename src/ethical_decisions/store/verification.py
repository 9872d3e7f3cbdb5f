"""Whole-store verification: the audit chain, the outbox ledger, and every table checked against the events.

:meth:`Store.verify <ethical_decisions.Store.verify>` checks, in one
consistent snapshot of the store:

1. **The storage** (SQLite): ``PRAGMA integrity_check`` first, which reads
   every page and checks every index against its table and every ``UNIQUE``
   constraint (the review-ordered checks below rely on them). A damaged file
   is reported with the advice to restore it from a backup, and nothing else
   is read.
2. **The audit chain**, record by record in chain order
   (:class:`~ethical_decisions.audit.Links`): positions without gaps, each
   hash, the review, sequence and kind each record is filed under, each free
   text against its digest. Then, from the store's own tables: each review's
   events run 1, 2, 3… in chain order, words are missing only from reviews
   whose erasure is recorded, and the chain ends exactly at the store's own
   head row (events removed from the end, the head row left alone, are
   found), and at a head kept elsewhere when one is given.
3. **The outbox ledger**, in which the store writes every change to a
   message's delivery state, hash-chained like the events: its links and its
   head row likewise.
4. **Every table built from the events**, review by review in review-id
   order: the review's events are replayed and every row rebuilt from them
   and compared with what the table holds, naming the table, the row's key
   and the column of each difference, never the value: the review's summary
   row (``reviews``), its referrals with their queue state (status, assignee
   and every other column), its outbox messages (one per event a route's
   team must hear about: ids, kind, idempotency key and route from the
   events; the delivery state, which the events cannot give, from the
   message's entries in the outbox ledger, each of which must be a change a
   store makes), its compliance record (every field but ``extensions``: what
   plugins added cannot be asked for again, so it is only checked to be
   readable) and the record's ``compliance_items``. A row with no event
   behind it, and an event whose row is missing, are differences too.

Memory stays flat however many reviews the store holds: the chain is read in
pages and keeps only its last link; a review's sequence and erasure are
checked by the store (in SQL, from the ``(review_id, sequence)`` index); and
the tables are read a page of reviews at a time.

:meth:`Store.rebuild <ethical_decisions.Store.rebuild>` uses the same
check to put the tables right.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

import attrs

from ethical_decisions.audit import BrokenLink, ChainHead, VerificationReport

__all__ = [
    "SHOWN",
    "Difference",
    "LedgerReport",
    "Progress",
    "StoreReport",
]

Progress = Callable[[str, int, int], None]
"""Told how far a check has got: ``(stage, done, total)``, stage ``"chain"`` or ``"tables"``, in events."""

SHOWN: Final = 100
"""The differences a report keeps (it counts them all): enough to act on, without growing with the store."""


@attrs.frozen
class Difference:
    """One place where a table is not what the events (or the outbox ledger) say.

    :param table: the table, e.g. ``"referrals"``.
    :param key: the row's key: a review, referral or message id, ``review/item/ordinal``
        for ``compliance_items``, a position for ``outbox_ledger``.
    :param column: the column that differs, or ``None`` for the whole row.
    :param problem: what is wrong, without the value.
    """

    table: str
    key: str
    column: str | None
    problem: str

    def __str__(self) -> str:
        column = f", column {self.column}" if self.column else ""
        return f"{self.table} {self.key!r}{column}: {self.problem}"


@attrs.frozen
class LedgerReport:
    """The outbox ledger's chain: how many entries, its last link, and where it first breaks."""

    entries: int
    head: ChainHead | None
    broken: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the ledger's links and head row verified."""
        return self.broken is None

    def __str__(self) -> str:
        if self.broken is not None:
            return f"outbox ledger BROKEN at {self.broken}"
        head = f"; head {self.head.hash} at position {self.head.position}" if self.head else ""
        return f"outbox ledger intact: {self.entries} entries{head}"


@attrs.frozen
class StoreReport:
    """What :meth:`Store.verify <ethical_decisions.Store.verify>` found.

    :param chain: the audit chain's check; ``events``, ``reviews``, ``head``
        and ``broken`` are also read from here.
    :param ledger: the outbox ledger's check (``None`` when not checked).
    :param checked: the rows compared, by table (empty when the tables were not checked).
    :param differences: the first :data:`SHOWN` differences, in review-id order.
    :param difference_count: every difference found.
    :param damage: what the database's own integrity check found wrong, if anything.
    :param skipped: why the tables were not checked, if they were not.
    """

    chain: VerificationReport
    ledger: LedgerReport | None = None
    checked: Mapping[str, int] = attrs.field(factory=dict)
    differences: tuple[Difference, ...] = ()
    difference_count: int = 0
    damage: str | None = None
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        """Whether everything checked verified: storage, chain, ledger and tables."""
        return (
            self.damage is None
            and self.chain.ok
            and (self.ledger is None or self.ledger.ok)
            and self.difference_count == 0
        )

    @property
    def events(self) -> int:
        """Events checked in the chain."""
        return self.chain.events

    @property
    def reviews(self) -> int:
        """Reviews in the chain."""
        return self.chain.reviews

    @property
    def head(self) -> ChainHead | None:
        """The chain's last link: keep a copy elsewhere to detect truncation later."""
        return self.chain.head

    @property
    def broken(self) -> BrokenLink | None:
        """The chain's first broken link, if any."""
        return self.chain.broken

    def __str__(self) -> str:
        if self.damage is not None:
            return (
                f"DAMAGED: the database's own integrity check failed ({self.damage}). The file is "
                "corrupt: restore the store from a backup; keep the damaged file for investigation."
            )
        lines = [str(self.chain)]
        if self.ledger is not None:
            lines.append(str(self.ledger))
        if self.skipped is not None:
            lines.append(f"tables not checked: {self.skipped}")
            return "\n".join(lines)
        rows = ", ".join(f"{table} {count}" for table, count in self.checked.items())
        if not self.difference_count:
            lines.append(f"tables match the events and the ledger (rows checked: {rows})")
            return "\n".join(lines)
        lines.append(
            f"{self.difference_count} difference(s) between the tables and the events or the ledger "
            f"(rows checked: {rows}):"
        )
        lines.extend(f"  {difference}" for difference in self.differences)
        if self.difference_count > len(self.differences):
            lines.append(f"  … and {self.difference_count - len(self.differences)} more")
        return "\n".join(lines)
