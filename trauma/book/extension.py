"""Sphinx extension (listed in _config.yml):
- before Sphinx looks for pages, execute every stale or missing notebook of
  variants.yml, so that a plain `jupyter-book build .` never silently builds a book
  without its results;
- number and caption the glued tables as tables: myst-nb's `glue:figure` makes a
  figure of whatever it shows, so a captioned table whose name starts with `tbl-`
  becomes a `table_figure`, drawn like a figure but counted as "Table N";
- draw the interactive figures (`trauma.page.interactive`) in the HTML book, offline: a
  myst-nb mime renderer (the entry point `myst_nb.mime_renderers: trauma-plotly` in
  pyproject.toml) turns a Plotly specification into a <div> and its JSON, the HTML
  builders prefer it to the PNG beside it (every other builder takes the PNG), and
  only pages with such a figure load plotly.js, copied from the plotly wheel into
  the build (never from a CDN);
- in the PDF (LaTeX builder): leave out the code the HTML folds away, and make each
  HTML table output (pandas) a real table; a glued table's caption becomes its
  title, so LaTeX numbers it "Table N" and breaks long ones across pages.
"""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

from docutils import nodes
from sphinx.errors import ExtensionError
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

logger = logging.getLogger(__name__)


def _execute_stale(app, config) -> None:
    import os

    os.environ.setdefault("TRAUMA_ROOT", str(app.srcdir))  # the book being built, wherever the build starts
    from ..numerics.params import ParameterError
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


PLOTLY_MIME = (
    "application/vnd.plotly.v1+json"  # trauma.page.interactive.MIME (not imported: that module imports matplotlib)
)
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
    shutil.copy(Path(__file__).parent / "static" / "trauma-plotly.js", static / "trauma-plotly.js")


def _unbreakable(text: str) -> str:
    """Keep "4.1 %" and "[2.9, 5.5]" on one line each (no-break spaces)."""
    text = re.sub(r"\[[^\]]*\]", lambda m: m.group(0).replace(" ", "\u00a0"), text)
    return text.replace(" %", "\u00a0%")


class _HtmlTableCells(HTMLParser):
    """The cells of an HTML table (as pandas writes it), row by row: each cell is
    [text, rowspan, colspan, header?]; `head` counts the rows in <thead>."""

    def __init__(self) -> None:
        super().__init__()
        self.rows, self.head, self.cell = [], 0, None

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("th", "td") and self.rows:
            self.cell = ["", int(attrs.get("rowspan") or 1), int(attrs.get("colspan") or 1), tag == "th"]
            self.rows[-1].append(self.cell)

    def handle_endtag(self, tag) -> None:
        if tag in ("th", "td") and self.cell is not None:
            self.cell[0] = _unbreakable(" ".join(self.cell[0].split()))
            self.cell = None
        elif tag == "thead":
            self.head = len(self.rows)

    def handle_data(self, data) -> None:
        if self.cell is not None:
            self.cell[0] += data


def _merge_pandas_header(rows: list, head: int) -> tuple[list, int]:
    """pandas writes the column names and the index names as two header rows, each
    blank where the other has text: make them one row."""
    if (
        head == 2
        and len(rows[0]) == len(rows[1])
        and all(c[1] == c[2] == 1 for c in rows[0] + rows[1])
        and all(not (a[0] and b[0]) for a, b in zip(rows[0], rows[1]))
    ):
        return [[[a[0] or b[0], 1, 1, True] for a, b in zip(rows[0], rows[1])]] + rows[2:], 1
    return rows, head


def _column_widths(rows: list, room: int = 100) -> list[int]:
    """Each column's width in characters (cells placed where the rowspans above leave
    room, as HTML does): its widest one-column cell, the widest cut down first until
    the columns fit `room`, none below its longest word; 3 more for the padding."""
    natural, words, taken = {}, {}, set()  # taken: (row, column) covered by a cell
    for r, row in enumerate(rows):
        column = 0
        for text, rowspan, colspan, _ in row:
            while (r, column) in taken:
                column += 1
            taken |= {(r + i, column + j) for i in range(rowspan) for j in range(colspan)}
            if colspan == 1:
                natural[column] = max(natural.get(column, 1), len(text))
                words[column] = max([words.get(column, 1)] + [len(word) for word in text.split(" ")])
            column += colspan
    columns = range(max(c for _, c in taken) + 1)
    cap = max(natural.get(c, 1) for c in columns)
    while cap > 1 and sum(min(natural.get(c, 1), cap) + 3 for c in columns) > room:
        cap -= 1
    return [max(min(natural.get(c, 1), cap), words.get(c, 1)) + 3 for c in columns]


def _docutils_table(html: str) -> nodes.table | None:
    """A docutils table of the HTML table in `html` (None if it has none): header
    rows as a thead, row labels (th cells in the body) as stub columns."""
    parser = _HtmlTableCells()
    parser.feed(html)
    rows, head = _merge_pandas_header([r for r in parser.rows if r], parser.head)
    if not rows:
        return None
    widths = _column_widths(rows)
    stubs = sum(c[2] for c in rows[head] if c[3]) if len(rows) > head else 0
    group = nodes.tgroup(cols=len(widths))
    group += [nodes.colspec(colwidth=w, **({"stub": 1} if i < stubs else {})) for i, w in enumerate(widths)]
    for part, part_rows in ((nodes.thead(), rows[:head]), (nodes.tbody(), rows[head:])):
        for cells in part_rows:
            row = nodes.row()
            for text, rowspan, colspan, _ in cells:
                entry = nodes.entry(morerows=rowspan - 1, morecols=colspan - 1)
                entry += nodes.paragraph(text, text) if text else []
                row += entry
            part += row
        if part_rows:
            group += part
    return nodes.table("", group, classes=["colwidths-given"])


def _is_cell(node, element: str) -> bool:
    """Whether `node` is myst-nb's container of this kind (a code cell, its source,
    its output, an output's mime bundle)."""
    return isinstance(node, nodes.container) and node.get("nb_element") == element


def _drop_hidden_code(document) -> None:
    """What the HTML folds away (hide-input, hide-cell) a printed page cannot unfold:
    leave it out."""
    hidden = {
        "all": ("cell_code_source", "cell_code_output"),
        "input": ("cell_code_source",),
        "output": ("cell_code_output",),
        "input+output": ("cell_code_source", "cell_code_output"),
    }
    for cell in list(document.findall(lambda n: _is_cell(n, "cell_code") and n.get("hide_mode") in hidden)):
        for part in [child for child in cell.children if child.get("nb_element") in hidden[cell["hide_mode"]]]:
            cell.remove(part)
        if not cell.children:
            cell.parent.remove(cell)


def _html_outputs_as_tables(document) -> None:
    """Every output with an HTML table (pandas) becomes a docutils table: LaTeX
    cannot show HTML, and its text/plain would be monospaced and overflow."""
    for bundle in list(document.findall(lambda n: _is_cell(n, "mime_bundle"))):
        for html in bundle.findall(lambda n: isinstance(n, nodes.raw) and "html" in n.get("format", "")):
            table = _docutils_table(html.astext()) if "<table" in html.astext() else None
            if table is not None:
                bundle.replace_self(table)
                break


def _numbered_tables(document) -> None:
    """Each table_figure becomes its table with the figure's caption as the title and
    the figure's ids (so references still reach it), the legend after it; LaTeX
    numbers it "Table N". A glued non-table (a sentence) goes in a one-cell table."""
    for figure in list(document.findall(table_figure)):
        parts = [child for child in figure.children if not isinstance(child, (nodes.caption, nodes.legend))]
        table = next((t for part in parts for t in part.findall(nodes.table)), None)
        if table is None:
            cell = nodes.entry("", *[part.deepcopy() for part in parts])
            table = nodes.table(
                "", nodes.tgroup("", nodes.colspec(colwidth=1), nodes.tbody("", nodes.row("", cell)), cols=1)
            )
        table = table.deepcopy()
        for caption in figure.findall(nodes.caption):
            table.insert(0, nodes.title(caption.rawsource, "", *[child.deepcopy() for child in caption.children]))
            break
        table["ids"], table["names"] = figure["ids"], figure["names"]
        figure.replace_self(
            [table, *[legend.deepcopy() for legend in figure.children if isinstance(legend, nodes.legend)]]
        )


class ForLatex(SphinxPostTransform):
    """The PDF's pages (LaTeX builder only): no folded code, tables as tables,
    glued tables numbered as tables. Runs before myst-nb picks one output per
    builder (priority 4), which would drop the HTML."""

    default_priority = 3
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        _drop_hidden_code(self.document)
        _html_outputs_as_tables(self.document)
        _numbered_tables(self.document)


def _disable_thebe(app) -> None:
    """The book has no live code cells, so it needs no Thebe. Jupyter Book 1.0.4
    always loads sphinx-thebe 0.3.1, whose inline configuration script then appears
    twice on every page, and the second copy throws "Identifier 'THEBE_JS_URL' has
    already been declared" in the browser console. Drop its script-adding listener."""
    listeners = app.events.listeners.get("env-before-read-docs", [])
    for listener in list(listeners):
        if (
            getattr(listener.handler, "__module__", "") == "sphinx_thebe"
            and listener.handler.__name__ == "init_thebe_core"
        ):
            app.disconnect(listener.id)


def setup(app):
    # Before sphinx_external_toc reads _toc.yml (priority 900) and Sphinx globs pages.
    app.connect("config-inited", _execute_stale, priority=100)
    app.connect("builder-inited", _disable_thebe)
    as_figure = (_visit_as_figure, _depart_as_figure)
    app.add_enumerable_node(
        table_figure, "table", html=as_figure, latex=as_figure, text=as_figure, man=as_figure, texinfo=as_figure
    )
    app.add_transform(TablesAsTables)
    app.connect("html-page-context", _load_plotly_where_drawn)
    app.connect("build-finished", _copy_scripts)
    app.add_post_transform(ForLatex)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
