"""Model 2 metrics, on clean labels, computed separately in and out of the context.

Per network (one value per seed, so a mean and interval over seeds):
- accuracy;
- confidence collapse: share of inputs with p(y = 1 | x) in (0.45, 0.55);
- confidence: mean |p - 0.5|;
- calibration error: mean |p - p_train|, where p_train(x) is the probability that a
  training label at x is 1, known from the clean label and the noise level (flip:
  p_train = y (1 - p) + (1 - y) p; randomise: y (1 - q) + q / 2); what a network that
  learned the noisy training distribution exactly would predict;
- expected calibration error (ECE) against the training labels: predictions binned
  into ten equal-width bins of p, and per bin the distance between the mean p and
  the mean p_train (the expected frequency of label 1 among training labels there),
  weighted by the bin's share of inputs. A predictor that returns p_train scores 0,
  and so does a constant one at the mean of p_train: calibration is not accuracy;
- the mean predicted p(y = 1).

Across the seeds of one noise level (one value per level; its interval is a
jackknife over seeds: each seed left out in turn, +- t(S - 1) standard errors. A
bootstrap over seeds would draw some seeds twice, which shrinks a spread across
seeds and biases its interval low):
- instability: the standard deviation across seeds of p(y = 1 | x) at the same input,
  averaged over inputs. Function space, because weights of different seeds are not
  comparable (hidden units can be permuted);
- disagreement: the share of inputs on which the seeds do not all predict the same
  label.

The variance law (`power_law_fit`): seeds differ in initialisation, data order and
inputs as well as in their noisy labels, so at level 0 the variance across seeds is
already well above zero (the seed-noise floor). The part the noise adds is the excess
over level 0, subtracted in every jackknife replicate (the same seeds on both
sides); log(excess) is fitted on log(level) over the levels where the excess is
positive in every replicate, and local slopes between adjacent levels show the misfit.
Without level 0 the floor cannot be subtracted, and the fit is on the raw variance,
labelled as such.

Memorisation (`memorisation`): the share of a network's wrong (flipped) in-context
training labels it predicts as labelled, minus the share of fresh in-context inputs
(the probe set, same distribution) on which it predicts the flipped label: what the
network does at its own training points beyond what it does anywhere in the region.
A network that never memorises scores 0. Only below level 0.5: from 0.5 on, the
flipped label is the in-context majority (or a tie), and predicting it is
generalisation by definition.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from ..numerics.stats import CONFIDENCE

COLLAPSE_BAND = (0.45, 0.55)
CALIBRATION_BINS = 10
MAJORITY = 0.5  # from this level on the flipped label is no longer the in-context minority


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
        "ece": calibration_error(p, p_train),
        "mean_p": p.mean(1),
    }


def calibration_error(p: np.ndarray, p_train: np.ndarray) -> np.ndarray:
    """Expected calibration error of p [M, n] against the training-label probability
    p_train [n]: ten equal-width bins of p, per bin |mean p - mean p_train| weighted by
    its share of inputs. [M]."""
    bins = np.minimum((p * CALIBRATION_BINS).astype(int), CALIBRATION_BINS - 1)  # [M, n]
    rows = np.arange(len(p))[:, None] * CALIBRATION_BINS + bins
    size = len(p) * CALIBRATION_BINS
    gap = np.bincount(rows.ravel(), (p - p_train).ravel(), minlength=size).reshape(len(p), CALIBRATION_BINS)
    return np.abs(gap).sum(1) / p.shape[1]  # sum over a bin of (p - p_train) = its size x the gap of its means


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


def memorisation(wrong_agreement: np.ndarray, fresh_flipped: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Agreement with the wrong training labels minus the share of fresh in-context
    inputs given the flipped label (the generalisation baseline), per member [M, ...]
    at its level [M]; NaN at levels of MAJORITY and above, where the flipped label is
    not the minority and agreeing with it is what the learned rule does anyway."""
    levels = np.asarray(levels, dtype=float).reshape(-1, *([1] * (np.ndim(wrong_agreement) - 1)))
    return np.where(levels < MAJORITY, np.asarray(wrong_agreement) - np.asarray(fresh_flipped), np.nan)


def power_law_exponent(levels: np.ndarray, variances: np.ndarray) -> np.ndarray:
    """Least-squares slope b of log(variance) on log(level), per row: variances [R, L]
    at levels [L] (all > 0) -> [R]."""
    x = np.log(levels)
    y = np.log(variances)
    x = x - x.mean()
    return ((y - y.mean(1, keepdims=True)) * x).sum(1) / (x**2).sum()


def power_law_fit(variance: dict, floor_level: float = 0.0, upper: float = MAJORITY) -> dict:
    """The power law of the variance across seeds against the level. `variance`:
    level -> its jackknife rows [S + 1] (all seeds first, `jackknife_counts`).

    With `floor_level` among the levels, the law is fitted to the excess over it,
    subtracted in every replicate, over the levels in (floor_level, upper) whose excess
    is positive in every replicate (`excluded`: the others); without it, to the raw
    variance (`floor`: False). Returns the exponent (estimate, low, high, jackknife),
    the levels used, and the local slopes between adjacent fitted levels with their
    intervals (where the law holds they all equal the exponent)."""
    candidates = sorted(level for level in variance if floor_level < level < upper)
    floor = floor_level in variance
    rows = {level: np.asarray(variance[level], dtype=float) for level in candidates}
    if floor:
        rows = {level: values - np.asarray(variance[floor_level], dtype=float) for level, values in rows.items()}
    used = [level for level in candidates if (rows[level] > 0).all()]
    fit = {
        "quantity": "excess" if floor else "raw",
        "floor": floor,
        "levels": used,
        "excluded": [level for level in candidates if level not in used],
        "estimate": float("nan"),
        "low": float("nan"),
        "high": float("nan"),
        "local": [],
    }
    if len(used) < 2:
        return fit
    values = np.stack([rows[level] for level in used], axis=1)  # [S + 1, L]
    fit.update(zip(("estimate", "low", "high"), interval(power_law_exponent(np.array(used), values))))
    for i in range(len(used) - 1):
        slope = np.log(values[:, i + 1] / values[:, i]) / np.log(used[i + 1] / used[i])
        estimate, low, high = interval(slope)
        fit["local"].append({"from": used[i], "to": used[i + 1], "estimate": estimate, "low": low, "high": high})
    return fit


def realised_noise(clean: np.ndarray, labels: np.ndarray, context: np.ndarray) -> float:
    """Share of in-context training labels that differ from the clean label."""
    return float((labels[context] != clean[context]).mean())
