"""Train a whole grid of Model 3 networks (every caregiver count N x every seed)
with the shared trainer (`trauma/numerics/trainer.py`).

Members are ordered count-major: member m has N = counts[m // S] caregivers and seed
seeds[m % S]. Members of one seed share their caregivers (the first N of one pool),
initial weights and data order, so comparisons across N are paired. The trainer
needs one number of training examples per stack, so the grid trains as one stack
per training-set size: with a fixed total (the default) that is one stack for the
whole grid; with the same number of interactions per caregiver, one per N. A
member's result does not depend on the rest of the grid (see `trauma/numerics/trainer.py`),
so this split changes no number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..numerics.trainer import Members, Trained, Training, joined, train_ensemble
from .model import LOSS, layer_dims


@dataclass
class GridRun:
    counts: np.ndarray  # [M] caregivers of each member
    seeds: np.ndarray  # [M] seed of each member
    sizes: np.ndarray  # [M] training interactions of each member
    trained: Trained

    @property
    def diverged(self) -> np.ndarray:
        return self.trained.diverged


def train_grid(
    training_sets: dict,
    seeds,
    counts,
    hidden_dims,
    training: Training,
    progress: bool = False,
) -> GridRun:
    """training_sets[(N, seed)]: the TrainingSet of N caregivers of that seed."""
    seeds, counts = list(seeds), list(counts)
    member_seed = np.tile(seeds, len(counts))
    member_count = np.repeat(counts, len(seeds))
    sets = [training_sets[(n, s)] for n, s in zip(member_count, member_seed)]
    sizes = np.array([len(t.y) for t in sets])
    parts = []
    for size in dict.fromkeys(sizes.tolist()):
        members = np.flatnonzero(sizes == size)
        x = torch.tensor(np.stack([sets[m].x for m in members]), dtype=torch.float32)
        y = torch.tensor(np.stack([sets[m].y for m in members]), dtype=torch.float32)
        who = Members(data=np.arange(len(members)), seed=member_seed[members], weights=torch.ones(len(members), size))
        trained = train_ensemble(x, y, who, layer_dims(hidden_dims), LOSS, training, progress=progress)
        parts.append((members, trained))
    return GridRun(counts=member_count, seeds=member_seed, sizes=sizes, trained=joined(parts, len(sizes)))
