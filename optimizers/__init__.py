"""Optimizers and schedulers (registries), and the engine that runs them.

>>> traj = run({"surface": "rosenbrock", "start": [-1.5, 2.0], "steps": 100,
...             "optimizer": "Adam", "hparams": {"lr": 0.01}})
>>> traj.xy.shape, traj.loss.shape, traj.lr.shape
((101, 2), (101,), (100,))
"""

from schema import ConfigError

from .config import DEFAULTS, MAX_STARTS, MAX_STEPS, normalize_config
from .engine import Trajectory, run, run_many
from .network import NetworkTrajectory, is_network, normalize
from .schedulers import SCHEDULERS, lr_curve
from .specs import OPTIMIZERS, PRESETS

__all__ = ["DEFAULTS", "MAX_STARTS", "MAX_STEPS", "OPTIMIZERS", "PRESETS", "SCHEDULERS", "ConfigError",
           "NetworkTrajectory", "Trajectory", "is_network", "lr_curve", "normalize", "normalize_config", "run",
           "run_many"]
