"""The network page's state: the data, the MLP, up to four runs (each with its own base/head parameter groups),
full batch or mini-batches, the landscape's plane and the cursor."""

from __future__ import annotations

from optimizers.config import LR_MULTIPLIERS, MAX_STEPS
from optimizers.network import ACTIVATIONS, MAX_LAYERS, MAX_WIDTH, NETWORK, normalize_network
from schema import ConfigError
from surfaces.classification import DATASETS
from viz.runs import PALETTE

from .fields import Field, Problems, choice, integer, number, valid, value_field
from .runs import run_state, short_run

MAX_RUNS = 4
NETWORK_RUNS = (
    {"optimizer": "SGD", "hparams": {"lr": 0.1}},
    {"optimizer": "Momentum", "hparams": {"lr": 0.1}},
    {"optimizer": "Adam", "hparams": {"lr": 0.01}},
)
PLANES = ("pca", "random", "three")


def new_run(index: int) -> dict:
    """The starting values of the page's run number `index` (0-based)."""
    base = NETWORK_RUNS[index] if index < len(NETWORK_RUNS) else {"optimizer": "Adam", "hparams": {"lr": 0.01}}
    return {**base, "color": PALETTE[index % len(PALETTE)]}


def _hidden(v, state=None):
    """0 to MAX_LAYERS widths of 1 to MAX_WIDTH."""
    ok = isinstance(v, list) and len(v) <= MAX_LAYERS and all(integer(1, MAX_WIDTH)(w) is not None for w in v)
    return [int(w) for w in v] if ok else None


def hidden_widths(text: str) -> list[int] | None:
    """The hidden layers' widths as a student types them ("16, 16"; Chinese commas too; empty: none), or None."""
    try:
        return _hidden([int(w) for w in text.replace("，", ",").split(",") if w.strip()])
    except ValueError:
        return None


def _points(v, state=None):
    """A student's points, as the engine checks them."""
    try:
        return normalize_network({"points": v})["points"] if v is not None else None
    except ConfigError:
        return None


def network(state: dict) -> dict:
    """The engine's ``"network"`` entry of a (read) state."""
    return {k: state[k] for k in NETWORK}


def _runs(raw: dict, state: dict, problems: Problems) -> list[dict]:
    given = raw.get("runs")
    if given is not None and not (isinstance(given, list) and 1 <= len(given) <= MAX_RUNS):
        problems.flag("runs")
    runs = given if isinstance(given, list) and given else [{}] * len(NETWORK_RUNS)
    out = []
    for i, r in enumerate(runs[:MAX_RUNS]):
        r = r if isinstance(r, dict) else {}
        run = run_state({k: v for k, v in r.items() if k != "lr_multipliers"}, new_run(i), state["steps"], problems,
                        f"runs.{i}.")
        multipliers = r.get("lr_multipliers")
        checked = valid(LR_MULTIPLIERS, multipliers) if state["hidden"] else None
        if multipliers is not None and checked is None:
            problems.flag(f"runs.{i}.lr_multipliers")
        out.append({**run, "lr_multipliers": checked})
    return out


def _short_runs(runs: list[dict], _, state: dict) -> list[dict]:
    out = []
    for i, run in enumerate(runs):
        short = short_run({k: v for k, v in run.items() if k != "lr_multipliers"}, new_run(i), state["steps"])
        out.append({**short, **({"lr_multipliers": run["lr_multipliers"]} if run["lr_multipliers"] else {})})
    return out


def _plane(v, state=None):
    """The landscape's plane: {"kind": "pca" | "random" | "three", "runs": [i, j], "seed"} (random: through
    run i's final weights, seeded; three: through the initial weights and runs i's and j's final weights)."""
    if not isinstance(v, dict) or v.get("kind") not in PLANES or set(v) - {"kind", "runs", "seed"}:
        return None
    pair, seed = v.get("runs", [0, 1]), v.get("seed", 0)
    index = integer(0, MAX_RUNS - 1)
    if not (isinstance(pair, list) and len(pair) == 2 and all(index(i) is not None for i in pair)
            and pair[0] != pair[1]) or integer(0, 2**31 - 1)(seed) is None:
        return None
    return {"kind": v["kind"], "runs": [int(i) for i in pair], "seed": int(seed)}


FIELDS = (
    value_field("dataset", choice(DATASETS), NETWORK["dataset"]),
    value_field("points", _points, None, kind="points"),
    value_field("n", integer(10, 2_000), NETWORK["n"]),
    value_field("noise", lambda v, state: number(v, 0.0, 2.0), NETWORK["noise"]),
    value_field("data_seed", integer(0, 2**31 - 1), NETWORK["data_seed"]),
    value_field("test_fraction", lambda v, state: number(v, 0.0, 0.9), NETWORK["test_fraction"]),
    value_field("hidden", _hidden, NETWORK["hidden"], kind="text_list"),
    value_field("activation", choice(ACTIVATIONS), NETWORK["activation"]),
    value_field("init_seed", integer(0, 2**31 - 1), NETWORK["init_seed"]),
    value_field("steps", integer(1, MAX_STEPS), 500),
    value_field("batch_size", lambda v, state: integer(1, 2_000)(v), None, "batch_size"),
    value_field("seed", integer(0, 2**32 - 1), 0),
    Field("runs", _runs, "runs", kind="net_runs", shorten=_short_runs),
    value_field("plane", _plane, {"kind": "pca", "runs": [0, 1], "seed": 0}, kind="plane"),
    value_field("cursor", lambda v, state: integer(0, state["steps"])(v), 0, "chart.cursor"),
)
