"""The command line, with Model 1 as the example: a console script that fails cleanly,
and output folders it may and may not replace."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from trauma.cli import main
from trauma.extreme_penalty import outputs

TINY = [
    "-p",
    "seeds",
    "2",
    "-p",
    "epochs",
    "2",
    "-p",
    "base_examples",
    "300",
    "-p",
    "penalties",
    "[1, 1000]",
    "-p",
    "hidden_dims",
    "[8]",
]


def sweep(out, *extra, quiet=True):
    return main(["sweep", "extreme-penalty", *TINY, *extra, "--out", str(out), *(["--quiet"] if quiet else [])])


def test_console_script_exits_non_zero_on_bad_input(tmp_path):
    trauma = Path(sys.executable).parent / "trauma"  # installed beside the interpreter
    done = subprocess.run(
        [trauma, "sweep", "extreme-penalty", "-p", "epochs", "-1", "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "'epochs'" in done.stderr and not (tmp_path / "o").exists()


def test_output_folder_rules(tmp_path, capsys, monkeypatch):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("keep me")
    assert sweep(precious) == 2
    assert "not an earlier sweep's output" in capsys.readouterr().err
    assert (precious / "thesis.tex").read_text() == "keep me"

    out = tmp_path / "out"
    assert sweep(out) == 0
    assert sweep(out, "-p", "label_noise", "0") == 0  # an earlier sweep's output is replaced
    assert json.loads((out / "results.json").read_text())["parameters"]["label_noise"] == 0

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(outputs, "plot_overcorrection", broken)
    with pytest.raises(RuntimeError):
        sweep(tmp_path / "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "precious"]  # nothing half-written
