"""What the pipeline adds to an executed page: parameters as typed, a table of a
variant's parameters against the template's defaults, folded parameter cells and
download links (`trauma/book/frame.py`); and what a citable paper carries."""

import ast

import nbformat

import trauma
from trauma.book import paths
from trauma.book.frame import AsTyped, downloads, finish_page, parameter_table
from trauma.page.glue import diverged_text


def test_injected_strings_read_as_typed_and_stay_python():
    written = AsTyped.translate(
        {"title": "Dynamics at λ = 10000", "quoted": 'say "hi"', "values": [1, 0.5, True, None]}
    )
    assert "λ" in written and "\\u03bb" not in written
    assert ast.literal_eval(written.replace("True", "1").replace("None", "0")) == {
        "title": "Dynamics at λ = 10000",
        "quoted": 'say "hi"',
        "values": [1, 0.5, 1, 0],
    }


def test_the_diverged_sentence_gives_the_count():
    assert diverged_text(0, 400) == "None of the 400 networks diverged."
    one, three = diverged_text(1, 400), diverged_text(3, 400)
    assert (
        one.startswith("1 of the 400 networks diverged (their training loss ended at more than 2 ")
        and "; it is left out" in one
    )
    assert three.startswith("3 of the 400 networks diverged (") and "; they are left out" in three


def test_parameter_table_marks_what_differs_from_the_defaults():
    table = parameter_table({"seeds": 10, "hidden_dims": [64, 32, 16]}, {"hidden_dims": [8]}).splitlines()
    assert table[2] == "| `seeds` | `10` | same |"
    assert table[3] == "| `hidden_dims` | `[8]` | `[64, 32, 16]` |"


def test_finish_page_folds_the_parameter_cells_and_links_the_results(tmp_path):
    results = tmp_path / "results" / "mine"
    (results / "checkpoints").mkdir(parents=True)
    for name in ("results.csv", "summary.txt", "figure.png"):
        (results / name).write_text("x")
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# Title"),
            nbformat.v4.new_code_cell("seeds = 10", metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell("seeds = 3", metadata={"tags": ["injected-parameters"]}),
        ]
    )
    finish_page(notebook, "01_mine.ipynb", {"seeds": 10}, {"seeds": 3}, results, variant_page=True)
    cells = notebook.cells
    assert [c.metadata.get("tags") for c in cells[2:]] == [
        ["parameters", "remove-cell"],
        ["injected-parameters", "hide-cell"],
    ]
    assert "| `seeds` | `3` | `10` |" in cells[1].source
    assert downloads("01_mine.ipynb", results) in cells[1].source
    assert "../results/mine/figure.png" in cells[1].source and "checkpoints" not in cells[1].source


def test_the_books_citation_is_the_repositorys():
    import re

    import yaml

    citation = yaml.safe_load((paths.ROOT / "CITATION.cff").read_text())
    bibtex = re.search(r"```bibtex\n(.*?)```", (paths.BOOK / "intro.md").read_text(), re.S).group(1)
    fields = dict(re.findall(r"(\w+)\s*=\s*\{+(.*?)\}+,", bibtex))
    assert fields["title"] == citation["title"] and fields["version"] == str(citation["version"])
    assert fields["author"] == citation["authors"][0]["name"] and fields["license"] == citation["license"]
    assert fields["year"] == str(citation["date-released"])[:4]
    assert "MIT License" in (paths.ROOT / "LICENSE").read_text()
    assert 'version = "{}"'.format(citation["version"]) in (paths.ROOT / "pyproject.toml").read_text()
    assert trauma.__version__ == citation["version"]
