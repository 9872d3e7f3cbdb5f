"""Sphinx directives that build pages from the library itself, so that the pages cannot drift from the code.

``edm-stage-diagram``
    the review's stages and the steps between them, as an inline SVG and a
    table, from :func:`edm_stages.stage_graph` (which walks reviews through the
    library's own rules at build time).
``edm-guidance``
    words of the Ethical Decision-Making Model quoted verbatim from
    :data:`ethical_decisions.GUIDANCE`.
``edm-cli``
    the command reference, from the ``argparse`` parser of ``ethical-decisions``.
``edm-names`` (reStructuredText only, e.g. inside ``{eval-rst}``)
    autodoc entries for names exported by :mod:`ethical_decisions`, each with
    the right directive (class, exception, function or data; a subpackage is
    a link to its own page).
``edm-module`` (reStructuredText only)
    a module's reference: its docstring and the public names that the package
    does not export at the top level (those are documented once, there).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys
from collections.abc import Iterator
from typing import Any, ClassVar

import edm_stages
from docutils import nodes
from docutils.parsers.rst import directives
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.errors import PycodeError
from sphinx.pycode import ModuleAnalyzer
from sphinx.util.docutils import SphinxDirective
from sphinx.util.parsing import nested_parse_to_nodes

from ethical_decisions import GUIDANCE

__all__ = ["setup"]

PACKAGE = "ethical_decisions"


# -- the stage diagram -----------------------------------------------------------------------


class StageDiagram(SphinxDirective):
    """The stages of a review as an SVG figure, then a table of every transition."""

    has_content = False
    option_spec: ClassVar[dict[str, Any]] = {"table": directives.flag}

    def run(self) -> list[nodes.Node]:
        """Walk reviews through the rules now, and draw what was found."""
        graph = edm_stages.stage_graph()
        self.env.note_dependency(edm_stages.__file__)
        figure = nodes.container(classes=["edm-stage-diagram"])
        figure += nodes.raw("", edm_stages.render_svg(graph), format="html")
        result: list[nodes.Node] = [figure]
        if "table" in self.options:
            result.append(self._table(graph))
        return result

    def _table(self, graph: edm_stages.StageGraph) -> nodes.table:
        rows = []
        for stage in graph.stages:
            for t in graph.from_stage(stage):
                after = "stays here" if t.target is t.source else str(t.target)
                rows.append((str(stage), edm_stages.step_label(t.step), t.actor, after))
        return _table(["At stage", "Step", "Taken by", "Leads to"], rows, widths=[24, 34, 14, 28])


def _table(headings: list[str], rows: list[tuple[str, ...]], widths: list[int]) -> nodes.table:
    table = nodes.table(classes=["edm-generated"])
    group = nodes.tgroup(cols=len(headings))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    head += _row(headings)
    body = nodes.tbody()
    group += body
    for row in rows:
        body += _row(list(row))
    return table


def _row(cells: list[str]) -> nodes.row:
    row = nodes.row()
    for text in cells:
        entry = nodes.entry()
        entry += nodes.paragraph(text=text)
        row += entry
    return row


# -- the model's words ------------------------------------------------------------------------


class GuidanceQuote(SphinxDirective):
    """Quote fields of :data:`ethical_decisions.GUIDANCE`, verbatim, as one block quote.

    The arguments name the fields, in order: any text field of
    :class:`ethical_decisions.guidance.Guidance`, ``steps`` (the four numbered steps with
    the escalation routes), or ``escalation_routes``.
    """

    required_arguments = 1
    optional_arguments = 20
    has_content = False

    def run(self) -> list[nodes.Node]:
        """The quoted words, attributed to the guidance and its version."""
        quote = nodes.block_quote(classes=["edm-guidance"])
        for name in self.arguments:
            if name == "steps":
                quote += self._steps()
            elif name == "escalation_routes":
                quote += self._routes()
            else:
                value = getattr(GUIDANCE, name, None)
                if not isinstance(value, str):
                    raise self.error(f"edm-guidance: GUIDANCE has no text field {name!r}")
                quote += nodes.paragraph(text=value)
        quote += nodes.attribution(text=GUIDANCE.label)
        return [quote]

    def _steps(self) -> nodes.enumerated_list:
        listing = nodes.enumerated_list(enumtype="arabic", prefix="", suffix=".")
        for step in GUIDANCE.steps:
            item = nodes.list_item()
            item += nodes.paragraph(text=step.text)
            if step.number == len(GUIDANCE.steps):
                item += self._routes()
            listing += item
        return listing

    def _routes(self) -> nodes.bullet_list:
        routes = nodes.bullet_list()
        for area, route in GUIDANCE.escalation_routes:
            item = nodes.list_item()
            paragraph = nodes.paragraph()
            paragraph += nodes.strong(text=f"{area} \u2013 {route}")
            item += paragraph
            routes += item
        return routes


# -- the command line -------------------------------------------------------------------------


def _subcommands(
    parser: argparse.ArgumentParser,
) -> Iterator[tuple[str, str | None, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield name, helps.get(name), sub


def _invocation(action: argparse.Action) -> str:
    if not action.option_strings:
        return str(action.metavar or action.dest)
    if action.nargs == 0:
        return ", ".join(action.option_strings)
    metavar = action.metavar or action.dest.upper()
    return ", ".join(f"{o} {metavar}" for o in action.option_strings)


def _help(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    formatter = parser._get_formatter()
    return formatter._expand_help(action) if action.help else ""


class CommandReference(SphinxDirective):
    """The reference of an ``argparse`` command, one section per command and subcommand.

    The argument is ``module:function``, a function that returns the parser.
    """

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        """Build the parser now and describe every command in it."""
        module_name, _, function = self.arguments[0].partition(":")
        module = importlib.import_module(module_name)
        parser: argparse.ArgumentParser = getattr(module, function)()
        self.env.note_dependency(inspect.getfile(module))
        return self._describe(parser, parser.prog, summary=None, top=True)

    def _describe(
        self, parser: argparse.ArgumentParser, command: str, summary: str | None, *, top: bool = False
    ) -> list[nodes.Node]:
        body: list[nodes.Node] = []
        usage = parser.format_usage().removeprefix("usage: ").strip()
        body.append(nodes.literal_block(usage, usage, language="text"))
        text = parser.description or summary
        if text:
            body.append(nodes.paragraph(text=text))
        options = [
            a
            for a in parser._actions
            if a.help != argparse.SUPPRESS and not isinstance(a, argparse._SubParsersAction)
        ]
        if options:
            definitions = nodes.definition_list(classes=["edm-cli-options"])
            for action in options:
                item = nodes.definition_list_item()
                term = nodes.term()
                term += nodes.literal(text=_invocation(action))
                item += term
                definition = nodes.definition()
                definition += nodes.paragraph(text=_help(parser, action))
                item += definition
                definitions += item
            body.append(definitions)
        if parser.epilog:
            body.append(nodes.paragraph(text=parser.epilog))
        children: list[nodes.Node] = []
        for name, help_text, sub in _subcommands(parser):
            children.extend(self._describe(sub, f"{command} {name}", help_text))
        if top:
            return body + children
        section = nodes.section(ids=[nodes.make_id(f"cli {command}")])
        section += nodes.title(text=command.removeprefix(f"{_top_prog(command)} "))
        section.extend(body)
        section.extend(children)
        self.state.document.note_implicit_target(section, section)
        return [section]


def _top_prog(command: str) -> str:
    return command.split(" ", 1)[0]


# -- API reference ----------------------------------------------------------------------------


def _defining_module(name: str, obj: object) -> str | None:
    """The module whose source documents *name*: a class's or function's own, or the one assigning data."""
    if inspect.isclass(obj) or inspect.isfunction(obj):
        return obj.__module__
    for module_name, module in sorted(sys.modules.items()):
        if not module_name.startswith(PACKAGE) or getattr(module, name, _MISSING) is not obj:
            continue
        try:
            docs = ModuleAnalyzer.for_module(module_name).find_attr_docs()
        except PycodeError:
            continue
        if ("", name) in docs:
            return module_name
    return None


_MISSING = object()


def _data_entry(fullname: str, name: str, obj: object, defining: str | None) -> list[str]:
    """A data entry, written out with the docstring from the source that assigns it.

    (autodoc would show the docstring of the value's type for a name the package re-exports.)
    """
    module, _, short = fullname.rpartition(".")
    lines = [f".. py:data:: {short}", f"   :module: {module}"]
    if defining is not None and f"{defining}.{name}" != fullname:
        lines.append(f"   :canonical: {defining}.{name}")
    if isinstance(obj, int | str) and not isinstance(obj, bool):
        lines.append(f"   :value: {obj!r}")
    lines.append("")
    docs = ModuleAnalyzer.for_module(defining).find_attr_docs() if defining else {}
    lines += [f"   {line}" for line in docs.get(("", name), [])]
    return lines


def _entry(fullname: str, name: str, obj: object) -> list[str]:
    """The reference entry for *obj*, documented as *fullname*, chosen by what it is."""
    if inspect.ismodule(obj):  # a subpackage the package exports: documented on its own page
        return [f"``{name}``: the :py:mod:`{obj.__name__}` subpackage, documented on its own page.", ""]
    if inspect.isclass(obj) and issubclass(obj, BaseException):
        return [f".. autoexception:: {fullname}", "   :members:", "   :show-inheritance:", ""]
    if inspect.isclass(obj):
        return [f".. autoclass:: {fullname}", "   :members:", "   :undoc-members:", ""]
    if inspect.isfunction(obj):
        return [f".. autofunction:: {fullname}", ""]
    return [*_data_entry(fullname, name, obj, _defining_module(name, obj)), ""]


class _Entries(SphinxDirective):
    """Reference entries for names, each also findable under the name of the module that defines it."""

    def entries(self, module_name: str, names: list[str]) -> list[nodes.Node]:
        module = importlib.import_module(module_name)
        lines: list[str] = []
        aliases: list[tuple[str, str]] = []
        for name in names:
            obj = getattr(module, name)
            fullname = f"{module_name}.{name}"
            lines += _entry(fullname, name, obj)
            if inspect.isfunction(obj) and f"{obj.__module__}.{name}" != fullname:
                # autodoc gives classes a canonical name; give functions one too, so that a docstring's
                # :func:`ethical_decisions.audit.verify` finds ethical_decisions.verify.
                aliases.append((f"{obj.__module__}.{name}", fullname))
        result = nested_parse_to_nodes(self.state, "\n".join(lines), allow_section_headings=False)
        domain = self.env.get_domain("py")
        for name in names:
            obj = getattr(module, name)
            canonical = f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', '')}"
            prefix = f"{module_name}.{name}."
            if inspect.isclass(obj) and canonical != f"{module_name}.{name}":
                # ... and a class's members too: :attr:`ethical_decisions.plugins.Plugins.info`.
                members = [key for key in list(domain.objects) if key.startswith(prefix)]
                aliases += [(f"{canonical}.{key.removeprefix(prefix)}", key) for key in members]
        self.alias(aliases)
        return result

    def alias(self, aliases: list[tuple[str, str]]) -> None:
        """Let references to each first name find the entry of the second."""
        domain = self.env.get_domain("py")
        for alias, fullname in aliases:
            if alias in domain.objects:  # already known, as this name or as an alias of it
                continue
            entry = domain.objects.get(fullname)
            objtype = entry.objtype if entry is not None else "function"
            domain.note_object(alias, objtype, fullname, aliased=True, location=self.get_location())


class Names(_Entries):
    """Reference entries for the names given in the content, one a line, from the package's top level."""

    has_content = True

    def run(self) -> list[nodes.Node]:
        """One entry per name."""
        package = importlib.import_module(PACKAGE)
        names = [line.strip() for line in self.content if line.strip()]
        unknown = [n for n in names if n not in package.__all__]
        if unknown:
            raise self.error(f"edm-names: not in {PACKAGE}.__all__: {', '.join(unknown)}")
        return self.entries(PACKAGE, names)


class ModuleReference(_Entries):
    """A module's docstring and public names, less those documented with the package's top level."""

    required_arguments = 1
    has_content = False
    option_spec: ClassVar[dict[str, Any]] = {"exclude": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        """The module's docstring, its own names, then a line that links to the shared ones."""
        module_name = self.arguments[0]
        module = importlib.import_module(module_name)
        package = importlib.import_module(PACKAGE)
        excluded = set(self.options.get("exclude", "").replace(",", " ").split())
        public = [n for n in getattr(module, "__all__", ()) if n not in excluded]
        shared = sorted(
            n for n in public if n in package.__all__ and getattr(package, n) is getattr(module, n)
        )
        own = [n for n in public if n not in shared]
        result = nested_parse_to_nodes(
            self.state, f".. automodule:: {module_name}\n", allow_section_headings=False
        )
        result += self.entries(module_name, own)
        # A docstring in this module may name a shared name as this module's: let it find the package's entry.
        # (Where this module defines the name, the entry already carries it as its canonical name.)
        self.alias(
            [
                (f"{module_name}.{name}", f"{PACKAGE}.{name}")
                for name in shared
                if _defining_module(name, getattr(module, name)) != module_name
            ]
        )
        if shared:
            links = ", ".join(f":py:obj:`~{PACKAGE}.{name}`" for name in shared)
            text = f"Also in this module, and exported by the package itself: {links}."
            result += nested_parse_to_nodes(self.state, text, allow_section_headings=False)
        return result


def _in_defining_module(
    app: Sphinx, env: Any, node: addnodes.pending_xref, contnode: nodes.TextElement
) -> nodes.Element | None:
    """Resolve a docstring's reference relative to the module that defines the object it documents.

    A name exported by the package is documented once, as ``ethical_decisions.NAME``, so a reference
    in its docstring is first looked up relative to ``ethical_decisions``. Its author wrote it relative
    to the module that defines it (``:data:`DEFAULT_HOOK_TIMEOUT``` in ``ethical_decisions.plugins``):
    look there too. Only that one module is tried, so a reference to a name that is nowhere is still
    reported.
    """
    if node.get("refdomain") != "py" or not str(node.get("py:module", "")).startswith(PACKAGE):
        return None
    description = node.parent
    while description is not None and not isinstance(description, addnodes.desc):
        description = description.parent
    if description is None or not description.children:
        return None
    ids = description.children[0].get("ids") or []
    if not ids or not ids[0].startswith(f"{PACKAGE}."):
        return None
    obj: Any = importlib.import_module(PACKAGE)
    defining = None
    for part in ids[0].removeprefix(f"{PACKAGE}.").split("."):
        obj = getattr(obj, part, None)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            defining = obj.__module__
    if defining is None or defining == node.get("py:module"):
        return None
    domain = env.get_domain("py")
    target = f"{defining}.{node['reftarget']}"
    return domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"], target, node, contnode)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directives."""
    app.add_directive("edm-stage-diagram", StageDiagram)
    app.add_directive("edm-guidance", GuidanceQuote)
    app.add_directive("edm-cli", CommandReference)
    app.add_directive("edm-names", Names)
    app.add_directive("edm-module", ModuleReference)
    app.connect("missing-reference", _in_defining_module)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
