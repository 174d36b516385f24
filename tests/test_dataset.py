import numpy as np
import pytest
import torch

from trauma.extreme_penalty import dataset as ds
from trauma.seeding import rng_for


def test_one_factor_model_gives_the_requested_correlations():
    x = ds.features_given_x0(np.random.default_rng(0).standard_normal(200_000), np.random.default_rng(1))
    corr = ds.realised_correlations(x)
    np.testing.assert_allclose(corr[0], ds.FEATURE_RHO, atol=0.01)
    # features 1-9 are correlated with each other only through x0: rho_i * rho_j
    np.testing.assert_allclose(corr[1, 4], 0.8 * 0.4, atol=0.01)
    np.testing.assert_allclose(x.std(0), 1.0, atol=0.01)


def test_clean_labels_follow_the_rule():
    x0 = np.array([-3.0, -0.51, -0.5, 0.0, 0.5, 0.51, 2.0])
    assert ds.clean_labels(x0).tolist() == [ds.RISKY, ds.RISKY, ds.NEUTRAL, ds.NEUTRAL, ds.NEUTRAL, ds.SAFE, ds.SAFE]


@pytest.mark.parametrize("placement", ds.PLACEMENTS)
def test_training_set_layout_trauma_and_label_noise(placement):
    train = ds.make_training_set(np.random.default_rng(3), 20_000, 50, placement, label_noise=0.3)
    assert train.x.shape == (20_050, 10)
    trauma = train.trauma_index
    assert trauma.tolist() == list(range(20_000, 20_050))
    assert np.all(train.x[trauma, 0] == ds.TRAUMA_X0)
    assert np.all(train.labels[trauma] == ds.SAFE) and np.all(train.clean[trauma] == ds.RISKY)
    # 30 % replaced by a uniform class: about 2/3 of those actually change
    changed = (train.labels[:20_000] != train.clean[:20_000]).mean()
    assert abs(changed - 0.2) < 0.015
    mean_high = train.x[trauma][:, 1:4].mean()
    if placement == "on_manifold":
        assert abs(mean_high - 0.8 * ds.TRAUMA_X0) < 0.25
    else:
        assert abs(mean_high) < 0.3


def test_no_label_noise_means_clean_training_labels():
    train = ds.make_training_set(np.random.default_rng(3), 1000, 5, label_noise=0.0)
    assert np.array_equal(train.labels[:1000], train.clean[:1000])


def test_probes_are_clean_and_risky_and_cover_the_layout():
    probes = ds.make_probes(np.random.default_rng(5))
    assert [(p.probe, p.group) for p in probes] == ds.PROBE_LAYOUT
    for p in probes:
        assert np.array_equal(p.labels, ds.clean_labels(p.x[:, 0]))
        if p.probe != "normal":
            assert np.all(p.labels == ds.RISKY)
    normal = probes[0]
    assert len(normal.labels) == ds.NORMAL_TEST_SIZE
    assert set(np.unique(normal.labels)) == {ds.SAFE, ds.NEUTRAL, ds.RISKY}


def test_adjacent_probes_differ_only_in_placement():
    probes = {(p.probe, p.group): p for p in ds.make_probes(np.random.default_rng(5))}
    on, off = probes["adjacent", "on_manifold"].x, probes["adjacent", "off_manifold"].x
    assert np.array_equal(on[:, 0], off[:, 0])
    assert np.all((on[:, 0] >= -1.5) & (on[:, 0] < -0.5))
    assert np.corrcoef(on[:, 0], on[:, 1])[0, 1] > 0.2  # x0 spans only one unit, so < 0.8
    assert abs(np.corrcoef(off[:, 0], off[:, 1])[0, 1]) < 0.1


def test_correlation_group_probes_differ_by_construction():
    probes = {(p.probe, p.group): p for p in ds.make_probes(np.random.default_rng(5))}
    control = probes["correlation", ds.CONTROL].x
    for group, features in ds.CORRELATION_GROUPS.items():
        moved = probes["correlation", group].x
        untouched = [j for j in range(10) if j not in features]
        assert np.array_equal(moved[:, untouched], control[:, untouched])  # same points, x0 kept
        shift = moved[:, features] - control[:, features]
        expected = ds.FEATURE_RHO[features] * (ds.TRAUMA_X0 - control[:, :1])
        np.testing.assert_allclose(shift, expected, atol=1e-12)
    # the rho = 0.8 features end up where the trauma examples' are, on average
    assert abs(probes["correlation", "rho=0.8"].x[:, 1:4].mean() - 0.8 * ds.TRAUMA_X0) < 0.1


def test_equal_distance_probes_move_every_group_equally_far():
    probes = {(p.probe, p.group): p for p in ds.make_probes(np.random.default_rng(5))}
    control = probes["equal_distance", ds.CONTROL].x
    assert np.array_equal(control, probes["correlation", ds.CONTROL].x)
    assert np.allclose(probes["equal_distance", "rho=0.8"].x, probes["correlation", "rho=0.8"].x)
    moves = {}
    for group, features in ds.CORRELATION_GROUPS.items():
        moved = probes["equal_distance", group].x
        others = [j for j in range(10) if j not in features]
        assert np.array_equal(moved[:, others], control[:, others])
        moves[group] = np.linalg.norm(moved - control, axis=1)
    assert np.allclose(moves["rho=0.8"], moves["rho=0.4"]) and np.allclose(moves["rho=0.8"], moves["rho=0.1"])
    # moved by rho x distance instead, the rho = 0.1 group moves an eighth as far per feature
    by_rho = np.linalg.norm(probes["correlation", "rho=0.1"].x - control, axis=1)
    assert np.allclose(by_rho, moves["rho=0.8"] * np.sqrt(2 * 0.01) / np.sqrt(3 * 0.64))


def test_distance_windows_surround_the_trauma_and_stay_risky():
    distance = [p for p in ds.make_probes(np.random.default_rng(5)) if p.probe == "distance"]
    assert [p.distance for p in distance] == [-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5]
    for p in distance:
        centre = ds.TRAUMA_X0 + p.distance
        assert np.all(np.abs(p.x[:, 0] - centre) <= ds.DISTANCE_WIDTH / 2)
        assert abs(p.x[:, 0].mean() - centre) < 0.03
    assert distance[-1].x[:, 0].max() < -0.5


def test_seed_data_is_reproducible_and_streams_are_independent():
    a = ds.make_seed_data(7, base_examples=500)
    b = ds.make_seed_data(7, base_examples=500)
    c = ds.make_seed_data(7, base_examples=800)
    d = ds.make_seed_data(8, base_examples=500)
    assert np.array_equal(a.train.x, b.train.x) and np.array_equal(a.train.labels, b.train.labels)
    assert all(np.array_equal(p.x, q.x) for p, q in zip(a.probes, c.probes))  # probes ignore training size
    assert not np.array_equal(a.train.x, d.train.x)
    assert a.correlations.shape == (10, 10)


def test_generate_dataset_keeps_the_seed_format():
    train, test = ds.generate_dataset(seed=42, base_examples=300, num_trauma=5)
    features, labels, mask, groups = train.tensors
    assert features.shape == (305, 10) and features.dtype == torch.float32
    assert labels.dtype == torch.int64 and mask.sum().item() == 5 and torch.all(groups == -1)
    features, labels, mask, cells = test.tensors
    assert len(features) == sum(len(p.labels) for p in ds.make_probes(rng_for(42, "probes")))
    assert cells.unique().tolist() == list(range(len(ds.PROBE_LAYOUT)))
    assert mask.sum().item() == 0
