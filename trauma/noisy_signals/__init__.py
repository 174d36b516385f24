"""Model 2, Noisy Signals: does label noise in one context make behaviour there unstable?"""

from ..models import Model

MODEL = Model(
    name="noisy-signals",
    title="Model 2: Noisy Signals",
    question="does label noise in one context make the network's behaviour there unstable?",
    package=__name__,
    template="noisy_signals",
    pages={"noisy_comparison": None},
    tiny={"seeds": 7, "epochs": 3, "train_examples": 400, "noise_levels": [0, 0.1, 0.3, 0.6]},
    diverging={"learning_rate": 100},  # at 10 its networks sit near chance, not diverged
)
