"""Browser tests (Playwright + Debian's Chromium): what only a browser shows.

Every request that is not to this machine is refused (no CDN, no telemetry).
"""

import pytest

from texts import text

pytestmark = pytest.mark.browser


def wait_idle(page, timeout=60_000):
    page.wait_for_timeout(300)
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=timeout)
    page.wait_for_selector("[data-test-script-state='notRunning']", timeout=timeout)
    page.wait_for_timeout(300)


def open_app(page, url, path=""):
    page.goto(url + path)
    wait_idle(page)
    page.wait_for_selector(".js-plotly-plot", timeout=60_000) if "about" not in path.lower() else None


# plotly.js quirks we cannot reach from Python: pausing rejects the running animation's promise
# ("undefined"), and the first click after an animation fails in plotly's selection styling.
KNOWN_PLOTLY_ERRORS = {"undefined", "Cannot read properties of undefined (reading 'selectAll')"}


def go_to(page, url, title):
    """Open the app and follow the sidebar link to the page called `title`."""
    open_app(page, url)
    page.locator("[data-testid=stSidebar]").get_by_text(title, exact=True).click()
    wait_idle(page)


def play(plot, wait_ms=1500):
    """Press ▶ Play on a plotly figure and let the animation run."""
    plot.locator(".updatemenu-button").filter(has_text="Play").first.click()
    plot.page.wait_for_timeout(wait_ms)


def assert_clean(page, allowed=frozenset()):
    assert not [e for e in page.errors if e not in allowed], page.errors
    assert not page.outside, page.outside
    assert page.locator("[data-testid='stException']").count() == 0


MARKERS_JS = """() => {
  const gd = document.querySelector('.js-plotly-plot');
  const frames = gd._transitionData._frames;
  const i = frames.length ? frames[0].traces[0] : -1;  // the first trace a frame moves: the markers on the map
  return {index: i, x: gd.data[i] ? Array.from(gd.data[i].x) : null,
          slider: gd._fullLayout.sliders && gd._fullLayout.sliders[0] ? gd._fullLayout.sliders[0].active : null,
          contourPaths: gd.querySelectorAll('.scatterlayer .trace path.js-line').length};
}"""


def test_playground_loads_offline_with_no_errors(page, app_url):
    open_app(page, app_url)
    assert page.get_by_text("Optimizer race").count() == 1
    assert_clean(page)


def test_play_moves_the_markers_and_keeps_the_contours(page, app_url):
    open_app(page, app_url)
    before = page.evaluate(MARKERS_JS)
    assert before["index"] >= 0 and before["contourPaths"] > 20
    play(page.locator(".js-plotly-plot").first)
    during = page.evaluate(MARKERS_JS)
    assert during["x"] != before["x"]                       # the cursor moved the markers
    assert during["contourPaths"] >= before["contourPaths"]  # the surface is still drawn while playing
    assert during["slider"] != before["slider"]
    assert_clean(page)


def test_clicking_the_contour_moves_the_start(page, app_url):
    open_app(page, app_url)
    start_x = page.locator("input[aria-label='x₀']")
    old = start_x.input_value()
    box = page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.2)
    wait_idle(page)
    page.wait_for_timeout(500)
    wait_idle(page)
    assert start_x.input_value() != old
    assert_clean(page)


def test_after_playing_a_double_click_re_enables_setting_the_start(page, app_url):
    """plotly stops reporting clicks after an animation until the next relayout; the page says so."""
    open_app(page, app_url)
    play(page.locator(".js-plotly-plot").first, wait_ms=800)
    page.locator(".updatemenu-button").filter(has_text="Pause").first.click()
    box = page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()
    page.mouse.dblclick(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    page.wait_for_timeout(1000)
    start_x = page.locator("input[aria-label='x₀']")
    old = start_x.input_value()
    page.mouse.click(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.8)
    wait_idle(page)
    assert start_x.input_value() != old
    assert_clean(page, allowed=KNOWN_PLOTLY_ERRORS)


def test_language_switch(page, app_url):
    open_app(page, app_url)
    page.locator("[data-testid=stSidebar]").get_by_text("中文", exact=True).click()
    wait_idle(page)
    assert page.get_by_text("优化器赛跑").count() == 1
    assert "lang=zh" in page.url
    assert_clean(page)


PAGES = (("nav.playground", "pg.title"), ("nav.lessons", "ls.title"), ("nav.regression", "lr.title"),
         ("nav.schedules", "sch.title"), ("nav.inside", "in.title"), ("nav.about", "app.title"))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_page_works_offline_in_both_languages(page, app_url, lang):
    """Each page from the sidebar, every outside request refused: its title, no console error, no exception box."""
    open_app(page, app_url, f"/?lang={lang}")
    for nav, title in PAGES:
        page.locator("[data-testid=stSidebar]").get_by_text(text(nav, lang), exact=True).click()
        wait_idle(page)
        assert page.locator("h1").filter(has_text=text(title, lang)).count() >= 1, title
        assert page.locator("[data-testid='stException']").count() == 0, nav
        assert f"lang={lang}" in page.url
    assert_clean(page)


def test_about_page_offline(page, app_url):
    go_to(page, app_url, "About")
    page.wait_for_selector(".katex")
    assert page.locator(".katex").count() >= 10  # formulas render from the bundled KaTeX
    assert_clean(page)


FIT_JS = """() => {
  const gd = document.querySelector('.js-plotly-plot');
  const fit = gd.data.filter(t => t.meta && t.meta.role === 'fit');
  const cursor = gd.data.filter(t => t.meta && t.meta.role === 'cursor_map');
  return {fit: fit.map(t => Array.from(t.y)), cursor: cursor.map(t => [Array.from(t.x), Array.from(t.y)])};
}"""


def test_regression_line_moves_with_the_path(page, app_url):
    go_to(page, app_url, "Linear regression")
    page.wait_for_selector(".js-plotly-plot")
    before = page.evaluate(FIT_JS)
    assert len(before["fit"]) == 3
    play(page.locator(".js-plotly-plot").first)
    during = page.evaluate(FIT_JS)
    assert during["fit"] != before["fit"]        # the fitted lines moved …
    assert during["cursor"] != before["cursor"]  # … together with the points on the MSE contour
    assert_clean(page)


LR_CURSOR_JS = """() => {
  const plots = document.querySelectorAll('.js-plotly-plot');
  const gd = plots[plots.length - 1];                 // the race below the learning-rate curves
  const frames = gd._transitionData._frames;
  const traces = frames[0].traces;                    // map, loss, lr[, distance] markers
  return {map: Array.from(gd.data[traces[0]].x), lr: Array.from(gd.data[traces[2]].x)};
}"""


def test_schedule_curve_and_trajectory_animate_together(page, app_url):
    go_to(page, app_url, "Learning-rate schedules")
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 2")
    before = page.evaluate(LR_CURSOR_JS)
    play(page.locator(".js-plotly-plot").last)
    during = page.evaluate(LR_CURSOR_JS)
    assert during["map"] != before["map"] and during["lr"] != before["lr"]  # path and LR cursor move together
    assert page.locator(".katex").count() >= 2
    assert_clean(page)


def test_inside_the_optimizer_steps_one_update_at_a_time(page, app_url):
    go_to(page, app_url, "Inside the optimizer")
    page.wait_for_selector(".js-plotly-plot")
    path_length = "() => document.querySelector('.js-plotly-plot').data.find(t => t.mode === 'lines+markers').x.length"
    assert page.evaluate(path_length) == 1
    for _ in range(3):
        step_box = page.locator("[data-testid=stNumberInput]").filter(has_text="Step through")
        step_box.get_by_test_id("stNumberInputStepUp").click()
        wait_idle(page)
    assert page.evaluate(path_length) == 4  # the path so far grew by one point per step
    assert page.locator(".katex").count() >= 3
    assert_clean(page)
