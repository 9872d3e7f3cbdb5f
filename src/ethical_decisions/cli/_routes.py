"""``routes``: the escalation routes and plugins installed, with their versions."""

from __future__ import annotations

import argparse

from ._common import connect
from ._table import table

__all__ = ["add_commands"]


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``routes``."""
    routes = commands.add_parser(
        "routes",
        help="list the installed escalation routes and plugins",
        description="List the escalation routes the installed plugins provide, and every plugin with "
        "its distribution and version. Installing or removing a route plugin changes this list.",
    )
    routes.set_defaults(run=_routes)


def _routes(args: argparse.Namespace) -> int:
    with connect(args) as edm:
        registry = edm.routes()
        owners = registry.plugins
        rows = [
            (
                r.route_id,
                r.business_area_name,
                r.name,
                r.version,
                f"{r.policy.response_target_days} days",
                r.transport.name,
                owners[r.route_id],
            )
            for r in registry
        ]
        print("Escalation routes")
        print(table(("route", "business area", "name", "version", "target", "transport", "plugin"), rows))
        if not rows:
            print(
                "  none installed: install a business area's route plugin, e.g. "
                "pip install ethical-decisions-chief-caseworker-unit"
            )
        print()
        print("Plugins")
        infos = edm.plugins.info()
        print(
            table(
                ("plugin", "distribution", "version", "kind"),
                [
                    (
                        i.name,
                        i.distribution or "-",
                        i.version or "-",
                        "built-in" if i.builtin else "installed",
                    )
                    for i in infos
                ],
            )
        )
        problems = edm.plugins.problems()
        if problems:
            print()
            print("Problems")
            for problem in problems:
                print(f"  {problem}")
    return 0
