"""Retrofit figures (exact, per office), the print and catalogue commands (exit 0, or 2 with one
Chinese line; PDFs read back), and the demo households at every step with their photos."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from caseworker import cli, demo
from caseworker.district import cli as district_cli
from caseworker.domain.retrofit import Action, Step
from caseworker.domain.roles import Actor
from caseworker.services.retrofit import figures, photos, search
from caseworker.workspace import Workspace
from db.photo_store import PhotoStore
from db.retrofit import RetrofitCase, RetrofitPhoto
from tests.services._retrofit import assess, contractor, open_case, step, supervisor


def _complete(ws: Workspace, worker: Actor, chief: Actor, firm: str, name: str, seq: int) -> str:
    case = open_case(ws, worker, name, seq=seq)
    step(ws, worker, case.id, Action.CHECK, on=date(2026, 10, 9))
    assess(ws, worker, case.id, [("R01", 1250), ("R13", 300), ("R14", 100)])
    step(ws, worker, case.id, Action.SUBMIT, on=date(2026, 10, 12))
    step(ws, chief, case.id, Action.APPROVE, on=date(2026, 10, 15))
    step(
        ws,
        worker,
        case.id,
        Action.START,
        contractor_id=firm,
        start=date(2026, 10, 20),
        planned_end=date(2026, 11, 5),
    )
    step(ws, worker, case.id, Action.FINISH, on=date(2026, 11, 4))
    step(ws, worker, case.id, Action.ACCEPT, on=date(2026, 11, 7), signed_by=name)
    return case.id


def test_figures_for_a_period(office_ws: Workspace, worker: Actor) -> None:
    chief = supervisor(office_ws)
    firm = contractor(office_ws, worker)
    _complete(office_ws, worker, chief, firm, "甲", 81)
    _complete(office_ws, worker, chief, firm, "乙", 83)
    open_case(office_ws, worker, "丙", seq=85)
    open_case(office_ws, worker, "丁", seq=87, applied_on=date(2025, 6, 1))
    with office_ws.reader() as s:
        [year] = figures.figures(s, worker, date(2026, 1, 1), date(2026, 12, 31))
        [older] = figures.figures(s, worker, date(2025, 1, 1), date(2025, 12, 31))
        none = figures.figures(s, worker, date(2020, 1, 1), date(2020, 12, 31))
    assert year.office_code == "110105001" and year.applied == 3 and year.completed == 2
    assert year.by_step[Step.COMPLETED.value] == 2 and year.by_step[Step.APPLIED.value] == 1
    assert (year.cost_fen, year.subsidy_fen, year.household_fen) == (688000, 368000, 320000)
    assert year.average_days == 30.0  # 2026-10-08 → 2026-11-07
    items = {i.code: i for i in year.items}
    assert items["R01"].households == 2 and items["R01"].quantity_centi == 2500
    assert items["R01"].cost_fen == 200000 and items["R14"].cost_fen == 320000
    assert sum(i.cost_fen for i in year.items) == year.cost_fen
    assert older.applied == 1 and older.completed == 0 and none == []


def test_print_commands_write_readable_pdfs(
    office_ws: Workspace, worker: Actor, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.services.test_retrofit_photos import phone_photo

    chief = supervisor(office_ws)
    firm = contractor(office_ws, worker)
    case = open_case(office_ws, worker, "赵春梅", seq=91)
    step(office_ws, worker, case.id, Action.CHECK)
    assess(office_ws, worker, case.id, [("R13", 200)])
    with office_ws.writer(worker) as s:
        photos.add(
            s,
            worker,
            PhotoStore(office_ws.paths.photos),
            case.id,
            photos.PhotoRequest(
                phone_photo(tmp_path / "b.jpg", (800, 600), 1), "改造前", caption="卫生间"
            ),
        )
    step(office_ws, worker, case.id, Action.SUBMIT)
    step(office_ws, chief, case.id, Action.APPROVE)
    step(
        office_ws, worker, case.id, Action.START, contractor_id=firm, planned_end=date(2026, 12, 1)
    )
    root = str(office_ws.paths.root)
    office_ws.close()
    outputs = {}
    for kind in ("retrofit-assessment", "retrofit-acceptance", "retrofit-file"):
        out = tmp_path / f"{kind}.pdf"
        code = cli.main(
            ["print", kind, "--workspace", root, "--case", case.case_no, "--out", str(out)]
        )
        assert code == 0
        outputs[kind] = PdfReader(BytesIO(out.read_bytes()))
    text = "".join(p.extract_text() for p in outputs["retrofit-file"].pages)
    assert "居家适老化改造档案" in text and "赵春梅" in text and "开始施工" in text
    assert case.id_number in text  # the archive copy carries the full ID number
    acc = "".join(p.extract_text() for p in outputs["retrofit-acceptance"].pages)
    assert "验收单" in acc and case.id_number not in acc and "卫生间" in acc
    assert sum(len(p.images) for p in outputs["retrofit-acceptance"].pages) == 1
    blank = tmp_path / "blank.pdf"
    assert (
        cli.main(
            ["print", "retrofit-assessment", "--workspace", root, "--blank", "--out", str(blank)]
        )
        == 0
    )
    assert "淋浴椅" in "".join(p.extract_text() for p in PdfReader(blank).pages)
    capsys.readouterr()
    bad = cli.main(
        ["print", "retrofit-file", "--workspace", root, "--case", "X-1", "--out", str(blank)]
    )
    err = capsys.readouterr().err
    assert bad == 2 and err.count("\n") == 1 and "X-1" in err
    assert cli.main(["print", "retrofit-file", "--workspace", root, "--out", str(blank)]) == 2


def test_catalogue_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = str(tmp_path / "hub")

    def run(*args: str) -> tuple[int, str, str]:
        code = district_cli.main(["--home", home, *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    assert run("init", "--name", "测试区民政局")[0] == 0
    code, out, _ = run("catalogue", "set-price", "R13", "--price", "300", "--cap", "250")
    assert code == 0 and "300.00 元/个" in out and "250.00" in out
    code, out, _ = run(
        "catalogue",
        "add",
        "--code",
        "X1",
        "--part",
        "老年用品",
        "--name",
        "助浴凳",
        "--unit",
        "个",
        "--price",
        "150",
    )
    assert code == 0 and "助浴凳" in out
    assert run("catalogue", "retire", "R30")[0] == 0
    code, out, _ = run("catalogue", "list")
    assert code == 0 and "30 项" in out and "助浴凳" in out and "安全监控" not in out
    code, _, err = run("catalogue", "set-price", "R13", "--price", "三百")
    assert code == 2 and err.count("\n") == 1 and "金额应为数字" in err
    code, _, err = run(
        "catalogue",
        "add",
        "--code",
        "X2",
        "--part",
        "阳台",
        "--name",
        "x",
        "--unit",
        "个",
        "--price",
        "1",
    )
    assert code == 2 and "类别应为" in err
    code, out, _ = run("retrofit-figures", "--json")
    assert code == 0 and '"offices": []' in out


@pytest.mark.slow  # over 10 s on a loaded 2-core machine: in the full suite, not in --fast
def test_demo_households_reach_every_step_with_photos(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "demo") as ws:
        report = demo.build(ws, residents=60, seed=5)
        assert report.counts["改造户"] >= 12 and report.counts["施工单位"] == 3
        store = PhotoStore(ws.paths.photos)
        actor = Actor.system("t")
        with ws.reader() as s:
            steps = set(s.scalars(select(RetrofitCase.step).distinct()))
            assert steps == {st.value for st in Step}
            assert search.work_list_counts(s, actor)["overdue"] >= 1
            linked = s.scalar(select(func.count()).where(RetrofitCase.resident_id.is_not(None)))
            assert linked >= 1
            assert s.scalar(select(func.count()).select_from(RetrofitPhoto)) >= 4
            assert photos.missing_files(s, store) == []
