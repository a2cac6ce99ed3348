"""Exports under a chart: the player as one offline HTML file, the trajectories as CSV (the player's own button
saves the PNG).  Files are made only when their button is pressed."""

from __future__ import annotations

import streamlit as st

from optimizers.codegen import torch_code
from optimizers.export import to_csv
from viz import RunResult

from .i18n import language, t
from .player import player_html


def animation_page(chart: dict, title: str, lang: str) -> str:
    """The offline page of a chart (a page's player: {"layer", "runs", "panels", "texts"}), nothing drawn beyond
    the cursor until ▶."""
    return player_html(chart["layer"], chart["runs"], title=title, lang=lang, panels=chart["panels"],
                       texts=chart["texts"])


def export_row(chart: dict | None, done: list[RunResult], name: str) -> None:
    """Download buttons for a chart (None: no animation to save) and the runs `done`."""
    if not done:
        return
    lang = language()
    columns = st.columns((chart is not None) + 1, vertical_alignment="center")
    if chart is not None:
        title = f"{t('app.title')} · " + ", ".join(r.label for r in done)
        columns[0].download_button(t("export.html"), lambda: animation_page(chart, title, lang),
                                   f"{name}-animation.html", "text/html", icon=":material/animation:",
                                   on_click="ignore", width="stretch", help=t("export.html.help"))
    columns[int(chart is not None)].download_button(
        t("export.csv"), lambda: to_csv([r.traj for r in done]), f"{name}-trajectories.csv", "text/csv",
        icon=":material/table_view:", on_click="ignore", width="stretch", help=t("export.csv.help"))


def code_tabs(done: list[RunResult], note: str | None = None) -> None:
    """The section "The PyTorch code": a tab per run with the script that reproduces it (`torch_code`, comments in
    the page's language), under `note` (Markdown); long lines wrap (a block that scrolls sideways is out of reach
    of the keyboard)."""
    st.subheader(t("pg.code"))
    if note:
        st.markdown(note)
    for tab, result in zip(st.tabs([r.label for r in done]), done, strict=True):
        tab.code(torch_code(result.config, language()), language="python", wrap_lines=True)
