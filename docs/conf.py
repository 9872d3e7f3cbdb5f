"""Sphinx configuration: furo, MyST Markdown, autodoc, doctest; builds offline, without the network.

Build the site and run every code sample in it::

    sphinx-build -n -W --keep-going -b html docs docs/_build/html
    sphinx-build -n -W -b doctest docs docs/_build/doctest
"""

from __future__ import annotations

import sys
from importlib.metadata import version as _version
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(_HERE / "_ext"))

project = "ethical-decisions"
author = "ethical-decisions developers"
copyright = "2025-2026, ethical-decisions developers"
release = _version("ethical-decisions")
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "edm_docs",
    "edm_figures",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
templates_path: list[str] = []

# -- MyST --------------------------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# -- autodoc -----------------------------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
autoclass_content = "class"
add_module_names = False
python_use_unqualified_type_names = True
python_maximum_signature_line_length = 90

# -- doctest: every code sample on the site runs ------------------------------------------------
doctest_global_setup = """
import structlog
structlog.configure(processors=[], logger_factory=structlog.ReturnLoggerFactory())
"""
doctest_global_cleanup = """
structlog.reset_defaults()
"""

# -- cross-references, offline ------------------------------------------------------------------
# Links to the Python documentation need its inventory, and no build may fetch it. Debian's
# python3-doc package installs one; where it is installed, use it, and where not, leave
# intersphinx out (the standard-library names below are then left as plain text).
_PYTHON_INVENTORIES = sorted(Path("/usr/share/doc").glob("python3*/html/objects.inv"))
if _PYTHON_INVENTORIES:
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {"python": ("https://docs.python.org/3", str(_PYTHON_INVENTORIES[-1]))}
    intersphinx_cache_limit = 0

nitpicky = True
nitpick_ignore = [
    # Standard-library names in signatures: resolved by intersphinx when python3-doc is installed.
    ("py:class", "datetime.date"),
    ("py:class", "datetime.datetime"),
    ("py:class", "datetime.timedelta"),
    ("py:class", "random.Random"),
    ("py:class", "os.PathLike"),
    ("py:class", "pathlib.Path"),
    ("py:class", "argparse.ArgumentParser"),
    ("py:class", "collections.abc.Callable"),
    ("py:class", "collections.abc.Collection"),
    ("py:class", "collections.abc.Iterable"),
    ("py:class", "collections.abc.Iterator"),
    ("py:class", "collections.abc.Mapping"),
    ("py:class", "collections.abc.MutableMapping"),
    ("py:class", "collections.abc.Sequence"),
    ("py:class", "enum.StrEnum"),
    ("py:class", "typing.Any"),
    ("py:class", "typing.Protocol"),
    ("py:class", "Exception"),
    ("py:class", "LookupError"),
    ("py:class", "ValueError"),
    ("py:class", "object"),
    ("py:class", "str"),
    ("py:class", "int"),
    ("py:class", "float"),
    ("py:class", "bool"),
    ("py:class", "bytes"),
    ("py:class", "type"),
    ("py:class", "tuple"),
    ("py:class", "frozenset"),
    ("py:class", "dict"),
    ("py:class", "list"),
    ("py:data", "None"),
    ("py:obj", "None"),
    # attrs writes some report classes' __init__ annotations as the text "dt.datetime", which autodoc
    # cannot evaluate outside the module that imported datetime as dt; it is datetime.datetime.
    ("py:class", "dt.datetime"),
    # Private type variables of generic signatures: they have no entry of their own.
    ("py:class", "ethical_decisions.figures._K"),
    ("py:class", "ethical_decisions.serialization.T"),
    # Third-party names in signatures: pluggy, attrs and psycopg-pool publish no inventory we can use offline.
    ("py:class", "pluggy._manager.PluginManager"),
    ("py:class", "pluggy.PluginManager"),
    ("py:class", "pluggy._hooks.HookimplMarker"),
    ("py:class", "pluggy._hooks.HookspecMarker"),
    ("py:class", "psycopg_pool.ConnectionPool"),
]

# -- HTML -------------------------------------------------------------------------------------
html_theme = "furo"
html_title = f"ethical-decisions {release}"
html_static_path = ["_static"]
html_css_files = ["edm.css"]
html_theme_options = {"navigation_with_keys": True}
