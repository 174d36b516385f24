"""Faults of the book's pipeline, on a small copy of the book (two extreme-penalty
variants and one dynamics page that reads one of them, smoke parameters):

- `kill -9` of `trauma run --all` while a run executes: nothing half-written is in
  the book, the lock is free, and the rerun executes only what had not finished;
- an executed notebook or a results file damaged after its run: `trauma status`
  names the damage, `trauma run --all` re-executes exactly that run, naming it.

Every command runs with a timeout; the machine is small and shared, so the limits
are generous (the whole file takes a few minutes).
"""

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
from conftest import SMALL_BOOK_RUNS as RUNS  # the runs of the small_book fixture

from trauma.book import integrity

TRAUMA = str(Path(sys.executable).parent / "trauma")
NOTEBOOKS = {
    "realistic": "variants/01_realistic.ipynb",
    "linear": "variants/02_linear.ipynb",
    "dynamics_lambda_1": "dynamics/01_dynamics_lambda_1.ipynb",
}
MINUTES = 60


def trauma(env, *args, timeout=10 * MINUTES):
    return subprocess.run([TRAUMA, *args], env=env, capture_output=True, text=True, timeout=timeout)


def notebook(root: Path, run: str) -> Path:
    return root / "book/generated" / NOTEBOOKS[run]


def status(env) -> str:
    """What `trauma status` prints, checking it answered without a traceback."""
    done = trauma(env, "status", timeout=5 * MINUTES)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return done.stdout


def status_rows(printed: str) -> dict[str, str]:
    """{run: its line} of what `trauma status` printed."""
    return {line.split()[0]: line for line in printed.splitlines() if line.split() and line.split()[0] in RUNS}


def all_up_to_date(env) -> bool:
    rows = status_rows(status(env))
    return len(rows) == len(RUNS) and all(re.search(r"\sup to date\s", row) for row in rows.values())


def stamps(root: Path) -> dict[str, int]:
    """mtime_ns of every executed notebook and results file (what a rerun would rewrite)."""
    generated = root / "book/generated"
    files = (p.relative_to(generated) for p in generated.rglob("*") if p.is_file())
    return {
        str(p): (generated / p).stat().st_mtime_ns
        for p in files
        if (p.suffix == ".ipynb" or p.parts[0] == "results") and p.parts[0] != ".staging"
    }


# --- kill -9 -------------------------------------------------------------------------


class Lines:
    """The lines a process prints, read by a thread, so that waiting for one can time out."""

    def __init__(self, process: subprocess.Popen):
        self.seen: list[str] = []
        self._queue: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, args=(process.stdout,), daemon=True).start()

    def _read(self, stream) -> None:
        for line in stream:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, pattern: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
            if re.search(pattern, line):
                return line
        raise AssertionError(f"no line matching {pattern!r} within {timeout:.0f} s; printed:\n" + "\n".join(self.seen))

    def rest(self, timeout: float = 30) -> list[str]:
        """Every further line until the stream closes."""
        while True:
            line = self._queue.get(timeout=timeout)
            if line is None:
                return self.seen
            self.seen.append(line)


def descendants(pid: int) -> dict[int, str]:
    """{pid: command line} of every living process below `pid` (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, pending = {}, [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found[child] = command_line(child)
            pending.append(child)
    return {p: c for p, c in found.items() if c}


def command_line(pid: int) -> str:
    """The process's command line ('' if it is gone or a zombie)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def wait_for_kernel(pid: int, timeout: float) -> dict[int, str]:
    """The Jupyter kernels below `pid`, once there is one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kernels = {p: c for p, c in descendants(pid).items() if "ipykernel" in c}
        if kernels:
            return kernels
        time.sleep(0.2)
    raise AssertionError(f"no kernel started below pid {pid} within {timeout:.0f} s")


def gone_within(pids, seconds: float) -> list[int]:
    """The pids still alive after `seconds` (zombies count as gone)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(command_line(p) for p in pids):
        time.sleep(0.2)
    return [p for p in pids if command_line(p)]


def test_kill_9_in_the_middle_of_a_run_leaves_nothing_half_written_and_the_rerun_does_only_the_rest(small_book):
    root, env = small_book
    generated = root / "book/generated"
    shutil.rmtree(generated, ignore_errors=True)  # from nothing, whichever test ran before
    run = subprocess.Popen(
        [TRAUMA, "run", "--all"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )  # its own process group, as a terminal gives a command
    lines = Lines(run)
    try:  # both variants done, the dynamics page executing in its kernel: kill the whole group
        lines.wait_for(r"running\s+dynamics_lambda_1", timeout=15 * MINUTES)
        kernels = wait_for_kernel(run.pid, timeout=5 * MINUTES)
        assert list((generated / ".staging").glob("dynamics_lambda_1-*"))  # its temporary book, out of the book
        os.killpg(run.pid, signal.SIGKILL)
        assert run.wait(timeout=60) == -signal.SIGKILL
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait(timeout=60)
    output = lines.rest()
    finished = {name for name in RUNS if any(re.match(rf"\[\d/3\] done\s+{name} ", line) for line in output)}
    # realistic is done (the dynamics page reads it); linear runs beside them and may still have been running
    assert "realistic" in finished and finished <= {"realistic", "linear"}, output
    unfinished = sorted(set(NOTEBOOKS) - finished)
    # The kernel is in a session of its own (jupyter_client starts it so), out of the
    # group's reach; ipykernel's parent poller stops it when its parent dies.
    survivors = gone_within(kernels, seconds=30)
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    assert not survivors, f"kernels outlived the kill -9 and were killed by the test: {kernels}"

    sections = {Path(page).parent.name for page in NOTEBOOKS.values()}  # what the book's _toc.yml globs
    pages = sorted(p for p in generated.glob("*/*.ipynb") if p.parent.name in sections)  # only whole, finished pages
    assert pages == sorted(notebook(root, name) for name in finished), pages
    for page in pages:
        assert nbformat.read(page, as_version=4).metadata["trauma"]["hash"]
    visible = sorted(p.name for p in (generated / "results").iterdir() if not p.name.startswith("."))
    assert visible == sorted(finished)  # each whole, as its notebook recorded it:
    for name in visible:
        recorded = nbformat.read(notebook(root, name), as_version=4).metadata["trauma"]["results"]
        assert "results.csv" in recorded and not integrity.changes(recorded, generated / "results" / name)
    printed = status(env)  # the lock died with the process: no one is executing
    rows = status_rows(printed)
    assert all(re.search(r"\snever run", rows[n]) for n in unfinished), rows
    assert all("up to date" in rows[n] for n in finished), rows
    assert "Executing now" not in printed
    before = stamps(root)

    rerun = trauma(env, "run", "--all")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"Executing {len(unfinished)} of 3 notebooks:" in rerun.stdout
    assert all(re.search(rf"\[\d/{len(unfinished)}\] done\s+{name} ", rerun.stdout) for name in unfinished)
    after = stamps(root)
    assert {k: v for k, v in after.items() if k in before} == before  # nothing finished was rewritten
    assert {p for p in set(after) - set(before) if p.endswith(".ipynb")} == {NOTEBOOKS[name] for name in unfinished}
    assert not list((generated / ".staging").glob("*")) and not list(
        (generated / "results").glob(".*")
    )  # leftovers cleared
    assert all_up_to_date(env)


# --- damaged notebooks and results -----------------------------------------------------


def truncate_notebook(root: Path) -> str:
    page = notebook(root, "realistic")
    page.write_bytes(page.read_bytes()[: page.stat().st_size // 2])
    return "unreadable notebook"


def garble_results_csv(root: Path) -> str:
    (root / "book/generated/results/realistic/results.csv").write_text("penalty,seed\n\x00\x00garbage")
    return "results file results.csv changed"


def delete_checkpoint(root: Path) -> str:
    (root / "book/generated/results/realistic/checkpoints/penalty_1.pt").unlink()  # what dynamics_lambda_1 read
    return "results file checkpoints/penalty_1.pt missing"


def jupyter_book_build(root: Path, env) -> subprocess.CompletedProcess:
    """A plain build: the book's Sphinx extension executes what is stale first (the
    small book's table lacks most sections, so the build warns; only its pages matter)."""
    builder = str(Path(sys.executable).parent / "jupyter-book")
    return subprocess.run([builder, "build", str(root)], env=env, capture_output=True, text=True, timeout=15 * MINUTES)


@pytest.mark.parametrize(
    "damage, rerun_with",
    [
        (truncate_notebook, "jupyter-book build"),
        (garble_results_csv, "trauma run --all"),
        (delete_checkpoint, "trauma run --all"),
    ],
)
def test_a_damaged_notebook_or_results_file_is_named_and_only_its_run_re_executed(small_book, damage, rerun_with):
    root, env = small_book
    executed = trauma(env, "run", "--all")  # up to date (the kill test leaves it so), or made so
    assert executed.returncode == 0 and all_up_to_date(env), executed.stdout + executed.stderr
    recorded = nbformat.read(notebook(root, "realistic"), as_version=4).metadata["trauma"]["results"]
    others = {name: notebook(root, name).stat().st_mtime_ns for name in ("linear", "dynamics_lambda_1")}

    reason = damage(root)
    rows = status_rows(status(env))
    assert re.search(rf"\sstale\s.*{re.escape(reason)}$", rows["realistic"]), rows["realistic"]
    assert all("up to date" in rows[name] for name in others), rows

    rerun = jupyter_book_build(root, env) if rerun_with == "jupyter-book build" else trauma(env, "run", "--all")
    assert rerun.returncode == 0 and "Traceback" not in rerun.stdout + rerun.stderr, (
        rerun.stdout[-3000:] + rerun.stderr[-3000:]
    )
    assert "Executing 1 of 3 notebooks: realistic\n" in rerun.stdout, rerun.stdout
    assert f"  damaged  realistic: {reason}\n" in rerun.stdout and "[1/1] done     realistic" in rerun.stdout
    assert all_up_to_date(env)
    assert {name: notebook(root, name).stat().st_mtime_ns for name in others} == others
    if rerun_with == "jupyter-book build":  # and the page was built from the re-executed notebook
        page = root / "_build/html/book/generated/variants/01_realistic.html"
        assert page.stat().st_mtime_ns > notebook(root, "realistic").stat().st_mtime_ns
    # The runs that read it need no rerun: executing it again wrote the same bytes.
    again = nbformat.read(notebook(root, "realistic"), as_version=4).metadata["trauma"]["results"]
    for name in ("results.csv", "checkpoints/penalty_1.pt"):
        assert again[name] == recorded[name], name
