"""Tables and verdicts the Model 2 pages show: the specification's predictions
against observations, the power-law exponent, and comparisons between noise levels.

Per-network quantities (accuracy, collapse, ...) are compared between levels per
seed (the same seed's networks share inputs and noise draws) with a Wilcoxon
signed-rank test (`trauma.numerics.stats.paired`). Across-seed quantities (instability,
disagreement) have one value per level; a difference between two levels gets a
jackknife interval over seeds, and its direction is decided by whether that
interval excludes zero."""

from __future__ import annotations

import pandas as pd

from ..numerics import stats
from ..numerics.stats import cell, format_ci, paired, verdict_about, verdict_about_share
from .metrics import interval
from .sweep import SweepResult

# The specification's predictions per flip level (in the context, where the noise is).
SPEC_PREDICTIONS = {
    0.05: {"instability": 0.08, "collapse": 0.08, "accuracy": 0.92},
    0.30: {"instability": 0.18, "collapse": 0.24, "accuracy": 0.71},
    0.60: {"instability": 0.34, "collapse": 0.43, "accuracy": 0.54},
}
HYPOTHESIS_EXPONENT = 0.5  # prediction variance ~ sqrt(level)
CHANCE = 0.5  # the accuracy of guessing a binary label
QUANTITY_LABELS = {
    "instability": "prediction SD across seeds",
    "collapse": "confidence collapse, share with p in (0.45, 0.55)",
    "accuracy": "accuracy (the factor of two on the error rate 1 − accuracy)",
}


def network_cell(result: SweepResult, column: str, level: float, subset: str = "in_context") -> dict:
    """mean, low, high, n of a per-network metric at one level and subset."""
    return cell(result.summary(), column, noise=level, subset=subset)


def ensemble_cell(result: SweepResult, column: str, level: float, subset: str = "in_context") -> dict:
    """value, low, high of an across-seed metric at one level and subset (as mean/low/high)."""
    row = result.ensemble.query("noise == @level and subset == @subset").iloc[0]
    return {"mean": row[column], "low": row[f"{column}_low"], "high": row[f"{column}_high"], "n": int(row["seeds"])}


def per_seed(result: SweepResult, column: str, level: float, subset: str = "in_context") -> pd.Series:
    """A per-network metric's per-seed values at one level and subset."""
    return stats.per_seed(result.networks, column, noise=level, subset=subset)


def level_difference(
    result: SweepResult, column: str, level: float, reference: float, subset: str = "in_context"
) -> dict:
    """A per-network metric at `level` minus at `reference`, paired by seed."""
    return paired(per_seed(result, column, level, subset) - per_seed(result, column, reference, subset))


def predictions(result: SweepResult) -> pd.DataFrame:
    """The specification's predictions at the levels the sweep has, with verdicts.
    "About X" is supported only when the whole interval lies in [X/2, 2X]; for
    accuracy the rule is applied to the error rate, where a factor of two means
    something (any accuracy above X/2 would otherwise count)."""
    rows = []
    for level, predictions in SPEC_PREDICTIONS.items():
        if level not in set(result.config.noise_levels):
            continue
        for quantity, predicted in predictions.items():
            if quantity == "instability":
                observed = ensemble_cell(result, "instability", level)
            else:
                observed = network_cell(result, quantity, level)
            if quantity == "accuracy":  # chance: a binary answer; below it, the inverted rule was learned
                verdict = verdict_about_share(predicted, observed["low"], observed["high"], reference=CHANCE)
            else:
                verdict = verdict_about(predicted, observed["low"], observed["high"])
            percent = quantity != "instability"
            rows.append(
                {
                    "level": f"{level:g}",
                    "quantity": QUANTITY_LABELS[quantity],
                    "predicted": f"~ {100 * predicted:g} %" if percent else f"~ {predicted:g}",
                    "observed (mean [95 % CI])": format_ci(
                        observed["mean"], observed["low"], observed["high"], percent=percent, digits=1 if percent else 3
                    ),
                    "verdict": verdict,
                }
            )
    return pd.DataFrame(rows).set_index(["level", "quantity"])


def exponent_verdict(result: SweepResult) -> str:
    e = result.exponent
    return verdict_about(HYPOTHESIS_EXPONENT, e["low"], e["high"])


def ensemble_difference(
    result: SweepResult,
    column: str,
    level: float,
    reference: float,
    subset: str = "in_context",
    other: SweepResult | None = None,
) -> dict:
    """An across-seed metric at `level` minus at `reference` (of the `other` sweep, if
    given, e.g. another variant with the same seeds): the difference with its
    jackknife interval (the same seed left out on both sides), and its direction:
    positive or negative when the interval excludes zero. Shaped like `stats.paired`
    (no per-seed counts, no p-value)."""
    rows = result.jackknife.query("subset == @subset").set_index(["noise", "left_out"])[column]
    base = (other or result).jackknife.query("subset == @subset").set_index(["noise", "left_out"])[column]
    difference = (rows.loc[level] - base.loc[reference]).sort_index().to_numpy()  # left_out -1 (all seeds) first
    estimate, low, high = interval(difference)
    direction = "positive" if low > 0 else "negative" if high < 0 else "none"
    return {
        "mean": estimate,
        "low": low,
        "high": high,
        "n": len(difference) - 1,
        "positive": 0,
        "negative": 0,
        "zero": 0,
        "p": float("nan"),
        "direction": direction,
    }


METRICS = ["accuracy", "collapse", "confidence", "calibration_error"]
