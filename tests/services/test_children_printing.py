"""Programme 3 printouts read back with pypdf: 保密, who printed and when on every page, the
narrative decrypted into the PDF, each printout logged, and no child's name in a file name."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from caseworker.domain.children import Risk
from caseworker.domain.roles import Actor
from caseworker.printing import children_forms as pf
from caseworker.services.children import cases, forms, register, worklists
from caseworker.workspace import Workspace
from tests.services._children import SECRET, TODAY, add_child

AT = datetime(2026, 11, 18, 9, 30)


def _pages(pdf: bytes) -> list[str]:
    return [p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture
def planned(
    office_ws: Workspace, child_staff: dict[str, Actor]
) -> tuple[dict[str, Actor], str, str]:
    staff = child_staff
    sup = staff["dudao"]
    child = add_child(office_ws, sup, "欧阳小满", date(2014, 1, 9), notes="备注" * 200)
    with office_ws.writer(sup) as s:
        for i in range(12):
            register.add_guardian(
                s,
                sup,
                child.id,
                register.GuardianDraft("其他亲属", f"亲属{i}", phone="13800000000"),
            )
        case = cases.report(
            s, sup, cases.ReportDraft(child.id, "学校", date(2026, 10, 1), SECRET), today=TODAY
        )
        cases.verify(s, sup, case.id, date(2026, 10, 2), True, "属实", today=TODAY)
        cases.assess(
            s, sup, case.id, date(2026, 10, 3), Risk.HIGH, ["安全保护"], "高风险", today=TODAY
        )
        cases.plan(
            s,
            sup,
            case.id,
            date(2026, 10, 4),
            [cases.ServiceDraft("转介公安", "报案", "王督导", date(2026, 10, 9))],
            today=TODAY,
        )
    return staff, child.id, case.id


def _printed(ws: Workspace, actor: Actor, tmp_path: Path, **kw) -> tuple[bytes, int]:
    """(the PDF, forms) of a batch printed the way the GUI and the command line print it."""
    with ws.reader(actor) as s:
        batch = forms.visit_form_data(s, actor, today=TODAY, at=AT, **kw)
    out = tmp_path / f"forms-{len(list(tmp_path.iterdir()))}.pdf"
    forms.print_visit_forms(ws, actor, batch, out)
    return out.read_bytes(), len(batch.child_ids)


def test_every_page_says_confidential_and_who_printed_when(
    office_ws: Workspace, planned, tmp_path: Path
) -> None:
    staff, child_id, case_id = planned
    sup = staff["dudao"]
    with office_ws.writer(sup) as s:
        file_pdf = forms.child_file_pdf(s, sup, child_id, today=TODAY, at=AT)
        summary = forms.case_summary_pdf(
            s, sup, case_id, referral_to="城关派出所", today=TODAY, at=AT
        )
    month, count = _printed(office_ws, sup, tmp_path, month=date(2026, 11, 1))
    blank, _ = _printed(office_ws, sup, tmp_path, blank=True)
    assert count == 1
    file_pages = _pages(file_pdf)
    assert len(file_pages) >= 2  # long enough to continue on a second page
    for pdf in (file_pdf, summary, month, blank):
        for text in _pages(pdf):
            assert "保 密" in text and "打印人：王督导" in text and "2026-11-18 09:30" in text
    assert "欧阳小满" in file_pages[0] and "困境儿童档案" in file_pages[0]
    assert SECRET in "".join(_pages(summary)).replace("\n", "")
    assert "城关派出所" in _pages(summary)[0]
    assert "欧阳小满" in _pages(month)[0] and "困境儿童回访记录表" in _pages(blank)[0]
    assert PdfReader(io.BytesIO(file_pdf)).metadata.title == "保密"
    with office_ws.reader() as s:
        actions = [r.action for r in worklists.view_log(s, sup, child_id=child_id)]
    assert {"打印档案", "打印个案摘要", "打印回访表"} <= set(actions)


def test_default_file_names_carry_no_child_name() -> None:
    name = pf.default_filename("儿童档案", AT)
    assert name == "儿童档案-20261118-093000.pdf"


def test_other_roles_cannot_print(office_ws: Workspace, planned, worker: Actor) -> None:
    from caseworker.domain.errors import NotFound, PermissionDenied

    staff, child_id, case_id = planned
    with office_ws.writer(worker) as s, pytest.raises(PermissionDenied):
        forms.child_file_pdf(s, worker, child_id)
    other = staff["ertong2"]
    with office_ws.writer(other) as s, pytest.raises(NotFound):
        forms.case_summary_pdf(s, other, case_id)
    with office_ws.reader(worker) as s, pytest.raises(PermissionDenied):
        forms.visit_form_data(s, worker, blank=True)


def _text_past(pdf: bytes, right: float) -> str:
    """The characters of the first page drawn (even in part) right of `right` (points)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        text = doc[0].get_textpage()
        out = []
        for i in range(text.count_chars()):
            _left, _bottom, char_right, _top = text.get_charbox(i)
            if char_right > right + 0.5:
                out.append(text.get_text_range(i, 1))
        return "".join(out).strip()
    finally:
        doc.close()


def test_the_visit_forms_answers_stay_inside_the_form() -> None:
    """回访方式's last choice (视频) ran over the table's edge when it had half a row (layout
    2, kept only to read forms printed with it); the current layout keeps every character
    inside the form's right border."""
    printed = pf.Printed("王芳", AT, "幸福街道")
    data = pf.VisitFormData(child_name="张小明", community="幸福社区", risk="中")
    assert "频" in _text_past(pf.render([pf.visit_form(data, layout=2)], printed), pf.RIGHT)
    assert _text_past(pf.render([pf.visit_form(data)], printed), pf.RIGHT) == ""
