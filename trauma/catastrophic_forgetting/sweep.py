"""The Model 4 run pipeline: data for every seed -> phase 1 -> phase 2 for every
strategy (and joint training) -> tidy tables. `run_sweep` computes;
`outputs.write_outputs` writes the files.

Phase-2 metrics are averaged over the networks after each of the last `eval_epochs`
epochs (the `*_final` columns: after the last epoch alone).

Tables:
- `networks`  one row per network (strategy x seed): strategy name, learning rate,
              replay share, EWC strength, retention, forgetting, therapy success,
              the per-class recalls and accuracies they come from, the MSEs, and
              `constant_accuracy`, what answering "neutral" everywhere scores on
              the seed's phase-1 test set (`*_before`: the seed's phase-1 network;
              metrics in `metrics.py`). Joint training is the strategy "joint".
- `curves`    one row per phase-2 network x recorded epoch (0: the phase-1 network):
              danger and neutral recall, retention and therapy success.
- `weights`   one row per phase-2 network x layer: weight change against the
              phase-1 network.
- `training`  phase-1 loss per seed and epoch, with loss spikes.

Every table row is one network (or seed) and compares it only with its own seed's
phase-1 network, so a sweep can run as shards of seeds (`trauma/numerics/shards.py`):
`merge_shards` stacks the shards' tables and joins their networks; the summary is
computed from the merged table.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from ..numerics import shards as sharding
from ..numerics.mlp import evaluate
from ..numerics.outputs import run_metadata
from ..numerics.stats import summarise
from ..numerics.tables import spike_counts, training_table
from ..numerics.trainer import Training
from .config import SweepConfig
from .dataset import phase1_sets, replay_order, therapy_sets
from .ensemble import (
    DANGER,
    NEUTRAL,
    SAFE,
    GridRun,
    PhaseTwo,
    SeedData,
    Strategy,
    train_joint,
    train_phase1,
    train_phase2,
)
from .metrics import accuracy, baseline_mse, mse, mse_excess, recall, retention, weight_change
from .model import read

NAMED = {
    Strategy(1e-2, 0.0): "naive",
    Strategy(1e-4, 0.0): "conservative",
    Strategy(1e-3, 0.2): "replay",
}  # the specification's
# Per network, after therapy (averaged over the last epochs; `*_final`: the last alone).
COLUMNS = [
    "retention",
    "forgetting",
    "therapy_success",
    "therapy_danger",
    "danger_recall",
    "neutral_recall",
    "balanced_after",
    "accuracy_after",
    "mse_after",
    "mse_excess",
]
BEFORE = ["balanced_before", "danger_recall_before", "neutral_recall_before", "accuracy_before", "therapy_before"]


def strategy_name(strategy: Strategy) -> str:
    if strategy in NAMED:
        return NAMED[strategy]
    if strategy.ewc > 0:
        return f"EWC {strategy.ewc:g}"
    return f"lr {strategy.learning_rate:g}, replay {strategy.replay:g}"


def strategies(config: SweepConfig) -> list[Strategy]:
    """The factorial grid (learning rate x replay share), then EWC without replay."""
    grid = [Strategy(lr, share) for lr in config.learning_rates for share in config.replay_ratios]
    return grid + [Strategy(config.ewc_learning_rate, 0.0, strength) for strength in config.ewc_strengths]


@dataclass
class SweepResult:
    config: SweepConfig
    networks: pd.DataFrame
    curves: pd.DataFrame
    weights: pd.DataFrame
    training: pd.DataFrame
    metadata: dict
    run: GridRun | None = None  # the trained networks (not kept by load_results)
    _summary: pd.DataFrame | None = field(default=None, init=False, repr=False, compare=False)

    def summary(self) -> pd.DataFrame:
        """Mean and 95 % CI over seeds per strategy (computed once)."""
        if self._summary is None:
            columns = COLUMNS + BEFORE + ["constant_accuracy"] + [f"{c}_final" for c in COLUMNS]
            self._summary = summarise(
                self.networks, ["strategy", "learning_rate", "replay_ratio", "ewc_strength"], columns
            )
        return self._summary

    def instability(self) -> pd.DataFrame:
        """Phase-1 loss spikes per seed."""
        return spike_counts(self.training, ["seed"])


def seed_data(seed: int, config: SweepConfig) -> SeedData:
    phase1, phase1_test = phase1_sets(seed, config.phase1_examples, config.overlap)
    therapy, therapy_test = therapy_sets(seed, config.therapy_examples)
    return SeedData(phase1, phase1_test, therapy, therapy_test, replay_order(seed, config.phase1_examples))


def run_sweep(config: SweepConfig, progress: bool = False) -> SweepResult:
    started = time.perf_counter()
    seeds = config.seed_list
    data = [seed_data(s, config) for s in seeds]
    phase1_training = Training(epochs=config.phase1_epochs, batch_size=config.batch_size)
    phase1 = train_phase1(data, seeds, config.hidden_dims, phase1_training)
    chosen = strategies(config)
    phase2 = train_phase2(
        data,
        seeds,
        phase1.final,
        chosen,
        Training(epochs=config.phase2_epochs, batch_size=config.batch_size, eval_epochs=config.eval_epochs),
    )
    joint = train_joint(data, seeds, config.hidden_dims, phase1_training) if config.joint else None
    # a phase-2 network diverged when it or its seed's phase-1 network did
    diverged = {
        "phase2": phase2.trained.diverged | phase1.diverged[[seeds.index(s) for s in phase2.seeds]],
        "joint": None if joint is None else joint.diverged,
    }
    networks, curves, weights = _evaluate(
        data, phase1.final, phase2, None if joint is None else joint.final, config, diverged
    )
    metadata = run_metadata(
        "catastrophic_forgetting",
        config.as_dict(),
        seeds,
        time.perf_counter() - started,
        diverged_members=int(
            phase2.trained.diverged.sum() + phase1.diverged.sum() + (0 if joint is None else joint.diverged.sum())
        ),
    )
    training = training_table(phase1, {"seed": np.asarray(seeds)})
    return SweepResult(
        config,
        networks,
        curves,
        weights,
        training,
        metadata,
        GridRun(phase1.final, phase2, None if joint is None else joint.final),
    )


def merge_shards(config: SweepConfig, shards: list[SweepResult]) -> SweepResult:
    """The sweep `config` from its shards' results (in seed order): the same tables,
    row for row, as the sweep run whole; the networks of each phase joined."""
    seeds, chosen = config.seed_list, strategies(config)
    at_seeds = [sharding.member_positions(r.config.seed_list, seeds) for r in shards]
    members = [(strategy, seed) for strategy in chosen for seed in seeds]  # strategy-major, as train_phase2
    phase2 = [r.run.phase2 for r in shards]
    at_members = [sharding.member_positions(list(zip(p.strategies, p.seeds)), members) for p in phase2]
    run = GridRun(
        phase1=sharding.joined_stacks([r.run.phase1 for r in shards], at_seeds, len(seeds)),
        phase2=PhaseTwo(
            [strategy for strategy, _ in members],
            np.array([seed for _, seed in members]),
            sharding.joined_runs([p.trained for p in phase2], at_members, len(members)),
            phase2[0].epochs,
            sharding.placed([p.danger_recall for p in phase2], at_members, len(members)),
            sharding.placed([p.neutral_recall for p in phase2], at_members, len(members)),
            sharding.placed([p.therapy_success for p in phase2], at_members, len(members)),
        ),
        joint=sharding.joined_stacks([r.run.joint for r in shards], at_seeds, len(seeds)) if config.joint else None,
    )
    tables = {
        name: sharding.stacked([getattr(r, name) for r in shards], ["strategy"])
        for name in ("networks", "curves", "weights")
    }
    training = sharding.stacked([r.training for r in shards], [])
    return SweepResult(config, **tables, training=training, metadata=sharding.merged_metadata(config, shards), run=run)


def _tests(data: list[SeedData], rows: np.ndarray):
    """Phase-1 and therapy test inputs of the given seeds (indices)."""
    tensor = lambda arrays: torch.tensor(np.stack(arrays), dtype=torch.float32)  # noqa: E731
    return tensor([data[i].phase1_test.x for i in rows]), tensor([data[i].therapy_test.x for i in rows])


def _scores(stack, data: list[SeedData], rows: np.ndarray) -> dict:
    """Phase-1 accuracy, recalls and MSE, therapy readings of every member (seeds `rows`)."""
    x1, xt = _tests(data, rows)
    out1, outt = evaluate(stack, x1), evaluate(stack, xt)
    read1, responses = read(out1), np.stack([data[i].phase1_test.response for i in rows])
    danger, neutral = recall(read1, responses, DANGER), recall(read1, responses, NEUTRAL)
    return {
        "accuracy": accuracy(read1, responses),
        "danger_recall": danger,
        "neutral_recall": neutral,
        "balanced": (danger + neutral) / 2,
        "mse": mse(out1.double().numpy(), np.stack([data[i].phase1_test.targets for i in rows])),
        "success": (read(outt) == SAFE).mean(-1),
        "therapy_danger": (read(outt) == DANGER).mean(-1),
    }


def _evaluate(data: list[SeedData], phase1, phase2, joint, config: SweepConfig, diverged: dict):
    """The networks, curves and weights tables; `diverged` ("phase2": [M], "joint":
    [S] or None) flags networks whose results become NaN."""
    seeds = np.asarray(config.seed_list)
    index = np.arange(len(seeds))
    before = _scores(phase1, data, index)
    baseline = baseline_mse(np.stack([d.phase1.targets for d in data]), np.stack([d.phase1_test.targets for d in data]))
    seed_row = {s: i for i, s in enumerate(seeds)}
    rows = np.array([seed_row[s] for s in phase2.seeds])
    epochs = sorted(phase2.trained.snapshots)
    per_epoch = [_scores(phase2.trained.snapshots[e], data, rows) for e in epochs]

    networks = []
    members = [(phase2.strategies[m], m, rows[m]) for m in range(len(rows))]
    if joint is not None:
        joint_scores = _scores(joint, data, index)
    for name, values in [("phase2", per_epoch)] + ([("joint", [joint_scores])] if joint is not None else []):
        entries = members if name == "phase2" else [(None, i, i) for i in index]
        for strategy, m, i in entries:
            gone = bool(diverged[name][m])
            average = {k: np.nan if gone else float(np.mean([v[k][m] for v in values])) for k in values[0]}
            final = {k: np.nan if gone else float(values[-1][k][m]) for k in values[0]}
            row = {
                "seed": int(seeds[i]),
                "strategy": strategy_name(strategy) if strategy else "joint",
                "learning_rate": strategy.learning_rate if strategy else np.nan,
                "replay_ratio": strategy.replay if strategy else np.nan,
                "ewc_strength": strategy.ewc if strategy else np.nan,
                "diverged": gone,
                **{
                    f"{k}_before": np.nan if gone else float(before[b][i])
                    for k, b in (
                        ("accuracy", "accuracy"),
                        ("danger_recall", "danger_recall"),
                        ("neutral_recall", "neutral_recall"),
                        ("balanced", "balanced"),
                        ("therapy", "success"),
                        ("therapy_danger", "therapy_danger"),
                        ("mse", "mse"),
                    )
                },
                "mse_baseline": float(baseline[i]),
                "constant_accuracy": float(np.mean(data[i].phase1_test.response == NEUTRAL)),
            }
            for suffix, scores in (("", average), ("_final", final)):
                kept = float(retention(scores["balanced"], row["balanced_before"]))
                row[f"retention{suffix}"] = kept
                row[f"forgetting{suffix}"] = 1 - kept
                row[f"therapy_success{suffix}"] = scores["success"]
                row[f"therapy_danger{suffix}"] = scores["therapy_danger"]
                row[f"danger_recall{suffix}"] = scores["danger_recall"]
                row[f"neutral_recall{suffix}"] = scores["neutral_recall"]
                row[f"balanced_after{suffix}"] = scores["balanced"]
                row[f"accuracy_after{suffix}"] = scores["accuracy"]
                row[f"mse_after{suffix}"] = scores["mse"]
                row[f"mse_excess{suffix}"] = float(mse_excess(scores["mse"], row["mse_before"], row["mse_baseline"]))
            networks.append(row)

    names = [strategy_name(s) for s in phase2.strategies]
    epochs_axis = np.asarray(phase2.epochs)
    gone = diverged["phase2"][:, None]
    danger, neutral, success = (
        np.where(gone, np.nan, values)
        for values in (phase2.danger_recall, phase2.neutral_recall, phase2.therapy_success)
    )
    balanced = (danger + neutral) / 2
    curves = pd.DataFrame(
        {
            "strategy": np.repeat(names, len(epochs_axis)),
            "seed": np.repeat(phase2.seeds, len(epochs_axis)),
            "epoch": np.tile(epochs_axis, len(names)),
            "danger_recall": danger.ravel(),
            "neutral_recall": neutral.ravel(),
            "retention": retention(balanced, balanced[:, :1]).ravel(),
            "therapy_success": success.ravel(),
        }
    )
    change = np.where(gone, np.nan, weight_change(phase2.trained.final, phase1.select(rows)))
    weights = pd.DataFrame(
        [
            {"strategy": names[m], "seed": int(phase2.seeds[m]), "layer": layer, "relative_change": change[m, layer]}
            for m in range(len(names))
            for layer in range(change.shape[1])
        ]
    )
    return pd.DataFrame(networks), curves, weights
