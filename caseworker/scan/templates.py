"""What each printed form looks like to the reader, by printed-form kind.

The elderly visit form's tick boxes and handwritten areas come from the very drawing code that
prints it (caseworker.printing.visit_forms.geometry), so the reader can never drift from the
paper. The other forms are matched and kept by their code and corner marks; their ticks are
typed (their tick boxes are printed as text glyphs inside a table, with no fixed place).
"""

from __future__ import annotations

from functools import cache

import numpy as np
from reportlab.lib.pagesizes import A4, landscape

from caseworker.printing import paper_marks
from caseworker.scan.reader import PRINT_DPI, Template, TemplateBox


def _printed_blank() -> np.ndarray:
    """The blank visit form as printed, grayscale at PRINT_DPI."""
    import pypdfium2 as pdfium

    from caseworker.printing.visit_forms import render_blank_form

    doc = pdfium.PdfDocument(render_blank_form())
    try:
        page = doc[0]
        bitmap = page.render(scale=PRINT_DPI / 72, grayscale=True)
        arr = np.asarray(bitmap.to_pil().convert("L")).copy()
        page.close()
        return arr
    finally:
        doc.close()


VISIT_KINDS = ("elderly_visit", "elderly_visit_blank")


@cache
def for_kind(kind: str) -> Template:
    if kind in VISIT_KINDS:
        from caseworker.printing.visit_forms import geometry

        g = geometry()
        return Template(
            "visitform/2",
            A4,
            tuple(TemplateBox(b.field, b.choice, b.rect) for b in g.boxes),
            g.areas,
            paper_marks.qr_rect(),
            _printed_blank(),
        )
    if kind == "elderly_route":
        return Template("routesheet/2", landscape(A4))
    return Template(kind, A4)
