"""A batch of visit forms written in parts (caseworker.printing.in_parts): the joined file has
the same pages and codes as one document, read back by pypdf, pdfium, poppler and a QR reader;
progress reaches the end; a cancelled or failed batch leaves no file and records no code."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from datetime import date
from io import BytesIO
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp
from pypdf import PdfReader
from sqlalchemy import func, select

from caseworker.domain.form_code import spaced
from caseworker.domain.roles import Actor
from caseworker.printing import in_parts
from caseworker.printing.paper_marks import Stamp
from caseworker.printing.visit_forms import VisitFormData, render_visit_forms, write_visit_forms
from caseworker.services import paper
from caseworker.workspace import Workspace
from db.models import PrintedForm


def _forms(n: int) -> list[VisitFormData]:
    return [
        VisitFormData(
            office_name="测试街道办事处",
            resident_name=f"测试老人{i}",
            address=f"和平路{i}号院",
            resident_id=str(uuid.uuid4()),
        )
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


def test_parts_join_to_the_pages_and_codes_of_one_document(tmp_path: Path) -> None:
    forms, stamps = _forms(7), _stamps(7)
    one = PdfReader(BytesIO(render_visit_forms(forms, stamps)))
    out = tmp_path / "forms.pdf"
    seen: list[tuple[int, int]] = []
    pages = write_visit_forms(
        forms, stamps, out, part_pages=3, progress=lambda done, total: seen.append((done, total))
    )
    joined = PdfReader(out, strict=True)
    assert pages == len(joined.pages) == len(one.pages) == 7
    texts = [page.extract_text() for page in joined.pages]
    assert texts == [page.extract_text() for page in one.pages]
    for i, text in enumerate(texts):
        assert spaced(stamps[i].code(1)) in text and f"第 {i + 1} 页 共 7 页" in text
        assert f"测试老人{i}" in text
    assert seen == [(0, 7), (3, 7), (6, 7), (7, 7)]  # progress reaches the end
    assert joined.metadata is not None and joined.metadata.title == "特殊困难老年人探访记录表"
    # the preview's reader and poppler read the joined file too; every part carries its font
    doc = pdfium.PdfDocument(str(out))
    assert len(doc) == 7
    doc.close()
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(out), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert text.count("特殊困难老年人探访记录表") == 7
    # the QR codes on either side of a seam (pages 3 | 4 and 6 | 7) scan as their own codes
    for index in (2, 3, 5, 6):
        assert _qr(out, index) == stamps[index].code(1)
    assert [p.name for p in tmp_path.iterdir()] == ["forms.pdf"]  # no part left behind


def test_one_part_and_an_empty_batch(tmp_path: Path) -> None:
    out = tmp_path / "one.pdf"
    assert write_visit_forms(_forms(2), _stamps(2), out) == 2
    assert len(PdfReader(out, strict=True).pages) == 2
    assert write_visit_forms([], None, out) == 1  # a blank form, as render_visit_forms([])
    assert "探访记录表" in PdfReader(out, strict=True).pages[0].extract_text()


class _Stop(Exception):
    pass


def _count(ws: Workspace) -> int:
    with ws.reader() as s:
        return int(s.scalar(select(func.count()).select_from(PrintedForm)) or 0)


def _print(ws: Workspace, actor: Actor, forms: list[VisitFormData], out: Path, **kw) -> int:
    kind, targets = paper.visit_form_targets(forms, date(2026, 11, 1))
    return paper.print_batch(
        ws.engine,
        actor,
        kind,
        targets,
        lambda stamps, recorded: write_visit_forms(
            forms, stamps, out, part_pages=2, before_rename=recorded, **kw
        ),
    )


def test_cancel_midway_leaves_no_file_and_no_printed_form(
    office_ws: Workspace, worker: Actor, tmp_path: Path
) -> None:
    forms = _forms(5)
    out = tmp_path / "out" / "forms.pdf"
    out.parent.mkdir()

    def cancel_after_the_first_part(done: int, total: int) -> None:
        if done >= 2:
            raise _Stop

    with pytest.raises(_Stop):
        _print(office_ws, worker, forms, out, progress=cancel_after_the_first_part)
    assert list(out.parent.iterdir()) == []
    assert _count(office_ws) == 0

    def refused() -> None:
        raise _Stop

    # a failure while recording (the last step before the file takes its name): no file either
    kind, targets = paper.visit_form_targets(forms, date(2026, 11, 1))
    with pytest.raises(_Stop):
        paper.print_batch(
            office_ws.engine,
            worker,
            kind,
            targets,
            lambda stamps, recorded: write_visit_forms(forms, stamps, out, before_rename=refused),
        )
    assert list(out.parent.iterdir()) == []
    assert _count(office_ws) == 0

    # the whole batch: every page's code recorded once, after the file was written, and found
    assert _print(office_ws, worker, forms, out) == 5
    assert _count(office_ws) == 5
    reader = PdfReader(out, strict=True)
    with office_ws.reader() as s:
        for page, form in zip(reader.pages, forms, strict=True):
            code = next(
                line.replace(" ", "")
                for line in page.extract_text().splitlines()
                if paper.looks_like_code(line.replace(" ", ""))
            )
            found = paper.resolve(s, worker, code)
            assert found.record_id == form.resident_id and found.period == "2026-11"


def test_a_part_that_is_not_reportlab_output_is_refused(tmp_path: Path) -> None:
    with open(tmp_path / "x.pdf", "wb") as f:
        joiner = in_parts.Joiner(f)
        with pytest.raises(in_parts.PartError):
            joiner.add(b"%PDF-1.4\nnot a pdf at all\n")


def test_a_preview_a_crash_left_in_exports_is_deleted_at_the_next_open(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    exports = ws.paths.exports
    ws.close()
    left = exports / f"{ws.paths.PREVIEW_PREFIX}1a2b3c4d.pdf"  # residents' data
    left.write_bytes(b"%PDF-1.4 forms")
    kept = exports / "名单.xlsx"  # a caseworker's own export stays
    kept.write_bytes(b"xlsx")
    Workspace.open(tmp_path / "ws").close()
    assert not left.exists()
    assert kept.read_bytes() == b"xlsx"
