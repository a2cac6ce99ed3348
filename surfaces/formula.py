"""Safe formula parser: a user-typed expression in x and y becomes a torch function.

The input never reaches Python's eval/exec/compile/ast: a small tokenizer and a
recursive-descent parser build an AST of our own, which is compiled once into nested
closures of torch operations, printed as LaTeX, or printed as the torch code of a
generated script. Grammar (all else is refused):

    expr  := term (("+" | "-") term)*
    term  := unary (("*" | "/") unary)*
    unary := ("+" | "-") unary | power
    power := atom (("^" | "**") unary)?          # right-associative, -x^2 = -(x^2)
    atom  := number | x | y | pi | e | parameter | func "(" expr ")" | "(" expr ")"

A parameter is a name the caller gives a value for (a declared surface's `a`, `b` …);
a user's formula has none.
"""

from __future__ import annotations

import math
import operator
import re
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import torch

from texts import Message, message

MAX_LENGTH = 200  # characters in a formula
MAX_NUMBER_LENGTH = 24  # characters in one numeric literal
MAX_DEPTH = 30  # nested parentheses (including function calls)
MAX_EXPONENT = 100.0  # largest |constant exponent|

_FUNCTIONS: dict[str, Callable[[Any], torch.Tensor]] = {  # called on tensors only: constants are folded
    "sin": torch.sin,
    "cos": torch.cos,
    "tan": torch.tan,
    "exp": torch.exp,
    "log": torch.log,
    "sqrt": torch.sqrt,
    "abs": torch.abs,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
}
_CONSTANTS = {"pi": math.pi, "e": math.e}
_VARIABLES = ("x", "y")
_BINARY = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "^": operator.pow,
}
_SPACE = " \t\r\n"
_NUMBER = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class FormulaError(ValueError):
    """A refused formula: `message(lang)` says what is wrong and where; str() is the English message.

    .position is the 0-based character index of the problem, or None.
    """

    def __init__(self, problem: Message, position: int | None = None):
        super().__init__(problem.render())
        self.msg = problem
        self.position = position

    def message(self, lang: str = "en") -> str:
        return self.msg.render(lang)


def _error(position: int, problem: str, *, hint: bool = True, **values) -> FormulaError:
    """FormulaError reading "<problem> at position N[: <hint>]": catalogue keys `formula.<problem>[.hint]`."""
    where = {"position": position, "place": position + 1}  # the Chinese text counts from 1
    what = message(f"formula.{problem}", **values)
    if not hint:
        return FormulaError(message("formula.at", problem=what, **where), position)
    return FormulaError(message("formula.at_hint", problem=what, hint=message(f"formula.{problem}.hint", **values),
                                **where), position)


# --------------------------------------------------------------------------- AST


@dataclass(frozen=True)
class Num:
    value: float
    text: str


@dataclass(frozen=True)
class Var:
    name: str  # "x" or "y"


@dataclass(frozen=True)
class Const:
    name: str  # "pi" or "e"


@dataclass(frozen=True)
class Named:
    name: str  # a parameter the caller gave a value for
    value: float


@dataclass(frozen=True)
class Unary:
    op: str  # "+" or "-"
    operand: Node


@dataclass(frozen=True)
class Binary:
    op: str  # one of + - * / ^
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    func: str
    arg: Node


Node = Num | Var | Const | Named | Unary | Binary | Call


# --------------------------------------------------------------------- tokenizer


class Token(NamedTuple):
    kind: str  # "num", "name", "op", "(", ")", ",", "end"
    text: str
    pos: int


def _tokenize(text: str, names: Mapping[str, float]) -> list[Token]:
    """Split `text` into tokens, refusing any character or name outside the grammar (and `names`)."""
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in _SPACE:
            i += 1
        elif m := _NUMBER.match(text, i):
            if len(m.group()) > MAX_NUMBER_LENGTH:
                raise _error(i, "number_long", n=MAX_NUMBER_LENGTH)
            tokens.append(Token("num", m.group(), i))
            i = m.end()
        elif m := _NAME.match(text, i):
            name = m.group()
            if name not in _VARIABLES and name not in _CONSTANTS and name not in _FUNCTIONS and name not in names:
                shown = name if len(name) <= 20 else name[:20] + "..."
                raise _error(i, "unknown_name", name=shown)
            tokens.append(Token("name", name, i))
            i = m.end()
        elif ch == ".":
            raise _error(i, "dot")
        elif text.startswith("**", i):
            tokens.append(Token("op", "^", i))
            i += 2
        elif ch in "+-*/^":
            tokens.append(Token("op", ch, i))
            i += 1
        elif ch in "(),":
            tokens.append(Token(ch, ch, i))
            i += 1
        else:
            raise _error(i, "character", char=repr(ch))
    tokens.append(Token("end", "", len(text)))
    return tokens


# ------------------------------------------------------------------------ parser


class _Parser:
    """Recursive-descent parser over a token list (grammar in the module doc)."""

    def __init__(self, tokens: list[Token], values: Mapping[str, float]):
        self.tokens = tokens
        self.values = values
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def is_op(self, ops: str) -> bool:
        return self.tok.kind == "op" and self.tok.text in ops

    def parse(self) -> Node:
        node = self.expr()
        if self.tok.kind == ")":
            raise self.unmatched_close()
        if self.tok.kind == ",":
            raise self.stray_comma()
        return node

    def expr(self) -> Node:
        node = self.term()
        while self.is_op("+-"):
            op = self.advance().text
            node = Binary(op, node, self.term())
        return node

    def term(self) -> Node:
        node = self.unary()
        while True:
            if self.is_op("*/"):
                op = self.advance().text
                node = Binary(op, node, self.unary())
            elif self.tok.kind in ("num", "name", "("):
                raise _error(self.tok.pos, "missing_operator", token=self.tok.text)
            else:
                return node

    def unary(self) -> Node:
        if self.is_op("+-"):
            op = self.advance().text
            return Unary(op, self.unary())
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        if not self.is_op("^"):
            return base
        self.advance()
        start = self.tok.pos
        exponent = self.unary()
        if not _uses_xy(exponent):
            value = float(_constant(exponent))
            if abs(value) > MAX_EXPONENT:  # NaN passes: it cannot hang anything
                raise _error(start, "exponent", value=f"{value:g}", limit=f"{MAX_EXPONENT:g}")
        return Binary("^", base, exponent)

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind == "num":
            self.advance()
            return Num(float(tok.text), tok.text)
        if tok.kind == "(":
            self.open()
            node = self.expr()
            self.close(tok)
            return node
        if tok.kind != "name":
            raise self.missing_operand()
        self.advance()
        if tok.text in _FUNCTIONS:
            return self.call(tok)
        if self.tok.kind == "(":
            raise _error(tok.pos, "not_function", name=tok.text)
        if tok.text in self.values:
            return Named(tok.text, float(self.values[tok.text]))
        return Var(tok.text) if tok.text in _VARIABLES else Const(tok.text)

    def call(self, name: Token) -> Node:
        f = name.text
        if self.tok.kind != "(":
            raise _error(name.pos, "no_call", name=f)
        open_tok = self.tok
        self.open()
        if self.tok.kind == ")":
            raise _error(name.pos, "no_argument", name=f)
        arg = self.expr()
        if self.tok.kind == ",":
            raise _error(self.tok.pos, "second_argument", name=f)
        self.close(open_tok)
        return Call(f, arg)

    def open(self) -> None:
        """Consume '(' and enforce the nesting limit."""
        tok = self.advance()
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _error(tok.pos, "too_deep", n=MAX_DEPTH)

    def close(self, open_tok: Token) -> None:
        """Consume the ')' matching `open_tok`."""
        if self.tok.kind == ",":
            raise self.stray_comma()
        if self.tok.kind != ")":
            raise _error(open_tok.pos, "missing_close", hint=False)
        self.advance()
        self.depth -= 1

    def stray_comma(self) -> FormulaError:
        return _error(self.tok.pos, "comma")

    def unmatched_close(self) -> FormulaError:
        return _error(self.tok.pos, "unmatched")

    def missing_operand(self) -> FormulaError:
        tok, prev = self.tok, self.tokens[self.i - 1] if self.i else None
        if tok.kind == ",":
            return self.stray_comma()
        if tok.kind == "op":
            return _error(tok.pos, "operand_before", hint=False, token=tok.text)
        if prev is None:  # a leading ')'
            return self.unmatched_close()
        if tok.kind == ")" and prev.kind == "(":
            return _error(prev.pos, "empty_parentheses", hint=False)
        return _error(prev.pos, "operand_after", hint=False, token=prev.text)


def _parse(text: str, values: Mapping[str, float] | None = None) -> Node:
    """Check length and blankness, then tokenize and parse `text` into an AST; names in `values` are numbers."""
    if not isinstance(text, str):
        raise FormulaError(message("formula.not_text"))
    if len(text) > MAX_LENGTH:
        raise _error(MAX_LENGTH, "too_long", length=len(text), n=MAX_LENGTH)
    if not text.strip(_SPACE):
        raise FormulaError(message("formula.empty"))
    values = values or {}
    return _Parser(_tokenize(text, values), values).parse()


# ---------------------------------------------------------------------- compiler


def _uses_xy(node: Node) -> bool:
    match node:
        case Var():
            return True
        case Unary(operand=a) | Call(arg=a):
            return _uses_xy(a)
        case Binary(left=a, right=b):
            return _uses_xy(a) or _uses_xy(b)
    return False


def _named(node: Node) -> dict[str, float]:
    """The parameters a formula uses, in the order they first appear."""
    match node:
        case Named(name=name, value=v):
            return {name: v}
        case Unary(operand=a) | Call(arg=a):
            return _named(a)
        case Binary(left=a, right=b):
            return _named(a) | _named(b)
    return {}


def _constant(node: Node) -> torch.Tensor:
    """Float64 value of a subtree without x or y (IEEE: overflow gives inf)."""
    match node:
        case Num(value=v):
            return torch.tensor(v, dtype=torch.float64)
        case Const(name=name):
            return torch.tensor(_CONSTANTS[name], dtype=torch.float64)
        case Named(value=v):
            return torch.tensor(v, dtype=torch.float64)
        case Unary(op=op, operand=a):
            return -_constant(a) if op == "-" else _constant(a)
        case Binary(op=op, left=a, right=b):
            return _BINARY[op](_constant(a), _constant(b))
        case Call(func=f, arg=a):
            return _FUNCTIONS[f](_constant(a))
    raise TypeError(node)


Closure = Callable[[torch.Tensor, torch.Tensor], "torch.Tensor | float"]


def _compile(node: Node) -> Closure:
    """Nested closures (x, y) -> tensor; subtrees without x, y are folded to floats."""
    if not _uses_xy(node):
        value = float(_constant(node))
        return lambda x, y: value
    match node:
        case Var(name="x"):
            return lambda x, y: x
        case Var():
            return lambda x, y: y
        case Unary(op="-", operand=a):
            fa = _compile(a)
            return lambda x, y: -fa(x, y)
        case Unary(operand=a):
            return _compile(a)
        case Binary(op=op, left=a, right=b):
            fn, fa, fb = _BINARY[op], _compile(a), _compile(b)
            return lambda x, y: fn(fa(x, y), fb(x, y))
        case Call(func=f, arg=a):
            function, fa = _FUNCTIONS[f], _compile(a)
            return lambda x, y: function(fa(x, y))
    raise TypeError(node)


def parse_formula(text: str, values: Mapping[str, float] | None = None) -> Callable[[torch.Tensor], torch.Tensor]:
    """Parse `text` into f(p): p has shape (..., 2) with x = p[..., 0], y = p[..., 1].

    `values` gives the numbers of named parameters the text may use (a declared surface's, e.g. {"a": 1.0}).
    f returns a tensor of shape (...) with p's dtype, differentiable by autograd (a
    constant formula still gives a tensor linked to p, so its gradient is zero).
    Raises FormulaError for anything outside the grammar.
    """
    body = _compile(_parse(text, values))

    def formula(p: torch.Tensor) -> torch.Tensor:
        if p.shape[-1:] != (2,):
            raise ValueError(f"expected a tensor of shape (..., 2), got {tuple(p.shape)}")
        x, y = p[..., 0], p[..., 1]
        out = body(x, y)
        if isinstance(out, float):
            # new_tensor, not a bare float: 1e100 must become inf in float32, not fail
            out = torch.where(torch.ones_like(x, dtype=torch.bool), x.new_tensor(out), x)
        return out

    return formula


# ------------------------------------------------------------------------- LaTeX

_ADD, _MUL, _NEG, _POW, _ATOM = range(5)  # precedence of printed pieces (LaTeX and Python alike)
_LATEX_FUNCTIONS = {"sigmoid": r"\sigma"}


def _paren(piece: tuple[str, int], needed: bool) -> str:
    return rf"\left({piece[0]}\right)" if needed else piece[0]


def _latex_number(text: str) -> tuple[str, int]:
    mantissa, _, exponent = text.lower().partition("e")
    if mantissa.startswith("."):
        mantissa = "0" + mantissa
    mantissa = mantissa.rstrip(".")
    if not exponent:
        return mantissa, _ATOM
    power = f"10^{{{int(exponent)}}}"
    return (power, _POW) if mantissa == "1" else (rf"{mantissa} \cdot {power}", _MUL)


def _latex_value(v: float) -> tuple[str, int]:
    """A parameter's value as `:g` prints it."""
    number = Num(abs(v), f"{abs(v):g}")
    return _latex(Unary("-", number) if math.copysign(1.0, v) < 0 else number)


def _latex(node: Node) -> tuple[str, int]:
    """(LaTeX, precedence) of a node; operands get parentheses only where needed."""
    match node:
        case Num(text=text):
            return _latex_number(text)
        case Var(name=name):
            return name, _ATOM
        case Const(name=name):
            return (r"\pi" if name == "pi" else "e"), _ATOM
        case Named(value=v):
            return _latex_value(v)
        case Binary() if not _uses_xy(node) and _named(node):  # a number computed from parameters: 2*A -> 20
            return _latex_value(float(_constant(node)))
        case Unary(op="+", operand=a):
            return _latex(a)
        case Unary(operand=a):
            inner = _latex(a)
            return "-" + _paren(inner, inner[1] in (_ADD, _NEG)), _NEG
        case Binary(op="/", left=a, right=b):
            return rf"\frac{{{_latex(a)[0]}}}{{{_latex(b)[0]}}}", _MUL
        case Binary(op="^", left=a, right=b):
            base = _latex(a)
            return f"{_paren(base, base[1] < _ATOM)}^{{{_latex(b)[0]}}}", _POW
        case Binary(op="*", left=a, right=b):
            left, right = _latex(a), _latex(b)
            lhs = _paren(left, left[1] == _ADD)
            rhs = _paren(right, right[1] in (_ADD, _NEG))
            plain_number = isinstance(a, Num | Named) and left[1] == _ATOM
            if plain_number and right[1] >= _POW and rhs[0] in "\\xy":
                return f"{lhs}{rhs}", _MUL  # 3y, 2\pi, 4\sin\left(x\right)
            return rf"{lhs} \cdot {rhs}", _MUL
        case Binary(op=op, left=a, right=b):  # + or -
            right = _latex(b)
            needed = right[1] == _NEG or (op == "-" and right[1] == _ADD)
            return f"{_latex(a)[0]} {op} {_paren(right, needed)}", _ADD
        case Call(func="sqrt", arg=a):
            return rf"\sqrt{{{_latex(a)[0]}}}", _ATOM
        case Call(func="abs", arg=a):
            return rf"\left|{_latex(a)[0]}\right|", _ATOM
        case Call(func=f, arg=a):
            name = _LATEX_FUNCTIONS.get(f, "\\" + f)
            return rf"{name}\left({_latex(a)[0]}\right)", _ATOM
    raise TypeError(node)


def formula_latex(text: str, values: Mapping[str, float] | None = None) -> str:
    """LaTeX for the parsed formula, e.g. "x^2+y^2" -> "x^{2} + y^{2}"."""
    return _latex(_parse(text, values))[0]


# ------------------------------------------------------------------- Python code

_MATH = {"sin": math.sin, "cos": math.cos, "tan": math.tan, "exp": math.exp, "log": math.log,
         "sqrt": math.sqrt, "tanh": math.tanh}


def float_code(v: float) -> str:
    """The shortest text Python reads back as `v` (math.inf / math.nan where repr would not parse)."""
    if math.isnan(v):
        return "math.nan"
    if math.isinf(v):
        return "math.inf" if v > 0 else "-math.inf"
    return repr(float(v))


def _wrap(piece: tuple[str, int], needed: bool) -> str:
    return f"({piece[0]})" if needed else piece[0]


def _bits(v: float) -> bytes:
    return struct.pack("<d", v)


def _number_code(v: float) -> tuple[str, int]:
    """A constant as code; integral values print as integers (x ** 2, not x ** 2.0), but -0.0 keeps its sign."""
    integral = v.is_integer() and abs(v) < 2 ** 53 and _bits(v) != _bits(-0.0)
    text = str(int(v)) if integral else float_code(v)
    return text, _NEG if text.startswith("-") else _ATOM


def _constant_code(node: Node) -> tuple[str, int, float | int] | None:
    """(code, precedence, the value Python computes from that code) of a subtree without x and y,
    or None where Python cannot compute it as written (a math error, sigmoid)."""
    match node:
        case Num(value=v):
            text, prec = _number_code(v)
            return text, prec, int(v) if text.isdigit() else v
        case Const(name=name):
            return f"math.{name}", _ATOM, getattr(math, name)
        case Named(name=name, value=v):
            return name, _ATOM, v
        case Unary(op="+", operand=a):
            return _constant_code(a)
        case Unary(operand=a):
            inner = _constant_code(a)
            return inner and ("-" + _wrap(inner[:2], inner[1] <= _NEG), _NEG, -inner[2])
        case Binary(op=op, left=a, right=b):
            left, right = _constant_code(a), _constant_code(b)
            if left is None or right is None:
                return None
            try:
                value = _BINARY[op](left[2], right[2])
            except (ArithmeticError, ValueError):
                return None
            if isinstance(value, complex):  # (-8) ** (1 / 3): torch gives nan
                return None
            return _binary_code(op, left, right), _PRECEDENCE[op], value
        case Call(func="abs", arg=a):
            inner = _constant_code(a)
            return inner and (f"abs({inner[0]})", _ATOM, abs(inner[2]))
        case Call(func=f, arg=a) if f in _MATH:
            inner = _constant_code(a)
            try:
                return inner and (f"math.{f}({inner[0]})", _ATOM, _MATH[f](inner[2]))
            except (ArithmeticError, ValueError):
                return None
    return None


def _folded(node: Node) -> tuple[str, int]:
    """A constant subtree.  The engine folds it to one float64 number: print it as written
    (2 * math.pi) when Python computes exactly that number from the text, else print the number."""
    value = float(_constant(node))
    code = _constant_code(node)
    if code is not None:
        python = code[2]
        if isinstance(python, int) and abs(python) < 2 ** 53 and _bits(float(python)) == _bits(value):
            return code[:2]
        if isinstance(python, float) and _bits(python) == _bits(value):
            return code[:2]
    return _number_code(value)


_PRECEDENCE = {"+": _ADD, "-": _ADD, "*": _MUL, "/": _MUL, "^": _POW}


def _binary_code(op: str, left: tuple, right: tuple) -> str:
    """`left op right` with the parentheses that keep the AST's grouping (floats are not associative)."""
    if op == "^":
        return f"{_wrap(left, left[1] < _ATOM)} ** {_wrap(right, right[1] < _NEG)}"
    prec = _PRECEDENCE[op]
    return f"{_wrap(left, left[1] < prec)} {op} {_wrap(right, right[1] <= prec)}"


def formula_code(node: Node) -> tuple[str, int]:
    """(torch code, precedence) of a parsed formula node, on tensors named x and y.

    Mirrors `_compile`: subtrees without x and y are one constant; ^ becomes **,
    sin becomes torch.sin, pi becomes math.pi.
    """
    if not _uses_xy(node):
        return _folded(node)
    match node:
        case Var(name=name):
            return name, _ATOM
        case Unary(op="+", operand=a):
            return formula_code(a)
        case Unary(operand=a):
            inner = formula_code(a)
            return "-" + _wrap(inner, inner[1] <= _NEG), _NEG
        case Binary(op=op, left=a, right=b):
            return _binary_code(op, formula_code(a), formula_code(b)), _PRECEDENCE[op]
        case Call(func=f, arg=a):
            return f"torch.{f}({formula_code(a)[0]})", _ATOM
    raise TypeError(node)


def formula_body(text: str, values: Mapping[str, float] | None = None) -> tuple[str, ...]:
    """The lines of `def f(p):` computing the formula as `parse_formula` does (the text is parsed, never run):
    one assignment per parameter it uses, then x and y, then the expression."""
    node = _parse(text, values)
    lines = (*(f"{name} = {float_code(v)}" for name, v in _named(node).items()), "x, y = p[0], p[1]")
    if _uses_xy(node):
        return *lines, "return " + formula_code(node)[0]
    value = _folded(node)[0]  # a constant: a tensor linked to x, so its gradient is zero (as the engine does)
    return *lines, f"return torch.where(torch.ones_like(x, dtype=torch.bool), x.new_tensor({value}), x)"
