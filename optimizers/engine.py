"""The engine: step real `torch.optim` optimizers and schedulers, record everything.

One step is exactly the loop PyTorch documents::

    optimizer.zero_grad(); loss.backward(); [clip]; optimizer.step(); scheduler.step()

`run_many` steps every run that shares a surface (and mini-batch schedule) in
lock-step, each for its own number of steps: one forward/backward through the stacked positions gives each run
its own gradient, because the gradient of a sum of independent losses is each
loss's own gradient.  Starts of one run share one ``(n, 2)`` parameter when the
optimizer is element-wise (rows then evolve independently); otherwise each start
gets its own optimizer.  Either way the result equals separate runs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader

from surfaces import get_surface

from .budget import closure_cap, surface_rows
from .config import RunConfig, normalize_config
from .member import DTYPES, Member
from .schedulers import SCHEDULERS
from .specs import OPTIMIZERS

StepOrNone = int | None


@dataclass
class Trajectory:
    """What one run recorded.  Arrays have a start axis only when `start` was a list of points.

    xy[t] is the position after t steps and loss[t] the full-data loss there;
    lr[t], grad[t] (what the optimizer used, after clipping), state[key][t] (the
    optimizer's state after step t, broadcast to the parameter's shape) and
    evals[t] belong to step t.  `closure_xy`/`closure_loss`/`closure_step` hold
    every point LBFGS's closure evaluated.  `hparams_used[key][t]` is the value of a hyperparameter other
    than lr in each parameter group when step t ran ((steps, groups), or (steps, groups, 2) for betas), for
    each one that differed somewhere from `config["hparams"]` (OneCycleLR and CyclicLR cycle momentum or β₁
    every step); every other hyperparameter was the configured value at every step.
    `stopped_at` (like `diverged_at`, per start with several) is the first position not computed because the
    run reached the server's cost budget (LBFGS, `budget.closure_cap`): from there on everything is NaN, but the
    run did not diverge.
    """

    config: RunConfig
    xy: np.ndarray
    loss: np.ndarray
    lr: np.ndarray
    group_lr: np.ndarray
    grad: np.ndarray
    raw_grad: np.ndarray | None
    state: dict[str, np.ndarray]
    evals: np.ndarray
    wall_time: np.ndarray
    diverged_at: StepOrNone | list[StepOrNone]
    batches: np.ndarray | None = None
    epoch: np.ndarray | None = None
    closure_xy: np.ndarray | list | None = None
    closure_loss: np.ndarray | list | None = None
    closure_step: np.ndarray | list | None = None
    hparams_used: dict[str, np.ndarray] = field(default_factory=dict)
    stopped_at: StepOrNone | list[StepOrNone] = None

    @property
    def update(self) -> np.ndarray:
        """Δθ at each step: xy[t + 1] − xy[t]."""
        return np.diff(self.xy, axis=0)

    @property
    def steps(self) -> int:
        return len(self.lr)

    @property
    def finite_len(self) -> int:
        """How many leading positions were computed and are finite (one start): up to `diverged_at` or
        `stopped_at`, else all."""
        return next((a for a in (self.diverged_at, self.stopped_at) if isinstance(a, int)), len(self.xy))


def first_steps(traj: Trajectory, n: int) -> Trajectory:
    """The first `n` steps of `traj`, as a run of its config with `steps = n` records them.

    Exact when nothing depends on the number of steps (no scheduler: OneCycleLR and others size
    themselves by it): step t only sees the steps before it, and a seeded schedule of batches
    starts the same whatever its length.  Arrays are views of `traj`'s.
    """
    if traj.config["scheduler"] is not None:
        raise ValueError("a run with a scheduler depends on its number of steps")
    if not 0 < n <= traj.steps:
        raise ValueError(f"n must be in [1, {traj.steps}], got {n}")
    several = isinstance(traj.diverged_at, list)
    closure: dict[str, Any] = {}
    if traj.closure_step is not None:
        per_start = [traj.closure_step, traj.closure_xy, traj.closure_loss] if several else \
            [[traj.closure_step], [traj.closure_xy], [traj.closure_loss]]
        kept = [{"closure_step": s[s < n], "closure_xy": xy[s < n], "closure_loss": loss[s < n]}
                for s, xy, loss in zip(*per_start, strict=True)]
        closure = {k: [part[k] for part in kept] if several else kept[0][k] for k in kept[0]}
    return replace(traj, config={**traj.config, "steps": n}, xy=traj.xy[:n + 1], loss=traj.loss[:n + 1],
                   lr=traj.lr[:n], group_lr=traj.group_lr[:n], grad=traj.grad[:n], raw_grad=_head(traj.raw_grad, n),
                   state={k: v[:n] for k, v in traj.state.items()}, evals=traj.evals[:n],
                   wall_time=traj.wall_time[:n], batches=_head(traj.batches, n), epoch=_head(traj.epoch, n),
                   hparams_used={k: v[:n] for k, v in traj.hparams_used.items()},
                   diverged_at=_within(traj.diverged_at, n), stopped_at=_within(traj.stopped_at, n), **closure)


def _head(a: np.ndarray | None, n: int) -> np.ndarray | None:
    return None if a is None else a[:n]


def _within(at: StepOrNone | list[StepOrNone], n: int) -> StepOrNone | list[StepOrNone]:
    """A step index (or one per start) kept if it falls within the first `n` steps, else None."""
    if isinstance(at, list):
        return [a if a is not None and a <= n else None for a in at]
    return at if at is not None and at <= n else None


def _whole_data(f: Callable[[torch.Tensor], torch.Tensor]) -> Callable[[torch.Tensor, Any], torch.Tensor]:
    """A surface without data as a batch function: the batch is ignored."""
    return lambda p, idx: f(p)


def _batch_schedule(n: int | None, batch_size: int | None, seed: int, steps: int):
    """Index batches of a seeded `DataLoader(shuffle=True, drop_last=False)`, epoch after epoch (None, None: full
    batch, or a surface without data)."""
    if batch_size is None or n is None:
        return None, None
    generator = torch.Generator().manual_seed(seed)
    indices: Any = torch.arange(n)  # a tensor is a map-style dataset (len and indexing), as the course's code uses
    loader: DataLoader[torch.Tensor] = DataLoader(indices, batch_size=batch_size, shuffle=True, generator=generator)
    batches: list[torch.Tensor] = []
    epochs: list[int] = []
    epoch = 0
    while len(batches) < steps:
        for idx in loader:
            batches.append(idx)
            epochs.append(epoch)
            if len(batches) == steps:
                break
        epoch += 1
    return batches, np.array(epochs)


CHECK_EVERY = 16  # steps between checks for runs whose every start diverged (they stop)


def _lockstep(members: list[Member], fn, batches, steps: int) -> None:
    """Step element-wise members together: one forward/backward for all of them.

    A member stops after its own number of steps (at most `steps`); members whose every start
    has diverged stop at the next check (every CHECK_EVERY steps).
    """
    t0 = time.perf_counter()
    active = list(members)
    needs_loss = any(m.needs_loss for m in active)
    ends = {m.steps for m in active}
    for t in range(steps if active else 0):
        if t in ends:
            active = [m for m in active if m.steps > t]
            if not active:  # the group's longest run is a closure run
                return
        batch = None if batches is None else batches[t]
        for m in active:
            m.optimizer.zero_grad()
        if len(active) == 1 and len(active[0].tensors) == 1:  # the plain loop: loss = f(p)
            losses = fn(active[0].tensors[0], batch)
        else:
            losses = fn(torch.cat([m.position() for m in active]), batch)
        (losses if losses.dim() == 0 else losses.sum()).backward()
        check = t % CHECK_EVERY == 0 or t == steps - 1
        per_member: Sequence[torch.Tensor] = ()
        if check or needs_loss:
            per_member = losses.detach().split([m.rows for m in active]) if len(active) > 1 else [losses.detach()]
        for j, m in enumerate(active):
            if m.clipping:
                m.clip(record=True)
            m.optimizer.step()
            m.finish_step(per_member[j].sum().item() if m.needs_loss else None, 1, t0)
        if check:
            for m, member_loss in zip(active, per_member, strict=True):
                m.alive = bool(torch.isfinite(member_loss).any())
            active = [m for m in active if m.alive]
            if not active:
                return


def _closure_runs(members: list[Member], fn, batches, steps: int, rows: tuple[int, int]) -> None:
    """Step closure (LBFGS) members one after the other; each stops after the step whose counted work passes
    its cap (`budget.closure_cap`: from its config and `rows`, see `budget.surface_rows`)."""
    for m in members:
        m.cap, m.data_rows = closure_cap(m.config, rows), rows
        t0 = time.perf_counter()
        for t in range(min(steps, m.steps)):
            m.step_closure(fn, None if batches is None else batches[t], t, t0)
            if not m.alive:
                break


def shares_parameter(config: RunConfig) -> bool:
    """Whether all starts of a (normalized) config can share one (n, 2) parameter exactly."""
    scheduler = config["scheduler"]
    return (OPTIMIZERS[config["optimizer"]].elementwise and config["clip_grad_norm"] is None
            and not (scheduler is not None and SCHEDULERS[scheduler].needs_loss))


def _members(config: RunConfig) -> list[Member]:
    """One member for all starts where that is exact, else one per start."""
    starts = config["start"] if _several(config) else [config["start"]]
    return [Member(config, starts)] if shares_parameter(config) else [Member(config, [s]) for s in starts]


def _several(config: RunConfig) -> bool:
    return isinstance(config["start"][0], list)


def _pad(a: np.ndarray, length: int) -> np.ndarray:
    """Pad axis 0 to `length` steps (a run that stopped after it diverged): NaN, or 0 for counts."""
    if len(a) >= length:
        return a
    fill = np.nan if np.issubdtype(a.dtype, np.floating) else 0
    return np.concatenate([a, np.full((length - len(a), *a.shape[1:]), fill, dtype=a.dtype)])


def _member_arrays(m: Member, steps: int) -> dict[str, np.ndarray]:
    """What one member recorded, as (steps[+1], rows, ...) arrays."""
    out = {k: v.numpy() for k, v in m.records().items()}
    out["xy"] = np.concatenate([m.start.numpy()[None], out.get("xy", np.empty((0, m.rows, 2)))])
    if m.spec.closure:
        out["grad"] = torch.stack(m.grad[:m.done]).numpy() if m.done else np.empty((0, m.rows, 2))
    out["grad"] = out.get("grad", np.empty((0, m.rows, 2)))
    if m.clipping:
        out["raw_grad"] = torch.stack(m.raw_grad[:m.done]).numpy() if m.done else np.empty((0, m.rows, 2))
    per_row = lambda a: np.repeat(np.asarray(a)[:, None], m.rows, axis=1)  # noqa: E731
    out["group_lr"] = per_row(np.array(m.lr, dtype=float).reshape(m.done, len(m.optimizer.param_groups)))
    out["evals"] = per_row(np.array(m.evals, dtype=int) if m.spec.closure else np.ones(m.done, dtype=int))
    out["wall_time"] = np.array(m.time)
    return {k: _pad(v, steps + 1 if k == "xy" else steps) for k, v in out.items()}


def _full_loss(fn, xy: np.ndarray, dtype: torch.dtype, n_samples: int | None) -> np.ndarray:
    """The full-data loss at every recorded position, evaluated in chunks of steps."""
    points = torch.from_numpy(xy).to(dtype)
    per_step = points[0].numel() * (n_samples or 1)
    chunk = max(1, 2_000_000 // per_step)
    with torch.no_grad():
        return torch.cat([fn(points[i:i + chunk]) for i in range(0, len(points), chunk)]).numpy()


def _blank_after_divergence(arrays: dict[str, np.ndarray], stopped: list[int | None]) -> list[int | None]:
    """First non-finite step of each start before the step it `stopped` at (None: it did not; a stopped run's
    later steps are NaN but it did not diverge); every per-step value from there on becomes NaN."""
    xy, loss = arrays["xy"], arrays["loss"]
    bad = ~(np.isfinite(xy).all(-1) & np.isfinite(loss))
    diverged = [int(col.argmax()) if col.any() and (end is None or col.argmax() < end) else None
                for col, end in zip(bad.T, stopped, strict=True)]
    for i, first in enumerate(diverged):
        if first is not None:
            for key, a in arrays.items():
                if a.dtype.kind == "f" and key != "wall_time":
                    a[first:, i] = np.nan
    return diverged


def _assemble(config: RunConfig, members: list[Member], surface, batches, epochs) -> Trajectory:
    steps, several = config["steps"], _several(config)
    if batches is not None:  # the group's schedule, as long as its longest run
        batches, epochs = batches[:steps], epochs[:steps]
    parts = [_member_arrays(m, steps) for m in members]
    keys = [k for k in parts[0] if k != "wall_time" and all(k in p for p in parts)]
    arrays = {k: np.concatenate([p[k] for p in parts], axis=1) for k in keys}  # join the starts axis
    computed = max(m.done for m in members) + 1  # later positions are NaN (every start stopped or diverged)
    arrays["loss"] = _pad(_full_loss(surface.fn, arrays["xy"][:computed], DTYPES[config["dtype"]], surface.n_samples),
                          steps + 1)
    stopped = [m.done + 1 if m.stopped and m.done < steps else None for m in members for _ in range(m.rows)]
    diverged = _blank_after_divergence(arrays, stopped)
    stopped = [None if d is not None else s for d, s in zip(diverged, stopped, strict=True)]
    one = (lambda a: a) if several else (lambda a: a[:, 0])
    named = ("xy", "loss", "grad", "group_lr", "evals", "raw_grad")
    closure = [_closure_arrays(m) for m in members] if members[0].spec.closure else None
    closure_field = lambda k: None if closure is None else ([c[k] for c in closure] if several else closure[0][k])  # noqa: E731
    return Trajectory(
        config=config, xy=one(arrays["xy"]), loss=one(arrays["loss"]),
        lr=np.take_along_axis(arrays["group_lr"][..., 0], np.isfinite(arrays["group_lr"][..., 0]).argmax(1)[:, None],
                              axis=1)[:, 0],  # the first running start's: NaN once every start has stopped
        group_lr=one(arrays["group_lr"]), grad=one(arrays["grad"]),
        raw_grad=one(arrays["raw_grad"]) if "raw_grad" in arrays else None,
        state={k: one(v) for k, v in arrays.items() if k not in named}, evals=one(arrays["evals"]),
        wall_time=parts[0]["wall_time"], diverged_at=diverged if several else diverged[0],
        batches=None if batches is None else _padded(batches), epoch=epochs,
        closure_xy=closure_field("xy"), closure_loss=closure_field("loss"), closure_step=closure_field("step"),
        hparams_used=_hparams_used(config, members, steps), stopped_at=stopped if several else stopped[0])


def _hparams_used(config: RunConfig, members: list[Member], steps: int) -> dict[str, np.ndarray]:
    """Per step and group, each hyperparameter (not lr) whose value torch stepped with differed from the
    configured one at some step.  Members of a run share its schedule: the one that ran longest is read
    (NaN after its last step)."""
    m = max(members, key=lambda member: member.done)
    if not m.hparams:
        return {}
    constant = m.hparams.count(m.hparams[0]) == len(m.hparams)  # no scheduler changed anything: one C-level pass
    out = {}
    for i, key in enumerate(m.hparam_keys):
        first = np.array([group[i] for group in m.hparams[0]], dtype=float)
        configured = np.asarray(config["hparams"].get(key, first), dtype=float)
        if constant and (first == configured).all():
            continue
        values = _pad(np.array([[group[i] for group in step] for step in m.hparams], dtype=float), steps)
        if (np.isfinite(values) & (values != configured)).any():
            out[key] = values
    return out


def _closure_arrays(member: Member) -> dict[str, np.ndarray]:
    points = member.closure_points
    return {"step": np.array([p[0] for p in points], dtype=int),
            "xy": torch.stack([p[1][0] for p in points]).numpy() if points else np.empty((0, 2)),
            "loss": np.array([p[2] for p in points])}


def _padded(batches: list[torch.Tensor]) -> np.ndarray:
    """Batch indices as a (steps, batch_size) array, -1 where an epoch's last batch is short."""
    out = np.full((len(batches), len(batches[0])), -1, dtype=int)
    for t, idx in enumerate(batches):
        out[t, :len(idx)] = idx.numpy()
    return out


def _group_key(c: RunConfig) -> str:
    """Runs with equal keys see the same surface and the same batches: they can share a forward pass.

    Steps may differ: a seeded schedule of batches is the same for its first t steps whatever its length."""
    return json.dumps([c["surface"], c["surface_params"], c["dtype"], c["batch_size"], c["seed"]], sort_keys=True)


def run_many(configs: Sequence[Mapping[str, Any]]) -> list[Any]:
    """`[run(c) for c in configs]`, with runs on the same surface stepped in lock-step.

    A network config (a ``"network"`` key, see `optimizers.network`) gives a `NetworkTrajectory`, a surface config
    a `Trajectory`, in the order of `configs`."""
    from .network import is_network, normalize_network_config, run_networks

    if not any(is_network(c) for c in configs):
        return _run_surfaces(configs)
    networks = [c for c in configs if is_network(c)]
    surfaces = [c for c in configs if not is_network(c)]
    for c in networks:  # every config is checked before any runs, as for surfaces
        normalize_network_config(c)
    ran = iter(_run_surfaces(surfaces)) if surfaces else iter(())
    nets = iter(run_networks(networks))
    return [next(nets) if is_network(c) else next(ran) for c in configs]


def _run_surfaces(configs: Sequence[Mapping[str, Any]]) -> list[Trajectory]:
    checked = [normalize_config(c) for c in configs]
    members = [_members(c) for c in checked]
    groups: dict[str, list[Member]] = {}
    for c, ms in zip(checked, members, strict=True):
        groups.setdefault(_group_key(c), []).extend(ms)
    schedules = {}
    for key, group in groups.items():
        c, steps = group[0].config, max(m.steps for m in group)
        surface = get_surface(c["surface"], c["surface_params"])
        fn = surface.batch_fn or _whole_data(surface.fn)
        batches, epochs = _batch_schedule(surface.n_samples, c["batch_size"], c["seed"], steps)
        schedules[key] = (surface, batches, epochs)
        _lockstep([m for m in group if not m.spec.closure], fn, batches, steps)
        _closure_runs([m for m in group if m.spec.closure], fn, batches, steps,
                      surface_rows(surface.n_samples, c["batch_size"]))
    out = []
    for c, ms in zip(checked, members, strict=True):
        out.append(_assemble(c, ms, *schedules[_group_key(c)]))
    return out


def run(config: Mapping[str, Any]) -> Any:
    """Run one config (see `optimizers.config.DEFAULTS`) and return its Trajectory (a network config: its
    `NetworkTrajectory`)."""
    return run_many([config])[0]
