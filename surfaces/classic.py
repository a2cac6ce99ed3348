"""Analytic test surfaces: saddles, Rosenbrock, a tunable bowl and the classic benchmarks.

Minima are literature values (Jamil & Yang 2013, "A literature survey of
benchmark functions for global optimization problems"), to float64 precision.
"""

from __future__ import annotations

import math

import torch

from schema import Param

from .base import Surface, SurfaceSpec, xy


def saddle(params: dict) -> Surface:
    return Surface("saddle", lambda p: xy(p)[0] ** 2 - xy(p)[1] ** 2, r"f(x, y) = x^2 - y^2",
                   ((-2.0, 2.0), (-2.0, 2.0)), starts=((-1.5, 0.0), (-1.5, 0.01)))


def monkey_saddle(params: dict) -> Surface:
    def f(p):
        x, y = xy(p)
        return x ** 3 - 3 * x * y ** 2
    return Surface("monkey_saddle", f, r"f(x, y) = x^3 - 3xy^2", ((-1.5, 1.5), (-1.5, 1.5)),
                   starts=((1.2, 0.0), (1.2, 0.05)))


def rosenbrock(params: dict) -> Surface:
    a, b = params["a"], params["b"]

    def f(p):
        x, y = xy(p)
        return (a - x) ** 2 + b * (y - x ** 2) ** 2
    bounds = ((min(-2.0, a - 1.5), max(2.0, a + 1.5)), (min(-1.0, a * a - 2), max(3.0, a * a + 1)))
    return Surface("rosenbrock", f, rf"f(x, y) = ({a:g} - x)^2 + {b:g}\,(y - x^2)^2", bounds,
                   starts=((-1.5, 2.0), (-1.0, -0.5)), minima=((a, a * a),), min_value=0.0,
                   log_scale=True)


def bowl(params: dict) -> Surface:
    kappa, theta = params["condition"], math.radians(params["rotation"])
    c, s = math.cos(theta), math.sin(theta)

    def f(p):
        x, y = xy(p)
        u, v = c * x + s * y, -s * x + c * y
        return 0.5 * (u ** 2 + kappa * v ** 2)
    latex = (rf"f = \tfrac12\left(u^2 + {kappa:g}\,v^2\right),\;"
             rf"(u, v) = R_{{{params['rotation']:g}^\circ}}\,(x, y)")
    return Surface("bowl", f, latex, ((-3.0, 3.0), (-3.0, 3.0)), starts=((-2.5, 2.0),),
                   minima=((0.0, 0.0),), min_value=0.0, log_scale=True)


def himmelblau(params: dict) -> Surface:
    def f(p):
        x, y = xy(p)
        return (x ** 2 + y - 11) ** 2 + (x + y ** 2 - 7) ** 2
    minima = ((3.0, 2.0), (-2.805118086952745, 3.131312518250573),
              (-3.779310253377747, -3.283185991286170), (3.584428340330492, -1.848126526964404))
    return Surface("himmelblau", f, r"f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
                   ((-5.0, 5.0), (-5.0, 5.0)), starts=((0.0, 0.0), (-0.3, -0.9)), minima=minima,
                   min_value=0.0, log_scale=True)


def beale(params: dict) -> Surface:
    def f(p):
        x, y = xy(p)
        return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2 + (2.625 - x + x * y ** 3) ** 2
    latex = (r"\begin{aligned} f(x, y) = {} & (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 \\"
             r" & + (2.625 - x + xy^3)^2 \end{aligned}")
    return Surface("beale", f, latex, ((-4.5, 4.5), (-4.5, 4.5)), starts=((1.0, 1.5), (-2.0, -1.0)),
                   minima=((3.0, 0.5),), min_value=0.0, log_scale=True)


def booth(params: dict) -> Surface:
    def f(p):
        x, y = xy(p)
        return (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2
    return Surface("booth", f, r"f(x, y) = (x + 2y - 7)^2 + (2x + y - 5)^2",
                   ((-10.0, 10.0), (-10.0, 10.0)), starts=((-8.0, -8.0),), minima=((1.0, 3.0),),
                   min_value=0.0, log_scale=True)


def rastrigin(params: dict) -> Surface:
    big_a = params["A"]

    def f(p):
        x, y = xy(p)
        return 2 * big_a + x ** 2 - big_a * torch.cos(2 * math.pi * x) + y ** 2 - big_a * torch.cos(2 * math.pi * y)
    latex = rf"f(x, y) = {2 * big_a:g} + x^2 - {big_a:g}\cos 2\pi x + y^2 - {big_a:g}\cos 2\pi y"
    return Surface("rastrigin", f, latex, ((-5.12, 5.12), (-5.12, 5.12)), starts=((3.3, -2.7),),
                   minima=((0.0, 0.0),), min_value=0.0)


def six_hump_camel(params: dict) -> Surface:
    def f(p):
        x, y = xy(p)
        return (4 - 2.1 * x ** 2 + x ** 4 / 3) * x ** 2 + x * y + (-4 + 4 * y ** 2) * y ** 2
    latex = r"f(x, y) = \left(4 - 2.1x^2 + \tfrac{x^4}{3}\right)x^2 + xy + (4y^2 - 4)\,y^2"
    minima = ((0.08984201368301331, -0.7126564032704135), (-0.08984201368301331, 0.7126564032704135))
    return Surface("six_hump_camel", f, latex, ((-2.0, 2.0), (-1.2, 1.2)), starts=((-1.6, -0.6),),
                   minima=minima, min_value=-1.031628453489877)


def styblinski_tang(params: dict) -> Surface:
    def f(p):
        return 0.5 * (p ** 4 - 16 * p ** 2 + 5 * p).sum(-1)
    x_star = -2.903534018185960
    return Surface("styblinski_tang", f, r"f(x, y) = \tfrac12 \sum_{v \in \{x, y\}} (v^4 - 16v^2 + 5v)",
                   ((-5.0, 5.0), (-5.0, 5.0)), starts=((3.5, 3.5), (0.5, 0.2)),
                   minima=((x_star, x_star),), min_value=-78.33233140754282)


SPECS = (
    SurfaceSpec("saddle", "Saddle", "马鞍面",
                "x² − y²: the gradient vanishes at (0, 0), yet it is no minimum; GD on the ridge y = 0 never leaves it",
                "x² − y²：(0, 0) 处梯度为零却不是极小值；从脊线 y = 0 出发的梯度下降永远离不开它", saddle),
    SurfaceSpec("monkey_saddle", "Monkey saddle", "猴鞍面",
                "x³ − 3xy²: a flat saddle where the gradient fades like x², so GD crawls",
                "x³ − 3xy²：平坦的鞍点，梯度像 x² 一样消失，梯度下降寸步难行", monkey_saddle),
    SurfaceSpec("rosenbrock", "Rosenbrock", "Rosenbrock 函数",
                "A curved narrow valley: easy to find, slow to follow to the minimum at (a, a²)",
                "弯曲狭长的山谷：容易找到，却很难沿着它走到 (a, a²) 处的最小值", rosenbrock, (
                    Param("a", "float", 1.0, "Position of the minimum (a, a²)", "最小值位置 (a, a²)",
                          low=-3.0, high=3.0, slider=(-2.0, 2.0)),
                    Param("b", "float", 100.0, "Steepness of the valley walls", "山谷两壁的陡峭程度",
                          low=0.0, high=10_000.0, open_low=True, slider=(1.0, 1000.0), log=True))),
    SurfaceSpec("bowl", "Quadratic bowl", "二次碗",
                "½(u² + κv²) rotated: the condition number κ makes the valley narrow; lr must stay below 2/κ",
                "旋转后的 ½(u² + κv²)：条件数 κ 让山谷变窄；学习率必须小于 2/κ", bowl, (
                    Param("condition", "float", 10.0, "Condition number κ (ratio of curvatures)",
                          "条件数 κ（两个方向曲率之比）", low=1.0, high=1e4, slider=(1.0, 1000.0), log=True),
                    Param("rotation", "float", 0.0, "Rotation of the valley in degrees", "山谷的旋转角度（度）",
                          low=-180.0, high=180.0, slider=(-90.0, 90.0)))),
    SurfaceSpec("himmelblau", "Himmelblau", "Himmelblau 函数",
                "Four equal minima: where you start decides where you end",
                "四个同样低的极小值：起点决定终点", himmelblau),
    SurfaceSpec("beale", "Beale", "Beale 函数",
                "Flat plateaus and sharp ridges around the minimum at (3, 0.5)",
                "最小值 (3, 0.5) 周围是平坦的高原和陡峭的山脊", beale),
    SurfaceSpec("booth", "Booth", "Booth 函数",
                "A tilted, stretched bowl: a plain quadratic with its minimum at (1, 3)",
                "倾斜拉长的碗：最小值在 (1, 3) 的普通二次函数", booth),
    SurfaceSpec("rastrigin", "Rastrigin", "Rastrigin 函数",
                "A bowl covered in ripples: many local minima trap gradient methods",
                "布满波纹的碗：大量局部极小值困住梯度方法", rastrigin, (
                    Param("A", "float", 10.0, "Height of the ripples", "波纹的高度", low=0.0, high=100.0,
                          slider=(0.0, 20.0)),)),
    SurfaceSpec("six_hump_camel", "Six-hump camel", "六峰驼背函数",
                "Two global minima among four local ones", "六个极小值中有两个全局最小值", six_hump_camel),
    SurfaceSpec("styblinski_tang", "Styblinski–Tang", "Styblinski–Tang 函数",
                "Four basins of different depth: only one holds the global minimum",
                "四个深浅不同的盆地：只有一个是全局最小值", styblinski_tang),
)
