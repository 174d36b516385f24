"""Tables and verdicts the Model 1 pages show: results, the specification's
predictions against observations with a verdict in words, its qualitative claims
tested on paired per-seed differences, and the decision profile along x0.

Every verdict comes from `trauma.numerics.stats` (bootstrap intervals, Wilcoxon signed-rank
tests on paired differences); the pages glue the words, never type them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ..numerics.stats import (
    SHARE_MARGIN,
    baseline_table,
    cell,
    correct_family,
    format_ci,
    paired,
    per_seed,
    summarise,
    verdict_about,
    verdict_below,
    verdict_direction,
)
from .config import FLOOR_PENALTY, REFERENCE_PENALTY
from .dataset import CONTROL, RISKY, SAFE, features_given_x0
from .model import predict
from .sweep import SweepResult

# The specification's predicted over-correction (%) per penalty and correlation group:
# ("<", 5) means "below 5 %", ("~", 25) means "about 25 %".
SPEC_PREDICTIONS = {
    1: {"rho=0.8": ("<", 5), "rho=0.4": ("<", 5), "rho=0.1": ("<", 5)},
    10: {"rho=0.8": ("~", 10), "rho=0.4": ("~", 5), "rho=0.1": ("<", 5)},
    100: {"rho=0.8": ("~", 25), "rho=0.4": ("~", 12), "rho=0.1": ("~", 5)},
    1000: {"rho=0.8": ("~", 42), "rho=0.4": ("~", 18), "rho=0.1": ("~", 5)},
    10000: {"rho=0.8": ("~", 65), "rho=0.4": ("~", 35), "rho=0.1": ("~", 12)},
}
EQUIVALENCE_MARGIN = SHARE_MARGIN  # over-correction and accuracy are shares (`stats.SHARE_MARGIN`)
GROUP_LABELS = {"rho=0.8": "ρ = 0.8", "rho=0.4": "ρ = 0.4", "rho=0.1": "ρ = 0.1", CONTROL: "the unmoved control"}
PROBE_LABELS = {"correlation": "moved by ρ × distance", "equal_distance": "moved equally far"}


def verdict(kind: str, predicted: float, low: float, high: float) -> str:
    """A prediction "< X" or "~ X" (in %) against an observed 95 % CI (in %)."""
    return verdict_below(predicted, low, high) if kind == "<" else verdict_about(predicted, low, high)


def results_table(summary: pd.DataFrame, column: str = "overcorrection") -> pd.DataFrame:
    """Rows: probe set / group; columns: penalties; cells: 'mean % [low, high]'."""
    table = summary.assign(
        cell=[
            format_ci(m, lo, hi, percent=True)
            for m, lo, hi in zip(summary[f"{column}_mean"], summary[f"{column}_low"], summary[f"{column}_high"])
        ],
        row=summary.probe + " / " + summary.group,
        lam=[f"λ = {p:g}" + (" (noise floor)" if p == FLOOR_PENALTY else "") for p in summary.penalty],
    )
    wide = table.pivot(index="row", columns="lam", values="cell")
    wide = wide.loc[list(dict.fromkeys(table.row)), list(dict.fromkeys(table.lam))]
    wide.index.name, wide.columns.name = "probe set / group", None
    return wide


def predictions(result: SweepResult) -> pd.DataFrame:
    """The specification's predicted over-correction per penalty and group next to
    the observed over-correction on the correlation-group probes, with a verdict."""
    summary = result.summary()
    rows = []
    for penalty, groups in SPEC_PREDICTIONS.items():
        if penalty not in set(summary.penalty):
            continue
        for group, (kind, value) in groups.items():
            observed = cell(summary, "overcorrection", penalty=penalty, probe="correlation", group=group)
            rows.append(
                {
                    "λ": f"{penalty:g}",
                    "group": group,
                    "predicted": f"{'<' if kind == '<' else '~'} {value} %",
                    "observed (mean [95 % CI])": format_ci(
                        observed["mean"], observed["low"], observed["high"], percent=True
                    ),
                    "verdict": verdict(kind, value, 100 * observed["low"], 100 * observed["high"]),
                }
            )
    return pd.DataFrame(rows).set_index(["λ", "group"])


def baselines(result: SweepResult) -> pd.DataFrame:
    """The headline metric, over-correction (the share of truly risky probe inputs
    called safe) on the ρ = 0.8 probes at the largest penalty, beside what trivial
    predictors score: the λ = 1 networks of the same seeds (the same networks without
    the extreme penalty), the same networks on the control probes (risky inputs that
    were not moved towards the trauma examples) and the constant answers."""
    summary = result.summary()
    penalty = max(result.config.penalties)
    where = {"probe": "correlation", "group": "rho=0.8"}
    observed = cell(summary, "overcorrection", penalty=penalty, **where)
    reference = cell(summary, "overcorrection", penalty=REFERENCE_PENALTY, **where)
    control = cell(summary, "overcorrection", penalty=penalty, probe="correlation", group=CONTROL)
    metric = f"over-correction, ρ = 0.8 probes, λ = {penalty:g}"
    shown = format_ci(observed["mean"], observed["low"], observed["high"], percent=True)
    return baseline_table(
        [
            (
                metric,
                shown,
                f"the λ = {REFERENCE_PENALTY:g} networks (same seeds)",
                format_ci(reference["mean"], reference["low"], reference["high"], percent=True),
            ),
            (
                metric,
                shown,
                "the unmoved control probes (same networks)",
                format_ci(control["mean"], control["low"], control["high"], percent=True),
            ),
            (metric, shown, 'a constant "safe"', "100 %"),
            (metric, shown, 'a constant "risky" (or "neutral")', "0 %"),
        ]
    )


def group_difference(
    result: SweepResult,
    penalty: float,
    group_a: str,
    group_b: str,
    probe: str = "correlation",
    column: str = "excess_overcorrection",
) -> dict:
    """Paired per-seed difference of a column between two groups of one probe set at
    one penalty (the same seeds, networks and base inputs): `stats.paired`, with the
    equivalence margin of over-correction shares."""
    a = per_seed(result.networks, column, penalty=penalty, probe=probe, group=group_a)
    b = per_seed(result.networks, column, penalty=penalty, probe=probe, group=group_b)
    return paired(a - b, margin=EQUIVALENCE_MARGIN)


def excess_test(
    result: SweepResult, penalty: float, probe: str, group: str, column: str = "excess_overcorrection"
) -> dict:
    """The paired excess over lambda = 1 (per seed) of one probe cell: `stats.paired`."""
    return paired(per_seed(result.networks, column, penalty=penalty, probe=probe, group=group))


def first_layer_lead(result: SweepResult, penalty: float) -> dict:
    """Per seed: the first layer's change against the λ = 1 network in excess of the
    noise floor, minus the largest such excess of any other layer (positive: the
    first layer moved most), all relative to each layer's initial norm."""
    weights = result.weights[result.weights.penalty == penalty].pivot(
        index="seed", columns="layer", values="excess_over_floor"
    )
    return paired(weights[1] - weights.drop(columns=1).max(axis=1))


def _counts(test: dict) -> str:
    return (
        f"{test['positive']} up, {test['negative']} down, {test['zero']} equal; "
        f"p = {test['p_raw']:.3f}, Holm {test['p']:.3f}"
    )


def hypothesis_table(result: SweepResult) -> pd.DataFrame:
    """The specification's qualitative claims, tested at the largest penalty on paired
    per-seed differences (Wilcoxon signed-rank), Holm-corrected as one family."""
    top = max(result.config.penalties)
    label = GROUP_LABELS
    rows = [
        (
            "Over-correction on the ρ = 0.8 probes rises above its λ = 1 level",
            "excess over λ = 1, points",
            excess_test(result, top, "correlation", "rho=0.8"),
            True,
        )
    ]
    for probe in ("correlation", "equal_distance"):
        for a, b in (("rho=0.8", "rho=0.4"), ("rho=0.8", "rho=0.1"), ("rho=0.8", CONTROL), ("rho=0.4", "rho=0.1")):
            rows.append(
                (
                    f"It spreads further along {label[a]} features than along {label[b]} ({PROBE_LABELS[probe]})",
                    f"{label[a]} minus {label[b]}, points",
                    group_difference(result, top, a, b, probe),
                    True,
                )
            )
    if len(result.config.hidden_dims) > 0 and result.config.noise_floor:
        rows.append(
            (
                "The penalty changes the first layer's weights most",
                "layer 1 minus the largest other layer, relative change beyond the noise floor",
                first_layer_lead(result, top),
                False,
            )
        )
    corrected = correct_family({i: row[2] for i, row in enumerate(rows)})  # the table is one family (Holm)
    rows = [(claim, measured, corrected[i], percent) for i, (claim, measured, _, percent) in enumerate(rows)]
    table = pd.DataFrame(
        [
            {
                f"claim (at λ = {top:g})": claim,
                "measured": measured,
                "observed (mean [95 % CI])": format_ci(
                    test["mean"], test["low"], test["high"], percent=percent, digits=1 if percent else 2
                ),
                "seeds (Wilcoxon)": _counts(test),
                "verdict": verdict_direction(test),
            }
            for claim, measured, test, percent in rows
        ]
    )
    return table.set_index(table.columns[0])


def layer_change_table(result: SweepResult) -> pd.DataFrame:
    """Weight change per layer at the largest penalty against the λ = 1 network of
    the same seed, beside the noise floor, all relative to the layer's initial norm."""
    top = max(result.config.penalties)
    layers = result.weights_summary()
    layers = layers[layers.penalty == top]

    def column(name, digits=2):
        return [
            format_ci(getattr(r, f"{name}_mean"), getattr(r, f"{name}_low"), getattr(r, f"{name}_high"), digits=digits)
            for r in layers.itertuples()
        ]

    return pd.DataFrame(
        {
            "layer": [f"{row.layer} ({row.shape})" for row in layers.itertuples()],
            f"‖w(λ={top:g}) − w(λ={REFERENCE_PENALTY:g})‖ / ‖w_init‖": column("relative_change_from_reference"),
            f"noise floor: ‖w(λ={FLOOR_PENALTY:g}) − w(λ={REFERENCE_PENALTY:g})‖ / ‖w_init‖": column("noise_floor"),
            "beyond the noise floor": column("excess_over_floor"),
            "‖w − w_init‖ / ‖w_init‖": column("relative_change_from_init"),
        }
    ).set_index("layer")


def decision_profile(models: dict, x0_grid: np.ndarray, points: int = 200, seed: int = 0) -> pd.DataFrame:
    """Share of on-manifold inputs predicted safe / risky at each x0 of the grid, per
    network (seed). The same inputs for every network."""
    rng = np.random.default_rng(seed)
    x0 = np.repeat(x0_grid, points)
    x = torch.tensor(features_given_x0(x0, rng), dtype=torch.float32)
    rows = []
    for network_seed, model in models.items():
        predicted = predict(model.as_stack(), x[None])[0].numpy().reshape(len(x0_grid), points)
        for value, row in zip(x0_grid, predicted):
            rows.append(
                {"seed": network_seed, "x0": value, "safe": (row == SAFE).mean(), "risky": (row == RISKY).mean()}
            )
    return summarise(pd.DataFrame(rows), ["x0"], ["safe", "risky"])
