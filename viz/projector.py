"""A figure for a lecture hall projector: the same figure with bigger texts, thicker lines and bigger markers.

`projector` copies only what it changes: trace dicts and the few nested dicts it restyles are new,
data arrays and frames that only move points (viz's frames carry x/y alone) are shared with the input.
"""

from __future__ import annotations

import re

# plotly.js defaults for what a figure may leave unset
FONT, LINE_WIDTH, MARKER_SIZE, HOVER_FONT = 12, 2, 6, 13
TITLE_FONT = 1.2  # an axis title's default size: 1.2 × the layout font (plotly.js `bigFont`)
MARGIN = {"l": 80, "r": 80, "t": 100, "b": 80}
LINE = 1.3  # a line of text is ~1.3 × its font size high
BUTTON_MIN, BUTTON_PAD = 30, 3  # an updatemenu button: a line of text or this at least, and this (plotly.js)
TICK_OFFSET, VALUE_OFFSET = 25, 10  # slider: rail to ticks (plotly.js constant), current value's default offset
ROW_GAP = 6  # px left free under the lowest control, at scale 1
AXIS = re.compile(r"^[xyz]axis\d*$")
STYLED = ("marker", "line", "textfont")  # keys of a frame's trace that `projector` would restyle


def _times(value, k: float):
    """`value` (a number or a list of numbers, None kept) × k, rounded to 0.1."""
    if isinstance(value, list | tuple):
        return [None if v is None else round(v * k, 1) for v in value]
    return round(value * k, 1)


def _grow(d: dict | None, key: str, default: float | None, k: float) -> dict:
    """A copy of `d` whose `key` is k × (its value or `default`); without either, `key` stays unset."""
    d = dict(d or {})
    if key in d or default is not None:
        d[key] = _times(d.get(key, default), k)
    return d


def _font(owner: dict, key: str, default: float, k: float) -> dict:
    """A copy of `owner` whose `key` font's size is k × (its size or `default`)."""
    return {**owner, key: _grow(owner.get(key), "size", default, k)}


def _title(owner: dict, default: float, k: float) -> dict:
    """A copy of `owner` with its title's font scaled (a bare title string becomes {"text": ...})."""
    title = owner.get("title")
    if title is None:
        return owner
    if isinstance(title, str):
        title = {"text": title}
    return {**owner, "title": _font(title, "font", default, k)}


def _axis(axis: dict, base: float, k: float) -> dict:
    return _title(_font(axis, "tickfont", base, k), round(TITLE_FONT * base), k)


def _colorbar(owner: dict, base: float, k: float) -> dict:
    """A copy of `owner` (a trace or a coloraxis) with its colour bar's tick and title fonts scaled."""
    if "colorbar" not in owner:
        return owner
    return {**owner, "colorbar": _title(_font(owner["colorbar"], "tickfont", base, k), base, k)}


def _trace(trace: dict, base: float, k: float, defaults: bool = True) -> dict:
    """A copy of `trace` with lines k× as wide, markers k× as big and texts k× as large.

    `defaults`: scale what the trace leaves to plotly's defaults too (a whole trace in `data`); a frame's
    partial trace (False) only restyles what it names. Square markers are tiles (the swarm's basin cells
    fill the plot box as a grid): their size stays.
    """
    out = dict(trace)
    mode = trace.get("mode", "") if defaults else ""
    if "line" in trace or "lines" in mode:
        out["line"] = _grow(trace.get("line"), "width", LINE_WIDTH if defaults else None, k)
    if "marker" in trace or "markers" in mode:
        marker = dict(trace.get("marker") or {})
        if marker.get("symbol") != "square":
            marker = _grow(marker, "size", MARKER_SIZE if defaults else None, k)
            if "line" in marker:
                marker["line"] = _grow(marker["line"], "width", None, k)
        out["marker"] = marker
    if "textfont" in trace or "text" in mode:
        out = _font(out, "textfont", base if defaults else None, k)
    return _colorbar(out, base, k) if "colorbar" in trace else out


def _frame(frame: dict, base: float, k: float) -> dict:
    """`frame` itself when it only moves points; else a copy with its traces restyled."""
    data = frame.get("data") or []
    if not any(key in trace for trace in data for key in STYLED):
        return frame
    return {**frame, "data": [_trace(t, base, k, defaults=False) for t in data]}


def _below(item: dict) -> bool:
    """Whether an updatemenu or slider hangs below the plot (viz's controls row: y = 0, yanchor top)."""
    return item.get("y") == 0 and item.get("yanchor") == "top"


def _pad(item: dict, k: float) -> dict:
    return {side: _times(v, k) for side, v in (item.get("pad") or {}).items()}


def _controls(layout: dict, base: float, k: float) -> tuple[dict, float]:
    """Scaled updatemenus and sliders, and how far (px) below the plot they reach (0: none there).

    viz lays its controls out to fit any width (viz.controls: ▶/❚❚ and the step value on one row, the
    slider's rail across the whole width under them, the speed menu under its right end); fonts and pads
    grow by the same factor, so the rows keep their order and do not overlap.
    """
    menus = [{**_font(m, "font", base, k), "pad": _pad(m, k)} for m in layout.get("updatemenus", [])]
    bottom = max((m["pad"].get("t", 0) + max(LINE * m["font"]["size"], BUTTON_MIN) + BUTTON_PAD
                  for m in menus if _below(m)), default=0)
    sliders = []
    for s in layout.get("sliders", []):
        s = {**_font(s, "font", base, k), "pad": _pad(s, k)}
        s["currentvalue"] = _grow(_font(s.get("currentvalue") or {}, "font", base, k), "offset", VALUE_OFFSET, k)
        if _below(s):
            bottom = max(bottom, s["pad"].get("t", 0) + _slider_height(s))
        sliders.append(s)
    return {**({"updatemenus": menus} if menus else {}), **({"sliders": sliders} if sliders else {})}, bottom


def _slider_height(s: dict) -> float:
    """A slider's height without its pad.t, as plotly.js lays it out (sliders/draw.js `findDimensions`)."""
    value = s["currentvalue"]
    text = LINE * value["font"]["size"] + value["offset"] if value.get("visible", True) else 0
    return text + TICK_OFFSET + s.get("ticklen", 7) + LINE * s["font"]["size"] + s["pad"].get("b", 0)


def _widen_gaps(layout: dict, k: float) -> dict:
    """x-axis domains with each gap between side-by-side subplots k× as wide (both sides give way).

    A subplot's y tick labels and title sit in the gap to its left; k× as large they need k× the room.
    Returns {axis name: new domain} for the axes that change.
    """
    domains = {key: v.get("domain", [0, 1]) for key, v in layout.items() if key.startswith("xaxis")}
    moved = {}  # old boundary → new boundary
    for start in sorted({d[0] for d in domains.values() if d[0] > 0}):
        ends = [d[1] for d in domains.values() if d[1] <= start]
        if ends:
            half = (start - max(ends)) * (k - 1) / 2
            moved[start], moved[max(ends)] = round(start + half, 4), round(max(ends) - half, 4)
    return {key: [moved.get(d0, d0), moved.get(d1, d1)] for key, (d0, d1) in domains.items()
            if d0 in moved or d1 in moved}


def projector(fig: dict, scale: float = 1.5) -> dict:
    """`fig` (a plotly figure dict) for a projector: fonts, line widths and marker sizes × `scale`.

    Scales the layout font and, where set or where plotly would derive them from it, every axis's
    tick and title font (subplots and 3D scenes too), the legend, annotations, hover labels, the
    updatemenus and sliders (current value included) and colour bars; in `data` line widths, marker
    sizes and outlines and text fonts. Frames that carry marker/line/text styling get the same;
    frames that only move points are shared, not copied. What must grow with the fonts grows too:
    the margins, the controls' padding, the gaps between side-by-side subplots (`_widen_gaps`); the
    controls are laid out so they cannot overlap (`_controls`); and the figure's height grows by what
    the margins took, so the plot itself keeps its size. `fig` is not modified.
    """
    if not scale > 0:
        raise ValueError(f"scale: must be > 0, got {scale!r}")
    k = float(scale)
    old = fig.get("layout") or {}
    base = (old.get("font") or {}).get("size", FONT)
    layout = {**old, "font": {**(old.get("font") or {}), "size": _times(base, k)}}
    for key, value in old.items():
        if AXIS.match(key):
            layout[key] = _axis(value, base, k)
        elif key.startswith("scene") and isinstance(value, dict):
            layout[key] = {**value, **{a: _axis(value[a], base, k) for a in value if AXIS.match(a)}}
        elif key.startswith("coloraxis") and isinstance(value, dict):
            layout[key] = _colorbar(value, base, k)
    layout = _title(layout, round(1.4 * base), k)  # the figure's title: plotly's default is 1.4 × the font
    layout["legend"] = _title(_font(old.get("legend") or {}, "font", base, k), base, k)
    if "annotations" in old:
        layout["annotations"] = [_font(a, "font", base, k) for a in old["annotations"]]
    layout["hoverlabel"] = _font(old.get("hoverlabel") or {}, "font", HOVER_FONT, k)
    for key, domain in _widen_gaps(old, k).items():
        layout[key] = {**layout[key], "domain": domain}
    controls, bottom = _controls(old, base, k)
    layout.update(controls)

    margin = {**MARGIN, **(old.get("margin") or {})}  # unset sides keep plotly's (generous) defaults
    layout["margin"] = {**margin, **{side: _times(v, k) for side, v in (old.get("margin") or {}).items()
                                     if side in MARGIN}}
    if bottom:  # the controls below the plot need at least this much room
        layout["margin"]["b"] = max(layout["margin"]["b"], round(bottom + ROW_GAP * k, 1))
    if "height" in old:  # the plot keeps its height: what the margins took is added
        grown = layout["margin"]["t"] + layout["margin"]["b"] - margin["t"] - margin["b"]
        layout["height"] = round(old["height"] + grown)

    out = {**fig, "layout": layout, "data": [_trace(t, base, k) for t in fig.get("data", [])]}
    if "frames" in fig:
        out["frames"] = [_frame(f, base, k) for f in fig["frames"]]
    return out
