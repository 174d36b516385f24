"""Files a Model 3 sweep writes, and reading them back.

DIR/results.csv       tidy: one row per network (caregiver count x seed) x test set
DIR/training.csv      one row per network x epoch (loss, spikes)
DIR/fits.csv          one row per quantity x test set: the power law value ~ a N^(-b)
DIR/summary.csv       mean and 95 % CI over seeds per caregiver count x test set
DIR/results.json      all of the above plus every parameter, seeds, versions, the reference's precision
DIR/summary.txt       the same numbers for people
DIR/generalisation.png  gap and excess MSE against N (headline test set)
DIR/checkpoints/caregivers_<N>.pt   the trained networks of every seed with N caregivers

Written atomically (`trauma.numerics.outputs.staging_folder`).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from ..numerics import outputs
from ..numerics.stats import format_ci, format_row
from .config import SweepConfig
from .dataset import TEST_SETS
from .figures import plot_by_caregivers
from .report import HYPOTHESIS_EXPONENT, fit_curves
from .sweep import SweepResult

TABLE_KEYS = ("summary", "fits", "training_summary", "results", "training")


def write_outputs(result: SweepResult, out_dir) -> Path:
    with outputs.staging_folder(out_dir) as staging:
        summary = result.summary()
        outputs.write_tables(
            staging,
            {"results": result.networks, "training": result.training, "fits": result.fits, "summary": summary},
            {
                **result.metadata,
                "summary": summary,
                "fits": result.fits,
                "training_summary": result.training_summary(),
                "results": result.networks,
                "training": result.training,
            },
        )
        (staging / "summary.txt").write_text(summary_text(result))
        headline = result.config.headline_test_set
        plt.close(
            plot_by_caregivers(
                summary[summary.test_set == headline],
                ["gap", "excess_mse"],
                result.networks[result.networks.test_set == headline],
                fit_curves(result),
                staging / "generalisation.png",
                hypothesis=HYPOTHESIS_EXPONENT,
            )
        )
        if result.run is not None:
            outputs.save_checkpoints(
                staging / "checkpoints",
                result.run.trained.final,
                result.run.seeds,
                "caregivers",
                result.run.counts,
                hidden_dims=result.config.hidden_dims,
            )
    return Path(out_dir)


def load_results(out_dir) -> SweepResult:
    """A sweep's tables and metadata read back from DIR (without the networks)."""
    tables, document = outputs.read_tables(out_dir, ("results", "training", "fits"))
    return SweepResult(
        config=SweepConfig(**document["parameters"]),
        networks=tables["results"],
        training=tables["training"],
        fits=tables["fits"],
        metadata={k: v for k, v in document.items() if k not in TABLE_KEYS},
    )


def summary_text(result: SweepResult) -> str:
    config, meta = result.config, result.metadata
    last = f"epochs {config.epochs - config.eval_epochs + 1}-{config.epochs}"
    lines = outputs.summary_header("Model 3, Limited Dataset", config.as_dict(), meta) + [
        f"Per network: mean over seeds [95 % CI, percentile bootstrap], n = {config.seeds} seeds, "
        f"averaged over {last}.",
        "MSEs against the responses of 50 novel caregivers x 40 interactions per seed; reference = the population",
        f"predictor f*(x) = E[y | x] (Monte Carlo; its mean squared error {meta['reference_precision']}).",
    ]
    summary = result.summary()
    for test_set in TEST_SETS:
        lines += [
            "",
            f"test caregivers: {test_set}" + (" (headline)" if test_set == config.headline_test_set else ""),
            f"  {'N':>3} {'examples':>8}  "
            + "".join(f"{c:<28}" for c in ("test MSE", "excess MSE", "train MSE", "gap")),
        ]
        examples = result.networks.groupby("caregivers").train_examples.first()
        for row in summary[summary.test_set == test_set].itertuples():
            lines.append(
                f"  {row.caregivers:>3} {examples[row.caregivers]:>8}  "
                + "".join(f"{format_row(row, c, digits=4):<28}" for c in ("test_mse", "excess_mse", "train_mse", "gap"))
            )
        reference = summary[summary.test_set == test_set].reference_mse_mean.iloc[0]
        lines.append(f"  reference MSE of f*: {reference:.4f}")
        for quantity in ("gap", "excess_mse"):
            fit = result.fit(quantity, test_set)
            lines.append(
                f"  power law {quantity} ~ N^(-b): b = {format_ci(fit['estimate'], fit['low'], fit['high'], digits=2)}"
            )
    return "\n".join(lines) + "\n"
