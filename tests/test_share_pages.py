"""Share links on every page (AppTest): config → URL → page → config is identical; bad links open with defaults."""

import json

import pytest
from apptest import APP
from streamlit.testing.v1 import AppTest
from test_share import BREAKING, STATES, breaking_link

from lessons import LESSONS
from pagestate import PAGES as DECLARED
from share import decode, default_state, encode, sanitize
from texts import text

PAGES = {page.name: (None if page.path == "app.py" else page.path) for page in DECLARED}


def open_with(page: str, lang: str = "en", **query) -> object:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({"lang": lang, **query})
    return at.run() if PAGES[page] is None else at.switch_page(PAGES[page]).run()


def page_state(at, page: str) -> dict:
    """The state the page wrote into its URL."""
    return decode(page, at.query_params.get("c", ""))


@pytest.mark.parametrize("page", list(STATES))
def test_a_link_opens_exactly_its_view(page):
    state = sanitize(page, STATES[page])[0]
    at = open_with(page, c=encode(page, state))
    assert not at.exception, at.exception
    assert not at.warning, [w.value for w in at.warning]
    assert page_state(at, page) == (state, [])


@pytest.mark.parametrize("page", list(STATES))
def test_a_page_without_a_link_shows_its_defaults(page):
    at = open_with(page)
    assert not at.exception
    assert page_state(at, page) == (default_state(page), [])
    assert "c" not in at.query_params  # the defaults need no link


def test_a_change_goes_into_the_link():
    at = open_with("playground")
    at.number_input(key="pg.steps").set_value(222).run()
    assert page_state(at, "playground")[0]["steps"] == 222
    at.selectbox(key="pg.runs.1.optimizer").set_value("Adagrad").run()
    state = page_state(at, "playground")[0]
    assert state["runs"][1]["optimizer"] == "Adagrad"
    reopened = open_with("playground", c=at.query_params["c"])  # a student opens the lecturer's link
    assert page_state(reopened, "playground")[0] == state
    assert reopened.number_input(key="pg.steps").value == 222


HOSTILE = ["<script>alert(1)</script>", '{"steps": "<img src=x onerror=alert(1)>", "evil": 1}',
           '{"runs": [{"optimizer": "Adam", "hparams": {"lr": -5}}], "start": [1e99, 0]}', "x" * 10_000,
           '{"surface": "custom", "surface_params": {"formula": "__import__(\'os\').system(\'ls\')"}}']


@pytest.mark.parametrize("page", list(STATES))
@pytest.mark.parametrize("bad", HOSTILE)
def test_a_tampered_link_opens_with_defaults_and_a_notice(page, bad):
    at = open_with(page, lang="zh", c=bad, lesson="<b>nope</b>", lecture="<script>", hide="x" * 5000)
    assert not at.exception, at.exception
    state, problems = decode(page, bad)
    assert page_state(at, page)[0] == state
    if problems:
        assert len(at.warning) == 1 and "默认值" in at.warning[0].value  # in the user's language
    shown = " ".join(str(e.value) for kind in ("markdown", "warning", "error", "caption", "info")
                     for e in getattr(at, kind))
    assert "<script" not in shown and "<img" not in shown and "__import__" not in shown


@pytest.mark.parametrize("lesson", list(LESSONS))
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_lesson_opens_and_runs(lesson, lang):
    lesson = LESSONS[lesson]
    at = open_with(lesson.page, lang=lang, lesson=lesson.id)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert any(lesson.text("question", lang) == info.value for info in at.info)
    assert any(lesson.text("explanation", lang) == md.value for md in at.expander[0].markdown)
    assert page_state(at, lesson.page)[0] == sanitize(lesson.page, lesson.state)[0]


def test_the_lessons_page_links_every_lesson():
    at = open_with("lessons", lang="zh")
    assert not at.exception
    links = [e for e in at.get("page_link") if "lesson" in (e.proto.query_string or "")]
    assert len(links) == len(LESSONS)


def test_lecture_mode_hides_the_chosen_sections():
    at = open_with("playground", lecture="1", hide="code,table")
    assert not at.exception
    def python():
        return [c for c in at.code if c.language == "python"]
    assert not python() and not at.dataframe
    at.button(key="lecture.leave").click().run()
    assert "lecture" not in at.query_params and python() and at.dataframe


@pytest.mark.parametrize("page", list(STATES))
@pytest.mark.parametrize("case", ["Adafactor eps=[null, null]", "OneCycleLR div_factor=1e-308"])
def test_a_link_that_broke_the_engine_opens_with_the_default_and_a_notice(page, case):
    link, path = breaking_link(page, *BREAKING[case])
    at = open_with(page, c=json.dumps(link))
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert [w.value for w in at.warning if "`" in w.value] == [text("share.problems", "en", fields=f"`{path}`")]
    assert page_state(at, page)[0] == decode(page, json.dumps(link))[0]


def test_a_growing_schedule_allowed_at_the_pages_lr_draws_its_markers():
    """StepLR γ = 10 reaches 100 from lr 0.01 in 160 steps: allowed, so its curve's markers (validated at the
    page's lr, not at 1) draw too."""
    link = {"lr": 0.01, "steps": 160, "schedulers": {"StepLR": {"gamma": 10.0}}}
    at = open_with("schedules", c=json.dumps(link))
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert page_state(at, "schedules") == decode("schedules", json.dumps(link)) and not decode("schedules",
                                                                                                json.dumps(link))[1]


def saved_file(page: str, state) -> bytes:
    return json.dumps({"kind": "optimizer-playground", "version": 1, "page": page, "state": state}).encode()


@pytest.mark.parametrize(("name", "content"), [
    ("breaking", saved_file("playground", {"runs": [BREAKING["Adafactor eps=[null, null]"][0],
                                                     BREAKING["OneCycleLR div_factor=1e-308"][0]]})),
    ("nested", b"[" * 100_000 + b"]" * 100_000), ("huge int", saved_file("playground", {"steps": 10**400}))])
def test_a_hostile_saved_file_loads_with_defaults_or_a_clear_error(name, content):
    at = open_with("playground")
    at.file_uploader(key="share.file.playground").set_value(("saved.json", content, "application/json")).run()
    assert not at.exception, at.exception
    if name == "nested":
        assert [e.value for e in at.error] == [text("share.load.bad", "en")]
        return
    notice = [w.value for w in at.warning if "`" in w.value]
    fields = "`runs.0.hparams.eps`, `runs.1.scheduler_params.div_factor`" if name == "breaking" else "`steps`"
    assert notice == [text("share.problems", "en", fields=fields)]
