"""The Model 2 run pipeline: training sets for every seed -> one ensemble training
-> tidy tables. `run_sweep` computes; `outputs.write_outputs` writes the files.

Every metric is computed on the networks after each of the last `eval_epochs`
epochs and averaged over them (the `*_final` columns: after the last epoch alone),
on three subsets of the shared evaluation inputs: `in_context` (the in-context probe
set), `out_of_context` and `all` (the test set).

Tables:
- `networks`  one row per network (noise level x seed) x subset: accuracy, confidence
              collapse, confidence, calibration error.
- `ensemble`  one row per noise level x subset: instability, variance and
              disagreement across the seeds (those without a diverged network at
              any level), with jackknife intervals over seeds.
- `jackknife` the same with each seed left out in turn (`left_out`; -1: none), so that
              differences between levels get jackknife intervals too.
- `by_epoch`  one row per noise level x recorded training length (`ensemble.recorded_epochs`):
              the in-context instability, variance and disagreement across seeds of the
              networks after that epoch alone, with jackknife intervals.
- `training`  one row per network x epoch (0 = initialisation): mean training loss,
              loss spikes, the share of wrong training labels the network predicts
              (wrong_agreement), the share of fresh in-context inputs it gives the
              flipped label (fresh_flipped), their difference, memorisation (`memorised`,
              NaN at levels of 0.5 and above, see `metrics.py`), and the share of correct
              in-context labels it predicts (clean fit).
- `noise`     one row per seed x level: the realised share of noisy in-context labels.

The power law of the in-context variance (`metrics.power_law_fit`) is fitted to the
excess over level 0 (`exponent`), at the kept epochs and after each recorded epoch
(`exponent_by_epoch`), and, as earlier editions did, to the raw variance (`raw_exponent`).

A sweep can run as shards of seeds (`trauma/numerics/shards.py`). The across-seed tables
(`ensemble`, `jackknife`) and the power-law fit depend on every seed, so
`merge_shards` joins the shards' trained networks and computes every evaluation
table from the joined grid, as `run_sweep` does; a shard's own across-seed tables
are not used.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from ..numerics import shards as sharding
from ..numerics.losses import probability
from ..numerics.mlp import evaluate
from ..numerics.outputs import run_metadata
from ..numerics.stats import summarise
from ..numerics.tables import spike_counts, training_table
from .config import SweepConfig
from .dataset import evaluation_sets, make_training_set
from .ensemble import GridRun, train_grid
from .metrics import (
    ensemble_metrics,
    interval,
    jackknife_counts,
    memorisation,
    network_metrics,
    power_law_fit,
    realised_noise,
    training_distribution,
)

NETWORK_COLUMNS = ["accuracy", "collapse", "confidence", "calibration_error", "ece", "mean_p"]
ENSEMBLE_COLUMNS = ["instability", "variance", "disagreement"]
TRAINING_COLUMNS = ["loss", "wrong_agreement", "fresh_flipped", "memorised", "clean_fit"]


@dataclass
class SweepResult:
    config: SweepConfig
    networks: pd.DataFrame
    ensemble: pd.DataFrame
    jackknife: pd.DataFrame
    training: pd.DataFrame
    noise: pd.DataFrame
    exponent: dict  # the power law of the in-context excess variance over level 0 (`metrics.power_law_fit`)
    metadata: dict
    by_epoch: pd.DataFrame | None = None
    raw_exponent: dict | None = None  # the same law fitted to the raw variance, floor included
    exponent_by_epoch: list | None = None  # `exponent` of the networks after each recorded epoch
    run: GridRun | None = None
    _summary: pd.DataFrame | None = field(default=None, init=False, repr=False, compare=False)

    def summary(self) -> pd.DataFrame:
        """Per-network metrics (last-epochs average and final): mean and 95 % CI over
        seeds per noise level x subset (computed once: the report reads it cell by cell)."""
        if self._summary is None:
            columns = NETWORK_COLUMNS + [f"{c}_final" for c in NETWORK_COLUMNS]
            self._summary = summarise(self.networks, ["noise", "subset"], columns)
        return self._summary

    def training_summary(self) -> pd.DataFrame:
        return summarise(self.training, ["noise", "epoch"], TRAINING_COLUMNS)

    def noise_summary(self) -> pd.DataFrame:
        return summarise(self.noise, ["noise"], ["realised"])

    def instability(self) -> pd.DataFrame:
        """Per network: loss spikes after the first epochs (as for Model 1)."""
        return spike_counts(self.training, ["noise", "seed"])


def run_sweep(config: SweepConfig, progress: bool = False) -> SweepResult:
    started = time.perf_counter()
    sets = [make_training_set(seed, config.train_examples) for seed in config.seed_list]
    run = train_grid(
        sets, config.seed_list, config.noise_levels, config.noise_model, config.hidden_dims, config.training, progress
    )
    networks, ensemble, jackknife, fits = _evaluate(run, config)
    noise = pd.DataFrame(
        [
            {
                "noise": level,
                "seed": seed,
                "realised": realised_noise(sets[i].clean, sets[i].labels(level, config.noise_model), sets[i].context),
            }
            for level in config.noise_levels
            for i, seed in enumerate(config.seed_list)
        ]
    )
    metadata = run_metadata(
        "noisy_signals",
        config.as_dict(),
        config.seed_list,
        time.perf_counter() - started,
        diverged_members=int(run.diverged.sum()),
    )
    return SweepResult(
        config, networks, ensemble, jackknife, _training_table(run), noise, metadata=metadata, run=run, **fits
    )


def merge_shards(config: SweepConfig, shards: list[SweepResult]) -> SweepResult:
    """The sweep `config` from its shards' results (in seed order): the networks
    joined into the whole grid, and every table computed from it as if run whole."""
    members = [(level, seed) for level in config.noise_levels for seed in config.seed_list]  # level-major
    positions = [sharding.member_positions(list(zip(r.run.levels, r.run.seeds)), members) for r in shards]
    runs = [r.run for r in shards]
    run = GridRun(
        levels=np.array([level for level, _ in members], dtype=np.float64),
        seeds=np.array([seed for _, seed in members]),
        trained=sharding.joined_runs([r.trained for r in runs], positions, len(members)),
        wrong_agreement=sharding.placed([r.wrong_agreement for r in runs], positions, len(members)),
        fresh_flipped=sharding.placed([r.fresh_flipped for r in runs], positions, len(members)),
        clean_fit=sharding.placed([r.clean_fit for r in runs], positions, len(members)),
        probe=sharding.placed([r.probe for r in runs], positions, len(members)),
        epochs=runs[0].epochs,
    )
    networks, ensemble, jackknife, fits = _evaluate(run, config)
    noise = sharding.stacked([r.noise for r in shards], ["noise"])
    return SweepResult(
        config,
        networks,
        ensemble,
        jackknife,
        _training_table(run),
        noise,
        metadata=sharding.merged_metadata(config, shards),
        run=run,
        **fits,
    )


def _subsets():
    """name -> (inputs, clean labels, whether each input is in the context)."""
    sets = evaluation_sets()
    test, probe = sets["test"], sets["context_probe"]
    outside = ~test.context
    return {
        "in_context": (probe.x, probe.labels, probe.context),
        "out_of_context": (test.x[outside], test.labels[outside], test.context[outside]),
        "all": (test.x, test.labels, test.context),
    }


def _evaluate(run: GridRun, config: SweepConfig):
    """Per-network and across-seed metrics on every subset, averaged over the kept
    epochs; the in-context spread after each recorded epoch; the power-law fits."""
    levels, num_seeds = config.noise_levels, config.seeds
    kept = ~run.diverged.reshape(len(levels), num_seeds).any(0)  # across seeds: the seeds without a diverged network
    counts = jackknife_counts(int(kept.sum()))
    epochs = sorted(run.trained.snapshots)
    network_rows, ensemble_rows, jackknife_rows, variance_by_level = [], [], [], {}
    for subset, (x, labels, context) in _subsets().items():
        x = torch.tensor(x, dtype=torch.float32)
        per_epoch = [probability(evaluate(run.trained.snapshots[e], x)).double().numpy() for e in epochs]  # [M, n] each
        p_train = np.stack([training_distribution(labels, level, config.noise_model, context) for level in run.levels])
        for m in range(len(run.seeds)):
            values = [network_metrics(p[m : m + 1], labels, p_train[m]) for p in per_epoch]
            row = {
                "noise": run.levels[m],
                "seed": int(run.seeds[m]),
                "subset": subset,
                "n": len(labels),
                "diverged": bool(run.diverged[m]),
            }
            for name in values[0]:
                row[name] = float(np.mean([v[name][0] for v in values])) if not run.diverged[m] else np.nan
                row[f"{name}_final"] = float(values[-1][name][0]) if not run.diverged[m] else np.nan
            network_rows.append(row)
        for i, level in enumerate(levels):
            members = i * num_seeds + np.flatnonzero(kept)
            found = [ensemble_metrics(p[members], counts) for p in per_epoch]
            row = {"noise": level, "subset": subset, "seeds": len(members)}
            averages = {
                name: np.mean([f[name] for f in found], axis=0) for name in ENSEMBLE_COLUMNS
            }  # over the kept epochs
            jackknife_rows += [
                {
                    "noise": level,
                    "subset": subset,
                    "left_out": left_out,
                    **{n: float(v[i]) for n, v in averages.items()},
                }
                for i, left_out in enumerate([-1, *np.flatnonzero(kept).tolist()])
            ]
            for name in ENSEMBLE_COLUMNS:
                averaged = averages[name]
                row[name], row[f"{name}_low"], row[f"{name}_high"] = interval(averaged)
                row[f"{name}_final"] = float(found[-1][name][0])
                if subset == "in_context" and name == "variance":
                    variance_by_level[level] = averaged
            ensemble_rows.append(row)
    by_epoch, exponent_by_epoch = _by_epoch(run, levels, num_seeds, kept, counts)
    fits = {
        "exponent": power_law_fit(variance_by_level),
        "raw_exponent": power_law_fit({level: v for level, v in variance_by_level.items() if level > 0}),
        "by_epoch": by_epoch,
        "exponent_by_epoch": exponent_by_epoch,
    }
    return pd.DataFrame(network_rows), pd.DataFrame(ensemble_rows), pd.DataFrame(jackknife_rows), fits


def _by_epoch(run: GridRun, levels, num_seeds: int, kept: np.ndarray, counts: np.ndarray):
    """The in-context spread across seeds of the networks after each recorded epoch,
    per level (with jackknife intervals), and the power law of its excess variance."""
    rows, fits = [], []
    for j, epoch in enumerate(run.epochs):
        variance = {}
        for i, level in enumerate(levels):
            found = ensemble_metrics(run.probe[i * num_seeds + np.flatnonzero(kept), j], counts)
            row = {"noise": level, "epoch": epoch, "seeds": int(kept.sum())}
            for name in ENSEMBLE_COLUMNS:
                row[name], row[f"{name}_low"], row[f"{name}_high"] = interval(found[name])
            rows.append(row)
            variance[level] = found["variance"]
        fits.append({"epoch": epoch, **power_law_fit(variance)})
    return pd.DataFrame(rows), fits


def _training_table(run: GridRun) -> pd.DataFrame:
    per_epoch = {
        "wrong_agreement": run.wrong_agreement,
        "fresh_flipped": run.fresh_flipped,
        "memorised": memorisation(run.wrong_agreement, run.fresh_flipped, run.levels),
        "clean_fit": run.clean_fit,
    }
    return training_table(run.trained, {"noise": run.levels, "seed": run.seeds}, per_epoch)
