"""What every page does first: page config, style, the translated navigation and the language switch.

Pages are Streamlit's classic multipage files (`app.py` is the Playground,
`pages/*.py` the others), so a link to any page opens it directly; the sidebar
navigation is ours, to speak the user's language.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from .i18n import language_picker, t

HERE = Path(__file__).parent
STYLE = f"<style>{(HERE / 'style.css').read_text()}</style>"  # read once, not on every rerun
PAGES = (("app.py", "nav.playground", ":material/sports_score:"),
         ("pages/regression.py", "nav.regression", ":material/scatter_plot:"),
         ("pages/schedules.py", "nav.schedules", ":material/timeline:"),
         ("pages/inside.py", "nav.inside", ":material/biotech:"),
         ("pages/about.py", "nav.about", ":material/menu_book:"))


def setup() -> str:
    """Configure the page and draw the sidebar's navigation and language switch; returns the language."""
    st.set_page_config(page_title="Optimizer Playground", page_icon=str(HERE / "icon.png"), layout="wide")
    st.html(STYLE)
    for path, title, icon in PAGES:
        st.sidebar.page_link(path, label=t(title), icon=icon)
    st.sidebar.divider()
    return language_picker()
