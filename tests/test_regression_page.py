"""AppTest for the Linear-regression page: modes, groups, standardize, the course's example, data upload."""


import pytest
from apptest import open_app
from streamlit.testing.v1 import AppTest


def regression_page(lang="en") -> AppTest:
    return open_app("pages/regression.py", lang)


def test_three_gradient_modes_side_by_side():
    at = regression_page()
    assert not at.exception and not at.error
    assert len(at.get("plotly_chart")) == 1
    labels = list(at.dataframe[0].value.iloc[:, 0])
    assert labels == ["Full batch", "Mini-batch (B=4)", "Single sample (B=1)"]
    assert len(at.main.code) >= 4  # the fitted lines and one torch code per mode
    assert "DataLoader" in at.main.code[-1].value and "batch_size=1" in at.main.code[-1].value


def test_parameter_groups_show_the_per_group_code():
    at = regression_page()
    at.toggle(key="lr.groups").set_value(True).run()
    assert not at.exception
    code = at.main.code[-3].value  # the full-batch run's code
    assert '{"params": [b], "lr": 0.1}' in code


def test_standardize_changes_the_surface():
    at = regression_page()
    before = at.dataframe[0].value.iloc[0, 1]
    at.toggle(key="lr.standardize").set_value(True).run()
    assert not at.exception and at.dataframe[0].value.iloc[0, 1] != before


def test_the_course_example_button_shows_the_printout():
    at = regression_page()
    at.button(key="lr.course.button").click().run()
    assert not at.exception
    text = "\n".join(c.value for c in at.main.code)
    assert "--- Training with Adam ---" in text and "Epoch [100/100]" in text and "--- Training with LBFGS ---" in text
    assert len(at.get("plotly_chart")) == 2


def test_lbfgs_is_explained():
    at = regression_page()  # the page's default 200 steps
    at.selectbox(key="lr.run.optimizer").set_value("LBFGS").run()
    assert not at.exception
    assert any("closure" in i.value for i in at.info)


@pytest.mark.parametrize(("lang", "title"), [("en", "Linear regression"), ("zh", "线性回归")])
def test_both_languages(lang, title):
    at = regression_page(lang)
    assert not at.exception and at.title[0].value.startswith(title)


@pytest.mark.parametrize(("data", "ok"), [
    (b"x,y\n1,2.1\n2,3.9\n3,6.2\n4,8.1\n", True),
    (b"", False),
    (b"x,y\n1,abc\n2,3\n", False),
    (b"x,y\n1,2\n", False),
    (b"x,y\n" + b"1,2\n" * 5_000_000, False),   # 20 MB: refused by size
    ("x,y\n1,2\n2,é\n".encode("latin-1"), False),  # not UTF-8
])
def test_uploads_on_the_page(data, ok):
    at = regression_page()
    at.radio(key="lr.data_source").set_value("upload").run()
    at.file_uploader(key="lr.file").set_value(("data.csv", data, "text/csv")).run()
    assert not at.exception
    assert len(at.dataframe) >= 1 and len(at.get("plotly_chart")) == 1  # the page keeps working
    assert bool(at.sidebar.error) != ok
