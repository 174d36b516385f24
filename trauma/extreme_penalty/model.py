"""The Model 1 network, its loss, and the plain one-model-at-a-time training loop.

`ExtremePenaltyModel` keeps the seed document's API (`train_model`, `extract_metrics`,
`compute_loss`). Its training loop is deliberately the earlier implementation's: a
`DataLoader`, one model at a time. It is the reference the batched ensemble trainer
(`ensemble.py`) is tested against, and the baseline the benchmark measures.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from .dataset import NUM_FEATURES, PROBE_LAYOUT, rng_for

DEFAULT_HIDDEN_DIMS = (64, 32, 16)
NUM_CLASSES = 3
OPTIMIZERS = ("adam", "sgd")


def layer_dims(hidden_dims) -> list[int]:
    return [NUM_FEATURES, *hidden_dims, NUM_CLASSES]


def init_params(hidden_dims, rng: np.random.Generator) -> list[torch.Tensor]:
    """[W0, b0, W1, b1, ...] drawn like PyTorch's default `nn.Linear` initialisation,
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights ([out, in]) and biases, but from
    an explicit Generator instead of the global one."""
    params = []
    dims = layer_dims(hidden_dims)
    for fan_in, fan_out in zip(dims[:-1], dims[1:]):
        bound = 1.0 / np.sqrt(fan_in)
        params.append(torch.tensor(rng.uniform(-bound, bound, (fan_out, fan_in)), dtype=torch.float32))
        params.append(torch.tensor(rng.uniform(-bound, bound, fan_out), dtype=torch.float32))
    return params


def mlp_trace(params: list[torch.Tensor], x: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Run the MLP with parameters [W0, b0, W1, b1, ...] (ReLU between layers) and
    return every layer's (input, pre-activation output); the last output is the logits.
    Works for one model (W: [out, in], x: [B, in]) and for a stack of M models
    (W: [M, out, in], b: [M, out], x: [M, B, in]), the latter with batched matmuls."""
    trace = []
    h = x
    num_layers = len(params) // 2
    for i in range(num_layers):
        weight, bias = params[2 * i], params[2 * i + 1]
        if weight.dim() == 3:
            z = torch.baddbmm(bias.unsqueeze(1), h, weight.mT)
        else:
            z = F.linear(h, weight, bias)
        trace.append((h, z))
        h = torch.relu(z)
    return trace


def mlp_apply(params: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Logits of one model or of a stack of models (see `mlp_trace`)."""
    return mlp_trace(params, x)[-1][1]


def compute_loss(outputs, targets, penalty_mask, penalty_magnitude):
    """The seed's loss: per-example cross-entropy, trauma examples (mask 1) weighted by
    `penalty_magnitude`, then the mean over the batch (the last dimension).
    Leading dimensions (a stack of models) are kept: outputs [..., B, 3] -> [...]."""
    loss_per_example = F.cross_entropy(
        outputs.reshape(-1, outputs.shape[-1]), targets.reshape(-1), reduction="none"
    ).view(targets.shape)
    weights = penalty_mask * penalty_magnitude + (1 - penalty_mask) * 1.0
    return (loss_per_example * weights).mean(dim=-1)


def epoch_order(num_examples: int, trauma_index: np.ndarray, oversample: int, rng: np.random.Generator) -> np.ndarray:
    """One epoch's visiting order: every example once, each trauma example `oversample`
    times in all ("rumination"), shuffled. oversample=1 is an ordinary shuffle."""
    extra = np.repeat(trauma_index, oversample - 1)
    return rng.permutation(np.concatenate([np.arange(num_examples), extra]))


def make_optimizer(name: str, params, learning_rate: float) -> torch.optim.Optimizer:
    if name == "adam":
        return torch.optim.Adam(params, lr=learning_rate, fused=True)
    if name == "sgd":
        return torch.optim.SGD(params, lr=learning_rate, fused=True)
    raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}")


def predict(params: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Predicted class for every input (no gradients)."""
    with torch.no_grad():
        return mlp_apply(params, x).argmax(dim=-1)


class ExtremePenaltyModel(nn.Module):
    """10 -> hidden_dims -> 3 MLP with ReLU; hidden_dims=[] is the linear 10 -> 3 model.

    The initial weights and the training order come from `seed`, so this model, trained
    alone, equals the member with the same seed and penalty of an ensemble sweep."""

    def __init__(self, hidden_dims=DEFAULT_HIDDEN_DIMS, seed: int = 42):
        super().__init__()
        self.hidden_dims = list(hidden_dims)
        self.seed = seed
        dims = layer_dims(self.hidden_dims)
        layers = []
        for fan_in, fan_out in zip(dims[:-1], dims[1:]):
            layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
        self.network = nn.Sequential(*layers[:-1])
        with torch.no_grad():
            for param, value in zip(self.parameters(), init_params(self.hidden_dims, rng_for(seed, "init"))):
                param.copy_(value)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.network(x)

    compute_loss = staticmethod(compute_loss)

    def train_model(
        self,
        train_dataset: TensorDataset,
        epochs: int = 50,
        learning_rate: float = 1e-3,
        penalty_magnitude: float = 1.0,
        batch_size: int = 32,
        optimizer: str = "adam",
        oversample: int = 1,
    ) -> dict:
        """Train on (features, labels, penalty_mask, groups) batches from a DataLoader.
        Returns {"loss": [mean training loss of each epoch]}."""
        features, _, penalty_mask, _ = train_dataset.tensors
        trauma_index = torch.nonzero(penalty_mask).flatten().numpy()
        order_rng = rng_for(self.seed, "order")
        opt = make_optimizer(optimizer, self.parameters(), learning_rate)
        history = {"loss": []}
        self.train()
        for _ in range(epochs):
            order = epoch_order(len(features), trauma_index, oversample, order_rng)
            batches = [order[i : i + batch_size].tolist() for i in range(0, len(order), batch_size)]
            total = 0.0
            for x, y, mask, _ in DataLoader(train_dataset, batch_sampler=batches):
                loss = compute_loss(self(x), y, mask, penalty_magnitude)
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item()
            history["loss"].append(total / len(batches))
        return history

    def extract_metrics(self, test_dataset: TensorDataset) -> dict:
        """Over-correction and accuracy on every probe set of a `generate_dataset` test
        set, keyed "overcorrection/<probe>/<group>" and "accuracy/<probe>/<group>"."""
        from .metrics import accuracy, overcorrection

        features, labels, _, cells = test_dataset.tensors
        predicted = predict(list(self.parameters()), features)
        metrics = {}
        for cell in cells.unique().tolist():
            probe, group = PROBE_LAYOUT[cell]
            rows = cells == cell
            metrics[f"overcorrection/{probe}/{group}"] = overcorrection(predicted[rows], labels[rows])
            metrics[f"accuracy/{probe}/{group}"] = accuracy(predicted[rows], labels[rows])
        return metrics
