"""What every page does first: page config, style, lecture mode, navigation, language and the shared state.

Pages are Streamlit's classic multipage files (`app.py` is the Playground,
`pages/*.py` the others), so a link to any page opens it directly; the sidebar
navigation is ours, to speak the user's language.  `setup(page)` also puts the
state of a share link, lesson or saved file into the page's widgets before the
page draws them (`ui.share`).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from pagestate import PAGES
from share import query_flags
from texts import LANGUAGES, text

from .cache import ENGINE
from .i18n import language_picker, t
from .player import REDUCE_MOTION
from .share import SHARE_SLOT, lesson_banner, restore, show_problems
from .upload import uploader_style

HERE = Path(__file__).parent
STYLE = f"<style>{(HERE / 'style.css').read_text()}</style>"  # read once, not on every rerun
LECTURE_STYLE = f"<style>{(HERE / 'lecture.css').read_text()}</style>"


def _streamlit_texts_style(lang: str) -> str:
    """CSS that shows Streamlit's own English texts in `lang`: its file uploaders' (`ui.upload`) and the tooltip of
    the Fullscreen button it adds to plotly's tool bar (plotly's own: `ui.charts.plotly_locale`)."""
    button = '.js-plotly-plot .plotly .modebar-btn[data-title="{}"]::after'
    tooltips = "\n".join(f'{button.format(english)} {{ content: "{text(key, lang)}"; }}' for english, key in (
        ("Fullscreen", "chart.modebar.fullscreen"), ("Close fullscreen", "chart.modebar.close_fullscreen")))
    return f"<style>{uploader_style(lang)}\n{tooltips}</style>"


LANGUAGE_STYLES = {lang: _streamlit_texts_style(lang) for lang in LANGUAGES}


def lecture_mode() -> dict:
    """{"on": bool, "hide": [section, ...]} from the URL (`?lecture=1&hide=code,table`)."""
    flags = query_flags(st.query_params)
    return {"on": flags["lecture"], "hide": flags["hide"] if flags["lecture"] else []}


def lecture_params() -> dict[str, str]:
    """The query parameters that keep lecture mode (and what it hides) on a link to another page: {} outside it."""
    mode = lecture_mode()
    return {"lecture": "1", **({"hide": ",".join(mode["hide"])} if mode["hide"] else {})} if mode["on"] else {}


def visible(section: str) -> bool:
    """Whether a lecture link leaves `section` ("code", "table", "controls") on the page."""
    return section not in lecture_mode()["hide"]


KEPT_LECTURE = "lecture.kept"  # the session's lecture mode (what it hides), kept until "Leave lecture mode"


def _keep_lecture() -> None:
    """Lecture mode stays on through the session's navigation, also by a link that does not carry it (a lesson's
    "all lessons"): the URL gets it back until the lecturer leaves it."""
    flags = query_flags(st.query_params)
    if flags["lecture"]:
        st.session_state[KEPT_LECTURE] = flags["hide"]
    elif KEPT_LECTURE in st.session_state:
        st.query_params["lecture"] = "1"
        if st.session_state[KEPT_LECTURE]:
            st.query_params["hide"] = ",".join(st.session_state[KEPT_LECTURE])


def _leave_lecture() -> None:
    st.session_state.pop(KEPT_LECTURE, None)
    for key in ("lecture", "hide"):
        st.query_params.pop(key, None)


def _motion_switch(page: str) -> None:
    """The "Reduce motion" switch: the players show the final step instead of playing. One widget per page (as
    the language switch), all showing and setting the session's one choice."""
    key = f"{REDUCE_MOTION}.{page}"
    st.session_state[key] = bool(st.session_state.get(REDUCE_MOTION, False))
    st.sidebar.toggle(t("chart.reduce_motion"), key=key, help=t("chart.reduce_motion.help"),
                      on_change=lambda: st.session_state.update({REDUCE_MOTION: st.session_state[key]}))


def setup(page: str) -> str:
    """Configure the page, draw the sidebar's navigation and language switch, and put a shared state into
    the page's widgets; returns the language."""
    _keep_lecture()
    st.set_page_config(page_title=t("app.title"), page_icon=str(HERE / "icon.png"), layout="wide",
                       initial_sidebar_state="collapsed" if lecture_mode()["on"] else "auto")
    st.html(STYLE)
    ENGINE.warm_up()  # the engine's workers start (once) while the first page builds its widgets
    for each in PAGES:  # lecture mode stays on through the navigation until it is left
        st.sidebar.page_link(each.path, label=t(each.title), icon=each.icon, query_params=lecture_params() or None)
    st.sidebar.divider()
    lang = language_picker(page)
    st.html(LANGUAGE_STYLES[lang])
    _motion_switch(page)
    st.session_state[SHARE_SLOT] = st.sidebar.container()  # filled by ui.share.share_panel once the page is read
    if lecture_mode()["on"]:
        st.html(LECTURE_STYLE)
        if not visible("controls"):  # the charts' step boxes and view switches (ui.charts.controls)
            st.html('<style>[class*="st-key-controls-"] { display: none; }</style>')
        st.button(t("lecture.leave"), on_click=_leave_lecture, icon=":material/close_fullscreen:", type="tertiary",
                  key="lecture.leave")
    restore(page)
    show_problems()
    lesson_banner(page)
    return lang
