"""The "Findings at a glance" page: every prediction of every model's headline
variant (marked `headline:` in variants.yml) with the predicted value, the observed
value with its interval and the verdict, computed by that model's own report from
the results its page wrote, and each headline metric beside what a trivial predictor
scores on it. A new model adds its rows by naming its headline variant in the table."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ..models import by_template
from ..numerics import stats
from . import paths

# Distributions with a known mean, shaped like the book's per-seed values, on which the
# coverage of its 95 % intervals is measured: name -> (draw(rng, shape), true mean).
COVERAGE_SHAPES = {
    "normal (SD a fifth of the mean)": (lambda rng, shape: rng.normal(0.5, 0.1, shape), 0.5),
    "a skewed share, Beta(0.5, 10)": (lambda rng, shape: rng.beta(0.5, 10, shape), 0.5 / 10.5),
    "one seed in ten far off (0.05 or 0.6)": (
        lambda rng, shape: np.where(
            rng.random(shape) < 0.1, rng.normal(0.6, 0.05, shape), rng.normal(0.05, 0.02, shape)
        ),
        0.9 * 0.05 + 0.1 * 0.6,
    ),
}


def model_of(variant: str):
    """The model whose sweep wrote a variant's results (`trauma/models.py`)."""
    document = json.loads((paths.results_dir(variant) / "results.json").read_text())
    return by_template(document["model"])


def predictions(variant: str) -> pd.DataFrame:
    """A headline variant's predictions table, one row per prediction, its index
    levels joined into one label."""
    model = model_of(variant)
    table = model.predictions(model.load_results(paths.results_dir(variant)))
    labels = [
        ", ".join(
            _label(name, value) for name, value in zip(table.index.names, key if isinstance(key, tuple) else (key,))
        )
        for key in table.index
    ]
    return pd.DataFrame({"model": model.title, "prediction": labels, **{c: table[c].to_numpy() for c in table.columns}})


def _label(name, value) -> str:
    """One part of a prediction's label: a number with its index level's name
    ("λ = 10"), a word as it is ("replay")."""
    try:
        float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{name} = {value}"


def baselines_table(variants: list[str]) -> pd.DataFrame:
    """Each headline variant's metrics beside what trivial predictors score on them."""
    tables = []
    for variant in variants:
        model = model_of(variant)
        table = model.baselines(model.load_results(paths.results_dir(variant)))
        tables.append(pd.concat({model.title: table}, names=["model"]))
    return pd.concat(tables)


COVERAGE_TRIALS = 2000  # simulated experiments per cell: a coverage of 90 % is then known to about +- 1.3 points


def coverage_table(seeds=(10, 20)) -> pd.DataFrame:
    """The measured coverage (%) of the book's 95 % percentile-bootstrap interval of a
    mean over n seeds, per distribution shape (`COVERAGE_SHAPES`, `stats.coverage`)."""
    return pd.DataFrame(
        {
            f"{n} seeds": [
                100 * stats.coverage(draw, truth, n, COVERAGE_TRIALS) for draw, truth in COVERAGE_SHAPES.values()
            ]
            for n in seeds
        },
        index=pd.Index(list(COVERAGE_SHAPES), name="per-seed values"),
    ).round(1)


def findings_table(variants: list[str]) -> pd.DataFrame:
    return pd.concat([predictions(v) for v in variants], ignore_index=True).set_index(["model", "prediction"])


def verdict_counts(table: pd.DataFrame) -> dict:
    """How many predictions are supported, inconclusive, not supported."""
    words = table["verdict"].str.split(" (", regex=False).str[0]
    return {v: int((words == v).sum()) for v in ("supported", "inconclusive", "not supported")}
