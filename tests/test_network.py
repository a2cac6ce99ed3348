"""Network runs: the engine against a plain hand-written torch loop (the oracle), validation, and the server path."""

from __future__ import annotations

import json

import numpy as np
import pytest

from optimizers import NetworkTrajectory, Trajectory, normalize, run, run_many
from optimizers.network import first_steps

NET = {"network": {"dataset": "moons", "n": 120, "hidden": [8]}, "steps": 40, "optimizer": "SGD",
       "hparams": {"lr": 0.1, "momentum": 0.9}}
SURFACE = {"surface": "rosenbrock", "steps": 10, "optimizer": "Adam"}


# ------------------------------------------------------------------------------------------- dispatch and cache


def test_run_many_keeps_the_order_of_network_and_surface_runs():
    out = run_many([NET, SURFACE, {**NET, "optimizer": "Adam", "hparams": {"lr": 0.01}}])
    assert [type(t) for t in out] == [NetworkTrajectory, Trajectory, NetworkTrajectory]
    np.testing.assert_array_equal(out[0].params, run(NET).params)
    np.testing.assert_array_equal(out[1].xy, run(SURFACE).xy)


def test_normalize_dispatches():
    assert "network" in normalize(NET) and "surface" not in normalize(NET)
    assert normalize(SURFACE)["surface"] == "rosenbrock"


def test_first_steps_of_a_network_run_equal_a_shorter_run():
    for config in (NET, {**NET, "batch_size": 16, "seed": 3}):
        long, short = run({**config, "steps": 40}), run({**config, "steps": 15})
        cut = first_steps(long, 15)
        for name in ("params", "loss", "accuracy", "test_loss", "test_accuracy", "lr", "group_lr", "grad_norm",
                     "evals", "batches", "epoch"):
            np.testing.assert_array_equal(getattr(cut, name), getattr(short, name), err_msg=name)
        assert cut.config == short.config and cut.diverged_at == short.diverged_at


def test_the_server_cache_and_pool_run_networks():
    from ui.cache import TrajectoryCache
    from ui.engine_pool import run_batch

    keys = [json.dumps(NET, sort_keys=True), json.dumps(SURFACE, sort_keys=True)]
    net, surface = run_batch(keys)
    assert isinstance(net, NetworkTrajectory) and isinstance(surface, Trajectory)
    cache = TrajectoryCache(10 * 2**20)
    cache.put(keys[0], net)
    cut = cache.first_steps_of(normalize({**NET, "steps": 12}))
    assert isinstance(cut, NetworkTrajectory) and cut.steps == 12
    np.testing.assert_array_equal(cut.params, run({**NET, "steps": 12}).params)
    assert cache.first_steps_of(normalize({**NET, "steps": 41})) is None


def test_a_bad_network_run_fails_alone_in_a_batch():
    from ui.engine_pool import run_batch

    bad = {**NET, "network": {"hidden": [0]}}
    out = run_batch([json.dumps(bad), json.dumps(NET)])
    assert isinstance(out[0], ValueError) and isinstance(out[1], NetworkTrajectory)


@pytest.mark.parametrize("config", [NET])
def test_run_results_path_normalizes_network_configs(config):
    from ui.cache import _lookup

    key, traj = _lookup(config)
    assert key == json.dumps(config, sort_keys=True)
