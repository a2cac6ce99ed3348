"""The LaTeX update rules: torch's form, only the lines a run's flags use, and this step's numbers substituted."""

import re

import numpy as np
import pytest
import torch
from test_explain import CASES as REPLAY_CASES
from test_explain import CYCLED, _cycled_config, torch_loop

from optimizers import run
from optimizers.explain import explain
from optimizers.explain_latex import rule_latex, step_hparams, substituted_latex
from optimizers.rules.latex import moved_by, num
from optimizers.specs import EXPLAINED, OPTIMIZERS
from surfaces import get_surface
from viz.latex_fit import FIT_EM, fitted, width_em

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
    """The number after the last ' = ' (after the arrow of `moved_by`, if any), back from num()'s LaTeX form."""
    return _number(line.rsplit(" = ", 1)[1].strip().rsplit(" ", 1)[-1])


def _number(text: str) -> float:
    """A number back from num()'s LaTeX form."""
    if r"\times10^{" in text:
        mantissa, exponent = text.split(r"\times10^{")
        return float(f"{mantissa}e{exponent.rstrip('}')}")
    return float(text)


def test_every_explained_optimizer_has_latex():
    assert {name for name, spec in OPTIMIZERS.items() if spec.latex is not None} == set(EXPLAINED)
    assert {optimizer for optimizer, _ in CASES.values()} == set(EXPLAINED)


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


# ---- the hyperparameters torch stepped with (a scheduler's momentum or β₁), lr = 0, and torch's float32 Δθ ----


def _line(lines: list[str], lhs: str) -> str:
    return next(line for line in lines if line.startswith(lhs + " "))


@pytest.mark.parametrize("name", [n for n in CYCLED if "no-scheduler" not in n])
def test_the_numbers_show_the_cycled_momentum(name):
    """Each step's LaTeX carries the momentum (β₁) torch stepped with, from a plain torch loop, and ends
    with torch's Δθ."""
    optimizer, hparams, scheduler, params = CYCLED[name]
    torch_run = torch_loop(optimizer, hparams, scheduler, params, 40, "float64")
    traj = run({**_cycled_config(name, "float64"), "steps": 40})
    steps = explain(traj)
    config = traj.config["hparams"]
    for s in steps[1:]:
        previous = steps[s.t - 1]
        mu, beta1 = torch_run["used"]["momentum"][s.t], torch_run["used"]["beta1"][s.t]
        moved = np.diff(torch_run["xy"], axis=0)[s.t]
        for c in (0, 1):
            lines = substituted_latex(optimizer, config, s, c, previous=previous, moved=moved[c], dtype="float64")
            assert _last_value(lines[-1]) == _number(num(moved[c]))
            if optimizer == "SGD":
                assert _line(lines, "b_t").startswith(rf"b_t = {num(mu)} \cdot ")
            elif optimizer == "RMSprop":
                assert _line(lines, "b_t").startswith(rf"b_t = {num(mu)} \cdot ")
                assert _last_value(_line(lines, "b_t")) == _number(num(torch_run["state"]["momentum_buffer"][s.t][c]))
            else:
                assert _line(lines, "m_t").startswith(rf"m_t = {num(beta1)} \cdot ")
                if optimizer == "NAdam":
                    assert rf"{num(beta1)} (1 - \tfrac{{1}}{{2}}" in _line(lines, r"\mu_t")
    assert any(num(torch_run["used"]["momentum" if optimizer in ("SGD", "RMSprop") else "beta1"][t]) != num(0.9)
               for t in range(40))


def test_cyclic_lr_gives_plain_sgd_its_momentum_lines():
    """SGD configured without momentum: CyclicLR sets momentum 0.9, so the rule torch runs has b_t."""
    traj = run(_cycled_config("SGD-CyclicLR", "float64"))
    assert traj.config["hparams"]["momentum"] == 0
    step = explain(traj)[3]
    assert r"b_t = \mu b_{t-1} + g_t" not in rule_latex("SGD", traj.config["hparams"])
    assert r"b_t = \mu b_{t-1} + g_t" in rule_latex("SGD", step_hparams(traj.config["hparams"], step, 0))
    line = _line(substituted_latex("SGD", traj.config["hparams"], step, 0), "b_t")
    assert line.startswith(rf"b_t = {num(traj.hparams_used['momentum'][3, 0])} \cdot ")


@pytest.mark.parametrize("extra", [{"hparams": {"lr": 0.0}},
                                   {"hparams": {"lr": 0.05}, "scheduler": "PolynomialLR",
                                    "scheduler_params": {"total_iters": 3}}], ids=["lr0", "PolynomialLR"])
def test_nadam_at_lr_zero(extra):
    """lr = 0 (from step 4 on with PolynomialLR(total_iters=3)): m̂ is still shown, and Δθ = 0 as in torch."""
    traj = run({"optimizer": "NAdam", "surface": "bowl", "steps": 6, "dtype": "float64", **extra})
    steps = explain(traj)
    zero = [s for s in steps if traj.lr[s.t] == 0]
    assert zero
    for s in zero:
        for c in (0, 1):
            lines = substituted_latex("NAdam", traj.config["hparams"], s, c, previous=steps[s.t - 1] if s.t else None,
                                      moved=traj.update[s.t][c])
            assert _last_value(lines[-1]) == 0 and traj.update[s.t][c] == 0
            m_hat = _last_value(_line(lines, r"\hat{m}_t"))
            assert m_hat != 0 and m_hat == _number(num(s.quantities["m_hat"][c]))


def _rosenbrock_adam_float32(steps: int = 300) -> np.ndarray:
    """Adam(lr=1e-3) on Rosenbrock in float32, written out in torch: the positions it records."""
    fn = get_surface("rosenbrock").fn
    p = torch.tensor(get_surface("rosenbrock").starts[0], dtype=torch.float32, requires_grad=True)
    opt = torch.optim.Adam([p], lr=1e-3)
    xy = [p.detach().clone().numpy()]
    for _ in range(steps):
        opt.zero_grad()
        fn(p).backward()
        opt.step()
        xy.append(p.detach().clone().numpy())
    return np.array(xy)


def test_the_shown_delta_theta_is_torchs_float32_change():
    """Rosenbrock, Adam lr 1e-3, 300 float32 steps: the replay's exact Δθ differs at 4 digits from what torch
    did in 474 of 600 numbers; the LaTeX ends with torch's, after the exact one and an arrow where they differ."""
    moved = np.diff(_rosenbrock_adam_float32(), axis=0)
    traj = run({"surface": "rosenbrock", "optimizer": "Adam", "hparams": {"lr": 1e-3}, "steps": 300})
    assert traj.config["dtype"] == "float32"
    np.testing.assert_array_equal(traj.update, moved)
    steps = explain(traj)
    differ = 0
    for s in steps:
        for c in (0, 1):
            lines = substituted_latex("Adam", traj.config["hparams"], s, c, previous=steps[s.t - 1] if s.t else None,
                                      moved=traj.update[s.t][c], dtype="float32")
            assert _last_value(lines[-1]) == _number(num(moved[s.t][c]))
            exact = s.quantities["update"][c]
            if num(exact) != num(moved[s.t][c]):
                differ += 1
                assert lines[-1].endswith(rf"= {num(exact)} \xrightarrow{{\text{{float32}}}} {num(moved[s.t][c])}")
            else:
                assert r"\xrightarrow" not in lines[-1]
    assert differ > 400



def test_beta_zero_keeps_the_symbol_of_the_forgotten_state():
    """β₁ = 0 (allowed, and where a cycled momentum may go): m_{t-1} cannot be solved back, and is not needed."""
    traj = run({"optimizer": "Adam", "hparams": {"lr": 0.05, "betas": [0.0, 0.999]}, "surface": "bowl", "steps": 4})
    step = explain(traj)[2]
    line = _line(substituted_latex("Adam", traj.config["hparams"], step, 0), "m_t")
    assert line.startswith(r"m_t = 0 \cdot m_{t-1} + 1 \cdot ")


def test_moved_by():
    assert (moved_by(3.3312e-7, 2.3842e-7, "float32")
            == r"3.331\times10^{-7} \xrightarrow{\text{float32}} 2.384\times10^{-7}")
    assert moved_by(0.12345678, 0.12345679, "float32") == "0.1235"  # the same at the 4 digits shown: torch's alone
    assert moved_by(1e-9, 0.0, "float32") == r"1\times10^{-9} \xrightarrow{\text{float32}} 0"



def _rows_of(latex: str) -> list[str]:
    """An aligned block's rows, each without the sizing a too-wide row got."""
    rows = latex.removeprefix(r"\begin{aligned}").removesuffix(r"\end{aligned}").split(r"\\")
    return [re.sub(r"\{\\(small|footnotesize|scriptsize) (.*)\}$", r"\2", row) for row in rows]


@pytest.mark.parametrize("name", CASES)
def test_fitted_rows_keep_every_number_within_a_phone_column(name, explained):
    """The page wraps long lines to fit a phone's column (`FIT_EM`): the same numbers, each result on a row of its
    own ('&= result'), every row aligned and, by KaTeX's widths, within the column (a row that cannot break is set
    smaller)."""
    optimizer = CASES[name][0]
    hparams, steps = explained[name]
    for step in steps[1:]:
        lines = substituted_latex(optimizer, hparams, step, 0, previous=steps[step.t - 1])
        latex = fitted(lines)
        rows = _rows_of(latex)
        assert all(row.count("&") == 1 for row in rows), rows
        assert "".join(rows).replace("&", "").replace(r"\quad ", "").replace(" ", "") == \
            "".join(lines).replace(" ", "")
        assert _last_value(" " + rows[-1].replace("&=", "=")) == _last_value(lines[-1])
        left = max(width_em(row.split("&")[0] + " =") for row in rows)  # the column left of '&', with its '='
        for raw in latex.removeprefix(r"\begin{aligned}").removesuffix(r"\end{aligned}").split(r"\\"):
            right = raw.split("&")[1].strip().removeprefix("=").removeprefix(r"\leftarrow")
            assert left + width_em(right) <= FIT_EM, raw


def test_a_long_line_wraps_between_terms_then_factors():
    line = (r"\hat{m}_t = 0.451 \cdot (-1.437) / (1 - 1.42\times10^{-5}) + 0.549 \cdot (-1.589) / "
            r"(1 - 3.149\times10^{-5}) = -1.521")
    assert fitted([line]).split(r"\\") == [
        r"\begin{aligned}\hat{m}_t &= 0.451 \cdot (-1.437)", r" &\quad / (1 - 1.42\times10^{-5})",
        r" &\quad + 0.549 \cdot (-1.589)", r" &\quad / (1 - 3.149\times10^{-5})", r" &= -1.521\end{aligned}"]
    short = r"g_t = \nabla_{\theta} f(\theta_{t-1}) = -2.5"
    assert fitted([short]) == r"\begin{aligned}g_t &= \nabla_{\theta} f(\theta_{t-1}) = -2.5\end{aligned}"
    assert fitted([r"g_t \leftarrow g_t + 0.1 \cdot \theta_{t-1} = -1.191"]) == \
        r"\begin{aligned}g_t &\leftarrow g_t + 0.1 \cdot \theta_{t-1} = -1.191\end{aligned}"
