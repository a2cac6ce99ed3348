"""Layout in Chromium: every surface's formula fits the sidebar (no cut "…= R_θ·" or "(x +"), and on a 390 px phone
the player's panels stack at full width."""

import json
from contextlib import contextmanager
from urllib.parse import quote

import pytest
from conftest import offline_page
from test_browser import player, wait_idle
from test_phone import PHONE, PLAYER, TIMEOUT, open_on_phone

from surfaces import SURFACES
from texts import text

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


# ---- issue 15: nothing in the sidebar's run editor is cut ("Dupli…", "CosineAnnealingWa…") or broken inside a word
# ("decoupled_weight_deca y"), on a phone, a laptop and a large screen, in English and Chinese ----------------------

SIDEBAR_CUTS = """() => {
  const sidebar = document.querySelector('[data-testid=stSidebar]'), measure = document.createElement('canvas')
    .getContext('2d'), shown = e => e.getBoundingClientRect().width > 2 && e.getBoundingClientRect().height > 2;
  const cut = [...sidebar.querySelectorAll('*')].filter(e => shown(e) && e.scrollWidth > e.clientWidth + 1
      && (getComputedStyle(e).textOverflow === 'ellipsis' || e.tagName === 'INPUT'))
    .map(e => e.value || e.innerText);
  const broken = [...sidebar.querySelectorAll('[data-testid=stWidgetLabel] p')].filter(shown).filter(p => {
    measure.font = getComputedStyle(p).font;
    const room = p.getBoundingClientRect().width;
    return p.innerText.split(/\\s+/).some(word => measure.measureText(word).width > room + 1);
  }).map(p => p.innerText);
  return {cut, broken};
}"""
ADAM_WARM_RESTARTS = quote(json.dumps({"runs": [{"optimizer": "Adam", "scheduler": "CosineAnnealingWarmRestarts"}]}))


@contextmanager
def sidebar_open(browser, url: str, width: int):
    """`url` in a fresh page `width` px wide (390: a phone), loaded, with its sidebar open."""
    device = PHONE if width == 390 else {"viewport": {"width": width, "height": 1080}}
    page = offline_page(browser, **device)
    page.set_default_timeout(TIMEOUT)
    try:
        page.goto(url, wait_until="domcontentloaded")
        wait_idle(page, timeout=TIMEOUT)
        if width == 390:
            page.get_by_test_id("stExpandSidebarButton").tap()
        yield page
    finally:
        page.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("width", [390, 1440, 1920])
def test_the_run_editor_in_the_sidebar_cuts_no_text(browser, app_url, width, lang):
    with sidebar_open(browser, f"{app_url}/?lang={lang}&c={ADAM_WARM_RESTARTS}", width) as page:
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.locator("[data-testid=stExpander] summary").filter(has_text="1 · Adam").click()
        wait_idle(page, timeout=TIMEOUT)
        toggle = sidebar.get_by_role("switch", name="decoupled_weight_decay")
        toggle.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        assert page.evaluate(SIDEBAR_CUTS) == {"cut": [], "broken": []}
        for name in ("run.duplicate", "run.remove"):  # icons side by side: their names are still theirs
            button = sidebar.get_by_role("button", name=text(name, lang), exact=True)
            assert button.count() == 1
            shown = button.get_by_test_id("stMarkdownContainer").bounding_box()["width"] > 10
            assert shown == (width == 390)  # a phone stacks them, a row each: there the names fit and are shown


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("width", [390, 1440, 1920])
def test_the_schedules_chosen_in_the_sidebar_are_not_cut(browser, app_url, width, lang):
    """The Schedules page's chip read "CosineAnnealingWa…": it wraps between the words of the name."""
    chosen = quote(json.dumps({"schedulers": {"CosineAnnealingWarmRestarts": {}, "StepLR": {}}}))
    with sidebar_open(browser, f"{app_url}/schedules?lang={lang}&c={chosen}", width) as page:
        chip = page.locator(".st-key-sch-schedulers [data-tag]").first
        chip.wait_for()
        page.wait_for_timeout(500)
        assert page.evaluate(SIDEBAR_CUTS) == {"cut": [], "broken": []}
        assert chip.get_attribute("aria-label").replace("\u200b", "") == "CosineAnnealingWarmRestarts"
