import numpy as np
import pandas as pd
import pytest

from trauma.numerics import stats
from trauma.numerics.stats import (
    format_ci,
    mean_ci,
    paired,
    summarise,
    verdict_about,
    verdict_about_share,
    verdict_below,
    verdict_contradicts,
    verdict_direction,
)
from trauma.page.glue import word_for


def test_bootstrap_interval_is_reproducible_and_stays_within_what_was_observed():
    values = [0.010, 0.013, 0.019, 0.027, 0.029, 0.034, 0.042, 0.043, 0.066, 0.358]  # skewed, all positive
    mean, low, high, n = mean_ci(values)
    assert n == 10 and mean == pytest.approx(np.mean(values))
    assert mean_ci(values) == (mean, low, high, n)  # a fixed resampling generator
    assert min(values) < low < mean < high < max(values)
    assert low > 0  # unlike the Student-t interval (-0.005 here), it does not reach below every seed
    assert mean_ci(list(reversed(values)))[1:3] == pytest.approx((low, high))  # order of the seeds is irrelevant


def test_mean_ci_edge_cases():
    assert mean_ci([0.2, 0.2, 0.2])[1:3] == pytest.approx((0.2, 0.2))
    mean, low, high, n = mean_ci([0.5])
    assert mean == 0.5 and np.isnan(low) and np.isnan(high) and n == 1
    assert mean_ci([1.0, np.nan, 3.0])[::3] == (2.0, 2)  # diverged runs are left out, n says so
    assert mean_ci([np.nan])[3] == 0


def test_paired_test_counts_seeds_and_decides_the_direction():
    up = paired([0.5, 1.0, 2.0, 0.1, 0.3, 0.2, 0.9, 1.5, 0.7, 0.05])
    assert (up["positive"], up["negative"], up["zero"], up["n"]) == (10, 0, 0, 10)
    assert up["p"] == pytest.approx(2 / 1024) and up["direction"] == "positive"
    assert paired([-x for x in [0.5, 1.0, 2.0, 0.1, 0.3, 0.2, 0.9, 1.5]])["direction"] == "negative"
    mixed = paired([1.0, -1.1, 0.5, -0.4, 0.2, -0.3, 0.0, 0.0])
    assert mixed["direction"] == "none" and mixed["zero"] == 2
    assert paired([0.0, 0.0, 0.0])["direction"] == "none"
    assert verdict_direction(up) == "supported" and verdict_direction(mixed) == "not supported"
    assert verdict_direction(paired([-1, -2, -3, -4, -5, -6, -7])) == "opposite"


def test_about_x_is_supported_only_when_the_whole_interval_is_within_a_factor_of_two():
    assert verdict_about(35, 20.0, 60.0) == "supported"
    assert verdict_about(35, 0.0, 18.5) == "inconclusive"  # the earlier book called this supported
    assert verdict_about(35, 0.0, 17.0) == "not supported (smaller)"
    assert verdict_about(35, 71.0, 90.0) == "not supported (larger)"
    assert verdict_about(35, 30.0, 80.0) == "inconclusive"
    assert verdict_about(35, np.nan, np.nan).startswith("inconclusive")
    assert verdict_below(5, 0.0, 4.9) == "supported"
    assert verdict_below(5, 5.0, 9.0) == "not supported (larger)"
    assert verdict_below(5, 2.0, 8.0) == "inconclusive"


def test_summarise_keeps_cells_whose_keys_are_missing():
    table = pd.DataFrame(
        {"probe": ["a", "a", "b", "b"], "distance": [np.nan, np.nan, 1.0, 1.0], "v": [1.0, 3.0, 5.0, 7.0]}
    )
    summary = summarise(table, ["probe", "distance"], ["v"])
    assert summary.probe.tolist() == ["a", "b"]
    assert summary.v_mean.tolist() == [2.0, 6.0] and summary.v_n.tolist() == [2, 2]


def test_format_ci():
    assert format_ci(0.1234, 0.1, 0.15, percent=True) == "12.3 % [10.0, 15.0]"
    assert format_ci(2.0, np.nan, np.nan) == "2.0"
    assert format_ci(np.nan, np.nan, np.nan) == "n/a"


def test_a_below_chance_accuracy_cannot_support_a_near_chance_prediction():
    # Model 2 at p = 0.6 (the earlier book): ~54 % predicted, 35.3 % [29.1, 42.5] observed. The
    # error rate 0.46 -> [0.575, 0.709] lies within a factor of two, but the networks learned the
    # inverted rule.
    assert verdict_about(0.46, 1 - 0.425, 1 - 0.291) == "supported"
    assert verdict_about_share(0.54, 0.291, 0.425, reference=0.5) == "not supported (smaller)"
    assert verdict_about_share(0.54, 0.291, 0.425) == "supported"  # no reference stated: the factor of two alone
    assert verdict_about_share(0.54, 0.51, 0.60, reference=0.5) == "supported"
    assert verdict_about_share(0.3, 0.55, 0.58, reference=0.5) == "not supported (larger)"  # above chance, X below


def test_the_direction_word_describes_the_share_as_shown():
    # ~92 % predicted, 97.9 % [97.5, 98.3] observed: the error rate is smaller, the accuracy larger.
    assert verdict_about_share(0.92, 0.975, 0.983) == "not supported (larger)"
    assert verdict_about_share(0.92, 0.70, 0.80) == "not supported (smaller)"
    assert verdict_about_share(0.31, 0.05, 0.10) == "not supported (smaller)"  # below 0.5: the share itself
    assert verdict_about_share(0.31, 0.70, 0.80) == "not supported (larger)"
    assert verdict_about_share(0.92, 0.90, 0.95) == "supported"
    assert verdict_about_share(0.92, 0.80, 0.95) == "inconclusive"


def test_a_verdict_that_contradicts_its_displayed_numbers_is_caught():
    # The earlier book's Model 2 row: larger accuracy, "smaller" (the word was about the error rate).
    assert verdict_contradicts("~ 92 %", "97.9 % [97.5, 98.3]", "not supported (smaller)")
    assert not verdict_contradicts("~ 92 %", "97.9 % [97.5, 98.3]", "not supported (larger)")
    assert verdict_contradicts("> 0.9", "0.85 [0.80, 0.95]", "supported")
    assert not verdict_contradicts("< 5 %", "3.1 % [2.0, 4.0]", "supported")
    assert verdict_contradicts("< 5 %", "6.1 % [5.5, 7.0]", "supported")
    assert not verdict_contradicts("~ 0.5", "n/a", "inconclusive (no interval)")


def test_a_family_of_tests_that_pass_alone_yields_no_direction_under_correction():
    """Ten differences of 9 seeds up, 1 down: each rejects alone (p = 0.004 to 0.01),
    and under Holm over a family of 23 (the Model 1 comparison page's size) none does."""
    rng = np.random.default_rng(0)
    family = {}
    for i in range(23):
        d = np.abs(rng.normal(1.0, 0.3, 10))
        d[0] = -0.05  # one seed the other way
        family[i] = stats.paired(d)
    assert all(t["direction"] == "positive" for t in family.values())
    corrected = stats.correct_family(family)
    assert all(t["direction"] == "none" for t in corrected.values())
    assert all(t["p"] >= t["p_raw"] and t["family"] == 23 for t in corrected.values())
    words = ("more", "less", "not detectably more or less")
    assert {word_for(t, words) for t in corrected.values()} == {"not detectably more or less"}
    alone = stats.correct_family({0: family[0]})[0]
    assert alone["direction"] == "positive" and alone["p"] == pytest.approx(alone["p_raw"])


def test_no_difference_is_said_only_when_the_equivalence_test_passes():
    rng = np.random.default_rng(1)
    wide = rng.normal(0.0, 0.05, 10)  # not significant, but the interval reaches far beyond the margin
    tight = rng.normal(0.0, 0.002, 10)  # not significant and well within 0.02
    words = ("more", "less", "not detectably more or less", "neither more nor less")
    found = {name: stats.paired(d, margin=0.02) for name, d in (("wide", wide), ("tight", tight))}
    assert found["wide"]["p"] >= stats.ALPHA and found["tight"]["p"] >= stats.ALPHA
    assert word_for(found["wide"], words) == "not detectably more or less"
    assert word_for(found["tight"], words) == "neither more nor less"
    assert word_for(stats.paired(tight), words) == "not detectably more or less"  # no margin, no equivalence
    assert word_for(found["tight"], words[:3]) == "not detectably more or less"  # no equivalence word offered


def test_tost_matches_the_ninety_percent_t_interval():
    from scipy import stats as scipy_stats

    rng = np.random.default_rng(2)
    for _ in range(50):
        d = rng.normal(rng.uniform(-0.03, 0.03), rng.uniform(0.001, 0.03), 10)
        margin = 0.02
        half = scipy_stats.t.ppf(0.95, 9) * d.std(ddof=1) / np.sqrt(10)
        inside = -margin < d.mean() - half and d.mean() + half < margin
        assert (stats.tost(d, margin) < 0.05) == inside


def test_the_measured_coverage_of_the_interval_is_near_nominal_for_many_normal_values_and_low_for_ten_skewed():
    normal = stats.coverage(lambda rng, shape: rng.normal(0.0, 1.0, shape), 0.0, n=60, trials=400)
    assert 0.90 < normal < 0.99
    skewed = stats.coverage(lambda rng, shape: rng.beta(0.5, 10, shape), 0.5 / 10.5, n=10, trials=400)
    assert skewed < normal - 0.05
    assert stats.coverage(lambda rng, shape: np.full(shape, 0.5), 0.5, n=10, trials=40) == 1.0  # exact in binary
