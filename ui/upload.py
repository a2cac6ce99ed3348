"""Where a page's data come from: its own (the course's 15 points, generated points), an uploaded CSV, or pasted
values.

`data_source` returns the user's data ({"x": [...], "y": [...]} for the regression, {"x1", "x2", "label"} for
the network page), or None for the page's own.  Parsing is `surfaces.datasets`; any problem is shown in the
user's language, and the page's own data stay in use meanwhile, so the page never breaks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from schema import ConfigError
from surfaces.datasets import MAX_BYTES, MAX_ROWS, Table, classification_data, read_table, regression_data

from .forms import seed
from .i18n import language, t

PREVIEW_ROWS = 5


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
        file = container.file_uploader(t("data.upload_label", mb=MAX_BYTES // 1_000_000, rows=f"{MAX_ROWS:,}"),
                                       type=["csv", "txt"], max_upload_size=MAX_BYTES // 1_000_000,
                                       key=f"{prefix}.file", help=t("data.upload_help"))
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
