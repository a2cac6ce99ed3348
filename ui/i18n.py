"""The interface's language: one text catalogue per language in `locales/` (see `texts.py`).

`language()` picks the language from the URL (`?lang=zh`), the session, or the
browser's locale, and `language_picker()` lets the user switch.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from texts import LANGUAGES, language_of, text

PICKER = "lang_picker"  # the switch's widget key on each page: f"{PICKER}.{page}"
CHOSEN = "lang"         # the language the switch last chose (a plain session value, shared by every page)


def language() -> str:
    """The current language: the switch once used, else the URL (`?lang=zh`), else the browser's locale."""
    chosen = st.session_state.get(CHOSEN)
    if chosen in LANGUAGES:
        return chosen
    from_url = st.query_params.get("lang")
    return from_url if from_url in LANGUAGES else language_of(st.context.locale)


def _keep(key: str) -> None:
    """The switch changed: remember it (clicking the selected language again leaves none: keep the last)."""
    if st.session_state.get(key) in LANGUAGES:
        st.session_state[CHOSEN] = st.session_state[key]
    else:
        st.session_state[key] = language()


def language_picker(page: str = "playground") -> str:
    """A language switch in the sidebar; the choice goes into the URL so a shared link keeps it.

    Each page has its own switch (a widget whose key lived on another page comes back empty after
    navigating); they all show and set the session's one language."""
    lang = st.session_state[CHOSEN] = language()
    key = f"{PICKER}.{page}"
    st.session_state[key] = lang
    st.sidebar.segmented_control(text("lang.label", lang), list(LANGUAGES), format_func=LANGUAGES.get, key=key,
                                 on_change=_keep, args=(key,))
    st.query_params["lang"] = lang
    return lang


def t(key: str, **values) -> str:
    """`text` in the current language."""
    return text(key, language(), **values)


def labels(prefix: str, options) -> Callable[[str], str]:
    """A widget's `format_func` showing `t(f"{prefix}.{option}")`, fixed when the page runs (AppTest
    formats options again outside the run, where the session's language is unknown)."""
    return {option: t(f"{prefix}.{option}") for option in options}.get
