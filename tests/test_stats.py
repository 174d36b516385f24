import numpy as np
import pandas as pd
import pytest

from trauma.stats import format_ci, mean_ci, summarise


def test_mean_ci_is_the_student_t_interval():
    mean, low, high, n = mean_ci([1, 2, 3, 4, 5])
    half = 2.7764451051977987 * np.std([1, 2, 3, 4, 5], ddof=1) / np.sqrt(5)  # t(0.975, 4)
    assert (mean, n) == (3.0, 5)
    assert low == pytest.approx(3 - half) and high == pytest.approx(3 + half)


def test_mean_ci_edge_cases():
    assert mean_ci([0.2, 0.2, 0.2])[1:3] == pytest.approx((0.2, 0.2))
    mean, low, high, n = mean_ci([0.5])
    assert mean == 0.5 and np.isnan(low) and np.isnan(high) and n == 1
    assert mean_ci([1.0, np.nan, 3.0])[::3] == (2.0, 2)  # diverged runs are left out, n says so
    assert mean_ci([np.nan])[3] == 0
    mean, low, high, _ = mean_ci([0.0, 0.0, 0.0, 0.9], bounds=(0, 1))
    assert low == 0.0 and high < 1.0 and mean == pytest.approx(0.225)


def test_summarise_keeps_cells_whose_keys_are_missing():
    table = pd.DataFrame({"probe": ["a", "a", "b", "b"], "distance": [np.nan, np.nan, 1.0, 1.0], "v": [1.0, 3.0, 5.0, 7.0]})
    summary = summarise(table, ["probe", "distance"], ["v"])
    assert summary.probe.tolist() == ["a", "b"]
    assert summary.v_mean.tolist() == [2.0, 6.0] and summary.v_n.tolist() == [2, 2]


def test_format_ci():
    assert format_ci(0.1234, 0.1, 0.15, percent=True) == "12.3 % [10.0, 15.0]"
    assert format_ci(2.0, np.nan, np.nan) == "2.0"
    assert format_ci(np.nan, np.nan, np.nan) == "n/a"
