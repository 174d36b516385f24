"""Files a Model 2 sweep writes, and reading them back.

DIR/results.csv       tidy: one row per network (noise level x seed) x subset
DIR/ensemble.csv      one row per noise level x subset: instability, variance, disagreement across seeds
DIR/jackknife.csv     the same with each seed left out in turn
DIR/by_epoch.csv      one row per noise level x recorded training length: the in-context spread across seeds
DIR/training.csv      one row per network x epoch (loss, spikes, agreement with wrong labels, generalisation
                      baseline, memorisation, clean fit)
DIR/noise.csv         one row per seed x level: the realised share of noisy in-context labels
DIR/summary.csv       mean and 95 % CI over seeds per noise level x subset
DIR/results.json      all of the above plus every parameter, the exponent fits (excess over level 0, raw, and
                      per recorded epoch), seeds and versions
DIR/summary.txt       the same numbers for people
DIR/metrics.png, instability.png
DIR/checkpoints/noise_<level>.pt   the trained networks of every seed at that level

Written atomically (`trauma.numerics.outputs.staging_folder`).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from ..numerics import outputs
from ..numerics.stats import format_ci, format_row
from .config import SweepConfig
from .figures import plot_across_seeds, plot_by_level
from .sweep import ENSEMBLE_COLUMNS, SweepResult

TABLE_KEYS = ("summary", "ensemble", "training_summary", "noise_summary", "results", "training", "noise", "by_epoch")
FIT_KEYS = ("exponent", "raw_exponent", "exponent_by_epoch")


def write_outputs(result: SweepResult, out_dir) -> Path:
    with outputs.staging_folder(out_dir) as staging:
        summary = result.summary()
        outputs.write_tables(
            staging,
            {
                "results": result.networks,
                "ensemble": result.ensemble,
                "jackknife": result.jackknife,
                "by_epoch": result.by_epoch,
                "training": result.training,
                "noise": result.noise,
                "summary": summary,
            },
            {
                **result.metadata,
                **{key: getattr(result, key) for key in FIT_KEYS},
                "summary": summary,
                "ensemble": result.ensemble,
                "training_summary": result.training_summary(),
                "noise_summary": result.noise_summary(),
                "results": result.networks,
                "training": result.training,
                "noise": result.noise,
                "by_epoch": result.by_epoch,
            },
        )
        (staging / "summary.txt").write_text(summary_text(result))
        plt.close(plot_by_level(summary, ["accuracy", "collapse"], staging / "metrics.png", per_seed=result.networks))
        plt.close(
            plot_across_seeds(
                result.ensemble,
                "instability",
                "instability: SD of p(y = 1 | x) across seeds",
                staging / "instability.png",
            )
        )
        if result.run is not None:
            outputs.save_checkpoints(
                staging / "checkpoints",
                result.run.trained.final,
                result.run.seeds,
                "noise",
                result.run.levels,
                hidden_dims=result.config.hidden_dims,
            )
    return Path(out_dir)


def load_results(out_dir) -> SweepResult:
    """A sweep's tables and metadata read back from DIR (without the networks)."""
    tables, document = outputs.read_tables(
        out_dir, ("results", "ensemble", "jackknife", "training", "noise", "by_epoch")
    )
    return SweepResult(
        config=SweepConfig(**document["parameters"]),
        networks=tables["results"],
        ensemble=tables["ensemble"],
        jackknife=tables["jackknife"],
        training=tables["training"],
        noise=tables["noise"],
        by_epoch=tables["by_epoch"],
        **{key: document[key] for key in FIT_KEYS},
        metadata={k: v for k, v in document.items() if k not in TABLE_KEYS + FIT_KEYS},
    )


def summary_text(result: SweepResult) -> str:
    config, meta = result.config, result.metadata
    last = f"epochs {config.epochs - config.eval_epochs + 1}-{config.epochs}"
    lines = outputs.summary_header("Model 2, Noisy Signals", config.as_dict(), meta) + [
        f"Per network: mean over seeds [95 % CI, percentile bootstrap], n = {config.seeds} seeds, "
        f"averaged over {last}.",
        "Across seeds: one value per level [95 % CI, jackknife over seeds].",
        "",
        "Realised share of noisy in-context training labels (mean over seeds):",
    ]
    for row in result.noise_summary().itertuples():
        lines.append(f"  level {row.noise:g}: {format_row(row, 'realised', percent=True)}")
    summary = result.summary()
    for subset, cell in summary.groupby("subset", sort=False):
        lines += [
            "",
            f"{subset}",
            f"  {'level':>6}  {'accuracy':<24}{'collapse':<24}{'confidence':<22}calibration error",
        ]
        for row in cell.itertuples():
            lines.append(
                f"  {row.noise:>6g}  {format_row(row, 'accuracy', percent=True):<24}"
                f"{format_row(row, 'collapse', percent=True):<24}"
                f"{format_row(row, 'confidence', digits=3):<22}"
                f"{format_row(row, 'calibration_error', digits=3)}"
            )
        ensemble = result.ensemble[result.ensemble.subset == subset]
        lines.append(f"  {'level':>6}  " + "".join(f"{name:<26}" for name in ENSEMBLE_COLUMNS))
        for row in ensemble.itertuples():
            lines.append(
                f"  {row.noise:>6g}  "
                + "".join(
                    f"{format_ci(getattr(row, n), getattr(row, f'{n}_low'), getattr(row, f'{n}_high'), digits=4):<26}"
                    for n in ENSEMBLE_COLUMNS
                )
            )
    lines.append("")
    for e, what in ((result.exponent, "excess over level 0"), (result.raw_exponent, "raw, floor included")):
        quantity = what if e["floor"] or what.startswith("raw") else "raw (no level 0: floor not subtracted)"
        lines.append(
            f"Power law, in-context variance across seeds ({quantity}) ~ level^b over levels {e['levels']}: "
            f"b = {format_ci(e['estimate'], e['low'], e['high'], digits=2)}"
        )
    lines += ["", "In-context instability (SD across seeds) after each recorded epoch:"]
    for epoch, rows in result.by_epoch.groupby("epoch"):
        lines.append(
            f"  epoch {epoch:>4}: "
            + ", ".join(
                f"{row.noise:g}: {format_ci(row.instability, row.instability_low, row.instability_high, digits=3)}"
                for row in rows.itertuples()
            )
        )
    return "\n".join(lines) + "\n"
