"""The Model 4 network: an MLP 30 -> 50 -> 25 -> 10 with ReLU and a linear output,
trained on the mean squared error against a response prototype; its output is read
as the nearest prototype (danger, safe or neutral). Also the diagonal Fisher
information that elastic weight consolidation weighs the phase-1 weights with."""

from __future__ import annotations

import numpy as np
import torch

from ..numerics.losses import WeightedMeanSquaredError
from ..numerics.mlp import MLPStack, at_least_two, backward, evaluate, forward, squared_gradient_means, with_ones
from .dataset import NUM_FEATURES, NUM_OUTPUTS, prototype_matrix

DEFAULT_HIDDEN_DIMS = (50, 25)
LOSS = WeightedMeanSquaredError(output="linear")


def layer_dims(hidden_dims) -> list[int]:
    return [NUM_FEATURES, *hidden_dims, NUM_OUTPUTS]


def read(outputs: torch.Tensor) -> np.ndarray:
    """The nearest prototype (Euclidean, in the network's float32) of every output
    [..., 10]: an index into RESPONSES."""
    prototypes = torch.as_tensor(prototype_matrix(), dtype=torch.float32)
    return torch.stack([((outputs - prototype) ** 2).sum(-1) for prototype in prototypes], dim=-1).argmin(-1).numpy()


def readings(stack: MLPStack, x: torch.Tensor) -> np.ndarray:
    """Every member's reading (index of danger / safe / neutral) of inputs x ([M, n, 30] or [n, 30]): [M, n]."""
    return read(evaluate(stack, x))


def fisher_diagonal(stack: MLPStack, x: torch.Tensor, targets: torch.Tensor) -> MLPStack:
    """The empirical Fisher information's diagonal of every member at its weights:
    the mean over its examples (x [M, n, 30], targets [M, n, 10]) of each
    parameter's squared gradient of the example's squared error."""
    computed, x, targets = at_least_two(stack, x, targets)
    with torch.no_grad():
        outputs, inputs = forward(computed.layers, with_ones(x))
        per_example = 2 * (outputs - targets) / outputs.shape[-1]  # d/d output of mean_k (y_k - t_k)^2
        deltas = backward(computed.layers, inputs, per_example, [torch.empty_like(block) for block in computed.layers])
        fisher = squared_gradient_means(computed, inputs, deltas)
    return fisher if stack.members > 1 else fisher.select([0])
