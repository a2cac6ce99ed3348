"""Uploaded and pasted data: `surfaces.datasets` (parsing, refusals in two languages) and `ui.upload` (AppTest)."""

import codecs
import random
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from schema import ConfigError
from surfaces import get_surface
from surfaces.datasets import MAX_BYTES, MAX_ROWS, read_table, regression_data

# --- read_table: what is accepted -------------------------------------------------------------------------


def columns(data) -> dict:
    table = read_table(data)
    return {name: table.values[name].tolist() for name in table.columns}


@pytest.mark.parametrize(("data", "expected"), [
    (b"x,y\n1,2\n2,4\n3,6.5\n", {"x": [1, 2, 3], "y": [2, 4, 6.5]}),
    ("1,2\n2,4\n3,6.5", {"A": [1, 2, 3], "B": [2, 4, 6.5]}),
    ("h;w\n1.5;-2\n3;4e2\n", {"h": [1.5, 3], "w": [-2, 400]}),
    ("h\tw\r\n1\t2\r\n3\t4\r\n", {"h": [1, 3], "w": [2, 4]}),
    (codecs.BOM_UTF8 + b"x,y\n1,2\n3,4", {"x": [1, 3], "y": [2, 4]}),
    ("\ufeffx,y\n1,2\n3,4", {"x": [1, 3], "y": [2, 4]}),
    ("身高,体重\n170,60\n180,75\n".encode("utf-16"), {"身高": [170, 180], "体重": [60, 75]}),
    ("身高,体重\n170,60\n180,75\n".encode("utf-16-be").join([codecs.BOM_UTF16_BE, b""]),
     {"身高": [170, 180], "体重": [60, 75]}),
    ("  1   2\n\n 3\t4.5 \n5 6\n", {"A": [1, 3, 5], "B": [2, 4.5, 6]}),
    ("x, y\n 1 , 2 \n3, 4\n,,\n", {"x": [1, 3], "y": [2, 4]}),          # spaces, a row of separators only
    ('"height, cm","w"\n"1","2"\n3,4\n', {"height, cm": [1, 3], "w": [2, 4]}),
])
def test_read_table_accepts(data, expected):
    assert columns(data) == expected


def test_more_than_two_columns_and_text_columns_kept_apart():
    table = read_table("name,a,b,c\nann,1,2,3\nbob,4,5,6\ncid,7,8,9\n")
    assert table.columns == ["a", "b", "c"] and table.n_rows == 3
    assert table.values["c"].dtype == np.float64 and table.values["c"].tolist() == [3, 6, 9]


def test_limits_are_inclusive():
    rows = "\n".join(f"{i},{i % 7}" for i in range(MAX_ROWS))
    assert read_table("x,y\n" + rows).n_rows == MAX_ROWS
    assert columns("1e6,-1e6\n0,1") == {"A": [1e6, 0], "B": [-1e6, 1]}


# --- read_table: what is refused, and how it is said ------------------------------------------------------


def refusal(data) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        read_table(data)
    err = info.value
    assert err.message("zh").strip() and err.message("zh") != err.message("en")
    assert any("\u4e00" <= c <= "\u9fff" for c in err.message("zh"))
    return err


LATIN1 = "x,y\ncafé,1\n2,3\n".encode("latin-1")


@pytest.mark.parametrize(("data", "en", "zh"), [
    (b"", "empty", "为空"),
    ("  \n\n \t\n", "empty", "为空"),
    (b"x,y\n", "0 data rows after the header", "表头之后只有 0 行"),
    ("x,y\n1,2", "1 data row after the header", "只有 1 行"),
    ("1 2 3 4 5 6", "1 data row", "只有 1 行"),
    ("x,y\n1,2\nabc,3\n4,5", "'x' is not numeric (first bad cell 'abc' in row 3)", "第 3 行的 'abc'"),
    ("x,y\n1,2\n3,nan\n4,5", "Column 'y' row 3 holds 'nan'", "第 3 行 'y' 列"),
    ("x,y\n1,2\n3,inf\n4,5", "Column 'y' row 3 holds 'inf'", "第 3 行 'y' 列"),
    ("x,y\n1,2\n3,\n4,5", "Column 'y' row 3 is empty", "第 3 行 'y' 列为空"),
    ("x\ty\n1\t2\n3\tNA\n", "row 3 holds 'NA'", "第 3 行"),
    ("x,y\n1,2\n3,1e7", "row 3: 1e+07 is beyond ±1e6", "超出 ±1e6"),
    ("1\n2\n3\n", "found 1 of 1", "逗号、分号"),
    ("1,5;2,3\n2,5;4,1\n", "'1,5' uses a decimal comma", "小数逗号"),
    ("x\ty\n1,5\t2\n2\t3\n", "decimal comma", "小数逗号"),
    ("x,y\n" + "1,2\n" * (MAX_ROWS + 1), "10,002 lines: at most 10,000 data rows", "最多接受 10,000 行"),
    ("1,2\n" * (MAX_ROWS + 1), "10,001 data rows", "10,001 行"),                # no header: counted after parsing
    (LATIN1, "not UTF-8 text (line 2 holds the byte 0xe9", "GBK"),
    (bytes(range(256)) * 100, "not UTF-8", "UTF-8"),
    ("x,y\n1,2\n3,4".encode("utf-16-le"), "U+0000", "二进制"),       # UTF-16 without a byte-order mark
    ("x,y\n1,2\x00\n3,4", "U+0000", "二进制"),
    (b"PK\x03\x04\x14\x00\x06\x00", "Excel", "Excel"),
    ((",".join(map(str, range(101))) + "\n") * 3, "101 columns", "101 列"),
    (";", "empty", "为空"),
])
def test_read_table_refuses(data, en, zh):
    err = refusal(data)
    assert en in err.message("en") and zh in err.message("zh")


@pytest.mark.parametrize("seed", range(20))
def test_random_bytes_after_a_utf16_bom_are_an_encoding_problem(seed):
    rng = random.Random(seed)
    data = b"\xff\xfe\xfa" + bytes(rng.randrange(256) for _ in range(rng.choice([13, 30, 61, 400])))
    assert "UTF-16" in refusal(data).message("en")


def test_fifty_megabytes_are_refused_by_size_before_parsing():
    data = b"1,2\n" * 12_500_000
    start = time.perf_counter()
    err = refusal(data)
    assert time.perf_counter() - start < 1
    assert "50,000,000 bytes" in str(err) and f"{MAX_BYTES:,}" in err.message("zh")
    assert "bytes" in str(refusal("1,2\n" * 250_001))  # pasted text: counted in UTF-8 bytes


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.text(alphabet="0123456789.,;\t \n-+eE\"abc\ufeff\x00", max_size=300))
def test_anything_is_a_table_or_a_config_error(data):
    try:
        table = read_table(data)
    except ConfigError as err:
        assert err.message("zh") and err.message("en")
        return
    assert len(table.columns) >= 2 and all(np.isfinite(table.values[c]).all() for c in table.columns)


# --- regression_data ------------------------------------------------------------------------------------


def test_round_trip_into_the_regression_surface_gives_the_least_squares_minimum():
    rng = np.random.default_rng(0)
    x = rng.uniform(-5, 5, 40)
    y = 2.5 * x - 1 + rng.normal(0, 0.3, 40)
    rows = (f"{i},{a!r},{b!r}\n" for i, (a, b) in enumerate(zip(x.tolist(), y.tolist(), strict=True)))
    csv = "t,height,weight\n" + "".join(rows)
    data = regression_data(read_table(csv.encode()), "height", "weight")
    assert data == {"x": x.tolist(), "y": y.tolist()}
    surface = get_surface("linear_regression", {**data, "standardize": False})
    np.testing.assert_allclose(surface.minima[0], np.polyfit(x, y, 1), rtol=1e-9)
    assert surface.n_samples == 40


@pytest.mark.parametrize(("csv", "x", "y", "en", "zh"), [
    ("a,b\n1,2\n3,4", "a", "a", "x and y are both column 'a'", "两个不同的列"),
    ("a,b\n1,2\n3,4", "a", "c", "No numeric column 'c'", "没有数值列 'c'"),
    ("a,b\n2,2\n2,4\n2,5", "a", "b", "'a' holds one value only (2)", "至少需要两个不同的值"),
])
def test_regression_data_refuses(csv, x, y, en, zh):
    with pytest.raises(ConfigError) as info:
        regression_data(read_table(csv), x, y)
    assert en in info.value.message("en") and zh in info.value.message("zh")


# --- ui.upload.data_source in a tiny app ----------------------------------------------------------------


def _script():
    import streamlit as st

    from ui.upload import data_source

    st.session_state.result = data_source("t")


def app(lang=None) -> AppTest:
    at = AppTest.from_function(_script, default_timeout=30)
    if lang:
        at.query_params["lang"] = lang
    return at.run()


def paste(at: AppTest, text: str) -> AppTest:
    at.radio(key="t.data_source").set_value("paste").run()
    return at.text_area(key="t.paste").input(text).run()


def test_the_course_data_by_default():
    at = app()
    assert not at.exception and at.session_state.result is None and not at.error
    assert at.radio(key="t.data_source").value == "course"


def test_pasted_values_become_x_and_y():
    at = paste(app(), "1,2\n2,4\n3,6.5")
    assert not at.exception and not at.error
    assert at.session_state.result == {"x": [1.0, 2.0, 3.0], "y": [2.0, 4.0, 6.5]}
    assert "3 points" in at.caption[0].value and at.dataframe[0].value.shape == (3, 2)


@pytest.mark.parametrize(("lang", "text"), [("en", "Two numeric columns"), ("zh", "需要两个数值列")])
def test_pasted_garbage_shows_an_error_in_the_language_and_keeps_the_course_data(lang, text):
    at = paste(app(lang), "hello world\nfoo bar\nbaz qux")
    assert not at.exception and at.session_state.result is None
    assert text in at.error[0].value and len(at.caption) == 1


def test_nothing_pasted_or_uploaded_yet_keeps_the_course_data():
    at = app()
    at.radio(key="t.data_source").set_value("upload").run()
    assert not at.exception and at.session_state.result is None and not at.error
    assert at.file_uploader[0].allowed_type == [".csv", ".txt"] or at.file_uploader[0].allowed_type == ["csv", "txt"]
    assert "1 MB" in at.file_uploader[0].label


def test_upload_with_three_columns_offers_x_and_y():
    at = app()
    at.radio(key="t.data_source").set_value("upload").run()
    at.file_uploader[0].set_value(("d.csv", b"a,b,c\n1,10,5\n2,20,3\n3,31,1\n", "text/csv")).run()
    assert not at.exception and not at.error
    assert at.session_state.result == {"x": [1.0, 2.0, 3.0], "y": [10.0, 20.0, 31.0]}
    at.selectbox(key="t.y_column").set_value("c").run()
    assert at.session_state.result == {"x": [1.0, 2.0, 3.0], "y": [5.0, 3.0, 1.0]}
    at.selectbox(key="t.x_column").set_value("c").run()  # x = y = c: refused, course data meanwhile
    assert not at.exception and at.session_state.result is None and "both column 'c'" in at.error[0].value


def test_bad_uploads_show_an_error_and_never_break_the_page():
    at = app("zh")
    at.radio(key="t.data_source").set_value("upload").run()
    for data in (LATIN1, bytes(range(256)) * 100, b"0" * (MAX_BYTES + 1), b"x,y\n1,2\n"):
        at.file_uploader[0].set_value(("d.csv", data, "text/csv")).run()
        assert not at.exception and at.session_state.result is None
        assert at.error and any("\u4e00" <= c <= "\u9fff" for c in at.error[0].value)
