"""Lists to .xlsx (title row, frozen bold header, real dates, IDs and phones as text, masked
IDs) and the `caseworker import roster` / `caseworker export` commands (exit 0, or 2 and one line)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from caseworker.cli import main
from caseworker.domain.errors import PermissionDenied
from caseworker.domain.roles import Actor
from caseworker.services import exports
from caseworker.services.elderly import visits
from caseworker.services.elderly.search import RosterQuery
from caseworker.workspace import Workspace
from tests.services import _rosters as m
from tests.services._elderly import TODAY, add, community_ids


def _people(ws: Workspace, worker: Actor) -> None:
    add(ws, worker, "王秀英", date(1944, 5, 6), seq=12, phone="13812345678")
    add(ws, worker, "李建国", date(1950, 1, 2), seq=13, community="安贞社区")


def test_roster_export_looks_like_an_office_file(
    office_ws: Workspace, worker: Actor, tmp_path: Path
) -> None:
    _people(office_ws, worker)
    flt = exports.ExportFilter(
        roster=RosterQuery(community_id=community_ids(office_ws)["和平里社区"]),
        description="和平里社区",
    )
    with office_ws.reader() as s:
        result = exports.export(
            s, worker, "elderly-roster", tmp_path / "台账.xlsx", flt, today=TODAY
        )
    assert result.rows == 1
    ws = load_workbook(result.path).active
    assert "老年人台账" in ws["A1"].value and "测试街道办事处" in ws["A1"].value
    assert "2026-11-18" in ws["A1"].value and "和平里社区" in ws["A1"].value
    assert ws.freeze_panes == "A3" and ws["A2"].font.b
    header = [c.value for c in ws[2]]
    row = dict(zip(header, (c for c in ws[3]), strict=False))
    assert row["姓名"].value == "王秀英"
    assert row["出生日期"].is_date and row["出生日期"].value.date() == date(1944, 5, 6)
    assert row["联系电话"].value == "13812345678" and row["联系电话"].data_type == "s"
    assert row["身份证号"].value.startswith("110105") and "*" in row["身份证号"].value
    assert row["年龄"].value == 82
    assert ws.column_dimensions["E"].width >= 18  # the ID column fits


def test_every_list_exports_and_rights_are_the_screens(
    office_ws: Workspace, worker: Actor, admin: Actor, tmp_path: Path
) -> None:
    _people(office_ws, worker)
    rid = add(office_ws, worker, "赵大爷", date(1940, 1, 1), seq=14).id
    with office_ws.writer(worker) as s:
        visits.complete(
            s,
            worker,
            visits.VisitDraft(rid, date(2026, 11, 2), visitors=("李专干",)),
            today=TODAY,
        )
    with office_ws.reader() as s:
        for key, spec in exports.LISTS.items():
            if spec.logged:  # child lists: tests/services/test_exports_programmes.py
                continue
            actor = admin if key in ("audit", "conflicts") else worker
            result = exports.export(s, actor, key, tmp_path / f"{key}.xlsx", today=TODAY)
            assert result.path.exists()
            assert load_workbook(result.path).active.max_row == result.rows + 2
        counts = {
            k: exports.export(
                s, admin if k == "audit" else worker, k, tmp_path / f"{k}2.xlsx", today=TODAY
            ).rows
            for k in ("elderly-visits", "elderly-due", "audit")
        }
        assert counts["elderly-visits"] == 1 and counts["elderly-due"] == 2
        assert counts["audit"] > 3
        with pytest.raises(PermissionDenied):
            exports.export(s, worker, "audit", tmp_path / "no.xlsx", today=TODAY)
    assert not (tmp_path / "no.xlsx").exists()
    assert not list(tmp_path.glob("*.part"))


def test_cli_import_then_export(
    office_ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = str(office_ws.paths.root)
    office_ws.close()
    path = m.write_xlsx(tmp_path / "台账.xlsx")
    report = tmp_path / "报告.xlsx"
    code = main(["import", "roster", str(path), "--workspace", root, "--dry-run", "--json",
                 "--report", str(report)])  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["dry_run"] and out["counts"]["新增"] >= 1 and report.exists()
    assert main(["import", "roster", str(path), "--workspace", root]) == 0
    assert "已导入" in capsys.readouterr().out
    assert main(["import", "roster", str(path), "--workspace", root]) == 0
    assert "没有写入任何变更" in capsys.readouterr().out
    assert main(["export", "elderly-roster", "--workspace", root,
                 "--out", str(tmp_path / "r.xlsx")]) == 0  # fmt: skip
    assert "行" in capsys.readouterr().out
    for argv in (
        ["import", "roster", str(tmp_path / "无.xlsx"), "--workspace", root],
        ["export", "nothing", "--workspace", root, "--out", str(tmp_path / "x.xlsx")],
        ["export", "elderly-roster", "--workspace", root, "--out", str(tmp_path / "x.pdf")],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("caseworker: ")


def test_cli_import_maps_a_community_the_file_names_its_own_way(
    office_ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import date

    from caseworker.domain import idnumber

    root = str(office_ws.paths.root)
    office_ws.close()
    rows = [["姓名", "身份证号"], ["甲老人", idnumber.make("110105", date(1940, 2, 3), 13)]]
    path = m.write_xlsx(tmp_path / "旧.xlsx", [("一片区", rows)])
    assert main(["import", "roster", str(path), "--workspace", root, "--dry-run"]) == 0
    said = capsys.readouterr().out
    assert "“一片区”（1 行）" in said and "--community" in said
    argv = ["import", "roster", str(path), "--workspace", root, "--json"]
    assert main([*argv, "--community", "一片区=柳芳村"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["created"] == 1 and out["unknown_communities"] == {}
    for bad in ("一片区", "一片区=月球社区", "=柳芳村"):
        assert main([*argv, "--community", bad]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "社区" in err
