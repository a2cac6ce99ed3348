"""Layout in Chromium: every surface's formula fits the sidebar (no cut "…= R_θ·" or "(x +"), and on a 390 px phone
the player's panels stack at full width."""

import json
from urllib.parse import quote

import pytest
from conftest import offline_page
from test_browser import player, wait_idle
from test_phone import PHONE, PLAYER, TIMEOUT, open_on_phone

from surfaces import SURFACES

pytestmark = pytest.mark.browser

SIDEBAR_FORMULAS = """() => [...document.querySelectorAll('[data-testid=stSidebar] .katex-display')]
  .map(e => ({wide: e.scrollWidth, room: e.clientWidth}))"""


def test_every_surfaces_formula_fits_the_sidebar(browser, app_url):
    page = offline_page(browser, viewport={"width": 1440, "height": 1000})
    try:
        for key in SURFACES:
            page.goto(f"{app_url}/?c={quote(json.dumps({'surface': key}))}", wait_until="domcontentloaded")
            wait_idle(page, timeout=TIMEOUT)
            page.locator("[data-testid=stSidebar] .katex-display").first.wait_for(timeout=TIMEOUT)
            formulas = page.evaluate(SIDEBAR_FORMULAS)
            assert formulas and all(f["wide"] <= f["room"] + 2 for f in formulas), (key, formulas)
    finally:
        page.context.close()


@pytest.mark.parametrize("path", PLAYER)
def test_on_a_phone_the_players_panels_stack_at_full_width(browser, app_url, path):
    phone = offline_page(browser, **PHONE)
    phone.set_default_timeout(TIMEOUT)
    try:
        open_on_phone(phone, app_url, path)
        boxes = player(phone).evaluate("""() => ({all: document.getElementById('panels').getBoundingClientRect().width,
          panels: [...document.querySelectorAll('#panels .panel')].map(p => p.getBoundingClientRect().toJSON())})""")
        panels = boxes["panels"]
        assert len(panels) >= 2
        assert all(p["width"] >= boxes["all"] - 1 and p["height"] >= 150 for p in panels), boxes
        assert all(a["bottom"] <= b["top"] + 1 for a, b in zip(panels, panels[1:], strict=False)), boxes  # stacked
    finally:
        phone.context.close()
