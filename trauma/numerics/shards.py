"""A sweep over many seeds run as shards of seeds, merged into one result.

The contract this file keeps:
- A shard is the same sweep on a contiguous run of its seed list (`split_seeds`,
  `Parameters.for_seeds`). A network's numbers do not depend on which networks share
  its grid (`trauma/numerics/trainer.py`), so a shard's output depends on its own seeds
  alone: shards are independent units of work. They run one after the other in
  this process, so that a shard's training memory is freed before the next starts
  (its tables and trained networks are kept for the merge), or as tasks of a pool
  (`trauma/book/cluster.py`: Dask workers), each sending back its SweepResult.
- Merging is the model's own: `merge_shards(config, shards)` in its sweep.py takes
  the shards' SweepResults in seed order and returns the whole sweep's. Its
  per-network tables equal the unsharded sweep's row for row and bit for bit
  (`stacked`), and so do its networks (`joined_runs`); whatever is computed across
  seeds (summaries, fits, spreads across seeds, their intervals) is recomputed
  from the merged per-network data, never combined from the shards' own values.
  Written out, every file equals the unsharded sweep's byte for byte (checkpoints
  and figures included) except the wall time, in results.json (the shards' summed;
  it also records `shards`) and summary.txt.
- The number of shards is checked before any training (`check_shards`; a model
  whose shards compute something across their own seeds first sets how many seeds
  a shard needs, `SHARD_MIN_SEEDS` in its config.py). Without one, it is chosen so
  that a shard's estimated peak memory stays under a budget (`shards_for_budget`,
  from the model's `memory_estimate`; a model without one runs whole).
"""

from __future__ import annotations

import math
import sys

import numpy as np
import pandas as pd

from .blas import cores
from .params import ParameterError, integer
from .trainer import joined, scattered


class ShardError(RuntimeError):
    pass


def check_shards(value, seeds: int, least: int = 1) -> int:
    """The number of shards: an integer from 1 to as many as give every shard at
    least `least` seeds (the model's `SHARD_MIN_SEEDS`)."""
    most = max(1, seeds // least)
    try:
        return integer("--shards", value, 1, maximum=most)
    except ParameterError:
        raise ParameterError(
            "--shards", f"an integer from 1 to {most} ({seeds} seeds, at least {least} a shard)", value
        ) from None


def split_seeds(seeds: list[int], shards: int) -> list[list[int]]:
    """`shards` contiguous runs of the seeds, their sizes differing by at most one."""
    return [part.tolist() for part in np.array_split(np.asarray(seeds, dtype=np.int64), shards)]


def shards_for_budget(seeds: int, estimate: tuple[float, float], budget_gb: float) -> int:
    """The fewest shards whose estimated peak memory, fixed + per_seed x seeds in a
    shard (`estimate`, bytes), stays under the budget; at most one seed a shard."""
    fixed, per_seed = estimate
    room = budget_gb * 1e9 - fixed
    if room <= per_seed:
        raise ParameterError(
            "--memory-budget-gb", f"more than {(fixed + per_seed) / 1e9:.2f} (one seed's estimated peak)", budget_gb
        )
    return min(seeds, math.ceil(seeds * per_seed / room))


def run_shard(model, config, seeds: list[int], progress: bool = False):
    """One shard, the unit of work: the sweep `config` of `model` (trauma/models.py)
    on `seeds` alone. Its SweepResult depends on nothing else."""
    return model.run_sweep(config.for_seeds(seeds), progress=progress)


def _shard_task(model, config, seeds: list[int], threads: int | None):
    """One shard as a pool's task, on a worker that runs one at a time: torch's threads
    first (None: every core of the worker's machine)."""
    import torch

    torch.set_num_threads(threads or cores())
    return run_shard(model, config, seeds)


def run_sharded(model, config, shards: int, progress: bool = False, pool=None, threads: int | None = None):
    """The sweep `config` as `shards` shards of its seeds, merged by the model: one
    after the other in this process, or as tasks of `pool` (`trauma/book/cluster.py`:
    submit, completed), each with `threads` torch threads (None: every core of its
    worker's machine)."""
    parts = split_seeds(config.seed_list, shards)
    if pool is None:
        results = []
        for number, seeds in enumerate(parts, 1):
            if progress:
                print(f"shard {number}/{shards}: seeds {seeds[0]}-{seeds[-1]}", file=sys.stderr, flush=True)
            results.append(run_shard(model, config, seeds, progress))
        return model.merge_shards(config, results)
    futures = [
        pool.submit(_shard_task, model, config, seeds, threads, key=f"shard-{number}")
        for number, seeds in enumerate(parts, 1)
    ]
    position, results = {future: i for i, future in enumerate(futures)}, [None] * shards
    for done, (future, result, error) in enumerate(pool.completed(futures), 1):
        i = position[future]
        if error is not None:
            raise ShardError(
                f"shard {i + 1} (seeds {parts[i][0]}-{parts[i][-1]}) failed: {type(error).__name__}: {error}"
            )
        results[i] = result
        if progress:
            print(f"shard {i + 1}/{shards} done ({done} of {shards})", file=sys.stderr, flush=True)
    return model.merge_shards(config, results)


def stacked(tables: list[pd.DataFrame], by: list[str]) -> pd.DataFrame:
    """The shards' tables as the unsharded sweep's: the rows of each condition (`by`,
    e.g. the penalty; conditions in the order they first appear, the same in every
    shard) together, in shard order, which is seed order."""
    table = pd.concat(tables, ignore_index=True)
    rank = table.groupby(by, sort=False).ngroup().to_numpy() if by else np.zeros(len(table))
    return table.iloc[np.argsort(rank, kind="stable")].reset_index(drop=True)


def member_positions(shard_members, all_members) -> np.ndarray:
    """Where each member of a shard (a list of keys, e.g. (penalty, seed)) sits in
    the whole grid (the same keys in the unsharded grid's order)."""
    where = {key: i for i, key in enumerate(all_members)}
    return np.array([where[key] for key in shard_members])


def joined_runs(trained, positions, num_members: int):
    """The shards' `Trained` grids (networks, loss curves, snapshots) as one, each
    member at its position in the whole grid."""
    return joined(list(zip(positions, trained)), num_members)


def joined_stacks(stacks, positions, num_members: int):
    """The shards' stacks of networks (`MLPStack`) as one, members at their positions."""
    return scattered(list(zip(positions, stacks)), stacks[0].dims, num_members)


def placed(arrays, positions, num_members: int) -> np.ndarray:
    """The shards' per-member arrays ([M_k, ...]) as one, rows at their positions."""
    out = np.empty((num_members, *arrays[0].shape[1:]), dtype=arrays[0].dtype)
    for values, rows in zip(arrays, positions):
        out[rows] = values
    return out


def merged_metadata(config, shards) -> dict:
    """The run metadata of the whole sweep: the first shard's, with every parameter
    and seed of the whole sweep, diverged networks and wall time summed over the
    shards, and how many shards there were."""
    first = shards[0].metadata
    return {
        **first,
        "parameters": config.as_dict(),
        "seeds": config.seed_list,
        "diverged_members": sum(s.metadata["diverged_members"] for s in shards),
        "wall_seconds": round(sum(s.metadata["wall_seconds"] for s in shards), 1),
        "shards": len(shards),
    }
