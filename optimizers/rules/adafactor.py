r"""Adafactor (``torch.optim.Adafactor``): Adam-like steps scaled by the parameter's size, a decaying β₂ and
update clipping.  Its second moment of a vector is not element-wise, and no replay covers it.
"""

from __future__ import annotations

from dataclasses import dataclass

from schema import Param

from .base import MAXIMIZE, Array, OptimizerSpec, State, lr, weight_decay


@dataclass(frozen=True, eq=False)
class AdafactorState(State):
    """torch's state of a vector (a matrix would hold ``row_var`` and ``col_var`` instead of ``variance``)."""

    step: Array | None = None
    variance: Array | None = None


SPEC = OptimizerSpec("Adafactor", (
    lr(0.01),
    Param("beta2_decay", "float", -0.8, "hp.beta2_decay", low=-10.0, high=0.0, slider=(-1.0, 0.0)),
    Param("eps", "pair", (None, 1e-3), "hp.Adafactor.eps", low=0.0, high=1.0, none_items=(0,), slider=(1e-10, 1e-1),
          log=True),
    Param("d", "float", 1.0, "hp.d", low=1.0, high=1000.0, slider=(1.0, 10.0)),
    weight_decay(0.0), MAXIMIZE), AdafactorState, elementwise=False)
