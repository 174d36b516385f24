"""The Model 3 network: an MLP 15 -> hidden_dims -> 1 with ReLU and a sigmoid
output, trained on the squared error of the sigmoid against the caregiver's
response in [0, 1]."""

from __future__ import annotations

import torch

from ..numerics.losses import WeightedMeanSquaredError, probability
from ..numerics.mlp import MLPStack, evaluate
from .dataset import NUM_FEATURES

DEFAULT_HIDDEN_DIMS = (24, 12)
LOSS = WeightedMeanSquaredError(output="sigmoid")


def layer_dims(hidden_dims) -> list[int]:
    return [NUM_FEATURES, *hidden_dims, 1]


def predict(stack: MLPStack, x: torch.Tensor) -> torch.Tensor:
    """Every member's predicted response for inputs x ([M, n, 15] or [n, 15]): [M, n]."""
    return probability(evaluate(stack, x))
