"""Every exported file stays on the machine: the player's 3D page, opened in Chromium with its toolbar shown and
every toolbar button there, asks no other host for anything and offers no link or upload to one (plotly.js 3's
"Share chart…" button, plotly's logo link)."""

import pytest
from test_export_html import file_only_page, race_chart_of

from surfaces import get_surface
from viz.player_data import surface_layer

pytestmark = pytest.mark.browser

OUTSIDE_LINKS = """() => [...document.querySelectorAll('a[href], [data-title], [title]')]
    .map(e => [e.getAttribute('href') || '', e.getAttribute('data-title') || e.getAttribute('title') || ''])
    .filter(([href, title]) => /^(https?:)?\\/\\//i.test(href)
                               || /share|cloud|chart studio|plotly\\.com/i.test(title))"""


def test_the_3d_export_has_no_share_button_and_no_outside_request(browser, tmp_path):
    from ui.player import player_html

    chart, _ = race_chart_of("en", steps=30)
    path = tmp_path / "race3d.html"
    path.write_text(player_html(surface_layer(get_surface("rosenbrock"), mesh_n=20), chart["runs"], title="Race",
                                panels=("3d", "loss", "lr")), encoding="utf-8")
    with file_only_page(browser, path) as (page, requests, refused, errors):
        page.wait_for_selector(".js-plotly-plot .modebar", state="attached", timeout=60_000)
        page.hover(".js-plotly-plot")
        buttons = page.locator(".modebar-btn")
        assert buttons.count() >= 3  # the tool bar is there (zoom, rotate, PNG …)
        assert page.evaluate(OUTSIDE_LINKS) == []
        page.click("#play")
        page.wait_for_timeout(800)
        page.click("#play")
    assert refused == [] and set(requests) == {path.as_uri()}, refused
    assert not errors, errors
