"""The swarm (basins of attraction): its payload against the engine's trajectories, the Playground's swarm mode
(AppTest: the arrays the player receives, the basin shares), and the swarm panel in Chromium."""

from __future__ import annotations

import json
import math
import uuid

import numpy as np
import pytest
from apptest import APP, open_app
from streamlit.testing.v1 import AppTest

from optimizers import run
from surfaces import get_surface
from ui.swarm import grid_starts
from viz.player_data import decode
from viz.swarm import GONE, LEVELS, MAX_POSITION_BYTES, NO_MINIMUM, sampled_steps, swarm_entry

HIMMELBLAU = get_surface("himmelblau")


def swarm_config(surface: str, size: int, steps: int, optimizer: str = "SGD", **hparams) -> dict:
    return {"surface": surface, "surface_params": {}, "start": grid_starts(get_surface(surface), size),
            "steps": steps, "optimizer": optimizer, "hparams": hparams}


def browser_positions(entry: dict) -> np.ndarray:
    """The positions (frames, starts, 2) as the swarm panel decodes them: lo + q / LEVELS × (hi − lo), NaN for
    GONE."""
    q = decode(entry["positions"], (len(entry["frames"]), entry["starts"], 2), kind="u2")
    (x0, x1), (y0, y1) = entry["bounds"]
    xy = np.stack([x0 + q[..., 0] / LEVELS * (x1 - x0), y0 + q[..., 1] / LEVELS * (y1 - y0)], -1)
    return np.where((q == GONE).any(-1, keepdims=True), np.nan, xy)


def entry_basins(entry: dict) -> np.ndarray:
    """Per start the index of the minimum it reached, −1 for NO_MINIMUM."""
    basin = decode(entry["basin"], kind="u2").astype(int)
    return np.where(basin == NO_MINIMUM, -1, basin)


def nearest_minimum_rule(surface, traj) -> np.ndarray:
    """Per start the minimum it ended within 2 % of the bounds' diagonal of (−1: none, or diverged), from where it
    ended: its last position, or its last one before the cost budget stopped it."""
    final = traj.xy[-1].astype(float)
    for i, stopped in enumerate(traj.stopped_at or []):
        if stopped is not None:
            final[i] = traj.xy[stopped - 1, i]
    (x0, x1), (y0, y1) = surface.bounds
    out = np.full(len(final), -1)
    for i, p in enumerate(final):
        if np.isfinite(p).all():
            d = [math.dist(p, m) for m in surface.minima]
            if min(d) <= 0.02 * math.hypot(x1 - x0, y1 - y0):
                out[i] = int(np.argmin(d))
    return out


@pytest.fixture(scope="module")
def blowing_up():
    """SGD on Rosenbrock from 16 × 16 starts with an lr too large for the steep ones: 137 diverge, sampled to
    30 frames."""
    config = swarm_config("rosenbrock", 16, 100, lr=0.003)
    traj = run(config)
    entry = swarm_entry(get_surface("rosenbrock"), traj, "SGD", "#0072B2", config, max_bytes=4 * 256 * 30)
    return traj, entry


@pytest.fixture(scope="module")
def settling():
    """SGD on Himmelblau from 16 × 16 starts: every start settles in one of the four minima."""
    config = swarm_config("himmelblau", 16, 200, lr=0.01)
    traj = run(config)
    return traj, swarm_entry(HIMMELBLAU, traj, "SGD", "#0072B2", config)


# ---- the payload -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["blowing_up", "settling"])
def test_positions_decode_within_half_a_quantisation_step_of_the_engines(case, request):
    traj, entry = request.getfixturevalue(case)
    (x0, x1), (y0, y1) = entry["bounds"]
    engine = traj.xy[entry["frames"]].astype(float)
    inside = np.isfinite(engine).all(-1) & (engine[..., 0] >= x0) & (engine[..., 0] <= x1) \
        & (engine[..., 1] >= y0) & (engine[..., 1] <= y1)
    shown = browser_positions(entry)
    assert np.array_equal(np.isfinite(shown).all(-1), inside)  # GONE exactly where not finite or outside
    half = np.array([x1 - x0, y1 - y0]) / LEVELS / 2
    assert (np.abs(shown[inside] - engine[inside]) <= half * (1 + 1e-9)).all()
    assert inside.sum() > 0.3 * inside.size  # not a vacuous check


@pytest.mark.parametrize("case", ["blowing_up", "settling"])
def test_each_starts_basin_is_the_nearest_minimum_it_ended_at(case, request):
    traj, entry = request.getfixturevalue(case)
    expected = nearest_minimum_rule(get_surface(traj.config["surface"]), traj)
    assert np.array_equal(entry_basins(entry), expected)
    assert len(entry["colors"]) == len(get_surface(traj.config["surface"]).minima)
    if case == "settling":
        assert (expected >= 0).all() and len(set(expected)) == 4  # every start settles, in all four minima


def test_diverged_starts_have_no_minimum_and_disappear_from_where_they_diverged(blowing_up):
    traj, entry = blowing_up
    basin, shown, frames = entry_basins(entry), browser_positions(entry), np.array(entry["frames"])
    diverged = [(i, d) for i, d in enumerate(traj.diverged_at) if d is not None]
    assert 100 < len(diverged) < 256
    for i, d in diverged:
        assert basin[i] == -1
        assert np.isnan(shown[frames >= d, i]).all() and np.isfinite(shown[0, i]).all()


def test_a_start_the_budget_stopped_is_coloured_by_where_it_stopped():
    config = swarm_config("himmelblau", 8, 500, optimizer="LBFGS", lr=1.0)
    traj = run(config)
    stopped = [(i, s) for i, s in enumerate(traj.stopped_at) if s is not None]
    assert stopped  # LBFGS from 64 starts × 500 steps reaches the budget
    entry = swarm_entry(HIMMELBLAU, traj, "LBFGS", "#0072B2", config)
    shown, frames = browser_positions(entry), np.array(entry["frames"])
    expected = nearest_minimum_rule(HIMMELBLAU, traj)
    assert np.array_equal(entry_basins(entry), expected) and (expected >= 0).mean() > 0.5
    for i, s in stopped:
        assert np.isnan(shown[frames >= s, i]).all()  # not drawn once stopped


def test_the_sampled_steps_are_every_kth_and_the_last(blowing_up):
    traj, entry = blowing_up
    frames = entry["frames"]
    assert frames[0] == 0 and frames[-1] == traj.steps == 100 and len(frames) <= 30
    gaps = np.diff(frames)
    assert (gaps[:-1] == gaps[0]).all() and 0 < gaps[-1] <= gaps[0] == 4
    assert entry["steps"] == len(frames) - 1 and entry["end"] == len(frames)  # the cursor moves over the frames
    np.testing.assert_array_equal(decode(entry["lr"]), traj.lr[np.array(frames[1:]) - 1].astype(np.float32))
    assert list(sampled_steps(7, 100)) == list(range(8)) and list(sampled_steps(10, 4)) == [0, 4, 8, 10]


@pytest.mark.parametrize("steps", [200, 1000])
def test_a_64_by_64_swarm_stays_under_one_and_a_half_megabytes(steps):
    config = swarm_config("himmelblau", 64, steps, lr=0.01)
    entry = swarm_entry(HIMMELBLAU, run(config), "SGD", "#0072B2", config)
    assert len(json.dumps(entry)) <= 1_500_000
    assert len(entry["frames"]) >= 40 and entry["cells"] == 64


# ---- the Playground in swarm mode (AppTest) ----------------------------------------------------------------

def swarm_player(at) -> dict:
    (element,) = at.get("component_instance")
    return json.loads(element.proto.json_args)


def shares(at) -> list[float]:
    return list(at.dataframe[0].value.iloc[:, 1])


def test_swarm_mode_shows_the_engines_swarm_and_the_basin_shares():
    at = open_app()
    at.selectbox(key="pg.surface").set_value("himmelblau").run()
    at.sidebar.button_group(key="pg.mode").set_value("swarm").run()
    at.slider(key="pg.grid").set_value(8).run()
    assert not at.exception and not at.error
    args = swarm_player(at)
    assert args["panels"] == ["swarm"] and args["show_all"]  # not a lesson: the basin map from the start
    (entry,) = args["runs"]
    traj = run(swarm_config("himmelblau", 8, 500, lr=0.001))  # the page's first run: SGD, lr 0.001, 500 steps
    assert entry["starts"] == 64 and entry["frames"] == list(range(501))  # 64 starts: every step
    np.testing.assert_allclose(browser_positions(entry), traj.xy, atol=10 / LEVELS / 2 * (1 + 1e-9))
    expected = nearest_minimum_rule(HIMMELBLAU, traj)
    assert np.array_equal(entry_basins(entry), expected)
    assert shares(at) == pytest.approx([*(np.mean(expected == i) for i in range(4)), np.mean(expected == -1)])
    assert len(shares(at)) == 5 and sum(shares(at)) == pytest.approx(1)


def open_lesson(lesson: str = "himmelblau-basins"):
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({"lang": "en", "lesson": lesson})
    return at.run()


def test_a_lesson_keeps_the_basins_for_the_end():
    at = open_lesson()
    args = swarm_player(at)
    assert not at.exception and not args["show_all"] and args["cursor"] == 0
    assert not at.dataframe and any("appears here once" in c.value for c in at.caption)  # the shares wait too
    last = args["runs"][0]["steps"]
    assert args["runs"][0]["frames"][last] == 200  # 24 × 24 starts × 200 steps: every step is a frame
    at.session_state["pg.swarm.player"] = {"cursor": last, "show_all": False, "id": uuid.uuid4().hex}
    at.run()
    assert not at.exception and swarm_player(at)["cursor"] == last
    assert len(shares(at)) == 5 and all(0.2 <= s <= 0.3 for s in shares(at)[:4])  # as the lesson explains


def test_a_64_by_64_swarm_of_200_steps_sends_at_most_one_and_a_half_megabytes():
    at = open_lesson()
    at.slider(key="pg.grid").set_value(64).run()
    assert not at.exception
    (element,) = at.get("component_instance")
    assert len(element.proto.json_args) <= 1_500_000
    entry = swarm_player(at)["runs"][0]
    assert entry["frames"] == list(range(0, 201, 4))  # every 4th step: 51 frames
    assert any("one step in every 4 " in c.value for c in at.caption)


# ---- in Chromium -------------------------------------------------------------------------------------------

FRAMES = list(sampled_steps(200, MAX_POSITION_BYTES // (4 * 64 * 64)))  # tests/player_app.py's 64 × 64 swarm
TILE_GREY = """() => {  // the share of the canvas in the grey basin squares' colour (none reached: #9e9e9e, 45 %)
  const c = document.querySelector('canvas'), g = c.getContext('2d');
  const d = g.getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (Math.abs(d[i] - 158) <= 3 && d[i] === d[i + 1] && d[i] === d[i + 2] && Math.abs(d[i + 3] - 115) <= 4) n++;
  }
  return n / (c.width * c.height);
}"""


@pytest.mark.browser
def test_the_swarm_plays_with_the_true_step_shown(open_player):
    page, frame = open_player("mode=swarm&steps=200")
    state = frame.evaluate("playerState()")
    assert state["last"] == len(FRAMES) - 1 and state["step"] == "step 0 / 200"
    hidden = frame.evaluate(TILE_GREY)
    frame.click("#play")
    frame.wait_for_function("() => playerState().cursor >= 5", timeout=20_000)
    frame.click("#play")
    state = frame.evaluate("playerState()")
    assert not state["playing"] and state["step"] == f"step {FRAMES[state['cursor']]} / 200"
    frame.locator("#play").focus()
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    assert frame.evaluate("playerState().step") == "step 4 / 200"  # one frame: 4 steps
    page.keyboard.press("End")
    assert frame.evaluate("playerState().step") == "step 200 / 200"
    assert frame.evaluate(TILE_GREY) > hidden + 0.2  # the basin map shows at the end (most starts: none)
    assert not page.errors and not page.outside


@pytest.mark.browser
def test_reduced_motion_shows_the_final_frame(open_player):
    page, frame = open_player("mode=swarm&steps=200&reduced=1")
    state = frame.evaluate("playerState()")
    assert state["reduced"] and state["cursor"] == state["last"] == len(FRAMES) - 1
    assert state["step"] == "step 200 / 200" and frame.locator("#play").is_disabled()
    assert frame.evaluate(TILE_GREY) > 0.2
    assert not page.errors and not page.outside
