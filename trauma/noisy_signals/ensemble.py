"""Train a whole grid of Model 2 networks (every noise level x every seed) as one
stacked ensemble with the shared trainer (`trauma/numerics/trainer.py`).

Members are ordered level-major: member m has noise level levels[m // S] and seed
seeds[m % S]. Members of one seed share training inputs, the noise draws (common
random numbers, see `dataset.py`), initial weights and data order; they differ only
in how many in-context labels are noisy, so comparisons across levels are paired.
As for every model, a member's result does not depend on the rest of the grid.

Besides the trained networks the grid keeps the networks after each of the last
`eval_epochs` epochs (the reported metrics average over them) and, after every
epoch, how the network treats its noisy training labels: the share of the wrong ones
it predicts as labelled, the share of fresh in-context inputs (the probe set) it gives
the flipped label (the generalisation baseline memorisation is measured against, see
`metrics.py`), and the share of the correct in-context labels it predicts. At the
`recorded_epochs` it keeps every member's predictions on the probe set, so that the
spread across seeds can be shown against the training length without training
networks of other lengths.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..numerics.losses import probability
from ..numerics.mlp import evaluate
from ..numerics.trainer import Members, Trained, Training, train_ensemble
from .dataset import TrainingSet, evaluation_sets
from .model import LOSS, layer_dims, predict_proba

LENGTHS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)  # training lengths (epochs) the spread is recorded at


def recorded_epochs(epochs: int) -> list[int]:
    """The epochs after which the probe predictions are kept: LENGTHS up to `epochs`, and `epochs`."""
    return sorted({e for e in LENGTHS if e <= epochs} | {epochs})


@dataclass
class GridRun:
    levels: np.ndarray  # [M] noise level of each member
    seeds: np.ndarray  # [M] seed of each member
    trained: Trained
    wrong_agreement: np.ndarray  # [M, epochs + 1] share of wrong training labels (in context) the network predicts
    fresh_flipped: np.ndarray  # [M, epochs + 1] share of fresh in-context inputs it gives the flipped label
    clean_fit: np.ndarray  # [M, epochs + 1] share of correct in-context training labels it predicts
    probe: np.ndarray  # [M, len(epochs), n] p(y = 1 | x) on the in-context probe set after each recorded epoch
    epochs: list  # the recorded epochs (`recorded_epochs`)

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
    probe = evaluation_sets()["context_probe"]
    probe_x, probe_flipped = torch.tensor(probe.x, dtype=torch.float32), torch.tensor(1 - probe.labels)
    recorded = recorded_epochs(training.epochs)
    wrong_agreement, fresh_flipped, clean_fit, kept = [], [], [], []

    def after_epoch(epoch, stack):
        agrees = (predict_proba(stack, x_context) > 0.5).long() == label
        wrong_agreement.append(((agrees & wrong).sum(1) / wrong.sum(1)).numpy())  # NaN where no label is wrong
        clean_fit.append(((agrees & right).sum(1) / right.sum(1)).numpy())
        p = probability(evaluate(stack, probe_x)).double()  # [M, n], as the sweep evaluates its snapshots
        fresh_flipped.append(((p > 0.5).long() == probe_flipped).double().mean(1).numpy())
        if epoch in recorded:
            kept.append(p.numpy())

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
        wrong_agreement=np.stack(wrong_agreement, axis=1),
        fresh_flipped=np.stack(fresh_flipped, axis=1),
        clean_fit=np.stack(clean_fit, axis=1),
        probe=np.stack(kept, axis=1),
        epochs=recorded,
    )
