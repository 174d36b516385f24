"""Train Model 4's networks with the shared trainer (`trauma/numerics/trainer.py`):

1. phase 1 ("trauma"): one network per seed, all seeds as one ensemble;
2. phase 2 ("therapy"): every strategy x seed starts from its seed's phase-1
   network (so strategies are paired by seed) and trains on the therapy set, with
   its own learning rate, replay share and elastic-weight-consolidation strength.
   Members with the same training-set size (the same replay share) train as one
   stack, with per-member learning rates; the stacks are joined (`joined`);
3. joint training, the reference: one network per seed from scratch on the phase-1
   and therapy sets together, for the phase-1 epochs.

A strategy is (learning rate, replay share, EWC strength); EWC adds
strength / 2 * sum_i F_i (w_i - w1_i)^2 to the loss, with F the diagonal Fisher
information of the seed's phase-1 network on its phase-1 training set and w1 its
weights. As for every model, a member's result does not depend on the rest of the
grid.

After the phase-2 epochs of `curve_epochs` (0, 1, 2, 3, 5, then every fifth and the
last) the grid records each member's danger and neutral recall on the phase-1 test
set and its therapy success (the share of therapy test inputs read as safe).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch

from ..numerics.mlp import MLPStack
from ..numerics.trainer import Members, Trained, Training, joined, train_ensemble
from .dataset import RESPONSES, Labelled, therapy_with_replay
from .metrics import recall
from .model import LOSS, fisher_diagonal, layer_dims, readings

SAFE, DANGER, NEUTRAL = (RESPONSES.index(r) for r in ("safe", "danger", "neutral"))


@dataclass(frozen=True)
class Strategy:
    learning_rate: float
    replay: float = 0.0
    ewc: float = 0.0


@dataclass
class SeedData:
    phase1: Labelled
    phase1_test: Labelled
    therapy: Labelled
    therapy_test: Labelled
    replay_order: np.ndarray


@dataclass
class PhaseTwo:
    strategies: list  # [M] Strategy of each member
    seeds: np.ndarray  # [M]
    trained: Trained
    epochs: list  # the epochs of the curves (0: the phase-1 network)
    danger_recall: np.ndarray  # [M, len(epochs)] on the phase-1 test set, after those epochs
    neutral_recall: np.ndarray  # [M, len(epochs)]
    therapy_success: np.ndarray  # [M, len(epochs)]


@dataclass
class GridRun:
    """The trained networks of a sweep: phase 1 (one per seed), phase 2 (every
    strategy x seed) and joint training (one per seed; None if not trained)."""

    phase1: MLPStack
    phase2: PhaseTwo
    joint: MLPStack | None


def curve_epochs(epochs: int) -> list[int]:
    return sorted({0, 1, 2, 3, 5, *range(5, epochs + 1, 5), epochs} & set(range(epochs + 1)))


def _tensor(arrays) -> torch.Tensor:
    return torch.tensor(np.stack(arrays), dtype=torch.float32)


def train_phase1(data: list[SeedData], seeds, hidden_dims, training: Training) -> Trained:
    members = Members(
        data=np.arange(len(seeds)), seed=np.asarray(seeds), weights=torch.ones(len(seeds), len(data[0].phase1.x))
    )
    return train_ensemble(
        _tensor([d.phase1.x for d in data]),
        _tensor([d.phase1.targets for d in data]),
        members,
        layer_dims(hidden_dims),
        LOSS,
        training,
    )


def train_joint(data: list[SeedData], seeds, hidden_dims, training: Training) -> Trained:
    """From scratch on the phase-1 and therapy training sets together."""
    x = _tensor([np.concatenate([d.phase1.x, d.therapy.x]) for d in data])
    targets = _tensor([np.concatenate([d.phase1.targets, d.therapy.targets]) for d in data])
    members = Members(data=np.arange(len(seeds)), seed=np.asarray(seeds), weights=torch.ones(x.shape[:2]))
    return train_ensemble(x, targets, members, layer_dims(hidden_dims), LOSS, training)


def train_phase2(
    data: list[SeedData], seeds, phase1: MLPStack, strategies: list[Strategy], training: Training
) -> PhaseTwo:
    """Every strategy x seed (strategy-major) from its seed's phase-1 network; each
    member at its strategy's learning rate (not `training`'s)."""
    seeds = list(seeds)
    member_seed = np.tile(np.arange(len(seeds)), len(strategies))  # index into seeds
    member_strategy = [s for s in strategies for _ in seeds]
    needs_fisher = any(s.ewc > 0 for s in strategies)
    fisher = (
        fisher_diagonal(phase1, _tensor([d.phase1.x for d in data]), _tensor([d.phase1.targets for d in data]))
        if needs_fisher
        else None
    )
    x1_test = _tensor([d.phase1_test.x for d in data])
    therapy_test = _tensor([d.therapy_test.x for d in data])
    response1 = np.stack([d.phase1_test.response for d in data])
    num_members = len(member_seed)
    recorded = curve_epochs(training.epochs)
    danger, neutral, success = (np.zeros((num_members, len(recorded))) for _ in range(3))

    grids = []
    for replay in dict.fromkeys(s.replay for s in strategies):
        members = np.flatnonzero([s.replay == replay for s in member_strategy])
        sets = [
            therapy_with_replay(data[i].therapy, data[i].phase1, data[i].replay_order, replay)
            for i in member_seed[members]
        ]
        start = phase1.select(member_seed[members])
        anchor = None
        if needs_fisher:
            strength = fisher.select(member_seed[members])  # strength x Fisher, every member its own strength
            ewc = torch.tensor([member_strategy[m].ewc for m in members], dtype=torch.float32)
            strength.flat.mul_(ewc[_member_of_element(strength)])
            anchor = (start.clone(), strength)

        def record(epoch, stack, members=members):
            if epoch not in recorded:
                return
            rows, column = member_seed[members], recorded.index(epoch)
            read1 = readings(stack, x1_test[rows])
            danger[members, column] = recall(read1, response1[rows], DANGER)
            neutral[members, column] = recall(read1, response1[rows], NEUTRAL)
            success[members, column] = (readings(stack, therapy_test[rows]) == SAFE).mean(1)

        rates = np.array([member_strategy[m].learning_rate for m in members])
        trained = train_ensemble(
            _tensor([s.x for s in sets]),
            _tensor([s.targets for s in sets]),
            Members(
                data=np.arange(len(members)),
                seed=np.asarray(seeds)[member_seed[members]],
                weights=torch.ones(len(members), len(sets[0].x)),
            ),
            phase1.dims,
            LOSS,
            dataclasses.replace(training, learning_rate=rates),
            after_epoch=record,
            initial=start,
            order_stream="therapy_order",
            anchor=anchor,
        )
        grids.append((members, trained))
    return PhaseTwo(
        member_strategy, np.asarray(seeds)[member_seed], joined(grids, num_members), recorded, danger, neutral, success
    )


def _member_of_element(stack: MLPStack) -> torch.Tensor:
    """For every element of a stack's flat buffer, the member it belongs to (padding: 0)."""
    owner = torch.zeros(stack.numel, dtype=torch.long)
    for block in stack.views(owner):
        block.copy_(torch.arange(stack.members)[:, None, None].expand_as(block))
    return owner
