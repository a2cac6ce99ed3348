"""The network page's chart in Chromium (tests/player_app.py's network mode: `ui.network_chart` with 4 real runs on
spiral3): playing changes the decision boundaries' pixels, one cursor moves every panel, the step readout and each
map's heading say true steps, a phone stacks the maps, and the exported page plays offline. Every outside request
is refused."""

from __future__ import annotations

import hashlib

import pytest

from viz.network import frame_count, frame_steps

pytestmark = pytest.mark.browser

STEPS = 100
QUERY = f"mode=network&steps={STEPS}"
CURVES = ("net_loss", "net_accuracy", "net_lr", "net_grad")


def state(frame) -> tuple[dict, dict]:
    return frame.evaluate("playerState()"), frame.evaluate("networkState()")


def cell_pixels(frame, box) -> str:
    """A hash of the main canvas's pixels inside a map's box (CSS pixels)."""
    data = frame.evaluate("""([x, y, w, h]) => {
        const c = document.querySelector('.panel.main canvas'), k = c.width / c.getBoundingClientRect().width;
        return Array.from(c.getContext('2d').getImageData(Math.round(x * k), Math.round(y * k), Math.round(w * k),
                                                          Math.round(h * k)).data).join(',');
    }""", box)
    return hashlib.sha1(data.encode()).hexdigest()


def expected_frame(cursor: int) -> int:
    """The true step of the boundary shown at `cursor`: the last sampled step at or before it."""
    return max(s for s in frame_steps(STEPS, STEPS + 1, frame_count(3)).tolist() if s <= cursor)


def assert_one_cursor(frame, cursor: int) -> None:
    """Every panel shows step `cursor`: the maps the last boundary sampled at or before it (saying its step), the
    curves up to it, the readout and the step label."""
    s, n = state(frame)
    keys = s["lastDraw"]["keys"]
    assert s["cursor"] == cursor and s["scrub"] == cursor and not s["showAll"]
    assert s["step"].endswith(f" {cursor} / {STEPS}")
    for key in keys:
        assert n["boundary"][key]["step"] == expected_frame(cursor)
        assert n["curves"]["net_loss"][key] == [cursor, cursor]
        assert n["curves"]["net_accuracy"][key] == [cursor, cursor]
        assert n["curves"]["net_lr"][key] == [min(cursor, STEPS)]
        assert n["curves"]["net_grad"][key] == [min(cursor, STEPS - 1)] * 3
    assert len(s["readout"]) == 4 and all(len(row) == 6 for row in s["readout"])


def test_sampled_frames_are_the_engines(open_player):
    _, frame = open_player(QUERY)
    steps = frame.evaluate("S.runs.map((r) => Array.from(r.frame_steps))")
    assert steps == [frame_steps(STEPS, STEPS + 1, frame_count(3)).tolist()] * 4


def test_playing_changes_the_boundaries_and_one_cursor_moves_every_panel(open_player):
    page, frame = open_player(QUERY)
    frame.uncheck("#all")
    assert_one_cursor(frame, 0)
    _, n = state(frame)
    keys = list(n["boundary"])
    before = {k: cell_pixels(frame, n["boundary"][k]["box"]) for k in keys}
    frame.click("#play")
    page.wait_for_timeout(2500)
    frame.click("#play")
    cursor = frame.evaluate("playerState().cursor")
    assert 10 < cursor < STEPS
    assert_one_cursor(frame, cursor)
    after = {k: cell_pixels(frame, n["boundary"][k]["box"]) for k in keys}
    assert all(before[k] != after[k] for k in keys)  # every run's boundary moved
    frame.click("#fwd")
    assert_one_cursor(frame, cursor + 1)
    frame.locator(".panel.main canvas").focus()
    page.keyboard.press("End")
    assert_one_cursor(frame, STEPS)
    assert state(frame)[1]["boundary"][keys[0]]["step"] == STEPS
    page.keyboard.press("Home")
    assert_one_cursor(frame, 0)
    assert cell_pixels(frame, n["boundary"][keys[0]]["box"]) == before[keys[0]]
    assert not page.errors and not page.outside


def test_the_step_readout_and_the_maps_say_true_steps(open_player):
    page, frame = open_player(QUERY)
    frame.uncheck("#all")
    frame.evaluate(f"setCursor({STEPS // 2 + 1})")
    s, n = state(frame)
    assert s["step"].split()[-3:] == [str(STEPS // 2 + 1), "/", str(STEPS)]
    shown = {b["step"] for b in n["boundary"].values()}
    assert shown == {expected_frame(STEPS // 2 + 1)} and expected_frame(STEPS // 2 + 1) in \
        frame_steps(STEPS, STEPS + 1, frame_count(3)).tolist()


def test_a_phone_stacks_the_maps_and_the_panels(open_player):
    page, frame = open_player(QUERY, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    boxes = [b["box"] for b in state(frame)[1]["boundary"].values()]
    assert len({round(b[0]) for b in boxes}) == 1  # one column
    assert all(b2[1] > b1[1] + b1[3] for b1, b2 in zip(boxes, boxes[1:], strict=False))  # one under another
    assert min(b[2] for b in boxes) > 250  # each map about as wide as the screen
    panels = frame.evaluate("[...document.querySelectorAll('.panel')].map((p) => p.getBoundingClientRect())"
                            ".map((r) => [r.left, r.top, r.width, r.height])")
    assert len(panels) == 5
    assert all(p[1] >= q[1] + q[3] - 1 for q, p in zip(panels, panels[1:], strict=False))  # stacked
    assert all(p[0] + p[2] <= 390 for p in panels)
    assert not page.errors and not page.outside


@pytest.mark.parametrize("chart", ["boundaries", "landscape"])
def test_the_exported_page_plays_offline(browser, chart):
    from conftest import offline_page
    from test_network_viz import network_results

    from ui.exports import animation_page
    from ui.network_chart import LANDSCAPE_PANELS, PANELS, chart_texts
    from viz.network import landscape_payload, network_entry, network_layer

    done = network_results(STEPS)
    if chart == "boundaries":
        layer, runs, panels = network_layer(done[0].config["network"]), [network_entry(r) for r in done], PANELS
    else:
        (layer, runs), panels = landscape_payload(done, {"kind": "pca"}), LANDSCAPE_PANELS
    page = offline_page(browser)
    try:
        page.set_content(animation_page({"layer": layer, "runs": runs, "panels": panels, "texts": chart_texts("en")},
                                        "network", "en"))
        page.wait_for_function("() => window.playerState && window.playerState().lastDraw")
        page.uncheck("#all")
        page.click("#play")
        page.wait_for_timeout(1500)
        page.click("#play")
        cursor = page.evaluate("playerState().cursor")
        assert cursor > 0
        if chart == "boundaries":
            assert_one_cursor(page.main_frame, cursor)
        else:
            s, n = state(page.main_frame)
            assert [s["drawn"][k] for k in s["lastDraw"]["keys"]] == [cursor + 1] * 4
            assert all(v == [cursor, cursor] for v in n["curves"]["plane_gap"].values())
        assert not page.errors and not page.outside
    finally:
        page.context.close()


@pytest.mark.parametrize("plane", ["pca", "three"])
def test_the_landscape_moves_with_its_cursor(open_player, plane):
    page, frame = open_player(f"{QUERY}&plane={plane}")
    frame.uncheck("#all")
    for cursor in (0, 37, STEPS):
        frame.evaluate(f"setCursor({cursor})")
        s, n = state(frame)
        keys = s["lastDraw"]["keys"]
        assert [s["drawn"][k] for k in keys] == [cursor + 1] * 4  # the projected paths
        assert all(n["curves"]["plane_gap"][k] == [cursor, cursor] for k in keys)
        assert all(n["curves"]["plane_distance"][k] == [cursor] for k in keys)
        assert all(n["curves"]["line1d"][k] == 61 for k in keys)  # static: the whole line
        assert s["step"].endswith(f" {cursor} / {STEPS}") and all(len(row) == 6 for row in s["readout"])
    distances = [float(row[5]) for row in s["readout"]]  # at the last step
    if plane == "three":  # the plane holds the first two runs' final weights
        assert distances[0] < 1e-3 and distances[1] < 1e-3 and max(distances[2:]) > 1e-2
    assert not page.errors and not page.outside
