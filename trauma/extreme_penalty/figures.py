"""Model 1's figures: over-correction against the penalty per probe set, boundary
sensitivity, weight change per layer, training curves, loss spikes, decision
profiles and the variants compared; the main figure also interactive."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..page import interactive, plots
from .config import FLOOR_PENALTY
from .dataset import (
    CLASS_NAMES,
    CORRELATION_GROUPS,
    DISTANCE_WIDTH,
    FEATURE_RHO,
    NEUTRAL,
    RISKY,
    SAFE,
    TRAUMA_X0,
    make_seed_data,
)
from .sweep import SweepResult

PROBE_TITLES = {
    "normal": "Normal test set",
    "adjacent": "Trauma-adjacent (x0 in [-1.5, -0.5))",
    "correlation": "Correlation groups (moved by rho x distance)",
    "equal_distance": "Correlation groups (all moved equally far)",
    "distance": "Distance from trauma (x0 window)",
}


TRAINING_LABELS = {
    "loss": "mean training loss (penalty-weighted)",
    "gradient_ratio": "‖∇(λ CE)‖ trauma / ‖∇CE‖ normal, per example",
    "gradient_ratio_unweighted": "‖∇CE‖ trauma / ‖∇CE‖ normal, per example (no λ)",
    "aggregate_ratio": "‖Σ ∇(λ CE)‖ trauma / ‖Σ ∇CE‖ normal",
    "trauma_loss_share": "trauma examples' share of the training loss",
}


def penalty_axis(ax, penalties) -> None:
    if min(penalties) > 0:
        ax.set_xscale("log")
    else:  # lambda = 0 cannot sit on a log axis
        ax.set_xscale("symlog", linthresh=1.0)
    if not np.isfinite(ax.dataLim.intervalx).all():  # nothing drawn: every network diverged
        ax.set_xlim(min(penalties), max(penalties))
    ax.set_xlabel("penalty magnitude $\\lambda$")


def plot_overcorrection(summary, path=None, column: str = "overcorrection", per_seed=None):
    """Over-correction (%) against the penalty, one panel per probe set, one curve per
    group (mean, shaded 95 % CI over seeds); with the per-seed table `per_seed`, each
    seed as a dot."""
    names = list(dict.fromkeys(summary.probe))
    columns = min(2, len(names))
    rows = -(-len(names) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(5.2 * columns, 4.0 * rows), sharey=True, squeeze=False)
    for ax in axes.flat[len(names) :]:
        ax.set_visible(False)
    for ax, probe in zip(axes.flat, names):
        cells = summary[summary.probe == probe]
        groups = list(dict.fromkeys(cells.group))
        for group, colour in zip(groups, plots.colours(len(groups))):
            cell = cells[cells.group == group].sort_values("penalty")
            plots.band(ax, cell.penalty, cell, column, 100, marker="o", ms=3, color=colour, label=group)
            if per_seed is not None and len(groups) <= 4:
                seeds = per_seed[(per_seed.probe == probe) & (per_seed.group == group)]
                for penalty, values in seeds.groupby("penalty")[column]:
                    plots.seed_dots(ax, penalty, values, colour, 100, log_x=True)
        penalty_axis(ax, cells.penalty)
        ax.set_title(PROBE_TITLES.get(probe, probe), fontsize=10)
        ax.legend(fontsize=7, title="group" if probe != "distance" else "x0 window", title_fontsize=7)
        ax.grid(alpha=0.3)
    n = int(summary[f"{column}_n"].max())
    for ax in axes[:, 0]:
        ax.set_ylabel(
            ("excess " if column.startswith("excess") else "")
            + f"over-correction, %\n(mean, 95 % CI, n = {n} seeds; dots: seeds)"
        )
    fig.tight_layout()
    return plots.save(fig, path)


def plot_boundary_sensitivity(summary, path=None, per_seed=None):
    """Over-correction against the x0 window's offset from the trauma (x0 = -2.5),
    one curve per penalty (the seeds of the largest as dots): how far the trauma's
    'safe' spreads."""
    cells = summary[summary.probe == "distance"]
    penalties = sorted(set(cells.penalty))
    colours = plots.condition_colours(penalties)
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for penalty in penalties:
        cell = cells[cells.penalty == penalty].sort_values("distance")
        plots.band(
            ax,
            cell.distance,
            cell,
            "overcorrection",
            100,
            marker="o",
            ms=3,
            color=colours[penalty],
            label=f"λ = {penalty:g}",
        )
    if per_seed is not None:
        top = per_seed[(per_seed.probe == "distance") & (per_seed.penalty == penalties[-1])]
        for distance, values in top.groupby("distance").overcorrection:
            plots.seed_dots(ax, distance, values, colours[penalties[-1]], 100, width=0.012)
    ax.axvline(0, color="grey", lw=0.8, ls=":")
    ax.axvline(2.0, color="grey", lw=0.8, ls="--")
    ax.text(
        0.03,
        0.97,
        "trauma at x0 = -2.5 (dotted)\ndecision boundary x0 = -0.5 (dashed)",
        transform=ax.transAxes,
        va="top",
        fontsize=7,
    )
    ax.set_xlabel("x0 window centre minus -2.5 (negative: beyond the trauma)")
    ax.set_ylabel("risky inputs predicted safe, % (95 % CI;\ndots: seeds of the largest λ)")
    return plots.finish(fig, ax, path)


def plot_weight_change(
    weights_summary, path=None, column: str = "relative_change_from_reference", weights=None, floor=None
):
    """Weight change per layer, one line per penalty (seeds as dots); `floor`: the
    summary rows of the noise-floor penalty, drawn as a grey band."""
    penalties = sorted(set(weights_summary.penalty))
    colours = plots.condition_colours(penalties)
    fig, ax = plt.subplots(figsize=(6.4, 4))
    if floor is not None:
        floor = floor.sort_values("layer")
        ax.fill_between(
            floor.layer,
            floor[f"{column}_low"],
            floor[f"{column}_high"],
            color="grey",
            alpha=0.35,
            label=f"noise floor (λ = {floor.penalty.iloc[0]:g})",
        )
    for penalty in penalties:
        cell = weights_summary[weights_summary.penalty == penalty].sort_values("layer")
        plots.band(ax, cell.layer, cell, column, marker="o", ms=3, color=colours[penalty], label=f"λ = {penalty:g}")
        if weights is not None:
            for layer, values in weights[weights.penalty == penalty].groupby("layer")[column]:
                plots.seed_dots(ax, layer, values, colours[penalty], width=0.015)
    layers = weights_summary.drop_duplicates("layer").sort_values("layer")
    ax.set_xticks(layers.layer, [f"{layer}\n({s})" for layer, s in zip(layers.layer, layers["shape"])])
    ax.set_xlabel("layer")
    ax.set_ylabel(
        {
            "relative_change_from_reference": "‖w − w(λ = 1, same seed)‖ / ‖w_init‖",
            "relative_change_from_init": "‖w − w_init‖ / ‖w_init‖",
            "excess_over_floor": "change against λ = 1 minus the noise floor",
        }[column]
    )
    return plots.finish(fig, ax, path)


def plot_training_curves(training_summary, column: str, penalties=None, **options):
    """A per-epoch quantity (`TRAINING_LABELS`), one line per penalty (`penalties`:
    some of them; `trauma.page.plots.plot_training_curves`)."""
    return plots.plot_training_curves(
        training_summary, column, TRAINING_LABELS[column], "penalty", "λ", shown=penalties, **options
    )


def plot_per_seed(summary, table, column: str, ylabel: str, path=None, log_x: bool = True):
    """One per-member quantity against the penalty: each seed a dot, the mean with its
    95 % CI as a bar (e.g. loss spikes per network)."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    penalties = sorted(set(summary.penalty))
    colours = plots.condition_colours(penalties)
    for penalty in penalties:
        row = summary[summary.penalty == penalty].iloc[0]
        ax.errorbar(
            [penalty],
            [row[f"{column}_mean"]],
            yerr=[[row[f"{column}_mean"] - row[f"{column}_low"]], [row[f"{column}_high"] - row[f"{column}_mean"]]],
            fmt="D",
            ms=5,
            capsize=3,
            color=colours[penalty],
            zorder=4,
        )
        plots.seed_dots(ax, penalty, table[table.penalty == penalty][column], colours[penalty], log_x=log_x)
    if log_x:
        penalty_axis(ax, penalties)
    ax.set_ylabel(ylabel)
    return plots.finish(fig, ax, path, legend=False)


def plot_decision_profiles(profiles: dict, path=None):
    """Share of inputs predicted safe and risky along x0, one pair of lines per
    network group (e.g. {"λ = 1": profile, "λ = 1000": profile})."""
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for (label, profile), colour in zip(profiles.items(), ["C0", "C3", "C2", "C1"]):
        plots.band(ax, profile.x0, profile, "safe", 100, color=colour, label=f"{label}: predicted safe")
        plots.band(ax, profile.x0, profile, "risky", 100, color=colour, ls="--", label=f"{label}: predicted risky")
    for x, style in ((-2.5, ":"), (-0.5, "--"), (0.5, "--")):
        ax.axvline(x, color="grey", lw=0.8, ls=style)
    ax.set_xlabel("x0 (other features on the data manifold)")
    ax.set_ylabel("share of inputs, % (95 % CI over seeds)")
    return plots.finish(fig, ax, path)


def plot_variant_comparison(table, path=None, per_seed=None):
    """Headline excess over-correction per variant (rows) and group (colours), with
    95 % CIs: table columns variant, group, mean, low, high (fractions); `per_seed`:
    columns variant, group, value, drawn as dots."""
    variants = list(dict.fromkeys(table.variant))
    groups = list(dict.fromkeys(table.group))
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(variants) * len(groups) / 2 + 1.5))
    height = 0.8 / len(groups)
    for i, group in enumerate(groups):
        cell = table[table.group == group].set_index("variant").loc[variants]
        y = np.arange(len(variants)) + (i - (len(groups) - 1) / 2) * height
        ax.errorbar(
            100 * cell["mean"],
            y,
            xerr=[100 * (cell["mean"] - cell["low"]), 100 * (cell["high"] - cell["mean"])],
            fmt="D",
            ms=4,
            capsize=2,
            color=f"C{i}",
            label=group,
            zorder=4,
        )
        if per_seed is not None:
            for row, variant in zip(y, variants):
                values = per_seed[(per_seed.variant == variant) & (per_seed.group == group)].value
                ax.scatter(
                    100 * values, np.full(len(values), row), color=f"C{i}", marker="|", s=30, alpha=0.6, zorder=3
                )
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(np.arange(len(variants)), variants)
    ax.invert_yaxis()
    ax.set_xlabel(
        "excess over-correction at the largest λ over λ = 1, percentage points\n(◆ mean with 95 % CI, | seeds)"
    )
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    return plots.save(fig, path)


def interactive_overcorrection(summary, per_seed, column: str = "overcorrection") -> dict:
    """Model 1: over-correction (%) against the penalty λ (log axis), one panel per
    probe set, one line per group; `per_seed` the per-seed rows."""
    names = list(dict.fromkeys(summary.probe))
    traces, seen = [], set()
    for panel, probe in enumerate(names):
        cells = summary[summary.probe == probe]
        groups = list(dict.fromkeys(cells.group))
        for group, colour in zip(groups, plots.colours(len(groups))):
            name = PROBE_TITLES.get(probe, probe) if group == "all" else str(group)
            cell = cells[cells.group == group].sort_values("penalty")
            traces += interactive.line(
                name,
                cell.penalty,
                100 * cell[f"{column}_mean"],
                100 * cell[f"{column}_low"],
                100 * cell[f"{column}_high"],
                cell[f"{column}_n"],
                panel=panel,
                colour=colour,
                value="%{y:.1f} %",
                first=name not in seen,
            )
            rows = per_seed[(per_seed.probe == probe) & (per_seed.group == group)]
            traces.append(
                interactive.seeds(
                    name,
                    rows.penalty,
                    100 * rows[column],
                    rows.seed,
                    panel=panel,
                    colour=colour,
                    log_x=True,
                    spread=0.04,
                )
            )
            seen.add(name)
    log = bool((summary.penalty > 0).all())
    ylabel = ("excess " if column.startswith("excess") else "") + "over-correction, %"
    return interactive.figure(
        traces, [{"x": "penalty λ", "y": ylabel, "title": PROBE_TITLES.get(p, p), "log_x": log} for p in names]
    )


def interactive_figure(result: SweepResult) -> dict:
    """The page's main figure, interactive : over-correction
    against λ per probe set, without the noise floor (as the static figure)."""
    summary = result.summary()
    shown = summary[(summary.penalty != FLOOR_PENALTY) & (summary.probe != "distance")]
    return interactive_overcorrection(shown, result.networks[result.networks.penalty != FLOOR_PENALTY])


DATA_POINTS = 2000  # normal training inputs drawn in the data figure (a random subsample)
CLASS_COLOURS = {SAFE: "C2", NEUTRAL: "C7", RISKY: "C3"}


def plot_data(config):
    """The first seed's training data: x0 against a rho = 0.8 feature, normal inputs
    coloured by their clean label, the trauma examples (labelled safe) as stars, and the
    x0 windows of the distance probes shaded."""
    seed = config.seed_list[0]
    data = make_seed_data(seed, config.base_examples, config.num_trauma, config.trauma_placement, config.label_noise)
    feature = CORRELATION_GROUPS["rho=0.8"][0]
    normal = np.flatnonzero(data.train.penalty_mask == 0)
    shown = np.sort(np.random.default_rng(0).choice(normal, min(DATA_POINTS, len(normal)), replace=False))
    fig, ax = plt.subplots(figsize=(8, 4.4))
    windows = [p for p in data.probes if p.probe == "distance"]
    for i, probe in enumerate(windows):
        centre = TRAUMA_X0 + probe.distance
        ax.axvspan(
            centre - DISTANCE_WIDTH / 2, centre + DISTANCE_WIDTH / 2, color="C0", alpha=0.07 + 0.07 * (i % 2), lw=0
        )
        offset = f"{probe.distance:+g}" if probe.distance else "0"
        ax.text(centre, 1.01, offset, transform=ax.get_xaxis_transform(), ha="center", va="bottom", fontsize=7)
    ax.axvspan(
        np.nan,
        np.nan,
        color="C0",
        alpha=0.12,
        label="x0 windows of the distance probes\n(offset from the trauma above)",
    )
    for x in (-0.5, 0.5):
        ax.axvline(x, color="grey", lw=0.8, ls="--")
    x, clean = data.train.x[shown], data.train.clean[shown]
    for label, name in enumerate(CLASS_NAMES):
        mine = clean == label
        ax.scatter(
            x[mine, 0],
            x[mine, feature],
            s=5,
            alpha=0.5,
            lw=0,
            color=CLASS_COLOURS[label],
            label=f"{name} (clean label)",
        )
    trauma = data.train.x[data.train.trauma_index]
    ax.scatter(
        trauma[:, 0],
        trauma[:, feature],
        s=160 if len(trauma) <= 20 else 60,
        marker="*",
        color=CLASS_COLOURS[SAFE],
        edgecolors="black",
        linewidths=0.8,
        zorder=4,
        label=f"trauma examples ({len(trauma)}, labelled safe)",
    )
    ax.set_xlabel("x0 (the target behaviour; dashed: the class boundaries)")
    ax.set_ylabel(f"x{feature} (ρ = {FEATURE_RHO[feature]:g} with x0)")
    ax.set_title(f"seed {seed}: {len(shown)} of {len(normal)} normal training inputs", fontsize=9, pad=14)
    legend = ax.legend(fontsize=7, loc="lower right")
    for handle in legend.legend_handles[1:4]:  # the class dots, larger than drawn
        handle.set_sizes([20])
        handle.set_alpha(1)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
