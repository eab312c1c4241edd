"""benchmarks/bench_session.py's hour of use, one cycle on a small enrolled office, so that the
benchmark cannot rot silently: ten visits stored, two PDFs with pages, a bundle the district
reads, and the print previews freed when closed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from pypdf import PdfReader

from benchmarks.bench_session import ACTIONS, PROBLEMS, VISITS_PER_CYCLE, drive_hour
from caseworker import demo
from caseworker.district import service
from caseworker.district.hub import Hub
from caseworker.sync import office
from caseworker.workspace import Workspace

PASSPHRASE = "session-bench"


@pytest.fixture
def enrolled(tmp_path: Path) -> tuple[Path, Path]:
    """A district and one enrolled office filled with a 30-resident demo."""
    with Hub.open(tmp_path / "district") as hub:
        service.init(hub, "测试区民政局")
        service.add_office(
            hub,
            code="S001",
            name="测试街道",
            communities=["和平社区", "光明社区"],
            out=tmp_path / "enroll.cwenroll",
            passphrase=PASSPHRASE,
        )
    with Workspace.open(tmp_path / "office") as ws:
        office.enroll(ws, tmp_path / "enroll.cwenroll", PASSPHRASE)
        demo.build(ws, residents=30, seed=3)
    return tmp_path / "office", tmp_path / "district"


def _completed_visits(root: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(root / "caseworker.sqlite3") as conn:
        return conn.execute(
            "SELECT id, problems, actions FROM elderly_visit WHERE problems = ? AND actions = ?"
            " AND status = '已完成'",
            (PROBLEMS, ACTIONS),
        ).fetchall()


def test_one_cycle_of_the_hour_does_what_it_says(
    enrolled: tuple[Path, Path], tmp_path: Path, qapp
) -> None:
    root, district = enrolled
    assert _completed_visits(root) == []
    out = tmp_path / "out"
    out.mkdir()

    figures = drive_hour(root, out, cycles=1, trace=False)

    # ten visits typed through the form and completed, as stored in the database
    assert figures["visits_saved"] == VISITS_PER_CYCLE
    stored = _completed_visits(root)
    assert len(stored) == VISITS_PER_CYCLE
    # a resident's visit form and a community's route sheet, saved from the preview
    pdfs = [Path(p) for p in figures["pdfs"]]
    assert [p.name for p in pdfs] == ["form-1.pdf", "route-1.pdf"]
    for pdf in pdfs:
        assert len(PdfReader(pdf).pages) >= 1
    # the bundle the 数据同步 page wrote is read by the district, with the ten new visits
    [bundle] = [Path(p) for p in figures["bundles"]]
    with Hub.open(district) as hub:
        [done] = service.ingest(hub, [bundle])
    assert done.refused == "", done.refused
    assert done.added.get("elderly_visit", 0) >= VISITS_PER_CYCLE
    with sqlite3.connect(district / "district.sqlite3") as conn:
        ids = {
            r[0]
            for r in conn.execute("SELECT id FROM elderly_visit WHERE problems = ?", (PROBLEMS,))
        }
    assert ids == {v[0] for v in stored}
    # memory was measured, and the closed previews and option dialogs were freed
    assert figures["after_login"]["VmRSS"] > 0 and figures["end"]["VmHWM"] > 0
    assert figures["cycles"][0]["memory"]["widgets"] > 0
    assert figures["cycles"][0]["memory"]["previews_alive"] == 0
    assert not [m for m in figures["messages"] if m.startswith("unexpected dialog")]
