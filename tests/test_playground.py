"""AppTest for the Playground page: defaults, run editing, errors, languages (the swarm: tests/test_swarm.py)."""

import json
import uuid
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).parents[1] / "app.py")


def playground(lang="en") -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params["lang"] = lang
    return at.run()


def charts(at):
    """The race's player (a custom component) on the page."""
    return at.get("component_instance")


def player_args(at) -> dict:
    """What the player receives: the runs' arrays, the cursor, the panels, the texts."""
    (element,) = charts(at)
    return json.loads(element.proto.json_args)


def player_event(at, **event) -> AppTest:
    """The player reporting `event` (a pause or step: cursor and show_all; a map click: click), then a rerun."""
    at.session_state["pg.chart.player"] = {**event, "id": uuid.uuid4().hex}
    return at.run()


def summary_rows(at):
    return at.dataframe[0].value


def test_opens_with_a_race_ready_to_play():
    at = playground()
    assert not at.exception and not at.error
    assert len(charts(at)) == 1 and not at.get("plotly_chart")
    args = player_args(at)
    assert [r["label"] for r in args["runs"]] == list(summary_rows(at).iloc[:, 0])
    assert args["panels"] == ["map", "loss", "lr"] and args["cursor"] == 0 and args["show_all"]
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
    submit, build = ui.cache.ENGINE.submit, ui.charts.surface_layer
    monkeypatch.setattr(ui.cache.ENGINE, "submit", lambda keys: asked.extend(keys) or submit(keys))
    monkeypatch.setattr(ui.charts, "surface_layer", lambda *a, **k: builds.append(1) or build(*a, **k))
    ui.charts._layer.clear()
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


def test_three_d_view():
    at = playground()
    at.button_group(key="pg.chart.view").set_value("3d").run()
    assert not at.exception and len(charts(at)) == 1
    assert player_args(at)["panels"] == ["3d", "loss", "lr"]


@pytest.mark.parametrize(("lang", "title"), [("en", "Optimizer race"), ("zh", "优化器赛跑")])
def test_both_languages(lang, title):
    at = playground(lang)
    assert not at.exception and at.title[0].value == title


def test_the_players_cursor_reaches_the_summary_table_and_the_player():
    from optimizers import run
    from optimizers.metrics import distance_to_minima

    at = playground()
    assert "step" not in " ".join(c.value for c in at.caption if "cursor" in c.value)  # the whole run: final values
    final = summary_rows(at)
    player_event(at, cursor=137, show_all=False)
    assert not at.exception and "pg.chart.cursor" not in [w.key for w in at.number_input]  # no step box
    args = player_args(at)
    assert args["cursor"] == 137 and not args["show_all"]
    rows = summary_rows(at)
    adam = run({"surface": "rosenbrock", "start": [-1.5, 2.0], "steps": 500, "optimizer": "Adam",
                "hparams": {"lr": 0.05}})
    assert float(rows.iloc[3, 1]) == pytest.approx(adam.loss[137], rel=1e-3)  # 4 significant digits
    assert rows.iloc[3, 2] == f"({adam.xy[137][0]:.4g}, {adam.xy[137][1]:.4g})"
    assert float(rows.iloc[3, 3]) == pytest.approx(distance_to_minima(adam.xy[137], [[1.0, 1.0]]), rel=1e-2)
    assert any("step 137 of 500" in c.value for c in at.caption)
    player_event(at, cursor=500, show_all=False)  # played to the end: the final values
    assert summary_rows(at).equals(final)
    player_event(at, cursor=20, show_all=True)  # the whole run shown: the final values
    assert summary_rows(at).equals(final) and player_args(at)["cursor"] == 20


def test_a_diverged_run_is_flagged_once_the_cursor_has_passed_it():
    at = playground()
    at.select_slider(key="pg.runs.0.hp.SGD.lr").set_value(0.1).run()
    diverged = player_args(at)["runs"][0]["diverged"]
    assert diverged is not None and "step" in str(summary_rows(at).iloc[0, -1])
    player_event(at, cursor=diverged - 1, show_all=False)
    assert summary_rows(at).iloc[0, -1] == "—" and at.warning  # the note under the chart explains the ×
    player_event(at, cursor=diverged, show_all=False)
    assert "step" in str(summary_rows(at).iloc[0, -1]) and at.warning


def test_a_click_on_the_map_moves_every_runs_start():
    at = playground()
    player_event(at, click=[0.5, -0.25])
    assert not at.exception
    assert (at.number_input(key="pg.start_x").value, at.number_input(key="pg.start_y").value) == (0.5, -0.25)
    runs = player_args(at)["runs"]
    from viz.player_data import decode
    assert all(list(decode(r["xy"], (-1, 2))[0]) == [0.5, -0.25] for r in runs)
    player_event(at, click=["0.5", float("nan")])  # not a point: ignored
    assert not at.exception and at.number_input(key="pg.start_x").value == 0.5


def test_a_lesson_opens_with_the_future_hidden():
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params.update({"lang": "en", "lesson": "lr-too-large"})
    at.run()
    assert not at.exception and not player_args(at)["show_all"] and player_args(at)["cursor"] == 0
    assert any("step 0 of" in c.value for c in at.caption)


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


def test_swarm_mode_hides_the_single_start_and_keeps_it_for_the_race():
    """Issue 15: the swarm starts on a grid, so x₀/y₀ did nothing there; the steps stay, and the start typed for the
    race is still there when the race comes back."""
    at = playground()
    at.number_input(key="pg.start_x").set_value(-0.75).run()
    at.sidebar.button_group(key="pg.mode").set_value("swarm").run()
    assert not at.exception
    keys = {w.key for w in at.sidebar.number_input}
    assert "pg.start_x" not in keys and "pg.start_y" not in keys and "pg.steps" in keys
    at.sidebar.button_group(key="pg.mode").set_value("race").run()
    assert not at.exception and at.number_input(key="pg.start_x").value == -0.75
