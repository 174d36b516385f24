"""Random streams: every random number in the project comes from `rng_for(seed, stream)`.

A seed has independent streams (its training data, probes, initial weights, data
order, ...), so changing how many numbers one stream draws (e.g. a larger training
set) leaves the others untouched. No code uses a global random state.

The streams every model uses are below; a model adds its own with
`register_streams` (in its dataset.py), each with a number no other stream has.
"""

from __future__ import annotations

import numpy as np

STREAMS = {"train_data": 0, "probes": 1, "init": 2, "order": 3, "shared": 4}  # shared: seed-independent sets


def register_streams(streams: dict[str, int]) -> None:
    """Add a model's own streams (name -> number); a name or number another stream
    already has is an error (registering the same stream again is not)."""
    for name, number in streams.items():
        taken = {n: s for s, n in STREAMS.items() if s != name}
        if STREAMS.get(name, number) != number or number in taken:
            raise ValueError(f"stream {name!r} = {number}: taken by {taken.get(number, name)!r}")
        STREAMS[name] = number


def rng_for(seed: int, stream: str, *index: int) -> np.random.Generator:
    """The numpy Generator of one random stream of one seed; `index` names a
    sub-stream (e.g. one caregiver's), independent of how much the others draw."""
    if stream not in STREAMS:
        raise ValueError(f"stream must be one of {', '.join(STREAMS)}, got {stream!r}")
    return np.random.default_rng([STREAMS[stream], seed, *index])
