"""Model 3's figures: the gap and the excess MSE against the number of caregivers,
with the fitted power laws, and the variants compared; the main figure also
interactive."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..page import interactive, plots
from .dataset import NUM_FEATURES, caregiver, features, personalities, reference, response
from .report import HYPOTHESIS_EXPONENT, fit_curves
from .sweep import SweepResult

COUNT_LABELS = {
    "gap": "generalisation gap (test − train MSE)",
    "excess_mse": "excess test MSE over the best x-only predictor",
    "test_mse": "test MSE",
    "train_mse": "train MSE",
}


# Axis titles short enough for two panels in the book's column (the captions say more).
SHORT_LABELS = {"gap": "gap (test − train MSE)", "excess_mse": "excess test MSE over f*"}


def caregiver_axis(ax, counts, column: str) -> None:
    """A log axis of caregiver counts, labelled at every count, with legend and grid."""
    counts = sorted(counts)
    ax.set_xscale("log")
    ax.set_xticks(counts, [str(n) for n in counts], fontsize=7)
    ax.minorticks_off()
    ax.set_xlabel("training caregivers N (log)")
    ax.set_ylabel(COUNT_LABELS.get(column, column))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)


def plot_by_caregivers(summary, columns, per_seed, curves=None, path=None, reference=None, hypothesis=None):
    """Metrics against the number of caregivers N (log axis), one panel per column:
    mean with 95 % CI band, each seed a dot, and where `curves` has the column a
    fitted curve (grid, curve, low, high) with its band, and beside it the
    hypothesised power N^(-hypothesis) through the fit's middle; `reference` draws a
    horizontal line (label, value) in the panels of MSEs."""
    curves = curves or {}
    fig, axes = plt.subplots(1, len(columns), figsize=(4.6 * len(columns), 3.8), squeeze=False)
    summary = summary.sort_values("caregivers")
    for i, (ax, column) in enumerate(zip(axes[0], columns)):
        colour = plots.band(
            ax, summary.caregivers, summary, column, marker="o", ms=3, color=f"C{i}", label="mean over seeds (95 % CI)"
        )
        for count, values in per_seed.groupby("caregivers")[column]:
            plots.seed_dots(ax, count, values, colour, log_x=True, width=0.03)
        if column in curves:
            grid, curve, low, high = curves[column]
            ax.plot(grid, curve, "-", color="C3", lw=1, label="power-law fit")
            ax.fill_between(grid, low, high, color="C3", alpha=0.12)
            if hypothesis is not None and column == "gap":
                middle = len(grid) // 2
                ax.plot(
                    grid,
                    curve[middle] * (grid / grid[middle]) ** -hypothesis,
                    "--",
                    color="grey",
                    lw=1,
                    label=f"hypothesis: N^(−{hypothesis:g})",
                )
        if reference is not None and column.endswith("_mse") and column != "excess_mse":
            ax.axhline(reference[1], color="grey", ls="--", lw=1, label=reference[0])
        caregiver_axis(ax, summary.caregivers.unique(), column)
    fig.tight_layout()
    return plots.save(fig, path)


def plot_variants_by_caregivers(variants: dict, columns, path=None):
    """One metric per panel against the number of caregivers N (log axis), one line
    per variant (label -> (summary rows, per-seed rows) of its headline test set):
    mean with 95 % CI band, each seed a dot."""
    fig, axes = plt.subplots(1, len(columns), figsize=(5.2 * len(columns), 4), squeeze=False)
    for ax, column in zip(axes[0], columns):
        for i, (label, (summary, per_seed)) in enumerate(variants.items()):
            summary = summary.sort_values("caregivers")
            colour = plots.band(ax, summary.caregivers, summary, column, marker="o", ms=3, color=f"C{i}", label=label)
            for count, values in per_seed.groupby("caregivers")[column]:
                plots.seed_dots(ax, count, values, colour, log_x=True, width=0.02)
        caregiver_axis(ax, {n for summary, _ in variants.values() for n in summary.caregivers}, column)
    fig.tight_layout()
    return plots.save(fig, path)


def interactive_by_caregivers(summary, columns, per_seed, curves=None, hypothesis=None) -> dict:
    """Model 3: metrics against the number of caregivers N (log axis, labelled at
    every count), one panel per column, with the fitted power law and its band where
    `curves` has the column and, dashed beside the gap's fit, the hypothesised power
    N^(-hypothesis) through the fit's middle."""
    traces = []
    summary = summary.sort_values("caregivers")
    for panel, column in enumerate(columns):
        label = SHORT_LABELS.get(column, column).split(" (")[0]
        name = f"{label}: mean"
        traces += interactive.line(
            name,
            summary.caregivers,
            summary[f"{column}_mean"],
            summary[f"{column}_low"],
            summary[f"{column}_high"],
            summary[f"{column}_n"],
            panel=panel,
            colour=f"C{panel}",
        )
        traces.append(
            interactive.seeds(
                name,
                per_seed.caregivers,
                per_seed[column],
                per_seed.seed,
                panel=panel,
                colour=f"C{panel}",
                log_x=True,
                spread=0.03,
            )
        )
        if curves and column in curves:
            grid, curve, low, high = curves[column]
            fit = interactive.line(f"{label}: power-law fit", grid, curve, low, high, panel=panel, colour="C3")
            fit[-1]["mode"] = "lines"
            traces += fit
            if hypothesis is not None and column == "gap":
                middle = len(grid) // 2
                traces.append(
                    {
                        "type": "scatter",
                        "mode": "lines",
                        "name": f"hypothesis: N^(−{hypothesis:g})",
                        "x": interactive.numbers(grid),
                        "y": interactive.numbers(curve[middle] * (np.asarray(grid) / grid[middle]) ** -hypothesis),
                        "line": {"color": "grey", "dash": "dash", "width": 1},
                        "hoverinfo": "skip",
                        **interactive.axes(panel),
                    }
                )
    ticks = interactive.labelled(sorted(summary.caregivers.unique()))
    return interactive.figure(
        traces,
        [{"x": "training caregivers N", "y": SHORT_LABELS.get(c, c), "log_x": True, "x_axis": ticks} for c in columns],
    )


def interactive_figure(result: SweepResult, test_set: str | None = None) -> dict:
    """The page's main figure, interactive : the gap and the
    excess MSE against N on the headline test set, with the fitted power laws."""
    test_set = test_set or result.config.headline_test_set
    summary = result.summary()
    return interactive_by_caregivers(
        summary[summary.test_set == test_set],
        ["gap", "excess_mse"],
        result.networks[result.networks.test_set == test_set],
        fit_curves(result, test_set),
        hypothesis=HYPOTHESIS_EXPONENT,
    )


DATA_CAREGIVERS = 5  # training caregivers drawn in the data figure
DATA_SLICES = {0: "x0, a warmth feature (in pos)", 7: "x7, a strictness feature (in neg)"}


def plot_data(config):
    """Along two slices of input space (one feature varied, the others 0), the
    noiseless responses of the first seed's first training caregivers against the best
    x-only prediction f* of the training caregivers' distribution (and of the shifted one)."""
    seed = config.seed_list[0]
    pool = [caregiver(seed, j, 0) for j in range(min(DATA_CAREGIVERS, max(config.caregiver_counts)))]
    t = np.linspace(-3, 3, 101)
    fig, axes = plt.subplots(1, len(DATA_SLICES), figsize=(10, 4.2), sharey=True)
    for ax, (feature, name) in zip(axes, DATA_SLICES.items()):
        x = np.zeros((len(t), NUM_FEATURES))
        x[:, feature] = t
        phi = features(x)
        for j, (member, colour) in enumerate(zip(pool, plots.colours(len(pool)))):
            theta = personalities(member.uniforms, "same")
            w, c, s, m = theta
            ax.plot(
                t,
                response(theta, phi, np.zeros(len(t))),
                color=colour,
                lw=1.2,
                label=f"caregiver {j + 1}: w {w:.2f}, c {c:.2f}, s {s:.2f}",
            )
        ax.plot(t, reference(x, "same")[0], color="black", lw=3, label="f* (training caregivers' distribution)")
        ax.plot(t, reference(x, "shifted")[0], color="grey", lw=2.5, ls="--", label="f* (shifted distribution)")
        ax.set_xlabel(f"{name}; the other inputs 0")
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("response y (noiseless, z = 0)")
    axes[0].legend(fontsize=7, loc="lower right")
    fig.suptitle(
        f"seed {seed}: the first {len(pool)} training caregivers (w warmth, c consistency, s strictness)", fontsize=9
    )
    fig.tight_layout()
    return fig
