"""Tidy tables every model's sweep builds from its trained grid: the loss of every
network after every epoch, its loss spikes, and whether it diverged."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .trainer import Trained

# A loss spike: an epoch (after the first SPIKE_SKIP, still learning) whose mean loss
# is more than SPIKE_FACTOR times the lowest epoch loss before it, and above it by
# more than SPIKE_RISE (so that a loss near zero, whose relative wobbles are large,
# does not count).
SPIKE_FACTOR, SPIKE_RISE, SPIKE_SKIP = 2.0, 0.05, 5


def loss_curve(loss: np.ndarray) -> dict[str, np.ndarray]:
    """From the mean minibatch loss of every epoch ([M, epochs], `Trained.loss`), per
    network and point 0 (initialisation, no loss) to `epochs`: the loss, the loss over
    the lowest loss of the epochs before it, and whether the epoch is a loss spike."""
    nan = np.full((loss.shape[0], 1), np.nan)
    with_start = np.concatenate([nan, loss], axis=1)
    lowest_before = np.concatenate([nan, nan, np.minimum.accumulate(loss, axis=1)[:, :-1]], axis=1)
    with np.errstate(invalid="ignore"):
        spike = (
            (with_start > SPIKE_FACTOR * lowest_before)
            & (with_start - lowest_before > SPIKE_RISE)
            & (np.arange(with_start.shape[1]) > SPIKE_SKIP)
        )
    return {"loss": with_start, "loss_over_lowest": with_start / lowest_before, "spike": spike}


def training_table(trained: Trained, members: dict, per_epoch: dict | None = None):
    """The tidy training table of a grid: one row per member and point 0 (initialisation)
    to `epochs`, with the member's columns (`members`: name -> [M], e.g. its penalty and
    seed), whether it diverged, the epoch, `loss_curve`'s columns and the model's own
    per-epoch columns (`per_epoch`: name -> [M, epochs + 1]); NaN for diverged members."""
    gone = trained.diverged
    curve = loss_curve(np.where(gone[:, None], np.nan, trained.loss))
    per_epoch = {name: np.where(gone[:, None], np.nan, values) for name, values in (per_epoch or {}).items()}
    num_members, num_points = curve["loss"].shape
    return pd.DataFrame(
        {
            **{name: np.repeat(values, num_points) for name, values in members.items()},
            "diverged": np.repeat(gone, num_points),
            "epoch": np.tile(np.arange(num_points), num_members),
            **{name: values.ravel() for name, values in curve.items()},
            **{name: np.asarray(values).ravel() for name, values in per_epoch.items()},
        }
    )


def spike_counts(training, keys: list[str]):
    """Per network (rows of a training table identified by `keys`): how many epochs
    spiked, and the largest epoch loss over the lowest before it, after the first epochs (NaN
    for runs too short to count, and for diverged networks)."""
    members = training[keys + ["diverged"]].drop_duplicates(keys)
    counted = training[training.epoch > SPIKE_SKIP]
    found = counted.groupby(keys).agg(spikes=("spike", "sum"), peak=("loss_over_lowest", "max")).reset_index()
    table = members.merge(found, on=keys, how="left").fillna({"spikes": 0})
    if table.diverged.any():
        table.loc[table.diverged, ["spikes", "peak"]] = np.nan
    return table.drop(columns="diverged")
