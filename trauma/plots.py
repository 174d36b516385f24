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
    columns = min(2, len(probes))
    rows = -(-len(probes) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(5.2 * columns, 4.0 * rows), sharey=True, squeeze=False)
    for ax in axes.flat[len(probes):]:
        ax.set_visible(False)
    for ax, probe in zip(axes.flat, probes):
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
    for ax in axes[:, 0]:
        ax.set_ylabel(("excess " if column.startswith("excess") else "") + f"over-correction, %\n(mean, 95 % CI, n = {n} seeds)")
    fig.tight_layout()
    return _save(fig, path)


def _finish(fig, ax, path):
    """Legend, grid, layout of a one-panel figure; save it if a path is given."""
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


def _band(ax, x, summary, column, scale=1.0, **style):
    line = ax.plot(x, scale * summary[f"{column}_mean"], **style)[0]
    ax.fill_between(x, scale * summary[f"{column}_low"], scale * summary[f"{column}_high"], color=line.get_color(), alpha=0.2)


def _penalty_colours(penalties):
    return dict(zip(penalties, plt.cm.plasma(np.linspace(0, 0.85, len(penalties)))))


def plot_boundary_sensitivity(summary, path=None):
    """Over-correction against the x0 window's offset from the trauma (x0 = -2.5),
    one curve per penalty: how far the trauma's 'safe' spreads."""
    cells = summary[summary.probe == "distance"]
    penalties = sorted(set(cells.penalty))
    colours = _penalty_colours(penalties)
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for penalty in penalties:
        cell = cells[cells.penalty == penalty].sort_values("distance")
        _band(ax, cell.distance, cell, "overcorrection", 100, marker="o", ms=3, color=colours[penalty], label=f"λ = {penalty:g}")
    ax.axvline(0, color="grey", lw=0.8, ls=":")
    ax.axvline(2.0, color="grey", lw=0.8, ls="--")
    ax.text(0.03, 0.97, "trauma at x0 = -2.5 (dotted)\ndecision boundary x0 = -0.5 (dashed)", transform=ax.transAxes, va="top", fontsize=7)
    ax.set_xlabel("x0 window centre minus -2.5 (negative: beyond the trauma)")
    ax.set_ylabel("risky inputs predicted safe, % (95 % CI)")
    return _finish(fig, ax, path)


def plot_weight_change(weights_summary, path=None, column: str = "change_from_reference"):
    """Weight change per layer, one line per penalty."""
    penalties = sorted(set(weights_summary.penalty))
    colours = _penalty_colours(penalties)
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for penalty in penalties:
        cell = weights_summary[weights_summary.penalty == penalty].sort_values("layer")
        _band(ax, cell.layer, cell, column, marker="o", ms=3, color=colours[penalty], label=f"λ = {penalty:g}")
    layers = weights_summary.drop_duplicates("layer").sort_values("layer")
    ax.set_xticks(layers.layer, [f"{l}\n({s})" for l, s in zip(layers.layer, layers["shape"])])
    ax.set_xlabel("layer")
    ax.set_ylabel({"change_from_reference": "‖w − w(λ = 1, same seed)‖", "change_from_init": "‖w − w_init‖",
                   "relative_change_from_init": "‖w − w_init‖ / ‖w_init‖"}[column])
    return _finish(fig, ax, path)


def plot_training_curves(training_summary, column: str, path=None, log: bool = False, penalties=None):
    """A per-epoch quantity (loss or gradient_ratio), one line per penalty."""
    penalties = penalties or sorted(set(training_summary.penalty))
    colours = _penalty_colours(sorted(set(training_summary.penalty)))
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for penalty in penalties:
        cell = training_summary[(training_summary.penalty == penalty)].dropna(subset=[f"{column}_mean"]).sort_values("epoch")
        _band(ax, cell.epoch, cell, column, color=colours[penalty], label=f"λ = {penalty:g}")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("epoch (0 = initialisation)")
    ax.set_ylabel({"loss": "mean training loss (penalty-weighted)",
                   "gradient_ratio": "‖∇L_trauma‖ / ‖∇L_normal‖ per example"}[column])
    return _finish(fig, ax, path)


def plot_decision_profiles(profiles: dict, path=None):
    """Share of inputs predicted safe and risky along x0, one pair of lines per
    network group (e.g. {"λ = 1": profile, "λ = 1000": profile})."""
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for (label, profile), colour in zip(profiles.items(), ["C0", "C3", "C2", "C1"]):
        _band(ax, profile.x0, profile, "safe", 100, color=colour, label=f"{label}: predicted safe")
        _band(ax, profile.x0, profile, "risky", 100, color=colour, ls="--", label=f"{label}: predicted risky")
    for x, style in ((-2.5, ":"), (-0.5, "--"), (0.5, "--")):
        ax.axvline(x, color="grey", lw=0.8, ls=style)
    ax.set_xlabel("x0 (other features on the data manifold)")
    ax.set_ylabel("share of inputs, % (95 % CI over seeds)")
    return _finish(fig, ax, path)


def plot_variant_comparison(table, path=None):
    """Headline excess over-correction per variant (rows) and group (colours), with
    95 % CIs: table columns variant, group, mean, low, high (fractions)."""
    variants = list(dict.fromkeys(table.variant))
    groups = list(dict.fromkeys(table.group))
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(variants) * len(groups) / 2 + 1.5))
    height = 0.8 / len(groups)
    for i, group in enumerate(groups):
        cell = table[table.group == group].set_index("variant").loc[variants]
        y = np.arange(len(variants)) + (i - (len(groups) - 1) / 2) * height
        ax.errorbar(100 * cell["mean"], y, xerr=[100 * (cell["mean"] - cell["low"]), 100 * (cell["high"] - cell["mean"])],
                    fmt="o", ms=4, capsize=2, color=f"C{i}", label=group)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(np.arange(len(variants)), variants)
    ax.invert_yaxis()
    ax.set_xlabel("excess over-correction at the largest λ over λ = 1, percentage points (95 % CI)")
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    return _save(fig, path)
