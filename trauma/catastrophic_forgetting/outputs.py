"""Files a Model 4 sweep writes, and reading them back.

DIR/results.csv       tidy: one row per network (strategy x seed)
DIR/curves.csv        one row per phase-2 network x epoch: danger and neutral recall, retention, therapy success
DIR/weights.csv       one row per phase-2 network x layer: weight change against the phase-1 network
DIR/training.csv      phase-1 loss per seed and epoch, with loss spikes
DIR/summary.csv       mean and 95 % CI over seeds per strategy
DIR/results.json      all of the above plus every parameter, seeds and versions
DIR/summary.txt       the same numbers for people
DIR/tradeoff.png      retention and danger recall against therapy success, every strategy
DIR/checkpoints/phase1.pt, phase2.pt, joint.pt   the trained networks

Written atomically (`trauma.numerics.outputs.staging_folder`).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from ..numerics import outputs
from ..numerics.stats import format_row
from .config import SweepConfig
from .figures import plot_tradeoff
from .sweep import SweepResult

TABLE_KEYS = ("summary", "results", "curves", "weights", "training")


def write_outputs(result: SweepResult, out_dir) -> Path:
    with outputs.staging_folder(out_dir) as staging:
        summary = result.summary()
        tables = {
            "results": result.networks,
            "curves": result.curves,
            "weights": result.weights,
            "training": result.training,
        }
        outputs.write_tables(staging, {**tables, "summary": summary}, {**result.metadata, "summary": summary, **tables})
        (staging / "summary.txt").write_text(summary_text(result))
        plt.close(plot_tradeoff(summary, result.networks, staging / "tradeoff.png"))
        if result.run is not None:
            (staging / "checkpoints").mkdir()
            seeds = result.config.seed_list
            outputs.save_checkpoint(staging / "checkpoints/phase1.pt", result.run.phase1, seeds)
            phase2 = result.run.phase2
            outputs.save_checkpoint(
                staging / "checkpoints/phase2.pt",
                phase2.trained.final,
                phase2.seeds,
                strategies=[s.__dict__ for s in phase2.strategies],
            )
            if result.run.joint is not None:
                outputs.save_checkpoint(staging / "checkpoints/joint.pt", result.run.joint, seeds)
    return Path(out_dir)


def load_results(out_dir) -> SweepResult:
    """A sweep's tables and metadata read back from DIR (without the networks)."""
    tables, document = outputs.read_tables(out_dir, ("results", "curves", "weights", "training"))
    return SweepResult(
        config=SweepConfig(**document["parameters"]),
        networks=tables["results"],
        curves=tables["curves"],
        weights=tables["weights"],
        training=tables["training"],
        metadata={k: v for k, v in document.items() if k not in TABLE_KEYS},
    )


def summary_text(result: SweepResult) -> str:
    config, meta = result.config, result.metadata
    lines = outputs.summary_header("Model 4, Catastrophic Forgetting", config.as_dict(), meta) + [
        f"Mean over seeds [95 % CI, percentile bootstrap], n = {config.seeds} seeds; phase 2 averaged over its last "
        f"{config.eval_epochs} epochs. Retention = (balanced phase-1 accuracy after - 0.5) / (before - 0.5):",
        "1 all kept, 0 a constant answer (balanced accuracy = mean of danger and neutral recall).",
        "",
        f"  {'strategy':<28}{'retention':<26}{'therapy success':<26}danger recall",
    ]
    for row in result.summary().itertuples():
        lines.append(
            f"  {row.strategy:<28}{format_row(row, 'retention', digits=3):<26}"
            f"{format_row(row, 'therapy_success', digits=3):<26}"
            f"{format_row(row, 'danger_recall', digits=3)}"
        )
    return "\n".join(lines) + "\n"
