"""The numpy replay of every update rule equals torch's recorded state and update at every step."""

import numpy as np
import pytest

from optimizers.engine import run
from optimizers.explain import RULES, explain

BOWL = ("bowl", {"condition": 10, "rotation": 30})
ROSENBROCK = ("rosenbrock", {})

CASES = {
    "SGD-plain": ("SGD", {"lr": 0.01}),
    "SGD-momentum": ("SGD", {"lr": 0.01, "momentum": 0.9}),
    "SGD-dampening": ("SGD", {"lr": 0.01, "momentum": 0.9, "dampening": 0.3}),
    "SGD-nesterov": ("SGD", {"lr": 0.01, "momentum": 0.9, "nesterov": True}),
    "SGD-weight_decay": ("SGD", {"lr": 0.01, "momentum": 0.5, "weight_decay": 0.1}),
    "SGD-maximize": ("SGD", {"lr": 0.001, "maximize": True}),
    "Adagrad": ("Adagrad", {"lr": 0.05}),
    "Adagrad-lr_decay": ("Adagrad", {"lr": 0.05, "lr_decay": 0.01, "weight_decay": 0.1,
                                     "initial_accumulator_value": 0.5, "eps": 1e-6}),
    "RMSprop": ("RMSprop", {"lr": 0.01}),
    "RMSprop-centered-momentum": ("RMSprop", {"lr": 0.005, "alpha": 0.9, "momentum": 0.5, "centered": True,
                                              "weight_decay": 0.1, "eps": 1e-6}),
    "Adam": ("Adam", {"lr": 0.05}),
    "Adam-amsgrad": ("Adam", {"lr": 0.05, "amsgrad": True, "betas": [0.8, 0.99]}),
    "Adam-weight_decay": ("Adam", {"lr": 0.05, "weight_decay": 0.1}),
    "Adam-decoupled": ("Adam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    "Adam-maximize": ("Adam", {"lr": 0.01, "maximize": True}),
    "AdamW": ("AdamW", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}),
    "Adamax": ("Adamax", {"lr": 0.05, "weight_decay": 0.1}),
    "NAdam": ("NAdam", {"lr": 0.05, "momentum_decay": 0.01}),
    "NAdam-decoupled": ("NAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    "NAdam-weight_decay": ("NAdam", {"lr": 0.05, "weight_decay": 0.1, "maximize": True}),
    "RAdam": ("RAdam", {"lr": 0.05}),
    "RAdam-decoupled": ("RAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    "RAdam-weight_decay": ("RAdam", {"lr": 0.05, "weight_decay": 0.1, "betas": [0.8, 0.9]}),
    "Adadelta": ("Adadelta", {"lr": 1.0}),
    "Adadelta-rho": ("Adadelta", {"lr": 0.5, "rho": 0.5, "eps": 1e-4, "weight_decay": 0.1}),
    "ASGD": ("ASGD", {"lr": 0.005}),
    "ASGD-t0": ("ASGD", {"lr": 0.005, "t0": 5, "lambd": 0.01, "alpha": 0.5, "weight_decay": 0.1}),
    "Rprop": ("Rprop", {"lr": 0.01}),
    "Rprop-etas": ("Rprop", {"lr": 0.05, "etas": [0.3, 1.5], "step_sizes": [1e-3, 0.2], "maximize": True}),
}

STEPS = 15


def _config(name: str, surface: tuple, dtype: str, **extra) -> dict:
    optimizer, hparams = CASES[name]
    steps = 20 if optimizer == "RAdam" else STEPS  # rho_t > 5 from step 6 on (β₂ = 0.999)
    if surface[0] == "rosenbrock" and optimizer in ("SGD", "ASGD", "RAdam"):  # gradients of ~100 there
        hparams = {**hparams, "lr": hparams["lr"] * (0.01 if optimizer == "RAdam" else 0.05)}
    return {"optimizer": optimizer, "hparams": hparams, "surface": surface[0], "surface_params": surface[1],
            "steps": steps, "dtype": dtype, **extra}


def _assert_matches(traj) -> None:
    """explain(traj) reproduces every recorded update and state entry of every step.

    float64 runs: rtol 1e-9.  float32 runs: rtol 1e-5, and an absolute floor that allows for float32
    rounding: Δθ = xy[t+1] − xy[t] is rounded to the spacing of the positions, and a running average
    (momentum, exp_avg) that cancels down from values of size S carries torch's float32 error of ~S·1e-7.
    """
    float64 = traj.config["dtype"] == "float64"
    rtol, floor, carried = (1e-9, 1e-12, 1e-12) if float64 else (1e-5, 1e-7, 4e-6)
    spacing = 2 * np.spacing(np.abs(traj.xy).astype(traj.xy.dtype)).max()
    steps = explain(traj)
    assert len(steps) == traj.steps
    assert np.isfinite(traj.xy).all()
    for s in steps:
        past = slice(0, s.t + 1)
        atol = floor + spacing + carried * np.abs(traj.update[past]).max()
        np.testing.assert_allclose(s.quantities["update"], traj.update[s.t], rtol=rtol, atol=atol,
                                   err_msg=f"update at step {s.t}")
        assert set(traj.state) <= set(s.state_after), (set(traj.state), set(s.state_after))
        for key, recorded in traj.state.items():
            atol = floor + carried * np.abs(recorded[past]).max()
            np.testing.assert_allclose(s.state_after[key], recorded[s.t], rtol=rtol, atol=atol,
                                       err_msg=f"state {key!r} at step {s.t}")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("surface", [BOWL, ROSENBROCK], ids=["bowl", "rosenbrock"])
@pytest.mark.parametrize("name", list(CASES))
def test_explain_matches_torch(name, surface, dtype):
    _assert_matches(run(_config(name, surface, dtype)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["SGD-momentum", "Adam", "NAdam", "RAdam", "ASGD-t0", "Adagrad-lr_decay",
                                  "RMSprop-centered-momentum", "Adadelta", "Rprop"])
def test_explain_with_scheduler(name, dtype):
    _assert_matches(run(_config(name, BOWL, dtype, scheduler="StepLR", scheduler_params={"step_size": 4,
                                                                                          "gamma": 0.5})))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["SGD-nesterov", "Adam-decoupled", "NAdam", "ASGD", "Rprop", "AdamW"])
def test_explain_with_lr_multipliers(name, dtype):
    traj = run(_config(name, ROSENBROCK, dtype, lr_multipliers=[1, 0.5]))
    assert traj.group_lr.shape == (traj.steps, 2)
    _assert_matches(traj)


def test_radam_crosses_the_rectification_threshold():
    steps = explain(run(_config("RAdam", BOWL, "float64")))
    rectified = [bool(s.quantities["rectified"].all()) for s in steps]
    assert not rectified[0] and rectified[-1]


def test_every_rule_names_the_update_and_the_used_gradient():
    assert set(RULES) == {"SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "Adamax", "NAdam", "RAdam",
                          "Adadelta", "ASGD", "Rprop"}
    for name in RULES:
        case = next(k for k, v in CASES.items() if v[0] == name)
        first = explain(run(_config(case, BOWL, "float64")))[0]
        assert {"g", "update", "step_size", "lr"} <= set(first.quantities)
        assert all(v.shape == (2,) for v in first.quantities.values())


def test_adam_quantities_substitute_into_the_rule():
    traj = run(_config("Adam", BOWL, "float64"))
    for s in explain(traj):
        q = s.quantities
        np.testing.assert_allclose(q["step_size"], q["lr"] / (np.sqrt(q["v_hat"]) + 1e-8))
        np.testing.assert_allclose(q["update"], -q["step_size"] * q["m_hat"])
        np.testing.assert_allclose(q["g"], traj.grad[s.t])


def test_unsupported_optimizer_is_refused():
    with pytest.raises(ValueError, match="LBFGS"):
        explain(run({"optimizer": "LBFGS", "surface": "bowl", "steps": 2}))


def test_several_starts_are_explained_row_by_row():
    traj = run({**_config("Adam", BOWL, "float64"), "start": [[-1.0, 1.0], [0.5, 2.0]]})
    steps = explain(traj)
    for s in steps:
        np.testing.assert_allclose(s.quantities["update"], traj.update[s.t], rtol=1e-9, atol=1e-12)
