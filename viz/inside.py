"""One optimizer step up close: the path so far with the gradient, momentum and update arrows, the
optimizer's state over time for both coordinates, and the rule's lines with numbers wrapped to fit
the column beside the figure."""

from __future__ import annotations

import re

import numpy as np

from .contours import map_layer
from .encode import clean
from .runs import template, texts_with_defaults

ARROW_SHARE = 0.22  # the longest arrow spans this share of the plot's diagonal


def _arrow(origin, vector, color: str, name: str, dash: str = "solid") -> dict:
    end = origin + vector
    return {"type": "scatter", "mode": "lines+markers", "name": name, "x": clean([origin[0], end[0]]),
            "y": clean([origin[1], end[1]]), "line": {"color": color, "width": 4, "dash": dash},
            "marker": {"symbol": ["circle", "arrow"], "size": [4, 16], "angleref": "previous", "color": color},
            "hoverinfo": "skip"}


def inside_figure(surface, xy: np.ndarray, t: int, arrows: list[tuple[str, np.ndarray, str]], *, texts: dict,
                  color: str, height: int = 620) -> dict:
    """The contour with the path up to step t (the rest faint) and `arrows` = [(name, vector, colour)]
    drawn from xy[t], all scaled by one factor so the longest spans ARROW_SHARE of the diagonal."""
    texts = texts_with_defaults(texts)
    (x0, x1), (y0, y1) = surface.bounds
    longest = max((float(np.hypot(*v)) for _, v, _ in arrows if np.isfinite(v).all()), default=0.0)
    scale = ARROW_SHARE * float(np.hypot(x1 - x0, y1 - y0)) / longest if longest > 0 else 1.0
    data = [*map_layer(surface, texts),
            {"type": "scatter", "mode": "lines", "x": clean(xy[t:, 0]), "y": clean(xy[t:, 1]), "hoverinfo": "skip",
             "line": {"color": color, "width": 1.5, "dash": "dot"}, "opacity": 0.45, "showlegend": False},
            {"type": "scatter", "mode": "lines+markers", "name": texts["path"], "x": clean(xy[:t + 1, 0]),
             "y": clean(xy[:t + 1, 1]), "line": {"color": color, "width": 2.5}, "marker": {"size": 5, "color": color}},
            {"type": "scatter", "mode": "markers", "x": clean(xy[t:t + 1, 0]), "y": clean(xy[t:t + 1, 1]),
             "marker": {"size": 16, "color": color, "line": {"color": "#ffffff", "width": 2}}, "showlegend": False,
             "hovertemplate": f"{texts['step']} {t}<br>(%{{x:.5g}}, %{{y:.5g}})<extra></extra>"}]
    for name, vector, arrow_color in arrows:
        if np.isfinite(vector).all():
            data.append(_arrow(xy[t], vector * scale, arrow_color, f"{name} (×{scale:.3g})"))
    layout = {"template": template(), "height": height, "font": {"size": 15}, "uirevision": "inside",
              "margin": {"l": 60, "r": 16, "t": 40, "b": 50},
              "xaxis": {"range": [x0, x1], "title": {"text": texts["x"]}, "showgrid": False, "zeroline": False},
              "yaxis": {"range": [y0, y1], "title": {"text": texts["y"]}, "showgrid": False, "zeroline": False},
              "legend": {"orientation": "h", "x": 0, "y": 1.02, "xanchor": "left", "yanchor": "bottom"}}
    return {"data": data, "layout": layout}


def state_figure(series: dict[str, np.ndarray], t: int, *, texts: dict, colors=("#0072B2", "#D55E00"),
                 height_per_row: int = 150) -> dict:
    """One row per state entry (arrays (steps, 2)): coordinate x and y over the steps, a line at step t."""
    texts = texts_with_defaults(texts)
    rows = list(series)
    gap = 0.06
    size = (1 - gap * (len(rows) - 1)) / max(len(rows), 1)
    data, layout = [], {"template": template(), "height": max(220, height_per_row * len(rows) + 80),
                        "font": {"size": 14}, "uirevision": "state", "margin": {"l": 64, "r": 16, "t": 40, "b": 50},
                        "legend": {"orientation": "h", "x": 0, "y": 1.02, "xanchor": "left", "yanchor": "bottom"},
                        "shapes": []}
    for i, key in enumerate(rows):
        k = "" if i == 0 else str(i + 1)
        top = 1 - i * (size + gap)
        layout[f"yaxis{k}"] = {"domain": [max(top - size, 0), top], "anchor": f"x{k}", "exponentformat": "power",
                               "automargin": True,  # the left margin fits the ticks and titles (a phone: no waste)
                               "title": {"text": key, "font": {"size": 13}}}
        layout[f"xaxis{k}"] = {"anchor": f"y{k}", **({"matches": "x"} if i else {}),
                               **({"title": {"text": texts["step"]}} if i == len(rows) - 1 else
                                  {"showticklabels": False})}
        for c, (axis_name, color) in enumerate(zip(("x", "y"), colors, strict=True)):
            data.append({"type": "scatter", "mode": "lines", "x0": 0, "dx": 1, "y": clean(series[key][:, c]),
                         "name": texts[axis_name], "legendgroup": axis_name, "showlegend": i == 0,
                         "line": {"color": color, "width": 2}, "xaxis": f"x{k}", "yaxis": f"y{k}"})
        layout["shapes"].append({"type": "line", "xref": f"x{k}", "yref": f"y{k} domain", "x0": t, "x1": t,
                                 "y0": 0, "y1": 1, "line": {"color": "#333333", "width": 1.5, "dash": "dot"}})
    return {"data": data, "layout": layout}


NUMBERS_WIDTH = 32  # shown characters of a row of numbers, about what fits beside the figure


def _visible(latex: str) -> int:
    """About how many characters a piece of LaTeX shows (commands, braces, script marks and spaces left out)."""
    return len(re.sub(r"\\[a-zA-Z]+|[{}^_\s]", "", latex))


def _pieces(text: str, cuts: tuple[str, ...]) -> list[str]:
    """`text` cut before each of `cuts` (' + ', ' - ', ...) outside brackets."""
    pieces, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += (ch in "({[") - (ch in ")}]")
        if depth == 0 and text[i:i + 3] in cuts and i > start:
            pieces.append(text[start:i])
            start = i + 1
    return [*pieces, text[start:]]


def _wrapped(text: str, width: int, cuts: tuple[tuple[str, ...], ...] = ((" + ", " - "), (" / ",))) -> list[str]:
    """`text` as rows of at most about `width` shown characters: wrapped between terms, and a term that is
    still too long between the factors of a quotient."""
    rows = [""]
    for piece in _pieces(text, cuts[0]):
        if rows[-1] and _visible(f"{rows[-1]} {piece}") > width:
            rows.append("")
        rows[-1] = f"{rows[-1]} {piece}" if rows[-1] else piece
    if len(cuts) == 1:
        return rows
    return [part for row in rows for part in (_wrapped(row, width, cuts[1:]) if _visible(row) > width else [row])]


def stacked(lines: list[str], width: int = NUMBERS_WIDTH) -> str:
    """Lines `lhs = … = result` (or `lhs ← … = result`) aligned at their '=' or '←', each wider than `width`
    shown characters wrapped so the numbers fit the column beside the figure: every '= …' on a row of its
    own, and an expression still too long continued on the next rows."""
    rows = []
    for line in lines:
        at, op = min((line.find(op), op) for op in (" = ", r" \leftarrow ") if op in line)
        lhs, rest = line[:at], line[at + len(op):]
        if _visible(line) <= width:
            rows.append(f"{lhs} &{op.strip()} {rest}")
            continue
        for i, part in enumerate(rest.split(" = ")):
            first, *more = _wrapped(part, width - _visible(lhs))
            rows += [f"{lhs} &{op.strip()} {first}" if i == 0 else f"&= {first}", *(rf"&\quad {row}" for row in more)]
    return r"\begin{aligned}" + r"\\".join(rows) + r"\end{aligned}"
