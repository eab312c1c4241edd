"""The paper loop: printed forms carry codes that find their record, and a scanned batch is
read page by page with every doubtful tick asked (generated scans of the product's own PDFs)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image

from caseworker.domain import form_code
from caseworker.domain.errors import ValidationError
from caseworker.domain.roles import Actor
from caseworker.printing import children_forms, retrofit_forms, route_sheet, visit_forms
from caseworker.printing.paper_marks import Stamp
from caseworker.services import paper, scans
from caseworker.services.elderly import forms
from caseworker.workspace import Workspace
from tests.scan.generator import pdf_of_images, render_page, scan_of

SYSTEM = Actor.system("t")


def test_form_code_has_a_check_and_nothing_personal() -> None:
    code = form_code.encode("123", "000000004711", 2)
    assert len(code) == 20 and code.isdigit()
    parsed = form_code.parse(code)
    assert parsed == form_code.FormCode("123", "000000004711", 2)
    assert form_code.parse(form_code.spaced(code)) == parsed
    for i in range(20):  # every single wrong digit is caught
        wrong = code[:i] + str((int(code[i]) + 3) % 10) + code[i + 1 :]
        assert form_code.parse(wrong) is None
    swapped = code[:5] + code[6] + code[5] + code[7:]
    assert code[5] == code[6] or form_code.parse(swapped) is None
    assert form_code.parse("110101194907010013") is None  # an ID number is not a code


def _codes_in(pdf: bytes) -> list[str]:
    out = []
    doc = pdfium.PdfDocument(pdf)
    for i in range(len(doc)):
        img = doc[i].render(scale=150 / 72, grayscale=True).to_pil()
        found = [b.text for b in zxingcpp.read_barcodes(img) if form_code.parse(b.text)]
        out.append(found[0] if found else "")
    doc.close()
    return out


def test_every_printed_form_carries_its_code() -> None:
    st = Stamp("123", "000000000042")
    printed = children_forms.Printed("t", __import__("datetime").datetime(2026, 11, 2), "o")
    rows = tuple(
        route_sheet.RouteRow("张三", "男", "80", "幸福路1号", "138", "A", "2026-11-01", "")
        for _ in range(30)
    )
    cases = {
        "visit": visit_forms.render_visit_forms([visit_forms.VisitFormData()], [st]),
        "blank": visit_forms.render_blank_form(st),
        "route": route_sheet.render_route_sheet(
            route_sheet.RouteSheetData("街道", "社区", "2026年11月", "2026-11-01", rows), st
        ),
        "accept": retrofit_forms.render_acceptance(retrofit_forms.RetrofitFormData(), st),
        "assess": retrofit_forms.render_assessment(retrofit_forms.RetrofitFormData(), st),
        "child": children_forms.render(
            [children_forms.visit_form(children_forms.VisitFormData())], printed, [st]
        ),
    }
    for name, pdf in cases.items():
        codes = _codes_in(pdf)
        assert codes == [st.code(n) for n in range(1, len(codes) + 1)], name
    assert len(_codes_in(cases["route"])) == 2  # each page of a long sheet has its own page


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("scan") / "ws"
    r = subprocess.run(
        [sys.executable, "-m", "caseworker", "demo", "--workspace", str(root), "--residents", "60"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    return root


def _month_forms(ws: Workspace) -> tuple[list[visit_forms.VisitFormData], list[Stamp]]:
    month = date.today().replace(day=1)
    with ws.reader() as s:
        data = forms.month_forms(s, SYSTEM, month)[:6]
    stamps = paper.issue_visit_forms(ws.engine, SYSTEM, data, month)
    return data, stamps


def test_a_code_opens_its_form_and_says_when_it_was_entered(demo_ws: Path) -> None:
    with Workspace.open(demo_ws) as ws:
        data, stamps = _month_forms(ws)
        with ws.reader() as s:
            found = paper.resolve(s, SYSTEM, stamps[0].code(1))
            assert found.record_id == data[0].resident_id and found.kind == "elderly_visit"
            assert found.period == f"{date.today():%Y-%m}" and found.entered_ref is None
            with pytest.raises(ValidationError, match="其他街道"):
                paper.resolve(s, SYSTEM, form_code.encode("999", stamps[0].form_id, 1))
            with pytest.raises(ValidationError, match="没有打印过"):
                paper.resolve(s, SYSTEM, form_code.encode(stamps[0].office_tag, "1" * 12, 1))
            good = stamps[0].code(1)
            wrong = good[:-1] + str((int(good[-1]) + 1) % 10)  # a check digit it does not have
            with pytest.raises(ValidationError, match="20 位"):
                paper.resolve(s, SYSTEM, wrong)
        paper.mark_entered(ws.engine, SYSTEM, stamps[0].form_id, "visit-1")
        with ws.reader() as s:
            assert paper.resolve(s, SYSTEM, stamps[0].code(1)).entered_ref == "visit-1"
        blank = paper.issue_one(ws.engine, SYSTEM, "elderly_visit_blank")
        with ws.reader() as s:
            assert paper.resolve(s, SYSTEM, blank.code(1)).blank


def test_a_form_is_read_with_the_layout_it_was_printed_with(demo_ws: Path) -> None:
    """The child visit form's layout changed (version 3): a form printed before, whose row
    says version 2, is read with version 2's boxes; one printed now with version 3's."""
    from sqlalchemy import update

    from caseworker.scan import templates
    from db.models import PrintedForm

    with Workspace.open(demo_ws) as ws:
        old = paper.issue_one(ws.engine, SYSTEM, "child_visit_blank")
        new = paper.issue_one(ws.engine, SYSTEM, "child_visit_blank")
        with ws.engine.begin() as c:  # as a form printed before the change was recorded
            c.execute(
                update(PrintedForm)
                .where(PrintedForm.id == old.form_id)
                .values(template="childvisit/2")
            )
        with ws.reader() as s:
            before = paper.resolve(s, SYSTEM, old.code(1))
            after = paper.resolve(s, SYSTEM, new.code(1))
            assert (before.template, after.template) == ("childvisit/2", "childvisit/3")
            old_boxes = templates.for_found(s, before).boxes
            new_boxes = templates.for_found(s, after).boxes
    where = {(b.field, b.choice): b.rect for b in old_boxes}
    moved = [(b.field, b.choice) for b in new_boxes if where[b.field, b.choice] != b.rect]
    assert ("method", "视频") in moved and len(old_boxes) == len(new_boxes) == 8


def test_a_scanned_batch_is_matched_page_by_page(demo_ws: Path, tmp_path: Path) -> None:
    rnd = random.Random(7)
    with Workspace.open(demo_ws) as ws:
        data, stamps = _month_forms(ws)
        pdf = visit_forms.render_visit_forms(data, stamps)
        other = visit_forms.render_visit_forms(data[:1], [Stamp("999", stamps[0].form_id)])
        truth = []
        images = []
        for i in range(len(data)):
            s = scan_of(pdf, i, rnd, upside_down=i == 1, colour=i == 2)
            images.append(s.image)
            truth.append(s.truth)
        images.append(Image.new("L", images[0].size, 250))  # a blank sheet
        images.append(scan_of(other, 0, rnd).image)  # another office's form
        images.append(images[3])  # the same page scanned twice
        pdf_of_images(images[:5], tmp_path / "batch.pdf")
        tiff = [im.convert("L") for im in images[5:]]  # a grayscale multi-page TIFF
        tiff[0].save(tmp_path / "more.tif", save_all=True, append_images=tiff[1:])
        files = [tmp_path / "batch.pdf", tmp_path / "more.tif"]
        pages = list(scans.read_files(ws, SYSTEM, files))
    statuses = [p.status for p in pages]
    # a demo resident visited already this month: that form is "entered" (found by its month)
    expected = ["entered" if p.found and p.found.entered_ref else "matched" for p in pages[:6]]
    assert statuses == [*expected, "blank", "refused", "repeated"], [p.note for p in pages]
    assert "其他街道" in pages[7].note and "同一张表" in pages[8].note
    assert pages[1].reading.rotation == 180 and "转正" in pages[1].note
    for page, stamp, form, expected in zip(pages, stamps, data, truth, strict=False):
        assert page.found is not None and page.found.record_id == form.resident_id
        assert page.reading.code == stamp.code(1)
        if not page.reading.boxes:  # not registered: the note says the ticks are typed
            assert "手工录入" in page.note
            continue
        for box, ticked in zip(page.reading.boxes, expected, strict=True):
            assert box.ticked == ticked or box.unsure  # never wrong without asking


def test_scan_command_reports_each_page_and_refuses_bad_files(
    demo_ws: Path, tmp_path: Path
) -> None:
    with Workspace.open(demo_ws) as ws:
        data, stamps = _month_forms(ws)
        pdf = visit_forms.render_visit_forms(data[:2], stamps[:2])
    page = scan_of(pdf, 0, random.Random(3)).image
    page.save(tmp_path / "p.jpg")
    render_page(pdf, 1, 200).save(tmp_path / "q.png")
    cmd = [sys.executable, "-m", "caseworker", "scan", "--workspace", str(demo_ws)]
    r = subprocess.run(
        [*cmd, str(tmp_path / "p.jpg"), str(tmp_path / "q.png"), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert [p["status"] for p in out["pages"]] == ["matched", "matched"]
    assert out["pages"][1]["unsure"] == [] and out["pages"][1]["ticked"] == 0
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.4 not really")
    r = subprocess.run(
        [*cmd, str(tmp_path / "bad.pdf")], capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "bad.pdf" in r.stderr
    assert "Traceback" not in r.stderr


def test_kept_original_is_small_and_marks_the_form_entered(demo_ws: Path) -> None:
    with Workspace.open(demo_ws) as ws:
        data, stamps = _month_forms(ws)
        pdf = visit_forms.render_visit_forms(data[:1], stamps[:1])
        img = scan_of(pdf, 0, random.Random(9), dpi=300).image
        img.save(ws.paths.root / "in.png")
        [page] = scans.read_files(ws, SYSTEM, [ws.paths.root / "in.png"])
        assert page.found is not None
        rel = scans.keep_original(ws, SYSTEM, page.found, page.reading, "visit-x")
        kept = ws.paths.root / rel
        assert kept.stat().st_size < 400_000
        assert min(np.asarray(Image.open(kept)).shape) == 1240  # 150 dpi
        [again] = scans.read_files(ws, SYSTEM, [ws.paths.root / "in.png"])
        assert again.status == "entered" and again.found and again.found.entered_ref == "visit-x"


def _photocopy(img: Image.Image, rnd: random.Random) -> Image.Image:
    """The office copier's copy of a scanned page: grey and harder, a little turned, speckled."""
    grey = img.convert("L").rotate(rnd.uniform(-2, 2), fillcolor=255, expand=False)
    arr = np.asarray(grey, dtype=np.float32)
    arr = (arr - 40) * 1.25  # a copier's contrast: grey paper, black ink
    arr += np.random.default_rng(rnd.randrange(2**32)).normal(0, 6, arr.shape)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def test_each_odd_page_of_a_batch_gets_its_own_clear_note(demo_ws: Path, tmp_path: Path) -> None:
    """A photocopy of a form already entered (also upside down), another office's page, a blank
    page and an upside-down page in one batch: each says what it is, none is entered twice and
    none is matched to anyone else."""
    rnd = random.Random(25)
    with Workspace.open(demo_ws) as ws:
        data, stamps = _month_forms(ws)
        pdf = visit_forms.render_visit_forms(data[:2], stamps[:2])
        first = scan_of(pdf, 0, rnd, upside_down=False).image
        first.save(tmp_path / "first.png")
        [page] = scans.read_files(ws, SYSTEM, [tmp_path / "first.png"])
        assert page.status in ("matched", "entered") and page.found is not None
        scans.keep_original(ws, SYSTEM, page.found, page.reading, "visit-entered")
        other = visit_forms.render_visit_forms(data[:1], [Stamp("998", stamps[0].form_id)])
        images = [
            _photocopy(first, rnd),
            _photocopy(first, rnd).rotate(180),  # copied, then fed in upside down
            scan_of(other, 0, rnd).image,
            Image.new("L", first.size, 245),
            scan_of(pdf, 1, rnd, upside_down=True).image,
        ]
        pdf_of_images(images, tmp_path / "odd.pdf")
        pages = list(scans.read_files(ws, SYSTEM, [tmp_path / "odd.pdf"]))
    assert [p.status for p in pages] == ["entered", "repeated", "refused", "blank", "matched"], [
        p.note for p in pages
    ]
    copy, again, foreign, blank, upside = pages
    assert copy.found is not None and copy.found.record_id == data[0].resident_id
    assert copy.found.entered_ref == "visit-entered" and "已经录入过" in copy.note
    assert "同一张表" in again.note
    assert foreign.found is None and "其他街道" in foreign.note
    assert blank.found is None and "空白页" in blank.note
    assert upside.found is not None and upside.found.record_id == data[1].resident_id
    assert upside.reading.rotation == 180 and "已自动转正" in upside.note
