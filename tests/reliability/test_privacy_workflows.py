"""Privacy through whole workflows: markers in every free-text field reach no output meant for managers.

``tests/test_privacy.py`` walks a review through the library with refused steps and bad input. These tests
take the same markers further: through the ``ethical-decisions`` command (reports in every format, the
sealed export, verify, the outbox, the relay, and commands that fail), and through failures inside the
library (a store that refuses a write, a plugin that raises with the words in its message).
"""

from __future__ import annotations

import sqlite3
import traceback
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from ethical_decisions import (
    Concern,
    ConcernCategory,
    ConflictError,
    EthicalDecisionsError,
    StoreError,
    testing,
)
from ethical_decisions.cli import main
from ethical_decisions.compliance import ComplianceRecord
from ethical_decisions.hookspecs import hookimpl
from ethical_decisions.store import MemoryStore, SQLiteStore
from tests.conftest import RoutesPlugin
from tests.test_privacy import Markers, _walk

PERIOD = ["--from", "2026-01-01", "--to", "2026-12-31"]
MONTH = ["--from", "2026-01-01", "--to", "2026-01-31"]
"""The month the reviews are in: a department report covers whole months that have ended."""


def _filled_sqlite(path: Path, markers: Markers) -> str:
    """A SQLite store holding a whole review (with markers everywhere) and a second, open one."""
    store = SQLiteStore(path)
    try:
        edm = testing.service(RoutesPlugin(testing.route("ccu_test")), store=store)
        _walk(edm, markers, testing.decision_maker())
        _walk(edm, markers, testing.decision_maker("dm-0002"))
    finally:
        store.close()
    return f"sqlite:///{path}"


def test_markers_never_reach_the_command_lines_outputs_or_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every report in every format, the export, verify, outbox, relay and assessing show no free text.

    Nor do commands that fail, given markers as arguments, or verify on a store whose chain was broken;
    standard output, standard error, files written and the logs are all searched.
    """
    markers = Markers()
    db = _filled_sqlite(tmp_path / "markers.db", markers)
    outputs: dict[str, str] = {}

    def run(*argv: str, status: int | None = 0) -> None:
        try:
            code = main(["--db", db, *argv])
        except SystemExit as exit_:  # argparse's own refusals
            code = int(exit_.code or 0)
        out, err = capsys.readouterr()
        outputs[" ".join(argv)] = out + err
        if status is not None:
            assert code == status, (argv, out, err)

    with capture_logs() as logs:
        for fmt in ("text", "html", "json", "csv"):
            run("report", "department", *MONTH, "--format", fmt, "--threshold", "3")
            for staff in ("dm-0001", "dm-0002"):
                run("report", "pdr", "--staff", staff, *PERIOD, "--format", fmt)
        written = tmp_path / "pdr.html"
        run("report", "pdr", "--staff", "dm-0001", *PERIOD, "--format", "html", "--output", str(written))
        run("export", "--sealed")
        run("export", "--sealed", "--review", "rv-test-0001")
        run("verify")
        run("outbox", "list")
        run("relay", "--once")  # the test route is not installed here: delivery fails, and says so
        run("outbox", "list")
        run("referrals", "list", "--all")
        run("assessments", "dm-0001", *PERIOD)
        run("assess", "rv-test-0001", "--staff", "lm-9", "--role", "line_manager", "--element",
            "use_of_advice", "--finding", "partly", "--note", markers("cli-note"))  # fmt: skip
        run("report", "pdr", "--staff", "dm-0001", *PERIOD, "--format", "text")
        # Commands that fail, with markers where an outsider could put them.
        run("referrals", "advise", "rv-test-0001-R1", "--route", "ccu_test", "--staff", "rt-1",
            "--advice", markers("cli-advice"), status=None)  # fmt: skip
        run("referrals", "return", "rv-test-0001-R1", "--route", "no_such_route", "--staff", "rt-1",
            "--question", markers("cli-question"), status=None)  # fmt: skip
        run("referrals", "advise", "rv-test-0001-R1", "--route", "ccu_test", "--staff", "rt-1",
            "--advice", markers("cli-long") * 2000, status=None)  # fmt: skip
        run("verify", "--head", markers("cli-head"), status=2)
        run("assess", "rv-test-0001", "--staff", "dm-0001", "--role", "line_manager", "--element",
            "use_of_advice", "--finding", "not", "--note", markers("cli-own-note"), status=1)  # fmt: skip
        run("assess", "rv-test-0001", "--staff", "lm-9", "--role", "line_manager", "--element",
            markers("cli-element"), "--finding", "not", status=2)  # fmt: skip
        run("assess", "rv-test-0001", "--staff", "lm-9", "--role", "line_manager", "--element",
            "use_of_advice", "--finding", "not", "--of", markers("cli-of") + " x", status=2)  # fmt: skip
        long_note = markers("cli-long-note") * 3000
        run("assess", "rv-test-0001", "--staff", "lm-9", "--role", "line_manager", "--element",
            "use_of_advice", "--finding", "not", "--note", long_note, status=1)  # fmt: skip
        # Ids (staff, review, message) are not free text: an error may name them, so none is a marker.
        run("report", "pdr", "--staff", "no-such-staff", *PERIOD, status=1)  # no records: refused
        run("outbox", "redrive", "no-such-message", status=1)
        run("export", "--sealed", "--review", "no-such-review", status=None)
        # A store whose chain was broken behind the library's back.
        with sqlite3.connect(tmp_path / "markers.db") as connection:
            connection.execute(
                "UPDATE events SET texts = replace(texts, 'MARKER', 'MARKEd') WHERE position = 3"
            )
        run("verify", status=1)

    outputs["file written"] = written.read_text(encoding="utf-8")
    outputs["logs"] = repr(logs)
    assert outputs["verify"].startswith("BROKEN")  # the last verify, on the broken chain
    assert len(markers.issued) > 60
    leaks = {where: markers.found_in(text) for where, text in outputs.items() if markers.found_in(text)}
    assert leaks == {}
    assert [where for where, text in outputs.items() if "MARKE" in text] == []


class _Failing:
    """A plugin whose observer and enrichment raise with an applicant's words in the message."""

    def __init__(self, words: str) -> None:
        self.words = words

    @hookimpl
    def ethical_decisions_event_stored(self, event: Any, review: Any) -> None:
        """Fail, quoting the words."""
        raise RuntimeError(f"could not file {self.words}")

    @hookimpl
    def ethical_decisions_compliance_record(self, record: ComplianceRecord) -> dict[str, Any]:
        """Fail, quoting the words."""
        raise ValueError(f"bad record for {self.words}")


class _RefusingStore(MemoryStore):
    """A store that fails every append after the first few, as a database that went away."""

    def __init__(self, allowed: int) -> None:
        super().__init__()
        self.allowed = allowed

    def append(self, events: Any, *args: Any, **kwargs: Any) -> Any:
        """Store, until the allowance runs out."""
        self.allowed -= 1
        if self.allowed < 0:
            raise StoreError("the store is unavailable; try again later")
        return super().append(events, *args, **kwargs)


def test_markers_never_reach_a_failure_path_or_its_traceback() -> None:
    """A plugin failing with the words in its message, a store refusing a write, and a conflict leak nothing.

    The errors that reach the caller, their tracebacks (with causes and contexts) and the logs are searched.
    """
    markers = Markers()
    words = markers("plugin-message")
    store = _RefusingStore(allowed=40)
    edm = testing.service(RoutesPlugin(testing.route("ccu_test")), _Failing(words), store=store)
    errors: list[BaseException] = []
    with capture_logs() as logs:
        review_id, refused = _walk(edm, markers, testing.decision_maker())
        errors += refused
        try:
            edm.raise_concern(
                review_id, by=testing.decision_maker(), category=ConcernCategory.OTHER,
                statement=markers("stale"), expected_version=1,
            )  # fmt: skip
        except ConflictError as exc:
            errors.append(exc)
        store.allowed = 0
        try:
            edm.record_reflection(
                edm.open_review(
                    by=testing.decision_maker(),
                    case=edm.review(review_id).case,
                    proposed=edm.review(review_id).proposed,
                ).review_id,
                by=testing.decision_maker(),
                concerns=[Concern(ConcernCategory.OTHER, markers("lost"))],
            )
        except EthicalDecisionsError as exc:
            errors.append(exc)
    assert any(isinstance(e, StoreError) for e in errors)
    assert any(e.get("plugin") for e in logs)  # the plugin's failures were logged, by name
    seen = {
        "errors": "\n".join(str(e) + repr(e.args) for e in errors),
        "tracebacks": "\n".join("".join(traceback.format_exception(e)) for e in errors),
        "logs": repr(logs),
    }
    leaks = {where: markers.found_in(text) for where, text in seen.items() if markers.found_in(text)}
    assert leaks == {}
