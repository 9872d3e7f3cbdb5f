"""What the two append benchmarks share: the batches, the rows they become, and the runs.

The library side appends recorded batches (full reviews, see :mod:`workload`)
to a freshly opened store, one transaction per batch as the service does. The
baseline writes the same rows (computed beforehand with the store's own row
format, so they are byte for byte what the store writes) with the raw driver:
the same statements, one transaction per batch, with the same durability
settings. Schema creation is outside the timing on both sides.

After timing, the last database each side wrote is read back through the
store, and everything it holds (the chain, reviews, referrals, outbox and
compliance records) must be the same: the baseline did the same work.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import attrs
from harness import Figure, Timings, compare, ratio_figure
from workload import EVENTS_PER_REVIEW, filter_logging_at_warning, record_batches

from ethical_decisions.audit import GENESIS
from ethical_decisions.store import AppendBatch, Store
from ethical_decisions.store import _rows as rows
from ethical_decisions.store._dialect import Dialect
from ethical_decisions.store._records import link, pending

__all__ = ["Statement", "Transaction", "measure", "transactions"]

TARGET = 1.5

Statement = tuple[str, Sequence[Sequence[Any]]]
"""One statement and the rows it is run for (``executemany``)."""
Transaction = list[Statement]
"""The statements of one append, in order."""


def transactions(batches: Sequence[AppendBatch], dialect: Dialect) -> list[Transaction]:
    """The rows each batch writes, as the store writes them, chained from an empty store."""
    position, previous = 0, GENESIS
    found: list[Transaction] = []
    for batch in batches:
        events = []
        for sealed in batch.events:
            position += 1
            record = link(sealed, position=position, previous=previous)
            previous = record.hash
            events.append(rows.EVENTS.row(dialect, rows.event_values(record)))
        statements: Transaction = [
            (rows.EVENTS.insert(), events),
            ("UPDATE chain_head SET position = ?, hash = ? WHERE id = 1", [(position, previous)]),
            (
                rows.REVIEWS.insert(upsert=True),
                [rows.REVIEWS.row(dialect, attrs.asdict(batch.review, recurse=False))],
            ),
        ]
        if batch.referrals:
            referrals = [rows.REFERRALS.row(dialect, attrs.asdict(r, recurse=False)) for r in batch.referrals]
            statements.append((rows.REFERRALS.insert(upsert=True), referrals))
        if batch.outbox:
            outbox = [rows.OUTBOX.row(dialect, rows.outbox_values(pending(m))) for m in batch.outbox]
            statements.append((rows.OUTBOX.insert(), outbox))
        if batch.compliance is not None:
            record_row = rows.COMPLIANCE.row(dialect, attrs.asdict(batch.compliance, recurse=False))
            statements.append((rows.COMPLIANCE.insert(upsert=True), [record_row]))
            items = [rows.COMPLIANCE_ITEMS.row(dialect, i) for i in rows.compliance_items(batch.compliance)]
            statements.append((rows.COMPLIANCE_ITEMS.insert(), items))
        found.append(statements)
    return found


def measure(
    name: str,
    quick: bool,
    *,
    open_library: Callable[[], Store],
    open_baseline: Callable[[], Callable[[Sequence[Transaction]], object]],
    reopen_baseline: Callable[[], Store],
    dialect: Dialect,
) -> list[Figure]:
    """Time appending the batches of some full reviews each way; the figure called *name*.

    :param open_library: a fresh, empty store (its schema created).
    :param open_baseline: prepares a fresh, empty database with the same schema
        and returns the call that writes the given transactions with the raw driver.
    :param reopen_baseline: the store over the database the baseline wrote last.
    """
    reviews, runs = (2, 1) if quick else (40, 9)
    filter_logging_at_warning()
    batches = record_batches(reviews)
    written = transactions(batches, dialect)
    stores: list[Store] = []

    def library() -> Callable[[], object]:
        store = open_library()
        stores.append(store)

        def go() -> None:
            for batch in batches:
                store.append(batch)

        return go

    def baseline() -> Callable[[], object]:
        write = open_baseline()
        return lambda: write(written)

    try:
        lib, base = compare(library, baseline, runs=runs)
        stores.append(reopen_baseline())
        assert _contents(stores[-2]) == _contents(stores[-1]), "the baseline must write what the store writes"
    finally:
        for store in stores:
            store.close()
    return [_figure(name, lib, base, len(batches), reviews)]


def _contents(store: Store) -> tuple[object, ...]:
    """Everything *store* holds that an append writes."""
    return (
        list(store.chain()),
        store.head(),
        store.reviews(),
        store.referrals(),
        store.outbox(),
        list(store.compliance_records()),
    )


def _figure(name: str, lib: Timings, base: Timings, appends: int, reviews: int) -> Figure:
    figure = ratio_figure(name, TARGET, lib, base, per=appends, unit="append")
    return dataclasses.replace(
        figure,
        detail=f"{figure.detail}; {appends} appends of {reviews} reviews, {EVENTS_PER_REVIEW} per review",
    )
