"""What a reader sees at the top of an executed page, added by the pipeline
(`trauma/book/pipeline.py`) around papermill:

- parameters read as typed: papermill writes the injected strings with Python's
  `unicode_escape` (`"\\u03bb"`); `AsTyped` writes them as JSON does, without escaping
  (`"λ"`), which is also a valid Python string literal;
- a variant page opens with a table of its parameters beside their declared
  defaults (`trauma/numerics/params.py`), and the two raw parameter cells are folded
  away: the template's parameters cell is removed from the page (the table shows its
  values), papermill's injected cell is collapsed behind a toggle;
- links to take the numbers away: the executed notebook and the files of the run's
  results folder (checkpoints aside).
"""

from __future__ import annotations

import json

import nbformat
from papermill.translators import PythonTranslator

DOWNLOADED = (".csv", ".json", ".txt", ".png")


class AsTyped(PythonTranslator):
    """papermill's Python translator, strings written as typed."""

    @classmethod
    def translate_escaped_str(cls, str_val):
        return json.dumps(str_val, ensure_ascii=False) if isinstance(str_val, str) else f'"{str_val}"'


def parameter_table(defaults: dict, injected: dict) -> str:
    """A Markdown table: every parameter of the template, its value in this run, and
    the template's default where it differs."""
    rows = ["| parameter | this run | template default |", "|---|---|---|"]
    for name, default in defaults.items():
        value = injected.get(name, default)
        shown, default_shown = AsTyped.translate(value), AsTyped.translate(default)
        rows.append(f"| `{name}` | `{shown}` | {'same' if shown == default_shown else f'`{default_shown}`'} |")
    return "\n".join(rows)


def downloads(notebook_file: str, results) -> str:
    """MyST download links to the executed notebook and the results folder's files."""
    links = [f"{{download}}`executed notebook <{notebook_file}>`"]
    if results is not None and results.is_dir():
        for path in sorted(p for p in results.iterdir() if p.suffix in DOWNLOADED):
            links.append(f"{{download}}`{path.name} <../results/{results.name}/{path.name}>`")
    return " · ".join(links)


def finish_page(notebook, notebook_file: str, defaults: dict, injected: dict, results, variant_page: bool) -> None:
    """Fold the executed notebook's raw parameter cells and add the parameters table
    (variant pages) and the download links under its first cell (its title and
    introduction)."""
    for cell in notebook.cells:
        tags = cell.metadata.setdefault("tags", [])
        if "parameters" in tags and "remove-cell" not in tags:
            tags.append("remove-cell")
        if "injected-parameters" in tags and "hide-cell" not in tags:
            tags.append("hide-cell")
    parts = []
    if variant_page:
        parts.append(
            "**This run's parameters** (the code cells below hold the same, folded):\n\n"
            + parameter_table(defaults, injected)
        )
    parts.append("**Take the numbers away:** " + downloads(notebook_file, results))
    notebook.cells.insert(1, nbformat.v4.new_markdown_cell("\n\n".join(parts)))
