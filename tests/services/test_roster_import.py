"""Importing the office's Excel roster: every irregularity of a real 台账, in every format,
previewed without writing, applied all or nothing, idempotent, with a report to fix and re-import."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from caseworker.domain import idnumber
from caseworker.domain.elderly import Category, Tier
from caseworker.domain.errors import PermissionDenied, ValidationError
from caseworker.domain.roles import Actor, Role
from caseworker.domain.tabular import CellRefused, cell_date, header_key, id_number_text
from caseworker.services.elderly import roster
from caseworker.services.elderly import roster_import as ri
from caseworker.workspace import Workspace
from db.elderly import ElderlyResident
from db.models import JournalEntry
from tests.services import _rosters as m
from tests.services._elderly import TODAY, community_ids


def _preview(ws: Workspace, actor: Actor, path: Path, **kw) -> ri.ImportPreview:
    with ws.reader() as s:
        return ri.preview(s, actor, path, ri.ImportOptions(**kw), today=TODAY)


def _by_row(p: ri.ImportPreview) -> dict[tuple[str, int], ri.RowReading]:
    return {(r.sheet, r.row): r for r in p.rows}


def _count(ws: Workspace) -> int:
    with ws.reader() as s:
        return s.scalar(select(func.count()).select_from(ElderlyResident)) or 0


@pytest.mark.parametrize("kind", ["xlsx", "xls"])
def test_messy_workbook_is_read_row_by_row(
    office_ws: Workspace, worker: Actor, tmp_path: Path, kind: str
) -> None:
    path = tmp_path / f"台账.{kind}"
    (m.write_xlsx if kind == "xlsx" else m.write_xls)(path)
    p = _preview(office_ws, worker, path)
    assert p.kind == kind
    sheet1 = next(s for s in p.sheets if s.name == m.SHEET1)
    assert sheet1.header_row == 3  # under the merged title and the group row
    fields = {c.field: c.label for c in sheet1.columns if c.field}
    assert fields["supporter_name"] == "赡养人姓名" and fields["supporter_phone"] == "赡养人电话"
    assert fields["phone"] == "联系电话"  # merged over two header rows
    assert sheet1.community_from_sheet == "和平里社区"
    rows = _by_row(p)
    for key, idn in m.NEW_ROWS.items():
        assert rows[key].status is ri.RowStatus.NEW, (key, rows[key].reason)
        assert rows[key].id_number == idn
    for key, needle in m.REJECTED.items():
        assert rows[key].status is ri.RowStatus.REJECTED, key
        assert needle in rows[key].reason, (key, rows[key].reason)
    for key in m.DUPLICATES:
        assert rows[key].status is ri.RowStatus.DUPLICATE
        assert "第 4 行" in rows[key].reason
    for key in m.SKIPPED:
        assert rows[key].status is ri.RowStatus.SKIPPED, (key, rows[key])
    wang = rows[(m.SHEET1, 4)]
    assert wang.name == "王秀英" and wang.sex == "女" and wang.birth_date == date(1944, 5, 6)
    assert wang.values is not None
    assert wang.values["phone"] == "13812345678"  # a number cell, digits kept
    assert wang.values["enrolled_on"] == date(2026, 1, 5)  # an Excel date cell
    assert wang.values["supporter_name"] == "王强"
    li = rows[(m.SHEET1, 5)]
    assert li.name == "李建国"  # the ideographic space that lined names up is gone
    assert li.values is not None and li.values["enrolled_on"] == date(2026, 3, 5)
    assert li.values["phone"] == "010-64001234"
    old = rows[(m.SHEET1, 6)]
    assert old.birth_date == date(1947, 3, 1) and any("15 位" in w for w in old.warnings)
    zhou = rows[(m.SHEET2, 2)]
    assert zhou.community_name == "安贞社区"
    assert zhou.values is not None and zhou.values["enrolled_on"] == date(2026, 1, 29)
    sun = rows[(m.SHEET2, 3)]
    assert sun.community_name == "柳芳村" and sun.values is not None
    assert sun.values["enrolled_on"] == date(2026, 1, 5)  # Excel serial 46027
    assert any("看不懂" in w for w in rows[(m.SHEET2, 5)].warnings)
    assert _count(office_ws) == 0  # preview writes nothing


def test_csv_in_every_encoding_reads_the_same(
    office_ws: Workspace, worker: Actor, tmp_path: Path
) -> None:
    results = []
    for enc in ("utf-8", "utf-8-sig", "gbk", "gb18030"):
        path = m.write_csv(tmp_path / f"{enc}.csv", enc)
        p = _preview(office_ws, worker, path)
        assert p.kind == "csv"
        results.append([(r.row, r.status, r.id_number, r.community_name) for r in p.rows])
    assert all(r == results[0] for r in results)
    # Text "46027" in a CSV is no date (only an Excel cell holds serials): that row is refused.
    assert [s for _, s, _, _ in results[0]] == [
        ri.RowStatus.NEW,
        ri.RowStatus.REJECTED,
        ri.RowStatus.REJECTED,
        ri.RowStatus.NEW,
    ]


def test_apply_writes_journals_and_reimport_changes_nothing(
    office_ws: Workspace, worker: Actor, tmp_path: Path
) -> None:
    path = m.write_xlsx(tmp_path / "台账.xlsx")
    result = ri.apply_file(office_ws, worker, path, today=TODAY)
    assert result.created == 6 and result.updated == 0
    assert result.backup is not None and result.backup.exists()
    assert "6 行未导入" in result.message()
    with office_ws.reader() as s:
        wang = roster.find_by_id_number(s, worker, m.WANG, today=TODAY)
        journal = s.scalar(
            select(func.count())
            .select_from(JournalEntry)
            .where(JournalEntry.table_name == "elderly_resident", JournalEntry.op == "insert")
        )
    assert wang is not None and wang.tier is Tier.HIGH_RISK  # 独居 + 失能
    assert wang.categories >= {Category.LIVING_ALONE, Category.DISABLED, Category.ADVANCED_AGE}
    assert wang.next_due == date(2026, 1, 5) and wang.community_name == "和平里社区"
    assert journal == 6
    again = ri.apply_file(office_ws, worker, path, today=TODAY)
    assert not again.changed and again.backup is None
    assert "没有写入任何变更" in again.message()
    assert again.preview.counts[ri.RowStatus.SAME] == 6
    assert _count(office_ws) == 6


def _existing(office_ws: Workspace, worker: Actor) -> str:
    with office_ws.writer(worker) as s:
        info = roster.register(
            s,
            worker,
            roster.ResidentDraft(
                "周大妈",
                m.ZHOU,
                community_ids(office_ws)["安贞社区"],
                phone="13700000000",
                address="安贞里5号",
                enrolled_on=date(2026, 1, 29),
            ),
            today=TODAY,
        ).resident
    return info.id


@pytest.mark.parametrize(
    ("policy", "status"),
    [
        (ri.ExistingPolicy.UPDATE, ri.RowStatus.UPDATE),
        (ri.ExistingPolicy.SKIP, ri.RowStatus.EXISTING),
        (ri.ExistingPolicy.MARK, ri.RowStatus.MARKED),
    ],
)
def test_people_already_on_the_roster_follow_the_chosen_policy(
    office_ws: Workspace,
    worker: Actor,
    tmp_path: Path,
    policy: ri.ExistingPolicy,
    status: ri.RowStatus,
) -> None:
    rid = _existing(office_ws, worker)
    path = m.write_xlsx(tmp_path / "台账.xlsx")
    p = _preview(office_ws, worker, path, policy=policy)
    zhou = _by_row(p)[(m.SHEET2, 2)]
    assert zhou.status is status and zhou.resident_id == rid
    changes = {c.field: (c.old, c.new) for c in zhou.changes}
    assert changes["phone"] == ("13700000000", "13700000002")
    assert "categories" in changes and "address" not in changes  # a blank cell never erases
    result = ri.apply_file(office_ws, worker, path, ri.ImportOptions(policy=policy), today=TODAY)
    with office_ws.reader() as s:
        now = roster.get(s, worker, rid, today=TODAY)
    if policy is ri.ExistingPolicy.UPDATE:
        assert result.updated == 1 and now.phone == "13700000002"
        assert now.address == "安贞里5号" and Category.LEFT_BEHIND in now.categories
        assert now.tier is Tier.KEY
    else:
        assert result.updated == 0 and now.phone == "13700000000"


def test_report_marks_rejected_rows_and_fixed_report_imports(
    office_ws: Workspace, worker: Actor, tmp_path: Path
) -> None:
    path = m.write_xlsx(tmp_path / "台账.xlsx")
    p = ri.apply_file(office_ws, worker, path, today=TODAY).preview
    out = ri.save_report(p, tmp_path / "报告.xlsx")
    wb = load_workbook(out)
    assert wb.sheetnames == ["汇总", "未导入", "逐行结果"]
    rej = wb["未导入"]
    header = [c.value for c in rej[2]]
    assert header[:3] == ["工作表", "行号", "未导入原因"]
    assert "公民身份号码" in header and header[-1] == "社区"
    body = list(rej.iter_rows(min_row=3, values_only=True))
    assert len(body) == len(m.REJECTED) + len(m.DUPLICATES)
    assert rej["A3"].fill.fgColor.rgb.endswith("F8CBAD")
    # The office fixes the checksum row in the report and imports the report itself.
    id_col = header.index("公民身份号码") + 1
    for r in range(3, rej.max_row + 1):
        if "校验位" in str(rej.cell(r, 3).value):
            rej.cell(r, id_col).value = idnumber.make("110105", date(1950, 1, 3), 22)
    wb.save(tmp_path / "改正.xlsx")
    again = _preview(office_ws, worker, tmp_path / "改正.xlsx")
    fixed_rows = [r for r in again.rows if r.status is ri.RowStatus.NEW]
    assert [r.name for r in fixed_rows] == ["错校验"]
    # The in-file duplicate is now on the roster: its differing 类别 would be an update.
    wang = next(r for r in again.rows if r.name == "王秀英")
    assert wang.status is ri.RowStatus.UPDATE
    assert [c.field for c in wang.changes] == ["categories"]
    assert fixed_rows[0].community_name == "和平里社区"  # the added 社区 column


def test_mapping_can_be_corrected(office_ws: Workspace, worker: Actor, tmp_path: Path) -> None:
    rows = [["名字", "号码", "片区"], ["钱大爷", m.ZHAO, "安贞"]]
    path = m.write_xlsx(tmp_path / "x.xlsx", [("Sheet1", rows)])
    p = _preview(office_ws, worker, path)
    assert p.sheets[0].header_row is None and p.rows == ()
    p = _preview(
        office_ws,
        worker,
        path,
        mapping={"名字": "name", "号码": "id_number", "片区": "community"},
    )
    assert [(r.status, r.community_name) for r in p.rows] == [(ri.RowStatus.NEW, "安贞社区")]


def test_sheets_named_after_communities_the_office_does_not_have_can_be_mapped(
    office_ws: Workspace, worker: Actor, tmp_path: Path
) -> None:
    """Issue 18: a 台账 whose sheets are named after communities the office does not have
    refused every row (没有社区) with no way to say which community a sheet is."""
    header = ["姓名", "身份证号"]
    a_id = idnumber.make("110105", date(1940, 2, 3), 13)
    b_id = idnumber.make("110105", date(1941, 4, 5), 15)
    c_id = idnumber.make("110105", date(1942, 6, 7), 17)
    path = m.write_xlsx(
        tmp_path / "旧台账.xlsx",
        [
            ("一片区", [header, ["甲老人", a_id], ["乙老人", b_id]]),
            ("Sheet2", [[*header, "社区"], ["丙老人", c_id, "老安贞"]]),
        ],
    )
    p = _preview(office_ws, worker, path)
    assert p.counts[ri.RowStatus.REJECTED] == 3
    assert dict(p.unknown_communities) == {"一片区": 2, "老安贞": 1}
    ids = community_ids(office_ws)
    chosen = {"一片区": ids["和平里社区"], "老 安贞": ids["安贞社区"]}  # spelled loosely
    p = _preview(office_ws, worker, path, communities=chosen)
    assert p.unknown_communities == ()
    got = {r.name: (r.status, r.community_name) for r in p.rows}
    assert got == {
        "甲老人": (ri.RowStatus.NEW, "和平里社区"),
        "乙老人": (ri.RowStatus.NEW, "和平里社区"),
        "丙老人": (ri.RowStatus.NEW, "安贞社区"),
    }
    result = ri.apply_file(
        office_ws, worker, path, ri.ImportOptions(communities=chosen), today=TODAY
    )
    assert result.created == 3
    with office_ws.reader() as s:
        assert ri.community_choices(s, worker, {"一片区": "和平里"}) == {
            "一片区": ids["和平里社区"]
        }
        with pytest.raises(ValidationError, match="不是本街道的社区"):
            ri.community_choices(s, worker, {"一片区": "月球社区"})
        with pytest.raises(ValidationError, match="不是本街道的"):
            ri.preview(s, worker, path, ri.ImportOptions(communities={"一片区": "no-such-id"}))


def test_refusals(office_ws: Workspace, worker: Actor, tmp_path: Path) -> None:
    bad = tmp_path / "坏.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ValidationError, match="不是有效的 Excel"):
        _preview(office_ws, worker, bad)
    with pytest.raises(ValidationError, match="找不到文件"):
        _preview(office_ws, worker, tmp_path / "无.xlsx")
    child = Actor(None, "d", "儿童主任", Role.CHILD_DIRECTOR)
    with pytest.raises(PermissionDenied):
        _preview(office_ws, child, m.write_xlsx(tmp_path / "a.xlsx"))


def test_cell_rules() -> None:
    assert header_key("身份证号码\n（18位）*") == "身份证号码"
    assert id_number_text(110105470301123) == "110105470301123"
    with pytest.raises(CellRefused, match="数字"):
        id_number_text(1.10105e17)
    with pytest.raises(CellRefused, match="数字"):
        id_number_text("1.10105E+17")
    spellings = ["2026-11-29", "2026/11/29", "2026年11月29日", "20261129", "２０２６-１１-２９"]
    assert {cell_date(s).value for s in spellings} == {date(2026, 11, 29)}  # type: ignore[union-attr]
    ym = cell_date("1947.3")
    assert ym is not None and ym.month_only and ym.value == date(1947, 3, 1)
    with pytest.raises(CellRefused, match="不存在"):
        cell_date("2026-02-30")


def test_a_file_changed_after_its_preview_is_refused(
    office_ws: Workspace, worker: Actor, tmp_path: Path
) -> None:
    path = m.write_xlsx(tmp_path / "台账.xlsx")
    p = _preview(office_ws, worker, path)
    m.write_xlsx(path, [("和平里社区", [["姓名", "身份证号"], ["钱大爷", m.ZHAO]])])
    with pytest.raises(ValidationError, match="预览之后被修改过"):
        ri.apply_file(
            office_ws, worker, path, today=TODAY, expect_fingerprint=p.fingerprint, previewed=p
        )
    assert _count(office_ws) == 0


def test_no_room_for_the_pre_import_backup_refuses_the_import(
    office_ws: Workspace, worker: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from caseworker.domain.errors import WorkspaceError
    from db import backup

    path = m.write_xlsx(tmp_path / "台账.xlsx")
    monkeypatch.setattr(backup, "free_bytes", lambda folder: backup.MARGIN_BYTES // 4)
    with pytest.raises(WorkspaceError, match="磁盘空间不足"):
        ri.apply_file(office_ws, worker, path, today=TODAY)
    assert _count(office_ws) == 0  # nothing imported without its backup
    assert not list(office_ws.paths.backups.iterdir())


def test_imported_residents_are_found_by_pinyin_and_sorted_by_it(
    office_ws: Workspace, worker: Actor, tmp_path: Path
) -> None:
    """The import writes each name's pinyin as typing a resident in does: they were written
    with none, so `wxy` found no imported resident and they sorted before everyone."""
    from caseworker.services.elderly import search

    path = m.write_xlsx(tmp_path / "台账.xlsx")
    ri.apply_file(office_ws, worker, path, today=TODAY)
    with office_ws.reader() as s:
        pinyins = dict(s.execute(select(ElderlyResident.name, ElderlyResident.name_pinyin)).all())
        found = search.page(s, worker, search.RosterQuery(text="wxy"), 0, 50, today=TODAY)
    assert pinyins["王秀英"] == "wang xiu ying" and all(pinyins.values())
    assert [r.name for r in found] == ["王秀英"]
    again = ri.apply_file(office_ws, worker, path, today=TODAY)
    assert not again.changed  # the pinyin is no change of its own


def test_an_import_that_fails_after_writing_writes_nothing(
    office_ws: Workspace, worker: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The residents go in by insert_many before the schedule is worked out: a failure there
    (a full disk) leaves the roster as it was, with the backup taken first."""
    path = m.write_xlsx(tmp_path / "台账.xlsx")

    def failing(*args: object, **kwargs: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ri.schedule, "recompute", failing)
    with pytest.raises(OSError):
        ri.apply_file(office_ws, worker, path, today=TODAY)
    assert _count(office_ws) == 0
    assert list(office_ws.paths.backups.glob("*pre-import*"))
