"""Exported Excel files never run formulas (issue 20, item 2): a name typed or imported as
`=HYPERLINK("http://x","y")`, `=1+1` or `=cmd|'/c calc'!A1` comes out of every list of every
programme, every report and the district's outputs as a text cell with Excel's quote prefix
(OWASP's formula-injection rule for = + - @ and tab/CR prefixes), never as a formula."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from caseworker.cli import main
from caseworker.domain import periods
from caseworker.domain.roles import Actor, Role
from caseworker.services import accounts, exports, reports
from caseworker.services.reports.output import write_xlsx
from caseworker.services.tabular.xlsx import Column, XlsxWriter
from caseworker.workspace import Workspace
from tests.conftest import DemoCopy

PAYLOADS = (
    '=HYPERLINK("http://x","y")',
    "=1+1",
    "=cmd|'/c calc'!A1",
    "+1+1",
    "-2+3",
    "@SUM(1)",
)
RISKY = tuple("=+-@\t\r\n")  # XML reads a CR back as LF


def _formula_cells(path: Path) -> tuple[int, list[str]]:
    """(text cells starting like a formula, problems): a problem is any formula element in the
    sheets' XML, or a risky text not stored as quoted text."""
    problems: list[str] = []
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                xml = z.read(name)
                if b"<f>" in xml or b"<f " in xml:
                    problems.append(f"{path.name}:{name} holds a formula")
    found = 0
    for ws in load_workbook(path).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(RISKY):
                    found += 1
                    if cell.data_type != "s" or not cell.quotePrefix:
                        problems.append(f"{path.name}!{cell.coordinate} {cell.value!r}")
    return found, problems


def test_the_writer_writes_every_risky_text_as_quoted_text(tmp_path: Path) -> None:
    out = tmp_path / "w.xlsx"
    with XlsxWriter(out) as w:
        w.add_sheet(
            "=表",
            [Column("=标题"), Column("数", "int"), Column("钱", "float"), Column("日", "date")],
            [[p, p, p, p] for p in (*PAYLOADS, "\t=1", "\r=1")]  # a text in a number column too
            + [["正常", 1, 2.5, date(2026, 1, 1)], ["标记", "=1+1", None, None]],
            title="=1+1 标题",
            mark_column=0,
        )
    found, problems = _formula_cells(out)
    assert problems == []
    assert found == 8 * 4 + 1 + 1 + 1  # every payload, the header, the title, the marked row


def _rename_everything(ws: Workspace) -> None:
    """Every name and address of every programme becomes a payload, through the ORM (so the
    journal, and with it the audit trail, carries them too)."""
    from db.children import Child, ChildGuardian
    from db.elderly import ElderlyResident
    from db.models import Community, Staff
    from db.retrofit import RetrofitCase, RetrofitContractor
    from db.sync_models import SyncConflict

    with ws.writer(Actor.system("test")) as s:
        n = 0
        for model, names in (
            (ElderlyResident, ("name", "address")),
            (Child, ("name", "address")),
            (ChildGuardian, ("name",)),
            (RetrofitCase, ("applicant_name", "address", "contact_name")),
            (RetrofitContractor, ("name",)),
            (Community, ("name",)),
            (Staff, ("display_name",)),
        ):
            for row in s.scalars(select(model)):
                for attr in names:
                    if hasattr(row, attr):
                        n += 1
                        setattr(row, attr, f"{PAYLOADS[n % len(PAYLOADS)]}{n}")
        from db.base import utcnow

        s.add(
            SyncConflict(
                table_name="elderly_resident",
                record_id="x",
                field="name",
                reason="clock",
                kept_value='"=1+1"',
                lost_value='"@SUM(1)"',
                lost_hlc="001790000000100-000000",
                lost_device="d",
                lost_actor="=1+1",
                detected_at=utcnow(),
            )
        )


@pytest.fixture(scope="module")
def demo_ws(demo_copy: DemoCopy):
    # the demo test_reports_programmes and test_permission_walk read too: one build for all
    ws = Workspace.open(demo_copy(60, 5))
    _rename_everything(ws)
    yield ws
    ws.close()


def _actor(ws: Workspace, role: Role) -> Actor:
    from db.models import Staff

    with ws.reader() as s:
        row = s.scalars(select(Staff).where(Staff.role == role.value)).first()
        assert row is not None
        return accounts.actor_for(row)


def test_every_list_of_every_programme_writes_names_as_text(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    system = Actor.system("test")
    child = _actor(demo_ws, Role.CHILD_SUPERVISOR)
    per_list: dict[str, int] = {}
    problems: list[str] = []
    for key, spec in exports.LISTS.items():
        out = tmp_path / f"{key}.xlsx"
        if spec.logged:
            with demo_ws.writer(child) as s:
                exports.export(s, child, key, out)
        else:
            with demo_ws.reader() as s:
                exports.export(s, system, key, out)
        found, bad = _formula_cells(out)
        per_list[key] = found
        problems += bad
    assert problems == []
    for key in ("elderly-roster", "audit", "conflicts", "retrofit-cases", "children-register"):
        assert per_list[key] > 0, (key, per_list)


def test_reports_write_community_names_as_text(demo_ws: Workspace, tmp_path: Path) -> None:
    with demo_ws.reader() as s:
        report = reports.build(s, Actor.system("test"), periods.year(date.today().year))
    found, problems = _formula_cells(write_xlsx(report, tmp_path / "r.xlsx"))
    assert problems == [] and found > 0


def test_the_import_report_gives_back_the_files_cells_as_text(
    office_ws: Workspace, worker: Actor, tmp_path: Path
) -> None:
    from caseworker.services.elderly import roster_import

    src = tmp_path / "r.csv"
    src.write_text(
        "姓名,身份证号,社区,家庭住址\n"
        "=1+1,110105194001010000,和平里社区,=cmd|'/c calc'!A1\n"
        "@SUM(1),not-an-id,和平里社区,+1\n",
        encoding="utf-8",
    )
    with office_ws.reader() as s:
        p = roster_import.preview(s, worker, src)
    found, problems = _formula_cells(roster_import.save_report(p, tmp_path / "report.xlsx"))
    assert problems == [] and found >= 4


def test_the_command_line_roster_export_writes_a_typed_formula_name_as_text(
    office_ws: Workspace, worker: Actor, tmp_path: Path
) -> None:
    from tests.services._elderly import add

    add(office_ws, worker, '=HYPERLINK("http://x","y")', date(1944, 5, 6), seq=12)
    out = tmp_path / "roster.xlsx"
    code = main(
        ["export", "elderly-roster", "--out", str(out), "--workspace", str(office_ws.paths.root)]
    )
    assert code == 0
    found, problems = _formula_cells(out)
    assert problems == [] and found == 1


def test_the_district_report_writes_office_and_community_names_as_text(tmp_path: Path) -> None:
    from caseworker.district import service
    from caseworker.district.cli import main as district_main
    from caseworker.district.hub import Hub

    with Hub.open(tmp_path / "hub") as hub:
        service.init(hub, "=1+1区民政局")
        service.add_office(
            hub,
            code="A",
            name='=HYPERLINK("http://x","y")',
            communities=["=1+1", "@SUM(1)"],
            out=tmp_path / "a.cwenroll",
            passphrase="test-pass-2026",
        )
    out = tmp_path / "district.xlsx"
    year = str(date.today().year)
    code = district_main(
        ["--home", str(tmp_path / "hub"), "report", "--year", year, "--out", str(out)]
    )
    assert code == 0
    found, problems = _formula_cells(out)
    assert problems == [] and found > 0
