"""state_dict() after t steps, saved as JSON and loaded back, resumes the run with identical results."""

import json

import numpy as np
import pytest
import torch
from oracle import torch_loop

from optimizers import run
from optimizers.checkpoint import checkpoint, resume
from surfaces import get_surface

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


def test_no_checkpoint_after_the_budget_stopped_the_run():
    config = {"optimizer": "LBFGS", "steps": 100, "hparams": {"lr": 1e-4, "tolerance_grad": 0.0,
                                                              "tolerance_change": 0.0, "max_iter": 100,
                                                              "history_size": 1000}}
    stopped = run(config).stopped_at  # the first step not computed
    assert checkpoint(config, stopped - 1)["step"] == stopped - 1
    with pytest.raises(ValueError, match="stopped after step"):
        checkpoint(config, stopped)  # it returned step stopped - 1's state labelled as this step


def _json(value):
    return json.loads(json.dumps(value))


def test_multistep_lr_resumes_like_an_uninterrupted_torch_loop():
    """Issue 12: milestones came back from JSON as string keys, so the resumed run never dropped its lr."""
    import torch

    from surfaces import get_surface

    config = {"surface": "rosenbrock", "start": [-1.5, 2.0], "steps": 20, "optimizer": "SGD", "hparams": {"lr": 1e-3},
              "scheduler": "MultiStepLR", "scheduler_params": {"milestones": [10], "gamma": 0.1}}
    fn = get_surface("rosenbrock").fn
    p = torch.tensor([-1.5, 2.0], requires_grad=True)
    optimizer = torch.optim.SGD([p], lr=1e-3)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[10], gamma=0.1)
    xy = [p.detach().clone()]
    for _ in range(20):
        optimizer.zero_grad()
        fn(p).backward()
        optimizer.step()
        scheduler.step()
        xy.append(p.detach().clone())
    np.testing.assert_array_equal(resume(config, _json(checkpoint(config, 5))), torch.stack(xy[5:]).numpy())


def _same(a, b, path="state_dict"):
    """Equal in types and values, all the way down (tensors: dtype, shape and bits)."""
    assert type(a) is type(b), f"{path}: {type(a).__name__} vs {type(b).__name__}"
    if torch.is_tensor(a):
        assert a.dtype == b.dtype and torch.equal(a, b), path
    elif isinstance(a, dict):
        assert list(a) == list(b) and [type(k) for k in a] == [type(k) for k in b], path
        for k in a:
            _same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{i}]")
    else:
        assert a == b or (a != a and b != b), f"{path}: {a!r} vs {b!r}"


def _pairs():
    from optimizers import ConfigError, normalize_config
    from optimizers.schedulers import SCHEDULERS
    from optimizers.specs import OPTIMIZERS

    multistep_inside = {"schedulers": [{"name": "LinearLR", "params": {"start_factor": 0.5, "total_iters": 3}},
                                       {"name": "MultiStepLR", "params": {"milestones": [6], "gamma": 0.1}}],
                        "milestones": [3]}
    for optimizer in OPTIMIZERS:
        for scheduler, params in [(None, {}), *((s, {}) for s in SCHEDULERS), ("SequentialLR", multistep_inside)]:
            config = {"surface": "bowl", "start": [1.5, -1.0], "steps": 16, "optimizer": optimizer,
                      "hparams": {"lr": 0.01}, "scheduler": scheduler, "scheduler_params": params}
            try:
                normalize_config(config)
            except ConfigError:  # e.g. cycle_momentum on an optimizer without momentum
                continue
            yield pytest.param(config, id=f"{optimizer}-{scheduler}-{len(params)}")


@pytest.mark.parametrize("config", list(_pairs()))
def test_every_optimizer_and_scheduler_round_trips_through_json(config):
    from optimizers import normalize_config
    from optimizers.checkpoint import _step_member, load
    from optimizers.member import Member

    t = 8  # SequentialLR's inner MultiStepLR drops at 3 + 6 = 9: after the checkpoint
    original = Member(normalize_config(config), [config["start"]])
    _step_member(original, normalize_config(config), 0, t)
    _, member, step = load(config, _json(checkpoint(config, t)))
    assert step == t
    _same(member.optimizer.state_dict(), original.optimizer.state_dict())
    if original.scheduler is not None:
        _same(member.scheduler.state_dict(), original.scheduler.state_dict())
    resumed = resume(config, _json(checkpoint(config, t)))
    np.testing.assert_array_equal(resumed, run(config).xy[t:])
    full = normalize_config(config)  # and PyTorch's own uninterrupted loop, written by hand
    sched_params = dict(full["scheduler_params"])
    if full["scheduler"] == "OneCycleLR" and sched_params.get("total_steps") is None:
        sched_params["total_steps"] = full["steps"]
    xs, _, _ = torch_loop(get_surface("bowl").fn, config["start"], full["steps"], full["optimizer"], full["hparams"],
                          full["scheduler"], sched_params)
    np.testing.assert_allclose(resumed, xs[t:], rtol=1e-6, atol=1e-7)


LBFGS = {"surface": "rosenbrock", "steps": 20, "optimizer": "LBFGS"}


def _hostile(change):
    saved = _json(checkpoint(LBFGS, 3))
    change(saved)
    return saved


def _set(path, value):
    def change(saved):
        *keys, last = path
        target = saved
        for k in keys:
            target = target[k]
        target[last] = value
    return change


@pytest.mark.parametrize(("change", "field"), [
    (_set(["optimizer", "param_groups", 0, "max_iter"], 10**9), "max_iter"),
    (_set(["optimizer", "param_groups", 0, "max_eval"], 10**9), "max_eval"),
    (_set(["optimizer", "param_groups", 0, "tolerance_grad"], -1), "tolerance_grad"),
    (_set(["optimizer", "param_groups", 0, "tolerance_change"], -1), "tolerance_change"),
    (_set(["optimizer", "param_groups", 0, "lr"], "1"), "lr"),
    (_set(["optimizer", "param_groups", 0, "params"], [0, 1]), "params"),
    (_set(["optimizer", "param_groups", 0, "evil"], 1), "param_groups[0]"),
    (_set(["optimizer", "state", "0", "old_dirs"], [{"tensor": [1.0, 2.0], "dtype": "float32"}] * 1001), "old_dirs"),
    (_set(["optimizer", "state", "0", "d"], {"tensor": [0.0] * 1000, "dtype": "float32"}), "d"),
    (_set(["optimizer", "state", "0", "d"], {"tensor": [0.0, 0.0], "dtype": "float64"}), "d"),
    (_set(["optimizer", "state", "0", "n_iter"], 1e300), "n_iter"),
    (_set(["optimizer", "state", "0", "evil"], 1), "optimizer.state.0"),
    (_set(["optimizer", "state", "7"], {}), "optimizer.state"),
    (_set(["step"], 10**9), "step"),
    (_set(["param"], [1.0, "x"]), "param"),
    (_set(["optimizer"], []), "optimizer"),
])
def test_a_hostile_state_dict_is_refused_naming_the_field(change, field):
    from optimizers import ConfigError

    with pytest.raises(ConfigError) as info:
        resume(LBFGS, _hostile(change))
    english, chinese = info.value.message("en"), info.value.message("zh")
    assert field in english and field in chinese and "state_dict" in english


def test_param_groups_within_the_schema_but_over_the_budget_are_refused():
    from optimizers import ConfigError

    change = _set(["optimizer", "param_groups", 0, "max_iter"], 1000)
    with pytest.raises(ConfigError, match="too big"):
        resume(LBFGS, _hostile(lambda s: (change(s), s["optimizer"]["param_groups"][0].update(
            max_eval=10_000, history_size=1000, tolerance_grad=0.0, tolerance_change=0.0))))


def test_a_scheduler_state_of_another_scheduler_is_refused():
    from optimizers import ConfigError

    config = {**LBFGS, "optimizer": "SGD", "scheduler": "MultiStepLR", "scheduler_params": {"milestones": [10]}}
    saved = _json(checkpoint(config, 3))
    saved["scheduler"] = {"T_max": 5}
    with pytest.raises(ConfigError, match="scheduler"):
        resume(config, saved)
