"""LaTeX that fits a column: an estimate of the width KaTeX gives a formula, rows broken between terms where
a line is too wide, and a row that cannot break set smaller (pure Python, no browser: the server does not know
the screen, so formulas are fitted to the narrowest column they appear in, a phone's).

Widths are in em of the formula's own font, from KaTeX's glyph widths and TeX's spacing rules (a binary operator
gets a medium space on each side, a relation a thick one), a little wide rather than narrow;
`tests/test_formulas_fit.py` checks the fitted formulas in Chromium.
"""

from __future__ import annotations

import re

FIT_EM = 18.5  # a phone's column in em (358 px at KaTeX's 0.9 × 1.21 × 16 px), less the estimate's error

_SCRIPT = 0.7  # a superscript's or subscript's size
_BIN, _REL = 0.78 + 2 * 0.222, 0.78 + 2 * 0.278  # + − ×; = < ← with their spaces
_GLYPHS = {
    **dict.fromkeys("0123456789", 0.5), **dict.fromkeys("()", 0.39), **dict.fromkeys("[]|", 0.28),
    ".": 0.28, ",": 0.45, ";": 0.45, "/": 0.5, "!": 0.28, "'": 0.28, ":": 0.28 + 2 * 0.278,
    **dict.fromkeys("+-*", _BIN), **dict.fromkeys("=<>", _REL), "#": 0.83, "&": 0.0, "~": 0.33,
}
_COMMANDS = {
    "cdot": 0.28 + 2 * 0.222, "times": _BIN, "pm": _BIN, "leftarrow": 1.0 + 2 * 0.278, "to": 1.0 + 2 * 0.278,
    "le": _REL, "ge": _REL, "leq": _REL, "geq": _REL, "in": 0.67 + 2 * 0.278, "approx": _REL, "ne": _REL,
    "nabla": 0.83, "infty": 1.0, "partial": 0.57, "lfloor": 0.44, "rfloor": 0.44, "lceil": 0.44, "rceil": 0.44,
    "{": 0.5, "}": 0.5, "#": 0.83, "_": 0.5, "%": 0.83, "|": 0.5, "quad": 1.0, "qquad": 2.0, ",": 0.167,
    ";": 0.278, ":": 0.222, " ": 0.333, "!": -0.167, "ldots": 1.17, "dots": 1.17, "sum": 1.06, "prod": 0.94,
    "Gamma": 0.63, "Delta": 0.83, "Theta": 0.78, "Lambda": 0.69, "Sigma": 0.72, "Phi": 0.72, "Psi": 0.78,
    "Omega": 0.72, "lvert": 0.28, "rvert": 0.28, "lVert": 0.5, "rVert": 0.5, "circ": 0.5, "prime": 0.28,
}
_DELIMITERS = {"left", "right"}  # a stretched delimiter is wider than a plain one
_ZERO = {"big", "Big", "bigl", "bigr", "displaystyle", "textstyle", "limits", "nolimits"}
_NAMED = {"max", "min", "cos", "sin", "exp", "log", "ln", "tanh", "sqrt", "arg", "lim", "sign"}
_WIDE_LETTERS = {"m": 0.88, "w": 0.72, "M": 0.97, "W": 1.05, "N": 0.8, "A": 0.75, "T": 0.58, "i": 0.35,
                 "j": 0.41, "l": 0.3, "t": 0.36, "f": 0.49, "r": 0.45}
_TOKEN = re.compile(r"\\[a-zA-Z]+|\\.|[{}^_]|[^\s]|\s+")


def _group(tokens: list[str], i: int) -> tuple[list[str], int]:
    """The argument at tokens[i]: a braced group's tokens, or one token; and the index after it."""
    while i < len(tokens) and tokens[i].isspace():
        i += 1
    if i >= len(tokens):
        return [], i
    if tokens[i] != "{":
        return [tokens[i]], i + 1
    depth, j = 0, i
    for j in range(i, len(tokens)):
        depth += (tokens[j] == "{") - (tokens[j] == "}")
        if depth == 0:
            break
    return tokens[i + 1:j], j + 1


def _text_width(tokens: list[str]) -> float:
    """Roman text (\\text{…}, \\operatorname{…}): about half an em a letter, a space a third."""
    return sum(0.33 if tok.isspace() else 0.5 * len(tok.lstrip("\\")) for tok in tokens)


def _environment(tokens: list[str], i: int) -> tuple[float, int]:
    """A \\begin{cases}/{aligned}/{array} … \\end block from tokens[i] (just after \\begin{name}): its widest row
    (cells separated by a 1 em gap) plus a brace for cases; and the index after \\end{name}."""
    depth, j = 1, i
    while j < len(tokens) and depth:
        depth += (tokens[j] == r"\begin") - (tokens[j] == r"\end")
        j += 1
    body = tokens[i:j - 1]
    rows, row = [], [[]]
    for tok in body:
        if tok == r"\\":
            rows.append(row)
            row = [[]]
        elif tok == "&":
            row.append([])
        else:
            row[-1].append(tok)
    rows.append(row)
    columns = max(len(r) for r in rows)
    cells = [max((_width(r[c]) for r in rows if c < len(r)), default=0.0) for c in range(columns)]
    _, after = _group(tokens, j)
    return sum(cells) + (columns - 1) * 1.0 + 0.9, after


def _width(tokens: list[str]) -> float:
    width, i = 0.0, 0
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if tok.isspace() or tok in "{}":
            if tok == "{":  # a bare group: its content
                group, i = _group(tokens, i - 1)
                width += _width(group)
            continue
        if tok in "^_":  # scripts: the wider of a sup/sub pair
            group, i = _group(tokens, i)
            script = _width(group) * _SCRIPT
            if i < len(tokens) and tokens[i] in "^_" and tokens[i] != tok:
                other, i = _group(tokens, i + 1)
                script = max(script, _width(other) * _SCRIPT)
            width += script + 0.05
            continue
        name = tok[1:] if tok.startswith("\\") else None
        if name is None:
            width += _GLYPHS.get(tok, _WIDE_LETTERS.get(tok, 0.75 if tok.isupper() else 0.55))
        elif name in ("frac", "tfrac", "dfrac"):
            top, i = _group(tokens, i)
            bottom, i = _group(tokens, i)
            width += max(_width(top), _width(bottom)) * (0.7 if name == "tfrac" else 1.0) + 0.24
        elif name == "sqrt":
            group, i = _group(tokens, i)
            width += _width(group) + 0.9
        elif name in ("text", "mathrm", "operatorname", "textrm", "mathit"):
            group, i = _group(tokens, i)
            width += _text_width(group) + (0.17 if name == "operatorname" else 0.0)
        elif name in ("hat", "tilde", "bar", "vec", "dot", "mathbf", "boldsymbol", "underline", "overline"):
            group, i = _group(tokens, i)
            width += _width(group)
        elif name == "color":
            _, i = _group(tokens, i)
            group, i = _group(tokens, i)
            width += _width(group)
        elif name in ("xrightarrow", "xleftarrow"):
            group, i = _group(tokens, i)
            width += max(_width(group) * _SCRIPT + 0.6, 1.0) + 2 * 0.278
        elif name in ("small", "footnotesize", "scriptsize", "normalsize"):
            scale = {"small": 0.9, "footnotesize": 0.8, "scriptsize": 0.7, "normalsize": 1.0}[name]
            return width + _width(tokens[i:]) * scale
        elif name == "begin":
            _, i = _group(tokens, i)
            env, i = _environment(tokens, i)
            width += env
        elif name in _NAMED:
            width += 0.5 * len(name) + 0.17
        elif name in _DELIMITERS:
            width += 0.12
        elif name in _ZERO:
            continue
        elif len(name) > 1 and name.isalpha() and name not in _COMMANDS:
            width += 0.6  # a Greek letter or a symbol
        else:
            width += _COMMANDS.get(name, 0.6)
    return width


def width_em(latex: str) -> float:
    """About how wide KaTeX sets `latex` in display style, in em of its font."""
    return _width(_TOKEN.findall(latex))


def _split(text: str, cuts: tuple[str, ...]) -> list[str]:
    """`text` cut before each of `cuts` outside brackets and braces (the cut stays with the right piece)."""
    pieces, depth, start, i = [], 0, 0, 0
    while i < len(text):
        ch = text[i]
        if text.startswith(r"\left", i) or text.startswith(r"\begin", i):
            depth += 1
        elif text.startswith(r"\right", i) or text.startswith(r"\end", i):
            depth -= 1
        elif text[i] == "\\":
            i += 2
            continue
        depth += (ch in "({[") - (ch in ")}]")
        cut = next((c for c in cuts if text.startswith(c, i)), None)
        if depth == 0 and cut and i > start:
            pieces.append(text[start:i])
            start = i
            i += len(cut)
            continue
        i += 1
    return [p.strip() for p in [*pieces, text[start:]] if p.strip()]


def _rows(expression: str, width: float, cuts=((" + ", " - "), (r" \cdot ", " / "))) -> list[str]:
    """`expression` as rows of at most about `width` em: broken before a term, and a term still too wide before
    a factor; a row that cannot break stays whole."""
    rows = [""]
    for piece in _split(expression, cuts[0]):
        if rows[-1] and width_em(f"{rows[-1]} {piece}") > width:
            rows.append("")
        rows[-1] = f"{rows[-1]} {piece}".strip()
    if len(cuts) == 1:
        return rows
    return [part for row in rows for part in (_rows(row, width, cuts[1:]) if width_em(row) > width else [row])]


def _sized(right: str, room: float) -> str:
    """`right` set smaller (\\small, \\footnotesize, \\scriptsize) when it is wider than `room` em."""
    natural = width_em(right)
    for command, scale in ((r"\small ", 0.9), (r"\footnotesize ", 0.8), (r"\scriptsize ", 0.7)):
        if natural <= room or natural * scale <= room or command == r"\scriptsize ":
            return right if natural <= room else f"{{{command}{right}}}"
    return right


def definitions(formula: str) -> list[str]:
    """A formula and the definitions it carries (`f = …,\\quad a = …,\\ b = …`) as lines: one each."""
    pieces = _split(formula, (r",\quad", r",\ "))
    return [piece.removeprefix(r",\quad").removeprefix(r",\ ").strip() for piece in pieces]


def fitted(lines: list[str], width: float = FIT_EM) -> str:
    """Lines `lhs = … = result` (or `lhs ← …`) as one aligned block about `width` em wide at most: aligned at
    their first '=' or '←'; a line too wide gets each further '= …' on a row of its own and an expression still
    too wide continued on the next rows ('\\quad'-indented); a row that cannot break (a cases block) is set
    smaller."""
    split = []
    for line in lines:
        found = [(line.find(op), op) for op in (" = ", r" \leftarrow ") if op in line]
        at, op = min(found) if found else (0, "")
        split.append((line[:at], op.strip(), line[at + len(op):] if op else line))
    lhs_width = max((width_em(f"{lhs} {op}") for lhs, op, _ in split), default=0.0)
    room = width - lhs_width
    rows = []  # (left, operator, right)
    for lhs, op, rest in split:
        if width_em(rest) <= room:
            rows.append((lhs, op, rest))
            continue
        for i, part in enumerate(piece.removeprefix("= ") for piece in _split(rest, (" = ",))):
            first, *more = _rows(part, room - 1.0)  # continuation rows start with a \quad
            rows += [(lhs, op, first) if i == 0 else ("", "=", first), *(("", r"\quad", row) for row in more)]
    indent = {r"\quad": 1.0}  # a continuation row's right side starts 1 em in
    return r"\begin{aligned}" + r"\\".join(f"{lhs} &{op} {_sized(right, room - indent.get(op, 0.0))}"
                                            for lhs, op, right in rows) + r"\end{aligned}"
