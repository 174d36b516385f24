"""The toy sweep: data -> one ensemble -> tidy tables (`networks`: one row per level x seed)."""

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from trauma.numerics import shards as sharding
from trauma.numerics.losses import probability
from trauma.numerics.mlp import evaluate
from trauma.numerics.outputs import run_metadata
from trauma.numerics.stats import summarise
from trauma.numerics.tables import training_table

from .config import SweepConfig
from .dataset import TEST_SIZE, make_set, noisy_labels
from .ensemble import GridRun, train_grid
from .metrics import accuracy


@dataclass
class SweepResult:
    config: SweepConfig
    networks: pd.DataFrame
    training: pd.DataFrame
    metadata: dict
    run: GridRun | None = None

    def summary(self) -> pd.DataFrame:
        return summarise(self.networks, ["noise"], ["accuracy"])


def run_sweep(config: SweepConfig, progress: bool = False) -> SweepResult:
    started = time.perf_counter()
    seeds = config.seed_list
    x, clean = zip(*[make_set(seed, config.train_examples) for seed in seeds])
    labels = {
        (level, seed): noisy_labels(seed, clean[i], level)
        for level in config.noise_levels
        for i, seed in enumerate(seeds)
    }
    run = train_grid(x, labels, seeds, config.noise_levels, config.hidden_dims, config.training, progress)
    metadata = run_metadata(
        "toy", config.as_dict(), seeds, time.perf_counter() - started, diverged_members=int(run.trained.diverged.sum())
    )
    return SweepResult(config, _networks(run, seeds), _training(run), metadata, run)


def merge_shards(config: SweepConfig, shards: list[SweepResult]) -> SweepResult:
    members = [(level, seed) for level in config.noise_levels for seed in config.seed_list]
    positions = [sharding.member_positions(list(zip(r.run.levels, r.run.seeds)), members) for r in shards]
    run = GridRun(
        np.array([level for level, _ in members]),
        np.array([seed for _, seed in members]),
        sharding.joined_runs([r.run.trained for r in shards], positions, len(members)),
    )
    return SweepResult(
        config,
        sharding.stacked([r.networks for r in shards], ["noise"]),
        sharding.stacked([r.training for r in shards], ["noise"]),
        sharding.merged_metadata(config, shards),
        run,
    )


def _networks(run: GridRun, seeds) -> pd.DataFrame:
    tests = [make_set(seed, TEST_SIZE, "probes") for seed in seeds]
    row = {seed: i for i, seed in enumerate(seeds)}
    x = torch.tensor(np.stack([tests[row[s]][0] for s in run.seeds]), dtype=torch.float32)
    labels = np.stack([tests[row[s]][1] for s in run.seeds])
    epochs = sorted(run.trained.snapshots)
    scores = np.mean(
        [accuracy(probability(evaluate(run.trained.snapshots[e], x)).double().numpy(), labels) for e in epochs], axis=0
    )
    gone = run.trained.diverged
    return pd.DataFrame(
        {"noise": run.levels, "seed": run.seeds, "diverged": gone, "accuracy": np.where(gone, np.nan, scores)}
    )


def _training(run: GridRun) -> pd.DataFrame:
    return training_table(run.trained, {"noise": run.levels, "seed": run.seeds})
