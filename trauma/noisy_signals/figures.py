"""Model 2's figures: per-network metrics against the noise level, spreads across
seeds, the power law and training curves; the main figure also interactive."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..page import interactive, plots
from .report import METRICS
from .sweep import SweepResult

SUBSET_LABELS = {"in_context": "in the context", "out_of_context": "outside the context", "all": "all test inputs"}


NETWORK_LABELS = {
    "accuracy": "accuracy (clean labels)",
    "collapse": "confidence collapse: share with p in (0.45, 0.55)",
    "confidence": "mean confidence |p − 0.5|",
    "calibration_error": "mean |p − p_train|",
}


TRAINING_LABELS = {
    "loss": "mean training loss",
    "memorised": "wrong training labels the network predicts, share",
    "clean_fit": "correct in-context training labels it predicts, share",
}


# Axis titles short enough for two panels in the book's column (the captions say more).
SHORT_LABELS = {
    "accuracy": "accuracy (clean labels)",
    "collapse": "collapse: share of p in (0.45, 0.55)",
    "confidence": "confidence |p − 0.5|",
    "calibration_error": "|p − p_train|",
}


def plot_by_level(summary, columns, path=None, per_seed=None, xlabel: str = "noise level"):
    """Per-network metrics against the noise level, one panel per column, one line per
    subset (mean, 95 % CI band), each seed as a dot."""
    columns = list(columns)
    fig, axes = plt.subplots(1, len(columns), figsize=(4.6 * len(columns), 3.8), squeeze=False)
    for ax, column in zip(axes[0], columns):
        for i, subset in enumerate(dict.fromkeys(summary.subset)):
            cell = summary[summary.subset == subset].sort_values("noise")
            colour = plots.band(
                ax, cell.noise, cell, column, marker="o", ms=3, color=f"C{i}", label=SUBSET_LABELS.get(subset, subset)
            )
            if per_seed is not None:
                for level, values in per_seed[per_seed.subset == subset].groupby("noise")[column]:
                    plots.seed_dots(ax, level, values, colour, width=0.0015)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(NETWORK_LABELS.get(column, column))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return plots.save(fig, path)


def plot_across_seeds(ensemble, column: str, ylabel: str, path=None, xlabel: str = "noise level"):
    """An across-seed quantity (one value per level, its interval from resampling the
    seeds) against the noise level, one line per subset."""
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for i, subset in enumerate(dict.fromkeys(ensemble.subset)):
        cell = ensemble[ensemble.subset == subset].sort_values("noise")
        ax.plot(cell.noise, cell[column], marker="o", ms=3, color=f"C{i}", label=SUBSET_LABELS.get(subset, subset))
        ax.fill_between(cell.noise, cell[f"{column}_low"], cell[f"{column}_high"], color=f"C{i}", alpha=0.2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return plots.finish(fig, ax, path)


def plot_power_law(ensemble, exponent: dict, hypothesis: float, path=None):
    """log(variance across seeds) against log(level) in the context, the fitted
    slope and the hypothesised one (through the same centre)."""
    cell = ensemble[(ensemble.subset == "in_context") & ensemble.noise.isin(exponent["levels"])].sort_values("noise")
    fig, ax = plt.subplots(figsize=(6.4, 4))
    ax.errorbar(
        cell.noise,
        cell.variance,
        yerr=[cell.variance - cell.variance_low, cell.variance_high - cell.variance],
        fmt="o",
        ms=4,
        capsize=3,
        color="C0",
        label="variance across seeds (95 % CI)",
    )
    x = np.log(cell.noise.to_numpy())
    y = np.log(cell.variance.to_numpy())
    grid = np.linspace(x.min(), x.max(), 50)
    for slope, style, label in (
        (
            exponent["estimate"],
            "-",
            f"fit: slope {exponent['estimate']:.2f} [{exponent['low']:.2f}, {exponent['high']:.2f}]",
        ),
        (hypothesis, "--", f"hypothesis: slope {hypothesis:g}"),
    ):
        ax.plot(
            np.exp(grid),
            np.exp(y.mean() + slope * (grid - x.mean())),
            style,
            color="C3" if style == "-" else "grey",
            label=label,
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("noise level (log)")
    ax.set_ylabel("mean variance of p(y = 1 | x) across seeds (log)")
    return plots.finish(fig, ax, path)


def plot_training_curves(training_summary, column: str, symbol: str, levels=None, **options):
    """A per-epoch quantity (`TRAINING_LABELS`), one line per noise level (`levels`:
    some of them), labelled "`symbol` = level" (`trauma.page.plots.plot_training_curves`)."""
    return plots.plot_training_curves(
        training_summary, column, TRAINING_LABELS[column], "noise", symbol, shown=levels, **options
    )


def interactive_by_level(summary, columns, per_seed, xlabel: str = "noise level") -> dict:
    """Model 2: per-network metrics against the noise level, one panel per column,
    one line per subset of test inputs."""
    traces = []
    subsets = list(dict.fromkeys(summary.subset))
    for panel, column in enumerate(columns):
        for i, subset in enumerate(subsets):
            name, colour = SUBSET_LABELS.get(subset, subset), f"C{i}"
            cell = summary[summary.subset == subset].sort_values("noise")
            traces += interactive.line(
                name,
                cell.noise,
                cell[f"{column}_mean"],
                cell[f"{column}_low"],
                cell[f"{column}_high"],
                cell[f"{column}_n"],
                panel=panel,
                colour=colour,
                first=panel == 0,
            )
            rows = per_seed[per_seed.subset == subset]
            traces.append(
                interactive.seeds(name, rows.noise, rows[column], rows.seed, panel=panel, colour=colour, spread=0.0015)
            )
    return interactive.figure(traces, [{"x": xlabel, "y": SHORT_LABELS.get(c, c)} for c in columns])


def interactive_figure(result: SweepResult) -> dict:
    """The page's main figure, interactive : the per-network
    metrics against the noise level, per subset of test inputs."""
    symbol = "p" if result.config.noise_model == "flip" else "q"
    return interactive_by_level(result.summary(), METRICS, result.networks, xlabel=f"noise level {symbol}")
