"""Model 3 (Limited Dataset): caregivers, the design, the reference predictor, the
statistics, the sweep and its command line."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from trauma.cli import main
from trauma.limited_dataset import dataset as ds
from trauma.limited_dataset import report
from trauma.limited_dataset.config import SweepConfig
from trauma.limited_dataset.ensemble import train_grid
from trauma.limited_dataset.metrics import log_slope, power_law
from trauma.limited_dataset.sweep import run_sweep
from trauma.numerics.stats import detectable_difference, holm, paired_t_power
from trauma.numerics.trainer import Training

TINY = [
    "-p",
    "seeds",
    "3",
    "-p",
    "epochs",
    "3",
    "-p",
    "caregiver_counts",
    "[1, 2, 5]",
    "-p",
    "total_interactions",
    "200",
]


def test_features_personalities_and_response_follow_the_specification():
    x = np.zeros((2, 15))
    x[0, :7] = 1.0  # pos = 7 / sqrt(7)
    x[1, 7:] = 2.0  # neg = 16 / sqrt(8)
    phi = ds.features(x)
    np.testing.assert_allclose(phi[0], [np.sqrt(7), np.exp(-x[0].std()), 0.0])
    np.testing.assert_allclose(phi[1], [0.0, np.exp(-x[1].std()), 16 / np.sqrt(8)])
    theta = ds.personalities(np.array([0.5, 0.5, 0.5, 0.5]), "same")
    np.testing.assert_allclose(theta, [0.5, 0.5, 0.5, 0.2])  # symmetric Betas: median 0.5; mood: middle of (0.1, 0.3)
    shifted = ds.personalities(np.array([0.5, 0.5, 0.5, 0.0]), "shifted")
    assert shifted[0] > 0.5 and shifted[1] < 0.5 and shifted[3] == pytest.approx(0.15)
    y = ds.response(np.array([0.5, 0.4, 0.3, 0.2]), np.array([1.0, 0.5, -1.0]), np.array(1.5))
    assert y == pytest.approx(1 / (1 + np.exp(-(2 * 0.5 * 1 + 1.5 * 0.4 * 0.5 + 2 * 0.3 * 1 + 0.2 * 1.5))))


def test_designs_split_the_interactions_and_share_caregivers_across_n():
    assert ds.interactions_per_caregiver(3, "fixed_total", 1000, 500) == [334, 333, 333]
    assert ds.interactions_per_caregiver(4, "per_caregiver", 1000, 500) == [500] * 4
    two = ds.make_training_set(7, 2)
    five = ds.make_training_set(7, 5)
    assert len(two.y) == len(five.y) == 1000
    # caregiver 0's first 200 interactions (all it gives with five) are its first 200 with two
    np.testing.assert_array_equal(five.x[five.caregiver == 0], two.x[two.caregiver == 0][:200])
    np.testing.assert_array_equal(five.y[five.caregiver == 1], two.y[two.caregiver == 1][:200])
    per = ds.make_training_set(7, 2, "per_caregiver", each=500)
    np.testing.assert_array_equal(per.x, two.x)  # with two caregivers the designs coincide
    assert len(ds.make_training_set(7, 4, "per_caregiver", each=500).y) == 2000
    other = ds.make_training_set(8, 2)
    assert not np.array_equal(other.x, two.x)


def test_test_caregivers_share_inputs_and_the_shift_moves_the_responses():
    test = ds.make_test_set(3)
    assert test.x.shape == (50 * 40, 15) and set(test.y) == {"same", "shifted"}
    assert not np.array_equal(test.y["same"], test.y["shifted"])
    assert 0 < test.y["same"].min() and test.y["same"].max() < 1
    np.testing.assert_array_equal(ds.make_test_set(3).y["shifted"], test.y["shifted"])


def test_the_reference_is_the_best_x_only_predictor():
    test = ds.make_test_set(0)
    for distribution, other in (("same", "shifted"), ("shifted", "same")):
        f_star, mc_variance = ds.reference(test.x, distribution, draws=4000)
        y = test.y[distribution]
        best = ((f_star - y) ** 2).mean()
        assert best < ((y.mean() - y) ** 2).mean()  # better than any constant
        assert best < ((ds.reference(test.x, other, draws=4000)[0] - y) ** 2).mean()  # than the other population's
        assert mc_variance.mean() < 1e-3 * best  # the Monte Carlo error is negligible
    # the Monte Carlo mean converges: 4,000 draws against 10,000
    np.testing.assert_allclose(
        ds.reference(test.x[:50], "same", draws=4000)[0], ds.reference(test.x[:50], "same")[0], atol=0.01
    )


def test_power_law_fit_recovers_a_known_exponent_and_refuses_non_positive_gaps():
    counts = np.array([1, 2, 5, 10, 20], dtype=float)
    rng = np.random.default_rng(0)
    gaps = 0.02 * counts**-0.5 * np.exp(rng.normal(0, 0.05, (20, 5)))
    fit = power_law(counts, gaps)
    assert fit["low"] < 0.5 < fit["high"] and abs(fit["estimate"] - 0.5) < 0.05 and fit["unfit_share"] == 0
    assert np.isnan(log_slope(counts, np.array([[0.01, 0.005, 0.0, -0.001, 0.001]])))[0]


def test_holm_and_power_against_known_values():
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06])
    np.testing.assert_allclose(holm([0.5, 0.001]), [0.5, 0.002])
    # a paired t-test with 20 seeds detects an effect of 0.66 SD with 80 % power (Cohen's tables)
    assert paired_t_power(0.66, 1.0, 20) == pytest.approx(0.80, abs=0.01)
    assert paired_t_power(detectable_difference(0.3, 12, 0.01), 0.3, 12, 0.01) == pytest.approx(0.8, abs=1e-6)


def test_a_network_trains_the_same_alone_and_in_any_grid_at_full_length():
    counts, seeds = [1, 5, 10], [0, 1, 2]
    sets = {(n, s): ds.make_training_set(s, n) for n in counts for s in seeds}
    grid = train_grid(sets, seeds, counts, [24, 12], Training(epochs=100))
    alone = train_grid({(5, 1): sets[(5, 1)]}, [1], [5], [24, 12], Training(epochs=100))
    member = int(np.flatnonzero((grid.counts == 5) & (grid.seeds == 1))[0])
    assert torch.equal(grid.trained.final.select([member]).flat, alone.trained.final.flat)


@pytest.fixture(scope="module")
def small():
    return run_sweep(SweepConfig(seeds=4, epochs=8, caregiver_counts=[1, 2, 5, 10, 20]))


def test_sweep_tables(small):
    table = small.networks
    assert len(table) == 5 * 4 * 2  # counts x seeds x test sets
    assert (table.train_examples == 1000).all()
    np.testing.assert_allclose(table.gap, table.test_mse - table.train_mse)
    np.testing.assert_allclose(table.excess_mse, table.test_mse - table.reference_mse)
    same = table[table.test_set == "same"]
    np.testing.assert_allclose(same.population_mse, same.reference_mse)
    shifted = table[table.test_set == "shifted"]
    assert (shifted.population_mse > shifted.reference_mse).all()
    assert (same.groupby("seed").reference_mse.nunique() == 1).all()  # one reference per seed, whatever N
    assert set(small.fits.quantity) == {"gap", "excess_mse"} and len(small.fits) == 4
    assert small.metadata["reference_precision"]["same"] < 1e-5


def test_the_earlier_design_grows_the_data_and_agrees_where_the_designs_coincide(small):
    per = run_sweep(SweepConfig(seeds=4, epochs=8, caregiver_counts=[2, 5], design="per_caregiver"))
    assert per.networks.groupby("caregivers").train_examples.first().to_dict() == {2: 1000, 5: 2500}

    def at_two(result):
        return result.networks[result.networks.caregivers == 2].set_index(["seed", "test_set"]).sort_index()

    pd.testing.assert_frame_equal(at_two(per), at_two(small))  # same data, same networks, in different grids


def test_predictions_and_comparisons(small):
    table = report.predictions(small)
    assert list(table.index) == ["gap at N = 2", "gap at N = 5", "gap at N = 10", "exponent b of gap ~ N^(-b)"]
    assert set(table.verdict) <= {
        "supported",
        "inconclusive",
        "not supported (smaller)",
        "not supported (larger)",
        "inconclusive (no interval)",
    }
    comparisons = report.comparison_table(small)
    assert len(comparisons) == 2 * 5  # gap and excess: 1-2, 2-5, 5-10, 10-20 and 1-20
    assert (comparisons.p_holm >= comparisons.p - 1e-12).all() and (
        comparisons.t_p_holm >= comparisons.t_p - 1e-12
    ).all()
    assert (comparisons.t_df == 3).all() and (comparisons.detectable > 0).all()
    assert set(comparisons.direction) <= {"positive", "negative", "none"}
    d = report.count_difference(small, "gap", 20, 1)
    assert d["n"] == 4 and d["mean"] == pytest.approx(
        (report.per_seed(small, "gap", 20) - report.per_seed(small, "gap", 1)).mean()
    )
    assert report.spec_exponent() == pytest.approx(1.47, abs=0.01)


@pytest.mark.parametrize(
    "name, value",
    [
        ("caregiver_counts", "[0, 2]"),
        ("caregiver_counts", "[2, 2]"),
        ("caregiver_counts", "[]"),
        ("caregiver_counts", "5"),
        ("design", "random"),
        ("total_interactions", "10"),
        ("headline_test_set", "other"),
        ("seeds", "2"),
        ("hidden_dims", "[0]"),
        ("caregivers", "[1]"),
    ],
)
def test_bad_input_fails_before_training_and_writes_nothing(tmp_path, capsys, name, value):
    out = tmp_path / "out"
    assert main(["sweep", "limited-dataset", "-p", name, value, "--out", str(out)]) == 2
    message = capsys.readouterr().err
    assert f"parameter {name!r}" in message and "must be" in message
    assert list(tmp_path.iterdir()) == []


def test_sweep_writes_every_output_and_is_reproducible(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["sweep", "limited-dataset", *TINY, "--out", str(a), "--quiet"]) == 0
    assert main(["sweep", "limited-dataset", *TINY, "--out", str(b), "--quiet"]) == 0
    assert (a / "results.csv").read_bytes() == (b / "results.csv").read_bytes()
    names = {
        "results.csv",
        "training.csv",
        "fits.csv",
        "summary.csv",
        "results.json",
        "summary.txt",
        "generalisation.png",
        "checkpoints",
    }
    assert names <= {p.name for p in a.iterdir()}
    assert sorted(p.name for p in (a / "checkpoints").iterdir()) == [
        "caregivers_1.pt",
        "caregivers_2.pt",
        "caregivers_5.pt",
    ]
    results = pd.read_csv(a / "results.csv")
    assert {"seed", "caregivers", "train_examples", "test_set", "gap", "excess_mse"} <= set(results.columns)
    assert len(results) == 3 * 3 * 2
    document = json.loads((a / "results.json").read_text())
    assert document["parameters"]["caregiver_counts"] == [1, 2, 5] and document["model"] == "limited_dataset"
    png = (a / "generalisation.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(png[16:20], "big") > 1500  # 300 DPI
    assert "power law gap" in (a / "summary.txt").read_text()


def test_counts_are_sorted_as_numbers_and_help_lists_the_parameters(capsys):
    assert SweepConfig(caregiver_counts=[10, 2, 1]).caregiver_counts == [1, 2, 10]
    with pytest.raises(SystemExit):
        main(["sweep", "limited-dataset", "--help"])
    text = capsys.readouterr().out
    assert (
        "caregiver_counts" in text
        and "per_caregiver" in text
        and "default: [1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20]" in text
    )


def test_the_page_runs_with_a_single_caregiver_count(tmp_path, monkeypatch):
    """A reader's variant with one N: nothing to compare or fit, and the page says so."""
    import jupytext
    import papermill

    from trauma.book import paths

    monkeypatch.setenv("TRAUMA_ROOT", str(tmp_path))  # the kernel writes its results there
    notebook = tmp_path / "one.ipynb"
    jupytext.write(jupytext.read(paths.template("limited_dataset")), notebook)
    parameters = {"caregiver_counts": [3], "seeds": 3, "epochs": 2, "total_interactions": 90, "name": "one"}
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
    assert "Only one caregiver count" in glued["tbl_comparisons"] and "nothing to compare" in glued["h_gap_change_word"]
    assert "no power law fits" in glued["h_gap_fit_note"] or "n/a" in glued["tbl_predictions"]
    assert (tmp_path / "book/generated/results/one/results.csv").exists()


def _with_gaps(gap_of, counts=(1, 2, 5, 10, 20), seeds=20):
    """A Model 3 result whose networks have the gap gap_of(N) times seed noise, the
    excess a third of it and a train MSE of 0.001 (synthetic: no training)."""
    from trauma.limited_dataset.sweep import SweepResult, _fits

    rng = np.random.default_rng(0)
    config = SweepConfig.from_overrides({"caregiver_counts": list(counts), "seeds": seeds})
    rows = []
    for n in counts:
        for seed in range(seeds):
            for test_set in ("same", "shifted"):
                gap = gap_of(n) * rng.lognormal(0, 0.1)
                rows.append(
                    {
                        "caregivers": n,
                        "seed": seed,
                        "test_set": test_set,
                        "diverged": False,
                        "gap": gap,
                        "excess_mse": gap / 3,
                        "train_mse": 0.001,
                        "test_mse": gap + 0.001,
                        "reference_mse": gap + 0.001 - gap / 3,
                        "population_mse": gap + 0.001 - gap / 3,
                    }
                )
    networks = pd.DataFrame(rows)
    return SweepResult(config, networks, pd.DataFrame(), _fits(networks, config), {}, None, {})


def test_one_power_law_is_judged_on_its_exponent_and_a_levelling_gap_is_not():
    law = _with_gaps(lambda n: 0.02 * n**-0.5)
    slopes = report.local_slopes(law)
    assert [(s["from"], s["to"]) for s in slopes] == [(1, 2), (2, 5), (5, 10), (10, 20)]
    assert all(abs(s["estimate"] - 0.5) < 0.1 for s in slopes)
    change = report.slope_change(law)
    assert change["low"] < 0 < change["high"]  # one slope fits all
    assert report.exponent_verdict(law) == "supported"
    levelling = _with_gaps(lambda n: 0.01 + 0.02 / n)  # a floor: the slope falls from about 0.4 to 0.1
    slopes = report.local_slopes(levelling)
    assert slopes[0]["low"] > slopes[-1]["high"] and report.slope_change(levelling)["low"] > 0
    assert report.exponent_verdict(levelling).startswith("inconclusive (no single power law")
    # the gap's two parts are shown beside it, the excess first
    table = report.gap_parts_table(law)
    assert list(table.columns) == ["gap", "= excess test MSE over f*", "+ f*'s test MSE − train MSE"]
    assert list(table.index) == [1, 2, 5, 10, 20]
