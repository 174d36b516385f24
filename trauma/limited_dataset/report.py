"""Tables and verdicts the Model 3 pages show: the specification's predicted gaps
and the hypothesised exponent against observations, and comparisons between
caregiver counts.

Comparisons between N are paired by seed (a seed's networks share their first
caregivers, its test caregivers, initial weights and data order). Each gets a
paired t-test and a Wilcoxon signed-rank test, both Holm-corrected across the
comparisons of one table; the direction a page states is the Holm-corrected
Wilcoxon test's. Beside each: the smallest difference the paired t-test detects
with 80 % power at the strictest Holm level (ALPHA / comparisons), from the
observed spread of the differences: what these seeds could have found.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..numerics import stats
from ..numerics.stats import (
    ALPHA,
    baseline_table,
    cell,
    detectable_difference,
    format_ci,
    holm,
    paired,
    paired_t,
    paired_t_power,
    verdict_about,
)
from .metrics import log_slope, power_law_band
from .sweep import FITTED, SweepResult, per_seed_table

SPEC_GAPS = {2: 0.33, 5: 0.11, 10: 0.03}  # the specification's predicted generalisation gaps
HYPOTHESIS_EXPONENT = 0.5  # gap ~ 1 / sqrt(N)
# "Unchanged" is said of an MSE change only when a paired equivalence test puts it
# within a fifth of the reference count's mean value (MSEs have no common scale, so
# the margin is relative; a fifth is about the smallest step between neighbouring
# counts that the specification's own gaps predict, 0.11 -> 0.03 being far larger).
RELATIVE_MARGIN = 0.2
COMPARED_COUNTS = (1, 2, 5, 10, 20)  # neighbours among these are compared, where the sweep has them
QUANTITY_LABELS = {
    "gap": "generalisation gap",
    "excess_mse": "excess test MSE over f*",
    "test_mse": "test MSE",
    "train_mse": "train MSE",
}


def count_cell(result: SweepResult, column: str, caregivers: int, test_set: str | None = None) -> dict:
    """mean, low, high, n of a per-network metric at one caregiver count."""
    return cell(result.summary(), column, caregivers=caregivers, test_set=test_set or result.config.headline_test_set)


def per_seed(result: SweepResult, column: str, caregivers: int, test_set: str | None = None) -> pd.Series:
    return stats.per_seed(
        result.networks, column, caregivers=caregivers, test_set=test_set or result.config.headline_test_set
    )


def count_difference(
    result: SweepResult,
    column: str,
    caregivers: int,
    reference: int,
    test_set: str | None = None,
    other: SweepResult | None = None,
) -> dict:
    """A metric at `caregivers` minus at `reference` (of the `other` sweep, if given:
    another variant with the same seeds), paired by seed, with an equivalence margin of
    RELATIVE_MARGIN times the reference's mean."""
    base = per_seed(other or result, column, reference, test_set)
    margin = RELATIVE_MARGIN * abs(base.mean())
    return paired(per_seed(result, column, caregivers, test_set) - base, margin=margin)


def compared_pairs(result: SweepResult) -> list[tuple[int, int]]:
    """Neighbours among COMPARED_COUNTS that the sweep has (or, if it has fewer than
    two of them, among its own counts), and the first against the last of them."""
    counts = [n for n in COMPARED_COUNTS if n in result.config.caregiver_counts]
    if len(counts) < 2:
        counts = result.config.caregiver_counts
    pairs = list(zip(counts[:-1], counts[1:]))
    return pairs + [(counts[0], counts[-1])] if len(counts) > 2 else pairs


def comparison_table(result: SweepResult, columns=("gap", "excess_mse"), test_set: str | None = None) -> pd.DataFrame:
    """The `compared_pairs` (larger N minus smaller), per column, with both tests
    Holm-corrected across every row of the table."""
    rows = []
    for column in columns:
        for low, high in compared_pairs(result):
            d = per_seed(result, column, high, test_set) - per_seed(result, column, low, test_set)
            rows.append(
                {
                    "quantity": column,
                    "from_n": low,
                    "to_n": high,
                    **paired(d),
                    **{f"t_{k}": v for k, v in paired_t(d).items()},
                }
            )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table["p_holm"] = holm(table.p)
    table["t_p_holm"] = holm(table.t_p)
    table["direction"] = table.direction.where(table.p_holm < ALPHA, "none")  # the Wilcoxon test's, if it survives Holm
    strictest = ALPHA / len(table)
    table["detectable"] = [
        detectable_difference(sd, n, strictest) if sd > 0 else 0.0 for sd, n in zip(table.t_sd, table.n)
    ]
    table["spec_power"] = [_spec_power(row, strictest) for row in table.itertuples()]
    return table


def _spec_power(row, alpha: float) -> float:
    """Power to detect the specification's predicted change of the gap, where it
    predicts both ends (NaN elsewhere)."""
    if row.quantity != "gap" or row.from_n not in SPEC_GAPS or row.to_n not in SPEC_GAPS or row.t_sd == 0:
        return float("nan")
    return paired_t_power(SPEC_GAPS[row.to_n] - SPEC_GAPS[row.from_n], row.t_sd, row.n, alpha)


def shown_comparisons(table: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    """The comparison table as the pages show it."""
    words = {"positive": "larger", "negative": "smaller", "none": "no clear change"}
    return pd.DataFrame(
        {
            "quantity": table.quantity.map(QUANTITY_LABELS),
            "N": [f"{a} → {b}" for a, b in zip(table.from_n, table.to_n)],
            "change [95 % CI]": [
                format_ci(m, lo, hi, digits=digits) for m, lo, hi in zip(table["mean"], table.low, table.high)
            ],
            "seeds down / up": [f"{d} / {u}" for d, u in zip(table.negative, table.positive)],
            "paired t (Holm p)": [
                f"t({df}) = {t:.2f}, p = {p:.2g}" for df, t, p in zip(table.t_df, table.t_t, table.t_p_holm)
            ],
            "Wilcoxon (Holm p)": [f"{p:.2g}" for p in table.p_holm],
            "direction": table.direction.map(words),
            "detectable (80 % power)": [f"{d:.{digits}f}" for d in table.detectable],
        }
    ).set_index(["quantity", "N"])


def predictions(result: SweepResult) -> pd.DataFrame:
    """The specification's predicted gaps at the counts the sweep has, and the
    hypothesised exponent, with verdicts ("about X": the whole interval in [X/2, 2X])."""
    rows = []
    for count, predicted in SPEC_GAPS.items():
        if count in result.config.caregiver_counts:
            observed = count_cell(result, "gap", count)
            rows.append(
                {
                    "prediction": f"gap at N = {count}",
                    "predicted": f"~ {predicted:g}",
                    "observed (mean [95 % CI])": format_ci(
                        observed["mean"], observed["low"], observed["high"], digits=4
                    ),
                    "verdict": verdict_about(predicted, observed["low"], observed["high"]),
                }
            )
    fit = result.fit("gap")
    rows.append(
        {
            "prediction": "exponent b of gap ~ N^(-b)",
            "predicted": f"~ {HYPOTHESIS_EXPONENT:g}",
            "observed (mean [95 % CI])": format_ci(fit["estimate"], fit["low"], fit["high"], digits=2),
            "verdict": exponent_verdict(result),
        }
    )
    return pd.DataFrame(rows).set_index("prediction")


def baselines(result: SweepResult) -> pd.DataFrame:
    """The headline metrics at the fewest and the most caregivers, beside the population
    predictor f*(x) = E[y | x], the best any x-only predictor does on novel caregivers:
    on excess MSE it scores 0 by construction, on test MSE the reference MSE (the
    caregivers' own variation, which no predictor can remove)."""
    rows = []
    for count in (min(result.config.caregiver_counts), max(result.config.caregiver_counts)):
        excess, test, reference = (count_cell(result, c, count) for c in ("excess_mse", "test_mse", "reference_mse"))
        rows += [
            (
                f"excess test MSE over f*, N = {count}",
                format_ci(excess["mean"], excess["low"], excess["high"], digits=4),
                "f* itself",
                "0",
            ),
            (
                f"test MSE, N = {count}",
                format_ci(test["mean"], test["low"], test["high"], digits=4),
                "f* itself",
                format_ci(reference["mean"], reference["low"], reference["high"], digits=4),
            ),
        ]
    return baseline_table(rows)


def exponent_verdict(result: SweepResult, test_set: str | None = None) -> str:
    """The verdict on "gap ~ N^(-0.5)": on the fitted exponent if one power law can
    describe the gap over the counts, "inconclusive" if it cannot: if the local slope
    between the first two compared counts and that between the last two differ (the
    95 % bootstrap interval of their difference excludes 0), the fitted exponent
    depends on the range of N, not on a law of the data."""
    fit = result.fit("gap", test_set)
    change = slope_change(result, "gap", test_set)
    if change["low"] > 0 or change["high"] < 0:
        shown = ", ".join(f"{s['estimate']:.2f}" for s in local_slopes(result, "gap", test_set))
        return f"inconclusive (no single power law: local slopes {shown})"
    return verdict_about(HYPOTHESIS_EXPONENT, fit["low"], fit["high"])


def _local_slopes(result: SweepResult, quantity: str, test_set: str | None) -> list[tuple[int, int, float, np.ndarray]]:
    """(from, to, estimate, bootstrap replicates [R]) per neighbouring pair of compared
    counts; every pair resampled with the same seeds (`stats.bootstrap_indices`)."""
    counts = [n for n in COMPARED_COUNTS if n in result.config.caregiver_counts]
    if len(counts) < 2:
        return []
    table = pd.concat({n: per_seed(result, quantity, n, test_set) for n in counts}, axis=1).dropna()
    if len(table) < 2:
        return []
    values = table.to_numpy()
    means = values[stats.bootstrap_indices(len(values))].mean(1)  # [R, counts]
    slopes = []
    with np.errstate(divide="ignore", invalid="ignore"):
        for i, (a, b) in enumerate(zip(counts[:-1], counts[1:])):
            step = np.log(b) - np.log(a)
            estimate = -(np.log(values[:, i + 1].mean()) - np.log(values[:, i].mean())) / step
            slopes.append((a, b, float(estimate), -(np.log(means[:, i + 1]) - np.log(means[:, i])) / step))
    return slopes


def _interval(replicates: np.ndarray) -> tuple[float, float]:
    """The percentile interval of bootstrap replicates; NaN if any is not finite (a
    resample whose mean is not positive has no logarithm)."""
    if not np.isfinite(replicates).all():
        return float("nan"), float("nan")
    tail = 100 * (1 - stats.CONFIDENCE) / 2
    low, high = np.percentile(replicates, [tail, 100 - tail])
    return float(low), float(high)


def local_slopes(result: SweepResult, quantity: str = "gap", test_set: str | None = None) -> list[dict]:
    """The exponent b of a N^(-b) between neighbouring counts of COMPARED_COUNTS (from,
    to, estimate, low, high): -(log of the mean at `to` - log at `from`) / (log `to` -
    log `from`), with a percentile bootstrap interval over seeds. One power law has one
    slope everywhere."""
    return [
        {"from": a, "to": b, "estimate": estimate, **dict(zip(("low", "high"), _interval(replicates)))}
        for a, b, estimate, replicates in _local_slopes(result, quantity, test_set)
    ]


def slope_change(result: SweepResult, quantity: str = "gap", test_set: str | None = None) -> dict:
    """The first local slope minus the last (`local_slopes`), with its bootstrap interval
    (the same resamples for both): away from 0, one power law does not fit."""
    slopes = _local_slopes(result, quantity, test_set)
    if len(slopes) < 2:
        return {"mean": float("nan"), "low": float("nan"), "high": float("nan")}
    first, last = slopes[0], slopes[-1]
    low, high = _interval(first[3] - last[3])
    return {"mean": first[2] - last[2], "low": low, "high": high}


def local_slopes_table(result: SweepResult, test_set: str | None = None) -> pd.DataFrame:
    """The gap's local slopes, the first minus the last, and the one exponent fitted
    through all counts."""
    fit = result.fit("gap", test_set)
    rows = [
        {"N": f"{s['from']} → {s['to']}", "b [95 % CI]": format_ci(s["estimate"], s["low"], s["high"], digits=2)}
        for s in local_slopes(result, "gap", test_set)
    ]
    change = slope_change(result, "gap", test_set)
    rows.append(
        {"N": "first minus last", "b [95 % CI]": format_ci(change["mean"], change["low"], change["high"], digits=2)}
    )
    rows.append({"N": "all (the fit)", "b [95 % CI]": format_ci(fit["estimate"], fit["low"], fit["high"], digits=2)})
    return pd.DataFrame(rows).set_index("N")


def gap_parts(result: SweepResult, caregivers: int, test_set: str | None = None) -> dict:
    """The generalisation gap (test MSE - train MSE) split exactly into the excess test
    MSE over f* (what the network loses on novel caregivers beyond the best x-only
    predictor) and f*'s test MSE minus the network's train MSE (how much more varied
    novel caregivers are than what the network fits on its own training set: with one
    caregiver, the whole between-caregiver variance, which that set cannot contain).
    Each a mean over seeds with its interval (`stats.mean_ci`)."""
    gap, excess = (per_seed(result, c, caregivers, test_set) for c in ("gap", "excess_mse"))
    unseen = per_seed(result, "reference_mse", caregivers, test_set) - per_seed(
        result, "train_mse", caregivers, test_set
    )
    return {
        name: dict(zip(("mean", "low", "high", "n"), stats.mean_ci(values)))
        for name, values in (("gap", gap), ("excess", excess), ("unseen", unseen))
    }


def gap_parts_table(result: SweepResult, test_set: str | None = None) -> pd.DataFrame:
    """Per compared count: the gap and its two parts (`gap_parts`)."""
    rows = []
    for n in [c for c in COMPARED_COUNTS if c in result.config.caregiver_counts] or result.config.caregiver_counts:
        parts = gap_parts(result, n, test_set)

        def shown(name):
            return format_ci(*(parts[name][k] for k in ("mean", "low", "high")), digits=4)

        rows.append(
            {
                "N": n,
                "gap": shown("gap"),
                "= excess test MSE over f*": shown("excess"),
                "+ f*'s test MSE − train MSE": shown("unseen"),
            }
        )
    return pd.DataFrame(rows).set_index("N")


def spec_exponent() -> float:
    """The exponent the specification's own predicted gaps imply (least squares on
    log scales), for comparison with the hypothesised 0.5."""
    counts = sorted(SPEC_GAPS)
    return float(log_slope(np.array(counts, dtype=float), np.array([[SPEC_GAPS[n] for n in counts]]))[0])


def fit_curves(result: SweepResult, test_set: str | None = None, points: int = 60) -> dict:
    """quantity -> (grid of N, fitted a N^(-b), 95 % band) for `plots.plot_by_caregivers`."""
    test_set = test_set or result.config.headline_test_set
    counts = result.config.caregiver_counts
    grid = np.geomspace(min(counts), max(counts), points)
    curves = {}
    for quantity in FITTED:
        fit = result.fit(quantity, test_set)
        if np.isfinite(fit["estimate"]):
            curves[quantity] = (
                grid,
                *power_law_band(fit, counts, per_seed_table(result.networks, quantity, test_set, counts), grid),
            )
    return curves


def share_remaining(
    result: SweepResult, column: str, caregivers: int, reference: int, test_set: str | None = None
) -> dict:
    """Mean at `caregivers` over mean at `reference` (e.g. how much of the gap with one
    caregiver remains with twenty), with a percentile bootstrap interval over seeds,
    resampled together at both counts (paired)."""
    a = per_seed(result, column, caregivers, test_set)
    b = per_seed(result, column, reference, test_set)
    both = pd.concat([a, b], axis=1).dropna().to_numpy()
    resampled = both[stats.bootstrap_indices(len(both))].mean(1)  # [R, 2]
    tail = 100 * (1 - stats.CONFIDENCE) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = np.percentile(resampled[:, 0] / resampled[:, 1], [tail, 100 - tail])
    return {"mean": both[:, 0].mean() / both[:, 1].mean(), "low": low, "high": high, "n": len(both)}
