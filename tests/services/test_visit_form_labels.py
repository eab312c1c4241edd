"""The printed visit form's left-column labels break between words, never leaving one
character alone on a line (生活与/经济, not 生活与经/济). Read back from the real PDF."""

from __future__ import annotations

from io import BytesIO

from pypdf import PdfReader

from caseworker.printing.fonts import register
from caseworker.printing.text import wrap_balanced
from caseworker.printing.visit_forms import render_blank_form


def test_balanced_lines() -> None:
    font = register()
    assert wrap_balanced("生活与经济", font, 9.0, 44.0, 3) == ["生活与", "经济"]
    assert wrap_balanced("健康状况", font, 9.0, 44.0, 3) == ["健康状况"]


def test_the_printed_labels_do_not_strand_a_character() -> None:
    text = PdfReader(BytesIO(render_blank_form())).pages[0].extract_text()
    lines = [ln.strip() for ln in text.splitlines()]
    for first, second in (("生活与", "经济"), ("发现的", "问题"), ("采取的", "措施")):
        assert first in lines and second in lines, (first, second)
    for stranded in ("济", "题", "施"):
        assert stranded not in lines
