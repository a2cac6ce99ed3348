"""LBFGS is bounded at run time: each start's run stops after the step whose counted work passes its share of
the cost budget; everything before is exactly torch's, the rest is NaN, and the run is stopped, not diverged."""

import numpy as np
import pytest
import torch

from optimizers import normalize_config, run, run_many
from optimizers.budget import MAX_SECONDS, _closure_seconds, closure_cap, estimate, lbfgs_step_work
from optimizers.engine import first_steps
from surfaces import get_surface

BUSY = {"lr": 1e-4, "tolerance_grad": 0.0, "tolerance_change": 0.0}  # never converges: every step runs max_iter
STOPPED = {"surface": "rosenbrock", "start": [-1.5, 2.0], "steps": 500, "optimizer": "LBFGS", "hparams": BUSY}


def torch_lbfgs(config: dict, cap: float | None = None):
    """A hand-written torch loop: positions, closure calls per step, and the first step whose counted work
    (torch's closure calls, Δ state['n_iter'], len(state['old_dirs'])) passed the cap (default: the config's)."""
    config = normalize_config(config)
    fn = get_surface(config["surface"], config["surface_params"]).fn
    p = torch.tensor(config["start"], requires_grad=True)
    opt = torch.optim.LBFGS([p], **config["hparams"])
    calls = 0

    def closure():
        nonlocal calls
        calls += 1
        opt.zero_grad()
        loss = fn(p)
        loss.backward()
        return loss

    cap, work, xs, evals = cap or closure_cap(config), 0.0, [p.detach().clone()], []
    for t in range(config["steps"]):
        calls, n_iter = 0, opt.state[p].get("n_iter", 0)
        opt.step(closure)
        xs.append(p.detach().clone())
        evals.append(calls)
        work += lbfgs_step_work(calls, opt.state[p]["n_iter"] - n_iter, len(opt.state[p].get("old_dirs", [])),
                                line_search=config["hparams"]["line_search_fn"] is not None)
        if work > cap:
            return torch.stack(xs).numpy(), np.array(evals), t + 2 if t + 1 < config["steps"] else None
    return torch.stack(xs).numpy(), np.array(evals), None


@pytest.fixture(scope="module")
def stopped_run():
    return run(STOPPED)


def test_a_busy_run_equals_torch_up_to_the_stop_and_is_nan_after(stopped_run):
    traj = stopped_run
    xy, evals, stopped = torch_lbfgs(STOPPED)
    assert stopped is not None and 1 < stopped < STOPPED["steps"]
    assert traj.stopped_at == stopped and traj.diverged_at is None
    np.testing.assert_array_equal(traj.xy[:stopped], xy)
    np.testing.assert_array_equal(traj.evals[:stopped - 1], evals)
    assert np.isnan(traj.xy[stopped:]).all() and np.isnan(traj.loss[stopped:]).all()
    assert np.isnan(traj.lr[stopped - 1:]).all() and (traj.evals[stopped - 1:] == 0).all()
    assert np.isfinite(traj.loss[:stopped]).all()
    assert (traj.closure_step < stopped - 1).all()


def test_a_run_within_the_cap_is_not_stopped():
    config = {**STOPPED, "hparams": {}}  # converges: one evaluation per step after a few
    traj = run(config)
    xy, evals, stopped = torch_lbfgs(config)
    assert stopped is None and traj.stopped_at is None and traj.diverged_at is None
    np.testing.assert_array_equal(traj.xy, xy)
    np.testing.assert_array_equal(traj.evals, evals)


def test_the_cap_depends_on_the_config_alone_not_on_the_batch():
    several = {**STOPPED, "start": [[-1.5, 2.0], [1.5, 2.0], [0.0, 0.0]], "steps": 200}
    traj = run(several)
    batched = run_many([{"optimizer": "Adam", "steps": 300}, several, {"optimizer": "LBFGS", "steps": 100}])[1]
    assert traj.stopped_at == batched.stopped_at and traj.diverged_at == batched.diverged_at
    np.testing.assert_array_equal(traj.xy, batched.xy)
    np.testing.assert_array_equal(traj.evals, batched.evals)
    assert isinstance(traj.stopped_at, list) and all(s is not None for s in traj.stopped_at)
    share = closure_cap(normalize_config(several))  # each start's share of the run's budget
    assert share < closure_cap(normalize_config(STOPPED)) / 2
    for i, start in enumerate(several["start"]):
        xy, _, stopped = torch_lbfgs({**several, "start": start}, share)
        assert traj.stopped_at[i] == stopped
        np.testing.assert_array_equal(traj.xy[:stopped, i], xy)


def test_first_steps_cuts_stopped_at(stopped_run):
    traj = stopped_run
    s = traj.stopped_at
    for n in (s - 1, s):
        shorter = run({**STOPPED, "steps": n})
        cut = first_steps(traj, n)
        assert cut.stopped_at == shorter.stopped_at and cut.diverged_at is None
        np.testing.assert_array_equal(cut.xy, shorter.xy)
    assert first_steps(traj, s - 1).stopped_at is None and first_steps(traj, s).stopped_at == s


def test_a_run_that_diverges_is_diverged_not_stopped():
    traj = run({"surface": "rosenbrock", "steps": 50, "optimizer": "LBFGS", "hparams": {"lr": 100}})
    assert traj.diverged_at is not None and traj.stopped_at is None


@pytest.mark.parametrize("steps", [200, 500, 1000, 10_000])
@pytest.mark.parametrize("hparams", [{}, BUSY, {"line_search_fn": "strong_wolfe"}, {**BUSY, "history_size": 1000}])
def test_lbfgs_is_allowed_at_any_length_and_its_estimate_is_the_cap(steps, hparams):
    config = normalize_config({"optimizer": "LBFGS", "steps": steps, "hparams": hparams})
    assert estimate(config).seconds <= MAX_SECONDS


def test_the_memory_estimate_counts_the_points_the_cap_allows():
    config = normalize_config({**STOPPED, "steps": 10_000})
    points = len(run(config).closure_step)
    allowed = _closure_seconds(config, (1, 1))[1]  # closure calls the estimate's memory counts
    assert points <= allowed < 10_000 * 20  # not the worst case's every step × max_eval


def test_lbfgs_is_allowed_on_every_surface_at_the_pages_lengths():
    from surfaces import SURFACES

    for surface in SURFACES:
        if surface != "custom":
            normalize_config({"surface": surface, "optimizer": "LBFGS", "steps": 500})
            normalize_config({"surface": surface, "optimizer": "LBFGS", "steps": 200, "batch_size": 1
                              if surface == "linear_regression" else None})


def test_exports_and_the_summary_carry_stopped_at(stopped_run):
    from optimizers.export import diverged, stopped, to_json
    from optimizers.metrics import summary

    assert to_json(stopped_run)["stopped_at"] == stopped_run.stopped_at and stopped(stopped_run)
    assert not diverged(stopped_run)
    row = summary(stopped_run, [(1.0, 1.0)], 0.0)
    assert row["stopped_at"] == stopped_run.stopped_at and row["diverged_at"] is None
    np.testing.assert_array_equal([row["final_x"], row["final_y"]], stopped_run.xy[stopped_run.stopped_at - 1])
