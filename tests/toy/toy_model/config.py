"""The toy model's parameters, each declared once."""

from dataclasses import dataclass

from trauma.numerics import params


@dataclass(frozen=True)
class SweepConfig(params.Parameters):
    noise_levels: list = params.parameter(
        [0.0, 0.3],
        "shares of training labels replaced by a fair coin, distinct numbers in [0, 1]",
        lambda name, value, checked: params.distinct_list(
            name, value, lambda n, v: params.real(n, v, 0.0, 1.0), "a non-empty list of distinct numbers in [0, 1]"
        ),
    )
    seeds: int = params.seeds(3)
    epochs: int = params.epochs(5)
    hidden_dims: list = params.hidden_dims([4])
    train_examples: int = params.parameter(300, "training inputs per seed", params.at_least(10))
    optimizer: str = params.optimizer()
    learning_rate: float = params.learning_rate(1e-2)
    lr_schedule: str = params.lr_schedule()
    batch_size: int = params.batch_size()
    eval_epochs: int | None = params.eval_epochs()

    @property
    def networks(self) -> int:
        return len(self.noise_levels) * self.seeds
