"""Is every glued value shown at its own place? For each `{glue:text}` role of a page's
source, the value its notebook glued is put in place of the role, with the plain words
around it in the source (up to WORDS each side, stopping at markup or at another
role), and that snippet must appear in the page's rendered text. A word that shows up
somewhere else on the page does not count: "higher than" must stand where the
sentence puts it.

Used by tests/test_book.py on every page of the smoke book."""

from __future__ import annotations

import ast
import functools
import html
import re
from pathlib import Path

import nbformat

ROLE = re.compile(r"\{glue:text\}`(?:(?P<path>[^`:]+)::)?(?P<name>[^`:]+)(?::(?P<format>[^`]*))?`")
WORDS = 4  # context words each side of a role
# Context stops at markup (emphasis, code, roles, links, math, tables, quotes that
# Sphinx curls) and at a role; what is left is plain text the renderer keeps as it is.
MARKUP = re.compile(r"[`*_{}\[\]()$|<>\"'#]|--|\.\.|\n\s*\n|^\s*(?:[-+]|\d+\.)\s", re.M)


def glued_values(notebook: Path) -> dict[str, str]:
    """name -> the text/plain of each value a notebook glued (read once per version of
    the file: a page of the discussion asks for the same notebook hundreds of times)."""
    return _glued_values(Path(notebook), Path(notebook).stat().st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _glued_values(notebook: Path, version: int) -> dict[str, str]:
    values = {}
    for cell in nbformat.read(notebook, as_version=4).cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            plain = [v for k, v in output.get("data", {}).items() if k.endswith("text/plain")]
            if name and plain:
                values[name] = plain[0]
    return values


def shown(plain: str, spec: str | None) -> str:
    """What `{glue:text}` renders for a glued text/plain value and a format spec."""
    try:
        value = ast.literal_eval(plain)
    except (ValueError, SyntaxError):
        value = plain
    if spec and spec != "s":
        return format(float(value), spec)
    return str(value)


def rendered_text(page: Path) -> str:
    """A rendered HTML page's article text: tags dropped, entities and Sphinx's curled
    quotes and dashes undone, whitespace collapsed."""
    body = page.read_text()
    body = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", body)
    text = html.unescape(re.sub(r"<[^>]+>", "", body))
    for curled, plain in (("“", '"'), ("”", '"'), ("‘", "'"), ("’", "'"), ("–", "--"), ("…", "...")):
        text = text.replace(curled, plain)
    return " ".join(text.split())


def _context(text: str, side: str) -> str:
    """The plain words of `text` next to a role: its end (side "left") or its start."""
    pieces = MARKUP.split(text)
    piece = pieces[-1] if side == "left" else pieces[0]
    words = piece.split()
    if not words:
        return ""
    kept = words[-WORDS:] if side == "left" else words[:WORDS]
    joined = " ".join(kept)
    if side == "left":
        return joined + (" " if piece[-1:].isspace() else "")
    return (" " if piece[:1].isspace() else "") + joined


def snippets(source: str, values_of) -> list[tuple[str, str]]:
    """(role name, expected snippet) for every role of a markdown source;
    `values_of(path)` gives the glued values of the page's own notebook (path None)
    or of another one."""
    found = []
    roles = list(ROLE.finditer(source))
    for i, role in enumerate(roles):
        start = roles[i - 1].end() if i else 0
        end = roles[i + 1].start() if i + 1 < len(roles) else len(source)
        value = shown(values_of(role["path"])[role["name"]], role["format"])
        left = _context(source[start : role.start()], "left")
        right = _context(source[role.end() : end], "right")
        found.append((role["name"], " ".join((left + value + right).split())))
    return found


def misplaced(source: str, values_of, page: Path) -> list[tuple[str, str]]:
    """The roles whose value, with its words around it, the rendered page lacks."""
    text = rendered_text(page)
    return [(name, snippet) for name, snippet in snippets(source, values_of) if snippet not in text]


def notebook_markdown(notebook: Path) -> str:
    """The markdown cells of an executed notebook, one paragraph apart."""
    cells = nbformat.read(notebook, as_version=4).cells
    return "\n\n".join(c.source for c in cells if c.cell_type == "markdown")
