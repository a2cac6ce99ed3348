"""Schemas: torch's defaults, enforced ranges, and the registries' coverage of torch."""

import inspect
from unittest.mock import patch

import pytest
import torch
from torch.optim import lr_scheduler

from optimizers import OPTIMIZERS, PRESETS, SCHEDULERS, ConfigError, lr_curve, normalize_config
from optimizers.schedulers import validate_scheduler
from pagestate.runs import scheduler_state
from surfaces import SURFACES

INTERNAL = {"self", "params", "optimizer", "foreach", "differentiable", "fused", "capturable", "last_epoch",
            "verbose"}


def torch_defaults(cls):
    return {k: p.default for k, p in inspect.signature(cls.__init__).parameters.items() if k not in INTERNAL}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_defaults_equal_torch(name):
    spec = OPTIMIZERS[name]
    torch_side = torch_defaults(spec.cls)
    assert set(torch_side) == {p.key for p in spec.params}  # every user-facing keyword is exposed
    for p in spec.params:
        assert p.default == torch_side[p.key], p.key
        assert p.help_text("en") and p.help_text("zh") != p.help_text("en")


SKIPPED_SCHEDULER_KEYWORDS = {
    "OneCycleLR": {"epochs", "steps_per_epoch"},  # total_steps says the same
    "CyclicLR": {"scale_fn"},                     # a Python callable: no place in a JSON config
    "SequentialLR": {"schedulers"},               # validated on its own (a list of child configs)
}


@pytest.mark.parametrize("name", SCHEDULERS)
def test_scheduler_defaults_equal_torch(name):
    spec = SCHEDULERS[name]
    torch_side = torch_defaults(spec.cls)
    assert set(torch_side) - SKIPPED_SCHEDULER_KEYWORDS.get(name, set()) == {p.key for p in spec.params}
    for p in spec.params:
        expected = torch_side[p.key]
        if expected is inspect.Parameter.empty:
            assert p.required and p.suggest is not None, p.key  # torch has no default: we suggest one
        else:
            assert p.default == expected and not p.required, p.key


def test_every_torch_optimizer_for_vectors_is_registered():
    torch_side = {n for n, c in vars(torch.optim).items()
                  if isinstance(c, type) and issubclass(c, torch.optim.Optimizer) and c is not torch.optim.Optimizer}
    not_for_a_2_vector = {"SparseAdam", "Muon"}  # sparse gradients only / 2-D matrices only
    assert torch_side - not_for_a_2_vector - set(OPTIMIZERS) == set()


FLAGS_WITH_STATE = {"SGD": {"momentum": 0.9}, "RMSprop": {"momentum": 0.9, "centered": True},
                    "Adam": {"amsgrad": True}, "AdamW": {"amsgrad": True}}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_declared_state_is_torchs(name):
    """Each optimizer's typed state holds torch's entries under torch's names, in torch's order (LBFGS: the
    entries it shows)."""
    spec = OPTIMIZERS[name]
    p = torch.tensor([1.0, -2.0], requires_grad=True)
    opt = spec.cls([p], **FLAGS_WITH_STATE.get(name, {}))

    def closure():
        opt.zero_grad()
        loss = (p ** 2).sum()
        loss.backward()
        return loss

    for _ in range(2):
        opt.step(closure)
    if spec.closure:
        assert set(spec.state.names()) <= set(opt.state[p])
    else:
        assert spec.state.names() == list(opt.state[p])


def test_presets_are_hyperparameters_of_real_classes():
    for name, (base, hparams) in PRESETS.items():
        config = normalize_config({"optimizer": name})
        assert config["optimizer"] == base
        assert all(config["hparams"][k] == v for k, v in hparams.items())


def _outside(p):
    """Values just outside each bound of a Param."""
    out = []
    if p.low is not None:
        out.append(p.low if p.open_low else p.low - (1 if p.kind == "int" else 1e-3))
    if p.high is not None:
        out.append(p.high if p.open_high else p.high + (1 if p.kind == "int" else 1e-3))
    return out


OPTIMIZER_BOUNDS = [(name, p, v) for name, s in OPTIMIZERS.items() for p in s.params for v in _outside(p)]


@pytest.mark.parametrize(("name", "param", "value"), OPTIMIZER_BOUNDS,
                         ids=[f"{n}.{p.key}={v}" for n, p, v in OPTIMIZER_BOUNDS])
def test_optimizer_bounds_are_enforced(name, param, value):
    value = [value, value] if param.kind == "pair" else value
    with pytest.raises(ConfigError, match=param.key):
        normalize_config({"optimizer": name, "hparams": {param.key: value}})


SCHEDULER_BOUNDS = [(name, p, v) for name, s in SCHEDULERS.items() for p in s.params for v in _outside(p)
                    if p.kind in ("float", "int")]


@pytest.mark.parametrize(("name", "param", "value"), SCHEDULER_BOUNDS,
                         ids=[f"{n}.{p.key}={v}" for n, p, v in SCHEDULER_BOUNDS])
def test_scheduler_bounds_are_enforced(name, param, value):
    with pytest.raises(ConfigError, match=param.key):
        lr_curve(name, {param.key: value}, 20, losses=[1.0] * 20)


SURFACE_BOUNDS = [(key, p, v) for key, s in SURFACES.items() for p in s.params for v in _outside(p)
                  if p.kind == "float"]


@pytest.mark.parametrize(("key", "param", "value"), SURFACE_BOUNDS,
                         ids=[f"{k}.{p.key}={v}" for k, p, v in SURFACE_BOUNDS])
def test_surface_bounds_are_enforced(key, param, value):
    with pytest.raises(ConfigError, match=param.key):
        normalize_config({"surface": key, "surface_params": {param.key: value}})


@pytest.mark.parametrize("bad", ["0.1", True, None, float("inf"), float("nan"), [0.1], {"x": 1}])
def test_wrong_types_are_refused(bad):
    with pytest.raises(ConfigError, match="lr"):
        normalize_config({"optimizer": "SGD", "hparams": {"lr": bad}})


def test_unknown_hyperparameter_lists_the_valid_ones():
    with pytest.raises(ConfigError) as info:
        normalize_config({"optimizer": "SGD", "hparams": {"beta": 0.9}})
    assert "momentum" in str(info.value) and "nesterov" in str(info.value)


def test_normalized_config_is_stable_and_json_able():
    import json
    config = normalize_config({"optimizer": "AMSGrad", "scheduler": "SequentialLR"})
    assert normalize_config(json.loads(json.dumps(config))) == config


def test_help_and_summaries_exist_in_both_languages():
    for spec in [*OPTIMIZERS.values(), *SCHEDULERS.values()]:
        assert spec.summary("en") and spec.summary("zh") != spec.summary("en")
        for p in spec.params:
            assert p.help_text("en") and p.help_text("zh") != p.help_text("en")
    for spec in SURFACES.values():
        assert spec.name("zh") != spec.name("en") and spec.description("zh") != spec.description("en")


@pytest.mark.parametrize("name", [n for n in SCHEDULERS if n != "ReduceLROnPlateau"])
def test_lr_curve_equals_a_torch_loop(name):
    curve = lr_curve(name, {}, 60, base_lr=0.1)
    params = normalize_config({"scheduler": name, "steps": 60, "hparams": {"lr": 0.1}, "optimizer": "SGD"})
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    kwargs = dict(params["scheduler_params"])
    if name == "SequentialLR":
        chain = [getattr(lr_scheduler, c["name"])(opt, **c["params"]) for c in kwargs.pop("schedulers")]
        sched = lr_scheduler.SequentialLR(opt, chain, **kwargs)
    else:
        if name == "OneCycleLR":
            kwargs["total_steps"] = 60
        sched = getattr(lr_scheduler, name)(opt, **kwargs)
    expected = []
    for _ in range(60):
        expected.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert curve.tolist() == pytest.approx(expected, rel=1e-12)


def test_plateau_curve_reacts_to_the_loss():
    losses = [1.0] * 5 + [0.5] * 30
    curve = lr_curve("ReduceLROnPlateau", {"patience": 3, "factor": 0.5}, 35, base_lr=0.1, losses=losses)
    assert curve[0] == 0.1 and curve[-1] < 0.1
    with pytest.raises(ConfigError, match="loss"):
        lr_curve("ReduceLROnPlateau", {}, 10)


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_defaults_pass_every_rule(scheduler):
    """torch's defaults (and our suggestions) are valid for every optimizer and run length; the only refusal
    is torch's own: cycling momentum on an optimizer that has none."""
    for name, spec in OPTIMIZERS.items():
        cycles = {"momentum", "betas"} & {p.key for p in spec.params}
        for steps in (1, 2, 10, 500, 10_000):
            try:
                with patch("optimizers.budget.check"):  # what a run may cost is the budget's test
                    normalize_config({"optimizer": name, "scheduler": scheduler, "steps": steps})
            except ConfigError as err:
                assert err.key == "cycle_momentum" and not cycles, str(err)


@pytest.mark.parametrize(("name", "params", "key"), [
    ("StepLR", {"step_size": 1, "gamma": 1.5}, "gamma"), ("MultiStepLR", {"milestones": [1, 2, 3], "gamma": 10}, None),
    ("ExponentialLR", {"gamma": 1.1}, "gamma"), ("CyclicLR", {"mode": "exp_range", "gamma": 1.1}, "gamma"),
    ("OneCycleLR", {"max_lr": 1.0, "div_factor": 1e-4}, "div_factor"),
    ("OneCycleLR", {"max_lr": 1e-5, "div_factor": 1e6, "final_div_factor": 1e9}, None)])
def test_a_schedule_keeps_the_learning_rate_a_learning_rate(name, params, key):
    """Refused exactly when some step's learning rate would pass 1000, the `lr` field's bound."""
    if key is None:
        assert 0 < lr_curve(name, params, 200, base_lr=1.0).max() <= 1000
        return
    with pytest.raises(ConfigError, match=rf"{name}\.{key}: the learning rate would reach") as info:
        lr_curve(name, params, 200, base_lr=1.0)
    assert info.value.key == key
    if name != "OneCycleLR":  # growth: a shorter run stays below, and is allowed
        assert lr_curve(name, params, 20, base_lr=1e-3).max() <= 1000


@pytest.mark.parametrize("steps", [1, 5, 9, 10, 37, 500])
def test_sequential_lr_has_one_default_warm_up(steps):
    """The engine's default chain, the link layer's and the run editor's seeds are one warm-up (at 5 steps the
    engine's LinearLR had total_iters 0 while the link's had 1)."""
    context = {"steps": steps, "lr": 0.1}
    _, engine = validate_scheduler("SequentialLR", {}, context)
    link = scheduler_state("SequentialLR", {}, context, [], "")
    assert engine["schedulers"][0] == link["schedulers"][0] and engine["milestones"] == link["milestones"]
    assert engine["schedulers"][0]["params"]["total_iters"] == engine["milestones"][0] == max(1, steps // 10)
