"""Model 4 metrics, all bounded or on a scale with a meaning.

Per network, on the seed's phase-1 test set and therapy test set:
- phase-1 accuracy: the share of phase-1 test inputs whose output reads (nearest
  prototype) as the response phase 1 taught;
- retention = phase-1 accuracy after therapy / before (the headline, in [0, 1] unless
  therapy improves phase 1);
- therapy success: the share of therapy test inputs read as safe;
- forgetting on the MSE scale, relative to knowing nothing about phase 1:
  (MSE_after - MSE_before) / (MSE_baseline - MSE_before), where the baseline
  predicts the mean phase-1 training target everywhere. 0: nothing lost; 1: as bad
  as knowing nothing; above 1: worse than that; undefined (NaN) for a phase-1 network
  no better than the baseline. Never a ratio of a near-zero error;
- weight change per layer: ||W_after - W_before|| / ||W_before|| (Frobenius, bias
  row included), as in Model 1.
"""

from __future__ import annotations

import numpy as np
import torch

from ..numerics.mlp import MLPStack


def accuracy(readings: np.ndarray, responses: np.ndarray) -> np.ndarray:
    """[M, n] readings against [M, n] responses -> [M]."""
    return (readings == responses).mean(-1)


def mse(outputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """[M, n, 10] against [M, n, 10] -> [M]: mean over examples and outputs."""
    return ((outputs - targets) ** 2).mean((-2, -1))


def forgetting(mse_after, mse_before, mse_baseline):
    """0 = nothing lost, 1 = as bad as predicting the mean phase-1 target; NaN where the
    phase-1 network was no better than that baseline (nothing to forget)."""
    room = np.asarray(mse_baseline, dtype=float) - mse_before
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(room > 0, (np.asarray(mse_after) - mse_before) / room, np.nan)


def baseline_mse(train_targets: np.ndarray, test_targets: np.ndarray) -> np.ndarray:
    """The MSE of predicting the mean training target on the test set: [S, n, 10] -> [S]."""
    return mse(np.broadcast_to(train_targets.mean(-2, keepdims=True), test_targets.shape), test_targets)


def weight_change(after: MLPStack, before: MLPStack) -> np.ndarray:
    """[M, layers]: ||after - before|| / ||before|| per member and layer."""
    return (
        torch.stack(
            [(a - b).flatten(1).norm(dim=1) / b.flatten(1).norm(dim=1) for a, b in zip(after.layers, before.layers)],
            dim=1,
        )
        .double()
        .numpy()
    )
