"""AppTest for the Learning-rate schedules page: curves, formulas, table, errors in place, trajectories."""


import json

import numpy as np
import pytest
import torch
from apptest import APP, open_app
from streamlit.testing.v1 import AppTest

from share import decode as share_decode
from viz.player_data import decode


def schedules_page(lang="en") -> AppTest:
    return open_app("pages/schedules.py", lang)


def test_default_curves_formulas_table_and_trajectories():
    at = schedules_page()
    assert not at.exception and not at.error
    assert len(at.latex) >= 2 + 1  # a formula per scheduler (+ the surface's formula in the sidebar)
    table = at.dataframe[0].value
    assert list(table.columns) == ["step", "StepLR", "CosineAnnealingLR"]
    # StepLR with its suggested step_size = steps // 4 = 25 and gamma 0.1, from base lr 0.1
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=25)
    expected = {}
    for step in range(100):
        expected[step] = opt.param_groups[0]["lr"]
        opt.step()
        sched.step()
    for step, lr in zip(table["step"], table["StepLR"], strict=True):
        assert lr == pytest.approx(expected[step], rel=1e-12)
    assert len(at.get("plotly_chart")) == 1  # the curves
    (race,) = at.get("component_instance")  # the race, in the player: the plain run and the scheduled one
    runs = json.loads(race.proto.json_args)["runs"]
    assert [r["label"] for r in runs][1:] == ["StepLR", "CosineAnnealingLR"]
    np.testing.assert_allclose(decode(runs[1]["lr"])[:100], [expected[s] for s in range(100)], rtol=1e-6)
    assert any("optimizer.step()" in c.value for c in at.main.code)


def test_an_invalid_parameter_shows_a_message_in_place_of_its_curve():
    at = schedules_page()
    at.multiselect(key="sch.schedulers").set_value(["StepLR", "OneCycleLR"]).run()
    at.number_input(key="sch.schedulers.OneCycleLR.total_steps").set_value(10).run()
    assert not at.exception
    assert any(e.value.startswith("OneCycleLR") and "total" in e.value for e in at.error)
    assert list(at.dataframe[0].value.columns) == ["step", "StepLR"]  # the other curve keeps working


@pytest.mark.parametrize("name", ["ReduceLROnPlateau", "SequentialLR", "CyclicLR", "CosineAnnealingWarmRestarts"])
def test_every_kind_of_scheduler_draws(name):
    at = schedules_page()
    at.multiselect(key="sch.schedulers").set_value([name]).run()
    assert not at.exception and not at.error
    assert name in list(at.dataframe[0].value.columns)


def test_chinese():
    at = schedules_page("zh")
    assert not at.exception and at.title[0].value == "学习率调度器"


def test_one_cycle_peaks_at_the_base_lr_and_a_peak_past_the_stable_limit_is_said():
    """OneCycleLR's max_lr starts at the page's base lr (it was 10 ×: 1.0 on the bowl, whose plain gradient descent
    is stable below 2/λ_max = 0.2, and the path blew up without a word); a peak past 2/λ_max is said, by step."""
    at = schedules_page()
    at.multiselect(key="sch.schedulers").set_value(["OneCycleLR"]).run()
    assert at.select_slider(key="sch.schedulers.OneCycleLR.max_lr").value == 0.1
    assert not at.exception and not at.warning
    (race,) = at.get("component_instance")
    runs = json.loads(race.proto.json_args)["runs"]
    assert np.nanmax(decode(runs[1]["lr"])) == pytest.approx(0.1, rel=1e-6)
    at.select_slider(key="sch.schedulers.OneCycleLR.max_lr").set_value(1.0).run()
    p = torch.zeros(1, requires_grad=True)  # the step at which torch's OneCycleLR first exceeds 2/λ_max = 2/10
    opt = torch.optim.SGD([p], lr=0.1)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=100)
    lrs = []
    for _ in range(100):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    first = next(s for s, lr in enumerate(lrs) if lr > 0.2)
    (warning,) = [w.value for w in at.warning if w.value.startswith("**OneCycleLR**")]
    limit = r"2/$\lambda_{\max}$ = 0.2"
    assert f"at step {first + 1} the learning rate reaches {lrs[first]:.4g}, above {limit}" in warning
    at.select_slider(key="sch.schedulers.OneCycleLR.max_lr").set_value(0.2).run()
    assert not [w for w in at.warning if w.value.startswith("**OneCycleLR**")]


def test_a_diverged_run_is_said_where_the_curvature_is_unknown():
    at = schedules_page()
    at.selectbox(key="sch.surface").set_value("rosenbrock").run()
    at.select_slider(key="sch.lr").set_value(0.5).run()
    assert any(w.value.startswith("**StepLR**: the run diverged at step") for w in at.warning)


def test_the_base_lr_is_typed_exactly_and_goes_into_the_link():
    """Issue 15: the base lr was a select slider on a 1–2–5 grid; like every hyperparameter it has a box beside its
    slider where a value off the grid is typed, checked (a bad one is explained and the page keeps its lr), and
    the link holds it."""
    at = schedules_page()
    at.text_input(key="sch.lr.typed").input("0.0123").run()
    assert not at.exception and not at.error
    assert at.select_slider(key="sch.lr").value == 0.0123
    table = at.dataframe[0].value
    assert table["StepLR"].iloc[0] == pytest.approx(0.0123) and table["CosineAnnealingLR"].iloc[0] == pytest.approx(
        0.0123)
    (race,) = at.get("component_instance")
    assert decode(json.loads(race.proto.json_args)["runs"][0]["lr"])[0] == pytest.approx(0.0123)
    state, problems = share_decode("schedules", at.query_params["c"])
    assert state["lr"] == 0.0123 and problems == []
    reopened = AppTest.from_file(APP, default_timeout=90)
    reopened.query_params.update({"lang": "en", "c": at.query_params["c"]})
    reopened = reopened.switch_page("pages/schedules.py").run()
    assert reopened.select_slider(key="sch.lr").value == 0.0123
    assert reopened.text_input(key="sch.lr.typed").value == "0.0123"
    at.text_input(key="sch.lr.typed").input("-1").run()
    assert not at.exception and at.select_slider(key="sch.lr").value == 0.0123
    (error,) = at.error
    assert "SGD.lr must be in (0, 1000]" in error.value and "0.0123" in error.value
