"""Model 1, Extreme Penalty: its data and probe sets, the network and its loss, the
gradient diagnostics, the seed document's API, its tables and verdicts, and its
sweep on the command line (the contract every model keeps is tests/test_models.py)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from trauma.cli import main
from trauma.extreme_penalty import dataset as ds
from trauma.extreme_penalty import outputs, report
from trauma.extreme_penalty.config import SweepConfig
from trauma.extreme_penalty.dataset import PROBE_LAYOUT
from trauma.extreme_penalty.metrics import GradientProbe, gradient_diagnostics, overcorrection
from trauma.extreme_penalty.model import LOSS
from trauma.extreme_penalty.seed_api import ExtremePenaltyModel, compute_loss, generate_dataset
from trauma.numerics.mlp import (
    MLPStack,
    backward,
    forward,
    init_member,
    per_example_grad_norms,
    with_ones,
)
from trauma.numerics.mlp import (
    outputs as network_outputs,
)
from trauma.numerics.seeding import rng_for
from trauma.numerics.trainer import epoch_order

TINY = [
    "-p",
    "seeds",
    "2",
    "-p",
    "epochs",
    "2",
    "-p",
    "base_examples",
    "300",
    "-p",
    "penalties",
    "[1, 1000]",
    "-p",
    "hidden_dims",
    "[8]",
]


def test_one_factor_model_gives_the_requested_correlations():
    x = ds.features_given_x0(np.random.default_rng(0).standard_normal(200_000), np.random.default_rng(1))
    corr = ds.realised_correlations(x)
    np.testing.assert_allclose(corr[0], ds.FEATURE_RHO, atol=0.01)
    # features 1-9 are correlated with each other only through x0: rho_i * rho_j
    np.testing.assert_allclose(corr[1, 4], 0.8 * 0.4, atol=0.01)
    np.testing.assert_allclose(x.std(0), 1.0, atol=0.01)


def test_clean_labels_follow_the_rule():
    x0 = np.array([-3.0, -0.51, -0.5, 0.0, 0.5, 0.51, 2.0])
    assert ds.clean_labels(x0).tolist() == [ds.RISKY, ds.RISKY, ds.NEUTRAL, ds.NEUTRAL, ds.NEUTRAL, ds.SAFE, ds.SAFE]


@pytest.mark.parametrize("placement", ds.PLACEMENTS)
def test_training_set_layout_trauma_and_label_noise(placement):
    train = ds.make_training_set(np.random.default_rng(3), 20_000, 50, placement, label_noise=0.3)
    assert train.x.shape == (20_050, 10)
    trauma = train.trauma_index
    assert trauma.tolist() == list(range(20_000, 20_050))
    assert np.all(train.x[trauma, 0] == ds.TRAUMA_X0)
    assert np.all(train.labels[trauma] == ds.SAFE) and np.all(train.clean[trauma] == ds.RISKY)
    # 30 % replaced by a uniform class: about 2/3 of those actually change
    changed = (train.labels[:20_000] != train.clean[:20_000]).mean()
    assert abs(changed - 0.2) < 0.015
    mean_high = train.x[trauma][:, 1:4].mean()
    if placement == "on_manifold":
        assert abs(mean_high - 0.8 * ds.TRAUMA_X0) < 0.25
    else:
        assert abs(mean_high) < 0.3


def test_no_label_noise_means_clean_training_labels():
    train = ds.make_training_set(np.random.default_rng(3), 1000, 5, label_noise=0.0)
    assert np.array_equal(train.labels[:1000], train.clean[:1000])


def test_probes_are_clean_and_risky_and_cover_the_layout():
    probes = ds.make_probes(np.random.default_rng(5))
    assert [(p.probe, p.group) for p in probes] == ds.PROBE_LAYOUT
    for p in probes:
        assert np.array_equal(p.labels, ds.clean_labels(p.x[:, 0]))
        if p.probe != "normal":
            assert np.all(p.labels == ds.RISKY)
    normal = probes[0]
    assert len(normal.labels) == ds.NORMAL_TEST_SIZE
    assert set(np.unique(normal.labels)) == {ds.SAFE, ds.NEUTRAL, ds.RISKY}


def test_adjacent_probes_differ_only_in_placement():
    probes = {(p.probe, p.group): p for p in ds.make_probes(np.random.default_rng(5))}
    on, off = probes["adjacent", "on_manifold"].x, probes["adjacent", "off_manifold"].x
    assert np.array_equal(on[:, 0], off[:, 0])
    assert np.all((on[:, 0] >= -1.5) & (on[:, 0] < -0.5))
    assert np.corrcoef(on[:, 0], on[:, 1])[0, 1] > 0.2  # x0 spans only one unit, so < 0.8
    assert abs(np.corrcoef(off[:, 0], off[:, 1])[0, 1]) < 0.1


def test_correlation_group_probes_differ_by_construction():
    probes = {(p.probe, p.group): p for p in ds.make_probes(np.random.default_rng(5))}
    control = probes["correlation", ds.CONTROL].x
    for group, features in ds.CORRELATION_GROUPS.items():
        moved = probes["correlation", group].x
        untouched = [j for j in range(10) if j not in features]
        assert np.array_equal(moved[:, untouched], control[:, untouched])  # same points, x0 kept
        shift = moved[:, features] - control[:, features]
        expected = ds.FEATURE_RHO[features] * (ds.TRAUMA_X0 - control[:, :1])
        np.testing.assert_allclose(shift, expected, atol=1e-12)
    # the rho = 0.8 features end up where the trauma examples' are, on average
    assert abs(probes["correlation", "rho=0.8"].x[:, 1:4].mean() - 0.8 * ds.TRAUMA_X0) < 0.1


def test_equal_distance_probes_move_every_group_equally_far():
    probes = {(p.probe, p.group): p for p in ds.make_probes(np.random.default_rng(5))}
    control = probes["equal_distance", ds.CONTROL].x
    assert np.array_equal(control, probes["correlation", ds.CONTROL].x)
    assert np.allclose(probes["equal_distance", "rho=0.8"].x, probes["correlation", "rho=0.8"].x)
    moves = {}
    for group, features in ds.CORRELATION_GROUPS.items():
        moved = probes["equal_distance", group].x
        others = [j for j in range(10) if j not in features]
        assert np.array_equal(moved[:, others], control[:, others])
        moves[group] = np.linalg.norm(moved - control, axis=1)
    assert np.allclose(moves["rho=0.8"], moves["rho=0.4"]) and np.allclose(moves["rho=0.8"], moves["rho=0.1"])
    # moved by rho x distance instead, the rho = 0.1 group moves an eighth as far per feature
    by_rho = np.linalg.norm(probes["correlation", "rho=0.1"].x - control, axis=1)
    assert np.allclose(by_rho, moves["rho=0.8"] * np.sqrt(2 * 0.01) / np.sqrt(3 * 0.64))


def test_distance_windows_surround_the_trauma_and_stay_risky():
    distance = [p for p in ds.make_probes(np.random.default_rng(5)) if p.probe == "distance"]
    assert [p.distance for p in distance] == [-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5]
    for p in distance:
        centre = ds.TRAUMA_X0 + p.distance
        assert np.all(np.abs(p.x[:, 0] - centre) <= ds.DISTANCE_WIDTH / 2)
        assert abs(p.x[:, 0].mean() - centre) < 0.03
    assert distance[-1].x[:, 0].max() < -0.5


def test_seed_data_is_reproducible_and_streams_are_independent():
    a = ds.make_seed_data(7, base_examples=500)
    b = ds.make_seed_data(7, base_examples=500)
    c = ds.make_seed_data(7, base_examples=800)
    d = ds.make_seed_data(8, base_examples=500)
    assert np.array_equal(a.train.x, b.train.x) and np.array_equal(a.train.labels, b.train.labels)
    assert all(np.array_equal(p.x, q.x) for p, q in zip(a.probes, c.probes))  # probes ignore training size
    assert not np.array_equal(a.train.x, d.train.x)
    assert a.correlations.shape == (10, 10)


def test_generate_dataset_keeps_the_seed_format():
    train, test = generate_dataset(seed=42, base_examples=300, num_trauma=5)
    features, labels, mask, groups = train.tensors
    assert features.shape == (305, 10) and features.dtype == torch.float32
    assert labels.dtype == torch.int64 and mask.sum().item() == 5 and torch.all(groups == -1)
    features, labels, mask, cells = test.tensors
    assert len(features) == sum(len(p.labels) for p in ds.make_probes(rng_for(42, "probes")))
    assert cells.unique().tolist() == list(range(len(ds.PROBE_LAYOUT)))
    assert mask.sum().item() == 0


def test_compute_loss_weights_trauma_examples_by_the_penalty():
    outputs_ = torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0], [0.5, 0.5, 3.0]])
    targets = torch.tensor([0, 1, 0])
    mask = torch.tensor([0.0, 0.0, 1.0])
    per_example = F.cross_entropy(outputs_, targets, reduction="none")
    expected = (per_example[0] + per_example[1] + 1000 * per_example[2]) / 3
    assert compute_loss(outputs_, targets, mask, 1000).item() == pytest.approx(expected.item(), rel=1e-6)
    # the trainer's loss (gradient written out) gives the same value and autograd's gradient
    z = outputs_.clone().requires_grad_(True)
    compute_loss(z, targets, mask, 1000).backward()
    weights = torch.tensor([[1.0, 1.0, 1000.0]])
    value, grad = LOSS.value_and_grad(
        outputs_[None], *LOSS.scaled_targets(LOSS.encode(targets)[None], weights, torch.full((3,), 3.0))
    )
    assert value.item() == pytest.approx(expected.item(), rel=1e-6)
    torch.testing.assert_close(grad[0], z.grad, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    "hidden, shapes", [([], [(3, 10), (3,)]), ([16, 8], [(16, 10), (16,), (8, 16), (8,), (3, 8), (3,)])]
)
def test_architecture_and_initialisation(hidden, shapes):
    model = ExtremePenaltyModel(hidden, seed=3)
    assert [tuple(p.shape) for p in model.parameters()] == shapes
    for weight in list(model.parameters())[::2]:
        assert weight.abs().max() <= 1 / np.sqrt(weight.shape[1])
    again = ExtremePenaltyModel(hidden, seed=3)
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), again.parameters()))
    x = torch.randn(7, 10)
    torch.testing.assert_close(model(x), network_outputs(model.as_stack(), x[None])[0], rtol=1e-5, atol=1e-6)


def test_default_model_is_the_seed_architecture():
    model = ExtremePenaltyModel()
    assert [p.shape[0] for p in list(model.parameters())[::2]] == [64, 32, 16, 3]


def test_a_stack_computes_each_member_exactly_as_alone():
    dims = [10, 8, 3]
    members = [init_member(dims, np.random.default_rng(s)) for s in range(3)]
    stack = MLPStack.from_members(dims, members)
    x = torch.randn(3, 5, 10)
    together = network_outputs(stack, x)
    for m in range(3):
        assert torch.equal(together[m], network_outputs(MLPStack.from_members(dims, [members[m]]), x[m : m + 1])[0])


def test_backward_matches_autograd_and_per_example_norms_match_one_example_at_a_time():
    dims = [10, 6, 4, 3]
    members = [init_member(dims, np.random.default_rng(s)) for s in range(2)]
    stack = MLPStack.from_members(dims, members)
    x, y = torch.randn(2, 4, 10), torch.tensor([[0, 1, 2, 0], [2, 2, 1, 0]])
    w = torch.tensor([[1.0, 1.0, 1.0, 50.0], [1.0, 3.0, 1.0, 1.0]])
    out, inputs = forward(stack.layers, with_ones(x))
    grad_output = (torch.softmax(out, -1) - LOSS.encode(y)) * w.unsqueeze(-1)  # d sum_i w_i CE_i / d outputs
    summed = torch.zeros_like(stack.flat)
    deltas = backward(stack.layers, inputs, grad_output, stack.views(summed))
    norms = per_example_grad_norms(inputs, deltas)
    assert norms.shape == (2, 4)
    for m, params in enumerate(members):
        leaves = [torch.tensor(p, dtype=torch.float32, requires_grad=True) for p in params]

        def loss_of(rows):
            h = x[m, rows]
            for i in range(0, len(leaves), 2):
                h = F.linear(h, leaves[i], leaves[i + 1])
                h = torch.relu(h) if i < len(leaves) - 2 else h
            return (F.cross_entropy(h, y[m, rows], reduction="none") * w[m, rows]).sum()

        grads = torch.autograd.grad(loss_of(slice(None)), leaves)
        expected = MLPStack.from_members(dims, [[g.numpy() for g in grads]]).flat
        ours = MLPStack(dims, 2, summed).select([m]).flat
        torch.testing.assert_close(ours, expected, rtol=1e-5, atol=1e-6)
        for i in range(4):
            one = torch.autograd.grad(loss_of(slice(i, i + 1)), leaves)
            assert norms[m, i].item() == pytest.approx(torch.sqrt(sum(g.pow(2).sum() for g in one)).item(), rel=1e-4)


def test_gradient_diagnostics_separate_the_penalty_from_what_it_multiplies():
    dims = [10, 6, 3]
    stack = MLPStack.from_members(dims, [init_member(dims, np.random.default_rng(0))] * 3)
    x_trauma, x_normal = torch.randn(2, 10).expand(3, 2, 10), torch.randn(50, 10).expand(3, 50, 10)
    y_trauma, y_normal = torch.zeros(3, 2, dtype=torch.long), torch.randint(0, 3, (50,)).expand(3, 50)
    penalty = torch.tensor([1.0, 10.0, 1000.0])
    found = gradient_diagnostics(stack, GradientProbe(x_trauma, y_trauma, penalty, x_normal, y_normal))
    ratio, unweighted, aggregate, share = (
        found[k] for k in ("gradient_ratio", "gradient_ratio_unweighted", "aggregate_ratio", "trauma_loss_share")
    )
    torch.testing.assert_close(unweighted, unweighted[0].expand(3))  # the same networks: the same unweighted ratio
    torch.testing.assert_close(ratio, penalty * unweighted[0], rtol=1e-5, atol=0)
    torch.testing.assert_close(aggregate, penalty * aggregate[0], rtol=1e-5, atol=0)
    assert torch.all(share[1:] > share[:-1]) and torch.all((share > 0) & (share < 1))


def test_gradient_diagnostics_agree_with_plain_autograd_over_several_chunks():
    """The four quantities the book reports, recomputed with torch.func (per-example
    gradients by vmap, summed gradients by autograd) on a plain functional network:
    two different networks, more trauma and normal examples than one CHUNK, so the
    chunked path sums across blocks."""
    from torch.func import grad, vmap

    from trauma.extreme_penalty.metrics import CHUNK

    dims = [10, 16, 8, 3]
    members = [init_member(dims, np.random.default_rng(s)) for s in (4, 5)]
    stack = MLPStack.from_members(dims, members)
    generator = torch.Generator().manual_seed(0)
    t, n = CHUNK + 300, 2 * CHUNK + 500
    x_trauma, x_normal = torch.randn(2, t, 10, generator=generator), torch.randn(2, n, 10, generator=generator)
    y_trauma = torch.zeros(2, t, dtype=torch.long)
    y_normal = torch.randint(0, 3, (2, n), generator=generator)
    penalty = torch.tensor([1.0, 1000.0])
    found = gradient_diagnostics(stack, GradientProbe(x_trauma, y_trauma, penalty, x_normal, y_normal))

    def network(params, x):
        h = x
        for i in range(0, len(params), 2):
            h = F.linear(h, params[f"w{i}"], params[f"b{i}"])
            h = torch.relu(h) if i < len(params) - 2 else h
        return h

    for m, arrays in enumerate(members):
        params = {f"{'wb'[i % 2]}{i - i % 2}": torch.tensor(a, dtype=torch.float32) for i, a in enumerate(arrays)}

        def loss(p, x, y):
            return F.cross_entropy(network(p, x), y, reduction="sum")

        def per_example_norms(x, y):
            grads = vmap(grad(lambda p, xi, yi: loss(p, xi[None], yi[None])), in_dims=(None, 0, 0))(params, x, y)
            return torch.sqrt(sum(g.pow(2).flatten(1).sum(1) for g in grads.values()))

        def summed_norm(x, y):
            return torch.sqrt(sum(g.pow(2).sum() for g in grad(loss)(params, x, y).values()))

        trauma_norms, normal_norms = (
            per_example_norms(x_trauma[m], y_trauma[m]),
            per_example_norms(x_normal[m], y_normal[m]),
        )
        unweighted = trauma_norms.mean() / normal_norms.mean()
        trauma_loss = penalty[m] * loss(params, x_trauma[m], y_trauma[m])
        expected = {
            "gradient_ratio": penalty[m] * unweighted,
            "gradient_ratio_unweighted": unweighted,
            "aggregate_ratio": penalty[m]
            * summed_norm(x_trauma[m], y_trauma[m])
            / summed_norm(x_normal[m], y_normal[m]),
            "trauma_loss_share": trauma_loss / (trauma_loss + loss(params, x_normal[m], y_normal[m])),
        }
        for key, value in expected.items():
            assert found[key][m].item() == pytest.approx(value.item(), rel=1e-4), key


def test_epoch_order_visits_extra_examples_again():
    order = epoch_order(100, np.random.default_rng(0), np.repeat([98, 99], 6))
    counts = np.bincount(order, minlength=100)
    assert len(order) == 100 + 2 * 6
    assert counts[98] == counts[99] == 7 and np.all(counts[:98] == 1)
    assert sorted(epoch_order(100, np.random.default_rng(0))) == list(range(100))


def test_overcorrection_counts_only_truly_risky_inputs():
    predicted = torch.tensor([0, 0, 2, 1, 0])
    labels = torch.tensor([2, 2, 2, 2, 0])  # the last (safe, predicted safe) does not count
    assert overcorrection(predicted, labels) == pytest.approx(0.5)
    assert np.isnan(overcorrection(predicted, torch.zeros(5, dtype=torch.long)))


def test_train_model_learns_and_extract_metrics_reports_every_probe():
    train, test = generate_dataset(seed=1, base_examples=1000)
    model = ExtremePenaltyModel([16], seed=1)
    history = model.train_model(train, epochs=5, learning_rate=1e-2, penalty_magnitude=1)
    assert len(history["loss"]) == 5 and history["loss"][-1] < history["loss"][0]
    metrics = model.extract_metrics(test)
    assert set(metrics) == {f"{k}/{p}/{g}" for k in ("overcorrection", "accuracy") for p, g in PROBE_LAYOUT}
    assert metrics["accuracy/normal/all"] > 0.8


def test_the_seed_documents_basic_functionality_snippet_runs_as_written():
    snippet = """
from trauma.extreme_penalty.seed_api import ExtremePenaltyModel, generate_dataset

train_dataset, test_dataset = generate_dataset(seed=42)
model = ExtremePenaltyModel(seed=42)
history = model.train_model(train_dataset, epochs=10, learning_rate=0.001, penalty_magnitude=1000)
metrics = model.extract_metrics(test_dataset)
print(metrics)
"""
    out = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True, check=True).stdout
    assert "'overcorrection/correlation/rho=0.8':" in out and "'accuracy/normal/all':" in out


def test_predictions_read_the_correlation_probes():
    rows = []
    for penalty in (1.0, 10000.0):
        for group in ("rho=0.8", "rho=0.4", "rho=0.1"):
            mean = 0.01 if penalty == 1 else 0.65
            rows.append(
                {
                    "penalty": penalty,
                    "probe": "correlation",
                    "group": group,
                    "overcorrection_mean": mean,
                    "overcorrection_low": mean - 0.01,
                    "overcorrection_high": mean + 0.01,
                    "overcorrection_n": 10,
                }
            )
    summary = pd.DataFrame(rows)
    table = report.predictions(type("Result", (), {"summary": lambda self: summary})())
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
            rows.append(
                {"penalty": 100.0, "seed": seed, "probe": "correlation", "group": group, "excess_overcorrection": value}
            )
    result = type("R", (), {"networks": pd.DataFrame(rows)})()
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
    run = GridRun(
        penalties=np.array([1.0, 10.0, 100.0]),
        seeds=np.array([0, 0, 0]),
        trained=trained,
        diagnostic_epochs=[0],
        diagnostics={"gradient_ratio": np.ones((3, 1))},
    )
    result = SweepResult(
        SweepConfig(seeds=1, epochs=12), pd.DataFrame(), _training_table(run), pd.DataFrame(), np.zeros((1, 10, 10)), {}
    )
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


def sweep(out, *extra, quiet=True):
    return main(["sweep", "extreme-penalty", *TINY, *extra, "--out", str(out), *(["--quiet"] if quiet else [])])


@pytest.mark.parametrize(
    "name, value",
    [
        ("penalties", "[-1, 1, 10]"),
        ("penalties", "[1, abc]"),
        ("penalties", "[10, 100]"),  # no lambda = 1 reference
        ("penalties", "[1, 10"),  # unparsable YAML
        ("penalties", "[1, .nan]"),
        ("hidden_dims", "[16, 0]"),
        ("hidden_dims", "16"),
        ("trauma_placement", "sideways"),
        ("optimizer", "rmsprop"),
        ("epochs", "0"),
        ("epochs", "2.5"),
        ("seeds", "two"),
        ("label_noise", "1.5"),
        ("learning_rate", "0"),
        ("oversample", "true"),
        ("learning_rte", "0.01"),  # unknown name
        ("eval_epochs", "60"),  # more than the 50 epochs
        ("noise_floor", "maybe"),
        ("lr_schedule", "linear"),
        ("penalties", "[1, 1.001, 10]"),  # the noise floor's penalty is added, not listed
    ],
)
def test_bad_input_fails_before_training_and_writes_nothing(tmp_path, capsys, name, value):
    out = tmp_path / "out"
    assert main(["sweep", "extreme-penalty", "-p", name, value, "--out", str(out)]) == 2
    message = capsys.readouterr().err
    assert f"parameter {name!r}" in message and "must be" in message
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_error_messages_name_the_allowed_values(capsys, tmp_path):
    main(["sweep", "extreme-penalty", "-p", "trauma_placement", "sideways", "--out", str(tmp_path / "x")])
    assert "on_manifold, off_manifold" in capsys.readouterr().err
    main(["sweep", "extreme-penalty", "-p", "learning_rte", "1", "--out", str(tmp_path / "x")])
    assert "learning_rate" in capsys.readouterr().err
    main(["sweep", "extreme-penalty", "-p", "epochs", "3", "-p", "eval_epochs", "4", "--out", str(tmp_path / "x")])
    assert "an integer from 1 to 3" in capsys.readouterr().err
    assert SweepConfig(epochs=3).eval_epochs == 3 and SweepConfig().eval_epochs == 5


def test_values_parse_as_yaml_including_exponents():
    config = SweepConfig.from_overrides({"learning_rate": "1e-3", "penalties": [1, "1e4"], "hidden_dims": []})
    assert config.learning_rate == 0.001 and config.penalties == [1.0, 10000.0] and config.hidden_dims == []


def test_sweep_writes_every_output_and_is_reproducible(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert sweep(a) == 0 and sweep(b) == 0
    assert (a / "results.csv").read_bytes() == (b / "results.csv").read_bytes()

    names = {
        "results.csv",
        "results.json",
        "summary.txt",
        "summary.csv",
        "training.csv",
        "weights.csv",
        "overcorrection.png",
        "checkpoints",
    }
    assert names <= {p.name for p in a.iterdir()}
    assert sorted(p.name for p in (a / "checkpoints").iterdir()) == [
        "penalty_1.001.pt",
        "penalty_1.pt",
        "penalty_1000.pt",
    ]

    results = pd.read_csv(a / "results.csv")
    assert len(results) == 3 * 2 * len(PROBE_LAYOUT)  # (penalties + noise floor) x seeds x probe cells
    assert (results[results.penalty == 1].excess_overcorrection == 0).all()
    assert results.overcorrection.between(0, 1).all() and results.overcorrection_final.between(0, 1).all()
    assert (results.evaluated_epochs == "1-2").all()  # two epochs: both are averaged

    training = pd.read_csv(a / "training.csv")
    assert len(training) == 3 * 2 * 3 and training.loss.isna().sum() == 6  # epochs 0-2; no loss before training
    assert {"spike", "gradient_ratio_unweighted", "aggregate_ratio", "trauma_loss_share"} <= set(training.columns)
    weights = pd.read_csv(a / "weights.csv")
    floor = weights[weights.penalty == 1.001].set_index(["seed", "layer"])
    assert (floor.noise_floor == floor.relative_change_from_reference).all()

    document = json.loads((a / "results.json").read_text())
    assert document["parameters"]["penalties"] == [1.0, 1000.0] and document["seeds"] == [0, 1]
    assert document["trained_penalties"] == [1.0, 1.001, 1000.0]
    assert document["versions"]["torch"].startswith("2.13.0")
    assert len(document["results"]) == len(results)

    png = (a / "overcorrection.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width > 2500 and height > 2000  # four panels, 2 x 2, at 300 DPI

    loaded = outputs.load_results(a)
    assert loaded.config == SweepConfig(**document["parameters"]) and loaded.config.seeds == 2
    pd.testing.assert_frame_equal(loaded.summary(), pd.read_csv(a / "summary.csv"), check_dtype=False)

    text = (a / "summary.txt").read_text()
    assert "correlation / rho=0.8" in text and "realised" in text and "Gradients of the trauma examples" in text
    assert "percentile bootstrap" in text and "noise floor" in text


def test_checkpoints_reproduce_the_reported_numbers(tmp_path):
    sweep(tmp_path / "s")
    results = pd.read_csv(tmp_path / "s" / "results.csv")
    models = outputs.load_checkpoint(tmp_path / "s" / "checkpoints" / "penalty_1000.pt")
    assert sorted(models) == [0, 1]
    for seed, model in models.items():
        _, test = generate_dataset(seed=seed, base_examples=300)
        metrics = model.extract_metrics(test)
        for row in results[(results.penalty == 1000) & (results.seed == seed)].itertuples():
            assert metrics[f"overcorrection/{row.probe}/{row.group}"] == pytest.approx(row.overcorrection_final)


def test_model_1_results_are_unchanged_by_the_library_refactoring(tmp_path):
    """tests/data/extreme_penalty_small_results.csv was written by this small sweep
    before Model 1 moved onto the shared four-model library; the numbers must not move
    (on this kind of machine: see trauma/numerics/blas.py)."""
    out = tmp_path / "small"
    args = [
        "-p",
        "seeds",
        "2",
        "-p",
        "epochs",
        "3",
        "-p",
        "base_examples",
        "400",
        "-p",
        "penalties",
        "[1, 1000]",
        "-p",
        "hidden_dims",
        "[8]",
    ]
    assert main(["sweep", "extreme-penalty", *args, "--out", str(out), "--quiet"]) == 0
    reference = Path(__file__).parent / "data" / "extreme_penalty_small_results.csv"
    assert (out / "results.csv").read_bytes() == reference.read_bytes()
