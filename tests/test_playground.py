"""AppTest for the Playground page: defaults, run editing, errors, swarm, languages."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).parents[1] / "app.py")


def playground(lang="en") -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params["lang"] = lang
    return at.run()


def charts(at):
    return at.get("plotly_chart")


def summary_rows(at):
    return at.dataframe[0].value


def test_opens_with_a_race_ready_to_play():
    at = playground()
    assert not at.exception and not at.error
    assert len(charts(at)) == 1
    assert len(summary_rows(at)) == 4
    codes = [c.value for c in at.main.code]
    assert len(codes) == 4 and "torch.optim.SGD([p], lr=0.001, momentum=0.9)" in codes[1]


def test_changing_one_run_changes_only_that_run():
    at = playground()
    before = summary_rows(at)
    at.select_slider(key="pg.runs.3.hp.Adam.lr").set_value(0.01).run()
    after = summary_rows(at)
    assert not at.exception
    assert after.iloc[:3].equals(before.iloc[:3])
    assert after.iloc[3, 1] != before.iloc[3, 1] and "lr=0.01" in after.iloc[3, 0]


def test_reruns_ask_the_engine_only_for_runs_that_changed(monkeypatch):
    import ui.cache
    import ui.charts

    fresh = ui.cache.TrajectoryCache(2**28)  # nothing cached by earlier tests
    monkeypatch.setattr(ui.cache, "CACHE", fresh)
    monkeypatch.setattr(ui.cache.ENGINE, "on_result", fresh.put)
    asked, builds = [], []
    submit, build = ui.cache.ENGINE.submit, ui.charts.race_figure
    monkeypatch.setattr(ui.cache.ENGINE, "submit", lambda keys: asked.extend(keys) or submit(keys))
    monkeypatch.setattr(ui.charts, "race_figure", lambda *a, **k: builds.append(1) or build(*a, **k))
    at = playground()
    assert len(set(asked)) == 4
    at.run()  # the widgets now send their own values back (0.0 where the defaults said 0): the same runs
    assert len(set(asked)) == 4 and len(builds) <= 1
    at.select_slider(key="pg.runs.3.hp.Adam.lr").set_value(0.02).run()
    assert len(set(asked)) == 5 and not at.exception
    at.number_input(key="pg.steps").set_value(321).run()  # fewer steps: the cached runs' first steps
    assert len(set(asked)) == 5 and len(summary_rows(at)) == 4


def test_add_duplicate_and_remove_runs():
    at = playground()
    at.button(key="duplicate-run3").click().run()
    assert len(summary_rows(at)) == 5
    assert summary_rows(at).iloc[4, 0].endswith("Adam lr=0.05")  # the copy sits after its source
    at.button(key="remove-run0").click().run()
    assert len(summary_rows(at)) == 4 and not at.exception
    at.button[-1].click().run()  # "Add a run"
    at.button[-1].click().run()
    assert len(summary_rows(at)) == 6
    assert not any(b.label.endswith("Add a run") for b in at.sidebar.button)  # at most six


def test_bad_formula_shows_a_message_and_the_page_keeps_working():
    at = playground()
    at.selectbox(key="pg.surface").set_value("custom").run()
    assert not at.exception and len(charts(at)) == 1
    at.text_input(key="pg.sp.custom.formula").input("x^2 + __import__('os')").run()
    assert not at.exception
    assert any("__import__" in e.value or "unknown name" in e.value for e in at.sidebar.error)
    at.text_input(key="pg.sp.custom.formula").input("(x-1)^2 + 3*(y+1)^2").run()
    assert not at.exception and not at.sidebar.error and len(charts(at)) == 1


def test_a_diverging_run_is_flagged_not_a_traceback():
    at = playground()
    at.select_slider(key="pg.runs.0.hp.SGD.lr").set_value(0.1).run()
    assert not at.exception
    assert "step" in str(summary_rows(at).iloc[0, -1])
    assert at.warning


def test_an_invalid_scheduler_combination_is_reported_per_run():
    at = playground()
    at.selectbox(key="pg.runs.0.optimizer").set_value("Adagrad").run()
    at.selectbox(key="pg.runs.0.scheduler").set_value("OneCycleLR").run()
    assert not at.exception
    assert any("cycle_momentum" in e.value for e in at.error)
    assert len(summary_rows(at)) == 3  # the other runs still race


def test_swarm_mode_colours_starts_by_basin():
    at = playground()
    at.selectbox(key="pg.surface").set_value("himmelblau").run()
    at.sidebar.button_group(key="pg.mode").set_value("swarm").run()
    at.slider(key="pg.grid").set_value(8).run()
    assert not at.exception
    shares = at.dataframe[0].value
    assert len(shares) == 5  # four minima + "none"
    assert abs(shares.iloc[:, 1].sum() - 1) < 1e-9


def test_three_d_view():
    at = playground()
    at.button_group(key="pg.chart.view").set_value("3d").run()
    assert not at.exception and len(charts(at)) == 1


@pytest.mark.parametrize(("lang", "title"), [("en", "Optimizer race"), ("zh", "优化器赛跑")])
def test_both_languages(lang, title):
    at = playground(lang)
    assert not at.exception and at.title[0].value == title


def test_step_box_moves_the_cursor():
    at = playground()
    at.number_input(key="pg.chart.cursor").set_value(137).run()
    assert not at.exception
    spec = json.loads(charts(at)[0].proto.spec)
    assert spec["layout"]["sliders"][0]["steps"][spec["layout"]["sliders"][0]["active"]]["label"] == "137"


@pytest.mark.parametrize("scheduler", ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
                                       "CosineAnnealingWarmRestarts", "OneCycleLR", "CyclicLR", "ReduceLROnPlateau",
                                       "SequentialLR"])
def test_every_scheduler_starts_from_sensible_values(scheduler):
    at = playground()
    at.selectbox(key="pg.runs.3.scheduler").set_value(scheduler).run()
    assert not at.exception and not at.error
    assert scheduler in summary_rows(at).iloc[3, 0]


def test_reruns_in_chinese_keep_working():
    """AppTest re-formats widget options outside the run: labels must not depend on the session there."""
    at = playground("zh")
    at.radio(key="pg.runs.0.clip").set_value("norm").run()
    at.sidebar.button_group(key="pg.mode").set_value("race").run()
    assert not at.exception and at.title[0].value == "优化器赛跑"
