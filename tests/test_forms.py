"""The generated parameter widgets (ui/forms.py) speak the user's language: a surface's parameters have translated
labels; torch's keywords (lr, momentum, betas) and a formula's symbols (Rosenbrock's a, b) stay as they are."""

import pytest
from apptest import open_app

from optimizers import OPTIMIZERS
from surfaces import SURFACES
from texts import CATALOGUES, text

LABELLED = [(spec.key, p) for spec in SURFACES.values() for p in spec.params
            if p.kind != "float_list" and len(p.key) > 1]  # data columns are no widget; a, b, A: the formula's


def test_the_labelled_parameters_are_found():
    assert {"condition", "rotation", "formula", "x_min", "standardize"} <= {p.key for _, p in LABELLED}


@pytest.mark.parametrize("lang", sorted(CATALOGUES))
def test_every_surface_parameter_named_by_a_word_has_a_label(lang):
    missing = [f"{surface}.{p.key}: {p.help}.label" for surface, p in LABELLED if f"{p.help}.label" not in
               CATALOGUES[lang]]
    assert not missing, missing


def _labels(at) -> list[str]:
    return [w.label for kind in ("slider", "select_slider", "text_input", "toggle", "number_input")
            for w in at.get(kind)]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("surface", ["bowl", "custom"])
def test_a_surfaces_parameters_show_translated_labels(lang, surface):
    at = open_app(None, lang)
    at.selectbox(key="pg.surface").set_value(surface).run()
    assert not at.exception
    labels = _labels(at)
    for key, p in LABELLED:
        if key == surface:
            assert text(f"{p.help}.label", lang) in labels, (p.key, labels)
            assert p.key not in labels


def test_torch_keywords_stay_keywords():
    at = open_app(None, "zh")
    assert not at.exception
    labels = _labels(at)
    assert "lr" in labels and OPTIMIZERS["Adam"].params[0].key == "lr"
