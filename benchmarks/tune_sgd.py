"""Not a speed benchmark: the tuning run behind the SGD variant's learning rate.

SGD's learning rate is chosen so that its lambda = 1 networks are as accurate as
Adam's (the realistic variant's), so that the SGD variant compares optimisers, not
an under-trained network with a trained one. Prints the lambda = 1 accuracy on the
clean normal test set (mean [95 % CI] over 10 seeds) for each rate and for Adam.

    python benchmarks/tune_sgd.py
"""

import trauma  # noqa: F401  (before torch: see trauma/numerics/blas.py)
from trauma.extreme_penalty import report
from trauma.extreme_penalty.config import SweepConfig
from trauma.extreme_penalty.sweep import run_sweep
from trauma.numerics.stats import format_ci

RATES = (0.003, 0.01, 0.03, 0.1, 0.3)

for optimizer, rate in [("adam", 0.001)] + [("sgd", rate) for rate in RATES]:
    result = run_sweep(SweepConfig(penalties=[1], optimizer=optimizer, learning_rate=rate, noise_floor=False))
    accuracy = report.cell(result.summary(), "accuracy", penalty=1, probe="normal")
    print(
        f"{optimizer} lr {rate:g}: accuracy "
        f"{format_ci(accuracy['mean'], accuracy['low'], accuracy['high'], percent=True, digits=2)}, "
        f"diverged {result.metadata['diverged_members']}",
        flush=True,
    )
