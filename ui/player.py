"""The player: one Streamlit component of ours that animates a surface and runs on a single time cursor.

A components-v1 iframe served from a folder made at import time (no build step, no CDN): our files from
`ui/player/` plus plotly.js from the installed plotly package (loaded only for the 3D view), copied into a
temporary directory because Streamlit refuses to serve a symlink that leaves the component's folder. The surface
layer is written there as `layers/<key>.json`, so the browser fetches it once (and on a surface change) instead of
receiving it with every rerun; the runs travel in the component's arguments.

The browser side: `core.js` (state, arrays, axes, the 2D chart), one file per panel kind in `panels/` (each
registers `PANELS[kind]`; a new file there is loaded by itself), then `player.js` (controls, cursor, messages).
A page asks for panels by kind; a panel reads the layer's and the runs' arrays (`viz.player_data`).
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import tempfile
from pathlib import Path

import plotly
import streamlit as st
import streamlit.components.v1 as components

from share import query_flags
from texts import CATALOGUES, DEFAULT, text
from viz.runs import figure_texts

SOURCE = Path(__file__).with_name("player")
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
SCRIPTS = ["core.js", *sorted(p.relative_to(SOURCE).as_posix() for p in (SOURCE / "panels").glob("*.js")),
           "player.js"]  # in this order: the panels register themselves in core's PANELS, player.js starts
MARKER = "<!-- scripts: ui/player.py SCRIPTS -->"
REDUCE_MOTION = "reduce_motion"  # the session's "Reduce motion" setting (ui.page's switch)
LECTURE_SCALE = 1.5  # lecture mode (`?lecture=1`): texts, margins and heights × this, for a projector
MAX_LAYERS = 256  # surface layers kept on disk (~20-300 KB each); the oldest go first


def player_texts(lang: str = DEFAULT) -> dict[str, str]:
    """The player's visible texts in `lang`: the figures' `viz.*` and the catalogue's `player.*` texts."""
    return {**figure_texts(lang),
            **{key.removeprefix("player."): text(key, lang) for key in CATALOGUES[DEFAULT]
               if key.startswith("player.")}}


def lecture_scale() -> float:
    """How much larger charts are drawn: LECTURE_SCALE in lecture mode, else 1."""
    return LECTURE_SCALE if query_flags(st.query_params)["lecture"] else 1.0


def _write(path: Path, data: bytes) -> None:
    """Write atomically (other server processes may read or write the same file)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _index() -> str:
    """index.html loading SCRIPTS."""
    tags = "\n".join(f'  <script src="{name}"></script>' for name in SCRIPTS)
    return (SOURCE / "index.html").read_text().replace(f"  {MARKER}", tags)


def _serve() -> Path:
    """The served folder of this version of the player: our files and plotly.js, in a folder named by their
    content, so that servers of other versions on the same machine (a test run from a clean clone beside a
    development server, replicas during an update) never serve each other's files."""
    files = {name: (SOURCE / name).read_bytes() for name in [*SCRIPTS, "player.css"]}
    files["index.html"] = _index().encode()
    version = hashlib.sha1(repr(sorted(files.items())).encode() + str(PLOTLY_JS.stat().st_size).encode())
    served = Path(tempfile.gettempdir()) / f"playground-player-{os.getuid()}-{version.hexdigest()[:12]}"
    (served / "layers").mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        target = served / name
        target.parent.mkdir(exist_ok=True)
        if not target.exists() or target.read_bytes() != data:
            _write(target, data)
    if not (served / "plotly.min.js").exists():
        _write(served / "plotly.min.js", PLOTLY_JS.read_bytes())
    return served


SERVED = _serve()


_component = components.declare_component("player", path=str(SERVED))


def _publish(layer: dict) -> dict:
    """Write `layer` as `layers/<key>.json` (once) and return the reference the browser fetches it by."""
    folder = SERVED / "layers"
    path = folder / f"{layer['key']}.json"
    if not path.exists():
        _write(path, json.dumps(layer).encode())
        old = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)[:-MAX_LAYERS]
        for p in old:
            p.unlink(missing_ok=True)
    return {"key": layer["key"], "url": f"layers/{layer['key']}.json"}


def _args(surface: dict, runs: list[dict], cursor: int, show_all: bool, panels, height: int, texts: dict | None,
          reduced_motion: bool, scale: float = 1.0) -> dict:
    """What player.js renders (Streamlit's component arguments, or a standalone page's `PLAYER_ARGS`)."""
    return {"surface": surface, "runs": runs, "cursor": int(cursor), "show_all": bool(show_all),
            "panels": list(panels), "height": int(height), "texts": texts or player_texts(),
            "reduced_motion": bool(reduced_motion), "scale": float(scale)}


def player(surface_layer: dict, runs: list[dict], *, key: str, cursor: int = 0, show_all: bool = False,
           panels: tuple[str, ...] = ("map", "loss", "lr"), height: int = 520, texts: dict | None = None,
           reduced_motion: bool | None = None, scale: float | None = None) -> dict | None:
    """Show `runs` (`viz.player_data.run_entry`) over `surface_layer` (`viz.player_data.surface_layer`).

    `panels` are drawn side by side on one time cursor: "map" (contour lines and paths) or "3d" (needs a layer
    with a mesh), then "loss" and "lr" curves. `cursor` moves the browser's cursor when its value changes;
    `reduced_motion` (like the browser's `prefers-reduced-motion`) shows the final step and no playback; `scale`
    enlarges its texts (lecture mode on a projector).

    Returns a new event once, else None: {"cursor": step, "show_all": bool} when the player was paused or stepped
    or the whole run shown or hidden, or {"click": [x, y]} when the map was clicked. The raw value (with an "id"
    per event) is also `st.session_state[key]` before the component is drawn, for a page that acts on it early.
    """
    if reduced_motion is None:
        reduced_motion = bool(st.session_state.get(REDUCE_MOTION, False))
    scale = lecture_scale() if scale is None else scale
    value = _component(**_args(_publish(surface_layer), runs, cursor, show_all, panels, int(height * scale), texts,
                               reduced_motion, scale), key=key, default=None)
    seen = f"{key}__event"
    if not value or st.session_state.get(seen) == value["id"]:
        return None
    st.session_state[seen] = value["id"]
    return {k: v for k, v in value.items() if k != "id"}


def player_html(surface_layer: dict, runs: list[dict], *, title: str, lang: str = "en", cursor: int = 0,
                show_all: bool = False, panels: tuple[str, ...] = ("map", "loss", "lr"), height: int = 520,
                texts: dict | None = None) -> str:
    """The same player as one self-contained HTML page that plays offline (no Streamlit): our CSS and JS inline,
    the layer and runs as `window.PLAYER_ARGS`, plotly.js (4.8 MB) inline only for a "3d" panel."""
    args = _args(surface_layer, runs, cursor, show_all, panels, height, texts, False)
    scripts = ["window.PLAYER_ARGS = " + json.dumps(args), *([PLOTLY_JS.read_text()] if "3d" in panels else []),
               *((SOURCE / name).read_text() for name in SCRIPTS)]
    page = (SOURCE / "index.html").read_text().replace('<html lang="en">', f'<html lang="{lang}">')
    page = page.replace('<link rel="stylesheet" href="player.css">',
                        f"<title>{html.escape(title)}</title><style>{(SOURCE / 'player.css').read_text()}</style>")
    inline = "".join("<script>" + code.replace("</script", "<\\/script") + "</script>" for code in scripts)
    return page.replace(MARKER, inline)
