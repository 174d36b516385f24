"""Synthetic data for Model 1 (Extreme Penalty): training set, trauma examples, probe sets.

Inputs x live in R^10. Feature 0 is the target behaviour; every other feature is
built from it by a one-factor model,

    x_j = rho_j * x0 + sqrt(1 - rho_j^2) * e_j,    x0, e_j ~ N(0, 1) independent,

so corr(x0, x_j) = rho_j exactly (and corr(x_i, x_j) = rho_i * rho_j), which is a
valid covariance for any rho in [-1, 1]. The label depends on x0 alone: safe if
x0 > 0.5, risky if x0 < -0.5, neutral otherwise.

All randomness comes from numpy Generators made by `trauma.numerics.seeding.rng_for(seed,
stream)`; each stream (training data, probes, initialisation, data order) is
independent, so changing e.g. the training-set size does not change the probes of
that seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..numerics.seeding import rng_for

SAFE, NEUTRAL, RISKY = 0, 1, 2
CLASS_NAMES = ("safe", "neutral", "risky")
NUM_FEATURES = 10
TRAUMA_X0 = -2.5  # the trauma examples sit deep in the "naturally risky" region

# Correlation of each feature with feature 0 (feature 0 itself: 1).
FEATURE_RHO = np.array([1.0, 0.8, 0.8, 0.8, 0.4, 0.4, 0.4, 0.4, 0.1, 0.1])
CORRELATION_GROUPS = {  # group name -> feature indices
    "rho=0.8": [1, 2, 3],
    "rho=0.4": [4, 5, 6, 7],
    "rho=0.1": [8, 9],
}
CONTROL = "control"  # risky probes with no feature moved
PLACEMENTS = ("on_manifold", "off_manifold")

# Probe sets, sizes and windows. Every probe input except the normal test set is
# truly risky (x0 < -0.5), so "over-correction" there is the share predicted safe.
NORMAL_TEST_SIZE = 2000
PROBE_SIZE = 2000
ADJACENT_WINDOW = (-1.5, -0.5)
# Windows of x0 centred TRAUMA_X0 + d: d < 0 lies beyond the trauma (away from the
# decision boundary at -0.5), d > 0 between the trauma and the boundary.
DISTANCE_OFFSETS = np.arange(-1.5, 1.75, 0.5)
DISTANCE_WIDTH = 0.5
DISTANCE_SIZE = 1000


def clean_labels(x0: np.ndarray) -> np.ndarray:
    """The noise-free rule: safe if x0 > 0.5, risky if x0 < -0.5, else neutral."""
    labels = np.full(x0.shape, NEUTRAL, dtype=np.int64)
    labels[x0 > 0.5] = SAFE
    labels[x0 < -0.5] = RISKY
    return labels


def features_given_x0(x0: np.ndarray, rng: np.random.Generator, placement: str = "on_manifold") -> np.ndarray:
    """Inputs with the given x0. `on_manifold`: features 1-9 drawn conditional on x0
    (the one-factor model). `off_manifold`: features 1-9 drawn from their N(0, 1)
    marginals, independent of x0, so they sit near 0 whatever x0 is (the earlier
    implementation's placement of trauma examples and probes)."""
    if placement not in PLACEMENTS:
        raise ValueError(f"placement must be one of {PLACEMENTS}, got {placement!r}")
    noise = rng.standard_normal((len(x0), NUM_FEATURES))
    if placement == "off_manifold":
        x = noise
    else:
        x = FEATURE_RHO * x0[:, None] + np.sqrt(1.0 - FEATURE_RHO**2) * noise
    x[:, 0] = x0
    return x


def move_towards_trauma(x: np.ndarray, features: list[int]) -> np.ndarray:
    """Shift the given features to where they would be if x0 were TRAUMA_X0, keeping
    each point's own noise: x_j += rho_j * (TRAUMA_X0 - x0). x0 itself is unchanged."""
    moved = x.copy()
    moved[:, features] += FEATURE_RHO[features] * (TRAUMA_X0 - x[:, :1])
    return moved


def move_equal_distance(x: np.ndarray, features: list[int]) -> np.ndarray:
    """Shift the given features, all by the same amount, so that the point moves as
    far (Euclidean distance) as `move_towards_trauma` moves it along the rho = 0.8
    features, in the same direction. For the rho = 0.8 group this is the same move;
    the weakly correlated groups move further than their correlation would put them."""
    reference = np.sqrt(np.sum(FEATURE_RHO[CORRELATION_GROUPS["rho=0.8"]] ** 2))
    moved = x.copy()
    moved[:, features] += (TRAUMA_X0 - x[:, :1]) * reference / np.sqrt(len(features))
    return moved


def realised_correlations(x: np.ndarray) -> np.ndarray:
    """The sample correlation matrix of the features (10 x 10)."""
    return np.corrcoef(x, rowvar=False)


@dataclass
class TrainingSet:
    x: np.ndarray  # [N, 10] float64; normal examples first, then the trauma examples
    labels: np.ndarray  # [N] training labels (with label noise; trauma examples: safe)
    clean: np.ndarray  # [N] noise-free labels of the same inputs
    penalty_mask: np.ndarray  # [N] 1.0 for trauma examples, 0.0 otherwise

    @property
    def trauma_index(self) -> np.ndarray:
        return np.flatnonzero(self.penalty_mask)


def make_training_set(
    rng: np.random.Generator,
    base_examples: int = 10_000,
    num_trauma: int = 5,
    trauma_placement: str = "on_manifold",
    label_noise: float = 0.1,
) -> TrainingSet:
    """`base_examples` normal examples (a share `label_noise` of their labels replaced
    by a uniformly random class, as in the seed implementation) followed by
    `num_trauma` trauma examples: x0 = -2.5, label safe, penalty mask 1."""
    x_normal = features_given_x0(rng.standard_normal(base_examples), rng)
    clean = clean_labels(x_normal[:, 0])
    labels = clean.copy()
    replaced = rng.random(base_examples) < label_noise
    labels[replaced] = rng.integers(0, 3, size=int(replaced.sum()))

    x_trauma = features_given_x0(np.full(num_trauma, TRAUMA_X0), rng, trauma_placement)
    return TrainingSet(
        x=np.concatenate([x_normal, x_trauma]),
        labels=np.concatenate([labels, np.full(num_trauma, SAFE)]),
        clean=np.concatenate([clean, clean_labels(x_trauma[:, 0])]),
        penalty_mask=np.concatenate([np.zeros(base_examples), np.ones(num_trauma)]),
    )


@dataclass
class Probe:
    """One probe set: clean labels, one (probe, group) cell of the results table."""

    probe: str
    group: str
    x: np.ndarray
    labels: np.ndarray
    distance: float = float("nan")  # signed offset of the x0 window's centre from TRAUMA_X0


def _risky_x0(rng: np.random.Generator, n: int) -> np.ndarray:
    """n draws of x0 ~ N(0, 1) conditioned on x0 < -0.5 (truly risky), by rejection."""
    out = np.empty(0)
    while len(out) < n:
        draw = rng.standard_normal(4 * n)
        out = np.concatenate([out, draw[draw < -0.5]])
    return out[:n]


def make_probes(rng: np.random.Generator) -> list[Probe]:
    """All probe sets of one seed, in a fixed order (see PROBE_LAYOUT)."""
    probes = []
    x = features_given_x0(rng.standard_normal(NORMAL_TEST_SIZE), rng)
    probes.append(Probe("normal", "all", x, clean_labels(x[:, 0])))

    # Trauma-adjacent: x0 in [-1.5, -0.5), the other features on or off the manifold.
    x0 = rng.uniform(*ADJACENT_WINDOW, size=PROBE_SIZE)
    for placement in PLACEMENTS:
        x = features_given_x0(x0, rng, placement)
        probes.append(Probe("adjacent", placement, x, clean_labels(x0)))

    # Correlation groups: the same truly risky points, with only group-g features
    # moved to their trauma-like values; the control moves nothing.
    base = features_given_x0(_risky_x0(rng, PROBE_SIZE), rng)
    for group, features in CORRELATION_GROUPS.items():
        probes.append(Probe("correlation", group, move_towards_trauma(base, features), clean_labels(base[:, 0])))
    probes.append(Probe("correlation", CONTROL, base, clean_labels(base[:, 0])))
    # The same points, every group moved by the same distance (the rho = 0.8 group's).
    for group, features in CORRELATION_GROUPS.items():
        probes.append(Probe("equal_distance", group, move_equal_distance(base, features), clean_labels(base[:, 0])))
    probes.append(Probe("equal_distance", CONTROL, base, clean_labels(base[:, 0])))

    # Distance from trauma: on-manifold inputs in x0 windows on both sides of -2.5.
    for offset in DISTANCE_OFFSETS:
        low = TRAUMA_X0 + offset - DISTANCE_WIDTH / 2
        x0 = rng.uniform(low, low + DISTANCE_WIDTH, size=DISTANCE_SIZE)
        group = f"[{low:.2f}, {low + DISTANCE_WIDTH:.2f})"
        probes.append(Probe("distance", group, features_given_x0(x0, rng), clean_labels(x0), distance=float(offset)))
    return probes


PROBE_LAYOUT = [(p.probe, p.group) for p in make_probes(np.random.default_rng(0))]


@dataclass
class SeedData:
    """Everything one seed trains and is evaluated on."""

    seed: int
    train: TrainingSet
    probes: list[Probe]
    correlations: np.ndarray  # realised 10 x 10 correlation matrix of the normal training inputs


def make_seed_data(
    seed: int,
    base_examples: int = 10_000,
    num_trauma: int = 5,
    trauma_placement: str = "on_manifold",
    label_noise: float = 0.1,
) -> SeedData:
    train = make_training_set(rng_for(seed, "train_data"), base_examples, num_trauma, trauma_placement, label_noise)
    return SeedData(
        seed=seed,
        train=train,
        probes=make_probes(rng_for(seed, "probes")),
        correlations=realised_correlations(train.x[:base_examples]),
    )
