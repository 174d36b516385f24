import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from trauma.ensemble import epoch_order
from trauma.extreme_penalty import ExtremePenaltyModel, compute_loss, generate_dataset
from trauma.extreme_penalty.dataset import PROBE_LAYOUT
from trauma.extreme_penalty.metrics import GradientProbe, gradient_diagnostics, overcorrection
from trauma.extreme_penalty.model import LOSS
from trauma.mlp import MLPStack, backward, forward, init_member, outputs, per_example_grad_norms, with_ones


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
    value, grad = LOSS.value_and_grad(outputs_[None], *LOSS.scaled_targets(LOSS.encode(targets)[None], weights, torch.full((3,), 3.0)))
    assert value.item() == pytest.approx(expected.item(), rel=1e-6)
    torch.testing.assert_close(grad[0], z.grad, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("hidden, shapes", [([], [(3, 10), (3,)]), ([16, 8], [(16, 10), (16,), (8, 16), (8,), (3, 8), (3,)])])
def test_architecture_and_initialisation(hidden, shapes):
    model = ExtremePenaltyModel(hidden, seed=3)
    assert [tuple(p.shape) for p in model.parameters()] == shapes
    for weight in list(model.parameters())[::2]:
        assert weight.abs().max() <= 1 / np.sqrt(weight.shape[1])
    again = ExtremePenaltyModel(hidden, seed=3)
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), again.parameters()))
    x = torch.randn(7, 10)
    torch.testing.assert_close(model(x), outputs(model.as_stack(), x[None])[0], rtol=1e-5, atol=1e-6)


def test_default_model_is_the_seed_architecture():
    model = ExtremePenaltyModel()
    assert [p.shape[0] for p in list(model.parameters())[::2]] == [64, 32, 16, 3]


def test_a_stack_computes_each_member_exactly_as_alone():
    dims = [10, 8, 3]
    members = [init_member(dims, np.random.default_rng(s)) for s in range(3)]
    stack = MLPStack.from_members(dims, members)
    x = torch.randn(3, 5, 10)
    together = outputs(stack, x)
    for m in range(3):
        assert torch.equal(together[m], outputs(MLPStack.from_members(dims, [members[m]]), x[m : m + 1])[0])


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
    ratio, unweighted, aggregate, share = (found[k] for k in ("gradient_ratio", "gradient_ratio_unweighted", "aggregate_ratio", "trauma_loss_share"))
    torch.testing.assert_close(unweighted, unweighted[0].expand(3))  # the same networks: the same unweighted ratio
    torch.testing.assert_close(ratio, penalty * unweighted[0], rtol=1e-5, atol=0)
    torch.testing.assert_close(aggregate, penalty * aggregate[0], rtol=1e-5, atol=0)
    assert torch.all(share[1:] > share[:-1]) and torch.all((share > 0) & (share < 1))


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
from trauma.extreme_penalty.model import ExtremePenaltyModel
from trauma.extreme_penalty.dataset import generate_dataset

train_dataset, test_dataset = generate_dataset(seed=42)
model = ExtremePenaltyModel(seed=42)
history = model.train_model(train_dataset, epochs=10, learning_rate=0.001, penalty_magnitude=1000)
metrics = model.extract_metrics(test_dataset)
print(metrics)
"""
    out = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True, check=True).stdout
    assert "'overcorrection/correlation/rho=0.8':" in out and "'accuracy/normal/all':" in out
