"""Loss-landscape slices (optimizers.landscape): planes through weight space, projections and the losses on them,
checked against plain torch — a hand-built nn.Sequential loaded with vector_to_parameters — and numpy's SVD."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from optimizers import landscape as ls
from optimizers.network import Batched, data_of, normalize_network, run_network

NET = {"dataset": "spiral2", "hidden": [8, 8], "n": 120}


def true_loss(network: dict, data, theta: np.ndarray) -> float:
    """The training-set loss of one weight vector, computed the plain way: nn.Sequential + CrossEntropyLoss."""
    widths = [2, *network["hidden"], data.classes]
    layers: list[nn.Module] = []
    for i, (w_in, w_out) in enumerate(zip(widths, widths[1:], strict=False)):
        layers.append(nn.Linear(w_in, w_out))
        if i < len(widths) - 2:
            layers.append(getattr(nn, network["activation"])())
    model = nn.Sequential(*layers)
    with torch.no_grad():
        nn.utils.vector_to_parameters(torch.as_tensor(np.asarray(theta, dtype=np.float32)), model.parameters())
        return float(nn.CrossEntropyLoss()(model(data.x_train), data.y_train))


@pytest.fixture(scope="module")
def runs():
    """Three optimizers on one network (one shared start), 40 steps each."""
    configs = [("SGD", {"lr": 0.5, "momentum": 0.9}), ("Adam", {"lr": 0.02}), ("RMSprop", {"lr": 0.01})]
    return [run_network({"network": NET, "steps": 40, "optimizer": name, "hparams": hparams})
            for name, hparams in configs]


@pytest.fixture(scope="module")
def net():
    network = normalize_network(NET)
    return network, data_of(network)


@pytest.mark.parametrize("spec", [
    {"dataset": "spiral3", "hidden": [], "n": 60},
    {"dataset": "moons", "hidden": [5], "activation": "Tanh", "n": 50},
    {"dataset": "blobs", "hidden": [6, 4, 3], "activation": "GELU", "n": 70},
    {"dataset": "xor", "hidden": [7], "activation": "Sigmoid", "n": 40},
])
def test_losses_are_the_hand_built_models(spec, monkeypatch):
    network = normalize_network(spec)
    data = data_of(network)
    thetas = np.random.default_rng(0).normal(0, 0.8, (9, ls.parameter_count(network, data.classes)))
    thetas = thetas.astype(np.float32)
    monkeypatch.setattr(ls, "CHUNK_FLOATS", 3 * len(data.y_train) * 8)  # several chunks
    got = ls.losses(network, data, thetas)
    assert got.dtype == np.float32 and got.shape == (9,)
    np.testing.assert_allclose(got, [true_loss(network, data, t) for t in thetas], rtol=2e-6, atol=1e-6)
    batched, _ = Batched(network, data.classes).loss_and_accuracy(torch.from_numpy(thetas), data.x_train,
                                                                  data.y_train)
    np.testing.assert_allclose(got, batched.numpy(), rtol=2e-6, atol=1e-6)


def test_losses_of_non_finite_weights_are_nan(net):
    network, data = net
    thetas = np.zeros((4, ls.parameter_count(network, data.classes)), np.float32)
    thetas[1, 4] = np.nan
    thetas[3, 16] = -np.inf  # a first-layer bias: ReLU makes the unit 0 everywhere, the loss would be finite
    got = ls.losses(network, data, thetas)
    assert np.isnan(got[[1, 3]]).all() and np.isfinite(got[[0, 2]]).all()
    with pytest.raises(ValueError, match="numbers"):
        ls.losses(network, data, thetas[:, 1:])


def test_the_runs_loss_is_the_trajectorys(net, runs):
    network, data = net
    np.testing.assert_allclose(ls.losses(network, data, runs[1].params), runs[1].loss, rtol=1e-5, atol=1e-6)


def in_plane_trajectories(seed: int = 1, P: int = 30):
    """Paths θ₀ + s·e₁ + r·e₂ that lie exactly in a 2-D affine plane through a shared start θ₀."""
    rng = np.random.default_rng(seed)
    theta0, e1, e2 = rng.normal(size=(3, P))
    paths = []
    for _ in range(3):
        s, r = np.cumsum(rng.normal(size=(2, 25)), axis=1)
        s[0] = r[0] = 0.0
        paths.append(theta0 + s[:, None] * e1 + r[:, None] * e2)
    return theta0, paths


def test_pca_plane_of_paths_in_a_plane_holds_them_exactly():
    theta0, paths = in_plane_trajectories()
    plane = ls.pca_plane(paths)
    assert plane.kind == "pca"
    np.testing.assert_array_equal(plane.origin, theta0)  # the common start
    assert abs(plane.u @ plane.u - 1) < 1e-12 and abs(plane.v @ plane.v - 1) < 1e-12 and abs(plane.u @ plane.v) < 1e-12
    assert sum(plane.explained) == pytest.approx(1.0, abs=1e-10)
    for path in paths:
        coords, distance = ls.project(plane, path)
        assert distance.max() < 1e-9 * np.abs(path).max()
        np.testing.assert_allclose(plane.points(coords), path.astype(np.float32), rtol=1e-6, atol=1e-6)
        assert np.abs(coords[0]).max() < 1e-12  # every path starts at (0, 0)
        (a0, a1), (b0, b1) = plane.extent
        assert (a0 < coords[:, 0]).all() and (coords[:, 0] < a1).all()
        assert (b0 < coords[:, 1]).all() and (coords[:, 1] < b1).all()


def test_pca_plane_is_numpys_svd_about_the_common_start(runs):
    plane = ls.pca_plane([r.params for r in runs])
    np.testing.assert_array_equal(plane.origin, runs[0].params[0].astype(float))
    X = np.concatenate([r.params for r in runs]).astype(float) - plane.origin
    _, sigma, vt = np.linalg.svd(X, full_matrices=False)
    share = sigma ** 2 / np.sum(sigma ** 2)
    np.testing.assert_allclose(plane.explained, share[:2], rtol=1e-7)
    assert abs(plane.u @ vt[0]) == pytest.approx(1, abs=1e-7) and abs(plane.v @ vt[1]) == pytest.approx(1, abs=1e-7)
    first, second = plane.explained
    assert 0 <= second <= first <= 1 and first + second <= 1


def test_pca_plane_of_different_starts_is_centred_on_the_mean():
    rng = np.random.default_rng(3)
    paths = [rng.normal(size=(10, 12)), rng.normal(size=(15, 12))]
    plane = ls.pca_plane(paths)
    X = np.concatenate(paths)
    np.testing.assert_allclose(plane.origin, X.mean(0))
    _, sigma, _ = np.linalg.svd(X - X.mean(0), full_matrices=False)
    np.testing.assert_allclose(plane.explained, (sigma[:2] ** 2) / np.sum(sigma ** 2), rtol=1e-7)


def test_diverged_runs_enter_the_pca_with_their_finite_weights_only(runs):
    diverged = runs[0].params.copy()
    diverged[25:] = np.nan
    diverged[27, 3] = np.inf
    plane = ls.pca_plane([diverged, runs[1].params])
    same = ls.pca_plane([runs[0].params[:25], runs[1].params])
    np.testing.assert_allclose(plane.explained, same.explained, rtol=1e-9)
    assert abs(plane.u @ same.u) == pytest.approx(1, abs=1e-9)
    coords, distance = ls.project(plane, diverged)
    assert np.isnan(coords[25:]).all() and np.isnan(distance[25:]).all()
    assert np.isfinite(coords[:25]).all() and np.isfinite(distance[:25]).all()


def test_pca_of_runs_that_never_moved_has_nothing_to_explain():
    theta0 = np.ones(10)
    plane = ls.pca_plane([np.tile(theta0, (5, 1))])
    assert plane.explained == (0.0, 0.0)
    assert abs(plane.u @ plane.v) < 1e-12
    with pytest.raises(ValueError, match="finite"):
        ls.pca_plane([np.full((3, 10), np.nan)])


def test_three_point_plane_maps_its_points_exactly_and_their_loss_is_true(net, runs):
    network, data = net
    theta0, theta_a, theta_b = runs[0].params[0], runs[0].params[-1], runs[1].params[-1]
    plane = ls.three_point_plane(theta0, theta_a, theta_b)
    assert plane.kind == "three_point" and plane.anchors[0] == (0.0, 0.0) and plane.anchors[1][1] == 0.0
    np.testing.assert_array_equal(plane.points(plane.anchors), np.stack([theta0, theta_a, theta_b]))
    coords, distance = ls.project(plane, np.stack([theta0, theta_a, theta_b]))
    np.testing.assert_allclose(coords, plane.anchors, atol=1e-12)
    assert distance.max() < 1e-12 * np.abs(theta_a).max() * 10
    truth = [true_loss(network, data, t) for t in (theta0, theta_a, theta_b)]
    np.testing.assert_allclose(ls.plane_losses(network, data, plane, plane.anchors), truth, rtol=2e-6)
    np.testing.assert_allclose(truth, [runs[0].loss[0], runs[0].loss[-1], runs[1].loss[-1]], rtol=1e-5)


def test_three_points_on_one_line_make_no_plane():
    a = np.arange(6.0)
    with pytest.raises(ValueError, match="parallel"):
        ls.three_point_plane(0 * a, a, 2.5 * a)
    with pytest.raises(ValueError, match="zero"):
        ls.three_point_plane(a, a, 2 * a)


def test_grid_losses_are_the_hand_models_loss_at_the_grid_points(net, runs):
    network, data = net
    plane = ls.three_point_plane(runs[0].params[0], runs[0].params[-1], runs[2].params[-1])
    extent = ((-1.0, 3.0), (-2.0, 1.5))
    a, b, loss = ls.grid_losses(network, data, plane, extent, n=9)
    assert a.shape == b.shape == (9,) and loss.shape == (9, 9) and loss.dtype == np.float32
    assert (a[0], a[-1], b[0], b[-1]) == (-1.0, 3.0, -2.0, 1.5)
    for i, j in [(0, 0), (8, 0), (0, 8), (3, 5), (8, 8)]:  # loss[j, i] is at (a[i], b[j])
        theta = (plane.origin + a[i] * plane.u + b[j] * plane.v).astype(np.float32)
        assert loss[j, i] == pytest.approx(true_loss(network, data, theta), rel=2e-6)
    a2, b2, _ = ls.grid_losses(network, data, plane, n=5)  # the plane's own extent by default
    assert (a2[0], a2[-1]) == plane.extent[0] and (b2[0], b2[-1]) == plane.extent[1]


def test_filter_normalized_gives_each_filter_thetas_norm_and_zero_biases(net, runs):
    network, data = net
    shapes = ls.layer_shapes(network, data.classes)
    assert shapes == [(8, 2), (8,), (8, 8), (8,), (2, 8), (2,)]
    assert [tuple(p.shape) for p in Batched(network, data.classes).model.parameters()] == shapes
    theta = runs[1].params[-1]
    d = ls.filter_normalized(np.random.default_rng(5).normal(size=theta.shape), theta, shapes)
    start = 0
    for shape in shapes:
        size = int(np.prod(shape))
        part, ref = d[start:start + size], theta[start:start + size].astype(float)
        if len(shape) == 1:
            assert (part == 0).all()
        else:
            np.testing.assert_allclose(np.linalg.norm(part.reshape(shape), axis=1),
                                       np.linalg.norm(ref.reshape(shape), axis=1), rtol=1e-12)
        start += size
    assert start == len(theta)


def test_random_plane_is_seeded_orthonormal_through_theta_and_moves_weights_only(net, runs):
    network, data = net
    theta = runs[1].params[-1]
    plane = ls.random_plane(network, data.classes, theta, seed=3)
    again, other = (ls.random_plane(network, data.classes, theta, seed=s) for s in (3, 4))
    np.testing.assert_array_equal(plane.u, again.u)
    assert abs(plane.u @ other.u) < 0.9
    assert plane.kind == "random" and plane.explained is None
    np.testing.assert_array_equal(plane.point(0, 0), theta)
    np.testing.assert_allclose([plane.u @ plane.u, plane.v @ plane.v, plane.u @ plane.v], [1, 1, 0], atol=1e-12)
    biases = np.concatenate([np.arange(s, s + int(np.prod(sh))) for s, sh in zip(
        np.cumsum([0] + [int(np.prod(sh)) for sh in ls.layer_shapes(network, data.classes)])[:-1],
        ls.layer_shapes(network, data.classes), strict=True) if len(sh) == 1])
    assert (plane.u[biases] == 0).all() and (plane.v[biases] == 0).all()
    weights = np.linalg.norm(np.delete(theta.astype(float), biases))
    assert plane.scale == pytest.approx(weights, rel=1e-12)  # every filter as long as θ's: ‖d₁‖ = ‖θ without biases‖
    assert plane.extent == ((-plane.scale, plane.scale), (-plane.scale, plane.scale))


def test_path_vs_plane_agrees_where_the_path_is_in_the_plane(net, runs):
    network, data = net
    path = runs[0].params
    plane = ls.three_point_plane(path[0], path[-1], runs[1].params[-1])
    got = ls.path_vs_plane(network, data, plane, path)
    assert got.coords.shape == (41, 2) and got.true_loss.shape == got.plane_loss.shape == got.distance.shape == (41,)
    np.testing.assert_allclose(got.true_loss, runs[0].loss, rtol=1e-5)
    for t in (0, -1):  # the path's ends are two of the plane's points
        assert got.distance[t] < 1e-6
        assert got.plane_loss[t] == pytest.approx(got.true_loss[t], rel=2e-6)
    middle = got.distance[1:-1]
    assert (middle > 0).all()
    np.testing.assert_allclose(got.plane_loss[5], true_loss(network, data, plane.points(got.coords[5])[0]),
                               rtol=2e-6)


def test_path_vs_plane_of_a_diverged_run_is_nan_after_it_diverged(net, runs):
    network, data = net
    path = runs[2].params.copy()
    path[30:] = np.nan
    plane = ls.pca_plane([path, runs[0].params])
    got = ls.path_vs_plane(network, data, plane, path)
    for series in (got.true_loss, got.plane_loss, got.distance, got.coords[:, 0]):
        assert np.isnan(series[30:]).all() and np.isfinite(series[:30]).all()


def test_line_losses_run_from_before_theta0_to_beyond_theta1(net, runs):
    network, data = net
    theta0, theta1 = runs[1].params[0], runs[1].params[-1]
    alpha, loss = ls.line_losses(network, data, theta0, theta1)
    assert alpha[0] == -0.25 and alpha[-1] == 1.25 and (np.diff(alpha) > 0).all() and loss.shape == alpha.shape
    i0, i1 = list(alpha).index(0.0), list(alpha).index(1.0)
    assert loss[i0] == pytest.approx(runs[1].loss[0], rel=1e-5) and loss[i1] == pytest.approx(runs[1].loss[-1],
                                                                                                  rel=1e-5)
    k = 3
    theta = (theta0.astype(float) + alpha[k] * (theta1.astype(float) - theta0)).astype(np.float32)
    assert loss[k] == pytest.approx(true_loss(network, data, theta), rel=2e-6)
    alpha, _ = ls.line_losses(network, data, theta0, theta1, n=7, alpha_range=(-0.5, 1.5))  # 0 and 1 added
    assert 0.0 in alpha and 1.0 in alpha and len(alpha) == 9


def test_paths_extent_shows_every_path_and_anchor(runs):
    plane = ls.three_point_plane(runs[0].params[0], runs[0].params[-1], runs[1].params[-1])
    (a0, a1), (b0, b1) = extent = ls.paths_extent(plane, [r.params for r in runs])
    for r in runs:
        coords, _ = ls.project(plane, r.params)
        assert (a0 < coords[:, 0]).all() and (coords[:, 0] < a1).all()
        assert (b0 < coords[:, 1]).all() and (coords[:, 1] < b1).all()
    assert all(a0 < a < a1 and b0 < b < b1 for a, b in plane.anchors)
    assert ls.cover(np.full((2, 2), np.nan)) == ((-1.0, 1.0), (-1.0, 1.0))
    assert extent == ls.paths_extent(plane, [r.params for r in runs] + [np.full((3, len(plane.u)), np.nan)])


@pytest.mark.parametrize("dataset", ["moons", "blobs"])
def test_losses_of_huge_weights_are_finite_and_the_hand_models(dataset):
    """Far out on a plane the logits are in the hundreds: the loss stays finite and equal to torch's."""
    network = normalize_network({"dataset": dataset, "hidden": [6], "n": 50})
    data = data_of(network)
    thetas = np.random.default_rng(2).normal(0, 1, (5, ls.parameter_count(network, data.classes)))
    thetas = (thetas * np.array([[0.01], [1], [30], [300], [3000]])).astype(np.float32)
    got = ls.losses(network, data, thetas)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, [true_loss(network, data, t) for t in thetas], rtol=1e-5, atol=1e-6)


def test_random_plane_spans_li_et_als_two_filter_normalised_directions(net, runs):
    """The plane holds θ + α d₁ + β d₂ for Li et al.'s directions (drawn from default_rng(seed), in that order)."""
    network, data = net
    theta = runs[2].params[-1]
    plane = ls.random_plane(network, data.classes, theta, seed=7)
    rng = np.random.default_rng(7)
    shapes = ls.layer_shapes(network, data.classes)
    d1, d2 = (ls.filter_normalized(rng.standard_normal(len(theta)), theta, shapes) for _ in range(2))
    np.testing.assert_allclose(plane.u, d1 / np.linalg.norm(d1), atol=1e-12)
    for alpha, beta in [(0.3, -0.2), (-1.0, 1.0)]:
        _, distance = ls.project(plane, theta + alpha * d1 + beta * d2)
        assert distance[0] < 1e-9 * np.linalg.norm(d1)
    assert abs(d1 @ d2) / (np.linalg.norm(d1) * np.linalg.norm(d2)) < 0.3  # nearly orthogonal, as Li et al. rely on


@pytest.mark.parametrize("spec", [
    {"dataset": "moons", "hidden": [], "n": 40},
    {"dataset": "spiral3", "hidden": [], "n": 45},
    {"dataset": "moons", "hidden": [6], "activation": "Tanh", "n": 50},
    {"dataset": "blobs", "hidden": [5, 4], "activation": "GELU", "n": 60},
    {"dataset": "xor", "hidden": [7, 3, 5], "activation": "Sigmoid", "n": 40},
    {"dataset": "spiral2", "hidden": [16, 16], "n": 80},
    {"dataset": "spiral3", "hidden": [4, 6, 3], "activation": "ReLU", "n": 70},
])
def test_the_plane_kernel_is_the_general_one_at_the_planes_points(spec, monkeypatch):
    """plane_losses (the weights affine in (a, b): the first layer's three products, per-point matrices with the
    bias as a column, the two-class margin) gives losses(...) at plane.points, on random planes, in several chunks
    and blocks, NaN where a coordinate is not finite or the weights overflow float32."""
    network = normalize_network(spec)
    data = data_of(network)
    P = ls.parameter_count(network, data.classes)
    rng = np.random.default_rng(len(spec["hidden"]) + data.classes)
    origin, d1, d2 = rng.normal(0, 0.7, (3, P))
    plane = ls.three_point_plane(origin, origin + d1, origin + d2)
    coords = rng.uniform(-3, 3, (37, 2))
    coords[5] = (np.nan, 0.0)
    coords[9] = (0.0, np.inf)
    coords[11] = (1e45, 0.0)  # finite, but the weights are not in float32
    monkeypatch.setattr(ls, "CHUNK_FLOATS", 4 * 3 * len(data.y_train) * 8)  # chunks of a few points
    monkeypatch.setattr(ls, "PLANE_BLOCK", 10)  # several blocks, the last one short
    got = ls.plane_losses(network, data, plane, coords)
    with np.errstate(over="ignore", invalid="ignore"):
        want = ls.losses(network, data, plane.points(coords))
    assert got.dtype == np.float32 and got.shape == (37,)
    assert np.isnan(got[[5, 9, 11]]).all() and np.isnan(want[[5, 9, 11]]).all()
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-6)
    assert ls.plane_losses(network, data, plane, np.empty((0, 2))).shape == (0,)
