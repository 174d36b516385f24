"""Figure primitives every model's figures are drawn with (`trauma/<model>/figures.py`):
a mean with its 95 % interval band over seeds, each seed as a dot, colours, saving.
Every figure that shows a mean shows the seeds it is the mean of, as dots. A figure
function returns a matplotlib Figure; given a path it also saves it at 300 DPI."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

SEED_DOT = dict(s=7, alpha=0.45, linewidths=0, zorder=3)


def save(fig, path):
    if path is not None:
        fig.savefig(path, dpi=300, bbox_inches="tight")
    return fig


def finish(fig, ax, path, legend=True):
    """Legend, grid, layout of a one-panel figure; save it if a path is given."""
    if legend:
        ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return save(fig, path)


def band(ax, x, summary, column, scale=1.0, **style):
    line = ax.plot(x, scale * summary[f"{column}_mean"], **style)[0]
    ax.fill_between(
        x, scale * summary[f"{column}_low"], scale * summary[f"{column}_high"], color=line.get_color(), alpha=0.2
    )
    return line.get_color()


def seed_dots(ax, x, values, colour, scale=1.0, log_x=False, width=0.04):
    """Per-seed values as dots, spread a little sideways around x (in log units on a
    log axis) so that equal values stay visible."""
    values = scale * np.asarray(values, dtype=float)
    spread = np.linspace(-width, width, len(values)) if len(values) > 1 else np.zeros(1)
    xs = x * 10**spread if log_x else x + spread * 5
    ax.scatter(xs, values, color=colour, **SEED_DOT)


def colours(n):
    return plt.cm.viridis(np.linspace(0, 0.9, n)) if n > 4 else [f"C{i}" for i in range(n)]


def condition_colours(values):
    """A colour for each value of a condition (e.g. each penalty), in order."""
    return dict(zip(values, plt.cm.plasma(np.linspace(0, 0.85, len(values)))))


def plot_training_curves(
    summary, column: str, ylabel: str, by: str, symbol: str, path=None, log: bool = False, shown=None, training=None
):
    """A per-epoch quantity, one line per value of the condition `by` (labelled
    "`symbol` = value"; `shown`: some of them): mean, 95 % CI band; with the per-seed
    table `training`, each seed's curve as a thin line, so that a spike in one seed is
    not averaged away."""
    colours = condition_colours(sorted(set(summary[by])))
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for value in shown or sorted(set(summary[by])):
        cell = summary[summary[by] == value].dropna(subset=[f"{column}_mean"]).sort_values("epoch")
        band(
            ax,
            cell.epoch,
            cell,
            column,
            color=colours[value],
            label=f"{symbol} = {value:g}",
            marker="o" if len(cell) < 20 else None,
            ms=3,
        )
        if training is not None:
            for _, seed in training[training[by] == value].dropna(subset=[column]).groupby("seed"):
                ax.plot(seed.epoch, seed[column], color=colours[value], lw=0.5, alpha=0.4)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("epoch (0 = initialisation)")
    ax.set_ylabel(ylabel)
    return finish(fig, ax, path)
