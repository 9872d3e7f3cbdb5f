"""``verify`` and ``export``: check the audit chain, and take the trail out as JSON lines."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ethical_decisions.audit import ChainHead, ChainRecord
from ethical_decisions.serialization import canonical_json, event_to_dict

from ._common import connect, opened
from ._progress import Progress

__all__ = ["add_commands"]


def _head(value: str) -> ChainHead:
    position, sep, digest = value.partition(":")
    if not sep or not position.isdigit() or len(digest) != 64:
        raise argparse.ArgumentTypeError("expected POSITION:HASH, as printed by 'verify', e.g. 12:9f86d0…")
    return ChainHead(int(position), digest)


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``verify`` and ``export``."""
    check = commands.add_parser(
        "verify",
        help="check the audit chain; exit 1 naming the first broken link",
        description="Check every event of every review against the hash chain. Exit 0 when intact; "
        "exit 1, naming the first broken link, when an event was changed, removed, inserted or moved.",
    )
    check.add_argument(
        "--head",
        type=_head,
        metavar="POSITION:HASH",
        help="a head kept elsewhere (as printed by an earlier verify): detects events removed from the end",
    )
    check.set_defaults(run=_verify)

    export = commands.add_parser(
        "export",
        help="write events as JSON lines",
        description="Write every event (or one review's) as JSON lines, in chain order. The events hold "
        "free text and applicant details: keep the file as securely as the store. With --sealed, write "
        "the chain's records instead (free text replaced by salted digests, with each link's hash), "
        "which can be checked elsewhere without any personal data.",
    )
    export.add_argument("--review", metavar="REVIEW_ID", help="only this review's events")
    export.add_argument(
        "--sealed", action="store_true", help="write the sealed chain records, without free text"
    )
    export.add_argument("--output", type=Path, metavar="FILE", help="write here instead of standard output")
    export.set_defaults(run=_export)


def _verify(args: argparse.Namespace) -> int:
    with connect(args) as edm:
        report = edm.verify(expected_head=args.head)
    print(report)
    if not report.ok:
        print("The audit trail has been tampered with or damaged; keep the store as it is and investigate.")
        return 1
    if report.head is not None:
        print(
            "Keep this head elsewhere to detect truncation later: "
            f"--head {report.head.position}:{report.head.hash}"
        )
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
        records: Iterable[ChainRecord]
        if args.review:
            loaded = edm.store.load(args.review)
            records, total = loaded, len(loaded)
        else:
            head = edm.head()
            records, total = edm.store.chain(), head.position if head else 0
        with opened(args.output) as stream, Progress("exporting", total) as progress:
            for record in records:
                line = _sealed(record) if args.sealed else event_to_dict(record.event())
                stream.write(canonical_json(line) + "\n")
                progress.advance()
    return 0
