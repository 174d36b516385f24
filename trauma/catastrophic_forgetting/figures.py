"""Model 4's figures: retention and danger recall against therapy success for every
strategy, phase-2 curves and heat maps over the grid; the main figure also
interactive. Where a constant answer ("neutral" everywhere) scores is drawn as a
dotted line, so no point can be read without it."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..numerics.stats import summarise
from ..page import interactive, plots
from .dataset import AUTHORITY_THRESHOLD, RESPONSES, phase1_sets, therapy_sets
from .sweep import SweepResult

MARKED_STYLES = {"naive": ("C1", "s"), "conservative": ("C2", "^"), "replay": ("C4", "D"), "joint": ("black", "*")}


EWC_STYLES = [("#f4a582", "P"), ("#d6604d", "X"), ("#b2182b", "h"), ("#67001f", "p")]


# Axis titles short enough for two panels in the book's column (the captions say more).
SHORT_LABELS = {
    "retention": "retention (1 all kept, 0 constant)",
    "danger_recall": "danger recall (phase-1 test)",
    "therapy_success": "therapy success",
}
PANELS = ("retention", "danger_recall")  # the main figure's two y axes
CONSTANT = {"retention": 0.0, "danger_recall": 0.0}  # a network answering "neutral" everywhere


def strategy_style(strategy: str, marked, ewc_names: list) -> tuple[str, str, str]:
    """(colour, marker, legend label) of a strategy on the trade-off figure: the marked
    strategies and EWC each their own, every other cell of the grid a plain blue dot."""
    if strategy in marked and strategy in MARKED_STYLES:
        return (*MARKED_STYLES[strategy], strategy)
    if strategy in ewc_names:
        return (*EWC_STYLES[ewc_names.index(strategy) % len(EWC_STYLES)], strategy)
    return "C0", "o", "other cells of the grid"


def plot_tradeoff(summary, networks, path=None, marked=("naive", "conservative", "replay", "joint")):
    """Retention (left) and danger recall (right) against therapy success, one point
    per strategy (mean with 95 % CI bars), every seed a faint dot. The marked
    strategies and EWC have their own markers, named in the legend; dotted: a
    constant "neutral" answer; dashed: the phase-1 networks before therapy."""
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.6), sharex=True)
    ewc_names = [name for name in summary.strategy if name.startswith("EWC")]
    handles = {}
    for ax, column in zip(axes, PANELS):
        for row in summary.itertuples():
            colour, marker, label = strategy_style(row.strategy, marked, ewc_names)
            special = label != "other cells of the grid"
            seeds = networks[networks.strategy == row.strategy]
            ax.scatter(seeds.therapy_success, seeds[column], color=colour, s=5, alpha=0.25, linewidths=0)
            mean_x, mean_y = row.therapy_success_mean, getattr(row, f"{column}_mean")
            handles[label] = ax.errorbar(
                mean_x,
                mean_y,
                xerr=[[mean_x - row.therapy_success_low], [row.therapy_success_high - mean_x]],
                yerr=[[mean_y - getattr(row, f"{column}_low")], [getattr(row, f"{column}_high") - mean_y]],
                fmt=marker,
                ms=7 if special else 4,
                color=colour,
                capsize=2,
                lw=0.8,
                zorder=3 if special else 2,
            )
        ax.set_xlabel("therapy success: share of therapy test inputs read as safe")
        ax.grid(alpha=0.3)
    before = {"retention": 1.0, "danger_recall": float(np.nanmean(networks.danger_recall_before))}
    for ax, column in zip(axes, PANELS):
        ax.axhline(before[column], color="grey", ls="--", lw=0.8)
        ax.axhline(CONSTANT[column], color="grey", ls=":", lw=0.8)
        ax.set_ylabel(SHORT_LABELS[column])
    order = [label for label in (*marked, *ewc_names, "other cells of the grid") if label in handles]
    fig.legend(
        [handles[label] for label in order],
        order,
        loc="lower center",
        ncol=min(len(order), 8),
        fontsize=8,
        frameon=False,
        bbox_to_anchor=(0.5, -0.02),
    )
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return plots.save(fig, path)


def plot_strategy_curves(curves, strategies, column="retention", ylabel=SHORT_LABELS["retention"], path=None):
    """A per-epoch quantity of phase 2 for some strategies: mean over seeds with a
    95 % CI band, every seed a thin line."""
    fig, ax = plt.subplots(figsize=(6.8, 4.2))
    for i, strategy in enumerate(strategies):
        table = curves[curves.strategy == strategy]
        summary = summarise(table, ["epoch"], [column]).sort_values("epoch")
        colour = plots.band(ax, summary.epoch, summary, column, color=f"C{i}", label=strategy)
        for _, seed in table.groupby("seed"):
            ax.plot(seed.epoch, seed[column], color=colour, lw=0.4, alpha=0.3)
    ax.axhline(CONSTANT.get(column, np.nan), color="grey", ls=":", lw=0.8)
    ax.set_xlabel("therapy epoch (0: the phase-1 network)")
    ax.set_ylabel(ylabel)
    return plots.finish(fig, ax, path)


def plot_heatmaps(summary, columns, titles, path=None):
    """Mean over seeds of each column over the grid of learning rate x replay share,
    the value written in every cell."""
    grid = summary[summary.ewc_strength == 0].dropna(subset=["learning_rate"])
    rates, shares = sorted(grid.learning_rate.unique()), sorted(grid.replay_ratio.unique())
    fig, axes = plt.subplots(1, len(columns), figsize=(4.6 * len(columns), 3.9), squeeze=False)
    for ax, column, title in zip(axes[0], columns, titles):
        values = (
            grid.pivot(index="learning_rate", columns="replay_ratio", values=f"{column}_mean")
            .loc[rates, shares]
            .to_numpy()
        )
        image = ax.imshow(values, origin="lower", cmap="viridis", aspect="auto")
        middle = np.nanmean(values) if np.isfinite(values).any() else 0.0
        for (i, j), value in np.ndenumerate(values):
            ax.text(
                j,
                i,
                f"{value:.2f}" if np.isfinite(value) else "n/a",
                ha="center",
                va="center",
                fontsize=7,
                color="white" if value < middle else "black",
            )
        ax.set_xticks(range(len(shares)), [f"{s:g}" for s in shares])
        ax.set_yticks(range(len(rates)), [f"{r:g}" for r in rates])
        ax.set_xlabel("replay share")
        ax.set_ylabel("therapy learning rate")
        ax.set_title(title, fontsize=9)
        fig.colorbar(image, ax=ax, shrink=0.8)
    fig.tight_layout()
    return plots.save(fig, path)


def interactive_tradeoff(summary, networks, marked=("naive", "conservative", "replay", "joint")) -> dict:
    """Model 4: retention (left) and danger recall (right) against therapy success,
    one point per strategy with 95 % CI bars, the seeds as points; the marked
    strategies and each EWC strength are their own legend entries, every other cell
    of the grid one."""
    ewc_names = [name for name in summary.strategy if name.startswith("EWC")]
    styles = {row.strategy: strategy_style(row.strategy, marked, ewc_names) for row in summary.itertuples()}
    symbols = {
        "s": "square",
        "^": "triangle-up",
        "D": "diamond",
        "*": "star",
        "P": "cross",
        "X": "x",
        "h": "hexagon",
        "p": "pentagon",
        "o": "circle",
    }
    traces = []
    for panel, column in enumerate(PANELS):
        for label in dict.fromkeys(style[2] for style in styles.values()):
            colour, marker, _ = next(style for style in styles.values() if style[2] == label)
            rows = summary[[styles[s][2] == label for s in summary.strategy]]
            traces.append(
                interactive.points(
                    label,
                    rows.therapy_success_mean,
                    rows.therapy_success_low,
                    rows.therapy_success_high,
                    rows[f"{column}_mean"],
                    rows[f"{column}_low"],
                    rows[f"{column}_high"],
                    rows[f"{column}_n"],
                    list(rows.strategy),
                    panel=panel,
                    colour=colour,
                    symbol=symbols.get(marker, "circle"),
                    size=9 if label != "other cells of the grid" else 6,
                    first=panel == 0,
                )
            )
            nets = networks[networks.strategy.isin(rows.strategy)]
            traces.append(
                {
                    **interactive.seeds(
                        label,
                        nets.therapy_success,
                        nets[column],
                        nets.seed,
                        panel=panel,
                        colour=colour,
                        labels=nets.strategy,
                    ),
                    "hovertemplate": "%{customdata[1]}<br>seed %{customdata[0]}: "
                    "x %{x:.3g}, y %{customdata[2]:.3g}<extra></extra>",
                }
            )
    success = SHORT_LABELS["therapy_success"]
    return interactive.figure(traces, [{"x": success, "y": SHORT_LABELS[column]} for column in PANELS])


def interactive_figure(result: SweepResult) -> dict:
    """The page's main figure, interactive: every strategy's retention and danger
    recall against its therapy success."""
    return interactive_tradeoff(result.summary(), result.networks)


DATA_POINTS = 2500  # phase-1 training inputs drawn in the data figure (a random subsample)
RESPONSE_COLOURS = {"danger": "C3", "neutral": "C7", "safe": "C2"}


def plot_data(config):
    """The first seed's phase-1 training inputs (coloured by their target) and its
    therapy inputs (target safe), by authority x0 + ... + x4 and the smallest of
    x10..x14: the danger region (authority above 2) shaded, the therapy region outlined."""
    seed = config.seed_list[0]
    phase1 = phase1_sets(seed, config.phase1_examples, config.overlap)[0]
    therapy = therapy_sets(seed, config.therapy_examples)[0]
    shown = np.sort(np.random.default_rng(0).choice(len(phase1.x), min(DATA_POINTS, len(phase1.x)), replace=False))

    def axes_of(x):
        return x[:, :5].sum(1), x[:, 10:15].min(1)

    fig, ax = plt.subplots(figsize=(8, 4.6))
    authority, context = axes_of(phase1.x[shown])
    t_authority, t_context = axes_of(therapy.x)
    right = max(authority.max(), t_authority.max()) + 0.5
    top = max(context.max(), t_context.max()) + 0.3
    ax.axvspan(
        AUTHORITY_THRESHOLD, right, color=RESPONSE_COLOURS["danger"], alpha=0.1, lw=0, label="phase 1's danger region"
    )
    ax.add_patch(
        plt.Rectangle(
            (AUTHORITY_THRESHOLD, 1),
            2 * (right - AUTHORITY_THRESHOLD),  # beyond the axes: the region is open to the top and right
            2 * (top - 1),
            fill=False,
            edgecolor=RESPONSE_COLOURS["safe"],
            lw=1.8,
            label="therapy region",
        )
    )
    for index, name in enumerate(RESPONSES):
        mine = phase1.response[shown] == index
        if mine.any():
            ax.scatter(
                authority[mine],
                context[mine],
                s=6,
                alpha=0.55,
                lw=0,
                color=RESPONSE_COLOURS[name],
                zorder=5,  # above the therapy inputs: phase-1 inputs of the therapy region (overlap) stay visible
                label=f"phase 1: {name} ({int(mine.sum())})",
            )
    ax.scatter(
        t_authority,
        t_context,
        s=28,
        marker="D",
        color=RESPONSE_COLOURS["safe"],
        edgecolors="black",
        lw=0.6,
        zorder=4,
        label=f"therapy: safe ({len(therapy.x)})",
    )
    ax.set_xlim(right=right)
    ax.set_ylim(top=top)
    ax.set_xlabel("authority x0 + ... + x4")
    ax.set_ylabel("safe context: smallest of x10 ... x14")
    ax.set_title(
        f"seed {seed}: {len(shown)} of {len(phase1.x)} phase-1 training inputs, all therapy training inputs",
        fontsize=9,
    )
    legend = ax.legend(fontsize=7, loc="upper left", framealpha=0.9)
    for handle in legend.legend_handles[2:-1]:  # the phase-1 dots, larger than drawn
        handle.set_sizes([20])
        handle.set_alpha(1)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
