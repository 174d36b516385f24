"""Model 1, Extreme Penalty: does one heavily penalised example over-generalise?"""

from ..models import Model

MODEL = Model(
    name="extreme-penalty",
    title="Model 1: Extreme Penalty",
    question="does one extremely penalised example make the network over-correct on related inputs?",
    package=__name__,
    template="extreme_penalty",
    pages={"penalty_dynamics": "DynamicsConfig", "penalty_comparison": None},
    tiny={"seeds": 3, "epochs": 2, "base_examples": 300},
    diverging={"learning_rate": 10},
)
