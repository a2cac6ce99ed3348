"""The LaTeX update rules: torch's form, only the lines a run's flags use, and this step's numbers substituted."""

import numpy as np
import pytest
from test_explain import CASES as REPLAY_CASES

from optimizers import run
from optimizers.explain import RULES, explain
from optimizers.explain_latex import LATEX, num, rule_latex, substituted_latex

CASES = {**REPLAY_CASES, **{  # the replay's cases, plus flags that only change the LaTeX
    "SGD": ("SGD", {"lr": 0.01}),
    "SGD-nesterov": ("SGD", {"lr": 0.01, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    "RMSprop-centered": ("RMSprop", {"lr": 0.01, "centered": True}),
    "AdamW-amsgrad": ("AdamW", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}),
    "RAdam-rectified": ("RAdam", {"lr": 0.05, "betas": [0.9, 0.9]}),
    "RAdam-decoupled": ("RAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True,
                                  "betas": [0.9, 0.9]}),
    "ASGD-t0": ("ASGD", {"lr": 0.005, "t0": 2, "lambd": 0.01, "alpha": 0.5, "weight_decay": 0.1}),
    "Rprop-flips": ("Rprop", {"lr": 0.5, "etas": [0.3, 1.5], "step_sizes": [0.001, 0.8], "maximize": False}),
    "Rprop-maximize": ("Rprop", {"lr": 0.05, "maximize": True}),
}}

FLAGS = {
    "nesterov": (lambda o, hp: o == "SGD" and hp.get("nesterov", False), r"g_t + \mu b_t"),
    "momentum": (lambda o, hp: hp.get("momentum", 0) != 0, r"b_t = \mu b_{t-1}"),
    "dampening": (lambda o, hp: o == "SGD" and hp.get("dampening", 0) != 0, r"(1 - \tau)"),
    "centered": (lambda o, hp: hp.get("centered", False), "g^{ave}"),
    "rmsprop-momentum": (lambda o, hp: o == "RMSprop" and hp.get("momentum", 0) > 0, r"b_{t-1} + g_t / ("),
    "amsgrad": (lambda o, hp: hp.get("amsgrad", False), r"\max(v_{t-1}^{max}, v_t)"),
    "decoupled": (lambda o, hp: hp.get("weight_decay", 0) != 0
                  and hp.get("decoupled_weight_decay", o == "AdamW"), r"(1 - \gamma \lambda)"),
    "coupled": (lambda o, hp: hp.get("weight_decay", 0) != 0 and o != "Rprop"
                and not hp.get("decoupled_weight_decay", o == "AdamW"), r"g_t + \lambda \theta_{t-1}"),
    "maximize": (lambda o, hp: hp.get("maximize", False), r"-\nabla"),
    "lr_decay": (lambda o, hp: hp.get("lr_decay", 0) != 0, r"\tilde{\gamma}_t"),
}

STEPS = {"RAdam": 10, "Rprop": 8}


def _balanced(line: str) -> bool:
    depth = 0
    for ch in line:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0 and line.count("(") == line.count(")")


def _last_value(line: str) -> float:
    """The number after the last ' = ', back from num()'s LaTeX form."""
    text = line.rsplit(" = ", 1)[1].strip()
    if r"\times10^{" in text:
        mantissa, exponent = text.split(r"\times10^{")
        return float(f"{mantissa}e{exponent.rstrip('}')}")
    return float(text)


def test_every_explained_optimizer_has_latex():
    assert set(LATEX) == set(RULES)
    assert {optimizer for optimizer, _ in CASES.values()} == set(RULES)


@pytest.mark.parametrize("name", CASES)
def test_rule_lines(name):
    optimizer, hparams = CASES[name]
    lines = rule_latex(optimizer, hparams)
    assert lines and all(line.strip() and _balanced(line) for line in lines), lines
    assert all(not line.startswith("$") and not line.endswith("$") for line in lines)
    assert lines[-1].startswith(r"\theta_t = ")
    text = "\n".join(lines)
    for flag, (on, fragment) in FLAGS.items():
        assert (fragment in text) == bool(on(optimizer, hparams)), (flag, text)


def test_sgd_momentum_is_torch_form_not_textbook():
    lines = rule_latex("SGD", {"momentum": 0.9, "dampening": 0.1})
    assert r"b_t = \mu b_{t-1} + (1 - \tau) g_t" in lines
    assert lines[-1] == r"\theta_t = \theta_{t-1} - \gamma b_t"


@pytest.fixture(scope="module")
def explained():
    out = {}
    for name, (optimizer, hparams) in CASES.items():
        traj = run({"optimizer": optimizer, "hparams": hparams, "surface": "bowl",
                    "steps": STEPS.get(optimizer, 5)})
        out[name] = traj.config["hparams"], explain(traj)
    return out


@pytest.mark.parametrize("name", CASES)
def test_substituted_update_equals_explained_update(name, explained):
    optimizer = CASES[name][0]
    hparams, steps = explained[name]
    n_rule = len(rule_latex(optimizer, hparams))
    for i, step in enumerate(steps):
        for coordinate in (0, 1):
            update = float(np.asarray(step.quantities["update"])[coordinate])
            for previous in (None, steps[i - 1] if i else None):
                lines = substituted_latex(optimizer, hparams, step, coordinate, previous=previous)
                assert all(_balanced(line) for line in lines), lines
                assert lines[-1].startswith(r"\theta_t - \theta_{t-1} = ")
                assert _last_value(lines[-1]) == pytest.approx(float(f"{update:.4g}"), rel=1e-12, abs=1e-300)
                if optimizer != "RAdam":  # RAdam's l_t, r_t lines appear only once rectified
                    assert len(lines) == n_rule


def test_radam_rectification_lines_follow_the_step(explained):
    hparams, steps = explained["RAdam-rectified"]
    rectified = [bool(s.quantities["rectified"][0]) for s in steps]
    assert any(rectified) and not all(rectified)
    for step, on in zip(steps, rectified, strict=True):
        text = "\n".join(substituted_latex("RAdam", hparams, step, 0))
        assert ("r_t = " in text) == on


def test_rprop_branches_are_exercised(explained):
    hparams, steps = explained["Rprop-flips"]
    texts = ["\n".join(substituted_latex("Rprop", hparams, s, c, previous=steps[s.t - 1] if s.t else None))
             for s in steps for c in (0, 1)]
    assert any(r"\max(" in t for t in texts) and any(r"\min(" in t for t in texts)
    assert not any(r"\eta_{t-1}" in t for t in texts)  # the previous step size is always known


def test_intermediate_values_match_quantities(explained):
    hparams, steps = explained["Adam-amsgrad"]
    step = steps[3]
    lines = substituted_latex("Adam", hparams, step, 1, previous=steps[2])
    by_lhs = {line.split(" = ", 1)[0]: _last_value(line) for line in lines}
    for lhs, key in [("m_t", "m"), ("v_t", "v"), (r"\hat{m}_t", "m_hat"), ("v_t^{max}", "v_max"),
                     (r"\hat{v}_t", "v_hat")]:
        assert by_lhs[lhs] == pytest.approx(float(f"{step.quantities[key][1]:.4g}"), rel=1e-12)
    # the state before the step, solved back or taken from the previous step, agrees
    solved = substituted_latex("Adam", hparams, step, 1)
    assert [s for s in solved if s.startswith("m_t")] == [s for s in lines if s.startswith("m_t")]


def test_multi_start_member(explained):
    hparams, steps = explained["Adam"]
    step = steps[2]
    stacked = type(step)(step.t, {k: np.stack([v, 2 * v]) for k, v in step.quantities.items()}, {})
    last = substituted_latex("Adam", hparams, stacked, 0, member=1)[-1]
    assert _last_value(last) == pytest.approx(float(f"{2 * step.quantities['update'][0]:.4g}"))


@pytest.mark.parametrize(("x", "text"), [(0.36114, "0.3611"), (-2.5, "-2.5"), (1.2e-5, r"1.2\times10^{-5}"),
                                         (0.0, "0"), (123456.0, r"1.235\times10^{5}"), (1999.0, "1999")])
def test_num(x, text):
    assert num(x) == text


def test_unknown_optimizer():
    with pytest.raises(ValueError, match="LBFGS"):
        rule_latex("LBFGS", {})
