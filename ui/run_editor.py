"""The run editor: one optimizer with its hyperparameters, scheduler, clipping and colour.

Every page that lets a student configure an optimizer uses `run_editor`; it
returns the run's part of an engine config.  Its widget keys start with the
prefix the page gives (the page's run field, e.g. ``lr.run`` or ``pg.runs.2``),
so a run can be duplicated by copying its session-state entries.
"""

from __future__ import annotations

import re

import streamlit as st

from optimizers import OPTIMIZERS, SCHEDULERS
from optimizers.config import resolve_optimizer
from optimizers.rules.base import OptimizerSpec
from pagestate.runs import LATER, OPTIMIZER_CHOICES, WARMUPS, short_run, warmup_defaults
from schema import Param, defaults

from .forms import fmt, last_values, schema_form, schema_widgets, seed
from .i18n import labels, language, t

CLIP_MODES = ("none", "norm", "value")
LONG_NAME = 22  # a scheduler's name longer than this is cut in the sidebar's select at full size: set smaller there


def breakable(name: str) -> str:
    """A class name as a multiselect's chip shows it, a line break allowed between its words (a zero-width space):
    the Schedules page cut 'CosineAnnealingWarmRestarts' to 'CosineAnnealingWa…' (ui/style.css lets it wrap)."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "\u200b", name)


def optimizer_spec(choice: str) -> tuple[OptimizerSpec, dict]:
    """The class spec behind a choice (a class or a preset) and the preset's values."""
    name, preset = resolve_optimizer(choice, {})
    return OPTIMIZERS[name], preset


def _setting(p: Param, value) -> str:
    """One setting in a label: 'μ=0.9', 'β=(0.5, 0.999)', 'nesterov', 'strong_wolfe'."""
    if p.kind == "bool":
        return p.short if value else f"{p.short}=False"
    if p.kind == "choice" and value is not None:
        return str(value)
    if p.kind == "pair":
        return f"{p.short}=({', '.join(map(fmt, value))})"
    return f"{p.short}={fmt(value)}"


def _scheduler_label(run: dict, changed: dict) -> str:
    """'StepLR', 'StepLR(gamma=0.5)' (its settings that differ from the editor's first values),
    'SequentialLR(LinearLR→StepLR)'."""
    name = run["scheduler"]
    if name == "SequentialLR":
        return f"{name}({'→'.join(part['name'] for part in run['scheduler_params']['schedulers'])})"
    settings = [_setting(p, changed[p.key]) for p in SCHEDULERS[name].params if p.key in changed]
    return name + (f"({', '.join(settings)})" if settings else "")


def run_label(run: dict, steps: int) -> str:
    """A short legend label naming the run's lr and every setting that differs from torch's default (a preset's
    own values go with its name), briefly its scheduler, clipping and parameter groups' multipliers:
    'SGD lr=0.05 μ=0.9 · StepLR · ‖g‖≤10 · lr×(1, 0.1)'."""
    spec, _ = optimizer_spec(run["optimizer"])
    lr = run["hparams"].get("lr", spec.params[0].default)
    reference = {"optimizer": run["optimizer"], "hparams": {"lr": lr}}
    changed = short_run({k: v for k, v in run.items() if k != "color"}, reference, steps)
    hparams = changed.get("hparams", {})
    parts = [run["optimizer"], f"lr={fmt(lr)}",
             *(_setting(p, hparams[p.key]) for p in spec.params if p.key != "lr" and p.key in hparams)]
    extras = [_scheduler_label(run, changed.get("scheduler_params", {}))] if run.get("scheduler") else []
    if run.get("clip_grad_norm") is not None:
        extras.append(f"‖g‖≤{fmt(run['clip_grad_norm'])}")
    if run.get("clip_grad_value") is not None:
        extras.append(f"|gᵢ|≤{fmt(run['clip_grad_value'])}")
    if run.get("lr_multipliers"):  # two parameter groups: each one's lr multiplier
        extras.append("lr×(" + ", ".join(map(fmt, run["lr_multipliers"])) + ")")
    return " · ".join([" ".join(parts), *extras])


def last_run(prefix: str, initial: dict, steps: int) -> dict:
    """The run `run_editor(prefix, initial, steps)` will return, from its widgets' values before they are drawn
    (an expander's title names the run it holds)."""
    state = st.session_state
    choice = state.get(f"{prefix}.optimizer", initial.get("optimizer", "Adam"))
    spec, preset = optimizer_spec(choice)
    given = initial.get("hparams", {}) if choice == initial.get("optimizer") else {}
    hparams = last_values(spec.params, f"{prefix}.hp.{choice}", {**defaults(spec.params), **preset, **given})
    scheduler = state.get(f"{prefix}.scheduler", initial.get("scheduler"))
    scheduler_params = {}
    if scheduler == "SequentialLR":
        scheduler_params = {"schedulers": [{"name": state.get(f"{prefix}.sched.warmup", WARMUPS[0])},
                                           {"name": state.get(f"{prefix}.sched.then", "CosineAnnealingLR")}]}
    elif scheduler is not None:
        schema = SCHEDULERS[scheduler].params
        context = {"steps": steps, "lr": hparams["lr"]}
        scheduler_params = last_values(schema, f"{prefix}.sched.{scheduler}",
                                       {**{p.key: p.fallback(context) for p in schema},
                                        **initial.get("scheduler_params", {})})
    clip = state.get(f"{prefix}.clip", initial.get("clip", "none"))
    clip_value = state.get(f"{prefix}.clip_value", initial.get("clip_value", 1.0))
    return {"optimizer": choice, "hparams": hparams, "scheduler": scheduler, "scheduler_params": scheduler_params,
            "clip_grad_norm": clip_value if clip == "norm" else None,
            "clip_grad_value": clip_value if clip == "value" else None}


def scheduler_form(name: str, prefix: str, context: dict, initial: dict | None = None, container=st) -> dict:
    """The parameters of scheduler `name`; SequentialLR gets a warm-up followed by a scheduler of choice."""
    if name != "SequentialLR":
        return schema_form(SCHEDULERS[name].params, f"{prefix}.{name}", initial, container, context)
    container.caption(t("run.sequential"))
    key = f"{prefix}.warmup"
    warmup = container.selectbox(t("run.warmup"), WARMUPS, key=key)
    warm_params = schema_form(SCHEDULERS[warmup].params, f"{prefix}.warm.{warmup}", warmup_defaults(context["steps"]),
                              container, context)
    key = f"{prefix}.then"
    then = container.selectbox(t("run.then"), LATER, **seed(key, index=LATER.index("CosineAnnealingLR")), key=key)
    then_params = schema_form(SCHEDULERS[then].params, f"{prefix}.then.{then}", {}, container, context)
    return {"schedulers": [{"name": warmup, "params": warm_params}, {"name": then, "params": then_params}],
            "milestones": [max(1, int(warm_params.get("total_iters", 1)))]}


def run_editor(prefix: str, initial: dict, steps: int, container=st, fixed: dict | None = None,
               schedule: bool = True) -> dict:
    """Widgets (keys under `prefix`) for one run of `steps` steps; returns {optimizer, hparams, scheduler,
    scheduler_params, clip…, color}.  `fixed` hyperparameters (e.g. {"lr": 0.1}) are set by the page instead of
    a widget; `schedule` False leaves the scheduler out (the page chooses it)."""
    key = f"{prefix}.optimizer"
    choice = container.selectbox(t("run.optimizer"), OPTIMIZER_CHOICES,
                                 **seed(key, index=OPTIMIZER_CHOICES.index(initial.get("optimizer", "Adam"))),
                                 key=key, help=t("run.optimizer.help"))
    spec, preset = optimizer_spec(choice)
    container.caption(spec.summary(language()))
    start_values = {**preset, **(initial.get("hparams", {}) if choice == initial.get("optimizer") else {})}
    fixed = fixed or {}
    schema = tuple(p for p in spec.params if p.key not in fixed)
    hparams = {**schema_form(schema, f"{prefix}.hp.{choice}", start_values, container), **fixed}

    names = [None, *SCHEDULERS] if schedule else [None]
    key = f"{prefix}.scheduler"
    shown = st.session_state.get(key, initial.get("scheduler"))  # 'CosineAnnealingWa…': smaller (ui/style.css)
    place = container.container(key=f"{prefix}.long-name") if len(shown or "") > LONG_NAME else container
    scheduler = place.selectbox(t("run.scheduler"), names, **seed(key, index=names.index(initial.get("scheduler"))),
                                format_func={**{n: n for n in names}, None: t("run.no_scheduler")}.get,
                                placeholder=t("run.no_scheduler"),  # Streamlit shows None as its placeholder
                                key=key, help=t("run.scheduler.help"))
    scheduler_params = {}
    if scheduler is not None:
        container.caption(SCHEDULERS[scheduler].summary(language()))
        scheduler_params = scheduler_form(scheduler, f"{prefix}.sched", {"steps": steps, "lr": hparams["lr"]},
                                          initial.get("scheduler_params", {}), container)
    key = f"{prefix}.clip"
    clip = container.radio(t("run.clip"), CLIP_MODES, horizontal=True, key=key,
                           **seed(key, index=CLIP_MODES.index(initial.get("clip", "none"))),
                           format_func=labels("run.clip", CLIP_MODES), help=t("run.clip.help"))
    clip_value = None
    if clip != "none":
        key = f"{prefix}.clip_value"
        clip_value = container.number_input(t("run.clip_at"), min_value=1e-6, max_value=1e6, format="%g",
                                            **seed(key, value=initial.get("clip_value", 1.0)), key=key)
    key = f"{prefix}.color"
    color = container.color_picker(t("run.color"), **seed(key, value=initial["color"]), key=key)
    return {"optimizer": choice, "hparams": hparams, "scheduler": scheduler, "scheduler_params": scheduler_params,
            "clip_grad_norm": clip_value if clip == "norm" else None,
            "clip_grad_value": clip_value if clip == "value" else None, "color": color}


def _keys(prefix: str) -> list[str]:
    return [k for k in st.session_state if isinstance(k, str) and k.startswith(f"{prefix}.")]


def copy_run_widgets(source: str, target: str) -> None:
    """Give the run under prefix `target` the current widget values of the run under `source` (call from a
    button callback)."""
    for key in _keys(source):
        st.session_state[target + key.removeprefix(source)] = st.session_state[key]


def forget_run_widgets(prefix: str) -> None:
    for key in _keys(prefix):
        del st.session_state[key]


def scheduler_widgets(name: str, prefix: str, params: dict) -> dict:
    """The widget values `scheduler_form` would need to return `params`."""
    if name != "SequentialLR":
        return schema_widgets(SCHEDULERS[name].params, f"{prefix}.{name}", params)
    (warmup, then) = params["schedulers"]
    return {f"{prefix}.warmup": warmup["name"], f"{prefix}.then": then["name"],
            **schema_widgets(SCHEDULERS[warmup["name"]].params, f"{prefix}.warm.{warmup['name']}", warmup["params"]),
            **schema_widgets(SCHEDULERS[then["name"]].params, f"{prefix}.then.{then['name']}", then["params"])}


def run_widgets(prefix: str, run: dict) -> dict:
    """The widget values `run_editor` would need to return `run` (keys it holds: optimizer, hparams, …, color)."""
    choice = run["optimizer"]
    out = {f"{prefix}.optimizer": choice, **schema_widgets(optimizer_spec(choice)[0].params, f"{prefix}.hp.{choice}",
                                                           run.get("hparams", {}))}
    if "scheduler" in run:
        out[f"{prefix}.scheduler"] = run["scheduler"]
        if run["scheduler"] is not None:
            out.update(scheduler_widgets(run["scheduler"], f"{prefix}.sched", run["scheduler_params"]))
    norm, value = run.get("clip_grad_norm"), run.get("clip_grad_value")
    out[f"{prefix}.clip"] = "norm" if norm is not None else "value" if value is not None else "none"
    if norm is not None or value is not None:
        out[f"{prefix}.clip_value"] = norm if norm is not None else value
    if "color" in run:
        out[f"{prefix}.color"] = run["color"]
    return out


def last_multipliers(key: str, first: tuple[float, float] = (1.0, 10.0)) -> list[float] | None:
    """What `group_multipliers(key, ...)` will return, from its widgets' values before they are drawn."""
    state = st.session_state
    return [float(state.get(f"{key}.{part}", value)) for part, value in zip("wb", first, strict=True)] \
        if state.get(key) else None


def group_multipliers(key: str, texts: str, first: tuple[float, float] = (1.0, 10.0)) -> list[float] | None:
    """A toggle for two parameter groups and, when on, each group's lr multiplier (the engine's `lr_multipliers`);
    None when off.  `texts` is the catalogue prefix of the toggle's label and help and the two multipliers'
    labels (`groups`, `groups.help`, `mult_w`, `mult_b`)."""
    if not st.toggle(t(f"{texts}.groups"), key=key, help=t(f"{texts}.groups.help")):
        return None
    left, right = st.columns(2)
    return [column.number_input(t(f"{texts}.mult_{part}"), 1e-3, 1e3, **seed(f"{key}.{part}", value=value),
                                format="%g", key=f"{key}.{part}")
            for column, part, value in zip((left, right), "wb", first, strict=True)]
