"""Formulas fit their column in Chromium (a phone, a laptop, a projector in lecture mode): Inside the optimizer's
rule and its numbers, and every schedule's closed form, with nothing cut at the right or left to a scrollbar."""

import json
import urllib.parse

import pytest
from conftest import offline_page
from test_browser import assert_clean, wait_idle

pytestmark = pytest.mark.browser

SCREENS = {"phone": (390, 900, ""), "laptop": (1440, 900, ""), "projector": (1920, 1080, "&lecture=1")}
INSIDE = [  # the widest rules and numbers: NAdam's two-term m̂, RAdam's r_t, Rprop's cases, RMSprop's every flag
    {"optimizer": "NAdam", "hparams": {"lr": 0.1, "weight_decay": 0.01, "decoupled_weight_decay": True}},
    {"optimizer": "RAdam", "hparams": {"lr": 0.1, "weight_decay": 0.01}},
    {"optimizer": "Rprop", "hparams": {"lr": 0.1}},
    {"optimizer": "RMSprop", "hparams": {"lr": 0.1, "momentum": 0.9, "centered": True, "weight_decay": 0.01}},
    {"optimizer": "ASGD", "hparams": {"lr": 0.1}},
]
SCHEDULES = [["OneCycleLR", "CyclicLR", "CosineAnnealingWarmRestarts", "ReduceLROnPlateau"],
             ["SequentialLR", "LinearLR", "PolynomialLR", "MultiStepLR"]]
OVERFLOW = """() => [...document.querySelectorAll('[data-testid=stMain] .katex-display')]
    .filter(e => e.offsetParent && e.scrollWidth > e.clientWidth + 3)
    .map(e => [e.clientWidth, e.scrollWidth, e.querySelector('annotation').textContent.slice(0, 80)])"""


def _link(path: str, state: dict, extra: str) -> str:
    return f"{path}?c={urllib.parse.quote(json.dumps(state))}{extra}"


@pytest.mark.parametrize("screen", SCREENS)
def test_formulas_fit_their_column(browser, app_url, screen):
    width, height, extra = SCREENS[screen]
    page = offline_page(browser, viewport={"width": width, "height": height})
    try:
        links = [_link("/inside", {"run": run, "step": 20}, extra) for run in INSIDE]
        links += [_link("/schedules", {"schedulers": {name: {} for name in names}}, extra) for names in SCHEDULES]
        for link in links:
            page.goto(app_url + link)
            wait_idle(page)
            page.wait_for_selector("[data-testid=stMain] .katex-display", state="attached", timeout=60_000)
            assert page.locator("[data-testid=stMain] .katex-display").count() >= 2, link
            assert page.evaluate(OVERFLOW) == [], link
        assert_clean(page, allowed={"Failed to load resource: the server responded with a status of 404 (Not Found)"})
    finally:
        page.context.close()
