"""Model 1 metrics: over-correction, accuracy, the gradients of the trauma examples
against those of normal examples, and weight change per layer."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..numerics.mlp import MLPStack, at_least_two, backward, forward, per_example_grad_norms, with_ones
from .dataset import RISKY, SAFE
from .model import LOSS


def overcorrection(predicted: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of truly risky inputs (clean label) predicted safe; NaN if none is risky."""
    risky = labels == RISKY
    if not risky.any():
        return float("nan")
    return (predicted[risky] == SAFE).float().mean().item()


def accuracy(predicted: torch.Tensor, labels: torch.Tensor) -> float:
    return (predicted == labels).float().mean().item()


CHUNK = 1024  # examples per forward/backward pass (fixed, so the same blocks whatever the grid)


@dataclass
class GradientProbe:
    """The training examples the gradient diagnostics look at, per member: the trauma
    examples, weighted by the member's penalty as in training, and all normal ones
    (weight 1)."""

    x_trauma: torch.Tensor  # [M, T, 10]
    y_trauma: torch.Tensor  # [M, T]
    penalty: torch.Tensor  # [M]
    x_normal: torch.Tensor  # [M, N, 10]
    y_normal: torch.Tensor  # [M, N]


def _gradients(stack: MLPStack, x: torch.Tensor, y: torch.Tensor, weights: torch.Tensor):
    """For the loss sum_i w_i CE_i over the given examples: the mean of the examples'
    gradient norms [M], the norm of their summed gradient [M], and the summed loss [M]."""
    members = stack.members
    computed, x, y, weights = at_least_two(stack, x, y, weights)
    summed, part = torch.zeros_like(computed.flat), torch.zeros_like(computed.flat)
    norms, loss = [], 0
    for start in range(0, x.shape[1], CHUNK):
        rows = slice(start, start + CHUNK)
        onehot = LOSS.encode(y[:, rows])
        out, inputs = forward(computed.layers, with_ones(x[:, rows]))
        grad_output = (torch.softmax(out, -1) - onehot) * weights[:, rows].unsqueeze(-1)
        deltas = backward(computed.layers, inputs, grad_output, computed.views(part))
        summed += part
        norms.append(per_example_grad_norms(inputs, deltas))
        loss = loss + (LOSS.per_example(out, onehot) * weights[:, rows]).sum(-1)
    total = sum(block.pow(2).flatten(1).sum(1) for block in computed.views(summed)).sqrt()
    return torch.cat(norms, 1).mean(-1)[:members], total[:members], loss[:members]


def gradient_diagnostics(stack: MLPStack, probe: GradientProbe) -> dict[str, torch.Tensor]:
    """Per member ([M] each):
    - gradient_ratio: mean per-example gradient norm of a trauma example, its loss
      multiplied by the penalty as in training, over that of a normal example. It
      contains the penalty as a factor by definition (= penalty x the next one);
    - gradient_ratio_unweighted: the same without the penalty, what the penalty
      multiplies;
    - aggregate_ratio: norm of the summed gradient of all trauma examples (penalty
      included) over that of all normal examples: how the two parts of the full
      training loss's gradient compare;
    - trauma_loss_share: the trauma examples' share of the full training loss."""
    t_norm, t_sum, t_loss = _gradients(
        stack, probe.x_trauma, probe.y_trauma, probe.penalty[:, None].expand(probe.y_trauma.shape)
    )
    n_norm, n_sum, n_loss = _gradients(stack, probe.x_normal, probe.y_normal, torch.ones(probe.y_normal.shape))
    ratio = t_norm / n_norm
    return {
        "gradient_ratio": ratio,
        "gradient_ratio_unweighted": ratio / probe.penalty,
        "aggregate_ratio": t_sum / n_sum,
        "trauma_loss_share": t_loss / (t_loss + n_loss),
    }


def layer_distances(stack_a: MLPStack, stack_b: MLPStack) -> torch.Tensor:
    """Frobenius distance per layer (weights and bias together) between the members
    of two stacks: [M, num_layers]."""
    return torch.stack([(a - b).pow(2).flatten(1).sum(1).sqrt() for a, b in zip(stack_a.layers, stack_b.layers)], dim=1)


def layer_norms(stack: MLPStack) -> torch.Tensor:
    """Frobenius norm per layer (weights and bias together): [M, num_layers]."""
    return torch.stack([block.pow(2).flatten(1).sum(1).sqrt() for block in stack.layers], dim=1)
