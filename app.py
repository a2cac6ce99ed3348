"""Optimizer Playground: the entry point (page config, language, navigation)."""

from pathlib import Path

import streamlit as st

from ui.i18n import language_picker, t

UI = Path(__file__).parent / "ui"

st.set_page_config(page_title="Optimizer Playground", page_icon=str(UI / "icon.png"), layout="wide")
st.html(f"<style>{(UI / 'style.css').read_text()}</style>")
language_picker()
navigation = st.navigation([
    st.Page("pages/playground.py", title=t("nav.playground"), icon=":material/sports_score:", default=True),
    st.Page("pages/regression.py", title=t("nav.regression"), icon=":material/scatter_plot:"),
    st.Page("pages/home.py", title=t("nav.about"), icon=":material/menu_book:"),
])
navigation.run()
