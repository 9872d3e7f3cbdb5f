"""The examples: every script in examples/ runs as a reader runs it and says what to notice.

Each script is run as its own process, from the repository's root
(``python examples/<script>``, as ``examples/README.md`` says), with the
packages that the README's test set-up installs (``requirements-dev.txt``):
the library, the four business areas' route plugins and the tutorial's example
route plugin (``examples/route-plugin``). A new script fails here until its
key lines are added to :data:`EXPECTED`.
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
PLUGIN = EXAMPLES / "route-plugin"
PLUGIN_DISTRIBUTION = "ethical-decisions-overseas-ethics-panel"
TIMEOUT = 300


def _run(
    *args: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run this environment's Python with *args*, without the test run's ``EDM_*`` or ``PYTHONPATH``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("EDM_") and k != "PYTHONPATH"}
    return subprocess.run(
        [sys.executable, *map(str, args)],
        cwd=cwd,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def _assert_ran(result: subprocess.CompletedProcess[str], expected: list[str]) -> None:
    assert 0 == result.returncode, result.stdout + result.stderr
    missing = [line for line in expected if line not in result.stdout]
    assert [] == missing, result.stdout


EXPECTED = {
    "no_concerns.py": [
        "The model asks: Are there any ethical or unintended consequences in the proposed decision",
        "stage now: ready to proceed: no concerns",
        "Outcome class: no_concerns; decision changed: False.",
        "Audit chain: intact: 3 events in 1 reviews",
    ],
    "commonwealth_citizen.py": [
        "refused, nothing recorded: discretion inside the Immigration Rules must be considered",
        "inside the Rules: considered, not resolved",
        "outside the Rules: possible, but beyond the caseworker's authority",
        "to the Chief Caseworker Unit, advice due by",
        "finalising now is refused:",
        "Final decision: grant (proposed: refuse). Decision changed: True.",
        "Outcome class: resolved_after_escalation",
        "advice_given           by ccu-0012",
        "Stage now: advice received: respond to it",
        "The caseworker followed the advice, and says it resolves the concern. "
        "Stage now: ready to finalise: concerns resolved",
        "advice_responded       by cw-1042",
        "Audit chain verified: True (10 events).",
        "steps used: discretion_inside_rules, discretion_outside_rules, discussion, escalation",
    ],
    "frontline_referral.py": [
        "Escalated to safety_valve_mechanism with NO prior discussion: accepted",
        "discussion_held=False",
        "Advice given and followed; decision changed from detain to report.",
        "refused, nothing recorded: route 'safety_valve_mechanism' needs concern 'C1' discussed",
    ],
    "passport_and_border_force.py": [
        "HM Passport Office (HMPO): escalated to the Quality Examination Support Team",
        "Border Force: escalated to the National Immigration Casework Oversight Team",
        "advice given and followed; final decision 'issue' (proposed 'refuse'); resolved_after_escalation",
        "advice given and followed in part; final decision 'grant_entry' (proposed 'refuse_entry'); "
        "resolved_after_escalation",
    ],
    "route_team_queue.py": [
        "The Chief Caseworker Unit's queue: 3 referrals awaiting advice, oldest first.",
        "status now: returned",
        "the caseworker answered; status now: acknowledged",
        "was made to route chief_caseworker_unit, and svm-0004 is on route safety_valve_mechanism's team",
        "that review is now: advice received: respond to it",
        "Awaiting advice now: 0. With --all: 3.",
        ": followed by cw-1042; concern resolved",
        ": followed in part by cw-1107; concern resolved",
        ": not followed by cw-1",
        "; concern still unresolved",
    ],
    "pdr_and_department_reports.py": [
        "Ethical decision-making: PDR evidence",
        "Decision-maker cw-1042, 1 January 2026 to 31 March 2026",
        "Raising a concern never counts against anyone.",
        "Your part in reviews closed in the period",
        "Sampled records assessed by their line manager",
        "because the library requires them",
        "Reviews to talk about",
        "Ethical decision-making: department report",
        "Escalations per route per month",
        "Counts from 1 to 4, and a few others, are hidden",
    ],
    "route_plugin_walkthrough.py": [
        "Found route 'overseas_ethics_panel' (Overseas Ethics Panel, "
        "for Visas and Citizenship Overseas (example))",
        f"from {PLUGIN_DISTRIBUTION} 0.1.0",
        "[inside_rules] Could the applicant reasonably have provided it?",
        "A technical specialist escalated with no discussion, as the route's rules allow",
        "The panel advised; its advice could not be followed, and the concern is open.",
        "Escalated again, to the second tier 'Overseas Ethics Board' (overseas_ethics_board)",
        "The board advised and it was followed; the decision changed from refuse to grant: True.",
        "Audit chain: intact: 12 events in 1 reviews",
    ],
}
"""Each script in examples/, and the lines it must print (what it tells the reader to notice)."""

SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py"))


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_example_runs_and_says_what_to_notice(script: str) -> None:
    """The script, run from the repository's root, exits 0, prints its key lines and leaves no file behind."""
    assert script in EXPECTED, f"add the lines examples/{script} must print to EXPECTED"
    before = (_files(ROOT), _files(EXAMPLES))

    _assert_ran(_run(Path("examples") / script), EXPECTED[script])
    assert before == (_files(ROOT), _files(EXAMPLES)), "an example left files behind"


def test_every_expected_script_exists() -> None:
    """No script is expected here that examples/ no longer has (a renamed script is noticed)."""
    assert sorted(EXPECTED) == SCRIPTS


def test_reports_example_writes_html(tmp_path: Path) -> None:
    """With --html, the reports example writes both reports as self-contained HTML pages."""
    result = _run(Path("examples") / "pdr_and_department_reports.py", "--html", tmp_path / "out")

    _assert_ran(result, ["Wrote "])
    pages = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert ["department.html", "pdr-cw-1042.html"] == pages
    assert all("<html" in (tmp_path / "out" / p).read_text(encoding="utf-8") for p in pages)


def test_the_example_plugin_is_installed_by_the_test_set_up() -> None:
    """requirements-dev.txt installs the tutorial's plugin: its entry point is found like any other's."""
    try:
        distribution = importlib.metadata.distribution(PLUGIN_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        pytest.fail(f"{PLUGIN_DISTRIBUTION} is not installed: pip install -r requirements-dev.txt")
    entry_points = [(ep.group, ep.name) for ep in distribution.entry_points]

    assert [
        ("ethical_decisions", "overseas_ethics_board"),
        ("ethical_decisions", "overseas_ethics_panel"),
    ] == sorted(entry_points)


@pytest.mark.slow
def test_the_example_plugin_passes_its_own_tests() -> None:
    """Run from its own folder, as the tutorial says, the plugin passes the tests the tutorial writes."""
    result = _run("-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=PLUGIN)

    assert 0 == result.returncode, result.stdout + result.stderr
    assert "4 passed" in result.stdout


def test_the_walkthrough_says_how_to_install_the_plugin_when_it_is_missing() -> None:
    """Without the example route (blocked, as if not installed), the walkthrough exits 1 and says why."""
    result = _run(
        Path("examples") / "route_plugin_walkthrough.py", env={"EDM_BLOCKED_PLUGINS": "overseas_ethics_panel"}
    )

    assert 1 == result.returncode, result.stdout + result.stderr
    assert "python -m pip install -e examples/route-plugin" in result.stderr
