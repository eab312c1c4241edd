"""Changing the office's child-data key: a backup first, every narrative re-encrypted in one
transaction and journaled, the new key given to active holders only, the old key opening
nothing new; refusals change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from caseworker.domain.errors import PermissionDenied, ValidationError
from caseworker.domain.roles import Actor
from caseworker.services import accounts
from caseworker.services.children import cases, keys, register, rotation
from caseworker.workspace import Workspace
from db.children import ENCRYPTED_COLUMNS, Child, ChildKeyHolder, ChildOfficeKey
from db.models import JournalEntry, Staff
from tests.conftest import STAFF_PASSWORD, login
from tests.services._children import TODAY
from tests.services.test_children_keys import SECRETS, _bytes_of, _fill


@pytest.fixture
def filled(office_ws: Workspace, admin: Actor, child_staff: dict[str, Actor]):
    staff = child_staff
    child_id = _fill(office_ws, staff["dudao"])
    yield office_ws, staff, child_id
    keys.forget_all()


def _sealed_values(ws: Workspace) -> int:
    with ws.engine.connect() as conn:
        return sum(
            conn.exec_driver_sql(f"SELECT count(*) FROM {t} WHERE {c} LIKE 'cw1:%'").scalar()
            for t, cols in ENCRYPTED_COLUMNS.items()
            for c in cols
        )


def _page(ws: Workspace, actor: Actor, child_id: str) -> tuple[str, ...]:
    with ws.writer(actor) as s:
        page = register.detail(s, actor, child_id, today=TODAY)
        case = cases.detail(s, actor, page.cases[0].id)
    return (
        page.child.notes,
        page.conditions[0].evidence_description,
        case.seen_text,
        case.verify_notes,
        case.assessment_notes,
        case.services[0].description,
        case.services[0].outcome,
        case.visits[0].notes,
    )


def test_rotation_reencrypts_everything_and_drops_removed_holders(filled, admin: Actor) -> None:
    ws, staff, child_id = filled
    sup = staff["dudao"]
    old = keys.unlocked(sup)
    assert old is not None
    before = _page(ws, sup, child_id)
    assert before == tuple(SECRETS[:8])
    with ws.reader() as s:
        qian = s.scalar(select(Staff.id).where(Staff.username == "ertong2"))
        stored_before = s.scalar(select(Child.notes).where(Child.id == child_id))
        journal_before = s.scalar(select(func.count()).select_from(JournalEntry))
    with ws.writer(admin) as s:  # 钱主任 leaves: disabled, still holding the old key
        accounts.set_disabled(s, admin, qian, True)

    result = rotation.rotate_office_key(ws, sup)

    assert result.old_key_id == old.key_id != result.new_key_id
    assert result.values == _sealed_values(ws) > 8  # the timeline's notes too
    assert result.regranted == ("王督导", "赵主任") and result.dropped == ("钱主任",)
    assert Path(result.backup).exists()
    # This session switched to the new key at commit; everything reads as before.
    assert keys.unlocked(sup).key_id == result.new_key_id
    assert _page(ws, sup, child_id) == before
    with ws.reader() as s:
        stored = s.scalar(select(Child.notes).where(Child.id == child_id))
        rows = s.execute(
            select(ChildOfficeKey.key_id, ChildOfficeKey.deleted_at).order_by(
                ChildOfficeKey.created_at
            )
        ).all()
        holder = s.get(ChildKeyHolder, qian)
        changes = s.scalar(
            select(func.count())
            .select_from(JournalEntry)
            .where(JournalEntry.table_name == "child", JournalEntry.record_id == child_id)
        )
        journal_after = s.scalar(select(func.count()).select_from(JournalEntry))
    assert stored != stored_before and stored.startswith(keys.PREFIX)
    with pytest.raises(ValidationError):  # the old key opens nothing written now
        keys.open_text(old, "child", "notes", child_id, stored)
    assert [r[0] for r in rows] == [old.key_id, result.new_key_id]
    assert rows[0][1] is not None and rows[1][1] is None
    assert holder.key_id is None and holder.data_key_sealed is None
    assert changes >= 2 and journal_after >= journal_before + 8 + 2  # journaled, so it travels
    # The backup taken first still holds the old ciphertext (and no plaintext).
    blob = _bytes_of([Path(result.backup)])
    assert stored_before.encode() in blob and SECRETS[0].encode() not in blob

    # A director still granted reads at their next login; the plaintext is still nowhere.
    keys.forget_all()
    director = login(ws, "ertong1", STAFF_PASSWORD)
    assert keys.unlocked(director).key_id == result.new_key_id
    with ws.writer(director) as s:
        assert register.detail(s, director, child_id, today=TODAY).child.notes == SECRETS[0]
    db = ws.paths.db
    live = _bytes_of([db, db.with_name(db.name + "-wal")])
    assert all(text.encode() not in live for text in SECRETS)


def test_only_a_supervisor_holding_the_key_rotates_and_a_bad_value_changes_nothing(
    filled,
) -> None:
    ws, staff, child_id = filled
    with pytest.raises(PermissionDenied):
        rotation.rotate_office_key(ws, staff["ertong1"])
    sup = staff["dudao"]
    with ws.writer(sup) as s:  # a value that does not open with the key (copied from elsewhere)
        row = s.get(Child, child_id)
        row.notes = keys.seal_text(keys.unlocked(sup), "child", "notes", "another-record", "x")
    with ws.reader() as s:
        before = s.execute(select(Child.id, Child.notes).order_by(Child.id)).all()
    with pytest.raises(ValidationError, match="密钥未更换"):
        rotation.rotate_office_key(ws, sup)
    with ws.reader() as s:
        assert s.execute(select(Child.id, Child.notes).order_by(Child.id)).all() == before
        assert s.scalar(select(func.count()).select_from(ChildOfficeKey)) == 1
    assert keys.unlocked(sup) is not None  # the session keeps the old, still valid, key
    keys.forget(sup.staff_id)
    with pytest.raises(PermissionDenied):
        rotation.rotate_office_key(ws, sup)


def test_a_rotation_stopped_half_way_changes_nothing(filled) -> None:
    ws, staff, child_id = filled
    sup = staff["dudao"]
    old = keys.unlocked(sup)

    class Stop(Exception):
        pass

    def stop(done: int, total: int) -> None:
        assert 0 < done <= total
        raise Stop  # as the progress dialog's 取消 does, after the first page was re-encrypted

    with ws.reader() as s:
        before = s.execute(select(Child.id, Child.notes).order_by(Child.id)).all()
    with pytest.raises(Stop):
        rotation.rotate_office_key(ws, sup, progress=stop)
    with ws.reader() as s:
        assert s.execute(select(Child.id, Child.notes).order_by(Child.id)).all() == before
        assert s.scalar(select(func.count()).select_from(ChildOfficeKey)) == 1
    assert keys.unlocked(sup) == old
    assert _page(ws, sup, child_id) == tuple(SECRETS[:8])
