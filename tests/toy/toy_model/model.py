"""The toy network: an MLP 2 -> hidden_dims -> 1, binary cross-entropy."""

from trauma.numerics.losses import WeightedBinaryCrossEntropy

from .dataset import NUM_FEATURES

LOSS = WeightedBinaryCrossEntropy()


def layer_dims(hidden_dims) -> list[int]:
    return [NUM_FEATURES, *hidden_dims, 1]
