"""A plain, non-editable `pip install` of the library, as a new user would try it.

The wheel is built by pip alone (`pip wheel --no-deps`, with the usual isolated build)
from a copy of what the source distribution holds (pyproject.toml, README.md, LICENSE,
trauma/), so that setuptools' build/ and *.egg-info stay out of the checkout. It goes
into a fresh venv with the core dependencies only: no book extra, no test extra,
`-c constraints.txt` and torch==2.13.0 exactly, as the README tells pip users. No
shortcut: a shared site-packages or a .pth into another environment would no longer be
the install a user gets, and this one took 45 s here, up to 2 minutes with the
machine loaded (pip's cache warm). Every
command then runs in a folder outside any checkout, without PYTHONPATH or TRAUMA_ROOT,
so only the installed package is found.
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from trauma import __version__

REPO = Path(__file__).resolve().parent.parent
SMALL = [
    "-p",
    "seeds",
    "2",
    "-p",
    "epochs",
    "3",
    "-p",
    "base_examples",
    "400",
    "-p",
    "penalties",
    "[1, 1000]",
    "-p",
    "hidden_dims",
    "[8]",
]
BOOK_COMMANDS = [["run", "realistic"], ["book"], ["status"], ["remove", "mine"]]
MISSING = "nbformat, papermill, jupytext"  # the book extra's modules that the core install lacks


def needs_the_book_extra(command: str) -> str:
    missing = MISSING + (", jupyter_book" if command == "book" else "")
    return (
        f"trauma {command}: error: needs the book extra (missing: {missing}); "
        'install it with pip install -e ".[book]" in a checkout of the book\n'
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(the venv's bin folder, the environment to run it in); the venv (1.3 GB) is removed afterwards."""
    tmp = tmp_path_factory.mktemp("install")
    source = tmp / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "trauma", source / "trauma", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp / "dist"), str(source)], check=True
    )
    (wheel,) = (tmp / "dist").glob("trauma-*.whl")

    venv = tmp / "venv"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TRAUMA_ROOT", "VIRTUAL_ENV", "TRAUMA_SMOKE")}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    done = subprocess.run(
        [
            str(venv / "bin/python"),
            "-m",
            "pip",
            "install",
            "-q",
            "-c",
            str(REPO / "constraints.txt"),
            "torch==2.13.0",
            str(wheel),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    print(f"venv and install: {time.perf_counter() - start:.0f} s")
    yield venv / "bin", env
    shutil.rmtree(venv)


def trauma(installed, *args, cwd):
    bin, env = installed
    return subprocess.run([str(bin / "trauma"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_install_is_plain_and_has_only_the_core_dependencies(installed, tmp_path):
    bin, env = installed
    probe = (
        "import importlib.util, trauma; print(trauma.__file__); "
        "print([m for m in ('nbformat', 'papermill', 'jupytext', 'pytest') if importlib.util.find_spec(m)])"
    )
    done = subprocess.run(
        [str(bin / "python"), "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    )
    location, book_modules = done.stdout.splitlines()
    assert (
        Path(location).is_relative_to(bin.parent / "lib") and book_modules == "[]"
    )  # in site-packages, not a link to the checkout
    assert trauma(installed, "--version", cwd=tmp_path).stdout == f"trauma {__version__}\n"


def test_a_sweep_outside_any_checkout_gives_the_checkouts_numbers(installed, tmp_path):
    """The same small sweep as tests/test_cli.py's reference: byte for byte the same results.csv."""
    done = trauma(installed, "sweep", "extreme-penalty", *SMALL, "--out", "small", "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "small/results.csv").read_bytes() == (
        REPO / "tests/data/extreme_penalty_small_results.csv"
    ).read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["small"]  # nothing written beside the output folder


@pytest.mark.parametrize("where", ["outside", "inside a copy of the book", "TRAUMA_ROOT"])
def test_book_commands_without_the_book_extra_say_so_in_one_line(installed, tmp_path, where):
    book = tmp_path / "book"
    book.mkdir()
    shutil.copy(REPO / "variants.yml", book)
    shutil.copytree(REPO / "notebooks", book / "notebooks")
    cwd = {"outside": tmp_path, "inside a copy of the book": book / "notebooks", "TRAUMA_ROOT": tmp_path}[where]
    bin, env = installed
    if where == "TRAUMA_ROOT":
        installed = bin, dict(env, TRAUMA_ROOT=str(book))
    before = sorted(tmp_path.rglob("*"))
    for command in BOOK_COMMANDS:
        done = trauma(installed, *command, cwd=cwd)
        assert (done.returncode, done.stdout, done.stderr) == (2, "", needs_the_book_extra(command[0]))
    assert sorted(tmp_path.rglob("*")) == before  # nothing written, not even book/generated/
