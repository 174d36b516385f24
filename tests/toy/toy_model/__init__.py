"""Model 5, Toy: a fifth model defined inside the tests (tests/test_toy_model.py). Does
label noise lower a small network's accuracy on the sign of x0? It has the shape of
the book's four models and nothing outside this folder knows of it: it is registered
through an entry point, as a model from another distribution would be."""

from trauma.models import Model

MODEL = Model(
    name="toy",
    title="Model 5: Toy",
    question="does label noise lower a small network's accuracy on the sign of x0?",
    package=__name__,
    template="toy",
    tiny={"seeds": 3, "epochs": 2, "train_examples": 200},
    diverging={"learning_rate": 1000},
)
