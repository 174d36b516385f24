"""The registry of models. The command line (`trauma sweep MODEL`), the book's table
of runs (`variants.yml`: a model's templates run its sweep or read its variants)
and the tests learn about a model from here, and from nowhere else: no other shared
module names a model.

A model is a package of the same shape as the four of the book:

    __init__.py  MODEL = Model(...): its name, title, question, templates, test sizes
    config.py    SweepConfig: its parameters, declared once (`trauma/numerics/params.py`);
                 optionally memory_estimate(config) and SHARD_MIN_SEEDS; the parameter
                 classes of the pages that read one of its variants (`pages`)
    dataset.py   its data (and the random streams of its own, `seeding.register_streams`)
    model.py     its network: layer sizes, loss, how to read the output
    ensemble.py  train_grid: its grid of networks with the shared trainer
    metrics.py   what it measures of a network
    sweep.py     run_sweep(config, progress) -> SweepResult (tables: `networks`, ...;
                 `run`: the trained grid, a GridRun); merge_shards(config, shards)
    outputs.py   write_outputs(result, folder), load_results(folder)
    report.py    predictions(result): the specification's predictions with verdicts
                 (columns predicted, observed (mean [95 % CI]), verdict); baselines(result):
                 its headline metrics beside what trivial predictors score on them
                 (`stats.baseline_table`); its pages' tables
    figures.py   its figures, static and interactive; interactive_figure(result)

It is registered under the entry-point group "trauma.models" (pyproject.toml), so a
model outside this repository registers the same way, from its own distribution.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points

GROUP = "trauma.models"


@dataclass(frozen=True)
class Model:
    name: str  # on the command line: trauma sweep NAME
    title: str
    question: str  # one line for `trauma sweep --help`
    package: str  # e.g. "trauma.extreme_penalty"
    template: str  # the notebook template of its variant pages (notebooks/<template>.md)
    # The other templates of its pages (a comparison, pages that read one variant):
    # template -> the name of their parameter class in config.py, or None (no parameters).
    # A page with parameters reads the variant its `source` parameter names, and its
    # class checks itself against that variant's config (`check_source(config)`).
    pages: dict = field(default_factory=dict)
    # For the tests every model passes (tests/test_models.py): the parameters of a
    # sweep that trains in seconds, and overrides of them under which some of its
    # networks diverge (trauma/numerics/trainer.py, DIVERGED_FACTOR).
    tiny: dict = field(default_factory=dict)
    diverging: dict = field(default_factory=dict)

    def module(self, name: str):
        """One of the package's modules, e.g. "report"."""
        return importlib.import_module(f"{self.package}.{name}")

    @property
    def templates(self) -> tuple[str, ...]:
        """Every template of its pages: its variant pages' and the others."""
        return (self.template, *self.pages)

    def page_config(self, template: str):
        """The parameter class of one of its pages (None: the page takes none)."""
        if template == self.template:
            return self.config
        name = self.pages[template]
        return None if name is None else getattr(self.module("config"), name)

    @property
    def config(self):
        """The model's SweepConfig class."""
        return self.module("config").SweepConfig

    def run_sweep(self, config, progress: bool = False):
        return self.module("sweep").run_sweep(config, progress=progress)

    def merge_shards(self, config, shards):
        """The whole sweep's result from its shards' (trauma/numerics/shards.py), in seed order."""
        return self.module("sweep").merge_shards(config, shards)

    @property
    def shard_min_seeds(self) -> int:
        """The fewest seeds a shard of its sweep may hold (trauma/numerics/shards.py)."""
        return getattr(self.module("config"), "SHARD_MIN_SEEDS", 1)

    def memory_estimate(self, config) -> tuple[float, float] | None:
        """(fixed, per seed) bytes of a sweep's peak memory, or None without an estimate."""
        estimate = getattr(self.module("config"), "memory_estimate", None)
        return None if estimate is None else estimate(config)

    def write_outputs(self, result, out_dir):
        return self.module("outputs").write_outputs(result, out_dir)

    def load_results(self, out_dir):
        return self.module("outputs").load_results(out_dir)

    def predictions(self, result):
        """The specification's predictions against the observations, with verdicts
        (columns predicted, observed (mean [95 % CI]), verdict)."""
        return self.module("report").predictions(result)

    def baselines(self, result):
        """Its headline metrics beside what trivial predictors (a constant answer,
        chance, a network without the cause) score on them (`stats.baseline_table`)."""
        return self.module("report").baselines(result)

    def interactive_figure(self, result) -> dict:
        """The variant page's main figure as a Plotly specification (`trauma.page.interactive`)."""
        return self.module("figures").interactive_figure(result)


class _Registry(Mapping):
    """name -> Model of every registered model, in the order of their titles, loaded
    when first asked for (a model's package imports this module to declare itself)."""

    def __init__(self):
        self._models: dict | None = None

    def _loaded(self) -> dict:
        if self._models is None:
            models = sorted((point.load() for point in entry_points(group=GROUP)), key=lambda model: model.title)
            self._models = {model.name: model for model in models}
            if len(self._models) != len(models):
                raise RuntimeError(f"two models registered under one name: {[m.name for m in models]}")
        return self._models

    def __getitem__(self, name: str) -> Model:
        return self._loaded()[name]

    def __iter__(self):
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())


MODELS = _Registry()


def by_template(template: str) -> Model | None:
    """The model whose variant pages use this notebook template, if any."""
    return next((m for m in MODELS.values() if m.template == template), None)


def owner(template: str) -> Model | None:
    """The model one of whose templates this is (its variant pages', a comparison's,
    a page reading one variant's), if any."""
    return next((m for m in MODELS.values() if template in m.templates), None)
