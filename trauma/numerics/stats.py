"""Statistics over seeds, for every reported number, and the verdict rules.

- Interval: every number is the mean over seeds with a 95 % percentile-bootstrap
  confidence interval (10,000 resamples of the seeds, from a fixed generator, so the
  same values always give the same interval). The values here are shares near 0 or
  1, skewed or bimodal across seeds, where a Student-t interval can reach outside
  everything observed; the bootstrap interval stays within the observed range.
- Direction: whether a paired difference (the same seeds in both conditions) is
  positive or negative is decided by a two-sided Wilcoxon signed-rank test on the
  per-seed differences (zeros dropped), at the 5 % level after Holm's correction over
  the family the test belongs to: every test a page words in its prose is one family,
  every table of tests another (`correct_family`). The counts of seeds going each way
  and the raw p-value are reported beside it.
- Sameness: "no difference", "at chance", "did not help" are said only when a paired
  equivalence test (TOST, `tost`) puts the mean difference within a margin stated
  for its quantity, corrected in its family the same way; a difference that is
  neither detected nor shown equivalent is "no detectable difference".
- Verdicts on predictions (`verdict_about`, `verdict_about_share`, `verdict_below`,
  `verdict_above`, `verdict_direction`) are in words, and the book glues the
  words, so prose cannot contradict numbers; a direction word ("smaller",
  "larger") always describes the quantity as displayed, never its complement.

Non-finite values (diverged runs) are left out; n says how many seeds were used.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import pandas as pd
from scipy import stats

CONFIDENCE = 0.95
RESAMPLES = 10_000
BOOTSTRAP_SEED = 0
ALPHA = 0.05
# "No difference" between two shares (accuracy, over-correction, recall, retention, ...)
# is said only when a paired equivalence test puts the mean difference within two
# percentage points: below the smallest effect any specification predicted (5 points).
SHARE_MARGIN = 0.02


@cache
def bootstrap_indices(n: int) -> np.ndarray:
    """The bootstrap's resampling indices for n values: [RESAMPLES, n]."""
    return np.random.default_rng(BOOTSTRAP_SEED).integers(0, n, size=(RESAMPLES, n))


def mean_ci(values, confidence: float = CONFIDENCE) -> tuple[float, float, float, int]:
    """(mean, low, high, n) of the finite values: the mean and its percentile
    bootstrap interval; NaN interval when n < 2."""
    values = np.sort(np.asarray(values, dtype=float))  # sorted: the interval depends on the values, not their order
    values = values[np.isfinite(values)]
    n = len(values)
    if n == 0:
        return float("nan"), float("nan"), float("nan"), 0
    mean = float(values.mean())
    if n < 2:
        return mean, float("nan"), float("nan"), n
    means = values[bootstrap_indices(n)].mean(axis=1)
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(means, [tail, 100 - tail])
    return mean, float(min(low, mean)), float(max(high, mean)), n


def coverage(draw, truth: float, n: int, trials: int = 2000, seed: int = 0) -> float:
    """How often the book's 95 % interval (`mean_ci`) of n values covers the true mean,
    over `trials` simulated experiments: `draw(rng, (trials, n))` gives the values of
    every experiment from a distribution whose mean is `truth`."""
    samples = np.sort(draw(np.random.default_rng(seed), (trials, n)), axis=1)  # sorted, as mean_ci sorts
    tail = 100 * (1 - CONFIDENCE) / 2
    covered = 0
    for block in np.array_split(samples, max(1, trials // 20)):  # [20, RESAMPLES, n] at a time
        means = block[:, bootstrap_indices(n)].mean(-1)  # [trials, RESAMPLES]
        low, high = np.percentile(means, [tail, 100 - tail], axis=1)
        low, high = np.minimum(low, block.mean(1)), np.maximum(high, block.mean(1))
        covered += int(((low <= truth) & (truth <= high)).sum())
    return covered / trials


def summarise(table: pd.DataFrame, by: list[str], columns: list[str]) -> pd.DataFrame:
    """One row per `by` cell: for each column, <col>_mean, <col>_low, <col>_high and
    <col>_n (values over seeds, one per row of the cell)."""
    rows = []
    for key, cell in table.groupby(by, sort=False, dropna=False):
        row = dict(zip(by, key if isinstance(key, tuple) else (key,)))
        for column in columns:
            mean, low, high, n = mean_ci(cell[column])
            row.update({f"{column}_mean": mean, f"{column}_low": low, f"{column}_high": high, f"{column}_n": n})
        rows.append(row)
    return pd.DataFrame(rows)


def _rows(table: pd.DataFrame, where: dict) -> pd.DataFrame:
    for key, value in where.items():
        table = table[table[key] == value]
    return table


def cell(summary: pd.DataFrame, column: str, **where) -> dict:
    """mean, low, high, n of one `summarise`d column in the (first) row matching
    `where`, e.g. cell(summary, "accuracy", penalty=1, probe="normal")."""
    rows = _rows(summary, where)
    if rows.empty:
        raise KeyError(f"no summary row with {where}")
    row = rows.iloc[0]
    return {k: row[f"{column}_{k}"] for k in ("mean", "low", "high", "n")}


def per_seed(table: pd.DataFrame, column: str, **where) -> pd.Series:
    """One column's per-seed values (indexed by seed) in the rows matching `where`."""
    return _rows(table, where).set_index("seed")[column].sort_index()


def paired(differences, margin: float | None = None) -> dict:
    """Per-seed differences -> mean with bootstrap interval, the counts of seeds with a
    positive, negative and zero difference, the Wilcoxon signed-rank p-value, and, when
    an equivalence margin is given, the TOST p-value that the mean difference lies
    within +- margin (`tost`). Its direction ("positive", "negative", "equivalent" or
    "none", `direction_of`) is the test's alone; a page's family of tests is corrected
    together by `correct_family` before a word is read from it."""
    d = np.asarray(differences, dtype=float)
    d = d[np.isfinite(d)]
    mean, low, high, n = mean_ci(d)
    nonzero = d[d != 0]
    p = float(stats.wilcoxon(nonzero).pvalue) if len(nonzero) else 1.0
    test = {
        "mean": mean,
        "low": low,
        "high": high,
        "n": n,
        "positive": int((d > 0).sum()),
        "negative": int((d < 0).sum()),
        "zero": int((d == 0).sum()),
        "p": p,
        "sign": float(np.sign(np.median(nonzero))) if len(nonzero) else 0.0,
        "margin": float("nan") if margin is None else float(margin),
        "p_equivalent": float("nan") if margin is None else tost(d, margin),
    }
    return dict(test, direction=direction_of(test))


def direction_of(test: dict) -> str:
    """ "positive" / "negative" when the difference test rejects at ALPHA (its sign from
    the median difference), else "equivalent" when the equivalence test rejects at
    ALPHA, else "none": no detectable difference, which is not evidence of none."""
    if test["p"] < ALPHA:
        return "positive" if test["sign"] > 0 else "negative"
    return "equivalent" if test.get("p_equivalent", np.nan) < ALPHA else "none"


def tost(differences, margin: float) -> float:
    """Paired two one-sided t-tests (Schuirmann) of "the mean difference lies within
    +- margin": the larger of the two one-sided p-values (below ALPHA: equivalent
    within the margin; the same as the (1 - 2 ALPHA) t-interval lying inside it)."""
    d = np.asarray(differences, dtype=float)
    d = d[np.isfinite(d)]
    if len(d) < 2 or not margin > 0:
        return float("nan")
    mean, se = d.mean(), d.std(ddof=1) / np.sqrt(len(d))
    if se == 0:
        return 0.0 if abs(mean) < margin else 1.0
    below = stats.t.sf((mean + margin) / se, len(d) - 1)  # H0: mean <= -margin
    above = stats.t.cdf((mean - margin) / se, len(d) - 1)  # H0: mean >= margin
    return float(max(below, above))


def correct_family(tests: dict) -> dict:
    """One page's (or one table's) family of tests, Holm-corrected together: each test's
    p-value is replaced by its Holm-adjusted value (the raw one kept as p_raw), the
    equivalence p-values are adjusted the same way among themselves, and the direction
    is decided again from the adjusted values (`direction_of`). Tests without a
    p-value (NaN: nothing to test) stay out of the family. Values may be a test or a
    (test, ...) tuple, whose first item is corrected."""

    def test_of(value):
        return value[0] if isinstance(value, tuple) else value

    corrected = {key: dict(test_of(v), p_raw=test_of(v)["p"]) for key, v in tests.items()}
    for column in ("p", "p_equivalent"):
        keys = [k for k, t in corrected.items() if np.isfinite(t.get(column, np.nan))]
        for key, adjusted in zip(keys, holm([corrected[k][column] for k in keys])):
            corrected[key][column] = float(adjusted)
    family = sum(np.isfinite(t["p"]) for t in corrected.values())
    for test in corrected.values():
        test["family"] = int(family)
        if np.isfinite(test["p"]) and "sign" in test:
            test["direction"] = direction_of(test)
    return {
        key: (corrected[key], *value[1:]) if isinstance(value, tuple) else corrected[key]
        for key, value in tests.items()
    }


def paired_t(differences) -> dict:
    """Paired t-test of per-seed differences: t, its two-sided p-value, the degrees
    of freedom (seeds - 1) and the standard deviation of the differences."""
    d = np.asarray(differences, dtype=float)
    d = d[np.isfinite(d)]
    test = stats.ttest_1samp(d, 0.0)
    return {"t": float(test.statistic), "p": float(test.pvalue), "df": len(d) - 1, "sd": float(d.std(ddof=1))}


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjustment of a family of p-values (compare each with ALPHA)."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p)
    adjusted = np.maximum.accumulate((len(p) - np.arange(len(p))) * p[order])
    out = np.empty_like(p)
    out[order] = np.minimum(adjusted, 1.0)
    return out


def paired_t_power(difference: float, sd: float, n: int, alpha: float = ALPHA) -> float:
    """Power of a two-sided paired t-test at level alpha, with n seeds, to detect a
    true mean difference `difference` when the differences have this SD."""
    df = n - 1
    critical = stats.t.ppf(1 - alpha / 2, df)
    shift = abs(difference) / (sd / np.sqrt(n))
    power = float(stats.nct.sf(critical, df, shift) + stats.nct.cdf(-critical, df, shift))
    return power if np.isfinite(power) else float(shift > critical)  # far in the tail, where scipy gives up


def detectable_difference(sd: float, n: int, alpha: float = ALPHA, power: float = 0.8) -> float:
    """The smallest true mean difference a two-sided paired t-test at level alpha
    detects with this power (n seeds, differences with this SD)."""
    from scipy.optimize import brentq

    high = sd / np.sqrt(n)
    while paired_t_power(high, sd, n, alpha) < power:
        high *= 2
    return float(brentq(lambda d: paired_t_power(d, sd, n, alpha) - power, 0.0, high))


def verdict_about(predicted: float, low: float, high: float) -> str:
    """A prediction "about X": supported only if the whole interval lies within a
    factor of two of X ([X/2, 2X]); not supported if it lies wholly outside;
    inconclusive if it straddles the range's edge."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return "inconclusive (no interval)"
    if predicted / 2 <= low and high <= 2 * predicted:
        return "supported"
    if high < predicted / 2:
        return "not supported (smaller)"
    if low > 2 * predicted:
        return "not supported (larger)"
    return "inconclusive"


def verdict_about_share(predicted: float, low: float, high: float, reference: float | None = None) -> str:
    """A prediction "about X" of a share in [0, 1] that has a complement (an accuracy,
    a recall, a success rate). Above 0.5 the factor-of-two rule of `verdict_about` is
    applied to the complement (the error rate, where a factor of two means something;
    on the share itself any value above X/2 would pass). The direction word always
    describes the share as displayed. With a `reference` (chance, or what a constant
    answer scores), an interval wholly on the other side of it from X is never
    supported: a network below chance has learned the opposite rule, not the
    predicted near-chance one."""
    if predicted > 0.5:
        verdict = verdict_about(1 - predicted, 1 - high, 1 - low)
        verdict = {
            "not supported (smaller)": "not supported (larger)",
            "not supported (larger)": "not supported (smaller)",
        }.get(verdict, verdict)
    else:
        verdict = verdict_about(predicted, low, high)
    if verdict == "supported" and reference is not None:
        if predicted > reference and high < reference:
            return "not supported (smaller)"
        if predicted < reference and low > reference:
            return "not supported (larger)"
    return verdict


def verdict_below(predicted: float, low: float, high: float) -> str:
    """A prediction "below X": supported if the whole interval lies below X, not
    supported if it lies at or above X, otherwise inconclusive."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return "inconclusive (no interval)"
    if high < predicted:
        return "supported"
    return "not supported (larger)" if low >= predicted else "inconclusive"


def verdict_above(predicted: float, low: float, high: float) -> str:
    """A prediction "above X": supported if the whole interval lies above X, not
    supported if it lies at or below X, otherwise inconclusive."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return "inconclusive (no interval)"
    if low > predicted:
        return "supported"
    return "not supported (smaller)" if high <= predicted else "inconclusive"


def verdict_direction(test: dict) -> str:
    """A claim "this paired difference is positive", from `paired` (corrected with its
    family): supported, opposite (significantly negative), or not supported."""
    return {"positive": "supported", "negative": "opposite"}.get(test["direction"], "not supported")


def verdict_contradicts(predicted: str, observed: str, verdict: str) -> bool:
    """Whether a predictions-table row, as displayed, says one thing in its verdict
    and another in its numbers: "(smaller)" or "(larger)" beside an observed mean on
    the other side of the predicted value, or a "< X" / "> X" prediction "supported"
    by a mean on the wrong side of X. Reads the displayed strings ("~ 92 %",
    "97.9 % [96.1, 99.0]"), so it checks exactly what a reader sees."""
    claim = re.match(r"\s*([~<>])\s*(-?[\d.]+)", predicted)
    mean = re.match(r"\s*(-?[\d.]+)", observed)
    if not (claim and mean):
        return False
    side, value, mean = claim.group(1), float(claim.group(2)), float(mean.group(1))
    if verdict.endswith("(smaller)"):
        return mean >= value
    if verdict.endswith("(larger)"):
        return mean <= value
    if verdict == "supported" and side in "<>":
        return mean >= value if side == "<" else mean <= value
    return False


def format_ci(mean: float, low: float, high: float, percent: bool = False, digits: int = 1) -> str:
    """'12.3 % [10.1, 14.5]' (percent=True) or '1.23 [1.01, 1.45]'."""
    scale, unit = (100.0, " %") if percent else (1.0, "")
    if not np.isfinite(mean):
        return "n/a"
    if not np.isfinite(low):
        return f"{mean * scale:.{digits}f}{unit}"
    return f"{mean * scale:.{digits}f}{unit} [{low * scale:.{digits}f}, {high * scale:.{digits}f}]"


def format_row(row, column: str, percent: bool = False, digits: int = 1) -> str:
    """`format_ci` of one column of a summary row (its <column>_mean, _low, _high)."""
    return format_ci(
        getattr(row, f"{column}_mean"),
        getattr(row, f"{column}_low"),
        getattr(row, f"{column}_high"),
        percent=percent,
        digits=digits,
    )


BASELINE_INDEX = ["headline metric", "reference"]
BASELINE_COLUMNS = ["observed (mean [95 % CI])", "the reference scores"]


def baseline_table(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """A model's headline metrics beside references: what trivial predictors (a constant
    answer, chance, the best possible predictor) and the same networks without the
    effect's cause (or on inputs it does not touch) score on them. Rows of (metric,
    observed, reference, its score), shown as text."""
    return pd.DataFrame(
        rows, columns=BASELINE_INDEX[:1] + BASELINE_COLUMNS[:1] + BASELINE_INDEX[1:] + BASELINE_COLUMNS[1:]
    ).set_index(BASELINE_INDEX)
