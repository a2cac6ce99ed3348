r"""L-BFGS (``torch.optim.LBFGS``): quasi-Newton steps from a curvature model of recent steps.  One
``optimizer.step(closure)`` runs up to ``max_iter`` iterations (a line search with ``strong_wolfe``), so no
per-step replay covers it.
"""

from __future__ import annotations

from dataclasses import dataclass

from schema import Param

from .base import Array, OptimizerSpec, State


@dataclass(frozen=True, eq=False)
class LBFGSState(State):
    """The entries of torch's LBFGS state worth showing (the others are histories, copies and counters): the last
    direction `d`, the last step length `t`, the inverse-Hessian scale `H_diag`, the closure calls so far."""

    d: Array | None = None
    t: Array | None = None
    H_diag: Array | None = None
    func_evals: Array | None = None


SPEC = OptimizerSpec("LBFGS", (
    Param("lr", "float", 1, "hp.lr", low=0.0, high=1000.0, open_low=True, slider=(1e-3, 10.0), log=True),
    Param("max_iter", "int", 20, "hp.max_iter", low=1, high=1000, slider=(1, 100)),
    Param("max_eval", "int", None, "hp.max_eval", low=1, high=10000, slider=(1, 125), optional=True),
    Param("tolerance_grad", "float", 1e-7, "hp.tolerance_grad", low=0.0, high=1.0, slider=(1e-12, 1e-2), log=True),
    Param("tolerance_change", "float", 1e-9, "hp.tolerance_change", low=0.0, high=1.0, slider=(1e-12, 1e-2),
          log=True),
    Param("history_size", "int", 100, "hp.history_size", low=1, high=1000, slider=(1, 100)),
    Param("line_search_fn", "choice", None, "hp.line_search_fn", choices=("strong_wolfe",), optional=True)),
    LBFGSState, elementwise=False, closure=True)
