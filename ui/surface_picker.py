"""Surface, start and steps: the widgets every page with a loss surface shares."""

from __future__ import annotations

import math

import streamlit as st

from optimizers import MAX_STEPS
from schema import ConfigError
from surfaces import SURFACES, Surface, get_surface
from viz.latex_fit import fitted

from .forms import schema_form, schema_widgets, seed
from .i18n import language, t

SIDEBAR_EM = 13.5  # the sidebar's column (240 px) in em of its formulas' font (KaTeX 1.21 × 0.9 × 16 px = 17.4 px)


def sidebar_latex(latex: str) -> str:
    """A surface's formula broken into rows that fit the sidebar (`viz.latex_fit`); one already set in rows
    (an aligned block) is joined into one line first, to be broken where this column needs it."""
    if r"\begin{aligned}" in latex:
        body = latex.replace(r"\begin{aligned}", "").replace(r"\end{aligned}", "").replace("{}", "")
        latex = " ".join(body.replace("&", " ").replace(r"\\", " ").split())
    return fitted([latex], SIDEBAR_EM)


def _reset_start(prefix: str) -> None:
    for axis in ("x", "y"):
        st.session_state.pop(f"{prefix}.start_{axis}", None)


def surface_picker(prefix: str, container=st.sidebar) -> tuple[dict, Surface | None]:
    """A surface picker with its formula and parameters (their first values are the page state's, `ui.share`).

    Returns ({"surface", "surface_params"}, the built surface) — the surface is
    None, with the problem shown in the user's language, when the parameters are
    invalid (e.g. a custom formula that does not parse).
    """
    lang = language()
    keys = list(SURFACES)
    key = container.selectbox(t("surface.label"), keys, format_func=lambda k: SURFACES[k].name(lang),
                              key=f"{prefix}.surface", on_change=_reset_start, args=(prefix,))
    spec = SURFACES[key]
    container.caption(spec.description(lang))
    params = schema_form(spec.params, f"{prefix}.sp.{key}", container=container)
    choice = {"surface": key, "surface_params": params}
    try:
        surface = get_surface(key, params)
    except ConfigError as err:
        container.error(err.message(lang))
        return choice, None
    container.latex(sidebar_latex(surface.latex))
    return choice, surface


def start_and_steps(prefix: str, surface: Surface, container=st.sidebar, with_steps: bool = True,
                    with_start: bool = True) -> dict:
    """Start (x, y) and (unless the page sets it) the number of steps; returns {"start"[, "steps"]}.

    Without `with_start` (the swarm: its starts are a grid) the start's boxes are not drawn; the start they
    hold is kept for the link and for when they are shown again."""
    (x0, x1), (y0, y1) = surface.bounds
    sx, sy = surface.starts[0]
    if with_start:
        left, right = container.columns(2)
        x = left.number_input("x₀", min_value=-1e6, max_value=1e6, **seed(f"{prefix}.start_x", value=float(sx)),
                              step=(x1 - x0) / 100, format="%.4g", key=f"{prefix}.start_x", help=t("start.help"))
        y = right.number_input("y₀", min_value=-1e6, max_value=1e6, **seed(f"{prefix}.start_y", value=float(sy)),
                               step=(y1 - y0) / 100, format="%.4g", key=f"{prefix}.start_y", help=t("start.help"))
    else:  # set again as a value of the page's, or Streamlit forgets a widget's value when it is not drawn
        x = st.session_state[f"{prefix}.start_x"] = float(st.session_state.get(f"{prefix}.start_x", sx))
        y = st.session_state[f"{prefix}.start_y"] = float(st.session_state.get(f"{prefix}.start_y", sy))
    if not with_steps:
        return {"start": [float(x), float(y)]}
    steps = container.number_input(t("steps.label"), min_value=1, max_value=MAX_STEPS, step=50,
                                   key=f"{prefix}.steps", help=t("steps.help"))
    return {"start": [float(x), float(y)], "steps": int(steps)}


def set_start(prefix: str, x: float, y: float) -> None:
    """Move the start (before its widgets are drawn in this run)."""
    st.session_state[f"{prefix}.start_x"] = float(x)
    st.session_state[f"{prefix}.start_y"] = float(y)


def apply_player_events(prefix: str, chart_key: str, player_key: str | None = None) -> None:
    """The race player's last event, acted on once before the page's widgets are drawn: a click on the map moves
    every run's start; a pause or a step puts its cursor (and whether the whole run is shown) where the share
    link and the summary table read them (`{chart_key}.cursor`, `{chart_key}.all`).  `player_key`: another
    player on the same cursor (default: the chart's own, `{chart_key}.player`)."""
    player_key = player_key or f"{chart_key}.player"
    event = st.session_state.get(player_key)
    if not isinstance(event, dict) or st.session_state.get(f"{player_key}.applied") == event.get("id"):
        return
    st.session_state[f"{player_key}.applied"] = event.get("id")
    click = event.get("click")
    if isinstance(click, list) and len(click) == 2 and all(isinstance(v, int | float) and math.isfinite(v)
                                                            for v in click):
        set_start(prefix, *click)
    if isinstance(event.get("cursor"), int):
        st.session_state[f"{chart_key}.cursor"] = event["cursor"]
    if isinstance(event.get("show_all"), bool):
        st.session_state[f"{chart_key}.all"] = event["show_all"]


def surface_widgets(prefix: str, where: dict) -> dict:
    """The widget values `surface_picker` and `start_and_steps` need to return `where`'s surface, its
    parameters and start."""
    key = where["surface"]
    return {f"{prefix}.surface": key, f"{prefix}.start_x": where["start"][0], f"{prefix}.start_y": where["start"][1],
            **schema_widgets(SURFACES[key].params, f"{prefix}.sp.{key}", where["surface_params"])}
