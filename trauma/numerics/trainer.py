"""Train a grid of networks (members) as one stacked ensemble.

The contract: each member trains exactly as if it were trained alone. Its
initialisation, data order, example weights, training set and learning rate are its
own (`Members`, `learning_rate`); every step computes each member's own minibatch
gradient and applies Adam or SGD to it element by element. Its numbers are bit-for-bit those it gets in
a stack of any size (see `trauma/numerics/mlp.py` for how), so a result does not depend on
which other networks shared the grid. Members that share a seed share their
initial weights and data order, so comparisons across them are paired.

A model supplies the data, the members, the layer sizes and its loss
(`trauma/numerics/losses.py`); `after_epoch(epoch, stack)` is called at initialisation
(epoch 0) and after every epoch, for the model's own diagnostics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch
from tqdm import tqdm

from . import blas
from .mlp import MLPStack, backward, evaluate, forward, init_member, with_ones
from .seeding import rng_for

OPTIMIZERS = ("adam", "sgd")
LR_SCHEDULES = ("constant", "cosine")


@dataclass
class Members:
    """Who the members of a grid are: [M] arrays."""

    data: np.ndarray  # index of the training set (first dimension of x, targets) each member uses
    seed: np.ndarray  # seed of its initial weights and data order
    weights: torch.Tensor  # [M, N] loss weight of every training example

    def __len__(self) -> int:
        return len(self.seed)


@dataclass(frozen=True)
class Training:
    """How a grid trains: the trainer's settings (a config's `training`, from the
    parameters every model shares, `trauma/numerics/params.py`)."""

    epochs: int = 50
    batch_size: int = 32
    optimizer: str = "adam"
    learning_rate: float | np.ndarray = 1e-3  # one for all members, or one per member
    lr_schedule: str = "constant"
    eval_epochs: int = 0  # keep the networks after each of the last this many epochs (0: none)


@dataclass
class Trained:
    initial: MLPStack
    final: MLPStack
    loss: np.ndarray  # [M, epochs] mean minibatch loss of each epoch
    snapshots: dict  # epoch -> MLPStack after that epoch, for the epochs asked for
    initial_loss: np.ndarray  # [M] loss over the whole training set at the start (`training_loss`)

    @cached_property
    def diverged(self) -> np.ndarray:
        """[M] True where training diverged (`DIVERGED_FACTOR`)."""
        finite = torch.stack([torch.isfinite(block).flatten(1).all(1) for block in self.final.layers]).all(0).numpy()
        with np.errstate(invalid="ignore"):
            return ~finite | ~(self.loss[:, -1] <= DIVERGED_FACTOR * self.initial_loss)


# A network diverged when its parameters went non-finite, or when the mean loss of its
# last epoch is not finite or is more than DIVERGED_FACTOR times its loss over its
# training set at the start of training: with Adam, parameters can stay finite while
# the loss explodes. Measured: the book's networks end at 0.34 times their initial loss
# at most (0.93 in the linear variant, whose loss the trauma examples dominate); barely
# trained ones (Model 1, 2 epochs of 300 examples) at up to 1.12 times, so a factor of
# 1 would call training noise divergence. At a learning rate of 10, Model 1's networks
# end at 0.3 to 10^7 times, Model 3's at 2.8 to 5.6, Model 4's phase 2 at 548 and more;
# Model 2's at 1.06 to 1.29 (stuck near chance, not diverged by this rule), at a
# learning rate of 100 at 1.75 to 678. diverged_text says so in words.
DIVERGED_FACTOR = 2.0


def training_loss(stack: MLPStack, x: torch.Tensor, encoded: torch.Tensor, members: Members, loss) -> np.ndarray:
    """[M] each member's weighted mean loss over its whole training set (x [D, N, in],
    `encoded` targets [D, N, ...]), every example once."""
    rows, num_examples = torch.as_tensor(members.data, dtype=torch.long), x.shape[1]
    target, scale = loss.scaled_targets(
        encoded[rows], members.weights, torch.full((num_examples,), float(num_examples))
    )
    return loss.value_and_grad(evaluate(stack, x[rows]), target, scale)[0].numpy()


def epoch_order(num_examples: int, rng: np.random.Generator, extra_visits=()) -> np.ndarray:
    """One epoch's visiting order: every example once plus the examples listed in
    `extra_visits` once more per listing, shuffled."""
    return rng.permutation(np.concatenate([np.arange(num_examples), np.asarray(extra_visits, dtype=np.int64)]))


def learning_rate_at(epoch: int, epochs: int, learning_rate: float, schedule: str) -> float:
    """The learning rate during `epoch` (0-based): constant, or cosine decay from
    `learning_rate` towards 0 over the run."""
    if schedule == "cosine":
        return learning_rate * 0.5 * (1 + math.cos(math.pi * epoch / epochs))
    return learning_rate


class FusedOptimizer:
    """`torch.optim.Adam` or `torch.optim.SGD` with `fused=True` and their default
    settings, on one flat parameter buffer, calling the fused kernel directly: the
    same bits (tested), without the optimiser wrapper's Python work, which costs a
    fifth of a small network's training step."""

    def __init__(self, name: str, flat: torch.Tensor, learning_rate: float):
        if name not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {name!r}")
        self.name, self.flat, self.learning_rate = name, flat, learning_rate
        if name == "adam":
            self.exp_avg, self.exp_avg_sq, self.steps = torch.zeros_like(flat), torch.zeros_like(flat), torch.zeros(())

    def step(self) -> None:
        if self.name == "sgd":
            torch._fused_sgd_(
                [self.flat],
                [self.flat.grad],
                [],
                weight_decay=0.0,
                momentum=0.0,
                lr=self.learning_rate,
                dampening=0.0,
                nesterov=False,
                maximize=False,
                is_first_step=False,
            )
            return
        self.steps.add_(1)
        torch._fused_adam_(
            [self.flat],
            [self.flat.grad],
            [self.exp_avg],
            [self.exp_avg_sq],
            [],
            [self.steps],
            lr=self.learning_rate,
            beta1=0.9,
            beta2=0.999,
            weight_decay=0.0,
            eps=1e-8,
            amsgrad=False,
            maximize=False,
        )


def initial_stack(dims, seeds) -> MLPStack:
    """Every member's initial weights, from its seed's "init" stream."""
    unique = {seed: init_member(dims, rng_for(int(seed), "init")) for seed in dict.fromkeys(np.asarray(seeds).tolist())}
    return MLPStack.from_members(dims, [unique[seed] for seed in np.asarray(seeds).tolist()])


class _Part:
    """The members of a grid that share a learning rate: one stack, one optimiser.
    A part of one member is computed as two copies (see trauma/numerics/mlp.py)."""

    def __init__(
        self, initial: MLPStack, members: np.ndarray, optimizer: str, learning_rate: float, batch_sizes, anchor=None
    ):
        self.members = members if len(members) > 1 else np.repeat(members, 2)
        self.stack = initial.select(self.members)
        # an elastic pull towards anchor weights: gradient += strength * (weights - anchor)
        self.anchor = None if anchor is None else tuple(stack.select(self.members).flat for stack in anchor)
        self.stack.flat.grad = torch.zeros_like(self.stack.flat)
        self.grads = self.stack.views(self.stack.flat.grad)
        self.learning_rate = learning_rate
        self.opt = FusedOptimizer(optimizer, self.stack.flat, learning_rate)
        hidden = initial.dims[1:-1]
        self.buffers = {b: [torch.ones(len(self.members), b, width + 1) for width in hidden] for b in batch_sizes}

    def step(self, loss, x, target, scale) -> torch.Tensor:
        """One minibatch (rows of these members); returns each member's loss."""
        outputs, inputs = forward(self.stack.layers, x, self.buffers[x.shape[1]])
        value, grad_output = loss.value_and_grad(outputs, target, scale)
        backward(self.stack.layers, inputs, grad_output, self.grads)
        if self.anchor is not None:
            anchor, strength = self.anchor
            with torch.no_grad():  # one correctly rounded operation at a time: the same bits anywhere in the buffer
                self.stack.flat.grad.add_((self.stack.flat - anchor).mul_(strength))
        self.opt.step()
        return value


def scattered(pieces, dims, num_members: int) -> MLPStack:
    """Stacks of some members each ([(member indices, stack)]) as one stack in the
    grid's member order."""
    merged = MLPStack(dims, num_members)
    with torch.no_grad():
        for members, stack in pieces:
            for block, source in zip(merged.layers, stack.layers):
                block[members] = source
    return merged


def _merged(parts: list[_Part], dims, num_members: int) -> MLPStack:
    """The parts' stacks as one stack in the grid's member order (the stack itself if
    there is one part without copies)."""
    if len(parts) == 1 and len(parts[0].members) == num_members:
        return parts[0].stack
    return scattered([(part.members, part.stack) for part in parts], dims, num_members)


def joined(grids, num_members: int) -> Trained:
    """Grids trained separately (e.g. one per training-set size: `train_ensemble`
    needs one per call), [(member indices, Trained)], as one grid in member order.
    Members train as if alone, so this changes no number."""
    if len(grids) == 1:
        return grids[0][1]
    first = grids[0][1]
    dims = first.final.dims

    def stack(pick) -> MLPStack:
        return scattered([(members, pick(trained)) for members, trained in grids], dims, num_members)

    loss = np.empty((num_members, first.loss.shape[1]), dtype=first.loss.dtype)
    initial_loss = np.empty(num_members, dtype=first.initial_loss.dtype)
    for members, trained in grids:
        loss[members], initial_loss[members] = trained.loss, trained.initial_loss
    return Trained(
        initial=stack(lambda t: t.initial),
        final=stack(lambda t: t.final),
        loss=loss,
        snapshots={epoch: stack(lambda t, e=epoch: t.snapshots[e]) for epoch in first.snapshots},
        initial_loss=initial_loss,
    )


def train_ensemble(
    x: torch.Tensor,
    targets: torch.Tensor,
    members: Members,
    dims,
    loss,
    training: Training,
    *,
    extra_visits=(),
    after_epoch=None,
    progress: bool = False,
    initial: MLPStack | None = None,
    order_stream: str = "order",
    anchor: tuple[MLPStack, MLPStack] | None = None,
) -> Trained:
    """x: [D, N, features] float32 training inputs of D training sets; targets:
    [D, N, ...] as `loss.encode` takes them; `training`: epochs, minibatch size,
    optimiser and learning rate (one for all members or one per member: members with
    different rates train as separate stacks, step by step side by side). Returns the
    initial and trained stacks, the loss curve and copies of the stack after each of
    the last `training.eval_epochs` epochs.

    By default members start from their seed's initial weights and visit the data in
    the order of their seed's "order" stream. To continue training (a second phase),
    give `initial` (a stack of the members' starting weights) and another
    `order_stream`. `anchor` = (anchor weights, strengths), two stacks like the
    grid's, adds the gradient of sum strength/2 (weights - anchor)^2 to every step
    (elastic weight consolidation); the loss curve reports the data loss alone."""
    blas.check()
    epochs, batch_size, lr_schedule = training.epochs, training.batch_size, training.lr_schedule
    keep_epochs = range(epochs - training.eval_epochs + 1, epochs + 1) if training.eval_epochs else ()
    num_members, num_examples = len(members), x.shape[1]
    rates = np.broadcast_to(np.asarray(training.learning_rate, dtype=np.float64), (num_members,))
    data_index = torch.as_tensor(members.data, dtype=torch.long)
    x_ones = with_ones(x)
    encoded = loss.encode(targets)
    if initial is None:
        initial = initial_stack(dims, members.seed)
    elif initial.members != num_members or initial.dims != list(dims):
        raise ValueError(f"initial stack must hold {num_members} members of sizes {list(dims)}")
    initial_loss = training_loss(initial, x, encoded, members, loss)  # before training: its buffers are not yet taken
    length = num_examples + len(extra_visits)
    starts = range(0, length, batch_size)
    sizes = torch.tensor([min(batch_size, length - start) for start in starts], dtype=torch.float32)
    batch_sizes = sizes.repeat_interleave(sizes.long())  # [L]: the size of the minibatch each position falls in
    parts = [
        _Part(
            initial, np.flatnonzero(rates == rate), training.optimizer, rate, {int(b) for b in sizes.tolist()}, anchor
        )
        for rate in dict.fromkeys(rates.tolist())
    ]
    if after_epoch is not None:
        after_epoch(0, _merged(parts, dims, num_members))

    seeds = list(dict.fromkeys(np.asarray(members.seed).tolist()))
    order_rngs = {seed: rng_for(int(seed), order_stream) for seed in seeds}
    seed_row = torch.as_tensor([seeds.index(s) for s in np.asarray(members.seed).tolist()])
    losses = [torch.zeros(len(part.members), epochs, len(starts)) for part in parts]  # per part: [m, epochs, steps]
    snapshots = {}
    for epoch in tqdm(range(epochs), desc="epochs", disable=not progress, leave=False):
        orders = torch.as_tensor(np.stack([epoch_order(num_examples, order_rngs[s], extra_visits) for s in seeds]))
        epoch_data = []  # per part: its members' inputs, targets and scales in this epoch's order
        for part in parts:
            part.opt.learning_rate = learning_rate_at(epoch, epochs, part.learning_rate, lr_schedule)
            order = orders[seed_row[part.members]]  # [m, L]
            rows = data_index[part.members][:, None]
            target, scale = loss.scaled_targets(
                encoded[rows, order], members.weights[part.members].gather(1, order), batch_sizes
            )
            epoch_data.append((x_ones[rows, order], target, scale))
        for step, start in enumerate(starts):
            batch = slice(start, start + batch_size)
            for part, part_losses, (x_epoch, target, scale) in zip(parts, losses, epoch_data):
                part_losses[:, epoch, step] = part.step(loss, x_epoch[:, batch], target[:, batch], scale[:, batch])
        if epoch + 1 in keep_epochs or after_epoch is not None:
            stack = _merged(parts, dims, num_members)
            if epoch + 1 in keep_epochs:
                snapshots[epoch + 1] = stack.clone()
            if after_epoch is not None:
                after_epoch(epoch + 1, stack)
    final = _merged(parts, dims, num_members).clone()
    mean_loss = np.empty((num_members, epochs), dtype=np.float32)
    for part, part_losses in zip(parts, losses):
        mean_loss[part.members] = part_losses.mean(-1).numpy()
    return Trained(initial=initial, final=final, loss=mean_loss, snapshots=snapshots, initial_loss=initial_loss)
