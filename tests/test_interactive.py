"""The interactive figures: what the Plotly specifications hold (every mean with its
interval and seed count, every seed, legend groups, log axes, the variant menu),
built from the shared primitives (`trauma.page.interactive`) by Model 1's and Model
4's figures, and how the book's mime renderer embeds them."""

import json

import numpy as np
import pandas as pd

from trauma.book.extension import PlotlyRenderer
from trauma.extreme_penalty.figures import interactive_overcorrection
from trauma.page import interactive

PENALTIES = [1.0, 10.0, 100.0]
SEEDS = [0, 1, 2]


def _tables(shift: float = 0.0):
    """A Model 1 style per-seed table (two probe sets, three groups) and its summary."""
    rng = np.random.default_rng(0)
    rows = [
        {"probe": probe, "group": group, "penalty": lam, "seed": seed, "overcorrection": rng.uniform() / 10 + shift}
        for probe, group in (("normal", "all"), ("correlation", "rho=0.8"), ("correlation", "control"))
        for lam in PENALTIES
        for seed in SEEDS
    ]
    probes = pd.DataFrame(rows)
    summary = (
        probes.groupby(["probe", "group", "penalty"], sort=False)
        .overcorrection.agg(
            overcorrection_mean="mean", overcorrection_low="min", overcorrection_high="max", overcorrection_n="count"
        )
        .reset_index()
    )
    return summary, probes


def test_every_mean_carries_its_interval_and_seed_count_and_every_seed_is_a_point():
    summary, probes = _tables()
    spec = interactive_overcorrection(summary, probes)
    json.dumps(spec, allow_nan=False)  # valid JSON for the notebook and the page
    means = [t for t in spec["data"] if t.get("mode") == "lines+markers"]
    seeds = [t for t in spec["data"] if t["name"].endswith(": seeds")]
    assert len(means) == len(seeds) == 3
    rho = next(t for t in means if t["name"] == "rho=0.8")
    expected = summary[summary.group == "rho=0.8"].sort_values("penalty")
    assert rho["y"] == interactive.numbers(100 * expected.overcorrection_mean)
    assert [c[:2] for c in rho["customdata"]] == [
        list(p)
        for p in zip(
            interactive.numbers(100 * expected.overcorrection_low),
            interactive.numbers(100 * expected.overcorrection_high),
        )
    ]
    assert [c[2] for c in rho["customdata"]] == [3, 3, 3] and "seeds" in rho["hovertemplate"]
    seed_points = next(t for t in seeds if t["legendgroup"] == "rho=0.8")
    assert sorted(seed_points["y"]) == sorted(
        interactive.numbers(100 * probes[probes.group == "rho=0.8"].overcorrection)
    )
    assert sorted(c[0] for c in seed_points["customdata"]) == sorted(SEEDS * len(PENALTIES))


def test_a_legend_entry_toggles_a_whole_group_and_axes_are_logarithmic_like_the_static_figure():
    summary, probes = _tables()
    spec = interactive_overcorrection(summary, probes)
    for group in ("rho=0.8", "control"):
        traces = [t for t in spec["data"] if t["legendgroup"] == group]
        assert len(traces) == 4 and sum(t["showlegend"] for t in traces) == 1  # band edges, mean, seeds; one entry
        assert {t["xaxis"] for t in traces} == {"x2"}  # the correlation panel
    assert spec["layout"]["xaxis"]["type"] == spec["layout"]["xaxis2"]["type"] == "log"
    assert spec["layout"]["yaxis"]["type"] == "linear"
    with_zero = summary.assign(penalty=summary.penalty.replace(1.0, 0.0))  # λ = 0 cannot sit on a log axis
    assert (
        interactive_overcorrection(with_zero, probes.assign(penalty=probes.penalty.replace(1.0, 0.0)))["layout"][
            "xaxis"
        ]["type"]
        == "linear"
    )


def test_the_variant_menu_shows_exactly_one_variants_traces_at_a_time():
    first, second = (interactive_overcorrection(*_tables(shift)) for shift in (0.0, 0.5))
    spec = interactive.with_menu({"a": first, "b": second})
    n = len(first["data"])
    assert len(spec["data"]) == 2 * n
    assert [t["visible"] for t in spec["data"]] == [True] * n + [False] * n
    buttons = spec["layout"]["updatemenus"][0]["buttons"]
    assert [b["label"] for b in buttons] == ["a", "b"]
    assert buttons[1]["args"][0]["visible"] == [False] * n + [True] * n
    assert buttons[1]["args"][1]["xaxis.type"] == "log"
    shown = [t for t, visible in zip(spec["data"], buttons[1]["args"][0]["visible"]) if visible]
    assert shown[2]["y"] == second["data"][2]["y"] != first["data"][2]["y"]


def test_the_variant_menu_switches_tick_values_and_labels_too():
    def spec(ticks):
        return interactive.figure(
            [], [{"x": "N", "y": "gap", **({"x_axis": interactive.labelled(ticks)} if ticks else {})}]
        )

    menu = interactive.with_menu({"a": spec([1, 10]), "b": spec([1, 3, 30]), "c": spec(None)})
    axes = [button["args"][1] for button in menu["layout"]["updatemenus"][0]["buttons"]]
    assert (axes[0]["xaxis.tickvals"], axes[0]["xaxis.ticktext"]) == ([1.0, 10.0], ["1", "10"])
    assert (axes[1]["xaxis.tickvals"], axes[1]["xaxis.ticktext"]) == ([1.0, 3.0, 30.0], ["1", "3", "30"])
    assert axes[2]["xaxis.tickvals"] is None and axes[2]["xaxis.ticktext"] is None  # back to automatic ticks
    assert "yaxis.tickvals" in axes[0] and axes[0]["yaxis.tickvals"] is None


def test_seeds_without_a_value_are_not_drawn():
    trace = interactive.seeds("a", [1, 1, 10], [0.5, float("nan"), 0.25], [0, 1, 2], panel=0, colour="C0")
    assert trace["y"] == [0.5, 0.25] and trace["x"] == [1.0, 10.0] and [c[0] for c in trace["customdata"]] == [0, 2]


def test_missing_values_become_null_not_nan():
    assert interactive.numbers([1.234567, float("nan"), float("inf")]) == [1.2346, None, None]


def test_the_renderer_embeds_the_specification_safely_and_only_as_a_block():
    class Data:
        mime_type = interactive.MIME
        content = {"data": [{"name": "</script><script>alert(1)</script>"}], "layout": {}}

    [node] = PlotlyRenderer.handle_mime(None, Data, inline=False)
    html = node.astext()
    assert html.count("</script>") == 1 and html.startswith('<div class="trauma-plotly"></div>')
    embedded = html.split('<script type="application/json">')[1].removesuffix("</script>")
    assert json.loads(embedded) == Data.content
    assert PlotlyRenderer.handle_mime(None, Data, inline=True) is None
    Data.mime_type = "image/png"
    assert PlotlyRenderer.handle_mime(None, Data, inline=False) is None
