"""AppTest for the Learning-rate schedules page: curves, formulas, table, errors in place, trajectories."""


import json

import numpy as np
import pytest
import torch
from apptest import open_app
from streamlit.testing.v1 import AppTest

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
