"""Model 4 metrics, each with what a trivial network scores on it.

Per network, on the seed's phase-1 test set (about 81 % "neutral": the share of
N(0, I) inputs with x0 + ... + x4 <= 2) and therapy test set:
- danger recall and neutral recall: the share of phase-1 test inputs of each class
  read (nearest prototype) as the response phase 1 taught. A network answering
  "neutral" everywhere scores 0 and 1;
- balanced accuracy: their mean (a constant "neutral" or "danger": 0.5; a
  constant "safe", which is neither: 0). Plain accuracy is kept
  in the tables, but a constant "neutral" scores about 0.81 on it, so it cannot tell
  whether the danger rule was kept;
- retention, the headline: (balanced accuracy after therapy - 0.5) / (before - 0.5),
  the share of the phase-1 network's above-chance skill that therapy leaves. 1:
  all kept; 0: no better than a constant answer (a network that forgot the danger
  rule and answers "neutral"); undefined (NaN) for a phase-1 network no better than
  chance. Forgetting = 1 - retention;
- therapy success: the share of therapy test inputs read as safe (every therapy
  situation's target is safe, so this is its recall); therapy danger: the share
  still read as danger;
- the squared-error excess (`mse_excess`, in the tables only):
  (MSE after - MSE before) / (MSE of the mean phase-1 target - MSE before), a
  distance in output space (the safe prototype is far from both others), not lost
  knowledge: it exceeds 1 for networks that keep most of the rule;
- weight change per layer: ||W_after - W_before|| / ||W_before|| (Frobenius, bias
  row included), as in Model 1.
"""

from __future__ import annotations

import numpy as np
import torch

from ..numerics.mlp import MLPStack

CHANCE = 0.5  # the balanced accuracy of a constant phase-1 answer, or of guessing between the two


def accuracy(readings: np.ndarray, responses: np.ndarray) -> np.ndarray:
    """[M, n] readings against [M, n] responses -> [M]."""
    return (readings == responses).mean(-1)


def recall(readings: np.ndarray, responses: np.ndarray, response: int) -> np.ndarray:
    """[M]: the share of the inputs whose response is `response` read as it (NaN if none)."""
    of_class = responses == response
    with np.errstate(divide="ignore", invalid="ignore"):
        return ((readings == response) & of_class).sum(-1) / of_class.sum(-1)


def retention(balanced_after, balanced_before):
    """(after - 0.5) / (before - 0.5): 1 all kept, 0 a constant answer; NaN where
    the phase-1 network was no better than chance (nothing to keep)."""
    room = np.asarray(balanced_before, dtype=float) - CHANCE
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(room > 0, (np.asarray(balanced_after, dtype=float) - CHANCE) / room, np.nan)


def mse(outputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """[M, n, 10] against [M, n, 10] -> [M]: mean over examples and outputs."""
    return ((outputs - targets) ** 2).mean((-2, -1))


def mse_excess(mse_after, mse_before, mse_baseline):
    """0 = the phase-1 outputs, 1 = as far as predicting the mean phase-1 target; NaN
    where the phase-1 network was no better than that baseline."""
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
