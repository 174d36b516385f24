"""The parameters of a Model 4 sweep: names, defaults (the issue's factorial grid of
therapy learning rates x replay shares, three strengths of elastic weight
consolidation, joint training as the reference, the specification's network and
training, 10 seeds) and their checks. The command line and the notebooks use the
same names."""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import params as check
from .model import DEFAULT_HIDDEN_DIMS

DESCRIPTIONS = {
    "learning_rates": "phase-2 (therapy) learning rates, distinct numbers > 0",
    "replay_ratios": "shares of replayed phase-1 examples in the therapy set, distinct numbers in [0, 1)",
    "ewc_strengths": "strengths of elastic weight consolidation (numbers > 0; [] for none), at ewc_learning_rate without replay",
    "ewc_learning_rate": "the phase-2 learning rate of the EWC strategies",
    "joint": "also train from scratch on phase 1 and therapy together, the reference (true/false)",
    "phase1_epochs": "phase-1 (trauma) training epochs",
    "phase2_epochs": "phase-2 (therapy) training epochs",
    "phase1_examples": "phase-1 training examples per seed",
    "therapy_examples": "therapy training examples per seed (before replay)",
    "overlap": "share of phase-1 inputs drawn from the therapy region (with the danger target), in [0, 1)",
    "seeds": "number of seeds; seed i has its own data, initialisation and data orders",
    "hidden_dims": "hidden layer sizes",
    "batch_size": "minibatch size",
    "eval_epochs": "phase-2 metrics are averaged over the networks after each of the last this many epochs",
}


def _positive(name, value):
    return check.real(name, value, 0.0, low_open=True)


def _share(name, value):
    share = check.real(name, value, 0.0, 1.0)
    if share == 1.0:
        raise check.ParameterError(name, "a number in [0, 1)", value)
    return share


@dataclass(frozen=True)
class SweepConfig(check.Parameters):
    learning_rates: list = field(default_factory=lambda: [1e-4, 3e-4, 1e-3, 3e-3, 1e-2])
    replay_ratios: list = field(default_factory=lambda: [0.0, 0.1, 0.2, 0.3, 0.5])
    ewc_strengths: list = field(default_factory=lambda: [1e3, 1e4, 1e5])
    ewc_learning_rate: float = 1e-2
    joint: bool = True
    phase1_epochs: int = 100
    phase2_epochs: int = 50
    phase1_examples: int = 10_000
    therapy_examples: int = 150
    overlap: float = 0.0
    seeds: int = 10
    hidden_dims: list = field(default_factory=lambda: list(DEFAULT_HIDDEN_DIMS))
    batch_size: int = 32
    eval_epochs: int | None = None  # None: 5, or every epoch if there are fewer

    DESCRIPTIONS = DESCRIPTIONS

    def __post_init__(self):
        clean = {
            "learning_rates": check.distinct_list("learning_rates", self.learning_rates, _positive,
                                                  "a non-empty list of distinct numbers > 0, e.g. [0.0001, 0.01]"),
            "replay_ratios": check.distinct_list("replay_ratios", self.replay_ratios, _share,
                                                 "a non-empty list of distinct shares in [0, 1), e.g. [0, 0.2]"),
            "ewc_strengths": [] if self.ewc_strengths == [] else check.distinct_list(
                "ewc_strengths", self.ewc_strengths, _positive, "a list of distinct numbers > 0, or []"),
            "ewc_learning_rate": _positive("ewc_learning_rate", self.ewc_learning_rate),
            "joint": check.boolean("joint", self.joint),
            "phase1_epochs": check.integer("phase1_epochs", self.phase1_epochs, 1),
            "phase2_epochs": check.integer("phase2_epochs", self.phase2_epochs, 1),
            "phase1_examples": check.integer("phase1_examples", self.phase1_examples, 100),
            "therapy_examples": check.integer("therapy_examples", self.therapy_examples, 1),
            "overlap": _share("overlap", self.overlap),
            "seeds": check.integer("seeds", self.seeds, 3),
            "hidden_dims": check.integer_list("hidden_dims", self.hidden_dims, 1),
            "batch_size": check.integer("batch_size", self.batch_size, 1),
        }
        clean["eval_epochs"] = check.eval_epochs(self.eval_epochs, clean["phase2_epochs"])
        self._store(clean)

    @property
    def strategies(self) -> int:
        return len(self.learning_rates) * len(self.replay_ratios) + len(self.ewc_strengths)

    @property
    def networks(self) -> int:
        """Phase-1 networks, phase-2 networks and joint ones."""
        return self.seeds * (1 + self.strategies + self.joint)

    @property
    def epochs(self) -> str:
        return f"{self.phase1_epochs} + {self.phase2_epochs}"
