"""Files a Model 1 sweep writes, and reading them back.

DIR/results.csv       tidy: one row per member (penalty x seed) x probe set x group
DIR/training.csv      one row per member x epoch (loss, loss spikes, gradient diagnostics)
DIR/weights.csv       one row per member x layer (weight change, noise floor)
DIR/summary.csv       mean and 95 % CI over seeds per penalty x probe set x group
DIR/results.json      all of the above plus every parameter, the seeds and versions
DIR/summary.txt       the same numbers for people
DIR/overcorrection.png
DIR/checkpoints/penalty_<lambda>.pt   the trained networks of every seed at that penalty

Written atomically (`trauma.numerics.outputs.staging_folder`): a failed run leaves nothing
behind, and an existing DIR is replaced only if it holds an earlier sweep's output.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..numerics import outputs
from ..numerics.stats import format_row
from .config import FLOOR_PENALTY, REFERENCE_PENALTY, SweepConfig
from .figures import plot_overcorrection
from .seed_api import ExtremePenaltyModel
from .sweep import SweepResult

TABLE_KEYS = (
    "realised_correlations",
    "summary",
    "training_summary",
    "weights_summary",
    "instability_summary",
    "results",
    "training",
    "weights",
)


def write_outputs(result: SweepResult, out_dir) -> Path:
    with outputs.staging_folder(out_dir) as staging:
        result.networks.to_csv(staging / "results.csv", index=False)
        result.training.to_csv(staging / "training.csv", index=False)
        result.weights.to_csv(staging / "weights.csv", index=False)
        summary = result.summary()
        summary.to_csv(staging / "summary.csv", index=False)
        outputs.write_json(
            staging / outputs.MARKER,
            {
                **result.metadata,
                "realised_correlations": {
                    "corr_x0_mean_over_seeds": outputs.records(result.correlation_table()),
                    "matrix_mean_over_seeds": result.correlations.mean(0).round(4).tolist(),
                },
                "summary": outputs.records(summary),
                "training_summary": outputs.records(result.training_summary()),
                "weights_summary": outputs.records(result.weights_summary()),
                "instability_summary": outputs.records(result.instability_summary()),
                "results": outputs.records(result.networks),
                "training": outputs.records(result.training),
                "weights": outputs.records(result.weights),
            },
        )
        (staging / "summary.txt").write_text(summary_text(result))
        plt.close(plot_overcorrection(summary, staging / "overcorrection.png", per_seed=result.networks))
        if result.run is not None:
            outputs.save_checkpoints(
                staging / "checkpoints",
                result.run.trained.final,
                result.run.seeds,
                "penalty",
                result.run.penalties,
                hidden_dims=result.config.hidden_dims,
            )
    return Path(out_dir)


def load_checkpoint(path) -> dict[int, ExtremePenaltyModel]:
    """The trained networks of one checkpoint file, by seed."""
    stack, info = outputs.load_checkpoint(path)
    models = {}
    for i, seed in enumerate(info["seeds"]):
        models[seed] = ExtremePenaltyModel(info["hidden_dims"], seed=seed)
        models[seed].load_params(stack.member(i))
    return models


def load_results(out_dir) -> SweepResult:
    """A sweep's tables and metadata read back from DIR (without the networks)."""
    out_dir = Path(out_dir)
    document = json.loads((out_dir / outputs.MARKER).read_text())
    matrix = np.array(document["realised_correlations"]["matrix_mean_over_seeds"])
    return SweepResult(
        config=SweepConfig(**document["parameters"]),
        networks=pd.read_csv(out_dir / "results.csv"),
        training=pd.read_csv(out_dir / "training.csv"),
        weights=pd.read_csv(out_dir / "weights.csv"),
        correlations=matrix[None],
        metadata={k: v for k, v in document.items() if k not in TABLE_KEYS},
    )


def summary_text(result: SweepResult) -> str:
    config, meta = result.config, result.metadata
    n = config.seeds
    last = f"epochs {config.epochs - config.eval_epochs + 1}-{config.epochs}"
    lines = outputs.summary_header("Model 1, Extreme Penalty", config.as_dict(), meta) + [
        f"Every number: mean over seeds [95 % CI, percentile bootstrap], n = {n} seeds unless marked.",
        "Over-correction = share of truly risky inputs (clean labels) predicted safe, averaged over",
        f"the networks after each of {last}; 'final' = after the last epoch alone;",
        f"excess = over-correction minus that of the lambda = {REFERENCE_PENALTY:g} network of the same seed.",
        f"lambda = {FLOOR_PENALTY} (if trained) is the noise floor: what training chaos alone changes.",
        "",
        "Realised corr(x0, x_j) in the normal training inputs (mean [min, max] over seeds):",
    ]
    for row in result.correlation_table().itertuples():
        lines.append(
            f"  x{row.feature}: target {row.target:.1f}  realised {row.realised_mean:.3f} "
            f"[{row.realised_min:.3f}, {row.realised_max:.3f}]"
        )

    summary = result.summary()
    for (probe, group), cell in summary.groupby(["probe", "group"], sort=False):
        lines += [
            "",
            f"{probe} / {group}",
            f"  {'lambda':>8}  {'over-correction':<24}{'excess over lambda=1':<24}{'excess, final':<24}accuracy",
        ]
        for row in cell.itertuples():
            marker = "" if row.overcorrection_n == n else f"  (n={row.overcorrection_n})"
            lines.append(
                f"  {row.penalty:>8g}  "
                f"{format_row(row, 'overcorrection', percent=True):<24}"
                f"{format_row(row, 'excess_overcorrection', percent=True):<24}"
                f"{format_row(row, 'excess_overcorrection_final', percent=True):<24}"
                f"{format_row(row, 'accuracy', percent=True)}{marker}"
            )

    lines += [
        "",
        "Training instability: epochs (after the fifth) whose mean loss was more than twice, and 0.05 above, "
        "the lowest epoch loss before it",
    ]
    for row in result.instability_summary().itertuples():
        lines.append(
            f"  lambda {row.penalty:>8g}: spikes per network {format_row(row, 'spikes')}, "
            f"largest epoch loss / lowest before it {format_row(row, 'peak', digits=2)}"
        )

    training = result.training_summary().dropna(subset=["gradient_ratio_mean"])
    first, last_epoch = training.epoch.min(), training.epoch.max()
    lines += [
        "",
        "Gradients of the trauma examples against those of normal examples (at initialisation -> last epoch):",
        "  per example, penalty included (contains lambda by definition) | per example, without lambda | "
        "summed over each set | trauma share of the training loss",
    ]
    for penalty, cell in training.groupby("penalty", sort=False):
        start, end = cell[cell.epoch == first].iloc[0], cell[cell.epoch == last_epoch].iloc[0]
        parts = [
            f"{start[f'{c}_mean']:.3g} -> {end[f'{c}_mean']:.3g}"
            for c in ("gradient_ratio", "gradient_ratio_unweighted", "aggregate_ratio", "trauma_loss_share")
        ]
        lines.append(f"  lambda {penalty:>8g}: " + " | ".join(parts))

    lines += [
        "",
        f"Weight change per layer, relative to the layer's initial norm: from initialisation, and from the "
        f"lambda = {REFERENCE_PENALTY:g} network of the same seed beside the noise floor (lambda = {FLOOR_PENALTY})",
    ]
    for row in result.weights_summary().itertuples():
        lines.append(
            f"  lambda {row.penalty:>8g}  layer {row.layer} ({row.shape}): "
            f"from init {format_row(row, 'relative_change_from_init', digits=3)}"
            f"  from lambda=1 {format_row(row, 'relative_change_from_reference', digits=3)}"
            f"  noise floor {format_row(row, 'noise_floor', digits=3)}"
        )
    return "\n".join(lines) + "\n"
