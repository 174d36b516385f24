"""One contract for every registered model (as scikit-learn's check_estimator does for
estimators): the same package shape, the same entry points and table names, a sweep
that keeps its numbers whatever shares its grid or its shards, results that survive
being written and read back, diverged networks flagged and left out, and notebook
templates whose parameters are the model's declared ones. A new model passes these
tests by being registered (tests/test_toy_model.py runs them on a fifth one)."""

import dataclasses
import json

import jupytext
import numpy as np
import pandas as pd
import pytest

from trauma.book import paths
from trauma.cli import main
from trauma.models import MODELS
from trauma.numerics import params, seeding, shards
from trauma.numerics.params import Parameters
from trauma.numerics.stats import BASELINE_COLUMNS, BASELINE_INDEX, verdict_contradicts
from trauma.page.glue import diverged_text

ALL = list(MODELS.values())
IDS = [model.name for model in ALL]
MODULES = ("config", "dataset", "model", "ensemble", "metrics", "sweep", "outputs", "report", "figures")
COLUMNS = ["predicted", "observed (mean [95 % CI])", "verdict"]
VERDICTS = ("supported", "inconclusive", "not supported", "opposite")
WALL_CLOCK = ("wall_seconds", "shards")  # results.json keys that may differ between equal sweeps


@pytest.fixture(scope="module", params=ALL, ids=IDS)
def swept(request, tmp_path_factory):
    """(model, its tiny sweep's result, the folder it wrote)."""
    model = request.param
    result = model.run_sweep(model.config.from_overrides(model.tiny))
    folder = model.write_outputs(result, tmp_path_factory.mktemp(model.name.replace("-", "_")) / "out")
    return model, result, folder


def _key_columns(summary: pd.DataFrame) -> list[str]:
    return [c for c in summary.columns if not c.endswith(("_mean", "_low", "_high", "_n"))]


def _files(folder):
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}


def _parameters_cell(template: str) -> dict:
    """The values the parameters cell of a template assigns, in order (name and title aside)."""
    notebook = jupytext.read(paths.template(template))
    cells = [c for c in notebook.cells if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{template}: one parameters cell"
    values: dict = {}
    exec(cells[0].source, {}, values)  # the template's own code, as papermill runs it
    return {k: v for k, v in values.items() if k not in ("name", "title")}


@pytest.mark.parametrize("model", ALL, ids=IDS)
def test_a_model_is_one_package_of_the_shared_shape(model):
    for name in MODULES:
        model.module(name)
    assert issubclass(model.config, Parameters) and dataclasses.is_dataclass(model.config)
    for name, function in (
        ("sweep", "run_sweep"),
        ("sweep", "merge_shards"),
        ("outputs", "write_outputs"),
        ("outputs", "load_results"),
        ("report", "predictions"),
        ("report", "baselines"),
        ("figures", "interactive_figure"),
    ):
        assert callable(getattr(model.module(name), function)), f"{model.package}.{name}.{function}"
    result = model.module("sweep").SweepResult
    assert {"config", "networks", "training", "metadata", "run"} <= {f.name for f in dataclasses.fields(result)}
    assert paths.template(model.template).exists() and all(paths.template(t).exists() for t in model.pages)


@pytest.mark.parametrize("model", ALL, ids=IDS)
def test_every_parameter_is_declared_once_with_its_meaning_and_check(model):
    """Declared with `params.parameter` (a meaning, a check), and a training parameter
    every model shares taken from its one declaration, not written again."""
    for config in {model.config, *(c for c in map(model.page_config, model.templates) if c is not None)}:
        for spec in dataclasses.fields(config):
            assert spec.metadata.get("description") and callable(spec.metadata.get("check")), (config, spec.name)
            assert spec.metadata["shared"] == (spec.name in params.SHARED), (config, spec.name)


@pytest.mark.parametrize(
    "template, model",
    [(t, m) for m in ALL for t in m.templates if m.page_config(t) is not None],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_a_templates_parameters_cell_holds_the_declared_parameters_and_defaults(template, model):
    """The parameters cell is papermill's interface: every declared parameter, in the
    declared order, with its declared default, and nothing else."""
    cell, declared = _parameters_cell(template), model.page_config(template).defaults()
    assert list(cell) == list(declared), template
    for name, value in declared.items():
        assert cell[name] == value and type(cell[name]) is type(value), (
            f"{template}: {name} = {cell[name]!r}, declared {value!r}"
        )


def test_random_streams_are_distinct_and_a_taken_number_is_refused():
    for model in ALL:
        model.module("dataset")  # registers the model's own streams
    numbers = list(seeding.STREAMS.values())
    assert len(set(numbers)) == len(numbers)
    with pytest.raises(ValueError, match="taken"):
        seeding.register_streams({"someone_elses": seeding.STREAMS["init"]})
    seeding.register_streams({"init": seeding.STREAMS["init"]})  # the same stream again: fine


def test_a_tiny_sweep_keeps_the_shared_names_and_shapes(swept):
    model, result, _ = swept
    config = result.config
    assert type(result.run).__name__ == "GridRun" and dataclasses.is_dataclass(result.run)
    networks = result.networks
    assert {"seed", "diverged"} <= set(networks.columns)
    assert sorted(networks.seed.unique().tolist()) == config.seed_list == list(range(model.tiny["seeds"]))
    assert not networks.diverged.any() and result.metadata["diverged_members"] == 0
    assert result.metadata["model"] == model.template and result.metadata["parameters"] == config.as_dict()

    summary = result.summary()
    keys = _key_columns(summary)
    assert keys and len(summary) == len(networks.groupby(keys, dropna=False))
    value = [c for c in summary.columns if c.endswith("_mean")][0][: -len("_mean")]
    assert (summary[f"{value}_n"] == config.seeds).all()
    assert (summary[f"{value}_low"] <= summary[f"{value}_mean"] + 1e-12).all()
    assert (summary[f"{value}_mean"] <= summary[f"{value}_high"] + 1e-12).all()


def test_predictions_carry_the_shared_columns_and_verdict_words(swept):
    model, result, _ = swept
    table = model.predictions(result)
    assert list(table.columns) == COLUMNS and len(table) > 0
    assert table.verdict.map(lambda v: v.startswith(VERDICTS)).all()
    rows = zip(table["predicted"], table["observed (mean [95 % CI])"], table["verdict"])
    assert not [row for row in rows if verdict_contradicts(*row)]


def test_headline_metrics_stand_beside_numbers_a_trivial_predictor_scores(swept):
    """The findings page's baselines: every row a measured value with its interval
    beside a trivial predictor's score, the same after a write/read round trip."""
    model, result, folder = swept
    table = model.baselines(result)
    assert list(table.index.names) == BASELINE_INDEX and list(table.columns) == BASELINE_COLUMNS
    assert len(table) >= 2
    observed, trivial = table[BASELINE_COLUMNS[0]], table[BASELINE_COLUMNS[1]]
    assert observed.str.fullmatch(r"-?[\d.]+( %)? \[-?[\d.]+, -?[\d.]+\]").all(), observed.tolist()
    assert trivial.str.match(r"-?[\d.]+").all(), trivial.tolist()
    pd.testing.assert_frame_equal(model.baselines(model.load_results(folder)), table)


def test_the_interactive_figure_draws_every_seed_and_is_plain_json(swept):
    model, result, _ = swept
    figure = model.interactive_figure(result)
    assert json.loads(json.dumps(figure, allow_nan=False)) == figure
    seeds = [trace for trace in figure["data"] if trace["name"].endswith(": seeds")]
    shown = {point[0] for trace in seeds for point in trace["customdata"]}
    assert shown == set(result.config.seed_list)


def test_written_results_read_back_to_the_same_tables_and_predictions(swept):
    model, result, folder = swept
    assert {"results.csv", "summary.csv", "results.json", "summary.txt"} <= set(_files(folder))
    loaded = model.load_results(folder)
    assert loaded.config == result.config
    pd.testing.assert_frame_equal(loaded.networks, pd.read_csv(folder / "results.csv"))
    pd.testing.assert_frame_equal(loaded.summary(), result.summary(), check_dtype=False, atol=1e-12)
    pd.testing.assert_frame_equal(model.predictions(loaded), model.predictions(result))


def test_the_same_parameters_give_the_same_files(swept, tmp_path):
    model, result, folder = swept
    again = model.write_outputs(model.run_sweep(result.config), tmp_path / "again")
    first, second = _files(folder), _files(again)
    assert sorted(first) == sorted(second)
    for name in first:
        if name not in ("results.json", "summary.txt"):
            assert first[name].read_bytes() == second[name].read_bytes(), name


def _same_sweep(whole, merged):
    first, second = _files(whole), _files(merged)
    assert sorted(first) == sorted(second)
    for name in first:
        if name not in ("results.json", "summary.txt"):
            assert first[name].read_bytes() == second[name].read_bytes(), name
    a, b = json.loads(first["results.json"].read_text()), json.loads(second["results.json"].read_text())
    assert {k: v for k, v in a.items() if k not in WALL_CLOCK} == {k: v for k, v in b.items() if k not in WALL_CLOCK}
    lines = lambda f: [line for line in f.read_text().splitlines() if not line.startswith("Wall time")]  # noqa: E731
    assert lines(first["summary.txt"]) == lines(second["summary.txt"])
    return b


@pytest.mark.parametrize("diverging", [False, True], ids=["", "diverging"])
@pytest.mark.parametrize("model", ALL, ids=IDS)
def test_a_sweep_in_shards_of_seeds_writes_what_the_whole_sweep_writes(tmp_path, model, diverging):
    """Seeds split unevenly, one-seed shards among them where the model allows."""
    config = model.config.from_overrides({**model.tiny, **(model.diverging if diverging else {})})
    count = min(3, config.seeds // model.shard_min_seeds)
    model.write_outputs(model.run_sweep(config), tmp_path / "whole")
    model.write_outputs(shards.run_sharded(model, config, count), tmp_path / "sharded")
    merged = _same_sweep(tmp_path / "whole", tmp_path / "sharded")
    assert merged["shards"] == count and merged["seeds"] == config.seed_list


@pytest.mark.parametrize("model", ALL, ids=IDS)
def test_diverged_networks_are_flagged_left_out_of_means_and_figures(model):
    config = model.config.from_overrides({**model.tiny, **model.diverging})
    result = model.run_sweep(config)
    table = result.networks
    diverged = table.diverged.to_numpy(bool)
    summary = result.summary()
    keys, column = _key_columns(summary), [c for c in summary.columns if c.endswith("_mean")][0][: -len("_mean")]
    assert diverged.any() and table.loc[diverged, column].isna().all()
    assert result.metadata["diverged_members"] > 0 and not result.training.loss[result.training.diverged].notna().any()

    used = table.assign(used=table[column].where(~diverged)).groupby(keys, dropna=False).used.agg(["count", "mean"])
    both = summary.merge(used.reset_index(), on=keys)
    assert len(both) == len(summary) and (both[f"{column}_n"] == both["count"]).all()  # n: the seeds used
    np.testing.assert_allclose(both[f"{column}_mean"], both["mean"])

    def seed_points(figure):
        return sum(len(trace["y"]) for trace in figure["data"] if trace["name"].endswith(": seeds"))

    shown = seed_points(model.interactive_figure(result))
    assert shown > 0 or diverged.all()
    kept = table.assign(**{c: table[c].fillna(0.5) for c in table.columns if table[c].dtype.kind == "f"})
    assert (
        seed_points(model.interactive_figure(dataclasses.replace(result, networks=kept))) > shown
    )  # they would be drawn
    assert diverged_text(result.metadata["diverged_members"], config.networks).startswith(
        f"{result.metadata['diverged_members']} of the {config.networks} networks diverged"
    )


@pytest.mark.parametrize("model", ALL, ids=IDS)
def test_the_command_line_lists_every_parameter_and_refuses_an_unknown_one(model, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["sweep", model.name, "--help"])
    help_text = capsys.readouterr().out
    assert all(f"  {name} " in help_text for name in model.config.descriptions())
    assert main(["sweep", model.name, "-p", "no_such_parameter", "1", "--out", str(tmp_path / "out")]) == 2
    assert "parameter 'no_such_parameter': must be one of the known parameters" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
@pytest.mark.parametrize("model", ALL, ids=IDS)
def test_a_variant_page_with_diverged_networks_runs_and_says_how_many(tmp_path, monkeypatch, model):
    import papermill

    monkeypatch.setenv("TRAUMA_ROOT", str(tmp_path))  # the kernel writes its results there
    notebook = tmp_path / "page.ipynb"
    jupytext.write(jupytext.read(paths.template(model.template)), notebook)
    parameters = {**model.tiny, **model.diverging, "name": "page"}
    executed = papermill.execute_notebook(
        str(notebook), str(tmp_path / "out.ipynb"), parameters=parameters, progress_bar=False
    )
    glued = {
        o.metadata["scrapbook"]["name"]: next(v for k, v in o.data.items() if k.endswith("text/plain"))
        for cell in executed.cells
        if cell.cell_type == "code"
        for o in cell.outputs
        if "scrapbook" in o.get("metadata", {})
    }
    diverged = int(glued["diverged_n"])
    assert 0 < diverged <= int(glued["diverged_total"])
    assert (
        glued["diverged_text"].strip("'").startswith(f"{diverged} of the {glued['diverged_total']} networks diverged (")
    )
