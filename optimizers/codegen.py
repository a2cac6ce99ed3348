"""The plain PyTorch code that reproduces a run: `torch_code(config)`.

The generated script is what a student would write by hand: the loss function,
the parameter(s), the real `torch.optim` optimizer and scheduler, and the loop
in the order PyTorch documents (zero_grad, loss, backward, [clip], step,
scheduler.step()).  It records `positions` (steps + 1, 2), equal to
`run(config).xy` (the tests execute it and compare).

Only hyperparameters that differ from torch's defaults are written (and `lr`).
Constants print as `repr` gives them, so the script computes with exactly the
numbers the engine used.  The loss function's code is the surface's own
(`SurfaceSpec.code`): a formula, the user's too, is printed from its parsed AST,
never evaluated nor pasted as code.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any, cast

from surfaces import SURFACES
from surfaces.formula import float_code
from surfaces.regression import COURSE_X, COURSE_Y
from texts import text

from .config import RunConfig, normalize_config
from .schedulers import SCHEDULERS
from .specs import OPTIMIZERS, PRESETS

WIDTH = 100  # wrap long data lines at about this many characters


# ----------------------------------------------------------------------------- literals


def literal(value, kind: str = "") -> str:
    """A config value as Python source: pairs as tuples, lists as lists, strings double-quoted."""
    if value is None or isinstance(value, bool | int):
        return repr(value)
    if isinstance(value, float):
        return float_code(value)
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


# -------------------------------------------------------------------------- the script


def _say(lang: str):
    """The script's comments in `lang`: `say(key, **fields)` is the catalogue's `code.<key>`."""
    return lambda key, **fields: text(f"code.{key}", lang, **fields)


def _surface_lines(c: RunConfig, dtype: str, say) -> tuple[list[str], list[str]]:
    """The data (regression; else empty) and `def f(p)`: the loss as torch code."""
    key, params = c["surface"], c["surface_params"]
    if key == "linear_regression":
        data = _data_lines(params, dtype, say)
        signature = f"def f(p, X, Y):  # {say('f_regression')}"
    else:
        data, signature = [], f"def f(p):  # {say('f')}"
    return data, [signature, *("    " + line for line in SURFACES[key].code(params))]


def _tensor_lines(name: str, values, dtype: str) -> list[str]:
    """`name = torch.tensor([...])`, wrapped at about WIDTH characters."""
    items = ", ".join(float_code(float(v)) for v in values)
    line = f"{name} = torch.tensor([{items}]{dtype})"
    if len(line) <= WIDTH:
        return [line]
    rows = textwrap.wrap(items, WIDTH - 4, break_long_words=False, break_on_hyphens=False)
    return [f"{name} = torch.tensor([", *("    " + row for row in rows), f"]{dtype})"]


def _data_lines(params: dict, dtype: str, say) -> list[str]:
    """X and Y written out; standardizing happens in float64 (as the engine does, in numpy)."""
    x = COURSE_X if params["x"] is None else params["x"]
    y = COURSE_Y if params["y"] is None else params["y"]
    source = say("course_data" if params["x"] is None else "your_data")
    if not params["standardize"]:
        return [f"# {source}", *_tensor_lines("X", x, dtype), *_tensor_lines("Y", y, dtype)]
    cast = ".float()" if dtype == "" else ""
    return [f"# {say('standardized', source=source)}",
            *_tensor_lines("X", x, ", dtype=torch.float64"),
            f"X = ((X - X.mean()) / X.std(correction=0)){cast}",
            *_tensor_lines("Y", y, dtype)]


def _parameter_lines(c: RunConfig, dtype: str, say) -> tuple[list[str], str, str]:
    """The leaf tensors' lines, the list of them (`[p]`) and the expression of the position."""
    x0, y0 = c["start"][0] if isinstance(c["start"][0], list) else c["start"]
    if c["lr_multipliers"] is None:
        return [f"p = torch.tensor([{float_code(x0)}, {float_code(y0)}]{dtype}, requires_grad=True)"], "[p]", "p"
    lines = [f"{name} = torch.tensor([{float_code(v)}]{dtype}, requires_grad=True)  # {say('group', i=i)}"
             for i, (name, v) in enumerate((("w", x0), ("b", y0)))]
    return lines, "[w, b]", "torch.cat([w, b])"


def optimizer_line(c: RunConfig) -> str:
    """`optimizer = torch.optim.Name(params, lr=..., <non-default keywords>)`."""
    spec, hp, scales = OPTIMIZERS[c["optimizer"]], c["hparams"], c["lr_multipliers"]
    if scales is None:
        groups = "[p]"
    else:
        parts = [f'{{"params": [{name}]}}' if s == 1 else f'{{"params": [{name}], "lr": {float_code(hp["lr"] * s)}}}'
                 for name, s in zip("wb", scales, strict=True)]
        groups = f"[{', '.join(parts)}]"
    args = ", ".join([groups, *keyword_args(spec.params, hp, always=("lr",))])
    return f"optimizer = torch.optim.{spec.name}({args})"


def _scheduler_call(name: str, params: dict, c: RunConfig) -> str:
    """`torch.optim.lr_scheduler.Name(optimizer, ...)` as the engine builds it (see build_scheduler)."""
    spec, scales = SCHEDULERS[name], c["lr_multipliers"]
    values = dict(params)
    if name == "OneCycleLR" and values["total_steps"] is None:
        values["total_steps"] = c["steps"]
    if scales is not None:  # absolute learning rates: one per parameter group
        values |= {k: [values[k] * s for s in scales] for k in spec.lr_keys}
    return f"torch.optim.lr_scheduler.{name}({', '.join(['optimizer', *keyword_args(spec.params, values)])})"


def scheduler_lines(c: RunConfig) -> list[str]:
    """`scheduler = ...`; SequentialLR with its children built inline, in order."""
    name, params = c["scheduler"], c["scheduler_params"]
    if name is None:
        return []
    if name != "SequentialLR":
        return [f"scheduler = {_scheduler_call(name, params, c)}"]
    children = [f"    {_scheduler_call(child['name'], child['params'], c)}," for child in params["schedulers"]]
    return ["scheduler = torch.optim.lr_scheduler.SequentialLR(optimizer, schedulers=[", *children,
            f"], milestones={literal(params['milestones'])})"]


def _clip_lines(c: RunConfig, params: str) -> list[str]:
    """Clip by value, then by norm (the engine's order)."""
    lines = []
    if c["clip_grad_value"] is not None:
        lines.append(f"torch.nn.utils.clip_grad_value_({params}, clip_value={float_code(c['clip_grad_value'])})")
    if c["clip_grad_norm"] is not None:
        lines.append(f"torch.nn.utils.clip_grad_norm_({params}, max_norm={float_code(c['clip_grad_norm'])})")
    return lines


def _update_lines(c: RunConfig, loss: str, clip: list[str], closure_note: str, loss_note: str) -> list[str]:
    """One step as PyTorch documents it: zero_grad, the `loss` line, backward, `clip`, step (LBFGS: all in its
    closure, with the two notes), scheduler.step()."""
    if OPTIMIZERS[c["optimizer"]].closure:
        lines = [f"def closure():  # {closure_note}",
                 "    optimizer.zero_grad()", f"    {loss}", "    loss.backward()",
                 *("    " + line for line in clip), "    return loss", "",
                 f"loss = optimizer.step(closure)  # {loss_note}"]
    else:
        lines = ["optimizer.zero_grad()", loss, "loss.backward()", *clip, "optimizer.step()"]
    if c["scheduler"] is not None:
        lines.append("scheduler.step(loss.item())" if SCHEDULERS[c["scheduler"]].needs_loss else "scheduler.step()")
    return lines


def _step_lines(c: RunConfig, params: str, position: str, data: str, say) -> list[str]:
    """One step on a surface; then record the position."""
    lines = _update_lines(c, f"loss = f({position}{data})", _clip_lines(c, params), say("closure"),
                          say("loss_before"))
    return [*lines, f"positions.append({position}.detach().clone())"]


def _indent(lines: list[str], n: int) -> list[str]:
    return [" " * n + line if line else line for line in lines]


def _loop_lines(c: RunConfig, params: str, position: str, say) -> list[str]:
    """`steps` steps: a plain loop, or epochs over a seeded, shuffling DataLoader until `steps` batches."""
    steps = c["steps"]
    if c["batch_size"] is None:
        data = ", X, Y" if c["surface"] == "linear_regression" else ""
        return [f"for step in range({steps}):", *_indent(_step_lines(c, params, position, data, say), 4)]
    body = _step_lines(c, params, position, ", xb, yb", say)
    return [
        "dataset = TensorDataset(X, Y)",
        f"loader = DataLoader(dataset, batch_size={c['batch_size']}, shuffle=True,",
        f"                    generator=torch.Generator().manual_seed({c['seed']}))",
        "step = 0",
        f"while step < {steps}:  # {say('epoch')}",
        "    for xb, yb in loader:",
        *_indent(body, 8),
        "        step += 1",
        f"        if step == {steps}:",
        "            break",
    ]


def _preset_lines(config: Mapping[str, Any], say_preset) -> list[str]:
    """A comment saying what the config's preset (Momentum, Nesterov, AMSGrad) is, if it names one."""
    name = config.get("optimizer")
    if not (isinstance(name, str) and name in PRESETS):
        return []
    base, preset = PRESETS[name]
    keywords = ", ".join(f"{k}={literal(v)}" for k, v in preset.items())
    return [f"# {say_preset(name=name, base=base, keywords=keywords)}"]


def _header(config: Mapping[str, Any], c: RunConfig, lang: str, say) -> list[str]:
    """What the script is; a preset's meaning; the formula as typed (one comment line); which start."""
    surface = SURFACES[c["surface"]].name(lang)
    lines = [f"# {say('header', optimizer=c['optimizer'], surface=surface, steps=c['steps'])}",
             *_preset_lines(config, lambda **values: say("preset", **values))]
    if c["surface"] == "custom":
        lines.append(f"# {say('formula', formula=_comment(c['surface_params']['formula']))}")
    if isinstance(c["start"][0], list) and len(c["start"]) > 1:
        lines.append(f"# {say('starts', n=len(c['start']))}")
    return lines


# ------------------------------------------------------------------------------------------------ network runs


def _points_lines(network: dict, say) -> list[str]:
    """`x, y`: the generated points (make_points' call), or the student's own written out."""
    if network["points"] is None:
        return [f"# {say('network.code.data', n=network['n'], dataset=network['dataset'])}",
                f"x, y = make_points({literal(network['dataset'])}, {network['n']}, {literal(network['noise'])}, "
                f"{network['data_seed']})"]
    points = network["points"]
    lines = [f"# {say('network.code.your_points', n=len(points['label']))}"]
    for name in ("x1", "x2", "label"):
        items = ", ".join(str(v) if name == "label" else float_code(float(v)) for v in points[name])
        line = f"{name} = [{items}]"
        if len(line) <= WIDTH:
            lines.append(line)
        else:
            rows = textwrap.wrap(items, WIDTH - 4, break_long_words=False, break_on_hyphens=False)
            lines += [f"{name} = [", *("    " + row for row in rows), "]"]
    return [*lines, "x = np.c_[x1, x2].astype(np.float32)", "y = np.array(label, dtype=np.int64)"]


def _model_lines(network: dict, classes: int, cast: str, say) -> list[str]:
    """`torch.manual_seed(init_seed)`, then the nn.Sequential written out layer by layer."""
    widths = [2, *network["hidden"], classes]
    layers = [f"    nn.Linear({a}, {b}), nn.{network['activation']}()," for a, b in zip(widths, widths[1:-1],
                                                                                    strict=False)]
    return [f"torch.manual_seed({network['init_seed']})  # {say('network.code.seed')}",
            "model = nn.Sequential(", *layers, f"    nn.Linear({widths[-2]}, {widths[-1]}),", f"){cast}",
            "criterion = nn.CrossEntropyLoss()"]


def _network_optimizer_lines(c: dict, say) -> list[str]:
    """The optimizer over every parameter, or the course's two groups (hidden layers, output layer)."""
    spec, hp, scales = OPTIMIZERS[c["optimizer"]], c["hparams"], c["lr_multipliers"]
    keywords = keyword_args(spec.params, hp, always=("lr",))
    if scales is None:
        return [f"optimizer = torch.optim.{spec.name}({', '.join(['model.parameters()', *keywords])})"]
    groups = [f'{{"params": {part}.parameters()}}' if s == 1 else
              f'{{"params": {part}.parameters(), "lr": {float_code(hp["lr"] * s)}}}'
              for part, s in zip(("model[:-1]", "model[-1]"), scales, strict=True)]
    return [f"# {say('network.code.groups')}",
            f"optimizer = torch.optim.{spec.name}([", *(f"    {g}," for g in groups), f"], {', '.join(keywords)})"]


def _network_step_lines(c: dict, data: str, say) -> list[str]:
    """One step on `data` ("X, Y" or "xb, yb"): zero_grad, loss, backward, [clip], step, scheduler.step()."""
    inputs, targets = data.split(", ")
    config = cast(RunConfig, c)
    return _update_lines(config, f"loss = criterion(model({inputs}), {targets})",
                         _clip_lines(config, "model.parameters()"), say("code.closure"), say("code.loss_before"))


def _network_loop_lines(c: dict, say) -> list[str]:
    steps = c["steps"]
    if c["batch_size"] is None:
        return [f"for step in range({steps}):", *_indent(_network_step_lines(c, "X, Y", say), 4)]
    return [
        f"loader = DataLoader(TensorDataset(X, Y), batch_size={c['batch_size']}, shuffle=True,",
        f"                    generator=torch.Generator().manual_seed({c['seed']}))",
        "step = 0",
        f"while step < {steps}:  # {say('code.epoch')}",
        "    for xb, yb in loader:",
        *_indent(_network_step_lines(c, "xb, yb", say), 8),
        "        step += 1",
        f"        if step == {steps}:",
        "            break",
    ]


def network_code(config: Mapping[str, Any], lang: str = "en") -> str:
    """Self-contained PyTorch that trains the network of a network `config` as `run(config)` does: the data
    (`make_points` and `split`, their own source), the model written out after `torch.manual_seed(init_seed)`,
    CrossEntropyLoss, the optimizer (the course's parameter groups when `lr_multipliers` is set), the scheduler,
    clipping, a seeded DataLoader for mini-batches, the loop; it prints the final weights' loss and accuracy,
    equal to the run's last `loss`, `accuracy`, `test_loss` and `test_accuracy`."""
    import inspect

    from surfaces import classification

    from .network import data_of, normalize_network_config

    c, say = normalize_network_config(config), _say_any(lang)
    network = c["network"]
    classes = data_of(network).classes
    float64 = c["dtype"] == "float64"
    cast_ = ".double()" if float64 else ""
    widths = "-".join(str(w) for w in [2, *network["hidden"], classes])
    data_name = network["dataset"] if network["points"] is None else say("network.code.your_points_name")
    title = say("network.code.header", optimizer=c["optimizer"], layers=widths, activation=network["activation"],
                data=data_name, steps=c["steps"])
    header = [f"# {title}", *_preset_lines(config, lambda **values: say("code.preset", **values))]
    imports = ["import numpy as np", "import torch", "from torch import nn"]
    if c["batch_size"] is not None:
        imports.append("from torch.utils.data import DataLoader, TensorDataset")
    sources = [] if network["points"] is not None else [inspect.getsource(classification.make_points).rstrip()]
    sources.append(inspect.getsource(classification.split).rstrip())
    data = [*_points_lines(network, say),
            f"x_train, y_train, x_test, y_test = split(x, y, {literal(network['test_fraction'])}, "
            f"{network['data_seed']})  # {say('network.code.split')}",
            f"X, Y = torch.from_numpy(x_train){cast_}, torch.from_numpy(y_train)",
            f"X_test, Y_test = torch.from_numpy(x_test){cast_}, torch.from_numpy(y_test)"]
    model = [*_model_lines(network, classes, cast_, say), *_network_optimizer_lines(c, say),
             *scheduler_lines(cast(RunConfig, c))]
    final = [f"with torch.no_grad():  # {say('network.code.final')}",
             "    logits = model(X)",
             '    print("training loss:", criterion(logits, Y).item())',
             '    print("training accuracy:", (logits.argmax(1) == Y).sum().item() / len(Y))',
             "    if len(Y_test):",
             "        logits = model(X_test)",
             '        print("test loss:", criterion(logits, Y_test).item())',
             '        print("test accuracy:", (logits.argmax(1) == Y_test).sum().item() / len(Y_test))']
    sections = [[*header, *imports], *([s] for s in sources), data, model, _network_loop_lines(c, say), final]
    return "\n\n\n".join("\n".join(lines) for lines in sections if lines) + "\n"


def _say_any(lang: str):
    """Texts in `lang` by full catalogue key (`code.…` or `network.code.…`)."""
    return lambda key, **fields: text(key, lang, **fields)


def torch_code(config: Mapping[str, Any], lang: str = "en") -> str:
    """Self-contained Python that reproduces `run(config)` with plain torch (a network config: `network_code`).

    Imports, the loss function, the parameter(s), the optimizer (only keywords that
    differ from torch's defaults, and `lr`), the scheduler, and the loop in the
    documented order, recording `positions` (a (steps + 1, 2) tensor equal to
    `run(config).xy`).  With several starts, the code follows the first one.  Its comments are in `lang`.
    """
    if isinstance(config, Mapping) and "network" in config:
        return network_code(config, lang)
    c, say = normalize_config(config), _say(lang)
    dtype = ", dtype=torch.float64" if c["dtype"] == "float64" else ""
    leaves, params, position = _parameter_lines(c, dtype, say)
    data, function = _surface_lines(c, dtype, say)
    loop = [
        *leaves, optimizer_line(c), *scheduler_lines(c), "",
        f"positions = [{position}.detach().clone()]",
        *_loop_lines(c, params, position, say),
        f"positions = torch.stack(positions)  # {say('positions', n=c['steps'] + 1)}",
        'print("final position:", positions[-1].tolist())',
    ]
    imports = ["import math"] if any("math." in line for line in [*function, *loop]) else []
    imports.append("import torch")
    if c["batch_size"] is not None:
        imports.append("from torch.utils.data import DataLoader, TensorDataset")
    sections = [[*_header(config, c, lang, say), *imports], data, function, loop]
    return "\n\n\n".join("\n".join(lines) for lines in sections if lines) + "\n"
