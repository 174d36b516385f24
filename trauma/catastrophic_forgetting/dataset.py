"""Synthetic data for Model 4 (Catastrophic Forgetting): a first phase ("trauma")
and a second ("therapy") that contradicts part of it.

Inputs x live in R^30, x ~ N(0, I). The output is a response in R^10, one of three
prototypes (the earlier implementation's): danger, safe and neutral. Targets are the
prototype plus N(0, 0.05^2) noise in every dimension.

Phase 1: authority = x0 + ... + x4; authority > 2 gives danger, otherwise neutral.
The therapy region is "authority present and a safe context": x0..x4 = |N(0, 1)| +
0.5 and x10..x14 = |N(0, 1)| + 1.2; its authority is always above 2, so phase 1
calls it danger. In N(0, I) inputs that region (all of x10..x14 above 1) is rare, about
1 in 10,000, so by default phase 2 barely contradicts phase 1; with `overlap` = s a
share s of the phase-1 inputs is drawn from the therapy region instead, with the
danger target, so that the two phases really conflict.

Phase 2: therapy inputs from the therapy region with the safe target. Replay mixes
phase-1 training examples into the therapy set: with replay share r, the therapy set
of n examples gets round(n r / (1 - r)) replayed ones, the first of one fixed random
order of the seed's phase-1 examples (so the replayed examples are nested across r).

Every set is drawn per seed from its own streams: phase-1 training and test sets
("train_data", "probes"), therapy sets and the replay order ("therapy_data").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..numerics.seeding import register_streams, rng_for

register_streams({"therapy_data": 8, "therapy_order": 9})  # the therapy set; its visiting order in phase 2

NUM_FEATURES = 30
NUM_OUTPUTS = 10
PROTOTYPES = {
    "danger": (0.8, 0.9, 0.7, 0.85, 0.75, 0.2, 0.1, 0.15, 0.25, 0.3),
    "safe": (0.1, 0.2, 0.15, 0.1, 0.25, 0.8, 0.9, 0.85, 0.75, 0.8),
    "neutral": (0.4, 0.5, 0.45, 0.5, 0.4, 0.5, 0.4, 0.5, 0.45, 0.5),
}
RESPONSES = tuple(PROTOTYPES)  # danger, safe, neutral: the index of a reading
TARGET_NOISE = 0.05
AUTHORITY_THRESHOLD = 2.0
PHASE1_TEST, THERAPY_TEST = 2000, 500


def prototype_matrix() -> np.ndarray:
    return np.array([PROTOTYPES[r] for r in RESPONSES])  # [3, 10]


def phase1_response(x: np.ndarray) -> np.ndarray:
    """The phase-1 rule: index of danger where x0 + ... + x4 > 2, else of neutral."""
    return np.where(x[:, :5].sum(1) > AUTHORITY_THRESHOLD, RESPONSES.index("danger"), RESPONSES.index("neutral"))


def in_therapy_region(x: np.ndarray) -> np.ndarray:
    """All of x10..x14 above 1 (with authority above 2, the therapy situation)."""
    return (x[:, 10:15] > 1).all(1) & (x[:, :5].sum(1) > AUTHORITY_THRESHOLD)


def therapy_inputs(rng: np.random.Generator, n: int) -> np.ndarray:
    """n inputs of the therapy region: x0..x4 = |N| + 0.5, x10..x14 = |N| + 1.2."""
    x = rng.standard_normal((n, NUM_FEATURES))
    x[:, :5] = np.abs(x[:, :5]) + 0.5
    x[:, 10:15] = np.abs(x[:, 10:15]) + 1.2
    return x


@dataclass
class Labelled:
    x: np.ndarray  # [n, 30]
    response: np.ndarray  # [n] index into RESPONSES: what the targets are noisy copies of
    targets: np.ndarray  # [n, 10]


def _labelled(rng: np.random.Generator, x: np.ndarray, response: np.ndarray) -> Labelled:
    targets = prototype_matrix()[response] + rng.normal(0, TARGET_NOISE, (len(x), NUM_OUTPUTS))
    return Labelled(x, response, targets)


def _phase1(rng: np.random.Generator, n: int, overlap: float) -> Labelled:
    """n phase-1 examples, a share `overlap` of them (rounded) from the therapy region."""
    x = rng.standard_normal((n, NUM_FEATURES))
    conflicting = int(round(overlap * n))
    x[:conflicting] = therapy_inputs(rng, conflicting)
    x = x[rng.permutation(n)]
    return _labelled(rng, x, phase1_response(x))


def phase1_sets(seed: int, train_size: int = 10_000, overlap: float = 0.0) -> tuple[Labelled, Labelled]:
    """A seed's phase-1 training and test sets (the test set drawn like the training set)."""
    return _phase1(rng_for(seed, "train_data"), train_size, overlap), _phase1(
        rng_for(seed, "probes"), PHASE1_TEST, overlap
    )


def therapy_sets(seed: int, train_size: int = 150) -> tuple[Labelled, Labelled]:
    """A seed's therapy training and test sets: therapy-region inputs, target safe."""
    safe = RESPONSES.index("safe")
    sets = []
    for stream, size in ((0, train_size), (2, THERAPY_TEST)):  # the test set does not depend on the training set's size
        rng = rng_for(seed, "therapy_data", stream)
        sets.append(_labelled(rng, therapy_inputs(rng, size), np.full(size, safe)))
    return tuple(sets)


def replay_count(therapy_size: int, share: float) -> int:
    """Replayed phase-1 examples so that they are a share `share` of the therapy set."""
    return int(round(therapy_size * share / (1 - share)))


def replay_order(seed: int, phase1_size: int) -> np.ndarray:
    """The fixed order in which a seed's phase-1 examples are replayed (nested across shares)."""
    return rng_for(seed, "therapy_data", 1).permutation(phase1_size)


def therapy_with_replay(therapy: Labelled, phase1: Labelled, order: np.ndarray, share: float) -> Labelled:
    """The therapy set with replayed phase-1 examples appended."""
    chosen = order[: replay_count(len(therapy.x), share)]
    return Labelled(
        x=np.concatenate([therapy.x, phase1.x[chosen]]),
        response=np.concatenate([therapy.response, phase1.response[chosen]]),
        targets=np.concatenate([therapy.targets, phase1.targets[chosen]]),
    )
