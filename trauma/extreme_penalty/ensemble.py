"""Train a whole grid of Model 1 networks (every penalty x every seed) as one
stacked ensemble with the shared trainer (`trauma/numerics/trainer.py`).

Members are ordered penalty-major: member m has penalty penalties[m // S] and seed
seeds[m % S]. Members of one seed share training data, initial weights and data
order; they differ only in the penalty, so comparisons across penalties are paired.
A member's result does not depend on the rest of the grid: trained in any grid,
or alone with `ExtremePenaltyModel.train_model`, it has the same weights, bit for
bit (tests/test_ensemble.py trains one at full length in grids of 1, 3 and 50).

Besides the trained networks the grid keeps the networks after each of the last
`eval_epochs` epochs (the reported metrics average over them) and, at
initialisation and after some epochs, the gradient diagnostics of `metrics.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..numerics.trainer import Members, Trained, Training, train_ensemble
from .dataset import SeedData
from .metrics import GradientProbe, gradient_diagnostics
from .model import LOSS, example_weights, layer_dims


def diagnostic_epochs(epochs: int) -> list[int]:
    """When the gradient diagnostics are computed (each costs about a tenth of an
    epoch): at initialisation (0), after epochs 1, 2 and 5, every 10th and the last."""
    return sorted({e for e in (0, 1, 2, 5, *range(10, epochs, 10), epochs) if e <= epochs})


@dataclass
class GridRun:
    penalties: np.ndarray  # [M] penalty of each member
    seeds: np.ndarray  # [M] seed of each member
    trained: Trained  # initial and final networks, loss curve, snapshots of the last epochs
    diagnostic_epochs: list  # the epochs the diagnostics were computed after (0: initialisation)
    diagnostics: dict  # name -> [M, len(diagnostic_epochs)]

    @property
    def diverged(self) -> np.ndarray:
        return self.trained.diverged


def train_grid(
    seed_data: list[SeedData], penalties, hidden_dims, training: Training, oversample: int = 1, progress: bool = False
) -> GridRun:
    num_seeds = len(seed_data)
    member_data = np.tile(np.arange(num_seeds), len(penalties))  # penalty-major
    member_penalty = np.repeat(np.asarray(penalties, dtype=np.float64), num_seeds)
    penalty = torch.tensor(member_penalty, dtype=torch.float32)
    x = torch.tensor(np.stack([d.train.x for d in seed_data]), dtype=torch.float32)
    y = torch.tensor(np.stack([d.train.labels for d in seed_data]))
    mask = torch.tensor(np.stack([d.train.penalty_mask for d in seed_data]))
    trauma_index = seed_data[0].train.trauma_index  # the same positions for every seed
    members = Members(
        data=member_data,
        seed=np.array([seed_data[s].seed for s in member_data]),
        weights=example_weights(mask[member_data], penalty),
    )

    rows, trauma = torch.as_tensor(member_data)[:, None], torch.as_tensor(trauma_index)
    normal = torch.arange(int(trauma_index[0]))  # normal examples come first
    probe = GradientProbe(x[rows, trauma], y[rows, trauma], penalty, x[rows, normal], y[rows, normal])
    when = diagnostic_epochs(training.epochs)
    diagnostics: dict[str, list] = {}

    def after_epoch(epoch, stack):
        if epoch in when:
            for name, values in gradient_diagnostics(stack, probe).items():
                diagnostics.setdefault(name, []).append(values)

    trained = train_ensemble(
        x,
        y,
        members,
        layer_dims(hidden_dims),
        LOSS,
        training,
        extra_visits=np.repeat(trauma_index, oversample - 1),
        after_epoch=after_epoch,
        progress=progress,
    )
    return GridRun(
        penalties=member_penalty,
        seeds=members.seed,
        trained=trained,
        diagnostic_epochs=when,
        diagnostics={name: torch.stack(values, dim=1).numpy() for name, values in diagnostics.items()},
    )
