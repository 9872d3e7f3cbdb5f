"""Later outcomes by case reference: the API, the CSV import (and its dry run) and the command line."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

from ethical_decisions import (
    EthicalDecisions,
    EthicalDecisionsError,
    LaterOutcomeKind,
    LaterOutcomeResult,
    RecordsOfficer,
    ValidationError,
    testing,
)
from ethical_decisions.caseindex import case_digest, case_digester, normalise_reference
from ethical_decisions.cli import main
from ethical_decisions.exceptions import CaseNotFoundError
from ethical_decisions.outcomes import import_outcomes
from ethical_decisions.store import open_store
from tests.reliability.unchanged import differences, snapshot

from .helpers import KEY, closed_reviews, file_bytes, reference

OFFICER = RecordsOfficer("ro-0001")
ON = dt.date(2026, 1, 5)


@pytest.fixture(name="edm")
def _edm() -> EthicalDecisions:
    return testing.service(case_index_key=KEY)


def _csv(path: Path, rows: list[tuple[str, ...]], header: tuple[str, ...] = ()) -> Path:
    lines = [",".join(header or ("case_reference", "kind", "result", "decided_on"))]
    lines += [",".join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_an_outcome_recorded_by_case_reference_is_an_event_in_the_reviews_chain(
    edm: EthicalDecisions,
) -> None:
    """The reference is normalised, the review found through the index, the event chained and verified."""
    (review_id,) = closed_reviews(edm, 1)
    review = edm.record_later_outcome_by_case(
        " hx-000001/private ",
        by=OFFICER,
        challenge=LaterOutcomeKind.OMBUDSMAN,
        result=LaterOutcomeResult.OVERTURNED,
        decided_on=ON,
    )
    assert review.review_id == review_id
    assert edm.trail(review_id)[-1].payload.challenge is LaterOutcomeKind.OMBUDSMAN  # type: ignore[union-attr]
    assert edm.verify().ok
    assert normalise_reference(" hx 1 ") == "HX1"


def test_the_index_holds_digests_only_never_the_reference(edm: EthicalDecisions) -> None:
    """What the index keeps is the keyed digest; without the key a guess cannot be checked against it."""
    closed_reviews(edm, 1)
    assert edm.store.find_cases([case_digest(KEY.encode(), reference(1))])
    assert not edm.store.find_cases([case_digest(b"another-key-of-enough-length!", reference(1))])


def test_an_unknown_reference_is_refused_without_repeating_it(edm: EthicalDecisions) -> None:
    """No review under the reference: a CaseNotFoundError that never shows it, and nothing recorded."""
    closed_reviews(edm, 1)
    before = snapshot(edm.store)
    with pytest.raises(CaseNotFoundError) as info:
        edm.record_later_outcome_by_case(
            "HX-999999/SECRET",
            by=OFFICER,
            challenge=LaterOutcomeKind.APPEAL,
            result=LaterOutcomeResult.UPHELD,
            decided_on=ON,
        )
    assert "999999" not in str(info.value)
    assert "SECRET" not in str(info.value)
    assert isinstance(info.value, EthicalDecisionsError)
    assert differences(before, snapshot(edm.store)) == []


def test_a_missing_key_is_a_clear_error_and_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without EDM_CASE_INDEX_KEY, finding by reference names the variable, and records nothing."""
    monkeypatch.delenv("EDM_CASE_INDEX_KEY", raising=False)
    edm = testing.service()
    closed_reviews(edm, 1)
    before = snapshot(edm.store)
    with pytest.raises(ValidationError, match="EDM_CASE_INDEX_KEY: not set"):
        edm.record_later_outcome_by_case(
            reference(1),
            by=OFFICER,
            challenge=LaterOutcomeKind.APPEAL,
            result=LaterOutcomeResult.UPHELD,
            decided_on=ON,
        )
    assert differences(before, snapshot(edm.store)) == []


def test_reviews_opened_without_the_key_are_found_once_indexed(monkeypatch: pytest.MonkeyPatch) -> None:
    """index_case_references fills the index for reviews opened with no key; running it again adds nothing."""
    monkeypatch.delenv("EDM_CASE_INDEX_KEY", raising=False)
    store = testing.service().store
    closed_reviews(testing.service(store=store), 2)
    edm = testing.service(store=store, case_index_key=KEY)
    assert edm.find_case(reference(2)) == []
    assert edm.index_case_references() == 2
    assert edm.index_case_references() == 0
    assert edm.find_case(reference(2)) == ["rv-test-0002"]


def test_erasure_removes_the_reviews_row_from_the_index(edm: EthicalDecisions) -> None:
    """Once the free text is erased the case cannot be found by reference, and is not indexed again."""
    (review_id,) = closed_reviews(edm, 1)
    edm.erase_free_text(review_id, by=OFFICER)
    assert edm.find_case(reference(1)) == []
    assert edm.index_case_references() == 0
    with pytest.raises(CaseNotFoundError):
        edm.case_review(reference(1))


def test_a_dry_run_reports_matches_and_line_numbers_only(edm: EthicalDecisions, tmp_path: Path) -> None:
    """Counts, and line numbers of the rows it cannot match or read; never a reference; nothing recorded."""
    closed_reviews(edm, 3)
    path = _csv(
        tmp_path / "outcomes.csv",
        [
            (reference(1), "appeal", "overturned", "2026-01-05"),
            ("HX-NOBODY/SECRET", "complaint", "upheld", "2026-01-05"),
            (reference(2), "mp_letter", "pending", "2026-01-05"),
            (reference(3), "judicial_review", "maybe", "2026-01-05"),
        ],
    )
    before = snapshot(edm.store)
    report = import_outcomes(edm, path, by=OFFICER, dry_run=True)
    assert (report.rows, report.matched, report.unmatched, report.invalid) == (4, 2, 1, 1)
    assert report.unmatched_lines == (3,)
    assert report.problems == (
        "line 5, column result: must be one of upheld, overturned, withdrawn, pending",
    )
    assert "SECRET" not in report.summary() + repr(report)
    assert differences(before, snapshot(edm.store)) == []


@pytest.mark.parametrize(
    ("row", "column"),
    [
        (("HX-000001/PRIVATE", "appeal", "upheld", "05/01/2026"), "decided_on"),
        (("HX-000001/PRIVATE", "grievance", "upheld", "2026-01-05"), "kind"),
        (("HX-000001/PRIVATE", "appeal", "upheld", "2026-01-05", "extra"), "-"),
        (("", "appeal", "upheld", "2026-01-05"), "case_reference"),
    ],
)
def test_a_malformed_row_stops_the_import_naming_line_and_column(
    edm: EthicalDecisions, tmp_path: Path, row: tuple[str, ...], column: str
) -> None:
    """A bad date, unknown kind, wrong field count or no reference: line and column, no value, no change."""
    closed_reviews(edm, 2)
    path = _csv(tmp_path / "bad.csv", [(reference(2), "appeal", "upheld", "2026-01-05"), row])
    before = snapshot(edm.store)
    with pytest.raises(ValidationError) as info:
        import_outcomes(edm, path, by=OFFICER)
    assert f"line 3, column {column}:" in str(info.value)
    assert "PRIVATE" not in str(info.value)
    assert "05/01" not in str(info.value)
    assert "grievance" not in str(info.value)
    assert differences(before, snapshot(edm.store)) == []


def test_a_header_that_is_not_the_columns_is_refused(edm: EthicalDecisions, tmp_path: Path) -> None:
    """A header naming other columns is refused by position, not by repeating the name given."""
    path = _csv(tmp_path / "h.csv", [], header=("reference", "kind", "result", "decided_on"))
    with pytest.raises(ValidationError) as info:
        import_outcomes(edm, path, by=OFFICER, dry_run=True)
    assert "line 1, column 1: not one of" in str(info.value)
    assert "the column case_reference is missing" in str(info.value)


def test_an_import_records_each_match_once_and_can_be_run_again(
    edm: EthicalDecisions, tmp_path: Path
) -> None:
    """Matched rows are recorded on their reviews; running it again records nothing twice; verify passes."""
    ids = closed_reviews(edm, 2)
    path = _csv(
        tmp_path / "outcomes.csv",
        [
            (reference(1), "tribunal", "overturned", "2026-01-05"),
            (reference(2), "complaint", "upheld", "2026-01-05"),
            ("HX-NOBODY", "appeal", "upheld", "2026-01-05"),
            (reference(2), "ombudsman", "upheld", "2020-01-01"),
        ],
    )
    first = import_outcomes(edm, path, by=OFFICER)
    assert (first.recorded, first.unmatched, first.not_recordable, first.not_recordable_lines) == (
        2,
        1,
        1,
        (5,),
    )
    again = import_outcomes(edm, path, by=OFFICER)
    assert (again.recorded, again.already_recorded) == (0, 2)
    assert [len(edm.review(i).later_outcomes) for i in ids] == [1, 1]
    assert edm.verify().ok


def test_the_command_line_records_and_imports_without_printing_references(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Outcomes record (reference from standard input), import --dry-run and import: counts, no reference."""
    monkeypatch.setenv("EDM_CASE_INDEX_KEY", KEY)
    url = f"sqlite:///{tmp_path / 'edm.db'}"
    store = open_store(url)
    closed_reviews(testing.service(store=store), 2)
    store.close()
    monkeypatch.setattr("sys.stdin", io.StringIO(reference(1) + "\n"))
    today = dt.date.today().isoformat()
    assert (
        main(
            [
                "--db",
                url,
                "outcomes",
                "record",
                "--case",
                "-",
                "--kind",
                "mp_letter",
                "--result",
                "pending",
                "--on",
                today,
                "--staff",
                "ro-0001",
            ]
        )
        == 0
    )
    path = _csv(
        tmp_path / "o.csv",
        [(reference(2), "appeal", "upheld", today), ("HX-NOBODY", "appeal", "upheld", today)],
    )
    assert main(["--db", url, "outcomes", "import", str(path), "--dry-run", "--staff", "ro-0001"]) == 0
    assert main(["--db", url, "outcomes", "import", str(path), "--staff", "ro-0001"]) == 0
    out = capsys.readouterr()
    assert "2 rows: 1 would match a review, 1 not found" in out.out
    assert "1 recorded" in out.out
    assert "lines 3" in out.out
    assert "HX-" not in out.out + out.err
    assert "NOBODY" not in out.out + out.err
    assert main(["--db", url, "verify"]) == 0


def test_the_command_line_without_the_key_names_it_and_changes_no_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Importing with no key: exit 1, an error naming EDM_CASE_INDEX_KEY, the store files unchanged."""
    monkeypatch.delenv("EDM_CASE_INDEX_KEY", raising=False)
    db = tmp_path / "edm.db"
    store = open_store(f"sqlite:///{db}")
    closed_reviews(testing.service(store=store), 1)
    store.close()
    path = _csv(tmp_path / "o.csv", [(reference(1), "appeal", "upheld", "2026-01-05")])
    before = file_bytes(db)
    assert main(["--db", f"sqlite:///{db}", "outcomes", "import", str(path), "--staff", "ro-0001"]) == 1
    assert "EDM_CASE_INDEX_KEY: not set" in capsys.readouterr().err
    assert file_bytes(db) == before


@pytest.mark.parametrize("key", [b"k" * 16, b"a much longer key than one block of SHA-256, " * 3])
@pytest.mark.parametrize("ref", ["HX-000001/PRIVATE", " hx 12 ", "\uff28\uff58\uff11\uff12", "ß-case"])
def test_the_bulk_digester_is_the_same_hmac(key: bytes, ref: str) -> None:
    """The import's digester gives exactly hmac.digest's HMAC-SHA-256, for short and long keys, any text."""
    assert case_digester(key)(ref) == case_digest(key, ref)
