"""Figures. Each function takes a summary table (mean and 95 % CI over seeds) and,
where it draws the seeds, the per-seed table it summarises, and returns a
matplotlib Figure; given a path it also saves it at 300 DPI. Every figure that
shows a mean shows the seeds it is the mean of, as dots."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

PROBE_TITLES = {
    "normal": "Normal test set",
    "adjacent": "Trauma-adjacent (x0 in [-1.5, -0.5))",
    "correlation": "Correlation groups (moved by rho x distance)",
    "equal_distance": "Correlation groups (all moved equally far)",
    "distance": "Distance from trauma (x0 window)",
}
SEED_DOT = dict(s=7, alpha=0.45, linewidths=0, zorder=3)


def _penalty_axis(ax, penalties) -> None:
    if min(penalties) > 0:
        ax.set_xscale("log")
    else:  # lambda = 0 cannot sit on a log axis
        ax.set_xscale("symlog", linthresh=1.0)
    if not np.isfinite(ax.dataLim.intervalx).all():  # nothing drawn: every network diverged
        ax.set_xlim(min(penalties), max(penalties))
    ax.set_xlabel("penalty magnitude $\\lambda$")


def _save(fig, path):
    if path is not None:
        fig.savefig(path, dpi=300, bbox_inches="tight")
    return fig


def _finish(fig, ax, path, legend=True):
    """Legend, grid, layout of a one-panel figure; save it if a path is given."""
    if legend:
        ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


def _band(ax, x, summary, column, scale=1.0, **style):
    line = ax.plot(x, scale * summary[f"{column}_mean"], **style)[0]
    ax.fill_between(x, scale * summary[f"{column}_low"], scale * summary[f"{column}_high"], color=line.get_color(), alpha=0.2)
    return line.get_color()


def _seed_dots(ax, x, values, colour, scale=1.0, log_x=False, width=0.04):
    """Per-seed values as dots, spread a little sideways around x (in log units on a
    log axis) so that equal values stay visible."""
    values = scale * np.asarray(values, dtype=float)
    spread = np.linspace(-width, width, len(values)) if len(values) > 1 else np.zeros(1)
    xs = x * 10**spread if log_x else x + spread * 5
    ax.scatter(xs, values, color=colour, **SEED_DOT)


def _colours(n):
    return plt.cm.viridis(np.linspace(0, 0.9, n)) if n > 4 else [f"C{i}" for i in range(n)]


def plot_overcorrection(summary, path=None, column: str = "overcorrection", probes=None):
    """Over-correction (%) against the penalty, one panel per probe set, one curve per
    group (mean, shaded 95 % CI over seeds); with the per-seed table `probes`, each
    seed as a dot."""
    names = list(dict.fromkeys(summary.probe))
    columns = min(2, len(names))
    rows = -(-len(names) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(5.2 * columns, 4.0 * rows), sharey=True, squeeze=False)
    for ax in axes.flat[len(names):]:
        ax.set_visible(False)
    for ax, probe in zip(axes.flat, names):
        cells = summary[summary.probe == probe]
        groups = list(dict.fromkeys(cells.group))
        for group, colour in zip(groups, _colours(len(groups))):
            cell = cells[cells.group == group].sort_values("penalty")
            _band(ax, cell.penalty, cell, column, 100, marker="o", ms=3, color=colour, label=group)
            if probes is not None and len(groups) <= 4:
                seeds = probes[(probes.probe == probe) & (probes.group == group)]
                for penalty, values in seeds.groupby("penalty")[column]:
                    _seed_dots(ax, penalty, values, colour, 100, log_x=True)
        _penalty_axis(ax, cells.penalty)
        ax.set_title(PROBE_TITLES.get(probe, probe), fontsize=10)
        ax.legend(fontsize=7, title="group" if probe != "distance" else "x0 window", title_fontsize=7)
        ax.grid(alpha=0.3)
    n = int(summary[f"{column}_n"].max())
    for ax in axes[:, 0]:
        ax.set_ylabel(("excess " if column.startswith("excess") else "") + f"over-correction, %\n(mean, 95 % CI, n = {n} seeds; dots: seeds)")
    fig.tight_layout()
    return _save(fig, path)


def _penalty_colours(penalties):
    return dict(zip(penalties, plt.cm.plasma(np.linspace(0, 0.85, len(penalties)))))


def plot_boundary_sensitivity(summary, path=None, probes=None):
    """Over-correction against the x0 window's offset from the trauma (x0 = -2.5),
    one curve per penalty (the seeds of the largest as dots): how far the trauma's
    'safe' spreads."""
    cells = summary[summary.probe == "distance"]
    penalties = sorted(set(cells.penalty))
    colours = _penalty_colours(penalties)
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for penalty in penalties:
        cell = cells[cells.penalty == penalty].sort_values("distance")
        _band(ax, cell.distance, cell, "overcorrection", 100, marker="o", ms=3, color=colours[penalty], label=f"λ = {penalty:g}")
    if probes is not None:
        top = probes[(probes.probe == "distance") & (probes.penalty == penalties[-1])]
        for distance, values in top.groupby("distance").overcorrection:
            _seed_dots(ax, distance, values, colours[penalties[-1]], 100, width=0.012)
    ax.axvline(0, color="grey", lw=0.8, ls=":")
    ax.axvline(2.0, color="grey", lw=0.8, ls="--")
    ax.text(0.03, 0.97, "trauma at x0 = -2.5 (dotted)\ndecision boundary x0 = -0.5 (dashed)", transform=ax.transAxes, va="top", fontsize=7)
    ax.set_xlabel("x0 window centre minus -2.5 (negative: beyond the trauma)")
    ax.set_ylabel("risky inputs predicted safe, % (95 % CI;\ndots: seeds of the largest λ)")
    return _finish(fig, ax, path)


def plot_weight_change(weights_summary, path=None, column: str = "relative_change_from_reference", weights=None, floor=None):
    """Weight change per layer, one line per penalty (seeds as dots); `floor`: the
    summary rows of the noise-floor penalty, drawn as a grey band."""
    penalties = sorted(set(weights_summary.penalty))
    colours = _penalty_colours(penalties)
    fig, ax = plt.subplots(figsize=(6.4, 4))
    if floor is not None:
        floor = floor.sort_values("layer")
        ax.fill_between(floor.layer, floor[f"{column}_low"], floor[f"{column}_high"], color="grey", alpha=0.35,
                        label=f"noise floor (λ = {floor.penalty.iloc[0]:g})")
    for penalty in penalties:
        cell = weights_summary[weights_summary.penalty == penalty].sort_values("layer")
        _band(ax, cell.layer, cell, column, marker="o", ms=3, color=colours[penalty], label=f"λ = {penalty:g}")
        if weights is not None:
            for layer, values in weights[weights.penalty == penalty].groupby("layer")[column]:
                _seed_dots(ax, layer, values, colours[penalty], width=0.015)
    layers = weights_summary.drop_duplicates("layer").sort_values("layer")
    ax.set_xticks(layers.layer, [f"{l}\n({s})" for l, s in zip(layers.layer, layers["shape"])])
    ax.set_xlabel("layer")
    ax.set_ylabel({"relative_change_from_reference": "‖w − w(λ = 1, same seed)‖ / ‖w_init‖",
                   "relative_change_from_init": "‖w − w_init‖ / ‖w_init‖",
                   "excess_over_floor": "change against λ = 1 minus the noise floor"}[column])
    return _finish(fig, ax, path)


TRAINING_LABELS = {
    "loss": "mean training loss (penalty-weighted)",
    "gradient_ratio": "‖∇(λ CE)‖ trauma / ‖∇CE‖ normal, per example",
    "gradient_ratio_unweighted": "‖∇CE‖ trauma / ‖∇CE‖ normal, per example (no λ)",
    "aggregate_ratio": "‖Σ ∇(λ CE)‖ trauma / ‖Σ ∇CE‖ normal",
    "trauma_loss_share": "trauma examples' share of the training loss",
    "memorised": "wrong training labels the network predicts, share",
    "clean_fit": "correct in-context training labels it predicts, share",
}


def plot_training_curves(training_summary, column: str, path=None, log: bool = False, penalties=None, training=None,
                         by: str = "penalty", symbol: str = "λ"):
    """A per-epoch quantity, one line per penalty (or other `by` column, shown as
    `symbol`): mean, 95 % CI band; with the per-seed table `training`, each seed's
    curve as a thin line, so that a spike in one seed is not averaged away."""
    penalties = penalties or sorted(set(training_summary[by]))
    colours = _penalty_colours(sorted(set(training_summary[by])))
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for penalty in penalties:
        cell = training_summary[(training_summary[by] == penalty)].dropna(subset=[f"{column}_mean"]).sort_values("epoch")
        _band(ax, cell.epoch, cell, column, color=colours[penalty], label=f"{symbol} = {penalty:g}", marker="o" if len(cell) < 20 else None, ms=3)
        if training is not None:
            for _, seed in training[training[by] == penalty].dropna(subset=[column]).groupby("seed"):
                ax.plot(seed.epoch, seed[column], color=colours[penalty], lw=0.5, alpha=0.4)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("epoch (0 = initialisation)")
    ax.set_ylabel(TRAINING_LABELS[column])
    return _finish(fig, ax, path)


def plot_per_seed(summary, table, column: str, ylabel: str, path=None, log_x: bool = True):
    """One per-member quantity against the penalty: each seed a dot, the mean with its
    95 % CI as a bar (e.g. loss spikes per network)."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    penalties = sorted(set(summary.penalty))
    colours = _penalty_colours(penalties)
    for penalty in penalties:
        row = summary[summary.penalty == penalty].iloc[0]
        ax.errorbar([penalty], [row[f"{column}_mean"]], yerr=[[row[f"{column}_mean"] - row[f"{column}_low"]], [row[f"{column}_high"] - row[f"{column}_mean"]]],
                    fmt="D", ms=5, capsize=3, color=colours[penalty], zorder=4)
        _seed_dots(ax, penalty, table[table.penalty == penalty][column], colours[penalty], log_x=log_x)
    if log_x:
        _penalty_axis(ax, penalties)
    ax.set_ylabel(ylabel)
    return _finish(fig, ax, path, legend=False)


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
        ax.errorbar(100 * cell["mean"], y, xerr=[100 * (cell["mean"] - cell["low"]), 100 * (cell["high"] - cell["mean"])],
                    fmt="D", ms=4, capsize=2, color=f"C{i}", label=group, zorder=4)
        if per_seed is not None:
            for row, variant in zip(y, variants):
                values = per_seed[(per_seed.variant == variant) & (per_seed.group == group)].value
                ax.scatter(100 * values, np.full(len(values), row), color=f"C{i}", marker="|", s=30, alpha=0.6, zorder=3)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(np.arange(len(variants)), variants)
    ax.invert_yaxis()
    ax.set_xlabel("excess over-correction at the largest λ over λ = 1, percentage points\n(◆ mean with 95 % CI, | seeds)")
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    return _save(fig, path)


SUBSET_LABELS = {"in_context": "in the context", "out_of_context": "outside the context", "all": "all test inputs"}
NETWORK_LABELS = {
    "accuracy": "accuracy (clean labels)",
    "collapse": "confidence collapse: share with p in (0.45, 0.55)",
    "confidence": "mean confidence |p − 0.5|",
    "calibration_error": "mean |p − p_train|",
}


def plot_by_level(summary, columns, path=None, per_seed=None, xlabel: str = "noise level"):
    """Per-network metrics against the noise level, one panel per column, one line per
    subset (mean, 95 % CI band), each seed as a dot."""
    columns = list(columns)
    fig, axes = plt.subplots(1, len(columns), figsize=(4.6 * len(columns), 3.8), squeeze=False)
    for ax, column in zip(axes[0], columns):
        for i, subset in enumerate(dict.fromkeys(summary.subset)):
            cell = summary[summary.subset == subset].sort_values("noise")
            colour = _band(ax, cell.noise, cell, column, marker="o", ms=3, color=f"C{i}", label=SUBSET_LABELS.get(subset, subset))
            if per_seed is not None:
                for level, values in per_seed[per_seed.subset == subset].groupby("noise")[column]:
                    _seed_dots(ax, level, values, colour, width=0.0015)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(NETWORK_LABELS.get(column, column))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return _save(fig, path)


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
    return _finish(fig, ax, path)


def plot_power_law(ensemble, exponent: dict, hypothesis: float, path=None):
    """log(variance across seeds) against log(level) in the context, the fitted
    slope and the hypothesised one (through the same centre)."""
    cell = ensemble[(ensemble.subset == "in_context") & ensemble.noise.isin(exponent["levels"])].sort_values("noise")
    fig, ax = plt.subplots(figsize=(6.4, 4))
    ax.errorbar(cell.noise, cell.variance, yerr=[cell.variance - cell.variance_low, cell.variance_high - cell.variance],
                fmt="o", ms=4, capsize=3, color="C0", label="variance across seeds (95 % CI)")
    x = np.log(cell.noise.to_numpy())
    y = np.log(cell.variance.to_numpy())
    grid = np.linspace(x.min(), x.max(), 50)
    for slope, style, label in ((exponent["estimate"], "-", f"fit: slope {exponent['estimate']:.2f} [{exponent['low']:.2f}, {exponent['high']:.2f}]"),
                                (hypothesis, "--", f"hypothesis: slope {hypothesis:g}")):
        ax.plot(np.exp(grid), np.exp(y.mean() + slope * (grid - x.mean())), style, color="C3" if style == "-" else "grey", label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("noise level (log)")
    ax.set_ylabel("mean variance of p(y = 1 | x) across seeds (log)")
    return _finish(fig, ax, path)


COUNT_LABELS = {
    "gap": "generalisation gap (test − train MSE)",
    "excess_mse": "excess test MSE over the best x-only predictor",
    "test_mse": "test MSE",
    "train_mse": "train MSE",
}


def _caregiver_axis(ax, counts, column: str) -> None:
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
        colour = _band(ax, summary.caregivers, summary, column, marker="o", ms=3, color=f"C{i}", label="mean over seeds (95 % CI)")
        for count, values in per_seed.groupby("caregivers")[column]:
            _seed_dots(ax, count, values, colour, log_x=True, width=0.03)
        if column in curves:
            grid, curve, low, high = curves[column]
            ax.plot(grid, curve, "-", color="C3", lw=1, label="power-law fit")
            ax.fill_between(grid, low, high, color="C3", alpha=0.12)
            if hypothesis is not None and column == "gap":
                middle = len(grid) // 2
                ax.plot(grid, curve[middle] * (grid / grid[middle]) ** -hypothesis, "--", color="grey", lw=1,
                        label=f"hypothesis: N^(−{hypothesis:g})")
        if reference is not None and column.endswith("_mse") and column != "excess_mse":
            ax.axhline(reference[1], color="grey", ls="--", lw=1, label=reference[0])
        _caregiver_axis(ax, summary.caregivers.unique(), column)
    fig.tight_layout()
    return _save(fig, path)


def plot_variants_by_caregivers(variants: dict, columns, path=None):
    """One metric per panel against the number of caregivers N (log axis), one line
    per variant (label -> (summary rows, per-seed rows) of its headline test set):
    mean with 95 % CI band, each seed a dot."""
    fig, axes = plt.subplots(1, len(columns), figsize=(5.2 * len(columns), 4), squeeze=False)
    for ax, column in zip(axes[0], columns):
        for i, (label, (summary, per_seed)) in enumerate(variants.items()):
            summary = summary.sort_values("caregivers")
            colour = _band(ax, summary.caregivers, summary, column, marker="o", ms=3, color=f"C{i}", label=label)
            for count, values in per_seed.groupby("caregivers")[column]:
                _seed_dots(ax, count, values, colour, log_x=True, width=0.02)
        _caregiver_axis(ax, {n for summary, _ in variants.values() for n in summary.caregivers}, column)
    fig.tight_layout()
    return _save(fig, path)


MARKED_STYLES = {"naive": ("C1", "s"), "conservative": ("C2", "^"), "replay": ("C4", "D"), "joint": ("black", "*")}
EWC_STYLES = [("#f4a582", "P"), ("#d6604d", "X"), ("#b2182b", "h"), ("#67001f", "p")]


def _strategy_style(strategy: str, marked, ewc_names: list) -> tuple[str, str, str]:
    """(colour, marker, legend label) of a strategy on the trade-off figure: the marked
    strategies and EWC each their own, every other cell of the grid a plain blue dot."""
    if strategy in marked and strategy in MARKED_STYLES:
        return (*MARKED_STYLES[strategy], strategy)
    if strategy in ewc_names:
        return (*EWC_STYLES[ewc_names.index(strategy) % len(EWC_STYLES)], strategy)
    return "C0", "o", "other cells of the grid"


def plot_tradeoff(summary, networks, path=None, marked=("naive", "conservative", "replay", "joint")):
    """Retention (left) and forgetting (right) against therapy success, one point per
    strategy (mean with 95 % CI bars), every seed a faint dot. The marked strategies
    and EWC have their own markers, named in the legend. Forgetting is drawn on a
    scale that is linear up to 1 and logarithmic above, where it is worse than
    knowing nothing of phase 1."""
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.6), sharex=True)
    ewc_names = [name for name in summary.strategy if name.startswith("EWC")]
    handles = {}
    for ax, column in zip(axes, ("retention", "forgetting")):
        for row in summary.itertuples():
            colour, marker, label = _strategy_style(row.strategy, marked, ewc_names)
            special = label != "other cells of the grid"
            seeds = networks[networks.strategy == row.strategy]
            ax.scatter(seeds.therapy_success, seeds[column], color=colour, s=5, alpha=0.25, linewidths=0)
            mean_x, mean_y = row.therapy_success_mean, getattr(row, f"{column}_mean")
            handles[label] = ax.errorbar(
                mean_x, mean_y, xerr=[[mean_x - row.therapy_success_low], [row.therapy_success_high - mean_x]],
                yerr=[[mean_y - getattr(row, f"{column}_low")], [getattr(row, f"{column}_high") - mean_y]],
                fmt=marker, ms=7 if special else 4, color=colour, capsize=2, lw=0.8, zorder=3 if special else 2)
        ax.set_xlabel("therapy success: share of therapy test inputs read as safe")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("retention: phase-1 accuracy after / before")
    axes[1].set_yscale("symlog", linthresh=1)
    top = max(1.0, float(np.nanmax(networks.forgetting.to_numpy(dtype=float), initial=1.0)))
    ticks = [t for t in (0, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500) if t <= 2 * top]
    axes[1].set_yticks(ticks, [f"{t:g}" for t in ticks])
    axes[1].axhline(1, color="grey", ls="--", lw=0.8)
    axes[1].axhline(0, color="grey", ls=":", lw=0.8)
    axes[1].set_ylabel("forgetting (0 nothing lost, 1 as bad as knowing nothing)")
    order = [label for label in (*marked, *ewc_names, "other cells of the grid") if label in handles]
    fig.legend([handles[label] for label in order], order, loc="lower center", ncol=min(len(order), 8), fontsize=8,
               frameon=False, bbox_to_anchor=(0.5, -0.02))
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return _save(fig, path)


def plot_strategy_curves(curves, strategies, column: str = "retention", ylabel: str = "retention (phase-1 accuracy / before)", path=None):
    """A per-epoch quantity of phase 2 for some strategies: mean over seeds with a
    95 % CI band, every seed a thin line."""
    from .stats import summarise

    fig, ax = plt.subplots(figsize=(6.8, 4.2))
    for i, strategy in enumerate(strategies):
        table = curves[curves.strategy == strategy]
        summary = summarise(table, ["epoch"], [column]).sort_values("epoch")
        colour = _band(ax, summary.epoch, summary, column, color=f"C{i}", label=strategy)
        for _, seed in table.groupby("seed"):
            ax.plot(seed.epoch, seed[column], color=colour, lw=0.4, alpha=0.3)
    ax.set_xlabel("therapy epoch (0: the phase-1 network)")
    ax.set_ylabel(ylabel)
    return _finish(fig, ax, path)


def plot_heatmaps(summary, columns, titles, path=None):
    """Mean over seeds of each column over the grid of learning rate x replay share,
    the value written in every cell."""
    grid = summary[summary.ewc_strength == 0].dropna(subset=["learning_rate"])
    rates, shares = sorted(grid.learning_rate.unique()), sorted(grid.replay_ratio.unique())
    fig, axes = plt.subplots(1, len(columns), figsize=(4.6 * len(columns), 3.9), squeeze=False)
    for ax, column, title in zip(axes[0], columns, titles):
        values = grid.pivot(index="learning_rate", columns="replay_ratio", values=f"{column}_mean").loc[rates, shares].to_numpy()
        image = ax.imshow(values, origin="lower", cmap="viridis", aspect="auto")
        middle = np.nanmean(values) if np.isfinite(values).any() else 0.0
        for (i, j), value in np.ndenumerate(values):
            ax.text(j, i, f"{value:.2f}" if np.isfinite(value) else "n/a", ha="center", va="center", fontsize=7,
                    color="white" if value < middle else "black")
        ax.set_xticks(range(len(shares)), [f"{s:g}" for s in shares])
        ax.set_yticks(range(len(rates)), [f"{r:g}" for r in rates])
        ax.set_xlabel("replay share")
        ax.set_ylabel("therapy learning rate")
        ax.set_title(title, fontsize=9)
        fig.colorbar(image, ax=ax, shrink=0.8)
    fig.tight_layout()
    return _save(fig, path)
