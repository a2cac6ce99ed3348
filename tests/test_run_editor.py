"""The run editor in AppTest: values typed exactly beside each slider, run labels that tell runs apart, the notice
for identical runs, and a lesson's "Reset lesson" and note of what the student changed — in both languages."""

import json
import uuid

import numpy as np
import pytest
from apptest import APP
from oracle import torch_loop
from streamlit.testing.v1 import AppTest

from lessons import LESSONS
from surfaces import get_surface
from texts import text
from viz.player_data import decode

LR = "pg.runs.0.hp.SGD.lr"  # the first run's learning rate (SGD) on the Playground


def page(lang: str = "en", **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({"lang": lang, **params})
    return at.run()


def typed(at: AppTest, key: str, value: str) -> AppTest:
    """Type `value` into the box beside the slider `key`, then rerun."""
    return at.text_input(key=f"{key}.typed").input(value).run()


def player_runs(at: AppTest) -> list[dict]:
    (player,) = at.get("component_instance")
    return json.loads(player.proto.json_args)["runs"]


def run_titles(at: AppTest) -> list[str]:
    return [e.label for e in at.sidebar.expander if e.label[:1].isdigit()]


def link(at: AppTest) -> str:
    """The URL's `c`: the page's share link."""
    c = at.query_params["c"]
    return c if isinstance(c, str) else c[0]


def link_state(at: AppTest) -> dict:
    return json.loads(link(at))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_typed_learning_rate_is_what_the_run_uses_exactly(lang):
    """Lesson 1's 0.19 (just under 2/λ_max = 0.2) typed into run 1 (0.05): the engine runs SGD(lr=0.19), the same
    path as a plain torch loop, the slider shows it and the link keeps it."""
    lesson = LESSONS["lr-too-large"]
    at = page(lang, lesson=lesson.id)
    typed(at, LR, "0.19")
    assert not at.exception and not at.error
    assert at.select_slider(key=LR).value == 0.19 and at.text_input(key=f"{LR}.typed").value == "0.19"
    state = lesson.state
    surface = get_surface(state["surface"], state["surface_params"])
    expected, _, _ = torch_loop(surface, state["start"], state["steps"], "SGD", {"lr": 0.19})
    path = decode(player_runs(at)[0]["xy"], (-1, 2))
    np.testing.assert_allclose(path[:len(expected)], np.asarray(expected, dtype=path.dtype), rtol=1e-5, atol=1e-6)
    assert "torch.optim.SGD([p], lr=0.19)" in at.main.code[0].value
    assert link_state(at)["runs"][0]["hparams"]["lr"] == 0.19
    again = page(lang, c=link(at))  # the link opens with the typed value, off the slider's grid
    assert again.select_slider(key=LR).value == 0.19 and again.text_input(key=f"{LR}.typed").value == "0.19"


BAD = [("abc", "error.number"), ("5000", "error.range"), ("-0.1", "error.range"), ("nan", "error.number"),
       ("", "error.number")]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(("value", "message"), BAD)
def test_a_bad_typed_value_is_explained_and_the_run_keeps_its_value(lang, value, message):
    at = page(lang)
    before = at.select_slider(key=LR).value
    typed(at, LR, value)
    assert not at.exception
    (error,) = at.sidebar.error
    wanted = text(message, lang).split("{name}")[1].split("{")[0].strip()  # the message's words, in the language
    assert wanted in error.value and "SGD.lr" in error.value and f"lr = {before:g}" in error.value
    assert at.select_slider(key=LR).value == before and len(player_runs(at)) == 4
    at.select_slider(key=LR).set_value(0.01).run()  # the slider takes over: the box shows it, the message goes
    assert at.text_input(key=f"{LR}.typed").value == "0.01" and not at.sidebar.error


def test_values_typed_off_the_grid_and_in_full_width_digits():
    at = page("zh")
    typed(at, "pg.runs.0.hp.SGD.momentum", "0.995")  # between the linear slider's steps
    typed(at, LR, "０．００３")  # a Chinese keyboard's full-width digits
    typed(at, "pg.runs.3.hp.Adam.betas.1", "0.99")
    assert not at.exception and not at.error
    assert at.slider(key="pg.runs.0.hp.SGD.momentum").value == 0.995 and at.select_slider(key=LR).value == 0.003
    runs = link_state(at)["runs"]
    assert runs[0]["hparams"] == {"lr": 0.003, "momentum": 0.995} and runs[3]["hparams"]["betas"] == [0.9, 0.99]
    typed(at, "pg.runs.3.hp.Adam.betas.1", "1")  # torch refuses β₂ = 1: so does the box
    assert at.sidebar.error and link_state(at)["runs"][3]["hparams"]["betas"] == [0.9, 0.99]


def test_a_value_typed_beyond_the_sliders_range_and_the_slider_moved_back():
    """The slider's range grows to hold a typed 5 (its suggestion ends at 1); moved back to 0.5, it keeps 0.5."""
    at = page()
    decay = "pg.runs.0.hp.SGD.weight_decay"
    typed(at, decay, "5")
    assert at.slider(key=decay).value == 5 and link_state(at)["runs"][0]["hparams"]["weight_decay"] == 5
    at.slider(key=decay).set_value(0.5).run()
    assert not at.exception and at.slider(key=decay).value == 0.5 and at.text_input(key=f"{decay}.typed").value == "0.5"
    assert link_state(at)["runs"][0]["hparams"]["weight_decay"] == 0.5 and run_titles(at)[0].endswith("λ=0.5")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_labels_name_every_setting_that_differs_from_torchs_default(lang):
    at = page(lang)
    at.selectbox(key="pg.runs.0.optimizer").set_value("SGD").run()
    typed(at, "pg.runs.0.hp.SGD.momentum", "0.9")  # SGD with momentum 0.9 beside the Momentum preset (run 2)
    titles = run_titles(at)
    assert titles[0] == "1 · SGD lr=0.001 μ=0.9" and titles[1] == "2 · Momentum lr=0.001"
    at.selectbox(key="pg.runs.0.scheduler").set_value("StepLR").run()
    at.radio(key="pg.runs.0.clip").set_value("norm").run()
    typed(at, "pg.runs.3.hp.Adam.betas.1", "0.99")
    at.toggle(key="pg.runs.3.hp.Adam.amsgrad").set_value(True).run()
    titles = run_titles(at)
    assert titles[0] == "1 · SGD lr=0.001 μ=0.9 · StepLR · ‖g‖≤1"
    assert titles[3] == "4 · Adam lr=0.05 β=(0.9, 0.99) amsgrad"
    legend = [r["label"] for r in player_runs(at)]
    assert legend == titles and len(set(legend)) == 4


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_identical_runs_get_a_notice(lang):
    """The Momentum preset and SGD with momentum 0.9 at the same lr are one run: their paths coincide."""
    at = page(lang)
    assert not at.sidebar.info
    at.selectbox(key="pg.runs.0.optimizer").set_value("SGD").run()
    typed(at, "pg.runs.0.hp.SGD.momentum", "0.9")
    (notice,) = at.sidebar.info
    runs = "1" + text("run.identical.last", lang) + "2"
    assert notice.value == text("run.identical", lang).format(runs=runs)
    paths = [decode(r["xy"], (-1, 2)) for r in player_runs(at)[:2]]
    np.testing.assert_array_equal(paths[0], paths[1])
    typed(at, "pg.runs.0.hp.SGD.momentum", "0.8")
    assert not at.sidebar.info
    at.button(key="duplicate-run3").click().run()  # a copy is identical to its source until it is changed
    (notice,) = at.sidebar.info
    assert runs.replace("1", "4").replace("2", "5") in notice.value


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_identical_runs_are_said_next_to_the_chart_too(lang):
    """Issue 15: the notice was only in the sidebar (closed on a phone, out of sight on a projector); the chart
    where one path hides the other says it too, in the reader's language."""
    at = page(lang)
    at.selectbox(key="pg.runs.0.optimizer").set_value("SGD").run()
    typed(at, "pg.runs.0.hp.SGD.momentum", "0.9")
    expected = text("run.identical", lang).format(runs="1" + text("run.identical.last", lang) + "2")
    assert [i.value for i in at.main.info if i.value == expected] == [expected]
    typed(at, "pg.runs.0.hp.SGD.momentum", "0.8")
    assert not [i for i in at.main.info if i.value == expected]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_reset_lesson_and_the_note_of_what_changed(lang):
    at = page(lang, lesson="lr-too-large")

    def notes() -> list[str]:
        return [w.value for w in at.warning if w.value.startswith(text("lesson.changed", lang)[:4])]

    assert not at.exception and notes() == []
    at.session_state["pg.chart.player"] = {"cursor": 40, "show_all": False, "id": uuid.uuid4().hex}
    at.run()  # watching the animation changes nothing of the scene
    assert notes() == []
    typed(at, "pg.runs.0.hp.SGD.lr", "0.1")
    at.number_input(key="pg.steps").set_value(300).run()
    (note,) = notes()
    of_run = text("change.of_run", lang).format(what="lr", n=1)
    assert note == text("lesson.changed", lang).format(
        changes=text("change.sep", lang).join([text("change.steps", lang), of_run]))
    at.button(key="lesson.reset").click().run()
    assert not at.exception and notes() == []
    assert at.select_slider(key=LR).value == 0.05 and at.text_input(key=f"{LR}.typed").value == "0.05"
    assert at.number_input(key="pg.steps").value == 500
    assert [r["label"] for r in player_runs(at)] == ["1 · SGD lr=0.05", "2 · SGD lr=0.19", "3 · SGD lr=0.21"]


@pytest.mark.parametrize(("lesson", "widget", "value", "named"), [
    ("adagrad-stalls", "in.run.hp.Adagrad.lr", "0.5", "lr"),
    ("minibatch-noise", "lr.run.hp.SGD.lr", "0.01", "lr"),
    ("adam-warmup", "sch.run.hp.Adam.eps", "1e-6", "eps"),
])
def test_the_note_on_the_other_pages(lesson, widget, value, named):
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({"lang": "en", "lesson": lesson})
    at.switch_page(f"pages/{LESSONS[lesson].page}.py").run()
    assert not at.exception and not [w for w in at.warning if w.value.startswith("You changed")]
    typed(at, widget, value)
    assert not at.exception
    assert f"You changed: {named}." in [w.value for w in at.warning if w.value.startswith("You changed")][0]
    at.button(key="lesson.reset").click().run()
    assert not at.exception and not [w for w in at.warning if w.value.startswith("You changed")]


@pytest.mark.browser
def test_a_value_typed_into_the_box_updates_the_chart(page, app_url):
    from test_browser import assert_clean, open_app, player, wait_idle

    open_app(page, app_url, "?lang=en")
    page.locator("[data-testid=stExpander] summary").filter(has_text="1 ·").click()
    before = player(page).evaluate("() => playerState().readout[0]")
    box = page.get_by_label("lr: type a value").first
    box.fill("0.0007")
    box.press("Enter")
    wait_idle(page)
    frame = player(page)
    frame.wait_for_function("() => playerState().readout[0].join(' ').includes('lr=0.0007')", timeout=60_000)
    after = frame.evaluate("() => playerState().readout[0]")
    assert after != before and box.is_visible() and box.input_value() == "0.0007"
    assert page.get_by_role("slider", name="lr").first.get_attribute("aria-valuetext") == "0.0007"
    assert_clean(page)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_scheduler_reads_as_the_state_not_choose_an_option(lang):
    """Streamlit shows a selectbox's None as its placeholder ("Choose an option", in English): it is "no scheduler"."""
    from apptest import open_app

    from texts import text

    at = open_app("app.py", lang)
    scheduler = next(s for s in at.selectbox if s.key == "pg.runs.0.scheduler")
    assert scheduler.value is None and scheduler.proto.placeholder == text("run.no_scheduler", lang)
