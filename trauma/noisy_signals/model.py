"""The Model 2 network: an MLP 20 -> hidden_dims -> 1 with ReLU, a sigmoid output
and binary cross-entropy (`hidden_dims=[]` is logistic regression)."""

from __future__ import annotations

import torch

from ..numerics.losses import WeightedBinaryCrossEntropy, probability
from ..numerics.mlp import MLPStack, outputs
from .dataset import NUM_FEATURES

DEFAULT_HIDDEN_DIMS = (32, 16)
LOSS = WeightedBinaryCrossEntropy()


def layer_dims(hidden_dims) -> list[int]:
    return [NUM_FEATURES, *hidden_dims, 1]


def predict_proba(stack: MLPStack, x: torch.Tensor) -> torch.Tensor:
    """p(y = 1 | x) of every member for its inputs x [M, n, 20]: [M, n]."""
    return probability(outputs(stack, x))
