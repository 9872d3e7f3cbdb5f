"""``verify``, ``rebuild``, ``compact`` and ``export``: check and repair the store, and take the trail out.

``compact`` rewrites the store's files so that erased words leave them; ``export`` writes JSON lines.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ethical_decisions.audit import ChainHead, ChainRecord
from ethical_decisions.serialization import canonical_json, event_to_dict
from ethical_decisions.store import StoreReport

from ._common import check_output, connect, opened, review_id
from ._progress import Progress

__all__ = ["add_commands"]


def _head(value: str) -> ChainHead:
    position, sep, digest = value.partition(":")
    if not sep or not position.isdigit() or len(digest) != 64:
        raise argparse.ArgumentTypeError("expected POSITION:HASH, as printed by 'verify', e.g. 12:9f86d0…")
    return ChainHead(int(position), digest)


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``verify``, ``rebuild``, ``compact`` and ``export``."""
    check = commands.add_parser(
        "verify",
        help="check the whole store; exit 1 naming each problem's place",
        description="Check the store: SQLite's own integrity check; every event of every review against "
        "the hash chain and the store's head row; the outbox ledger; and every table built from the "
        "events (reviews, referrals, outbox, compliance records) rebuilt from them and compared. Exit 0 "
        "when all is intact; exit 1, naming the first broken link and each table, row and column that "
        "differs (never the value), when anything was changed, removed, inserted or moved.",
    )
    check.add_argument(
        "--head",
        type=_head,
        metavar="POSITION:HASH",
        help="a head kept elsewhere (as printed by an earlier verify): detects events removed from the end",
    )
    check.add_argument(
        "--chain-only",
        action="store_true",
        help="check the audit chain alone (quicker): not the tables built from it, nor the outbox ledger",
    )
    check.set_defaults(run=_verify)

    rebuild = commands.add_parser(
        "rebuild",
        help="rewrite the tables built from the events so that they match them",
        description="Rewrite the reviews, referrals, outbox and compliance tables from the events and "
        "the outbox ledger, in one transaction, after checking the chain and the ledger (refused if "
        "either is broken). Without --force, only show what would change, and exit 1 if anything "
        "would. The fields plugins added to compliance records are kept.",
    )
    rebuild.add_argument("--force", action="store_true", help="rewrite the rows that differ")
    rebuild.set_defaults(run=_rebuild)

    compact = commands.add_parser(
        "compact",
        help="rewrite the store's files so that erased words leave them",
        description="After erasing reviews' words: on PostgreSQL, rewrite the events table (VACUUM FULL, "
        "which holds its lock while it runs: steps wait), so that old row versions holding erased words "
        "leave the table's files; on SQLite, checkpoint the write-ahead log. Copies made before (the "
        "write-ahead log's old segments, backups, replicas' logs) keep what they hold.",
    )
    compact.set_defaults(run=_compact)

    export = commands.add_parser(
        "export",
        help="write events as JSON lines",
        description="Write every event (or one review's) as JSON lines, in chain order. The events hold "
        "free text and applicant details: keep the file as securely as the store. With --sealed, write "
        "the chain's records instead (free text replaced by salted digests, with each link's hash), "
        "which can be checked elsewhere without any personal data.",
    )
    export.add_argument("--review", type=review_id, metavar="REVIEW_ID", help="only this review's events")
    export.add_argument(
        "--sealed", action="store_true", help="write the sealed chain records, without free text"
    )
    export.add_argument(
        "--output",
        type=Path,
        metavar="FILE",
        help="write here instead of standard output (a new file, in a folder that exists)",
    )
    export.add_argument("--force", action="store_true", help="replace the --output file if it exists")
    export.set_defaults(run=_export)


class _Stages:
    """A progress bar for each stage of a check, as the store reports it."""

    def __init__(self) -> None:
        self._bar: Progress | None = None
        self._stage = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self._stage:
            self.close()
            self._stage = stage
            self._bar = Progress(f"checking the {stage}", total).__enter__()
        assert self._bar is not None
        self._bar.advance(done - self._bar.done)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


def _verify(args: argparse.Namespace) -> int:
    stages = _Stages()
    try:
        with connect(args) as edm:
            report = edm.verify(expected_head=args.head, chain_only=args.chain_only, progress=stages)
    finally:
        stages.close()
    print(report)
    if not report.ok:
        print(_advice(report))
        return 1
    if report.head is not None:
        print(
            "Keep this head elsewhere to detect truncation later: "
            f"--head {report.head.position}:{report.head.hash}"
        )
    return 0


def _advice(report: StoreReport) -> str:
    if report.damage is not None:
        return "The store's file is damaged: restore it from a backup."
    if not report.chain.ok or (report.ledger is not None and not report.ledger.ok):
        return "The audit trail has been tampered with or damaged; keep the store as it is and investigate."
    return (
        "The tables differ from the events: keep the store as it is and investigate. Once the cause is "
        "known, 'ethical-decisions rebuild' shows what rewriting them from the events would change."
    )


def _rebuild(args: argparse.Namespace) -> int:
    with connect(args) as edm:
        report = edm.store.rebuild(dry_run=not args.force)
    if not report.difference_count:
        print(f"Nothing to rebuild: the tables match the events and the ledger ({report.events} events).")
        return 0
    verb = "Rewrote" if args.force else "Would rewrite"
    print(f"{verb} what differed from the events and the ledger ({report.difference_count} difference(s)):")
    for difference in report.differences:
        print(f"  {difference}")
    if report.difference_count > len(report.differences):
        print(f"  … and {report.difference_count - len(report.differences)} more")
    if args.force:
        return 0
    print("Nothing was changed. Run 'ethical-decisions rebuild --force' to rewrite them.")
    return 1


def _compact(args: argparse.Namespace) -> int:
    with connect(args) as edm:
        edm.store.compact()
    print("Compacted: erased words are gone from the store's own files (see the guarantees for copies).")
    return 0


def _sealed(record: ChainRecord) -> dict[str, Any]:
    return {
        "position": record.position,
        "review_id": record.review_id,
        "sequence": record.sequence,
        "kind": record.kind,
        "body": record.body,
        "hash": record.hash,
    }


def _export(args: argparse.Namespace) -> int:
    with connect(args) as edm:
        check_output(args.output, force=args.force, store=edm.store)
        records: Iterable[ChainRecord]
        if args.review:
            loaded = edm.store.load(args.review)
            records, total = loaded, len(loaded)
        else:
            head = edm.head()
            records, total = edm.store.chain(), head.position if head else 0
        with (
            opened(args.output, force=args.force, store=edm.store) as stream,
            Progress("exporting", total) as progress,
        ):
            for record in records:
                line = _sealed(record) if args.sealed else event_to_dict(record.event())
                stream.write(canonical_json(line) + "\n")
                progress.advance()
    return 0
