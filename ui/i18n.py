"""The interface's two languages: one text catalogue per language in `locales/`.

`text(key, lang)` is pure (tests check both catalogues hold the same keys);
`language()` picks the language from the URL (`?lang=zh`), the session, or the
browser's locale, and `language_picker()` lets the user switch.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import streamlit as st

LANGUAGES = {"en": "English", "zh": "中文"}
CATALOGUES = {lang: json.loads((Path(__file__).parents[1] / "locales" / f"{lang}.json").read_text("utf-8"))
              for lang in LANGUAGES}


def text(key: str, lang: str, **values) -> str:
    """The text for `key` in `lang`, with `{name}` fields filled from `values`."""
    template = CATALOGUES[lang].get(key) or CATALOGUES["en"][key]
    return template.format(**values) if values else template


def _browser_language() -> str:
    locale = (st.context.locale or "en").lower()
    return "zh" if locale.startswith("zh") else "en"


PICKER = "lang_picker"


def language() -> str:
    """The current language: the switch once used, else the URL (`?lang=zh`), else the browser's locale."""
    picked = st.session_state.get(PICKER)
    if picked in LANGUAGES:
        return picked
    chosen = st.query_params.get("lang")
    return chosen if chosen in LANGUAGES else _browser_language()


def _keep_a_language() -> None:
    """Clicking the selected language again would leave none selected: keep the last one."""
    if st.session_state.get(PICKER) not in LANGUAGES:
        st.session_state[PICKER] = st.session_state.get("lang_last", "en")


def language_picker() -> str:
    """A language switch in the sidebar; the choice goes into the URL so a shared link keeps it."""
    lang = language()
    if st.session_state.get(PICKER) not in LANGUAGES:
        st.session_state[PICKER] = lang  # seeded from the URL or the browser's locale
    st.sidebar.segmented_control(text("lang.label", lang), list(LANGUAGES), format_func=LANGUAGES.get, key=PICKER,
                                 on_change=_keep_a_language)
    st.session_state.lang_last = lang = st.session_state[PICKER]
    st.query_params["lang"] = lang
    return lang


def t(key: str, **values) -> str:
    """`text` in the current language."""
    return text(key, language(), **values)


def labels(prefix: str, options) -> Callable[[str], str]:
    """A widget's `format_func` showing `t(f"{prefix}.{option}")`, fixed when the page runs (AppTest
    formats options again outside the run, where the session's language is unknown)."""
    return {option: t(f"{prefix}.{option}") for option in options}.get
