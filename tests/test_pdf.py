"""The PDF (`make pdf`): the smoke book through Sphinx's LaTeX builder and pdflatex,
as the Makefile builds it, read back with poppler (pdfinfo, pdftotext, pdfimages,
pdftoppm). `make test` installs TeX Live and poppler-utils; without them this fails."""

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

BIN = Path(sys.executable).parent
PDF = "_build/latex/trauma-as-training-data.pdf"


def _output(*command) -> str:
    """What a poppler command prints (it must succeed)."""
    done = subprocess.run([str(part) for part in command], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def smoke_pdf(smoke_book_as_built):
    """Build the smoke book's PDF with the Makefile's two commands; (root, the
    Sphinx build, the LaTeX run)."""
    root, env = smoke_book_as_built
    sphinx = subprocess.run(
        [str(BIN / "jupyter-book"), "build", str(root), "--builder", "latex", "-W", "-n", "--keep-going"],
        env=env,
        capture_output=True,
        text=True,
    )
    latex = subprocess.run(
        ["make", "-C", str(root / "_build/latex"), "all-pdf", "LATEXMKOPTS=-silent -halt-on-error"],
        env=env,
        capture_output=True,
        text=True,
    )
    return root, sphinx, latex


@pytest.fixture(scope="module")
def pages(smoke_pdf):
    """The PDF's text, page by page."""
    root, _, _ = smoke_pdf
    return _output("pdftotext", "-layout", root / PDF, "-").split("\f")[:-1]


def _glued(root: Path, prefix: str) -> int:
    """How many `glue:figure` directives of the executed pages show a key with this prefix."""
    count = 0
    for path in (root / "book/generated").glob("*/*.ipynb"):
        cells = nbformat.read(path, as_version=4).cells
        count += sum(cell.source.count(f"{{glue:figure}} {prefix}") for cell in cells if cell.cell_type == "markdown")
    return count


def test_the_pdf_builds_with_no_warning_and_no_latex_error(smoke_pdf):
    root, sphinx, latex = smoke_pdf
    assert sphinx.returncode == 0, sphinx.stdout[-3000:] + sphinx.stderr[-3000:]
    assert "WARNING" not in sphinx.stdout + sphinx.stderr
    assert "All executed notebooks are up to date." in sphinx.stdout  # the copy re-executes nothing
    log = (root / PDF).with_suffix(".log").read_text(errors="replace")
    assert latex.returncode == 0, "\n".join(re.findall(r"^!.*", log, re.M)) or latex.stdout[-3000:]
    problems = re.findall(r"^!.*|.*(?:undefined|multiply defined).*", log, re.M)  # errors, unresolved references
    assert not problems, problems


def test_every_figure_and_table_is_numbered_and_tables_are_tables(smoke_pdf, pages):
    root, _, _ = smoke_pdf
    text = "\n".join(pages)
    figures, tables = _glued(root, "fig_"), _glued(root, "tbl_")
    assert figures > 50 and tables > 20
    assert len(set(re.findall(r"Figure (\d+\.\d+): ", text))) == figures
    assert len(set(re.findall(r"Table (\d+\.\d+): ", text))) == tables
    images = [line for line in _output("pdfimages", "-list", root / PDF).splitlines()[2:] if line.split()[2] == "image"]
    assert len(images) >= figures
    tex = (root / PDF).with_suffix(".tex").read_text()
    assert (
        len(re.findall(r"\\begin\{(?:longtable|tabular|tabulary)\}", tex)) >= tables
    )  # real tables, not monospaced text
    assert "glue_value(" not in text and "glue_figure(" not in text  # the code the HTML folds away is left out


def test_no_unresolved_reference_and_a_bibliography(pages):
    text = "\n".join(pages)
    assert len(pages) > 100
    assert "??" not in text and "[?]" not in text
    assert (
        "[Kingma and Ba, 2015]" in text
        and "Bibliography" in text
        and "Adam: a method for stochastic optimization" in text
    )


def test_the_first_figures_page_draws_a_nonblank_image(smoke_pdf, pages, tmp_path):
    root, _, _ = smoke_pdf
    number = next(i for i, page in enumerate(pages, 1) if re.search(r"Figure \d+\.\d+: ", page))
    _output(
        "pdfimages", "-f", number, "-l", number, root / PDF, tmp_path / "image"
    )  # as drawn: PPM, "P6\nW H\n255\n" + RGB
    header, size, _, pixels = (tmp_path / "image-000.ppm").read_bytes().split(b"\n", 3)
    width, height = map(int, size.split())
    assert header == b"P6" and len(pixels) == 3 * width * height
    inked = sum(min(pixels[i : i + 3]) < 200 for i in range(0, len(pixels), 3))
    assert inked > 0.01 * width * height  # a line plot inks a few per cent; a blank image none
