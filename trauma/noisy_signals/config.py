"""The parameters of a Model 2 sweep: names, defaults (the specification's network
and training, the issue's eight flip levels, 10 seeds) and their checks. The command
line and the notebooks use the same names."""

from __future__ import annotations

from dataclasses import dataclass

from ..numerics import params
from .dataset import NOISE_MODELS
from .model import DEFAULT_HIDDEN_DIMS

# A shard of seeds (trauma/numerics/shards.py) computes its own across-seed tables, with one
# seed left out in turn, before the merge recomputes them over all seeds: 3 at least.
SHARD_MIN_SEEDS = 3


@dataclass(frozen=True)
class SweepConfig(params.Parameters):
    noise_levels: list = params.parameter(
        [0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
        "noise levels (flip: probability p; randomise: probability q), each in [0, 1]",
        lambda name, value, checked: params.distinct_list(
            name,
            value,
            lambda n, v: params.real(n, v, 0.0, 1.0),
            "a non-empty list of distinct numbers in [0, 1], e.g. [0, 0.05, 0.3]",
        ),
    )
    noise_model: str = params.parameter(
        "flip",
        "flip (each in-context training label flipped with probability p) or randomise (replaced by a fair "
        "coin with probability q)",
        params.one_of(NOISE_MODELS),
    )
    seeds: int = params.seeds(10, least=3)  # a spread across seeds, with one left out
    epochs: int = params.epochs(50)
    hidden_dims: list = params.hidden_dims(DEFAULT_HIDDEN_DIMS)
    train_examples: int = params.parameter(10_000, "training inputs per seed", params.at_least(100))
    optimizer: str = params.optimizer()
    learning_rate: float = params.learning_rate()
    lr_schedule: str = params.lr_schedule()
    batch_size: int = params.batch_size()
    eval_epochs: int | None = params.eval_epochs()

    @property
    def networks(self) -> int:
        return len(self.noise_levels) * self.seeds
