"""One run of the book as one task, executed anywhere: in a thread here or on a Dask
worker (`trauma/book/cluster.py`).

The contract this file keeps:
- `execute_run(spec, files, *inputs)` builds a temporary book holding only what the
  run needs: `files` (its template) and the files of the runs it reads (`inputs`,
  each the bundle those runs returned or that was read from the book). It executes
  the notebook there with papermill in a child process, and returns a bundle:
  {"name", "error" (None, or one line), "files": {path in the book: bytes}} with the
  executed notebook and the run's results folder, or a failed run's notebook. It
  writes nothing outside its temporary folder, which it removes.
- A run that reads a failed run is not executed: its bundle names the failed one.
- A worker whose `trauma` source differs from the client's (the run's hash was
  computed from it) refuses the run instead of executing other code under its hash.
- The child dies with the task's process (Linux), so a killed worker leaves no
  notebook executing; ipykernel stops a kernel whose parent died.

    python -m trauma.book.task SPEC.json   the child: executes one run in the book at TRAUMA_ROOT
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..numerics.blas import cores
from . import integrity, paths

KERNEL = "python3"


def bundle_of(name: str, root: Path, relative_paths) -> dict:
    """The files at `relative_paths` of the book at `root` (files, or folders read
    whole; missing ones left out) as a bundle."""
    files = {}
    for relative in relative_paths:
        path = root / relative
        for file in sorted(path.rglob("*")) if path.is_dir() else [path] if path.exists() else []:
            if file.is_file():
                files[file.relative_to(root).as_posix()] = file.read_bytes()
    return {"name": name, "error": None, "files": files}


def execute_run(spec: dict, files: dict, *inputs: dict, scratch: str | None = None, threads: int | None = None) -> dict:
    """Execute the run `spec` (see `trauma.book.pipeline.spec_of`) in a temporary book and
    return its bundle. `scratch`: where the temporary book goes (default: the
    system's); `threads`: torch's threads in its kernel (default: every core here)."""
    failed = [bundle["name"] for bundle in inputs if bundle["error"]]
    if failed:
        return {"name": spec["name"], "error": f"not executed: it reads {', '.join(failed)}, which failed", "files": {}}
    from ..models import owner
    from .variants import source_digests

    if source_digests(owner(spec["template"])) != spec["hash_parts"]["source"]:
        return {
            "name": spec["name"],
            "files": {},
            "error": "not executed: this worker's trauma source differs from the client's (install the same version)",
        }
    if scratch:
        Path(scratch).mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix=f"{spec['name']}-", dir=scratch))
    try:
        for bundle in (files, *[i["files"] for i in inputs]):
            for relative, content in bundle.items():
                (root / relative).parent.mkdir(parents=True, exist_ok=True)
                (root / relative).write_bytes(content)
        threads = str(threads or cores())
        env = dict(
            os.environ,
            TRAUMA_ROOT=str(root),
            TRAUMA_PARENT=str(os.getpid()),
            OMP_NUM_THREADS=threads,
            MKL_NUM_THREADS=threads,
        )
        done = subprocess.run(
            [sys.executable, "-m", "trauma.book.task", json.dumps(spec)],
            env=env,
            cwd=root,
            capture_output=True,
            text=True,
        )
        error = None
        if done.returncode != 0:
            lines = (done.stderr or done.stdout).strip().splitlines()
            error = lines[-1] if lines else f"exit status {done.returncode}"
        made = [spec["output"], f"book/generated/failed/{spec['name']}.ipynb", spec["results"]]
        return {**bundle_of(spec["name"], root, made), "error": error, "seconds": time.perf_counter() - started}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def prepared_notebook(spec: dict):
    """The run's template as the notebook papermill executes: its title, unique
    labels, and the trauma metadata (variant, template, hash)."""
    import jupytext

    notebook = jupytext.read(paths.template(spec["template"]))
    for cell in notebook.cells:  # labels unique per page: @variant@ -> the run's name
        if cell.cell_type == "markdown":
            cell.source = cell.source.replace("@variant@", spec["name"].replace("_", "-"))
    first = notebook.cells[0]
    if first.cell_type == "markdown" and first.source.startswith("# "):
        first.source = "\n".join([f"# {spec['title']}", *first.source.splitlines()[1:]])
    notebook.metadata["trauma"] = {
        "variant": spec["name"],
        "template": spec["template"],
        "hash": spec["hash"],
        "hash_parts": spec["hash_parts"],
    }
    notebook.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3", "language": "python"}
    return notebook


def _execute_child(spec: dict) -> None:
    """The child: template -> notebook -> papermill -> the page, in the book at TRAUMA_ROOT."""
    import nbformat
    import papermill
    from papermill.translators import papermill_translators

    from ..models import owner
    from .frame import AsTyped, finish_page

    papermill_translators.register("python", AsTyped)
    notebook = prepared_notebook(spec)
    paths.STAGING.mkdir(parents=True, exist_ok=True)
    source, staged = paths.STAGING / f"{spec['name']}.input.ipynb", paths.STAGING / f"{spec['name']}.ipynb"
    nbformat.write(notebook, source)
    try:
        papermill.execute_notebook(
            str(source),
            str(staged),
            parameters=spec["parameters"],
            kernel_name=KERNEL,
            progress_bar=False,
            cwd=str(paths.ROOT),
        )
    except Exception as error:
        paths.FAILED.mkdir(parents=True, exist_ok=True)
        failed = paths.FAILED / f"{spec['name']}.ipynb"
        if staged.exists():
            staged.replace(failed)
        message = str(error).strip().splitlines()
        raise SystemExit(
            f"{type(error).__name__}: {message[-1] if message else ''} "
            f"(see {Path('book/generated/failed') / failed.name})"
        ) from None
    executed = nbformat.read(staged, as_version=4)
    output = paths.ROOT / spec["output"]
    model = owner(spec["template"])
    declared = None if model is None else model.page_config(spec["template"])
    defaults = {} if declared is None else declared.defaults()  # the parameters' one declaration
    results = paths.results_dir(spec["name"])
    finish_page(executed, output.name, defaults, spec["parameters"], results, spec["variant_page"])
    executed.metadata["trauma"]["results"] = integrity.record(results)
    output.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(executed, output)


def _die_with_parent() -> None:
    """Linux: be killed when the task's process dies (a killed Dask worker)."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != int(os.environ.get("TRAUMA_PARENT", os.getppid())):
        raise SystemExit("the task that started this run is gone")


if __name__ == "__main__":
    _die_with_parent()
    _execute_child(json.loads(sys.argv[1]))
