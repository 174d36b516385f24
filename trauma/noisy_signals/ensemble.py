"""Train a whole grid of Model 2 networks (every noise level x every seed) as one
stacked ensemble with the shared trainer (`trauma/numerics/trainer.py`).

Members are ordered level-major: member m has noise level levels[m // S] and seed
seeds[m % S]. Members of one seed share training inputs, the noise draws (common
random numbers, see `dataset.py`), initial weights and data order; they differ only
in how many in-context labels are noisy, so comparisons across levels are paired.
As for every model, a member's result does not depend on the rest of the grid.

Besides the trained networks the grid keeps the networks after each of the last
`eval_epochs` epochs (the reported metrics average over them) and, after every
epoch, how the network treats its noisy training labels: the share of them it
predicts as labelled (memorised) and the share of the correct in-context labels it
predicts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..numerics.trainer import Members, Trained, Training, train_ensemble
from .dataset import TrainingSet
from .model import LOSS, layer_dims, predict_proba


@dataclass
class GridRun:
    levels: np.ndarray  # [M] noise level of each member
    seeds: np.ndarray  # [M] seed of each member
    trained: Trained
    memorised: np.ndarray  # [M, epochs + 1] share of wrong training labels (in context) the network predicts
    clean_fit: np.ndarray  # [M, epochs + 1] share of correct in-context training labels it predicts

    @property
    def diverged(self) -> np.ndarray:
        return self.trained.diverged


def train_grid(
    training_sets: list[TrainingSet],
    seeds,
    levels,
    noise_model: str,
    hidden_dims,
    training: Training,
    progress: bool = False,
) -> GridRun:
    num_seeds = len(training_sets)
    member_seed = np.tile(np.arange(num_seeds), len(levels))  # level-major
    member_level = np.repeat(np.asarray(levels, dtype=np.float64), num_seeds)
    labels = np.stack([training_sets[s].labels(level, noise_model) for level, s in zip(member_level, member_seed)])
    x = torch.tensor(np.stack([t.x for t in training_sets]), dtype=torch.float32)[member_seed]
    members = Members(
        data=np.arange(len(member_seed)), seed=np.asarray(seeds)[member_seed], weights=torch.ones(labels.shape)
    )

    # The in-context training examples of each member, padded to the longest seed.
    context = [np.flatnonzero(training_sets[s].context) for s in member_seed]
    width = max(len(c) for c in context)
    index = torch.tensor(np.stack([np.pad(c, (0, width - len(c))) for c in context]))
    valid = torch.tensor(np.stack([np.arange(width) < len(c) for c in context]))
    rows = torch.arange(len(member_seed))[:, None]
    x_context = x[rows, index]
    label = torch.tensor(labels)[rows, index]
    wrong = valid & (label != torch.tensor(np.stack([training_sets[s].clean for s in member_seed]))[rows, index])
    right = valid & ~wrong
    memorised, clean_fit = [], []

    def after_epoch(epoch, stack):
        agrees = (predict_proba(stack, x_context) > 0.5).long() == label
        memorised.append(((agrees & wrong).sum(1) / wrong.sum(1)).numpy())  # NaN where no label is wrong
        clean_fit.append(((agrees & right).sum(1) / right.sum(1)).numpy())

    trained = train_ensemble(
        x,
        torch.tensor(labels),
        members,
        layer_dims(hidden_dims),
        LOSS,
        training,
        after_epoch=after_epoch,
        progress=progress,
    )
    return GridRun(
        levels=member_level,
        seeds=members.seed,
        trained=trained,
        memorised=np.stack(memorised, axis=1),
        clean_fit=np.stack(clean_fit, axis=1),
    )
