"""Model 2 (Noisy Signals): data, noise models, metrics, the sweep, its command line."""

import json

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from trauma.cli import main
from trauma.noisy_signals import dataset as ds
from trauma.noisy_signals import report
from trauma.noisy_signals.config import SweepConfig
from trauma.noisy_signals.ensemble import recorded_epochs
from trauma.noisy_signals.metrics import (
    calibration_error,
    ensemble_metrics,
    interval,
    jackknife_counts,
    memorisation,
    network_metrics,
    power_law_exponent,
    power_law_fit,
)
from trauma.noisy_signals.sweep import run_sweep

TINY = ["-p", "seeds", "3", "-p", "epochs", "3", "-p", "train_examples", "400", "-p", "noise_levels", "[0, 0.3, 0.6]"]


def test_rule_and_context():
    x = np.zeros((4, 20))
    x[0, :5] = 0.1  # sum > 0
    x[1, 10] = 1.5  # x10 > 1
    x[2, :5] = -0.1
    x[3, [5, 7]] = [0.5, -0.5]
    assert ds.clean_labels(x).tolist() == [1, 1, 0, 0]
    assert ds.in_context(x).tolist() == [False, False, False, True]
    train = ds.make_training_set(0, 20_000)
    assert abs(train.context.mean() - 0.25) < 0.01  # a quarter of all inputs


def test_noise_is_nested_only_in_context_and_flip_inverts_above_one_half():
    train = ds.make_training_set(3, 5000)
    flipped = {p: train.labels(p, "flip") != train.clean for p in (0.0, 0.05, 0.3, 0.6, 1.0)}
    assert not flipped[0.0].any()
    assert not (flipped[0.3] & ~train.context).any()  # never outside the context
    assert np.all(flipped[0.05] <= flipped[0.3]) and np.all(flipped[0.3] <= flipped[0.6])  # nested
    assert abs(flipped[0.3][train.context].mean() - 0.3) < 0.03
    assert flipped[1.0][train.context].all()  # p = 1 inverts every in-context label: a rule, not noise
    randomised = train.labels(1.0, "randomise") != train.clean
    assert abs(randomised[train.context].mean() - 0.5) < 0.03  # q = 1: a fair coin, half of them wrong
    assert np.array_equal(train.labels(0.3, "flip"), ds.make_training_set(3, 5000).labels(0.3, "flip"))


def test_evaluation_sets_are_shared_and_the_probe_lies_in_the_context():
    a, b = ds.evaluation_sets(), ds.evaluation_sets()
    assert np.array_equal(a["test"].x, b["test"].x)
    assert a["context_probe"].context.all() and len(a["context_probe"].x) == 2000
    assert 0.2 < a["test"].context.mean() < 0.3


def test_network_metrics_on_known_predictions():
    p = np.array([[0.9, 0.5, 0.2, 0.46]])
    labels = np.array([1, 1, 0, 0])
    found = network_metrics(p, labels, p_train=np.array([0.7, 0.7, 0.3, 0.3]))
    assert found["accuracy"][0] == pytest.approx(0.75)  # 0.5 is not above 0.5
    assert found["collapse"][0] == pytest.approx(0.5)  # 0.5 and 0.46
    assert found["confidence"][0] == pytest.approx((0.4 + 0 + 0.3 + 0.04) / 4)
    assert found["calibration_error"][0] == pytest.approx((0.2 + 0.2 + 0.1 + 0.16) / 4)


def test_instability_is_the_spread_across_seeds_and_its_jackknife_interval():
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, (6, 50))
    counts = jackknife_counts(6)
    found = ensemble_metrics(p, counts)
    assert found["instability"][0] == pytest.approx(p.std(axis=0, ddof=1).mean())
    assert found["instability"][3] == pytest.approx(
        np.delete(p, 2, axis=0).std(axis=0, ddof=1).mean()
    )  # seed 2 left out
    labels = p > 0.5
    assert found["disagreement"][0] == pytest.approx((labels.any(0) & ~labels.all(0)).mean())
    estimate, low, high = interval(found["instability"])
    assert low < estimate < high
    same = ensemble_metrics(np.tile(p[:1], (6, 1)), counts)
    assert (
        same["instability"][0] == pytest.approx(0, abs=1e-12) and same["disagreement"][0] == 0
    )  # identical seeds: stable


def test_power_law_exponent_recovers_a_known_slope():
    levels = np.array([0.05, 0.1, 0.2, 0.4])
    variances = np.stack([2.0 * levels**0.5, 0.3 * levels**1.5])
    np.testing.assert_allclose(power_law_exponent(levels, variances), [0.5, 1.5])


def _variance_rows(levels, floor_sd, excess_per_level, seeds=10, inputs=2000):
    """A synthetic ensemble: per seed a floor component (the same at every level, as
    the seeds' initialisation and data are) plus a noise component whose variance is
    excess_per_level(level); the variance across seeds per level with its jackknife rows."""
    rng = np.random.default_rng(1)
    floor = floor_sd * rng.standard_normal((seeds, inputs))
    noise = rng.standard_normal((seeds, inputs))
    counts = jackknife_counts(seeds)
    return {
        level: ensemble_metrics(0.5 + floor + np.sqrt(excess_per_level(level)) * noise, counts)["variance"]
        for level in levels
    }


def test_the_floor_is_subtracted_so_a_linear_excess_gives_an_exponent_near_one():
    levels = [0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5]
    variance = _variance_rows(
        levels, floor_sd=0.1, excess_per_level=lambda p: 0.01 * p
    )  # floor 0.01: 5x the excess at 0.2
    fit = power_law_fit(variance)
    assert (
        fit["floor"] and fit["levels"] == [0.05, 0.1, 0.2, 0.3, 0.4] and fit["excluded"] == []
    )  # 0.5 is not below 0.5
    assert fit["estimate"] == pytest.approx(1.0, abs=0.05) and fit["low"] < 1 < fit["high"]
    assert all(abs(s["estimate"] - 1) < 0.1 for s in fit["local"]) and len(fit["local"]) == 4
    raw = power_law_fit({level: v for level, v in variance.items() if level > 0})  # without level 0: the raw variance
    assert not raw["floor"] and raw["estimate"] < 0.5  # the floor flattens the raw slope (the earlier reading)


def test_levels_without_excess_are_left_out_and_no_floor_is_no_subtraction():
    variance = _variance_rows(
        [0.0, 0.05, 0.1, 0.3], floor_sd=0.1, excess_per_level=lambda p: 0.0 if p < 0.1 else 0.01 * p
    )
    fit = power_law_fit(variance)
    assert 0.05 in fit["excluded"] and 0.05 not in fit["levels"]  # no excess at 0.05: the law cannot hold there
    assert fit["levels"] == [0.1, 0.3] and np.isfinite(fit["estimate"])
    alone = power_law_fit({0.05: variance[0.05]})
    assert alone["quantity"] == "raw" and np.isnan(alone["estimate"])  # one level, no floor: nothing fitted, no crash


def test_memorisation_subtracts_the_generalisation_baseline_and_is_refused_from_one_half():
    wrong_agreement = np.array([0.40, 0.35, 0.90, 0.95])  # share of wrong training labels predicted as labelled
    fresh_flipped = np.array([0.30, 0.35, 0.65, 0.95])  # share of fresh in-context inputs given the flipped label
    found = memorisation(wrong_agreement, fresh_flipped, [0.3, 0.4, 0.5, 0.6])
    assert found[0] == pytest.approx(0.10)  # beyond what the network does on fresh inputs of the region
    assert found[1] == 0  # predicting wrong labels only as often as on fresh inputs: no memorisation
    assert np.isnan(found[2:]).all()  # the flipped label is not the minority: never computed


def test_calibration_error_of_known_predictions():
    p_train = np.array([0.7, 0.7, 0.3, 0.3])
    assert calibration_error(p_train[None], p_train)[0] == pytest.approx(0)  # calibrated
    assert calibration_error(np.full((1, 4), 0.5), p_train)[0] == pytest.approx(0)  # constant at the mean: also 0
    p = np.array([[0.95, 0.9, 0.05, 0.08]])  # too confident: bins 0.9 and 0.0 hold two inputs each
    assert calibration_error(p, p_train)[0] == pytest.approx(0.5 * 0.225 + 0.5 * 0.235)


def test_binary_loss_is_binary_cross_entropy_with_its_gradient():
    from trauma.noisy_signals.model import LOSS

    z = torch.randn(2, 6, 1, requires_grad=True)
    y = torch.randint(0, 2, (2, 6))
    (F.binary_cross_entropy_with_logits(z[..., 0], y.float(), reduction="none").mean(-1)).sum().backward()
    value, grad = LOSS.value_and_grad(
        z.detach(), *LOSS.scaled_targets(LOSS.encode(y), torch.ones(2, 6), torch.full((6,), 6.0))
    )
    torch.testing.assert_close(grad, z.grad, rtol=1e-5, atol=1e-7)


@pytest.fixture(scope="module")
def small():
    return run_sweep(SweepConfig(seeds=4, epochs=4, train_examples=1500, noise_levels=[0, 0.05, 0.3, 0.6]))


def test_sweep_tables(small):
    assert len(small.networks) == 4 * 4 * 3  # levels x seeds x subsets
    assert set(small.networks.subset) == {"in_context", "out_of_context", "all"}
    assert small.networks.accuracy.between(0, 1).all() and small.networks.collapse.between(0, 1).all()
    assert len(small.ensemble) == 4 * 3 and (small.ensemble.instability_low <= small.ensemble.instability).all()
    assert len(small.jackknife) == 4 * 3 * 5  # all seeds, then each left out
    realised = small.noise.groupby("noise").realised.mean()
    assert realised[0.0] == 0 and abs(realised[0.3] - 0.3) < 0.05
    memorised = small.training[small.training.noise == 0.0].memorised
    assert memorised.isna().all()  # no wrong labels at level 0
    assert small.exponent["floor"] and small.exponent["quantity"] == "excess"
    assert set(small.exponent["levels"]) | set(small.exponent["excluded"]) == {0.05, 0.3}
    assert small.raw_exponent["levels"] == [0.05, 0.3] and np.isfinite(small.raw_exponent["estimate"])
    assert sorted(small.by_epoch.epoch.unique()) == recorded_epochs(4) == [1, 2, 4]
    assert len(small.exponent_by_epoch) == 3 and small.exponent_by_epoch[-1]["epoch"] == 4


def test_memorisation_is_not_computed_where_the_flipped_label_is_the_majority(small):
    inverted = small.training[small.training.noise == 0.6]
    assert inverted.wrong_agreement.between(0, 1).all()  # what the networks do is recorded ...
    assert inverted.memorised.isna().all()  # ... but not called memorisation
    with pytest.raises(ValueError, match="not defined at level 0.6"):
        report.memorised_per_seed(small, 0.6)


def test_memorisation_is_agreement_with_wrong_labels_minus_the_flipped_label_on_fresh_inputs(small):
    rows = small.training[(small.training.noise == 0.3) & (small.training.epoch == small.config.epochs)].set_index(
        "seed"
    )
    np.testing.assert_allclose(rows.memorised, rows.wrong_agreement - rows.fresh_flipped)
    # the baseline is the flipped label's share on the in-context probe: 1 - the final network's clean accuracy there
    accuracy = small.networks.query("noise == 0.3 and subset == 'in_context'").set_index("seed").accuracy_final
    np.testing.assert_allclose(rows.fresh_flipped, 1 - accuracy.loc[rows.index], atol=1e-12)


def test_the_spread_after_an_epoch_does_not_depend_on_the_training_length(small):
    shorter = run_sweep(SweepConfig(seeds=4, epochs=2, train_examples=1500, noise_levels=[0, 0.05, 0.3, 0.6]))
    a = small.by_epoch[small.by_epoch.epoch == 2].reset_index(drop=True)
    b = shorter.by_epoch[shorter.by_epoch.epoch == 2].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)  # the same networks, stopped earlier


def test_predictions_table_and_paired_comparisons(small):
    table = report.predictions(small)
    assert len(table) == 9 and set(table.verdict) <= {
        "supported",
        "inconclusive",
        "not supported (smaller)",
        "not supported (larger)",
    }
    difference = report.level_difference(small, "accuracy", 0.3, 0.0)
    assert difference["n"] == 4
    same = report.ensemble_difference(small, "instability", 0.3, 0.3)
    assert same["mean"] == 0 and same["direction"] == "none"


def test_accuracy_verdict_is_on_the_error_rate():
    from trauma.numerics.stats import verdict_about

    # predicted accuracy 92 %: error 8 %; an observed 98 % (error 2 %) is not "about" it
    assert verdict_about(1 - 0.92, 1 - 0.985, 1 - 0.975) == "not supported (smaller)"


@pytest.mark.parametrize(
    "name, value",
    [
        ("noise_levels", "[0.1, 1.5]"),
        ("noise_levels", "0.3"),
        ("noise_levels", "[]"),
        ("noise_model", "shuffle"),
        ("epochs", "0"),
        ("seeds", "2"),
        ("hidden_dims", "[0]"),
        ("noise_level", "[0.1]"),
    ],
)
def test_bad_input_fails_before_training_and_writes_nothing(tmp_path, capsys, name, value):
    out = tmp_path / "out"
    assert main(["sweep", "noisy-signals", "-p", name, value, "--out", str(out)]) == 2
    message = capsys.readouterr().err
    assert f"parameter {name!r}" in message and "must be" in message
    assert list(tmp_path.iterdir()) == []


def test_sweep_writes_every_output_and_is_reproducible(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["sweep", "noisy-signals", *TINY, "--out", str(a), "--quiet"]) == 0
    assert main(["sweep", "noisy-signals", *TINY, "--out", str(b), "--quiet"]) == 0
    assert (a / "results.csv").read_bytes() == (b / "results.csv").read_bytes()
    names = {
        "results.csv",
        "ensemble.csv",
        "jackknife.csv",
        "by_epoch.csv",
        "training.csv",
        "noise.csv",
        "summary.csv",
        "results.json",
        "summary.txt",
        "metrics.png",
        "instability.png",
        "checkpoints",
    }
    assert names <= {p.name for p in a.iterdir()}
    assert sorted(p.name for p in (a / "checkpoints").iterdir()) == ["noise_0.3.pt", "noise_0.6.pt", "noise_0.pt"]
    results = pd.read_csv(a / "results.csv")
    assert {"seed", "noise", "subset"} <= set(results.columns) and len(results) == 3 * 3 * 3
    document = json.loads((a / "results.json").read_text())
    assert document["parameters"]["noise_levels"] == [0.0, 0.3, 0.6] and document["model"] == "noisy_signals"
    assert "exponent" in document and len(document["noise"]) == 9
    png = (a / "instability.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(png[16:20], "big") > 1500  # 300 DPI
    assert "Power law" in (a / "summary.txt").read_text()


def test_help_lists_the_models_and_each_models_parameters(capsys):
    with pytest.raises(SystemExit):
        main(["sweep", "--help"])
    text = capsys.readouterr().out
    assert "extreme-penalty" in text and "noisy-signals" in text
    with pytest.raises(SystemExit):
        main(["sweep", "noisy-signals", "--help"])
    text = capsys.readouterr().out
    assert (
        "noise_levels" in text and "default: [0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]" in text and "randomise" in text
    )
