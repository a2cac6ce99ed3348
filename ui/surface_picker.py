"""Surface, start and steps: the widgets every page with a loss surface shares."""

from __future__ import annotations

import streamlit as st

from optimizers import MAX_STEPS
from schema import ConfigError
from surfaces import SURFACES, Surface, get_surface

from .forms import schema_form, schema_widgets, seed
from .i18n import language, t


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
    container.latex(surface.latex)
    return choice, surface


def start_and_steps(prefix: str, surface: Surface, container=st.sidebar, with_steps: bool = True) -> dict:
    """Start (x, y) and (unless the page sets it) the number of steps; returns {"start"[, "steps"]}."""
    (x0, x1), (y0, y1) = surface.bounds
    sx, sy = surface.starts[0]
    left, right = container.columns(2)
    x = left.number_input("x₀", min_value=-1e6, max_value=1e6, **seed(f"{prefix}.start_x", value=float(sx)),
                          step=(x1 - x0) / 100, format="%.4g", key=f"{prefix}.start_x", help=t("start.help"))
    y = right.number_input("y₀", min_value=-1e6, max_value=1e6, **seed(f"{prefix}.start_y", value=float(sy)),
                           step=(y1 - y0) / 100, format="%.4g", key=f"{prefix}.start_y", help=t("start.help"))
    if not with_steps:
        return {"start": [float(x), float(y)]}
    steps = container.number_input(t("steps.label"), min_value=1, max_value=MAX_STEPS, step=50,
                                   key=f"{prefix}.steps", help=t("steps.help"))
    return {"start": [float(x), float(y)], "steps": int(steps)}


def set_start(prefix: str, x: float, y: float) -> None:
    """Move the start (before its widgets are drawn in this run)."""
    st.session_state[f"{prefix}.start_x"] = float(x)
    st.session_state[f"{prefix}.start_y"] = float(y)


def apply_clicked_start(prefix: str, chart_key: str) -> None:
    """A click on the chart's click-target layer moves the start (once per click).

    Runs before the start widgets are drawn, reading the chart's last selection
    event; the chart stores the click-target trace's index under `{chart_key}.click_trace`.
    """
    event = st.session_state.get(chart_key) or {}
    points = event.get("selection", {}).get("points", [])
    target = st.session_state.get(f"{chart_key}.click_trace")
    clicked = [p for p in points if p.get("curve_number") == target]
    if not clicked:
        return
    x, y = clicked[-1]["x"], clicked[-1]["y"]
    if st.session_state.get(f"{chart_key}.applied") != (x, y):
        st.session_state[f"{chart_key}.applied"] = (x, y)
        set_start(prefix, x, y)


def surface_widgets(prefix: str, where: dict) -> dict:
    """The widget values `surface_picker` and `start_and_steps` need to return `where`'s surface, its
    parameters and start."""
    key = where["surface"]
    return {f"{prefix}.surface": key, f"{prefix}.start_x": where["start"][0], f"{prefix}.start_y": where["start"][1],
            **schema_widgets(SURFACES[key].params, f"{prefix}.sp.{key}", where["surface_params"])}
