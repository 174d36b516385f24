"""The Model 1 network and its loss, with the seed document's API.

The network is an MLP 10 -> hidden_dims -> 3 with ReLU (`hidden_dims=[]` is the
linear model). `ExtremePenaltyModel` keeps the seed document's API (`train_model`,
`extract_metrics`, `compute_loss`); it trains with the shared ensemble trainer as a
grid of one network, so it equals, bit for bit, the member with the same seed and
penalty of any sweep.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import TensorDataset

from ..ensemble import Members, train_ensemble
from ..losses import WeightedCrossEntropy
from ..mlp import MLPStack, init_member, outputs
from ..seeding import rng_for
from .dataset import NUM_FEATURES, PROBE_LAYOUT

DEFAULT_HIDDEN_DIMS = (64, 32, 16)
NUM_CLASSES = 3
LOSS = WeightedCrossEntropy(NUM_CLASSES)


def layer_dims(hidden_dims) -> list[int]:
    return [NUM_FEATURES, *hidden_dims, NUM_CLASSES]


def example_weights(penalty_mask: torch.Tensor, penalties: torch.Tensor) -> torch.Tensor:
    """Loss weight of every training example for every member: the member's penalty
    for trauma examples (mask 1), 1 otherwise. penalty_mask [..., N], penalties
    [M] -> [M, N]."""
    return torch.where(penalty_mask.bool(), penalties[:, None].float(), torch.ones(()))


def compute_loss(outputs, targets, penalty_mask, penalty_magnitude):
    """The seed's loss: per-example cross-entropy, trauma examples (mask 1) weighted by
    `penalty_magnitude`, then the mean over the batch (the last dimension).
    Leading dimensions (a stack of models) are kept: outputs [..., B, 3] -> [...].
    (Training uses the same loss with its gradient written out: `trauma/losses.py`.)"""
    loss_per_example = F.cross_entropy(
        outputs.reshape(-1, outputs.shape[-1]), targets.reshape(-1), reduction="none"
    ).view(targets.shape)
    weights = penalty_mask * penalty_magnitude + (1 - penalty_mask) * 1.0
    return (loss_per_example * weights).mean(dim=-1)


def predict(stack: MLPStack, x: torch.Tensor) -> torch.Tensor:
    """Predicted class of every member for its inputs x [M, n, 10]: [M, n]."""
    return outputs(stack, x).argmax(dim=-1)


class ExtremePenaltyModel(nn.Module):
    """10 -> hidden_dims -> 3 MLP with ReLU; hidden_dims=[] is the linear 10 -> 3 model.

    The initial weights and the training order come from `seed`."""

    def __init__(self, hidden_dims=DEFAULT_HIDDEN_DIMS, seed: int = 42):
        super().__init__()
        self.hidden_dims = list(hidden_dims)
        self.seed = seed
        dims = layer_dims(self.hidden_dims)
        layers = []
        for fan_in, fan_out in zip(dims[:-1], dims[1:]):
            layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
        self.network = nn.Sequential(*layers[:-1])
        self.load_params(init_member(dims, rng_for(seed, "init")))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.network(x)

    compute_loss = staticmethod(compute_loss)

    def load_params(self, params) -> None:
        """Set the weights from [W0, b0, W1, b1, ...] (nn.Linear shapes)."""
        with torch.no_grad():
            for param, value in zip(self.parameters(), params):
                param.copy_(torch.as_tensor(np.asarray(value), dtype=torch.float32))

    def as_stack(self) -> MLPStack:
        return MLPStack.from_members(layer_dims(self.hidden_dims), [[p.detach() for p in self.parameters()]])

    def train_model(
        self,
        train_dataset: TensorDataset,
        epochs: int = 50,
        learning_rate: float = 1e-3,
        penalty_magnitude: float = 1.0,
        batch_size: int = 32,
        optimizer: str = "adam",
        oversample: int = 1,
        lr_schedule: str = "constant",
    ) -> dict:
        """Train on a `generate_dataset` training set (features, labels, penalty_mask,
        groups), from this model's seed. Returns {"loss": [mean training loss of each
        epoch]}."""
        features, labels, penalty_mask, _ = train_dataset.tensors
        trauma_index = torch.nonzero(penalty_mask).flatten().numpy()
        members = Members(
            data=np.zeros(1, dtype=np.int64),
            seed=np.array([self.seed]),
            weights=example_weights(penalty_mask, torch.tensor([penalty_magnitude])),
        )
        run = train_ensemble(
            features[None], labels[None], members, layer_dims(self.hidden_dims), LOSS, epochs=epochs,
            batch_size=batch_size, optimizer=optimizer, learning_rate=learning_rate, lr_schedule=lr_schedule,
            extra_visits=np.repeat(trauma_index, oversample - 1),
        )
        self.load_params(run.final.member(0))
        return {"loss": run.loss[0].tolist()}

    def extract_metrics(self, test_dataset: TensorDataset) -> dict:
        """Over-correction and accuracy on every probe set of a `generate_dataset` test
        set, keyed "overcorrection/<probe>/<group>" and "accuracy/<probe>/<group>"."""
        from .metrics import accuracy, overcorrection

        features, labels, _, cells = test_dataset.tensors
        predicted = predict(self.as_stack(), features[None])[0]
        metrics = {}
        for cell in cells.unique().tolist():
            probe, group = PROBE_LAYOUT[cell]
            rows = cells == cell
            metrics[f"overcorrection/{probe}/{group}"] = overcorrection(predicted[rows], labels[rows])
            metrics[f"accuracy/{probe}/{group}"] = accuracy(predicted[rows], labels[rows])
        return metrics
