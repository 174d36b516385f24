"""The table of papermill runs (variants.yml, plus variants a reader added with
`trauma run TEMPLATE --name NAME -p ...`): load, check, and decide what is stale.

Each run has a content hash of its template notebook, its parameters and title,
the `trauma` source its notebook can import, and the hashes of the runs it reads
(`reads` in the table: a dynamics page reads its source variant's results, a
comparison page every variant of its model's template, the findings page each
model's headline variant, the reproducibility page every other run). The source is
the shared core (every file of trauma/ outside the model packages, but the
orchestration in NOT_HASHED) and, for a template of a model (`trauma/models.py`),
that model's package: editing one model leaves the other models' pages up to date.
A model's templates take the parameters its declarations check (its variant
pages its SweepConfig, a page reading one variant its page class). An executed
notebook whose stored hash equals the current one is up to date and is reused,
unless it cannot be read or its results files changed since it ran
(`trauma/book/integrity.py`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

from .. import models
from ..numerics.params import ParameterError
from . import integrity, paths

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
SMOKE_ENV = "TRAUMA_SMOKE"  # set to 1: every run uses its template's tiny smoke parameters


@dataclass
class Run:
    name: str
    template: str
    title: str
    parameters: dict
    section: str
    position: int  # order within its section, for file names and the table of contents
    reads: str | None = None  # what it reads: "source" (its source parameter), a template's runs, "headlines" or "all"
    headline: bool = False  # its model's headline variant (the findings page reads these)
    inputs: list = field(default_factory=list)  # names of the runs it reads
    hash: str = ""
    hash_parts: dict = field(default_factory=dict)  # what the hash is made of, to say why a run is stale

    @property
    def notebook(self) -> Path:
        """Where the executed notebook goes (a page of the book)."""
        return paths.section_dir(self.section) / f"{self.position:02d}_{self.name}.ipynb"

    def stored(self) -> dict | None:
        """The trauma metadata of the executed notebook (None: it cannot be read)."""
        try:
            return nbformat.read(self.notebook, as_version=4).metadata.get("trauma", {})
        except Exception:  # truncated, not JSON, JSON but no notebook: nbformat raises many kinds
            return None

    @property
    def stale(self) -> bool:
        return bool(self.stale_reasons())

    def stale_reasons(self) -> list[str]:
        """Why the executed notebook is out of date or damaged (empty if it is neither):
        reads the notebook once, and hashes its results files only if it is otherwise
        up to date."""
        if not self.notebook.exists():
            return ["never run"]
        stored = self.stored()
        if stored is None:
            return [integrity.UNREADABLE]
        if stored.get("hash") == self.hash:
            return integrity.changes(stored.get("results", {}), paths.results_dir(self.name))
        parts = stored.get("hash_parts")
        if not parts:
            return ["executed by an older version of the pipeline"]
        labels = {
            "template": f"template notebooks/{self.template}.md changed",
            "settings": "title or parameters changed",
        }
        reasons = [label for key, label in labels.items() if parts.get(key) != self.hash_parts[key]]
        if parts.get("source") != self.hash_parts["source"]:
            reasons.append(_source_changes(parts.get("source"), self.hash_parts["source"]))
        old_inputs, inputs = parts.get("inputs", {}), self.hash_parts["inputs"]
        reasons += [f"{name} changed" for name in inputs if old_inputs.get(name) != inputs[name]]
        reasons += [f"{name} no longer read" for name in old_inputs if name not in inputs]
        return reasons or ["hash changed"]


def smoke_mode() -> bool:
    return os.environ.get(SMOKE_ENV, "") not in ("", "0")


class TableError(ValueError):
    """variants.yml (or the custom variants) cannot be read."""


def read_yaml(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        return yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise TableError(f"{where}: {getattr(error, 'problem', None) or error}") from None


def load_table(table_path: Path | None = None, custom_path: Path | None = None) -> dict[str, Run]:
    """Every run, checked, in execution order (templates in the order the table lists
    them, so that a run only reads runs that come before it), with hashes."""
    table = read_yaml(table_path or paths.VARIANTS_TABLE)
    templates = table["templates"]
    entries = table["variants"] + read_yaml(custom_path or paths.CUSTOM_VARIANTS).get("variants", [])
    for entry in entries:
        if entry.get("template") not in templates:
            raise ParameterError("template", "one of " + ", ".join(templates), entry.get("template"))

    runs: dict[str, Run] = {}
    per_section: dict[str, int] = {}
    for template in templates:  # execution order
        for entry in (e for e in entries if e["template"] == template):
            name = entry.get("name", "")
            if not NAME_PATTERN.match(str(name)):
                raise ParameterError("name", "lower-case letters, digits and _, starting with a letter", name)
            if name in runs:
                raise ParameterError("name", "unique across variants.yml and the custom variants", name)
            section = templates[template]["section"]
            per_section[section] = per_section.get(section, 0) + 1
            parameters = dict(entry.get("parameters") or {})
            if smoke_mode():
                parameters.update(templates[template].get("smoke") or {})
            runs[name] = Run(
                name,
                template,
                entry.get("title", name),
                parameters,
                section,
                per_section[section],
                templates[template].get("reads"),
                headline=templates[template].get("headline") == name,
            )
    for template, settings in templates.items():
        if "headline" in settings and not (
            settings["headline"] in runs and runs[settings["headline"]].template == template
        ):
            names = [run.name for run in runs.values() if run.template == template]
            raise ParameterError("headline", f"a variant of {template}: " + ", ".join(names), settings["headline"])
    order = list(runs)
    for run in runs.values():
        run.inputs = _inputs(run, runs)
        if any(order.index(name) > order.index(run.name) for name in run.inputs if name in runs):
            raise ParameterError(
                "templates",
                f"in execution order: {run.template} reads {run.reads}, which must be listed before it in variants.yml",
                list(templates),
            )
        check_parameters(run, runs)
    _hash_all(runs)
    return runs


def _inputs(run: Run, runs: dict[str, Run]) -> list[str]:
    if run.reads == "source":
        return [_page_parameters(run).source]
    if run.reads == "all":
        return [r.name for r in runs.values() if r.reads != "all"]
    if run.reads == "headlines":
        return [r.name for r in runs.values() if r.headline]
    if run.reads:
        return [r.name for r in runs.values() if r.template == run.reads]
    return []


def _page_parameters(run: Run):
    """The run's parameters, checked by its template's declarations (None: the
    template takes no parameters)."""
    model = models.owner(run.template)
    declared = None if model is None else model.page_config(run.template)
    if declared is None:
        if run.parameters:
            raise ParameterError(
                sorted(run.parameters)[0], f"nothing: {run.template} takes no parameters", run.parameters
            )
        if run.reads == "source":
            raise ParameterError(
                "reads", f"source only for a page whose model declares its parameters ({run.template})", run.reads
            )
        return None
    return declared.from_overrides(run.parameters)


def check_parameters(run: Run, runs: dict[str, Run]) -> None:
    """Raise ParameterError for parameters the template would reject, before any run:
    its declarations' checks, and for a page that reads one variant, that the variant
    is one of its model's and the page's parameters fit it."""
    checked = _page_parameters(run)
    if run.reads != "source":
        return
    model, source = models.owner(run.template), runs.get(checked.source)
    if source is None or source.template != model.template:
        names = [r.name for r in runs.values() if r.template == model.template]
        raise ParameterError("source", f"the name of a {model.template} variant: " + ", ".join(names), checked.source)
    checked.check_source(model.config.from_overrides(source.parameters))


# Orchestration only: changing these cannot change what a notebook computes or shows.
NOT_HASHED = ("trauma/cli.py", "trauma/book/extension.py", "trauma/book/status.py")


def _files(folder: Path, prefix: str) -> dict[str, Path]:
    return {f"{prefix}/{path.relative_to(folder).as_posix()}": path for path in sorted(folder.rglob("*.py"))}


def _package_folder(package: str) -> Path:
    return Path(importlib.util.find_spec(package).submodule_search_locations[0]).resolve()


def source_digests(model: models.Model | None = None) -> dict[str, str]:
    """What a run's notebook can import, file by file (name -> sha256, 16 digits): the
    shared core, and the package of the model the run's template belongs to."""
    trauma = Path(__file__).resolve().parents[1]
    packages = [_package_folder(m.package) for m in models.MODELS.values()]
    files = {
        name: path
        for name, path in _files(trauma, "trauma").items()
        if name not in NOT_HASHED and not any(folder in path.parents for folder in packages)
    }
    if model is not None:
        files.update(_files(_package_folder(model.package), model.package.replace(".", "/")))
    return {name: hashlib.sha256(path.read_bytes()).hexdigest()[:16] for name, path in sorted(files.items())}


def _source_changes(old, new: dict) -> str:
    """Which source files made a run stale, in words."""
    if not isinstance(old, dict):  # recorded before runs hashed their files one by one
        return "trauma source changed"
    changed = sorted(name for name in {*old, *new} if old.get(name) != new.get(name))
    shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
    return f"trauma source changed: {shown}"


def _hash_all(runs: dict[str, Run]) -> None:
    sources: dict = {}
    for run in runs.values():  # execution order: inputs are hashed first
        model = models.owner(run.template)
        key = None if model is None else model.name
        if key not in sources:
            sources[key] = source_digests(model)
        source = sources[key]
        template = paths.template(run.template).read_bytes()
        settings = json.dumps({"title": run.title, "parameters": run.parameters}, sort_keys=True).encode()
        digest = hashlib.sha256()
        digest.update(template)
        digest.update(settings)
        digest.update(json.dumps(source, sort_keys=True).encode())
        for name in run.inputs:
            digest.update(runs[name].hash.encode())
        run.hash = digest.hexdigest()[:16]
        run.hash_parts = {
            "template": hashlib.sha256(template).hexdigest()[:16],
            "settings": hashlib.sha256(settings).hexdigest()[:16],
            "source": source,
            "inputs": {name: runs[name].hash for name in run.inputs},
        }


def add_custom_variant(name: str, template: str, parameters: dict, title: str | None = None) -> None:
    """Record a reader's own variant (git-ignored) so that `trauma book` includes it.
    Checks it against the whole table first; nothing is written if it is rejected."""
    path = paths.CUSTOM_VARIANTS
    custom = read_yaml(path).get("variants", [])
    custom = [v for v in custom if v["name"] != name]
    entry = {"name": name, "template": template, "title": title or f"Your variant: {name}", "parameters": parameters}
    table = read_yaml(paths.VARIANTS_TABLE)
    if any(v["name"] == name for v in table["variants"]):
        raise ParameterError("--name", "a name not already used in variants.yml", name)
    with tempfile.TemporaryDirectory() as folder:  # check the whole table before writing
        candidate = Path(folder) / "custom_variants.yml"
        candidate.write_text(yaml.safe_dump({"variants": custom + [entry]}, sort_keys=False))
        load_table(custom_path=candidate)
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(candidate, path)
