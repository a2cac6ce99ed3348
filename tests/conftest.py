"""Shared fixtures: a real Streamlit server and a headless Chromium for the browser tests."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(script: str):
    """`streamlit run <script>` on a free local port: its URL while the block runs."""
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port), "--server.headless", "true",
         "--server.address", "127.0.0.1"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.3)
    else:
        server.kill()
        pytest.fail(f"the Streamlit server for {script} did not start: " + server.stderr.read().decode()[-2000:])
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="session")
def app_url():
    """`streamlit run app.py` on a free local port, for the whole test session."""
    with streamlit_server("app.py") as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run `bash test.sh`, which installs it")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def offline_page(browser, **context_options):
    """A page in a fresh context that refuses every request not to this machine (kept in `page.outside`) and
    collects console errors (`page.errors`); close it with `page.context.close()`."""
    context = browser.new_context(**{"viewport": {"width": 1400, "height": 1000}, **context_options})
    outside = []

    def only_local(route):
        host = route.request.url.split("/")[2].split(":")[0]
        if host in ("127.0.0.1", "localhost"):
            return route.continue_()
        outside.append(route.request.url)
        return route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.outside = outside
    return page


@contextlib.contextmanager
def device_page(browser, timeout_ms: int, **context_options):
    """An `offline_page` for a device (a phone, a projector: its viewport and touch options) with a longer default
    timeout; closed after the block."""
    page = offline_page(browser, **context_options)
    page.set_default_timeout(timeout_ms)
    try:
        yield page
    finally:
        page.context.close()


@pytest.fixture
def page(browser, app_url):
    """A fresh offline page (see `offline_page`) for a test against the app."""
    page = offline_page(browser)
    yield page
    page.context.close()


@pytest.fixture(scope="session")
def player_url():
    """`streamlit run tests/player_app.py` (the player with real engine runs) on a free port, for the session."""
    with streamlit_server("tests/player_app.py") as url:
        yield url


@pytest.fixture
def open_player(browser, player_url):
    """open_player(query, **context) -> (page, frame): the player test app loaded offline and the player drawn."""
    pages = []

    def opener(query="", **context):
        page = offline_page(browser, **context)
        pages.append(page)
        page.goto(f"{player_url}/?{query}")
        frame = None
        while frame is None:
            page.wait_for_timeout(100)
            frame = next((f for f in page.frames if "/component/" in f.url), None)
        frame.wait_for_function("() => window.playerState && window.playerState().lastDraw", timeout=90_000)
        return page, frame

    yield opener
    for page in pages:
        page.context.close()

