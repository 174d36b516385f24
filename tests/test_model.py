import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from trauma.extreme_penalty import ExtremePenaltyModel, compute_loss, generate_dataset
from trauma.extreme_penalty.dataset import PROBE_LAYOUT
from trauma.extreme_penalty.metrics import gradient_ratio, overcorrection, per_example_grad_norms
from trauma.extreme_penalty.model import epoch_order, init_params, mlp_apply


def test_compute_loss_weights_trauma_examples_by_the_penalty():
    outputs = torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0], [0.5, 0.5, 3.0]])
    targets = torch.tensor([0, 1, 0])
    mask = torch.tensor([0.0, 0.0, 1.0])
    per_example = F.cross_entropy(outputs, targets, reduction="none")
    expected = (per_example[0] + per_example[1] + 1000 * per_example[2]) / 3
    assert compute_loss(outputs, targets, mask, 1000).item() == pytest.approx(expected.item(), rel=1e-6)
    # a stack of models keeps its leading dimension
    stacked = compute_loss(outputs.expand(4, 3, 3), targets.expand(4, 3), mask.expand(4, 3), torch.tensor([[1.0], [10.0], [100.0], [1000.0]]))
    assert stacked.shape == (4,) and stacked[3].item() == pytest.approx(expected.item(), rel=1e-6)


@pytest.mark.parametrize("hidden, shapes", [([], [(3, 10), (3,)]), ([16, 8], [(16, 10), (16,), (8, 16), (8,), (3, 8), (3,)])])
def test_architecture_and_initialisation(hidden, shapes):
    model = ExtremePenaltyModel(hidden, seed=3)
    assert [tuple(p.shape) for p in model.parameters()] == shapes
    for weight in list(model.parameters())[::2]:
        assert weight.abs().max() <= 1 / np.sqrt(weight.shape[1])
    again = ExtremePenaltyModel(hidden, seed=3)
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), again.parameters()))
    x = torch.randn(7, 10)
    assert torch.allclose(model(x), mlp_apply(list(model.parameters()), x), atol=1e-6)


def test_default_model_is_the_seed_architecture():
    model = ExtremePenaltyModel()
    assert [p.shape[0] for p in list(model.parameters())[::2]] == [64, 32, 16, 3]


def test_stacked_forward_equals_each_model_alone():
    params = [init_params([8], np.random.default_rng(s)) for s in range(3)]
    stacked = [torch.stack(p) for p in zip(*params)]
    x = torch.randn(3, 5, 10)
    out = mlp_apply(stacked, x)
    for m in range(3):
        assert torch.allclose(out[m], mlp_apply(params[m], x[m]), atol=1e-6)


def test_epoch_order_visits_trauma_examples_oversample_times():
    order = epoch_order(100, np.array([98, 99]), 7, np.random.default_rng(0))
    counts = np.bincount(order, minlength=100)
    assert len(order) == 100 + 2 * 6
    assert counts[98] == counts[99] == 7 and np.all(counts[:98] == 1)
    plain = epoch_order(100, np.array([98, 99]), 1, np.random.default_rng(0))
    assert sorted(plain) == list(range(100))


def test_per_example_gradient_norms_match_autograd_one_example_at_a_time():
    models = [init_params([6, 4], np.random.default_rng(s)) for s in range(2)]
    stacked = [torch.stack(p) for p in zip(*models)]
    x, y = torch.randn(2, 4, 10), torch.tensor([[0, 1, 2, 0], [2, 2, 1, 0]])
    w = torch.tensor([[1.0, 1.0, 1.0, 50.0], [1.0, 3.0, 1.0, 1.0]])
    fast = per_example_grad_norms(stacked, x, y, w)
    assert fast.shape == (2, 4)
    for m, params in enumerate(models):
        assert torch.allclose(per_example_grad_norms(params, x[m], y[m], w[m]), fast[m], rtol=1e-5)
        for i in range(4):
            leaves = [p.clone().requires_grad_(True) for p in params]
            loss = w[m, i] * F.cross_entropy(mlp_apply(leaves, x[m, i : i + 1]), y[m, i : i + 1])
            grads = torch.autograd.grad(loss, leaves)
            assert fast[m, i].item() == pytest.approx(torch.sqrt(sum(g.pow(2).sum() for g in grads)).item(), rel=1e-4)


def test_gradient_ratio_scales_with_the_penalty_at_equal_weights():
    params = [p.expand(3, *p.shape) for p in init_params([6], np.random.default_rng(0))]
    x_trauma, x_normal = torch.randn(2, 10).expand(3, 2, 10), torch.randn(5, 10).expand(3, 5, 10)
    y_trauma, y_normal = torch.zeros(3, 2, dtype=torch.long), torch.randint(0, 3, (5,)).expand(3, 5)
    ratio = gradient_ratio(params, x_trauma, y_trauma, torch.tensor([1.0, 10.0, 1000.0]), x_normal, y_normal)
    assert ratio[1] / ratio[0] == pytest.approx(10, rel=1e-4)
    assert ratio[2] / ratio[0] == pytest.approx(1000, rel=1e-4)


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
