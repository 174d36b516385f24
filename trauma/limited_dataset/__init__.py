"""Model 3, Limited Dataset: few caregivers, a fixed amount of experience."""

from ..models import Model

MODEL = Model(
    name="limited-dataset",
    title="Model 3: Limited Dataset",
    question="with the same amount of experience, do networks that met fewer caregivers generalise worse to new ones?",
    package=__name__,
    template="limited_dataset",
    pages={"limited_comparison": None},
    tiny={"seeds": 4, "epochs": 3, "caregiver_counts": [1, 2, 5], "total_interactions": 200},
    diverging={"learning_rate": 10},
)
