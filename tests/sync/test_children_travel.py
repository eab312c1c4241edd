"""Child records travel from their office to the district and nowhere else; they arrive as
ciphertext the district can open with its own key; the district's roll-up is counts only."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select

from caseworker.district import service
from caseworker.district.cli import main as district_main
from caseworker.domain import idnumber
from caseworker.services.children import keys, register
from caseworker.services.children.worklists import office_figures
from caseworker.sync import office
from caseworker.sync.identity import load_identity
from db.children import Child, ChildOfficeKey, ChildViewLog
from tests.sync.helpers import ADMIN, child_supervisor, make_world

SECRET = "孩子说晚上常常一个人在家害怕"
PASSWORD = "Child2026x"


def test_child_records_reach_the_district_sealed_and_never_another_office(
    tmp_path: Path, capsys
) -> None:
    world = make_world(tmp_path, ["A", "B"])
    try:
        ws = world.offices["A"]
        sup, community = child_supervisor(ws, password=PASSWORD)
        with ws.writer(sup) as s:
            child = register.register(
                s,
                sup,
                register.ChildDraft(
                    "韩小雪", idnumber.make("110105", date(2015, 9, 9), 51), community, notes=SECRET
                ),
            ).child
            register.detail(s, sup, child.id)  # a view-log row, which must travel too
        service.ingest(world.hub, [world.office_to_district("A")])
        office.import_bundle(world.offices["B"], ADMIN, world.district_to_office("B"))

        with world.hub.reader() as s:
            stored = s.scalar(select(Child.notes).where(Child.id == child.id))
            wrap = s.scalar(select(ChildOfficeKey))
            views = s.scalar(select(ChildViewLog.action).where(ChildViewLog.child_id == child.id))
            figures = {f.office_code: f for f in office_figures(s)}
            district_keys = load_identity(s.connection(), world.hub.key_file).keys
        assert stored and stored.startswith(keys.PREFIX) and SECRET not in stored
        assert views == "打开档案"
        assert wrap is not None and wrap.district_wrap
        opened = keys.open_district_wrap(wrap.district_wrap, district_keys, wrap.key_id)
        assert opened is not None
        assert keys.open_text(opened, "child", "notes", child.id, stored) == SECRET
        assert figures["A"].children == 1 and figures["B"].children == 0

        with world.offices["B"].reader() as s:
            assert s.scalar(select(Child.id)) is None
            assert s.scalar(select(ChildOfficeKey.id)) is None
        assert district_main(["--home", str(world.hub.home), "children"]) == 0
    finally:
        world.close()
    out = capsys.readouterr().out
    assert "在册儿童 1 名" in out and "韩小雪" not in out
