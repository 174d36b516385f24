"""Tables the Model 1 pages show: results, predictions against observations with a
verdict in words, and the decision profile along x0."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ..stats import format_ci, mean_ci, summarise
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


def verdict(kind: str, predicted: float, low: float, high: float) -> str:
    """Compare a prediction (in %) with an observed 95 % CI (in %).
    "< X": supported if the whole CI lies below X, not supported if it lies at or
    above X, else inconclusive. "~ X": supported if the CI reaches into [X/2, 2X]
    (within a factor of two), otherwise not supported, smaller or larger."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return "inconclusive (no CI)"
    if kind == "<":
        if high < predicted:
            return "supported"
        return "not supported (larger)" if low >= predicted else "inconclusive"
    if high < predicted / 2:
        return "not supported (smaller)"
    if low > 2 * predicted:
        return "not supported (larger)"
    return "supported"


def cell(summary: pd.DataFrame, column: str, **where) -> dict:
    """mean, low, high, n of one summarised column in the (first) row matching
    `where`, e.g. cell(summary, "accuracy", penalty=1, probe="normal")."""
    rows = summary
    for key, value in where.items():
        rows = rows[rows[key] == value]
    if rows.empty:
        raise KeyError(f"no summary row with {where}")
    row = rows.iloc[0]
    return {k: row[f"{column}_{k}"] for k in ("mean", "low", "high", "n")}


def results_table(summary: pd.DataFrame, column: str = "overcorrection") -> pd.DataFrame:
    """Rows: probe set / group; columns: penalties; cells: 'mean % [low, high]'."""
    table = summary.assign(
        cell=[format_ci(m, lo, hi, percent=True) for m, lo, hi in zip(summary[f"{column}_mean"], summary[f"{column}_low"], summary[f"{column}_high"])],
        row=summary.probe + " / " + summary.group,
        lam=[f"λ = {p:g}" for p in summary.penalty],
    )
    wide = table.pivot(index="row", columns="lam", values="cell")
    wide = wide.loc[list(dict.fromkeys(table.row)), list(dict.fromkeys(table.lam))]
    wide.index.name, wide.columns.name = "probe set / group", None
    return wide


def prediction_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The specification's predicted over-correction per penalty and group next to
    the observed over-correction on the correlation-group probes, with a verdict."""
    rows = []
    for penalty, groups in SPEC_PREDICTIONS.items():
        if penalty not in set(summary.penalty):
            continue
        for group, (kind, value) in groups.items():
            observed = cell(summary, "overcorrection", penalty=penalty, probe="correlation", group=group)
            low, high = 100 * observed["low"], 100 * observed["high"]
            rows.append(
                {
                    "λ": f"{penalty:g}",
                    "group": group,
                    "predicted": f"{'<' if kind == '<' else '~'} {value} %",
                    "observed (mean [95 % CI])": format_ci(observed["mean"], observed["low"], observed["high"], percent=True),
                    "verdict": verdict(kind, value, low, high),
                }
            )
    return pd.DataFrame(rows).set_index(["λ", "group"])


def _stats(values) -> dict:
    """mean, low, high, n of per-seed values (the shape `cell` returns)."""
    return dict(zip(("mean", "low", "high", "n"), mean_ci(values)))


def paired_difference(result: SweepResult, penalty: float, group_a: str, group_b: str, column: str = "excess_overcorrection") -> dict:
    """Per-seed difference of a column between two correlation groups at one penalty
    (the same seeds, networks and base inputs): mean, low, high, n."""
    probes = result.probes
    rows = probes[(probes.penalty == penalty) & (probes.probe == "correlation")].set_index(["seed", "group"])[column]
    return _stats(rows.xs(group_a, level="group") - rows.xs(group_b, level="group"))


def direction(low: float, high: float) -> str:
    """Verdict on a hypothesis 'this effect is positive' from its 95 % CI."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return "inconclusive (no CI)"
    if low > 0:
        return "supported"
    return "opposite" if high < 0 else "not supported (CI includes 0)"


GROUP_LABELS = {"rho=0.8": "ρ = 0.8", "rho=0.4": "ρ = 0.4", "rho=0.1": "ρ = 0.1", CONTROL: "the unmoved control"}


def first_layer_lead(result: SweepResult, penalty: float) -> dict:
    """Per seed: the first layer's weight change against the λ = 1 network minus the
    largest change of any other layer (positive: the first layer moved most)."""
    weights = result.weights[result.weights.penalty == penalty].pivot(index="seed", columns="layer", values="change_from_reference")
    return _stats(weights[1] - weights.drop(columns=1).max(axis=1))


def hypothesis_table(result: SweepResult) -> pd.DataFrame:
    """The specification's qualitative claims, tested at the largest penalty with
    paired per-seed differences."""
    summary = result.summary()
    top = max(result.config.penalties)
    label = GROUP_LABELS
    rows = [(
        "Over-correction on the ρ = 0.8 probes rises above its λ = 1 level",
        "excess over λ = 1, points", cell(summary, "excess_overcorrection", penalty=top, probe="correlation", group="rho=0.8"), True,
    )]
    for a, b in (("rho=0.8", "rho=0.4"), ("rho=0.8", "rho=0.1"), ("rho=0.8", CONTROL), ("rho=0.4", "rho=0.1")):
        rows.append((f"It spreads further along {label[a]} features than along {label[b]}",
                     f"{label[a]} minus {label[b]}, points", paired_difference(result, top, a, b), True))
    if len(result.config.hidden_dims) > 0:
        rows.append(("The penalty changes the first layer's weights most",
                     "layer 1 minus the largest other layer, ‖w − w(λ = 1)‖", first_layer_lead(result, top), False))
    table = pd.DataFrame(
        [
            {
                f"claim (at λ = {top:g})": claim,
                "measured": measured,
                "observed (mean [95 % CI])": format_ci(stats["mean"], stats["low"], stats["high"], percent=percent, digits=1 if percent else 2),
                "verdict": direction(stats["low"], stats["high"]),
            }
            for claim, measured, stats, percent in rows
        ]
    )
    return table.set_index(table.columns[0])


def layer_change_table(result: SweepResult) -> pd.DataFrame:
    """Weight change per layer at the largest penalty against the λ = 1 network of
    the same seed, and the specification's claim that early layers change most."""
    top = max(result.config.penalties)
    layers = result.weights_summary()
    layers = layers[layers.penalty == top]
    return pd.DataFrame(
        {
            "layer": [f"{row.layer} ({row.shape})" for row in layers.itertuples()],
            f"‖w(λ={top:g}) − w(λ=1)‖": [format_ci(r.change_from_reference_mean, r.change_from_reference_low, r.change_from_reference_high, digits=2) for r in layers.itertuples()],
            "‖w − w_init‖ / ‖w_init‖": [format_ci(r.relative_change_from_init_mean, r.relative_change_from_init_low, r.relative_change_from_init_high, digits=2) for r in layers.itertuples()],
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
        predicted = predict(list(model.parameters()), x).numpy().reshape(len(x0_grid), points)
        for value, row in zip(x0_grid, predicted):
            rows.append({"seed": network_seed, "x0": value, "safe": (row == SAFE).mean(), "risky": (row == RISKY).mean()})
    return summarise(pd.DataFrame(rows), ["x0"], ["safe", "risky"])
