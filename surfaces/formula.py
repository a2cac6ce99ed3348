"""Safe formula parser: a user-typed expression in x and y becomes a torch function.

The input never reaches Python's eval/exec/compile/ast: a small tokenizer and a
recursive-descent parser build an AST of our own, which is compiled once into nested
closures of torch operations, or printed as LaTeX. Grammar (all else is refused):

    expr  := term (("+" | "-") term)*
    term  := unary (("*" | "/") unary)*
    unary := ("+" | "-") unary | power
    power := atom (("^" | "**") unary)?          # right-associative, -x^2 = -(x^2)
    atom  := number | x | y | pi | e | func "(" expr ")" | "(" expr ")"
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import torch

MAX_LENGTH = 200  # characters in a formula
MAX_NUMBER_LENGTH = 24  # characters in one numeric literal
MAX_DEPTH = 30  # nested parentheses (including function calls)
MAX_EXPONENT = 100.0  # largest |constant exponent|

_FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
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
_ALLOWED_EN = "use x, y, pi, e or one of " + ", ".join(_FUNCTIONS)
_ALLOWED_ZH = "只能使用 x、y、pi、e 或 " + "、".join(_FUNCTIONS)


class FormulaError(ValueError):
    """A refused formula; str() is the English message.

    .message_en / .message_zh hold the message in English and Simplified Chinese,
    .position is the 0-based character index of the problem, or None.
    """

    def __init__(self, message_en: str, message_zh: str, position: int | None = None):
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh
        self.position = position


def _error(position: int, en: str, zh: str, hint_en: str = "", hint_zh: str = "") -> FormulaError:
    """FormulaError reading "<en> at position N: <hint>" (Chinese counts from 1)."""
    return FormulaError(
        f"{en} at position {position}" + (f": {hint_en}" if hint_en else ""),
        f"第 {position + 1} 个字符处{zh}" + (f"：{hint_zh}" if hint_zh else ""),
        position,
    )


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


Node = Num | Var | Const | Unary | Binary | Call


# --------------------------------------------------------------------- tokenizer


class Token(NamedTuple):
    kind: str  # "num", "name", "op", "(", ")", ",", "end"
    text: str
    pos: int


def _tokenize(text: str) -> list[Token]:
    """Split `text` into tokens, refusing any character or name outside the grammar."""
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in _SPACE:
            i += 1
        elif m := _NUMBER.match(text, i):
            if len(m.group()) > MAX_NUMBER_LENGTH:
                raise _error(
                    i,
                    "number too long",
                    "的数字太长",
                    f"a number may have at most {MAX_NUMBER_LENGTH} characters",
                    f"数字最多 {MAX_NUMBER_LENGTH} 个字符",
                )
            tokens.append(Token("num", m.group(), i))
            i = m.end()
        elif m := _NAME.match(text, i):
            name = m.group()
            if name not in _VARIABLES and name not in _CONSTANTS and name not in _FUNCTIONS:
                shown = name if len(name) <= 20 else name[:20] + "..."
                raise _error(
                    i,
                    f"unknown name '{shown}'",
                    f"有未知名称 '{shown}'",
                    _ALLOWED_EN,
                    _ALLOWED_ZH,
                )
            tokens.append(Token("name", name, i))
            i = m.end()
        elif ch == ".":
            raise _error(
                i,
                "unexpected '.'",
                "有不允许的 '.'",
                "'.' may only appear inside a number (no attribute access)",
                "'.' 只能出现在数字中（不允许访问属性）",
            )
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
            raise _error(
                i,
                f"unexpected character {ch!r}",
                f"有不允许的字符 {ch!r}",
                "only numbers, x, y, pi, e, + - * / ^ **, parentheses and function calls are allowed",
                "只能使用数字、x、y、pi、e、+ - * / ^ **、括号和函数调用",
            )
    tokens.append(Token("end", "", len(text)))
    return tokens


# ------------------------------------------------------------------------ parser


class _Parser:
    """Recursive-descent parser over a token list (grammar in the module doc)."""

    def __init__(self, tokens: list[Token]):
        self.tokens = tokens
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
                raise _error(
                    self.tok.pos,
                    f"missing operator before '{self.tok.text}'",
                    f"的 '{self.tok.text}' 前缺少运算符",
                    "write multiplication explicitly, e.g. 2*x instead of 2x",
                    "乘法必须写出 '*'，例如 2*x 而不是 2x",
                )
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
                raise _error(
                    start,
                    f"exponent too large ({value:g})",
                    f"的指数太大（{value:g}）",
                    f"a constant exponent must lie between -{MAX_EXPONENT:g} and {MAX_EXPONENT:g}",
                    f"常数指数必须在 -{MAX_EXPONENT:g} 到 {MAX_EXPONENT:g} 之间",
                )
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
            raise _error(
                tok.pos,
                f"'{tok.text}' is not a function and cannot be called",
                f"的 '{tok.text}' 不是函数，不能调用",
                f"to multiply, write {tok.text}*(...)",
                f"相乘请写 {tok.text}*(...)",
            )
        return Var(tok.text) if tok.text in _VARIABLES else Const(tok.text)

    def call(self, name: Token) -> Node:
        f = name.text
        if self.tok.kind != "(":
            raise _error(
                name.pos,
                f"function '{f}' used without '(...)'",
                f"的函数 '{f}' 后面缺少 '(...)'",
                f"call it with one argument, e.g. {f}(x)",
                f"请用一个参数调用，例如 {f}(x)",
            )
        open_tok = self.tok
        self.open()
        if self.tok.kind == ")":
            raise _error(
                name.pos,
                f"function '{f}' called without an argument",
                f"的函数 '{f}' 调用时没有参数",
                f"it takes exactly one, e.g. {f}(x)",
                f"它需要恰好一个参数，例如 {f}(x)",
            )
        arg = self.expr()
        if self.tok.kind == ",":
            raise _error(
                self.tok.pos,
                f"second argument for function '{f}'",
                f"出现了函数 '{f}' 的第二个参数",
                f"'{f}' takes exactly one argument",
                f"'{f}' 只接受一个参数",
            )
        self.close(open_tok)
        return Call(f, arg)

    def open(self) -> None:
        """Consume '(' and enforce the nesting limit."""
        tok = self.advance()
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _error(
                tok.pos,
                "parentheses nested too deeply",
                "的括号嵌套太深",
                f"at most {MAX_DEPTH} levels are allowed",
                f"最多允许 {MAX_DEPTH} 层",
            )

    def close(self, open_tok: Token) -> None:
        """Consume the ')' matching `open_tok`."""
        if self.tok.kind == ",":
            raise self.stray_comma()
        if self.tok.kind != ")":
            raise _error(open_tok.pos, "missing ')' for the '('", "的 '(' 缺少对应的 ')'")
        self.advance()
        self.depth -= 1

    def stray_comma(self) -> FormulaError:
        return _error(
            self.tok.pos,
            "unexpected ','",
            "有多余的 ','",
            "commas are not used: functions take exactly one argument",
            "公式中不使用逗号：函数只接受一个参数",
        )

    def unmatched_close(self) -> FormulaError:
        return _error(
            self.tok.pos,
            "unmatched ')'",
            "的 ')' 没有匹配的 '('",
            "remove it or add a matching '('",
            "请删除它或补上对应的 '('",
        )

    def missing_operand(self) -> FormulaError:
        tok, prev = self.tok, self.tokens[self.i - 1] if self.i else None
        if tok.kind == ",":
            return self.stray_comma()
        if tok.kind == "op":
            return _error(
                tok.pos,
                f"missing operand before '{tok.text}'",
                f"的 '{tok.text}' 前缺少操作数",
            )
        if prev is None:  # a leading ')'
            return self.unmatched_close()
        if tok.kind == ")" and prev.kind == "(":
            return _error(prev.pos, "empty parentheses '()'", "的括号 '()' 是空的")
        return _error(
            prev.pos,
            f"missing operand after '{prev.text}'",
            f"的 '{prev.text}' 后缺少操作数",
        )


def _parse(text: str) -> Node:
    """Check length and blankness, then tokenize and parse `text` into an AST."""
    if not isinstance(text, str):
        raise FormulaError("the formula must be text", "公式必须是文本")
    if len(text) > MAX_LENGTH:
        raise _error(
            MAX_LENGTH,
            f"formula too long ({len(text)} characters)",
            f"超出长度限制（公式共 {len(text)} 个字符）",
            f"at most {MAX_LENGTH} characters are allowed",
            f"最多允许 {MAX_LENGTH} 个字符",
        )
    if not text.strip(_SPACE):
        raise FormulaError(
            "the formula is empty: type an expression in x and y, e.g. x^2 + y^2",
            "公式为空：请输入关于 x 和 y 的表达式，例如 x^2 + y^2",
        )
    return _Parser(_tokenize(text)).parse()


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


def _constant(node: Node) -> torch.Tensor:
    """Float64 value of a subtree without x or y (IEEE: overflow gives inf)."""
    match node:
        case Num(value=v):
            return torch.tensor(v, dtype=torch.float64)
        case Const(name=name):
            return torch.tensor(_CONSTANTS[name], dtype=torch.float64)
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
            fn, fa = _FUNCTIONS[f], _compile(a)
            return lambda x, y: fn(fa(x, y))
    raise TypeError(node)


def parse_formula(text: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """Parse `text` into f(p): p has shape (..., 2) with x = p[..., 0], y = p[..., 1].

    f returns a tensor of shape (...) with p's dtype, differentiable by autograd (a
    constant formula still gives a tensor linked to p, so its gradient is zero).
    Raises FormulaError for anything outside the grammar.
    """
    body = _compile(_parse(text))

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

_ADD, _MUL, _NEG, _POW, _ATOM = range(5)  # precedence of printed pieces
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


def _latex(node: Node) -> tuple[str, int]:
    """(LaTeX, precedence) of a node; operands get parentheses only where needed."""
    match node:
        case Num(text=text):
            return _latex_number(text)
        case Var(name=name):
            return name, _ATOM
        case Const(name=name):
            return (r"\pi" if name == "pi" else "e"), _ATOM
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
            plain_number = isinstance(a, Num) and left[1] == _ATOM
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


def formula_latex(text: str) -> str:
    """LaTeX for the parsed formula, e.g. "x^2+y^2" -> "x^{2} + y^{2}"."""
    return _latex(_parse(text))[0]
