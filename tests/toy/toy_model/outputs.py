"""DIR/results.csv, summary.csv, results.json, summary.txt, accuracy.png, written atomically."""

from pathlib import Path

import matplotlib.pyplot as plt

from trauma.numerics import outputs

from .config import SweepConfig
from .figures import plot_accuracy
from .sweep import SweepResult


def write_outputs(result: SweepResult, out_dir) -> Path:
    with outputs.staging_folder(out_dir) as staging:
        summary = result.summary()
        outputs.write_tables(
            staging,
            {"results": result.networks, "training": result.training, "summary": summary},
            {**result.metadata, "summary": summary, "results": result.networks},
        )
        (staging / "summary.txt").write_text(
            "\n".join(outputs.summary_header("Model 5, Toy", result.config.as_dict(), result.metadata)) + "\n"
        )
        plt.close(plot_accuracy(summary, result.networks, staging / "accuracy.png"))
    return Path(out_dir)


def load_results(out_dir) -> SweepResult:
    tables, document = outputs.read_tables(out_dir, ("results", "training"))
    metadata = {k: v for k, v in document.items() if k not in ("summary", "results")}
    return SweepResult(SweepConfig(**document["parameters"]), tables["results"], tables["training"], metadata)
