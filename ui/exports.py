"""Exports under a chart: the animation as one offline HTML file, the trajectories as CSV (the chart's
camera button saves the PNG).  Files are made only when their button is pressed."""

from __future__ import annotations

import streamlit as st

from optimizers.export import to_csv
from viz import RunResult
from viz.export_html import animation_html

from .i18n import language, t
from .player import player_html


def animation_page(chart: dict, title: str, lang: str) -> str:
    """The offline page of a chart: the race's player (`race_chart`'s {"layer", "runs", "panels", "texts"}),
    nothing drawn beyond the cursor until ▶; else a plotly figure with frames."""
    if "runs" in chart:
        return player_html(chart["layer"], chart["runs"], title=title, lang=lang, panels=chart["panels"],
                           texts=chart["texts"])
    return animation_html(chart, title, lang)


def export_row(chart: dict | None, done: list[RunResult], name: str) -> None:
    """Download buttons for a chart (None: no animation to save) and the runs `done`."""
    if not done:
        return
    lang = language()
    png_hint = chart is None or "runs" not in chart  # the player has a PNG button of its own
    columns = st.columns((chart is not None) + 1 + png_hint, vertical_alignment="center")
    if chart is not None:
        title = f"{t('app.title')} · " + ", ".join(r.label for r in done)
        columns[0].download_button(t("export.html"), lambda: animation_page(chart, title, lang),
                                   f"{name}-animation.html", "text/html", icon=":material/animation:",
                                   on_click="ignore", width="stretch", help=t("export.html.help"))
    columns[int(chart is not None)].download_button(
        t("export.csv"), lambda: to_csv([r.traj for r in done]), f"{name}-trajectories.csv", "text/csv",
        icon=":material/table_view:", on_click="ignore", width="stretch", help=t("export.csv.help"))
    if png_hint:
        columns[-1].caption(t("export.png"))
