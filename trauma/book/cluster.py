"""Where tasks run: threads of this process (the default), a Dask LocalCluster of N
workers on this machine (`--workers N`), or any running Dask scheduler
(`--scheduler ADDRESS`: dask-jobqueue on SLURM or PBS, Kubernetes, or `dask
scheduler` and `dask worker` started by hand).

The contract this file keeps:
- A pool has one interface: `submit(function, *arguments, key=...)` returns a
  future, and an argument that is a future of the same pool is passed as its result
  (a task gets the results of the tasks it reads); `put(value)` ships data once;
  `completed(futures)` yields each future with its result or its exception, in the
  order they finish.
- A task's function and arguments are plain picklable values and it returns bytes
  and plain values: no shared filesystem is assumed.
- Each Dask task asks for the worker resource `notebook=1` and each worker offers
  one (`dask worker ... --resources notebook=1`), so a worker executes one task at
  a time and torch in its kernel cannot oversubscribe a node.
- A worker that dies mid-task: Dask runs the task again on another worker, once
  (`allowed-failures` 1, set for the LocalCluster; an external scheduler is started
  with DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=1, see the README); a second
  death ends the task with KilledWorker, which `completed` yields as its exception.
- `dask` and `distributed` are the optional extra `distributed`; a pool that needs
  them says so in one line (`PoolError`) before any task runs.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager

from ..numerics.blas import cores

RESOURCE = {"notebook": 1}
CONNECT_SECONDS = 20


class PoolError(RuntimeError):
    pass


class ThreadPool:
    """Tasks in threads of this process (each task's heavy work is in a child process)."""

    remote, where = False, None

    def __init__(self, slots: int):
        self.slots = slots
        self.executor = ThreadPoolExecutor(slots)

    def submit(self, function, *arguments, key: str = "", started=None, **keywords) -> Future:
        """`started()` is called when the task starts (after the tasks it reads finished)."""

        # Tasks start in submission order, so a task waiting here for the tasks it
        # reads (submitted earlier) waits only for ones already running or done.
        def call():
            values = [a.result() if isinstance(a, Future) else a for a in arguments]
            if started:
                started()
            return function(*values, **keywords)

        return self.executor.submit(call)

    def put(self, value):
        return value

    def completed(self, futures):
        for future in as_completed(futures):
            error = future.exception()
            yield future, None if error else future.result(), error

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


class DaskPool:
    """Tasks on the workers of a Dask cluster, one at a time per worker."""

    def __init__(self, client, slots: int, remote: bool, where: str, cluster=None):
        self.client, self.slots, self.remote, self.where, self.cluster = client, slots, remote, where, cluster

    def submit(self, function, *arguments, key: str = "", started=None, **keywords):
        """(`started` is not known here: the task starts on a worker.)"""
        return self.client.submit(
            function, *arguments, key=f"{key}-{os.urandom(4).hex()}", resources=RESOURCE, pure=False, **keywords
        )

    def put(self, value):
        return self.client.scatter(value, hash=False)

    def completed(self, futures):
        from distributed import as_completed as dask_completed

        for future in dask_completed(list(futures)):
            error = future.exception()
            yield future, None if error else future.result(), error

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def check_options(workers, scheduler) -> int | None:
    """--workers as an integer (or None), checked with --scheduler before anything runs."""
    from ..numerics.params import ParameterError, integer, parse_value

    if workers is not None and scheduler is not None:
        raise ParameterError(
            "--workers", "left out when --scheduler is given (the scheduler's workers run the tasks)", workers
        )
    if workers is not None:
        workers = integer("--workers", parse_value("--workers", workers), 1)
    if (workers is not None or scheduler is not None) and not _dask_installed():
        raise PoolError(
            "--workers and --scheduler need the distributed extra (missing: dask, distributed); "
            'install it with pip install -e ".[distributed]"'
        )
    return workers


@contextmanager
def open_pool(workers: int | None = None, scheduler: str | None = None, threads: int | None = None):
    """The pool for --workers N, --scheduler ADDRESS, or neither (`threads` threads
    here, default one per core); closed (a LocalCluster shut down) on the way out."""
    if workers is None and scheduler is None:
        pool = ThreadPool(threads or os.cpu_count() or 1)
    elif scheduler is None:
        pool = _local_cluster(workers)
    else:
        pool = _connect(scheduler)
    try:
        yield pool
    finally:
        pool.close()


def task_threads(pool, tasks: int) -> int | None:
    """Torch threads for each of `tasks` tasks: this machine's cores shared by the
    tasks that run side by side on it; None on a remote cluster, where each task takes
    every core of its worker's machine (`cores()` there)."""
    if pool.remote:
        return None
    return max(1, cores() // min(pool.slots, tasks))


def _dask_installed() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(name) is not None for name in ("dask", "distributed"))


def _local_cluster(workers: int) -> DaskPool:
    import dask
    from distributed import Client, LocalCluster

    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            resources=RESOURCE,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        client = Client(cluster)
    return DaskPool(client, workers, remote=False, where=f"a LocalCluster of {workers} workers", cluster=cluster)


def _connect(address: str) -> DaskPool:
    from distributed import Client

    try:
        client = Client(address, timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError, ValueError) as error:
        raise PoolError(f"--scheduler {address}: no Dask scheduler answered ({' '.join(str(error).split())})") from None
    workers = client.scheduler_info().get("workers", {}).values()
    offering = [w for w in workers if w.get("resources", {}).get("notebook", 0) >= 1]
    if not offering:
        client.close()
        raise PoolError(
            f"--scheduler {address}: none of its {len(workers)} workers offers the resource notebook=1; "
            f"start them with: dask worker {address} --nthreads 1 --resources notebook=1"
        )
    return DaskPool(client, len(offering), remote=True, where=f"the {len(offering)} workers of {address}")
