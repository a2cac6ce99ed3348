"""What a run costs before it runs: an upper bound of its engine time and memory, and the budget.

The engine's time is Python-level torch calls (one optimizer `step()` is ~0.2 ms whatever the
parameter's size), element-wise work on the starts, and for data surfaces a forward and backward
over starts × data rows.  So a config's work is counted as

    steps × (instances × (STEP + LBFGS: evals × EVAL + iterations × history × HISTORY)
             + starts × START + starts × forwards × rows × ROW)  +  the full-data loss at every point

where `instances` is 1 when the starts share one (n, 2) parameter (`engine.shares_parameter`) and
one per start otherwise.  LBFGS's worst case (every step runs all max_iter iterations and max_eval
calls) is rarely what happens, so it is bounded at run time instead: the engine counts each step's
work from what torch reports (`lbfgs_step_work`) and stops a start's run after the step that passes
its share of the budget (`closure_cap`); the estimate is then the smaller of the two.

A network run (`network_estimate`) counts its steps (a fixed part, per Linear layer, per data row × weight),
the batched evaluation of every recorded weight vector, and its records (the weights at every step dominate);
LBFGS networks are bounded at run time the same way (`network_cap`, `network_step_work`).

The coefficients were measured on the 2-core machine this app is served from (torch 2.13 CPU, one
thread per worker), with a margin; `bench/worst_request.py` times the most expensive configs the
budget allows.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from schema import ConfigError
from texts import message

if TYPE_CHECKING:
    from .config import RunConfig

MAX_SECONDS = 4.0           # estimated engine time of one run: keeps any request under ~5 s
MAX_BYTES = 160 * 2**20     # its recorded arrays (the worker's peak rises ~3× that) and the forward's working set

STEP = 350e-6               # one optimizer instance's step: zero_grad, clip, step(), recording
START = 600e-9              # per start and step: the element-wise update and recording of (n, 2) tensors
EVAL = 200e-6               # LBFGS: one closure call (forward, backward, recording the point)
LINE_SEARCH_EVAL = 260e-6   # … within strong_wolfe's line search (its Python-level interpolation, parameter copies)
HISTORY = 14e-6             # LBFGS: one stored curvature pair in one iteration's two-loop recursion
ROW = {"float32": 25e-9, "float64": 30e-9}  # per start and data row: of a forward + backward, of the full loss
ITEMSIZE = {"float32": 4, "float64": 8}
FORWARD_COPIES = 8          # tensors of (starts, rows) alive during a forward and backward
CLOSURE_POINT_BYTES = 700   # LBFGS: one evaluated point kept as a Python tuple (measured 680 B: tuple, tensor, storage)
WOLFE_EVALS = 25            # strong_wolfe may pass max_eval by one line search (torch's max_ls)


# Networks (`optimizers.network`): P weights in L Linear layers, a forward/backward over a batch's rows each step,
# then a batched forward of every recorded weight vector over the test set (and the training set for mini-batches).
# Measured (CPU time, one thread, 2-core machine under load, torch 2.13): a step is ~150 µs plus 47 (SGD) to 131
# (RAdam) µs per layer, ~0.08-0.11 ns per data row × weight; the evaluation ~0.07-0.1 ns per row × weight × vector;
# an LBFGS closure call ~1.2 ms with a full history of 100 pairs.  The coefficients keep a margin of ~1.3-1.6×.
NET_STEP = 200e-6           # one step's fixed work: zeroing, the loss, backward() and step() calls, recording
NET_LAYER = 170e-6          # per Linear layer and step: its forward and backward, its two tensors' update
NET_LAYER_OF = {"SGD": 70e-6, "Adagrad": 80e-6, "Adam": 120e-6, "AdamW": 120e-6, "Adamax": 120e-6,
                "RMSprop": 120e-6}  # … for the optimizers measured cheaper than the slowest
NET_MAC = 0.15e-9           # per data row × weight of one forward + backward (the arithmetic)
NET_EVAL = 0.15e-9          # per data row × weight × recorded weight vector: the batched evaluation after the run
NET_EVAL_VECTOR = 5e-6      # per recorded weight vector: its share of the evaluation's calls
NET_CALL = 100e-6           # LBFGS: one closure call's fixed work …
NET_CALL_LAYER = 60e-6      # … and per Linear layer (forward and backward)
NET_HISTORY = (14e-6, 1.2e-9)  # LBFGS: one stored curvature pair in one iteration: per pair, + per pair and weight
NET_WORKING = 8             # tensors of (rows, width) alive in a forward and backward, per layer


@dataclass(frozen=True)
class Cost:
    seconds: float  # engine time, an upper bound on this machine
    bytes: int      # recorded arrays + the forward's working set

    def within(self) -> bool:
        return self.seconds <= MAX_SECONDS and self.bytes <= MAX_BYTES


def _starts(config: RunConfig) -> int:
    return len(config["start"]) if isinstance(config["start"][0], list) else 1


def surface_rows(n_samples: int | None, batch_size: int | None) -> tuple[int, int]:
    """(data rows of one forward, data rows of the full loss); 1 and 1 for formula surfaces."""
    return (batch_size or n_samples or 1), (n_samples or 1)


def _rows(config: RunConfig) -> tuple[int, int]:
    from surfaces import get_surface

    return surface_rows(get_surface(config["surface"], config["surface_params"]).n_samples, config["batch_size"])


@functools.lru_cache(maxsize=256)
def _state_slots(optimizer: str, hparams_json: str) -> int:
    """How many state entries the engine records per step (one real step on a 2-vector)."""
    import torch

    from .specs import OPTIMIZERS

    spec = OPTIMIZERS[optimizer]
    p = torch.zeros(2, requires_grad=True)
    try:
        opt = spec.cls([p], **json.loads(hparams_json))

        def closure():
            opt.zero_grad()
            loss = (p - 1).pow(2).sum()
            loss.backward()
            return loss

        if spec.closure:
            opt.step(closure)
        else:
            closure()
            opt.step()
    except Exception:  # a probe: normalize_config reports bad values itself
        return 8
    return sum(1 for v in opt.state[p].values()
               if isinstance(v, int | float) or (torch.is_tensor(v) and v.numel() in (1, 2)))


def _shares(config: RunConfig) -> bool:
    from .engine import shares_parameter  # here: the engine imports the config module, which imports this one

    return shares_parameter(config)


def lbfgs_step_work(evals: int, iterations: float, history: float, rows: tuple[int, int] = (1, 1),
                    dtype: str = "float32", line_search: bool = False) -> float:
    """Seconds one start's LBFGS `step(closure)` costs: the step, its `evals` closure calls (a forward and
    backward over `rows[0]` data rows each), `iterations` two-loop recursions over `history` stored pairs,
    and the full-data loss (`rows[1]` rows) at its result.  Linear in each argument."""
    call = (LINE_SEARCH_EVAL if line_search else EVAL) + rows[0] * ROW[dtype]
    return STEP + evals * call + iterations * history * HISTORY + rows[1] * ROW[dtype]


def _lbfgs_step_limits(hp: dict) -> tuple[int, int]:
    """(closure calls, inner iterations) one step(closure) may take at most."""
    evals = (hp["max_eval"] or hp["max_iter"] * 5 // 4) + (WOLFE_EVALS if hp["line_search_fn"] else 0)
    return evals, min(hp["max_iter"], evals)


def _instances(config: RunConfig) -> int:
    starts = _starts(config)
    return 1 if starts == 1 or _shares(config) else starts


def closure_cap(config: RunConfig, rows: tuple[int, int] | None = None) -> float:
    """Seconds of counted work (`lbfgs_step_work`) after which one start's LBFGS run stops: the budget
    shared out over the run's optimizers, less the loss at the starts and one worst step (the step that
    passes the cap still ends).  It depends on the config alone, not on its steps (a run's first steps
    are a shorter run's) nor on what other runs it is batched with."""
    rows = rows or _rows(config)
    evals, iterations = _lbfgs_step_limits(config["hparams"])
    worst_step = lbfgs_step_work(evals, iterations, config["hparams"]["history_size"], rows, config["dtype"],
                                 config["hparams"]["line_search_fn"] is not None)
    starts_loss = _starts(config) * rows[1] * ROW[config["dtype"]]
    return max(0.0, (MAX_SECONDS - starts_loss) / _instances(config) - worst_step)


def _closure_seconds(config: RunConfig, rows: tuple[int, int]) -> tuple[float, int]:
    """(engine seconds, closure calls recorded per optimizer) of an LBFGS run: its worst case, or less
    when the run-time cap (`closure_cap`) binds first."""
    hp, steps, dtype = config["hparams"], config["steps"], config["dtype"]
    evals, per_step = _lbfgs_step_limits(hp)
    line_search = hp["line_search_fn"] is not None
    history_size = hp["history_size"]
    # the history the engine counts after each step: one pair per iteration until it is full
    filling = min(steps, -(-history_size // per_step) - 1)  # steps after which it is not full yet
    history = (per_step * filling * (filling + 1) / 2 + (steps - filling) * history_size) / max(steps, 1)
    worst = steps * lbfgs_step_work(evals, per_step, history, rows, dtype, line_search)
    worst_step = lbfgs_step_work(evals, per_step, history_size, rows, dtype, line_search)
    instances, starts_loss = _instances(config), _starts(config) * rows[1] * ROW[dtype]
    limit = closure_cap(config, rows) + worst_step  # what one optimizer's run may cost at most
    if worst <= limit:
        return instances * worst + starts_loss, steps * evals
    calls = int(limit / (EVAL + rows[0] * ROW[dtype])) + 1  # each call adds at least that much work
    return max(MAX_SECONDS, instances * worst_step + starts_loss), min(steps * evals, calls)


@dataclass(frozen=True)
class NetworkSize:
    """What a network run's cost depends on: weights, Linear layers, widest layer, data rows, parameter groups."""

    weights: int
    layers: int
    width: int
    train: int
    test: int
    groups: int


def network_size(config: dict) -> NetworkSize:
    """The size of a normalized network config's model and data."""
    from .network import data_of

    network = config["network"]
    data = data_of(network)
    widths = [2, *network["hidden"], data.classes]
    weights = sum(a * b + b for a, b in zip(widths, widths[1:], strict=False))
    return NetworkSize(weights, len(widths) - 1, max(widths), len(data.y_train), len(data.y_test),
                       1 if config["lr_multipliers"] is None else 2)


def _network_rows(config: dict, size: NetworkSize) -> int:
    """Data rows of one forward: the batch, or the training set."""
    return config["batch_size"] or size.train


def _network_eval(config: dict, size: NetworkSize) -> float:
    """Seconds of evaluating one recorded weight vector after the run (test set; training set with mini-batches)."""
    rows = size.test + (size.train if config["batch_size"] is not None else 0)
    return NET_EVAL_VECTOR + rows * size.weights * NET_EVAL


def _network_step(config: dict, size: NetworkSize) -> float:
    """Seconds of one step of an optimizer without a closure."""
    layer = NET_LAYER_OF.get(config["optimizer"], NET_LAYER)
    return NET_STEP + size.layers * layer + _network_rows(config, size) * size.weights * NET_MAC


def network_step_work(config: dict, evals: int) -> float:
    """Seconds of counted work of one LBFGS network step whose closure ran `evals` times (its two-loop recursions
    bounded by `evals` iterations over a full history), its weights' evaluation included."""
    size = network_size(config)
    call = NET_CALL + size.layers * NET_CALL_LAYER + _network_rows(config, size) * size.weights * NET_MAC
    history = config["hparams"]["history_size"] * (NET_HISTORY[0] + NET_HISTORY[1] * size.weights)
    return NET_STEP + evals * (call + history) + _network_eval(config, size)


def network_cap(config: dict) -> float:
    """Seconds of counted work (`network_step_work`) after which an LBFGS network run stops (`stopped_at`): the
    budget less one worst step (the step that passes the cap still ends) and the initial weights' evaluation.
    It depends on the config alone, not on its steps (a run's first steps are a shorter run's)."""
    evals, _ = _lbfgs_step_limits(config["hparams"])
    size = network_size(config)
    return max(0.0, MAX_SECONDS - network_step_work(config, evals) - _network_eval(config, size))


def network_estimate(config: dict) -> Cost:
    """The cost of a normalized network config: its steps (LBFGS: the worst case, or the cap when that binds
    first), the evaluation of every recorded weight vector, and its records' bytes."""
    from .specs import OPTIMIZERS

    size, steps, itemsize = network_size(config), config["steps"], ITEMSIZE[config["dtype"]]
    if OPTIMIZERS[config["optimizer"]].closure:
        evals, _ = _lbfgs_step_limits(config["hparams"])
        worst = network_step_work(config, evals)
        seconds = min(steps * worst, network_cap(config) + worst) + _network_eval(config, size)
    else:
        seconds = steps * _network_step(config, size) + (steps + 1) * _network_eval(config, size)
    batch = _network_rows(config, size)
    recorded = (steps + 1) * size.weights * itemsize * 2  # the weights, and their copy as the run is assembled
    recorded += steps * (2 * size.layers * itemsize + 8 * size.layers + 8 * (size.groups + 6))  # norms, lr, …
    recorded += (steps + 1) * size.train if config["batch_size"] is None else steps * batch * 8 * 2  # hits / batches
    working = size.layers * batch * size.width * itemsize * NET_WORKING + 8 * 2**20  # forward; evaluation chunks
    return Cost(seconds, int(recorded + working))


def check_network(config: dict) -> None:
    """`check` for a network config: what to reduce (steps, then the layers, the points, LBFGS's limits)."""
    cost = network_estimate(config)
    if cost.within():
        return
    lo, hi = 0, config["steps"] - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if network_estimate({**config, "steps": mid}).within():
            lo = mid
        else:
            hi = mid - 1
    options = [message("budget.steps", n=f"{lo:,}")] if lo else []
    if config["network"]["hidden"]:
        options.append(message("network.budget.layers"))
    if cost.seconds > MAX_SECONDS:  # the data's rows cost time, not records
        options.append(message("network.budget.points"))
        if config["optimizer"] == "LBFGS":
            options.append(message("budget.hint.lbfgs"))
    what = (message("budget.seconds", seconds=f"{cost.seconds:,.0f}", limit=f"{MAX_SECONDS:g}")
            if cost.seconds > MAX_SECONDS else
            message("budget.memory", mb=f"{cost.bytes / 2**20:,.0f}", limit=f"{MAX_BYTES / 2**20:,.0f}"))
    either = functools.reduce(lambda a, b: message("budget.or", first=a, rest=b), options)
    raise ConfigError("budget.too_big", what=what, options=either)


def estimate(config: RunConfig, rows: tuple[int, int] | None = None) -> Cost:
    """The cost of running a normalized `config` (see the module's docstring); `rows`: its `_rows`, if known.
    A network config's: `network_estimate`."""
    from .specs import OPTIMIZERS

    if "network" in config:
        return network_estimate(cast(dict, config))

    spec, hp, dtype = OPTIMIZERS[config["optimizer"]], config["hparams"], config["dtype"]
    steps, starts = config["steps"], _starts(config)
    rows = rows or _rows(config)
    if spec.closure:
        seconds, calls = _closure_seconds(config, rows)
    else:
        seconds = steps * (_instances(config) * STEP + starts * START)
        seconds += starts * (steps * rows[0] + (steps + 1) * rows[1]) * ROW[dtype]
    size = ITEMSIZE[dtype]
    slots = 2 + (config["clip_grad_norm"] is not None or config["clip_grad_value"] is not None)
    slots += _state_slots(config["optimizer"], json.dumps(hp, sort_keys=True))
    groups = 1 if config["lr_multipliers"] is None else 2
    per_point = 2 * size * slots + size + 8 * groups + 8  # xy, grad, state…; loss; lr per group; evals
    recorded = starts * (steps + 1) * per_point
    recorded += starts * calls * CLOSURE_POINT_BYTES if spec.closure else 0  # every point the closure evaluated
    forward = starts * max(rows[0], rows[1] if rows[1] > 1 else 0) * size * FORWARD_COPIES
    return Cost(seconds, int(recorded + forward))


def _largest(config: RunConfig, key: str, high: int, value=lambda n: n, rows: tuple[int, int] | None = None) -> int:
    """The largest n in [1, high] for which `config` with `key` = value(n) is within budget (0: none)."""
    lo, hi, rows = 0, high, rows or _rows(config)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if estimate(cast("RunConfig", {**config, key: value(mid)}), rows).within():
            lo = mid
        else:
            hi = mid - 1
    return lo


def check(config: RunConfig) -> None:
    """Raise ConfigError, saying what to reduce and to what, when a normalized `config` is over budget."""
    if "network" in config:
        return check_network(cast(dict, config))
    rows = _rows(config)  # building a data surface takes a while: once
    cost = estimate(config, rows)
    if cost.within():
        return
    options = []  # what to reduce, then what else helps
    if steps := _largest(config, "steps", config["steps"] - 1, rows=rows):
        options.append(message("budget.steps", n=f"{steps:,}"))
    starts = _starts(config)
    if starts > 1 and (n := _largest(config, "start", starts - 1, lambda k: config["start"][:k], rows)):
        options.append(message("budget.starts", n=f"{n:,}"))
    if starts > 1 and config["clip_grad_norm"] is not None:
        options.append(message("budget.hint.clip"))
    elif starts > 1 and not _shares(config):
        options.append(message("budget.hint.optimizer", optimizer=config["optimizer"]))
    if config["optimizer"] == "LBFGS":
        options.append(message("budget.hint.lbfgs"))
    if rows[1] > 1:  # a data surface
        options.append(message("budget.hint.data"))
    what = (message("budget.seconds", seconds=f"{cost.seconds:,.0f}", limit=f"{MAX_SECONDS:g}")
            if cost.seconds > MAX_SECONDS else
            message("budget.memory", mb=f"{cost.bytes / 2**20:,.0f}", limit=f"{MAX_BYTES / 2**20:,.0f}"))
    either = functools.reduce(lambda a, b: message("budget.or", first=a, rest=b), options) if options else ""
    raise ConfigError("budget.too_big", what=what, options=either)
