"""A key rotation at an office travels like any edit: the district receives the re-encrypted
values and the new key's district wrap, reads them with its own key, and a recovery file made
after it carries the new key."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select

from caseworker.district import service
from caseworker.district.cli import main as district_main
from caseworker.domain import idnumber
from caseworker.services.children import keys, register, rotation
from caseworker.sync.identity import load_identity
from db.children import Child, ChildOfficeKey
from tests.sync.helpers import child_supervisor, make_world

SECRET = "孩子说晚上常常一个人在家害怕"
PASSWORD = "Child2026x"


def test_a_rotation_reaches_the_district_which_reads_with_the_new_wrap(
    tmp_path: Path, capsys
) -> None:
    world = make_world(tmp_path, ["A"])
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
        service.ingest(world.hub, [world.office_to_district("A")])

        result = rotation.rotate_office_key(ws, sup)
        with ws.reader() as s:
            current = s.scalar(select(ChildOfficeKey).where(ChildOfficeKey.deleted_at.is_(None)))
        assert current.key_id == result.new_key_id and current.district_wrap
        service.ingest(world.hub, [world.office_to_district("A")])

        with world.hub.reader() as s:
            stored = s.scalar(select(Child.notes).where(Child.id == child.id))
            live = s.execute(
                select(ChildOfficeKey.key_id, ChildOfficeKey.district_wrap).where(
                    ChildOfficeKey.deleted_at.is_(None)
                )
            ).all()
            district_keys = load_identity(s.connection(), world.hub.key_file).keys
        assert len(live) == 1 and live[0][0] == result.new_key_id
        opened = keys.open_district_wrap(live[0][1], district_keys, live[0][0])
        assert opened is not None
        assert keys.open_text(opened, "child", "notes", child.id, stored) == SECRET

        out = tmp_path / "r.cwchildkey"
        assert (
            district_main(
                [
                    "--home",
                    str(world.hub.home),
                    "children",
                    "recover",
                    "--office",
                    "A",
                    "--out",
                    str(out),
                ]
            )
            == 0
        )
        assert result.new_key_id in out.read_text(encoding="utf-8")
    finally:
        keys.forget_all()
        world.close()
    capsys.readouterr()
