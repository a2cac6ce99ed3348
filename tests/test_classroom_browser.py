"""Classroom features in a real browser: share links, save/load, lecture mode, exports (HTML, PNG, CSV)."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import offline_page
from test_browser import assert_clean, open_app, play_player, player, wait_idle
from test_export_html import assert_player_plays_offline

from share import decode

pytestmark = pytest.mark.browser


def set_steps(page, label: str, value: int) -> None:
    box = page.locator(f"input[aria-label='{label}']")
    box.fill(str(value))
    box.press("Enter")
    wait_idle(page)


def open_share_panel(page, title="Share · save · load"):
    page.locator("[data-testid=stSidebar]").get_by_text(title).click()
    page.wait_for_timeout(300)


def test_a_share_link_opens_the_same_view_for_another_student(page, browser, app_url):
    open_app(page, app_url, "/?lang=zh")
    set_steps(page, "步数", 345)
    url = page.url
    assert "c=" in url and "lang=zh" in url
    assert decode("playground", parse_qs(urlsplit(url).query)["c"][0])[0]["steps"] == 345
    student = offline_page(browser)
    try:
        open_app(student, url)
        assert student.locator("input[aria-label='步数']").input_value() == "345"
        assert student.get_by_text("优化器赛跑").count() == 1  # the language travels with the link
        assert student.url == url  # nothing to correct: the page wrote back the same link
    finally:
        student.context.close()
    assert_clean(page)


def test_save_and_load_a_configuration_file(page, browser, app_url, tmp_path):
    open_app(page, app_url)
    set_steps(page, "Steps", 275)
    open_share_panel(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Save the configuration (JSON)").click()
    saved = tmp_path / "config.json"
    download.value.save_as(saved)
    assert json.loads(saved.read_text())["state"]["steps"] == 275

    student = offline_page(browser)
    try:
        open_app(student, app_url)
        open_share_panel(student)
        bad = tmp_path / "bad.json"
        bad.write_text("<script>alert(1)</script>")
        student.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(bad)
        wait_idle(student)
        assert student.get_by_text("not a configuration saved by Optimizer Playground").count() == 1
        student.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(saved)
        wait_idle(student)
        assert student.locator("input[aria-label='Steps']").input_value() == "275"
        assert "275" in student.url  # the loaded state is the page's link now
        assert student.locator("[data-testid='stException']").count() == 0
    finally:
        student.context.close()


def test_lecture_mode_hides_the_sidebar_enlarges_and_still_plays(page, app_url):
    open_app(page, app_url, "/?lecture=1&hide=code&lesson=saddle-escape")
    assert not page.locator("[data-testid=stSidebar]").is_visible()
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "22px"
    assert page.get_by_text("Lesson · ").count() == 1
    assert page.get_by_text("import torch").count() == 0  # hide=code
    frame = player(page)
    assert frame.evaluate("getComputedStyle(document.body).fontSize") == "21px"  # the player's texts × 1.5
    panels = frame.locator("#panels").bounding_box()  # its charts as high as the screen leaves under its top
    assert panels["height"] >= 0.5 * page.viewport_size["height"]  # (tests/test_lecture.py: one 1080p screen)
    s = play_player(frame)
    assert s["cursor"] > 0 and set(s["drawn"].values()) == {s["cursor"] + 1}  # a lesson: the future hidden
    page.get_by_text("Leave lecture mode").click()
    wait_idle(page)
    assert page.locator("[data-testid=stSidebar]").is_visible() and "lecture" not in page.url
    assert player(page).evaluate("getComputedStyle(document.body).fontSize") == "14px"
    assert_clean(page)


def test_a_hostile_link_runs_no_script(page, app_url):
    open_app(page, app_url, "/?c=%3Cscript%3Ewindow.hacked%3D1%3C%2Fscript%3E&lesson=%3Cimg%20src%3Dx%20onerror%3D"
                            "window.hacked%3D2%3E&lang=%3Cb%3E")
    assert page.evaluate("window.hacked") is None
    assert page.locator("[data-testid=stAlertContentWarning]").count() == 1
    assert page.locator("img[src=x]").count() == 0
    assert_clean(page)


def test_the_exported_animation_plays_offline(page, browser, app_url, tmp_path):
    open_app(page, app_url)
    with page.expect_download() as download:
        page.get_by_role("button", name="Animation (HTML)").click()
    path = tmp_path / "animation.html"
    download.value.save_as(path)
    during = assert_player_plays_offline(browser, path, "en")  # the race's own player, nothing else
    assert len(during["readout"]) == 4


def test_the_chart_saves_as_png_and_the_runs_as_csv(page, app_url, tmp_path):
    open_app(page, app_url)
    with page.expect_download() as download:
        player(page).click("#png")  # the player's own button: the panels as drawn now, and the runs' labels
    png = tmp_path / "chart.png"
    download.value.save_as(png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    with page.expect_download() as download:
        page.get_by_role("button", name="Trajectories (CSV)").click()
    rows = download.value.path().read_text().splitlines()
    assert rows[0].startswith("run,start,step,x,y,loss") and len(rows) == 1 + 4 * 501
    assert_clean(page)


def test_a_page_keeps_its_configuration_when_the_student_comes_back(page, app_url):
    open_app(page, app_url, "/?lang=en")
    set_steps(page, "Steps", 420)
    for name in ("Lessons", "Playground"):
        page.locator("[data-testid=stSidebar]").get_by_text(name, exact=True).click()
        wait_idle(page)
    assert page.locator("input[aria-label='Steps']").input_value() == "420"
    assert "lang=en" in page.url and "c=" in page.url
