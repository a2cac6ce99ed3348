"""Inside the optimizer in Chromium: after +, →, a scrub and a pause, the player, its readout and the page's numbers
are on the same step k (torch's k-th update); the arrows keep one scale at every step; offline, no console errors."""

import re

import numpy as np
import pytest
from test_browser import assert_clean, go_to, player, wait_idle

from optimizers import run
from texts import text

pytestmark = pytest.mark.browser

TRAJ = run({"surface": "bowl", "optimizer": "Adam", "hparams": {"lr": 0.1}, "steps": 500})  # the page's first run


def assert_on_step(page, frame, k: int) -> dict:
    """The player (cursor, counter, scrubber, readout, arrows) and, once Python has rerun, the page's numbers and
    state_dict all say step k; the rerun leaves the player there. Returns the arrows drawn."""
    s = frame.evaluate("playerState()")
    assert (s["cursor"], s["step"], s["scrub"]) == (k, f"step {k} / 500", k)
    np.testing.assert_allclose([float(v) for v in s["readout"][0][1:3]], TRAJ.xy[k], rtol=1e-4, atol=1e-6)
    arrows = frame.evaluate("insideState()")
    assert arrows["step"] == k and set(arrows["drawn"]) == {"neg_grad", "neg_momentum", "update"}
    np.testing.assert_allclose(arrows["drawn"]["update"]["vector"], TRAJ.update[k - 1], rtol=1e-6)
    page.get_by_text(f"With the numbers of step {k}:").first.wait_for(timeout=30_000)
    wait_idle(page)
    shown = [int(n) for n in re.findall(r"numbers of step (\d+):", page.inner_text("[data-testid=stMain]"))]
    assert shown == [k]
    assert page.get_by_text(f"state_dict() after step {k} (as JSON)").count() == 1
    assert frame.evaluate("playerState().cursor") == k
    return arrows


def pixels_per_unit(arrows: dict) -> dict[str, list[float]]:
    """Each arrow's length on screen over its vector, per coordinate: the map's scale × the arrow's factor."""
    return {name: [p / v for p, v in zip(a["pixels"], a["vector"], strict=True)] for name, a in arrows["drawn"].items()}


def test_plus_arrow_scrub_and_pause_keep_the_player_and_the_numbers_on_one_step(page, app_url):
    go_to(page, app_url, text("nav.inside", "en"))
    frame = player(page)
    seen = [assert_on_step(page, frame, 1)]
    frame.click("#fwd")  # +
    seen.append(assert_on_step(page, frame, 2))
    frame.focus("#play")  # the keys work wherever the focus is in the player
    page.keyboard.press("ArrowRight")  # →
    seen.append(assert_on_step(page, frame, 3))
    frame.evaluate("""() => { const s = document.getElementById('scrub');  // a drag of the scrubber to 40
        s.value = 40; s.dispatchEvent(new Event('input')); s.dispatchEvent(new Event('change')); }""")
    seen.append(assert_on_step(page, frame, 40))
    frame.click("#play")
    page.wait_for_timeout(800)
    frame.click("#play")  # ❚❚
    paused = frame.evaluate("playerState().cursor")
    assert 40 < paused < 500
    seen.append(assert_on_step(page, frame, paused))
    first = pixels_per_unit(seen[0])
    for arrows in seen[1:]:  # one scale for every step: the same pixels per unit of each vector
        for name, ratios in pixels_per_unit(arrows).items():
            np.testing.assert_allclose(ratios, first[name], rtol=1e-3)
    assert seen[0]["scales"] == seen[-1]["scales"]
    assert_clean(page)


def test_step_0_shows_the_start_and_no_arrows(page, app_url):
    go_to(page, app_url, text("nav.inside", "en"))
    frame = player(page)
    frame.focus("canvas")  # the map takes the keyboard's focus (Tab reaches it), though a click there sets nothing
    assert frame.evaluate("document.activeElement.tagName") == "CANVAS"
    page.keyboard.press("Home")
    page.get_by_text("Step 0 is the start θ₀").first.wait_for(timeout=30_000)
    wait_idle(page)
    assert frame.evaluate("insideState()")["drawn"] == {} and frame.evaluate("playerState().cursor") == 0
    assert page.get_by_text("With the numbers of step").count() == 0
    assert_clean(page)
