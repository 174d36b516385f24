"""The parameters of a Model 4 sweep: names, defaults (the issue's factorial grid of
therapy learning rates x replay shares, three strengths of elastic weight
consolidation, joint training as the reference, the specification's network and
training, 10 seeds) and their checks. The command line and the notebooks use the
same names."""

from __future__ import annotations

from dataclasses import dataclass

from ..numerics import params
from .model import DEFAULT_HIDDEN_DIMS


def _positive(name, value):
    return params.real(name, value, 0.0, low_open=True)


def _share(name, value):
    share = params.real(name, value, 0.0, 1.0)
    if share == 1.0:
        raise params.ParameterError(name, "a number in [0, 1)", value)
    return share


def _strengths(name, value, checked) -> list:
    if value == []:
        return []
    return params.distinct_list(name, value, _positive, "a list of distinct numbers > 0, or []")


@dataclass(frozen=True)
class SweepConfig(params.Parameters):
    learning_rates: list = params.parameter(
        [1e-4, 3e-4, 1e-3, 3e-3, 1e-2],
        "phase-2 (therapy) learning rates, distinct numbers > 0",
        lambda name, value, checked: params.distinct_list(
            name, value, _positive, "a non-empty list of distinct numbers > 0, e.g. [0.0001, 0.01]"
        ),
    )
    replay_ratios: list = params.parameter(
        [0.0, 0.1, 0.2, 0.3, 0.5],
        "shares of replayed phase-1 examples in the therapy set, distinct numbers in [0, 1)",
        lambda name, value, checked: params.distinct_list(
            name, value, _share, "a non-empty list of distinct shares in [0, 1), e.g. [0, 0.2]"
        ),
    )
    ewc_strengths: list = params.parameter(
        [1e3, 1e4, 1e5],
        "strengths of elastic weight consolidation (numbers > 0; [] for none), at ewc_learning_rate without replay",
        _strengths,
    )
    ewc_learning_rate: float = params.parameter(
        1e-2, "the phase-2 learning rate of the EWC strategies", lambda name, value, checked: _positive(name, value)
    )
    joint: bool = params.parameter(
        True,
        "also train from scratch on phase 1 and therapy together, the reference (true/false)",
        params.true_or_false,
    )
    phase1_epochs: int = params.parameter(100, "phase-1 (trauma) training epochs", params.at_least(1))
    phase2_epochs: int = params.parameter(50, "phase-2 (therapy) training epochs", params.at_least(1))
    phase1_examples: int = params.parameter(10_000, "phase-1 training examples per seed", params.at_least(100))
    therapy_examples: int = params.parameter(
        150, "therapy training examples per seed (before replay)", params.at_least(1)
    )
    overlap: float = params.parameter(
        0.0,
        "share of phase-1 inputs drawn from the therapy region (with the danger target), in [0, 1)",
        lambda name, value, checked: _share(name, value),
    )
    seeds: int = params.seeds(10, least=3)
    hidden_dims: list = params.hidden_dims(DEFAULT_HIDDEN_DIMS)
    batch_size: int = params.batch_size()
    eval_epochs: int | None = params.eval_epochs(of="phase2_epochs")

    @property
    def strategies(self) -> int:
        return len(self.learning_rates) * len(self.replay_ratios) + len(self.ewc_strengths)

    @property
    def networks(self) -> int:
        """Phase-1 networks, phase-2 networks and joint ones."""
        return self.seeds * (1 + self.strategies + self.joint)
