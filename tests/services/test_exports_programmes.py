"""Retrofit and children lists to .xlsx, opened back with openpyxl: text IDs (masked), real
dates, money as numbers; each role's rights (children: child roles only, a child director only
their own community); every exported child logged like a view; `caseworker export --user`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from caseworker.cli import main
from caseworker.domain.children import Risk
from caseworker.domain.errors import PermissionDenied
from caseworker.domain.retrofit import Action
from caseworker.domain.roles import Actor
from caseworker.services import exports
from caseworker.services.children import cases
from caseworker.services.children.search import ChildQuery
from caseworker.services.retrofit.search import CaseQuery
from caseworker.workspace import Workspace
from db.children import ChildViewLog
from tests.conftest import STAFF_PASSWORD
from tests.services import _retrofit as rf
from tests.services._children import TODAY, add_child, add_child_staff


def _sheet(path: Path) -> tuple[list[str], list[dict[str, object]], str]:
    """(header, rows as {header: cell}, title) of an export."""
    ws = load_workbook(path).active
    header = [c.value for c in ws[2]]
    rows = [dict(zip(header, r, strict=False)) for r in ws.iter_rows(min_row=3)]
    return header, rows, ws["A1"].value


def _logs(ws: Workspace) -> list[tuple[str, str, str]]:
    with ws.reader() as s:
        return [
            tuple(r)
            for r in s.execute(
                select(ChildViewLog.child_id, ChildViewLog.staff_name, ChildViewLog.action)
            )
        ]


# -- retrofit ------------------------------------------------------------------------------------


def test_retrofit_lists_export_with_masked_ids_dates_and_money(
    office_ws: Workspace, worker: Actor, admin: Actor, tmp_path: Path
) -> None:
    chief = rf.supervisor(office_ws)
    firm = rf.contractor(office_ws, chief)
    late = rf.open_case(office_ws, worker, "陈桂兰", seq=22)
    rf.open_case(office_ws, worker, "刘玉珍", seq=24, community="安贞社区")
    rf.step(office_ws, worker, late.id, Action.CHECK, on=date(2026, 10, 9))
    rf.assess(office_ws, worker, late.id, [("R01", 1250), ("R13", 300)])
    rf.step(office_ws, worker, late.id, Action.SUBMIT, on=date(2026, 10, 12))
    rf.step(office_ws, chief, late.id, Action.APPROVE, on=date(2026, 10, 15))
    rf.step(
        office_ws,
        worker,
        late.id,
        Action.START,
        contractor_id=firm,
        start=date(2026, 10, 20),
        planned_end=date(2026, 11, 10),
    )
    with office_ws.reader() as s:
        result = exports.export(
            s,
            worker,
            "retrofit-cases",
            tmp_path / "cases.xlsx",
            exports.ExportFilter(retrofit=CaseQuery(sort="name", descending=False)),
            today=TODAY,
        )
        overdue = exports.export(
            s, worker, "retrofit-overdue", tmp_path / "overdue.xlsx", today=TODAY
        )
        firms = exports.export(s, admin, "retrofit-contractors", tmp_path / "f.xlsx", today=TODAY)
        cat = exports.export(s, worker, "retrofit-catalogue", tmp_path / "c.xlsx", today=TODAY)
    assert result.rows == 2 and overdue.rows == 1 and firms.rows == 1 and cat.rows == 30
    _header, rows, title = _sheet(result.path)
    assert "适老化改造档案" in title and "测试街道办事处" in title
    by_name = {r["姓名"].value: r for r in rows}
    chen = by_name["陈桂兰"]
    assert chen["身份证号"].data_type == "s" and "*" in chen["身份证号"].value
    assert chen["身份证号"].value.startswith("110105") and len(chen["身份证号"].value) == 18
    assert chen["申请日期"].is_date and chen["申请日期"].value.date() == date(2026, 10, 8)
    assert chen["计划完工"].value.date() == date(2026, 11, 10)
    assert chen["环节"].value == "施工中" and chen["施工单位"].value.startswith("安居")
    money = chen["政府补贴（元）"]
    assert money.data_type == "n" and money.value > 0 and money.number_format == "0.00"
    assert chen["逾期天数"].value == (TODAY - date(2026, 11, 10)).days
    assert chen["联系电话"].value == "13911112222" and chen["联系电话"].data_type == "s"
    _h, over_rows, _t = _sheet(overdue.path)
    assert [r["姓名"].value for r in over_rows] == ["陈桂兰"]
    _h, cat_rows, _t = _sheet(cat.path)
    basic = [r for r in cat_rows if r["类型"].value.startswith("基础")]
    assert len(basic) == 7 and all(r["补贴上限（元）"].data_type == "n" for r in basic)
    # A child director has no retrofit rights: refused, nothing written.
    director = add_child_staff(office_ws)["ertong1"]
    with office_ws.reader() as s, pytest.raises(PermissionDenied):
        exports.export(s, director, "retrofit-cases", tmp_path / "no.xlsx", today=TODAY)
    assert not (tmp_path / "no.xlsx").exists() and not list(tmp_path.glob("*.part"))


# -- children ------------------------------------------------------------------------------------


def _children_world(
    ws: Workspace, staff: dict[str, Actor]
) -> tuple[dict[str, Actor], dict[str, str]]:
    """Two children and their cases on `ws`, whose `staff` are `child_staff`'s."""
    sup = staff["dudao"]
    a = add_child(ws, sup, "黄小明", date(2015, 3, 4), seq=21)
    b = add_child(ws, sup, "张小红", date(2012, 6, 7), seq=22, community="安贞社区")
    c = add_child(ws, sup, "李小刚", date(2010, 1, 2), seq=23)
    with ws.writer(sup) as s:
        ca = cases.report(s, sup, cases.ReportDraft(a.id, "学校", date(2026, 11, 2), "无人照看"))
        cases.report(
            s,
            sup,
            cases.ReportDraft(b.id, "医院", date(2026, 11, 16), "外伤", frozenset({"受到伤害"})),
        )
        cases.verify(s, sup, ca.id, date(2026, 11, 3), True, "属实", today=TODAY)
        cases.assess(s, sup, ca.id, date(2026, 11, 4), Risk.HIGH, [], "评估", today=TODAY)
    return staff, {"a": a.id, "b": b.id, "c": c.id}


def test_children_register_export_is_masked_scoped_and_logged(
    office_ws: Workspace,
    worker: Actor,
    admin: Actor,
    tmp_path: Path,
    child_staff: dict[str, Actor],
) -> None:
    staff, ids = _children_world(office_ws, child_staff)
    before = len(_logs(office_ws))
    with office_ws.writer(staff["dudao"]) as s:
        result = exports.export(
            s, staff["dudao"], "children-register", tmp_path / "r.xlsx", today=TODAY
        )
    assert result.rows == 3
    header, rows, title = _sheet(result.path)
    assert "保密" in title and "身份证号" in header and "出生日期" not in header
    ming = next(r for r in rows if r["姓名"].value == "黄小明")
    assert ming["身份证号"].data_type == "s" and ming["身份证号"].value.count("*") == 8
    assert ming["住址"].value == "和平路****"
    assert ming["年龄"].value == 11 and ming["在办个案"].value == 1
    logs = _logs(office_ws)[before:]
    assert sorted(c for c, _n, _a in logs) == sorted(ids.values())
    assert {(n, a) for _c, n, a in logs} == {("王督导", "导出Excel：儿童台账")}

    # The child director of 和平里社区: only their community, in SQL; logged as them.
    with office_ws.writer(staff["ertong1"]) as s:
        mine = exports.export(
            s,
            staff["ertong1"],
            "children-register",
            tmp_path / "mine.xlsx",
            exports.ExportFilter(children=ChildQuery(community_id=None)),
            today=TODAY,
        )
    _h, mine_rows, _t = _sheet(mine.path)
    assert sorted(r["姓名"].value for r in mine_rows) == ["李小刚", "黄小明"]
    assert {r["社区/村"].value for r in mine_rows} == {"和平里社区"}
    new = [x for x in _logs(office_ws)[before:] if x[1] == "赵主任"]
    assert sorted(c for c, _n, _a in new) == sorted([ids["a"], ids["c"]])

    # Roles without child rights are refused before anything is written or logged.
    count = len(_logs(office_ws))
    for actor in (worker, admin):
        for key in [k for k, spec in exports.LISTS.items() if spec.logged]:
            with pytest.raises(PermissionDenied), office_ws.writer(actor) as s:
                exports.export(s, actor, key, tmp_path / f"no-{key}.xlsx", today=TODAY)
    assert len(_logs(office_ws)) == count
    assert not list(tmp_path.glob("no-*")) and not list(tmp_path.glob("*.part"))
    with office_ws.reader() as s, pytest.raises(RuntimeError):
        exports.export(s, staff["dudao"], "children-register", tmp_path / "x.xlsx")


def test_children_cases_and_work_lists_export(
    office_ws: Workspace, tmp_path: Path, child_staff: dict[str, Actor]
) -> None:
    staff, _ids = _children_world(office_ws, child_staff)
    sup, director = staff["dudao"], staff["ertong1"]
    out: dict[str, list[dict[str, object]]] = {}
    with office_ws.writer(sup) as s:
        for key in ("children-cases", "children-urgent", "children-verify", "children-plan"):
            r = exports.export(s, sup, key, tmp_path / f"{key}.xlsx", today=TODAY)
            out[key] = _sheet(r.path)[1]
            assert r.rows == len(out[key])
    assert sorted(r["儿童"].value for r in out["children-cases"]) == ["张小红", "黄小明"]
    zhang = next(r for r in out["children-cases"] if r["儿童"].value == "张小红")
    assert zhang["紧急"].value == "受到伤害" and zhang["报告日期"].is_date
    assert zhang["身份证号"].value.count("*") == 8
    assert [r["儿童"].value for r in out["children-urgent"]] == ["张小红"]
    assert [r["儿童"].value for r in out["children-verify"]] == ["张小红"]
    assert [(r["儿童"].value, r["风险"].value) for r in out["children-plan"]] == [("黄小明", "高")]
    with office_ws.writer(director) as s:
        r = exports.export(s, director, "children-cases", tmp_path / "d.xlsx", today=TODAY)
    assert [x["儿童"].value for x in _sheet(r.path)[1]] == ["黄小明"]


def test_cli_exports_children_only_as_a_child_role(
    office_ws: Workspace,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys,
    child_staff: dict[str, Actor],
) -> None:
    _children_world(office_ws, child_staff)
    root = str(office_ws.paths.root)
    office_ws.close()
    monkeypatch.setenv("CASEWORKER_PASSWORD", STAFF_PASSWORD)
    base = ["export", "children-register", "--workspace", root, "--out"]
    assert main([*base, str(tmp_path / "a.xlsx")]) == 2
    assert "--user" in capsys.readouterr().err
    assert main([*base, str(tmp_path / "b.xlsx"), "--user", "worker"]) == 2
    assert "儿童督导员" in capsys.readouterr().err
    assert main([*base, str(tmp_path / "c.xlsx"), "--user", "ertong2"]) == 0
    assert "1 行" in capsys.readouterr().out
    _h, rows, _t = _sheet(tmp_path / "c.xlsx")
    assert [r["姓名"].value for r in rows] == ["张小红"]
    monkeypatch.setenv("CASEWORKER_PASSWORD", "wrong-password")
    assert main([*base, str(tmp_path / "d.xlsx"), "--user", "ertong2"]) == 2
    assert "密码" in capsys.readouterr().err
    assert not (tmp_path / "a.xlsx").exists() and not (tmp_path / "b.xlsx").exists()
    assert main(["export", "retrofit-catalogue", "--workspace", root,
                 "--out", str(tmp_path / "cat.xlsx")]) == 0  # fmt: skip
    monkeypatch.setenv("CASEWORKER_PASSWORD", STAFF_PASSWORD)
    retro = ["export", "retrofit-cases", "--workspace", root, "--out", str(tmp_path / "r.xlsx")]
    assert main([*retro, "--status", "施工中", "--year", "2026", "--user", "worker"]) == 0
    assert "施工中，2026年申请" in load_workbook(tmp_path / "r.xlsx").active["A1"].value
    assert main([*retro, "--status", "乱写"]) == 2
    assert "环节“乱写”不存在" in capsys.readouterr().err
    assert main([*retro, "--user", "ertong2"]) == 2  # no retrofit rights
    ws = Workspace.open(Path(root))
    try:
        with ws.reader() as s:
            n = s.scalar(
                select(func.count())
                .where(ChildViewLog.staff_name == "钱主任")
                .select_from(ChildViewLog)
            )
    finally:
        ws.close()
    assert n == 1
