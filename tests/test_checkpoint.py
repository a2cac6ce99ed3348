"""state_dict() after t steps, saved as JSON and loaded back, resumes the run with identical results."""

import json

import numpy as np
import pytest

from optimizers import run
from optimizers.checkpoint import checkpoint, resume

CONFIGS = [
    {"surface": "rosenbrock", "optimizer": "Adam", "hparams": {"lr": 0.02}},
    {"surface": "rosenbrock", "optimizer": "AMSGrad", "hparams": {"lr": 0.02, "weight_decay": 0.1}},
    {"surface": "bowl", "optimizer": "Nesterov", "hparams": {"lr": 0.01},
     "scheduler": "StepLR", "scheduler_params": {"step_size": 5, "gamma": 0.5}},
    {"surface": "himmelblau", "optimizer": "RMSprop", "hparams": {"lr": 0.01, "centered": True, "momentum": 0.5}},
    {"surface": "himmelblau", "optimizer": "Rprop"},
    {"surface": "himmelblau", "optimizer": "ASGD", "hparams": {"lr": 0.005, "t0": 3.0}},
    {"surface": "bowl", "optimizer": "LBFGS", "hparams": {"max_iter": 3}},
    {"surface": "bowl", "optimizer": "Adam", "hparams": {"lr": 0.1}, "scheduler": "ReduceLROnPlateau",
     "scheduler_params": {"patience": 2}},
    {"surface": "bowl", "optimizer": "SGD", "hparams": {"lr": 0.05, "momentum": 0.9},
     "scheduler": "SequentialLR"},
    {"surface": "linear_regression", "optimizer": "Adam", "hparams": {"lr": 0.05}, "batch_size": 4, "seed": 3},
    {"surface": "linear_regression", "optimizer": "SGD", "hparams": {"lr": 0.01}, "lr_multipliers": [1.0, 10.0]},
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c['optimizer']}-{c.get('scheduler')}-{c['surface']}")
@pytest.mark.parametrize("t", [0, 7, 20])
def test_resuming_from_a_json_state_dict_gives_the_same_run(config, t):
    config = {**config, "steps": 20}
    expected = run(config).xy
    saved = json.loads(json.dumps(checkpoint(config, t)))  # what a student downloads and uploads again
    assert saved["step"] == t
    np.testing.assert_allclose(saved["param"], expected[t], rtol=0, atol=0)
    np.testing.assert_array_equal(resume(config, saved), expected[t:])


def test_the_state_dict_is_torch_s():
    saved = checkpoint({"surface": "bowl", "optimizer": "Adam", "steps": 5}, 3)
    state = saved["optimizer"]["state"]["0"]
    assert set(state) == {"step", "exp_avg", "exp_avg_sq"} and state["step"]["tensor"] == 3.0
    assert saved["optimizer"]["param_groups"][0]["lr"] == 0.001


def test_bad_step_is_refused():
    with pytest.raises(ValueError):
        checkpoint({"surface": "bowl", "steps": 5}, 6)
