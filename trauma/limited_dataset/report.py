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
    another variant with the same seeds), paired by seed, with the equivalence margin
    `margin_of` the reference's value."""
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
    fit = result.fit("gap", test_set)
    return verdict_about(HYPOTHESIS_EXPONENT, fit["low"], fit["high"])


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
