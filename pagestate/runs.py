"""A run in a page state: {optimizer, hparams, scheduler, scheduler_params, clip_grad_norm, clip_grad_value,
color}, read and checked as the run editor offers it (a SequentialLR is a warm-up then a later scheduler)."""

from __future__ import annotations

import re

from optimizers import OPTIMIZERS, PRESETS, SCHEDULERS
from optimizers.config import resolve_optimizer
from optimizers.schedulers import CHAINABLE, WARMUP_FACTOR, segment_contexts, warmup_steps
from schema import defaults as defaults_of
from viz.runs import PALETTE

from .fields import Field, Problems, choice, number, params, strip, take

OPTIMIZER_CHOICES = (*OPTIMIZERS, *PRESETS)
WARMUPS = ("LinearLR", "ConstantLR")
LATER = tuple(n for n in CHAINABLE if n not in WARMUPS)
CLIP_RANGE = (1e-6, 1e6)
CLIPS = ("clip_grad_norm", "clip_grad_value")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def run_state(raw, default: dict, steps: int, problems: Problems, path: str, lr: float | None = None,
              schedule: bool = True) -> dict:
    """One run: {optimizer, hparams, scheduler, scheduler_params, clip_grad_norm, clip_grad_value, color}.

    `lr` fixes the learning rate (set by the page, not the run); `schedule` False leaves the scheduler out.
    """
    if not isinstance(raw, dict):
        if raw is not None:
            problems.flag(path.rstrip("."))
        raw = {}
    picked = take(raw, "optimizer", default.get("optimizer", "Adam"), problems, path, choice(OPTIMIZER_CHOICES))
    name, preset = resolve_optimizer(picked, {})
    schema = tuple(p for p in OPTIMIZERS[name].params if lr is None or p.key != "lr")
    same = picked == default.get("optimizer", "Adam")
    defaults = {**defaults_of(schema), **preset, **(default.get("hparams", {}) if same else {})}
    defaults = {k: v for k, v in defaults.items() if k in {p.key for p in schema}}
    hparams = params(schema, raw.get("hparams"), defaults, problems, path + "hparams.", OPTIMIZERS[name].rules,
                     {"steps": steps})
    context = {"steps": steps, "lr": lr if lr is not None else hparams["lr"], "optimizer": name,
               "line_search": hparams.get("line_search_fn")}
    scheduler, scheduler_params = None, {}
    if schedule:
        scheduler = take(raw, "scheduler", default.get("scheduler"), problems, path, choice(SCHEDULERS))
        if scheduler is not None:
            scheduler_params = scheduler_state(scheduler, raw.get("scheduler_params"), context, problems,
                                               path + "scheduler_params.")
    clip = {key: take(raw, key, None, problems, path, lambda v: number(v, *CLIP_RANGE)) for key in CLIPS}
    if clip["clip_grad_norm"] is not None and clip["clip_grad_value"] is not None:
        problems.flag(path + "clip_grad_value")  # one clipping at a time, as the run editor offers
        clip["clip_grad_value"] = None
    color = take(raw, "color", default.get("color", PALETTE[0]), problems, path,
                 lambda v: v if isinstance(v, str) and _COLOR.fullmatch(v) else None)
    return {"optimizer": picked, "hparams": hparams, "scheduler": scheduler, "scheduler_params": scheduler_params,
            **clip, "color": color}


def warmup_defaults(steps: int) -> dict:
    """What the SequentialLR warm-up starts from (the run editor's choice)."""
    return {"start_factor": WARMUP_FACTOR, "factor": WARMUP_FACTOR, "total_iters": warmup_steps(steps)}


def scheduler_state(name: str, raw, context: dict, problems: Problems, path: str) -> dict:
    """The parameters of scheduler `name`; SequentialLR is a warm-up then a later scheduler."""
    if name != "SequentialLR":
        spec = SCHEDULERS[name]
        return params(spec.params, raw, {p.key: p.fallback(context) for p in spec.params}, problems, path,
                      spec.rules, context)
    raw = raw if isinstance(raw, dict) else {}
    parts = raw.get("schedulers") if isinstance(raw.get("schedulers"), list) else []
    parts = [p if isinstance(p, dict) else {} for p in parts[:2]] + [{}] * (2 - len(parts[:2]))
    chosen = []
    for part, allowed, fallback, seeds in ((parts[0], WARMUPS, "LinearLR", warmup_defaults(context["steps"])),
                                           (parts[1], LATER, "CosineAnnealingLR", {})):
        inner = take(part, "name", fallback, problems, path, choice(allowed))
        spec = SCHEDULERS[inner]
        defaults = {p.key: seeds.get(p.key, p.fallback(context)) for p in spec.params}
        milestones = [max(1, int(chosen[0]["params"].get("total_iters", 1)))] if chosen else [context["steps"]]
        where = segment_contexts(context, milestones)[len(chosen)]  # the steps this part schedules
        chosen.append({"name": inner, "params": params(spec.params, part.get("params"), defaults, problems, path,
                                                       spec.rules, where)})
    return {"schedulers": chosen, "milestones": milestones}


def short_run(run: dict, default: dict, steps: int, **fixed) -> dict:
    """A run without what a new run of the same optimizer and scheduler would hold anyway."""
    same = {"optimizer": run["optimizer"], "scheduler": run.get("scheduler")}
    reference = run_state(same, default, steps, Problems(), "", **fixed)
    short = strip(run, {k: v for k, v in reference.items() if k not in same})
    return {k: v for k, v in short.items() if k not in same or v != default.get(k)}


def run_field(default: dict, widget: str = "run") -> Field:
    """The page's one run ("run"), starting from `default`, for the page's "steps"."""
    def read(raw: dict, state: dict, problems: Problems) -> dict:
        return run_state(raw.get("run"), default, state["steps"], problems, "run.")
    return Field("run", read, widget, kind="run",
                 shorten=lambda run, _, state: short_run(run, default, state["steps"]))
