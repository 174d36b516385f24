"""Tables and verdicts the Model 2 pages show: the specification's predictions
against observations, the power-law exponent (on the excess variance over level 0),
memorisation beside its generalisation baseline, collapse beside calibration, the
spread against the training length, and comparisons between noise levels.

Per-network quantities (accuracy, collapse, ...) are compared between levels per
seed (the same seed's networks share inputs and noise draws) with a Wilcoxon
signed-rank test (`trauma.numerics.stats.paired`). Across-seed quantities (instability,
disagreement) have one value per level; a difference between two levels gets a
jackknife interval over seeds, and its direction is decided by whether that
interval excludes zero."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from ..numerics import stats
from ..numerics.stats import baseline_table, cell, format_ci, paired, verdict_about, verdict_about_share
from .dataset import evaluation_sets
from .metrics import COLLAPSE_BAND, MAJORITY, interval, training_distribution
from .sweep import SweepResult

# The specification's predictions per flip level (in the context, where the noise is).
SPEC_PREDICTIONS = {
    0.05: {"instability": 0.08, "collapse": 0.08, "accuracy": 0.92},
    0.30: {"instability": 0.18, "collapse": 0.24, "accuracy": 0.71},
    0.60: {"instability": 0.34, "collapse": 0.43, "accuracy": 0.54},
}
HYPOTHESIS_EXPONENT = 0.5  # prediction variance ~ sqrt(level)
CHANCE = 0.5  # the accuracy of guessing a binary label
QUANTITY_LABELS = {  # {epochs}: the configured training length
    "instability": "prediction SD across seeds after {epochs} epochs (fixed length, no validation; "
    "it changes with training, seed-noise floor included)",
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
    result: SweepResult,
    column: str,
    level: float,
    reference: float,
    subset: str = "in_context",
    margin: float | None = None,
) -> dict:
    """A per-network metric at `level` minus at `reference`, paired by seed (with an
    equivalence margin, if given: `stats.paired`)."""
    return paired(per_seed(result, column, level, subset) - per_seed(result, column, reference, subset), margin=margin)


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
                    "quantity": QUANTITY_LABELS[quantity].format(epochs=result.config.epochs),
                    "predicted": f"~ {100 * predicted:g} %" if percent else f"~ {predicted:g}",
                    "observed (mean [95 % CI])": format_ci(
                        observed["mean"], observed["low"], observed["high"], percent=percent, digits=1 if percent else 3
                    ),
                    "verdict": verdict,
                }
            )
    return pd.DataFrame(rows).set_index(["level", "quantity"])


def baselines(result: SweepResult) -> pd.DataFrame:
    """The headline metrics in the context, at the specification's middle level (0.3,
    or the largest level below 0.5 the sweep has), beside what trivial predictors score:
    the across-seed SD against the level-0 networks (the seed-noise floor) and any
    predictor that does not depend on the seed; accuracy against a coin and a constant
    answer; collapse against a perfectly calibrated predictor."""
    below = [level for level in result.config.noise_levels if 0 < level < MAJORITY]
    if not below:
        return baseline_table([])
    level = 0.3 if 0.3 in below else max(below)
    rows = []
    spread = ensemble_cell(result, "instability", level)
    metric = f"prediction SD across seeds, p = {level:g}, after {result.config.epochs} epochs"
    shown = format_ci(spread["mean"], spread["low"], spread["high"], digits=3)
    if 0 in result.config.noise_levels:
        floor = ensemble_cell(result, "instability", 0)
        rows.append(
            (
                metric,
                shown,
                "the p = 0 networks (seed-noise floor)",
                format_ci(floor["mean"], floor["low"], floor["high"], digits=3),
            )
        )
    rows.append((metric, shown, "any predictor that does not depend on the seed", "0"))
    accuracy = network_cell(result, "accuracy", level)
    metric = f"accuracy on clean labels, p = {level:g}"
    shown = format_ci(accuracy["mean"], accuracy["low"], accuracy["high"], percent=True)
    labels = evaluation_sets()["context_probe"].labels
    majority = max(labels.mean(), 1 - labels.mean())
    rows += [
        (metric, shown, "a coin", f"{100 * CHANCE:g} %"),
        (metric, shown, "a constant answer", f"{100 * majority:.1f} %"),
    ]
    collapse = network_cell(result, "collapse", level)
    rows.append(
        (
            f"confidence collapse, p = {level:g}",
            format_ci(collapse["mean"], collapse["low"], collapse["high"], percent=True),
            "a perfectly calibrated predictor",
            f"{100 * calibrated_reference(result, level)['collapse']:.0f} %",
        )
    )
    return baseline_table(rows)


def exponent_verdict(result: SweepResult, fit: dict | None = None) -> str:
    """The verdict on "variance ~ sqrt(level)" from the fit of the excess variance
    (`result.exponent`; the raw one where the sweep has no level 0), or from `fit`."""
    e = result.exponent if fit is None else fit
    if len(e["levels"]) < 2:
        return "not tested (fewer than two levels between 0 and 0.5 where the law can hold)"
    return verdict_about(HYPOTHESIS_EXPONENT, e["low"], e["high"])


def fit_quantity(fit: dict) -> str:
    """What a power-law fit was fitted to, in words."""
    if fit["floor"]:
        return "the excess variance over the level-0 floor"
    return "the raw variance (level 0 is not among the levels, so the seed-noise floor could not be subtracted)"


def local_slopes(fit: dict) -> pd.DataFrame:
    """The fit's misfit: the slope of log(excess) between adjacent levels, with its
    jackknife interval, beside the one exponent fitted through all of them."""
    rows = [
        {
            "levels": f"{s['from']:g} → {s['to']:g}",
            "local slope [95 % CI]": format_ci(s["estimate"], s["low"], s["high"], digits=2),
        }
        for s in fit["local"]
    ]
    rows.append(
        {
            "levels": "all (the fit)",
            "local slope [95 % CI]": format_ci(fit["estimate"], fit["low"], fit["high"], digits=2),
        }
    )
    return pd.DataFrame(rows).set_index("levels")


def spread_at(result: SweepResult, level: float, epoch: int, column: str = "instability") -> dict:
    """An in-context across-seed quantity of the networks after one recorded epoch (as mean/low/high/n)."""
    row = result.by_epoch.query("noise == @level and epoch == @epoch").iloc[0]
    return {"mean": row[column], "low": row[f"{column}_low"], "high": row[f"{column}_high"], "n": int(row["seeds"])}


def memorised_per_seed(result: SweepResult, level: float, column: str = "memorised") -> pd.Series:
    """A training-table quantity per seed at one level, averaged over the epochs the
    metrics average (the last `eval_epochs`). Memorisation is refused at levels of
    0.5 and above, where the flipped label is not the in-context minority."""
    if column == "memorised" and level >= MAJORITY:
        raise ValueError(
            f"memorisation is not defined at level {level:g}: from {MAJORITY:g} on the flipped label is not the "
            "in-context minority, and predicting it is generalisation"
        )
    config = result.config
    table = result.training[
        (result.training.noise == level) & (result.training.epoch > config.epochs - config.eval_epochs)
    ]
    return table.groupby("seed")[column].mean().sort_index()


def memorisation_table(result: SweepResult) -> pd.DataFrame:
    """Per level in (0, 0.5): agreement with the wrong training labels, the flipped
    label on fresh in-context inputs (the generalisation baseline), and memorisation,
    their difference, beside what a network that never memorises scores (0)."""
    rows = []
    for level in [level for level in result.config.noise_levels if 0 < level < MAJORITY]:
        found = {
            c: paired(memorised_per_seed(result, level, c)) for c in ("wrong_agreement", "fresh_flipped", "memorised")
        }
        rows.append(
            {
                "level": f"{level:g}",
                "predicts its wrong training labels": _percent(found["wrong_agreement"]),
                "gives fresh in-context inputs the flipped label": _percent(found["fresh_flipped"]),
                "memorisation (points)": format_ci(
                    100 * found["memorised"]["mean"], 100 * found["memorised"]["low"], 100 * found["memorised"]["high"]
                ),
                "a network that never memorises": "0",
            }
        )
    return pd.DataFrame(rows).set_index("level") if rows else pd.DataFrame()


def calibrated_reference(result: SweepResult, level: float) -> dict:
    """What a perfectly calibrated predictor (it returns p_train, the probability that
    a training label at x is 1) scores in the context: its collapse, its ECE (0) and
    the frequency of label 1 among training labels there."""
    probe = evaluation_sets()["context_probe"]
    p_train = training_distribution(probe.labels, level, result.config.noise_model, probe.context)
    low, high = COLLAPSE_BAND
    return {
        "collapse": float(((p_train > low) & (p_train < high)).mean()),
        "ece": 0.0,
        "label_rate": float(p_train.mean()),
    }


def calibration_table(result: SweepResult) -> pd.DataFrame:
    """Per level, in the context: collapse, ECE and the mean predicted p(y = 1) of the
    networks, each beside what a perfectly calibrated predictor scores."""
    rows = []
    for level in result.config.noise_levels:
        reference = calibrated_reference(result, level)
        cells = {c: network_cell(result, c, level) for c in ("collapse", "ece", "mean_p")}
        rows.append(
            {
                "level": f"{level:g}",
                "collapse": format_ci(
                    cells["collapse"]["mean"], cells["collapse"]["low"], cells["collapse"]["high"], percent=True
                ),
                "collapse, calibrated predictor": f"{100 * reference['collapse']:.0f} %",
                "ECE": format_ci(cells["ece"]["mean"], cells["ece"]["low"], cells["ece"]["high"], digits=3),
                "ECE, calibrated predictor": "0",
                "mean p(y = 1)": format_ci(
                    cells["mean_p"]["mean"], cells["mean_p"]["low"], cells["mean_p"]["high"], digits=3
                ),
                "training labels = 1": f"{reference['label_rate']:.3f}",
            }
        )
    return pd.DataFrame(rows).set_index("level")


def _percent(test: dict) -> str:
    return format_ci(test["mean"], test["low"], test["high"], percent=True)


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
    jackknife interval (the same seed left out on both sides), the p-value of the
    jackknife t-test that matches it, and its direction: positive or negative when
    the interval excludes zero (before any family correction). Shaped like
    `stats.paired` (no per-seed counts)."""
    rows = result.jackknife.query("subset == @subset").set_index(["noise", "left_out"])[column]
    base = (other or result).jackknife.query("subset == @subset").set_index(["noise", "left_out"])[column]
    difference = (rows.loc[level] - base.loc[reference]).sort_index().to_numpy()  # left_out -1 (all seeds) first
    estimate, low, high = interval(difference)
    n = len(difference) - 1
    error = (high - estimate) / scipy_stats.t.ppf(0.5 + stats.CONFIDENCE / 2, n - 1) if n > 1 else float("nan")
    p = float(2 * scipy_stats.t.sf(abs(estimate) / error, n - 1)) if error > 0 else float("nan")
    test = {
        "mean": estimate,
        "low": low,
        "high": high,
        "n": n,
        "positive": 0,
        "negative": 0,
        "zero": 0,
        "p": p,
        "sign": float(np.sign(estimate)),
    }
    return dict(test, direction=stats.direction_of(test))


METRICS = ["accuracy", "collapse", "confidence", "calibration_error"]  # the main figure's panels
