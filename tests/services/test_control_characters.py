"""Control characters never reach a stored text (issue 20, item 7): a NUL, an escape or a
bidirectional override typed (or pasted) into any field of any programme is taken out, line
breaks and tabs in notes stay. Services clean what they are given, and the flush that journals
every change takes them out of any text column a service forgot; a bundle carrying them is kept
out (tests/sync/test_crafted_values.py) and an imported file loses them as it is read
(tests/services/test_roster_bounds.py)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from caseworker.domain.roles import Actor, Role
from caseworker.services import accounts
from caseworker.services.elderly import roster
from caseworker.workspace import Workspace
from tests.services import _retrofit as rf
from tests.services._children import add_child, add_child_staff
from tests.services._elderly import TODAY, community_ids, make_id


def _one(ws: Workspace, sql: str) -> tuple:
    with ws.engine.connect() as conn:
        return tuple(conn.execute(text(sql)).one())


def test_typed_text_loses_control_characters_in_every_programme(
    office_ws: Workspace, worker: Actor, admin: Actor
) -> None:
    with office_ws.writer(worker) as s:
        roster.register(
            s,
            worker,
            roster.ResidentDraft(
                "张\x00三",
                make_id(date(1944, 5, 6), 12),
                community_ids(office_ws)["和平里社区"],
                address="和平路\x1b1号\u202e",
                notes="第一行\n第二行\t（缩进）\x07",
            ),
            today=TODAY,
        )
    assert _one(office_ws, "SELECT name, address, notes FROM elderly_resident") == (
        "张三",
        "和平路1号",
        "第一行\n第二行\t（缩进）",
    )
    rf.open_case(office_ws, worker, "陈\x00桂兰")
    assert _one(office_ws, "SELECT applicant_name FROM retrofit_case") == ("陈桂兰",)
    child_staff = add_child_staff(office_ws)
    add_child(office_ws, child_staff["dudao"], "周\x7f小雨", date(2014, 6, 2))
    assert _one(office_ws, "SELECT name FROM child") == ("周小雨",)
    with office_ws.writer(admin) as s:
        accounts.create_staff(
            s,
            admin,
            accounts.StaffDraft("wkz", "王\x00科长", Role.SUPERVISOR),
            "Staff2026",
        )
    assert _one(office_ws, "SELECT display_name FROM staff WHERE username='wkz'") == ("王科长",)


def test_the_journaling_flush_takes_them_out_of_any_text_column(
    office_ws: Workspace, admin: Actor
) -> None:
    """Whatever path reaches the database through the ORM (a service that forgot to clean)."""
    from db.models import Community

    cid = community_ids(office_ws)["和平里社区"]
    with office_ws.writer(admin) as s:
        row = s.get(Community, cid)
        row.name = "和平\x00里\x1f新社区"
    assert _one(office_ws, f"SELECT name FROM community WHERE id='{cid}'") == ("和平里新社区",)
    with office_ws.engine.connect() as conn:
        journal = conn.execute(
            text("SELECT count(*) FROM journal WHERE table_name='community' AND op='update'")
        ).scalar()
    assert journal == 1
    from caseworker.services import audit

    with office_ws.reader() as s:
        rows = audit.page(s, admin, audit.AuditFilter(record_id=cid, table_name="community"))
    assert [r.new_value for r in rows if r.op == "update"] == ["和平里新社区"]  # cleaned


def test_a_required_field_of_only_control_characters_is_empty(
    office_ws: Workspace, worker: Actor
) -> None:
    import pytest

    from caseworker.domain.errors import ValidationError

    with pytest.raises(ValidationError, match="请填写"), office_ws.writer(worker) as s:
        roster.register(
            s,
            worker,
            roster.ResidentDraft(
                "\x00\x1b", make_id(date(1944, 5, 6), 12), community_ids(office_ws)["和平里社区"]
            ),
            today=TODAY,
        )


def test_typed_text_is_bounded_in_length(office_ws: Workspace, worker: Actor) -> None:
    """Each field has its length (a name 60 characters, a note 2,000): more is refused in one
    line naming the field, with nothing written."""
    import pytest

    from caseworker.domain.errors import ValidationError

    community = community_ids(office_ws)["和平里社区"]
    for draft, field in (
        (roster.ResidentDraft("长" * 61, make_id(date(1944, 5, 6), 12), community), "name"),
        (
            roster.ResidentDraft(
                "张三", make_id(date(1944, 5, 6), 12), community, notes="备" * 2001
            ),
            "notes",
        ),
    ):
        with pytest.raises(ValidationError) as refused, office_ws.writer(worker) as s:
            roster.register(s, worker, draft, today=TODAY)
        assert refused.value.field == field and "不能超过" in str(refused.value)
    assert _count(office_ws, "elderly_resident") == 0


def _count(ws: Workspace, table: str) -> int:
    with ws.engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
