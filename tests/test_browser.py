"""Browser tests (Playwright + Debian's Chromium): what only a browser shows.

Every request that is not to this machine is refused (no CDN, no telemetry).
"""

import pytest

import pagestate
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
    if "about" not in path.lower():
        page.wait_for_selector(".js-plotly-plot, iframe[src*='/component/']", timeout=60_000)


def player(page):
    """The race's player (its iframe's frame) once it has drawn."""
    page.wait_for_selector("iframe[src*='/component/']", timeout=60_000)
    frame = next(f for f in page.frames if "/component/" in f.url)
    frame.wait_for_function("() => window.playerState && playerState().lastDraw", timeout=60_000)
    return frame


def play_player(frame, wait_ms=1500):
    """Press ▶ in the player, let it play, and pause it; returns its state."""
    frame.click("#play")
    frame.page.wait_for_timeout(wait_ms)
    frame.click("#play")
    return frame.evaluate("playerState()")


def click_map(frame, fx, fy):
    """Click the player's map at fractions (fx, fy) of its plot box (margins l=58, r=10, t=10, b=40)."""
    canvas = frame.locator("canvas").first
    box = canvas.bounding_box()
    canvas.click(position={"x": 58 + (box["width"] - 68) * fx, "y": 10 + (box["height"] - 50) * fy})


def go_to(page, url, title):
    """Open the app and follow the sidebar link to the page called `title`."""
    open_app(page, url)
    page.locator("[data-testid=stSidebar]").get_by_text(title, exact=True).click()
    wait_idle(page)


def assert_clean(page, allowed=frozenset()):
    assert not [e for e in page.errors if e not in allowed], page.errors
    assert not page.outside, page.outside
    assert page.locator("[data-testid='stException']").count() == 0


def test_playground_loads_offline_with_no_errors(page, app_url):
    open_app(page, app_url)
    assert page.get_by_text("Optimizer race").count() == 1
    assert_clean(page)


def test_play_moves_the_markers_and_keeps_the_contours(page, app_url):
    open_app(page, app_url)
    frame = player(page)
    before = frame.evaluate("playerState()")
    assert before["cursor"] == 0 and before["lastDraw"]["backgrounds"]["map"] >= 1
    during = play_player(frame)
    assert during["cursor"] > 0 and during["readout"][0][1:3] != before["readout"][0][1:3]  # the markers moved
    assert during["lastDraw"]["backgrounds"] == before["lastDraw"]["backgrounds"]  # the contours stayed drawn
    assert_clean(page)


def test_the_cursor_reaches_the_share_link_on_pause(page, app_url):
    open_app(page, app_url)
    cursor = play_player(player(page))["cursor"]
    page.wait_for_function(f"() => decodeURIComponent(location.search).includes('\"cursor\":{cursor}')",
                           timeout=20_000)
    wait_idle(page)
    assert player(page).evaluate("playerState().cursor") == cursor  # the rerun did not move it
    assert_clean(page)


def test_clicking_the_contour_moves_the_start(page, app_url):
    open_app(page, app_url)
    start_x = page.locator("input[aria-label='x₀']")
    old = start_x.input_value()
    click_map(player(page), 0.8, 0.2)
    page.wait_for_function(f"() => document.querySelector(\"input[aria-label='x₀']\").value !== '{old}'",
                           timeout=20_000)
    wait_idle(page)
    assert start_x.input_value() != old
    assert_clean(page)


def test_after_playing_a_single_click_sets_the_start(page, app_url):
    """No double-click first, no console error (plotly's animation used to swallow the first click)."""
    open_app(page, app_url)
    frame = player(page)
    play_player(frame, wait_ms=800)
    start_x = page.locator("input[aria-label='x₀']")
    old = start_x.input_value()
    click_map(frame, 0.2, 0.8)
    page.wait_for_function(f"() => document.querySelector(\"input[aria-label='x₀']\").value !== '{old}'",
                           timeout=20_000)
    wait_idle(page)
    assert start_x.input_value() != old
    assert_clean(page)


def test_language_switch(page, app_url):
    open_app(page, app_url)
    page.locator("[data-testid=stSidebar]").get_by_text("中文", exact=True).click()
    wait_idle(page)
    assert page.get_by_text("优化器赛跑").count() == 1
    assert "lang=zh" in page.url
    assert_clean(page)


PAGES = (("nav.playground", "pg.title"), ("nav.lessons", "ls.title"), ("nav.regression", "lr.title"),
         ("nav.network", "net.title"), ("nav.schedules", "sch.title"), ("nav.inside", "in.title"),
         ("nav.about", "app.title"))  # every page (the audit and the Chinese scan visit these too)


def test_the_browser_tests_visit_every_page():
    assert [nav for nav, _ in PAGES] == [page.title for page in pagestate.PAGES]


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


def test_schedule_curve_and_trajectory_animate_together(page, app_url):
    go_to(page, app_url, "Learning-rate schedules")
    frame = player(page)  # the race below the learning-rate curves: map, loss and lr on one cursor
    before = frame.evaluate("playerState()")
    assert before["cursor"] == 0 and all(row[4] == "—" for row in before["readout"])  # no step taken: no lr yet
    during = play_player(frame)
    assert during["cursor"] > 0 and during["step"].endswith(f"{during['cursor']} / {during['last']}")
    for old, new in zip(before["readout"], during["readout"], strict=True):
        assert new[1:3] != old[1:3] and new[4] != "—"  # every run's position and lr at the same cursor
    assert during["marks"][1] == [25, 50, 75]  # StepLR's drops marked on its path (the whole run is shown)
    frame.uncheck("#all")  # the future hidden: only the drops the cursor has passed
    frame.focus("canvas")
    frame.page.keyboard.press("Home")
    for _ in range(30):
        frame.page.keyboard.press("ArrowRight")
    assert frame.evaluate("playerState()")["marks"][1] == [25]
    assert page.locator(".katex").count() >= 2
    assert_clean(page)


def test_a_run_editor_stays_open_while_its_learning_rate_changes(page, app_url):
    """Its title names the learning rate: an untitled (unkeyed) expander was a new one after every change, closed."""
    open_app(page, app_url)
    page.locator("[data-testid=stExpander] summary").filter(has_text="1 ·").click()
    slider = page.get_by_role("slider", name="lr").first
    before = slider.get_attribute("aria-valuetext")
    slider.focus()
    for _ in range(2):
        page.keyboard.press("ArrowRight")
        wait_idle(page)
    assert slider.is_visible() and slider.get_attribute("aria-valuetext") != before
    assert page.locator("[data-testid=stExpander] summary").filter(has_text="1 ·").inner_text().endswith(
        slider.get_attribute("aria-valuetext"))
    assert_clean(page)



def test_while_a_run_computes_a_spinner_names_it_and_the_chart_stays_readable(page, app_url):
    """The changed run takes a while (10,000 Adam steps, ~1 s: 6,000 SGD steps took 0.4 s on a quiet machine, under
    Streamlit's spinner delay, and the test failed): the page says which run is computing, and the player (with the
    other runs) keeps full opacity instead of Streamlit's faded stale look."""
    import json
    import urllib.parse

    state = {"steps": 10_000, "runs": [{"optimizer": "Adam", "hparams": {"lr": 0.001}}]}
    open_app(page, app_url, "/?c=" + urllib.parse.quote(json.dumps(state)))
    player(page)
    page.locator("[data-testid=stExpander] summary").filter(has_text="1 ·").click()
    wait_idle(page)
    page.get_by_role("slider", name="lr").first.focus()
    page.keyboard.press("ArrowRight")
    spinner = page.get_by_test_id("stSpinner")
    spinner.wait_for(timeout=30_000)
    assert "1 · Adam" in spinner.inner_text()
    chart = page.locator("[data-testid=stElementContainer]").filter(has=page.locator("iframe"))
    assert chart.first.get_attribute("data-stale") == "true"  # Streamlit: not redrawn yet …
    page.wait_for_timeout(700)  # … (its fade starts after a short delay)
    assert chart.first.evaluate("e => getComputedStyle(e).opacity") == "1"  # … and still fully readable
    wait_idle(page)
    assert_clean(page)
