"""Networks per second and peak memory of a Model 1 sweep against the grid size.

Each grid is the whole command, `trauma sweep extreme-penalty` with 9 penalties and
the noise floor (10 networks per seed) and 5, 20 or 100 seeds (50, 200 or 1,000
networks), default epochs and everything the sweep writes, run in a fresh Python.
By default the command picks its shards from its memory budget (2 GB); --shards
sets them, --shards 1 runs every grid unsharded. With --workers N the shards run as
tasks of a Dask LocalCluster of N workers (the command then takes at least N shards). Peak memory is the
largest sum of the resident sets of the command and every process below it (its
Dask workers), sampled every 0.1 s, and the largest single process; wall time is
the command's from start to written folder (a LocalCluster's start included).

    python benchmarks/grid_scaling.py [--sizes 50 200 1000] [--epochs 50] [--shards K] [--memory-budget-gb 2]
        [--workers N]

Time it on a quiet machine: a shared one's speed drifts by a third between runs.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

PENALTIES = "[1, 3, 10, 30, 100, 300, 1000, 3000, 10000]"  # and the noise floor: 10 networks per seed
PER_SEED = 10


def run_grid(
    networks: int, epochs: int, shards: str | None, budget: str, workers: int | None, out: Path
) -> tuple[float, float, float, str]:
    """(wall seconds, peak resident memory of the process tree and of its largest
    process in GB (10^9 bytes, as the budget), the command's first lines) of one sweep."""
    seeds = networks // PER_SEED
    command = (
        [
            sys.executable,
            "-m",
            "trauma.cli",
            "sweep",
            "extreme-penalty",
            "--quiet",
            "--out",
            str(out),
            "-p",
            "penalties",
            PENALTIES,
            "-p",
            "seeds",
            str(seeds),
            "-p",
            "epochs",
            str(epochs),
            "--memory-budget-gb",
            budget,
        ]
        + (["--shards", shards] if shards else [])
        + (["--workers", str(workers)] if workers else [])
    )
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    total = largest = 0
    tree = psutil.Process(child.pid)
    while child.poll() is None:
        try:
            sizes = [p.memory_info().rss for p in [tree, *tree.children(recursive=True)]]
        except psutil.Error:  # a process ended while we looked
            continue
        total, largest = max(total, sum(sizes)), max(largest, *sizes)
        time.sleep(0.1)
    seconds = time.perf_counter() - started
    stderr = child.stderr.read()
    child.stderr.close()
    if child.returncode != 0:
        raise SystemExit(f"sweep of {networks} networks failed:\n{stderr}")
    return seconds, total / 1e9, largest / 1e9, " ".join(stderr.splitlines()[:2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[50, 200, 1000], help="networks per grid (multiples of 10)"
    )
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--shards", help="shards for every grid (default: from the memory budget)")
    parser.add_argument("--memory-budget-gb", default="2")
    parser.add_argument("--workers", type=int, help="run the shards on a Dask LocalCluster of this many workers")
    args = parser.parse_args()
    print(
        f"Model 1 sweep, penalties {PENALTIES} + noise floor, {args.epochs} epochs, "
        f"{'--shards ' + args.shards if args.shards else 'shards from a budget of ' + args.memory_budget_gb + ' GB'}"
        f"{f', on a LocalCluster of {args.workers} workers' if args.workers else ', in one process'}"
    )
    print(f"{'networks':>8} {'seeds':>5}  {'wall s':>7} {'networks/s':>10} {'peak GB':>8} {'largest':>8}  command")
    with tempfile.TemporaryDirectory() as scratch:
        for size in args.sizes:
            seconds, peak, largest, said = run_grid(
                size, args.epochs, args.shards, args.memory_budget_gb, args.workers, Path(scratch) / str(size)
            )
            print(
                f"{size:>8} {size // PER_SEED:>5}  {seconds:>7.1f} {size / seconds:>10.2f} "
                f"{peak:>8.2f} {largest:>8.2f}  "
                f"{said}",
                flush=True,
            )


if __name__ == "__main__":
    main()
