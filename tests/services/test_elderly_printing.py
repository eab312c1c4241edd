"""Printed forms read back with pypdf: the text is there, the font is embedded as a subset,
one page per person, page numbers; the print commands through the real CLI."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from caseworker.domain.elderly import Category
from caseworker.domain.roles import Actor
from caseworker.printing import route_sheet
from caseworker.printing.route_sheet import RouteRow, RouteSheetData, render_route_sheet
from caseworker.printing.visit_forms import VisitFormData, render_blank_form, render_visit_forms
from caseworker.services.elderly import forms
from caseworker.workspace import Workspace
from tests.services._elderly import TODAY, add


def embedded_fonts(reader: PdfReader) -> list[tuple[str, bool]]:
    """(font name, has an embedded TrueType program) for every font the pages use."""
    found: dict[str, bool] = {}

    def walk(resources: object) -> None:
        if not resources:
            return
        res = resources.get_object()  # type: ignore[attr-defined]
        for font in (res.get("/Font") or {}).values():
            f = font.get_object()
            descendants = f.get("/DescendantFonts")
            desc = descendants[0].get_object() if descendants else f
            fd = desc.get("/FontDescriptor")
            embedded = bool(fd and "/FontFile2" in fd.get_object())
            found[str(f.get("/BaseFont"))] = embedded
        for xo in (res.get("/XObject") or {}).values():
            walk(xo.get_object().get("/Resources"))

    for page in reader.pages:
        walk(page.get("/Resources"))
    return sorted(found.items())


def test_blank_form_has_every_area_and_an_embedded_subset_font() -> None:
    reader = PdfReader(io.BytesIO(render_blank_form()))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    for needle in (
        "特殊困难老年人探访记录表",
        "健康状况",
        "生活与",  # the label breaks evenly: 生活与 / 经济
        "家庭赡养",
        "居家安全",
        "服务需求",
        "探访人签名",
        "老人/家属签名",
        "入户",
        "跌倒风险",
        "第 1 页 共 1 页",
    ):
        assert needle in text, needle
    fonts = embedded_fonts(reader)
    assert fonts and all(embedded for _name, embedded in fonts)
    # A subset font's name carries a six-letter tag: "ABCDEF+Name".
    assert all("+" in name for name, _ in fonts)
    page = reader.pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)


def test_prefilled_forms_one_person_per_page() -> None:
    people = [
        VisitFormData(
            resident_name=f"测试老人{i}", address=f"和平路{i}号", due="2026-11-01（已逾期 17 天）"
        )
        for i in range(3)
    ]
    reader = PdfReader(io.BytesIO(render_visit_forms(people)))
    assert len(reader.pages) == 3
    for i, page in enumerate(reader.pages):
        text = page.extract_text()
        assert f"测试老人{i}" in text and f"和平路{i}号" in text
        assert f"第 {i + 1} 页 共 3 页" in text
        assert "已逾期 17 天" in text
        others = [f"测试老人{j}" for j in range(3) if j != i]
        assert not any(o in text for o in others)


def test_long_text_is_cut_not_spilled() -> None:
    long_address = "和平路" + "很长的地址" * 40
    reader = PdfReader(io.BytesIO(render_visit_forms([VisitFormData(address=long_address)])))
    text = reader.pages[0].extract_text()
    assert "…" in text and long_address not in text


def test_route_sheet_repeats_header_and_numbers_pages() -> None:
    rows = tuple(
        RouteRow(
            f"老人{i:03d}", "女", "80", f"幸福路{i}号", "13800000000", "重点", "2026-11-20", ""
        )
        for i in range(route_sheet.ROWS_PER_PAGE + 5)
    )
    sheet = RouteSheetData("示范街道", "和平里社区", "2026年11月", "2026-11-18", rows)
    reader = PdfReader(io.BytesIO(render_route_sheet(sheet)))
    assert len(reader.pages) == 2
    first, second = (p.extract_text() for p in reader.pages)
    for text in (first, second):
        assert "和平里社区" in text and "探访人签名" in text and "应访日期" in text
    assert "第 1 页 共 2 页" in first and "第 2 页 共 2 页" in second
    assert "老人000" in first and f"老人{route_sheet.ROWS_PER_PAGE:03d}" in second
    # Every row appears exactly once (none split, none lost).
    total = sum(t.count("老人0") + t.count("老人1") for t in (first, second))
    assert total == len(rows)
    width = float(reader.pages[0].mediabox.width)
    assert round(width) == 842  # landscape


def test_month_forms_pick_the_residents_due(office_ws: Workspace, worker: Actor) -> None:
    a = add(
        office_ws,
        worker,
        "王秀英",
        date(1944, 5, 6),
        seq=12,
        categories=frozenset({Category.LIVING_ALONE}),
    )
    add(office_ws, worker, "李建国", date(1950, 1, 9), seq=13, community="安贞社区")
    from caseworker.services.elderly import visits

    with office_ws.writer(worker) as s:  # 王秀英 visited 11-10 -> due 12-10, not in November
        visits.complete(
            s,
            worker,
            visits.VisitDraft(a.id, date(2026, 11, 10), visitors=("李专干",)),
            today=TODAY,
        )
    with office_ws.reader() as s:
        nov = forms.month_forms(s, worker, date(2026, 11, 1), today=TODAY)
        dec = forms.month_forms(s, worker, date(2026, 12, 1), today=TODAY)
        picked = forms.selection_forms(s, worker, [a.id], today=TODAY)
    assert [f.resident_name for f in nov] == ["李建国"]
    assert nov[0].due.startswith("2026-01-05（已逾期") and nov[0].office_name == "测试街道办事处"
    assert sorted(f.resident_name for f in dec) == ["李建国", "王秀英"]
    assert picked[0].resident_name == "王秀英" and picked[0].last_visit == "2026-11-10"


def cw(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "caseworker", *args], capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
def test_print_commands(tmp_path: Path) -> None:
    out = tmp_path / "blank.pdf"
    # the blank form's code is recorded in the workspace that prints it
    r = cw("print", "blank-visit-form", "--workspace", str(tmp_path / "ws0"), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "探访记录表" in PdfReader(out).pages[0].extract_text()

    ws = tmp_path / "ws"
    r = cw("demo", "--workspace", str(ws), "--residents", "80", "--seed", "5")
    assert r.returncode == 0, r.stderr
    with Workspace.open(ws) as opened, opened.reader() as s:
        from caseworker.services import accounts

        community = accounts.communities(s)[0].name
        expected = len(
            forms.month_forms(
                s, Actor.system("t"), date.today(), community_id=accounts.communities(s)[0].id
            )
        )
    month = f"{date.today():%Y-%m}"
    pdf = tmp_path / "forms.pdf"
    r = cw(
        "print",
        "visit-forms",
        "--workspace",
        str(ws),
        "--month",
        month,
        "--community",
        community,
        "--out",
        str(pdf),
    )
    assert r.returncode == 0, r.stderr
    reader = PdfReader(pdf)
    assert expected > 0 and len(reader.pages) == expected
    assert community in reader.pages[0].extract_text()
    # --json: the file and its pages (written in parts: caseworker/printing/in_parts.py)
    r = cw(
        "print",
        "visit-forms",
        "--workspace",
        str(ws),
        "--month",
        month,
        "--out",
        str(pdf),
        "--json",
    )
    assert r.returncode == 0, r.stderr
    said = json.loads(r.stdout)
    assert said["pages"] == said["forms"] == len(PdfReader(pdf).pages) >= expected
    assert Path(said["path"]) == pdf

    r = cw("print", "visit-forms", "--workspace", str(ws), "--month", "2026-13", "--out", str(pdf))
    assert r.returncode == 2 and "YYYY-MM" in r.stderr and r.stderr.count("\n") == 1
    r = cw(
        "print",
        "visit-forms",
        "--workspace",
        str(ws),
        "--community",
        "不存在社区",
        "--out",
        str(pdf),
    )
    assert r.returncode == 2 and "没有名为" in r.stderr
    r = cw(
        "print",
        "route-sheet",
        "--workspace",
        str(ws),
        "--month",
        month,
        "--community",
        community,
        "--out",
        str(tmp_path / "route.pdf"),
    )
    assert r.returncode == 0, r.stderr
    assert "探访路线表" in PdfReader(tmp_path / "route.pdf").pages[0].extract_text()
