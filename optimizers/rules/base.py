"""What every rule module declares: its `OptimizerSpec`, its typed `State`, and the hyperparameters many share.

A hyperparameter's help is a catalogue key (``hp.<keyword>``, or ``hp.<Optimizer>.<keyword>`` where the
meaning differs); an optimizer's summary is ``optimizer.<Name>.summary``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any, Generic, TypeVar

import numpy as np
import torch

from schema import Param, Rule, defaults
from texts import text

from .latex import Builder

Array = np.ndarray


@dataclass(frozen=True, eq=False)
class State(Mapping):
    """An optimizer's state between steps: one field per entry of torch's ``optimizer.state[p]``, under torch's
    name (None: torch has not created it yet).  Read as a mapping it is that state dict: the entries that exist."""

    @classmethod
    def names(cls) -> list[str]:
        """torch's names of the entries, in the order torch creates them."""
        return [f.name for f in fields(cls)]

    @classmethod
    def charted(cls) -> list[str]:
        """The entries worth a chart over the steps: all but the step counter."""
        return [name for name in cls.names() if name != "step"]

    @classmethod
    def at(cls, recorded: Mapping[str, Array], t: int) -> State:
        """The state after step t, from a trajectory's recorded ``traj.state`` (None for an entry not recorded)."""
        return cls(**{name: recorded[name][t] if name in recorded else None for name in cls.names()})

    def __getitem__(self, name: str) -> Array:
        value = getattr(self, name) if name in self.names() else None
        if value is None:
            raise KeyError(name)
        return value

    def __iter__(self) -> Iterator[str]:
        return (name for name in self.names() if getattr(self, name) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)


S = TypeVar("S", bound=State)

# (state before, θ, raw gradient, lr per coordinate, complete hyperparameters) -> (quantities, state after)
Replay = Callable[[S, Array, Array, Array, dict], tuple[dict, S]]


@dataclass(frozen=True)
class OptimizerSpec(Generic[S]):
    """A `torch.optim` class, its exposed keywords, its state, and (where covered) its rule replayed and in LaTeX.

    `elementwise`: each coordinate's update depends only on that coordinate, so many starts can share one
    ``(n, 2)`` parameter exactly.  `closure`: `step` needs a closure that re-evaluates the loss (LBFGS).
    `rules` check several keywords together (see `schema.Rule`).  `replay` is the update rule in numpy
    (see `optimizers.explain`), `latex` its lines; `momentum_quantity` names the replay's quantity the
    Inside page draws as the momentum arrow.
    """

    name: str
    params: tuple[Param, ...]
    state: type[S]
    replay: Replay[S] | None = None
    latex: Builder | None = None
    momentum_quantity: str | None = None
    elementwise: bool = True
    closure: bool = False
    rules: tuple[Rule, ...] = ()

    @property
    def cls(self) -> type[torch.optim.Optimizer]:
        return getattr(torch.optim, self.name)

    def summary(self, lang: str = "en") -> str:
        return text(f"optimizer.{self.name}.summary", lang)

    def complete(self, hparams: dict[str, Any]) -> dict[str, Any]:
        """`hparams` with torch's default for every keyword it leaves out."""
        return {**defaults(self.params), **hparams}


def lr(default: float) -> Param:
    return Param("lr", "float", default, "hp.lr", low=0.0, high=1000.0, slider=(1e-5, 10.0), log=True)


def eps(default: float) -> Param:
    return Param("eps", "float", default, "hp.eps", low=0.0, high=1.0, open_low=True, slider=(1e-10, 1e-1), log=True,
                 symbol="ε")


def weight_decay(default: float = 0) -> Param:
    return Param("weight_decay", "float", default, "hp.weight_decay", low=0.0, high=100.0, slider=(0.0, 1.0),
                 symbol="λ")


def decoupled(default: bool = False) -> Param:
    return Param("decoupled_weight_decay", "bool", default, "hp.decoupled_weight_decay")


def betas(default=(0.9, 0.999)) -> Param:
    return Param("betas", "pair", default, "hp.betas", low=0.0, high=1.0, open_high=True, slider=(0.0, 0.9999),
                 symbol="β")


def momentum(default: float = 0) -> Param:
    return Param("momentum", "float", default, "hp.momentum", low=0.0, high=1.0, slider=(0.0, 0.999), symbol="μ")


MAXIMIZE = Param("maximize", "bool", False, "hp.maximize")
AMSGRAD = Param("amsgrad", "bool", False, "hp.amsgrad")
