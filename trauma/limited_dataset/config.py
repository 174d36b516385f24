"""The parameters of a Model 3 sweep: names, defaults (the issue's eleven caregiver
counts with a fixed total of 1,000 interactions, the specification's network and
training, 20 seeds) and their checks. The command line and the notebooks use the
same names."""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import params as check
from ..ensemble import LR_SCHEDULES, OPTIMIZERS
from .dataset import DESIGNS, TEST_SETS
from .model import DEFAULT_HIDDEN_DIMS

DESCRIPTIONS = {
    "caregiver_counts": "numbers of training caregivers N, distinct integers >= 1 (sorted as numbers)",
    "design": "fixed_total (total_interactions split over the N caregivers) or per_caregiver "
              "(interactions_per_caregiver each, so the data grow with N: the earlier implementation's confound)",
    "total_interactions": "training interactions in all, with design fixed_total (at least the largest N)",
    "interactions_per_caregiver": "training interactions of each caregiver, with design per_caregiver",
    "headline_test_set": "the test caregivers the page leads with: same (the training caregivers' distribution) "
                         "or shifted (the earlier implementation's); both are always reported",
    "seeds": "number of seeds; seed i has its own caregivers, interactions, noise, initialisation and data order",
    "epochs": "training epochs",
    "hidden_dims": "hidden layer sizes; [] is a logistic model",
    "optimizer": "adam or sgd",
    "learning_rate": "learning rate",
    "lr_schedule": "constant, or cosine (decays the learning rate to 0 over the epochs)",
    "batch_size": "minibatch size",
    "eval_epochs": "metrics are averaged over the networks after each of the last this many epochs (at most all epochs)",
}


@dataclass(frozen=True)
class SweepConfig(check.Parameters):
    caregiver_counts: list = field(default_factory=lambda: [1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20])
    design: str = "fixed_total"
    total_interactions: int = 1000
    interactions_per_caregiver: int = 500
    headline_test_set: str = "same"
    seeds: int = 20
    epochs: int = 100
    hidden_dims: list = field(default_factory=lambda: list(DEFAULT_HIDDEN_DIMS))
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    lr_schedule: str = "constant"
    batch_size: int = 32
    eval_epochs: int | None = None  # None: 5, or every epoch if there are fewer

    DESCRIPTIONS = DESCRIPTIONS

    def __post_init__(self):
        clean = {
            "caregiver_counts": check.distinct_list("caregiver_counts", self.caregiver_counts, lambda n, v: check.integer(n, v, 1),
                                                    "a non-empty list of distinct integers >= 1, e.g. [1, 2, 5, 10]"),
            "design": check.choice("design", self.design, DESIGNS),
            "interactions_per_caregiver": check.integer("interactions_per_caregiver", self.interactions_per_caregiver, 1),
            "headline_test_set": check.choice("headline_test_set", self.headline_test_set, TEST_SETS),
            "seeds": check.integer("seeds", self.seeds, 3),  # paired tests and intervals need a few
            "epochs": check.integer("epochs", self.epochs, 1),
            "hidden_dims": check.integer_list("hidden_dims", self.hidden_dims, 1),
            "optimizer": check.choice("optimizer", self.optimizer, OPTIMIZERS),
            "learning_rate": check.real("learning_rate", self.learning_rate, 0.0, low_open=True),
            "lr_schedule": check.choice("lr_schedule", self.lr_schedule, LR_SCHEDULES),
            "batch_size": check.integer("batch_size", self.batch_size, 1),
        }
        # with a fixed total, every caregiver gives at least one interaction
        least = max(clean["caregiver_counts"]) if clean["design"] == "fixed_total" else 1
        clean["total_interactions"] = check.integer("total_interactions", self.total_interactions, least)
        clean["eval_epochs"] = check.eval_epochs(self.eval_epochs, clean["epochs"])
        self._store(clean)

    @property
    def networks(self) -> int:
        return len(self.caregiver_counts) * self.seeds
