"""The book's runs and sharded sweeps on Dask distributed (`--workers N`, a
LocalCluster here; `--scheduler ADDRESS`, a `dask scheduler` and `dask worker`
started here as a user would on other machines), on the small book of
test_faults.py (executed here once, `executed_small_book`, for the others to compare
with or start from):

- the results equal those of runs executed here, byte for byte;
- a worker killed mid-run: the run is executed again and the book completes;
  killed twice: the run ends in book/generated/failed/, the others complete;
- bad options are refused in one line before anything runs.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from conftest import copy_executed
from test_faults import MINUTES, Lines, all_up_to_date, command_line, descendants, notebook, trauma

pytest.importorskip("distributed")
pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


def results_files(root: Path) -> dict[str, bytes]:
    """Every results file of the book, but results.json (it records wall time and
    threads) and the wall-time line of summary.txt."""
    results = root / "book/generated/results"
    files = {
        str(p.relative_to(results)): p.read_bytes()
        for p in sorted(results.rglob("*"))
        if p.is_file() and p.name != "results.json"
    }
    return {
        name: b"".join(line for line in content.splitlines(True) if not line.startswith(b"Wall time"))
        if name.endswith("summary.txt")
        else content
        for name, content in files.items()
    }


def fresh(root: Path) -> None:
    shutil.rmtree(root / "book/generated", ignore_errors=True)


def test_runs_on_a_local_cluster_give_the_same_files_as_runs_here(small_book, executed_small_book):
    root, env = small_book
    expected = results_files(executed_small_book[0])
    assert any(name.endswith("results.csv") for name in expected) and any(".pt" in name for name in expected)

    fresh(root)
    cluster = trauma(env, "run", "--all", "--workers", "2")
    assert cluster.returncode == 0, cluster.stdout + cluster.stderr
    assert "on a LocalCluster of 2 workers" in cluster.stdout and "[3/3] done" in cluster.stdout
    assert results_files(root) == expected
    assert all_up_to_date(env)
    assert not list((root / "book/generated/.staging").glob("*"))  # temporary books removed


def task_of(run_pid: int, name: str, timeout: float) -> tuple[int, int]:
    """(pid of the task child executing `name` below `run_pid`, pid of its worker)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid, line in descendants(run_pid).items():
            if "trauma.book.task" in line and f'"name": "{name}"' in line:
                stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                return pid, int(stat[1])
        time.sleep(0.2)
    raise AssertionError(f"no task executing {name} below pid {run_pid} within {timeout:.0f} s")


def kill_worker_of(run_pid: int, name: str) -> int:
    """Kill -9 the Dask worker process executing `name`; return the task child's pid,
    checking that it died with its worker (no notebook left executing)."""
    task, worker = task_of(run_pid, name, timeout=5 * MINUTES)
    assert "spawn_main" in command_line(worker) or "distributed" in command_line(worker), command_line(worker)
    os.kill(worker, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while command_line(task) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not command_line(task), "the task's child outlived its worker"
    return task


def run_in_background(env, *args) -> tuple[subprocess.Popen, Lines]:
    process = subprocess.Popen(
        [str(BIN / "trauma"), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    return process, Lines(process)


def finish(process: subprocess.Popen, lines: Lines) -> list[str]:
    try:
        process.wait(timeout=10 * MINUTES)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    return lines.rest()


def test_a_worker_killed_mid_run_is_replaced_and_the_book_completes(executed_small_book, tmp_path):
    root, env = copy_executed(executed_small_book, tmp_path / "book")
    process, lines = run_in_background(env, "run", "linear", "--force", "--workers", "2")
    first = kill_worker_of(process.pid, "linear")
    again, _ = task_of(process.pid, "linear", timeout=5 * MINUTES)  # executed once more
    assert again != first
    output = finish(process, lines)
    assert process.returncode == 0, output
    assert sum(bool(re.match(r"\[1/1\] done\s+linear ", line)) for line in output) == 1, output
    assert all_up_to_date(env) and not (root / "book/generated/failed").exists()


def test_a_run_whose_worker_dies_twice_is_failed_and_the_others_complete(small_book):
    root, env = small_book
    fresh(root)
    process, lines = run_in_background(env, "run", "--all", "--workers", "2")
    first = kill_worker_of(process.pid, "linear")
    deadline = time.monotonic() + 5 * MINUTES
    while True:  # the second attempt, on a worker the cluster started meanwhile or the other one
        task, _ = task_of(process.pid, "linear", timeout=max(1, deadline - time.monotonic()))
        if task != first:
            break
        time.sleep(0.2)
    kill_worker_of(process.pid, "linear")
    output = finish(process, lines)
    assert process.returncode == 1, output
    assert any(re.match(r"\[\d/3\] FAILED\s+linear", line) for line in output), output
    assert "KilledWorker" in "\n".join(output)
    failed = nbformat.read(root / "book/generated/failed/linear.ipynb", as_version=4)
    assert failed.cells[0].source.startswith("**Not executed:** KilledWorker")
    assert not notebook(root, "linear").exists()
    for name in ("realistic", "dynamics_lambda_1"):  # the rest of the book is executed
        assert nbformat.read(notebook(root, name), as_version=4).metadata["trauma"]["hash"]
    assert "results.csv" in nbformat.read(notebook(root, "realistic"), as_version=4).metadata["trauma"]["results"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_runs_on_workers_started_by_hand_and_a_worker_without_the_resource(executed_small_book, tmp_path):
    root, env = copy_executed(executed_small_book, tmp_path / "book")
    linear = notebook(root, "linear")
    executed_at = linear.stat().st_mtime_ns
    address = f"tcp://127.0.0.1:{free_port()}"
    outside = dict(os.environ, DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="1")
    outside.pop("TRAUMA_ROOT", None)  # the workers know nothing of the book
    started = []

    def start(*command):
        started.append(
            subprocess.Popen(
                [str(BIN / "dask"), *command],
                env=outside,
                cwd=tmp_path,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )

    try:
        start("scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1], "--no-dashboard")
        start("worker", address, "--nthreads", "1", "--no-dashboard")  # no notebook resource
        time.sleep(5)
        refused = trauma(env, "run", "linear", "--force", "--scheduler", address, timeout=2 * MINUTES)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "none of its 1 workers offers the resource notebook=1" in refused.stderr
        assert "--resources notebook=1" in refused.stderr and "Traceback" not in refused.stderr
        assert linear.stat().st_mtime_ns == executed_at  # nothing ran

        start("worker", address, "--nthreads", "1", "--resources", "notebook=1", "--no-dashboard")
        time.sleep(5)
        done = trauma(env, "run", "linear", "--force", "--scheduler", address)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"on the 1 workers of {address}" in done.stdout and linear.stat().st_mtime_ns != executed_at
        assert all_up_to_date(env)
    finally:
        for process in reversed(started):
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.mark.parametrize(
    "options, message",
    [
        (["--workers", "0"], "parameter '--workers': must be an integer >= 1; got 0"),
        (["--workers", "two"], "parameter '--workers': must be an integer >= 1; got 'two'"),
        (
            ["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"],
            "parameter '--workers': must be left out when --scheduler",
        ),
    ],
)
def test_bad_pool_options_are_refused_before_anything_runs(small_book, options, message):
    root, env = small_book
    fresh(root)
    for command in (["run", "--all"], ["book"]):
        done = trauma(env, *command, *options, timeout=2 * MINUTES)
        assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    assert not (root / "book/generated").exists() or not list((root / "book/generated").rglob("*.ipynb"))


def test_no_scheduler_at_the_address_is_one_line(small_book):
    root, env = small_book
    fresh(root)
    done = trauma(env, "run", "--all", "--scheduler", f"tcp://127.0.0.1:{free_port()}", timeout=2 * MINUTES)
    assert done.returncode == 2 and "no Dask scheduler answered" in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not list((root / "book/generated").rglob("*.ipynb"))


def test_a_sharded_sweep_on_a_local_cluster_equals_the_sweep_in_one_process(tmp_path):
    parameters = ["-p", "seeds", "4", "-p", "epochs", "2", "-p", "base_examples", "300", "--quiet"]
    whole = subprocess.run(
        [
            str(BIN / "trauma"),
            "sweep",
            "extreme-penalty",
            *parameters,
            "--shards",
            "1",
            "--out",
            str(tmp_path / "whole"),
        ],
        capture_output=True,
        text=True,
        timeout=10 * MINUTES,
    )
    assert whole.returncode == 0, whole.stderr
    sharded = subprocess.run(
        [
            str(BIN / "trauma"),
            "sweep",
            "extreme-penalty",
            *parameters,
            "--workers",
            "2",
            "--out",
            str(tmp_path / "sharded"),
        ],
        capture_output=True,
        text=True,
        timeout=10 * MINUTES,
    )
    assert sharded.returncode == 0, sharded.stderr  # one shard a worker, though the memory budget asks for one
    assert "in 2 shards of seeds" in sharded.stderr and "on a LocalCluster of 2 workers" in sharded.stderr
    files = sorted(p.relative_to(tmp_path / "whole") for p in (tmp_path / "whole").rglob("*") if p.is_file())
    assert files == sorted(
        p.relative_to(tmp_path / "sharded") for p in (tmp_path / "sharded").rglob("*") if p.is_file()
    )
    differing = [f for f in files if (tmp_path / "whole" / f).read_bytes() != (tmp_path / "sharded" / f).read_bytes()]
    assert set(map(str, differing)) <= {"results.json", "summary.txt"}  # wall time, shards, threads
    assert any(str(f).startswith("checkpoints") for f in files)
