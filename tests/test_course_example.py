"""The course's whole example (reference 004): five models from one seed, each from its own start."""

import numpy as np
import pytest
import torch
from oracle import course_loop, run_course_script

from optimizers import run, run_many
from optimizers.codegen import torch_code
from optimizers.course import CourseRun, course_runs, course_starts, printout
from surfaces.regression import COURSE_START

OPTIMIZERS = [  # the script's optimizers, in its order of model creation
    lambda p: torch.optim.SGD(p, lr=0.01),
    lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9),
    lambda p: torch.optim.RMSprop(p, lr=0.01),
    lambda p: torch.optim.Adam(p, lr=0.001),
    lambda p: torch.optim.LBFGS(p, lr=1, max_iter=20),
]
NAMES = ["SGD", "SGD with Momentum", "RMSprop", "Adam", "LBFGS"]


def script_models() -> list[torch.nn.Linear]:
    """The script's five nn.Linear(1, 1), created one after another after torch.manual_seed(42)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(42)
        return [torch.nn.Linear(1, 1) for _ in range(5)]


def script_loop(index: int) -> tuple[list[float], tuple[float, float]]:
    """The script's loop for model `index`: the loss before each step (after each step for LBFGS), and the
    learned (w, b)."""
    model = script_models()[index]
    losses = course_loop(model, OPTIMIZERS[index](model.parameters()),
                         lbfgs_steps=5 if NAMES[index] == "LBFGS" else None)
    return losses, (model.weight.item(), model.bias.item())


@pytest.fixture(scope="module")
def runs_and_trajectories():
    runs = course_runs()
    return runs, [run(r.config) for r in runs]


def test_course_starts_are_the_scripts_inits():
    expected = [(m.weight.item(), m.bias.item()) for m in script_models()]
    assert course_starts() == expected
    assert course_starts()[0] == COURSE_START
    assert len(set(expected)) == 5  # every model starts elsewhere


def test_course_starts_leave_the_global_rng_alone():
    torch.manual_seed(1234)
    before = torch.get_rng_state()
    course_starts()
    assert torch.equal(torch.get_rng_state(), before)


def test_course_runs():
    runs = course_runs()
    assert [r.name for r in runs] == NAMES
    assert all(isinstance(r, CourseRun) for r in runs)
    assert [r.epochs for r in runs] == [100, 100, 100, 100, 5]
    assert [tuple(r.config["start"]) for r in runs] == course_starts()
    assert all(r.config["surface"] == "linear_regression" and r.config["steps"] == r.epochs for r in runs)


@pytest.mark.parametrize("index", range(5), ids=NAMES)
def test_engine_equals_the_scripts_loop_bit_for_bit(index, runs_and_trajectories):
    runs, trajectories = runs_and_trajectories
    traj = trajectories[index]
    losses, learned = script_loop(index)
    assert np.array_equal(traj.loss[1:] if NAMES[index] == "LBFGS" else traj.loss[:-1], losses)
    assert tuple(traj.xy[runs[index].epochs].tolist()) == learned


@pytest.mark.parametrize("index", range(5), ids=NAMES)
def test_generated_code_learns_the_scripts_parameters_bit_for_bit(index):
    namespace = {}
    exec(torch_code(course_runs()[index].config), namespace)
    assert tuple(namespace["positions"][-1].tolist()) == script_loop(index)[1]


def test_the_runs_stepped_in_lock_step_are_the_same(runs_and_trajectories):
    """The page asks for the five runs at once: run_many steps the four first-order ones as one (4, 2) parameter."""
    together = run_many([r.config for r in course_runs()])
    for alone, stacked in zip(runs_and_trajectories[1], together, strict=True):
        assert np.array_equal(stacked.xy, alone.xy) and np.array_equal(stacked.loss, alone.loss)


def test_printout_is_the_scripts_output(runs_and_trajectories):
    printed = run_course_script()
    assert printed.count("--- Training with") == 5
    assert printout(*runs_and_trajectories) == printed


def test_printout_text(runs_and_trajectories):
    """The shape of the output, and the course's Adam (lr 0.001, 100 epochs) barely moving: ~lr per step."""
    runs, trajectories = runs_and_trajectories
    lines = printout(runs, trajectories).splitlines()
    assert lines[:2] == ["", "--- Training with SGD ---"]
    assert lines.count("--- Training with SGD ---") == 2  # plain SGD and SGD with momentum
    assert "Step [5/5]" in lines and lines[-1].startswith("Learned parameters: w=")
    adam = trajectories[3]
    assert np.abs(adam.xy[-1] - adam.xy[0]).max() <= 100 * 0.001 + 1e-6
    assert adam.loss[-1] > 10 * trajectories[0].loss[-1]


def test_run_course_script_leaves_the_global_rng_alone():
    torch.manual_seed(7)
    before = torch.get_rng_state()
    run_course_script()
    assert torch.equal(torch.get_rng_state(), before)
