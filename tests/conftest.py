"""The smoke book, shared by the book's tests (test_book.py) and the PDF's
(test_pdf.py): one build per session; and the small book of the fault and Dask
tests (test_faults.py, test_distributed.py), executed once per session where a test
needs it executed (`executed_small_book`: copy it, do not change it)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from trauma.book import paths

BIN = Path(sys.executable).parent
BOOK_SOURCES = ["variants.yml", "_config.yml", "_toc.yml", "book", "notebooks"]
SMALL_BOOK_RUNS = ("realistic", "linear", "dynamics_lambda_1")  # dynamics_lambda_1 reads realistic


def copy_book_sources(root: Path) -> Path:
    """Copy what the book is built from (not its generated files) into `root`."""
    for name in BOOK_SOURCES:
        source = paths.ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("generated"))
        else:
            shutil.copy(source, root / name)
    return root


def _small_book(root: Path) -> tuple[Path, dict]:
    root = copy_book_sources(root)
    table = yaml.safe_load((paths.ROOT / "variants.yml").read_text())
    table["templates"] = {t: s for t, s in table["templates"].items() if t in ("extreme_penalty", "penalty_dynamics")}
    table["variants"] = [v for v in table["variants"] if v["name"] in SMALL_BOOK_RUNS]
    (root / "variants.yml").write_text(yaml.safe_dump(table, sort_keys=False))
    return root, dict(os.environ, TRAUMA_ROOT=str(root), TRAUMA_SMOKE="1")


@pytest.fixture(scope="module")
def small_book(tmp_path_factory):
    """A copy of the book's sources whose table holds only SMALL_BOOK_RUNS (not yet
    executed), and the environment that makes it the book with smoke parameters."""
    return _small_book(tmp_path_factory.mktemp("small_book"))


@pytest.fixture(scope="session")
def executed_small_book(tmp_path_factory):
    """The small book executed here once (`trauma run --all`), for the tests to compare
    with or to copy (`copy_executed`); no test changes it."""
    root, env = _small_book(tmp_path_factory.mktemp("executed_small_book"))
    done = subprocess.run([str(BIN / "trauma"), "run", "--all"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return root, env


def copy_executed(executed, destination: Path) -> tuple[Path, dict]:
    """A copy of the executed small book to change, and its environment."""
    root, env = executed
    shutil.copytree(root, destination)
    return destination, dict(env, TRAUMA_ROOT=str(destination))


@pytest.fixture(scope="session")
def _smoke_build(tmp_path_factory):
    """A copy of the book sources built with plain `jupyter-book build` and tiny
    parameters (the Sphinx extension must execute every notebook first), and a
    second copy of the built sources and executed notebooks, kept as they were
    built: the book's tests go on to add, remove and break runs in the first."""
    root = copy_book_sources(tmp_path_factory.mktemp("book"))
    env = dict(os.environ, TRAUMA_ROOT=str(root), TRAUMA_SMOKE="1")
    build = subprocess.run(
        [str(BIN / "jupyter-book"), "build", str(root), "-W", "-n", "--keep-going"],
        env=env,
        capture_output=True,
        text=True,
    )
    as_built = tmp_path_factory.mktemp("book_as_built")
    shutil.copytree(root, as_built, dirs_exist_ok=True, ignore=shutil.ignore_patterns("_build"))
    return root, env, build, as_built


@pytest.fixture(scope="session")
def smoke_book(_smoke_build):
    """(root, env, build result) of the smoke book, which tests may change."""
    return _smoke_build[:3]


@pytest.fixture(scope="session")
def smoke_book_as_built(_smoke_build):
    """(root, env) of the smoke book as it was built, for a second build."""
    root = _smoke_build[3]
    return root, dict(_smoke_build[1], TRAUMA_ROOT=str(root))


SLOW_FIXTURES = {"smoke_book", "smoke_book_as_built", "small_book", "executed_small_book"}


def pytest_collection_modifyitems(items):
    """A test that executes a book is slow (`pytest -m "not slow"` leaves it out)."""
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
