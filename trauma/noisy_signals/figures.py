"""Model 2's figures: per-network metrics against the noise level, spreads across
seeds (against the level and against the training length), the power law of the
excess variance with its local slopes, and training curves; the main figure also
interactive."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..page import interactive, plots
from .dataset import make_training_set
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
    "memorised": "memorisation (share; a network that never memorises: 0)",
    "wrong_agreement": "wrong training labels the network predicts, share",
    "fresh_flipped": "fresh in-context inputs given the flipped label, share",
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


def plot_power_law(result: SweepResult, hypothesis: float, excess: dict, path=None):
    """Left: the in-context variance across seeds against the level on log scales: the
    excess over level 0 (`excess`: level -> mean/low/high, the fitted quantity) with
    the fitted law and the hypothesised slope (through the same centre), and the raw
    variance, floor included, as open circles. Right: the local slopes between adjacent
    fitted levels, beside the fit and the hypothesis (the misfit)."""
    fit = result.exponent
    cell = result.ensemble[result.ensemble.subset == "in_context"].sort_values("noise")
    raw = cell[cell.noise > 0]
    fig, (ax, right) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [3, 2]})
    ax.plot(raw.noise, raw.variance, "o", mfc="none", color="grey", ms=5, label="raw variance (floor included)")
    if fit["floor"]:
        floor = cell[cell.noise == 0].variance.iloc[0]
        ax.axhline(floor, color="grey", lw=0.8, ls=":", label=f"floor: variance at level 0 ({floor:.4f})")
    levels = np.array(fit["levels"])
    shown = {k: v for k, v in excess.items() if v["mean"] > 0} if fit["floor"] else {}
    if shown:
        x, e = np.array(list(shown)), list(shown.values())
        mean = np.array([v["mean"] for v in e])
        low = np.array([max(v["low"], 1e-3 * v["mean"]) for v in e])  # a log axis: clip at the point's thousandth
        ax.errorbar(
            x,
            mean,
            yerr=[mean - low, np.array([v["high"] for v in e]) - mean],
            fmt="o",
            ms=4,
            capsize=3,
            color="C0",
            label="excess over level 0 (95 % CI)",
        )
    fitted = np.array([excess[level]["mean"] for level in levels]) if fit["floor"] else None
    if len(levels) >= 2:
        if fitted is None:
            fitted = cell.set_index("noise").variance.loc[levels].to_numpy()
        x, y = np.log(levels), np.log(fitted)
        grid = np.linspace(x.min(), x.max(), 50)
        fit_label = f"fit: slope {fit['estimate']:.2f} [{fit['low']:.2f}, {fit['high']:.2f}]"
        for slope, style, label in (
            (fit["estimate"], "-", fit_label),
            (hypothesis, "--", f"hypothesis: slope {hypothesis:g}"),
        ):
            ax.plot(
                np.exp(grid),
                np.exp(y.mean() + slope * (grid - x.mean())),
                style,
                color="C3" if style == "-" else "black",
                label=label,
            )
    if (raw.variance > 0).any():  # log axes need something positive to show (all seeds may have diverged)
        ax.set_xscale("log")
        ax.set_yscale("log")
    else:
        ax.text(0.5, 0.5, "no finite variance to show", transform=ax.transAxes, ha="center")
    ax.set_xlabel("noise level (log)")
    ax.set_ylabel("variance of p(y = 1 | x) across seeds (log)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    local = fit["local"]
    for i, s in enumerate(local):
        right.errorbar(
            i,
            s["estimate"],
            yerr=[[s["estimate"] - s["low"]], [s["high"] - s["estimate"]]],
            fmt="o",
            color="C0",
            capsize=3,
        )
    if np.isfinite(fit["estimate"]):
        right.axhline(fit["estimate"], color="C3", label="the fit")
    right.axhline(hypothesis, color="black", ls="--", label="hypothesis")
    right.set_xticks(range(len(local)), [f"{s['from']:g}→{s['to']:g}" for s in local], fontsize=8)
    right.set_xlabel("between adjacent levels")
    right.set_ylabel("local slope of log variance" + (" excess" if fit["floor"] else ""))
    right.grid(alpha=0.3)
    right.legend(fontsize=7)
    fig.tight_layout()
    return plots.save(fig, path)


def plot_spread_by_epoch(by_epoch, symbol: str, configured: int, path=None):
    """The in-context SD across seeds of the networks after each recorded epoch, one
    line per level (95 % jackknife bands), the configured training length marked."""
    fig, ax = plt.subplots(figsize=(6.4, 4))
    colours = plots.condition_colours(sorted(set(by_epoch.noise)))
    for level, cell in by_epoch.groupby("noise"):
        cell = cell.sort_values("epoch")
        ax.plot(cell.epoch, cell.instability, marker="o", ms=3, color=colours[level], label=f"{symbol} = {level:g}")
        ax.fill_between(cell.epoch, cell.instability_low, cell.instability_high, color=colours[level], alpha=0.15)
    ax.axvline(configured, color="grey", ls=":", label=f"configured: {configured} epochs")
    ax.set_xscale("log")
    ax.set_xlabel("training length, epochs (log)")
    ax.set_ylabel("in-context SD of p(y = 1 | x) across seeds")
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


DATA_POINTS = 2500  # training inputs drawn per panel of the data figure (a random subsample)
LABEL_COLOURS = ("C0", "C1")  # training label 0, 1


def data_levels(levels) -> list[float]:
    """The noise levels the data figure shows: 0.3 if swept, else the largest level
    below 0.5 (or the smallest level), and the largest level of 0.5 or more if any."""
    below = [level for level in levels if level < 0.5]
    first = 0.3 if 0.3 in levels else max(below) if below else min(levels)
    above = [level for level in levels if level >= 0.5 and level != first]
    return [first] + ([max(above)] if above else [])


def plot_data(config):
    """The first seed's training inputs in the two context features (x5, x7), coloured
    by their training label at one or two noise levels, the labels the noise changed
    marked by a black edge and the context (x5 > 0, x7 < 0) outlined."""
    seed = config.seed_list[0]
    data = make_training_set(seed, config.train_examples)
    shown = np.sort(np.random.default_rng(0).choice(len(data.x), min(DATA_POINTS, len(data.x)), replace=False))
    x = data.x[shown]
    levels = data_levels(config.noise_levels)
    symbol = "p" if config.noise_model == "flip" else "q"
    fig, axes = plt.subplots(1, len(levels), figsize=(5 * len(levels), 4.4), sharex=True, sharey=True, squeeze=False)
    limit = np.abs(x[:, [5, 7]]).max() * 1.03
    for ax, level in zip(axes[0], levels):
        labels = data.labels(level, config.noise_model)[shown]
        changed = labels != data.clean[shown]
        for label, colour in enumerate(LABEL_COLOURS):
            mine = labels == label
            ax.scatter(x[mine, 5], x[mine, 7], s=6, alpha=0.55, lw=0, color=colour, label=f"training label {label}")
        ax.scatter(
            x[changed, 5],
            x[changed, 7],
            s=18,
            color=[LABEL_COLOURS[label] for label in labels[changed]],
            edgecolors="black",
            lw=0.7,
            label="label changed by the noise\n(black edge; colour: the new label)",
        )
        ax.add_patch(
            plt.Rectangle(
                (0, -2 * limit),
                2 * limit,
                2 * limit,
                fill=False,
                edgecolor="C3",
                lw=1.6,
                label="context (x5 > 0, x7 < 0)",
            )
        )
        ax.set_xlim(-limit, limit)
        ax.set_ylim(-limit, limit)
        ax.set_title(
            f"{config.noise_model} noise, {symbol} = {level:g}: {int(changed.sum())} of these labels changed",
            fontsize=9,
        )
        ax.set_xlabel("x5")
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel("x7")
    legend = axes[0, 0].legend(fontsize=7, loc="upper left", framealpha=0.9)
    for handle in legend.legend_handles[:2]:  # the label dots, larger than drawn
        handle.set_sizes([20])
        handle.set_alpha(1)
    legend.legend_handles[2].set_facecolor("white")  # either label's colour
    fig.suptitle(f"seed {seed}: {len(shown)} of {len(data.x)} training inputs", fontsize=9)
    fig.tight_layout()
    return fig
