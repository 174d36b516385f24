"""Every noise level x seed as one stacked ensemble (level-major)."""

from dataclasses import dataclass

import numpy as np
import torch

from trauma.numerics.trainer import Members, Trained, Training, train_ensemble

from .model import LOSS, layer_dims


@dataclass
class GridRun:
    levels: np.ndarray  # [M]
    seeds: np.ndarray  # [M]
    trained: Trained


def train_grid(x, labels, seeds, levels, hidden_dims, training: Training, progress: bool = False) -> GridRun:
    """x [S, N, 2] per seed; labels[(level, seed)] [N]."""
    member_seed = np.tile(np.arange(len(seeds)), len(levels))
    member_level = np.repeat(np.asarray(levels, dtype=np.float64), len(seeds))
    y = torch.tensor(np.stack([labels[(level, seeds[s])] for level, s in zip(member_level, member_seed)]))
    inputs = torch.tensor(np.asarray(x), dtype=torch.float32)[member_seed]
    members = Members(
        data=np.arange(len(member_seed)), seed=np.asarray(seeds)[member_seed], weights=torch.ones(y.shape)
    )
    trained = train_ensemble(inputs, y, members, layer_dims(hidden_dims), LOSS, training, progress=progress)
    return GridRun(member_level, members.seed, trained)
