"""No free text typed into a review, and no applicant detail, ever reaches a report in any format."""

from __future__ import annotations

from ethical_decisions.reports import FORMATS, department_report, pdr_report, render
from tests.test_privacy import Markers

from .conftest import AS_OF, QUARTER, quarter


def test_no_free_text_in_any_report() -> None:
    """Markers in every free-text field of a quarter's reviews appear in no report, in no format."""
    markers = Markers()
    store = quarter(words=markers).store
    reports = [department_report(store, QUARTER, as_of=AS_OF, threshold=3)]
    for staff_id in ("dm-0001", "dm-0002", "io-0042", "cw-0100"):
        reports.append(pdr_report(store, staff_id, QUARTER, sample_size=20, seed=1, made_at=AS_OF))

    pages = [render(report, fmt) for report in reports for fmt in FORMATS]

    assert len(set(markers.issued)) > 100
    assert [m for m in markers.issued if any(m in page for page in pages)] == []
    assert [p for p in pages if "MARKER" in p] == []
