"""The Linear-regression page's player in Chromium: the MSE map, the data with the fitted lines and the loss on one
time cursor (what each panel drew, `regressionState()` of ui/player/panels/regression.js), a click on the map
setting (w₀, b₀), and the exported HTML page playing offline. Every outside request is refused.

The numbers are the engine's runs of the page's defaults, which tests/test_regression_exact.py checks against torch.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from test_browser import assert_clean, go_to, player, wait_idle
from test_regression_page import default_trajectory

from share import decode
from surfaces import get_surface
from texts import text
from viz.regression import arrow_lengths

pytestmark = pytest.mark.browser

SIZES = (None, 4, 1)  # the page's three modes: full batch, mini-batch of 4, single sample


@pytest.fixture(scope="module")
def trajectories():
    return [default_trajectory(size) for size in SIZES]


def arrow_drawn(traj, step: int) -> bool:
    """Whether the map draws step `step`'s arrow: there is a step, and its gradient is not ≈ 0 at the run's scale."""
    surface = get_surface("linear_regression")
    (w0, w1), (b0, b1) = surface.bounds
    arrow = arrow_lengths([traj.grad, surface.gradient(traj.xy[:-1])], np.hypot(w1 - w0, b1 - b0))
    return step < traj.steps and np.linalg.norm(traj.grad[step]) * arrow["scale"] >= arrow["min"]


def drawn(frame) -> tuple[dict, dict]:
    return frame.evaluate("playerState()"), frame.evaluate("regressionState()")


def assert_one_cursor(frame, trajectories, cursor: int) -> None:
    """Every panel shows step `cursor` and nothing beyond it (the future hidden): the paths, the fitted lines, the
    arrows, the ringed batches, the loss curves; the readouts and the arrows are the engine's."""
    s, r = drawn(frame)
    keys = s["lastDraw"]["keys"]
    assert s["cursor"] == cursor and s["scrub"] == cursor and not s["showAll"]
    assert [s["drawn"][k] for k in keys] == [cursor + 1] * 3  # the map's paths
    assert [r["lines"][k] for k in keys] == [cursor] * 3  # the data panel's lines y = w·x + b
    assert [r["loss"][k] for k in keys] == [cursor + 1] * 3  # the loss curves
    assert [r["arrows"][k]["step"] for k in keys] == [cursor] * 3
    for key, traj in zip(keys, trajectories, strict=True):
        if traj.batches is not None:  # the batch of the step from the cursor on (none after the last step)
            count = int((traj.batches[cursor] >= 0).sum()) if cursor < traj.steps else 0
            assert r["rings"][key] == {"step": cursor, "count": count}
    for row, traj in zip(s["readout"], trajectories, strict=True):
        np.testing.assert_allclose([float(v) for v in row[1:4]], [*traj.xy[cursor], traj.loss[cursor]], rtol=1e-4)
    for key, traj in zip(keys, trajectories, strict=True):
        assert ("used" in r["arrows"][key]) == arrow_drawn(traj, cursor)
        if "used" in r["arrows"][key]:
            tip = np.array(r["arrows"][key]["used"]) - traj.xy[cursor]  # along −(the gradient the optimizer used)
            cosine = tip @ -traj.grad[cursor] / np.linalg.norm(tip) / np.linalg.norm(traj.grad[cursor])
            assert cosine > 1 - 1e-5


def test_play_pause_step_and_keys_keep_the_three_panels_on_one_cursor(page, app_url, trajectories):
    go_to(page, app_url, "Linear regression")
    frame = player(page)
    frame.uncheck("#all")
    assert_one_cursor(frame, trajectories, 0)
    frame.click("#play")
    page.wait_for_timeout(1200)
    frame.click("#play")
    cursor = frame.evaluate("playerState().cursor")
    assert 0 < cursor < 200
    assert_one_cursor(frame, trajectories, cursor)
    frame.click("#fwd")
    assert_one_cursor(frame, trajectories, cursor + 1)
    frame.click("#back")
    frame.click("#back")
    assert_one_cursor(frame, trajectories, cursor - 1)
    frame.focus("canvas")
    for key, expected in (("End", 200), ("ArrowLeft", 199), ("Home", 0), ("ArrowRight", 1)):
        page.keyboard.press(key)
        assert_one_cursor(frame, trajectories, expected)
    assert_clean(page)


def test_a_click_on_the_map_sets_w0_and_b0(page, app_url):
    go_to(page, app_url, "Linear regression")
    frame = player(page)
    x, y = frame.evaluate("() => { const c = S.charts[0]; return [c.sx(0.5), c.sy(1.25)]; }")  # the MSE map
    frame.locator("canvas").first.click(position={"x": x, "y": y})
    wait_idle(page)
    start = decode("regression", parse_qs(urlparse(page.url).query)["c"][0])[0]["start"]  # the share link's
    np.testing.assert_allclose(start, [0.5, 1.25], atol=0.01)  # within a pixel
    for name, value in zip(("w₀", "b₀"), start, strict=True):  # the start widgets (4 digits shown)
        assert float(page.locator(f"input[aria-label='{name}']").input_value()) == pytest.approx(value, rel=1e-3)
    frame = player(page)
    frame.wait_for_function(f"() => Math.abs(+playerState().readout[0][1] - {start[0]}) < 1e-3", timeout=30_000)
    for row in frame.evaluate("playerState().readout"):  # every run starts there
        np.testing.assert_allclose([float(v) for v in row[1:3]], start, rtol=1e-4)
    assert_clean(page)


def test_the_exported_page_plays_offline(page, app_url, browser, tmp_path, trajectories):
    go_to(page, app_url, "Linear regression")
    player(page)
    with page.expect_download() as download:
        page.get_by_role("button", name=text("export.html", "en")).click()
    path = tmp_path / "regression.html"
    download.value.save_as(path)
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    exported = context.new_page()
    requests, errors = [], []
    exported.on("request", lambda r: requests.append(r.url))
    exported.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    exported.on("pageerror", lambda e: errors.append(str(e)))
    exported.goto(path.as_uri())
    exported.wait_for_function("() => window.playerState && playerState().lastDraw")
    frame = exported.main_frame
    assert_one_cursor(frame, trajectories, 0)  # the exported page opens with the future hidden
    exported.click("#play")
    exported.wait_for_timeout(1000)
    exported.click("#play")
    cursor = frame.evaluate("playerState().cursor")
    assert cursor > 0
    assert_one_cursor(frame, trajectories, cursor)
    assert requests == [path.as_uri()] and not errors
    context.close()
    assert_clean(page)
