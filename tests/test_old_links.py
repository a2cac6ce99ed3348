"""Links made before the page declarations (tests/data/old_links.json, written by the old share.py) still open
the same view: each decodes to the state it decoded to then, and encodes back to the same text."""

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
    assert encode(link["page"], link["state"]) == link["c"]
