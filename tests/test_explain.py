"""The numpy replay of every update rule equals torch's recorded state and update at every step."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from optimizers.engine import run
from optimizers.explain import explain, hparams_at, scheduled_hparams
from optimizers.specs import EXPLAINED
from surfaces import get_surface

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
    """explain(traj) reproduces every recorded update and state entry of every step."""
    _assert_replays(explain(traj), traj.xy, traj.state, traj.config["dtype"])


def _assert_replays(steps, xy: np.ndarray, state: dict[str, np.ndarray], dtype: str) -> None:
    """The replayed `steps` equal torch's positions `xy` (their differences: Δθ) and `state` at every step.

    float64 runs: rtol 1e-9.  float32 runs: rtol 1e-5, and an absolute floor that allows for float32
    rounding: Δθ = xy[t+1] − xy[t] is rounded to the spacing of the positions, and a running average
    (momentum, exp_avg) that cancels down from values of size S carries torch's float32 error of ~S·1e-7.
    """
    float64 = dtype == "float64"
    rtol, floor, carried = (1e-9, 1e-12, 1e-12) if float64 else (1e-5, 1e-7, 4e-6)
    spacing = 2 * np.spacing(np.abs(xy).astype(xy.dtype)).max()
    update = np.diff(xy, axis=0)
    assert len(steps) == len(update)
    assert np.isfinite(xy).all()
    for s in steps:
        past = slice(0, s.t + 1)
        atol = floor + spacing + carried * np.abs(update[past]).max()
        np.testing.assert_allclose(s.quantities["update"], update[s.t], rtol=rtol, atol=atol,
                                   err_msg=f"update at step {s.t}")
        assert set(state) <= set(s.state_after), (set(state), set(s.state_after))
        for key, recorded in state.items():
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
    assert set(EXPLAINED) == {"SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "Adamax", "NAdam", "RAdam",
                          "Adadelta", "ASGD", "Rprop"}
    for name in EXPLAINED:
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


# ---- hyperparameters a scheduler changes (OneCycleLR, CyclicLR: momentum or β₁), against plain torch loops ----

CYCLIC = {"base_lr": 0.001, "max_lr": 0.01, "step_size_up": 10}
CYCLED = {  # (optimizer, hparams, scheduler, its parameters): how far the fixed-hyperparameter replay was off
    "SGD-momentum-OneCycleLR": ("SGD", {"lr": 0.01, "momentum": 0.9}, "OneCycleLR", {"max_lr": 0.1}),  # 82 %
    "SGD-CyclicLR": ("SGD", {"lr": 0.01}, "CyclicLR", CYCLIC),  # ~400 %: CyclicLR sets momentum 0.9
    "Adam-OneCycleLR": ("Adam", {"lr": 0.05}, "OneCycleLR", {"max_lr": 0.1}),  # 45 %
    "NAdam-OneCycleLR": ("NAdam", {"lr": 0.05}, "OneCycleLR", {"max_lr": 0.1}),  # 3.8 %
    "RMSprop-CyclicLR": ("RMSprop", {"lr": 0.01}, "CyclicLR", CYCLIC),  # 77 %
    "Adam-no-scheduler": ("Adam", {"lr": 0.05}, None, {}),
    "SGD-momentum-no-scheduler": ("SGD", {"lr": 0.01, "momentum": 0.9}, None, {}),
}
CYCLED_STEPS = 40
START = [-2.5, 2.0]


def torch_loop(optimizer: str, hparams: dict, scheduler: str | None, params: dict, steps: int, dtype: str,
               surface: tuple = BOWL, start=START) -> dict:
    """The documented loop, written out with torch alone: zero_grad, backward, step, scheduler.step().

    Returns the positions (steps + 1, 2), the state after each step and, per step, the group's momentum
    and β₁ as the optimizer held them when it stepped."""
    fn = get_surface(*surface).fn
    p = torch.tensor(start, dtype=getattr(torch, dtype), requires_grad=True)
    opt = getattr(torch.optim, optimizer)([p], **hparams)
    extra = {"total_steps": steps} if scheduler == "OneCycleLR" else {}
    sched = None if scheduler is None else getattr(torch.optim.lr_scheduler, scheduler)(opt, **params, **extra)
    xy, state, used = [p.detach().clone().numpy()], {}, {"momentum": [], "beta1": [], "lr": []}
    for _ in range(steps):
        opt.zero_grad()
        fn(p).backward()
        group = opt.param_groups[0]
        used["momentum"].append(group.get("momentum", np.nan))
        used["beta1"].append(group["betas"][0] if "betas" in group else np.nan)
        used["lr"].append(group["lr"])
        opt.step()
        xy.append(p.detach().clone().numpy())
        for key, value in opt.state[p].items():
            value = value.detach().numpy() if torch.is_tensor(value) else np.asarray(value)
            state.setdefault(key, []).append(np.broadcast_to(value.astype(np.float64), (2,)))
        if sched is not None:
            sched.step()
    return {"xy": np.array(xy), "state": {k: np.array(v) for k, v in state.items() if k != "step"},
            "used": {k: np.array(v, dtype=float) for k, v in used.items()}}


def _cycled_config(name: str, dtype: str) -> dict:
    optimizer, hparams, scheduler, params = CYCLED[name]
    return {"optimizer": optimizer, "hparams": hparams, "scheduler": scheduler, "scheduler_params": params,
            "surface": BOWL[0], "surface_params": BOWL[1], "start": START, "steps": CYCLED_STEPS, "dtype": dtype}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(CYCLED))
def test_replay_steps_with_the_hyperparameters_torch_stepped_with(name, dtype):
    optimizer, hparams, scheduler, params = CYCLED[name]
    torch_run = torch_loop(optimizer, hparams, scheduler, params, CYCLED_STEPS, dtype)
    traj = run(_cycled_config(name, dtype))
    np.testing.assert_array_equal(traj.xy, torch_run["xy"])  # the engine is that loop
    _assert_replays(explain(traj), torch_run["xy"], torch_run["state"], dtype)  # the replay is torch, step by step

    momentum, beta1 = torch_run["used"]["momentum"], torch_run["used"]["beta1"]
    if scheduler is None:
        assert traj.hparams_used == {}
        assert all(hparams_at(traj, t) == (traj.config["hparams"],) for t in range(traj.steps))
        return
    if optimizer in ("SGD", "RMSprop"):
        np.testing.assert_array_equal(traj.hparams_used["momentum"][:, 0], momentum)
        assert set(traj.hparams_used) == {"momentum"}
        assert len(set(momentum)) > 2 and not np.isclose(momentum, hparams.get("momentum", 0)).all()
        assert [hparams_at(traj, t)[0]["momentum"] for t in range(traj.steps)] == list(momentum)
        assert scheduled_hparams(traj, 5) == {"momentum": (momentum[5], traj.config["hparams"]["momentum"])}
    else:
        np.testing.assert_array_equal(traj.hparams_used["betas"][:, 0, 0], beta1)
        np.testing.assert_array_equal(traj.hparams_used["betas"][:, 0, 1], 0.999)
        assert len(set(beta1)) > 2
        assert [hparams_at(traj, t)[0]["betas"] for t in range(traj.steps)] == [(b, 0.999) for b in beta1]


def test_the_fixed_hyperparameters_were_far_off():
    """What the replay computed before it read the per-step hyperparameters: SGD + OneCycleLR 82 % off."""
    traj = run(_cycled_config("SGD-momentum-OneCycleLR", "float64"))
    fixed = explain(SimpleNamespace(**{k: getattr(traj, k) for k in ("config", "xy", "grad", "group_lr", "steps")},
                                    hparams_used={}))
    off = np.abs(np.array([s.quantities["update"] for s in fixed]) - traj.update).max() / np.abs(traj.update).max()
    assert off > 0.1
    assert np.abs(np.array([s.quantities["update"] for s in explain(traj)]) - traj.update).max() < 1e-12


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("optimizer", ["SGD", "RMSprop"])
def test_a_momentum_cycled_down_to_zero_keeps_its_buffer(optimizer, dtype):
    """CyclicLR with base_momentum 0: at the peak torch steps without momentum and leaves the buffer alone."""
    params = {**CYCLIC, "step_size_up": 5, "base_momentum": 0.0, "max_momentum": 0.9}
    torch_run = torch_loop(optimizer, {"lr": 0.01, "momentum": 0.5}, "CyclicLR", params, 20, dtype)
    assert (torch_run["used"]["momentum"] == 0).any()
    traj = run({"optimizer": optimizer, "hparams": {"lr": 0.01, "momentum": 0.5}, "scheduler": "CyclicLR",
                "scheduler_params": params, "surface": BOWL[0], "surface_params": BOWL[1], "start": START,
                "steps": 20, "dtype": dtype})
    _assert_replays(explain(traj), torch_run["xy"], torch_run["state"], dtype)
    _assert_matches(traj)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_groups_with_their_own_cycled_momentum(dtype):
    """Two parameter groups (x, y) cycled between their own momenta: each coordinate replays with its group's.

    The app's groups always share their momentum; this is torch's general case, from a loop written out."""
    fn = get_surface(*BOWL).fn
    x, y = (torch.tensor([v], dtype=getattr(torch, dtype), requires_grad=True) for v in START)
    opt = torch.optim.SGD([{"params": [x]}, {"params": [y], "lr": 0.02}], lr=0.01, momentum=0.9)
    sched = torch.optim.lr_scheduler.CyclicLR(opt, base_lr=[0.001, 0.002], max_lr=[0.01, 0.02], step_size_up=5,
                                              base_momentum=[0.5, 0.0], max_momentum=[0.9, 0.6])
    xy, grad, lr, momentum, buf = [[START[0], START[1]]], [], [], [], []
    for _ in range(20):
        opt.zero_grad()
        fn(torch.cat([x, y])).backward()
        grad.append([x.grad.item(), y.grad.item()])
        lr.append([g["lr"] for g in opt.param_groups])
        momentum.append([g["momentum"] for g in opt.param_groups])
        opt.step()
        xy.append([x.item(), y.item()])
        buf.append([opt.state[x]["momentum_buffer"].item(), opt.state[y]["momentum_buffer"].item()])
        sched.step()
    hparams = {"lr": 0.01, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False,
               "maximize": False}
    traj = SimpleNamespace(config={"optimizer": "SGD", "hparams": hparams}, steps=20,
                           xy=np.array(xy, dtype=getattr(np, dtype)), grad=np.array(grad), group_lr=np.array(lr),
                           hparams_used={"momentum": np.array(momentum)})
    steps = explain(traj)
    assert steps[7].hparams[0]["momentum"] != steps[7].hparams[1]["momentum"]
    _assert_replays(steps, traj.xy, {"momentum_buffer": np.array(buf)}, dtype)


@pytest.mark.parametrize("scheduler", ["OneCycleLR", "CyclicLR"])
def test_cycled_betas_with_lr_multipliers(scheduler):
    params = {"max_lr": 0.1} if scheduler == "OneCycleLR" else CYCLIC
    traj = run({**_config("Adam", ROSENBROCK, "float64", lr_multipliers=[1, 0.5]), "scheduler": scheduler,
                "scheduler_params": params})
    assert traj.hparams_used["betas"].shape == (traj.steps, 2, 2)
    _assert_matches(traj)


def test_nadam_at_lr_zero_moves_nothing():
    for extra in ({"hparams": {"lr": 0.0}}, {"hparams": {"lr": 0.05}, "scheduler": "PolynomialLR",
                                             "scheduler_params": {"total_iters": 3}}):
        traj = run({"optimizer": "NAdam", "surface": "bowl", "steps": 8, "dtype": "float64", **extra})
        steps = explain(traj)
        for s in steps:
            if traj.lr[s.t] == 0:
                assert (s.quantities["update"] == 0).all() and (traj.update[s.t] == 0).all()
            assert np.isfinite(s.quantities["m_hat"]).all()
        _assert_matches(traj)
