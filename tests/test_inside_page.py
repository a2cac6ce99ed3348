"""AppTest for Inside the optimizer: rules with numbers, state, state_dict save/load, Adam+L2 vs AdamW."""

import json
from dataclasses import replace

import numpy as np
import pytest
from apptest import APP, open_app
from streamlit.testing.v1 import AppTest
from test_explain_latex import _last_value, _number, _rosenbrock_adam_float32

from optimizers import run
from optimizers.explain import explain
from optimizers.rules.latex import num
from optimizers.specs import EXPLAINED
from share import encode, sanitize


def inside_page(lang="en") -> AppTest:
    return open_app("pages/inside.py", lang)


def test_rule_numbers_state_and_state_dict():
    at = inside_page()
    assert not at.exception and not at.error
    formulas = [x.value for x in at.latex]
    assert any(r"\hat{m}_t" in f for f in formulas)          # the rule
    assert any("= -2.5" in f for f in formulas)              # step 1's gradient in x on the bowl
    assert len(at.get("plotly_chart")) == 2
    at.number_input(key="in.step").set_value(9).run()
    assert not at.exception
    assert any("step 10" in e.label for e in at.expander)  # "state_dict() after step 10"


@pytest.mark.parametrize("optimizer", ["SGD", "Momentum", "RMSprop", "Adagrad", "Rprop", "NAdam", "RAdam", "LBFGS"])
def test_every_optimizer_opens(optimizer):
    at = inside_page()
    at.selectbox(key="in.run.optimizer").set_value(optimizer).run()
    assert not at.exception


def _config():
    return {"surface": "bowl", "surface_params": {"condition": 10.0, "rotation": 0.0}, "start": [-2.5, 2.0],
            "steps": 500, "optimizer": "Adam", "hparams": {"lr": 0.1}}


def test_loading_a_saved_state_dict_resumes_identically():
    from optimizers.checkpoint import checkpoint
    at = inside_page()
    saved = json.dumps(checkpoint(_config(), 40)).encode()
    at.file_uploader(key="in.upload").set_value(("state_dict_step40.json", saved, "application/json")).run()
    assert not at.exception
    assert at.success and "identical" in at.success[0].value
    assert run(_config()).xy.shape == (501, 2)


@pytest.mark.parametrize("data", [b"{not json", b'{"step": 3}', "é".encode("latin-1")])
def test_a_bad_state_dict_file_gives_a_message(data):
    at = inside_page()
    at.file_uploader(key="in.upload").set_value(("x.json", data, "application/json")).run()
    assert not at.exception and at.error


def test_adam_l2_vs_adamw():
    at = inside_page()
    at.toggle(key="in.adamw").set_value(True).run()
    assert not at.exception and len(at.get("plotly_chart")) == 2
    (pair,) = [json.loads(c.proto.json_args) for c in at.get("component_instance")]
    assert [r["label"] for r in pair["runs"]] == ["Adam + L2", "AdamW"]  # the pair in the player
    formulas = [x.value for x in at.latex]
    assert any(r"(1 - \gamma \lambda)" in f or r"1 - \gamma\lambda" in f for f in formulas)


def test_chinese():
    at = inside_page("zh")
    assert not at.exception and at.title[0].value == "优化器内部"


def test_lbfgs_numbers_and_the_differing_lines():
    at = inside_page()
    at.selectbox(key="in.run.optimizer").set_value("LBFGS").run()
    assert not at.exception and any(r"d_{last}" in x.value for x in at.latex)
    at.selectbox(key="in.run.optimizer").set_value("Adam").run()
    at.toggle(key="in.adamw").set_value(True).run()
    coloured = [x.value for x in at.latex if r"\color" in x.value]
    assert len(coloured) == 2 and r"\lambda \theta_{t-1}" in coloured[0] and r"\gamma \lambda" in coloured[1]



def linked(state: dict, lang: str = "en") -> AppTest:
    """The Inside page opened from a share link of `state` (surface, steps, run, step)."""
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({"lang": lang, "c": encode("inside", sanitize("inside", state)[0])})
    return at.switch_page("pages/inside.py").run()


def _numbers(at: AppTest) -> list[str]:
    """The two substituted rules (x, y) on the page."""
    return [x.value for x in at.latex if r"\theta_t - \theta_{t-1} &=" in x.value]


def _delta(latex: str) -> float:
    """The last number of the last row: Δθ (st.latex's value is wrapped in $$; a long line's result has a row
    of its own, `&= result`)."""
    body = latex.strip().strip("$").strip().removesuffix(r"\end{aligned}")
    return _last_value(" " + body.rsplit(r"\\", 1)[-1].replace("&=", "="))


ONE_CYCLE = {"surface": "bowl", "steps": 60, "step": 10,
             "run": {"optimizer": "SGD", "hparams": {"lr": 0.01, "momentum": 0.9}, "scheduler": "OneCycleLR",
                     "scheduler_params": {"max_lr": 0.1}}}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_shows_the_cycled_momentum(lang):
    at = linked(ONE_CYCLE, lang)
    assert not at.exception and not at.error and not at.warning
    state = sanitize("inside", ONE_CYCLE)[0]
    traj = run({k: state[k] for k in ("surface", "surface_params", "start", "steps")}
               | {k: v for k, v in state["run"].items() if k != "color"})
    mu = traj.hparams_used["momentum"][10, 0]
    assert num(mu) != num(0.9)
    caption = next(c.value for c in at.caption if "OneCycleLR" in c.value)
    assert f"momentum = {mu:.4g}" in caption and "0.9" in caption
    assert ("configured" if lang == "en" else "配置值") in caption
    for latex, c in zip(_numbers(at), (0, 1), strict=True):
        assert rf"b_t &= {num(mu)} \cdot" in latex
        assert _number(num(traj.update[10][c])) == _delta(latex)


def test_cyclic_lr_on_plain_sgd_shows_the_momentum_rule():
    state = {**ONE_CYCLE, "run": {"optimizer": "SGD", "hparams": {"lr": 0.01}, "scheduler": "CyclicLR",
                                  "scheduler_params": {"base_lr": 0.001, "max_lr": 0.01, "step_size_up": 10}}}
    at = linked(state)
    assert not at.exception and not at.warning
    assert any(r"b_t &= \mu b_{t-1} + g_t" in x.value for x in at.latex)  # the rule: CyclicLR set momentum 0.9
    assert any("momentum = " in c.value and "configured: 0)" in c.value for c in at.caption)


@pytest.mark.parametrize("step", [3, 5, 19])
def test_nadam_at_lr_zero_opens(step):
    """PolynomialLR(total_iters=3) brings lr to 0 from step 4 on (the lr widget itself stops at 1e-5)."""
    run_state = {"optimizer": "NAdam", "hparams": {"lr": 0.05}, "scheduler": "PolynomialLR",
                 "scheduler_params": {"total_iters": 3}}
    at = linked({"surface": "bowl", "steps": 20, "step": step, "run": run_state})
    assert not at.exception and not at.error and not at.warning
    numbers = _numbers(at)
    assert len(numbers) == 2 and all(_delta(latex) == 0 for latex in numbers)
    assert all(r"\hat{m}_t" in latex for latex in numbers)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_explanation_failure_is_a_message_not_a_traceback(monkeypatch, lang):
    def broken(hp, values):
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setitem(EXPLAINED, "Adam", replace(EXPLAINED["Adam"], latex=broken))
    at = inside_page(lang)
    assert not at.exception
    assert len(at.warning) == 1 and "ZeroDivisionError" in at.warning[0].value
    assert ("could not be worked out" if lang == "en" else "无法算出") in at.warning[0].value
    assert len(at.get("plotly_chart")) == 2  # the path and torch's recorded state are still there


ROSENBROCK = {"surface": "rosenbrock", "steps": 300, "run": {"optimizer": "Adam", "hparams": {"lr": 0.001}}}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_float32_delta_theta_is_what_torch_did(lang):
    """Rosenbrock, Adam lr 1e-3, float32: the page's Δθ is torch's change (from a loop written out in torch), and
    where the exact formula gives other digits a note says so."""
    moved = np.diff(_rosenbrock_adam_float32(), axis=0)
    traj = run({"surface": "rosenbrock", "optimizer": "Adam", "hparams": {"lr": 1e-3}, "steps": 300})
    exact = np.array([s.quantities["update"] for s in explain(traj)])
    for step in (0, 1, 150):
        at = linked({**ROSENBROCK, "step": step}, lang)
        assert not at.exception and not at.warning
        numbers = _numbers(at)
        notes = [c.value for c in at.caption if "float32" in c.value]
        for latex, c in zip(numbers, (0, 1), strict=True):
            assert _delta(latex) == _number(num(moved[step][c]))
            if num(exact[step][c]) != num(moved[step][c]):
                assert any(f"${num(moved[step][c])}$" in n and f"${num(exact[step][c])}$" in n for n in notes)
        assert len(notes) == sum(num(exact[step][c]) != num(moved[step][c]) for c in (0, 1))
    assert num(exact[0][1]) != num(moved[0][1])  # step 1's y: the note was shown
