"""The parameters of a Model 2 sweep: names, defaults (the specification's network
and training, the issue's eight flip levels, 10 seeds) and their checks. The command
line and the notebooks use the same names."""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import params as check
from ..ensemble import LR_SCHEDULES, OPTIMIZERS
from .dataset import NOISE_MODELS
from .model import DEFAULT_HIDDEN_DIMS

# A shard of seeds (trauma/shards.py) computes its own across-seed tables, with one
# seed left out in turn, before the merge recomputes them over all seeds: 3 at least.
SHARD_MIN_SEEDS = 3

DESCRIPTIONS = {
    "noise_levels": "noise levels (flip: probability p; randomise: probability q), each in [0, 1]",
    "noise_model": "flip (each in-context training label flipped with probability p) or randomise (replaced by a fair coin with probability q)",
    "seeds": "number of seeds; seed i has its own training inputs, draws, initialisation and data order",
    "epochs": "training epochs",
    "hidden_dims": "hidden layer sizes; [] is logistic regression",
    "train_examples": "training inputs per seed",
    "optimizer": "adam or sgd",
    "learning_rate": "learning rate",
    "lr_schedule": "constant, or cosine (decays the learning rate to 0 over the epochs)",
    "batch_size": "minibatch size",
    "eval_epochs": "metrics are averaged over the networks after each of the last this many epochs (at most all epochs)",
}


@dataclass(frozen=True)
class SweepConfig(check.Parameters):
    noise_levels: list = field(default_factory=lambda: [0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    noise_model: str = "flip"
    seeds: int = 10
    epochs: int = 50
    hidden_dims: list = field(default_factory=lambda: list(DEFAULT_HIDDEN_DIMS))
    train_examples: int = 10_000
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    lr_schedule: str = "constant"
    batch_size: int = 32
    eval_epochs: int | None = None  # None: 5, or every epoch if there are fewer

    DESCRIPTIONS = DESCRIPTIONS

    def __post_init__(self):
        clean = {
            "noise_levels": check.distinct_list("noise_levels", self.noise_levels, lambda n, v: check.real(n, v, 0.0, 1.0),
                                                "a non-empty list of distinct numbers in [0, 1], e.g. [0, 0.05, 0.3]"),
            "noise_model": check.choice("noise_model", self.noise_model, NOISE_MODELS),
            "seeds": check.integer("seeds", self.seeds, 3),  # a spread across seeds, with one left out
            "epochs": check.integer("epochs", self.epochs, 1),
            "hidden_dims": check.integer_list("hidden_dims", self.hidden_dims, 1),
            "train_examples": check.integer("train_examples", self.train_examples, 100),
            "optimizer": check.choice("optimizer", self.optimizer, OPTIMIZERS),
            "learning_rate": check.real("learning_rate", self.learning_rate, 0.0, low_open=True),
            "lr_schedule": check.choice("lr_schedule", self.lr_schedule, LR_SCHEDULES),
            "batch_size": check.integer("batch_size", self.batch_size, 1),
        }
        clean["eval_epochs"] = check.eval_epochs(self.eval_epochs, clean["epochs"])
        self._store(clean)

    @property
    def networks(self) -> int:
        return len(self.noise_levels) * self.seeds
