"""The engine: step real `torch.optim` optimizers and schedulers, record everything.

One step is exactly the loop PyTorch documents::

    optimizer.zero_grad(); loss.backward(); [clip]; optimizer.step(); scheduler.step()

`run_many` steps every run that shares a surface (and mini-batch schedule) in
lock-step: one forward/backward through the stacked positions gives each run
its own gradient, because the gradient of a sum of independent losses is each
loss's own gradient.  Starts of one run share one ``(n, 2)`` parameter when the
optimizer is element-wise (rows then evolve independently); otherwise each start
gets its own optimizer.  Either way the result equals separate runs.
"""

from __future__ import annotations

import json
import math
import operator
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.utils.data import DataLoader

from surfaces import get_surface

from .config import normalize_config
from .schedulers import SCHEDULERS, build_scheduler, step_scheduler
from .specs import OPTIMIZERS

DTYPES = {"float32": torch.float32, "float64": torch.float64}


@dataclass
class Trajectory:
    """What one run recorded.  Arrays have a start axis only when `start` was a list of points.

    xy[t] is the position after t steps and loss[t] the full-data loss there;
    lr[t], grad[t] (what the optimizer used, after clipping), state[key][t] (the
    optimizer's state after step t, broadcast to the parameter's shape) and
    evals[t] belong to step t.  `closure_xy`/`closure_loss`/`closure_step` hold
    every point LBFGS's closure evaluated.
    """

    config: dict
    xy: np.ndarray
    loss: np.ndarray
    lr: np.ndarray
    group_lr: np.ndarray
    grad: np.ndarray
    raw_grad: np.ndarray | None
    state: dict[str, np.ndarray]
    evals: np.ndarray
    wall_time: np.ndarray
    diverged_at: int | None | list[int | None]
    batches: np.ndarray | None = None
    epoch: np.ndarray | None = None
    closure_xy: np.ndarray | list | None = None
    closure_loss: np.ndarray | list | None = None
    closure_step: np.ndarray | list | None = None
    meta: dict = field(default_factory=dict)

    @property
    def update(self) -> np.ndarray:
        """Δθ at each step: xy[t + 1] − xy[t]."""
        return np.diff(self.xy, axis=0)

    @property
    def steps(self) -> int:
        return len(self.lr)


def _batch_schedule(n: int, batch_size: int | None, seed: int, steps: int):
    """Index batches of a seeded `DataLoader(shuffle=True, drop_last=False)`, epoch after epoch."""
    if batch_size is None:
        return None, None
    generator = torch.Generator().manual_seed(seed)
    loader = DataLoader(torch.arange(n), batch_size=batch_size, shuffle=True, generator=generator)
    batches, epochs = [], []
    epoch = 0
    while len(batches) < steps:
        for idx in loader:
            batches.append(idx)
            epochs.append(epoch)
            if len(batches) == steps:
                break
        epoch += 1
    return batches, np.array(epochs)


class Member:
    """One optimizer (and scheduler) moving one parameter that holds `rows` starts.

    After every step one `torch.cat` copies the position, the gradient and the
    optimizer's state into a row of a preallocated buffer (recording costs one
    call, not one per array).
    """

    def __init__(self, config: dict, starts: list, owner: int):
        self.config, self.owner, self.rows = config, owner, len(starts)
        self.spec = OPTIMIZERS[config["optimizer"]]
        self.dtype = DTYPES[config["dtype"]]
        self.start = torch.tensor(starts, dtype=self.dtype)
        param = self.start[0] if self.rows == 1 else self.start  # one start: a plain 2-vector
        scales = config["lr_multipliers"]
        if scales is None:
            self.tensors = [param.clone().requires_grad_(True)]
            groups = [{"params": self.tensors}]
        else:  # one parameter group per coordinate, as in optim.SGD([{'params': [w]}, {'params': [b], 'lr': ...}])
            self.tensors = [param[..., i:i + 1].clone().requires_grad_(True) for i in range(2)]
            lr = config["hparams"]["lr"]
            groups = [{"params": [t], "lr": lr * s} for t, s in zip(self.tensors, scales, strict=True)]
        self.optimizer = self.spec.cls(groups, **config["hparams"])
        self.scheduler = build_scheduler(config["scheduler"], config["scheduler_params"], self.optimizer,
                                         config["steps"], scales)
        self.clipping = config["clip_grad_norm"] is not None or config["clip_grad_value"] is not None
        self.needs_loss = config["scheduler"] is not None and SCHEDULERS[config["scheduler"]].needs_loss
        self.done = 0                       # steps recorded
        self.buffer: torch.Tensor | None = None
        self.layout: list[tuple[str, int, int]] = []   # (name, tensor index, width) of each buffer slice
        self.grad: list[torch.Tensor] = []  # LBFGS: the gradient at the step's start, from the closure
        self.raw_grad: list[torch.Tensor] = []
        self.lr: list[list[float]] = []
        self.evals: list[int] = []          # LBFGS: closure calls per step (others: one)
        self.time: list[float] = []
        self.closure_points: list[tuple[int, torch.Tensor, float]] = []
        self.alive = True

    def position(self) -> torch.Tensor:
        """The starts as a (rows, 2) tensor (a view while there is one tensor)."""
        p = self.tensors[0] if len(self.tensors) == 1 else torch.cat(self.tensors, dim=-1)
        return p.view(self.rows, 2)

    def gradient(self) -> torch.Tensor:
        g = self.tensors[0].grad if len(self.tensors) == 1 else torch.cat([t.grad for t in self.tensors], -1)
        return g.view(self.rows, 2)

    def clip(self, record: bool) -> None:
        """Clip the gradient in place as configured (torch.nn.utils), keeping the raw one if `record`."""
        c = self.config
        if record and self.clipping:
            self.raw_grad.append(self.gradient().clone())
        if c["clip_grad_value"] is not None:
            torch.nn.utils.clip_grad_value_(self.tensors, c["clip_grad_value"])
        if c["clip_grad_norm"] is not None:
            torch.nn.utils.clip_grad_norm_(self.tensors, c["clip_grad_norm"])

    def _plan(self) -> None:
        """Choose what each buffer row holds, from the state the first step created.

        Every slot has the parameter's shape (scalars are broadcast), so one
        `torch.stack` per step fills a row.
        """
        first = self.tensors[0]
        names = ["xy"] if self.spec.closure else ["xy", "grad"]
        names += [k for k, v in self.optimizer.state[first].items() if isinstance(v, int | float) or (
            torch.is_tensor(v) and v.numel() in (1, first.numel()))]
        self.layout = [(name, i) for name in names for i in range(len(self.tensors))]
        self.buffer = torch.empty(self.config["steps"], len(self.layout), *first.shape, dtype=self.dtype)
        self._rows = self.buffer.unbind(0)
        self._parts = [self.tensors[i].detach() if name == "xy" else None for name, i in self.layout]
        self._grad_slots = [(k, self.tensors[i]) for k, (name, i) in enumerate(self.layout) if name == "grad"]
        self._state_slots = [(k, self.optimizer.state[self.tensors[i]], name)
                             for k, (name, i) in enumerate(self.layout) if name not in ("xy", "grad")]
        self._dicts = [d for _, d, _ in self._state_slots]
        self._names = [name for _, _, name in self._state_slots]
        self._objects: list = [None] * len(self._state_slots)

    def _refresh_state_views(self) -> None:
        """Views of the state entries.  Optimizers update their state tensors in place, so the
        views are made again only when an entry is a new object (or a Python number)."""
        shape = self.tensors[0].shape
        for j, (k, state, name) in enumerate(self._state_slots):
            source = state.get(name, math.nan)
            value = source.detach() if torch.is_tensor(source) else torch.tensor(float(source), dtype=self.dtype)
            self._parts[k] = value.reshape(()).expand(shape) if value.numel() == 1 else value.view(shape)
            self._objects[j] = source

    def finish_step(self, loss: float | None, evals: int, t0: float) -> None:
        """After `optimizer.step()`: record position, gradient, state and LR; step the scheduler."""
        if self.buffer is None:
            self._plan()
        for k, tensor in self._grad_slots:
            self._parts[k] = tensor.grad  # optimizers read .grad without changing it
        if not all(map(operator.is_, map(dict.get, self._dicts, self._names), self._objects)):
            self._refresh_state_views()
        torch.stack(self._parts, out=self._rows[self.done])
        self.done += 1
        self.lr.append([g["lr"] for g in self.optimizer.param_groups])
        if self.spec.closure:
            self.evals.append(evals)
        if self.scheduler is not None:
            step_scheduler(self.scheduler, loss, self.config["scheduler"])
        self.time.append(time.perf_counter() - t0)

    def records(self) -> dict[str, torch.Tensor]:
        """The buffer as named (steps done, rows, 2) tensors (scalars broadcast per coordinate)."""
        if self.buffer is None:
            return {}
        done = self.buffer[:self.done]
        parts: dict[str, list[torch.Tensor]] = {}
        for k, (name, _) in enumerate(self.layout):
            parts.setdefault(name, []).append(done[:, k].reshape(self.done, self.rows, -1))
        return {name: torch.cat(p, dim=-1) for name, p in parts.items()}

    def step_closure(self, fn, batch, t: int, t0: float) -> None:
        """One LBFGS `optimizer.step(closure)`, recording every point the closure evaluates."""
        def closure():
            self.optimizer.zero_grad()
            loss = fn(self.position(), batch).sum()
            loss.backward()
            first = not self.closure_points or self.closure_points[-1][0] != t
            self.clip(record=first)
            if first:
                self.grad.append(self.gradient().clone())
            self.closure_points.append((t, self.position().detach().clone(), loss.item()))
            return loss

        loss = float(self.optimizer.step(closure).detach())
        if not math.isfinite(loss):
            self.alive = False
            return
        self.finish_step(loss, sum(1 for p in self.closure_points if p[0] == t), t0)


CHECK_EVERY = 16  # steps between checks for runs whose every start diverged (they stop)


def _lockstep(members: list[Member], fn, batches, steps: int) -> None:
    """Step element-wise members together: one forward/backward for all of them.

    Members whose every start has diverged stop at the next check (every CHECK_EVERY steps).
    """
    t0 = time.perf_counter()
    active = list(members)
    needs_loss = any(m.needs_loss for m in active)
    for t in range(steps if active else 0):
        batch = None if batches is None else batches[t]
        for m in active:
            m.optimizer.zero_grad()
        if len(active) == 1 and len(active[0].tensors) == 1:  # the plain loop: loss = f(p)
            losses = fn(active[0].tensors[0], batch)
        else:
            losses = fn(torch.cat([m.position() for m in active]), batch)
        (losses if losses.dim() == 0 else losses.sum()).backward()
        check = t % CHECK_EVERY == 0 or t == steps - 1
        per_member = None
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


def _closure_runs(members: list[Member], fn, batches, steps: int) -> None:
    for m in members:
        t0 = time.perf_counter()
        for t in range(steps):
            m.step_closure(fn, None if batches is None else batches[t], t, t0)
            if not m.alive:
                break


def _members(config: dict, index: int) -> list[Member]:
    """One member for all starts where that is exact, else one per start."""
    spec = OPTIMIZERS[config["optimizer"]]
    starts = config["start"] if _several(config) else [config["start"]]
    scheduler = config["scheduler"]
    shared = (spec.elementwise and config["clip_grad_norm"] is None
              and not (scheduler is not None and SCHEDULERS[scheduler].needs_loss))
    return [Member(config, starts, index)] if shared else [Member(config, [s], index) for s in starts]


def _several(config: dict) -> bool:
    return isinstance(config["start"][0], list)


def _pad(a: np.ndarray, length: int) -> np.ndarray:
    """Pad axis 0 to `length` steps (a run that stopped after it diverged): NaN, or 0 for counts."""
    if len(a) >= length:
        return a
    fill = np.nan if np.issubdtype(a.dtype, np.floating) else 0
    return np.concatenate([a, np.full((length - len(a), *a.shape[1:]), fill, dtype=a.dtype)])


def _member_arrays(m: Member, steps: int) -> dict[str, np.ndarray | None]:
    """What one member recorded, as (steps[+1], rows, ...) arrays."""
    out = {k: v.numpy() for k, v in m.records().items()}
    out["xy"] = np.concatenate([m.start.numpy()[None], out.get("xy", np.empty((0, m.rows, 2)))])
    if m.spec.closure:
        out["grad"] = torch.stack(m.grad[:m.done]).numpy() if m.done else np.empty((0, m.rows, 2))
    out["grad"] = out.get("grad", np.empty((0, m.rows, 2)))
    if m.clipping:
        out["raw_grad"] = torch.stack(m.raw_grad[:m.done]).numpy() if m.done else np.empty((0, m.rows, 2))
    per_row = lambda a: np.repeat(np.asarray(a)[:, None], m.rows, axis=1)  # noqa: E731
    out["group_lr"] = per_row(np.array(m.lr, dtype=float).reshape(m.done, -1))
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


def _blank_after_divergence(arrays: dict[str, np.ndarray]) -> list[int | None]:
    """First non-finite step of each start; every per-step value from there on becomes NaN."""
    xy, loss = arrays["xy"], arrays["loss"]
    bad = ~(np.isfinite(xy).all(-1) & np.isfinite(loss))
    diverged = [int(col.argmax()) if col.any() else None for col in bad.T]
    for i, first in enumerate(diverged):
        if first is not None:
            for key, a in arrays.items():
                if a.dtype.kind == "f" and key != "wall_time":
                    a[first:, i] = np.nan
    return diverged


def _assemble(config: dict, members: list[Member], surface, batches, epochs) -> Trajectory:
    steps, several = config["steps"], _several(config)
    parts = [_member_arrays(m, steps) for m in members]
    keys = [k for k in parts[0] if k != "wall_time" and all(k in p for p in parts)]
    arrays = {k: np.concatenate([p[k] for p in parts], axis=1) for k in keys}  # join the starts axis
    arrays["loss"] = _full_loss(surface.fn, arrays["xy"], DTYPES[config["dtype"]], surface.n_samples)
    diverged = _blank_after_divergence(arrays)
    one = (lambda a: a) if several else (lambda a: a[:, 0])
    named = ("xy", "loss", "grad", "group_lr", "evals", "raw_grad")
    closure = [_closure_arrays(m) for m in members] if members[0].spec.closure else None
    closure_field = lambda k: None if closure is None else ([c[k] for c in closure] if several else closure[0][k])  # noqa: E731
    return Trajectory(
        config=config, xy=one(arrays["xy"]), loss=one(arrays["loss"]), lr=arrays["group_lr"][:, 0, 0],
        group_lr=one(arrays["group_lr"]), grad=one(arrays["grad"]),
        raw_grad=one(arrays["raw_grad"]) if "raw_grad" in arrays else None,
        state={k: one(v) for k, v in arrays.items() if k not in named}, evals=one(arrays["evals"]),
        wall_time=parts[0]["wall_time"], diverged_at=diverged if several else diverged[0],
        batches=None if batches is None else _padded(batches), epoch=epochs,
        closure_xy=closure_field("xy"), closure_loss=closure_field("loss"), closure_step=closure_field("step"))


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


def _group_key(c: dict) -> str:
    """Runs with equal keys see the same surface and the same batches: they can share a forward pass."""
    return json.dumps([c["surface"], c["surface_params"], c["dtype"], c["batch_size"], c["seed"], c["steps"]],
                      sort_keys=True)


def run_many(configs: list[dict]) -> list[Trajectory]:
    """`[run(c) for c in configs]`, with runs on the same surface stepped in lock-step."""
    configs = [normalize_config(c) for c in configs]
    members = [_members(c, i) for i, c in enumerate(configs)]
    groups: dict[str, list[Member]] = {}
    for c, ms in zip(configs, members, strict=True):
        groups.setdefault(_group_key(c), []).extend(ms)
    schedules = {}
    for key, group in groups.items():
        c = group[0].config
        surface = get_surface(c["surface"], c["surface_params"])
        fn = surface.batch_fn or (lambda p, idx, f=surface.fn: f(p))
        batches, epochs = _batch_schedule(surface.n_samples, c["batch_size"], c["seed"], c["steps"])
        schedules[key] = (surface, batches, epochs)
        _lockstep([m for m in group if not m.spec.closure], fn, batches, c["steps"])
        _closure_runs([m for m in group if m.spec.closure], fn, batches, c["steps"])
    out = []
    for c, ms in zip(configs, members, strict=True):
        out.append(_assemble(c, ms, *schedules[_group_key(c)]))
    return out


def run(config: dict) -> Trajectory:
    """Run one config (see `optimizers.config.DEFAULTS`) and return its Trajectory."""
    return run_many([config])[0]
