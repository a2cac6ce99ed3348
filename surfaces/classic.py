"""Analytic test surfaces: saddles, Rosenbrock, a tunable bowl and the classic benchmarks, each declared once.

Each formula is written in `surfaces.formula`'s language, in the order of operations the engine has always
computed (floats are not associative: the trajectories stay bit for bit the same).  Styblinski–Tang stays a
torch function: it raises the whole ``(..., 2)`` tensor to the 4th power, which torch rounds differently from
x and y one by one.  Names, descriptions and
parameter help are catalogue texts (`surface.<key>` in locales/*.toml).  Minima are literature values
(Jamil & Yang 2013, "A literature survey of benchmark functions for global optimization problems"), to
float64 precision.
"""

from __future__ import annotations

import math

import torch

from schema import Param

from .base import formula_surface, function_surface


def _styblinski_tang(p: torch.Tensor) -> torch.Tensor:
    return 0.5 * (p ** 4 - 16 * p ** 2 + 5 * p).sum(-1)


def _rotation(values: dict) -> dict:
    theta = math.radians(values["rotation"])
    return {"cos_theta": math.cos(theta), "sin_theta": math.sin(theta)}


SPECS = (
    formula_surface("saddle", "x^2 - y^2", bounds=((-2.0, 2.0), (-2.0, 2.0)), starts=((-1.5, 0.0), (-1.5, 0.01))),
    formula_surface("monkey_saddle", "x^3 - 3*x*y^2", bounds=((-1.5, 1.5), (-1.5, 1.5)),
                    starts=((1.2, 0.0), (1.2, 0.05))),
    formula_surface(
        "rosenbrock", "(a - x)^2 + b*(y - x^2)^2",
        Param("a", "float", 1.0, "surface.rosenbrock.a", low=-3.0, high=3.0, slider=(-2.0, 2.0)),
        Param("b", "float", 100.0, "surface.rosenbrock.b", low=0.0, high=10_000.0, open_low=True,
              slider=(1.0, 1000.0), log=True),
        bounds=lambda v: ((min(-2.0, v["a"] - 1.5), max(2.0, v["a"] + 1.5)),
                          (min(-1.0, v["a"] * v["a"] - 2), max(3.0, v["a"] * v["a"] + 1))),
        starts=((-1.5, 2.0), (-1.0, -0.5)), minima=lambda v: ((v["a"], v["a"] * v["a"]),), min_value=0.0,
        log_scale=True),
    formula_surface(
        "bowl", "0.5*((cos_theta*x + sin_theta*y)^2 + condition*(-sin_theta*x + cos_theta*y)^2)",
        Param("condition", "float", 10.0, "surface.bowl.condition", low=1.0, high=1e4, slider=(1.0, 1000.0),
              log=True),
        Param("rotation", "float", 0.0, "surface.bowl.rotation", low=-180.0, high=180.0, slider=(-90.0, 90.0)),
        derived=_rotation,
        latex=lambda v: (rf"f = \tfrac12\left(u^2 + {v['condition']:g}\,v^2\right),\;"
                         rf"(u, v) = R_{{{v['rotation']:g}^\circ}}\,(x, y)"),
        bounds=((-3.0, 3.0), (-3.0, 3.0)), starts=((-2.5, 2.0),), minima=((0.0, 0.0),), min_value=0.0,
        log_scale=True),
    formula_surface(
        "himmelblau", "(x^2 + y - 11)^2 + (x + y^2 - 7)^2", bounds=((-5.0, 5.0), (-5.0, 5.0)),
        starts=((0.0, 0.0), (-0.3, -0.9)),
        minima=((3.0, 2.0), (-2.805118086952745, 3.131312518250573), (-3.779310253377747, -3.283185991286170),
                (3.584428340330492, -1.848126526964404)),
        min_value=0.0, log_scale=True),
    formula_surface(
        "beale", "(1.5 - x + x*y)^2 + (2.25 - x + x*y^2)^2 + (2.625 - x + x*y^3)^2",
        latex=r"\begin{aligned} f(x, y) = {} & (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 \\"
              r" & + (2.625 - x + xy^3)^2 \end{aligned}",  # on two lines: one is too wide for the page
        bounds=((-4.5, 4.5), (-4.5, 4.5)), starts=((1.0, 1.5), (-2.0, -1.0)), minima=((3.0, 0.5),), min_value=0.0,
        log_scale=True),
    formula_surface(
        "booth", "(x + 2*y - 7)^2 + (2*x + y - 5)^2", bounds=((-10.0, 10.0), (-10.0, 10.0)), starts=((-8.0, -8.0),),
        minima=((1.0, 3.0),), min_value=0.0, log_scale=True),
    formula_surface(
        "rastrigin", "2*A + x^2 - A*cos(2*pi*x) + y^2 - A*cos(2*pi*y)",
        Param("A", "float", 10.0, "surface.rastrigin.A", low=0.0, high=100.0, slider=(0.0, 20.0)),
        bounds=((-5.12, 5.12), (-5.12, 5.12)), starts=((3.3, -2.7),), minima=((0.0, 0.0),), min_value=0.0),
    formula_surface(
        "six_hump_camel", "(4 - 2.1*x^2 + x^4/3)*x^2 + x*y + (-4 + 4*y^2)*y^2", bounds=((-2.0, 2.0), (-1.2, 1.2)),
        starts=((-1.6, -0.6),),
        minima=((0.08984201368301331, -0.7126564032704135), (-0.08984201368301331, 0.7126564032704135)),
        min_value=-1.031628453489877),
    function_surface(
        "styblinski_tang", _styblinski_tang, latex=r"f(x, y) = \tfrac12 \sum_{v \in \{x, y\}} (v^4 - 16v^2 + 5v)",
        bounds=((-5.0, 5.0), (-5.0, 5.0)), starts=((3.5, 3.5), (0.5, 0.2)),
        minima=((-2.903534018185960, -2.903534018185960),), min_value=-78.33233140754282),
)
