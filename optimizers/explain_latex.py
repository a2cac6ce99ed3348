r"""Inside the optimizer, in LaTeX: each update rule as torch writes it, and with one step's numbers substituted.

`rule_latex(optimizer, hparams)` gives the rule in the form of torch's documented algorithm
(``torch/optim/*.py`` docstrings; ASGD, which has none, after its code), one equation per line, without
surrounding ``$``, keeping only the lines the run's flags use (momentum, dampening, Nesterov, centered,
AMSGrad, coupled vs decoupled weight decay, maximize).  Every line has the form ``lhs = rhs`` (or
``lhs \leftarrow rhs`` for an in-place change), so ``line.replace(" = ", " &= ", 1)`` aligns them.

`substituted_latex(optimizer, hparams, step, coordinate)` gives the same lines with the numbers of one
`explain.StepExplained` for one coordinate (and the hyperparameters that step used: a scheduler may cycle
momentum or β₁), each ending in ``= value``.  The last line is always the change of the parameter,
``\theta_t - \theta_{t-1} = … = Δθ``, equal to ``step.quantities["update"]``, or to torch's recorded change
when it is passed (in float32 θ moves by whole float32 spacings: the exact value is shown before it).

The state before the step (``m_{t-1}``, …) is taken from ``previous.state_after`` when the previous step
is passed, is the initial state at the first step, and is otherwise solved back from this step's
moving averages; where it cannot be (a max, a clipped step size) its symbol stays.  The raw gradient
and θ are not among the quantities, so lines that need them keep those symbols and show only the result.

Each optimizer's lines are built in its module in `rules/` (`OptimizerSpec.latex`); both entry points
complete the hyperparameters with torch's defaults.
"""

from __future__ import annotations

from .explain import StepExplained
from .rules.base import OptimizerSpec
from .rules.latex import Builder, Values
from .specs import EXPLAINED


def _spec(optimizer: str) -> tuple[OptimizerSpec, Builder]:
    """The optimizer's spec and its LaTeX lines."""
    spec = EXPLAINED.get(optimizer)
    if spec is None or spec.latex is None:
        raise ValueError(f"no LaTeX update rule for {optimizer!r}; covered: {', '.join(EXPLAINED)}")
    return spec, spec.latex


def rule_latex(optimizer: str, hparams: dict) -> list[str]:
    """The update rule as torch implements it, one LaTeX line per equation, only the lines the flags use."""
    spec, latex = _spec(optimizer)
    return [line.rule() for line in latex(spec.complete(hparams), Values(None, 0, 0, None))]


def step_hparams(hparams: dict, step: StepExplained, coordinate: int) -> dict:
    """`hparams` with the values this coordinate's group stepped with (a scheduler's momentum or β₁)."""
    return {**hparams, **step.hparams[coordinate]} if step.hparams else hparams


def substituted_latex(optimizer: str, hparams: dict, step: StepExplained, coordinate: int, *, member: int = 0,
                      previous: StepExplained | None = None, moved: float | None = None,
                      dtype: str = "float32") -> list[str]:
    """The rule's lines with this step's numbers for one coordinate (0 = x or w, 1 = y or b).

    The hyperparameters are the ones the step used (`step.hparams`, over `hparams`).  `member` picks the
    start of a multi-start run; `previous` (the step before) makes the state before exact.  The last line
    ends with this coordinate's Δθ: the replay's ``step.quantities["update"]``, or, given torch's recorded
    change `moved` (``traj.update``), that one, after the replay's exact value if they differ (`moved_by`).
    """
    spec, latex = _spec(optimizer)
    values = Values(step, coordinate, member, previous)
    lines = latex(spec.complete(step_hparams(hparams, step, coordinate)), values)
    last = None if moved is None else (float(moved), dtype)
    return [line.substituted(last if i == len(lines) - 1 else None) for i, line in enumerate(lines)]
