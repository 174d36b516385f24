"""The Model 1 run pipeline: data for every seed -> one ensemble training -> tidy tables.
`run_sweep` computes; `outputs.write_outputs` writes the files.

Tables (pandas, one row per member = penalty x seed, and per...):
- `probes`   ...probe set and group: over-correction, accuracy, and the excess
             over-correction over the lambda = 1 member of the same seed (paired).
- `training` ...epoch (0 = initialisation): mean training loss, gradient ratio.
- `weights`  ...layer: weight change against initialisation (absolute and relative)
             and against the lambda = 1 member of the same seed.
"""

from __future__ import annotations

import platform
import sys
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from .. import __version__
from ..stats import summarise
from .config import SweepConfig
from .dataset import FEATURE_RHO, SeedData, make_seed_data
from .ensemble import EnsembleRun, train_ensemble
from .metrics import accuracy, layer_distances, layer_norms, overcorrection
from .model import layer_dims, predict

REFERENCE_PENALTY = 1.0


@dataclass
class SweepResult:
    config: SweepConfig
    probes: pd.DataFrame
    training: pd.DataFrame
    weights: pd.DataFrame
    correlations: np.ndarray  # [seeds, 10, 10] realised correlation matrices
    metadata: dict
    run: EnsembleRun | None = None  # the trained networks (not kept by load_results)

    def summary(self) -> pd.DataFrame:
        """Over-correction, its paired excess over lambda = 1, and accuracy: mean and
        95 % CI over seeds for every penalty x probe set x group."""
        by = ["penalty", "probe", "group", "distance"]
        bounds = {"overcorrection": (0, 1), "accuracy": (0, 1), "excess_overcorrection": (-1, 1)}
        return summarise(self.probes, by, list(bounds), bounds)

    def training_summary(self) -> pd.DataFrame:
        return summarise(self.training, ["penalty", "epoch"], ["loss", "gradient_ratio"])

    def weights_summary(self) -> pd.DataFrame:
        columns = ["change_from_init", "relative_change_from_init", "change_from_reference"]
        return summarise(self.weights, ["penalty", "layer", "shape"], columns)

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
    run = train_ensemble(
        data,
        config.penalties,
        config.hidden_dims,
        epochs=config.epochs,
        learning_rate=config.learning_rate,
        batch_size=config.batch_size,
        optimizer=config.optimizer,
        oversample=config.oversample,
        progress=progress,
    )
    metadata = {
        "model": "extreme_penalty",
        "parameters": config.as_dict(),
        "seeds": config.seed_list,
        "versions": {
            "trauma": __version__,
            "torch": torch.__version__,
            "numpy": np.__version__,
            "python": sys.version.split()[0],
            "platform": platform.platform(),
        },
        "torch_threads": torch.get_num_threads(),
        "diverged_members": int((~run.finite).sum()),
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
    return SweepResult(
        config=config,
        probes=_probe_table(run, data),
        training=_training_table(run),
        weights=_weights_table(run, config),
        correlations=np.stack([d.correlations for d in data]),
        metadata=metadata,
        run=run,
    )


def _reference_member(run: EnsembleRun) -> np.ndarray:
    """For every member, the index of the lambda = 1 member with the same seed."""
    reference = {seed: m for m, (lam, seed) in enumerate(zip(run.penalties, run.seeds)) if lam == REFERENCE_PENALTY}
    return np.array([reference[seed] for seed in run.seeds])


def _probe_table(run: EnsembleRun, data: list[SeedData]) -> pd.DataFrame:
    member_seed = np.arange(len(run.seeds)) % len(data)
    probe_x = torch.tensor(np.stack([np.concatenate([p.x for p in d.probes]) for d in data]), dtype=torch.float32)
    predicted = predict(run.final, probe_x[member_seed])  # [M, all probe inputs]
    rows = []
    for m, (penalty, seed) in enumerate(zip(run.penalties, run.seeds)):
        start = 0
        for probe in data[member_seed[m]].probes:
            chunk = predicted[m, start : start + len(probe.labels)]
            labels = torch.tensor(probe.labels)
            start += len(probe.labels)
            finite = bool(run.finite[m])
            rows.append(
                {
                    "penalty": penalty,
                    "seed": int(seed),
                    "probe": probe.probe,
                    "group": probe.group,
                    "distance": probe.distance,
                    "n": len(probe.labels),
                    "diverged": not finite,
                    "overcorrection": overcorrection(chunk, labels) if finite else np.nan,
                    "accuracy": accuracy(chunk, labels) if finite else np.nan,
                }
            )
    table = pd.DataFrame(rows)
    keys = ["seed", "probe", "group"]
    reference = table[table.penalty == REFERENCE_PENALTY].set_index(keys)["overcorrection"]
    table["excess_overcorrection"] = table.overcorrection.to_numpy() - reference.loc[pd.MultiIndex.from_frame(table[keys])].to_numpy()
    return table


def _training_table(run: EnsembleRun) -> pd.DataFrame:
    num_members, num_points = run.gradient_ratio.shape
    return pd.DataFrame(
        {
            "penalty": np.repeat(run.penalties, num_points),
            "seed": np.repeat(run.seeds, num_points),
            "epoch": np.tile(np.arange(num_points), num_members),
            "loss": np.concatenate([np.full((num_members, 1), np.nan), run.loss], axis=1).ravel(),
            "gradient_ratio": run.gradient_ratio.ravel(),
        }
    )


def _weights_table(run: EnsembleRun, config: SweepConfig) -> pd.DataFrame:
    from_init = layer_distances(run.final, run.initial).numpy()
    relative = from_init / layer_norms(run.initial).numpy()
    reference = _reference_member(run)
    from_reference = layer_distances(run.final, [p[reference] for p in run.final]).numpy()
    dims = layer_dims(config.hidden_dims)
    num_members, num_layers = from_init.shape
    return pd.DataFrame(
        {
            "penalty": np.repeat(run.penalties, num_layers),
            "seed": np.repeat(run.seeds, num_layers),
            "layer": np.tile(np.arange(1, num_layers + 1), num_members),
            "shape": np.tile([f"{a}->{b}" for a, b in zip(dims[:-1], dims[1:])], num_members),
            "change_from_init": from_init.ravel(),
            "relative_change_from_init": relative.ravel(),
            "change_from_reference": from_reference.ravel(),
        }
    )
