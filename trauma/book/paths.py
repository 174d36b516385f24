"""Every path the project reads or writes, in one place.

Generated files live under book/generated/ (git-ignored): executed notebooks, one
folder per book section, and the sweep outputs they wrote. Nothing else is written
inside the repository, except _build/ by jupyter-book.
"""

from __future__ import annotations

import os
from pathlib import Path


def find_root(start: Path) -> Path | None:
    """The checkout of the book: the first folder from `start` upwards (as git finds
    its repository) that holds variants.yml and notebooks/."""
    for folder in (start, *start.parents):
        if (folder / "variants.yml").is_file() and (folder / "notebooks").is_dir():
            return folder
    return None


# TRAUMA_ROOT overrides the search, e.g. the tests build a copy of the book in a
# temporary folder. Not from where the package is installed: a plain `pip install`
# puts it in site-packages, far from any book.
FOUND = Path(os.environ["TRAUMA_ROOT"]) if os.environ.get("TRAUMA_ROOT") else find_root(Path.cwd().resolve())
ROOT = FOUND or Path.cwd()  # book commands refuse to run when nothing was found
VARIANTS_TABLE = ROOT / "variants.yml"
NOTEBOOKS = ROOT / "notebooks"  # jupytext templates
BOOK = ROOT / "book"
GENERATED = BOOK / "generated"
CUSTOM_VARIANTS = GENERATED / "custom_variants.yml"  # added with `trauma run TEMPLATE --name`
STAGING = GENERATED / ".staging"  # notebooks being executed
FAILED = GENERATED / "failed"  # executed notebooks of failed runs, kept for reading
LOCK = GENERATED / ".lock"  # held by the one process executing runs
BUILD_HTML = ROOT / "_build" / "html"


def template(name: str) -> Path:
    return NOTEBOOKS / f"{name}.md"


def results_dir(variant: str) -> Path:
    """Where a variant's sweep writes results.csv, checkpoints/ ..."""
    return GENERATED / "results" / variant


def section_dir(section: str) -> Path:
    """Folder of the executed notebooks of one book section (a glob in _toc.yml)."""
    return GENERATED / section
