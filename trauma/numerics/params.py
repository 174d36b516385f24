"""Parameters: each declared once, with its default, what it means and its check.

A model's config is a frozen dataclass of `Parameters` whose fields are declared
with `parameter(default, description, check)`, or, for the training parameters
every model shares (seeds, epochs, hidden_dims, optimizer, learning_rate,
lr_schedule, batch_size, eval_epochs), with the declarations at the end of this
file. From that one declaration come the command line's help (`descriptions`),
the checks (run when the config is made, before any work starts), the variant
page's table of parameters (`defaults`), the notebook's config
(`from_namespace(globals())`) and the trainer's settings (`training`).

A check takes the parameter's name, the raw value (already parsed from YAML, or
given in Python) and the clean values of the fields declared before it, and returns
the clean value, or raises `ParameterError` naming the parameter and what is
allowed.
"""

from __future__ import annotations

import copy
import dataclasses
import math

import yaml

from .trainer import LR_SCHEDULES, OPTIMIZERS, Training


class ParameterError(ValueError):
    def __init__(self, name: str, allowed: str, value):
        self.name = name
        super().__init__(f"parameter {name!r}: must be {allowed}; got {value!r}")


def parameter(default, description: str, check, shared: bool = False):
    """A field of a config: its default, what it means, and its check
    (`check(name, value, checked)`, see the top of this file); `shared`: one of the
    declarations at the end of this file."""
    metadata = {"description": description, "check": check, "shared": shared}
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda: copy.deepcopy(default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


class Parameters:
    """What every model's config shares: its fields checked in declaration order when
    it is made; built from the parameters a user named (unknown names are an error)
    or from a notebook's variables; as a dict; the seed list; the trainer's settings."""

    def __post_init__(self):
        checked: dict = {}
        for spec in dataclasses.fields(self):
            checked[spec.name] = spec.metadata["check"](spec.name, getattr(self, spec.name), checked)
        for name, value in checked.items():
            object.__setattr__(self, name, value)

    @classmethod
    def descriptions(cls) -> dict[str, str]:
        """Every parameter's name and what it means, in declaration order."""
        return {spec.name: spec.metadata["description"] for spec in dataclasses.fields(cls)}

    @classmethod
    def defaults(cls) -> dict:
        """Every parameter's declared default, in declaration order (before the checks
        fill in what depends on other parameters, such as eval_epochs)."""
        return {
            spec.name: spec.default_factory() if spec.default is dataclasses.MISSING else spec.default
            for spec in dataclasses.fields(cls)
        }

    @classmethod
    def from_overrides(cls, overrides: dict):
        """Defaults with some parameters replaced."""
        check_known(overrides, cls.descriptions())
        return cls(**overrides)

    @classmethod
    def from_namespace(cls, namespace: dict):
        """The config of a notebook: its parameters are the variables (papermill
        injects them) named like the fields; the others keep their defaults."""
        return cls(**{name: namespace[name] for name in cls.descriptions() if name in namespace})

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    @property
    def training(self) -> Training:
        """The trainer's settings: the shared training parameters this config has."""
        names = [spec.name for spec in dataclasses.fields(Training)]
        return Training(**{name: getattr(self, name) for name in names if hasattr(self, name)})

    @property
    def seed_list(self) -> list[int]:
        return list(self.__dict__.get("_shard_seeds", range(self.seeds)))

    def for_seeds(self, seeds) -> Parameters:
        """The same sweep on some of its seeds (a shard, `trauma/numerics/shards.py`):
        `seeds` is their number and `seed_list` them. Not checked again: a shard may
        hold fewer seeds than the model's minimum, which applies to the whole sweep."""
        shard = dataclasses.replace(self)
        object.__setattr__(shard, "seeds", len(seeds))
        object.__setattr__(shard, "_shard_seeds", [int(s) for s in seeds])
        return shard


def parse_value(name: str, text: str):
    """A command-line value parsed as YAML (`"[16, 8]"` -> [16, 8])."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ParameterError(name, "a YAML value such as 10, 0.001, adam or [16, 8]", text) from error


def check_known(names, known) -> None:
    for name in names:
        if name not in known:
            raise ParameterError(name, "one of the known parameters: " + ", ".join(known), name)


# Checks of one value: (name, value, ...) -> the clean value, or ParameterError.


def _number(value) -> float | None:
    """The value as a finite float, or None. Accepts numbers and numeric strings
    (YAML reads `1e-3` as a string); rejects booleans, NaN and infinities."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def integer(name: str, value, minimum: int, maximum: int | None = None) -> int:
    number = _number(value)
    if number is None or number != int(number) or number < minimum or (maximum is not None and number > maximum):
        allowed = f"an integer >= {minimum}" if maximum is None else f"an integer from {minimum} to {maximum}"
        raise ParameterError(name, allowed, value)
    return int(number)


def boolean(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise ParameterError(name, "true or false", value)
    return value


def real(name: str, value, low: float, high: float = math.inf, low_open: bool = False) -> float:
    number = _number(value)
    bracket = "(" if low_open else "["
    if number is None or number < low or (low_open and number == low) or number > high:
        raise ParameterError(name, f"a number in {bracket}{low:g}, {high:g}]", value)
    return number


def choice(name: str, value, allowed) -> str:
    if value not in allowed:
        raise ParameterError(name, "one of " + ", ".join(allowed), value)
    return value


def integer_list(name: str, value, minimum: int) -> list[int]:
    allowed = f"a list of integers >= {minimum}, e.g. [16, 8] or []"
    if not isinstance(value, (list, tuple)):
        raise ParameterError(name, allowed, value)
    try:
        return [integer(name, item, minimum) for item in value]
    except ParameterError:
        raise ParameterError(name, allowed, value) from None


def distinct_list(name: str, value, item, allowed: str) -> list:
    """A non-empty list of distinct values, each checked by `item(name, value)`,
    sorted (as numbers); `allowed` describes it for the error message."""
    if not isinstance(value, (list, tuple)) or not value:
        raise ParameterError(name, allowed, value)
    try:
        items = [item(name, one) for one in value]
    except ParameterError:
        raise ParameterError(name, allowed, value) from None
    if len(set(items)) != len(items):
        raise ParameterError(name, allowed, value)
    return sorted(items)


# The same checks as a field's check (`parameter`), for the common cases.


def at_least(minimum: int):
    """An integer >= minimum."""
    return lambda name, value, checked: integer(name, value, minimum)


def within(low: float, high: float = math.inf, low_open: bool = False):
    """A number in [low, high] (or (low, high] if low_open)."""
    return lambda name, value, checked: real(name, value, low, high, low_open)


def one_of(allowed):
    return lambda name, value, checked: choice(name, value, allowed)


def true_or_false(name: str, value, checked) -> bool:
    return boolean(name, value)


# The training parameters every model shares, declared once. A model's config takes
# the ones it has, in the order it lists them, choosing its own defaults.
SHARED = ("seeds", "epochs", "hidden_dims", "optimizer", "learning_rate", "lr_schedule", "batch_size", "eval_epochs")


def seeds(default: int, least: int = 1):
    text = "number of seeds; seed i has its own data, initialisation and data order"
    return parameter(default, text, at_least(least), shared=True)


def epochs(default: int):
    return parameter(default, "training epochs", at_least(1), shared=True)


def hidden_dims(default):
    return parameter(
        list(default),
        "hidden layer sizes ([] for none: a linear model)",
        lambda name, value, checked: integer_list(name, value, 1),
        shared=True,
    )


def optimizer():
    return parameter("adam", "adam or sgd", one_of(OPTIMIZERS), shared=True)


def learning_rate(default: float = 1e-3):
    return parameter(default, "learning rate", within(0.0, low_open=True), shared=True)


def lr_schedule():
    text = "constant, or cosine (decays the learning rate to 0 over the epochs)"
    return parameter("constant", text, one_of(LR_SCHEDULES), shared=True)


def batch_size():
    return parameter(32, "minibatch size", at_least(1), shared=True)


def eval_epochs(of: str = "epochs", default: int = 5):
    """The metrics average over the networks after each of the last this many epochs
    of the parameter `of` (declared before it): None means `default`, or every epoch
    if there are fewer."""

    def check(name, value, checked):
        epochs = checked[of]
        return integer(name, min(default, epochs) if value is None else value, 1, maximum=epochs)

    text = (
        f"metrics are averaged over the networks after each of the last this many epochs of {of} "
        f"(default {default}, at most all)"
    )
    return parameter(None, text, check, shared=True)
