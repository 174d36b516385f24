import numpy as np
import pytest
import torch

from trauma.extreme_penalty import ExtremePenaltyModel, generate_dataset, make_seed_data, train_ensemble


@pytest.mark.parametrize(
    "hidden, optimizer, oversample, lr",
    [([64, 32, 16], "adam", 1, 1e-3), ([16, 8], "adam", 20, 1e-2), ([], "sgd", 3, 1e-2)],
)
def test_every_member_matches_the_same_network_trained_alone(hidden, optimizer, oversample, lr):
    seeds, penalties, epochs = [3, 4], [1, 100, 10000], 3
    data = [make_seed_data(s, base_examples=600, num_trauma=4) for s in seeds]
    run = train_ensemble(data, penalties, hidden, epochs=epochs, learning_rate=lr, batch_size=32, optimizer=optimizer, oversample=oversample)
    assert len(run.seeds) == 6 and run.seeds.tolist() == [3, 4] * 3
    assert run.penalties.tolist() == [1, 1, 100, 100, 10000, 10000]
    for m, (penalty, seed) in enumerate(zip(run.penalties, run.seeds)):
        train, _ = generate_dataset(seed=int(seed), base_examples=600, num_trauma=4)
        model = ExtremePenaltyModel(hidden, seed=int(seed))
        history = model.train_model(train, epochs=epochs, learning_rate=lr, penalty_magnitude=float(penalty), optimizer=optimizer, oversample=oversample)
        for alone, member in zip(model.parameters(), run.member(m)):
            torch.testing.assert_close(alone.detach(), member, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(history["loss"], run.loss[m], rtol=1e-4)


def test_members_of_a_seed_share_initialisation_and_differ_only_by_the_penalty():
    data = [make_seed_data(s, base_examples=300) for s in (0, 1)]
    run = train_ensemble(data, [1, 1000], [8], epochs=1)
    for p in run.initial:
        assert torch.equal(p[0], p[2]) and torch.equal(p[1], p[3])  # same seed, other penalty
        assert not torch.equal(p[0], p[1])  # other seed
    assert not torch.equal(run.final[0][0], run.final[0][2])
    assert run.gradient_ratio.shape == (4, 2) and run.loss.shape == (4, 1)
    # at initialisation the ratio differs between penalties of a seed by exactly the penalty
    np.testing.assert_allclose(run.gradient_ratio[2, 0] / run.gradient_ratio[0, 0], 1000, rtol=1e-4)
    assert run.finite.all()


def test_diverged_members_are_flagged():
    data = [make_seed_data(0, base_examples=300)]
    run = train_ensemble(data, [1, 1e30], [8], epochs=2, learning_rate=10.0, optimizer="sgd")
    assert run.finite.tolist() == [True, False]
