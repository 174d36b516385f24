"""Networks per second and peak memory of a Model 1 sweep against the grid size.

Each grid is the whole command, `trauma sweep extreme-penalty` with 9 penalties and
the noise floor (10 networks per seed) and 5, 20 or 100 seeds (50, 200 or 1,000
networks), default epochs and everything the sweep writes, run in a fresh Python.
By default the command picks its shards from its memory budget (2 GB); --shards
sets them, --shards 1 runs every grid unsharded. Peak memory is the child's own
maximum resident set (os.wait4), wall time is the command's from start to written
folder.

    python benchmarks/grid_scaling.py [--sizes 50 200 1000] [--epochs 50] [--shards K] [--memory-budget-gb 2]

Time it on a quiet machine: a shared one's speed drifts by a third between runs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PENALTIES = "[1, 3, 10, 30, 100, 300, 1000, 3000, 10000]"  # and the noise floor: 10 networks per seed
PER_SEED = 10


def run_grid(networks: int, epochs: int, shards: str | None, budget: str, out: Path) -> tuple[float, float, str]:
    """(wall seconds, peak resident memory in GB (10^9 bytes, as the budget), the
    command's first line) of one sweep."""
    command = [sys.executable, "-m", "trauma.cli", "sweep", "extreme-penalty", "--quiet", "--out", str(out),
               "-p", "penalties", PENALTIES, "-p", "seeds", str(networks // PER_SEED), "-p", "epochs", str(epochs),
               "--memory-budget-gb", budget] + (["--shards", shards] if shards else [])
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    stderr = child.stderr.read()
    child.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"sweep of {networks} networks failed:\n{stderr}")
    return seconds, usage.ru_maxrss * 1024 / 1e9, stderr.splitlines()[0]  # ru_maxrss: KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 1000], help="networks per grid (multiples of 10)")
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--shards", help="shards for every grid (default: from the memory budget)")
    parser.add_argument("--memory-budget-gb", default="2")
    args = parser.parse_args()
    print(f"Model 1 sweep, penalties {PENALTIES} + noise floor, {args.epochs} epochs, "
          f"{'--shards ' + args.shards if args.shards else 'shards from a budget of ' + args.memory_budget_gb + ' GB'}")
    print(f"{'networks':>8} {'seeds':>5}  {'wall s':>7} {'networks/s':>10} {'peak GB':>8}  command")
    with tempfile.TemporaryDirectory() as scratch:
        for size in args.sizes:
            seconds, peak, said = run_grid(size, args.epochs, args.shards, args.memory_budget_gb, Path(scratch) / str(size))
            print(f"{size:>8} {size // PER_SEED:>5}  {seconds:>7.1f} {size / seconds:>10.2f} {peak:>8.2f}  {said}", flush=True)


if __name__ == "__main__":
    main()
