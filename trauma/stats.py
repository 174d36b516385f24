"""Means over seeds with 95 % confidence intervals (Student t), for every reported number.

For paired comparisons (e.g. over-correction at lambda minus over-correction at
lambda = 1 of the same seed) compute the per-seed difference first, then its mean
and CI here. Non-finite values (diverged runs) are left out and the seed count n
says how many were used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

CONFIDENCE = 0.95


def mean_ci(values, confidence: float = CONFIDENCE, bounds=(-np.inf, np.inf)) -> tuple[float, float, float, int]:
    """(mean, low, high, n) of the finite values; the CI is NaN when n < 2, has zero
    width when all values are equal, and is cut to `bounds`, the range the quantity
    can take (e.g. 0 to 1 for a share)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    n = len(values)
    if n == 0:
        return float("nan"), float("nan"), float("nan"), 0
    mean = float(values.mean())
    if n < 2:
        return mean, float("nan"), float("nan"), n
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * values.std(ddof=1) / np.sqrt(n)
    return mean, float(max(mean - half, bounds[0])), float(min(mean + half, bounds[1])), n


def summarise(table: pd.DataFrame, by: list[str], columns: list[str], bounds: dict | None = None) -> pd.DataFrame:
    """One row per `by` cell: for each column, <col>_mean, <col>_low, <col>_high and
    <col>_n (values over seeds, one per row of the cell). `bounds` maps a column to
    the range its CI is cut to."""
    bounds = bounds or {}
    rows = []
    for key, cell in table.groupby(by, sort=False, dropna=False):
        row = dict(zip(by, key if isinstance(key, tuple) else (key,)))
        for column in columns:
            mean, low, high, n = mean_ci(cell[column], bounds=bounds.get(column, (-np.inf, np.inf)))
            row.update({f"{column}_mean": mean, f"{column}_low": low, f"{column}_high": high, f"{column}_n": n})
        rows.append(row)
    return pd.DataFrame(rows)


def format_ci(mean: float, low: float, high: float, percent: bool = False, digits: int = 1) -> str:
    """'12.3 % [10.1, 14.5]' (percent=True) or '1.23 [1.01, 1.45]'."""
    scale, unit = (100.0, " %") if percent else (1.0, "")
    if not np.isfinite(mean):
        return "n/a"
    if not np.isfinite(low):
        return f"{mean * scale:.{digits}f}{unit}"
    return f"{mean * scale:.{digits}f}{unit} [{low * scale:.{digits}f}, {high * scale:.{digits}f}]"
