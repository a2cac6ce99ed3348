"""Where a page's data come from: its own (the course's 15 points, generated points), an uploaded CSV, or pasted
values.

`data_source` returns the user's data ({"x": [...], "y": [...]} for the regression, {"x1", "x2", "label"} for
the network page), or None for the page's own.  Parsing is `surfaces.datasets`; any problem is shown in the
user's language, and the page's own data stay in use meanwhile, so the page never breaks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from schema import ConfigError
from surfaces.datasets import MAX_BYTES, MAX_ROWS, Table, classification_data, read_table, regression_data
from texts import text

from .forms import seed
from .i18n import language, t

PREVIEW_ROWS = 5

# Streamlit writes its file uploaders' texts in English ("Upload", "5MB per file • JSON", "Drag and drop a file
# here"); these rules hide them and show ours (CSS `content`, which screen readers read too; the button's English
# text stays for them, at size 0: axe-core wants a button's name in its text). The drop zone's parts
# by their place in Streamlit 1.67's markup: its button's text, the line under it, the note shown while dragging.
ZONE = '[data-testid="stFileUploaderDropzone"]'
BUTTON_TEXT = f'{ZONE} [data-testid="stBaseButton-secondary"] [data-testid="stMarkdownContainer"]'
LIMIT_LINE = f'{ZONE} [data-testid="stFileUploaderDropzoneInstructions"] > div'
DRAG_NOTE = f"{ZONE} > div:not([data-testid])"


def _css_string(words: str) -> str:
    return '"' + words.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def uploader_style(lang: str) -> str:
    """The CSS that puts every uploader's button and drag note in `lang` (ui/page.py adds it to every page)."""
    return (f"{BUTTON_TEXT} > p {{ font-size: 0; }}\n"  # kept for axe, which wants a button's name in its text
            f"{BUTTON_TEXT} > p::after {{ font-size: 0.875rem; "
            f"content: {_css_string(text('data.uploader.button', lang))}; }}\n"
            f"{DRAG_NOTE} > span {{ display: none; }}\n"
            f"{DRAG_NOTE}::after {{ content: {_css_string(text('data.uploader.drop', lang))}; }}")


def limit_style(key: str, mb: int, types: Sequence[str], lang: str) -> str:
    """The CSS that writes the uploader `key`'s limit in `lang` under its button (Streamlit's line hidden)."""
    where = "st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key.strip())  # the class Streamlit gives a keyed element
    limit = text("data.uploader.limit", lang, mb=mb, types=", ".join(kind.upper() for kind in types))
    return (f".{where} {LIMIT_LINE} > span {{ display: none; }}\n"
            f".{where} {LIMIT_LINE}::after {{ content: {_css_string(limit)}; font-size: 0.875rem; "
            "line-height: 1.6; color: #5f5e5b; }")


def file_uploader(container, label: str, *, key: str, types: Sequence[str], mb: int, **kwargs):
    """`container.file_uploader` for files of `types` up to `mb` MB (the limit Streamlit enforces, and the one the
    drop zone states, in the user's language)."""
    container.html(f"<style>{limit_style(key, mb, types, language())}</style>")  # style only: takes no room
    return container.file_uploader(label, type=list(types), key=key, max_upload_size=mb, **kwargs)


@dataclass(frozen=True)
class Kind:
    """What a page reads from a table: its own data's name (`data.<own>`), the columns (`data.<name>_column`
    labels; the first ones preselected) and how the columns become its data."""

    own: str
    columns: tuple[str, ...]
    read: Callable[..., dict]
    fallback: str  # catalogue key: what is used meanwhile


REGRESSION = Kind("course", ("x", "y"), regression_data, "data.fallback")
CLASSIFICATION = Kind("generated", ("x1", "x2", "label"), classification_data, "data.fallback_generated")


@st.cache_data(max_entries=8, show_spinner=False)
def _cached_table(data: bytes | str) -> Table:
    return read_table(data)


def _table(data: bytes | str) -> Table:
    """`read_table`, cached; oversized input is refused at once, before it is hashed for the cache."""
    return read_table(data) if len(data) > MAX_BYTES else _cached_table(data)


def _raw(source: str, prefix: str, container) -> bytes | str | None:
    """The uploaded bytes or pasted text, None while there are none."""
    if source == "upload":
        mb = MAX_BYTES // 1_000_000
        file = file_uploader(container, t("data.upload_label", mb=mb, rows=f"{MAX_ROWS:,}"), key=f"{prefix}.file",
                             types=("csv", "txt"), mb=mb, help=t("data.upload_help"))
        return None if file is None else file.getvalue()
    text = container.text_area(t("data.paste_label"), key=f"{prefix}.paste", placeholder=t("data.paste_placeholder"),
                               help=t("data.paste_help"))
    return text if text and text.strip() else None


def _columns(table: Table, prefix: str, names: tuple[str, ...], container) -> list[str]:
    """The table's columns when it has exactly as many as `names`, else one selectbox per name (the first
    columns preselected)."""
    if len(table.columns) == len(names):
        return list(table.columns)
    keys = [f"{prefix}.{name}_column" for name in names]
    for key in keys:  # new data without the chosen column: back to the defaults
        if st.session_state.get(key) not in table.columns:
            st.session_state.pop(key, None)
    return [column.selectbox(t(f"data.{name}_column"), table.columns, **seed(key, index=min(i, len(table.columns) - 1)),
                             key=key)
            for i, (column, name, key) in enumerate(zip(container.columns(len(names)), names, keys, strict=True))]


def data_source(prefix: str, container=st.sidebar, kind: Kind = REGRESSION) -> dict | None:
    """Widgets to choose the page's data; the user's data (`kind.read`'s dict), or None for the page's own."""
    sources = (kind.own, "upload", "paste")
    labels = {s: t(f"data.{s}") for s in sources}
    source = container.radio(t("data.source"), sources, format_func=labels.get, horizontal=True,
                             key=f"{prefix}.data_source")
    if source == kind.own:
        return None
    try:
        raw = _raw(source, prefix, container)
        if raw is None:
            container.caption(t(kind.fallback))
            return None
        table = _table(raw)
        columns = _columns(table, prefix, kind.columns, container)
        data = kind.read(table, *columns)
    except ConfigError as err:
        container.error(err.message(language()))
        container.caption(t(kind.fallback))
        return None
    container.caption(t("data.summary", rows=f"{table.n_rows:,}",
                        columns=", ".join(f"{name} = `{c}`" for name, c in zip(kind.columns, columns, strict=True))))
    container.dataframe(pd.DataFrame({name: values[:PREVIEW_ROWS] for name, values in data.items()}),
                        hide_index=True)
    return data
