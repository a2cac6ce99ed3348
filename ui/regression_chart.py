"""The regression page's chart: the data with the fitted lines, the MSE contour with the paths and gradient
arrows, and the loss, on one time cursor."""

from __future__ import annotations

import json

import streamlit as st

from surfaces import Surface
from viz import RunResult, regression_figure

from .charts import controls, cursor_box, plotly_chart, viz_texts
from .i18n import language, t


@st.cache_data(max_entries=64, show_spinner=False)
def _figure(kind: str, key: str, lang: str, cursor: int, _surface: Surface, _results: list[RunResult]) -> dict:
    """The regression figure of the runs on the surface, in a language, with the animation's cursor at step
    `cursor`; cached on `key` (the runs' labels, colours and configs), not on the arrays."""
    del kind, key, lang  # the cache key: the figure depends on them through the runs and the texts
    return regression_figure(_surface, _results, texts=viz_texts(), cursor=cursor)


def _key(done: list[RunResult]) -> str:
    """A figure's cache key: its runs' labels, colours and configs (the surface is in the configs) as JSON."""
    return json.dumps([{"label": r.label, "color": r.color, "config": r.config} for r in done], sort_keys=True)


def regression_chart(surface: Surface, done: list[RunResult], chart_key: str) -> dict | None:
    """The data with the fitted lines, the MSE contour with the paths and gradient arrows, and the loss,
    on one time cursor."""
    if not done:
        st.info(t("pg.no_runs"))
        return None
    cursor = cursor_box(done[0].config["steps"], f"{chart_key}.cursor", controls(chart_key).columns([2, 1])[1])
    fig = _figure("regression", _key(done), language(), cursor, surface, done)
    plotly_chart(fig, key=chart_key)
    return fig


