"""The Model 1 network and its loss: an MLP 10 -> hidden_dims -> 3 with ReLU
(`hidden_dims=[]` is the linear model), weighted cross-entropy, trauma examples
weighted by the penalty. (The seed document's API is in `seed_api.py`.)"""

from __future__ import annotations

import torch

from ..numerics.losses import WeightedCrossEntropy
from ..numerics.mlp import MLPStack, outputs
from .dataset import NUM_FEATURES

DEFAULT_HIDDEN_DIMS = (64, 32, 16)
NUM_CLASSES = 3
LOSS = WeightedCrossEntropy(NUM_CLASSES)


def layer_dims(hidden_dims) -> list[int]:
    return [NUM_FEATURES, *hidden_dims, NUM_CLASSES]


def example_weights(penalty_mask: torch.Tensor, penalties: torch.Tensor) -> torch.Tensor:
    """Loss weight of every training example for every member: the member's penalty
    for trauma examples (mask 1), 1 otherwise. penalty_mask [..., N], penalties
    [M] -> [M, N]."""
    return torch.where(penalty_mask.bool(), penalties[:, None].float(), torch.ones(()))


def predict(stack: MLPStack, x: torch.Tensor) -> torch.Tensor:
    """Predicted class of every member for its inputs x [M, n, 10]: [M, n]."""
    return outputs(stack, x).argmax(dim=-1)
