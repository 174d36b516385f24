"""Writing a sweep's output folder safely, and the metadata every sweep records.

A sweep writes into a temporary folder beside DIR, which is moved into place only
when complete (by renames: even a kill never leaves a half-written or half-deleted
DIR), so a failed run leaves nothing behind. An existing DIR is replaced
only if it holds an earlier sweep's output (it has a results.json). Checkpoints hold
the trained stacks (`trauma.numerics.mlp.MLPStack`) with the seeds of their members.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .. import __version__
from .mlp import MLPStack

MARKER = "results.json"  # a folder holding this file is a sweep output we may replace


class OutputDirError(ValueError):
    pass


def check_output_dir(out_dir) -> Path:
    """Refuse, before any training, a DIR we must not replace."""
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or (any(out_dir.iterdir()) and not (out_dir / MARKER).exists())):
        raise OutputDirError(
            f"--out {out_dir}: exists and is not an earlier sweep's output (no {MARKER}); choose a new or empty folder"
        )
    return out_dir


@contextmanager
def staging_folder(out_dir):
    """Yield an empty folder to write into; on success it becomes `out_dir` (replacing
    an earlier sweep's output), on any error it is removed and `out_dir` is untouched."""
    out_dir = check_output_dir(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=out_dir.parent))
    try:
        yield staging
        staging.chmod(0o755)  # mkdtemp makes it private
        swap_in(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def swap_in(staging: Path, out_dir: Path) -> None:
    """Move `staging` to `out_dir` by renames only, so that a kill at any moment leaves
    under the name `out_dir` either the earlier output or the new one, whole (or, for
    an instant, nothing); the earlier one is set aside as .NAME.partial-old-* and
    deleted after (a leftover of that name is the book pipeline's to clear)."""
    if not out_dir.exists():
        os.replace(staging, out_dir)
        return
    earlier = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-old-", dir=out_dir.parent))
    os.replace(out_dir, earlier)  # onto an empty folder: allowed
    os.replace(staging, out_dir)
    shutil.rmtree(earlier)


def records(table: pd.DataFrame) -> list[dict]:
    """A table as JSON records (NaN -> null)."""
    return json.loads(table.to_json(orient="records"))


def write_json(path: Path, document: dict) -> None:
    path.write_text(json.dumps(document, indent=1))


def write_tables(folder: Path, csv: dict, document: dict) -> None:
    """A sweep's tables: each of `csv` (name -> DataFrame) as folder/<name>.csv, and
    `document` as results.json, its DataFrames written as records."""
    for name, table in csv.items():
        table.to_csv(folder / f"{name}.csv", index=False)
    write_json(folder / MARKER, {key: records(v) if isinstance(v, pd.DataFrame) else v for key, v in document.items()})


def read_tables(folder, names) -> tuple[dict, dict]:
    """The CSV tables `names` of a sweep's folder (name -> DataFrame) and its results.json."""
    folder = Path(folder)
    return {name: pd.read_csv(folder / f"{name}.csv") for name in names}, json.loads((folder / MARKER).read_text())


def run_metadata(model: str, parameters: dict, seeds: list, wall_seconds: float, **extra) -> dict:
    """What every sweep's results.json records besides its tables."""
    return {
        "model": model,
        "parameters": parameters,
        "seeds": seeds,
        "versions": {
            "trauma": __version__,
            "torch": torch.__version__,
            "numpy": np.__version__,
            "python": sys.version.split()[0],
            "platform": platform.platform(),
        },
        "torch_threads": torch.get_num_threads(),
        **extra,
        "wall_seconds": round(wall_seconds, 1),
    }


def summary_header(title: str, parameters: dict, metadata: dict) -> list[str]:
    """The first lines of every sweep's summary.txt."""
    return [
        f"{title}: sweep summary",
        "",
        "Parameters: " + ", ".join(f"{k}={v}" for k, v in parameters.items()),
        f"Seeds: {metadata['seeds']}",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in metadata["versions"].items()),
        f"Wall time: {metadata['wall_seconds']} s; diverged networks: {metadata['diverged_members']}"
        + (" (left out of every mean: its n counts the seeds used)" if metadata["diverged_members"] else ""),
        "",
    ]


def save_checkpoint(path: Path, stack: MLPStack, seeds, **info) -> None:
    """The networks of a stack, with each member's seed and anything else to keep."""
    torch.save({"dims": stack.dims, "seeds": [int(s) for s in seeds], "flat": stack.flat, **info}, path)


def save_checkpoints(folder: Path, stack: MLPStack, seeds, condition: str, values, **info) -> None:
    """One checkpoint per value of a condition (e.g. each penalty), named
    <condition>_<value>.pt, holding the members with that value and their seeds."""
    folder.mkdir()
    values, seeds = np.asarray(values), np.asarray(seeds)
    for value in dict.fromkeys(values.tolist()):
        members = np.flatnonzero(values == value)
        save_checkpoint(
            folder / f"{condition}_{value:g}.pt", stack.select(members), seeds[members], **{condition: value}, **info
        )


def load_checkpoint(path) -> tuple[MLPStack, dict]:
    """(stack, everything else saved with it)."""
    saved = torch.load(path, weights_only=True)
    stack = MLPStack(saved.pop("dims"), len(saved["seeds"]), saved.pop("flat"))
    return stack, saved
