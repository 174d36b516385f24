"""Speed of a model's book sweep against the training loop a user would write.

Baseline ("plain loop"): one network at a time, `nn.Sequential`, `DataLoader(dataset,
batch_size=32, shuffle=True)`, `torch.optim.Adam` with its defaults and the model's
loss (Model 1: weighted cross-entropy; Model 2: binary cross-entropy; Model 3: squared
error of the sigmoid output), run in a fresh
Python that does not import trauma (so MKL runs in its default mode, as on a user's
machine), on the same data sizes and epochs. For Model 1, also the loop this project
used as its baseline before: the same, but the DataLoader fed by a list
`batch_sampler`.

Ours: `trauma sweep MODEL` with the default parameters, i.e. the whole default grid
with everything the book reports (Model 1: 60 networks with the gradient diagnostics
and the evaluation after each of the last five epochs; Model 2: 8 levels x 10 seeds =
80 networks with their evaluation on every subset; Model 3: 11 caregiver counts x 20
seeds = 220 networks of 1,000 interactions for 100 epochs, with both test sets and
the Monte Carlo reference f*; Model 4: 10 phase-1, 280 phase-2 and 10 joint networks,
against the same networks trained one at a time). Also, for Model 1, the bare
training step alone and networks per second at other grid sizes.

    python benchmarks/ensemble_vs_loop.py [--model noisy-signals|limited-dataset|catastrophic-forgetting]
        [--repeats 2] [--loop-networks 2] [--grid-sizes 10 50 200]

Time it on a quiet machine; it prints every repeat and the range of the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

PLAIN_LOOP = r"""
import json, sys, time
import torch, torch.nn as nn, torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

epochs, penalty, list_sampler, model_name = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3] == "list", sys.argv[4]
examples = int(sys.argv[5]) if len(sys.argv) > 5 else 0
generator = torch.Generator().manual_seed(0)
if model_name == "catastrophic-forgetting":  # a phase-1 network (10,000 examples) or a phase-2 one (a therapy set)
    x = torch.randn(examples, 30, generator=generator)
    y = torch.rand(examples, 10, generator=generator)
    widths, loss_of = [30, 50, 25, 10], lambda out, yb: ((out - yb) ** 2).mean(1)
elif model_name == "extreme-penalty":
    x = torch.randn(10005, 10, generator=generator)
    y = torch.randint(0, 3, (10005,), generator=generator)
    widths, loss_of = [10, 64, 32, 16, 3], lambda out, yb: F.cross_entropy(out, yb, reduction="none")
elif model_name == "limited-dataset":
    x = torch.randn(1000, 15, generator=generator)
    y = torch.rand(1000, generator=generator)
    widths, loss_of = [15, 24, 12, 1], lambda out, yb: (torch.sigmoid(out[:, 0]) - yb) ** 2
else:
    x = torch.randn(10000, 20, generator=generator)
    y = torch.randint(0, 2, (10000,), generator=generator)
    widths = [20, 32, 16, 1]
    loss_of = lambda out, yb: F.binary_cross_entropy_with_logits(out[:, 0], yb.float(), reduction="none")
weight = torch.ones(len(x))
weight[-5:] = penalty
networks = int(sys.argv[6]) if len(sys.argv) > 6 else 1  # > 1: the first is a warm-up, the others are timed
times = []
for _ in range(networks):
    started = time.perf_counter()
    layers = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
    model = nn.Sequential(*layers[:-1])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    dataset = TensorDataset(x, y, weight)
    for epoch in range(epochs):
        if list_sampler:
            order = torch.randperm(len(x), generator=generator).tolist()
            loader = DataLoader(dataset, batch_sampler=[order[i : i + 32] for i in range(0, len(order), 32)])
        else:
            loader = DataLoader(dataset, batch_size=32, shuffle=True)
        for xb, yb, wb in loader:
            loss = (loss_of(model(xb), yb) * wb).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    times.append(time.perf_counter() - started)
print(json.dumps({"seconds": sum(times[1:]) / (networks - 1) if networks > 1 else times[0]}))
"""


def plain_loop_seconds(
    model: str, epochs: int, penalty: float, sampler: str, examples: int = 0, networks: int = 1
) -> float:
    """One network trained by the plain loop in a fresh Python without trauma (with
    networks > 1: the mean of networks 2 to n trained one after another, as a loop over
    many small networks would)."""
    env = {k: v for k, v in os.environ.items() if k != "MKL_CBWR"}
    done = subprocess.run(
        [sys.executable, "-c", PLAIN_LOOP, str(epochs), str(penalty), sampler, model, str(examples), str(networks)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)["seconds"]


def sweep_seconds(name: str) -> tuple[float, int]:
    """The model's default sweep (everything the book reports), in this process."""
    from trauma.models import MODELS

    model = MODELS[name]
    config = model.config()
    started = time.perf_counter()
    model.run_sweep(config)
    seconds = time.perf_counter() - started
    return seconds, config.networks


def bare_training_seconds(seeds: int, penalties, epochs: int) -> tuple[float, int]:
    """The trainer alone (no diagnostics, no evaluation) on a grid of seeds x penalties."""
    import numpy as np
    import torch

    from trauma.extreme_penalty.dataset import make_seed_data
    from trauma.extreme_penalty.model import LOSS, example_weights, layer_dims
    from trauma.numerics.trainer import Members, Training, train_ensemble

    data = [make_seed_data(s) for s in range(seeds)]
    x = torch.tensor(np.stack([d.train.x for d in data]), dtype=torch.float32)
    y = torch.tensor(np.stack([d.train.labels for d in data]))
    mask = torch.tensor(np.stack([d.train.penalty_mask for d in data]))
    member_data = np.tile(np.arange(seeds), len(penalties))
    members = Members(
        member_data, member_data, example_weights(mask[member_data], torch.tensor(np.repeat(penalties, seeds)))
    )
    started = time.perf_counter()
    train_ensemble(x, y, members, layer_dims([64, 32, 16]), LOSS, Training(epochs=epochs))
    return time.perf_counter() - started, len(members)


def forgetting_plain_seconds() -> tuple[float, float, float]:
    """Model 4's default sweep done one network at a time: its phase-1 and joint
    networks (10,000 and 10,150 examples, phase-1 epochs) and its phase-2 networks
    (a therapy set with replay, phase-2 epochs; timed at the grid's mean set size).
    Returns (seconds for the whole sweep, for a phase-1 network, for a phase-2 network)."""
    from trauma.catastrophic_forgetting.config import SweepConfig
    from trauma.catastrophic_forgetting.dataset import replay_count

    config = SweepConfig()
    phase1 = plain_loop_seconds("catastrophic-forgetting", config.phase1_epochs, 1.0, "shuffle", config.phase1_examples)
    sizes = [config.therapy_examples + replay_count(config.therapy_examples, r) for r in config.replay_ratios]
    phase2 = plain_loop_seconds(
        "catastrophic-forgetting", config.phase2_epochs, 1.0, "shuffle", round(sum(sizes) / len(sizes)), networks=6
    )
    total = config.seeds * (1 + config.joint) * phase1 + config.seeds * config.strategies * phase2
    return total, phase1, phase2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--model",
        default="extreme-penalty",
        choices=["extreme-penalty", "noisy-signals", "limited-dataset", "catastrophic-forgetting"],
    )
    parser.add_argument("--repeats", type=int, default=2, help="repeat the whole measurement (noisy machines)")
    parser.add_argument("--loop-networks", type=int, default=2, help="networks the plain loop trains per repeat")
    parser.add_argument("--epochs", type=int, default=None, help="the plain loop's epochs (default: the model's)")
    parser.add_argument(
        "--grid-sizes",
        type=int,
        nargs="*",
        default=[10, 50, 200],
        help="Model 1 grids for networks per second (2 epochs)",
    )
    args = parser.parse_args()

    import torch

    from trauma.models import MODELS

    config = MODELS[args.model].config()
    args.epochs = args.epochs or getattr(config, "epochs", None)  # Model 4: its phases have their own, below
    model1 = args.model == "extreme-penalty"
    print(
        f"{args.model}, default parameters; torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, {os.cpu_count()} cores"
    )
    ratios, old_ratios, sweeps = [], [], []
    for repeat in range(1, args.repeats + 1):
        if args.model == "catastrophic-forgetting":
            plain_total, phase1, phase2 = forgetting_plain_seconds()
            sweep, networks = sweep_seconds(args.model)
            sweeps.append(sweep)
            ratios.append(plain_total / sweep)
            print(f"\nrepeat {repeat}:")
            print(
                f"  plain loop: {phase1:.1f} s per phase-1 or joint network, {phase2:.2f} s per phase-2 network; "
                f"{plain_total:.0f} s for the sweep's {networks} networks one at a time"
            )
            print(f"  default sweep, everything the book reports: {sweep:.1f} s")
            print(f"  ratio per trained network: {ratios[-1]:.1f}x against the plain loop")
            continue
        penalties = [1.0, 10000.0] * args.loop_networks
        plain = [plain_loop_seconds(args.model, args.epochs, p, "shuffle") for p in penalties[: args.loop_networks]]
        sweep, networks = sweep_seconds(args.model)
        sweeps.append(sweep)
        ours = sweep / networks
        ratios.append(sum(plain) / len(plain) / ours)
        print(f"\nrepeat {repeat}:")
        print(
            "  plain loop (DataLoader shuffle=True, default Adam): "
            f"{', '.join(f'{s:.1f}' for s in plain)} s per network"
        )
        if model1:
            listed = plain_loop_seconds(args.model, args.epochs, 1.0, "list")
            old_ratios.append(listed / ours)
            print(f"  list batch_sampler loop (this project's earlier baseline): {listed:.1f} s per network")
        print(
            f"  default sweep, everything the book reports: {sweep:.1f} s for {networks} networks "
            f"= {ours:.2f} s per network"
        )
        print(f"  ratio per trained network: {ratios[-1]:.1f}x against the plain loop")
    goal = "goal >= 25x, aim 40x" if model1 else "goal >= 20x"
    print(
        f"\nratio against the plain loop over {args.repeats} repeats: "
        f"{min(ratios):.1f}x to {max(ratios):.1f}x ({goal}); "
        f"default sweep {min(sweeps):.1f} to {max(sweeps):.1f} s"
    )
    if old_ratios:
        print(f"against the earlier list-sampler baseline: {min(old_ratios):.1f}x to {max(old_ratios):.1f}x")

    if model1 and args.grid_sizes:
        print("\nbare training step (no diagnostics or evaluation), 2 epochs:")
        for size in args.grid_sizes:
            seconds, networks = bare_training_seconds(
                size // 5 if size >= 5 else 1, [1.0, 10.0, 100.0, 1000.0, 10000.0][: min(size, 5)], 2
            )
            print(
                f"  {networks:4d} networks: {networks * 2 / seconds:6.1f} network-epochs per second "
                f"({seconds / 2 / networks * args.epochs:.2f} s per network for {args.epochs} epochs)"
            )
    print(
        "\npeak memory of this process: "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB (goal < 2048 MB)"
    )


if __name__ == "__main__":
    import trauma  # noqa: F401  (before torch: MKL's reproducible mode, see trauma/numerics/blas.py)

    main()
