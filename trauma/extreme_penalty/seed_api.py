"""The seed document's API for Model 1, as it was first built: `generate_dataset`
(train and test `TensorDataset`s), `ExtremePenaltyModel` (`train_model`,
`extract_metrics`, `compute_loss`). The model trains with the shared trainer as a
grid of one network, so it equals, bit for bit, the member with the same seed and
penalty of any sweep (tests/test_extreme_penalty.py)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import TensorDataset

from ..numerics.mlp import MLPStack, init_member
from ..numerics.seeding import rng_for
from ..numerics.trainer import Members, Training, train_ensemble
from .dataset import PROBE_LAYOUT, make_seed_data
from .metrics import accuracy, overcorrection
from .model import DEFAULT_HIDDEN_DIMS, LOSS, example_weights, layer_dims, predict


def generate_dataset(
    seed: int = 42,
    base_examples: int = 10_000,
    num_trauma: int = 5,
    trauma_placement: str = "on_manifold",
    label_noise: float = 0.1,
) -> tuple[TensorDataset, TensorDataset]:
    """The seed document's API: train and test `TensorDataset`s of
    (features, labels, penalty_mask, correlation_groups).

    In the training set `correlation_groups` is -1 throughout. The test set is every
    probe set of this seed concatenated, with clean labels; its `correlation_groups`
    entry is the index of the example's (probe, group) cell in PROBE_LAYOUT, e.g.
    ("normal", "all") or ("correlation", "rho=0.8")."""
    data = make_seed_data(seed, base_examples, num_trauma, trauma_placement, label_noise)
    train = TensorDataset(
        torch.tensor(data.train.x, dtype=torch.float32),
        torch.tensor(data.train.labels),
        torch.tensor(data.train.penalty_mask, dtype=torch.float32),
        torch.full((len(data.train.labels),), -1),
    )
    test = TensorDataset(
        torch.tensor(np.concatenate([p.x for p in data.probes]), dtype=torch.float32),
        torch.tensor(np.concatenate([p.labels for p in data.probes])),
        torch.zeros(sum(len(p.labels) for p in data.probes)),
        torch.tensor(np.concatenate([np.full(len(p.labels), i) for i, p in enumerate(data.probes)])),
    )
    return train, test


def compute_loss(outputs, targets, penalty_mask, penalty_magnitude):
    """The seed's loss: per-example cross-entropy, trauma examples (mask 1) weighted by
    `penalty_magnitude`, then the mean over the batch (the last dimension).
    Leading dimensions (a stack of models) are kept: outputs [..., B, 3] -> [...].
    (Training uses the same loss with its gradient written out: `trauma/numerics/losses.py`.)"""
    loss_per_example = F.cross_entropy(
        outputs.reshape(-1, outputs.shape[-1]), targets.reshape(-1), reduction="none"
    ).view(targets.shape)
    weights = penalty_mask * penalty_magnitude + (1 - penalty_mask) * 1.0
    return (loss_per_example * weights).mean(dim=-1)


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
        training = Training(
            epochs=epochs,
            batch_size=batch_size,
            optimizer=optimizer,
            learning_rate=learning_rate,
            lr_schedule=lr_schedule,
        )
        run = train_ensemble(
            features[None],
            labels[None],
            members,
            layer_dims(self.hidden_dims),
            LOSS,
            training,
            extra_visits=np.repeat(trauma_index, oversample - 1),
        )
        self.load_params(run.final.member(0))
        return {"loss": run.loss[0].tolist()}

    def extract_metrics(self, test_dataset: TensorDataset) -> dict:
        """Over-correction and accuracy on every probe set of a `generate_dataset` test
        set, keyed "overcorrection/<probe>/<group>" and "accuracy/<probe>/<group>"."""
        features, labels, _, cells = test_dataset.tensors
        predicted = predict(self.as_stack(), features[None])[0]
        metrics = {}
        for cell in cells.unique().tolist():
            probe, group = PROBE_LAYOUT[cell]
            rows = cells == cell
            metrics[f"overcorrection/{probe}/{group}"] = overcorrection(predicted[rows], labels[rows])
            metrics[f"accuracy/{probe}/{group}"] = accuracy(predicted[rows], labels[rows])
        return metrics
