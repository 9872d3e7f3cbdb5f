"""The examples: each script runs on its own and prints what to notice; the tutorial's plugin installs.

Every script is run as its own process, as a reader would run it, with the
installed library and route plugins. The example route plugin of the tutorial
(``examples/route-plugin``) is built and installed into a temporary folder,
put on the path of the processes that need it, and its own tests and the
script that uses it are run there.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PLUGIN = EXAMPLES / "route-plugin"
TIMEOUT = 300


def _run(*args: str | Path, cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDM_")}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    else:
        env.pop("PYTHONPATH", None)
    return subprocess.run(
        [sys.executable, *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def _assert_ran(result: subprocess.CompletedProcess[str], expected: list[str]) -> None:
    assert 0 == result.returncode, result.stdout + result.stderr
    missing = [line for line in expected if line not in result.stdout]
    assert [] == missing, result.stdout


SCRIPTS = {
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
        "Audit chain verified: True (9 events).",
        "steps used: discretion_inside_rules, discretion_outside_rules, discussion, escalation",
    ],
    "frontline_referral.py": [
        "Escalated to safety_valve_mechanism with NO prior discussion: accepted",
        "discussion_held=False",
        "Advice given; decision changed from detain to report.",
        "refused, nothing recorded: route 'safety_valve_mechanism' needs concern 'C1' discussed",
    ],
    "passport_and_border_force.py": [
        "HM Passport Office (HMPO): escalated to the Quality Examination Support Team",
        "Border Force: escalated to the National Immigration Casework Oversight Team",
        "advice given; final decision 'issue' (proposed 'refuse'); resolved_after_escalation",
        "advice given; final decision 'grant_entry' (proposed 'refuse_entry'); resolved_after_escalation",
    ],
    "route_team_queue.py": [
        "The Chief Caseworker Unit's queue: 3 referrals awaiting advice, oldest first.",
        "status now: returned",
        "the caseworker answered; status now: acknowledged",
        "a member of route 'safety_valve_mechanism' cannot act on it",
        "that review is now: ready to finalise: concerns resolved",
        "Awaiting advice now: 0. With --all: 3.",
    ],
    "pdr_and_department_reports.py": [
        "Ethical decision-making: PDR evidence",
        "Decision-maker cw-1042, 1 January 2026 to 31 March 2026",
        "Raising a concern never counts against anyone.",
        "Reviews to talk about",
        "Ethical decision-making: department report",
        "Escalations per route per month",
        "Counts under 5 are suppressed",
    ],
}


@pytest.mark.parametrize(("script", "expected"), sorted(SCRIPTS.items()))
def test_example_runs_and_says_what_to_notice(script: str, expected: list[str], tmp_path: Path) -> None:
    """The script exits 0 and prints its key lines, run from an empty folder using only installed packages."""
    _assert_ran(_run(EXAMPLES / script, cwd=tmp_path), expected)
    assert [] == list(tmp_path.iterdir()), "an example left files behind"


def test_every_example_script_is_tested() -> None:
    """No script in examples/ is left out of the tests (the plugin walkthrough is tested with the plugin)."""
    scripts = {p.name for p in EXAMPLES.glob("*.py")}

    assert scripts == {*SCRIPTS, "route_plugin_walkthrough.py"}


def test_reports_example_writes_html(tmp_path: Path) -> None:
    """With --html, the reports example writes both reports as self-contained HTML pages."""
    result = _run(EXAMPLES / "pdr_and_department_reports.py", "--html", tmp_path / "out", cwd=tmp_path)

    _assert_ran(result, ["Wrote "])
    pages = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert ["department.html", "pdr-cw-1042.html"] == pages
    assert all("<html" in (tmp_path / "out" / p).read_text(encoding="utf-8") for p in pages)


@pytest.fixture(name="installed_plugin", scope="module")
def _installed_plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example route plugin, built and installed into a temporary folder, not the test environment."""
    target = tmp_path_factory.mktemp("route-plugin-installed")
    # Build with the environment's own hatchling when it has one, so that no build step needs the network.
    isolation = [] if importlib.util.find_spec("hatchling") else ["--use-pep517"]
    no_isolation = ["--no-build-isolation"] if not isolation else []
    result = _run(
        "-m", "pip", "install", "--quiet", "--no-deps", *no_isolation, *isolation,
        "--target", target, PLUGIN,
        cwd=tmp_path_factory.getbasetemp(),
    )  # fmt: skip
    assert 0 == result.returncode, result.stdout + result.stderr
    assert (target / "edm_overseas_ethics_panel" / "__init__.py").is_file()
    return target


@pytest.mark.slow
def test_the_example_plugin_passes_its_own_tests(installed_plugin: Path) -> None:
    """Installed, the tutorial's plugin passes the tests the tutorial writes for it, entry point included."""
    result = _run("-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=PLUGIN, pythonpath=installed_plugin)

    assert 0 == result.returncode, result.stdout + result.stderr
    assert "3 passed" in result.stdout


@pytest.mark.slow
def test_the_example_plugin_walks_a_referral_end_to_end(installed_plugin: Path, tmp_path: Path) -> None:
    """The walkthrough finds the installed route by its entry point and walks a referral through it."""
    result = _run(EXAMPLES / "route_plugin_walkthrough.py", cwd=tmp_path, pythonpath=installed_plugin)

    _assert_ran(
        result,
        [
            "Found route 'overseas_ethics_panel' (Overseas Ethics Panel, "
            "for Visas and Citizenship Overseas (example))",
            "from ethical-decisions-overseas-ethics-panel 0.1.0",
            "[inside_rules] Could the applicant reasonably have provided it?",
            "A technical specialist escalated with no discussion, as the route's rules allow",
            "The panel advised; the decision changed from refuse to grant: True.",
            "Audit chain: intact: 7 events in 1 reviews",
        ],
    )


def test_the_walkthrough_says_how_to_install_the_plugin_when_it_is_missing(tmp_path: Path) -> None:
    """Without the example plugin installed, the walkthrough exits 1 and says how to install it."""
    try:
        importlib.metadata.distribution("ethical-decisions-overseas-ethics-panel")
    except importlib.metadata.PackageNotFoundError:
        pass
    else:
        pytest.skip("the example plugin is installed in this environment")
    result = _run(EXAMPLES / "route_plugin_walkthrough.py", cwd=tmp_path)

    assert 1 == result.returncode
    assert "python -m pip install -e examples/route-plugin" in result.stderr
