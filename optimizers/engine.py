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
    """One optimizer (and scheduler) moving one parameter that holds `rows` starts."""

    def __init__(self, config: dict, starts: list, owner: int):
        self.config, self.owner, self.rows = config, owner, len(starts)
        self.spec = OPTIMIZERS[config["optimizer"]]
        start = torch.tensor(starts, dtype=DTYPES[config["dtype"]])
        param = start[0] if self.rows == 1 else start  # one start: a plain 2-vector, as a student writes it
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
        self.xy, self.grad, self.raw_grad, self.lr, self.evals, self.time = [start], [], [], [], [], []
        self.state: dict[str, list[list[torch.Tensor]]] = {}
        self.closure_points: list[tuple[int, torch.Tensor, float]] = []
        self.alive = True

    def position(self) -> torch.Tensor:
        """The starts as a (rows, 2) tensor (a view while there is one tensor)."""
        p = self.tensors[0] if len(self.tensors) == 1 else torch.cat(self.tensors, dim=-1)
        return p.view(self.rows, 2)

    def gradient(self) -> torch.Tensor:
        g = self.tensors[0].grad if len(self.tensors) == 1 else torch.cat([t.grad for t in self.tensors], -1)
        return g.view(self.rows, 2)

    def clip(self, record: bool = True) -> None:
        """Clip the gradient in place as configured; record what the optimizer will use."""
        c = self.config
        if record and self.clipping:
            self.raw_grad.append(self.gradient().clone())
        if c["clip_grad_value"] is not None:
            torch.nn.utils.clip_grad_value_(self.tensors, c["clip_grad_value"])
        if c["clip_grad_norm"] is not None:
            torch.nn.utils.clip_grad_norm_(self.tensors, c["clip_grad_norm"])
        if record:
            self.grad.append(self.gradient().clone())

    def finish_step(self, loss: float | None, evals: int, t0: float) -> None:
        """After `optimizer.step()`: record position, LR and state, then step the scheduler."""
        self.xy.append(self.position().detach().clone())
        self.lr.append([g["lr"] for g in self.optimizer.param_groups])
        self.evals.append(evals)
        for i, tensor in enumerate(self.tensors):
            for key, value in self.optimizer.state[tensor].items():
                value = torch.as_tensor(value) if isinstance(value, int | float) else value
                if torch.is_tensor(value) and value.numel() in (1, tensor.numel()):
                    shape = (self.rows, tensor.numel() // self.rows)
                    value = value.detach().reshape(()).expand(shape) if value.numel() == 1 else value
                    per_tensor = self.state.setdefault(key, [[] for _ in self.tensors])
                    per_tensor[i].append(value.detach().reshape(shape).clone())
        step_scheduler(self.scheduler, loss, self.config["scheduler"])
        self.time.append(time.perf_counter() - t0)

    def step_closure(self, fn, batch, t: int, t0: float) -> None:
        """One LBFGS `optimizer.step(closure)`, recording every point the closure evaluates."""
        def closure():
            self.optimizer.zero_grad()
            loss = fn(self.position(), batch).sum()
            loss.backward()
            first = not self.closure_points or self.closure_points[-1][0] != t
            self.clip(record=first)
            self.closure_points.append((t, self.position().detach().clone(), loss.item()))
            return loss

        loss = float(self.optimizer.step(closure).detach())
        if not np.isfinite(loss):
            self.alive = False
            return
        self.finish_step(loss, sum(1 for p in self.closure_points if p[0] == t), t0)


def _lockstep(members: list[Member], fn, batches, steps: int) -> None:
    """Step element-wise members together: one forward/backward for all of them."""
    t0 = time.perf_counter()
    for t in range(steps):
        active = [m for m in members if m.alive]
        if not active:
            return
        batch = None if batches is None else batches[t]
        for m in active:
            m.optimizer.zero_grad()
        positions = [m.position() for m in active]
        losses = fn(positions[0] if len(active) == 1 else torch.cat(positions), batch)
        losses.sum().backward()
        finite = torch.isfinite(losses)
        split = losses.detach().split([m.rows for m in active])
        ok = finite.split([m.rows for m in active])
        for m, member_loss, member_ok in zip(active, split, ok, strict=True):
            if not member_ok.any():  # every start of this member has diverged
                m.alive = False
                continue
            m.clip()
            m.optimizer.step()
            m.finish_step(member_loss.sum().item() if m.needs_loss else None, 1, t0)


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


def _stack(items: list[torch.Tensor], length: int) -> np.ndarray:
    """Stack per-step tensors; NaN-pad to `length` steps (a run stopped when it diverged)."""
    out = torch.stack(items).numpy()
    if len(out) < length:
        fill = np.nan if np.issubdtype(out.dtype, np.floating) else 0
        pad = np.full((length - len(out), *out.shape[1:]), fill, dtype=out.dtype)
        out = np.concatenate([out, pad])
    return out


def _state_arrays(member: Member, length: int) -> dict[str, np.ndarray]:
    """Each state entry shaped like the position: (steps, rows, 2)."""
    dtype = member.xy[0].dtype
    return {key: _stack([torch.cat(parts, dim=-1).to(dtype) for parts in zip(*per_tensor, strict=True)], length)
            for key, per_tensor in member.state.items() if per_tensor[0]}


def _full_loss(fn, xy: np.ndarray, dtype: torch.dtype, n_samples: int | None) -> np.ndarray:
    """The full-data loss at every recorded position, evaluated in chunks of steps."""
    points = torch.from_numpy(xy).to(dtype)
    per_step = points[0].numel() * (n_samples or 1)
    chunk = max(1, 2_000_000 // per_step)
    with torch.no_grad():
        return torch.cat([fn(points[i:i + chunk]) for i in range(0, len(points), chunk)]).numpy()


def _assemble(config: dict, members: list[Member], surface, batches, epochs) -> Trajectory:
    steps, several = config["steps"], _several(config)
    cat = lambda arrays: np.concatenate(arrays, axis=1)  # noqa: E731  (join the starts axis)
    xy = cat([_stack(m.xy, steps + 1) for m in members])
    loss = _full_loss(surface.fn, xy, DTYPES[config["dtype"]], surface.n_samples)
    grad = cat([_stack(m.grad, steps) for m in members])
    raw = cat([_stack(m.raw_grad, steps) for m in members]) if members[0].clipping else None
    states = [_state_arrays(m, steps) for m in members]
    state = {k: cat([s[k] for s in states]) for k in states[0] if all(k in s for s in states)}
    group_lr = np.stack([_stack([torch.tensor(lr, dtype=torch.float64) for lr in m.lr], steps)
                         for m in members for _ in range(m.rows)], axis=1)
    evals = np.stack([_stack([torch.tensor(e) for e in m.evals], steps) for m in members
                      for _ in range(m.rows)], axis=1)
    diverged = []
    for i in range(xy.shape[1]):
        bad = ~(np.isfinite(xy[:, i]).all(-1) & np.isfinite(loss[:, i]))
        first = int(bad.argmax()) if bad.any() else None
        diverged.append(first)
        if first is not None:
            for array in (xy, loss):
                array[first:, i] = np.nan
            for array in (grad, raw, group_lr, *state.values()):
                if array is not None:
                    array[first:, i] = np.nan
    closure = [_closure_arrays(m) for m in members] if members[0].spec.closure else None
    squeeze = (lambda a: a) if several else (lambda a: None if a is None else a[:, 0])
    first_closure = (lambda k: [c[k] for c in closure] if several else closure[0][k]) if closure else (lambda k: None)
    return Trajectory(
        config=config, xy=squeeze(xy), loss=squeeze(loss), lr=group_lr[:, 0, 0], group_lr=squeeze(group_lr),
        grad=squeeze(grad), raw_grad=squeeze(raw), state={k: squeeze(v) for k, v in state.items()},
        evals=squeeze(evals), wall_time=_stack([torch.tensor(t) for t in members[0].time] or [torch.tensor(0.0)],
                                                steps),
        diverged_at=diverged if several else diverged[0],
        batches=None if batches is None else _padded(batches), epoch=epochs,
        closure_xy=first_closure("xy"), closure_loss=first_closure("loss"), closure_step=first_closure("step"))


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
