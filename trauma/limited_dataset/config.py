"""The parameters of a Model 3 sweep: names, defaults (the issue's eleven caregiver
counts with a fixed total of 1,000 interactions, the specification's network and
training, 20 seeds) and their checks. The command line and the notebooks use the
same names."""

from __future__ import annotations

from dataclasses import dataclass

from ..numerics import params
from .dataset import DESIGNS, TEST_SETS
from .model import DEFAULT_HIDDEN_DIMS


def _total_interactions(name, value, checked) -> int:
    # with a fixed total, every caregiver gives at least one interaction
    least = max(checked["caregiver_counts"]) if checked["design"] == "fixed_total" else 1
    return params.integer(name, value, least)


@dataclass(frozen=True)
class SweepConfig(params.Parameters):
    caregiver_counts: list = params.parameter(
        [1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20],
        "numbers of training caregivers N, distinct integers >= 1 (sorted as numbers)",
        lambda name, value, checked: params.distinct_list(
            name,
            value,
            lambda n, v: params.integer(n, v, 1),
            "a non-empty list of distinct integers >= 1, e.g. [1, 2, 5, 10]",
        ),
    )
    design: str = params.parameter(
        "fixed_total",
        "fixed_total (total_interactions split over the N caregivers) or per_caregiver "
        "(interactions_per_caregiver each, so the data grow with N: the earlier implementation's confound)",
        params.one_of(DESIGNS),
    )
    total_interactions: int = params.parameter(
        1000, "training interactions in all, with design fixed_total (at least the largest N)", _total_interactions
    )
    interactions_per_caregiver: int = params.parameter(
        500, "training interactions of each caregiver, with design per_caregiver", params.at_least(1)
    )
    headline_test_set: str = params.parameter(
        "same",
        "the test caregivers the page leads with: same (the training caregivers' distribution) or shifted "
        "(the earlier implementation's); both are always reported",
        params.one_of(TEST_SETS),
    )
    seeds: int = params.seeds(20, least=3)  # paired tests and intervals need a few
    epochs: int = params.epochs(100)
    hidden_dims: list = params.hidden_dims(DEFAULT_HIDDEN_DIMS)
    optimizer: str = params.optimizer()
    learning_rate: float = params.learning_rate()
    lr_schedule: str = params.lr_schedule()
    batch_size: int = params.batch_size()
    eval_epochs: int | None = params.eval_epochs()

    @property
    def networks(self) -> int:
        return len(self.caregiver_counts) * self.seeds
