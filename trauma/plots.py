"""Figures. Each function takes a summary table (mean and CI over seeds) and returns a
matplotlib Figure; given a path it also saves it at 300 DPI."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

PROBE_TITLES = {
    "normal": "Normal test set",
    "adjacent": "Trauma-adjacent (x0 in [-1.5, -0.5))",
    "correlation": "Correlation groups (risky, group features moved)",
    "distance": "Distance from trauma (x0 window)",
}


def _penalty_axis(ax, penalties) -> None:
    if min(penalties) > 0:
        ax.set_xscale("log")
    else:  # lambda = 0 cannot sit on a log axis
        ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlabel("penalty magnitude $\\lambda$")


def _save(fig, path):
    if path is not None:
        fig.savefig(path, dpi=300, bbox_inches="tight")
    return fig


def plot_overcorrection(summary, path=None, column: str = "overcorrection"):
    """Over-correction (%) against the penalty, one panel per probe set, one curve per
    group, shaded 95 % CI over seeds."""
    probes = list(dict.fromkeys(summary.probe))
    fig, axes = plt.subplots(1, len(probes), figsize=(4.2 * len(probes), 3.8), sharey=True, squeeze=False)
    for ax, probe in zip(axes[0], probes):
        cells = summary[summary.probe == probe]
        groups = list(dict.fromkeys(cells.group))
        colours = plt.cm.viridis(np.linspace(0, 0.9, len(groups))) if len(groups) > 4 else [f"C{i}" for i in range(len(groups))]
        for group, colour in zip(groups, colours):
            cell = cells[cells.group == group].sort_values("penalty")
            ax.plot(cell.penalty, 100 * cell[f"{column}_mean"], marker="o", ms=3, color=colour, label=group)
            ax.fill_between(cell.penalty, 100 * cell[f"{column}_low"], 100 * cell[f"{column}_high"], color=colour, alpha=0.2)
        _penalty_axis(ax, cells.penalty)
        ax.set_title(PROBE_TITLES.get(probe, probe), fontsize=10)
        ax.legend(fontsize=7, title="group" if probe != "distance" else "x0 window", title_fontsize=7)
        ax.grid(alpha=0.3)
    n = int(summary[f"{column}_n"].max())
    axes[0][0].set_ylabel(("excess " if column.startswith("excess") else "") + f"over-correction, % (mean, 95 % CI, n = {n} seeds)")
    fig.tight_layout()
    return _save(fig, path)
