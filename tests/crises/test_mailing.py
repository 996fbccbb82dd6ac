"""The crisis messages' templates: plain text, sentences never cut by a line break, and the page
showing a message wraps its long lines (a class of the static style sheet: no inline style)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cpts.crises import mailing

CSS = Path(mailing.__file__).parent.parent / "static" / "cpts" / "site.css"


@pytest.mark.parametrize("key", list(mailing.TEMPLATES))
def test_no_sentence_is_cut_by_a_line_break(key: str) -> None:
    _, body = mailing.render(
        key,
        community="CPTS Nord",
        crisis="Grippe",
        typology="Épidémie",
        day=dt.date(2025, 1, 20),
        text="Texte libre.",
    )
    lines = [line for line in body.splitlines() if line]
    # each line but the signature ends a sentence (or opens a list, or greets)
    assert all(line.endswith((".", ":", ",")) for line in lines[:-1]), lines
    assert lines[-1] == "La coordination de la CPTS Nord"


def test_the_consignes_read_on_one_line() -> None:
    _, body = mailing.render(
        "instructions",
        community="CPTS Nord",
        crisis="Grippe",
        typology="Épidémie",
        day=dt.date(2025, 1, 20),
        text="Masques.",
    )
    assert "voici les consignes de la CPTS Nord :" in body


def test_the_message_block_wraps_its_lines() -> None:
    css = CSS.read_text()
    rule = css[css.index("pre.cpts-message {") :].split("}")[0]
    assert "white-space: pre-wrap;" in rule
