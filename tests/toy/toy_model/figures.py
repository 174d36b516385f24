"""Accuracy against the noise level, static and interactive."""

import matplotlib.pyplot as plt

from trauma.page import interactive, plots

from .sweep import SweepResult


def plot_accuracy(summary, per_seed, path=None):
    fig, ax = plt.subplots(figsize=(5, 3.5))
    colour = plots.band(ax, summary.noise, summary, "accuracy", marker="o", label="mean over seeds (95 % CI)")
    for level, values in per_seed.groupby("noise").accuracy:
        plots.seed_dots(ax, level, values, colour, width=0.002)
    ax.set_xlabel("noise level")
    ax.set_ylabel("accuracy")
    return plots.finish(fig, ax, path)


def interactive_figure(result: SweepResult) -> dict:
    summary, rows = result.summary(), result.networks
    traces = interactive.line(
        "accuracy",
        summary.noise,
        summary.accuracy_mean,
        summary.accuracy_low,
        summary.accuracy_high,
        summary.accuracy_n,
        panel=0,
        colour="C0",
    )
    traces.append(interactive.seeds("accuracy", rows.noise, rows.accuracy, rows.seed, panel=0, colour="C0"))
    return interactive.figure(traces, [{"x": "noise level", "y": "accuracy"}])
