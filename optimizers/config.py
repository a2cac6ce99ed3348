"""The run config: one JSON-able dict, validated and completed by `normalize_config`.

The same dict is what a share link encodes, a saved configuration holds and a
lesson presets.  Names are PyTorch's: `torch.optim` class names, scheduler
class names, constructor keywords.  Every problem raises `ConfigError`
(a `ValueError`) naming the field and what is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypedDict, cast

from schema import ConfigError, Param, mapping, shown, validate_params
from surfaces import get_surface, validate_surface

from . import budget
from .schedulers import validate_scheduler
from .specs import OPTIMIZERS, PRESETS

MAX_STEPS = 10_000
MAX_STARTS = 4_096

Start = list[float] | list[list[float]]  # [x, y], or [[x, y], ...] for several starts


class RunConfig(TypedDict):
    """A complete run config: what `normalize_config` returns (every key present and checked)."""

    surface: str
    surface_params: dict[str, Any]
    start: Start
    steps: int
    optimizer: str                # a torch.optim class name (a preset is resolved into its class)
    hparams: dict[str, Any]       # every keyword of the optimizer's schema
    scheduler: str | None
    scheduler_params: dict[str, Any]
    batch_size: int | None
    seed: int
    clip_grad_norm: float | None
    clip_grad_value: float | None
    lr_multipliers: list[float] | None
    dtype: Literal["float32", "float64"]


DEFAULTS: dict[str, Any] = {  # what a config may leave out; the keys a config may hold
    "surface": "rosenbrock",
    "surface_params": {},
    "start": None,            # [x, y] or [[x, y], ...]; None = the surface's default start
    "steps": 500,
    "optimizer": "Adam",      # a torch.optim class name, or a preset ("Momentum", ...)
    "hparams": {},
    "scheduler": None,
    "scheduler_params": {},
    "batch_size": None,       # data surfaces only; None = full batch
    "seed": 0,
    "clip_grad_norm": None,   # max_norm of torch.nn.utils.clip_grad_norm_
    "clip_grad_value": None,  # clip_value of torch.nn.utils.clip_grad_value_
    "lr_multipliers": None,   # [m_x, m_y]: coordinates get their own parameter group, lr × m
    "dtype": "float32",
}

_STEPS = Param("steps", "int", 500, "config.steps", low=1, high=MAX_STEPS)
_SEED = Param("seed", "int", 0, "config.seed", low=0, high=2**32 - 1)
_CLIP: dict[str, Any] = dict(kind="float", default=None, low=0.0, high=1e6, open_low=True, optional=True, log=True,
             slider=(1e-3, 100.0))
_CLIP_NORM = Param("clip_grad_norm", help="config.clip_grad_norm", **_CLIP)
_CLIP_VALUE = Param("clip_grad_value", help="config.clip_grad_value", **_CLIP)
LR_MULTIPLIERS = Param("lr_multipliers", "pair", None, "config.lr_multipliers", low=1e-3, high=1000.0, optional=True)
START_POINT = Param("start", "pair", None, "config.start", low=-1e6, high=1e6)
_DTYPE = Param("dtype", "choice", "float32", "config.dtype", choices=("float32", "float64"))


def resolve_optimizer(name: str, hparams: dict | None) -> tuple[str, dict]:
    """A class name and hyperparameters; a preset name becomes its class plus its values."""
    if not isinstance(name, str):
        name = shown(name)
    hparams = mapping(hparams, "hparams")
    if name in PRESETS:
        base, preset = PRESETS[name]
        return base, {**preset, **hparams}
    if name not in OPTIMIZERS:
        valid = ", ".join([*OPTIMIZERS, *PRESETS])
        raise ConfigError("config.error.unknown_optimizer", got=shown(name), valid=valid)
    return name, dict(hparams)


def _starts(value, surface) -> Start:
    """[x, y] for one start, [[x, y], ...] for several."""
    if value is None:
        return list(surface.starts[0])
    single = isinstance(value, list | tuple) and len(value) == 2 and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    starts = [value] if single else value
    if not isinstance(starts, list | tuple) or not 1 <= len(starts) <= MAX_STARTS:
        raise ConfigError("config.error.starts", key="start", n=MAX_STARTS)
    points = [START_POINT.validate(point, "config") for point in starts]
    return points[0] if single else points


def optimization(c: Mapping[str, Any], n_samples: int | None, data: str) -> dict[str, Any]:
    """The keys every run has, checked: steps, the optimizer and its hyperparameters, the scheduler, mini-batches
    (of `n_samples` data rows; None: the run's loss has no data, named `data` in the error), seed, clipping,
    the parameter groups' lr multipliers and the dtype."""
    out: dict[str, Any] = {"steps": _STEPS.validate(c["steps"], "config")}
    out["optimizer"], hparams = resolve_optimizer(c["optimizer"], c["hparams"])
    spec = OPTIMIZERS[out["optimizer"]]
    out["hparams"] = validate_params(spec.params, hparams, out["optimizer"], rules=spec.rules)
    context = {"steps": out["steps"], "lr": out["hparams"]["lr"], "optimizer": out["optimizer"],
               "line_search": out["hparams"].get("line_search_fn")}
    out["scheduler"], out["scheduler_params"] = validate_scheduler(c["scheduler"], c["scheduler_params"], context)
    out["batch_size"] = c["batch_size"]
    if c["batch_size"] is not None:
        if n_samples is None:
            raise ConfigError("config.error.batch_size", surface=repr(data))
        size = Param("batch_size", "int", None, "config.batch_size", low=1, high=n_samples)
        out["batch_size"] = size.validate(c["batch_size"], "config")
    out["seed"] = _SEED.validate(c["seed"], "config")
    out["clip_grad_norm"] = _CLIP_NORM.validate(c["clip_grad_norm"], "config")
    out["clip_grad_value"] = _CLIP_VALUE.validate(c["clip_grad_value"], "config")
    out["lr_multipliers"] = LR_MULTIPLIERS.validate(c["lr_multipliers"], "config")
    if out["lr_multipliers"] is not None and spec.closure:
        raise ConfigError("config.error.lbfgs_groups")
    out["dtype"] = _DTYPE.validate(c["dtype"], "config")
    return out


def normalize_config(config: Mapping[str, Any]) -> RunConfig:
    """`config` with every key present and valid (torch's defaults filled in)."""
    if not isinstance(config, dict):
        raise ConfigError("config.error.mapping")
    unknown = [k for k in config if k not in DEFAULTS]
    if unknown:
        valid = ", ".join(DEFAULTS)
        raise ConfigError("config.error.unknown_key", got=shown(unknown[0]), valid=valid)
    c = {**DEFAULTS, **config}
    out: dict[str, Any] = {"surface": c["surface"],
                           "surface_params": validate_surface(c["surface"], c["surface_params"])}
    surface = get_surface(out["surface"], out["surface_params"])
    out["start"] = _starts(c["start"], surface)
    out.update(optimization(c, n_samples=surface.n_samples, data=out["surface"]))
    checked = cast(RunConfig, out)
    budget.check(checked)  # what it would cost: refused past the budget, before it runs
    return checked
