"""The children's month of visit forms printed in parts (caseworker.printing.in_parts, as the
elderly month in test_print_in_parts): the joined file has the pages, page numbers and codes of
one document; progress reaches the end; a cancelled or failed batch leaves no file, no printed
code and no view-log row; a whole one records each form's code and logs each child once."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp
from pypdf import PdfReader
from sqlalchemy import func, select

from caseworker.domain.children import Risk
from caseworker.domain.form_code import spaced
from caseworker.domain.roles import Actor
from caseworker.printing import children_forms as pf
from caseworker.printing.paper_marks import Stamp
from caseworker.services import paper
from caseworker.services.children import cases, forms
from caseworker.workspace import Workspace
from db.children import ChildViewLog
from db.models import PrintedForm
from tests.services._children import SECRET, TODAY, add_child

AT = datetime(2026, 11, 18, 9, 30)
PRINTED = pf.Printed("王督导", AT, "测试街道办事处")


def _data(n: int) -> list[pf.VisitFormData]:
    return [
        pf.VisitFormData(community="和平里社区", child_name=f"测试儿童{i}", address=f"和平路{i}号")
        for i in range(n)
    ]


def _stamps(n: int) -> list[Stamp]:
    return [Stamp("123", f"{100000000000 + i * 7919:012d}") for i in range(n)]


def _qr(pdf: Path, index: int) -> str:
    doc = pdfium.PdfDocument(str(pdf))
    try:
        image = doc[index].render(scale=200 / 72).to_pil()
    finally:
        doc.close()
    found = zxingcpp.read_barcodes(image)
    return found[0].text if found else ""


def test_parts_join_to_the_pages_numbers_and_codes_of_one_document(tmp_path: Path) -> None:
    data, stamps = _data(7), _stamps(7)
    one = PdfReader(io.BytesIO(pf.render([pf.visit_form(d) for d in data], PRINTED, stamps)))
    out = tmp_path / "forms.pdf"
    seen: list[tuple[int, int]] = []
    pages = pf.write_visit_forms(
        data, stamps, PRINTED, out, part_pages=3, progress=lambda d, t: seen.append((d, t))
    )
    joined = PdfReader(out, strict=True)
    assert pages == len(joined.pages) == len(one.pages) == 7
    texts = [page.extract_text() for page in joined.pages]
    assert texts == [page.extract_text() for page in one.pages]
    for i, text in enumerate(texts):
        # numbered across the parts, not from 1 in each
        assert f"第 {i + 1} 页" in text and f"测试儿童{i}" in text and "保 密" in text
        assert spaced(stamps[i].code(1)) in text
    assert seen == [(0, 7), (3, 7), (6, 7), (7, 7)]
    assert joined.metadata is not None and joined.metadata.title == "保密"  # never a name
    for index in (2, 3, 5, 6):  # either side of a seam
        assert _qr(out, index) == stamps[index].code(1)
    assert [p.name for p in tmp_path.iterdir()] == ["forms.pdf"]


def _planned(ws: Workspace, sup: Actor, n: int) -> list[str]:
    """`n` children with a planned high-risk case (a follow-up visit due this month)."""
    ids = []
    for i in range(n):
        child = add_child(ws, sup, f"回访儿童{i}", date(2014, 1, 9 + i), seq=21 + 2 * i)
        with ws.writer(sup) as s:
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
        ids.append(case.id)
    return ids


def _counts(ws: Workspace) -> tuple[int, int]:
    with ws.reader() as s:
        printed = s.scalar(select(func.count()).select_from(PrintedForm))
        logged = s.scalar(
            select(func.count())
            .select_from(ChildViewLog)
            .where(ChildViewLog.action == "打印回访表")
        )
    return int(printed or 0), int(logged or 0)


class _Stop(Exception):
    pass


def test_cancel_or_failure_leaves_nothing_and_a_whole_batch_records_each_form(
    office_ws: Workspace,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    child_staff: dict[str, Actor],
) -> None:
    sup = child_staff["dudao"]
    case_ids = _planned(office_ws, sup, 5)
    with office_ws.reader(sup) as s:
        batch = forms.visit_form_data(s, sup, date(2026, 11, 1), today=TODAY, at=AT)
    assert sorted(batch.case_ids) == sorted(case_ids)  # type: ignore[type-var]
    out = tmp_path / "out" / "forms.pdf"
    out.parent.mkdir()

    def cancel_after_the_first_part(done: int, total: int) -> None:
        if done >= 2:
            raise _Stop

    with pytest.raises(_Stop):
        forms.print_visit_forms(
            office_ws, sup, batch, out, part_pages=2, progress=cancel_after_the_first_part
        )
    assert list(out.parent.iterdir()) == []
    assert _counts(office_ws) == (0, 0)

    # a failure while recording (the last step before the file takes its name): nothing either
    def refused(self: paper.Prepared, conn: object) -> None:
        raise _Stop

    with monkeypatch.context() as m:
        m.setattr(paper.Prepared, "record", refused)
        with pytest.raises(_Stop):
            forms.print_visit_forms(office_ws, sup, batch, out, part_pages=2)
    assert list(out.parent.iterdir()) == []
    assert _counts(office_ws) == (0, 0)

    seen: list[int] = []
    pages = forms.print_visit_forms(
        office_ws, sup, batch, out, part_pages=2, progress=lambda d, t: seen.append(d)
    )
    assert pages == 5 and seen == [0, 2, 4, 5]
    assert _counts(office_ws) == (5, 5)  # one code and one 打印回访表 per child
    reader = PdfReader(out, strict=True)
    with office_ws.reader() as s:
        for i, page in enumerate(reader.pages):
            text = page.extract_text()
            assert f"第 {i + 1} 页" in text and batch.forms[i].child_name in text
            code = next(
                line.replace(" ", "")
                for line in text.splitlines()
                if paper.looks_like_code(line.replace(" ", ""))
            )
            found = paper.resolve(s, sup, code)
            assert found.record_id == batch.case_ids[i] and found.period == "2026-11"
            assert found.kind == "child_visit"


def test_the_blank_form_is_one_page_with_a_blank_code(
    office_ws: Workspace, tmp_path: Path, child_staff: dict[str, Actor]
) -> None:
    sup = child_staff["dudao"]
    with office_ws.reader(sup) as s:
        batch = forms.visit_form_data(s, sup, blank=True, at=AT)
    out = tmp_path / "blank.pdf"
    assert forms.print_visit_forms(office_ws, sup, batch, out) == 1
    assert _counts(office_ws) == (1, 0)  # no child's record shown: nothing to log
    text = PdfReader(out, strict=True).pages[0].extract_text()
    code = next(
        line.replace(" ", "")
        for line in text.splitlines()
        if paper.looks_like_code(line.replace(" ", ""))
    )
    with office_ws.reader() as s:
        found = paper.resolve(s, sup, code)
    assert found.blank and found.kind == "child_visit_blank"


def test_the_command_line_prints_the_month_by_the_same_path(
    office_ws: Workspace,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch,
    child_staff: dict[str, Actor],
) -> None:
    """`caseworker print child-visit-forms`: a child role's login (the data is encrypted and
    scoped), --json, and exit 2 with one Chinese line when refused, nothing written."""
    import json

    from caseworker.cli import main
    from tests.conftest import STAFF_PASSWORD

    sup = child_staff["dudao"]
    _planned(office_ws, sup, 3)
    root = str(office_ws.paths.root)
    out = tmp_path / "forms.pdf"
    argv = ["print", "child-visit-forms", "--workspace", root, "--month", "2026-11"]
    assert main([*argv, "--out", str(out)]) == 2  # no --user: refused
    err = capsys.readouterr().err
    assert "--user" in err and len(err.strip().splitlines()) == 1 and not out.exists()
    monkeypatch.setenv("CASEWORKER_PASSWORD", STAFF_PASSWORD)
    assert main([*argv, "--user", "dudao", "--out", str(out), "--json"]) == 0
    said = json.loads(capsys.readouterr().out)
    assert said["forms"] == said["pages"] >= 3 and Path(said["path"]) == out
    assert len(PdfReader(out, strict=True).pages) == said["pages"]
    assert _counts(office_ws) == (said["forms"], said["forms"])
    # a month with nobody due: refused, no file
    empty = tmp_path / "empty.pdf"
    argv = ["print", "child-visit-forms", "--workspace", root, "--month", "2020-01"]
    assert main([*argv, "--user", "dudao", "--out", str(empty)]) == 2
    err = capsys.readouterr().err
    assert "没有应回访的儿童" in err and len(err.strip().splitlines()) == 1
    assert not empty.exists()
