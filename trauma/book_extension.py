"""Sphinx extension (listed in _config.yml):
- before Sphinx looks for pages, execute every stale or missing notebook of
  variants.yml, so that a plain `jupyter-book build .` never silently builds a book
  without its results;
- number and caption the glued tables as tables: myst-nb's `glue:figure` makes a
  figure of whatever it shows, so a captioned table whose name starts with `tbl-`
  becomes a `table_figure`, drawn like a figure but counted as "Table N";
- draw the interactive figures (`trauma.interactive`) in the HTML book, offline: a
  myst-nb mime renderer (the entry point `myst_nb.mime_renderers: trauma-plotly` in
  pyproject.toml) turns a Plotly specification into a <div> and its JSON, the HTML
  builders prefer it to the PNG beside it (every other builder takes the PNG), and
  only pages with such a figure load plotly.js, copied from the plotly wheel into
  the build (never from a CDN).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from docutils import nodes
from sphinx.errors import ExtensionError
from sphinx.transforms import SphinxTransform
from sphinx.util import logging

logger = logging.getLogger(__name__)


def _execute_stale(app, config) -> None:
    import os

    os.environ.setdefault("TRAUMA_ROOT", str(app.srcdir))  # the book being built, wherever the build starts
    from .params import ParameterError
    from .pipeline import PipelineError, run_stale
    from .variants import TableError

    try:
        run_stale(log=logger.info)
    except (PipelineError, TableError, ParameterError) as error:
        raise ExtensionError(str(error)) from None


class table_figure(nodes.figure):  # noqa: N801 (docutils names nodes in lower case)
    """A glued table with its caption, numbered among the tables."""


class TablesAsTables(SphinxTransform):
    """Glued figures named tbl-... become table_figure nodes, before Sphinx collects
    labels and numbers (both happen after the document is read)."""

    default_priority = 500

    def apply(self) -> None:
        for figure in list(self.document.findall(nodes.figure)):
            if type(figure) is nodes.figure and any(name.startswith("tbl-") for name in figure["names"]):
                table = table_figure(figure.rawsource, *figure.children, **figure.attributes)
                figure.replace_self(table)


def _visit_as_figure(translator, node) -> None:
    translator.visit_figure(node)


def _depart_as_figure(translator, node) -> None:
    translator.depart_figure(node)


PLOTLY_MIME = "application/vnd.plotly.v1+json"  # trauma.interactive.MIME (not imported: that module imports matplotlib)
HTML_BUILDERS = ("html", "dirhtml", "singlehtml")
SCRIPTS = ("plotly.min.js", "trauma-plotly.js")


class PlotlyRenderer:
    """myst-nb mime renderer plugin: a Plotly specification becomes a <div> for
    trauma-plotly.js to draw, followed by the specification as JSON."""

    mime_priority_overrides = [(builder, PLOTLY_MIME, 1) for builder in HTML_BUILDERS]  # before image/png

    @staticmethod
    def handle_mime(renderer, data, inline):
        if inline or data.mime_type != PLOTLY_MIME:
            return None
        spec = json.dumps(data.content, separators=(",", ":")).replace("</", "<\\/")
        html = f'<div class="trauma-plotly"></div>\n<script type="application/json">{spec}</script>'
        return [nodes.raw("", html, format="html")]


def _load_plotly_where_drawn(app, pagename, templatename, context, doctree) -> None:
    """Add plotly.js and the drawing script to this page only, if it has a figure
    (added at builder-inited or in _static/, they would load on every page)."""
    if doctree is not None and any('class="trauma-plotly"' in node.astext() for node in doctree.findall(nodes.raw)):
        for script in SCRIPTS:
            app.add_js_file(script)


def _copy_scripts(app, exception) -> None:
    """Copy plotly.js from the installed plotly package, and the drawing script, into
    the HTML build's _static/."""
    if exception is not None or app.builder.name not in HTML_BUILDERS:
        return
    import plotly

    static = Path(app.outdir) / "_static"
    shutil.copy(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", static / "plotly.min.js")
    shutil.copy(Path(__file__).parent / "book_static" / "trauma-plotly.js", static / "trauma-plotly.js")


def _disable_thebe(app) -> None:
    """The book has no live code cells, so it needs no Thebe. Jupyter Book 1.0.4
    always loads sphinx-thebe 0.3.1, whose inline configuration script then appears
    twice on every page, and the second copy throws "Identifier 'THEBE_JS_URL' has
    already been declared" in the browser console. Drop its script-adding listener."""
    listeners = app.events.listeners.get("env-before-read-docs", [])
    for listener in list(listeners):
        if getattr(listener.handler, "__module__", "") == "sphinx_thebe" and listener.handler.__name__ == "init_thebe_core":
            app.disconnect(listener.id)


def setup(app):
    # Before sphinx_external_toc reads _toc.yml (priority 900) and Sphinx globs pages.
    app.connect("config-inited", _execute_stale, priority=100)
    app.connect("builder-inited", _disable_thebe)
    as_figure = (_visit_as_figure, _depart_as_figure)
    app.add_enumerable_node(table_figure, "table", html=as_figure, latex=as_figure, text=as_figure, man=as_figure, texinfo=as_figure)
    app.add_transform(TablesAsTables)
    app.connect("html-page-context", _load_plotly_where_drawn)
    app.connect("build-finished", _copy_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
