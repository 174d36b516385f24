"""Train a whole grid of Model 1 networks (every penalty x every seed) in one batched pass.

The M = len(penalties) * len(seeds) members are stored as stacked weights
([M, out, in]) and trained together with batched matmuls. The loss is the sum of
the members' own batch losses, so each member's gradient is exactly its own, and
Adam/SGD act element by element, so each member follows the same trajectory as if
it were trained alone with `ExtremePenaltyModel.train_model` (tests check this).

Members are ordered penalty-major: member m has penalty penalties[m // S] and seed
seeds[m % S]. Members of one seed share training data, initial weights and data
order; they differ only in the penalty, so comparisons across penalties are paired.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

from .dataset import SeedData, rng_for
from .metrics import gradient_ratio
from .model import compute_loss, epoch_order, init_params, make_optimizer, mlp_apply

GRADIENT_REFERENCE_EXAMPLES = 256  # normal training examples the gradient ratio compares against


@dataclass
class EnsembleRun:
    penalties: np.ndarray  # [M] penalty of each member
    seeds: np.ndarray  # [M] seed of each member
    initial: list[torch.Tensor]  # stacked initial parameters, [M, ...] each
    final: list[torch.Tensor]  # stacked trained parameters
    loss: np.ndarray  # [M, epochs] mean training loss per epoch
    gradient_ratio: np.ndarray  # [M, epochs + 1] at initialisation, then after each epoch
    finite: np.ndarray  # [M] False where training diverged (non-finite weights)

    def member(self, m: int) -> list[torch.Tensor]:
        return [p[m] for p in self.final]


def train_ensemble(
    seed_data: list[SeedData],
    penalties,
    hidden_dims,
    epochs: int = 50,
    learning_rate: float = 1e-3,
    batch_size: int = 32,
    optimizer: str = "adam",
    oversample: int = 1,
    progress: bool = False,
) -> EnsembleRun:
    num_seeds = len(seed_data)
    member_seed = torch.arange(len(penalties) * num_seeds) % num_seeds  # index into seed_data
    penalty_of_member = np.repeat(np.asarray(penalties, dtype=np.float64), num_seeds)
    member_penalty = torch.tensor(penalty_of_member, dtype=torch.float32)

    # Per-seed training tensors, [S, N, ...].
    x = torch.tensor(np.stack([d.train.x for d in seed_data]), dtype=torch.float32)
    y = torch.tensor(np.stack([d.train.labels for d in seed_data]))
    mask = torch.tensor(np.stack([d.train.penalty_mask for d in seed_data]), dtype=torch.float32)
    trauma_index = seed_data[0].train.trauma_index  # the same positions for every seed

    initial = [torch.stack(p) for p in zip(*(init_params(hidden_dims, rng_for(d.seed, "init")) for d in seed_data))]
    initial = [p[member_seed] for p in initial]
    params = [p.clone().requires_grad_(True) for p in initial]
    opt = make_optimizer(optimizer, params, learning_rate)

    # Examples the gradient ratio is measured on, per member.
    n_ref = min(GRADIENT_REFERENCE_EXAMPLES, int(trauma_index[0]))
    ratio_inputs = (
        x[member_seed[:, None], torch.as_tensor(trauma_index)],
        y[member_seed[:, None], torch.as_tensor(trauma_index)],
        member_penalty,
        x[member_seed, :n_ref],
        y[member_seed, :n_ref],
    )
    ratios = [gradient_ratio(params, *ratio_inputs)]

    order_rngs = [rng_for(d.seed, "order") for d in seed_data]
    losses = []
    for _ in tqdm(range(epochs), desc="epochs", disable=not progress, leave=False):
        order = torch.tensor(np.stack([epoch_order(x.shape[1], trauma_index, oversample, r) for r in order_rngs]))
        order = order[member_seed]  # [M, L]
        seed_rows = member_seed[:, None]
        x_epoch, y_epoch, mask_epoch = x[seed_rows, order], y[seed_rows, order], mask[seed_rows, order]
        total = torch.zeros(len(member_seed))
        num_batches = 0
        for start in range(0, order.shape[1], batch_size):
            batch = slice(start, start + batch_size)
            loss = compute_loss(mlp_apply(params, x_epoch[:, batch]), y_epoch[:, batch], mask_epoch[:, batch], member_penalty[:, None])
            opt.zero_grad()
            loss.sum().backward()
            opt.step()
            total += loss.detach()
            num_batches += 1
        losses.append(total / num_batches)
        ratios.append(gradient_ratio(params, *ratio_inputs))

    final = [p.detach() for p in params]
    return EnsembleRun(
        penalties=penalty_of_member,
        seeds=np.array([seed_data[s].seed for s in member_seed.tolist()]),
        initial=initial,
        final=final,
        loss=torch.stack(losses, dim=1).numpy(),
        gradient_ratio=torch.stack(ratios, dim=1).numpy(),
        finite=torch.stack([torch.isfinite(p).flatten(1).all(1) for p in final]).all(0).numpy(),
    )
