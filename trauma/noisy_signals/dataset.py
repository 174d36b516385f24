"""Synthetic data for Model 2 (Noisy Signals): inputs, the clean rule, the context,
and the noisy training labels of every noise level.

Inputs x live in R^20, x ~ N(0, I). The clean label is 1 if x0 + ... + x4 > 0 or
x10 > 1, else 0. The *context* is x5 > 0 and x7 < 0 (a quarter of all inputs); only
there are training labels noisy:
- `flip` (the specification): each in-context training label is flipped with
  probability p. Above p = 0.5 this inverts the rule, a learnable signal, not noise.
- `randomise`: each in-context training label is replaced, with probability q, by a
  fair coin; q = 1 is pure noise, never an inversion.

Common random numbers: every in-context example of a seed has one uniform u_i and
one coin c_i, the same at every noise level. Its label is noisy at level p exactly
when u_i < p, so the examples noisy at p = 0.05 are noisy at 0.30 too (nested), and
comparisons across levels are paired by seed: same inputs, same draws.

Evaluation sets are shared by all seeds (drawn once from the "shared" stream), so
that the networks of different seeds are compared at the same inputs: a test set
from the input distribution and a probe set drawn inside the context. Their labels
are clean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..numerics.seeding import rng_for

NUM_FEATURES = 20
NOISE_MODELS = ("flip", "randomise")
TEST_SIZE = 2000
CONTEXT_PROBE_SIZE = 2000


def clean_labels(x: np.ndarray) -> np.ndarray:
    """The noise-free rule: 1 if x0 + ... + x4 > 0 or x10 > 1, else 0."""
    return ((x[:, :5].sum(1) > 0) | (x[:, 10] > 1)).astype(np.int64)


def in_context(x: np.ndarray) -> np.ndarray:
    """The context: x5 > 0 and x7 < 0."""
    return (x[:, 5] > 0) & (x[:, 7] < 0)


def noisy_labels(
    clean: np.ndarray, context: np.ndarray, u: np.ndarray, coin: np.ndarray, level: float, model: str
) -> np.ndarray:
    """Training labels at one noise level: in context, where u < level, the label is
    flipped (`flip`) or replaced by the coin (`randomise`)."""
    if model not in NOISE_MODELS:
        raise ValueError(f"noise model must be one of {NOISE_MODELS}, got {model!r}")
    noisy = context & (u < level)
    labels = clean.copy()
    labels[noisy] = 1 - clean[noisy] if model == "flip" else coin[noisy]
    return labels


@dataclass
class TrainingSet:
    x: np.ndarray  # [N, 20]
    clean: np.ndarray  # [N] noise-free labels
    context: np.ndarray  # [N] inside the context
    u: np.ndarray  # [N] the uniform that decides whether an in-context label is noisy
    coin: np.ndarray  # [N] the fair coin `randomise` uses

    def labels(self, level: float, model: str) -> np.ndarray:
        return noisy_labels(self.clean, self.context, self.u, self.coin, level, model)


def make_training_set(seed: int, size: int = 10_000) -> TrainingSet:
    rng = rng_for(seed, "train_data")
    x = rng.standard_normal((size, NUM_FEATURES))
    return TrainingSet(
        x=x, clean=clean_labels(x), context=in_context(x), u=rng.random(size), coin=rng.integers(0, 2, size)
    )


@dataclass
class EvaluationSet:
    x: np.ndarray  # [n, 20]
    labels: np.ndarray  # [n] clean
    context: np.ndarray  # [n]


def _context_inputs(rng: np.random.Generator, n: int) -> np.ndarray:
    """n inputs drawn from N(0, I) conditioned on the context (x5 > 0, x7 < 0)."""
    x = rng.standard_normal((n, NUM_FEATURES))
    x[:, 5] = np.abs(x[:, 5])
    x[:, 7] = -np.abs(x[:, 7])
    return x


def evaluation_sets() -> dict[str, EvaluationSet]:
    """The shared test set and in-context probe set (the same for every seed)."""
    rng = rng_for(0, "shared")
    test = rng.standard_normal((TEST_SIZE, NUM_FEATURES))
    probe = _context_inputs(rng, CONTEXT_PROBE_SIZE)
    return {
        name: EvaluationSet(x, clean_labels(x), in_context(x)) for name, x in (("test", test), ("context_probe", probe))
    }
