"""Player benchmark in Chromium, end to end: what a user waits for.

Run from the repo root:  python bench/player_bench.py  (~5 min; starts its own servers on ports 8652-8654;
`--network` measures only the network page)

Prints `name: value unit` lines:
- the Playground (app.py) with 4 runs × 500 steps: page load to the first drawn chart (median and max of LOADS
  fresh contexts); from a learning-rate change (ArrowRight on run 1's lr slider, timed from the keydown in the
  page) to the changed run drawn, median and max over CHANGES changes, and the bytes the browser received over the
  websocket per change. The same for the baseline in the same run: the last Playground with the plotly race figure
  (git commit BASELINE, extracted to a temporary folder; the change counts as drawn when the figure holds it);
- the test app (tests/player_app.py, real engine runs): playback frames/s (the player's requestAnimationFrame
  draws) for 4 runs × 1,000 steps and 3D; for a 64 × 64 swarm of 200 and 1,135 steps the bytes per change,
  playback frames/s and the time to draw one frame;
- the network page (its 3 default runs × 500 steps of a 2-16-16-2 MLP, a warm server): load to the first drawn
  boundary chart (its lr change is not measured yet: the polling for the changed run's key never ended there).
"""

from __future__ import annotations

import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
PORT, CHANGES, LOADS = 8652, 12, 5  # PORT: the test app; PORT + 1: the Playground; PORT + 2: the baseline
SWARM_CHANGES, SWARM_STEPS = 4, (200, 1135)  # 1,135: the cost budget's most steps for SGD from 64 × 64 starts
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
KEYDOWN_CLOCK = "document.addEventListener('keydown', () => { window.__keydown = Date.now(); }, true)"
BASELINE = "f7b3cfb^"  # the commit before "Race in the player": the Playground's plotly race figure with frames
RACE = {"surface": "rosenbrock", "start": [-1.5, 2.0], "steps": 500, "runs": [  # the Playground's 4 runs × 500
    {"optimizer": "SGD", "hparams": {"lr": 0.001}}, {"optimizer": "Adam", "hparams": {"lr": 0.05}},
    {"optimizer": "RMSprop", "hparams": {"lr": 0.01}}, {"optimizer": "SGD", "hparams": {"lr": 0.003}}]}
RACE_QUERY = "/?c=" + urllib.parse.quote(json.dumps(RACE))


@contextmanager
def server(script: str = "tests/player_app.py", port: int = PORT, cwd: Path = ROOT):
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", script, "--server.port",
                             str(port), "--server.headless", "true", "--server.address", "127.0.0.1"],
                            cwd=cwd, env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def open_page(browser, url: str):
    """A fresh page with a websocket byte counter (`page.received`) and, once loaded, its player frame."""
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.received = 0

    def count(ws):
        def add(payload):
            page.received += len(payload)
        ws.on("framereceived", add)

    page.on("websocket", count)
    page.goto(url)
    return page


def player_frame(page, timeout_s: float = 90):
    """The page's first player (in the page's order: the network page's second one is the landscape)."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        first = page.locator("iframe[src*='/component/']")
        frame = first.first.element_handle().content_frame() if first.count() else None
        if frame and frame.evaluate("() => !!(window.playerState && playerState().lastDraw)"):
            return frame
        page.wait_for_timeout(20)
    raise TimeoutError("the player did not draw")


def wait_idle(page):
    page.wait_for_selector("[data-test-script-state='notRunning']", timeout=60_000)
    page.wait_for_timeout(400)


@contextmanager
def baseline_app():
    """The Playground as of BASELINE, extracted from git into a temporary folder."""
    archive = subprocess.run(["git", "archive", BASELINE], cwd=ROOT, capture_output=True, check=True).stdout
    with tempfile.TemporaryDirectory(prefix="playground-baseline-") as folder:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
        yield Path(folder)


def slider_of_run_1(page):
    """Run 1's lr slider in the Playground's sidebar, its editor opened (the baseline closed it on every change)."""
    wait_idle(page)
    slider = page.get_by_role("slider", name="lr").first
    if not slider.is_visible():
        page.locator("[data-testid=stExpander] summary").filter(has_text="1 ·").first.click()
        wait_idle(page)
    return slider


def changes(page, drawn_at, count: int = CHANGES, slider=lambda page: page.get_by_role("slider").first):
    """Press ArrowRight on the learning-rate slider `count` times: (ms to drawn, bytes received) per change.
    `drawn_at(previous)` polls until the changed run is drawn and returns (Date.now() then, new state)."""
    page.evaluate(f"() => {{ {KEYDOWN_CLOCK}; }}")
    latencies, sizes, state = [], [], drawn_at(None)[1]
    for _ in range(count):
        wait_idle(page)
        slider(page).focus()
        before = page.received
        page.keyboard.press("ArrowRight")
        when, state = drawn_at(state)
        latencies.append(when - page.evaluate("window.__keydown"))
        wait_idle(page)
        sizes.append(page.received - before)
    return latencies, sizes


def player_drawn_at(page):
    frame = player_frame(page)

    def drawn_at(previous):
        while True:
            draw = frame.evaluate("playerState().lastDraw")
            if previous is None or draw["keys"][0] != previous:
                return draw["t"], draw["keys"][0]
            page.wait_for_timeout(5)
    return drawn_at


FIGURE_LABEL = """() => { const gd = document.querySelector('.js-plotly-plot');
  return gd && gd.data ? gd.data.map((t) => t.name).find((n) => n && n.startsWith('1 · ')) : null; }"""


def figure_drawn_at(page):
    page.wait_for_selector(".js-plotly-plot", timeout=90_000)

    def drawn_at(previous):
        while True:
            label = page.evaluate(FIGURE_LABEL)
            if label and label != previous:
                page.evaluate("() => new Promise(requestAnimationFrame)")  # the frame with the new figure painted
                return page.evaluate("Date.now()"), label
            page.wait_for_timeout(5)
    return drawn_at


def fps(page, seconds: float = 4.0) -> float:
    frame = player_frame(page)
    frame.wait_for_selector("canvas, .js-plotly-plot")
    page.wait_for_timeout(500)
    frame.click("#play")
    start = frame.evaluate("[playerState().frames, performance.now()]")
    page.wait_for_timeout(int(seconds * 1000))
    end = frame.evaluate("[playerState().frames, performance.now()]")
    frame.click("#play")
    return (end[0] - start[0]) / (end[1] - start[1]) * 1000


DRAW_EVERY_FRAME = """() => { const ms = [], canvas = document.querySelector('canvas').getContext('2d');
  for (let k = 0; k <= playerState().last; k++) {  // each frame drawn (player.js setCursor) and rasterised
    const t = performance.now(); setCursor(k); canvas.getImageData(0, 0, 1, 1); ms.push(performance.now() - t);
  }
  return ms; }"""


def swarm(page, name: str) -> None:
    """A 64 × 64 swarm: bytes per learning-rate change, playback frames/s, and the time to draw one frame (the
    swarm draws only when its cursor moves to another sampled frame: ~6 times a second at 1×)."""
    latencies, sizes = changes(page, player_drawn_at(page), SWARM_CHANGES)
    line(f"{name}_bytes_per_change_median", statistics.median(sizes) / 1000, "KB", "(target ≤ 1500)")
    line(f"{name}_lr_change_to_drawn_median", statistics.median(latencies), "ms")
    line(f"{name}_playback_fps", fps(page), "frames/s", "(target ≥ 20)")
    ms = player_frame(page).evaluate(DRAW_EVERY_FRAME)
    line(f"{name}_draw_ms_median", statistics.median(ms), "ms", f"({1000 / statistics.median(ms):.0f} draws/s)")
    line(f"{name}_draw_ms_max", max(ms), "ms", f"({len(ms)} frames)")


def line(name: str, value: float, unit: str, note: str = "") -> None:
    print(f"{name}: {value:.4g} {unit}{'  ' + note if note else ''}", flush=True)


def playground(browser, url: str, name: str, drawn, query: str = RACE_QUERY, lr_changes: bool = True) -> None:
    """Load to first chart and (`lr_changes`) learning-rate changes of the page at `url` + `query` (the Playground:
    4 runs × 500 steps)."""
    page = open_page(browser, url + query)
    drawn(page)  # warm: the runs are computed and cached
    page.context.close()
    loads = []
    for _ in range(LOADS):
        t0 = time.time() * 1000
        page = open_page(browser, url + query)
        loads.append(drawn(page)(None)[0] - t0)
        page.context.close()
    line(f"{name}_first_load_to_chart_median", statistics.median(loads), "ms",
         "(target ≤ 3000)" if name == "playground" else "")
    line(f"{name}_first_load_to_chart_max", max(loads), "ms")
    if not lr_changes:
        return
    page = open_page(browser, url + query)
    latencies, sizes = changes(page, drawn(page), slider=slider_of_run_1)
    target = name == "playground"
    line(f"{name}_lr_change_to_drawn_median", statistics.median(latencies), "ms",
         "(target ≤ 400 median, ≤ 800 max)" if target else "")
    line(f"{name}_lr_change_to_drawn_max", max(latencies), "ms", f"(each: {', '.join(f'{v:.0f}' for v in latencies)})")
    line(f"{name}_bytes_per_change_median", statistics.median(sizes) / 1000, "KB", "(target ≤ 120)" if target else "")
    page.context.close()


def main() -> None:
    line("load_average_1min", os.getloadavg()[0], "", "(other work on this machine)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
        with server("app.py", PORT + 1) as url:
            playground(browser, url, "network", player_drawn_at, query="/network", lr_changes=False)
            if "--network" in sys.argv:
                return
            playground(browser, url, "playground", player_drawn_at)
        with baseline_app() as folder, server("app.py", PORT + 2, folder) as url:
            playground(browser, url, "baseline_figure", figure_drawn_at)
        with server() as url:
            for name, query, note in (("playback_4x1000", "/?steps=1000", "(target ≥ 30)"),
                                      ("playback_3d_4x1000", "/?mode=3d&steps=1000",
                                       "(no target; software WebGL here)")):
                page = open_page(browser, url + query)
                line(f"{name}_fps", fps(page), "frames/s", note)
                page.context.close()
            for steps in SWARM_STEPS:
                page = open_page(browser, url + f"/?mode=swarm&steps={steps}")
                swarm(page, f"swarm_64x64x{steps}")
                page.context.close()
        browser.close()


if __name__ == "__main__":
    main()
