"""The parameters of a Model 1 sweep: names, defaults (the seed's realistic
configuration, "version A", with 10 seeds) and their checks. The command line and
the notebooks use the same names."""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import params as check
from ..ensemble import LR_SCHEDULES, OPTIMIZERS
from .dataset import PLACEMENTS
from .model import DEFAULT_HIDDEN_DIMS

REFERENCE_PENALTY = 1.0  # every sweep's paired reference
FLOOR_PENALTY = 1.001  # a negligibly different penalty: how much training chaos alone changes
# Peak memory of a sweep (`memory_estimate`), fitted from above to the peaks measured
# on this project's machine with the default network (README, "Running a sweep"):
# 0.65 and 1.27 GB at 50 and 200 networks, 4.32 GB at 1,000, and 1.87 to 1.93 GB for
# 1,000 in 3 shards of at most 340 (a shard's peak, plus the results the shards before
# it keep for the merge); estimated 0.73, 1.40, 5.0 and 2.03 GB.
FIXED_BYTES = 0.5e9  # Python, torch and the libraries
BYTES_PER_VISIT = 450  # per network and example visited in an epoch

DESCRIPTIONS = {
    "penalties": "penalty magnitudes lambda (numbers >= 0, must include 1, the paired reference)",
    "seeds": "number of seeds; seed i uses its own data, initialisation and data order",
    "epochs": "training epochs",
    "hidden_dims": "hidden layer sizes; [] is the linear 10 -> 3 model",
    "num_trauma": "number of trauma examples (x0 = -2.5, label safe)",
    "oversample": "each trauma example is visited this many times per epoch (rumination)",
    "trauma_placement": "on_manifold: features 1-9 conditional on x0; off_manifold: independent of x0",
    "optimizer": "adam or sgd",
    "learning_rate": "learning rate",
    "lr_schedule": "constant, or cosine (decays the learning rate to 0 over the epochs)",
    "batch_size": "minibatch size",
    "base_examples": "number of normal training examples",
    "label_noise": "share of normal training labels replaced by a uniformly random class",
    "eval_epochs": "metrics are averaged over the networks after each of the last this many epochs (at most all epochs)",
    "noise_floor": f"also train lambda = {FLOOR_PENALTY} (true/false): what training chaos alone changes",
}


@dataclass(frozen=True)
class SweepConfig(check.Parameters):
    penalties: list = field(default_factory=lambda: [1, 10, 100, 1000, 10000])
    seeds: int = 10
    epochs: int = 50
    hidden_dims: list = field(default_factory=lambda: list(DEFAULT_HIDDEN_DIMS))
    num_trauma: int = 5
    oversample: int = 1
    trauma_placement: str = "on_manifold"
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    lr_schedule: str = "constant"
    batch_size: int = 32
    base_examples: int = 10_000
    label_noise: float = 0.1
    eval_epochs: int | None = None  # None: 5, or every epoch if there are fewer
    noise_floor: bool = True

    DESCRIPTIONS = DESCRIPTIONS

    def __post_init__(self):
        clean = {
            "penalties": _penalties(self.penalties),
            "seeds": check.integer("seeds", self.seeds, 1),
            "epochs": check.integer("epochs", self.epochs, 1),
            "hidden_dims": check.integer_list("hidden_dims", self.hidden_dims, 1),
            "num_trauma": check.integer("num_trauma", self.num_trauma, 1),
            "oversample": check.integer("oversample", self.oversample, 1),
            "trauma_placement": check.choice("trauma_placement", self.trauma_placement, PLACEMENTS),
            "optimizer": check.choice("optimizer", self.optimizer, OPTIMIZERS),
            "learning_rate": check.real("learning_rate", self.learning_rate, 0.0, low_open=True),
            "lr_schedule": check.choice("lr_schedule", self.lr_schedule, LR_SCHEDULES),
            "batch_size": check.integer("batch_size", self.batch_size, 1),
            "base_examples": check.integer("base_examples", self.base_examples, 10),
            "label_noise": check.real("label_noise", self.label_noise, 0.0, 1.0),
            "noise_floor": check.boolean("noise_floor", self.noise_floor),
        }
        clean["eval_epochs"] = check.eval_epochs(self.eval_epochs, clean["epochs"])
        if clean["noise_floor"] and FLOOR_PENALTY in clean["penalties"]:
            raise check.ParameterError("penalties", f"without {FLOOR_PENALTY:g} when noise_floor is true (it is added)", self.penalties)
        self._store(clean)

    @property
    def networks(self) -> int:
        return len(self.trained_penalties) * self.seeds

    @property
    def trained_penalties(self) -> list[float]:
        """The penalties the grid trains: `penalties`, and the noise floor's."""
        return sorted(self.penalties + [FLOOR_PENALTY] * self.noise_floor)


def memory_estimate(config: SweepConfig) -> tuple[float, float]:
    """(fixed, per seed) bytes of a sweep's peak memory. Nearly all of it grows with
    networks x examples visited per epoch: each network's epoch of inputs, targets and
    loss weights in its visiting order (the next epoch's drawn while the last is still
    held), its copy of the normal examples for the gradient diagnostics, and the
    diagnostics' activations (per example, in chunks). The constants are fitted to
    measured peaks with the default hidden layers; wider layers need more."""
    visits = config.base_examples + config.num_trauma * config.oversample
    return FIXED_BYTES, len(config.trained_penalties) * visits * BYTES_PER_VISIT


def _penalties(value) -> list[float]:
    allowed = "a non-empty list of distinct numbers >= 0 that includes 1, e.g. [1, 10, 100]"
    if not isinstance(value, (list, tuple)) or not value:
        raise check.ParameterError("penalties", allowed, value)
    try:
        penalties = [check.real("penalties", item, 0.0) for item in value]
    except check.ParameterError:
        raise check.ParameterError("penalties", allowed, value) from None
    if 1.0 not in penalties or len(set(penalties)) != len(penalties):
        raise check.ParameterError("penalties", allowed, value)
    return sorted(penalties)
