"""Synthetic data for Model 3 (Limited Dataset): caregivers, their interactions with
the child, and the best prediction any network could make for a caregiver it has
never met.

A caregiver has a personality theta = (warmth w, consistency c, strictness s, mood
m). An interaction is x in R^15, x ~ N(0, I), with features
    pos = (x0 + ... + x6) / sqrt(7),  stability = exp(-std(x)),  neg = (x7 + ... + x14) / sqrt(8)
(std over the 15 entries, ddof 0), and the caregiver's response is
    y = sigmoid(2 w pos + 1.5 c stability - 2 s neg + m z),  z ~ N(0, 1).
The network sees x only, never who the caregiver is.

Personalities come from one of two distributions: `same` (w ~ Beta(2, 2),
c ~ Beta(3, 3), s ~ Beta(2, 2), m ~ U(0.1, 0.3)), the training caregivers' and the
default test caregivers', and `shifted` (the earlier implementation's test
caregivers: w ~ Beta(5, 2), c ~ Beta(2, 5), s ~ Beta(5, 2), m ~ U(0.15, 0.35)). A
personality is four uniforms mapped through the distribution's quantile functions,
so the j-th test caregiver of the two distributions is the same person, shifted.

Common random numbers: caregiver j of a seed has its own streams (personality,
interactions, response noise), so the N training caregivers are the first N of one
pool, and a caregiver's first k interactions are the same whether it gives k or
more. The test caregivers of a seed are the same for every N. With `fixed_total`
the total is split as evenly as possible (the first caregivers get one more); with
`per_caregiver` every caregiver gives the same number, so data grow with N.

The population predictor f*(x) = E[y | x], over caregivers and noise, is the best
any x-only model can do on novel caregivers (in expected squared error). It is a
Monte Carlo mean over REFERENCE_DRAWS caregivers with their noise, the same draws
for every seed; `reference` also returns its Monte Carlo variance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..numerics.seeding import register_streams, rng_for

# Each caregiver's personality, interactions and response noise: one sub-stream per caregiver.
register_streams({"caregivers": 5, "interactions": 6, "response_noise": 7})

NUM_FEATURES = 15
DESIGNS = ("fixed_total", "per_caregiver")
TEST_SETS = ("same", "shifted")
TEST_CAREGIVERS, TEST_INTERACTIONS = 50, 40
REFERENCE_DRAWS = 10_000
TEST_POOL_OFFSET = 1_000_000  # test caregivers' sub-streams, apart from the training pool's

# warmth, consistency, strictness: Beta(a, b); mood: uniform on (low, high)
PERSONALITIES = {
    "same": {"warmth": (2, 2), "consistency": (3, 3), "strictness": (2, 2), "mood": (0.1, 0.3)},
    "shifted": {"warmth": (5, 2), "consistency": (2, 5), "strictness": (5, 2), "mood": (0.15, 0.35)},
}


def features(x: np.ndarray) -> np.ndarray:
    """[..., 15] -> [..., 3]: (pos, stability, neg)."""
    pos = x[..., :7].sum(-1) / np.sqrt(7)
    stability = np.exp(-x.std(-1))
    neg = x[..., 7:].sum(-1) / np.sqrt(8)
    return np.stack([pos, stability, neg], axis=-1)


def personalities(uniforms: np.ndarray, distribution: str) -> np.ndarray:
    """Uniforms [..., 4] -> personalities [..., 4] (w, c, s, m) of a distribution."""
    spec = PERSONALITIES[distribution]
    theta = np.empty_like(uniforms)
    for i, trait in enumerate(("warmth", "consistency", "strictness")):
        theta[..., i] = stats.beta.ppf(uniforms[..., i], *spec[trait])
    low, high = spec["mood"]
    theta[..., 3] = low + (high - low) * uniforms[..., 3]
    return theta


def response(theta: np.ndarray, phi: np.ndarray, z: np.ndarray) -> np.ndarray:
    """y = sigmoid(2 w pos + 1.5 c stability - 2 s neg + m z), broadcasting."""
    w, c, s, m = np.moveaxis(theta, -1, 0)
    pos, stability, neg = np.moveaxis(phi, -1, 0)
    return 1 / (1 + np.exp(-(2 * w * pos + 1.5 * c * stability - 2 * s * neg + m * z)))


def interactions_per_caregiver(caregivers: int, design: str, total: int, each: int) -> list[int]:
    """How many interactions each of the N caregivers gives."""
    if design == "fixed_total":
        return [total // caregivers + (j < total % caregivers) for j in range(caregivers)]
    if design == "per_caregiver":
        return [each] * caregivers
    raise ValueError(f"design must be one of {DESIGNS}, got {design!r}")


@dataclass
class Caregiver:
    uniforms: np.ndarray  # [4]
    x: np.ndarray  # [k, 15] its interactions
    z: np.ndarray  # [k] standard-normal response noise

    def responses(self, distribution: str = "same") -> np.ndarray:
        return response(personalities(self.uniforms, distribution), features(self.x), self.z)


def caregiver(seed: int, j: int, interactions: int) -> Caregiver:
    """Caregiver j of a seed (j >= TEST_POOL_OFFSET: a test caregiver) and its first
    `interactions` interactions."""
    return Caregiver(
        uniforms=rng_for(seed, "caregivers", j).random(4),
        x=rng_for(seed, "interactions", j).standard_normal((interactions, NUM_FEATURES)),
        z=rng_for(seed, "response_noise", j).standard_normal(interactions),
    )


@dataclass
class TrainingSet:
    x: np.ndarray  # [n, 15]
    y: np.ndarray  # [n] responses
    caregiver: np.ndarray  # [n] which caregiver (0..N-1) gave each interaction


def make_training_set(
    seed: int, caregivers: int, design: str = "fixed_total", total: int = 1000, each: int = 500
) -> TrainingSet:
    counts = interactions_per_caregiver(caregivers, design, total, each)
    pool = [caregiver(seed, j, k) for j, k in enumerate(counts)]
    return TrainingSet(
        x=np.concatenate([c.x for c in pool]),
        y=np.concatenate([c.responses() for c in pool]),
        caregiver=np.repeat(np.arange(caregivers), counts),
    )


@dataclass
class TestSet:
    x: np.ndarray  # [50 * 40, 15], the same inputs for both distributions
    y: dict  # distribution -> [n] responses of the test caregivers drawn from it
    caregiver: np.ndarray  # [n]


def make_test_set(seed: int) -> TestSet:
    """A seed's 50 novel caregivers x 40 interactions, from both distributions."""
    pool = [caregiver(seed, TEST_POOL_OFFSET + j, TEST_INTERACTIONS) for j in range(TEST_CAREGIVERS)]
    return TestSet(
        x=np.concatenate([c.x for c in pool]),
        y={d: np.concatenate([c.responses(d) for c in pool]) for d in TEST_SETS},
        caregiver=np.repeat(np.arange(TEST_CAREGIVERS), TEST_INTERACTIONS),
    )


def reference(
    x: np.ndarray, distribution: str, draws: int = REFERENCE_DRAWS, block: int = 256
) -> tuple[np.ndarray, np.ndarray]:
    """f*(x) = E[y | x] over the distribution's caregivers and their noise, for inputs
    x [n, 15]: the Monte Carlo mean over `draws` caregivers (the same for every seed)
    and its Monte Carlo variance (the variance of y over the draws / draws), [n] each.
    The response's argument is linear in the features: phi(x) . (2w, 1.5c, -2s) + m z."""
    rng = rng_for(0, "shared")
    w, c, s, m = personalities(rng.random((draws, 4)), distribution).T
    coefficients = np.stack([2 * w, 1.5 * c, -2 * s])  # [3, draws]
    noise = m * rng.standard_normal(draws)
    phi = features(x)
    mean, variance = np.empty(len(x)), np.empty(len(x))
    for start in range(0, len(x), block):
        y = phi[start : start + block] @ coefficients + noise  # [b, draws]: the argument, then the response
        np.negative(y, out=y)
        np.exp(y, out=y)
        y += 1
        np.reciprocal(y, out=y)
        mean[start : start + block] = y.mean(1)
        variance[start : start + block] = y.var(1, ddof=1) / draws
    return mean, variance
