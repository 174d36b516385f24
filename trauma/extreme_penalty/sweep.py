"""The Model 1 run pipeline: data for every seed -> one ensemble training -> tidy tables.
`run_sweep` computes; `outputs.write_outputs` writes the files.

Tables (pandas, one row per member = penalty x seed, and per...):
- `networks` ...probe set and group: over-correction and accuracy, averaged over the
             networks after each of the last `eval_epochs` epochs (the headline), the
             same for the final network alone (`*_final`), and the excess
             over-correction over the lambda = 1 member of the same seed (paired).
- `training` ...epoch (0 = initialisation): mean training loss, whether the epoch's
             loss spiked, and the gradient diagnostics of `metrics.gradient_diagnostics`
             (at the epochs `ensemble.diagnostic_epochs` lists, NaN in between).
- `weights`  ...layer: weight change against initialisation and against the lambda = 1
             member of the same seed, relative to the layer's initial norm, beside
             the noise floor (the lambda = 1.001 member's change against lambda = 1).

Every table row is one network and compares it only with networks of its own seed,
so a sweep can run as shards of seeds (`trauma/numerics/shards.py`): `merge_shards` stacks
the shards' tables, and the summaries are computed from the merged tables.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ..numerics import shards as sharding
from ..numerics.mlp import evaluate
from ..numerics.outputs import run_metadata
from ..numerics.stats import summarise
from ..numerics.tables import spike_counts, training_table
from .config import FLOOR_PENALTY, REFERENCE_PENALTY, SweepConfig
from .dataset import FEATURE_RHO, RISKY, SAFE, SeedData, make_seed_data
from .ensemble import GridRun, train_grid
from .metrics import layer_distances, layer_norms
from .model import layer_dims

PROBE_COLUMNS = [
    "overcorrection",
    "excess_overcorrection",
    "accuracy",
    "overcorrection_final",
    "excess_overcorrection_final",
    "accuracy_final",
]
TRAINING_COLUMNS = ["loss", "gradient_ratio", "gradient_ratio_unweighted", "aggregate_ratio", "trauma_loss_share"]
WEIGHT_COLUMNS = [
    "change_from_init",
    "relative_change_from_init",
    "relative_change_from_reference",
    "noise_floor",
    "excess_over_floor",
]


@dataclass
class SweepResult:
    config: SweepConfig
    networks: pd.DataFrame
    training: pd.DataFrame
    weights: pd.DataFrame
    correlations: np.ndarray  # [seeds, 10, 10] realised correlation matrices
    metadata: dict
    run: GridRun | None = None  # the trained networks (not kept by load_results)

    def summary(self) -> pd.DataFrame:
        """Over-correction, its paired excess over lambda = 1, and accuracy (last-epochs
        average and final network): mean and 95 % CI over seeds for every
        penalty x probe set x group."""
        return summarise(self.networks, ["penalty", "probe", "group", "distance"], PROBE_COLUMNS)

    def training_summary(self) -> pd.DataFrame:
        return summarise(self.training, ["penalty", "epoch"], TRAINING_COLUMNS)

    def weights_summary(self) -> pd.DataFrame:
        return summarise(self.weights, ["penalty", "layer", "shape"], WEIGHT_COLUMNS)

    def instability(self) -> pd.DataFrame:
        """Per member: how many epochs' loss spiked, and the largest epoch loss over
        the lowest loss before it (both after the first epochs)."""
        return spike_counts(self.training, ["penalty", "seed"])

    def instability_summary(self) -> pd.DataFrame:
        return summarise(self.instability(), ["penalty"], ["spikes", "peak"])

    def correlation_table(self) -> pd.DataFrame:
        """Target vs realised corr(x0, x_j) over seeds."""
        realised = self.correlations[:, 0, :]
        return pd.DataFrame(
            {
                "feature": np.arange(len(FEATURE_RHO)),
                "target": FEATURE_RHO,
                "realised_mean": realised.mean(0),
                "realised_min": realised.min(0),
                "realised_max": realised.max(0),
            }
        )


def run_sweep(config: SweepConfig, progress: bool = False) -> SweepResult:
    started = time.perf_counter()
    data = [
        make_seed_data(seed, config.base_examples, config.num_trauma, config.trauma_placement, config.label_noise)
        for seed in config.seed_list
    ]
    run = train_grid(data, config.trained_penalties, config.hidden_dims, config.training, config.oversample, progress)
    metadata = run_metadata(
        "extreme_penalty",
        config.as_dict(),
        config.seed_list,
        time.perf_counter() - started,
        trained_penalties=config.trained_penalties,
        diverged_members=int(run.diverged.sum()),
    )
    return SweepResult(
        config=config,
        networks=_probe_table(run, data),
        training=_training_table(run),
        weights=_weights_table(run, config),
        correlations=np.stack([d.correlations for d in data]),
        metadata=metadata,
        run=run,
    )


def merge_shards(config: SweepConfig, shards: list[SweepResult]) -> SweepResult:
    """The sweep `config` from its shards' results (in seed order): the same tables,
    row for row, as the sweep run whole; the trained networks joined."""
    members = [(p, s) for p in config.trained_penalties for s in config.seed_list]
    positions = [sharding.member_positions(list(zip(r.run.penalties, r.run.seeds)), members) for r in shards]
    runs = [r.run for r in shards]
    run = GridRun(
        penalties=np.array([p for p, _ in members], dtype=np.float64),
        seeds=np.array([s for _, s in members]),
        trained=sharding.joined_runs([r.trained for r in runs], positions, len(members)),
        diagnostic_epochs=runs[0].diagnostic_epochs,
        diagnostics={
            name: sharding.placed([r.diagnostics[name] for r in runs], positions, len(members))
            for name in runs[0].diagnostics
        },
    )
    return SweepResult(
        config=config,
        networks=sharding.stacked([r.networks for r in shards], ["penalty"]),
        training=sharding.stacked([r.training for r in shards], ["penalty"]),
        weights=sharding.stacked([r.weights for r in shards], ["penalty"]),
        correlations=np.concatenate([r.correlations for r in shards]),
        metadata=sharding.merged_metadata(config, shards),
        run=run,
    )


def _reference_member(run: GridRun, penalty: float = REFERENCE_PENALTY) -> np.ndarray:
    """For every member, the index of the member with this penalty and the same seed."""
    reference = {seed: m for m, (lam, seed) in enumerate(zip(run.penalties, run.seeds)) if lam == penalty}
    return np.array([reference[seed] for seed in run.seeds])


def _predictions(stack, probe_x) -> torch.Tensor:
    """Predicted class of every member on its seed's probe inputs: [M, P]. probe_x
    [S, P, 10]; member m uses seed row m % S."""
    member_seed = torch.arange(stack.members) % probe_x.shape[0]
    return evaluate(stack, probe_x[member_seed]).argmax(dim=-1)


def _cell_metrics(predicted, labels, cells) -> tuple[np.ndarray, np.ndarray]:
    """Over-correction and accuracy of every member on every probe cell: [M, cells]
    each. labels [M, P]; cells: (start, end) of each cell in the probe inputs."""
    over, acc = [], []
    for a, b in cells:
        risky = labels[:, a:b] == RISKY
        over.append(((predicted[:, a:b] == SAFE) & risky).sum(1) / risky.sum(1))
        acc.append((predicted[:, a:b] == labels[:, a:b]).double().mean(1))
    return torch.stack(over, 1).double().numpy(), torch.stack(acc, 1).numpy()


def _probe_table(run: GridRun, data: list[SeedData]) -> pd.DataFrame:
    layout = data[0].probes
    bounds = np.cumsum([0] + [len(p.labels) for p in layout])
    cells = list(zip(bounds[:-1], bounds[1:]))
    probe_x = torch.tensor(np.stack([np.concatenate([p.x for p in d.probes]) for d in data]), dtype=torch.float32)
    labels = torch.tensor(np.stack([np.concatenate([p.labels for p in d.probes]) for d in data]))
    labels = labels[torch.arange(len(run.seeds)) % len(data)]
    epochs = sorted(run.trained.snapshots)
    per_epoch = [_cell_metrics(_predictions(run.trained.snapshots[e], probe_x), labels, cells) for e in epochs]
    diverged = run.diverged[:, None]
    values = {
        "overcorrection": np.mean([o for o, _ in per_epoch], axis=0),
        "accuracy": np.mean([a for _, a in per_epoch], axis=0),
        "overcorrection_final": per_epoch[-1][0],
        "accuracy_final": per_epoch[-1][1],
    }
    values = {k: np.where(diverged, np.nan, v) for k, v in values.items()}
    reference = _reference_member(run)
    values["excess_overcorrection"] = values["overcorrection"] - values["overcorrection"][reference]
    values["excess_overcorrection_final"] = values["overcorrection_final"] - values["overcorrection_final"][reference]
    num_members, num_cells = values["overcorrection"].shape
    table = pd.DataFrame(
        {
            "penalty": np.repeat(run.penalties, num_cells),
            "seed": np.repeat(run.seeds, num_cells),
            "probe": np.tile([p.probe for p in layout], num_members),
            "group": np.tile([p.group for p in layout], num_members),
            "distance": np.tile([p.distance for p in layout], num_members),
            "n": np.tile([len(p.labels) for p in layout], num_members),
            "diverged": np.repeat(run.diverged, num_cells),
            "evaluated_epochs": f"{epochs[0]}-{epochs[-1]}",
        }
    )
    for name in PROBE_COLUMNS:
        table[name] = values[name].ravel()
    return table


def _training_table(run: GridRun) -> pd.DataFrame:
    """Loss per epoch, and the gradient diagnostics at the epochs that have them (NaN
    at the others)."""
    diagnostics = {}
    for name, values in run.diagnostics.items():
        diagnostics[name] = np.full((len(run.seeds), run.trained.loss.shape[1] + 1), np.nan)
        diagnostics[name][:, run.diagnostic_epochs] = values
    return training_table(run.trained, {"penalty": run.penalties, "seed": run.seeds}, diagnostics)


def _weights_table(run: GridRun, config: SweepConfig) -> pd.DataFrame:
    initial, final = run.trained.initial, run.trained.final
    init_norm = layer_norms(initial).numpy()
    from_init = layer_distances(final, initial).numpy()
    reference = final.select(_reference_member(run))
    from_reference = layer_distances(final, reference).numpy() / init_norm
    if config.noise_floor:
        floor = from_reference[_reference_member(run, FLOOR_PENALTY)]
    else:
        floor = np.full_like(from_reference, np.nan)
    dims = layer_dims(config.hidden_dims)
    num_members, num_layers = from_init.shape
    columns = {
        "change_from_init": from_init,
        "relative_change_from_init": from_init / init_norm,
        "relative_change_from_reference": from_reference,
        "noise_floor": floor,
        "excess_over_floor": from_reference - floor,
    }
    table = pd.DataFrame(
        {
            "penalty": np.repeat(run.penalties, num_layers),
            "seed": np.repeat(run.seeds, num_layers),
            "layer": np.tile(np.arange(1, num_layers + 1), num_members),
            "shape": np.tile([f"{a}->{b}" for a, b in zip(dims[:-1], dims[1:])], num_members),
        }
    )
    for name, values in columns.items():
        table[name] = np.where(run.diverged[:, None], np.nan, values).ravel()
    return table
