import numpy as np
import pandas as pd

from trauma.extreme_penalty import report


def test_verdict_rules_for_predictions():
    assert report.verdict("<", 5, 0.0, 4.9) == "supported"
    assert report.verdict("<", 5, 5.0, 9.0) == "not supported (larger)"
    assert report.verdict("<", 5, 2.0, 8.0) == "inconclusive"
    assert report.verdict("~", 25, 10.0, 14.0) == "supported"  # reaches 12.5 .. 50
    assert report.verdict("~", 25, 0.0, 12.0) == "not supported (smaller)"
    assert report.verdict("~", 25, 51.0, 60.0) == "not supported (larger)"
    assert report.verdict("~", 25, np.nan, np.nan).startswith("inconclusive")


def test_direction_of_a_paired_effect():
    assert report.direction(0.1, 2.0) == "supported"
    assert report.direction(-2.0, -0.1) == "opposite"
    assert report.direction(-1.0, 1.0).startswith("not supported")


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
    assert table.loc[("10000", "rho=0.1"), "verdict"] == "not supported (larger)"  # ~12 %, observed 65 %
    assert table.loc[("10000", "rho=0.8"), "observed (mean [95 % CI])"] == "65.0 % [64.0, 66.0]"
