"""Share links and saved configurations: a page's whole state as one JSON-able dict.

A page state speaks the engine config's language (``surface``, ``start``,
``steps``, runs of ``{optimizer, hparams, scheduler, …}``) plus what the page
shows (the mode, the animation's cursor).  `encode` writes it as compact JSON
for the URL's ``c`` parameter or a saved file, leaving out what equals the
defaults; `decode` reads it back.  Nothing from outside is trusted: every field
is checked against the same schemas (and the engine's rules across fields) the
widgets and the engine use, a bad field takes the page's default, and the
problems returned name fields of *our* schema only — never a value or a key
from the input, so nothing hostile is ever echoed.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from optimizers import OPTIMIZERS, PRESETS, SCHEDULERS
from optimizers.config import LR_MULTIPLIERS, MAX_STEPS, START_POINT, resolve_optimizer
from optimizers.schedulers import CHAINABLE, WARMUP_FACTOR, segment_contexts, warmup_steps
from schema import ConfigError, Param, log_grid, rule_error
from surfaces import SURFACES, get_surface
from surfaces.datasets import MAX_ROWS
from texts import LANGUAGES
from viz.runs import PALETTE

PAGES = ("playground", "regression", "schedules", "inside", "about", "lessons")
MAX_QUERY = 16_000           # longest `c` accepted (characters); a link is refused beyond it
MAX_RUNS = 6
MAX_SCHEDULES = 4
OPTIMIZER_CHOICES = (*OPTIMIZERS, *PRESETS)
WARMUPS = ("LinearLR", "ConstantLR")
LATER = tuple(n for n in CHAINABLE if n not in WARMUPS)
CLIP_RANGE = (1e-6, 1e6)
SCHEDULE_LRS = tuple(log_grid(1e-4, 1.0))
HIDEABLE = ("code", "table", "controls")  # what a lecture link may hide besides the sidebar
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


class Problems(list):
    """Field paths whose value could not be used (and took the default)."""

    def flag(self, path: str) -> None:
        if path not in self:
            self.append(path)


@lru_cache(maxsize=64)
def _bounded(low: float, high: float, kind: type) -> Param:
    return Param("value", "int" if kind is int else "float", None, "", "", low=low, high=high)


def _valid(param: Param, raw):
    """`raw` as `param` validates it (the engine's own check), else None."""
    try:
        return param.validate(raw, "")
    except ConfigError:
        return None


def _number(raw, low: float, high: float, kind: type = float):
    """`raw` as a number of `kind` in [low, high], else None."""
    return _valid(_bounded(low, high, kind), raw)


def _field(raw: dict, key: str, default, problems: Problems, path: str, check):
    """raw[key] passed through `check` (None = invalid), else the default (a problem if it was given)."""
    if key not in raw:
        return default
    value = check(raw[key])
    if value is None and raw[key] is not None:
        problems.flag(path + key)
        return default
    return default if value is None else value


def _params(schema, raw, defaults: dict, problems: Problems, path: str, rules=(), context=None) -> dict:
    """Every parameter of `schema`: the given value when valid, else `defaults[key]`.

    Then the schema's `rules`, as the engine checks them in `context`: the key a broken rule blames
    takes its default; if it holds it already, every parameter does, unless the defaults break the
    rule too (cycle_momentum on an optimizer without momentum), which is left for the run to show.
    """
    if raw is not None and not isinstance(raw, dict):
        problems.flag(path.rstrip("."))
    raw = raw if isinstance(raw, dict) else {}
    if any(k not in {p.key for p in schema} for k in raw):
        problems.flag(path + "?")
    fallback = {p.key: list(defaults[p.key]) if isinstance(defaults[p.key], tuple) else defaults[p.key]
                for p in schema if p.kind != "float_list"}
    out = dict(fallback)
    for p in schema:
        if p.key in raw and p.key in out:
            try:
                out[p.key] = p.validate(raw[p.key], "")
            except ConfigError:
                problems.flag(path + p.key)
    while out != fallback and (err := rule_error(rules, out, "", context)) is not None:
        if out[err.key] != fallback[err.key]:
            problems.flag(path + err.key)
            out = {**out, err.key: fallback[err.key]}
        elif rule_error(rules, fallback, "", context) is None:
            problems.flag(path.rstrip("."))
            out = dict(fallback)
        else:  # the defaults break it too: the run shows the error, as for a config typed in
            break
    return out


def _start(raw) -> list[float] | None:
    return _valid(START_POINT, raw)


def surface_state(raw: dict, default: str, problems: Problems) -> dict:
    """{"surface", "surface_params", "start"}: the surface, its parameters and a start on it."""
    key = _field(raw, "surface", default, problems, "", _choice(SURFACES))
    spec = SURFACES[key]
    defaults = {p.key: p.default for p in spec.params}
    params = _params(spec.params, raw.get("surface_params"), defaults, problems, "surface_params.")
    try:
        surface = get_surface(key, params)
    except ConfigError:  # e.g. a formula that does not parse: the surface's defaults
        problems.flag("surface_params")
        params = {k: v for k, v in defaults.items() if k in params}
        surface = get_surface(key, params)
    start = _field(raw, "start", [float(v) for v in surface.starts[0]], problems, "", _start)
    return {"surface": key, "surface_params": params, "start": start}


def run_state(raw, default: dict, steps: int, problems: Problems, path: str, lr: float | None = None,
              schedule: bool = True) -> dict:
    """One run: {optimizer, hparams, scheduler, scheduler_params, clip_grad_norm, clip_grad_value, color}.

    `lr` fixes the learning rate (set by the page, not the run); `schedule` False leaves the scheduler out.
    """
    if not isinstance(raw, dict):
        if raw is not None:
            problems.flag(path.rstrip("."))
        raw = {}
    choice = _field(raw, "optimizer", default.get("optimizer", "Adam"), problems, path,
                    _choice(OPTIMIZER_CHOICES))
    name, preset = resolve_optimizer(choice, {})
    schema = tuple(p for p in OPTIMIZERS[name].params if lr is None or p.key != "lr")
    same = choice == default.get("optimizer", "Adam")
    defaults = {**{p.key: p.default for p in schema}, **preset, **(default.get("hparams", {}) if same else {})}
    defaults = {k: v for k, v in defaults.items() if k in {p.key for p in schema}}
    hparams = _params(schema, raw.get("hparams"), defaults, problems, path + "hparams.", OPTIMIZERS[name].rules,
                      {"steps": steps})
    context = {"steps": steps, "lr": lr if lr is not None else hparams["lr"], "optimizer": name,
               "line_search": hparams.get("line_search_fn")}
    scheduler, scheduler_params = None, {}
    if schedule:
        scheduler = _field(raw, "scheduler", default.get("scheduler"), problems, path,
                           _choice(SCHEDULERS))
        if scheduler is not None:
            scheduler_params = scheduler_state(scheduler, raw.get("scheduler_params"), context, problems,
                                               path + "scheduler_params.")
    clip = {key: _field(raw, key, None, problems, path, lambda v: _number(v, *CLIP_RANGE))
            for key in ("clip_grad_norm", "clip_grad_value")}
    if clip["clip_grad_norm"] is not None and clip["clip_grad_value"] is not None:
        problems.flag(path + "clip_grad_value")  # one clipping at a time, as the run editor offers
        clip["clip_grad_value"] = None
    color = _field(raw, "color", default.get("color", PALETTE[0]), problems, path,
                   lambda v: v if isinstance(v, str) and _COLOR.fullmatch(v) else None)
    return {"optimizer": choice, "hparams": hparams, "scheduler": scheduler, "scheduler_params": scheduler_params,
            **clip, "color": color}


def warmup_defaults(steps: int) -> dict:
    """What the SequentialLR warm-up starts from (the run editor's choice)."""
    return {"start_factor": WARMUP_FACTOR, "factor": WARMUP_FACTOR, "total_iters": warmup_steps(steps)}


def scheduler_state(name: str, raw, context: dict, problems: Problems, path: str) -> dict:
    """The parameters of scheduler `name`; SequentialLR is a warm-up then a later scheduler."""
    if name != "SequentialLR":
        spec = SCHEDULERS[name]
        return _params(spec.params, raw, {p.key: p.fallback(context) for p in spec.params}, problems, path,
                       spec.rules, context)
    raw = raw if isinstance(raw, dict) else {}
    parts = raw.get("schedulers") if isinstance(raw.get("schedulers"), list) else []
    parts = [p if isinstance(p, dict) else {} for p in parts[:2]] + [{}] * (2 - len(parts[:2]))
    chosen = []
    for part, allowed, fallback, seeds in ((parts[0], WARMUPS, "LinearLR", warmup_defaults(context["steps"])),
                                           (parts[1], LATER, "CosineAnnealingLR", {})):
        inner = _field(part, "name", fallback, problems, path, _choice(allowed))
        spec = SCHEDULERS[inner]
        defaults = {p.key: seeds.get(p.key, p.fallback(context)) for p in spec.params}
        milestones = [max(1, int(chosen[0]["params"].get("total_iters", 1)))] if chosen else [context["steps"]]
        where = segment_contexts(context, milestones)[len(chosen)]  # the steps this part schedules
        chosen.append({"name": inner, "params": _params(spec.params, part.get("params"), defaults, problems, path,
                                                        spec.rules, where)})
    return {"schedulers": chosen, "milestones": milestones}


def _choice(options):
    return lambda v: v if isinstance(v, str) and v in options else None


def _int(low: int, high: int):
    return lambda v: _number(v, low, high, int)


def _bool(v):
    return v if isinstance(v, bool) else None


def _steps(raw: dict, default: int, problems: Problems, low: int = 1) -> int:
    return _field(raw, "steps", default, problems, "", _int(low, MAX_STEPS))


def _chart(raw: dict, steps: int, problems: Problems) -> dict:
    return {"view": _field(raw, "view", "contour", problems, "", _choice(("contour", "3d"))),
            "cursor": _field(raw, "cursor", 0, problems, "", _int(0, steps))}


PLAYGROUND_RUNS = (
    {"optimizer": "SGD", "hparams": {"lr": 0.001}},
    {"optimizer": "Momentum", "hparams": {"lr": 0.001}},
    {"optimizer": "RMSprop", "hparams": {"lr": 0.01}},
    {"optimizer": "Adam", "hparams": {"lr": 0.05}},
)


def new_run(index: int) -> dict:
    """The starting values of the page's run number `index` (0-based)."""
    base = PLAYGROUND_RUNS[index] if index < len(PLAYGROUND_RUNS) else {"optimizer": "Adam", "hparams": {}}
    return {**base, "color": PALETTE[index % len(PALETTE)]}


def playground(raw: dict, problems: Problems) -> dict:
    mode = _field(raw, "mode", "race", problems, "", _choice(("race", "swarm")))
    where = surface_state(raw, "rosenbrock", problems)
    steps = _steps(raw, 500, problems)
    given = raw.get("runs")
    if given is not None and not (isinstance(given, list) and len(given) >= 1):
        problems.flag("runs")
    runs = given if isinstance(given, list) and given else [{}] * len(PLAYGROUND_RUNS)
    if len(runs) > MAX_RUNS:
        problems.flag("runs")
    runs = runs[:1] if mode == "swarm" else runs[:MAX_RUNS]
    runs = [run_state(r, new_run(i), steps, problems, f"runs.{i}.") for i, r in enumerate(runs)]
    return {"mode": mode, **where, "steps": steps, "runs": runs,
            "grid": _field(raw, "grid", 24, problems, "", _int(4, 64)), **_chart(raw, steps, problems)}


REGRESSION_MODES = ("full", "mini", "single")


def _data(v) -> dict | None:
    """{"x": [...], "y": [...]}: 2 to MAX_ROWS pairs of finite numbers that make a regression surface."""
    if not isinstance(v, dict) or set(v) != {"x", "y"}:
        return None
    x, y = v["x"], v["y"]
    if not (isinstance(x, list) and isinstance(y, list) and 2 <= len(x) == len(y) <= MAX_ROWS):
        return None
    x, y = [_number(a, -1e12, 1e12) for a in x], [_number(b, -1e12, 1e12) for b in y]
    if None in x or None in y:
        return None
    try:
        get_surface("linear_regression", {"x": x, "y": y, "standardize": False})
    except ConfigError:
        return None
    return {"x": x, "y": y}


def regression(raw: dict, problems: Problems) -> dict:
    data = _field(raw, "data", None, problems, "", _data)
    standardize = _field(raw, "standardize", False, problems, "", _bool)
    surface = get_surface("linear_regression", {**(data or {}), "standardize": standardize})
    n = surface.n_samples
    modes = _field(raw, "modes", list(REGRESSION_MODES), problems, "",
                   lambda v: [m for m in REGRESSION_MODES if m in v]
                   if isinstance(v, list) and v and all(m in REGRESSION_MODES for m in v) else None)
    steps = _steps(raw, 200, problems)
    start = _field(raw, "start", [float(v) for v in surface.starts[0]], problems, "", _start)
    run = run_state(raw.get("run"), {"optimizer": "SGD", "hparams": {"lr": 0.01}, "color": PALETTE[0]}, steps,
                    problems, "run.")
    return {"data": data, "standardize": standardize, "modes": modes,
            "batch_size": _field(raw, "batch_size", min(4, n), problems, "", _int(1, n)),
            "seed": _field(raw, "seed", 0, problems, "", _int(0, 2**31 - 1)), "start": start, "steps": steps,
            "run": run, "lr_multipliers": _field(raw, "lr_multipliers", None, problems, "", _multipliers),
            "cursor": _field(raw, "cursor", 0, problems, "", _int(0, steps))}


def _multipliers(v):
    return _valid(LR_MULTIPLIERS, v)


def default_table(steps: int) -> list[int]:
    """The steps the schedules page's table shows at first."""
    return sorted({0, steps // 4, steps // 2, steps - 1})


def schedules(raw: dict, problems: Problems) -> dict:
    lr = _field(raw, "lr", 0.1, problems, "",
                lambda v: float(v) if not isinstance(v, bool) and v in SCHEDULE_LRS else None)
    steps = _steps(raw, 100, problems, low=2)
    given = raw.get("schedulers", {"StepLR": {}, "CosineAnnealingLR": {}})
    if not isinstance(given, dict) or len(given) > MAX_SCHEDULES or any(n not in SCHEDULERS for n in given):
        problems.flag("schedulers")
        given = {n: p for n, p in given.items() if n in SCHEDULERS} if isinstance(given, dict) else {}
    run = run_state({k: raw[k] for k in ("optimizer", "hparams", "clip_grad_norm", "clip_grad_value") if k in raw},
                    {"optimizer": "SGD"}, steps, problems, "", lr=lr, schedule=False)
    context = {"steps": steps, "lr": lr, "optimizer": resolve_optimizer(run["optimizer"], {})[0],
               "line_search": run["hparams"].get("line_search_fn")}
    chosen = {name: scheduler_state(name, params, context, problems, f"schedulers.{name}.")
              for name, params in list(given.items())[:MAX_SCHEDULES]}
    return {"lr": lr, "steps": steps, "schedulers": chosen, **surface_state(raw, "bowl", problems),
            **{k: run[k] for k in ("optimizer", "hparams", "clip_grad_norm", "clip_grad_value")},
            "log": _field(raw, "log", False, problems, "", _bool),
            "table": _field(raw, "table", default_table(steps), problems, "",
                            lambda v: v if isinstance(v, list) and len(v) <= 50 and all(
                                _number(s, 0, steps - 1, int) is not None for s in v) else None),
            **_chart(raw, steps, problems)}


def inside(raw: dict, problems: Problems) -> dict:
    where = surface_state(raw, "bowl", problems)
    steps = _steps(raw, 500, problems)
    run = run_state(raw.get("run"), {"optimizer": "Adam", "hparams": {"lr": 0.1}, "color": PALETTE[0]}, steps,
                    problems, "run.")
    return {**where, "steps": steps, "run": run, "step": _field(raw, "step", 0, problems, "", _int(0, steps - 1)),
            "adamw": _field(raw, "adamw", False, problems, "", _bool)}


READERS = {"playground": playground, "regression": regression, "schedules": schedules, "inside": inside,
           "about": lambda raw, problems: {}, "lessons": lambda raw, problems: {}}


def sanitize(page: str, raw) -> tuple[dict, list[str]]:
    """The page's full state from a (partial, untrusted) dict, and the fields that took their default."""
    problems = Problems()
    if not isinstance(raw, dict):
        problems.flag("config")
        raw = {}
    known = KNOWN_KEYS[page]
    if any(k not in known for k in raw):
        problems.flag("?")
    state = json.loads(json.dumps(READERS[page](raw, problems)))  # tuples become lists, as in JSON
    return state, list(problems)


def default_state(page: str) -> dict:
    return sanitize(page, {})[0]


def _strip(value, default):
    """`value` without what equals `default` (dicts recursively; a dict left empty is dropped)."""
    if not (isinstance(value, dict) and isinstance(default, dict)):
        return value
    out = {}
    for key, v in value.items():
        if key in default and v == default[key]:
            continue
        v = _strip(v, default.get(key))
        if v != {} or not isinstance(default.get(key), dict):
            out[key] = v
    return out


def _short_run(run: dict, default: dict, steps: int, **fixed) -> dict:
    """A run without what a new run of the same optimizer and scheduler would hold anyway."""
    same = {"optimizer": run["optimizer"], "scheduler": run.get("scheduler")}
    reference = run_state(same, default, steps, Problems(), "", **fixed)
    short = _strip(run, {k: v for k, v in reference.items() if k not in same})
    return {k: v for k, v in short.items() if k not in same or v != default.get(k)}


def _default_start(page: str, state: dict) -> list[float] | None:
    if page == "regression":
        surface = get_surface("linear_regression", {**(state["data"] or {}), "standardize": state["standardize"]})
    elif "surface" in state:
        surface = get_surface(state["surface"], state["surface_params"])
    else:
        return None
    return [float(v) for v in surface.starts[0]]


def compact(page: str, state: dict) -> dict:
    """The state without what equals the page's defaults: what a link or a saved file needs to hold."""
    default = default_state(page)
    short = {k: v for k, v in state.items() if v != default.get(k)}
    if "runs" in short:
        short["runs"] = [_short_run(run, new_run(i), state["steps"]) for i, run in enumerate(state["runs"])]
    if "run" in short:
        short["run"] = _short_run(state["run"], default["run"], state["steps"])
    if page == "schedules":
        context = {"steps": state["steps"], "lr": state["lr"]}
        if "schedulers" in short:
            short["schedulers"] = {name: _strip(params, scheduler_state(name, {}, context, Problems(), ""))
                                   for name, params in state["schedulers"].items()}
        run = {k: state[k] for k in ("optimizer", "hparams", "clip_grad_norm", "clip_grad_value")}
        short = {k: v for k, v in short.items() if k not in run}
        short.update(_short_run(run, {"optimizer": "SGD"}, state["steps"], lr=state["lr"], schedule=False))
    if "start" in short and short["start"] == _default_start(page, state):
        del short["start"]
    for key in ("surface_params",):
        if key in short:
            reference = default_state(page) if state.get("surface") == default.get("surface") else \
                {key: {p.key: p.default for p in SURFACES[state["surface"]].params}}
            short[key] = _strip(state[key], reference[key])
            if not short[key]:
                del short[key]
    return short


def encode(page: str, state: dict) -> str:
    """Compact JSON of the state's non-default fields (the URL's `c`, "" when everything is default)."""
    short = compact(page, state)
    return json.dumps(short, separators=(",", ":"), ensure_ascii=False) if short else ""


def decode(page: str, text) -> tuple[dict, list[str]]:
    """The page state for a `c` parameter (or a saved file's state); never raises."""
    if text is None or text == "":
        return default_state(page), []
    if not isinstance(text, str) or len(text) > MAX_QUERY:
        return default_state(page), ["config"]
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError):
        return default_state(page), ["config"]
    return sanitize(page, raw)


KNOWN_KEYS = {page: set(READERS[page]({}, Problems())) for page in PAGES}
KNOWN_KEYS["schedules"] |= {"optimizer", "hparams", "clip_grad_norm", "clip_grad_value"}


def query_flags(query: dict) -> dict:
    """The URL's other parameters, checked: lang, lecture, hidden sections and lesson id (None if absent/bad)."""
    def one(key):
        value = query.get(key)
        return value if isinstance(value, str) and len(value) <= 200 else None

    lang = one("lang")
    hide = (one("hide") or "").split(",")
    return {"lang": lang if lang in LANGUAGES else None,
            "lecture": one("lecture") in ("1", "true", "yes"),
            "hide": [h for h in HIDEABLE if h in hide],
            "lesson": one("lesson")}
