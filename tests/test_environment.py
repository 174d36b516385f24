"""environment.yml (conda), pyproject.toml and constraints.txt name the same
dependencies at the same versions."""

import re
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

REPO = Path(__file__).resolve().parent.parent


def pins(constraints: str) -> dict:
    """constraints.txt as {normalised name: exact version}."""
    found = {}
    for line in constraints.splitlines():
        if line.strip() and not line.startswith("#"):
            requirement = Requirement(line)
            (spec,) = requirement.specifier
            assert spec.operator == "==", line
            found[canonicalize_name(requirement.name)] = spec.version
    return found


def problems(pyproject: dict, environment: dict, constraints: str) -> list[str]:
    """Every way the three files disagree, one sentence each."""
    project = pyproject["project"]
    extras = project["optional-dependencies"]
    declared = [Requirement(r) for r in project["dependencies"] + [r for group in extras.values() for r in group]]
    names = {canonicalize_name(r.name) for r in declared}
    pinned = pins(constraints)
    found = []
    for requirement in declared:
        version = pinned.get(canonicalize_name(requirement.name))
        if version is None:
            found.append(f"{requirement.name} has no pin in constraints.txt")
        elif version not in requirement.specifier:
            found.append(f"constraints.txt pins {requirement.name}=={version}, outside pyproject's {requirement}")

    conda = [d for d in environment["dependencies"] if isinstance(d, str)]
    python = next(d.split("=", 1)[1] for d in conda if d.startswith("python="))
    if python not in SpecifierSet(project["requires-python"]):
        found.append(f"environment.yml's python={python} is outside requires-python {project['requires-python']}")
    for line in conda:
        name, _, version = re.fullmatch(r"([\w.-]+)\s*(=*\s*(.*))", line).groups()
        if name not in ("python", "pip") and (
            canonicalize_name(name) not in names or pinned.get(canonicalize_name(name)) != version
        ):
            found.append(f"environment.yml's conda {line} is not a pyproject dependency at its pinned version")

    pip = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    if "-c constraints.txt" not in pip:
        found.append("environment.yml's pip section does not use -c constraints.txt")
    project_lines = [m.group(1) for line in pip if (m := re.fullmatch(r"(?:-e\s+)?\.\[(.*)\]", line))]
    if [set(e.strip() for e in line.split(",")) for line in project_lines] != [set(extras)]:
        found.append(
            f"environment.yml's pip section installs the project with extras {project_lines}, "
            f"not once with every extra {sorted(extras)}"
        )
    for line in pip:
        if not line.startswith(("-", ".")):
            requirement = Requirement(line)
            exact = f"=={pinned.get(canonicalize_name(requirement.name))}"
            if canonicalize_name(requirement.name) not in names or str(requirement.specifier) != exact:
                found.append(
                    f"environment.yml's pip {line} is not a pyproject dependency at its pinned version ({exact})"
                )

    torch = {str(r.specifier) for r in declared if r.name == "torch"} | {f"=={pinned.get('torch')}"}
    torch |= {
        str(r.specifier)
        for r in map(Requirement, (line for line in pip if not line.startswith(("-", "."))))
        if r.name == "torch"
    }
    if len(torch) != 1 or not next(iter(torch)).startswith("=="):
        found.append(f"torch is not pinned to one exact version everywhere: {sorted(torch)}")
    return found


def files():
    return (
        tomllib.loads((REPO / "pyproject.toml").read_text()),
        yaml.safe_load((REPO / "environment.yml").read_text()),
        (REPO / "constraints.txt").read_text(),
    )


def test_environment_pyproject_and_constraints_agree():
    assert problems(*files()) == []


def _replace(lines, prefix, new):
    """Replace the line that starts with prefix."""
    lines[next(i for i, line in enumerate(lines) if isinstance(line, str) and line.startswith(prefix))] = new


def _pip(environment, prefix, new):
    _replace(next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict)), prefix, new)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda p, e: _pip(e, "-e .", "-e .[test]"), "installs the project with extras ['test']"),  # the old bug
        (
            lambda p, e: p["project"]["optional-dependencies"].update(docs=["sphinx"]),
            "not once with every extra ['book', 'distributed', 'docs', 'test']",
        ),
        (lambda p, e: _pip(e, "torch==", "torch==0.1"), "torch is not pinned to one exact version everywhere"),
        (
            lambda p, e: _pip(e, "torch==", "torch"),
            "environment.yml's pip torch is not a pyproject dependency at its pinned version",
        ),
        (
            lambda p, e: _replace(p["project"]["dependencies"], "torch", "torch>=2"),
            "torch is not pinned to one exact version everywhere",
        ),
        (lambda p, e: _pip(e, "-c ", "-r constraints.txt"), "does not use -c constraints.txt"),
        (
            lambda p, e: _replace(e["dependencies"], "python=", "python=3.9"),
            "python=3.9 is outside requires-python >=3.10",
        ),
        (
            lambda p, e: e["dependencies"].insert(2, "numpy=1.0"),
            "conda numpy=1.0 is not a pyproject dependency at its pinned version",
        ),
        (lambda p, e: e["dependencies"].insert(2, "ffmpeg"), "conda ffmpeg is not a pyproject dependency"),
        (
            lambda p, e: p["project"]["optional-dependencies"]["book"].append("seaborn>=0.13"),
            "seaborn has no pin in constraints.txt",
        ),
        (lambda p, e: p["project"]["dependencies"].append("numpy>=99"), "outside pyproject's numpy>=99"),
    ],
)
def test_each_disagreement_is_found(change, message):
    pyproject, environment, constraints = files()
    change(pyproject, environment)
    found = problems(pyproject, environment, constraints)
    assert any(message in problem for problem in found), found
