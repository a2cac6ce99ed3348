"""Where the linear-regression data come from: the course's 15 points, an uploaded CSV, or pasted values.

`data_source` returns the surface parameters {"x": [...], "y": [...]} for the
user's data, or None for the course data.  Parsing is `surfaces.datasets`;
any problem is shown in the user's language, and the course data stay in use
meanwhile, so the page never breaks.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from schema import ConfigError
from surfaces.datasets import MAX_BYTES, MAX_ROWS, Table, read_table, regression_data

from .forms import seed
from .i18n import language, t

SOURCES = ("course", "upload", "paste")
PREVIEW_ROWS = 5


@st.cache_data(max_entries=8, show_spinner=False)
def _cached_table(data: bytes | str) -> Table:
    return read_table(data)


def _table(data: bytes | str) -> Table:
    """`read_table`, cached; oversized input is refused at once, before it is hashed for the cache."""
    return read_table(data) if len(data) > MAX_BYTES else _cached_table(data)


def _raw(source: str, prefix: str, container) -> bytes | str | None:
    """The uploaded bytes or pasted text, None while there are none."""
    if source == "upload":
        file = container.file_uploader(t("data.upload_label", mb=MAX_BYTES // 1_000_000, rows=f"{MAX_ROWS:,}"),
                                       type=["csv", "txt"], max_upload_size=MAX_BYTES // 1_000_000,
                                       key=f"{prefix}.file", help=t("data.upload_help"))
        return None if file is None else file.getvalue()
    text = container.text_area(t("data.paste_label"), key=f"{prefix}.paste", placeholder=t("data.paste_placeholder"),
                               help=t("data.paste_help"))
    return text if text and text.strip() else None


def _columns(table: Table, prefix: str, container) -> tuple[str, str]:
    """x and y: the two columns of a two-column table, else two selectboxes (first and second column preselected)."""
    if len(table.columns) == 2:
        return table.columns[0], table.columns[1]
    keys = (f"{prefix}.x_column", f"{prefix}.y_column")
    for key in keys:  # new data without the chosen column: back to the defaults
        if st.session_state.get(key) not in table.columns:
            st.session_state.pop(key, None)
    left, right = container.columns(2)
    x = left.selectbox(t("data.x_column"), table.columns, **seed(keys[0], index=0), key=keys[0])
    y = right.selectbox(t("data.y_column"), table.columns, **seed(keys[1], index=1), key=keys[1])
    return x, y


def data_source(prefix: str, container=st.sidebar) -> dict | None:
    """Widgets to choose the regression data; {"x": [...], "y": [...]} for the user's data, None for the course's."""
    labels = {s: t(f"data.{s}") for s in SOURCES}
    source = container.radio(t("data.source"), SOURCES, format_func=labels.get, horizontal=True,
                             key=f"{prefix}.data_source")
    if source == "course":
        return None
    try:
        raw = _raw(source, prefix, container)
        if raw is None:
            container.caption(t("data.fallback"))
            return None
        table = _table(raw)
        x, y = _columns(table, prefix, container)
        data = regression_data(table, x, y)
    except ConfigError as err:
        container.error(err.message(language()))
        container.caption(t("data.fallback"))
        return None
    container.caption(t("data.summary", rows=f"{table.n_rows:,}", x=x, y=y))
    container.dataframe(pd.DataFrame({"x": data["x"][:PREVIEW_ROWS], "y": data["y"][:PREVIEW_ROWS]}),
                        hide_index=True)
    return data
