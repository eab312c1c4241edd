"""What each printed form looks like to the reader, by printed-form kind.

The tick boxes and handwritten areas come from the very drawing code that prints the form
(caseworker.printing.visit_forms.geometry for the elderly visit form,
caseworker.printing.children_forms.visit_geometry for the child visit form), so the reader can
never drift from the paper; the blank form rendered once tells the reader what is print. The
retrofit acceptance's boxes flow with its items: where they were drawn is recorded with each
printed form (`for_found`). The other forms (the route sheet, the retrofit assessment) are
matched and kept by their code; their entries are typed.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from reportlab.lib.pagesizes import A4, landscape

from caseworker.printing import paper_marks
from caseworker.scan.reader import PRINT_DPI, Template, TemplateBox


def _printed(pdf: bytes) -> np.ndarray:
    """The first page of a blank form as printed, grayscale at PRINT_DPI."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        page = doc[0]
        bitmap = page.render(scale=PRINT_DPI / 72, grayscale=True)
        arr = np.asarray(bitmap.to_pil().convert("L")).copy()
        page.close()
        return arr
    finally:
        doc.close()


VISIT_KINDS = ("elderly_visit", "elderly_visit_blank")
CHILD_VISIT_KINDS = ("child_visit", "child_visit_blank")
# the child visit form's printed questions -> the visit entry's fields
CHILD_FIELDS = {"回访方式": "method", "是否见到儿童": "child_seen", "安全隐患": "safety_concern"}


@cache
def for_kind(kind: str, printed_with: str = "") -> Template:
    """The template of a form of `kind`; `printed_with` is the template and version recorded
    when the form was printed (`printed_form.template`): a form printed before its layout
    changed is read with the layout it was printed with."""
    if kind in VISIT_KINDS:
        from caseworker.domain.visit_form import CHOICE_FIELDS
        from caseworker.printing.visit_forms import geometry, render_blank_form

        g = geometry()
        return Template(
            "visitform/2",
            A4,
            tuple(TemplateBox(b.field, b.choice, b.rect) for b in g.boxes),
            g.areas,
            paper_marks.qr_rect(),
            frozenset({"referral"} | {f.name for f in CHOICE_FIELDS if f.multi}),
            _printed(render_blank_form()),
        )
    if kind in CHILD_VISIT_KINDS:
        from datetime import datetime

        from caseworker.printing import children_forms as cf

        layout = cf.VISIT_LAYOUT
        if printed_with.startswith("childvisit/"):
            version = printed_with.partition("/")[2]
            layout = (
                int(version) if version.isdigit() and int(version) in cf.VISIT_LAYOUTS else layout
            )
        g = cf.visit_geometry(layout)
        blank = cf.render(
            [cf.visit_form(cf.VisitFormData(), layout=layout)], cf.Printed("", datetime(2000, 1, 1))
        )
        return Template(
            f"childvisit/{layout}",
            A4,
            tuple(TemplateBox(CHILD_FIELDS[label], choice, r) for label, choice, r in g.boxes),
            g.areas,
            paper_marks.qr_rect(qr_right=cf.RIGHT - 60),
            frozenset(),
            _printed(blank),
        )
    if kind == "elderly_route":
        return Template("routesheet/2", landscape(A4))
    return Template(kind, A4)


ACCEPTANCE_KINDS = ("retrofit_acceptance", "retrofit_acceptance_blank")


def for_found(session, found) -> Template:
    """The template of one printed form (caseworker.services.paper.Found): by its kind, or,
    for a form whose tick boxes flow with its content (the retrofit acceptance), from where
    they were drawn when it was printed. Such a form has no blank print to lay a scan over:
    its boxes are drawn clear of any print, and its page is placed by its marks alone."""
    if found.kind not in ACCEPTANCE_KINDS:
        return for_kind(found.kind, found.template)
    from caseworker.services import paper

    boxes = tuple(
        TemplateBox(name, choice, rect)
        for page, name, choice, rect in paper.layout_of(session, found.form_id)
        if page == found.page
    )
    return Template(
        f"retrofit-accept/{found.form_id}/{found.page}", A4, boxes, (), paper_marks.qr_rect()
    )
