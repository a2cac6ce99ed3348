"""In Chinese, no English words on any page: every page from the sidebar's navigation (`?lang=zh`; test_browser's
PAGES, as tests/test_audit.py reads them), each expander opened and each tab shown, the players' frames too, is read
as a user sees it, CSS `content` included; its widget labels, buttons, captions, headings, table headers, tabs,
expander titles, options and notes must hold no Latin-letter word outside code, formulas and numbers, except names a
student types in code or reads in torch's documentation (`ALLOWED`, `identifier`).  Also: the file uploaders' own
texts (Streamlit writes them in English)."""

import re

import pytest
from test_browser import PAGES, open_app, wait_idle

from optimizers import OPTIMIZERS, PRESETS, SCHEDULERS
from surfaces.datasets import MAX_BYTES
from texts import LANGUAGES, text

pytestmark = pytest.mark.browser

# What a user reads as interface text, by kind. Page links are the navigation; alerts and option labels read as
# sentences too.
PARTS = {
    "label": '[data-testid="stWidgetLabel"]',
    "button": "button, [role=button], a[data-testid=stPageLink-NavLink]",
    "caption": '[data-testid="stCaptionContainer"]',
    "heading": "h1, h2, h3, h4, h5, h6",
    "table header": "th, [role=columnheader]",
    "tab": "[role=tab]",
    "expander": '[data-testid="stExpander"] summary',
    "option": "[role=radiogroup] label, [role=option], [data-baseweb=select] [value], select option",
    "note": '[data-testid="stAlertContainer"], [data-testid="stNotification"]',
    "drop zone": '[data-testid="stFileUploaderDropzone"]',
}
# The text an element shows: its visible text nodes and CSS ::before/::after content (not at size 0), without
# code, KaTeX, SVG or icons.
SHOWN = r"""(selectors) => {
  const skip = el => el.matches('code, pre, .katex, svg, [translate=no][aria-hidden=true]');  // icons' names too
  const pseudo = (el, which) => {
    const style = getComputedStyle(el, which), c = style.content;
    return c && c.startsWith('"') && style.fontSize !== '0px' ? c.slice(1, -1).replace(/\\"/g, '"') : '';
  };
  const read = el => {
    const contents = getComputedStyle(el).display === 'contents';  // no box of its own, its children have
    if (skip(el) || !(contents || el.checkVisibility({visibilityProperty: true}))) return '';
    const seen = getComputedStyle(el).fontSize !== '0px';  // text set at size 0 is there for screen readers only
    let out = pseudo(el, '::before');
    for (const node of el.childNodes) {
      out += node.nodeType === 3 ? (seen ? node.textContent : '') : node.nodeType === 1 ? ' ' + read(node) + ' ' : '';
    }
    return out + pseudo(el, '::after');
  };
  const found = [];
  for (const [kind, selector] of Object.entries(selectors)) {
    for (const el of document.querySelectorAll(selector)) {
      const shown = read(el).replace(/\s+/g, ' ').trim();
      if (shown) found.push([kind, shown]);
    }
  }
  return found;
}"""

# Names a student types in code or reads in torch's documentation: every optimizer, preset and scheduler, each of
# their keywords (lr, momentum, betas, T_max …) and the torch words the pages teach with.
TORCH = {*OPTIMIZERS, *PRESETS, *SCHEDULERS, *(p.key for spec in (*OPTIMIZERS.values(), *SCHEDULERS.values())
                                               for p in spec.params),
         "torch", "optim", "epoch"}  # epoch: DataLoader's and the schedulers' word, kept in Chinese courses too
# Proper names: the loss surfaces' authors, programs a student may use, and each language's own name (the switch).
NAMES = {"Rosenbrock", "Himmelblau", "Beale", "Booth", "Rastrigin", "Styblinski", "Tang", "Python", "Excel",
         *LANGUAGES.values()}
ALLOWED = {word.lower() for word in TORCH | NAMES}
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.'’]*")


def identifier(word: str) -> bool:
    """A token that reads as code, a unit or a symbol, not as an English word: one letter (x, y, w, b), all capitals
    (SGD, MSE, CSV, MB), a capital inside (AdamW, StepLR, PyTorch), or a dot, underscore or digit in it."""
    return (len(word) == 1 or word.isupper() or any(c.isupper() for c in word[1:])
            or bool(re.search(r"[._0-9]", word)))


def english(shown: str) -> list[str]:
    """The words of `shown` that are neither allowed names nor identifiers."""
    return [w for w in WORD.findall(shown) if not identifier(w.rstrip(".'’")) and w.rstrip(".'’").lower()
            not in ALLOWED]


def _scan(page) -> list[tuple[str, str]]:
    """(kind, text) of everything the page shows now, its components' frames included."""
    shown = page.evaluate(SHOWN, PARTS)
    for frame in page.frames:
        if "/component/" in frame.url:
            shown += frame.evaluate(SHOWN, PARTS)
    return shown


def _open_everything(page) -> list[tuple[str, str]]:
    """The page's texts with every expander opened, each tab shown in turn."""
    for summary in page.locator('[data-testid="stMain"] [data-testid="stExpander"] details:not([open]) > summary, '
                                '[data-testid="stSidebar"] [data-testid="stExpander"] details:not([open]) > summary'
                                ).all():
        if summary.is_visible():
            summary.click()
    page.wait_for_timeout(300)
    shown = _scan(page)
    for tab in page.locator("[role=tab]").all():
        if tab.is_visible():
            tab.click()
            page.wait_for_timeout(300)
            shown += _scan(page)
    return shown


def test_the_word_check_tells_words_from_names():
    assert english("Drag and drop file here") == ["Drag", "and", "drop", "file", "here"]
    assert english("Limit 5MB per file • CSV") == ["Limit", "per", "file"]
    assert english("condition") == ["condition"] and english("Upload") == ["Upload"]
    assert english("torch.optim.SGD(lr=0.1, momentum=0.9) 的 betas, StepLR, T_max, AdamW, Rosenbrock 函数, x₁") == []
    assert english("最大 5 MB · JSON, epoch 2") == []


def test_no_english_word_on_any_page_in_chinese(page, app_url):
    open_app(page, app_url, "/?lang=zh")
    found = {}
    for nav, _ in PAGES:
        name = text(nav, "zh")
        page.locator("[data-testid=stSidebar]").get_by_text(name, exact=True).click()
        wait_idle(page)
        page.wait_for_timeout(1500)  # the players' frames have drawn
        for kind, shown in _open_everything(page):
            if words := english(shown):
                found.setdefault(f"{name} · {kind}: {shown[:90]}", words)
    assert not found, "\n".join(f"{where}  <- {words}" for where, words in found.items())


def _dropzone_texts(page) -> list[str]:
    return [shown for kind, shown in _scan(page) if kind == "drop zone"]


def test_the_file_uploaders_speak_chinese(page, app_url):
    """Streamlit's "Upload", "5MB per file • JSON" and "Drag and drop a file here" are ours, in Chinese, and the
    limit each states is the one the app enforces (the regression data 1 MB, a saved state_dict 5 MB)."""
    open_app(page, app_url, "/regression?lang=zh")
    page.locator("[data-testid=stSidebar] [role=radiogroup] label").filter(has_text=text("data.upload", "zh")).click()
    wait_idle(page)
    zones = _dropzone_texts(page)
    data_limit = text("data.uploader.limit", "zh", mb=MAX_BYTES // 1_000_000, types="CSV, TXT")
    assert any(data_limit in zone for zone in zones), zones
    assert all(text("data.uploader.button", "zh") in zone and not english(zone) for zone in zones), zones
    # while a file is dragged over the drop zone
    files = page.evaluate_handle("() => { const files = new DataTransfer();"
                                 "files.items.add(new File(['x,y'], 'd.csv', {type: 'text/csv'})); return files; }")
    zone = page.locator('[data-testid="stFileUploaderDropzone"]:visible').first
    zone.dispatch_event("dragenter", {"dataTransfer": files})
    page.wait_for_timeout(300)
    dragging = _dropzone_texts(page)
    assert any(text("data.uploader.drop", "zh") in zone for zone in dragging), dragging
    assert not any(english(zone) for zone in dragging), dragging

    open_app(page, app_url, "/inside?lang=zh")
    zones = _dropzone_texts(page)
    assert any(text("data.uploader.limit", "zh", mb=5, types="JSON") in zone for zone in zones), zones
    assert zones and not any(english(zone) for zone in zones), zones
