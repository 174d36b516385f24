import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from trauma.cli import main
from trauma.extreme_penalty import generate_dataset, outputs
from trauma.extreme_penalty.config import SweepConfig
from trauma.extreme_penalty.dataset import PROBE_LAYOUT

TINY = ["-p", "seeds", "2", "-p", "epochs", "2", "-p", "base_examples", "300", "-p", "penalties", "[1, 1000]", "-p", "hidden_dims", "[8]"]


def sweep(out, *extra, quiet=True):
    return main(["sweep", "extreme-penalty", *TINY, *extra, "--out", str(out), *(["--quiet"] if quiet else [])])


@pytest.mark.parametrize(
    "name, value",
    [
        ("penalties", "[-1, 1, 10]"),
        ("penalties", "[1, abc]"),
        ("penalties", "[10, 100]"),  # no lambda = 1 reference
        ("penalties", "[1, 10"),  # unparsable YAML
        ("penalties", "[1, .nan]"),
        ("hidden_dims", "[16, 0]"),
        ("hidden_dims", "16"),
        ("trauma_placement", "sideways"),
        ("optimizer", "rmsprop"),
        ("epochs", "0"),
        ("epochs", "2.5"),
        ("seeds", "two"),
        ("label_noise", "1.5"),
        ("learning_rate", "0"),
        ("oversample", "true"),
        ("learning_rte", "0.01"),  # unknown name
        ("eval_epochs", "60"),  # more than the 50 epochs
        ("noise_floor", "maybe"),
        ("lr_schedule", "linear"),
        ("penalties", "[1, 1.001, 10]"),  # the noise floor's penalty is added, not listed
    ],
)
def test_bad_input_fails_before_training_and_writes_nothing(tmp_path, capsys, name, value):
    out = tmp_path / "out"
    assert main(["sweep", "extreme-penalty", "-p", name, value, "--out", str(out)]) == 2
    message = capsys.readouterr().err
    assert f"parameter {name!r}" in message and "must be" in message
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_error_messages_name_the_allowed_values(capsys, tmp_path):
    main(["sweep", "extreme-penalty", "-p", "trauma_placement", "sideways", "--out", str(tmp_path / "x")])
    assert "on_manifold, off_manifold" in capsys.readouterr().err
    main(["sweep", "extreme-penalty", "-p", "learning_rte", "1", "--out", str(tmp_path / "x")])
    assert "learning_rate" in capsys.readouterr().err
    main(["sweep", "extreme-penalty", "-p", "epochs", "3", "-p", "eval_epochs", "4", "--out", str(tmp_path / "x")])
    assert "an integer from 1 to 3" in capsys.readouterr().err
    assert SweepConfig(epochs=3).eval_epochs == 3 and SweepConfig().eval_epochs == 5


def test_values_parse_as_yaml_including_exponents():
    config = SweepConfig.from_overrides({"learning_rate": "1e-3", "penalties": [1, "1e4"], "hidden_dims": []})
    assert config.learning_rate == 0.001 and config.penalties == [1.0, 10000.0] and config.hidden_dims == []


def test_console_script_exits_non_zero_on_bad_input(tmp_path):
    trauma = Path(sys.executable).parent / "trauma"  # installed beside the interpreter
    done = subprocess.run([trauma, "sweep", "extreme-penalty", "-p", "epochs", "-1", "--out", str(tmp_path / "o")], capture_output=True, text=True)
    assert done.returncode == 2 and "'epochs'" in done.stderr and not (tmp_path / "o").exists()


def test_sweep_writes_every_output_and_is_reproducible(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert sweep(a) == 0 and sweep(b) == 0
    assert (a / "results.csv").read_bytes() == (b / "results.csv").read_bytes()

    names = {"results.csv", "results.json", "summary.txt", "summary.csv", "training.csv", "weights.csv", "overcorrection.png", "checkpoints"}
    assert names <= {p.name for p in a.iterdir()}
    assert sorted(p.name for p in (a / "checkpoints").iterdir()) == ["penalty_1.001.pt", "penalty_1.pt", "penalty_1000.pt"]

    results = pd.read_csv(a / "results.csv")
    assert len(results) == 3 * 2 * len(PROBE_LAYOUT)  # (penalties + noise floor) x seeds x probe cells
    assert (results[results.penalty == 1].excess_overcorrection == 0).all()
    assert results.overcorrection.between(0, 1).all() and results.overcorrection_final.between(0, 1).all()
    assert (results.evaluated_epochs == "1-2").all()  # two epochs: both are averaged

    training = pd.read_csv(a / "training.csv")
    assert len(training) == 3 * 2 * 3 and training.loss.isna().sum() == 6  # epochs 0-2; no loss before training
    assert {"spike", "gradient_ratio_unweighted", "aggregate_ratio", "trauma_loss_share"} <= set(training.columns)
    weights = pd.read_csv(a / "weights.csv")
    floor = weights[weights.penalty == 1.001].set_index(["seed", "layer"])
    assert (floor.noise_floor == floor.relative_change_from_reference).all()

    document = json.loads((a / "results.json").read_text())
    assert document["parameters"]["penalties"] == [1.0, 1000.0] and document["seeds"] == [0, 1]
    assert document["trained_penalties"] == [1.0, 1.001, 1000.0]
    assert document["versions"]["torch"].startswith("2.13.0")
    assert len(document["results"]) == len(results)

    png = (a / "overcorrection.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width > 2500 and height > 2000  # four panels, 2 x 2, at 300 DPI

    loaded = outputs.load_results(a)
    assert loaded.config == SweepConfig(**document["parameters"]) and loaded.config.seeds == 2
    pd.testing.assert_frame_equal(loaded.summary(), pd.read_csv(a / "summary.csv"), check_dtype=False)

    text = (a / "summary.txt").read_text()
    assert "correlation / rho=0.8" in text and "realised" in text and "Gradients of the trauma examples" in text
    assert "percentile bootstrap" in text and "noise floor" in text


def test_checkpoints_reproduce_the_reported_numbers(tmp_path):
    sweep(tmp_path / "s")
    results = pd.read_csv(tmp_path / "s" / "results.csv")
    models = outputs.load_checkpoint(tmp_path / "s" / "checkpoints" / "penalty_1000.pt")
    assert sorted(models) == [0, 1]
    for seed, model in models.items():
        _, test = generate_dataset(seed=seed, base_examples=300)
        metrics = model.extract_metrics(test)
        for row in results[(results.penalty == 1000) & (results.seed == seed)].itertuples():
            assert metrics[f"overcorrection/{row.probe}/{row.group}"] == pytest.approx(row.overcorrection_final)


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


def test_model_1_results_are_unchanged_by_the_library_refactoring(tmp_path):
    """tests/data/extreme_penalty_small_results.csv was written by this small sweep
    before Model 1 moved onto the shared four-model library; the numbers must not move
    (on this kind of machine: see trauma/blas.py)."""
    out = tmp_path / "small"
    args = ["-p", "seeds", "2", "-p", "epochs", "3", "-p", "base_examples", "400", "-p", "penalties", "[1, 1000]", "-p", "hidden_dims", "[8]"]
    assert main(["sweep", "extreme-penalty", *args, "--out", str(out), "--quiet"]) == 0
    reference = Path(__file__).parent / "data" / "extreme_penalty_small_results.csv"
    assert (out / "results.csv").read_bytes() == reference.read_bytes()
