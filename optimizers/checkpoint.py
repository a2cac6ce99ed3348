"""Checkpoints: the optimizer's (and scheduler's) `state_dict()` after t steps, and resuming from one.

`checkpoint(config, t)` steps the run's real torch objects t steps and returns
their `state_dict()`s and the parameter as JSON; `resume(config, saved)` loads them
into fresh objects with `load_state_dict()` and steps on to the end.  The resumed
positions equal `run(config).xy[t:]`, as `torch.save`/`torch.load` would give.
"""

from __future__ import annotations

import numpy as np
import torch

from surfaces import get_surface

from .config import normalize_config
from .engine import _batch_schedule, _closure_runs, _lockstep
from .member import Member


def _to_json(value):
    """Tensors become {"tensor": nested lists, "dtype": name}; containers are walked."""
    if torch.is_tensor(value):
        return {"tensor": value.tolist(), "dtype": str(value.dtype).removeprefix("torch.")}
    if isinstance(value, dict):
        return {str(k): _to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_json(v) for v in value]
    return value


def _from_json(value, int_keys: bool = False):
    """The inverse of `_to_json`; `int_keys` turns digit keys back into ints (an optimizer's state ids)."""
    if isinstance(value, dict) and set(value) == {"tensor", "dtype"}:
        return torch.tensor(value["tensor"], dtype=getattr(torch, value["dtype"]))
    if isinstance(value, dict):
        return {(int(k) if int_keys and k.isdigit() else k): _from_json(v, int_keys) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v, int_keys) for v in value]
    return value


def _step_member(member: Member, config: dict, first: int, count: int) -> None:
    """Step `member` `count` times from step `first` of the run's (mini-batch) schedule."""
    surface = get_surface(config["surface"], config["surface_params"])
    fn = surface.batch_fn or (lambda p, idx, f=surface.fn: f(p))
    batches, _ = _batch_schedule(surface.n_samples, config["batch_size"], config["seed"], config["steps"])
    batches = None if batches is None else batches[first:first + count]
    (_closure_runs if member.spec.closure else _lockstep)([member], fn, batches, count)


def checkpoint(config: dict, t: int) -> dict:
    """{"step", "param", "optimizer", "scheduler"} after `t` steps of `config` (one start), JSON-able."""
    config = normalize_config(config)
    if isinstance(config["start"][0], list):
        raise ValueError("checkpoints are for runs with one start")
    if not 0 <= t <= config["steps"]:
        raise ValueError(f"step must be in [0, {config['steps']}], got {t}")
    member = Member(config, [config["start"]])
    _step_member(member, config, 0, t)
    return {"step": t, "param": member.position()[0].tolist(),
            "optimizer": _to_json(member.optimizer.state_dict()),
            "scheduler": None if member.scheduler is None else _to_json(member.scheduler.state_dict())}


def resume(config: dict, saved: dict) -> np.ndarray:
    """Positions from the saved step to the end, (steps − t + 1, 2), after `load_state_dict()`."""
    config = normalize_config(config)
    t = int(saved["step"])
    member = Member(config, [saved["param"]])
    member.optimizer.load_state_dict(_from_json(saved["optimizer"], int_keys=True))
    if member.scheduler is not None and saved.get("scheduler") is not None:
        member.scheduler.load_state_dict(_from_json(saved["scheduler"]))
    _step_member(member, config, t, config["steps"] - t)
    later = member.records().get("xy")
    rest = later[:, 0].numpy() if later is not None else np.empty((0, 2), dtype=member.start.numpy().dtype)
    return np.concatenate([member.start.numpy(), rest])
