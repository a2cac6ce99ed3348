"""Inside the optimizer: every `torch.optim` update rule again, in plain numpy.

`explain(traj)` replays a recorded run: starting from empty state it applies the
rule to the position, the gradient and the learning rate of each step and returns
that step's intermediate quantities (the rule "with this step's numbers
substituted") together with the state it holds afterwards.  The rules are written
independently from torch's documented algorithms and the single-tensor code paths
of ``torch/optim/*.py``; the tests check that they reproduce torch's recorded
state and update at every step.

Where torch's code and its docs differ, the code is followed:

* Adam/AdamW/NAdam/RAdam with decoupled weight decay shrink θ by ``1 − lr·λ``
  *before* the update, and that shrink is part of Δθ.
* Adam adds ε to ``sqrt(v̂)`` (``sqrt(v)/sqrt(1−β₂ᵗ) + ε``), RAdam to ``sqrt(v)``
  (``l_t = sqrt(1−β₂ᵗ)/(sqrt(v)+ε)``), NAdam to ``sqrt(v/(1−β₂ᵗ))``.
* RMSprop's centered denominator is ``sqrt(v − ḡ²) + ε``; with momentum it
  keeps ``buf = μ·buf + g/denom``, so lr multiplies the buffer, not the gradient.
* Adadelta's ε goes inside both roots: ``sqrt(u+ε)/sqrt(v+ε)``.
* ASGD steps with the η computed at the previous step (the first η is the group's
  lr when the state is created), and decays θ by ``1 − λη`` before the step.
* Rprop's step sizes start at the lr of the first step; later lr changes (a
  scheduler) do not affect it.
* Scalar state that torch keeps as 0-dim tensors of its default float dtype
  (NAdam's ``mu_product``, ASGD's ``eta`` and ``mu``) is rounded to float32 here
  too, so float64 runs match to 1e-9.

The hyperparameters are the ones torch stepped with (`hparams_at`): OneCycleLR and CyclicLR change
momentum (SGD, RMSprop) or β₁ (the Adam family) at every step, and CyclicLR sets them even when the
config's momentum is 0.  State an optimizer does not touch at a step (SGD's or RMSprop's momentum buffer
while the momentum is 0) is kept, as torch keeps it.

LBFGS (a line-search method with closure calls) and Adafactor (factored,
non element-wise second moments) are not covered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray
State = dict[str, Array]


@dataclass(frozen=True)
class StepExplained:
    """One step of a replayed run: its named per-coordinate quantities, the state after it, and the
    hyperparameters each coordinate's group stepped with (x's, y's; empty: the config's)."""

    t: int
    quantities: dict[str, Array]
    state_after: dict[str, Array]
    hparams: tuple[dict, ...] = ()


def _f32(x) -> Array:
    """Round to float32 (torch's 0-dim scalar state) and come back to float64."""
    return np.asarray(x, dtype=np.float32).astype(np.float64)


def _signed(g: Array, hp: dict) -> Array:
    return -g if hp.get("maximize", False) else g


def _l2(g: Array, p: Array, hp: dict) -> Array:
    """Coupled (L2) weight decay: g + λθ."""
    wd = hp.get("weight_decay", 0.0)
    return g + wd * p if wd != 0 else g


def _step(state: State, p: Array) -> Array:
    return state.get("step", np.zeros_like(p)) + 1


# ---- the rules: (state before, θ, raw gradient, lr per coordinate, hparams) -> (quantities, state after) ----


def sgd(state: State, p: Array, grad: Array, lr: Array, hp: dict) -> tuple[dict, State]:
    g = _l2(_signed(grad, hp), p, hp)
    mom, damp = hp.get("momentum", 0.0), hp.get("dampening", 0.0)
    q: dict[str, Array] = {"g": g}
    new: State = {}
    d = g
    if mom != 0:
        buf = g.copy() if "momentum_buffer" not in state else mom * state["momentum_buffer"] + (1 - damp) * g
        new["momentum_buffer"] = buf
        q["momentum_buffer"] = buf
        d = g + mom * buf if hp.get("nesterov", False) else buf
    q["direction"] = d
    q["step_size"] = lr * np.ones_like(p)
    q["update"] = -lr * d
    return q, new


def adagrad(state: State, p: Array, grad: Array, lr: Array, hp: dict) -> tuple[dict, State]:
    step = _step(state, p)
    g = _l2(_signed(grad, hp), p, hp)
    clr = lr / (1 + (step - 1) * hp.get("lr_decay", 0.0))
    total = state.get("sum", np.full_like(p, hp.get("initial_accumulator_value", 0.0))) + g * g
    std = np.sqrt(total) + hp.get("eps", 1e-10)
    q = {"g": g, "clr": clr, "sum": total, "std": std, "step_size": clr / std, "update": -clr * g / std}
    return q, {"step": step, "sum": total}


def rmsprop(state: State, p: Array, grad: Array, lr: Array, hp: dict) -> tuple[dict, State]:
    step = _step(state, p)
    g = _l2(_signed(grad, hp), p, hp)
    alpha, eps, mom = hp.get("alpha", 0.99), hp.get("eps", 1e-8), hp.get("momentum", 0.0)
    sq = alpha * state.get("square_avg", np.zeros_like(p)) + (1 - alpha) * g * g
    new: State = {"step": step, "square_avg": sq}
    q: dict[str, Array] = {"g": g, "square_avg": sq}
    if hp.get("centered", False):
        ga = alpha * state.get("grad_avg", np.zeros_like(p)) + (1 - alpha) * g
        new["grad_avg"] = q["grad_avg"] = ga
        avg = np.sqrt(sq - ga * ga) + eps
    else:
        avg = np.sqrt(sq) + eps
    q["avg"] = avg
    if mom > 0:
        buf = mom * state.get("momentum_buffer", np.zeros_like(p)) + g / avg
        new["momentum_buffer"] = q["momentum_buffer"] = buf
        q["step_size"] = lr * np.ones_like(p)
        q["update"] = -lr * buf
    else:
        q["step_size"] = lr / avg
        q["update"] = -lr * g / avg
    return q, new


def _decay(p: Array, lr: Array, hp: dict, decoupled: bool) -> tuple[Array, Array]:
    """Decoupled weight decay: (the shrink −lr·λ·θ, the shrunk θ); zero / θ otherwise."""
    wd = hp.get("weight_decay", 0.0)
    if decoupled and wd != 0:
        shrunk = p * (1 - lr * wd)
        return shrunk - p, shrunk
    return np.zeros_like(p), p


def _moments(state: State, p: Array, grad: Array, lr: Array, hp: dict, decoupled: bool):
    """What Adam, NAdam and RAdam share: the signed (and L2-decayed) gradient, the decoupled shrink,
    and the two running moments.  Returns (step, g, decay, m, v, β1, β2)."""
    step = _step(state, p)
    b1, b2 = hp.get("betas", (0.9, 0.999))
    g = _signed(grad, hp)
    if not decoupled:
        g = _l2(g, p, hp)
    decay, _ = _decay(p, lr, hp, decoupled)
    m = b1 * state.get("exp_avg", np.zeros_like(p)) + (1 - b1) * g
    v = b2 * state.get("exp_avg_sq", np.zeros_like(p)) + (1 - b2) * g * g
    return step, g, decay, m, v, b1, b2


def _adam(decoupled_default: bool):
    def adam(state: State, p: Array, grad: Array, lr: Array, hp: dict) -> tuple[dict, State]:
        eps = hp.get("eps", 1e-8)
        decoupled = hp.get("decoupled_weight_decay", decoupled_default)
        step, g, decay, m, v, b1, b2 = _moments(state, p, grad, lr, hp, decoupled)
        new: State = {"step": step, "exp_avg": m, "exp_avg_sq": v}
        bc1, bc2 = 1 - b1 ** step, 1 - b2 ** step
        q: dict[str, Array] = {"g": g, "m": m, "v": v, "bias_correction1": bc1, "bias_correction2": bc2,
                               "m_hat": m / bc1, "v_hat": v / bc2}
        v_used = v
        if hp.get("amsgrad", False):
            v_used = np.maximum(state.get("max_exp_avg_sq", np.zeros_like(p)), v)
            new["max_exp_avg_sq"] = q["v_max"] = v_used
            q["v_hat"] = v_used / bc2
        q["denom"] = np.sqrt(q["v_hat"]) + eps
        q["step_size"] = lr / q["denom"]
        q["weight_decay_shrink"] = decay
        q["update"] = decay - q["step_size"] * q["m_hat"]
        return q, new

    return adam


def adamax(state: State, p: Array, grad: Array, lr: Array, hp: dict) -> tuple[dict, State]:
    step = _step(state, p)
    b1, b2 = hp.get("betas", (0.9, 0.999))
    g = _l2(_signed(grad, hp), p, hp)
    m = b1 * state.get("exp_avg", np.zeros_like(p)) + (1 - b1) * g
    u = np.maximum(b2 * state.get("exp_inf", np.zeros_like(p)), np.abs(g) + hp.get("eps", 1e-8))
    bc = 1 - b1 ** step
    clr = lr / bc
    q = {"g": g, "m": m, "u": u, "bias_correction": bc, "clr": clr, "m_hat": m / bc,
         "step_size": clr / u, "update": -clr * m / u}
    return q, {"step": step, "exp_avg": m, "exp_inf": u}


def nadam(state: State, p: Array, grad: Array, lr: Array, hp: dict) -> tuple[dict, State]:
    psi, eps = hp.get("momentum_decay", 0.004), hp.get("eps", 1e-8)
    step, g, decay, m, v, b1, b2 = _moments(state, p, grad, lr, hp, hp.get("decoupled_weight_decay", False))
    bc2 = 1 - b2 ** step
    mu = b1 * (1.0 - 0.5 * 0.96 ** (step * psi))
    mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
    mu_product = _f32(_f32(state.get("mu_product", np.ones_like(p))) * _f32(mu))
    mu_product_next = mu_product * mu_next
    denom = np.sqrt(v / bc2) + eps
    grad_coef = lr * (1.0 - mu) / (1.0 - mu_product)
    mom_coef = lr * mu_next / (1.0 - mu_product_next)
    m_hat = mu_next * m / (1.0 - mu_product_next) + (1.0 - mu) * g / (1.0 - mu_product)  # update = −lr·m̂/denom
    q = {"g": g, "mu": mu, "mu_next": mu_next, "mu_product": mu_product, "mu_product_next": mu_product_next,
         "m": m, "v": v, "m_hat": m_hat, "bias_correction2": bc2, "v_hat": v / bc2, "denom": denom,
         "grad_coef": grad_coef, "momentum_coef": mom_coef, "weight_decay_shrink": decay,
         "step_size": lr / denom, "update": decay - grad_coef * g / denom - mom_coef * m / denom}
    return q, {"step": step, "mu_product": mu_product, "exp_avg": m, "exp_avg_sq": v}


def radam(state: State, p: Array, grad: Array, lr: Array, hp: dict) -> tuple[dict, State]:
    eps = hp.get("eps", 1e-8)
    step, g, decay, m, v, b1, b2 = _moments(state, p, grad, lr, hp, hp.get("decoupled_weight_decay", False))
    bc1, bc2 = 1 - b1 ** step, 1 - b2 ** step
    m_hat = m / bc1
    rho_inf = 2 / (1 - b2) - 1
    rho_t = rho_inf - 2 * step * b2 ** step / bc2
    rectified = rho_t > 5.0
    safe_rho = np.where(rectified, rho_t, 6.0)
    rect = np.where(rectified, np.sqrt((safe_rho - 4) * (safe_rho - 2) * rho_inf
                                       / ((rho_inf - 4) * (rho_inf - 2) * safe_rho)), 1.0)
    adaptive = np.where(rectified, np.sqrt(bc2) / (np.sqrt(v) + eps), 1.0)
    step_size = lr * rect * adaptive
    q = {"g": g, "m": m, "v": v, "m_hat": m_hat, "rho_inf": rho_inf * np.ones_like(p), "rho_t": rho_t,
         "rectified": rectified.astype(float), "r_t": rect, "l_t": adaptive, "weight_decay_shrink": decay,
         "step_size": step_size, "update": decay - step_size * m_hat}
    return q, {"step": step, "exp_avg": m, "exp_avg_sq": v}


def adadelta(state: State, p: Array, grad: Array, lr: Array, hp: dict) -> tuple[dict, State]:
    step = _step(state, p)
    rho, eps = hp.get("rho", 0.9), hp.get("eps", 1e-6)
    g = _l2(_signed(grad, hp), p, hp)
    v = rho * state.get("square_avg", np.zeros_like(p)) + (1 - rho) * g * g
    std = np.sqrt(v + eps)
    u_prev = state.get("acc_delta", np.zeros_like(p))
    rms_delta = np.sqrt(u_prev + eps)
    delta = rms_delta / std * g
    u = rho * u_prev + (1 - rho) * delta * delta
    q = {"g": g, "square_avg": v, "std": std, "rms_delta": rms_delta, "delta": delta, "acc_delta": u,
         "step_size": lr * rms_delta / std, "update": -lr * delta}
    return q, {"step": step, "square_avg": v, "acc_delta": u}


def asgd(state: State, p: Array, grad: Array, lr: Array, hp: dict) -> tuple[dict, State]:
    step = _step(state, p)
    lambd, alpha, t0 = hp.get("lambd", 1e-4), hp.get("alpha", 0.75), hp.get("t0", 1e6)
    g = _l2(_signed(grad, hp), p, hp)
    eta = state.get("eta", _f32(lr * np.ones_like(p)))
    mu = state.get("mu", np.ones_like(p))
    new_p = p * (1 - lambd * eta) - eta * g
    ax_prev = state.get("ax", np.zeros_like(p))
    ax = np.where(mu != 1, ax_prev + (new_p - ax_prev) * mu, new_p)
    new_eta = _f32(lr / (1 + lambd * lr * step) ** alpha)
    new_mu = _f32(1 / np.maximum(1, step - t0))
    q = {"g": g, "eta": eta, "mu": mu, "decay": 1 - lambd * eta, "step_size": eta, "update": new_p - p,
         "ax": ax, "eta_next": new_eta, "mu_next": new_mu}
    return q, {"step": step, "eta": new_eta, "mu": new_mu, "ax": ax}


def rprop(state: State, p: Array, grad: Array, lr: Array, hp: dict) -> tuple[dict, State]:
    step = _step(state, p)
    etaminus, etaplus = hp.get("etas", (0.5, 1.2))
    lo, hi = hp.get("step_sizes", (1e-6, 50))
    g = _signed(grad, hp)
    prev = state.get("prev", np.zeros_like(p))
    sign = np.sign(g * prev)
    factor = np.where(sign > 0, etaplus, np.where(sign < 0, etaminus, 1.0))
    step_size = np.clip(state.get("step_size", lr * np.ones_like(p)) * factor, lo, hi)
    g_used = np.where(sign < 0, 0.0, g)
    q = {"g": g, "sign": sign, "factor": factor, "step_size": step_size, "g_used": g_used,
         "update": -np.sign(g_used) * step_size}
    return q, {"step": step, "prev": g_used, "step_size": step_size}


Rule = Callable[[State, Array, Array, Array, dict], tuple[dict, State]]

RULES: dict[str, Rule] = {
    "SGD": sgd,
    "Adagrad": adagrad,
    "RMSprop": rmsprop,
    "Adam": _adam(False),
    "AdamW": _adam(True),
    "Adamax": adamax,
    "NAdam": nadam,
    "RAdam": radam,
    "Adadelta": adadelta,
    "ASGD": asgd,
    "Rprop": rprop,
}


def _lr_at(traj, t: int, shape: tuple[int, ...]) -> Array:
    """The lr each coordinate used at step t: group 0 → x, group 1 → y when there are two groups."""
    group_lr = np.asarray(traj.group_lr[t], dtype=np.float64)
    if group_lr.shape[-1] == 2:
        return np.broadcast_to(group_lr, shape).copy()
    return np.broadcast_to(group_lr[..., :1], shape).copy()


def _value(a: Array):
    """A recorded hyperparameter as the optimizer holds it: a float, or a tuple of floats (betas)."""
    return float(a) if a.ndim == 0 else tuple(float(x) for x in a)


def hparams_at(traj, t: int) -> tuple[dict, ...]:
    """The hyperparameters of each parameter group when step t ran: the config's, with the values a scheduler
    had set (`traj.hparams_used`).  One dict per group (two with lr_multipliers: x's, then y's); lr is in
    `traj.group_lr`."""
    used = getattr(traj, "hparams_used", None) or {}
    groups = np.shape(traj.group_lr)[-1] if np.ndim(traj.group_lr) > 1 else 1
    base = traj.config["hparams"]
    return tuple({**base, **{k: _value(np.asarray(v[t])[i]) for k, v in used.items()}} for i in range(groups))


def coordinate_hparams(traj, t: int) -> tuple[dict, dict]:
    """The hyperparameters x's and y's groups stepped with at step t (the same dict with one group)."""
    groups = hparams_at(traj, t)
    return (groups[0], groups[-1])


def scheduled_hparams(traj, t: int, group: int = 0) -> dict[str, tuple]:
    """{name: (value torch stepped with at step t, configured value)} for each hyperparameter (other than lr)
    that differed from its configured value somewhere in the run (`traj.hparams_used`: a scheduler's
    momentum or betas), in `group`'s parameter group."""
    used = hparams_at(traj, t)[group]
    return {k: (used[k], traj.config["hparams"].get(k)) for k in getattr(traj, "hparams_used", None) or {}}


def _by_coordinate(rule: Rule, state: State, p: Array, g: Array, lr: Array, hps: tuple[dict, dict]):
    """The rule with x's hyperparameters for x and y's for y (groups a scheduler set apart).  State a step
    leaves alone is kept; a quantity only one of them has is NaN in the other coordinate."""
    results = [(q, {**state, **new}) for q, new in (rule(state, p, g, lr, hp) for hp in hps)]

    def merge(parts: list[dict]) -> dict:
        keys = list(dict.fromkeys(k for part in parts for k in part))
        out = {}
        for k in keys:
            x, y = (np.asarray(part.get(k, np.full_like(p, np.nan)), dtype=np.float64) for part in parts)
            out[k] = np.stack(np.broadcast_arrays(x[..., 0], y[..., 1]), axis=-1)
        return out

    return merge([r[0] for r in results]), merge([r[1] for r in results])


def explain(traj) -> list[StepExplained]:
    """Replay `traj` with numpy (float64) from empty state; every step's quantities and state after it.

    Each step uses the learning rate and the other hyperparameters torch stepped with (`hparams_at`)."""
    name = traj.config["optimizer"]
    if name not in RULES:
        raise ValueError(f"no explained update rule for {name!r}; covered: {', '.join(RULES)}")
    rule = RULES[name]
    state: State = {}
    out = []
    for t in range(traj.steps):
        p = np.asarray(traj.xy[t], dtype=np.float64)
        g = np.asarray(traj.grad[t], dtype=np.float64)
        lr = _lr_at(traj, t, p.shape)
        hps = coordinate_hparams(traj, t)
        if hps[0] == hps[1]:
            quantities, new = rule(state, p, g, lr, hps[0])
        else:
            quantities, new = _by_coordinate(rule, state, p, g, lr, hps)
        state = {**state, **new}  # torch keeps what a step leaves alone (a momentum buffer at momentum 0)
        quantities = {"lr": _lr_at(traj, t, p.shape), **quantities}
        out.append(StepExplained(t, quantities, dict(state), hps))
    return out
