"""The Model 3 run pipeline: caregivers and interactions for every seed -> one
ensemble training -> tidy tables. `run_sweep` computes; `outputs.write_outputs`
writes the files.

Every metric is computed on the networks after each of the last `eval_epochs`
epochs and averaged over them (the `*_final` columns: after the last epoch alone).

Tables:
- `networks`  one row per network (caregiver count N x seed) x test set (`same`,
              `shifted`): train_examples, test MSE, reference MSE (f*), excess MSE,
              train MSE, generalisation gap.
- `training`  one row per network x epoch (0 = initialisation): mean training loss
              and loss spikes.
- `fits`      one row per quantity (gap, excess MSE) x test set: the power law
              value ~ a N^(-b), with the bootstrap interval of b.
The metadata keep the Monte Carlo precision of the reference f*.

Every table row is one network; the fits and summaries are across seeds. A sweep
can run as shards of seeds (`trauma/numerics/shards.py`): `merge_shards` stacks the shards'
rows and recomputes the fits (bootstrap over seeds) and the reference's precision
(a mean over seeds) from the merged per-network and per-seed values.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from ..numerics import shards as sharding
from ..numerics.outputs import run_metadata
from ..numerics.stats import summarise
from ..numerics.tables import spike_counts, training_table
from .config import SweepConfig
from .dataset import TEST_SETS, make_test_set, make_training_set, reference
from .ensemble import GridRun, train_grid
from .metrics import mse, power_law
from .model import predict

COLUMNS = ["test_mse", "reference_mse", "population_mse", "excess_mse", "train_mse", "gap"]
REFERENCES = ("reference_mse", "population_mse")  # per seed, the same for every network
FITTED = ("gap", "excess_mse")  # the quantities with a power-law fit against N


@dataclass
class SweepResult:
    config: SweepConfig
    networks: pd.DataFrame
    training: pd.DataFrame
    fits: pd.DataFrame
    metadata: dict
    run: GridRun | None = None
    precision_by_seed: dict | None = None  # test set -> the reference's precision per seed (not written)
    _summary: pd.DataFrame | None = field(default=None, init=False, repr=False, compare=False)

    def summary(self) -> pd.DataFrame:
        """Per-network metrics (last-epochs average and final): mean and 95 % CI over
        seeds per caregiver count x test set (computed once)."""
        if self._summary is None:
            columns = COLUMNS + [f"{c}_final" for c in COLUMNS if c not in REFERENCES]
            self._summary = summarise(self.networks, ["caregivers", "test_set"], columns)
        return self._summary

    def training_summary(self) -> pd.DataFrame:
        return summarise(self.training, ["caregivers", "epoch"], ["loss"])

    def instability(self) -> pd.DataFrame:
        """Per network: loss spikes after the first epochs (as for Model 1)."""
        return spike_counts(self.training, ["caregivers", "seed"])

    def fit(self, quantity: str = "gap", test_set: str | None = None) -> dict:
        """The power-law fit of a quantity on one test set (by default the headline one)."""
        row = self.fits.set_index(["quantity", "test_set"]).loc[(quantity, test_set or self.config.headline_test_set)]
        return {**row.to_dict(), "counts": self.config.caregiver_counts}


def run_sweep(config: SweepConfig, progress: bool = False) -> SweepResult:
    started = time.perf_counter()
    sets = {
        (n, seed): make_training_set(
            seed, n, config.design, config.total_interactions, config.interactions_per_caregiver
        )
        for n in config.caregiver_counts
        for seed in config.seed_list
    }
    run = train_grid(sets, config.seed_list, config.caregiver_counts, config.hidden_dims, config.training, progress)
    networks, precision_by_seed = _evaluate(run, sets, config)
    metadata = run_metadata(
        "limited_dataset",
        config.as_dict(),
        config.seed_list,
        time.perf_counter() - started,
        diverged_members=int(run.diverged.sum()),
        reference_precision=_precision(precision_by_seed),
    )
    training = training_table(run.trained, {"caregivers": run.counts, "seed": run.seeds})
    return SweepResult(config, networks, training, _fits(networks, config), metadata, run, precision_by_seed)


def merge_shards(config: SweepConfig, shards: list[SweepResult]) -> SweepResult:
    """The sweep `config` from its shards' results (in seed order): the same tables,
    row for row, as the sweep run whole; fits and precision recomputed over all seeds."""
    members = [(n, s) for n in config.caregiver_counts for s in config.seed_list]
    positions = [sharding.member_positions(list(zip(r.run.counts, r.run.seeds)), members) for r in shards]
    run = GridRun(
        counts=np.array([n for n, _ in members]),
        seeds=np.array([s for _, s in members]),
        sizes=sharding.placed([r.run.sizes for r in shards], positions, len(members)),
        trained=sharding.joined_runs([r.run.trained for r in shards], positions, len(members)),
    )
    networks = sharding.stacked([r.networks for r in shards], ["test_set", "caregivers"])
    precision_by_seed = {d: [v for r in shards for v in r.precision_by_seed[d]] for d in TEST_SETS}
    metadata = {**sharding.merged_metadata(config, shards), "reference_precision": _precision(precision_by_seed)}
    training = sharding.stacked([r.training for r in shards], ["caregivers"])
    return SweepResult(config, networks, training, _fits(networks, config), metadata, run, precision_by_seed)


def _fits(networks: pd.DataFrame, config: SweepConfig) -> pd.DataFrame:
    return pd.DataFrame([_fit(networks, config, test_set, q) for test_set in TEST_SETS for q in FITTED])


def _precision(by_seed: dict) -> dict:
    """How far the Monte Carlo f* may be from the true one: its mean squared error
    over the test inputs (added to the reference MSE in expectation), mean over seeds."""
    return {d: float(np.mean(values)) for d, values in by_seed.items()}


def _evaluate(run: GridRun, sets: dict, config: SweepConfig):
    """Per-network metrics on both test sets, averaged over the kept epochs."""
    tests = {seed: make_test_set(seed) for seed in config.seed_list}
    references = {(seed, d): reference(tests[seed].x, d) for seed in config.seed_list for d in TEST_SETS}
    x_test = torch.tensor(np.stack([tests[s].x for s in run.seeds]), dtype=torch.float32)
    members = list(zip(run.counts, run.seeds))
    epochs = sorted(run.trained.snapshots)
    test_predictions = [predict(run.trained.snapshots[e], x_test).double().numpy() for e in epochs]  # [M, n] each
    train_mse = []
    for size in dict.fromkeys(run.sizes.tolist()):  # members with one training-set size at a time
        rows = np.flatnonzero(run.sizes == size)
        x = torch.tensor(np.stack([sets[members[m]].x for m in rows]), dtype=torch.float32)
        y = np.stack([sets[members[m]].y for m in rows])
        train_mse.append(
            (rows, [mse(predict(run.trained.snapshots[e].select(rows), x).double().numpy(), y) for e in epochs])
        )
    train = np.empty((len(epochs), len(members)))
    for rows, values in train_mse:
        train[:, rows] = np.stack(values)

    table = []
    for test_set in TEST_SETS:
        y = np.stack([tests[s].y[test_set] for s in run.seeds])
        f_star = np.stack([references[(s, test_set)][0] for s in run.seeds])
        reference_mse = mse(f_star, y)
        # the training caregivers' population predictor on these caregivers: what a
        # network that met infinitely many training caregivers would approach
        population_mse = mse(np.stack([references[(s, "same")][0] for s in run.seeds]), y)
        test = np.stack([mse(p, y) for p in test_predictions])  # [epochs, M]
        per_epoch = {
            "test_mse": test,
            "reference_mse": np.broadcast_to(reference_mse, test.shape),
            "population_mse": np.broadcast_to(population_mse, test.shape),
            "excess_mse": test - reference_mse,
            "train_mse": train,
            "gap": test - train,
        }
        for m, (count, seed) in enumerate(members):
            ok = not run.diverged[m]
            row = {
                "caregivers": int(count),
                "seed": int(seed),
                "train_examples": int(run.sizes[m]),
                "test_set": test_set,
                "diverged": not ok,
            }
            for name, values in per_epoch.items():
                row[name] = float(values[:, m].mean()) if ok else np.nan
                if name not in REFERENCES:
                    row[f"{name}_final"] = float(values[-1, m]) if ok else np.nan
            table.append(row)
    precision_by_seed = {d: [references[(s, d)][1].mean() for s in config.seed_list] for d in TEST_SETS}
    return pd.DataFrame(table), precision_by_seed


def per_seed_table(networks: pd.DataFrame, quantity: str, test_set: str, counts) -> np.ndarray:
    """[seeds, counts] values of a quantity (seeds with a diverged network left out)."""
    cell = networks[networks.test_set == test_set]
    return cell.pivot(index="seed", columns="caregivers", values=quantity)[counts].dropna().to_numpy()


def _fit(networks: pd.DataFrame, config: SweepConfig, test_set: str, quantity: str) -> dict:
    values = per_seed_table(networks, quantity, test_set, config.caregiver_counts)
    fit = (
        power_law(config.caregiver_counts, values)
        if len(config.caregiver_counts) >= 2 and len(values) >= 2
        else {
            "estimate": np.nan,
            "low": np.nan,
            "high": np.nan,
            "log_a": np.nan,
            "unfit_share": np.nan,
            "seeds": len(values),
        }
    )
    return {"quantity": quantity, "test_set": test_set, **{k: v for k, v in fit.items() if k != "counts"}}
