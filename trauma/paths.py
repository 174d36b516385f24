"""Every path the project reads or writes, in one place.

Generated files live under book/generated/ (git-ignored): executed notebooks, one
folder per book section, and the sweep outputs they wrote. Nothing else is written
inside the repository, except _build/ by jupyter-book.
"""

from __future__ import annotations

import os
from pathlib import Path

# The repository (trauma is installed editable). TRAUMA_ROOT points elsewhere, e.g.
# the tests build a copy of the book in a temporary folder.
ROOT = Path(os.environ.get("TRAUMA_ROOT") or Path(__file__).resolve().parents[1])
VARIANTS_TABLE = ROOT / "variants.yml"
NOTEBOOKS = ROOT / "notebooks"  # jupytext templates
BOOK = ROOT / "book"
GENERATED = BOOK / "generated"
CUSTOM_VARIANTS = GENERATED / "custom_variants.yml"  # added with `trauma run TEMPLATE --name`
STAGING = GENERATED / ".staging"  # notebooks being executed
FAILED = GENERATED / "failed"  # executed notebooks of failed runs, kept for reading
BUILD_HTML = ROOT / "_build" / "html"


def template(name: str) -> Path:
    return NOTEBOOKS / f"{name}.md"


def results_dir(variant: str) -> Path:
    """Where a variant's sweep writes results.csv, checkpoints/ ..."""
    return GENERATED / "results" / variant


def section_dir(section: str) -> Path:
    """Folder of the executed notebooks of one book section (a glob in _toc.yml)."""
    return GENERATED / section
