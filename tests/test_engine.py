"""The engine against PyTorch itself: every optimizer, scheduler and option vs a hand-written loop."""

import numpy as np
import pytest
import torch
from oracle import minibatch_loop, torch_loop

from optimizers import PRESETS, ConfigError, run, run_many
from optimizers.engine import first_steps
from surfaces import get_surface
from surfaces.regression import COURSE_START, COURSE_X, COURSE_Y

SURFACES = [  # (key, params, start)
    ("rosenbrock", {}, [-1.5, 2.0]),
    ("himmelblau", {}, [0.5, -0.5]),
    ("bowl", {"condition": 20.0, "rotation": 30.0}, [-2.5, 2.0]),
    ("linear_regression", {}, list(COURSE_START)),
]
OPTIMIZERS = [  # (name as a user gives it, hparams)
    ("SGD", {"lr": 1e-3}),
    ("SGD", {"lr": 1e-3, "momentum": 0.5, "dampening": 0.3, "weight_decay": 0.1}),
    ("SGD", {"lr": 1e-5, "maximize": True}),
    ("Adam", {"lr": 0.01, "maximize": True}),
    ("Momentum", {"lr": 1e-3}),
    ("Nesterov", {"lr": 1e-3}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.005, "momentum": 0.5, "centered": True, "weight_decay": 0.01}),
    ("Adam", {"lr": 0.05}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AMSGrad", {"lr": 0.05}),
    ("AdamW", {"lr": 0.05}),
    ("Adamax", {}),
    ("NAdam", {"lr": 0.05}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {"lr": 1e-3}),
    ("Adadelta", {}),
    ("ASGD", {"lr": 1e-3, "t0": 10.0}),
    ("Rprop", {"lr": 0.01}),
    ("Adafactor", {"lr": 0.05}),
    ("Adafactor", {"lr": 0.05, "eps": [1e-6, 1e-2], "d": 2.0, "weight_decay": 0.01}),
    ("LBFGS", {"lr": 0.5, "max_iter": 5}),
    ("LBFGS", {"line_search_fn": "strong_wolfe"}),
]
VARIANTS = {  # extra config keys -> the oracle's keyword arguments
    "plain": ({}, {}),
    "StepLR": ({"scheduler": "StepLR", "scheduler_params": {"step_size": 10, "gamma": 0.5}},
               {"scheduler": "StepLR", "scheduler_params": {"step_size": 10, "gamma": 0.5}}),
    "clip_norm": ({"clip_grad_norm": 1.0}, {"clip_norm": 1.0}),
    "clip_value": ({"clip_grad_value": 0.5}, {"clip_value": 0.5}),
    "groups": ({"lr_multipliers": [1.0, 0.5]}, {"lr_multipliers": [1.0, 0.5]}),
}
STEPS = 40


def resolve(name, hparams):
    base, preset = PRESETS.get(name, (name, {}))
    return base, {**preset, **hparams}


def assert_same(traj, xs, losses, lrs):
    """Equal to the oracle; a diverged run equals it up to the first non-finite step."""
    k = traj.diverged_at
    if k is not None:
        assert not (np.isfinite(xs[k]).all() and np.isfinite(losses[k]))
        assert np.isnan(traj.xy[k + 1:]).all()
    end = None if k is None else k
    np.testing.assert_allclose(traj.xy[:end], xs[:end], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(traj.loss[:end], losses[:end], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(traj.lr[:end], lrs[:end, 0], rtol=1e-12)
    np.testing.assert_allclose(traj.group_lr[:end], lrs[:end], rtol=1e-12)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(("name", "hparams"), OPTIMIZERS, ids=lambda v: str(v) if isinstance(v, str) else "")
@pytest.mark.parametrize(("surface", "surface_params", "start"), SURFACES, ids=[s[0] for s in SURFACES])
def test_engine_equals_torch_loop(surface, surface_params, start, name, hparams, variant):
    extra, oracle_kwargs = VARIANTS[variant]
    base, full = resolve(name, hparams)
    if base == "LBFGS" and variant == "groups":
        pytest.skip("LBFGS has no parameter groups")
    traj = run({"surface": surface, "surface_params": surface_params, "start": start, "steps": STEPS,
                "optimizer": name, "hparams": hparams, **extra})
    fn = get_surface(surface, surface_params).fn
    assert traj.diverged_at is None or base == "LBFGS"  # LBFGS on clipped gradients may blow up, as in torch
    assert_same(traj, *torch_loop(fn, start, STEPS, base, full, **oracle_kwargs))


SCHEDULERS = [
    ("StepLR", {"step_size": 7, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [5, 15], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 10, "eta_min": 1e-4}),
    ("CosineAnnealingWarmRestarts", {"T_0": 5, "T_mult": 2}),
    ("LinearLR", {"start_factor": 0.1, "total_iters": 10}),
    ("ConstantLR", {"factor": 0.5, "total_iters": 8}),
    ("PolynomialLR", {"total_iters": 20, "power": 2.0}),
    ("OneCycleLR", {"max_lr": 0.02, "total_steps": STEPS}),
    ("CyclicLR", {"base_lr": 0.001, "max_lr": 0.02, "step_size_up": 5}),
    ("ReduceLROnPlateau", {"patience": 2, "factor": 0.5}),
    ("SequentialLR", {"schedulers": [{"name": "LinearLR", "params": {"start_factor": 0.1, "total_iters": 5}},
                                     {"name": "CosineAnnealingLR", "params": {"T_max": 35}}],
                      "milestones": [5]}),
]


@pytest.mark.parametrize("groups", [None, [1.0, 2.0]])
@pytest.mark.parametrize("optimizer", ["Adam", "Momentum"])
@pytest.mark.parametrize(("scheduler", "params"), SCHEDULERS, ids=[s[0] for s in SCHEDULERS])
def test_every_scheduler_equals_torch_loop(scheduler, params, optimizer, groups):
    hparams = {"lr": 0.01}
    base, full = resolve(optimizer, hparams)
    oracle_params = params
    if groups and scheduler in ("OneCycleLR", "CyclicLR"):  # absolute LRs become one per group
        keys = {"OneCycleLR": ["max_lr"], "CyclicLR": ["base_lr", "max_lr"]}[scheduler]
        oracle_params = {**params, **{k: [params[k] * m for m in groups] for k in keys}}
    bowl = {"condition": 5.0, "rotation": 20.0}
    traj = run({"surface": "bowl", "surface_params": bowl, "start": [0.5, -0.5], "steps": STEPS,
                "optimizer": optimizer, "hparams": hparams, "scheduler": scheduler, "scheduler_params": params,
                "lr_multipliers": groups})
    fn = get_surface("bowl", bowl).fn
    xs, losses, lrs = torch_loop(fn, [0.5, -0.5], STEPS, base, full, scheduler, oracle_params,
                                 lr_multipliers=groups)
    assert traj.diverged_at is None
    assert_same(traj, xs, losses, lrs)


def test_lr_changes_when_a_scheduler_says_so():
    traj = run({"surface": "bowl", "steps": 30, "optimizer": "SGD", "hparams": {"lr": 0.1},
                "scheduler": "StepLR", "scheduler_params": {"step_size": 10, "gamma": 0.5}})
    assert list(traj.lr[[0, 9, 10, 19, 20]]) == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])


@pytest.mark.parametrize(("name", "hparams"), OPTIMIZERS, ids=lambda v: str(v) if isinstance(v, str) else "")
def test_batched_starts_equal_separate_runs(name, hparams):
    starts = [[-1.5, 2.0], [0.5, 0.5], [1.2, -0.3]]
    config = {"surface": "rosenbrock", "steps": 30, "optimizer": name, "hparams": hparams}
    together = run({**config, "start": starts})
    assert together.xy.shape == (31, 3, 2) and together.loss.shape == (31, 3)
    for i, start in enumerate(starts):
        alone = run({**config, "start": start})
        np.testing.assert_allclose(together.xy[:, i], alone.xy, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(together.loss[:, i], alone.loss, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(together.grad[:, i], alone.grad, rtol=1e-6, atol=1e-7)
        for key, values in alone.state.items():
            np.testing.assert_allclose(together.state[key][:, i], values, rtol=1e-6, atol=1e-7, err_msg=key)


@pytest.mark.parametrize("extra", [{"clip_grad_norm": 0.5}, {"scheduler": "ReduceLROnPlateau"}, {"batch_size": 4}])
def test_starts_that_cannot_share_a_tensor_still_equal_separate_runs(extra):
    surface = "linear_regression" if "batch_size" in extra else "himmelblau"
    starts = [[0.5, -0.5], [-1.0, 1.0]]
    config = {"surface": surface, "steps": 25, "optimizer": "Adam", "hparams": {"lr": 0.1}, **extra}
    together = run({**config, "start": starts})
    for i, start in enumerate(starts):
        np.testing.assert_allclose(together.xy[:, i], run({**config, "start": start}).xy, rtol=1e-6, atol=1e-7)


def test_run_many_equals_runs_one_by_one():
    configs = [{"surface": "rosenbrock", "steps": 50, "optimizer": o, "hparams": h} for o, h in OPTIMIZERS[::3]]
    configs.append({"surface": "bowl", "steps": 50, "optimizer": "Adam", "clip_grad_norm": 0.3})
    configs.append({"surface": "rosenbrock", "steps": 50, "optimizer": "Adam", "start": [[0.0, 0.0], [1.0, -1.0]]})
    for together, config in zip(run_many(configs), configs, strict=True):
        alone = run(config)
        np.testing.assert_array_equal(together.xy, alone.xy)
        np.testing.assert_array_equal(together.lr, alone.lr)


def test_run_many_steps_runs_of_different_lengths_each_to_its_own_end():
    base = {"surface": "linear_regression", "optimizer": "Adam", "batch_size": 4, "seed": 3,
            "scheduler": "CosineAnnealingLR"}
    configs = [{**base, "steps": steps, "hparams": {"lr": lr}} for steps, lr in ((7, 0.1), (40, 0.05), (23, 0.2))]
    configs.append({**base, "optimizer": "LBFGS", "steps": 5, "hparams": {"lr": 0.5}})
    for together, config in zip(run_many(configs), configs, strict=True):
        alone = run(config)
        assert together.xy.shape == alone.xy.shape == (config["steps"] + 1, 2)
        np.testing.assert_array_equal(together.xy, alone.xy)
        np.testing.assert_array_equal(together.lr, alone.lr)
        np.testing.assert_array_equal(together.batches, alone.batches)
        np.testing.assert_array_equal(together.epoch, alone.epoch)


@pytest.mark.parametrize(("batch_size", "seed", "optimizer"), [(1, 0, "SGD"), (4, 3, "SGD"), (5, 7, "Adam"),
                                                               (15, 1, "SGD")])
def test_minibatches_equal_a_seeded_dataloader_loop(batch_size, seed, optimizer):
    hparams = {"lr": 0.01}
    steps = 40
    traj = run({"surface": "linear_regression", "start": [0.0, 0.0], "steps": steps, "optimizer": optimizer,
                "hparams": hparams, "batch_size": batch_size, "seed": seed})
    xs = minibatch_loop(COURSE_X, COURSE_Y, [0.0, 0.0], steps, batch_size, seed, optimizer, hparams)
    np.testing.assert_allclose(traj.xy, xs, rtol=1e-6, atol=1e-7)
    per_epoch = -(-15 // batch_size)
    assert list(traj.epoch[:per_epoch + 1]) == [0] * per_epoch + [1]
    first_epoch = traj.batches[:per_epoch]
    assert sorted(first_epoch[first_epoch >= 0].tolist()) == list(range(15))  # one pass over the data


def test_batch_of_the_whole_dataset_equals_full_batch():
    config = {"surface": "linear_regression", "steps": 50, "optimizer": "SGD", "hparams": {"lr": 0.01}}
    np.testing.assert_allclose(run({**config, "batch_size": 15}).xy, run(config).xy, rtol=1e-5, atol=1e-6)


def test_minibatch_gradient_is_recorded_and_differs_from_full_gradient():
    traj = run({"surface": "linear_regression", "steps": 5, "optimizer": "SGD", "batch_size": 3, "seed": 2})
    surface = get_surface("linear_regression")
    for t in range(5):
        p = torch.tensor(traj.xy[t], requires_grad=True)
        idx = torch.tensor(traj.batches[t][traj.batches[t] >= 0])
        surface.batch_fn(p, idx).backward()
        np.testing.assert_allclose(traj.grad[t], p.grad.numpy(), rtol=1e-5)
    assert not np.allclose(traj.grad[0], _full_grad(surface, traj.xy[0]))


def _full_grad(surface, point):
    p = torch.tensor(point, requires_grad=True)
    surface.fn(p).backward()
    return p.grad.numpy()


def test_state_and_gradient_match_torch():
    traj = run({"surface": "bowl", "steps": 3, "optimizer": "Adam", "hparams": {"lr": 0.1}})
    p = torch.tensor(traj.xy[0], requires_grad=True)
    opt = torch.optim.Adam([p], lr=0.1)
    for t in range(3):
        opt.zero_grad()
        get_surface("bowl").fn(p).backward()
        np.testing.assert_allclose(traj.grad[t], p.grad.numpy(), rtol=1e-6)
        opt.step()
        for key in ("exp_avg", "exp_avg_sq"):
            np.testing.assert_allclose(traj.state[key][t], opt.state[p][key].numpy(), rtol=1e-6)
        assert traj.state["step"][t].tolist() == [t + 1, t + 1]
    np.testing.assert_allclose(np.abs(traj.update[0]), 0.1, rtol=1e-6)  # Adam's first step is lr per coordinate


def test_lbfgs_records_every_closure_evaluation():
    traj = run({"surface": "rosenbrock", "steps": 5, "optimizer": "LBFGS", "hparams": {"max_iter": 4}})
    assert traj.evals.sum() == len(traj.closure_xy) == len(traj.closure_loss)
    assert traj.evals.max() > 1
    assert list(traj.evals) == [int((traj.closure_step == t).sum()) for t in range(5)]
    converged = run({"surface": "bowl", "steps": 6, "optimizer": "LBFGS"})  # one evaluation per step once converged
    assert converged.evals[-1] == 1 and converged.evals.sum() == len(converged.closure_xy)
    for t in range(5):  # the first evaluation of each step is the step's starting point
        first = np.flatnonzero(traj.closure_step == t)[0]
        np.testing.assert_allclose(traj.closure_xy[first], traj.xy[t], rtol=1e-6)
        np.testing.assert_allclose(traj.closure_loss[first], traj.loss[t], rtol=1e-5)


def test_divergence_is_reported_not_raised():
    traj = run({"surface": "rosenbrock", "steps": 50, "optimizer": "SGD", "hparams": {"lr": 0.1}})
    k = traj.diverged_at
    assert k is not None and 0 < k < 50
    assert np.isfinite(traj.xy[:k]).all() and np.isfinite(traj.loss[:k]).all()
    assert np.isnan(traj.loss[k:]).all()


def test_divergence_per_start():
    traj = run({"surface": "bowl", "steps": 200, "optimizer": "SGD", "hparams": {"lr": 0.15},
                "surface_params": {"condition": 20.0}, "start": [[1.0, 0.0], [1.0, 1.0]]})
    assert traj.diverged_at[0] is None and traj.diverged_at[1] is not None  # only the steep direction blows up


LR_DIVERGES = {"surface": "bowl", "surface_params": {"condition": 20.0}, "steps": 120, "optimizer": "SGD",
               "hparams": {"lr": 0.5}, "scheduler": "ExponentialLR", "scheduler_params": {"gamma": 0.99}}


def bowl_lrs(start: list[float], scheduler: str, params: dict) -> np.ndarray:
    return torch_loop(get_surface("bowl", {"condition": 20.0}).fn, start, 120, "SGD", {"lr": 0.5}, scheduler,
                      params)[2][:, 0]


def test_lr_is_the_schedulers_while_any_start_runs():
    """Start 0 (steep direction) diverges early; start 1 (flat direction) runs on: lr is the scheduler's all along."""
    traj = run({**LR_DIVERGES, "start": [[1.0, 1.0], [1.0, 0.0]]})
    assert traj.diverged_at[0] is not None and traj.diverged_at[0] < 60 and traj.diverged_at[1] is None
    assert np.array_equal(traj.lr, bowl_lrs([1.0, 0.0], "ExponentialLR", {"gamma": 0.99}))


def test_lr_with_a_schedule_per_start_is_the_first_running_starts():
    """ReduceLROnPlateau: one optimizer and schedule per start, each with its own lr (all in group_lr)."""
    plateau = {"patience": 3, "factor": 0.9}
    traj = run({**LR_DIVERGES, "scheduler": "ReduceLROnPlateau", "scheduler_params": plateau,
                "start": [[1.0, 1.0], [1.0, 0.0]]})
    k = traj.diverged_at[0]
    assert k is not None and traj.diverged_at[1] is None
    first, second = (bowl_lrs(start, "ReduceLROnPlateau", plateau) for start in ([1.0, 1.0], [1.0, 0.0]))
    assert not np.array_equal(first[:k], second[:k])
    assert np.array_equal(traj.lr, np.concatenate([first[:k], second[k:]]))


def test_lr_is_nan_once_every_start_has_stopped():
    traj = run({**LR_DIVERGES, "start": [[1.0, 1.0], [1.0, 1e-6]]})
    first, last = sorted(traj.diverged_at)
    assert first < last < 120
    lrs = bowl_lrs([1.0, 1e-6], "ExponentialLR", {"gamma": 0.99})
    assert np.array_equal(traj.lr[:last], lrs[:last]) and np.isnan(traj.lr[last:]).all()


def test_same_config_gives_same_arrays():
    config = {"surface": "linear_regression", "steps": 60, "optimizer": "RMSprop", "batch_size": 4, "seed": 9}
    a, b = run(config), run(config)
    for name in ("xy", "loss", "lr", "grad", "batches"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_float64_runs_in_float64():
    traj = run({"surface": "bowl", "steps": 5, "dtype": "float64"})
    assert traj.xy.dtype == np.float64 and traj.state["exp_avg"].dtype == np.float64


@pytest.mark.parametrize(("config", "words"), [
    ({"surface": "nowhere"}, ["surface", "rosenbrock"]),
    ({"optimizer": "Adamm"}, ["optimizer", "Adam"]),
    ({"scheduler": "StepLRR"}, ["scheduler", "StepLR"]),
    ({"steps": 10_001}, ["steps", "10000"]),
    ({"steps": 0}, ["steps"]),
    ({"start": [[0.0, 0.0]] * 4097}, ["start", "4096"]),
    ({"start": [float("nan"), 0.0]}, ["start", "finite"]),
    ({"start": "here"}, ["start"]),
    ({"hparams": {"lr": -1}}, ["lr", "-1"]),
    ({"hparams": {"betas": [0.9, 1.0]}}, ["betas"]),
    ({"hparams": {"momentum": 0.9}}, ["Adam", "momentum"]),
    ({"optimizer": "SGD", "hparams": {"nesterov": True}}, ["nesterov", "momentum"]),
    ({"optimizer": "LBFGS", "lr_multipliers": [1, 2]}, ["LBFGS", "lr_multipliers"]),
    ({"batch_size": 4}, ["batch_size", "data"]),
    ({"surface": "linear_regression", "batch_size": 16}, ["batch_size", "15"]),
    ({"clip_grad_norm": 0}, ["clip_grad_norm"]),
    ({"scheduler": "OneCycleLR", "scheduler_params": {"max_lr": 0.1, "total_steps": 10}}, ["total_steps"]),
    ({"scheduler": "MultiStepLR", "scheduler_params": {"milestones": [30, 10]}}, ["milestones", "increasing"]),
    ({"scheduler": "CosineAnnealingLR", "scheduler_params": {"T_max": 0}}, ["T_max"]),
    ({"scheduler": "ExponentialLR", "scheduler_params": {"gamma": 0}}, ["gamma"]),
    ({"optimizer": "Adagrad", "scheduler": "OneCycleLR"}, ["cycle_momentum"]),
    ({"surface": "custom", "surface_params": {"formula": "__import__('os')"}}, ["formula"]),
    ({"colour": "red"}, ["colour", "surface"]),
    ({"start": [[0.0, 0.0]] * 4096, "steps": 2000}, ["steps ≤", "starts ≤"]),
    # LBFGS is bounded at run time (tests/test_lbfgs_cap.py) unless one step alone is over the budget
    ({"optimizer": "LBFGS", "steps": 10_000, "hparams": {"max_iter": 1000, "history_size": 1000}},
     ["max_iter", "max_eval"]),
])
def test_bad_configs_raise_clear_errors(config, words):
    with pytest.raises(ValueError) as info:
        run({"steps": 20, **config})
    assert isinstance(info.value, ConfigError)
    for word in words:
        assert word in str(info.value)
    assert info.value.message("zh") and info.value.message("zh") != str(info.value)


@pytest.mark.parametrize(("name", "hparams"), OPTIMIZERS, ids=lambda v: str(v) if isinstance(v, str) else "")
def test_recorded_gradient_is_the_gradient_at_the_step_start(name, hparams):
    surface = get_surface("himmelblau")
    traj = run({"surface": "himmelblau", "start": [0.5, -0.5], "steps": 10, "optimizer": name, "hparams": hparams})
    for t in range(10):
        np.testing.assert_allclose(traj.grad[t], _full_grad(surface, traj.xy[t]), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("groups", [None, [1.0, 0.5]])
@pytest.mark.parametrize(("name", "hparams"), OPTIMIZERS, ids=lambda v: str(v) if isinstance(v, str) else "")
def test_recorded_state_equals_torch_state_at_every_step(name, hparams, groups):
    base, full = resolve(name, hparams)
    if base == "LBFGS" and groups:
        pytest.skip("LBFGS has no parameter groups")
    traj = run({"surface": "bowl", "start": [-2.0, 1.0], "steps": 8, "optimizer": name, "hparams": hparams,
                "lr_multipliers": groups})
    fn = get_surface("bowl").fn
    if groups:
        params = [torch.tensor([-2.0], requires_grad=True), torch.tensor([1.0], requires_grad=True)]
        lr = full.get("lr", traj.config["hparams"]["lr"])
        opt = getattr(torch.optim, base)([{"params": [params[0]], "lr": lr * groups[0]},
                                          {"params": [params[1]], "lr": lr * groups[1]}], **full)
    else:
        params = [torch.tensor([-2.0, 1.0], requires_grad=True)]
        opt = getattr(torch.optim, base)(params, **full)

    def closure():
        opt.zero_grad()
        loss = fn(torch.cat(params))
        loss.backward()
        return loss

    for t in range(8):
        opt.step(closure)
        for key, recorded in traj.state.items():
            values = [opt.state[p][key] for p in params]
            expected = np.concatenate([np.broadcast_to(np.asarray(v, dtype=float), p.shape)
                                       for v, p in zip(values, params, strict=True)])
            np.testing.assert_allclose(recorded[t], expected, rtol=1e-6, err_msg=f"{key} at step {t}")


@pytest.mark.parametrize("config", [
    {"surface": "rosenbrock", "optimizer": "Adam", "hparams": {"lr": 0.05}},
    {"surface": "himmelblau", "optimizer": "RMSprop", "start": [[0.0, 0.0], [1.0, 2.0], [-3.0, 1.0]]},
    {"surface": "linear_regression", "optimizer": "SGD", "hparams": {"lr": 0.01}, "batch_size": 4, "seed": 2,
     "lr_multipliers": [1.0, 10.0]},
    {"surface": "bowl", "optimizer": "Momentum", "hparams": {"lr": 0.05}, "clip_grad_norm": 0.5},
    {"surface": "bowl", "optimizer": "LBFGS", "hparams": {"lr": 1.0}},
    {"surface": "bowl", "optimizer": "SGD", "hparams": {"lr": 5.0}},  # diverges after a few steps
], ids=["adam", "starts", "minibatch-groups", "clip", "lbfgs", "diverges"])
def test_the_first_steps_of_a_longer_run_are_the_shorter_run(config):
    long = run({**config, "steps": 60})
    for n in (1, 7, 60):
        short, cut = run({**config, "steps": n}), first_steps(long, n)
        assert cut.config == short.config and cut.diverged_at == short.diverged_at
        for name in ("xy", "loss", "lr", "group_lr", "grad", "raw_grad", "evals", "batches", "epoch", "closure_xy",
                     "closure_loss", "closure_step"):
            mine, theirs = getattr(cut, name), getattr(short, name)
            assert (mine is None) == (theirs is None), name
            if theirs is not None:
                np.testing.assert_array_equal(np.asarray(mine), np.asarray(theirs), err_msg=name)
        assert cut.state.keys() == short.state.keys()
        for key in short.state:
            np.testing.assert_array_equal(cut.state[key], short.state[key], err_msg=key)
    if config.get("hparams") == {"lr": 5.0}:  # the case meant to diverge does, within the 60 steps
        assert long.diverged_at is not None


def test_a_run_with_a_scheduler_has_no_first_steps():
    traj = run({"surface": "bowl", "steps": 20, "scheduler": "OneCycleLR", "scheduler_params": {"max_lr": 0.1}})
    with pytest.raises(ValueError):
        first_steps(traj, 10)


def test_a_batch_whose_longest_run_is_lbfgs():
    """The element-wise runs of a batch end before its LBFGS run (it crashed: torch.cat of no members)."""
    adam, lbfgs = {"optimizer": "Adam", "steps": 30}, {"optimizer": "LBFGS", "steps": 50}
    batched = run_many([adam, lbfgs])
    for config, traj in zip([adam, lbfgs], batched, strict=True):
        np.testing.assert_array_equal(traj.xy, run(config).xy)
