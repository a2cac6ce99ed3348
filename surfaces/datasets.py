"""Uploaded or pasted data: a small CSV reader whose every refusal says what to fix.

>>> t = read_table("x, y\\n1, 2\\n2, 4\\n3, 6.5")
>>> t.columns, regression_data(t, "x", "y")
(['x', 'y'], {'x': [1.0, 2.0, 3.0], 'y': [2.0, 4.0, 6.5]})

Accepted: commas, semicolons, tabs or spaces between values; an optional header
row (a first row with a cell that is not a number); UTF-8 with or without BOM,
or UTF-16 with BOM.  Rows are counted as in a spreadsheet: row N is line N of
the file, the header included.  Columns without a header are named A, B, C …
Every problem is a `ConfigError` with an English and a Chinese message.
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
        raise ConfigError("This is an Excel workbook, not a CSV file: in Excel use Save As › CSV UTF-8",
                          "这是 Excel 工作簿，不是 CSV 文件：请在 Excel 中另存为“CSV UTF-8（逗号分隔）”")
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    try:
        text = data.decode("utf-16" if utf16 else "utf-8-sig")
    except UnicodeDecodeError as err:
        name, bad = ("UTF-16" if utf16 else "UTF-8"), f"0x{data[err.start]:02x}"
        line = data.count(b"\n", 0, err.start) + 1
        where, where_zh = (f"byte {err.start + 1}", f"第 {err.start + 1} 个字节") if utf16 else (f"line {line}",
                                                                                              f"第 {line} 行")
        guess = "" if utf16 else "，可能是 GBK/ANSI 编码"
        raise ConfigError(f"The file is not {name} text ({where} holds the byte {bad}, which {name} cannot read "
                          "there): save it as UTF-8 (Excel: CSV UTF-8) or UTF-16 with a byte-order mark",
                          f"文件不是 {name} 文本（{where_zh}的字节 {bad} 无法按 {name} 读取{guess}）："
                          "请保存为 UTF-8（Excel：“CSV UTF-8”）或带 BOM 的 UTF-16") from None
    if utf16 and not re.search("[0-9]", text):  # random bytes after a BOM decode to text without digits
        raise ConfigError("The file starts like UTF-16 text but holds no digits: it is not a UTF-16 CSV file; "
                          "save it as UTF-8 (Excel: CSV UTF-8) or UTF-16 with a byte-order mark",
                          "文件开头像 UTF-16 文本，但其中没有任何数字：不是 UTF-16 编码的 CSV 文件；"
                          "请保存为 UTF-8（Excel：“CSV UTF-8”）或带 BOM 的 UTF-16")
    return text


def _check_text(text: str) -> None:
    """Refuse control characters, unassigned or private code points: a binary file that happened to decode."""
    chars = set(text)
    bad = [c for c in chars if c not in TEXT_CONTROLS and (unicodedata.category(c) in ("Cc", "Cn", "Co", "Cs")
                                                           or c == "\ufffd")]
    if bad:
        pos = min(text.index(c) for c in bad)
        line, code = text.count("\n", 0, pos) + 1, f"U+{ord(text[pos]):04X}"
        raise ConfigError(f"Line {line} holds the character {code}, which text never contains: this is a binary "
                          "file or the wrong encoding; CSV text in UTF-8 (or UTF-16 with a byte-order mark) is "
                          "expected",
                          f"第 {line} 行含有字符 {code}，文本中不会出现：这是二进制文件或编码不对；"
                          "需要 UTF-8（或带 BOM 的 UTF-16）编码的 CSV 文本")


def _split(lines: list[str]) -> list[list[str]]:
    """Cells of each line, split by the first separator that every one of the first 20 lines contains."""
    sample = lines[:20]
    sep = next((s for s in SEPARATORS if all(s in line for line in sample)), None)
    if sep is None:
        return [line.split() for line in lines]
    try:
        return [[cell.strip() for cell in next(csv.reader([line], delimiter=sep))] for line in lines]
    except csv.Error as err:  # e.g. a cell longer than csv's field limit (128 kB)
        raise ConfigError(f"The data cannot be read as CSV: {err}", f"无法按 CSV 读取数据：{err}") from None


def _is_text(cell: str) -> bool:
    """A cell that makes a first row a header: neither a number, nor missing, nor a decimal-comma number."""
    if cell.lower() in MISSING or DECIMAL_COMMA.fullmatch(cell):
        return False
    try:
        float(cell)
    except ValueError:
        return True
    return False


def _column(name: str, cells: list[str], rows: list[int]) -> np.ndarray | tuple[str, str]:
    """The column's values, or why it is not numeric (en, zh); raises for a numeric column with a bad cell."""
    if all(c.lower() in MISSING for c in cells):
        return f"{_q(name)} is empty", f"{_q(name)} 是空列"
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
                raise ConfigError(
                    f"Column {_q(name)} row {rows[i]}: {_q(cell)} uses a decimal comma, which is not supported: "
                    "write 1.5, not 1,5 (and no thousands separators)",
                    f"第 {rows[i]} 行 {_q(name)} 列：{_q(cell)} 用了小数逗号，不支持："
                    "请写 1.5 而不是 1,5（也不要用千位分隔符）") from None
            return (f"{_q(name)} is not numeric (first bad cell {_q(cell)} in row {rows[i]})",
                    f"{_q(name)} 不是数值列（第一个无效单元格：第 {rows[i]} 行的 {_q(cell)}）")
        if not math.isfinite(v):
            gap = gap if gap is not None else i
    if gap is not None:
        what, what_zh = (("is empty", "为空") if cells[gap] == "" else
                         (f"holds {_q(cells[gap])} instead of a number", f"是 {_q(cells[gap])}，不是有限的数"))
        raise ConfigError(f"Column {_q(name)} row {rows[gap]} {what}: every cell of a numeric column needs a finite "
                          "value (fill it in or delete the row)",
                          f"第 {rows[gap]} 行 {_q(name)} 列{what_zh}："
                          "数值列的每个单元格都需要有限的数值（请补上或删除该行）")
    far = np.flatnonzero(np.abs(values) > LIMIT)
    if far.size:
        i = far[0]
        raise ConfigError(f"Column {_q(name)} row {rows[i]}: {values[i]:g} is beyond ±1e6; rescale the column",
                          f"第 {rows[i]} 行 {_q(name)} 列：{values[i]:g} 超出 ±1e6；请缩放该列")
    return values


def read_table(data: bytes | str) -> Table:
    """The numeric columns of CSV bytes or pasted text; a ConfigError (English and Chinese) saying what is wrong."""
    size = len(data) if isinstance(data, bytes) or len(data) > MAX_BYTES else len(data.encode("utf-8", "replace"))
    if size > MAX_BYTES:
        raise ConfigError(f"The data have {size:,} bytes: at most {MAX_BYTES:,} (1 MB) are accepted",
                          f"数据有 {size:,} 字节：最多接受 {MAX_BYTES:,} 字节（1 MB）")
    text = _decode(data) if isinstance(data, bytes) else data.removeprefix("\ufeff")
    _check_text(text)
    numbered = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if len(numbered) > MAX_ROWS + 1:  # refused before splitting them
        raise ConfigError(f"{len(numbered):,} lines: at most {MAX_ROWS:,} data rows (and a header row) are accepted",
                          f"数据有 {len(numbered):,} 行：最多接受 {MAX_ROWS:,} 行数据（外加一行表头）")
    split = zip((n for n, _ in numbered), _split([line for _, line in numbered]), strict=True)
    table = [(n, cells) for n, cells in split if any(cells)]  # drop rows of separators only (",,,")
    if not table:
        raise ConfigError("The data are empty: give one point per line, e.g. 1, 2",
                          "数据为空：请每行写一个数据点，例如 1, 2")
    width = max(len(cells) for _, cells in table)
    if width > MAX_COLUMNS:
        raise ConfigError(f"Row {table[0][0]} has {width} columns: at most {MAX_COLUMNS} are accepted",
                          f"第 {table[0][0]} 行有 {width} 列：最多接受 {MAX_COLUMNS} 列")
    header = any(map(_is_text, table[0][1]))
    names = [_letters(j) for j in range(width)]
    if header:
        for j, cell in enumerate(table.pop(0)[1]):
            names[j] = cell or names[j]
        names = [name if name not in names[:j] else f"{name} ({j + 1})" for j, name in enumerate(names)]
    if len(table) < 2:
        raise ConfigError(f"{len(table)} data row{'s' * (len(table) != 1)}{' after the header' * header}: "
                          "at least 2 are needed, one point per line",
                          f"{'表头之后' * header}只有 {len(table)} 行数据：至少需要 2 行，每行一个数据点")
    if len(table) > MAX_ROWS:
        raise ConfigError(f"{len(table):,} data rows: at most {MAX_ROWS:,} are accepted",
                          f"数据有 {len(table):,} 行：最多接受 {MAX_ROWS:,} 行")
    rows = [n for n, _ in table]
    found = {name: _column(name, [cells[j] if j < len(cells) else "" for _, cells in table], rows)
             for j, name in enumerate(names)}
    numeric = [name for name, col in found.items() if isinstance(col, np.ndarray)]
    if len(numeric) < 2:
        why = [(f"{_q(name)} is numeric", f"{_q(name)} 是数值列") if name in numeric else col
               for name, col in found.items()]
        en = f"Two numeric columns are needed (x and y), found {len(numeric)} of {width}: "
        zh = f"需要两个数值列（x 和 y），{width} 列中只找到 {len(numeric)} 个："
        en, zh = en + "; ".join(e for e, _ in why), zh + "；".join(z for _, z in why)
        if width == 1:
            en += "; separate values by commas, semicolons, tabs or spaces"
            zh += "；数值之间要用逗号、分号、制表符或空格分隔"
        raise ConfigError(en, zh)
    return Table(numeric, {name: found[name] for name in numeric})


def regression_data(table: Table, x_column: str, y_column: str) -> dict:
    """{"x": [...], "y": [...]} for the linear-regression surface's surface_params."""
    for column in (x_column, y_column):
        if column not in table.values:
            valid = ", ".join(map(_q, table.columns))
            raise ConfigError(f"No numeric column {_q(column)}; the columns are {valid}",
                              f"没有数值列 {_q(column)}；可用的列：{valid}")
    if x_column == y_column:
        raise ConfigError(f"x and y are both column {_q(x_column)}: choose two different columns",
                          f"x 和 y 都是 {_q(x_column)} 列：请选择两个不同的列")
    x = table.values[x_column]
    if np.ptp(x) == 0:
        raise ConfigError(f"Column {_q(x_column)} holds one value only ({x[0]:g}): x needs at least two different "
                          "values to fit a line",
                          f"{_q(x_column)} 列只有一个值（{x[0]:g}）：x 至少需要两个不同的值才能拟合直线")
    return {"x": x.tolist(), "y": table.values[y_column].tolist()}
