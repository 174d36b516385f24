"""Model 3 metrics, and the power-law fit of the generalisation gap.

Per network and test set (one value per seed, so a mean and interval over seeds):
- test MSE: squared error against the responses of the seed's 50 novel caregivers;
- reference MSE: the same for the population predictor f*(x) = E[y | x], the best
  any x-only model can do on novel caregivers (the same for every N of a seed);
- excess MSE = test MSE - reference MSE: what the network loses by having met few
  caregivers (or little data), on a scale where 0 is the best possible;
- train MSE on its own training interactions, and the generalisation gap =
  test MSE - train MSE.

The power law gap ~ a N^(-b) is fitted by least squares of log(mean gap over seeds)
on log(N); its interval is a percentile bootstrap over seeds (the seeds resampled
together for every N, since they are paired), with the resampling indices of
`trauma.numerics.stats`.
"""

from __future__ import annotations

import numpy as np

from ..numerics.stats import CONFIDENCE, bootstrap_indices


def mse(predicted: np.ndarray, target: np.ndarray) -> np.ndarray:
    """predicted [M, n], target [M, n] or [n] -> [M]."""
    return ((predicted - target) ** 2).mean(-1)


def log_slope(counts: np.ndarray, values: np.ndarray) -> np.ndarray:
    """b of the least-squares fit log(values) = log(a) - b log(N), per row of values
    [R, K] at counts [K]; NaN for a row with a value <= 0 (no power law through it)."""
    x = np.log(counts) - np.log(counts).mean()
    with np.errstate(invalid="ignore", divide="ignore"):
        y = np.log(np.where(values > 0, values, np.nan))
    return -((y - y.mean(1, keepdims=True)) * x).sum(1) / (x**2).sum()


def power_law(counts, gaps: np.ndarray) -> dict:
    """Fit gap ~ a N^(-b) to per-seed gaps [S, K] at counts [K]: b and a from the mean
    over seeds, the bootstrap interval of b, and the share of resamples with a
    mean gap <= 0 somewhere (where no power law fits)."""
    counts = np.asarray(counts, dtype=float)
    mean = gaps.mean(0)
    b = float(log_slope(counts, mean[None])[0])
    log_a = float(np.log(mean).mean() + b * np.log(counts).mean()) if np.isfinite(b) else float("nan")
    slopes = log_slope(counts, gaps[bootstrap_indices(len(gaps))].mean(1))
    finite = slopes[np.isfinite(slopes)]
    tail = 100 * (1 - CONFIDENCE) / 2
    low, high = np.percentile(finite, [tail, 100 - tail]) if len(finite) and np.isfinite(b) else (np.nan, np.nan)
    return {
        "counts": counts.tolist(),
        "estimate": b,
        "low": float(low),
        "high": float(high),
        "log_a": log_a,
        "unfit_share": float(1 - len(finite) / len(slopes)),
        "seeds": len(gaps),
    }


def power_law_band(
    fit: dict, counts: np.ndarray, gaps: np.ndarray, grid: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The fitted curve a N^(-b) on a grid of N, and its 95 % pointwise bootstrap band."""
    counts = np.asarray(counts, dtype=float)
    means = gaps[bootstrap_indices(len(gaps))].mean(1)  # [R, K]
    slopes = log_slope(counts, means)
    keep = np.isfinite(slopes)
    log_a = np.log(means[keep]).mean(1) + slopes[keep] * np.log(counts).mean()
    curves = np.exp(log_a[:, None] - slopes[keep][:, None] * np.log(grid)[None])
    tail = 100 * (1 - CONFIDENCE) / 2
    low, high = np.percentile(curves, [tail, 100 - tail], axis=0)
    return np.exp(fit["log_a"] - fit["estimate"] * np.log(grid)), low, high
