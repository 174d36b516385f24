"""One room: a fifth model, defined only in the tests (tests/toy/), joins the book without
changing a file of the project. The test installs its package where Python finds it
(a folder on PYTHONPATH with the package and its entry point, as another
distribution would install it), copies the book's sources and adds the model's
template and table entry there; the model then passes the contract every model
passes (tests/test_models.py), `trauma sweep toy` runs it, and its pages are executed
and built into the book."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import BIN, copy_book_sources

from trauma.book import paths

pytestmark = pytest.mark.slow
TOY = Path(__file__).parent / "toy"
PROJECT_FILES = ("variants.yml", "_toc.yml", "_config.yml", "pyproject.toml", "notebooks", "book", "trauma")


def _snapshot() -> dict:
    """Every file of the project the book is built from, with its size and time."""
    files = {}
    for name in PROJECT_FILES:
        root = paths.ROOT / name
        for path in [root] if root.is_file() else root.rglob("*"):
            if path.is_file() and "generated" not in path.parts and "__pycache__" not in path.parts:
                files[path] = (path.stat().st_size, path.stat().st_mtime_ns)
    return files


@pytest.fixture(scope="module")
def toy_book(tmp_path_factory):
    """(book root, environment) of a copy of the book holding only the toy's runs."""
    site = tmp_path_factory.mktemp("site")
    shutil.copytree(TOY / "toy_model", site / "toy_model")
    info = site / "toy_model-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-model\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[trauma.models]\ntoy = toy_model:MODEL\n")

    root = copy_book_sources(tmp_path_factory.mktemp("book"))
    shutil.copy(TOY / "toy.md", root / "notebooks" / "toy.md")
    table = {
        "templates": {"toy": {"headline": "toy_default", "section": "toy", "smoke": {}}},
        "variants": [
            {"name": "toy_default", "template": "toy", "title": "Model 5: Toy", "parameters": {}},
            {"name": "toy_noisier", "template": "toy", "title": "More noise", "parameters": {"noise_levels": [0, 0.4]}},
        ],
    }
    (root / "variants.yml").write_text(yaml.safe_dump(table, sort_keys=False))
    (root / "book" / "toy.md").write_text("# A book of one model\n\nThe toy model's pages follow.\n")
    (root / "_toc.yml").write_text("format: jb-book\nroot: book/toy\nchapters:\n  - glob: book/generated/toy/*\n")
    env = dict(os.environ, PYTHONPATH=str(site), TRAUMA_ROOT=str(root))
    env.pop("TRAUMA_SMOKE", None)
    return root, env


def test_a_fifth_model_is_registered_runs_and_becomes_pages_of_the_book(toy_book):
    root, env = toy_book
    before = _snapshot()

    listed = subprocess.run([str(BIN / "trauma"), "sweep", "--help"], env=env, capture_output=True, text=True)
    assert listed.returncode == 0 and "Model 5: Toy" in listed.stdout
    swept = subprocess.run(
        [str(BIN / "trauma"), "sweep", "toy", "-p", "seeds", "3", "--out", str(root / "swept"), "--quiet"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert swept.returncode == 0, swept.stderr
    assert (root / "swept" / "results.csv").read_text().count("\n") == 1 + 2 * 3  # 2 levels x 3 seeds

    ran = subprocess.run([str(BIN / "trauma"), "run", "--all"], env=env, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    status = subprocess.run([str(BIN / "trauma"), "status"], env=env, capture_output=True, text=True)
    assert "2 up to date of 2 runs" in status.stdout, status.stdout
    built = subprocess.run(
        [str(BIN / "jupyter-book"), "build", str(root), "-W", "-n", "--keep-going"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    page = (root / "_build/html/book/generated/toy/01_toy_default.html").read_text()
    assert "Model 5: Toy" in page and "networks diverged" in page and page.count('class="trauma-plotly"') == 1
    assert "noise_levels" in (root / "_build/html/book/generated/toy/02_toy_noisier.html").read_text()

    assert _snapshot() == before  # no file of the project changed


def test_the_fifth_model_passes_the_contract_every_model_passes(toy_book):
    root, env = toy_book
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-m",
            "not slow",
            "-k",
            "toy or streams",
            str(Path(__file__).parent / "test_models.py"),
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=paths.ROOT,
    )
    assert done.returncode == 0, done.stdout[-4000:]
    assert " passed" in done.stdout and "failed" not in done.stdout
