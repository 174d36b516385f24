"""The toy's one prediction: without noise, accuracy above 0.9; its headline metric
beside a coin."""

import pandas as pd

from trauma.numerics.stats import baseline_table, cell, format_ci, verdict_above

from .sweep import SweepResult


def predictions(result: SweepResult) -> pd.DataFrame:
    level = min(result.config.noise_levels)
    observed = cell(result.summary(), "accuracy", noise=level)
    return pd.DataFrame(
        [
            {
                "noise": level,
                "predicted": "> 0.9",
                "observed (mean [95 % CI])": format_ci(observed["mean"], observed["low"], observed["high"], digits=3),
                "verdict": verdict_above(0.9, observed["low"], observed["high"]),
            }
        ]
    ).set_index("noise")


def baselines(result: SweepResult) -> pd.DataFrame:
    level = min(result.config.noise_levels)
    observed = cell(result.summary(), "accuracy", noise=level)
    shown = format_ci(observed["mean"], observed["low"], observed["high"], digits=3)
    return baseline_table([("accuracy", shown, "a coin", "0.5"), ("accuracy", shown, "a perfect predictor", "1")])
