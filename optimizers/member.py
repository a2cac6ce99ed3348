"""One optimizer stepping one parameter, recording every step: the engine's unit.

A `Member` owns a real `torch.optim` optimizer and scheduler for a parameter that
holds one start (a plain 2-vector, as a student writes it) or several (an
``(n, 2)`` tensor, for element-wise optimizers).  The engine drives its steps.
"""

from __future__ import annotations

import math
import operator
import time
from typing import TYPE_CHECKING, Any, cast

import torch

from .budget import lbfgs_step_work
from .schedulers import SCHEDULERS, build_scheduler, step_scheduler
from .specs import OPTIMIZERS

if TYPE_CHECKING:
    from .config import RunConfig

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def _numeric(value) -> bool:
    """A real number, or a tuple/list of them (betas): a group value recorded per step."""
    if isinstance(value, tuple | list):
        return len(value) > 0 and all(_numeric(v) and not isinstance(v, tuple | list) for v in value)
    return isinstance(value, int | float) and not isinstance(value, bool)


def hparam_keys(optimizer: torch.optim.Optimizer) -> tuple[str, ...]:
    """The optimizer's numeric hyperparameters other than lr (momentum, betas, eps, ...), as its first
    group holds them: what a scheduler may change (OneCycleLR and CyclicLR cycle momentum or β₁)."""
    group = optimizer.param_groups[0]
    return tuple(k for k in optimizer.defaults if k != "lr" and k in group and _numeric(group[k]))


class Member:
    """One optimizer (and scheduler) moving one parameter that holds `rows` starts.

    After every step one `torch.stack` copies the position, the gradient and the
    optimizer's state into a row of a preallocated buffer (recording costs one
    torch call, not one per array: the engine stays within ~15% of a bare loop).
    """

    def __init__(self, config: RunConfig, starts: list):
        self.config, self.rows, self.steps = config, len(starts), config["steps"]
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
        self.layout: list[tuple[str, int]] = []  # (name, tensor index) of each buffer slot
        self.grad: list[torch.Tensor] = []  # LBFGS: the gradient at the step's start, from the closure
        self.raw_grad: list[torch.Tensor] = []
        self.lr: list[list[float]] = []
        self.hparam_keys = hparam_keys(self.optimizer)
        self._hparams_of = operator.itemgetter(*self.hparam_keys) if len(self.hparam_keys) > 1 else (
            (lambda g, k=self.hparam_keys: (g[k[0]],)) if self.hparam_keys else None)
        self.hparams: list[list[tuple]] = []  # per step, per group: the values of hparam_keys torch stepped with
        self.evals: list[int] = []          # LBFGS: closure calls per step (others: one)
        self.time: list[float] = []
        self.closure_points: list[tuple[int, torch.Tensor, float]] = []
        self.alive = True
        self.work = 0.0                     # LBFGS: seconds of work counted so far (budget.lbfgs_step_work)
        self.cap = math.inf                 # … after which the run stops (budget.closure_cap)
        self.data_rows = (1, 1)             # … data rows of one closure call, of the full-data loss
        self.stopped = False                # LBFGS: stopped by the cap (not diverged)

    def position(self) -> torch.Tensor:
        """The starts as a (rows, 2) tensor (a view while there is one tensor)."""
        p = self.tensors[0] if len(self.tensors) == 1 else torch.cat(self.tensors, dim=-1)
        return p.view(self.rows, 2)

    def gradient(self) -> torch.Tensor:
        grads = [cast(torch.Tensor, t.grad) for t in self.tensors]  # set by backward()
        g = grads[0] if len(grads) == 1 else torch.cat(grads, -1)
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
        self._parts: list[Any] = [self.tensors[i].detach() if name == "xy" else None for name, i in self.layout]
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
        """After `optimizer.step()`: record position, gradient, state, LR and the other hyperparameters the
        step used (a scheduler may have changed them); step the scheduler."""
        if self.buffer is None:
            self._plan()
        for k, tensor in self._grad_slots:
            self._parts[k] = tensor.grad  # optimizers read .grad without changing it
        if not all(map(operator.is_, map(dict.get, self._dicts, self._names), self._objects)):
            self._refresh_state_views()
        torch.stack(self._parts, out=self._rows[self.done])
        self.done += 1
        self.lr.append([g["lr"] for g in self.optimizer.param_groups])
        if self._hparams_of is not None:
            self.hparams.append(list(map(self._hparams_of, self.optimizer.param_groups)))
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

        state = self.optimizer.state[self.tensors[0]]  # LBFGS keeps its state with its first parameter
        iterations, points = state.get("n_iter", 0), len(self.closure_points)
        loss = float(cast(torch.Tensor, self.optimizer.step(closure)).detach())  # LBFGS returns the first loss
        if not math.isfinite(loss):
            self.alive = False
            return
        evals = len(self.closure_points) - points
        self.finish_step(loss, evals, t0)
        iterations = state["n_iter"] - iterations
        self.work += lbfgs_step_work(evals, iterations, len(state.get("old_dirs", ())), self.data_rows,
                                     self.config["dtype"], self.config["hparams"]["line_search_fn"] is not None)
        if self.work > self.cap:
            self.alive, self.stopped = False, True
