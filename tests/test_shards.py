"""Sharded sweeps (trauma/shards.py): every model's sweep run as shards of seeds
writes the same folder as the sweep run whole (only wall time differs), bad shard
counts fail before training, a failing shard leaves nothing behind."""

import json

import numpy as np
import pytest

from trauma import shards
from trauma.cli import main
from trauma.models import MODELS
from trauma.params import ParameterError

# (model, tiny parameters, shards): the smoke parameters of variants.yml, with seeds
# that split unevenly, one-seed shards among them (Model 2: at least 3 seeds a shard)
TINY = [
    ("extreme-penalty", {"seeds": 3, "epochs": 2, "base_examples": 300}, 3),
    ("noisy-signals", {"seeds": 7, "epochs": 3, "train_examples": 400, "noise_levels": [0, 0.1, 0.3, 0.6]}, 2),
    ("limited-dataset", {"seeds": 4, "epochs": 3, "caregiver_counts": [1, 2, 5], "total_interactions": 200}, 3),
    ("catastrophic-forgetting", {"seeds": 4, "phase1_epochs": 3, "phase2_epochs": 2, "phase1_examples": 400,
                                 "learning_rates": [0.0001, 0.01], "replay_ratios": [0, 0.2], "ewc_strengths": [1000]}, 2),
]
DIVERGED = [  # some networks diverge (phase 2 at a learning rate of 10), the others not
    ("catastrophic-forgetting", {"seeds": 3, "phase1_epochs": 3, "phase2_epochs": 2, "phase1_examples": 400,
                                 "learning_rates": [0.001, 10], "replay_ratios": [0], "ewc_strengths": []}, 2),
]
WALL_CLOCK = ("wall_seconds", "shards")  # results.json keys that may differ


def _files(folder):
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name, parameters, count", TINY + DIVERGED,
                         ids=[t[0] for t in TINY] + [f"{t[0]}-diverged" for t in DIVERGED])
def test_a_sharded_sweep_writes_what_the_whole_sweep_writes(tmp_path, name, parameters, count):
    model = MODELS[name]
    config = model.config.from_overrides(parameters)
    model.write_outputs(model.run_sweep(config), tmp_path / "whole")
    merged = shards.run_sharded(model, config, count)
    model.write_outputs(merged, tmp_path / "sharded")

    whole, sharded = _files(tmp_path / "whole"), _files(tmp_path / "sharded")
    assert sorted(whole) == sorted(sharded)
    for file in whole:
        if file not in ("results.json", "summary.txt"):
            assert whole[file].read_bytes() == sharded[file].read_bytes(), file
    a, b = json.loads(whole["results.json"].read_text()), json.loads(sharded["results.json"].read_text())
    assert b["shards"] == count and b["seeds"] == a["seeds"] == list(range(parameters["seeds"]))
    assert {k: v for k, v in a.items() if k not in WALL_CLOCK} == {k: v for k, v in b.items() if k not in WALL_CLOCK}
    lines = lambda f: [line for line in f.read_text().splitlines() if not line.startswith("Wall time")]  # noqa: E731
    assert lines(whole["summary.txt"]) == lines(sharded["summary.txt"])


def test_seeds_split_into_contiguous_shards_as_even_as_possible():
    assert shards.split_seeds(list(range(10)), 3) == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert shards.split_seeds(list(range(3)), 3) == [[0], [1], [2]]
    assert shards.split_seeds(list(range(5)), 1) == [list(range(5))]


def test_a_shard_is_the_sweep_on_its_seeds():
    config = MODELS["noisy-signals"].config.from_overrides({"seeds": 10, "epochs": 7})
    shard = config.for_seeds([4, 5])
    assert shard.seed_list == [4, 5] and shard.seeds == 2 and shard.epochs == 7
    assert config.seed_list == list(range(10))


def test_shards_for_a_memory_budget():
    # 0.5 GB fixed, 0.1 GB per seed: 100 seeds need 10 GB, so 2 GB (1.5 GB of room)
    # take 7 shards of at most 15 seeds
    assert shards.shards_for_budget(100, (0.5e9, 0.1e9), 2.0) == 7
    assert shards.shards_for_budget(100, (0.5e9, 0.01e9), 2.0) == 1
    assert shards.shards_for_budget(3, (0.5e9, 0.4e9), 1.0) == 3
    with pytest.raises(ParameterError, match="--memory-budget-gb"):
        shards.shards_for_budget(3, (0.5e9, 0.6e9), 1.0)


@pytest.mark.parametrize("value, seeds", [("0", 3), ("4", 3), ("1.5", 3), ("two", 3), ("-1", 5)])
def test_bad_shards_fail_before_training_and_write_nothing(tmp_path, capsys, value, seeds):
    out = tmp_path / "out"
    code = main(["sweep", "extreme-penalty", "-p", "seeds", str(seeds), "--shards", value, "--out", str(out)])
    assert code == 2
    error = capsys.readouterr().err
    assert f"'--shards': must be an integer from 1 to {seeds} ({seeds} seeds, at least 1 a shard)" in error
    assert "training" not in error and list(tmp_path.iterdir()) == []


def test_noisy_signals_shards_hold_three_seeds_at_least(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["sweep", "noisy-signals", "-p", "seeds", "8", "--shards", "3", "--out", str(out)]) == 2
    assert "'--shards': must be an integer from 1 to 2 (8 seeds, at least 3 a shard); got 3" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_budget_below_one_seed_fails_before_training(tmp_path, capsys):
    assert main(["sweep", "extreme-penalty", "--memory-budget-gb", "0.1", "--out", str(tmp_path / "out")]) == 2
    assert "'--memory-budget-gb': must be more than" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_failing_shard_leaves_nothing_behind(tmp_path, monkeypatch, capsys):
    from trauma.extreme_penalty import sweep

    calls, run = [], sweep.run_sweep

    def second_fails(config, progress=False):
        calls.append(config.seed_list)
        if len(calls) == 2:
            raise RuntimeError("shard failed")
        return run(config, progress=progress)

    monkeypatch.setattr(sweep, "run_sweep", second_fails)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="shard failed"):
        main(["sweep", "extreme-penalty", "-p", "seeds", "3", "-p", "epochs", "1", "-p", "base_examples", "100",
              "--shards", "2", "--out", str(out), "--quiet"])
    assert calls == [[0, 1], [2]] and list(tmp_path.iterdir()) == []


def test_the_command_line_merges_shards_into_one_folder_and_picks_them_from_a_budget(tmp_path, capsys):
    tiny = {"seeds": 3, "epochs": 1, "base_examples": 100, "penalties": [1, 1000]}
    fixed, per_seed = MODELS["extreme-penalty"].memory_estimate(MODELS["extreme-penalty"].config(**tiny))
    two_seeds = str((fixed + 2 * per_seed) / 1e9)  # room for two seeds a shard: 3 seeds take 2 shards
    options = [x for name, value in tiny.items() for x in ("-p", name, json.dumps(value))] + ["--quiet"]
    for name, extra in [("whole", ["--shards", "1"]), ("two", ["--shards", "2"]), ("budget", ["--memory-budget-gb", two_seeds])]:
        assert main(["sweep", "extreme-penalty", *options, *extra, "--out", str(tmp_path / name)]) == 0
        said = capsys.readouterr().err
        assert ("in 2 shards of seeds" in said) == (name != "whole")
    for name in ("results.csv", "summary.csv", "training.csv", "weights.csv"):
        assert (tmp_path / "whole" / name).read_bytes() == (tmp_path / "two" / name).read_bytes() == \
            (tmp_path / "budget" / name).read_bytes()
    seeds = np.loadtxt(tmp_path / "budget" / "results.csv", delimiter=",", skiprows=1, usecols=1)
    assert sorted(set(seeds.tolist())) == [0, 1, 2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["budget", "two", "whole"]
