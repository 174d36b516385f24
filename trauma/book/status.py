"""Looking after the book's runs: `trauma status` (every run of variants.yml and every
reader's variant: up to date, stale and why, failed or never run, when it ran and how
long it took) and `trauma remove NAME` (a reader's variant, its page and its results;
the built-in variants live in variants.yml and are changed there).
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import datetime

import nbformat
import yaml

from ..numerics.params import ParameterError
from . import paths
from .pipeline import one_at_a_time
from .variants import Run, load_table, read_yaml


def _timing(run: Run) -> tuple[str, str]:
    """When the run's notebook finished executing and how long it took (papermill's record)."""
    try:
        record = nbformat.read(run.notebook, as_version=4).metadata.get("papermill", {})
    except Exception:  # never run, or unreadable (its state says so)
        return "", ""
    ended, seconds = record.get("end_time"), record.get("duration")
    when = datetime.fromisoformat(ended).strftime("%Y-%m-%d %H:%M") if ended else ""
    return when, f"{seconds:.0f} s" if seconds is not None else ""


def states(runs: dict[str, Run]) -> list[dict]:
    """One row per run, in execution order."""
    custom = set(_custom_names())
    rows = []
    for run in runs.values():
        reasons = run.stale_reasons()
        if (paths.FAILED / f"{run.name}.ipynb").exists():
            state, why = "failed", f"see {(paths.FAILED / f'{run.name}.ipynb').relative_to(paths.ROOT)}"
        elif reasons == ["never run"]:
            state, why = "never run", ""
        elif reasons:
            state, why = "stale", "; ".join(reasons)
        else:
            state, why = "up to date", ""
        ran, took = _timing(run)
        rows.append(
            {
                "run": run.name + (" (yours)" if run.name in custom else ""),
                "template": run.template,
                "state": state,
                "ran": ran,
                "took": took,
                "why": why,
            }
        )
    return rows


def executing_now() -> str | None:
    """Who holds the run lock (`pipeline.one_at_a_time` writes its holder into the
    lock file and empties it on release), if that process is still alive. Read
    without locking, so that `trauma status` never stands in a run's way."""
    holder = paths.LOCK.read_text().strip() if paths.LOCK.exists() else ""
    match = re.match(r"pid (\d+)", holder)
    if not match:
        return None
    try:
        os.kill(int(match.group(1)), 0)
    except ProcessLookupError:
        return None  # killed without releasing: the lock died with it
    except PermissionError:
        pass  # alive, another user's
    return holder


def status_text() -> str:
    rows = states(load_table())
    columns = ["run", "template", "state", "ran", "took", "why"]
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns[:-1]}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns[:-1]) + "  why"]
    lines += ["  ".join(r[c].ljust(widths[c]) for c in columns[:-1]) + "  " + r["why"] for r in rows]
    counts = {s: sum(r["state"] == s for r in rows) for s in ("up to date", "stale", "failed", "never run")}
    lines.append(", ".join(f"{n} {s}" for s, n in counts.items() if n) + f" of {len(rows)} runs")
    holder = executing_now()
    if holder:
        lines.append(f"Executing now: {holder}.")
    return "\n".join(line.rstrip() for line in lines)


def _custom_entries() -> list[dict]:
    """The reader's variants (`trauma run TEMPLATE --name`), read like the table."""
    return read_yaml(paths.CUSTOM_VARIANTS).get("variants", [])


def _custom_names() -> list[str]:
    return [entry["name"] for entry in _custom_entries()]


def remove_variant(name: str) -> list[str]:
    """Remove a reader's variant: its entry, executed notebook (and failed one) and
    results folder. Returns what was removed; the pages that read it become stale."""
    custom, runs = _custom_names(), load_table()
    if name not in custom:
        allowed = "a variant you added with `trauma run TEMPLATE --name NAME`: " + (
            ", ".join(custom) or "you have none"
        )
        raise ParameterError(
            "NAME", allowed + (" (the built-in variants are changed in variants.yml)" if name in runs else ""), name
        )
    run = runs[name]
    removed = []
    with one_at_a_time():
        entries = [entry for entry in _custom_entries() if entry["name"] != name]
        staged = paths.CUSTOM_VARIANTS.with_suffix(".yml.new")
        staged.write_text(yaml.safe_dump({"variants": entries}, sort_keys=False))
        staged.replace(paths.CUSTOM_VARIANTS)
        removed.append(f"{name} from {paths.CUSTOM_VARIANTS.relative_to(paths.ROOT)}")
        for path in (run.notebook, paths.FAILED / f"{name}.ipynb"):
            if path.exists():
                path.unlink()
                removed.append(str(path.relative_to(paths.ROOT)))
        if paths.results_dir(name).exists():
            shutil.rmtree(paths.results_dir(name))
            removed.append(str(paths.results_dir(name).relative_to(paths.ROOT)) + "/")
    return removed
