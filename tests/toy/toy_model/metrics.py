"""Accuracy on the clean rule."""

import numpy as np


def accuracy(p: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """[M] share of inputs on the right side of 0.5, p [M, n]."""
    return ((p > 0.5) == labels.astype(bool)).mean(-1)
