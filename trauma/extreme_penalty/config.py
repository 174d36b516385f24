"""The parameters of a Model 1 sweep: names, defaults (the seed's realistic
configuration, "version A", with 10 seeds) and their checks. The command line and
the notebooks use the same names."""

from __future__ import annotations

from dataclasses import dataclass

from ..numerics import params
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


def _penalties(name, value, checked) -> list[float]:
    allowed = "a non-empty list of distinct numbers >= 0 that includes 1, e.g. [1, 10, 100]"
    if not isinstance(value, (list, tuple)) or not value:
        raise params.ParameterError(name, allowed, value)
    try:
        penalties = [params.real(name, item, 0.0) for item in value]
    except params.ParameterError:
        raise params.ParameterError(name, allowed, value) from None
    if 1.0 not in penalties or len(set(penalties)) != len(penalties):
        raise params.ParameterError(name, allowed, value)
    return sorted(penalties)


def _noise_floor(name, value, checked) -> bool:
    floor = params.boolean(name, value)
    if floor and FLOOR_PENALTY in checked["penalties"]:
        raise params.ParameterError(
            "penalties", f"without {FLOOR_PENALTY:g} when noise_floor is true (it is added)", checked["penalties"]
        )
    return floor


@dataclass(frozen=True)
class SweepConfig(params.Parameters):
    penalties: list = params.parameter(
        [1, 10, 100, 1000, 10000],
        "penalty magnitudes lambda (numbers >= 0, must include 1, the paired reference)",
        _penalties,
    )
    seeds: int = params.seeds(10)
    epochs: int = params.epochs(50)
    hidden_dims: list = params.hidden_dims(DEFAULT_HIDDEN_DIMS)
    num_trauma: int = params.parameter(5, "number of trauma examples (x0 = -2.5, label safe)", params.at_least(1))
    oversample: int = params.parameter(
        1, "each trauma example is visited this many times per epoch (rumination)", params.at_least(1)
    )
    trauma_placement: str = params.parameter(
        "on_manifold",
        "on_manifold: features 1-9 conditional on x0; off_manifold: independent of x0",
        params.one_of(PLACEMENTS),
    )
    optimizer: str = params.optimizer()
    learning_rate: float = params.learning_rate()
    lr_schedule: str = params.lr_schedule()
    batch_size: int = params.batch_size()
    base_examples: int = params.parameter(10_000, "number of normal training examples", params.at_least(10))
    label_noise: float = params.parameter(
        0.1, "share of normal training labels replaced by a uniformly random class", params.within(0.0, 1.0)
    )
    eval_epochs: int | None = params.eval_epochs()
    noise_floor: bool = params.parameter(
        True, f"also train lambda = {FLOOR_PENALTY} (true/false): what training chaos alone changes", _noise_floor
    )

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


@dataclass(frozen=True)
class DynamicsConfig(params.Parameters):
    """The parameters of a dynamics page (notebooks/penalty_dynamics.md): one penalty of
    one Model 1 variant, whose networks and tables it reads (nothing is retrained)."""

    penalty: float = params.parameter(1000, "one of the source variant's penalties", params.within(0.0))
    source: str = params.parameter(
        "realistic", "the extreme_penalty variant whose networks are examined", lambda name, value, checked: str(value)
    )

    def check_source(self, source: SweepConfig) -> None:
        """Refuse a penalty the source variant did not train."""
        if self.penalty not in source.penalties:
            penalties = ", ".join(f"{p:g}" for p in source.penalties)
            allowed = f"one of the penalties of its source variant {self.source!r}: {penalties}"
            raise params.ParameterError("penalty", allowed, self.penalty)
