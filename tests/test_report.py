import pandas as pd
import pytest

from trauma.extreme_penalty import report


def test_prediction_table_reads_the_correlation_probes():
    rows = []
    for penalty in (1.0, 10000.0):
        for group in ("rho=0.8", "rho=0.4", "rho=0.1"):
            mean = 0.01 if penalty == 1 else 0.65
            rows.append({"penalty": penalty, "probe": "correlation", "group": group, "overcorrection_mean": mean,
                         "overcorrection_low": mean - 0.01, "overcorrection_high": mean + 0.01, "overcorrection_n": 10})
    table = report.prediction_table(pd.DataFrame(rows))
    assert len(table) == 6  # only the penalties the summary has
    assert table.loc[("1", "rho=0.8"), "verdict"] == "supported"
    assert table.loc[("10000", "rho=0.8"), "verdict"] == "supported"  # ~65 %
    assert table.loc[("10000", "rho=0.4"), "verdict"] == "supported"  # ~35 %: 64-66 lies within 17.5-70
    assert table.loc[("10000", "rho=0.1"), "verdict"] == "not supported (larger)"  # ~12 %, observed 65 %
    assert table.loc[("10000", "rho=0.8"), "observed (mean [95 % CI])"] == "65.0 % [64.0, 66.0]"


def test_group_differences_are_paired_by_seed():
    rows = []
    for seed in range(6):
        for group, value in (("rho=0.8", 0.10 + 0.05 * seed), ("control", 0.08 + 0.05 * seed)):
            rows.append({"penalty": 100.0, "seed": seed, "probe": "correlation", "group": group, "excess_overcorrection": value})
    result = type("R", (), {"probes": pd.DataFrame(rows)})()
    test = report.group_difference(result, 100.0, "rho=0.8", "control")
    assert test["mean"] == 0.02 or abs(test["mean"] - 0.02) < 1e-12
    assert test["positive"] == 6 and test["direction"] == "positive"  # unpaired, the spread across seeds would hide it


def test_loss_spikes_are_sudden_rises_after_the_first_epochs():
    import numpy as np

    from trauma.extreme_penalty.config import SweepConfig
    from trauma.extreme_penalty.ensemble import GridRun
    from trauma.extreme_penalty.sweep import SweepResult, _training_table

    loss = np.full((3, 12), 0.3)
    loss[0, 1] = 5.0  # epoch 2: still learning, not a spike
    loss[1, [7, 10]] = [0.9, 0.61]  # epochs 8 and 11: more than twice, and 0.05 above, the lowest loss before
    loss[2] = np.geomspace(0.07, 0.005, 12)  # converging towards zero ...
    loss[2, 9] = 0.012  # ... with a wobble: twice the lowest before, but only 0.005 above it
    trained = type("T", (), {"loss": loss, "diverged": np.zeros(3, dtype=bool)})()
    run = GridRun(penalties=np.array([1.0, 10.0, 100.0]), seeds=np.array([0, 0, 0]), trained=trained,
                  diagnostic_epochs=[0], diagnostics={"gradient_ratio": np.ones((3, 1))})
    result = SweepResult(SweepConfig(seeds=1, epochs=12), pd.DataFrame(), _training_table(run), pd.DataFrame(), np.zeros((1, 10, 10)), {})
    spikes = result.instability().set_index("penalty")
    assert spikes.spikes.tolist() == [0, 2, 0]
    assert spikes.peak.tolist()[:2] == pytest.approx([1.0, 3.0])
    assert result.training.gradient_ratio.notna().sum() == 3  # diagnostics only where computed


def test_a_run_too_short_for_spikes_reports_none():
    from trauma.extreme_penalty.config import SweepConfig
    from trauma.extreme_penalty.sweep import run_sweep

    result = run_sweep(SweepConfig(seeds=2, epochs=2, base_examples=200, penalties=[1, 100]))
    spikes = result.instability()
    assert len(spikes) == 6 and (spikes.spikes == 0).all() and spikes.peak.isna().all()
    assert result.instability_summary().spikes_n.tolist() == [2, 2, 2]
