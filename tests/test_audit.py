"""An automated accessibility audit: axe-core (from node_modules, installed by test.sh's `npm ci`; never a CDN) on
every page in English and Chinese finds no serious or critical violation (WCAG 2 A/AA rules: text contrast,
names of controls, document language …)."""

from pathlib import Path

import pytest
from test_browser import PAGES, open_app, wait_idle

from texts import text

pytestmark = pytest.mark.browser

AXE = Path(__file__).parents[1] / "node_modules" / "axe-core" / "axe.min.js"
RUN = """async () => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                                          resultTypes: ['violations']});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary.slice(0, 200))}));
}"""


def audit(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_serious_accessibility_violation_on_any_page(page, app_url, lang):
    assert AXE.exists(), "axe-core is missing: run `npm ci` (bash test.sh does)"
    open_app(page, app_url, f"/?lang={lang}")
    found = {}
    for nav, _ in PAGES:
        page.locator("[data-testid=stSidebar]").get_by_text(text(nav, lang), exact=True).click()
        wait_idle(page)
        page.wait_for_timeout(1500)  # the player's frame and KaTeX have drawn
        found.update({f"{nav} {v['id']}": v for v in audit(page)})
    assert not found, "\n".join(f"{k} ({v['impact']}): {v['help']}\n  " + "\n  ".join(v["nodes"][:5])
                                for k, v in found.items())
