"""Tests for surfaces.formula: values, gradients, LaTeX, refusals and property tests."""

import builtins
import inspect
import math
import re
from contextlib import contextmanager
from unittest import mock

import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import surfaces.formula as formula_module
from surfaces.formula import MAX_LENGTH, FormulaError, formula_latex, parse_formula
from texts import text

E, PI = math.e, math.pi
FUNCS = ["sin", "cos", "tan", "exp", "log", "sqrt", "abs", "tanh", "sigmoid"]


def grid(dtype: torch.dtype) -> torch.Tensor:
    """A (5, 7, 2) grid that avoids x = 0 and y = 0."""
    xs = torch.linspace(-2.1, 1.9, 7, dtype=dtype)
    ys = torch.linspace(-1.3, 2.3, 5, dtype=dtype)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([gx, gy], dim=-1)


# formula -> the same function written out by hand on x = p[..., 0], y = p[..., 1]
VALUE_CASES = [
    ("x^2 + 3*y", lambda x, y: x**2 + 3 * y),
    ("x**2 - y ** 3", lambda x, y: x**2 - y**3),
    ("-x^2", lambda x, y: -(x**2)),
    ("-x*y", lambda x, y: (-x) * y),
    ("2^3^2 * x", lambda x, y: 512.0 * x),
    ("x/y/2", lambda x, y: (x / y) / 2),
    ("x - y - 1", lambda x, y: (x - y) - 1),
    ("x-(y-1)", lambda x, y: x - (y - 1)),
    ("+x - -y", lambda x, y: x + y),
    ("2^-1*x", lambda x, y: 0.5 * x),
    ("x^-2^-1", lambda x, y: x ** (-(2**-1))),
    ("sigmoid(x)*tanh(y)", lambda x, y: torch.sigmoid(x) * torch.tanh(y)),
    ("e^x", lambda x, y: E**x),
    ("pi*x", lambda x, y: PI * x),
    ("log(exp(x))", lambda x, y: torch.log(torch.exp(x))),
    ("sqrt(x^2 + y^2)", lambda x, y: torch.sqrt(x**2 + y**2)),
    ("abs(x) + abs(y)", lambda x, y: torch.abs(x) + torch.abs(y)),
    (
        "sin(x)*cos(y) + tan(x/4)",
        lambda x, y: torch.sin(x) * torch.cos(y) + torch.tan(x / 4),
    ),
    ("exp(-(x^2+y^2))", lambda x, y: torch.exp(-(x**2 + y**2))),
    ("(1 - x)^2 + 100*(y - x^2)^2", lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2),
    ("1e-3*x + 2.5E+1*y + .5", lambda x, y: 1e-3 * x + 25.0 * y + 0.5),
    ("  x\t*\ny  ", lambda x, y: x * y),
    ("2^x + x^y", lambda x, y: 2**x + x**y),
    ("1/x", lambda x, y: 1 / x),
]
IDS = [case[0] for case in VALUE_CASES]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("text", "expected"), VALUE_CASES, ids=IDS)
def test_values_on_grid_and_point(text, expected, dtype):
    f = parse_formula(text)
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == torch.float32 else {"rtol": 1e-12, "atol": 1e-14}
    p = grid(dtype)
    out = f(p)
    assert out.shape == (5, 7) and out.dtype == dtype
    torch.testing.assert_close(out, expected(p[..., 0], p[..., 1]), equal_nan=True, **tol)
    q = torch.tensor([0.7, -1.3], dtype=dtype)
    out = f(q)
    assert out.shape == () and out.dtype == dtype
    torch.testing.assert_close(out, expected(q[0], q[1]), equal_nan=True, **tol)


@pytest.mark.parametrize(("text", "expected"), VALUE_CASES, ids=IDS)
def test_gradients_match_hand_written(text, expected):
    p = torch.tensor([0.7, 1.3], dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(parse_formula(text)(p), p)
    q = p.detach().clone().requires_grad_(True)
    (want,) = torch.autograd.grad(expected(q[0], q[1]), q)
    torch.testing.assert_close(grad, want, rtol=1e-10, atol=1e-12)


def test_backward_through_grid():
    p = grid(torch.float32).requires_grad_(True)
    parse_formula("x^2 + 3*y")(p).sum().backward()
    torch.testing.assert_close(p.grad[..., 0], 2 * p.detach()[..., 0])
    torch.testing.assert_close(p.grad[..., 1], torch.full((5, 7), 3.0))


@pytest.mark.parametrize("text", ["3", "2^3^2", "pi", "-e", "sin(1) + 2"])
def test_constant_formula_has_batch_shape_and_zero_gradient(text):
    p = grid(torch.float64).requires_grad_(True)
    out = parse_formula(text)(p)
    assert out.shape == (5, 7) and out.dtype == torch.float64
    value = {
        "3": 3.0,
        "2^3^2": 512.0,
        "pi": PI,
        "-e": -E,
        "sin(1) + 2": math.sin(1) + 2,
    }
    torch.testing.assert_close(out, torch.full((5, 7), value[text], dtype=torch.float64))
    out.sum().backward()
    assert p.grad is not None and torch.equal(p.grad, torch.zeros_like(p))
    point = torch.tensor([1.0, 2.0], requires_grad=True)
    out = parse_formula(text)(point)
    assert out.shape == () and out.dtype == torch.float32
    out.backward()
    assert torch.equal(point.grad, torch.zeros(2))


def test_huge_constant_overflows_to_inf_in_float32():
    out = parse_formula("1e100")(torch.zeros(3, 2))
    assert out.dtype == torch.float32 and torch.equal(out, torch.full((3,), math.inf))
    assert parse_formula("1e100")(torch.zeros(3, 2, dtype=torch.float64))[0] == 1e100


def test_wrong_input_shape_is_a_value_error():
    with pytest.raises(ValueError):
        parse_formula("x")(torch.zeros(3))


@pytest.mark.parametrize(
    ("text", "latex"),
    [
        ("x^2+y^2", "x^{2} + y^{2}"),
        ("sqrt(x)", r"\sqrt{x}"),
        ("x/y", r"\frac{x}{y}"),
        ("(1+x)/(1-y)", r"\frac{1 + x}{1 - y}"),
        ("sin(x)", r"\sin\left(x\right)"),
        ("exp(x) + log(y)", r"\exp\left(x\right) + \log\left(y\right)"),
        ("tanh(x)", r"\tanh\left(x\right)"),
        ("sigmoid(x)", r"\sigma\left(x\right)"),
        ("abs(x)", r"\left|x\right|"),
        ("-x^2", "-x^{2}"),
        ("(-x)^2", r"\left(-x\right)^{2}"),
        ("(x+y)*2", r"\left(x + y\right) \cdot 2"),
        ("x-(y-1)", r"x - \left(y - 1\right)"),
        ("x-(y*2)", r"x - y \cdot 2"),
        ("(x-y)-1", "x - y - 1"),
        ("x*-y", r"x \cdot \left(-y\right)"),
        ("-(x+y)", r"-\left(x + y\right)"),
        ("2^3^2", "2^{3^{2}}"),
        ("(2^3)^2", r"\left(2^{3}\right)^{2}"),
        ("(x/y)^2", r"\left(\frac{x}{y}\right)^{2}"),
        ("2^-1", "2^{-1}"),
        ("pi*x", r"\pi \cdot x"),
        ("3*y", "3y"),
        ("2*pi", r"2\pi"),
        ("e^x", "e^{x}"),
        (".5*x", "0.5x"),
        ("1e-3", "10^{-3}"),
        ("2.5E+4*x", r"2.5 \cdot 10^{4} \cdot x"),
        ("+x", "x"),
        ("((x))", "x"),
    ],
)
def test_latex(text, latex):
    assert formula_latex(text) == latex


# text, position (or None), a piece of the English message
REFUSALS = [
    ("", None, "empty"),
    ("   \t", None, "empty"),
    ("x" * (MAX_LENGTH + 1), MAX_LENGTH, "too long"),
    ("x + z", 4, "unknown name 'z'"),
    ("os", 0, "unknown name 'os'"),
    ("__import__", 0, "unknown name '__import__'"),
    ("lambda", 0, "unknown name 'lambda'"),
    ("X + 1", 0, "unknown name 'X'"),
    ("x.real", 1, "'.'"),
    ("0x10", 1, "unknown name 'x10'"),
    ("1_000", 1, "unknown name '_000'"),
    ("3j", 1, "unknown name 'j'"),
    ("1" * 25, 0, "number too long"),
    ("x + [y]", 4, "unexpected character '['"),
    ("{x}", 0, "unexpected character '{'"),
    ("x; y", 1, "unexpected character ';'"),
    ("x = 1", 2, "unexpected character '='"),
    ("x < y", 2, "unexpected character '<'"),
    ("x @ y", 2, "unexpected character '@'"),
    ("x | y", 2, "unexpected character '|'"),
    ("~x", 0, "unexpected character '~'"),
    ("'x'", 0, "unexpected character"),
    ('"x"', 0, "unexpected character"),
    ("\\x", 0, "unexpected character"),
    ("`x`", 0, "unexpected character '`'"),
    ("x!", 1, "unexpected character '!'"),
    ("α + x", 0, "unexpected character 'α'"),
    ("x²", 1, "unexpected character '²'"),
    ("x(2)", 0, "not a function"),
    ("pi(x)", 0, "not a function"),
    ("sin()", 0, "without an argument"),
    ("sin(x, y)", 5, "second argument"),
    ("x, y", 1, "unexpected ','"),
    ("sin + 1", 0, "function 'sin' used without"),
    ("2*exp", 2, "function 'exp' used without"),
    ("(x", 0, "missing ')'"),
    ("sin(x", 3, "missing ')'"),
    ("x)", 1, "unmatched ')'"),
    (")x", 0, "unmatched ')'"),
    ("()", 0, "empty parentheses"),
    ("x +", 2, "missing operand after '+'"),
    ("x + )", 2, "missing operand after '+'"),
    ("* x", 0, "missing operand before '*'"),
    ("x ^ / 2", 4, "missing operand before '/'"),
    ("2x", 1, "missing operator"),
    ("x y", 2, "missing operator"),
    ("(x)(y)", 3, "missing operator"),
    ("2 pi", 2, "missing operator"),
    ("(" * 31 + "x" + ")" * 31, 30, "nested too deeply"),
    ("sin(" * 31 + "x" + ")" * 31, 123, "nested too deeply"),
    ("2^1000", 2, "exponent too large"),
    ("x^-101", 2, "exponent too large"),
    ("x^9^9", 2, "exponent too large"),
    ("9**9**9", 3, "exponent too large"),
    ("2**10000000", 3, "exponent too large"),
    ("x^exp(1000)", 2, "exponent too large"),
]


@pytest.mark.parametrize(("text", "position", "fragment"), REFUSALS)
def test_refusals(text, position, fragment):
    with pytest.raises(FormulaError) as info:
        parse_formula(text)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.position == position
    assert str(err) == err.message("en")
    assert fragment in err.message("en")
    assert err.message("zh") and err.message("zh") != err.message("en")
    if position is not None:
        assert f"at position {position}" in err.message("en")
        assert f"第 {position + 1} 个字符" in err.message("zh")
    with pytest.raises(FormulaError):
        formula_latex(text)


def test_limits_are_inclusive():
    parse_formula("(" * 30 + "x" + ")" * 30)
    parse_formula("1" * 24)
    parse_formula("x^100 + x^-100 + 2^(10*10)")
    parse_formula("x" + " " * (MAX_LENGTH - 1))


def test_unknown_name_message_matches_spec():
    with pytest.raises(FormulaError) as info:
        parse_formula("x + z")
    assert str(info.value) == (
        "unknown name 'z' at position 4: use x, y, pi, e or one of sin, cos, tan, exp, log, sqrt, abs, tanh, sigmoid"
    )
    assert info.value.message("zh").startswith("第 5 个字符处有未知名称 'z'：只能使用 x、y、pi、e 或 sin、cos")


def test_unknown_name_hint_lists_every_function():
    assert text("formula.unknown_name.hint", "en").endswith(", ".join(formula_module._FUNCTIONS))
    assert text("formula.unknown_name.hint", "zh").endswith("、".join(formula_module._FUNCTIONS))


def test_named_parameters_are_numbers_only_where_given():
    p = torch.tensor([0.7, -1.1])
    f = parse_formula("(a - x)^2 + b*y", {"a": -0.5, "b": 3.0})
    assert torch.equal(f(p), (-0.5 - p[0]) ** 2 + 3.0 * p[1])
    assert formula_latex("(a - x)^2 + b*y", {"a": -0.5, "b": 3.0}) == r"\left(-0.5 - x\right)^{2} + 3y"
    assert formula_latex("x - a", {"a": -0.5}) == r"x - \left(-0.5\right)"
    with pytest.raises(FormulaError, match="unknown name 'a'"):
        parse_formula("(a - x)^2")


def test_non_string_is_refused():
    with pytest.raises(FormulaError):
        parse_formula(None)  # type: ignore[arg-type]


def _forbidden(*args, **kwargs):
    raise AssertionError("dynamic code execution attempted")


@contextmanager
def no_dynamic_code():
    """Make builtins eval, exec and compile fail loudly while the block runs."""
    with (
        mock.patch.object(builtins, "eval", _forbidden),
        mock.patch.object(builtins, "exec", _forbidden),
        mock.patch.object(builtins, "compile", _forbidden),
    ):
        yield


ESCAPES = [
    "__import__('os').system('ls')",
    "x.__class__",
    "(lambda: 1)()",
    "[c for c in ()]",
    "exec('1')",
    "eval('x')",
    "open('/etc/passwd')",
    "9**9**9",
    "2**10000000",
    "x if x else y",
    "x; import os",
    "x" * 10_000,
    "x" * 50 + "(" * 40,
    "().__class__.__bases__[0].__subclasses__()",
    "getattr(x, 'real')",
    "x.real",
    "1 .real",
    "sin.__call__(x)",
    "globals()",
    "x\x00",
]


@pytest.mark.parametrize("text", ESCAPES, ids=[repr(t[:30]) for t in ESCAPES])
def test_escape_attempts_are_refused(text):
    with no_dynamic_code(), pytest.raises(FormulaError):
        parse_formula(text)


def test_module_does_not_use_dynamic_code_or_streamlit():
    source = inspect.getsource(formula_module)
    assert not re.search(r"(?<![\w.])(eval|exec|compile|__import__)\s*\(", source)
    assert not re.search(r"^\s*(import|from)\s+(ast|streamlit)\b", source, re.MULTILINE)


def test_no_dynamic_code_guard_works():
    with no_dynamic_code(), pytest.raises(AssertionError):
        builtins.eval("1")


# ---------------------------------------------------------------- property tests

GRAMMAR_TOKENS = [
    "x", "y", "pi", "e", *FUNCS, "+", "-", "*", "/", "^", "**", "(", ")", ",", ".",
    " ", "0", "1", "2.5", ".5", "1e3", "1e-3", "9", "_", "__import__", "lambda",
    "[", "]", "'", ":", "z", "X", "ε",
]  # fmt: skip
TEXTS = st.one_of(
    st.text(max_size=60),
    st.text(alphabet="xy+-*/^()., e0123456789pisnqrtabgmoldc_[]'\"\\:;=", max_size=60),
    st.lists(st.sampled_from(GRAMMAR_TOKENS), max_size=40).map("".join),
)


@settings(max_examples=300, deadline=None)
@given(text=TEXTS)
def test_random_text_parses_or_raises_formula_error(text):
    with no_dynamic_code():
        try:
            f = parse_formula(text)
            latex = formula_latex(text)
        except FormulaError as err:
            assert err.message("en") and err.message("zh")
            assert err.position is None or 0 <= err.position <= len(text)
            return
        assert isinstance(latex, str) and latex
        p = torch.tensor([0.3, -1.2], dtype=torch.float64, requires_grad=True)
        out = f(p)
        assert out.shape == () and out.dtype == torch.float64
        out.backward()
        assert p.grad is not None and p.grad.shape == (2,)
        assert f(grid(torch.float32)).shape == (5, 7)


# Random valid formulas: a tree of tuples, rendered to text and evaluated with `math`.
LEAVES = st.one_of(
    st.sampled_from(["x", "y", "pi", "e"]).map(lambda n: ("name", n)),
    st.integers(0, 9).map(lambda i: ("num", str(i))),
    st.sampled_from(["0.5", ".25", "1.5e0", "2E-1", "3.", "1e2"]).map(lambda t: ("num", t)),
)
TREES = st.recursive(
    LEAVES,
    lambda kids: st.one_of(
        st.tuples(st.sampled_from(["neg", "pos"]), kids),
        st.tuples(st.sampled_from(["+", "-", "*", "/", "^"]), kids, kids),
        st.tuples(st.just("call"), st.sampled_from(FUNCS), kids),
    ),
    max_leaves=10,
)
PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "pos": 3, "^": 4}


def prec(node) -> int:
    return PREC.get(node[0], 5)


def render(node, full: bool, rnd) -> str:
    """Text for a tree: fully parenthesised, or with only the parentheses needed."""

    def wrap(child, needed: bool) -> str:
        text = render(child, full, rnd)
        return f"({text})" if needed or (full and prec(child) < 5) else text

    sp = rnd.choice(["", " "])
    kind = node[0]
    if kind in ("name", "num"):
        return node[1]
    if kind == "call":
        return f"{node[1]}({sp}{render(node[2], full, rnd)}{sp})"
    if kind in ("neg", "pos"):
        return ("-" if kind == "neg" else "+") + wrap(node[1], prec(node[1]) < 3)
    op, a, b = node
    if op == "^":
        left, right = wrap(a, prec(a) <= 4), wrap(b, prec(b) < 3)
        op = rnd.choice(["^", "**"])
    else:
        left, right = wrap(a, prec(a) < PREC[op]), wrap(b, prec(b) <= PREC[op])
    return f"{left}{sp}{op}{sp}{right}"


def uses_xy(node) -> bool:
    if node[0] == "name":
        return node[1] in ("x", "y")
    return node[0] != "num" and any(uses_xy(c) for c in node[1:] if isinstance(c, tuple))


def _div(a: float, b: float) -> float:
    if b != 0:
        return a / b
    if a == 0 or math.isnan(a):
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _odd_integer(b: float) -> bool:
    return math.isfinite(b) and b.is_integer() and b % 2 == 1


def _pow(a: float, b: float) -> float:
    """C pow() semantics (as torch uses them) on Python floats."""
    try:
        return math.pow(a, b)
    except OverflowError:
        return -math.inf if a < 0 and _odd_integer(b) else math.inf
    except ValueError:  # 0 to a negative power, or a negative base to a fraction
        if a == 0:
            return math.copysign(math.inf, a) if _odd_integer(b) else math.inf
        return math.nan


def _safe(fn, a: float) -> float:
    try:
        return fn(a)
    except OverflowError:
        return math.inf
    except ValueError:
        return -math.inf if fn is math.log and a == 0 else math.nan


MATH_FUNCS = {
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "abs": abs,
    "tanh": math.tanh,
    "sigmoid": lambda a: 1.0 / (1.0 + _safe(math.exp, -a)),
}


class TooLargeExponent(Exception):
    pass


def reference(node, x: float, y: float, seen: list[float]) -> float:
    """Evaluate a tree with `math`; records intermediate magnitudes in `seen`."""
    kind = node[0]
    if kind == "name":
        value = {"x": x, "y": y, "pi": PI, "e": E}[node[1]]
    elif kind == "num":
        value = float(node[1])
    elif kind == "neg":
        value = -reference(node[1], x, y, seen)
    elif kind == "pos":
        value = reference(node[1], x, y, seen)
    elif kind == "call":
        value = _safe(MATH_FUNCS[node[1]], reference(node[2], x, y, seen))
    else:
        a, b = reference(node[1], x, y, seen), reference(node[2], x, y, seen)
        if kind == "+":
            value = a + b
        elif kind == "-":
            value = a - b
        elif kind == "*":
            value = a * b
        elif kind == "/":
            value = _div(a, b)
        else:
            if not uses_xy(node[2]):
                assume(not math.isclose(abs(b), 100.0, rel_tol=1e-9))
                if abs(b) > 100:
                    raise TooLargeExponent
            if uses_xy(node[1]) and not uses_xy(node[2]) and b in (0.5, -0.5):
                # torch computes tensor ** 0.5 as sqrt and tensor ** -0.5 as rsqrt
                root = _safe(math.sqrt, a)
                value = root if b == 0.5 else _div(1.0, root)
            else:
                value = _pow(a, b)
    if math.isfinite(value):
        seen.append(abs(value))
    return value


def paren_depth(text: str) -> int:
    depth = deepest = 0
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        deepest = max(deepest, depth)
    return deepest


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tree=TREES,
    full=st.booleans(),
    rnd=st.randoms(use_true_random=False),
    x=st.floats(-3, 3),
    y=st.floats(-3, 3),
)
def test_random_valid_formulas_match_math_reference(tree, full, rnd, x, y):
    text = render(tree, full, rnd)
    assume(len(text) <= MAX_LENGTH and paren_depth(text) <= 30)
    seen: list[float] = []
    try:
        want = reference(tree, x, y, seen)
    except TooLargeExponent:
        with pytest.raises(FormulaError, match="exponent too large"):
            parse_formula(text)
        return
    with no_dynamic_code():
        f = parse_formula(text)
        got = f(torch.tensor([x, y], dtype=torch.float64)).item()
    scale = 1.0 + max(seen, default=0.0)
    same = (math.isnan(got) and math.isnan(want)) or got == want
    assert same or math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12 * scale), (
        text,
        got,
        want,
    )
