"""Model 1 metrics: over-correction, accuracy, gradient magnitude ratio, weight change."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .dataset import RISKY, SAFE
from .model import mlp_trace


def overcorrection(predicted: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of truly risky inputs (clean label) predicted safe; NaN if none is risky."""
    risky = labels == RISKY
    if not risky.any():
        return float("nan")
    return (predicted[risky] == SAFE).float().mean().item()


def accuracy(predicted: torch.Tensor, labels: torch.Tensor) -> float:
    return (predicted == labels).float().mean().item()


def per_example_grad_norms(params, x, labels, weights) -> torch.Tensor:
    """||d(w_i * CE_i)/d(params)||, all layers' weights and biases together, for every
    example i, without materialising per-example gradients.

    For a linear layer z = W a + b, example i's gradient is the outer product
    delta_i a_i^T for W and delta_i for b, where delta_i = dL_i/dz_i; its squared
    norm is ||delta_i||^2 (||a_i||^2 + 1). One backward pass of the summed loss gives
    every delta_i, because z_i only affects L_i. Works for one model ([n, ...]) and
    for a stack of models ([M, n, ...]) alike."""
    leaves = [p.detach().requires_grad_(True) for p in params]
    with torch.enable_grad():
        trace = mlp_trace(leaves, x)
        logits = trace[-1][1]
        losses = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), reduction="none")
        deltas = torch.autograd.grad((losses * weights.reshape(-1)).sum(), [z for _, z in trace])
    squared = sum(d.pow(2).sum(-1) * (a.detach().pow(2).sum(-1) + 1) for (a, _), d in zip(trace, deltas))
    return squared.sqrt()


def gradient_ratio(params, x_trauma, y_trauma, penalty, x_normal, y_normal) -> torch.Tensor:
    """Mean per-example gradient norm of the trauma examples (loss weighted by the
    penalty, as in training) over that of normal examples (weight 1).
    `params` is a stack of M models ([M, ...] each); the example tensors carry the
    same leading M dimension, `penalty` is [M]. Returns [M]."""
    trauma = per_example_grad_norms(params, x_trauma, y_trauma, penalty[:, None].expand(y_trauma.shape))
    normal = per_example_grad_norms(params, x_normal, y_normal, torch.ones(y_normal.shape))
    return trauma.mean(-1) / normal.mean(-1)


def layer_distances(params_a, params_b) -> torch.Tensor:
    """Frobenius distance per layer (weight and bias together) between two stacks of
    models: [M, num_layers]."""
    layers = []
    for i in range(0, len(params_a), 2):
        squared = (params_a[i] - params_b[i]).pow(2).flatten(1).sum(1)
        squared = squared + (params_a[i + 1] - params_b[i + 1]).pow(2).sum(1)
        layers.append(squared.sqrt())
    return torch.stack(layers, dim=1)


def layer_norms(params) -> torch.Tensor:
    """Frobenius norm per layer (weight and bias together): [M, num_layers]."""
    return layer_distances(params, [torch.zeros_like(p) for p in params])
