"""Trajectories as CSV rows or JSON: for downloads and for lecturers' homework data."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import fields

import numpy as np

from .engine import Trajectory
from .network import NetworkTrajectory

COLUMNS = ("run", "start", "step", "x", "y", "loss", "lr", "grad_x", "grad_y", "evals", "epoch")


def _starts_axis(a: np.ndarray, several: bool, steps: int) -> np.ndarray:
    """Give an array a start axis (axis 1) and pad per-step arrays to steps + 1 rows."""
    a = np.asarray(a, dtype=float)
    a = a if several else a[:, None]
    pad = np.full((steps + 1 - len(a), *a.shape[1:]), np.nan)
    return np.concatenate([a, pad])


def rows(trajectories: list[Trajectory], first_run: int = 0):
    """One row per run, start and position; per-step columns are NaN on the last position."""
    for run_index, traj in enumerate(trajectories, start=first_run):
        several = traj.xy.ndim == 3
        n = traj.steps
        xy, loss, grad, evals = (_starts_axis(a, several, n) for a in (traj.xy, traj.loss, traj.grad, traj.evals))
        lr = _starts_axis(traj.lr, False, n)[:, 0]
        epoch = _starts_axis(traj.epoch, False, n)[:, 0] if traj.epoch is not None else np.full(n + 1, np.nan)
        for start in range(xy.shape[1]):
            for t in range(n + 1):
                yield (run_index, start, t, *xy[t, start], loss[t, start], lr[t], *grad[t, start],
                       evals[t, start], epoch[t])


INTEGER_COLUMNS = {"run", "start", "step", "evals", "epoch"}  # the rest: floats


def _cell(column: str, value, dtype: type) -> str:
    """Shortest text that reads back as the recorded number (float32 stays float32)."""
    if math.isnan(value):
        return ""
    return str(int(value)) if column in INTEGER_COLUMNS else str(dtype(value))


def network_columns(trajectories: list[NetworkTrajectory]) -> list[str]:
    """Network runs' CSV columns: the metrics per step, the lr (of the base and head groups when a run has them),
    each layer's gradient norm."""
    groups = max(traj.group_lr.shape[1] for traj in trajectories)
    return ["run", "step", "loss", "accuracy", "test_loss", "test_accuracy",
            *(["lr"] if groups == 1 else ["lr_base", "lr_head"]),
            *(f"grad_norm_{i}" for i in range(trajectories[0].grad_norm.shape[1])), "evals", "epoch"]


def network_csv(trajectories: list[NetworkTrajectory]) -> str:
    """Network runs (of one network) as CSV, one row per run and step; per-step columns are empty on the last row
    and after a divergence.  A run without parameter groups has the same lr in both lr columns.  (The weights
    are not here: hundreds of columns; the generated code reproduces them.)"""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = network_columns(trajectories)
    writer.writerow(columns)
    groups = 2 if "lr_head" in columns else 1
    for index, traj in enumerate(trajectories):
        n, dtype = traj.steps, np.float32 if traj.config["dtype"] == "float32" else np.float64
        lr = np.broadcast_to(traj.group_lr, (n, groups)) if traj.group_lr.shape[1] == 1 else traj.group_lr
        epoch = traj.epoch if traj.epoch is not None else np.full(n, np.nan)
        table = np.column_stack([np.full(n + 1, index), np.arange(n + 1), traj.loss, traj.accuracy, traj.test_loss,
                                 traj.test_accuracy, _starts_axis(lr, True, n), _starts_axis(traj.grad_norm, True, n),
                                 _starts_axis(traj.evals, False, n), _starts_axis(epoch, False, n)])
        for row in table:
            writer.writerow([_cell(c, v, dtype) for c, v in zip(columns, row, strict=True)])
    return out.getvalue()


def to_csv(trajectories: Sequence[Trajectory | NetworkTrajectory]) -> str:
    """CSV with COLUMNS (network runs: `network_columns`); empty cells where a value does not exist (last
    position, diverged steps)."""
    networks = [traj for traj in trajectories if isinstance(traj, NetworkTrajectory)]
    if networks:
        return network_csv(networks)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for index, traj in enumerate(t for t in trajectories if isinstance(t, Trajectory)):
        dtype = np.float32 if traj.config["dtype"] == "float32" else np.float64
        for row in rows([traj], first_run=index):
            writer.writerow([_cell(c, v, dtype) for c, v in zip(COLUMNS, row, strict=True)])
    return out.getvalue()


def _plain(a):
    """numpy -> JSON-able lists, NaN/inf -> None."""
    if a is None:
        return None
    if isinstance(a, list):
        return [_plain(v) for v in a]
    a = np.asarray(a)
    if a.dtype.kind == "f":
        return np.where(np.isfinite(a), a, None).tolist() if not np.isfinite(a).all() else a.tolist()
    return a.tolist()


def _any(at: int | None | list[int | None]) -> bool:
    return any(d is not None for d in (at if isinstance(at, list) else [at]))


def diverged(traj: Trajectory) -> bool:
    """Whether any start of the run diverged."""
    return _any(traj.diverged_at)


def stopped(traj: Trajectory) -> bool:
    """Whether the cost budget stopped any start of the run before its last step (LBFGS)."""
    return _any(traj.stopped_at)


def to_json(traj: Trajectory | NetworkTrajectory) -> dict:
    """The config and every recorded array of one run, JSON-able (a network run: its fields, the flat weights
    per step included)."""
    if isinstance(traj, NetworkTrajectory):
        values = {f.name: getattr(traj, f.name) for f in fields(traj)}
        return {k: _plain(v) if isinstance(v, np.ndarray) else v for k, v in values.items()}
    return {"config": traj.config, "diverged_at": traj.diverged_at, "stopped_at": traj.stopped_at,
            "xy": _plain(traj.xy),
            "loss": _plain(traj.loss), "lr": _plain(traj.lr), "group_lr": _plain(traj.group_lr),
            "grad": _plain(traj.grad), "update": _plain(traj.update), "evals": _plain(traj.evals),
            "state": {k: _plain(v) for k, v in traj.state.items()},
            "batches": _plain(traj.batches), "epoch": _plain(traj.epoch),
            "closure_xy": _plain(traj.closure_xy), "closure_loss": _plain(traj.closure_loss),
            "closure_step": _plain(traj.closure_step)}
