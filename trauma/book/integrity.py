"""What an executed notebook records of its run's results folder, and the check that
the folder still holds exactly that.

When a run finishes, the pipeline stores in its notebook's metadata
(`metadata.trauma.results`) the size and sha256 of every file of the run's results
folder (book/generated/results/<name>/, checkpoints included: the dynamics pages
read them). A file recorded there that is missing, or differs in size or content,
makes the run stale with a reason naming the file; files added to the folder later
are not checked. A notebook that cannot be read (truncated, not JSON) is stale too.
These reasons say the run's output was damaged after it ran (`is_damage`), not
that what it was made from changed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

UNREADABLE = "unreadable notebook"
DAMAGE_PREFIX = "results "  # every reason `changes` gives starts with it


def record(folder: Path) -> dict[str, dict]:
    """{path inside the folder: {"size": bytes, "sha256": hex}} of every file in
    `folder`, sorted by path; empty if there is no folder (runs that write none)."""
    if not folder.is_dir():
        return {}
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): {"size": p.stat().st_size, "sha256": _sha256(p)} for p in files}


def changes(recorded: dict[str, dict], folder: Path) -> list[str]:
    """Why `folder` no longer holds what was recorded: one reason per file, or one
    for the whole folder if it is gone (empty if it matches)."""
    if recorded and not folder.is_dir():
        return [f"{DAMAGE_PREFIX}folder results/{folder.name}/ missing"]
    reasons = []
    for name, expected in recorded.items():
        path = folder / name
        if not path.is_file():
            reasons.append(f"{DAMAGE_PREFIX}file {name} missing")
        elif path.stat().st_size != expected["size"] or _sha256(path) != expected["sha256"]:
            reasons.append(f"{DAMAGE_PREFIX}file {name} changed")
    return reasons


def is_damage(reason: str) -> bool:
    """A stale reason that says the run's notebook or results were damaged."""
    return reason == UNREADABLE or reason.startswith(DAMAGE_PREFIX)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
