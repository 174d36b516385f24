"""Execute the book's stale notebooks as tasks, and write what they return into the book.

Each run is one task (`trauma/book/task.py`) on a pool (`trauma/book/cluster.py`): threads
here, one run per core (the default), a LocalCluster of N workers (`--workers N`)
or any running Dask scheduler (`--scheduler ADDRESS`). Every stale run is submitted
at once, in execution order; a run that reads other runs (a dynamics page its
variant, a comparison page its model's variants, ...) gets their tasks' results as
its inputs, or their files from the book when they are up to date.

This process writes each run's bundle into book/generated/ as it arrives, by renames
only: the results folder first, then the page, so a kill at any moment leaves each
run as it was or complete (a page records its results files, `trauma/book/integrity.py`,
so a page left beside newer results is stale, and is executed again, named with the
damage). A failed run's notebook goes to book/generated/failed/ for reading, never
into the book, and its earlier page leaves the book; the runs that read it are not
executed, and all the others are.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from ..numerics.outputs import swap_in
from . import integrity, paths
from .cluster import open_pool, task_threads
from .task import bundle_of, execute_run, prepared_notebook
from .variants import Run, load_table


class PipelineError(RuntimeError):
    pass


def injected_parameters(run: Run, runs: dict[str, Run]) -> dict:
    """What papermill puts into the run's parameters cell."""
    common = {"name": run.name, "title": run.title}
    if run.reads == "all":
        return {**common, "notebooks": {n: runs[n].notebook.relative_to(paths.ROOT).as_posix() for n in run.inputs}}
    if run.reads and run.reads != "source":
        return {**common, "variants": run.inputs, "titles": [runs[n].title for n in run.inputs]}
    return {**run.parameters, **common}


def select(runs: dict[str, Run], names=None, force: bool = False) -> list[Run]:
    """The runs to execute: the named ones (all if None) that are stale or forced,
    plus any stale run they read, in execution order."""
    wanted = set(runs if names is None else names)
    unknown = wanted - set(runs)
    if unknown:
        raise PipelineError(f"unknown variant {sorted(unknown)[0]!r}; known: {', '.join(runs)}")
    pending = list(wanted)
    while pending:  # stale inputs of wanted runs are needed too
        for name in runs[pending.pop()].inputs:
            if name not in wanted and runs[name].stale:
                wanted.add(name)
                pending.append(name)
    forced = set(names if names is not None else runs) if force else set()
    return [run for name, run in runs.items() if name in wanted and (run.stale or name in forced)]


def remove_orphans(runs: dict[str, Run]) -> None:
    """Delete executed notebooks that no current run produces (renamed or removed
    variants), so that the book's globs pick up nothing stale."""
    expected = {run.notebook for run in runs.values()}
    for section in {run.section for run in runs.values()}:
        for notebook in paths.section_dir(section).glob("*.ipynb"):
            if notebook not in expected:
                notebook.unlink()


def print_now(line: str) -> None:
    """The default log: each line as it happens, also into a pipe (`trauma book | tee`)."""
    print(line, flush=True)


def spec_of(run: Run, runs: dict[str, Run]) -> dict:
    """What a task needs to know of its run (paths relative to the book)."""
    return {
        "name": run.name,
        "template": run.template,
        "title": run.title,
        "hash": run.hash,
        "hash_parts": run.hash_parts,
        "parameters": injected_parameters(run, runs),
        "output": _in_book(run.notebook),
        "results": _in_book(paths.results_dir(run.name)),
        "variant_page": run.reads in (None, "source"),  # its own parameters, not a list of other runs
    }


def execute(todo: list[Run], runs: dict[str, Run], pool, log=print_now) -> None:
    """Execute runs on `pool`, writing each into the book as it finishes. Raises
    PipelineError naming the failed runs (after all the others have finished)."""
    lock = threading.Lock()
    log_line = log

    def log(message: str) -> None:  # whole lines, also from parallel threads
        with lock:
            log_line(message)

    threads = task_threads(pool, len(todo))
    scratch = None if pool.remote else str(paths.STAGING)  # cleared after a kill (remove_leftovers)
    if pool.where:
        log(f"  on {pool.where}")
    futures, runs_of = {}, {}
    for run in todo:  # execution order: the runs a run reads are submitted before it
        inputs = [
            futures[name] if name in futures else pool.put(bundle_of(name, paths.ROOT, _files_of(runs[name])))
            for name in run.inputs
        ]
        template = bundle_of(run.name, paths.ROOT, [_in_book(paths.template(run.template))])["files"]
        futures[run.name] = pool.submit(
            execute_run,
            spec_of(run, runs),
            template,
            *inputs,
            key=run.name,
            started=lambda run=run: log(f"  running  {run.name} ({run.template}) ..."),
            scratch=scratch,
            threads=threads,
        )
        runs_of[futures[run.name]] = run
    failures = []
    for done, (future, bundle, error) in enumerate(pool.completed(futures.values()), 1):
        run = runs_of[future]
        if error is not None:  # the task itself failed: e.g. its worker died twice
            bundle = {
                "name": run.name,
                "files": {},
                "seconds": None,
                "error": f"{type(error).__name__}: {' '.join(str(error).split()) or 'no message'}",
            }
        write_bundle(run, bundle, runs)
        took = f" after {bundle['seconds']:.0f} s" if bundle.get("seconds") is not None else ""
        if bundle["error"]:
            failures.append(f"{run.name}: {bundle['error']}")
            log(f"[{done}/{len(todo)}] FAILED   {run.name}{took}")
        else:
            log(f"[{done}/{len(todo)}] done     {run.name} in {bundle['seconds']:.0f} s")
    if failures:
        raise PipelineError("execution failed:\n  " + "\n  ".join(failures))


def write_bundle(run: Run, bundle: dict, runs: dict[str, Run]) -> None:
    """A task's result into the book by renames only: the results folder, then the
    page; or, for a failed run, its notebook into failed/ and its page out of the book."""
    files, failed = bundle["files"], paths.FAILED / f"{run.name}.ipynb"
    if bundle["error"]:
        notebook = files.get(_in_book(failed)) or _failure_notebook(run, runs, bundle["error"])
        _write_file(failed, notebook)
        run.notebook.unlink(missing_ok=True)  # no out-of-date page stays in the book
        return
    results = paths.results_dir(run.name)
    prefix = _in_book(results) + "/"
    produced = {name[len(prefix) :]: content for name, content in files.items() if name.startswith(prefix)}
    if produced:
        results.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{results.name}.partial-", dir=results.parent))
        for name, content in produced.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            (staging / name).write_bytes(content)
        staging.chmod(0o755)  # mkdtemp makes it private
        swap_in(staging, results)
    _write_file(run.notebook, files[_in_book(run.notebook)])
    failed.unlink(missing_ok=True)


def _write_file(path: Path, content: bytes) -> None:
    """Write a whole file or nothing: into a temporary file beside it, then renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.partial-", dir=path.parent)
    with os.fdopen(handle, "wb") as out:
        out.write(content)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def _failure_notebook(run: Run, runs: dict[str, Run], error: str) -> bytes:
    """For a run that left no notebook (its worker died twice): the notebook it would
    have executed, opened by the error."""
    import nbformat

    notebook = prepared_notebook(spec_of(run, runs))
    notebook.cells.insert(0, nbformat.v4.new_markdown_cell(f"**Not executed:** {error}"))
    return nbformat.writes(notebook).encode()


def _files_of(run: Run) -> list[str]:
    """What a run's readers need of it: its page and its results folder."""
    return [_in_book(run.notebook), _in_book(paths.results_dir(run.name))]


def _in_book(path: Path) -> str:
    return path.relative_to(paths.ROOT).as_posix()


@contextmanager
def one_at_a_time():
    """Hold the checkout's run lock (book/generated/.lock) while runs execute: a second
    `trauma run` or `trauma book` stops with a message naming the first, instead of
    executing the same runs twice. The lock dies with its process, even on kill -9."""
    paths.GENERATED.mkdir(parents=True, exist_ok=True)
    handle = open(paths.LOCK, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise PipelineError(
            f"another run is executing in this checkout ({holder}); wait for it to finish or stop it"
        ) from None
    handle.truncate(0)
    handle.write(
        f"pid {os.getpid()}, `{' '.join(Path(sys.argv[0]).name.split() + sys.argv[1:])}`, "
        f"since {time.strftime('%H:%M:%S')}"
    )
    handle.flush()
    try:
        yield
    finally:
        handle.truncate(0)
        handle.close()  # releases the lock


def remove_leftovers() -> None:
    """What an interrupted run left behind: its staging notebooks and half-written
    results folders (only called while holding the run lock, so none is in use)."""
    shutil.rmtree(paths.STAGING, ignore_errors=True)
    for partial in (paths.GENERATED / "results").glob(".*.partial-*"):
        shutil.rmtree(partial, ignore_errors=True)


def run_stale(
    names=None, force: bool = False, workers: int | None = None, scheduler: str | None = None, log=print_now
) -> list[Run]:
    """Load the table, execute what is stale (or named/forced) on this machine's cores,
    a LocalCluster of `workers` or the Dask `scheduler`, and return what ran."""
    runs = load_table()
    with one_at_a_time():
        remove_leftovers()
        remove_orphans(runs)
        todo = select(runs, names, force)
        if not todo:
            log("All executed notebooks are up to date.")
            return []
        with open_pool(workers, scheduler) as pool:  # a scheduler that does not answer stops us here
            log(f"Executing {len(todo)} of {len(runs)} notebooks: {', '.join(r.name for r in todo)}")
            for run in todo:
                damage = [reason for reason in run.stale_reasons() if integrity.is_damage(reason)]
                if damage:
                    log(f"  damaged  {run.name}: {'; '.join(damage)}")
            execute(todo, runs, pool, log)
    return todo
