"""Random streams: every random number in the project comes from `rng_for(seed, stream)`.

A seed has independent streams (its training data, probes, initial weights, data
order, ...), so changing how many numbers one stream draws (e.g. a larger training
set) leaves the others untouched. No code uses a global random state.
"""

from __future__ import annotations

import numpy as np

STREAMS = {"train_data": 0, "probes": 1, "init": 2, "order": 3, "shared": 4,  # shared: seed-independent sets
           "caregivers": 5, "interactions": 6, "response_noise": 7, "therapy_data": 8, "therapy_order": 9}


def rng_for(seed: int, stream: str, *index: int) -> np.random.Generator:
    """The numpy Generator of one random stream of one seed; `index` names a
    sub-stream (e.g. one caregiver's), independent of how much the others draw."""
    if stream not in STREAMS:
        raise ValueError(f"stream must be one of {', '.join(STREAMS)}, got {stream!r}")
    return np.random.default_rng([STREAMS[stream], seed, *index])
