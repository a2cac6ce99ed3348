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
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np
import torch
from torch import nn

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


class Batched:
    """A network's forward pass for many flat weight vectors at once (``torch.func.functional_call`` + ``vmap``).

    A weight vector θ is the model's parameters flattened in ``model.parameters()`` order
    (``torch.nn.utils.parameters_to_vector``).
    """

    CHUNK_FLOATS = 8_000_000  # activations alive in one vmap call: chunks of weight vectors stay under ~32 MB

    def __init__(self, network: dict[str, Any], classes: int):
        self.model = build_model(network, classes)
        self.names = [name for name, _ in self.model.named_parameters()]
        self.shapes = [p.shape for p in self.model.parameters()]
        self.sizes = [p.numel() for p in self.model.parameters()]
        self.width = max([2, *network["hidden"], classes])
        self._criterion = nn.CrossEntropyLoss()

    def _forward(self, theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        params = {name: part.view(shape) for name, part, shape in
                  zip(self.names, theta.split(self.sizes), self.shapes, strict=True)}
        return torch.func.functional_call(self.model, params, (x,))

    def _chunks(self, thetas: torch.Tensor, rows: int):
        step = max(1, self.CHUNK_FLOATS // max(1, rows * self.width))
        return thetas.split(step)

    @torch.no_grad()
    def logits(self, thetas: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """(K, n, classes): the model's outputs at points `x` (n, 2) for each of `thetas` (K, P)."""
        forward = torch.func.vmap(self._forward, in_dims=(0, None))
        return torch.cat([forward(chunk, x) for chunk in self._chunks(thetas, len(x))])

    @torch.no_grad()
    def loss_and_accuracy(self, thetas: torch.Tensor, x: torch.Tensor, y: torch.Tensor):
        """(K,) cross-entropy losses and (K,) accuracies of each weight vector on (x, y)."""
        if len(x) == 0:
            nan = torch.full((len(thetas),), float("nan"))
            return nan, nan
        losses, hits = [], []
        loss = torch.func.vmap(lambda theta: self._criterion(self._forward(theta, x), y))
        for chunk in self._chunks(thetas, len(x)):
            losses.append(loss(chunk))
            hits.append((self.logits(chunk, x).argmax(-1) == y).float().mean(-1))
        return torch.cat(losses), torch.cat(hits)


@dataclass
class NetworkTrajectory:
    """What a network run recorded.  ``params[t]`` is the flat weight vector after t steps (``params[0]`` the
    initial weights); ``loss[t]`` the full training-set loss there, ``test_loss[t]``/``test_accuracy[t]`` and
    ``accuracy[t]`` the same on the test and training sets; ``lr[t]`` and ``group_lr[t]`` (one column per
    parameter group) and ``grad_norm[t]`` (the gradient's norm in each Linear layer, before clipping) belong to
    step t; ``evals[t]`` counts the loss evaluations of step t (LBFGS may make several).  After ``diverged_at``
    (the first weights or loss that is not finite) everything is NaN.
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
    return out


def is_network(config: Any) -> bool:
    """Whether `config` is a network run's (it has a ``"network"`` key) rather than a surface run's."""
    return isinstance(config, Mapping) and "network" in config


def normalize(config: Any) -> dict[str, Any]:
    """A surface's or a network's run config, normalized (`normalize_config` or `normalize_network_config`)."""
    from .config import normalize_config

    return normalize_network_config(config) if is_network(config) else dict(normalize_config(config))


def run_networks(configs: Sequence[Mapping[str, Any]]) -> list[NetworkTrajectory]:
    """`[run_network(c) for c in configs]`."""
    return [run_network(c) for c in configs]


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
    import time

    from .engine import _batch_schedule
    from .member import DTYPES
    from .schedulers import build_scheduler, step_scheduler
    from .specs import OPTIMIZERS

    c = normalize_network_config(config)
    data, dtype, steps = data_of(c["network"]), DTYPES[c["dtype"]], c["steps"]
    x, y = data.x_train.to(dtype), data.y_train
    model = build_model(c["network"], data.classes).to(dtype)
    params = list(model.parameters())
    optimizer = OPTIMIZERS[c["optimizer"]].cls(param_groups(model, c["lr_multipliers"], c["hparams"]["lr"]),
                                               **c["hparams"])
    scheduler = build_scheduler(c["scheduler"], c["scheduler_params"], optimizer, steps, c["lr_multipliers"])
    criterion = nn.CrossEntropyLoss()
    batches, epochs = _batch_schedule(len(x), c["batch_size"], c["seed"], steps)
    closure_based = OPTIMIZERS[c["optimizer"]].closure

    weights = torch.full((steps + 1, sum(p.numel() for p in params)), float("nan"), dtype=dtype)
    torch.cat([p.detach().view(-1) for p in params], out=weights[0])
    grad_norm = torch.full((steps, len(params) // 2), float("nan"), dtype=dtype)
    group_lr = np.full((steps, len(optimizer.param_groups)), np.nan)
    evals = np.zeros(steps, dtype=int)
    wall = np.full(steps, np.nan)
    t0 = time.perf_counter()
    done = 0
    for t in range(steps):
        xb, yb = (x, y) if batches is None else (x[batches[t]], y[batches[t]])
        group_lr[t] = [g["lr"] for g in optimizer.param_groups]
        first: list[torch.Tensor] = []

        def closure(xb=xb, yb=yb, first=first, t=t):
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            if not first:
                first.append(loss.detach())
                norms = torch._foreach_norm([p.grad for p in params])
                torch.linalg.vector_norm(torch.stack(norms).view(-1, 2), dim=1, out=grad_norm[t])
            if c["clip_grad_value"] is not None:
                nn.utils.clip_grad_value_(params, c["clip_grad_value"])
            if c["clip_grad_norm"] is not None:
                nn.utils.clip_grad_norm_(params, c["clip_grad_norm"])
            evals[t] += 1
            return loss

        if closure_based:
            optimizer.step(closure)
        else:
            closure()
            optimizer.step()
        loss_t = first[0].item()
        torch.cat([p.detach().view(-1) for p in params], out=weights[t + 1])
        done = t + 1
        wall[t] = time.perf_counter() - t0
        if not np.isfinite(loss_t) or not torch.isfinite(weights[t + 1]).all():
            break
        step_scheduler(scheduler, loss_t, c["scheduler"])
    return _assemble(c, data, weights, done, group_lr, grad_norm, evals, wall, batches, epochs)


def _assemble(c, data: Data, weights: torch.Tensor, done: int, group_lr, grad_norm, evals, wall, batches, epochs):
    """The trajectory: full-data losses and accuracies of every recorded weight vector, NaN after divergence."""
    from .engine import _padded

    batched = Batched(c["network"], data.classes)
    dtype = weights.dtype
    computed = weights[:done + 1]
    loss, accuracy = batched.loss_and_accuracy(computed, data.x_train.to(dtype), data.y_train)
    test_loss, test_accuracy = batched.loss_and_accuracy(computed, data.x_test.to(dtype), data.y_test)
    pad = lambda a: np.concatenate([a.numpy().astype(float), np.full(len(weights) - len(a), np.nan)])  # noqa: E731
    loss, accuracy, test_loss, test_accuracy = map(pad, (loss, accuracy, test_loss, test_accuracy))
    params = weights.numpy()
    bad = ~(np.isfinite(params).all(1) & np.isfinite(loss))
    bad[done + 1:] = False
    diverged = int(bad.argmax()) if bad.any() else None
    if diverged is not None:
        for a in (params, loss, accuracy, test_loss, test_accuracy):
            a[diverged:] = np.nan
        for a in (group_lr, grad_norm.numpy(), wall):
            a[diverged:] = np.nan
    return NetworkTrajectory(
        config=c, params=params, loss=loss, accuracy=accuracy, test_loss=test_loss, test_accuracy=test_accuracy,
        lr=group_lr[:, 0].copy(), group_lr=group_lr, grad_norm=grad_norm.numpy().astype(float), evals=evals,
        wall_time=wall, diverged_at=diverged,
        batches=None if batches is None else _padded(batches), epoch=epochs)
