"""Model 2 metrics, on clean labels, computed separately in and out of the context.

Per network (one value per seed, so a mean and interval over seeds):
- accuracy;
- confidence collapse: share of inputs with p(y = 1 | x) in (0.45, 0.55);
- confidence: mean |p - 0.5|;
- calibration error: mean |p - p_train|, where p_train(x) is the probability that a
  training label at x is 1, known from the clean label and the noise level (flip:
  p_train = y (1 - p) + (1 - y) p; randomise: y (1 - q) + q / 2); what a network that
  learned the noisy training distribution exactly would predict.

Across the seeds of one noise level (one value per level; its interval is a
jackknife over seeds: each seed left out in turn, +- t(S - 1) standard errors. A
bootstrap over seeds would draw some seeds twice, which shrinks a spread across
seeds and biases its interval low):
- instability: the standard deviation across seeds of p(y = 1 | x) at the same input,
  averaged over inputs. Function space, because weights of different seeds are not
  comparable (hidden units can be permuted);
- disagreement: the share of inputs on which the seeds do not all predict the same
  label.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from ..numerics.stats import CONFIDENCE

COLLAPSE_BAND = (0.45, 0.55)


def training_distribution(clean: np.ndarray, level: float, model: str, noisy_here: np.ndarray) -> np.ndarray:
    """p_train(x): the probability that a training label at these inputs is 1 (only
    inputs where `noisy_here` is true carry noise)."""
    clean = clean.astype(float)
    noisy = clean * (1 - level) + (1 - clean) * level if model == "flip" else clean * (1 - level) + level / 2
    return np.where(noisy_here, noisy, clean)


def network_metrics(p: np.ndarray, labels: np.ndarray, p_train: np.ndarray) -> dict[str, np.ndarray]:
    """p [M, n] predicted p(y = 1 | x); labels, p_train [n]. Returns [M] per metric."""
    low, high = COLLAPSE_BAND
    return {
        "accuracy": ((p > 0.5) == labels.astype(bool)).mean(1),
        "collapse": ((p > low) & (p < high)).mean(1),
        "confidence": np.abs(p - 0.5).mean(1),
        "calibration_error": np.abs(p - p_train).mean(1),
    }


def _seed_moments(p: np.ndarray, counts: np.ndarray):
    """For subsets of the seeds (counts [R, S]: how often each seed is used) of p
    [S, n]: the standard deviation across those seeds at every input [R, n] and how
    many of them predict 1 there [R, n]; NaN for fewer than two seeds (the others diverged)."""
    draws = counts.sum(1, keepdims=True)
    votes = counts @ (p > 0.5).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = counts @ p / draws
        squares = np.einsum("rs,rsn->rn", counts, (p[None] - mean[:, None]) ** 2)  # centred: no cancellation
        return np.sqrt(squares / np.where(draws > 1, draws - 1, np.nan)), votes


def jackknife_counts(num_seeds: int) -> np.ndarray:
    """Which seeds each evaluation uses ([S + 1, S] weights 0/1): first all seeds,
    then each seed left out in turn (the jackknife behind the across-seed intervals)."""
    return np.vstack([np.ones((1, num_seeds)), 1 - np.eye(num_seeds)])


def ensemble_metrics(p: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
    """p [S, n], the seeds' predictions at the same inputs -> instability (mean SD),
    variance (mean variance across seeds) and disagreement, per row of `counts`."""
    sd, votes = _seed_moments(p, counts)
    drawn = counts.sum(1, keepdims=True)
    return {
        "instability": sd.mean(1),
        "variance": (sd**2).mean(1),
        "disagreement": ((votes > 0) & (votes < drawn)).mean(1),
    }


def interval(values: np.ndarray) -> tuple[float, float, float]:
    """(estimate, low, high) from values computed with `jackknife_counts`: the estimate
    from all seeds, and a 95 % interval of +- t(S - 1) jackknife standard errors."""
    estimate, left_out = float(values[0]), np.asarray(values[1:], dtype=float)
    n = len(left_out)
    if n < 2:  # too few seeds (the others diverged) for an interval
        return estimate, float("nan"), float("nan")
    error = np.sqrt((n - 1) / n * ((left_out - left_out.mean()) ** 2).sum())
    half = stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1) * error
    return estimate, estimate - half, estimate + half


def power_law_exponent(levels: np.ndarray, variances: np.ndarray) -> np.ndarray:
    """Least-squares slope b of log(variance) on log(level), per row: variances [R, L]
    at levels [L] (all > 0) -> [R]."""
    x = np.log(levels)
    y = np.log(variances)
    x = x - x.mean()
    return ((y - y.mean(1, keepdims=True)) * x).sum(1) / (x**2).sum()


def realised_noise(clean: np.ndarray, labels: np.ndarray, context: np.ndarray) -> float:
    """Share of in-context training labels that differ from the clean label."""
    return float((labels[context] != clean[context]).mean())
