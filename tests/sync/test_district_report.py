"""`caseworker-district report`: every office side by side and the district total, the same
figures each office's own report shows (the same code computes both)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from caseworker.district import service
from caseworker.district.cli import main
from caseworker.domain import idnumber, periods
from caseworker.services import accounts, reports
from caseworker.services.elderly import roster, visits
from tests.sync.helpers import ADMIN, make_world


def _rows(path: Path, sheet: str) -> dict[str, tuple]:
    ws = load_workbook(path)[sheet]
    rows = ws.iter_rows(min_row=3, values_only=True)
    table = []
    for r in rows:  # the table ends at its first blank row (its note and footnotes follow)
        if not r or not r[0]:
            break
        table.append(r)
    return {r[0]: r[1:] for r in table}


def test_offices_side_by_side_with_the_district_total(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world = make_world(tmp_path, ["110105001", "110105002"])
    today = date.today()
    try:
        for n, (code, ws) in enumerate(world.offices.items()):
            with ws.writer(ADMIN) as s:
                cids = [c.id for c in accounts.communities(s)]
                for i in range(3 + n):
                    birth = date(1940 + i, 1 + n, 1 + i)
                    r = roster.register(
                        s,
                        ADMIN,
                        roster.ResidentDraft(
                            f"老人{code[-1]}{i}",
                            idnumber.make("110105", birth, 10 + i),
                            cids[i % len(cids)],
                            enrolled_on=today.replace(day=1),
                        ),
                        today=today,
                    ).resident
                    if i % 2 == 0:
                        visits.complete(
                            s, ADMIN, visits.VisitDraft(r.id, today, visitors=("专干",)),
                            today=today,
                        )  # fmt: skip
            service.ingest(world.hub, [world.office_to_district(code)])
        own = {}
        for ws in world.offices.values():
            with ws.reader() as s:
                rep = reports.build(s, ADMIN, periods.month(today), today=today)
            own[rep.office_name] = next(t for t in rep.sections[0].tables if t.key == "探访情况")
        home = str(tmp_path / "district")
        out = tmp_path / "全区.xlsx"
        month = f"{today:%Y-%m}"
        assert main(["--home", home, "report", "--month", month, "--out", str(out)]) == 0
        assert "全区" not in capsys.readouterr().err
        rows = _rows(out, "探访情况")
        assert set(rows) == {"第1街道办事处", "第2街道办事处", "合计"}
        for name, table in own.items():
            assert rows[name][:4] == table.rows[-1][1:5]  # the office's own 合计
        assert rows["合计"][0] == sum(rows[n][0] for n in own)  # district total
        assert rows["第1街道办事处"][:2] == (3, 2) and rows["第2街道办事处"][:2] == (4, 2)
        one = tmp_path / "一个街道.pdf"
        assert main(["--home", home, "report", "--month", month, "--office", "110105002",
                     "--out", str(one)]) == 0  # fmt: skip
        assert one.exists()
        assert main(["--home", home, "report", "--office", "999", "--out", str(out)]) == 2
        assert "没有代码为 999 的街道" in capsys.readouterr().err
    finally:
        world.close()
