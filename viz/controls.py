"""Animation plumbing shared by the race and the swarm: which steps become frames, and the controls.

Frames only move marker traces and play with ``redraw: false``: plotly then restyles
those few points instead of redrawing the whole figure.
"""

from __future__ import annotations

import numpy as np

FRAME_MS = 40  # frame duration at 1× speed
SPEEDS = (0.5, 1, 2, 4)
MENU_PAD = 50  # px from the plot's bottom edge to the buttons: room for the x axis' ticks and title
VALUE_OFFSET = 22  # px from the slider's "step: n" (beside the buttons) down to its rail (below them)
SPEED_PAD = 110  # px from the plot's bottom edge to the speed menu, under the rail's right end
CONTROLS_MARGIN = 146  # px below the plot for the buttons, the slider and the speed menu


def sample_steps(last: int, max_frames: int) -> np.ndarray:
    """At most `max_frames` evenly spaced steps of 0..last, always with 0 and `last`."""
    count = min(max(max_frames, 2), last + 1)
    return np.unique(np.round(np.linspace(0, last, count)).astype(int))


def _animate(names: list[str] | None, duration: float) -> list:
    """Arguments of a plotly ``animate`` call: play `names` (None = all) from the current frame."""
    opts = {"frame": {"duration": duration, "redraw": False}, "transition": {"duration": 0}, "mode": "immediate"}
    if names is None:
        opts["fromcurrent"] = True
    return [names, opts]


def animation_controls(steps, texts: dict, frame_ms: float = FRAME_MS, active: int = 0) -> dict:
    """Layout entries (`updatemenus`, `sliders`) for ▶/⏸, a speed menu and a step slider over frames named by `steps`.

    Play runs at 1×; choosing a speed plays from the current frame at that speed. Laid out to fit any width
    (the figure does not know the screen's; on a phone the plot is ~250 px wide)::

        [▶ Play][❚❚ Pause]            step: 120
        o-------------------------------------
                                  [Speed 1× ▲]
    """
    names = [str(int(s)) for s in steps]
    play_pause = {
        "type": "buttons", "direction": "left", "showactive": False, "x": 0, "xanchor": "left", "y": 0,
        "yanchor": "top", "pad": {"t": MENU_PAD, "r": 6}, "font": {"size": 14},
        "buttons": [{"label": texts["play"], "method": "animate", "args": _animate(None, frame_ms)},
                    {"label": texts["pause"], "method": "animate", "args": _animate([None], 0)}]}
    speed = {
        "type": "dropdown", "direction": "up", "showactive": True, "active": SPEEDS.index(1), "x": 1,
        "xanchor": "right", "y": 0, "yanchor": "top", "pad": {"t": SPEED_PAD}, "font": {"size": 14},
        "buttons": [{"label": f"{texts['speed']} {s:g}×", "method": "animate", "args": _animate(None, frame_ms / s)}
                    for s in SPEEDS]}
    slider = {
        "active": active, "x": 0, "len": 1, "y": 0, "yanchor": "top", "pad": {"t": MENU_PAD, "b": 0},
        "currentvalue": {"prefix": f"{texts['step']}: ", "visible": True, "xanchor": "right", "offset": VALUE_OFFSET,
                         "font": {"size": 14, "color": "#333333"}},
        "font": {"color": "rgba(0,0,0,0)"}, "ticklen": 0, "minorticklen": 0,  # no label under each of 240 ticks
        "transition": {"duration": 0},
        "steps": [{"label": name, "method": "animate", "args": _animate([name], 0)} for name in names]}
    return {"updatemenus": [play_pause, speed], "sliders": [slider]}


def frames_of(steps, traces: list[int], data) -> list[dict]:
    """Frames named by step: frame k restyles `traces` with `data(k)` (a list of partial traces)."""
    return [{"name": str(int(s)), "traces": traces, "data": data(k)} for k, s in enumerate(steps)]
