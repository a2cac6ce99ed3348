"""Real networks: a small MLP classifying 2-D points, trained by a real `torch.optim` optimizer.

A network run is a config like a surface run, with a ``"network"`` entry in place of the surface::

    run({"network": {"dataset": "spiral2", "hidden": [16, 16]}, "steps": 1000,
         "optimizer": "Adam", "hparams": {"lr": 0.01}})

The model is ``nn.Sequential(nn.Linear(2, h₁), act, …, nn.Linear(h_k, classes))`` made right after
``torch.manual_seed(init_seed)`` (PyTorch's default initialisation), so every run of one network starts from the
same weights.  With ``lr_multipliers = [m_base, m_head]`` the hidden layers (``base``) and the output layer
(``head``) are two parameter groups with learning rates lr·m_base and lr·m_head, as in the course's
``optim.SGD([{'params': model.base.parameters()}, {'params': model.special.parameters(), 'lr': 0.001}], lr=1e-4)``.
One step is the loop PyTorch documents, on the training set (or a seeded mini-batch of it)::

    optimizer.zero_grad(); loss = CrossEntropyLoss()(model(x), y); loss.backward(); [clip]; optimizer.step();
    scheduler.step()

The weights equal a hand-written loop's bit for bit (tests/test_network.py; `optimizers.codegen.torch_code`
writes that loop out).  Recording costs a few torch calls per step (bench/network_bench.py: ~1.15 × a bare loop):
the gradients are views of one flat tensor, zeroed in one call (what ``zero_grad()`` does: backward() then writes
into them), each layer's own ``forward`` is called without ``Module.__call__``'s hook machinery, and the weights,
the per-layer squared gradient norms and the training predictions' hits go into preallocated buffers.  After the
runs, the weights of runs of one network are evaluated together (`Batched`, batched matmuls) on the test set, and
on the training set for mini-batch runs.  `run_networks` is what `optimizers.run_many` calls for network configs;
`normalize_network_config` refuses a run past the cost budget (`budget.check_network`).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from schema import ConfigError, Param, mapping, shown
from surfaces.classification import DATASETS, MAX_CLASSES, MAX_POINTS, make_points, split

ACTIVATIONS: dict[str, type[nn.Module]] = {"ReLU": nn.ReLU, "Tanh": nn.Tanh, "Sigmoid": nn.Sigmoid, "GELU": nn.GELU}
MAX_LAYERS, MAX_WIDTH = 3, 64

NETWORK: dict[str, Any] = {   # what a network config may leave out; the keys it may hold
    "dataset": "moons",       # a generated data set (surfaces.classification.DATASETS), used when points is None
    "n": 400,                 # points generated (training and test together)
    "noise": 0.2,             # standard deviation of the noise added to the generated points
    "data_seed": 0,           # seed of the generated points and of the train/test split
    "points": None,           # a student's own data: {"x1": [...], "x2": [...], "label": [...]}
    "test_fraction": 0.25,    # share of the points held out for testing
    "hidden": [16, 16],       # widths of the hidden layers (0 to 3 of them)
    "activation": "ReLU",
    "init_seed": 0,           # torch.manual_seed before the model is made
}
_PARAMS = (
    Param("dataset", "choice", "moons", "network.dataset", choices=tuple(DATASETS)),
    Param("n", "int", 400, "network.n", low=10, high=MAX_POINTS),
    Param("noise", "float", 0.2, "network.noise", low=0.0, high=2.0),
    Param("data_seed", "int", 0, "network.data_seed", low=0, high=2**31 - 1),
    Param("test_fraction", "float", 0.25, "network.test_fraction", low=0.0, high=0.9),
    Param("hidden", "int_list", [16, 16], "network.hidden", low=1, high=MAX_WIDTH),
    Param("activation", "choice", "ReLU", "network.activation", choices=tuple(ACTIVATIONS)),
    Param("init_seed", "int", 0, "network.init_seed", low=0, high=2**31 - 1),
)


def normalize_network(raw: Any) -> dict[str, Any]:
    """The ``"network"`` entry with every key present and valid; ConfigError names the field."""
    raw = mapping(raw, "network")
    unknown = [k for k in raw if k not in NETWORK]
    if unknown:
        raise ConfigError("config.error.unknown_key", got=shown(unknown[0]), valid=", ".join(NETWORK))
    values = {**NETWORK, **raw}
    out = {p.key: p.validate(values[p.key], "network") for p in _PARAMS}
    if len(out["hidden"]) > MAX_LAYERS:
        raise ConfigError("network.error.layers", key="hidden", n=MAX_LAYERS)
    out["points"] = None if values["points"] is None else _points(values["points"])
    return {k: out[k] for k in NETWORK}


def _points(value: Any) -> dict[str, list]:
    """A student's points: {"x1", "x2", "label"} lists of equal length, finite numbers and class numbers 0…K−1."""
    if not isinstance(value, dict) or set(value) != {"x1", "x2", "label"}:
        raise ConfigError("network.error.points", key="points")
    x1, x2, label = (value[k] for k in ("x1", "x2", "label"))
    coordinate = Param("points", "float_list", None, "network.points", low=-1e6, high=1e6)
    x1, x2 = coordinate.validate(x1, "network"), coordinate.validate(x2, "network")
    label = Param("points", "int_list", None, "network.points", low=0, high=MAX_CLASSES - 1).validate(label, "network")
    if not 4 <= len(x1) == len(x2) == len(label) <= MAX_POINTS:
        raise ConfigError("network.error.points_count", key="points", n=MAX_POINTS)
    if len(set(label)) < 2:
        raise ConfigError("network.error.one_class", key="points")
    return {"x1": x1, "x2": x2, "label": label}


@dataclass(frozen=True)
class Data:
    """A network's data as torch tensors: float32 points, int64 labels."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    classes: int


def data_of(network: dict[str, Any]) -> Data:
    """The training and test sets of a normalized network entry (cached: the same tensors each time)."""
    return _data(json.dumps({k: network[k] for k in ("dataset", "n", "noise", "data_seed", "points", "test_fraction")},
                            sort_keys=True))


@lru_cache(maxsize=32)
def _data(key: str) -> Data:
    spec = json.loads(key)
    if spec["points"] is None:
        x, y = make_points(spec["dataset"], spec["n"], spec["noise"], spec["data_seed"])
        classes = DATASETS[spec["dataset"]]
    else:
        points = spec["points"]
        x = np.c_[points["x1"], points["x2"]].astype(np.float32)
        y = np.asarray(points["label"], dtype=np.int64)
        classes = int(y.max()) + 1
    x_train, y_train, x_test, y_test = (torch.from_numpy(np.ascontiguousarray(a))
                                        for a in split(x, y, spec["test_fraction"], spec["data_seed"]))
    return Data(x_train, y_train, x_test, y_test, classes=classes)


def build_model(network: dict[str, Any], classes: int) -> nn.Sequential:
    """``torch.manual_seed(init_seed)``, then the MLP with PyTorch's default initialisation."""
    torch.manual_seed(network["init_seed"])
    widths = [2, *network["hidden"]]
    layers: list[nn.Module] = []
    for width_in, width_out in zip(widths, widths[1:], strict=False):
        layers += [nn.Linear(width_in, width_out), ACTIVATIONS[network["activation"]]()]
    layers.append(nn.Linear(widths[-1], classes))
    return nn.Sequential(*layers)


def layer_names(network: dict[str, Any]) -> list[str]:
    """The Linear layers' names in the model: "0", "2", … as ``model.named_parameters()`` prefixes them."""
    return [str(2 * i) for i in range(len(network["hidden"]) + 1)]


def param_groups(model: nn.Sequential, multipliers: list[float] | None, lr: float) -> list[dict]:
    """One group of every parameter, or ``base`` (hidden layers) and ``head`` (output layer) with lr × m each."""
    if multipliers is None:
        return [{"params": list(model.parameters())}]
    head = list(model[-1].parameters())
    base = [p for p in model.parameters() if not any(p is h for h in head)]
    return [{"params": base, "lr": lr * multipliers[0]}, {"params": head, "lr": lr * multipliers[1]}]


def layer_shapes(model: nn.Sequential) -> list[torch.Size]:
    """The shapes of the model's parameters, in ``model.parameters()`` order: (out, in) and (out,) per layer."""
    return [p.shape for p in model.parameters()]


class Batched:
    """A network's forward pass for many flat weight vectors at once.

    A weight vector θ is the model's parameters flattened in ``model.parameters()`` order
    (``torch.nn.utils.parameters_to_vector``).  Layer by layer, :math:`H \\leftarrow \\sigma(H W^\\top + b)` for a chunk
    of K weight vectors at once (``torch.baddbmm``): what ``nn.Sequential(nn.Linear, act, …)`` computes for each
    (the tests check it against the model), several times faster than ``vmap`` over ``functional_call``.
    """

    CHUNK_FLOATS = 1 << 19  # activations alive in one chunk (weight vectors × points × width): ~2 MB, in the cache

    def __init__(self, network: dict[str, Any], classes: int):
        self.network, self.classes = network, classes
        widths = [2, *network["hidden"], classes]
        self.shapes = [torch.Size(shape) for a, b in zip(widths, widths[1:], strict=False) for shape in ((b, a), (b,))]
        self.sizes = [shape.numel() for shape in self.shapes]
        self.names = [f"{2 * (i // 2)}.{'weight' if i % 2 == 0 else 'bias'}" for i in range(len(self.shapes))]
        self.width = max(widths)
        self.activation = ACTIVATIONS[network["activation"]]()

    @cached_property
    def model(self) -> nn.Sequential:
        """The model (made on first use: `build_model` seeds torch's global generator)."""
        return build_model(self.network, self.classes)

    def _forward(self, theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """One weight vector's logits through the model itself (``torch.func.functional_call``)."""
        params = {name: part.view(shape) for name, part, shape in
                  zip(self.names, theta.split(self.sizes), self.shapes, strict=True)}
        return torch.func.functional_call(self.model, params, (x,))

    def _chunks(self, thetas: torch.Tensor, rows: int):
        step = max(1, self.CHUNK_FLOATS // max(1, rows * self.width))
        return thetas.split(step)

    def _logits(self, chunk: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        k, layers = len(chunk), len(self.shapes) // 2
        parts = chunk.split(self.sizes, dim=1)
        h = x.to(chunk.dtype).expand(k, -1, -1)
        for i in range(layers):
            weight, bias = parts[2 * i].view(k, *self.shapes[2 * i]), parts[2 * i + 1]
            h = torch.baddbmm(bias.unsqueeze(1), h, weight.transpose(1, 2))
            if i < layers - 1:
                h = self.activation(h)
        return h

    @torch.no_grad()
    def logits(self, thetas: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """(K, n, classes): the model's outputs at points `x` (n, 2) for each of `thetas` (K, P)."""
        return torch.cat([self._logits(chunk, x) for chunk in self._chunks(thetas, len(x))])

    @torch.no_grad()
    def loss_and_accuracy(self, thetas: torch.Tensor, x: torch.Tensor, y: torch.Tensor):
        """(K,) cross-entropy losses and (K,) accuracies of each weight vector on (x, y)."""
        losses, hits = self.loss_and_hits(thetas, x, y)
        return losses, hits.to(thetas.dtype) / max(1, len(y)) if len(x) else losses

    @torch.no_grad()
    def loss_and_hits(self, thetas: torch.Tensor, x: torch.Tensor, y: torch.Tensor):
        """(K,) cross-entropy losses and (K,) numbers of points classified right (int64) of each weight vector."""
        if len(x) == 0:
            return torch.full((len(thetas),), float("nan"), dtype=thetas.dtype), torch.zeros(len(thetas),
                                                                                              dtype=torch.long)
        losses, hits = torch.empty(len(thetas), dtype=thetas.dtype), torch.empty(len(thetas), dtype=torch.long)
        start = 0
        for chunk in self._chunks(thetas, len(x)):
            h, k = self._logits(chunk, x), len(chunk)
            losses[start:start + k] = F.cross_entropy(h.transpose(1, 2), y.expand(k, -1), reduction="none").mean(1)
            torch.sum(h.argmax(-1) == y, dim=-1, out=hits[start:start + k])
            start += k
        return losses, hits


@dataclass
class NetworkTrajectory:
    """What a network run recorded.  ``params[t]`` is the flat weight vector after t steps (``params[0]`` the
    initial weights); ``loss[t]`` the full training-set loss there, ``test_loss[t]``/``test_accuracy[t]`` and
    ``accuracy[t]`` the same on the test and training sets; ``lr[t]`` and ``group_lr[t]`` (one column per
    parameter group) and ``grad_norm[t]`` (the gradient's norm in each Linear layer, before clipping) belong to
    step t; ``evals[t]`` counts the loss evaluations of step t (LBFGS may make several).  After ``diverged_at``
    (the first weights or loss that is not finite) everything is NaN.  Full batch, ``loss[t]`` is step t's own
    loss (what the loop's ``loss.item()`` gives) and the last one the model's on the final weights; with
    mini-batches it is evaluated.  Accuracies are exact fractions; gradient norms are computed in float64 (a
    float32 norm overflows past ~1.8e19).  ``stopped_at`` (LBFGS) is the first weight vector not computed because
    the run reached its share of the cost budget (`budget.network_cap`, or its CPU-time safety net): NaN from there,
    not diverged.
    """

    config: dict
    params: np.ndarray
    loss: np.ndarray
    accuracy: np.ndarray
    test_loss: np.ndarray
    test_accuracy: np.ndarray
    lr: np.ndarray
    group_lr: np.ndarray
    grad_norm: np.ndarray
    evals: np.ndarray
    wall_time: np.ndarray
    diverged_at: int | None
    batches: np.ndarray | None = None
    epoch: np.ndarray | None = None
    stopped_at: int | None = None

    @property
    def steps(self) -> int:
        return len(self.lr)

    @property
    def finite_len(self) -> int:
        """How many leading weight vectors are finite: up to `diverged_at`, else all."""
        return len(self.params) if self.diverged_at is None else self.diverged_at


RUN_KEYS = ("steps", "optimizer", "hparams", "scheduler", "scheduler_params", "batch_size", "seed",
            "clip_grad_norm", "clip_grad_value", "lr_multipliers", "dtype")


def normalize_network_config(config: Any) -> dict[str, Any]:
    """A network run's config with every key present and valid: ``network`` and the keys every run has
    (`optimizers.config.optimization`).  ConfigError names the field."""
    from . import budget
    from .config import DEFAULTS, optimization

    if not isinstance(config, dict):
        raise ConfigError("config.error.mapping")
    unknown = [k for k in config if k != "network" and k not in RUN_KEYS]
    if unknown:
        raise ConfigError("config.error.unknown_key", got=shown(unknown[0]), valid=", ".join(("network", *RUN_KEYS)))
    network = normalize_network(config.get("network"))
    data = data_of(network)
    c = {**{k: DEFAULTS[k] for k in RUN_KEYS}, **config}
    out = {"network": network, **optimization(c, n_samples=len(data.y_train), data="network")}
    if out["lr_multipliers"] is not None and not network["hidden"]:
        raise ConfigError("network.error.groups", key="lr_multipliers")
    budget.check_network(out)  # what it would cost: refused past the budget, before it runs
    return out


def is_network(config: Any) -> bool:
    """Whether `config` is a network run's (it has a ``"network"`` key) rather than a surface run's."""
    return isinstance(config, Mapping) and "network" in config


def normalize(config: Any) -> dict[str, Any]:
    """A surface's or a network's run config, normalized (`normalize_config` or `normalize_network_config`)."""
    from .config import normalize_config

    return normalize_network_config(config) if is_network(config) else dict(normalize_config(config))


def run_networks(configs: Sequence[Mapping[str, Any]]) -> list[NetworkTrajectory]:
    """`[run_network(c) for c in configs]`: each trained on its own, then the weights of runs of one network (same
    layers, data and dtype) evaluated together, in one batched pass."""
    checked = [normalize_network_config(c) for c in configs]
    trained = [_Training(c) for c in checked]
    for run in trained:
        run.train()
    groups: dict[str, list[_Training]] = {}
    for run in trained:
        groups.setdefault(run.group_key(), []).append(run)
    for group in groups.values():
        _evaluate(group)
    return [run.trajectory() for run in trained]


def first_steps(traj: NetworkTrajectory, n: int) -> NetworkTrajectory:
    """The first `n` steps of `traj`, as a run of its config with ``steps = n`` records them.

    Exact when nothing depends on the number of steps (no scheduler): step t only sees the steps before it, and a
    seeded schedule of batches starts the same whatever its length.  Arrays are views of `traj`'s."""
    if traj.config["scheduler"] is not None:
        raise ValueError("a run with a scheduler depends on its number of steps")
    if not 0 < n <= traj.steps:
        raise ValueError(f"n must be in [1, {traj.steps}], got {n}")
    head = lambda a: None if a is None else a[:n]  # noqa: E731
    within = lambda at: at if at is not None and at <= n else None  # noqa: E731
    return replace(traj, config={**traj.config, "steps": n}, params=traj.params[:n + 1], loss=traj.loss[:n + 1],
                   accuracy=traj.accuracy[:n + 1], test_loss=traj.test_loss[:n + 1],
                   test_accuracy=traj.test_accuracy[:n + 1], lr=traj.lr[:n], group_lr=traj.group_lr[:n],
                   grad_norm=traj.grad_norm[:n], evals=traj.evals[:n], wall_time=traj.wall_time[:n],
                   batches=head(traj.batches), epoch=head(traj.epoch), diverged_at=within(traj.diverged_at),
                   stopped_at=within(traj.stopped_at))


def run_network(config: Mapping[str, Any]) -> NetworkTrajectory:
    """Train the configured network: real torch optimizer and scheduler, everything recorded (see the module)."""
    return run_networks([config])[0]


# A safety net under the counted work: an LBFGS run stops (stopped_at) past this much CPU time of its thread, even
# inside a step (CPU time, not real time: a loaded machine does not cut a run short).
LBFGS_CPU_SECONDS = 8.0


class _OutOfTime(Exception):
    """Raised by an LBFGS closure past LBFGS_CPU_SECONDS."""


class _Training:
    """One network run: its model, real optimizer and scheduler, stepped as the loop PyTorch documents, recording
    into preallocated buffers (a few torch calls per step: the weights, the per-layer gradient norms, the
    predictions' hits, the loss as a number)."""

    def __init__(self, c: dict[str, Any]):
        from .budget import network_cap
        from .engine import _batch_schedule
        from .member import DTYPES
        from .schedulers import build_scheduler
        from .specs import OPTIMIZERS

        self.c, steps = c, c["steps"]
        self.data = data = data_of(c["network"])
        self.dtype = dtype = DTYPES[c["dtype"]]
        self.x, self.y = data.x_train.to(dtype), data.y_train
        self.model = build_model(c["network"], data.classes).to(dtype)
        self.params = list(self.model.parameters())
        self.optimizer = OPTIMIZERS[c["optimizer"]].cls(
            param_groups(self.model, c["lr_multipliers"], c["hparams"]["lr"]), **c["hparams"])
        self.scheduler = build_scheduler(c["scheduler"], c["scheduler_params"], self.optimizer, steps,
                                         c["lr_multipliers"])
        self.closure_based = OPTIMIZERS[c["optimizer"]].closure
        self.batches, self.epochs = _batch_schedule(len(self.x), c["batch_size"], c["seed"], steps)
        self.weights = torch.full((steps + 1, sum(p.numel() for p in self.params)), float("nan"), dtype=dtype)
        self.norms = torch.zeros(steps, len(self.params) // 2, dtype=torch.float64)  # squared, per layer
        self.hits = None if self.batches is not None else torch.zeros(steps + 1, len(self.y), dtype=torch.bool)
        self.losses: list[float] = []  # the loss of each step's (first) forward: at weights[t], on its batch
        self.group_lr = np.full((steps, len(self.optimizer.param_groups)), np.nan)
        self.evals = np.zeros(steps, dtype=int)
        self.wall = np.full(steps, np.nan)
        self.done, self.stopped = 0, False
        self.cap = network_cap(c) if self.closure_based else math.inf
        self.evaluated: dict[str, np.ndarray] = {}
        self.final_loss: float | None = None  # full batch: the loss at the last weights, when no step computed it

    def group_key(self) -> str:
        """Runs with equal keys have weight vectors of one network on one data set: evaluated together."""
        return json.dumps([{k: v for k, v in self.c["network"].items() if k != "init_seed"}, self.c["dtype"]],
                          sort_keys=True)

    def train(self) -> None:
        from .budget import network_step_work
        from .schedulers import step_scheduler

        c, model, optimizer, params = self.c, self.model, self.optimizer, self.params
        criterion = nn.CrossEntropyLoss()
        flat = [p.detach().view(-1) for p in params]  # views: the optimizer updates the parameters in place
        rows, norm_rows = self.weights.unbind(0), self.norms.unbind(0)
        # The gradients live in one flat tensor (each p.grad a view of it, which backward() accumulates into in
        # place): zeroing it is optimizer.zero_grad() in one call, and summing its squares (in float64, as torch's
        # norm accumulates on the CPU) by layer gives every layer's squared gradient norm in another few.
        sizes = [p.numel() for p in params]
        grad = torch.zeros(sum(sizes), dtype=self.dtype)
        grads = [g.view(p.shape) for p, g in zip(params, grad.split(sizes), strict=True)]
        for p, g in zip(params, grads, strict=True):
            p.grad = g
        layer_of = torch.repeat_interleave(torch.arange(len(params)) // 2, torch.tensor(sizes))
        layers = list(model)  # each layer's own forward, without Module.__call__'s hook machinery (no hooks)
        hit_rows = None if self.hits is None else self.hits.unbind(0)
        torch.cat(flat, out=rows[0])
        clip_value, clip_norm = c["clip_grad_value"], c["clip_grad_norm"]
        scheduler, name = self.scheduler, c["scheduler"]
        if scheduler is None:
            self.group_lr[:] = [g["lr"] for g in optimizer.param_groups]
        x, y, batches, evals, losses = self.x, self.y, self.batches, self.evals, self.losses
        work, step_work = 0.0, (0.0, 0.0)
        if self.closure_based:  # LBFGS: counted work per step, per closure call
            step_work = (network_step_work(c, 0), network_step_work(c, 1) - network_step_work(c, 0))
        t0, cpu0 = time.perf_counter(), time.thread_time()
        for t in range(c["steps"]):
            xb, yb = (x, y) if batches is None else (x[batches[t]], y[batches[t]])
            if scheduler is not None:
                self.group_lr[t] = [g["lr"] for g in optimizer.param_groups]

            def closure(xb=xb, yb=yb, t=t):
                if self.closure_based and time.thread_time() - cpu0 > LBFGS_CPU_SECONDS:
                    raise _OutOfTime  # the step is abandoned: its weights are not recorded
                grad.zero_()  # optimizer.zero_grad(), the gradients being views of `grad`
                logits = xb
                for layer in layers:
                    logits = layer.forward(logits)
                loss = criterion(logits, yb)
                loss.backward()
                if evals[t] == 0:  # the step's first forward: at weights[t]
                    losses.append(loss.item())
                    norm_rows[t].index_add_(0, layer_of, grad.to(torch.float64).square())
                    if hit_rows is not None:
                        torch.eq(logits.argmax(1), yb, out=hit_rows[t])
                if clip_value is not None:
                    nn.utils.clip_grad_value_(params, clip_value)
                if clip_norm is not None:
                    nn.utils.clip_grad_norm_(params, clip_norm)
                evals[t] += 1
                return loss

            if self.closure_based:
                try:
                    optimizer.step(closure)
                except _OutOfTime:
                    self.stopped = True
                    break
            else:
                closure()
                if not math.isfinite(losses[t]):  # weights[t] diverged: no step from there
                    break
                optimizer.step()
            torch.cat(flat, out=rows[t + 1])
            self.done = t + 1
            self.wall[t] = time.perf_counter() - t0
            if not math.isfinite(losses[t]):
                break
            step_scheduler(scheduler, losses[t], name)
            if self.closure_based:
                work += step_work[0] + step_work[1] * evals[t]
                if work > self.cap and t + 1 < c["steps"]:
                    self.stopped = True
                    break
        if hit_rows is not None and len(losses) == self.done:  # the last weights' loss, as the model computes it
            with torch.no_grad():
                logits = model(x)
                self.final_loss = criterion(logits, y).item()
                torch.eq(logits.argmax(1), y, out=hit_rows[self.done])

    def computed(self) -> torch.Tensor:
        """The weight vectors computed: weights[0 … done]."""
        return self.weights[:self.done + 1]

    def trajectory(self) -> NetworkTrajectory:
        """The recorded run: NaN after the first weights or loss that is not finite (`diverged_at`), or after the
        step where LBFGS passed its share of the budget (`stopped_at`)."""
        from .engine import _padded

        c, steps, done = self.c, self.c["steps"], self.done
        pad = lambda a: np.concatenate([np.asarray(a, dtype=float), np.full(steps + 1 - len(a), np.nan)])  # noqa: E731
        ev = self.evaluated
        if self.hits is None:  # mini-batches: the full training set's loss and accuracy, evaluated
            loss, accuracy = pad(ev["loss"]), pad(ev["accuracy"])
        else:  # full batch: each step's own loss; the last weights' loss evaluated after the run
            last = [] if self.final_loss is None else [self.final_loss]
            loss = pad((self.losses + last)[:done + 1])
            accuracy = pad(self.hits[:done + 1].sum(1).double().div_(len(self.y)).numpy())
        test_loss, test_accuracy = pad(ev["test_loss"]), pad(ev["test_accuracy"])
        params = self.weights.numpy()
        norms = self.norms.sqrt_().numpy()
        bad = ~(np.isfinite(params).all(1) & np.isfinite(loss))
        bad[done + 1:] = False
        diverged = int(bad.argmax()) if bad.any() else None
        stopped = done + 1 if self.stopped and diverged is None else None
        cut = diverged if diverged is not None else stopped
        group_lr, wall = self.group_lr, self.wall
        if cut is not None:
            for a in (params, loss, accuracy, test_loss, test_accuracy):
                a[cut:] = np.nan
        ran = done if cut is None else min(cut, done)  # steps that ran (a diverged one's values are blanked)
        for a in (group_lr, norms, wall):
            a[ran:] = np.nan
        self.evals[done:] = 0
        return NetworkTrajectory(
            config=c, params=params, loss=loss, accuracy=accuracy, test_loss=test_loss, test_accuracy=test_accuracy,
            lr=group_lr[:, 0].copy(), group_lr=group_lr, grad_norm=norms, evals=self.evals, wall_time=wall,
            diverged_at=diverged, batches=None if self.batches is None else _padded(self.batches), epoch=self.epochs,
            stopped_at=stopped)


def _losses_and_accuracies(batched: Batched, thetas: torch.Tensor, x: torch.Tensor, y: torch.Tensor):
    """(losses, accuracies) as numpy arrays; an accuracy is the exact fraction of points classified right (NaN
    without points)."""
    losses, hits = batched.loss_and_hits(thetas, x, y)
    return losses.numpy(), hits.double().div_(len(y)).numpy() if len(y) else np.full(len(thetas), np.nan)


def _evaluate(runs: list[_Training]) -> None:
    """The test set's loss and accuracy at every computed weight vector of `runs` (runs of one network), and for
    mini-batch runs the training set's: one batched pass over all of them."""
    data, dtype = runs[0].data, runs[0].dtype
    batched = Batched(runs[0].c["network"], data.classes)
    thetas = torch.cat([run.computed() for run in runs])
    sizes = [run.done + 1 for run in runs]
    test = _losses_and_accuracies(batched, thetas, data.x_test.to(dtype), data.y_test)
    minibatch = [run.hits is None for run in runs]
    if any(minibatch):
        mini = torch.cat([run.computed() for run in runs if run.hits is None])
        train = _losses_and_accuracies(batched, mini, data.x_train.to(dtype), data.y_train)
        mini_sizes = [run.done + 1 for run in runs if run.hits is None]
        train_parts = iter(list(zip(*(np.split(a, np.cumsum(mini_sizes)[:-1]) for a in train), strict=True)))
    for run, loss, accuracy, is_mini in zip(runs, *(np.split(a, np.cumsum(sizes)[:-1]) for a in test), minibatch,
                                            strict=True):
        run.evaluated = {"test_loss": loss, "test_accuracy": accuracy}
        if is_mini:
            run.evaluated["loss"], run.evaluated["accuracy"] = next(train_parts)


def class_probabilities(network: dict[str, Any], classes: int, thetas: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(K, G, classes) float32: ``softmax(model(points))`` at points (G, 2) for each of the weights `thetas` (K, P),
    in one batched forward pass."""
    logits = Batched(network, classes).logits(torch.as_tensor(np.asarray(thetas, dtype=np.float32)),
                                              torch.as_tensor(np.asarray(points, dtype=np.float32)))
    return torch.softmax(logits, dim=-1).numpy()
