"""x in R^2 ~ N(0, I); the label is 1 if x0 > 0; a share of the training labels is
replaced by a fair coin (the coins come from a stream of the toy's own)."""

import numpy as np

from trauma.numerics.seeding import register_streams, rng_for

register_streams({"toy_coins": 50})
NUM_FEATURES = 2
TEST_SIZE = 500


def make_set(seed: int, size: int, stream: str = "train_data"):
    x = rng_for(seed, stream).standard_normal((size, NUM_FEATURES))
    return x, (x[:, 0] > 0).astype(np.int64)


def noisy_labels(seed: int, labels: np.ndarray, level: float) -> np.ndarray:
    rng = rng_for(seed, "toy_coins")
    replaced, coins = rng.random(len(labels)) < level, rng.integers(0, 2, len(labels))
    return np.where(replaced, coins, labels)
