"""Links made before the page declarations (tests/data/old_links.json, written by the old share.py) still open
the same view: each decodes to the state it decoded to then, whose link now holds no more fields and opens it
again; and the page opened with the link shows those values in its widgets."""

import json
from pathlib import Path

import pytest

from share import decode, encode

OLD_LINKS = json.loads((Path(__file__).parent / "data" / "old_links.json").read_text())
BY_NAME = {link["name"]: link for link in OLD_LINKS}


@pytest.mark.parametrize("name", list(BY_NAME))
def test_an_old_link_decodes_to_its_state(name):
    link = BY_NAME[name]
    assert decode(link["page"], link["c"]) == (link["state"], [])
    again = encode(link["page"], link["state"])
    assert decode(link["page"], again) == (link["state"], [])
    assert set(json.loads(again)) <= set(json.loads(link["c"]))
