"""Uploaded or pasted data: a small CSV reader whose every refusal says what to fix.

>>> t = read_table("x, y\\n1, 2\\n2, 4\\n3, 6.5")
>>> t.columns, regression_data(t, "x", "y")
(['x', 'y'], {'x': [1.0, 2.0, 3.0], 'y': [2.0, 4.0, 6.5]})

Accepted: commas, semicolons, tabs or spaces between values; an optional header
row (a first row with a cell that is not a number); UTF-8 with or without BOM,
or UTF-16 with BOM.  Rows are counted as in a spreadsheet: row N is line N of
the file, the header included.  Columns without a header are named A, B, C …
Every problem is a `ConfigError` whose message (catalogue keys `data.error.*`) says what to fix.
"""

from __future__ import annotations

import codecs
import csv
import math
import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from schema import ConfigError
from texts import Message, message

MAX_BYTES = 1_000_000  # 1 MB
MAX_ROWS = 10_000      # data rows (= schema.MAX_LIST, the longest x/y the regression surface takes)
MAX_COLUMNS = 100
LIMIT = 1e6            # the regression surface's bound on |x| and |y|

SEPARATORS = ("\t", ";", ",")  # tried in this order; otherwise runs of whitespace
MISSING = {"", "na", "n/a", "nan", "null", "none", "-", "?"}
DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+")
TEXT_CONTROLS = set("\t\n\r\f\v")


@dataclass(frozen=True)
class Table:
    columns: list[str]             # numeric columns found, in file order
    values: dict[str, np.ndarray]  # column -> float64 values

    @property
    def n_rows(self) -> int:
        return len(self.values[self.columns[0]])


def _q(text: str) -> str:
    """A cell or column name quoted for a message, cut to 30 characters."""
    return repr(text if len(text) <= 30 else text[:29] + "…")


def _letters(i: int) -> str:
    """Spreadsheet column names: 0 -> A, 25 -> Z, 26 -> AA."""
    return (_letters(i // 26 - 1) if i >= 26 else "") + chr(65 + i % 26)


def _decode(data: bytes) -> str:
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):  # .xlsx (a zip) or .xls
        raise ConfigError("data.error.excel")
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    try:
        text = data.decode("utf-16" if utf16 else "utf-8-sig")
    except UnicodeDecodeError as err:
        bad = f"0x{data[err.start]:02x}"
        if utf16:
            raise ConfigError("data.error.not_utf16", at=err.start + 1, byte=bad) from None
        raise ConfigError("data.error.not_utf8", line=data.count(b"\n", 0, err.start) + 1, byte=bad) from None
    if utf16 and not re.search("[0-9]", text):  # random bytes after a BOM decode to text without digits
        raise ConfigError("data.error.utf16_no_digits")
    return text


def _check_text(text: str) -> None:
    """Refuse control characters, unassigned or private code points: a binary file that happened to decode."""
    chars = set(text)
    bad = [c for c in chars if c not in TEXT_CONTROLS and (unicodedata.category(c) in ("Cc", "Cn", "Co", "Cs")
                                                           or c == "\ufffd")]
    if bad:
        pos = min(text.index(c) for c in bad)
        line, code = text.count("\n", 0, pos) + 1, f"U+{ord(text[pos]):04X}"
        raise ConfigError("data.error.binary", line=line, code=code)


def _split(lines: list[str]) -> list[list[str]]:
    """Cells of each line, split by the first separator that every one of the first 20 lines contains."""
    sample = lines[:20]
    sep = next((s for s in SEPARATORS if all(s in line for line in sample)), None)
    if sep is None:
        return [line.split() for line in lines]
    try:
        return [[cell.strip() for cell in next(csv.reader([line], delimiter=sep))] for line in lines]
    except csv.Error as err:  # e.g. a cell longer than csv's field limit (128 kB)
        raise ConfigError("data.error.csv", problem=str(err)) from None


def _is_text(cell: str) -> bool:
    """A cell that makes a first row a header: neither a number, nor missing, nor a decimal-comma number."""
    if cell.lower() in MISSING or DECIMAL_COMMA.fullmatch(cell):
        return False
    try:
        float(cell)
    except ValueError:
        return True
    return False


def _column(name: str, cells: list[str], rows: list[int]) -> np.ndarray | Message:
    """The column's values, or why it is not numeric; raises for a numeric column with a bad cell."""
    if all(c.lower() in MISSING for c in cells):
        return message("data.error.column_empty", column=_q(name))
    values = np.empty(len(cells))
    gap = None  # first missing or non-finite cell
    for i, cell in enumerate(cells):
        try:
            values[i] = v = float(cell)
        except ValueError:
            if cell.lower() in MISSING:
                gap = gap if gap is not None else i
                continue
            if DECIMAL_COMMA.fullmatch(cell):
                raise ConfigError("data.error.decimal_comma", column=_q(name), row=rows[i], cell=_q(cell)) from None
            return message("data.error.not_numeric", column=_q(name), row=rows[i], cell=_q(cell))
        if not math.isfinite(v):
            gap = gap if gap is not None else i
    if gap is not None:
        what = message("data.error.cell_empty") if cells[gap] == "" else message("data.error.cell_value",
                                                                                  cell=_q(cells[gap]))
        raise ConfigError("data.error.gap", column=_q(name), row=rows[gap], what=what)
    far = np.flatnonzero(np.abs(values) > LIMIT)
    if far.size:
        i = far[0]
        raise ConfigError("data.error.beyond", column=_q(name), row=rows[i], value=f"{values[i]:g}")
    return values


def read_table(data: bytes | str) -> Table:
    """The numeric columns of CSV bytes or pasted text; a ConfigError saying what is wrong."""
    size = len(data) if isinstance(data, bytes) or len(data) > MAX_BYTES else len(data.encode("utf-8", "replace"))
    if size > MAX_BYTES:
        raise ConfigError("data.error.too_big", size=size, limit=MAX_BYTES)
    text = _decode(data) if isinstance(data, bytes) else data.removeprefix("\ufeff")
    _check_text(text)
    numbered = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if len(numbered) > MAX_ROWS + 1:  # refused before splitting them
        raise ConfigError("data.error.too_many_lines", lines=len(numbered), limit=MAX_ROWS)
    split = zip((n for n, _ in numbered), _split([line for _, line in numbered]), strict=True)
    table = [(n, cells) for n, cells in split if any(cells)]  # drop rows of separators only (",,,")
    if not table:
        raise ConfigError("data.error.empty")
    width = max(len(cells) for _, cells in table)
    if width > MAX_COLUMNS:
        raise ConfigError("data.error.too_many_columns", row=table[0][0], width=width, limit=MAX_COLUMNS)
    header = any(map(_is_text, table[0][1]))
    names = [_letters(j) for j in range(width)]
    if header:
        for j, cell in enumerate(table.pop(0)[1]):
            names[j] = cell or names[j]
        names = [name if name not in names[:j] else f"{name} ({j + 1})" for j, name in enumerate(names)]
    if len(table) < 2:
        found_rows = message("data.error.row" if len(table) == 1 else "data.error.rows", n=len(table))
        raise ConfigError("data.error.too_few_rows_after_header" if header else "data.error.too_few_rows",
                          rows=found_rows)
    if len(table) > MAX_ROWS:
        raise ConfigError("data.error.too_many_rows", n=len(table), limit=MAX_ROWS)
    rows = [n for n, _ in table]
    found = {name: _column(name, [cells[j] if j < len(cells) else "" for _, cells in table], rows)
             for j, name in enumerate(names)}
    values = {name: col for name, col in found.items() if isinstance(col, np.ndarray)}
    numeric = list(values)
    if len(numeric) < 2:
        why = [col if isinstance(col, Message) else message("data.error.numeric", column=_q(name))
               for name, col in found.items()]
        if width == 1:
            why.append(message("data.error.separate"))
        raise ConfigError("data.error.two_numeric", found=len(numeric), width=width, why=_listed(why))
    return Table(numeric, values)


def _listed(items: list[Message]) -> Message:
    """One message: the items in order, separated as the reader's language separates clauses ("; ")."""
    listed = items[-1]
    for item in reversed(items[:-1]):
        listed = message("data.error.list", first=item, rest=listed)
    return listed


def regression_data(table: Table, x_column: str, y_column: str) -> dict:
    """{"x": [...], "y": [...]} for the linear-regression surface's surface_params."""
    for column in (x_column, y_column):
        if column not in table.values:
            valid = ", ".join(map(_q, table.columns))
            raise ConfigError("data.error.no_column", column=_q(column), valid=valid)
    if x_column == y_column:
        raise ConfigError("data.error.same_column", column=_q(x_column))
    x = table.values[x_column]
    if np.ptp(x) == 0:
        raise ConfigError("data.error.one_value", column=_q(x_column), value=f"{x[0]:g}")
    return {"x": x.tolist(), "y": table.values[y_column].tolist()}


def classification_data(table: Table, x1_column: str, x2_column: str, label_column: str) -> dict:
    """{"x1": [...], "x2": [...], "label": [...]} for the network page: two coordinates and a class column of whole
    numbers (2 to 8 distinct values, numbered 0, 1, … in increasing order, so labels 1/2 or −1/1 work too)."""
    from .classification import MAX_CLASSES, MAX_POINTS

    columns = (x1_column, x2_column, label_column)
    for column in columns:
        if column not in table.values:
            valid = ", ".join(map(_q, table.columns))
            raise ConfigError("data.error.no_column", column=_q(column), valid=valid)
    repeated = next((c for i, c in enumerate(columns) if c in columns[:i]), None)
    if repeated is not None:
        raise ConfigError("data.error.same_columns", column=_q(repeated))
    if table.n_rows > MAX_POINTS:
        raise ConfigError("data.error.too_many_rows", n=table.n_rows, limit=MAX_POINTS)
    labels = table.values[label_column]
    whole = np.flatnonzero(labels != np.round(labels))
    if whole.size:
        raise ConfigError("data.error.label_whole", column=_q(label_column), value=f"{labels[whole[0]]:g}")
    classes, label = np.unique(labels, return_inverse=True)
    if not 2 <= len(classes) <= MAX_CLASSES:
        raise ConfigError("data.error.label_classes", column=_q(label_column), n=len(classes), limit=MAX_CLASSES)
    return {"x1": table.values[x1_column].tolist(), "x2": table.values[x2_column].tolist(),
            "label": label.tolist()}
