"""Checking user-supplied parameters before any work starts.

Each check takes the parameter's name and a raw value (already parsed from YAML,
or given in Python) and returns the clean value, or raises `ParameterError` naming
the parameter and what is allowed.
"""

from __future__ import annotations

import dataclasses
import math

import yaml


class Parameters:
    """What every model's frozen SweepConfig dataclass shares: building it from the
    parameters a user named (unknown names are an error), as a dict, the seed list.
    A subclass sets DESCRIPTIONS (name -> what it means) and checks its fields in
    __post_init__, storing the clean values with `_store`."""

    DESCRIPTIONS: dict = {}

    @classmethod
    def from_overrides(cls, overrides: dict):
        """Defaults with some parameters replaced."""
        check_known(overrides, cls.DESCRIPTIONS)
        return cls(**overrides)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    @property
    def seed_list(self) -> list[int]:
        return list(self.__dict__.get("_shard_seeds", range(self.seeds)))

    def for_seeds(self, seeds) -> "Parameters":
        """The same sweep on some of its seeds (a shard, `trauma/shards.py`): `seeds`
        is their number and `seed_list` them. Not checked again: a shard may hold
        fewer seeds than the model's minimum, which applies to the whole sweep."""
        shard = dataclasses.replace(self)
        object.__setattr__(shard, "seeds", len(seeds))
        object.__setattr__(shard, "_shard_seeds", [int(s) for s in seeds])
        return shard

    def _store(self, clean: dict) -> None:
        for name, value in clean.items():
            object.__setattr__(self, name, value)


def eval_epochs(value, epochs: int, default: int = 5) -> int:
    """How many last epochs the metrics average over: `value`, or by default 5 (or
    every epoch if there are fewer)."""
    return integer("eval_epochs", min(default, epochs) if value is None else value, 1, maximum=epochs)


class ParameterError(ValueError):
    def __init__(self, name: str, allowed: str, value):
        self.name = name
        super().__init__(f"parameter {name!r}: must be {allowed}; got {value!r}")


def parse_value(name: str, text: str):
    """A command-line value parsed as YAML (`"[16, 8]"` -> [16, 8])."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ParameterError(name, "a YAML value such as 10, 0.001, adam or [16, 8]", text) from error


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


def check_known(names, known) -> None:
    for name in names:
        if name not in known:
            raise ParameterError(name, "one of the known parameters: " + ", ".join(known), name)
