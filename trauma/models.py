"""The book's models, registered once. The command line (`trauma sweep MODEL`), the
variants table (`variants.yml`: a template with `model:` runs that model's sweep)
and the tests learn about a model from here.

Every model package has the same shape: `config.py` (`SweepConfig`: parameters,
defaults, checks; `DESCRIPTIONS`; optionally `memory_estimate(config)` and
`SHARD_MIN_SEEDS`), `sweep.py` (`run_sweep(config, progress)`;
`merge_shards(config, shards)`: the sweep from its shards of seeds,
`trauma/shards.py`), `outputs.py` (`write_outputs(result, out_dir)`,
`load_results(out_dir)`), `report.py` (`predictions(result)`: the specification's
predictions with verdicts), besides its own data, model, grid and metrics modules.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Model:
    name: str  # on the command line: trauma sweep NAME
    package: str  # e.g. "trauma.extreme_penalty"
    template: str  # the notebook template of its variant pages (notebooks/<template>.md)
    title: str
    question: str  # one line for `trauma sweep --help`

    def _module(self, name: str):
        return importlib.import_module(f"{self.package}.{name}")

    @property
    def config(self):
        """The model's SweepConfig class."""
        return self._module("config").SweepConfig

    @property
    def descriptions(self) -> dict:
        return self._module("config").DESCRIPTIONS

    def run_sweep(self, config, progress: bool = False):
        return self._module("sweep").run_sweep(config, progress=progress)

    def merge_shards(self, config, shards):
        """The whole sweep's result from its shards' (trauma/shards.py), in seed order."""
        return self._module("sweep").merge_shards(config, shards)

    @property
    def shard_min_seeds(self) -> int:
        """The fewest seeds a shard of its sweep may hold (trauma/shards.py)."""
        return getattr(self._module("config"), "SHARD_MIN_SEEDS", 1)

    def memory_estimate(self, config) -> tuple[float, float] | None:
        """(fixed, per seed) bytes of a sweep's peak memory, or None without an estimate."""
        estimate = getattr(self._module("config"), "memory_estimate", None)
        return None if estimate is None else estimate(config)

    def write_outputs(self, result, out_dir):
        return self._module("outputs").write_outputs(result, out_dir)

    def load_results(self, out_dir):
        return self._module("outputs").load_results(out_dir)

    def predictions(self, result):
        """The specification's predictions against the observations, with verdicts
        (columns predicted, observed (mean [95 % CI]), verdict)."""
        return self._module("report").predictions(result)


MODELS = {
    model.name: model
    for model in (
        Model("extreme-penalty", "trauma.extreme_penalty", "extreme_penalty", "Model 1: Extreme Penalty",
              "does one extremely penalised example make the network over-correct on related inputs?"),
        Model("noisy-signals", "trauma.noisy_signals", "noisy_signals", "Model 2: Noisy Signals",
              "does label noise in one context make the network's behaviour there unstable?"),
        Model("limited-dataset", "trauma.limited_dataset", "limited_dataset", "Model 3: Limited Dataset",
              "with the same amount of experience, do networks that met fewer caregivers generalise worse to new ones?"),
        Model("catastrophic-forgetting", "trauma.catastrophic_forgetting", "catastrophic_forgetting",
              "Model 4: Catastrophic Forgetting",
              "how much of its first lesson does a network lose when therapy retrains it, and which strategy keeps it?"),
    )
}


def by_template(template: str) -> Model | None:
    """The model whose variant pages use this notebook template, if any."""
    return next((m for m in MODELS.values() if m.template == template), None)
