"""AppTest for Inside the optimizer: rules with numbers, state, state_dict save/load, Adam+L2 vs AdamW."""

import json

import pytest
from apptest import open_app
from streamlit.testing.v1 import AppTest

from optimizers import run


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
    at.selectbox(key="run300.optimizer").set_value(optimizer).run()
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
    assert not at.exception and len(at.get("plotly_chart")) == 3
    formulas = [x.value for x in at.latex]
    assert any(r"(1 - \gamma \lambda)" in f or r"1 - \gamma\lambda" in f for f in formulas)


def test_chinese():
    at = inside_page("zh")
    assert not at.exception and at.title[0].value == "优化器内部"


def test_lbfgs_numbers_and_the_differing_lines():
    at = inside_page()
    at.selectbox(key="run300.optimizer").set_value("LBFGS").run()
    assert not at.exception and any(r"d_{last}" in x.value for x in at.latex)
    at.selectbox(key="run300.optimizer").set_value("Adam").run()
    at.toggle(key="in.adamw").set_value(True).run()
    coloured = [x.value for x in at.latex if r"\color" in x.value]
    assert len(coloured) == 2 and r"\lambda \theta_{t-1}" in coloured[0] and r"\gamma \lambda" in coloured[1]
