"""Plugins found through entry points, with fake distributions installed on a temporary ``sys.path``."""

from __future__ import annotations

import importlib
import re
import shutil
import sys
from pathlib import Path

import pytest

from ethical_decisions import DuplicateRouteError, PluginInfo, Plugins, make_plugins

ROUTE_PLUGIN = """
from ethical_decisions import hookimpl, testing

@hookimpl
def ethical_decisions_register_routes(register):
    register(testing.route({route_id!r}, business_area="border_force"))
"""
BROKEN_PLUGIN = 'raise RuntimeError("this plugin cannot be imported")\n'


class FakeSite:
    """A directory on ``sys.path`` where distributions can be installed and removed by writing files."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tag = re.sub(r"\W", "_", root.name)

    def install(self, distribution: str, version: str, entry_point: str, source: str) -> str:
        """Install *distribution* with one plugin, *entry_point*, from *source*; the module's name."""
        module = f"{entry_point}_{self.tag}"  # unique per test, so no module is reused from sys.modules
        (self.root / f"{module}.py").write_text(source)
        info = self.root / f"{distribution.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text(f"[ethical_decisions]\n{entry_point} = {module}\n")
        importlib.invalidate_caches()
        return module

    def uninstall(self, distribution: str) -> None:
        """Remove *distribution*'s metadata, as ``pip uninstall`` would."""
        for info in self.root.glob(f"{distribution.replace('-', '_')}-*.dist-info"):
            shutil.rmtree(info)
        importlib.invalidate_caches()


@pytest.fixture(name="site")
def _site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeSite:
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("EDM_BLOCKED_PLUGINS", raising=False)
    return FakeSite(tmp_path)


def _fake(plugins: Plugins) -> list[PluginInfo]:
    return [info for info in plugins.info() if info.name.startswith("fake_")]


def test_plugin_listed_with_its_distribution_version(site: FakeSite) -> None:
    """An installed plugin is listed with its distribution's name and version, and its route registered."""
    site.install("edm-fake-route", "2.3.4", "fake_route", ROUTE_PLUGIN.format(route_id="fake_route_id"))

    plugins = make_plugins(blocked=())

    assert [PluginInfo("fake_route", "edm-fake-route", "2.3.4")] == _fake(plugins)
    assert "fake_route_id" in plugins.routes()


def test_installing_and_removing_changes_the_list(site: FakeSite) -> None:
    """Installing or removing a distribution changes the plugins and routes, with no change to any code."""
    before = make_plugins(blocked=())
    site.install("edm-fake-route", "1.0", "fake_route", ROUTE_PLUGIN.format(route_id="fake_route_id"))
    installed = make_plugins(blocked=())
    site.uninstall("edm-fake-route")
    removed = make_plugins(blocked=())

    assert tuple([i.name for i in _fake(p)] for p in (before, installed, removed)) == ([], ["fake_route"], [])
    assert "fake_route_id" not in removed.routes()


def test_broken_plugin_is_reported_by_name_and_the_others_load(site: FakeSite) -> None:
    """A plugin that cannot be imported is reported by its name; the plugins beside it still load."""
    site.install("edm-fake-broken", "1.0", "fake_broken", BROKEN_PLUGIN)
    site.install("edm-fake-route", "1.0", "fake_route", ROUTE_PLUGIN.format(route_id="fake_route_id"))

    plugins = make_plugins(blocked=())

    assert [(p.plugin, p.hook, p.error_type) for p in plugins.problems()] == [
        ("fake_broken", None, "RuntimeError")
    ]
    assert [i.name for i in _fake(plugins)] == ["fake_route"]
    assert "fake_route_id" in plugins.routes()


def test_blocked_plugin_is_not_loaded(site: FakeSite, monkeypatch: pytest.MonkeyPatch) -> None:
    """A plugin named in ``blocked`` or ``EDM_BLOCKED_PLUGINS`` is not even imported, and adds no route."""
    module = site.install(
        "edm-fake-route", "1.0", "fake_route", ROUTE_PLUGIN.format(route_id="fake_route_id")
    )

    blocked_by_argument = make_plugins(blocked=["fake_route"])
    monkeypatch.setenv("EDM_BLOCKED_PLUGINS", "someone_else, fake_route")
    blocked_by_environment = make_plugins()

    for plugins in (blocked_by_argument, blocked_by_environment):
        assert _fake(plugins) == []
        assert "fake_route_id" not in plugins.routes()
    assert module not in sys.modules


def test_duplicate_route_ids_name_both_plugins(site: FakeSite) -> None:
    """Two plugins registering one route id is an error that names both of them."""
    site.install("edm-fake-one", "1.0", "fake_one", ROUTE_PLUGIN.format(route_id="shared_id"))
    site.install("edm-fake-two", "1.0", "fake_two", ROUTE_PLUGIN.format(route_id="shared_id"))

    with pytest.raises(DuplicateRouteError) as caught:
        make_plugins(blocked=()).routes()

    assert {"fake_one", "fake_two"} == set(caught.value.plugins)
    assert "'fake_one'" in str(caught.value)
    assert "'fake_two'" in str(caught.value)
