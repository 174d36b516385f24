"""Execute the book's notebooks with papermill: the stale ones, in parallel, safely.

Runs are executed stage by stage (extreme-penalty variants, then the dynamics pages
that read them, then the comparison, then the reproducibility page); within a stage
they run side by side, one kernel per core. Each run executes into a staging folder
and is moved into the book only when it finished without error; a failed run's
notebook goes to book/generated/failed/ for reading, never into the book. A finished
run's notebook records its results files (`trauma/integrity.py`), so that a run whose
notebook or results were damaged later is executed again, named with the damage.

    python -m trauma.pipeline SPEC.json   executes one run (used by `execute`)
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path

from . import integrity, paths
from .variants import Run, load_table

KERNEL = "python3"


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


def execute(todo: list[Run], runs: dict[str, Run], workers: int | None = None, log=print_now) -> None:
    """Execute runs stage by stage, each stage in parallel. Raises PipelineError
    naming the failed runs (after the stage's other runs have finished)."""
    workers = workers or os.cpu_count() or 1
    lock = threading.Lock()
    log_line = log

    def log(message: str) -> None:  # whole lines, also from parallel threads
        with lock:
            log_line(message)

    stages: dict[str, list[Run]] = {}
    for run in todo:
        stages.setdefault(run.template, []).append(run)
    total, done = len(todo), 0
    for stage in stages.values():
        parallel = min(workers, len(stage))
        env = dict(os.environ, OMP_NUM_THREADS="1") if parallel > 1 else dict(os.environ)

        def one(run: Run):
            log(f"  running  {run.name} ({run.template}) ...")
            started = time.perf_counter()
            error = _execute_in_subprocess(run, injected_parameters(run, runs), env)
            return run, error, time.perf_counter() - started

        failures = []
        with ThreadPoolExecutor(parallel) as pool:
            for future in as_completed([pool.submit(one, run) for run in stage]):
                run, error, seconds = future.result()
                done += 1
                if error:
                    failures.append(f"{run.name}: {error}")
                    log(f"[{done}/{total}] FAILED   {run.name} after {seconds:.0f} s")
                else:
                    log(f"[{done}/{total}] done     {run.name} in {seconds:.0f} s")
        if failures:
            raise PipelineError("execution failed:\n  " + "\n  ".join(failures))


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
        raise PipelineError(f"another run is executing in this checkout ({holder}); wait for it to finish or stop it") from None
    handle.truncate(0)
    handle.write(f"pid {os.getpid()}, `{' '.join(Path(sys.argv[0]).name.split() + sys.argv[1:])}`, since {time.strftime('%H:%M:%S')}")
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


def run_stale(names=None, force: bool = False, workers: int | None = None, log=print_now) -> list[Run]:
    """Load the table, execute what is stale (or named/forced), return what ran."""
    runs = load_table()
    with one_at_a_time():
        remove_leftovers()
        remove_orphans(runs)
        todo = select(runs, names, force)
        if not todo:
            log("All executed notebooks are up to date.")
            return []
        log(f"Executing {len(todo)} of {len(runs)} notebooks: {', '.join(r.name for r in todo)}")
        for run in todo:
            damage = [reason for reason in run.stale_reasons() if integrity.is_damage(reason)]
            if damage:
                log(f"  damaged  {run.name}: {'; '.join(damage)}")
        execute(todo, runs, workers, log)
    return todo


def _execute_in_subprocess(run: Run, parameters: dict, env: dict) -> str | None:
    spec = {
        "name": run.name,
        "template": run.template,
        "title": run.title,
        "hash": run.hash,
        "hash_parts": run.hash_parts,
        "parameters": parameters,
        "output": str(run.notebook),
        "variant_page": run.reads in (None, "source"),  # its own parameters, not a list of other runs
    }
    done = subprocess.run([sys.executable, "-m", "trauma.pipeline", json.dumps(spec)], env=env, capture_output=True, text=True)
    if done.returncode == 0:
        return None
    lines = (done.stderr or done.stdout).strip().splitlines()
    return lines[-1] if lines else f"exit status {done.returncode}"


def _execute_one(spec: dict) -> None:
    """Child process: template -> notebook with title and hash -> papermill -> book."""
    import jupytext
    import nbformat
    import papermill
    from papermill.translators import papermill_translators

    from .pages import AsTyped, finish_page, template_defaults

    papermill_translators.register("python", AsTyped)
    notebook = jupytext.read(paths.template(spec["template"]))
    for cell in notebook.cells:  # labels unique per page: @variant@ -> the run's name
        if cell.cell_type == "markdown":
            cell.source = cell.source.replace("@variant@", spec["name"].replace("_", "-"))
    first = notebook.cells[0]
    if first.cell_type == "markdown" and first.source.startswith("# "):
        first.source = "\n".join([f"# {spec['title']}", *first.source.splitlines()[1:]])
    notebook.metadata["trauma"] = {"variant": spec["name"], "template": spec["template"], "hash": spec["hash"],
                                   "hash_parts": spec["hash_parts"]}
    notebook.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3", "language": "python"}

    paths.STAGING.mkdir(parents=True, exist_ok=True)
    source = paths.STAGING / f"{spec['name']}.input.ipynb"
    staged = paths.STAGING / f"{spec['name']}.ipynb"
    nbformat.write(notebook, source)
    try:
        papermill.execute_notebook(
            str(source), str(staged), parameters=spec["parameters"], kernel_name=KERNEL,
            progress_bar=False, cwd=str(paths.ROOT),
        )
    except Exception as error:
        paths.FAILED.mkdir(parents=True, exist_ok=True)
        failed = paths.FAILED / f"{spec['name']}.ipynb"
        if staged.exists():
            staged.replace(failed)
        Path(spec["output"]).unlink(missing_ok=True)  # no out-of-date page stays in the book
        message = str(error).strip().splitlines()
        raise SystemExit(f"{type(error).__name__}: {message[-1] if message else ''} (see {failed})") from None
    finally:
        source.unlink(missing_ok=True)
    output = Path(spec["output"])
    defaults = {k: v for k, v in template_defaults(notebook).items() if k not in ("name", "title")}
    finish_page(staged, output.name, defaults, spec["parameters"], paths.results_dir(spec["name"]), spec["variant_page"])
    _record_results(staged, paths.results_dir(spec["name"]))
    output.parent.mkdir(parents=True, exist_ok=True)
    staged.replace(output)
    (paths.FAILED / f"{spec['name']}.ipynb").unlink(missing_ok=True)


def _record_results(notebook_path: Path, results: Path) -> None:
    """Store the size and sha256 of every results file in the notebook's metadata."""
    import nbformat

    notebook = nbformat.read(notebook_path, as_version=4)
    notebook.metadata["trauma"]["results"] = integrity.record(results)
    nbformat.write(notebook, notebook_path)


if __name__ == "__main__":
    _execute_one(json.loads(sys.argv[1]))
