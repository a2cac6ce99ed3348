"""The plain PyTorch code that reproduces a run: `torch_code(config)`.

The generated script is what a student would write by hand: the loss function,
the parameter(s), the real `torch.optim` optimizer and scheduler, and the loop
in the order PyTorch documents (zero_grad, loss, backward, [clip], step,
scheduler.step()).  It records `positions` (steps + 1, 2), equal to
`run(config).xy` (the tests execute it and compare).

Only hyperparameters that differ from torch's defaults are written (and `lr`).
Constants print as `repr` gives them, so the script computes with exactly the
numbers the engine used.  A custom formula is translated by walking the parsed
AST of `surfaces.formula`: the user's text is never evaluated nor pasted as code.
"""

from __future__ import annotations

import math
import operator
import struct
import textwrap

from surfaces import SURFACES
from surfaces.formula import Binary, Call, Const, Num, Unary, Var, _constant, _parse, _uses_xy
from surfaces.regression import COURSE_X, COURSE_Y

from .config import normalize_config
from .schedulers import SCHEDULERS
from .specs import OPTIMIZERS, PRESETS

WIDTH = 100  # wrap long data lines at about this many characters
_XY = "x, y = p[0], p[1]"

# The body of f(p) for each surface, with the surface's parameters substituted by `str.format`
# (`{a!r}` prints the float exactly).  Each line mirrors the engine's function in surfaces/.
SURFACE_CODE: dict[str, tuple[str, ...]] = {
    "saddle": (_XY, "return x ** 2 - y ** 2"),
    "monkey_saddle": (_XY, "return x ** 3 - 3 * x * y ** 2"),
    "rosenbrock": (_XY, "return ({a!r} - x) ** 2 + {b!r} * (y - x ** 2) ** 2"),
    "bowl": ("theta = math.radians({rotation!r})  # rotate (x, y) into the valley's axes (u, v)",
             "c, s = math.cos(theta), math.sin(theta)", _XY,
             "u, v = c * x + s * y, -s * x + c * y",
             "return 0.5 * (u ** 2 + {condition!r} * v ** 2)"),
    "himmelblau": (_XY, "return (x ** 2 + y - 11) ** 2 + (x + y ** 2 - 7) ** 2"),
    "beale": (_XY, "return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2 + (2.625 - x + x * y ** 3) ** 2"),
    "booth": (_XY, "return (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2"),
    "rastrigin": (_XY, "return (2 * {A!r} + x ** 2 - {A!r} * torch.cos(2 * math.pi * x)"
                       " + y ** 2 - {A!r} * torch.cos(2 * math.pi * y))"),
    "six_hump_camel": (_XY, "return (4 - 2.1 * x ** 2 + x ** 4 / 3) * x ** 2 + x * y + (-4 + 4 * y ** 2) * y ** 2"),
    "styblinski_tang": ("return 0.5 * (p ** 4 - 16 * p ** 2 + 5 * p).sum(-1)",),
    "linear_regression": ("w, b = p[0:1].view(1, 1), p[1:2]  # the weight (1, 1) and bias (1,) of nn.Linear(1, 1)",
                          "return torch.nn.functional.mse_loss(torch.nn.functional.linear(X[:, None], w, b), "
                          "Y[:, None])"),
}


# ----------------------------------------------------------------------------- literals


def _float(v: float) -> str:
    """The shortest text Python reads back as `v` (math.inf / math.nan where repr would not parse)."""
    if math.isnan(v):
        return "math.nan"
    if math.isinf(v):
        return "math.inf" if v > 0 else "-math.inf"
    return repr(float(v))


def literal(value, kind: str = "") -> str:
    """A config value as Python source: pairs as tuples, lists as lists, strings double-quoted."""
    if value is None or isinstance(value, bool | int):
        return repr(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    items = ", ".join(literal(v) for v in value)
    return f"({items})" if kind == "pair" else f"[{items}]"


def _same(a, b) -> bool:
    """Equal as config values (a list equals a tuple with the same items)."""
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool | None) or isinstance(b, bool | None):
        return a is b
    return a == b


def keyword_args(schema, values: dict, always: tuple[str, ...] = ()) -> list[str]:
    """`key=value` for the keywords that are required, listed in `always` or differ from torch's default."""
    return [f"{p.key}={literal(values[p.key], p.kind)}" for p in schema
            if p.key in always or p.required or not _same(values[p.key], p.default)]


def _comment(text: str) -> str:
    """`text` on one line, safe inside a `#` comment."""
    return " ".join(str(text).split())


# ---------------------------------------------------------------------- custom formulas

_ADD, _MUL, _UNARY, _POW, _ATOM = range(5)  # Python precedence of printed pieces
_MATH = {"sin": math.sin, "cos": math.cos, "tan": math.tan, "exp": math.exp, "log": math.log,
         "sqrt": math.sqrt, "tanh": math.tanh}
_OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "^": operator.pow}


def _wrap(piece: tuple[str, int], needed: bool) -> str:
    return f"({piece[0]})" if needed else piece[0]


def _number(v: float) -> tuple[str, int]:
    """A constant as code; integral values print as integers (x ** 2, not x ** 2.0), but -0.0 keeps its sign."""
    integral = v.is_integer() and abs(v) < 2 ** 53 and _bits(v) != _bits(-0.0)
    text = str(int(v)) if integral else _float(v)
    return text, _UNARY if text.startswith("-") else _ATOM


def _constant_code(node) -> tuple[str, int, float | int] | None:
    """(code, precedence, the value Python computes from that code) of a subtree without x and y,
    or None where Python cannot compute it as written (a math error, sigmoid)."""
    match node:
        case Num(value=v):
            text, prec = _number(v)
            return text, prec, int(v) if text.isdigit() else v
        case Const(name=name):
            return f"math.{name}", _ATOM, getattr(math, name)
        case Unary(op="+", operand=a):
            return _constant_code(a)
        case Unary(operand=a):
            inner = _constant_code(a)
            return inner and ("-" + _wrap(inner, inner[1] <= _UNARY), _UNARY, -inner[2])
        case Binary(op=op, left=a, right=b):
            left, right = _constant_code(a), _constant_code(b)
            if left is None or right is None:
                return None
            try:
                value = _OPS[op](left[2], right[2])
            except (ArithmeticError, ValueError):
                return None
            if isinstance(value, complex):  # (-8) ** (1 / 3): torch gives nan
                return None
            return _binary_text(op, left, right), _prec(op), value
        case Call(func="abs", arg=a):
            inner = _constant_code(a)
            return inner and (f"abs({inner[0]})", _ATOM, abs(inner[2]))
        case Call(func=f, arg=a) if f in _MATH:
            inner = _constant_code(a)
            try:
                return inner and (f"math.{f}({inner[0]})", _ATOM, _MATH[f](inner[2]))
            except (ArithmeticError, ValueError):
                return None
    return None


def _bits(v: float) -> bytes:
    return struct.pack("<d", v)


def _folded(node) -> tuple[str, int]:
    """A constant subtree.  The engine folds it to one float64 number: print it as written
    (2 * math.pi) when Python computes exactly that number from the text, else print the number."""
    value = float(_constant(node))
    code = _constant_code(node)
    if code is not None:
        python = code[2]
        if isinstance(python, int) and abs(python) < 2 ** 53 and _bits(float(python)) == _bits(value):
            return code[:2]
        if isinstance(python, float) and _bits(python) == _bits(value):
            return code[:2]
    return _number(value)


def _prec(op: str) -> int:
    return {"+": _ADD, "-": _ADD, "*": _MUL, "/": _MUL, "^": _POW}[op]


def _binary_text(op: str, left: tuple, right: tuple) -> str:
    """`left op right` with the parentheses that keep the AST's grouping (floats are not associative)."""
    if op == "^":
        return f"{_wrap(left, left[1] < _ATOM)} ** {_wrap(right, right[1] < _UNARY)}"
    prec = _prec(op)
    return f"{_wrap(left, left[1] < prec)} {op} {_wrap(right, right[1] <= prec)}"


def formula_code(node) -> tuple[str, int]:
    """(torch code, precedence) of a parsed formula node, on tensors named x and y.

    Mirrors `surfaces.formula._compile`: subtrees without x and y are one constant;
    ^ becomes **, sin becomes torch.sin, pi becomes math.pi.
    """
    if not _uses_xy(node):
        return _folded(node)
    match node:
        case Var(name=name):
            return name, _ATOM
        case Unary(op="+", operand=a):
            return formula_code(a)
        case Unary(operand=a):
            inner = formula_code(a)
            return "-" + _wrap(inner, inner[1] <= _UNARY), _UNARY
        case Binary(op=op, left=a, right=b):
            return _binary_text(op, formula_code(a), formula_code(b)), _prec(op)
        case Call(func=f, arg=a):
            return f"torch.{f}({formula_code(a)[0]})", _ATOM
    raise TypeError(node)


def _custom_body(text: str) -> tuple[str, ...]:
    """The body of f(p) for a custom formula (parsed, never evaluated)."""
    node = _parse(text)
    if _uses_xy(node):
        return _XY, "return " + formula_code(node)[0]
    value = _folded(node)[0]  # a constant: a tensor linked to x, so its gradient is zero (as the engine does)
    return _XY, f"return torch.where(torch.ones_like(x, dtype=torch.bool), x.new_tensor({value}), x)"


# -------------------------------------------------------------------------- the script


def _surface_lines(c: dict, dtype: str) -> tuple[list[str], list[str]]:
    """The data (regression; else empty) and `def f(p)`: the loss as torch code."""
    key, params = c["surface"], c["surface_params"]
    if key == "linear_regression":
        data = _data_lines(params, dtype)
        signature = "def f(p, X, Y):  # p = (w, b): nn.MSELoss() of nn.Linear(1, 1): the MSE of y ≈ w·x + b"
    else:
        data, signature = [], "def f(p):  # p = (x, y)"
    body = _custom_body(params["formula"]) if key == "custom" else [
        line.format(**params) for line in SURFACE_CODE[key]]
    return data, [signature, *("    " + line for line in body)]


def _tensor_lines(name: str, values, dtype: str) -> list[str]:
    """`name = torch.tensor([...])`, wrapped at about WIDTH characters."""
    items = ", ".join(_float(float(v)) for v in values)
    line = f"{name} = torch.tensor([{items}]{dtype})"
    if len(line) <= WIDTH:
        return [line]
    rows = textwrap.wrap(items, WIDTH - 4, break_long_words=False, break_on_hyphens=False)
    return [f"{name} = torch.tensor([", *("    " + row for row in rows), f"]{dtype})"]


def _data_lines(params: dict, dtype: str) -> list[str]:
    """X and Y written out; standardizing happens in float64 (as the engine does, in numpy)."""
    x = COURSE_X if params["x"] is None else params["x"]
    y = COURSE_Y if params["y"] is None else params["y"]
    source = "the course's data" if params["x"] is None else "your data"
    if not params["standardize"]:
        return [f"# {source}", *_tensor_lines("X", x, dtype), *_tensor_lines("Y", y, dtype)]
    cast = ".float()" if dtype == "" else ""
    return [f"# {source}; x is standardized (mean 0, standard deviation 1) in float64",
            *_tensor_lines("X", x, ", dtype=torch.float64"),
            f"X = ((X - X.mean()) / X.std(correction=0)){cast}",
            *_tensor_lines("Y", y, dtype)]


def _parameter_lines(c: dict, dtype: str) -> tuple[list[str], str, str]:
    """The leaf tensors' lines, the list of them (`[p]`) and the expression of the position."""
    x0, y0 = c["start"][0] if isinstance(c["start"][0], list) else c["start"]
    if c["lr_multipliers"] is None:
        return [f"p = torch.tensor([{_float(x0)}, {_float(y0)}]{dtype}, requires_grad=True)"], "[p]", "p"
    lines = [f"w = torch.tensor([{_float(x0)}]{dtype}, requires_grad=True)  # coordinate 0: its own group",
             f"b = torch.tensor([{_float(y0)}]{dtype}, requires_grad=True)  # coordinate 1: its own group"]
    return lines, "[w, b]", "torch.cat([w, b])"


def optimizer_line(c: dict) -> str:
    """`optimizer = torch.optim.Name(params, lr=..., <non-default keywords>)`."""
    spec, hp, scales = OPTIMIZERS[c["optimizer"]], c["hparams"], c["lr_multipliers"]
    if scales is None:
        groups = "[p]"
    else:
        parts = [f'{{"params": [{name}]}}' if s == 1 else f'{{"params": [{name}], "lr": {_float(hp["lr"] * s)}}}'
                 for name, s in zip("wb", scales, strict=True)]
        groups = f"[{', '.join(parts)}]"
    args = ", ".join([groups, *keyword_args(spec.params, hp, always=("lr",))])
    return f"optimizer = torch.optim.{spec.name}({args})"


def _scheduler_call(name: str, params: dict, c: dict) -> str:
    """`torch.optim.lr_scheduler.Name(optimizer, ...)` as the engine builds it (see build_scheduler)."""
    spec, scales = SCHEDULERS[name], c["lr_multipliers"]
    values = dict(params)
    if name == "OneCycleLR" and values["total_steps"] is None:
        values["total_steps"] = c["steps"]
    if scales is not None:  # absolute learning rates: one per parameter group
        values |= {k: [values[k] * s for s in scales] for k in spec.lr_keys}
    return f"torch.optim.lr_scheduler.{name}({', '.join(['optimizer', *keyword_args(spec.params, values)])})"


def scheduler_lines(c: dict) -> list[str]:
    """`scheduler = ...`; SequentialLR with its children built inline, in order."""
    name, params = c["scheduler"], c["scheduler_params"]
    if name is None:
        return []
    if name != "SequentialLR":
        return [f"scheduler = {_scheduler_call(name, params, c)}"]
    children = [f"    {_scheduler_call(child['name'], child['params'], c)}," for child in params["schedulers"]]
    return ["scheduler = torch.optim.lr_scheduler.SequentialLR(optimizer, schedulers=[", *children,
            f"], milestones={literal(params['milestones'])})"]


def _clip_lines(c: dict, params: str) -> list[str]:
    """Clip by value, then by norm (the engine's order)."""
    lines = []
    if c["clip_grad_value"] is not None:
        lines.append(f"torch.nn.utils.clip_grad_value_({params}, clip_value={_float(c['clip_grad_value'])})")
    if c["clip_grad_norm"] is not None:
        lines.append(f"torch.nn.utils.clip_grad_norm_({params}, max_norm={_float(c['clip_grad_norm'])})")
    return lines


def _step_lines(c: dict, params: str, position: str, data: str) -> list[str]:
    """One step: zero_grad, loss, backward, [clip], step, scheduler.step(); then record the position."""
    loss = f"loss = f({position}{data})"
    clip = _clip_lines(c, params)
    if OPTIMIZERS[c["optimizer"]].closure:
        lines = ["def closure():  # LBFGS re-evaluates the loss several times per step",
                 "    optimizer.zero_grad()", f"    {loss}", "    loss.backward()",
                 *("    " + line for line in clip), "    return loss", "",
                 "loss = optimizer.step(closure)  # the loss before the step"]
    else:
        lines = ["optimizer.zero_grad()", loss, "loss.backward()", *clip, "optimizer.step()"]
    if c["scheduler"] is not None:
        lines.append("scheduler.step(loss.item())" if SCHEDULERS[c["scheduler"]].needs_loss else "scheduler.step()")
    return [*lines, f"positions.append({position}.detach().clone())"]


def _indent(lines: list[str], n: int) -> list[str]:
    return [" " * n + line if line else line for line in lines]


def _loop_lines(c: dict, params: str, position: str) -> list[str]:
    """`steps` steps: a plain loop, or epochs over a seeded, shuffling DataLoader until `steps` batches."""
    steps = c["steps"]
    if c["batch_size"] is None:
        data = ", X, Y" if c["surface"] == "linear_regression" else ""
        return [f"for step in range({steps}):", *_indent(_step_lines(c, params, position, data), 4)]
    body = _step_lines(c, params, position, ", xb, yb")
    return [
        "dataset = TensorDataset(X, Y)",
        f"loader = DataLoader(dataset, batch_size={c['batch_size']}, shuffle=True,",
        f"                    generator=torch.Generator().manual_seed({c['seed']}))",
        "step = 0",
        f"while step < {steps}:  # each pass over the loader is one epoch, in a fresh random order",
        "    for xb, yb in loader:",
        *_indent(body, 8),
        "        step += 1",
        f"        if step == {steps}:",
        "            break",
    ]


def _header(config: dict, c: dict) -> list[str]:
    """What the script is; a preset's meaning; the formula as typed (one comment line); which start."""
    surface = SURFACES[c["surface"]]
    lines = [f"# Optimizer Playground: {c['optimizer']} on {surface.name_en} for {c['steps']} steps, "
             "in plain PyTorch."]
    name = config.get("optimizer")
    if isinstance(name, str) and name in PRESETS:
        base, preset = PRESETS[name]
        lines.append(f"# {name} is {base} with {', '.join(f'{k}={literal(v)}' for k, v in preset.items())}.")
    if c["surface"] == "custom":
        lines.append(f"# Your formula: f(x, y) = {_comment(c['surface_params']['formula'])}")
    if isinstance(c["start"][0], list) and len(c["start"]) > 1:
        lines.append(f"# The run has {len(c['start'])} starts; this code follows the first one "
                     "(each start moves independently).")
    return lines


def torch_code(config: dict) -> str:
    """Self-contained Python that reproduces `run(config)` with plain torch.

    Imports, the loss function, the parameter(s), the optimizer (only keywords that
    differ from torch's defaults, and `lr`), the scheduler, and the loop in the
    documented order, recording `positions` (a (steps + 1, 2) tensor equal to
    `run(config).xy`).  With several starts, the code follows the first one.
    """
    c = normalize_config(config)
    dtype = ", dtype=torch.float64" if c["dtype"] == "float64" else ""
    leaves, params, position = _parameter_lines(c, dtype)
    data, function = _surface_lines(c, dtype)
    loop = [
        *leaves, optimizer_line(c), *scheduler_lines(c), "",
        f"positions = [{position}.detach().clone()]",
        *_loop_lines(c, params, position),
        f"positions = torch.stack(positions)  # ({c['steps'] + 1}, 2): the start, then after each step",
        'print("final position:", positions[-1].tolist())',
    ]
    imports = ["import math"] if any("math." in line for line in [*function, *loop]) else []
    imports.append("import torch")
    if c["batch_size"] is not None:
        imports.append("from torch.utils.data import DataLoader, TensorDataset")
    sections = [[*_header(config, c), *imports], data, function, loop]
    return "\n\n\n".join("\n".join(lines) for lines in sections if lines) + "\n"
