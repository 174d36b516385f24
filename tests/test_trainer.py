"""The shared ensemble trainer: each member computes what plain autograd training
computes, and a member's numbers do not depend on the grid it trains in."""

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from trauma.extreme_penalty.config import SweepConfig
from trauma.extreme_penalty.dataset import make_seed_data
from trauma.extreme_penalty.ensemble import train_grid
from trauma.extreme_penalty.model import LOSS, layer_dims
from trauma.extreme_penalty.seed_api import ExtremePenaltyModel, generate_dataset
from trauma.extreme_penalty.sweep import run_sweep
from trauma.numerics import blas
from trauma.numerics.mlp import MLPStack, init_member
from trauma.numerics.seeding import register_streams, rng_for
from trauma.numerics.trainer import FusedOptimizer, Members, Training, epoch_order, learning_rate_at, train_ensemble

register_streams({"second_phase_order": 90})  # a second phase visits the data in its own order


def plain_autograd_training(
    seed, penalty, hidden, epochs, lr, optimizer, oversample, schedule, base_examples=600, num_trauma=4
):
    """The same network trained the textbook way: nn.Linear-style parameters,
    autograd, torch.optim, one minibatch at a time, in the trainer's data order."""
    train, _ = generate_dataset(seed=seed, base_examples=base_examples, num_trauma=num_trauma)
    x, y, mask, _ = train.tensors
    params = [
        torch.tensor(p, dtype=torch.float32, requires_grad=True)
        for p in init_member(layer_dims(hidden), rng_for(seed, "init"))
    ]
    opt = (torch.optim.Adam if optimizer == "adam" else torch.optim.SGD)(params, lr=lr)
    order_rng, trauma = rng_for(seed, "order"), torch.nonzero(mask).flatten().numpy()
    for epoch in range(epochs):
        opt.param_groups[0]["lr"] = learning_rate_at(epoch, epochs, lr, schedule)
        order = epoch_order(len(x), order_rng, np.repeat(trauma, oversample - 1))
        for start in range(0, len(order), 32):
            batch = order[start : start + 32]
            h = x[batch]
            for i in range(0, len(params), 2):
                h = F.linear(h, params[i], params[i + 1])
                if i < len(params) - 2:
                    h = torch.relu(h)
            weights = torch.where(mask[batch].bool(), torch.tensor(float(penalty)), torch.tensor(1.0))
            loss = (F.cross_entropy(h, y[batch], reduction="none") * weights).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    return [p.detach() for p in params]


@pytest.mark.parametrize(
    "hidden, optimizer, oversample, lr, schedule",
    [
        ([64, 32, 16], "adam", 1, 1e-3, "constant"),
        ([16, 8], "adam", 20, 1e-2, "cosine"),
        ([], "sgd", 3, 1e-2, "constant"),
    ],
)
def test_every_member_computes_what_plain_autograd_training_computes(hidden, optimizer, oversample, lr, schedule):
    seeds, penalties, epochs = [3, 4], [1, 100, 10000], 3
    data = [make_seed_data(s, base_examples=600, num_trauma=4) for s in seeds]
    run = train_grid(
        data,
        penalties,
        hidden,
        Training(epochs=epochs, learning_rate=lr, optimizer=optimizer, lr_schedule=schedule),
        oversample=oversample,
    )
    assert run.seeds.tolist() == [3, 4] * 3 and run.penalties.tolist() == [1, 1, 100, 100, 10000, 10000]
    for m, (penalty, seed) in enumerate(zip(run.penalties, run.seeds)):
        reference = plain_autograd_training(int(seed), penalty, hidden, epochs, lr, optimizer, oversample, schedule)
        for ours, theirs in zip(run.trained.final.member(m), reference):
            torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=2e-5)


@pytest.fixture(scope="module")
def grids():
    """Seed 2 at lambda = 10000, full length (50 epochs, 10,005 examples): in a grid
    of 50 (10 seeds x 5 penalties), of 6 and of 3, and alone."""
    fifty = run_sweep(SweepConfig(noise_floor=False))
    six = run_sweep(SweepConfig(seeds=3, penalties=[1, 10000], noise_floor=False))
    three = train_grid([make_seed_data(s) for s in (0, 1, 2)], [10000], [64, 32, 16], Training(epochs=50))
    train, _ = generate_dataset(seed=2)
    alone = ExtremePenaltyModel(seed=2)
    alone.train_model(train, epochs=50, penalty_magnitude=10000)
    return fifty, six, three, alone


def _member(run, seed=2, penalty=10000.0):
    return int(np.flatnonzero((run.seeds == seed) & (run.penalties == penalty))[0])


def test_a_member_has_the_same_weights_bit_for_bit_in_grids_of_50_6_3_and_1(grids):
    fifty, six, three, alone = grids
    assert (len(fifty.run.seeds), len(six.run.seeds), len(three.seeds)) == (50, 6, 3)
    members = [
        fifty.run.trained.final.member(_member(fifty.run)),
        six.run.trained.final.member(_member(six.run)),
        three.trained.final.member(_member(three)),
        [p.detach() for p in alone.parameters()],
    ]
    for params in members[1:]:
        for a, b in zip(members[0], params):
            assert torch.equal(a, b)
    assert not torch.equal(members[0][0], fifty.run.trained.final.member(_member(fifty.run, seed=1))[0])


def test_a_members_reported_numbers_do_not_depend_on_the_grid(grids):
    big, small, _, _ = grids
    for table, keys in ((lambda r: r.networks, ["probe", "group"]), (lambda r: r.training, ["epoch"])):
        rows = [table(r)[(table(r).seed == 2) & (table(r).penalty == 10000)].set_index(keys) for r in (big, small)]
        columns = [c for c in rows[1].columns if c not in ("penalty", "seed")]
        pd.testing.assert_frame_equal(rows[0][columns], rows[1][columns])
    weights = [r.weights[(r.weights.seed == 2) & (r.weights.penalty == 10000)].set_index("layer") for r in (big, small)]
    columns = ["change_from_init", "relative_change_from_init", "relative_change_from_reference"]
    pd.testing.assert_frame_equal(weights[0][columns], weights[1][columns])


def test_members_of_a_seed_share_initialisation_and_differ_only_by_the_penalty():
    data = [make_seed_data(s, base_examples=300) for s in (0, 1)]
    run = train_grid(data, [1, 1000], [8], Training(epochs=1))
    layers = run.trained.initial.layers
    for block in layers:
        assert torch.equal(block[0], block[2]) and torch.equal(block[1], block[3])  # same seed, other penalty
        assert not torch.equal(block[0], block[1])  # other seed
    assert not torch.equal(run.trained.final.layers[0][0], run.trained.final.layers[0][2])
    assert run.trained.loss.shape == (4, 1) and run.diagnostics["gradient_ratio"].shape == (4, 2)
    # (the diagnostics' values: tests/test_extreme_penalty.py, against plain autograd)
    assert not run.diverged.any()


def test_diverged_members_are_flagged():
    data = [make_seed_data(0, base_examples=300)]
    run = train_grid(data, [1, 1e30], [8], Training(epochs=2, learning_rate=0.01, optimizer="sgd"))
    assert run.diverged.tolist() == [False, True]  # non-finite parameters
    run = train_grid(
        data, [1], [8], Training(epochs=2, learning_rate=10.0)
    )  # Adam: finite parameters, the loss above its start
    assert all(torch.isfinite(block).all() for block in run.trained.final.layers)
    assert run.trained.loss[0, -1] > run.trained.initial_loss[0] and run.diverged.tolist() == [True]


def test_snapshots_of_the_last_epochs_are_kept():
    data = [make_seed_data(0, base_examples=300)]
    run = train_grid(data, [1], [8], Training(epochs=4, eval_epochs=2))
    assert sorted(run.trained.snapshots) == [3, 4]
    assert torch.equal(run.trained.snapshots[4].flat, run.trained.final.flat)
    assert not torch.equal(run.trained.snapshots[3].flat, run.trained.final.flat)


def test_stack_layout_is_padded_for_the_fused_optimisers_and_round_trips():
    dims = [10, 16, 8, 3]
    members = [init_member(dims, np.random.default_rng(s)) for s in range(3)]
    stack = MLPStack.from_members(dims, members)
    assert stack.numel % 16 == 0 and stack.numel >= 3 * (11 * 16 + 17 * 8 + 9 * 3)
    for m, params in enumerate(members):
        for ours, theirs in zip(stack.member(m), params):
            assert torch.equal(ours, torch.tensor(theirs, dtype=torch.float32))
    assert [tuple(b.shape) for b in stack.layers] == [(3, 11, 16), (3, 17, 8), (3, 9, 3)]


@pytest.mark.parametrize("rows, inner, outer", [(32, 11, 64), (21, 11, 64), (32, 65, 32), (32, 17, 3), (1024, 33, 16)])
def test_batched_matrix_products_do_not_depend_on_batch_size_or_position(rows, inner, outer):
    """The root cause the trainer's contract rests on (trauma/numerics/blas.py): with MKL in
    its strict reproducible mode, each matrix of a batched product gets the same bits
    wherever it sits in the batch and however large the batch is."""
    assert blas.mkl_mode() is None or blas.mkl_mode() & 0x10000
    generator = torch.Generator().manual_seed(0)
    a, b = torch.randn(60, rows, inner, generator=generator), torch.randn(60, inner, outer, generator=generator)
    g = torch.randn(60, rows, outer, generator=generator)
    whole = [torch.bmm(a, b), torch.bmm(a.mT, g), torch.bmm(g, b[:, :-1].mT)]
    for size in (2, 3, 7, 17, 50):
        for start in (0, 1, 60 - size):
            part = slice(start, start + size)
            a_, b_, g_ = a[part].clone(), b[part].clone(), g[part].clone()
            for ours, full in zip([torch.bmm(a_, b_), torch.bmm(a_.mT, g_), torch.bmm(g_, b_[:, :-1].mT)], whole):
                assert torch.equal(ours, full[part])


def test_training_refuses_to_run_when_mkl_started_before_its_reproducible_mode():
    if blas.mkl_mode() is None:
        pytest.skip("this torch has no MKL")
    script = (
        "import torch\n"
        "torch.mm(torch.ones(8, 8), torch.ones(8, 8))\n"
        "from trauma.extreme_penalty.dataset import make_seed_data\n"
        "from trauma.extreme_penalty.ensemble import train_grid\n"
        "from trauma.numerics.trainer import Training\n"
        "train_grid([make_seed_data(0, base_examples=50)], [1], [4], Training(epochs=1))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "MKL_CBWR"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert done.returncode != 0 and "import trauma before torch runs any matrix product" in done.stderr


def test_a_single_member_is_trained_as_in_a_grid():
    x = torch.randn(1, 200, 10, generator=torch.Generator().manual_seed(1))
    y = torch.randint(0, 3, (1, 200), generator=torch.Generator().manual_seed(2))
    one = Members(data=np.array([0]), seed=np.array([7]), weights=torch.ones(1, 200))
    two = Members(data=np.array([0, 0]), seed=np.array([5, 7]), weights=torch.ones(2, 200))
    alone = train_ensemble(x, y, one, [10, 8, 3], LOSS, Training(epochs=3))
    pair = train_ensemble(x, y, two, [10, 8, 3], LOSS, Training(epochs=3))
    assert alone.final.members == 1
    for a, b in zip(alone.final.member(0), pair.final.member(1)):
        assert torch.equal(a, b)


def _toy(seed=0, n=300, outputs=1):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(1, n, 10, generator=generator)
    y = (
        torch.rand(1, n, outputs, generator=generator)
        if outputs > 1
        else torch.randint(0, 3, (1, n), generator=generator)
    )
    return x, y


def test_members_can_have_their_own_learning_rates():
    x, y = _toy()
    rates = np.array([1e-3, 1e-3, 1e-2, 3e-2])
    grid = Members(data=np.zeros(4, dtype=np.int64), seed=np.array([1, 2, 1, 2]), weights=torch.ones(4, 300))
    mixed = train_ensemble(x, y, grid, [10, 8, 3], LOSS, Training(epochs=3, learning_rate=rates, lr_schedule="cosine"))
    for m, rate in enumerate(rates):
        one = Members(data=np.zeros(1, dtype=np.int64), seed=grid.seed[m : m + 1], weights=torch.ones(1, 300))
        alone = train_ensemble(
            x, y, one, [10, 8, 3], LOSS, Training(epochs=3, learning_rate=float(rate), lr_schedule="cosine")
        )
        for a, b in zip(mixed.final.member(m), alone.final.member(0)):
            assert torch.equal(a, b)
    assert not torch.equal(mixed.final.member(0)[0], mixed.final.member(2)[0])  # same seed, other rate


@pytest.mark.parametrize("output", ["linear", "sigmoid"])
def test_mean_squared_error_training_computes_what_autograd_computes(output):
    from trauma.numerics.losses import WeightedMeanSquaredError

    outputs = 4 if output == "linear" else 1
    x, _ = _toy(outputs=outputs)
    targets = torch.rand(1, 300, outputs, generator=torch.Generator().manual_seed(5))
    loss = WeightedMeanSquaredError(output)
    members = Members(data=np.zeros(2, dtype=np.int64), seed=np.array([3, 4]), weights=torch.ones(2, 300))
    run = train_ensemble(
        x,
        targets if outputs > 1 else targets[..., 0],
        members,
        [10, 6, outputs],
        loss,
        Training(epochs=2, learning_rate=1e-2),
    )
    for m, seed in enumerate([3, 4]):
        params = [
            torch.tensor(p, dtype=torch.float32, requires_grad=True)
            for p in init_member([10, 6, outputs], rng_for(seed, "init"))
        ]
        opt = torch.optim.Adam(params, lr=1e-2)
        order_rng = rng_for(seed, "order")
        for _ in range(2):
            order = epoch_order(300, order_rng)
            for start in range(0, 300, 32):
                batch = order[start : start + 32]
                out = F.linear(torch.relu(F.linear(x[0, batch], params[0], params[1])), params[2], params[3])
                predicted = torch.sigmoid(out) if output == "sigmoid" else out
                value = ((predicted - targets[0, batch]) ** 2).mean()
                opt.zero_grad()
                value.backward()
                opt.step()
        for ours, theirs in zip(run.final.member(m), params):
            torch.testing.assert_close(ours, theirs.detach(), rtol=1e-4, atol=2e-5)


def test_a_second_phase_continues_from_given_weights_with_an_elastic_anchor_as_autograd_would():
    """Phase 2: start from given weights, another data order, and the gradient of
    sum strength / 2 (w - anchor)^2 added (elastic weight consolidation); each member
    as plain autograd computes it, and bit for bit as alone."""
    from trauma.numerics.losses import WeightedMeanSquaredError

    x, _ = _toy(outputs=4)
    targets = torch.rand(1, 300, 4, generator=torch.Generator().manual_seed(5))
    loss, dims = WeightedMeanSquaredError("linear"), [10, 6, 4]
    seeds = np.array([3, 4, 3])
    members = Members(data=np.zeros(3, dtype=np.int64), seed=seeds, weights=torch.ones(3, 300))
    start = train_ensemble(x, targets, members, dims, loss, Training(epochs=1)).final  # phase 1's networks
    anchor = start.clone()
    strength = MLPStack(dims, 3, torch.rand(start.numel, generator=torch.Generator().manual_seed(6)))
    strength.layers[0][2] = 0.0  # member 2: no pull on its first layer
    run = train_ensemble(
        x,
        targets,
        members,
        dims,
        loss,
        Training(epochs=2, learning_rate=1e-2),
        initial=start,
        order_stream="second_phase_order",
        anchor=(anchor, strength),
    )
    for m, seed in enumerate(seeds):
        params = [p.clone().requires_grad_(True) for p in start.member(m)]
        pulls = strength.member(m)
        opt = torch.optim.Adam(params, lr=1e-2)
        order_rng = rng_for(int(seed), "second_phase_order")
        for _ in range(2):
            order = epoch_order(300, order_rng)
            for begin in range(0, 300, 32):
                batch = order[begin : begin + 32]
                out = F.linear(torch.relu(F.linear(x[0, batch], params[0], params[1])), params[2], params[3])
                value = ((out - targets[0, batch]) ** 2).mean()
                value = value + sum(
                    (pull * (p - a) ** 2).sum() / 2 for p, a, pull in zip(params, anchor.member(m), pulls)
                )
                opt.zero_grad()
                value.backward()
                opt.step()
        for ours, theirs in zip(run.final.member(m), params):
            torch.testing.assert_close(ours, theirs.detach(), rtol=1e-4, atol=2e-5)
    alone = train_ensemble(
        x,
        targets,
        Members(np.zeros(1, dtype=np.int64), seeds[1:2], torch.ones(1, 300)),
        dims,
        loss,
        Training(epochs=2, learning_rate=1e-2),
        initial=start.select([1]),
        order_stream="second_phase_order",
        anchor=(anchor.select([1]), strength.select([1])),
    )
    assert torch.equal(alone.final.flat, run.final.select([1]).flat)
    with pytest.raises(ValueError, match="initial stack must hold 3 members"):
        train_ensemble(x, targets, members, dims, loss, Training(epochs=1), initial=start.select([0]))


@pytest.mark.parametrize("name, optimizer", [("adam", torch.optim.Adam), ("sgd", torch.optim.SGD)])
def test_fused_optimizer_steps_are_torch_optims_bit_for_bit(name, optimizer):
    """The trainer calls the fused kernels itself; torch.optim with fused=True must give
    the same bits, step after step, learning-rate changes included."""
    generator = torch.Generator().manual_seed(0)
    ours = torch.randn(160, generator=generator)
    theirs = ours.clone()
    stepper, reference = FusedOptimizer(name, ours, 1e-2), optimizer([theirs], lr=1e-2, fused=True)
    for step in range(20):
        grad = torch.randn(160, generator=generator)
        ours.grad, theirs.grad = grad.clone(), grad.clone()
        stepper.learning_rate = reference.param_groups[0]["lr"] = 1e-2 / (1 + step)
        stepper.step()
        reference.step()
    assert torch.equal(ours, theirs)
    assert not torch.equal(ours, torch.randn(160, generator=torch.Generator().manual_seed(0)))  # it moved
