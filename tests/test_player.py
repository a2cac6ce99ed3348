"""The player: its payload (unit tests) and the component in Chromium (tests/player_app.py, real engine runs)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import ROOT

from optimizers import run
from surfaces import get_surface
from viz.player_data import decode, run_entry, run_entry_of, surface_layer

CONFIG = {"surface": "rosenbrock", "start": [-1.5, 2.0], "steps": 500, "optimizer": "Adam", "hparams": {"lr": 0.05}}


def entry(steps=500, label="Adam", color="#0072B2", **hparams):
    config = {**CONFIG, "steps": steps, "hparams": {**CONFIG["hparams"], **hparams}}
    return run_entry_of(label, color, config, run(config))


def test_arrays_decode_to_the_float32_values():
    traj = run(CONFIG)
    e = entry()
    assert np.array_equal(decode(e["xy"], (501, 2)), traj.xy.astype(np.float32))
    assert np.array_equal(decode(e["loss"]), traj.loss.astype(np.float32))
    assert np.array_equal(decode(e["lr"]), traj.lr.astype(np.float32))
    assert (e["steps"], e["starts"], e["end"], e["diverged"]) == (500, 1, 501, None)


def test_a_swarm_and_a_diverged_run():
    xy = np.random.default_rng(0).normal(size=(11, 7, 2))
    xy[4:, 3] = np.nan
    e = run_entry("swarm", "#000000", {"n": 7}, xy, np.zeros((11, 7)), np.ones(10))
    assert (e["starts"], e["end"], e["diverged"]) == (7, 11, None)  # a start's NaN positions are not drawn
    np.testing.assert_array_equal(decode(e["xy"], xy.shape), xy.astype(np.float32))  # NaN where NaN
    sgd = run({**CONFIG, "steps": 50, "optimizer": "SGD", "hparams": {"lr": 0.003}})
    diverged = run_entry_of("SGD", "#D55E00", CONFIG, sgd)
    assert diverged["diverged"] == diverged["end"] == sgd.diverged_at < 50


def test_run_size_grows_linearly_with_the_steps():
    sizes = [len(json.dumps(entry(steps))) for steps in (250, 500, 1000)]
    assert 1.9 < sizes[1] / sizes[0] < 2.1 and 1.9 < sizes[2] / sizes[1] < 2.1
    assert sizes[1] < 12_000  # ≈ 4 × (501 × 4) float32 values in base64: 4 runs × 500 steps ≈ 45 KB


def test_keys_are_stable_and_change_with_what_they_hash():
    a = entry()
    assert entry()["key"] == a["key"]
    assert entry(lr=0.02)["key"] != a["key"]
    assert entry(color="#D55E00")["key"] != a["key"]
    assert entry(label="Adam (2)")["key"] != a["key"]
    rosenbrock = surface_layer(get_surface("rosenbrock"))
    assert surface_layer(get_surface("rosenbrock"))["key"] == rosenbrock["key"]
    assert surface_layer(get_surface("himmelblau"))["key"] != rosenbrock["key"]
    assert surface_layer(get_surface("rosenbrock"), mesh_n=40)["key"] != rosenbrock["key"]


def test_the_surface_layer_holds_every_level_and_the_mesh():
    layer = surface_layer(get_surface("rosenbrock"), mesh_n=40)
    lines = decode(layer["lines"], (-1, 2))
    assert np.isnan(lines[np.array(layer["starts"][1:]) - 1]).all()  # each level ends with a NaN separator
    assert np.isfinite(lines[layer["starts"]]).all() and len(layer["starts"]) == 25
    assert layer["minima"] == [[1.0, 1.0]] and layer["log"]
    assert decode(layer["mesh"]["z"]).shape == (40 * 40,)
    assert len(json.dumps(surface_layer(get_surface("rosenbrock")))) < 40_000


def test_apptest_sees_the_arrays_the_component_receives():
    from streamlit.testing.v1 import AppTest

    from ui.player import SERVED

    at = AppTest.from_file(str(ROOT / "tests" / "player_app.py"), default_timeout=60).run()
    assert not at.exception
    (element,) = at.get("component_instance")
    args = json.loads(element.proto.json_args)
    adam = args["runs"][1]
    assert adam["label"] == "2: Adam lr=0.05" and args["panels"] == ["map", "loss", "lr"]
    assert np.array_equal(decode(adam["xy"], (501, 2)), run(CONFIG).xy.astype(np.float32))
    layer = json.loads((SERVED / args["surface"]["url"]).read_text())  # what the browser fetches, once per surface
    assert layer["key"] == args["surface"]["key"] == surface_layer(get_surface("rosenbrock"))["key"]


# ---- in Chromium -------------------------------------------------------------------------------------------

def state(frame) -> dict:
    return frame.evaluate("playerState()")


def wait_for_event(page, text: str):
    page.get_by_text(text, exact=False).first.wait_for(timeout=20_000)


ADAM = run({**CONFIG, "steps": 500})  # the test app's second run


def assert_agree(frame, cursor: int):
    """The step box, the scrubber, the readouts and the drawn paths all say `cursor`."""
    s = state(frame)
    assert s["cursor"] == cursor and s["scrub"] == cursor and s["step"] == f"step {cursor} / 500"
    label, x, y, loss, _ = s["readout"][1]
    assert label.startswith("2: Adam")
    np.testing.assert_allclose([float(x), float(y), float(loss)], [*ADAM.xy[cursor], ADAM.loss[cursor]], rtol=1e-4,
                               atol=5e-6)  # below 1e-3 the readout shows 3 significant digits (3.53e-5)
    assert all(drawn <= cursor + 1 for drawn in s["drawn"].values())  # with the future hidden: nothing beyond it
    return s


@pytest.mark.browser
def test_cursor_readouts_and_python_agree_after_play_pause_step_scrub_and_keys(open_player):
    page, frame = open_player()
    assert_agree(frame, 0)
    frame.click("#play")
    page.wait_for_timeout(1200)
    frame.click("#play")
    cursor = assert_agree(frame, state(frame)["cursor"])["cursor"]
    assert 0 < cursor < 500 and not state(frame)["playing"]
    wait_for_event(page, f'"cursor": {cursor}')  # the pause reached Python once
    frame.click("#fwd")
    assert_agree(frame, cursor + 1)
    frame.click("#back")
    frame.click("#back")
    assert_agree(frame, cursor - 1)
    wait_for_event(page, f'"cursor": {cursor - 1}')
    frame.focus("#scrub")
    frame.press("#scrub", "End")
    assert_agree(frame, 500)
    frame.press("#scrub", "ArrowLeft")
    assert_agree(frame, 499)
    frame.focus("canvas")
    for key, expected in (("Home", 0), ("ArrowRight", 1), ("ArrowRight", 2), ("ArrowLeft", 1), ("End", 500)):
        page.keyboard.press(key)
        assert_agree(frame, expected)
    page.keyboard.press("Home")
    page.keyboard.press(" ")
    page.wait_for_timeout(500)
    assert state(frame)["playing"]
    page.keyboard.press(" ")
    assert_agree(frame, state(frame)["cursor"])
    assert not page.errors and not page.outside


@pytest.mark.browser
def test_the_future_is_hidden_until_shown_and_a_diverged_run_ends_with_its_last_finite_point(open_player):
    page, frame = open_player()
    frame.click("#fwd")
    frame.click("#fwd")
    drawn = state(frame)["drawn"]
    assert sorted(drawn.values()) == [3, 3, 3, 3]
    frame.check("#all")
    s = state(frame)
    assert sorted(s["drawn"].values()) == [6, 501, 501, 501] and s["cursor"] == 2  # the diverged run: steps 0-5
    frame.uncheck("#all")
    frame.focus("canvas")
    page.keyboard.press("End")
    s = state(frame)
    assert sorted(s["drawn"].values()) == [6, 501, 501, 501]
    assert s["readout"][3][0].endswith("(diverged)")
    assert not page.errors


@pytest.mark.browser
def test_a_learning_rate_change_redraws_that_run_only(open_player):
    page, frame = open_player()
    before = state(frame)["lastDraw"]
    page.get_by_role("slider").focus()
    page.keyboard.press("ArrowRight")
    frame.wait_for_function(f"playerState().lastDraw.keys[0] !== '{before['keys'][0]}'", timeout=30_000)
    after = state(frame)["lastDraw"]
    assert after["keys"][1:] == before["keys"][1:]
    assert after["backgrounds"]["map"] == before["backgrounds"]["map"]  # the contour lines were not redrawn
    assert state(frame)["readout"][0][0].startswith("1: SGD lr=0.000502")


@pytest.mark.browser
def test_reduced_motion_shows_the_final_step_and_no_playback(open_player):
    page, frame = open_player(reduced_motion="reduce")
    s = state(frame)
    assert s["reduced"] and s["cursor"] == 500 and frame.is_disabled("#play") and frame.is_visible("#reduced")
    frame.focus("canvas")
    page.keyboard.press(" ")
    page.wait_for_timeout(500)
    assert not state(frame)["playing"] and state(frame)["frames"] == 0
    page.keyboard.press("ArrowLeft")  # stepping is not motion
    assert state(frame)["cursor"] == 499


@pytest.mark.browser
def test_a_map_click_after_playback_returns_the_point_with_no_console_error(open_player):
    page, frame = open_player()
    frame.click("#play")
    page.wait_for_timeout(800)
    frame.click("#play")
    canvas = frame.locator("canvas").first
    box = canvas.bounding_box()
    # the plot box has margins l=58, r=10, t=10, b=40: its centre is the centre of the bounds (0.25, 1)
    canvas.click(position={"x": 58 + (box["width"] - 68) / 2, "y": 10 + (box["height"] - 50) / 2})
    wait_for_event(page, '"click": [0.2')
    events = json.loads(page.get_by_text("events:").inner_text().removeprefix("events: "))
    x, y = events[-1]["click"]
    assert abs(x - 0.25) < 0.05 and abs(y - 1.0) < 0.05
    assert not page.errors and not page.outside


@pytest.mark.browser
def test_the_page_scrolls_over_the_chart(open_player):
    page, frame = open_player(viewport={"width": 1000, "height": 600})
    box = frame.frame_element().bounding_box()
    page.mouse.move(box["x"] + 200, box["y"] + 200)
    page.mouse.wheel(0, 300)
    page.wait_for_timeout(400)
    assert page.evaluate("document.querySelector('[data-testid=stMain]').scrollTop") > 0


@pytest.mark.browser
@pytest.mark.parametrize("mode", ["map", "3d"])
def test_a_swipe_on_a_phone_scrolls_the_page(open_player, mode):
    page, frame = open_player(f"mode={mode}", viewport={"width": 390, "height": 700}, has_touch=True, is_mobile=True)
    if mode == "3d":
        frame.wait_for_selector(".js-plotly-plot", timeout=30_000)
    box = frame.frame_element().bounding_box()
    x, y = box["x"] + 200, box["y"] + 330  # on the map or the 3D scene
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for i in range(1, 11):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y - 20 * i}]})
        page.wait_for_timeout(16)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.wait_for_timeout(600)
    assert page.evaluate("document.querySelector('[data-testid=stMain]').scrollTop") > 100


@pytest.mark.browser
def test_3d_plays_on_the_same_cursor(open_player):
    page, frame = open_player("mode=3d&runs=2", viewport={"width": 1000, "height": 600})
    frame.wait_for_selector(".js-plotly-plot", timeout=30_000)
    frame.click("#play")
    page.wait_for_timeout(1000)
    frame.click("#play")
    s = assert_agree(frame, state(frame)["cursor"])
    lengths = frame.evaluate("document.querySelector('.js-plotly-plot').data.map((t) => t.x.length)")
    assert not frame.locator("[data-title^='Share chart']").count()  # no upload to Plotly Cloud
    assert lengths[1] == lengths[3] == s["cursor"] + 1 and lengths[2] == lengths[4] == 1  # paths and markers
    box = frame.frame_element().bounding_box()
    page.mouse.move(box["x"] + 200, box["y"] + 250)
    page.mouse.wheel(0, 300)  # scrolls the page, does not zoom
    page.wait_for_timeout(400)
    assert page.evaluate("document.querySelector('[data-testid=stMain]').scrollTop") > 0
    assert not page.errors and not page.outside


@pytest.mark.browser
def test_the_exported_page_plays_offline_with_the_same_player(browser, tmp_path):
    from ui.player import player_html

    runs = [entry(label="1: Adam lr=0.001", lr=0.001), entry(label="2: Adam lr=0.05", color="#D55E00")]
    path = tmp_path / "race.html"
    path.write_text(player_html(surface_layer(get_surface("rosenbrock")), runs, title="Race"))
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(path.as_uri())
    page.wait_for_function("() => window.playerState && playerState().lastDraw")
    assert_agree(page.main_frame, 0)
    page.click("#play")
    page.wait_for_timeout(800)
    page.click("#play")
    cursor = assert_agree(page.main_frame, state(page.main_frame)["cursor"])["cursor"]
    assert cursor > 0 and requests == [path.as_uri()] and not errors
    context.close()


@pytest.mark.browser
def test_save_png_redraws_the_panels_at_twice_their_size(open_player, tmp_path):
    from PIL import Image

    page, frame = open_player("runs=2")
    width = frame.evaluate("document.getElementById('panels').getBoundingClientRect().width")
    map_box = frame.evaluate("(() => { const p = document.getElementById('panels').getBoundingClientRect(), "
                             "m = document.querySelector('canvas').getBoundingClientRect(); "
                             "return [m.left - p.left, m.top - p.top, m.width, m.height]; })()")
    frame.locator("canvas").first.screenshot(path=tmp_path / "screen.png")
    with page.expect_download() as download:
        frame.click("#png")
    image = Image.open(download.value.path()).convert("L")
    assert abs(image.width - 2 * width) <= 2
    x, y, w, h = (round(2 * v) for v in map_box)
    sharp = np.asarray(image.crop((x, y, x + w, y + h)), dtype=float)
    scaled = np.asarray(Image.open(tmp_path / "screen.png").convert("L").resize((w, h), Image.BILINEAR), dtype=float)
    edges = lambda a: np.abs(np.diff(a, axis=1)).mean()  # noqa: E731
    assert edges(sharp) > 1.3 * edges(scaled)  # drawn at 2×, not the screen's pixels scaled up (blurred)
    assert not page.errors


def test_the_reduce_motion_setting_reaches_every_player_of_the_session():
    from apptest import open_app

    at = open_app("app.py")
    assert json.loads(at.get("component_instance")[0].proto.json_args)["reduced_motion"] is False
    at.toggle(key="reduce_motion.playground").set_value(True).run()
    assert json.loads(at.get("component_instance")[0].proto.json_args)["reduced_motion"] is True
    at.switch_page("pages/schedules.py").run()
    assert not at.exception and at.toggle(key="reduce_motion.schedules").value
    assert json.loads(at.get("component_instance")[0].proto.json_args)["reduced_motion"] is True


def test_another_version_of_the_player_is_served_from_its_own_folder(tmp_path, monkeypatch):
    """Two checkouts on one machine (a clean clone's test run beside a development server) once shared one served
    folder, and each server overwrote the other's player.js (a page got the other version's code)."""
    import shutil

    import ui.player

    copy = tmp_path / "player"
    shutil.copytree(ui.player.SOURCE, copy)
    (copy / "player.js").write_text((copy / "player.js").read_text() + "\n// another version\n")
    monkeypatch.setattr(ui.player, "SOURCE", copy)
    other = ui.player._serve()
    try:
        assert other != ui.player.SERVED
        assert (other / "player.js").read_text().endswith("// another version\n")
        assert not (ui.player.SERVED / "player.js").read_text().endswith("// another version\n")
    finally:
        shutil.rmtree(other)
