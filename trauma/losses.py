"""Losses for the ensemble trainer, each with its gradient at the network's output
written out (see `trauma/mlp.py` for which operations keep a member's numbers
independent of its stack).

A loss turns per-example targets into a float tensor shaped like the network's
output once per epoch (`encode`), then, per minibatch, gives every member's
weighted mean loss and its gradient with respect to the outputs (`value_and_grad`).
"""

from __future__ import annotations

import torch


class WeightedCrossEntropy:
    """Softmax cross-entropy per example, multiplied by the example's weight, then
    the mean over the minibatch: loss = (1/B) sum_i w_i CE(z_i, y_i). Its gradient
    at the outputs is (w_i / B) (softmax(z_i) - onehot(y_i))."""

    def __init__(self, classes: int):
        self.classes = classes

    def encode(self, targets: torch.Tensor) -> torch.Tensor:
        """Class indices [..., n] -> one-hot [..., n, classes] (float)."""
        return torch.nn.functional.one_hot(targets, self.classes).float()

    def value_and_grad(self, outputs: torch.Tensor, onehot: torch.Tensor, weights: torch.Tensor):
        """outputs, onehot: [M, B, classes]; weights [M, B]. Returns the loss [M] and
        its gradient with respect to the outputs [M, B, classes]."""
        members, batch, _ = outputs.shape
        scale = (weights / batch).unsqueeze(-1)  # w_i / B
        target = onehot * scale
        grad = torch.softmax(outputs, -1) * scale - target
        log_p = torch.log_softmax(outputs, -1)
        loss = torch.bmm(target.view(members, 1, -1), log_p.view(members, -1, 1)).view(members)
        return -loss, grad

    def per_example(self, outputs: torch.Tensor, onehot: torch.Tensor) -> torch.Tensor:
        """Unweighted cross-entropy of every example: [M, n, classes] -> [M, n]."""
        return -(torch.log_softmax(outputs, -1) * onehot).sum(-1)
