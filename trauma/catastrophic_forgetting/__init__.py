"""Model 4, Catastrophic Forgetting: therapy after trauma, as a second training phase."""

from ..models import Model

MODEL = Model(
    name="catastrophic-forgetting",
    title="Model 4: Catastrophic Forgetting",
    question="how much of its first lesson does a network lose when therapy retrains it, and which strategy keeps it?",
    package=__name__,
    template="catastrophic_forgetting",
    pages={"forgetting_comparison": None},
    tiny={
        "seeds": 4,
        "phase1_epochs": 10,  # at 2-3 the phase-1 networks are at chance: retention undefined
        "phase2_epochs": 2,
        "phase1_examples": 400,
        "learning_rates": [0.0001, 0.01],
        "replay_ratios": [0, 0.2],
        "ewc_strengths": [1000],
    },
    diverging={"learning_rates": [0.001, 10], "replay_ratios": [0], "ewc_strengths": []},  # phase 2 at 10
)
