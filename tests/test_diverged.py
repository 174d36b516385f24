"""Diverged training (`trauma.ensemble.DIVERGED_FACTOR`): at a learning rate of 10 (Model
2: 100) networks of every model diverge; they are flagged, left out of every mean (n counts the
seeds used), not drawn, and the page says how many there were."""

import dataclasses

import numpy as np
import pytest

from trauma.ensemble import diverged_text
from trauma.models import MODELS

# model: (parameters, the results table, its grouping, a column of its summary)
CASES = {
    "extreme-penalty": ({"learning_rate": 10, "seeds": 2, "epochs": 2, "base_examples": 300},
                        "probes", ["probe", "group", "penalty"], "overcorrection"),
    "noisy-signals": ({"learning_rate": 100, "seeds": 3, "epochs": 3, "train_examples": 400, "noise_levels": [0.0, 0.3]},
                      "networks", ["noise", "subset"], "accuracy"),
    "limited-dataset": ({"learning_rate": 10, "seeds": 3, "epochs": 3, "caregiver_counts": [1, 2, 5], "total_interactions": 200},
                        "networks", ["test_set", "caregivers"], "gap"),
    # phase 2 at 0.001 and 10: some networks diverge, the others not
    "catastrophic-forgetting": ({"learning_rates": [0.001, 10], "replay_ratios": [0], "ewc_strengths": [], "seeds": 3,
                                 "phase1_epochs": 3, "phase2_epochs": 3, "phase1_examples": 400},
                                "networks", ["strategy"], "retention"),
}


def _seed_points(spec: dict) -> int:
    return sum(len(trace["y"]) for trace in spec["data"] if trace["name"].endswith(": seeds"))


@pytest.mark.parametrize("name", CASES)
def test_diverged_networks_are_flagged_left_out_of_means_and_figures_and_counted_on_the_page(name):
    parameters, table_name, keys, column = CASES[name]
    model = MODELS[name]
    result = model.run_sweep(model.config(**parameters))
    table = getattr(result, table_name)
    diverged = table.diverged.to_numpy(bool)
    assert diverged.any() and table.loc[diverged, column].isna().all()
    assert result.metadata["diverged_members"] > 0 and not result.training.loss[result.training.diverged].notna().any()

    summary = result.summary().set_index(keys)
    used = table[column].where(~diverged).groupby([table[k] for k in keys])
    assert (summary[f"{column}_n"].loc[used.count().index] == used.count()).all()  # n: the seeds used
    np.testing.assert_allclose(summary[f"{column}_mean"].loc[used.mean().index], used.mean())

    report = model._module("report")
    shown = _seed_points(report.interactive_figure(result))
    if (~diverged).any():
        assert shown > 0
    # the diverged networks' values, were they kept, would add points
    kept = table.assign(**{column: table[column].fillna(0.5)})
    assert _seed_points(report.interactive_figure(dataclasses.replace(result, **{table_name: kept}))) > shown

    total = model.config(**parameters).networks
    assert diverged_text(result.metadata["diverged_members"], total).startswith(
        f"{result.metadata['diverged_members']} of the {total} networks diverged")


def test_the_page_sentence_gives_the_count():
    assert diverged_text(0, 400) == "None of the 400 networks diverged."
    assert diverged_text(1, 400).startswith("1 of the 400 networks diverged (their training loss ended at more than 2 ") and "; it is left out" in diverged_text(1, 400)
    assert diverged_text(3, 400).startswith("3 of the 400 networks diverged (") and "; they are left out" in diverged_text(3, 400)


@pytest.mark.parametrize("template", ["extreme_penalty", "noisy_signals", "limited_dataset", "catastrophic_forgetting"])
def test_every_variant_page_glues_the_sentence(template):
    from trauma import paths

    text = paths.template(template).read_text()
    assert 'glue_diverged(result.metadata["diverged_members"], ' in text and "{glue:text}`diverged_text`" in text


PAGES = {  # the smoke parameters of variants.yml at a learning rate of 10 (Model 2: 100)
    "extreme_penalty": {"seeds": 2, "epochs": 2, "base_examples": 300, "learning_rate": 10},
    "noisy_signals": {"seeds": 3, "epochs": 6, "train_examples": 400, "learning_rate": 100},
    "limited_dataset": {"seeds": 3, "epochs": 3, "caregiver_counts": [1, 2, 5], "total_interactions": 200, "learning_rate": 10},
    "catastrophic_forgetting": {**CASES["catastrophic-forgetting"][0], "learning_rates": [0.0001, 0.001, 0.01, 10]},
}


@pytest.mark.parametrize("template", PAGES)
def test_a_page_with_diverged_networks_runs_and_says_how_many(tmp_path, monkeypatch, template):
    import jupytext
    import papermill

    from trauma import paths

    monkeypatch.setenv("TRAUMA_ROOT", str(tmp_path))  # the kernel writes its results there
    notebook = tmp_path / "page.ipynb"
    jupytext.write(jupytext.read(paths.template(template)), notebook)
    parameters = {**PAGES[template], "name": "page"}
    executed = papermill.execute_notebook(str(notebook), str(tmp_path / "out.ipynb"), parameters=parameters, progress_bar=False)
    glued = {o.metadata["scrapbook"]["name"]: next(v for k, v in o.data.items() if k.endswith("text/plain"))
             for cell in executed.cells if cell.cell_type == "code" for o in cell.outputs if "scrapbook" in o.get("metadata", {})}
    diverged = int(glued["diverged_n"])
    assert 0 < diverged <= int(glued["diverged_total"])
    assert glued["diverged_text"].strip("'").startswith(f"{diverged} of the {glued['diverged_total']} networks diverged (")
