"""A figure as one self-contained HTML file: open it offline, press ▶, and the animation plays.

plotly.js (≈4.8 MB) is inlined from the installed plotly package: no CDN, no MathJax, no web
fonts, no request of any kind. plotly.py escapes ``<``, ``>`` and ``/`` inside the figure's JSON,
so texts such as ``</script>`` in a trace name cannot end the script early.
"""

from __future__ import annotations

import html

import plotly.io as pio

CONFIG = {"displaylogo": False, "responsive": True}  # responsive: the plot follows the window's width

PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
  body {{ margin: 0 auto; padding: 12px 16px; max-width: 1800px; font-family: system-ui, sans-serif; color: #222; }}
  h1 {{ font-size: 1.4rem; font-weight: 600; margin: 0 0 8px; }}
</style>
</head>
<body>
<h1>{title}</h1>
{figure}
</body>
</html>
"""


def animation_html(fig: dict, title: str, lang: str = "en") -> str:
    """A complete HTML document (UTF-8) showing `fig` (a viz figure dict with frames and ▶/⏸/slider
    controls) under the heading `title`, full width at the figure's own height; nothing plays until ▶.

    >>> page = animation_html({"data": [{"type": "scatter", "x": [0, 1], "y": [1, 0]}]}, "Adam & SGD")
    >>> "<title>Adam &amp; SGD</title>" in page, "Plotly.addFrames" in page, " src=" in page
    (True, False, False)
    """
    div = pio.to_html(fig, include_plotlyjs=True, include_mathjax=False, full_html=False, auto_play=False,
                      validate=False, config=CONFIG, default_width="100%",
                      default_height=f"{fig.get('layout', {}).get('height', 600)}px")
    return PAGE.format(lang=html.escape(lang, quote=True), title=html.escape(title), figure=div)
