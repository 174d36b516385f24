"""Sharded sweeps (trauma/numerics/shards.py): seeds split into contiguous shards, a
memory budget picks their number, bad shard counts fail before training, a failing
shard leaves nothing behind. (That every model's sweep in shards writes what the
whole sweep writes is part of the contract, tests/test_models.py.)"""

import json

import numpy as np
import pytest

from trauma.cli import main
from trauma.models import MODELS
from trauma.numerics import shards
from trauma.numerics.params import ParameterError


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
        main(
            [
                "sweep",
                "extreme-penalty",
                "-p",
                "seeds",
                "3",
                "-p",
                "epochs",
                "1",
                "-p",
                "base_examples",
                "100",
                "--shards",
                "2",
                "--out",
                str(out),
                "--quiet",
            ]
        )
    assert calls == [[0, 1], [2]] and list(tmp_path.iterdir()) == []


def test_the_command_line_merges_shards_into_one_folder_and_picks_them_from_a_budget(tmp_path, capsys):
    tiny = {"seeds": 3, "epochs": 1, "base_examples": 100, "penalties": [1, 1000]}
    fixed, per_seed = MODELS["extreme-penalty"].memory_estimate(MODELS["extreme-penalty"].config(**tiny))
    two_seeds = str((fixed + 2 * per_seed) / 1e9)  # room for two seeds a shard: 3 seeds take 2 shards
    options = [x for name, value in tiny.items() for x in ("-p", name, json.dumps(value))] + ["--quiet"]
    for name, extra in [
        ("whole", ["--shards", "1"]),
        ("two", ["--shards", "2"]),
        ("budget", ["--memory-budget-gb", two_seeds]),
    ]:
        assert main(["sweep", "extreme-penalty", *options, *extra, "--out", str(tmp_path / name)]) == 0
        said = capsys.readouterr().err
        assert ("in 2 shards of seeds" in said) == (name != "whole")
    for name in ("results.csv", "summary.csv", "training.csv", "weights.csv"):
        assert (
            (tmp_path / "whole" / name).read_bytes()
            == (tmp_path / "two" / name).read_bytes()
            == (tmp_path / "budget" / name).read_bytes()
        )
    seeds = np.loadtxt(tmp_path / "budget" / "results.csv", delimiter=",", skiprows=1, usecols=1)
    assert sorted(set(seeds.tolist())) == [0, 1, 2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["budget", "two", "whole"]
