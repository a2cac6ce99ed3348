"""The optimizer registry: every `torch.optim` optimizer that works on a 2-vector, one module each in `rules/`.

Each `OptimizerSpec` names a `torch.optim` class and the schema of the keywords we expose (torch's names and
defaults; tests compare them with `inspect.signature`), its typed state and, where covered, its update rule
replayed in numpy and in LaTeX.  Presets ("Momentum", "Nesterov", "AMSGrad") are hyperparameter sets of a
real class, not classes of their own.
"""

from __future__ import annotations

from .rules import adadelta, adafactor, adagrad, adam, adamax, asgd, lbfgs, nadam, radam, rmsprop, rprop, sgd
from .rules.base import OptimizerSpec

OPTIMIZERS: dict[str, OptimizerSpec] = {s.name: s for s in (
    sgd.SPEC, adagrad.SPEC, rmsprop.SPEC, adam.ADAM, adam.ADAMW, adamax.SPEC, nadam.SPEC, radam.SPEC,
    adadelta.SPEC, asgd.SPEC, rprop.SPEC, adafactor.SPEC, lbfgs.SPEC)}

EXPLAINED: dict[str, OptimizerSpec] = {name: s for name, s in OPTIMIZERS.items() if s.replay is not None}
"""The optimizers whose update rule is replayed and written out (all but LBFGS and Adafactor)."""

PRESETS: dict[str, tuple[str, dict]] = {
    "Momentum": ("SGD", {"momentum": 0.9}),
    "Nesterov": ("SGD", {"momentum": 0.9, "nesterov": True}),
    "AMSGrad": ("Adam", {"amsgrad": True}),
}
