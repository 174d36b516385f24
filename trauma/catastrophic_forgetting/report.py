"""Tables and verdicts the Model 4 pages show: the specification's predictions
against observations, the grid's best trade-offs, and paired comparisons between
strategies (every strategy of a seed starts from the same phase-1 network).

Accuracy-like predictions "about X" get the factor-of-two rule on the quantity
itself when X <= 0.5 and on its complement 1 - X above (where a factor of two
means something: any accuracy above 0.47 would otherwise be "about 0.94").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..numerics import stats
from ..numerics.stats import cell, format_ci, paired, verdict_about_share, verdict_above, verdict_below
from .sweep import SweepResult

# The specification's predictions: (strategy or "before", quantity) -> value.
SPEC_PREDICTIONS = {
    ("before", "accuracy_before"): 0.94,
    ("before", "therapy_before"): 0.12,
    ("naive", "accuracy_after"): 0.31,
    ("naive", "therapy_success"): 0.82,
    ("conservative", "accuracy_after"): 0.89,
    ("conservative", "therapy_success"): 0.24,
    ("replay", "accuracy_after"): 0.87,
    ("replay", "therapy_success"): 0.71,
}
# "replay keeps > 90 % with < 10 % forgetting; naive > 60 % forgetting"
SPEC_CLAIMS = [
    ("replay", "retention", "above", 0.9),
    ("replay", "forgetting", "below", 0.1),
    ("naive", "forgetting", "above", 0.6),
]
QUANTITY_LABELS = {
    "accuracy_before": "phase-1 accuracy before therapy",
    "therapy_before": "therapy success before therapy",
    "accuracy_after": "phase-1 accuracy after therapy",
    "therapy_success": "therapy success",
    "retention": "retention (accuracy after / before)",
    "forgetting": "forgetting (0 none, 1 all)",
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
                "verdict": verdict_about_share(predicted, observed["low"], observed["high"]),
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
