"""Checkpoints: the optimizer's (and scheduler's) `state_dict()` after t steps, and resuming from one.

`checkpoint(config, t)` steps the run's real torch objects t steps and returns
their `state_dict()`s and the parameter as JSON; `resume(config, saved)` loads them
into fresh objects with `load_state_dict()` and steps on to the end.  The resumed
positions equal `run(config).xy[t:]`, as `torch.save`/`torch.load` would give.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from schema import ConfigError
from surfaces import get_surface
from texts import message

from . import budget
from .config import RunConfig, normalize_config
from .engine import _batch_schedule, _closure_runs, _lockstep, _whole_data
from .member import Member
from .specs import OPTIMIZERS


def _to_json(value):
    """Tensors become {"tensor": nested lists, "dtype": name}; containers are walked."""
    if torch.is_tensor(value):
        return {"tensor": value.tolist(), "dtype": str(value.dtype).removeprefix("torch.")}
    if isinstance(value, dict):
        return {str(k): _to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_json(v) for v in value]
    return value


def _step_member(member: Member, config: RunConfig, first: int, count: int) -> None:
    """Step `member` `count` times from step `first` of the run's (mini-batch) schedule."""
    surface = get_surface(config["surface"], config["surface_params"])
    fn = surface.batch_fn or _whole_data(surface.fn)
    batches, _ = _batch_schedule(surface.n_samples, config["batch_size"], config["seed"], config["steps"])
    batches = None if batches is None else batches[first:first + count]
    if member.spec.closure:
        _closure_runs([member], fn, batches, count, budget.surface_rows(surface.n_samples, config["batch_size"]))
    else:
        _lockstep([member], fn, batches, count)


def checkpoint(config: Mapping[str, Any], t: int) -> dict:
    """{"step", "param", "optimizer", "scheduler"} after `t` steps of `config` (one start), JSON-able."""
    config = normalize_config(config)
    if isinstance(config["start"][0], list):
        raise ValueError("checkpoints are for runs with one start")
    if not 0 <= t <= config["steps"]:
        raise ValueError(f"step must be in [0, {config['steps']}], got {t}")
    member = Member(config, [config["start"]])
    _step_member(member, config, 0, t)
    if member.done < t:  # LBFGS: diverged, or stopped by the cost budget (engine.Trajectory.stopped_at)
        raise ConfigError("checkpoint.stopped", done=member.done, step=t)
    return {"step": t, "param": member.position()[0].tolist(),
            "optimizer": _to_json(member.optimizer.state_dict()),
            "scheduler": None if member.scheduler is None else _to_json(member.scheduler.state_dict())}


def _bad(path: str, problem: str, **values) -> ConfigError:
    """The saved state_dict's field at `path` is not what this run needs: ``checkpoint.<problem>`` says what."""
    return ConfigError("checkpoint.bad", path=path, problem=message(f"checkpoint.{problem}", **values))


def _conform(value, template, path: str):
    """`value` (decoded JSON) checked against `template` (what the fresh torch object holds there) and given its
    types: dict keys (a Counter's int keys came back as strings), tuples, tensors of the same shape and dtype."""
    if torch.is_tensor(template):
        ok = isinstance(value, dict) and set(value) == {"tensor", "dtype"} and value["dtype"] == str(
            template.dtype).removeprefix("torch.")
        try:
            tensor = torch.tensor(value["tensor"], dtype=template.dtype) if ok else None
        except (TypeError, ValueError, RuntimeError):
            tensor = None
        if tensor is None or tensor.shape != template.shape:
            raise _bad(path, "tensor", dtype=template.dtype, shape=list(template.shape))
        return tensor
    if isinstance(template, dict):
        if not isinstance(value, dict):
            raise _bad(path, "mapping")
        int_keys = template and all(isinstance(k, int) for k in template)
        try:
            items = {(int(k) if int_keys else k): v for k, v in value.items()}
        except ValueError:
            raise _bad(path, "int_keys") from None
        if not int_keys and set(items) != set(template):
            keys = sorted(map(str, template))
            raise _bad(path, "keys", keys=keys)
        sample = next(iter(template.values()), 0)
        return type(template)({k: _conform(v, template.get(k, sample), f"{path}.{k}") for k, v in items.items()})
    if isinstance(template, list | tuple):
        if not isinstance(value, list) or len(value) != len(template):
            raise _bad(path, "list", n=len(template))
        pairs = enumerate(zip(value, template, strict=True))
        return type(template)(_conform(v, t, f"{path}[{i}]") for i, (v, t) in pairs)
    if isinstance(template, bool) or template is None or isinstance(template, str):
        if value != template:
            raise _bad(path, "same", value=repr(template))
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or (
            isinstance(template, int) and not isinstance(value, int)) or (
            math.isfinite(template) and not (math.isfinite(value) and abs(value) <= 2**53)):
        raise _bad(path, "finite", kind=type(template).__name__)
    return type(template)(value)


def _state(value, template: dict, history: int, path: str) -> dict:
    """One parameter's optimizer state: the keys torch makes for this optimizer, each of its type and shape."""
    if not isinstance(value, dict) or not set(value) <= set(template):
        raise _bad(path, "only_keys", keys=sorted(template))
    out = {}
    for key, v in value.items():
        t = template[key]
        if isinstance(t, list):  # LBFGS's history: at most history_size entries like the first one
            if not isinstance(v, list) or len(v) > history:
                raise _bad(f"{path}.{key}", "history", n=history)
            item = next((x for x in t if x is not None), torch.zeros(2))  # torch leaves None in unused slots
            out[key] = [None if x is None else _conform(x, item, f"{path}.{key}[{i}]") for i, x in enumerate(v)]
        else:
            out[key] = _conform(v, t, f"{path}.{key}")
    return out


def load(config: Mapping[str, Any], saved) -> tuple[RunConfig, Member, int]:
    """A saved checkpoint checked field by field and loaded: (the config it resumes, a Member at its step).

    The optimizer's `param_groups` must hold valid hyperparameters (the optimizer's schema) and the run
    they make must fit the cost budget; the state must have the keys, types and shapes torch gives this
    optimizer; the scheduler's state those of this scheduler.  Anything else raises ConfigError naming the field."""
    config = normalize_config(config)
    if not isinstance(saved, dict) or not {"step", "param", "optimizer"} <= set(saved):
        raise _bad("", "checkpoint")
    t = saved["step"]
    if isinstance(t, bool) or not isinstance(t, int) or not 0 <= t <= config["steps"]:
        steps = config["steps"]
        raise _bad("step", "step", steps=steps)
    param = _conform(saved["param"], [0.0, 0.0], "param")
    probe = Member(config, [config["start"]])  # the state torch makes for this optimizer, after one step
    _step_member(probe, config, 0, 1)
    template = probe.optimizer.state_dict()
    spec = OPTIMIZERS[config["optimizer"]]
    optimizer = saved["optimizer"]
    if not isinstance(optimizer, dict) or set(optimizer) != {"state", "param_groups"}:
        raise _bad("optimizer", "optimizer")
    schema = {p.key: p for p in spec.params}
    groups = _groups(optimizer["param_groups"], template["param_groups"], schema)
    hparams = {**config["hparams"], **{k: groups[0][k] for k in schema if k != "lr"}}
    if config["lr_multipliers"] is None:
        budget.check(normalize_config({**config, "hparams": hparams}))  # what the file asks torch to do
    states = optimizer["state"]
    if not isinstance(states, dict):
        raise _bad("optimizer.state", "mapping")
    history = hparams.get("history_size", 0)
    state = {}
    for k, v in states.items():
        if not (isinstance(k, str) and k.isdigit() and int(k) in template["state"]):
            raise _bad("optimizer.state", "only_keys", keys=sorted(template["state"]))
        state[int(k)] = _state(v, template["state"][int(k)], history, f"optimizer.state.{k}")
    member = Member({**config, "start": param}, [param])
    member.optimizer.load_state_dict({"state": state, "param_groups": groups})
    if member.scheduler is not None:
        if saved.get("scheduler") is None:
            raise _bad("scheduler", "missing")
        member.scheduler.load_state_dict(_conform(saved["scheduler"], member.scheduler.state_dict(), "scheduler"))
    return config, member, t


def _groups(value, template: list[dict], schema: dict) -> list[dict]:
    """param_groups: each hyperparameter valid for the optimizer (its schema), the rest as torch has it."""
    if not isinstance(value, list) or len(value) != len(template):
        raise _bad("optimizer.param_groups", "list", n=len(template))
    out = []
    for i, (group, fresh) in enumerate(zip(value, template, strict=True)):
        path = f"optimizer.param_groups[{i}]"
        if not isinstance(group, dict) or set(group) != set(fresh):
            raise _bad(path, "keys", keys=sorted(fresh))
        checked = {}
        for key, v in group.items():
            if key in schema and key != "lr":  # schedulers set lr to any value ≥ 0 (0 at the end of a decay)
                try:
                    checked[key] = schema[key].validate(v, path)
                except ConfigError as err:
                    raise ConfigError("error.state_dict", problem=err.msg) from None
                checked[key] = type(fresh[key])(checked[key]) if isinstance(fresh[key], tuple) else checked[key]
            else:
                checked[key] = _conform(v, fresh[key], f"{path}.{key}")
                if key == "lr" and checked[key] < 0:
                    raise _bad(f"{path}.lr", "lr")
        out.append(checked)
    return out


def resume(config: Mapping[str, Any], saved: dict) -> np.ndarray:
    """Positions from the saved step to the end, (steps − t + 1, 2), after `load_state_dict()`."""
    config, member, t = load(config, saved)
    _step_member(member, config, t, config["steps"] - t)
    later = member.records().get("xy")
    rest = later[:, 0].numpy() if later is not None else np.empty((0, 2), dtype=member.start.numpy().dtype)
    return np.concatenate([member.start.numpy(), rest])
