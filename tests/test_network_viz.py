"""The network page's player payload (viz/network.py): the boundaries' probabilities are torch's softmax of the model
at the run's weights (within the uint8 quantisation), sampled frames name their true steps, and 4 runs × 1,000 steps
weigh at most 3 MB (the naive figure, every step's boundary and curve as JSON floats, is measured beside it)."""

from __future__ import annotations

import json
from functools import lru_cache

import numpy as np
import pytest
import torch

from optimizers import landscape
from optimizers.network import NetworkTrajectory, build_model, data_of, layer_names, run_network
from viz import RunResult
from viz.network import (
    GRID,
    MAX_FRAMES,
    dequantise,
    frame_count,
    frame_steps,
    grid_extent,
    grid_points,
    landscape_payload,
    make_plane,
    naive_bytes,
    network_entry,
    network_layer,
)
from viz.player_data import decode
from viz.runs import PALETTE

NET_RUNS = [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {"lr": 0.01}), ("RMSprop", {"lr": 0.003}),
            ("Adagrad", {"lr": 0.05})]
MAX_BYTES = 3_000_000


def net_config(optimizer: str, hparams: dict, steps: int, dataset: str = "spiral3") -> dict:
    return {"network": {"dataset": dataset, "hidden": [16, 16]}, "steps": steps, "optimizer": optimizer,
            "hparams": hparams}


@lru_cache(maxsize=8)
def network_results(steps: int, dataset: str = "spiral3") -> list[RunResult]:
    """The 4 runs of `NET_RUNS` on `dataset` (also tests/player_app.py's network mode)."""
    out = []
    for i, (optimizer, hparams) in enumerate(NET_RUNS):
        config = net_config(optimizer, hparams, steps, dataset)
        traj = run_network(config)
        out.append(RunResult(f"{i + 1}: {optimizer} lr={hparams['lr']}", PALETTE[i], traj.config, traj))
    return out


def synthetic(steps: int, dataset: str, seed: int) -> RunResult:
    """A run of `steps` steps whose weights wander from the network's initial ones (the payload's size depends
    on the shapes only: this stands for a trained run without training it)."""
    config = run_network(net_config("SGD", {"lr": 0.1}, 1, dataset)).config
    network = config["network"]
    data = data_of(network)
    theta0 = torch.cat([p.detach().view(-1) for p in build_model(network, data.classes).parameters()]).numpy()
    rng = np.random.default_rng(seed)
    params = (theta0 + np.cumsum(rng.normal(0, 0.02, (steps + 1, len(theta0))), 0)).astype(np.float32)
    curve = np.abs(rng.normal(1, 0.1, steps + 1))
    layers = len(layer_names(network))
    traj = NetworkTrajectory(config={**config, "steps": steps}, params=params, loss=curve, accuracy=curve / 2,
                             test_loss=curve, test_accuracy=curve / 2, lr=np.full(steps, 0.1),
                             group_lr=np.full((steps, 1), 0.1), grad_norm=np.abs(rng.normal(1, 0.1, (steps, layers))),
                             evals=np.ones(steps, int), wall_time=np.zeros(steps), diverged_at=None)
    return RunResult(f"run {seed}", PALETTE[seed], traj.config, traj)


@pytest.fixture(scope="module")
def short_runs():
    return network_results(120)


@pytest.mark.parametrize("dataset", ["spiral3", "spiral2"])
def test_four_runs_of_1000_steps_weigh_under_3_mb(dataset):
    results = [synthetic(1000, dataset, seed) for seed in range(4)]
    layer = network_layer(results[0].config["network"])
    entries = [network_entry(r) for r in results]
    sent = len(json.dumps(layer)) + len(json.dumps(entries))
    naive = sum(naive_bytes(r) for r in results)
    print(f"{dataset}: {sent / 1e6:.2f} MB sent, naive {naive / 1e6:.0f} MB")
    assert sent <= MAX_BYTES
    assert naive > 30 * sent
    for entry in entries:
        assert len(decode(entry["frame_steps"], kind="u2")) == MAX_FRAMES


def test_frames_name_their_true_steps(short_runs):
    for r in short_runs:
        entry = network_entry(r)
        steps = decode(entry["frame_steps"], kind="u2")
        assert steps[0] == 0 and steps[-1] == min(r.traj.finite_len, 121) - 1
        assert (np.diff(steps.astype(int)) > 0).all()
        np.testing.assert_array_equal(steps, frame_steps(120, r.traj.finite_len, frame_count(3)))
        probs = decode(entry["probs"], (len(steps), GRID * GRID, 2), kind="u1")
        assert probs.shape[0] == len(steps)


def test_a_diverged_run_ends_at_its_last_finite_weights():
    assert frame_steps(1000, 301).tolist()[-1] == 300
    assert frame_steps(1000, 1001).tolist()[-1] == 1000
    assert frame_steps(1000, 1).tolist() == [0]


def test_boundaries_are_torchs_softmax_within_the_quantisation(short_runs):
    r = short_runs[1]
    entry, network = network_entry(r), r.config["network"]
    data = data_of(network)
    steps = decode(entry["frame_steps"], kind="u2").astype(int)
    probs = dequantise(decode(entry["probs"], (len(steps), GRID * GRID, data.classes - 1), kind="u1"))
    extent = grid_extent(np.vstack([data.x_train.numpy(), data.x_test.numpy()]))
    points = torch.from_numpy(grid_points(extent))
    model = build_model(network, data.classes)
    for f in (0, len(steps) // 2, len(steps) - 1):
        torch.nn.utils.vector_to_parameters(torch.from_numpy(r.traj.params[steps[f]]), model.parameters())
        with torch.no_grad():
            expected = torch.softmax(model(points), -1).numpy()
        err = np.abs(probs[f] - expected)
        assert err[:, :-1].max() <= 0.5 / 255 + 1e-6  # each kept class: rounded
        assert err[:, -1].max() <= (data.classes - 1) * 0.5 / 255 + 1e-6  # the rest: the others' rounding
        top2 = np.sort(expected, -1)[:, -2:]
        clear = top2[:, 1] - top2[:, 0] > 2 / 255  # the most likely class, where no other is within the rounding
        assert (probs[f].argmax(-1) == expected.argmax(-1))[clear].all()


def test_grid_runs_from_the_top_left_as_a_canvas_does():
    pts = grid_points([[0.0, 1.0], [0.0, 1.0]], 4)
    assert pts[0].tolist() == [0.125, 0.875] and pts[3].tolist() == [0.875, 0.875]
    assert pts[-1].tolist() == [0.875, 0.125]


def test_entry_curves_are_the_trajectory(short_runs):
    r = short_runs[0]
    entry = network_entry(r)
    for name in ("loss", "test_loss", "accuracy", "test_accuracy", "lr"):
        np.testing.assert_allclose(decode(entry[name]), getattr(r.traj, name).astype(np.float32))
    np.testing.assert_allclose(decode(entry["grad_norm"], r.traj.grad_norm.shape), r.traj.grad_norm, rtol=1e-6)
    assert entry["layers"] == layer_names(r.config["network"]) and entry["end"] == r.traj.finite_len
    layer = network_layer(r.config["network"])
    train_y = data_of(r.config["network"]).y_train.numpy()
    assert layer["classes"] == 3 and decode(layer["train_y"], kind="u1").tolist() == train_y.tolist()


@pytest.mark.parametrize("plane", [{"kind": "pca"}, {"kind": "random", "runs": [1], "seed": 3},
                                   {"kind": "three", "runs": [0, 2]}])
def test_landscape_paths_are_the_planes_projections(short_runs, plane):
    network = short_runs[0].config["network"]
    data = data_of(network)
    layer, entries = landscape_payload(short_runs, plane)
    made = make_plane(short_runs, plane)
    assert layer["plane"] == made.kind and (layer["explained"] is None) == (made.kind != "pca")
    for r, entry in zip(short_runs, entries, strict=True):
        coords, distance = landscape.project(made, r.traj.params)
        np.testing.assert_allclose(decode(entry["xy"], coords.shape), coords, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(decode(entry["distance"]), distance, rtol=1e-5, atol=1e-5)
        path = landscape.path_vs_plane(network, data, made, r.traj.params)
        np.testing.assert_allclose(decode(entry["plane_loss"]), path.plane_loss, rtol=1e-6)
        np.testing.assert_allclose(decode(entry["loss"]), r.traj.loss, rtol=1e-4)  # the engine's own loss
        alpha, line = decode(entry["line_alpha"]), decode(entry["line_loss"])
        assert alpha[0] == -0.25 and alpha[-1] == 1.25 and 0.0 in alpha and 1.0 in alpha
        np.testing.assert_allclose(line[alpha == 1.0], r.traj.loss[r.traj.finite_len - 1], rtol=1e-4)
        np.testing.assert_allclose(line[alpha == 0.0], r.traj.loss[0], rtol=1e-4)
    (a0, a1), (b0, b1) = layer["bounds"]
    every = np.vstack([decode(e["xy"], (-1, 2)) for e in entries])
    assert (every[:, 0] >= a0).all() and (every[:, 0] <= a1).all() and (every[:, 1] >= b0).all()
    assert (every[:, 1] <= b1).all() and layer["starts"]  # every path inside the contoured slice


def test_the_three_point_plane_needs_two_runs(short_runs):
    with pytest.raises(ValueError):
        make_plane(short_runs[:1], {"kind": "three", "runs": [0, 1]})


def test_a_diverged_run_neither_makes_the_pca_plane_nor_shrinks_the_map():
    done = []
    for optimizer, hparams in (("SGD", {"lr": 200.0}), ("Adam", {"lr": 0.01})):
        traj = run_network({"network": {"dataset": "moons", "hidden": [8]}, "steps": 60, "optimizer": optimizer,
                            "hparams": hparams})
        done.append(RunResult(optimizer, PALETTE[len(done)], traj.config, traj))
    assert done[0].traj.diverged_at is not None and done[1].traj.diverged_at is None
    layer, entries = landscape_payload(done, {"kind": "pca"})
    assert layer["left_out"] == ["SGD"]
    expected = landscape.pca_plane([done[1].traj.params])
    coords = decode(entries[1]["xy"], (-1, 2))
    np.testing.assert_allclose(np.abs(coords), np.abs(landscape.project(expected, done[1].traj.params)[0]), atol=1e-4)
    (a0, a1), _ = layer["bounds"]
    assert a1 - a0 < 10 * (np.ptp(coords[:, 0]) + np.ptp(coords[:, 1]))  # the map is the finite run's size
    entry = network_entry(done[0])
    assert decode(entry["frame_steps"], kind="u2")[-1] == done[0].traj.finite_len - 1
