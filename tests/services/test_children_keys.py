"""Narrative fields at rest: nowhere in the database file, its journal or a backup; the office key
unlocked only by a logged-in child-role account; password change, reset, grants, district wrap."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from caseworker.domain.children import Risk, ServiceStatus
from caseworker.domain.errors import ValidationError
from caseworker.domain.roles import Actor, Role
from caseworker.services import accounts
from caseworker.services.children import cases, keys, register
from caseworker.sync import crypto
from caseworker.sync.identity import add_peer
from caseworker.workspace import Workspace
from db.children import Child, ChildCase, ChildOfficeKey
from tests.conftest import STAFF_PASSWORD, login
from tests.services._children import (
    SECRET,
    TODAY,
    add_child,
    add_child_staff,
    child_id_number,
)

SECRETS = [f"{SECRET}（{field}）" for field in range(9)]


def _fill(ws: Workspace, sup: Actor) -> str:
    """A child with every narrative field holding a known sentence."""
    child = add_child(ws, sup, "郑小北", date(2013, 4, 5), notes=SECRETS[0])
    d = date(2026, 11, 2)
    with ws.writer(sup) as s:
        g = register.add_guardian(s, sup, child.id, register.GuardianDraft("母亲", "郑母"))
        register.add_condition(
            s,
            sup,
            child.id,
            register.ConditionDraft(
                g.id,
                "重病",
                date(2026, 1, 1),
                "医院诊断证明",
                "市医院",
                date(2026, 1, 2),
                evidence_description=SECRETS[1],
            ),
            today=TODAY,
        )
        case = cases.report(
            s, sup, cases.ReportDraft(child.id, "邻居/群众", d, SECRETS[2]), today=TODAY
        )
        cases.verify(s, sup, case.id, d, True, SECRETS[3], today=TODAY)
        cases.assess(s, sup, case.id, d, Risk.HIGH, ["安全保护"], SECRETS[4], today=TODAY)
        service = cases.plan(
            s,
            sup,
            case.id,
            d,
            [cases.ServiceDraft("转介公安", SECRETS[5], "王督导", d)],
            today=TODAY,
        )[0]
        cases.finish_service(s, sup, service.id, ServiceStatus.DONE, d, SECRETS[6], today=TODAY)
        cases.record_visit(
            s,
            sup,
            cases.VisitDraft(child.id, d, "入户", "王督导", SECRETS[7], case_id=case.id),
            today=TODAY,
        )
    return child.id


def _bytes_of(paths: list[Path]) -> bytes:
    """The bytes of these files, a gzip backup read as what it holds; for a database, also its
    journal's values unpacked (they are stored deflated, where a byte search cannot see)."""
    import gzip
    import tempfile

    from db.journal_packing import unpack

    out = []
    for p in paths:
        if p.exists():
            data = p.read_bytes()
            data = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
            out.append(data)
            if data[:16] == b"SQLite format 3\x00":
                with tempfile.TemporaryDirectory() as tmp:
                    copy = Path(tmp) / "copy.sqlite3"
                    if p.suffix == ".gz":
                        copy.write_bytes(data)
                    else:  # the live file: read through SQLite, its WAL included
                        src = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
                        dst = sqlite3.connect(copy)
                        src.backup(dst)
                        src.close()
                        dst.close()
                    con = sqlite3.connect(copy)
                    rows = con.execute(
                        "SELECT old_value FROM journal UNION ALL SELECT new_value FROM journal"
                    ).fetchall()
                    con.close()
                    out.append(" ".join(unpack(v) or "" for (v,) in rows).encode())
    return b"".join(out)


def test_plaintext_is_nowhere_in_the_file_its_journal_or_a_backup(
    office_ws: Workspace, child_staff: dict[str, Actor]
) -> None:
    ws = office_ws
    staff = child_staff
    child_id = _fill(ws, staff["dudao"])
    packed = ws.backup("test")
    backup = packed.with_name("unpacked.sqlite3")  # backups are gzip: read what they hold
    from db.backup import unpack

    unpack(packed, backup)
    # While open (WAL and all) and after a checkpoint on close.
    db = ws.paths.db
    live = _bytes_of([db, db.with_name(db.name + "-wal")])
    ws.close()
    closed = _bytes_of([db, backup])
    for blob in (live, closed):
        assert "郑小北".encode() in blob  # the search works: names are stored as text
        for text in SECRETS:
            assert text.encode() not in blob
            assert text.encode("unicode_escape") not in blob
            assert SECRET[:8].encode() not in blob
    # The journal rows of the narrative fields hold ciphertext, and so will any bundle. The
    # journal's values are stored packed (deflated): the byte search above cannot see into
    # them, so they are read back as JSON and searched here.
    from db.journal_packing import unpack

    con = sqlite3.connect(backup)
    values = " ".join(
        unpack(v) or ""
        for (v,) in con.execute(
            "SELECT new_value FROM journal UNION ALL SELECT old_value FROM journal"
        )
    )
    con.close()
    assert keys.PREFIX in values and "郑小北" in values  # the values were read, not skipped
    for text in SECRETS:
        assert text not in values and json.dumps(text) not in values
    assert SECRET not in values
    # And the person who may read it still can.
    reopened = Workspace.open(ws.paths.root)
    try:
        sup = login(reopened, "dudao", STAFF_PASSWORD)
        with reopened.writer(sup) as s:
            page = register.detail(s, sup, child_id, today=TODAY)
            case = cases.detail(s, sup, page.cases[0].id)
        assert page.child.notes == SECRETS[0]
        assert page.conditions[0].evidence_description == SECRETS[1]
        assert (case.seen_text, case.verify_notes, case.assessment_notes) == tuple(SECRETS[2:5])
        assert (case.services[0].description, case.services[0].outcome) == tuple(SECRETS[5:7])
        assert case.visits[0].notes == SECRETS[7]
    finally:
        reopened.close()


def test_first_child_login_creates_the_key_later_accounts_wait_for_a_grant(
    office_ws: Workspace, admin: Actor
) -> None:
    ws = office_ws
    with ws.writer(admin) as s:
        accounts.create_staff(
            s,
            admin,
            accounts.StaffDraft("dudao", "王督导", Role.CHILD_SUPERVISOR),
            STAFF_PASSWORD,
            force_password_change=False,
        )
        community = accounts.communities(s)[0].id
        accounts.create_staff(
            s,
            admin,
            accounts.StaffDraft("ertong1", "赵主任", Role.CHILD_DIRECTOR, community),
            STAFF_PASSWORD,
            force_password_change=False,
        )
    with ws.reader() as s:
        assert s.scalar(select(ChildOfficeKey)) is None
    sup = login(ws, "dudao", STAFF_PASSWORD)
    assert keys.unlocked(sup) is not None
    director = login(ws, "ertong1", STAFF_PASSWORD)
    assert keys.unlocked(director) is None
    with ws.writer(director) as s, pytest.raises(keys.KeyLocked, match="请儿童督导员"):
        register.register(
            s,
            director,
            register.ChildDraft(
                "孙小一", child_id_number(date(2015, 1, 1)), community, notes="保密"
            ),
            today=TODAY,
        )
    child = add_child(ws, sup, "孙小二", date(2015, 2, 2), notes="只有授权的人能看")
    with ws.writer(director) as s:
        assert register.detail(s, director, child.id, today=TODAY).child.notes == keys.LOCKED_TEXT
        # A locked session may still correct the address; the notes stay as they were.
        changed = register.update(
            s,
            director,
            child.id,
            register.ChildDraft("孙小二", child.id_number, community, address="新地址"),
            today=TODAY,
        )
        assert changed.address == "新地址" and changed.notes == keys.LOCKED_TEXT
        states = {h.display_name: h.state for h in keys.holders(s, sup)}
        assert states == {"王督导": "已授权", "赵主任": "待授权"}
        keys.grant(s, sup, director.staff_id or "")
    director = login(ws, "ertong1", STAFF_PASSWORD)
    with ws.writer(director) as s:
        assert register.detail(s, director, child.id, today=TODAY).child.notes == "只有授权的人能看"


def test_password_change_keeps_the_key_admin_reset_needs_a_new_grant(
    office_ws: Workspace, admin: Actor, child_staff: dict[str, Actor]
) -> None:
    ws = office_ws
    staff = child_staff
    child = add_child(ws, staff["dudao"], "钱小三", date(2016, 3, 3), notes="家里的情况")
    director = staff["ertong1"]
    with ws.writer(director) as s:
        accounts.change_own_password(s, director, STAFF_PASSWORD, "NewPass2027")
    keys.forget(director.staff_id)
    director = login(ws, "ertong1", "NewPass2027")
    assert keys.unlocked(director) is not None
    with ws.writer(admin) as s:
        accounts.reset_password(s, admin, director.staff_id or "", "Reset2028x")
    assert keys.unlocked(director) is None  # dropped at once
    director = login(ws, "ertong1", "Reset2028x")
    assert keys.unlocked(director) is None  # the admin cannot give the key back
    with ws.writer(staff["dudao"]) as s:
        keys.grant(s, staff["dudao"], director.staff_id or "")
    director = login(ws, "ertong1", "Reset2028x")
    with ws.writer(director) as s:
        assert register.get(s, director, child.id, today=TODAY).notes == "家里的情况"


def test_leaving_the_child_roles_drops_the_grant(
    office_ws: Workspace, admin: Actor, child_staff: dict[str, Actor]
) -> None:
    ws = office_ws
    staff = child_staff
    director = staff["ertong1"]
    with ws.writer(admin) as s:
        accounts.update_staff(
            s,
            admin,
            director.staff_id or "",
            accounts.StaffDraft("ertong1", "赵主任", Role.CASEWORKER),
        )
    assert keys.unlocked(director) is None
    with ws.writer(admin) as s:
        accounts.update_staff(
            s,
            admin,
            director.staff_id or "",
            accounts.StaffDraft("ertong1", "赵主任", Role.CHILD_DIRECTOR, director.community_id),
        )
    assert keys.unlocked(login(ws, "ertong1", STAFF_PASSWORD)) is None


def test_the_district_wrap_opens_with_the_district_key(office_ws: Workspace) -> None:
    ws = office_ws
    district = crypto.KeyPair.generate()
    with ws.writer(Actor.system("test")) as s:
        add_peer(
            s.connection(),
            device_id="district-1",
            role="district",
            name="测试区民政局",
            sign_pub=district.sign_pub,
            box_pub=district.box_pub,
        )
    staff = add_child_staff(ws)
    child = add_child(ws, staff["dudao"], "冯小四", date(2017, 4, 4), notes="区里也能读")
    with ws.reader() as s:
        row = s.scalar(select(ChildOfficeKey))
        stored = s.scalar(select(Child.notes).where(Child.id == child.id))
    assert row is not None and row.district_pub == district.box_pub and row.district_wrap
    opened = keys.open_district_wrap(row.district_wrap, district, row.key_id)
    assert opened is not None
    assert keys.open_text(opened, "child", "notes", child.id, stored or "") == "区里也能读"
    assert keys.open_district_wrap(row.district_wrap, crypto.KeyPair.generate(), row.key_id) is None


def test_ciphertext_moved_to_another_record_is_refused(
    office_ws: Workspace, child_staff: dict[str, Actor]
) -> None:
    staff = child_staff
    sup = staff["dudao"]
    a = add_child(office_ws, sup, "甲", date(2015, 1, 1), seq=41, notes="甲的事")
    b = add_child(office_ws, sup, "乙", date(2015, 1, 1), seq=43, notes="乙的事")
    with office_ws.reader() as s:
        stored = s.scalar(select(Child.notes).where(Child.id == a.id)) or ""
        assert s.scalar(select(ChildCase)) is None
    key = keys.unlocked(sup)
    assert key is not None
    with pytest.raises(ValidationError, match="无法解密"):
        keys.open_text(key, "child", "notes", b.id, stored)
    keys.forget(sup.staff_id)
    with office_ws.writer(sup) as s:
        assert register.get(s, sup, a.id, today=TODAY).notes == keys.LOCKED_TEXT
