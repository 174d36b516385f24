"""Speed of the batched ensemble trainer against the plain per-model loop.

The same Model 1 work both ways: the ensemble trains the whole grid (penalties x
seeds) in one batched pass; the loop trains members one at a time with a
DataLoader (`ExtremePenaltyModel.train_model`, as the earlier implementation did).
The loop is run for a few members only (each takes tens of seconds) and its time
per model is compared with the ensemble's time per model.

    python benchmarks/ensemble_vs_loop.py [--seeds 10] [--epochs 50] [--loop-models 3]
"""

from __future__ import annotations

import argparse
import resource
import time

import torch

from trauma.extreme_penalty import ExtremePenaltyModel, generate_dataset, make_seed_data, train_ensemble
from trauma.extreme_penalty.config import SweepConfig
from trauma.extreme_penalty.model import predict


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--loop-models", type=int, default=3, help="members the per-model loop trains")
    args = parser.parse_args()
    config = SweepConfig(seeds=args.seeds, epochs=args.epochs)
    penalties = config.penalties
    grid = len(penalties) * config.seeds
    print(f"Model 1 grid: {len(penalties)} penalties x {config.seeds} seeds = {grid} networks, "
          f"{config.epochs} epochs, {config.base_examples + config.num_trauma} examples, hidden {config.hidden_dims}, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads")

    started = time.perf_counter()
    data = [make_seed_data(s, config.base_examples, config.num_trauma) for s in config.seed_list]
    run = train_ensemble(data, penalties, config.hidden_dims, epochs=config.epochs)
    ensemble_seconds = time.perf_counter() - started
    ensemble_memory = peak_memory_mb()
    print(f"ensemble: {ensemble_seconds:7.1f} s for {grid} networks = {ensemble_seconds / grid:6.2f} s per network "
          f"(peak memory {ensemble_memory:.0f} MB)")

    loop_seconds = []
    for m in range(args.loop_models):
        penalty, seed = float(run.penalties[m]), int(run.seeds[m])
        started = time.perf_counter()
        train, test = generate_dataset(seed=seed, base_examples=config.base_examples, num_trauma=config.num_trauma)
        model = ExtremePenaltyModel(config.hidden_dims, seed=seed)
        model.train_model(train, epochs=config.epochs, penalty_magnitude=penalty)
        loop_seconds.append(time.perf_counter() - started)
        # Same computation up to float32 rounding, which 50 epochs of training amplify.
        difference = max((a - b).abs().max().item() for a, b in zip(model.parameters(), run.member(m)))
        probes = test.tensors[0]
        agreement = (predict(list(model.parameters()), probes) == predict(run.member(m), probes)).float().mean().item()
        print(f"loop:     {loop_seconds[-1]:7.1f} s for member lambda={penalty:g}, seed={seed}; versus the ensemble member: "
              f"largest weight difference {difference:.1e}, same prediction on {100 * agreement:.2f} % of probe inputs")

    per_model_loop = sum(loop_seconds) / len(loop_seconds)
    print(f"\nper trained network: loop {per_model_loop:.2f} s, ensemble {ensemble_seconds / grid:.2f} s")
    print(f"speed-up ratio per trained network: {per_model_loop / (ensemble_seconds / grid):.1f}x (target >= 25x)")
    print(f"peak memory of the ensemble run: {ensemble_memory:.0f} MB (target < 2048 MB)")


if __name__ == "__main__":
    main()
