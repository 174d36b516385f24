"""Tables and verdicts the Model 4 pages show: the specification's predictions
against observations, the grid's best trade-offs, and paired comparisons between
strategies (every strategy of a seed starts from the same phase-1 network).

The specification predicted phase-1 "accuracy". On this test set about 81 % of the
inputs are neutral, so a network answering "neutral" everywhere (one that forgot the
danger rule) scores about 0.81 on plain accuracy and would "support" the prediction
for replay (~0.87); the predictions are therefore judged on balanced accuracy, the
mean of danger and neutral recall, where a constant "neutral" or "danger" answer
scores 0.5 and an interval wholly across 0.5 from the prediction cannot support it
(`stats.verdict_about_share`). "Forgetting" is 1 - retention (`metrics.py`), so the
specification's "replay keeps > 90 % with < 10 % forgetting" is one claim, one row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..numerics import stats
from ..numerics.stats import baseline_table, cell, format_ci, paired, verdict_about_share, verdict_above, verdict_below
from .metrics import CHANCE
from .sweep import SweepResult

# The specification's predictions: (strategy or "before", quantity) -> value; its
# phase-1 accuracies judged on balanced accuracy (above).
SPEC_PREDICTIONS = {
    ("before", "balanced_before"): 0.94,
    ("before", "therapy_before"): 0.12,
    ("naive", "balanced_after"): 0.31,
    ("naive", "therapy_success"): 0.82,
    ("conservative", "balanced_after"): 0.89,
    ("conservative", "therapy_success"): 0.24,
    ("replay", "balanced_after"): 0.87,
    ("replay", "therapy_success"): 0.71,
}
# "replay keeps > 90 % with < 10 % forgetting; naive > 60 % forgetting"
SPEC_CLAIMS = [
    ("replay", "retention", "above", 0.9),
    ("naive", "forgetting", "above", 0.6),
]
# What a network answering "neutral" (or "danger") everywhere scores, the reference of the
# "about" verdicts; therapy success has none (a constant "safe" network scores 1, any other 0).
CONSTANT_SCORE = {"balanced_before": CHANCE, "balanced_after": CHANCE}
QUANTITY_LABELS = {
    "balanced_before": "phase-1 balanced accuracy before therapy (constant answer: 0.5)",
    "therapy_before": "therapy success before therapy",
    "balanced_after": "phase-1 balanced accuracy after therapy (constant answer: 0.5)",
    "therapy_success": "therapy success",
    "retention": "retention (share of the above-chance skill kept; constant answer: 0)",
    "forgetting": "forgetting (1 − retention; constant answer: 1)",
}


def strategy_cell(result: SweepResult, column: str, strategy: str) -> dict:
    return cell(result.summary(), column, strategy=strategy)


def per_seed(result: SweepResult, column: str, strategy: str) -> pd.Series:
    return stats.per_seed(result.networks, column, strategy=strategy)


def strategy_difference(
    result: SweepResult, column: str, strategy: str, reference: str, other: SweepResult | None = None
) -> dict:
    """`strategy` minus `reference` (of the `other` sweep, if given), paired by seed."""
    return paired(per_seed(result, column, strategy) - per_seed(other or result, column, reference))


def predictions(result: SweepResult) -> pd.DataFrame:
    """The specification's predictions for the strategies the sweep has, with verdicts."""
    names = set(result.networks.strategy)
    rows = []
    for (strategy, quantity), predicted in SPEC_PREDICTIONS.items():
        source = "naive" if strategy == "before" else strategy  # "before" is the same for every strategy
        if source not in names:
            continue
        observed = strategy_cell(result, quantity, source)
        rows.append(
            {
                "strategy": strategy,
                "quantity": QUANTITY_LABELS[quantity],
                "predicted": f"~ {predicted:g}",
                "observed (mean [95 % CI])": format_ci(observed["mean"], observed["low"], observed["high"], digits=3),
                "verdict": verdict_about_share(
                    predicted, observed["low"], observed["high"], reference=CONSTANT_SCORE.get(quantity)
                ),
            }
        )
    for strategy, quantity, side, threshold in SPEC_CLAIMS:
        if strategy not in names:
            continue
        observed = strategy_cell(result, quantity, strategy)
        rule = verdict_above if side == "above" else verdict_below
        rows.append(
            {
                "strategy": strategy,
                "quantity": QUANTITY_LABELS[quantity],
                "predicted": f"{'>' if side == 'above' else '<'} {threshold:g}",
                "observed (mean [95 % CI])": format_ci(observed["mean"], observed["low"], observed["high"], digits=3),
                "verdict": rule(threshold, observed["low"], observed["high"]),
            }
        )
    columns = ["strategy", "quantity", "predicted", "observed (mean [95 % CI])", "verdict"]
    return pd.DataFrame(rows, columns=columns).set_index(["strategy", "quantity"])


def pareto_front(result: SweepResult) -> pd.DataFrame:
    """The strategies (joint training aside) that no other strategy beats on both
    mean retention and mean therapy success, best retention first."""
    summary = result.summary()
    summary = summary[summary.strategy != "joint"]
    retention, success = summary.retention_mean.to_numpy(), summary.therapy_success_mean.to_numpy()
    dominated = [
        ((retention >= r) & (success >= s) & ((retention > r) | (success > s))).any()
        for r, s in zip(retention, success)
    ]
    return summary[~np.array(dominated)].sort_values("retention_mean", ascending=False)


def pareto_text(result: SweepResult, shown: int = 3) -> str:
    """How many strategies are on the front, and the first few by retention."""
    front = list(pareto_front(result).strategy)
    return f"{len(front)} strategies, by retention first {'; '.join(front[:shown])}"


def baselines(result: SweepResult) -> pd.DataFrame:
    """Retention and phase-1 accuracy after therapy of the specification's replay
    strategy (or the first strategy the sweep has), beside what a network answering
    one phase-1 class everywhere scores (retention 0, balanced accuracy 0.5, plain
    accuracy the share of that class: "neutral" scores about 0.81), and the network
    before therapy (retention 1)."""
    names = list(dict.fromkeys(result.networks.strategy))
    strategy = "replay" if "replay" in names else names[0]
    summary = result.summary()

    def shown(column):
        c = cell(summary, column, strategy=strategy)
        return format_ci(c["mean"], c["low"], c["high"], digits=3)

    constant = cell(summary, "constant_accuracy", strategy=strategy)["mean"]
    before = cell(summary, "balanced_before", strategy=strategy)
    return baseline_table(
        [
            (f"retention, {strategy}", shown("retention"), 'a constant "neutral" (or "danger")', "0"),
            (f"retention, {strategy}", shown("retention"), "the network before therapy", "1"),
            (
                f"phase-1 balanced accuracy after therapy, {strategy}",
                shown("balanced_after"),
                'a constant "neutral" (or "danger")',
                f"{CHANCE:g}",
            ),
            (
                f"phase-1 balanced accuracy after therapy, {strategy}",
                shown("balanced_after"),
                "the network before therapy",
                format_ci(before["mean"], before["low"], before["high"], digits=3),
            ),
            (
                f"phase-1 plain accuracy after therapy, {strategy}",
                shown("accuracy_after"),
                'a constant "neutral"',
                f"{constant:.3f}",
            ),
        ]
    )


NAMED = ("naive", "conservative", "replay")  # the specification's strategies


def shown_strategies(result: SweepResult) -> list[str]:
    """The specification's strategies, the strongest EWC and joint training, as far as
    the sweep has them."""
    names = list(dict.fromkeys(result.networks.strategy))
    ewc = [n for n in names if n.startswith("EWC")][-1:]
    return [n for n in NAMED if n in names] + ewc + (["joint"] if "joint" in names else [])


def seed_range(result: SweepResult, column: str, strategy: str) -> str:
    """'0.03 to 0.90': the lowest and highest seed."""
    values = per_seed(result, column, strategy)
    return f"{values.min():.2f} to {values.max():.2f}" if values.notna().any() else "n/a"


def class_table(result: SweepResult) -> pd.DataFrame:
    """What each shown strategy keeps of phase 1, class by class, beside what a network
    answering "neutral" everywhere scores: plain accuracy, danger and neutral recall,
    balanced accuracy and retention (mean over seeds [95 % CI]), and the range over
    seeds of retention and therapy success."""
    summary = result.summary()

    def shown(column, strategy):
        c = cell(summary, column, strategy=strategy)
        return format_ci(c["mean"], c["low"], c["high"], digits=3)

    first = result.networks.strategy.iloc[0]
    rows = [
        {
            "network": "before therapy",
            "accuracy": shown("accuracy_before", first),
            "danger recall": shown("danger_recall_before", first),
            "neutral recall": shown("neutral_recall_before", first),
            "balanced accuracy": shown("balanced_before", first),
            "retention": "1 (by definition)",
            "retention, seeds": "",
            "therapy success, seeds": seed_range(result, "therapy_before", first),
        }
    ]
    for strategy in shown_strategies(result):
        rows.append(
            {
                "network": strategy,
                "accuracy": shown("accuracy_after", strategy),
                "danger recall": shown("danger_recall", strategy),
                "neutral recall": shown("neutral_recall", strategy),
                "balanced accuracy": shown("balanced_after", strategy),
                "retention": shown("retention", strategy),
                "retention, seeds": seed_range(result, "retention", strategy),
                "therapy success, seeds": seed_range(result, "therapy_success", strategy),
            }
        )
    constant = cell(summary, "constant_accuracy", strategy=first)["mean"]
    rows.append(
        {
            "network": 'constant "neutral" (no danger rule)',
            "accuracy": f"{constant:.3f}",
            "danger recall": "0",
            "neutral recall": "1",
            "balanced accuracy": f"{CHANCE:g}",
            "retention": "0",
            "retention, seeds": "",
            "therapy success, seeds": "0",
        }
    )
    return pd.DataFrame(rows).set_index("network")
