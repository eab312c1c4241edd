"""Bringing in what the office keeps in Excel: the child register and the retrofit households,
read from the messy sample files in tests/data/ (written by tests/data/generate.py), the way
the roster imports: a preview row by row, all or nothing after a backup, idempotent; child
imports only by child-protection roles, each child written logged."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from caseworker.domain.errors import PermissionDenied, ValidationError
from caseworker.domain.roles import Actor
from caseworker.services.children import register, register_import, worklists
from caseworker.services.elderly import roster_import as ri
from caseworker.services.retrofit import case_import, cases
from caseworker.workspace import Workspace
from db.children import Child, ChildCondition, ChildGuardian, ChildViewLog
from db.models import JournalEntry
from db.retrofit import RetrofitAssessmentItem, RetrofitCase, RetrofitCaseEvent
from tests.conftest import STAFF_PASSWORD
from tests.data import generate as data
from tests.services._retrofit import contractor

DATA = Path(data.__file__).resolve().parent
TODAY = data.TODAY


@pytest.fixture
def staff(child_staff: dict[str, Actor]) -> dict[str, Actor]:
    return child_staff  # add_child_staff(office_ws), from its template


def _rows(p: ri.ImportPreview) -> dict[tuple[str, int], ri.RowReading]:
    return {(r.sheet, r.row): r for r in p.rows}


def _check(p: ri.ImportPreview, expect: dict[tuple[str, int], tuple[str, str]]) -> None:
    rows = _rows(p)
    for key, (status, words) in expect.items():
        r = rows[key]
        said = r.reason + "；".join(r.warnings)
        assert r.status.value == status, (key, r.status, said)
        assert words in said, (key, said)


def _count(ws: Workspace, model: type) -> int:
    with ws.reader() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_the_sample_files_are_what_the_generator_writes(tmp_path: Path) -> None:
    for name in data.FILES:
        fresh = data.FILES[name](tmp_path / name)
        if name.endswith(".xlsx"):
            a, b = load_workbook(fresh), load_workbook(DATA / name)
            assert a.sheetnames == b.sheetnames
            for sheet in a.sheetnames:
                assert list(a[sheet].values) == list(b[sheet].values), (name, sheet)
        elif name.endswith(".csv"):
            assert fresh.read_bytes() == (DATA / name).read_bytes(), name


@pytest.mark.parametrize("name", ["children-messy.xlsx", "children-messy.xls"])
def test_the_child_register_is_read_row_by_row(
    office_ws: Workspace, staff: dict[str, Actor], name: str
) -> None:
    sup = staff["dudao"]
    with office_ws.reader() as s:
        p = register_import.preview(s, sup, DATA / name, today=TODAY)
    sheet1 = next(x for x in p.sheets if x.name == data.CHILD_SHEET1)
    assert sheet1.header_row == 3 and sheet1.community_from_sheet == "和平里社区"
    fields = {c.field: c.label for c in sheet1.columns if c.field}
    assert fields["father_condition"] == "父亲情况" and fields["mother_name"] == "母亲姓名"
    assert fields["guardian_relation"] == "监护人关系"
    _check(p, data.CHILD_EXPECT)
    assert p.to_write == 6


def test_the_csv_in_gb18030_reads_the_second_sheet(
    office_ws: Workspace, staff: dict[str, Actor]
) -> None:
    with office_ws.reader() as s:
        p = register_import.preview(s, staff["dudao"], DATA / "children-gb18030.csv", today=TODAY)
    assert p.encoding == "gb18030"
    statuses = [r.status.value for r in p.rows]
    assert statuses == ["新增", "新增", "未导入"]


def test_children_are_written_with_their_families_logged_and_imported_once(
    office_ws: Workspace, staff: dict[str, Actor]
) -> None:
    sup = staff["dudao"]
    result = register_import.apply_file(office_ws, sup, DATA / "children-messy.xlsx", today=TODAY)
    assert (result.created, result.updated) == (6, 0) and result.backup is not None
    with office_ws.reader() as s:
        zhou = s.scalar(select(Child).where(Child.id_number == data.ZHOU))
        people = dict(
            s.execute(
                select(ChildGuardian.relation, ChildGuardian.name).where(
                    ChildGuardian.child_id == zhou.id
                )
            ).all()
        )
        conds = s.execute(
            select(ChildCondition.kind, ChildCondition.evidence_kind).where(
                ChildCondition.child_id == zhou.id
            )
        ).all()
        logged = s.scalars(select(ChildViewLog.action).where(ChildViewLog.staff_id == sup.staff_id))
        log_rows = list(logged)
        journaled = s.scalar(
            select(func.count()).where(
                JournalEntry.table_name == "child", JournalEntry.op == "insert"
            )
        )
        wang = s.scalar(select(Child).where(Child.id_number == data.WANG))
        review = worklists.category_items(s, sup, today=TODAY)
    assert people == {"父亲": "周大军", "母亲": "刘芳", "祖母": "周奶奶"}
    assert sorted(conds) == [("服刑在押", "法院判决书/裁定书"), ("死亡", "死亡证明")]
    # the rules prove 事实无人抚养 from the two situations, as the 台账 says
    assert "事实无人抚养儿童" in zhou.categories and zhou.registered_on == date(2025, 4, 1)
    assert zhou.notes.startswith("cw1:")  # 备注 sealed like every narrative
    assert log_rows.count("导入台账") == 6 and journaled == 6
    # 王小东's father's evidence predates the sentence: not recorded; the 台账's category
    # stays, flagged for review until its evidence is added
    assert "事实无人抚养儿童" in wang.categories and "台账导入" in wang.categories_note
    assert any(i.child_name == "王小东" and i.kind == "待复核" for i in review)
    again = register_import.apply_file(office_ws, sup, DATA / "children-messy.xlsx", today=TODAY)
    assert not again.changed and again.backup is None
    assert _count(office_ws, Child) == 6 and _count(office_ws, ChildCondition) == 6


def test_a_second_file_adds_what_it_brings_and_follows_the_policy(
    office_ws: Workspace, staff: dict[str, Actor], tmp_path: Path
) -> None:
    sup = staff["dudao"]
    register_import.apply_file(office_ws, sup, DATA / "children-messy.xlsx", today=TODAY)
    rows = [list(r) for r in data.CHILD_SHEET1_ROWS[:4]]
    rows[3][3] = "和平路12号3单元402"  # moved flat
    rows[3][16] = "2023-05-02"  # no change of situation: the same death, other date
    changed = data.write_xlsx(tmp_path / "更新.xlsx", [(data.CHILD_SHEET1, rows)])
    for policy, status in (("skip", "已在台账（跳过）"), ("mark", "已在台账（待核对）")):
        with office_ws.reader() as s:
            p = register_import.preview(
                s, sup, changed, ri.ImportOptions(policy=ri.ExistingPolicy(policy)), today=TODAY
            )
        assert p.rows[0].status.value == status
    result = register_import.apply_file(office_ws, sup, changed, today=TODAY)
    assert result.updated == 1 and result.created == 0
    with office_ws.reader() as s:
        zhou = s.scalar(select(Child).where(Child.id_number == data.ZHOU))
    assert zhou.address == "和平路12号3单元402"


def test_only_child_roles_import_and_a_director_only_their_community(
    office_ws: Workspace, staff: dict[str, Actor], worker: Actor, admin: Actor
) -> None:
    for who in (worker, admin):
        with office_ws.reader() as s, pytest.raises(PermissionDenied):
            register_import.preview(s, who, DATA / "children-messy.xlsx", today=TODAY)
    with office_ws.reader() as s:
        p = register_import.preview(
            s, staff["ertong2"], DATA / "children-messy.xlsx", today=TODAY
        )  # 安贞社区's director
    rows = _rows(p)
    assert rows[(data.CHILD_SHEET1, 4)].status.value == "未导入"
    assert "儿童主任只能导入本社区" in rows[(data.CHILD_SHEET1, 4)].reason
    assert rows[(data.CHILD_SHEET2, 2)].status.value == "新增"  # 陈晨, 安贞社区


def test_the_three_imports_share_one_apply_file(
    office_ws: Workspace, worker: Actor, tmp_path: Path
) -> None:
    """One tail for every 台账 import (`services/tabular/applying.py`): the same code, listed as
    each importer's own function, and each programme's right checked before the file."""
    importers = (ri, register_import, case_import)
    assert {m.apply_file.__code__ for m in importers} == {ri.apply_file.__code__}
    assert all(m.apply_file.__module__ == m.__name__ for m in importers)
    with pytest.raises(PermissionDenied):  # a caseworker: no child right, whatever the path
        register_import.apply_file(office_ws, worker, tmp_path / "不存在.xlsx", today=TODAY)
    with pytest.raises(ValidationError, match="找不到文件"):
        ri.apply_file(office_ws, worker, tmp_path / "不存在.xlsx", today=TODAY)


def test_an_import_that_fails_half_way_writes_nothing(
    office_ws: Workspace, staff: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"n": 0}
    real = register_import.insert_many

    def failing(session, model, records):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if model is ChildCondition:
            raise OSError(28, "No space left on device")
        return real(session, model, records)

    monkeypatch.setattr(register_import, "insert_many", failing)
    with pytest.raises(OSError):
        register_import.apply_file(
            office_ws, staff["dudao"], DATA / "children-messy.xlsx", today=TODAY
        )
    assert calls["n"] >= 2  # children and guardians were sent first
    assert _count(office_ws, Child) == 0 and _count(office_ws, ChildGuardian) == 0
    assert list(office_ws.paths.backups.glob("*pre-import*"))  # the backup was taken first


def test_retrofit_households_with_their_money_and_timeline(
    office_ws: Workspace, worker: Actor
) -> None:
    contractor(office_ws, worker)  # 安居适老装饰工程有限公司 is then known
    with office_ws.reader() as s:
        p = case_import.preview(s, worker, DATA / "retrofit-messy.xlsx", today=TODAY)
    _check(p, data.RETROFIT_EXPECT)
    result = case_import.apply_file(office_ws, worker, DATA / "retrofit-messy.xlsx", today=TODAY)
    assert result.created == 5
    with office_ws.reader() as s:
        gui = s.scalar(select(RetrofitCase).where(RetrofitCase.id_number == data.GUI))
        zhang = s.scalar(select(RetrofitCase).where(RetrofitCase.id_number == data.ZHANG))
        song = s.scalar(select(RetrofitCase).where(RetrofitCase.id_number == data.SONG))
        tang = s.scalar(select(RetrofitCase).where(RetrofitCase.id_number == data.TANG))
        items = s.execute(
            select(RetrofitAssessmentItem.item_code, RetrofitAssessmentItem.quantity_centi)
            .where(RetrofitAssessmentItem.case_id == gui.id)
            .order_by(RetrofitAssessmentItem.sort_order)
        ).all()
        events = s.scalars(
            select(RetrofitCaseEvent.action).where(RetrofitCaseEvent.case_id == gui.id)
        ).all()
        info = cases.get(s, worker, gui.id)
    assert (gui.step, gui.accepted_on) == ("已完成", date(2025, 5, 20))
    assert (gui.cost_fen, gui.subsidy_fen, gui.household_fen) == (237800, 180000, 57800)
    assert gui.contractor_id is not None and gui.eligible
    assert items == [("R01", 1250), ("R13", 200), ("R24", 100)]
    assert events == ["验收通过"]  # one line: 导入台账, with the application day
    assert info.case_no.startswith("110105001-2025-")
    assert (zhang.cost_fen, zhang.subsidy_fen, zhang.household_fen) == (61000, 61000, 0)
    assert (song.step, song.closed_reason) == ("已撤回", "台账未载明原因")
    assert (tang.step, tang.applied_on, tang.eligible) == ("待资格审核", date(2026, 10, 9), True)
    again = case_import.apply_file(office_ws, worker, DATA / "retrofit-messy.xlsx", today=TODAY)
    assert not again.changed and _count(office_ws, RetrofitCase) == 5


def test_imported_households_count_in_the_running_total(
    office_ws: Workspace, worker: Actor
) -> None:
    from caseworker.domain import periods
    from caseworker.services import reports

    case_import.apply_file(office_ws, worker, DATA / "retrofit-messy.xlsx", today=TODAY)
    with office_ws.reader() as s:
        report = reports.build(s, worker, periods.year(2026), today=TODAY)
    retrofit = next(x for x in report.sections if x.title == "居家适老化改造")
    headline = dict(retrofit.headline)
    assert headline["完工（验收通过）"] == "0 户"  # none this year
    assert headline["累计完成（至2026年11月）"] == "2 户"  # the two of 2025


@pytest.mark.slow  # over 10 s on a loaded 2-core machine: in the full suite, not in --fast
def test_import_commands(office_ws: Workspace, staff: dict[str, Actor], tmp_path: Path) -> None:
    root = office_ws.paths.root
    office_ws.close()
    env = {**os.environ, "CASEWORKER_PASSWORD": STAFF_PASSWORD}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "caseworker", *args, "--workspace", str(root)],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )

    no_user = run("import", "children", str(DATA / "children-messy.xlsx"))
    assert no_user.returncode == 2 and "--user" in no_user.stderr
    assert len(no_user.stderr.strip().splitlines()) == 1
    report = tmp_path / "报告.xlsx"
    dry = run(
        "import", "children", str(DATA / "children-messy.xlsx"), "--user", "dudao",
        "--dry-run", "--report", str(report),
    )  # fmt: skip
    assert dry.returncode == 0, dry.stderr
    assert "将新增 6 名儿童" in dry.stdout and report.exists()
    done = run("import", "children", str(DATA / "children-messy.xlsx"), "--user", "dudao", "--json")
    assert done.returncode == 0, done.stderr
    import json

    assert json.loads(done.stdout)["created"] == 6
    retro = run("import", "retrofit", str(DATA / "retrofit-utf8.csv"), "--json")
    assert retro.returncode == 0 and json.loads(retro.stdout)["created"] == 2
    with Workspace.open(root) as ws, ws.reader() as s:
        assert s.scalar(select(func.count()).select_from(Child)) == 6
        sup = staff["dudao"]
        assert register.find_by_id_number(s, sup, data.ZHOU) is not None


def test_each_programme_maps_a_files_community_names_under_its_own_right(
    office_ws: Workspace, staff: dict[str, Actor], worker: Actor
) -> None:
    """`--community` on `import children` is the child supervisor's: the mapping checks the
    importing programme's permission, not the roster's (it refused a child supervisor)."""
    from caseworker.services.children._common import can_edit as child_can_edit
    from db.models import Community

    with office_ws.reader() as s:
        name, cid = s.execute(select(Community.name, Community.id).order_by(Community.name)).first()
        sup = staff["dudao"]
        assert ri.community_choices(s, sup, {"一片区": name}, check=child_can_edit) == {
            "一片区": cid
        }
        with pytest.raises(PermissionDenied):
            ri.community_choices(s, sup, {"一片区": name})  # the roster's right: not a supervisor's
        with pytest.raises(PermissionDenied):
            ri.community_choices(s, worker, {"一片区": name}, check=child_can_edit)


def test_a_missing_file_is_refused_in_words(
    office_ws: Workspace, staff: dict[str, Actor], tmp_path: Path
) -> None:
    """The file is hashed before it is read (to keep its reading for the apply): a missing one
    is refused with the reader's own message, not a FileNotFoundError from the hashing."""
    gone = tmp_path / "无.xlsx"
    for module, who in (
        (register_import, staff["dudao"]),
        (case_import, Actor.system("t")),
        (ri, Actor.system("t")),
    ):
        with office_ws.reader() as s, pytest.raises(ValidationError, match="找不到文件"):
            module.preview(s, who, gone, today=TODAY)


def test_every_programme_offers_to_map_the_community_names_nothing_matched(
    office_ws: Workspace, worker: Actor, tmp_path: Path
) -> None:
    """A community the file names its own way is counted in every programme's preview (the
    roster's did; the child register's and the households' said nothing), so the import's
    mapping (`ImportOptions.communities`, `--community`) is offered for it; mapped, its row
    is read."""
    from db.models import Community

    text = (DATA / "retrofit-utf8.csv").read_text(encoding="utf-8-sig")
    odd = tmp_path / "老名字.csv"
    odd.write_text(text.replace("柳芳村委会", "老柳芳"), encoding="utf-8-sig")
    with office_ws.reader() as s:
        p = case_import.preview(s, worker, odd, today=TODAY)
        cid = s.scalar(select(Community.id).where(Community.name.like("柳芳%")))
        mapped = case_import.preview(
            s, worker, odd, ri.ImportOptions(communities={"老柳芳": cid}), today=TODAY
        )
    assert p.unknown_communities == (("老柳芳", 1),)
    assert [r.status for r in p.rows if r.name == "唐奶奶"] == [ri.RowStatus.REJECTED]
    assert mapped.unknown_communities == ()
    assert [r.status for r in mapped.rows if r.name == "唐奶奶"] == [ri.RowStatus.NEW]
