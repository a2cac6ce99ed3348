"""Tests for optimizers.schedule_formulas: every closed form against the real torch curve, LaTeX, markers."""

import random
import re
from pathlib import Path

import numpy as np
import pytest

import optimizers.schedule_formulas as formula_module
from optimizers.schedule_formulas import formula_curve, formula_latex, markers
from optimizers.schedulers import CHAINABLE, SCHEDULERS, lr_curve
from schema import ConfigError

BASE_LR = 0.1


def seq(*children, milestones):
    """SequentialLR params from (name, params) pairs."""
    return {"schedulers": [{"name": n, "params": p} for n, p in children], "milestones": milestones}


def cyclic(**kw):
    return {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 5, **kw}


# (name, params, steps): the defaults and typical settings of every scheduler with a closed form
CASES = [
    ("StepLR", {}, 80), ("StepLR", {"step_size": 7, "gamma": 0.5}, 60),
    ("MultiStepLR", {}, 80), ("MultiStepLR", {"milestones": [10, 25]}, 60),
    ("ExponentialLR", {}, 100), ("ExponentialLR", {"gamma": 0.95}, 80),
    ("CosineAnnealingLR", {}, 80), ("CosineAnnealingLR", {"T_max": 20, "eta_min": 0.001}, 70),
    ("CosineAnnealingLR", {"T_max": 1}, 60),
    ("CosineAnnealingWarmRestarts", {}, 80), ("CosineAnnealingWarmRestarts", {"T_0": 10, "T_mult": 2}, 100),
    ("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 3, "eta_min": 0.01}, 100),
    ("LinearLR", {}, 60), ("LinearLR", {"start_factor": 0.1, "total_iters": 15}, 60),
    ("LinearLR", {"start_factor": 1.0, "end_factor": 0.0, "total_iters": 30}, 60),
    ("ConstantLR", {}, 60), ("ConstantLR", {"factor": 0.5, "total_iters": 8}, 60),
    ("PolynomialLR", {}, 60), ("PolynomialLR", {"total_iters": 30, "power": 2.0}, 60),
    ("PolynomialLR", {"total_iters": 40, "power": 0.5}, 80),
    ("OneCycleLR", {}, 100), ("OneCycleLR", {"max_lr": 0.5}, 100),
    ("OneCycleLR", {"max_lr": 0.5, "anneal_strategy": "linear"}, 80),
    ("OneCycleLR", {"max_lr": 0.5, "three_phase": True}, 100),
    ("OneCycleLR", {"max_lr": 0.5, "three_phase": True, "anneal_strategy": "linear", "pct_start": 0.25}, 90),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": 150, "div_factor": 10.0, "final_div_factor": 100.0}, 100),
    ("CyclicLR", {}, 60), ("CyclicLR", cyclic(), 60), ("CyclicLR", cyclic(mode="triangular2"), 80),
    ("CyclicLR", cyclic(mode="exp_range", gamma=0.99), 100), ("CyclicLR", cyclic(step_size_down=3), 60),
    ("SequentialLR", {}, 100),
    ("SequentialLR", seq(("LinearLR", {"start_factor": 0.1, "total_iters": 10}), ("CosineAnnealingLR", {"T_max": 40}),
                         milestones=[10]), 80),
    ("SequentialLR", seq(("ConstantLR", {"factor": 0.1, "total_iters": 20}), ("ExponentialLR", {"gamma": 0.9}),
                         milestones=[20]), 60),
    ("SequentialLR", seq(("LinearLR", {"total_iters": 5}), ("StepLR", {"step_size": 10, "gamma": 0.5}),
                         ("CosineAnnealingWarmRestarts", {"T_0": 8}), milestones=[5, 40]), 100),
]

# where torch's recursive form departs from the documented closed form: the formula follows torch
QUIRKS = [
    ("LinearLR", {"total_iters": 0}, 30),  # stays at start_factor for ever
    ("ConstantLR", {"total_iters": 0}, 30),  # keeps the factor for ever
    ("PolynomialLR", {"total_iters": 0}, 30),  # never decays
    ("CyclicLR", cyclic(mode="triangular2", scale_mode="iterations"), 60),  # scale_mode ignored
    ("CyclicLR", cyclic(mode="exp_range", gamma=0.95, scale_mode="cycle"), 60),
    # OneCycleLR overwrites the optimizer's initial_lr: the cosine before it starts from max_lr / div_factor,
    # then climbs back to its own base after T_max
    ("SequentialLR", seq(("CosineAnnealingLR", {"T_max": 3}), ("OneCycleLR", {"max_lr": 1.0, "total_steps": 40}),
                         milestones=[8]), 40),
    ("SequentialLR", seq(("ExponentialLR", {"gamma": 0.9}), ("OneCycleLR", {"max_lr": 1.0, "total_steps": 40}),
                         milestones=[5]), 40),
    # CyclicLR first sets the lr to its base_lr: that becomes the next child's base
    ("SequentialLR", seq(("CyclicLR", cyclic(base_lr=0.5, max_lr=1.0, step_size_up=2)),
                         ("ExponentialLR", {"gamma": 0.5}), milestones=[7]), 30),
    # a later OneCycleLR rewrites the lrs an earlier one reads
    ("SequentialLR", seq(("OneCycleLR", {"max_lr": 0.5, "total_steps": 20}), ("ExponentialLR", {"gamma": 0.9}),
                         ("OneCycleLR", {"max_lr": 0.01, "total_steps": 30}), milestones=[10, 20]), 45),
    ("SequentialLR", seq(("ExponentialLR", {"gamma": 0.9}), ("ConstantLR", {"total_iters": 0}), milestones=[3]), 20),
]

# where torch itself fails, the formula raises too
FAILURES = [
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": 50}, 60),  # stepped past total_steps
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": 10, "pct_start": 0.1}, 10),  # a phase of zero steps
    ("ConstantLR", {"factor": 0.0, "total_iters": 3}, 10),  # undoing factor 0
    ("SequentialLR", seq(("ExponentialLR", {"gamma": 0.9}), ("LinearLR", {"total_iters": 0}), milestones=[3]), 10),
    ("SequentialLR", seq(("StepLR", {"step_size": 5}), ("OneCycleLR", {"max_lr": 1.0, "total_steps": 10}),
                         milestones=[5]), 20),
]


def case_id(case):
    return f"{case[0]}-{case[1]}"


def assert_matches_torch(name, params, steps, base_lr=BASE_LR):
    np.testing.assert_allclose(formula_curve(name, params, steps, base_lr), lr_curve(name, params, steps, base_lr),
                               rtol=1e-6, atol=1e-12, err_msg=f"{name} {params} over {steps} steps")


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_formula_matches_torch(case):
    assert_matches_torch(*case)


@pytest.mark.parametrize("case", QUIRKS, ids=case_id)
def test_formula_follows_torch_quirks(case):
    assert_matches_torch(*case)


@pytest.mark.parametrize("case", FAILURES, ids=case_id)
def test_formula_fails_where_torch_fails(case):
    with pytest.raises((ValueError, ZeroDivisionError)):
        lr_curve(*case)
    with pytest.raises(ConfigError):
        formula_curve(*case, BASE_LR)


def test_every_scheduler_is_covered():
    assert {name for name, _, _ in CASES} == set(SCHEDULERS) - {"ReduceLROnPlateau"}


def random_params(name: str, rng: random.Random) -> dict:
    """A random valid parameter set (edge values included) for a chainable scheduler."""
    pick = rng.choice
    return {
        "StepLR": lambda: {"step_size": rng.randint(1, 30), "gamma": pick([0.1, 0.5, 0.9, 1.5])},
        "MultiStepLR": lambda: {"milestones": sorted(rng.sample(range(1, 80), rng.randint(1, 4))),
                                "gamma": pick([0.1, 0.5, 2.0])},
        "ExponentialLR": lambda: {"gamma": pick([0.9, 0.95, 0.5, 1.05])},
        "CosineAnnealingLR": lambda: {"T_max": rng.randint(1, 60), "eta_min": pick([0.0, 0.001, 0.2])},
        "CosineAnnealingWarmRestarts": lambda: {"T_0": rng.randint(1, 30), "T_mult": rng.randint(1, 3),
                                                "eta_min": pick([0.0, 0.01])},
        "LinearLR": lambda: {"start_factor": pick([0.1, 1 / 3, 1.0]), "end_factor": pick([1.0, 0.0, 0.2]),
                             "total_iters": rng.randint(1, 40)},
        "ConstantLR": lambda: {"factor": pick([0.5, 1.0, 0.1]), "total_iters": rng.randint(0, 40)},
        "PolynomialLR": lambda: {"total_iters": rng.randint(1, 60), "power": pick([0.0, 0.5, 1.0, 3.7])},
        "OneCycleLR": lambda: {"max_lr": pick([0.5, 0.01]), "total_steps": pick([None, 200]),
                               "pct_start": pick([0.3, 0.25, 0.77]), "anneal_strategy": pick(["cos", "linear"]),
                               "three_phase": pick([False, True]), "div_factor": pick([25.0, 10.0])},
        "CyclicLR": lambda: cyclic(step_size_up=rng.randint(1, 20), step_size_down=pick([None, rng.randint(1, 20)]),
                                   mode=pick(["triangular", "triangular2", "exp_range"]), gamma=pick([1.0, 0.9])),
    }[name]()


def test_random_parameters_match_torch():
    rng = random.Random(20240611)
    for _ in range(300):
        steps = rng.randint(2, 120)
        if rng.random() < 0.4:
            children = [rng.choice(CHAINABLE) for _ in range(rng.randint(2, 4))]
            params = seq(*[(c, random_params(c, rng)) for c in children],
                         milestones=sorted(rng.sample(range(1, 130), len(children) - 1)))
            assert_matches_torch("SequentialLR", params, steps, rng.choice([0.1, 1.0, 0.003]))
        else:
            name = rng.choice(CHAINABLE)
            assert_matches_torch(name, random_params(name, rng), steps, rng.choice([0.1, 1.0, 0.003]))


def test_cosine_climbs_back_after_t_max():
    lr = formula_curve("CosineAnnealingLR", {"T_max": 20, "eta_min": 0.001}, 70, BASE_LR)
    assert lr[20] == pytest.approx(0.001) and lr[40] == pytest.approx(BASE_LR) and lr[60] == pytest.approx(0.001)
    assert np.all(np.diff(lr[:21]) < 0) and np.all(np.diff(lr[20:41]) > 0)


def test_reduce_on_plateau_has_no_curve():
    with pytest.raises(ValueError, match="loss"):
        formula_curve("ReduceLROnPlateau", {}, 50, BASE_LR)
    assert markers("ReduceLROnPlateau", {}, 50) == []


def test_unknown_scheduler_is_refused():
    for call in (lambda: formula_latex("Nope"), lambda: formula_curve("Nope", {}, 10, BASE_LR),
                 lambda: markers("Nope", {}, 10)):
        with pytest.raises(ConfigError, match="StepLR"):
            call()


# ---- LaTeX ------------------------------------------------------------------------------------------------

LATEX_VARIANTS = [(name, None) for name in SCHEDULERS] + [
    ("OneCycleLR", {"three_phase": True}), ("OneCycleLR", {"anneal_strategy": "linear"}),
    ("CyclicLR", {"mode": "triangular2"}), ("CyclicLR", {"mode": "exp_range"}),
    ("SequentialLR", CASES[-1][1]),
    ("SequentialLR", seq(*[(n, {}) for n in CHAINABLE], milestones=list(range(1, len(CHAINABLE))))),
]


def balanced(latex: str) -> bool:
    """Braces (not \\{ \\}), \\left/\\right and \\begin/\\end pair up."""
    depth = 0
    for char in re.sub(r"\\[{}]", "", latex):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return (depth == 0 and latex.count(r"\left") == latex.count(r"\right")
            and latex.count(r"\begin{") == latex.count(r"\end{"))


@pytest.mark.parametrize(("name", "params"), LATEX_VARIANTS, ids=lambda v: str(v)[:40])
def test_latex_is_balanced(name, params):
    latex = formula_latex(name, params)
    assert latex.startswith(r"\eta_t = ") and len(latex) > 20
    assert balanced(latex), latex
    assert "@" not in latex


def test_latex_follows_torch_notation():
    assert formula_latex("StepLR") == r"\eta_t = \eta_0 \cdot \gamma^{\lfloor t / \text{step\_size} \rfloor}"
    assert formula_latex("CosineAnnealingLR") == (
        r"\eta_t = \eta_{min} + \tfrac12(\eta_0 - \eta_{min})\left(1 + \cos\frac{\pi t}{T_{max}}\right)")
    assert "T_{cur}" in formula_latex("CosineAnnealingWarmRestarts")
    assert "t_2" in formula_latex("OneCycleLR", {"three_phase": True}) and "t_2" not in formula_latex("OneCycleLR")
    assert r"\cos" not in formula_latex("OneCycleLR", {"anneal_strategy": "linear"})
    assert "2^{1 - c}" in formula_latex("CyclicLR", {"mode": "triangular2"})
    assert r"\text{min\_lr}" in formula_latex("ReduceLROnPlateau")


def test_sequential_latex_shifts_each_piece():
    latex = formula_latex("SequentialLR", CASES[-1][1])
    assert r"t < 5" in latex and r"5 \le t < 40" in latex and r"t \ge 40" in latex
    assert r"\lfloor (t - 5) / \text{step\_size}" in latex and r"T_{cur} = (t - 40)" in latex


# ---- markers ----------------------------------------------------------------------------------------------

def test_step_markers():
    assert markers("StepLR", {"step_size": 10}, 35) == [(10, "×γ"), (20, "×γ"), (30, "×γ")]


@pytest.mark.parametrize("case", CASES + QUIRKS, ids=case_id)
def test_markers_are_within_range(case):
    name, params, steps = case
    found = markers(name, params, steps)
    assert found == sorted(found)
    assert all(isinstance(step, int) and 0 <= step < steps and label for step, label in found)


@pytest.mark.parametrize(("name", "params", "steps", "expected"), [
    ("MultiStepLR", {"milestones": [10, 25]}, 60, [(10, "×γ"), (25, "×γ")]),
    ("CosineAnnealingLR", {"T_max": 20}, 70, [(20, "T_max"), (40, "2·T_max"), (60, "3·T_max")]),
    ("CosineAnnealingWarmRestarts", {"T_0": 10, "T_mult": 2}, 100, [(10, "restart"), (30, "restart"), (70, "restart")]),
    ("LinearLR", {"total_iters": 15}, 60, [(15, "end")]), ("LinearLR", {"total_iters": 0}, 60, []),
    ("OneCycleLR", {"max_lr": 0.5}, 100, [(29, "peak"), (99, "end")]),
    ("OneCycleLR", {"max_lr": 0.5, "three_phase": True}, 100, [(29, "peak"), (58, "initial"), (99, "end")]),
    ("CyclicLR", cyclic(), 30, [(5, "max"), (15, "max"), (25, "max")]),
    ("SequentialLR", CASES[-1][1], 100, [(5, "switch"), (40, "switch")]),
])
def test_markers(name, params, steps, expected):
    assert markers(name, params, steps) == expected


def test_markers_speak_the_readers_language():
    assert markers("OneCycleLR", {"max_lr": 0.5, "three_phase": True}, 100, lang="zh") == [
        (29, "峰值"), (58, "初始"), (99, "结束")]
    assert markers("CosineAnnealingLR", {"T_max": 20}, 50, lang="zh") == [(20, "T_max"), (40, "2·T_max")]


def test_markers_sit_on_the_curve():
    """Peaks at the maximum, T_max at η_min, restarts back at η_0."""
    lr = formula_curve("OneCycleLR", {"max_lr": 0.5}, 100, BASE_LR)
    assert markers("OneCycleLR", {"max_lr": 0.5}, 100)[0][0] == int(np.argmax(lr))
    lr = formula_curve("CyclicLR", cyclic(), 30, BASE_LR)
    assert all(lr[s] == pytest.approx(0.1) for s, _ in markers("CyclicLR", cyclic(), 30))
    lr = formula_curve("CosineAnnealingLR", {"T_max": 20, "eta_min": 0.001}, 70, BASE_LR)
    assert all(lr[s] == pytest.approx(0.001) for s, _ in markers("CosineAnnealingLR", {"T_max": 20}, 70)[::2])
    lr = formula_curve("CosineAnnealingWarmRestarts", {"T_0": 10, "T_mult": 2}, 100, BASE_LR)
    assert all(lr[s] == BASE_LR for s, _ in markers("CosineAnnealingWarmRestarts", {"T_0": 10, "T_mult": 2}, 100))


def test_no_streamlit():
    source = Path(formula_module.__file__).read_text()
    assert not re.search(r"^\s*(import|from)\s+streamlit", source, re.M)
