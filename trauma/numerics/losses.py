"""Losses for the ensemble trainer, each with its gradient at the network's output
written out (see `trauma/numerics/mlp.py` for which operations keep a member's numbers
independent of its stack).

A loss turns per-example targets into a float tensor shaped like the network's
output (`encode`), and, once per epoch, into targets scaled by each example's
weight over its minibatch's size (`scaled_targets`); per minibatch it gives every
member's weighted mean loss and its gradient with respect to the outputs
(`value_and_grad`).
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

    def scaled_targets(self, onehot: torch.Tensor, weights: torch.Tensor, batch_sizes: torch.Tensor):
        """onehot [M, L, classes], weights [M, L], batch_sizes [L] (the size of the
        minibatch each position of the epoch falls in) -> (onehot * w / B, w / B)."""
        scale = (weights / batch_sizes).unsqueeze(-1)
        return onehot * scale, scale

    def value_and_grad(self, outputs: torch.Tensor, target: torch.Tensor, scale: torch.Tensor):
        """outputs [M, B, classes]; target, scale: one minibatch of `scaled_targets`.
        Returns the loss [M] and its gradient with respect to the outputs."""
        members = outputs.shape[0]
        grad = torch.softmax(outputs, -1) * scale - target
        log_p = torch.log_softmax(outputs, -1)
        loss = torch.bmm(target.reshape(members, 1, -1), log_p.view(members, -1, 1)).view(members)
        return -loss, grad

    def per_example(self, outputs: torch.Tensor, onehot: torch.Tensor) -> torch.Tensor:
        """Unweighted cross-entropy of every example: [M, n, classes] -> [M, n]."""
        return -(torch.log_softmax(outputs, -1) * onehot).sum(-1)


class WeightedBinaryCrossEntropy(WeightedCrossEntropy):
    """Binary cross-entropy of a single output logit z (p(y = 1) = sigmoid(z)), each
    example multiplied by its weight, mean over the minibatch. Computed as the
    two-class softmax cross-entropy of the logits (0, z), which is the same function
    (softmax((0, z))[1] = sigmoid(z)) and keeps to row-wise operations (an element-wise
    sigmoid rounds differently in PyTorch's vectorised and scalar loops)."""

    def __init__(self):
        super().__init__(classes=2)

    def encode(self, targets: torch.Tensor) -> torch.Tensor:
        """Labels 0/1 [..., n] -> one-hot [..., n, 2]."""
        return super().encode(targets.long())

    def value_and_grad(self, outputs: torch.Tensor, target: torch.Tensor, scale: torch.Tensor):
        """outputs [M, B, 1] (the logit); returns the loss [M] and its gradient [M, B, 1]."""
        value, grad = super().value_and_grad(two_class_logits(outputs), target, scale)
        return value, grad[..., 1:]


def two_class_logits(z: torch.Tensor) -> torch.Tensor:
    """[..., 1] logits of class 1 -> [..., 2] logits (0, z)."""
    return torch.cat([torch.zeros_like(z), z], dim=-1)


def probability(z: torch.Tensor) -> torch.Tensor:
    """p(y = 1) = sigmoid(z) for logits [..., 1], computed row-wise: [...]."""
    return torch.softmax(two_class_logits(z), -1)[..., 1]


class WeightedMeanSquaredError:
    """Squared error averaged over the K outputs of an example, multiplied by the
    example's weight, then the mean over the minibatch:
    loss = (1/B) sum_i w_i (1/K) sum_k (y_ik - t_ik)^2. The prediction y is the
    output itself (`output="linear"`) or, for a single output, its sigmoid
    (`output="sigmoid"`, computed row-wise like `probability`)."""

    def __init__(self, output: str = "linear"):
        if output not in ("linear", "sigmoid"):
            raise ValueError(f"output must be linear or sigmoid, got {output!r}")
        self.output = output

    def encode(self, targets: torch.Tensor) -> torch.Tensor:
        """Targets [..., n] (one output) or [..., n, K] -> float [..., n, K]."""
        targets = targets.float()
        return targets.unsqueeze(-1) if targets.dim() == 2 else targets

    def scaled_targets(self, targets: torch.Tensor, weights: torch.Tensor, batch_sizes: torch.Tensor):
        """targets [M, L, K], weights [M, L], batch_sizes [L] -> (targets, w / (B K))."""
        return targets, (weights / batch_sizes).unsqueeze(-1) / targets.shape[-1]

    def prediction(self, outputs: torch.Tensor) -> torch.Tensor:
        return probability(outputs).unsqueeze(-1) if self.output == "sigmoid" else outputs

    def value_and_grad(self, outputs: torch.Tensor, target: torch.Tensor, scale: torch.Tensor):
        """outputs, target [M, B, K]; scale [M, B, 1]. Returns the loss [M] and its
        gradient with respect to the outputs [M, B, K]."""
        members = outputs.shape[0]
        predicted = self.prediction(outputs)
        error = predicted - target
        weighted = error * scale
        loss = torch.bmm(weighted.reshape(members, 1, -1), error.reshape(members, -1, 1)).view(members)
        grad = weighted * 2
        if self.output == "sigmoid":
            grad = grad * (predicted * (1 - predicted))
        return loss, grad
