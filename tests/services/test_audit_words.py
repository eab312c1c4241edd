"""The audit trail reads like a ledger: 姓名 (not 名称) for a person, names instead of record
ids, local times to the minute, no internal bookkeeping fields."""

from __future__ import annotations

import re
from datetime import date

from caseworker.domain.roles import Actor
from caseworker.services import audit
from caseworker.services.elderly import visits
from caseworker.workspace import Workspace
from tests.services._elderly import TODAY, add


def test_a_new_resident_and_a_visit_in_the_audit_trail(
    office_ws: Workspace, worker: Actor, admin: Actor
) -> None:
    person = add(office_ws, worker, "王小红", date(1944, 5, 6), assigned_staff_id=worker.staff_id)
    with office_ws.writer(worker) as s:
        visits.complete(
            s,
            worker,
            visits.VisitDraft(person.id, date(2026, 11, 10), visitors=("李专干",)),
            today=TODAY,
        )
    with office_ws.reader() as s:
        rows = audit.page(s, admin, audit.AuditFilter(), 0, 200)
    resident = next(r for r in rows if r.table_name == "elderly_resident" and r.op == "insert")
    assert "姓名=王小红" in resident.new_value and "名称=" not in resident.new_value
    assert "所在社区=和平里社区" in resident.new_value  # not the community's id
    assert "责任人=李专干" in resident.new_value
    assert "wang" not in resident.new_value  # the pinyin sort key is bookkeeping
    visit = next(r for r in rows if r.table_name == "elderly_visit" and r.op == "insert")
    stamp = re.search(r"完成时间=([^；]+)", visit.new_value)
    assert stamp and re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", stamp.group(1))
    assert "老人=王小红" in visit.new_value
    with office_ws.writer(worker) as s:
        (v,) = visits.history(s, worker, person.id)
        visits.add_referral(
            s, worker, v.id, visits.ReferralDraft("医疗机构", date(2026, 11, 20), "复查")
        )
    with office_ws.reader() as s:
        rows = audit.page(s, admin, audit.AuditFilter(), 0, 200)
    referral = next(r for r in rows if r.table_name == "elderly_referral")
    assert "探访记录=王小红 2026-11-10" in referral.new_value


def test_every_travelling_table_has_a_chinese_name() -> None:
    """The audit trail, the sync page and its import summary name tables in Chinese, and an
    import refreshes every view whose table is named here (ui/sync/page.py ALL_TABLES)."""
    from caseworker.sync.tables import registry

    missing = sorted(
        t for t in registry() if not t.startswith("synctest_") and t not in audit.TABLE_LABELS
    )
    assert missing == []
    assert all(re.search(r"[\u4e00-\u9fff]", label) for label in audit.TABLE_LABELS.values())


def test_every_field_the_audit_shows_has_a_chinese_name() -> None:
    """A field the audit (and the hub's corrections, and the conflicts list) shows is named in
    Chinese, for every table it labels: a column added without its word shows up here, not as
    `planned_end` in front of a caseworker."""
    import caseworker.services  # noqa: F401  (every programme's tables registered)
    import db.children
    import db.elderly
    import db.retrofit  # noqa: F401
    from db.base import Base

    unnamed = [
        f"{t.name}.{c.name}"
        for t in Base.metadata.sorted_tables
        if t.name in audit.TABLE_LABELS
        for c in t.columns
        if c.name not in audit.HIDDEN_FIELDS
        and not re.search(r"[\u4e00-\u9fff]", audit.field_label(t.name, c.name))
    ]
    assert unnamed == []


def test_an_account_reads_with_its_role_and_office_in_words(
    office_ws: Workspace, admin: Actor
) -> None:
    from caseworker.domain.roles import Role
    from caseworker.services import accounts

    with office_ws.writer(admin) as s:
        accounts.create_staff(
            s, admin, accounts.StaffDraft("wangzg", "王专干", Role.CASEWORKER), "Zg-2026-pass"
        )
    with office_ws.reader() as s:
        rows = audit.page(s, admin, audit.AuditFilter(), 0, 200)
    (made,) = [r for r in rows if r.table_name == "staff" and "王专干" in r.new_value]
    assert f"角色={Role.CASEWORKER.label}" in made.new_value
    assert Role.CASEWORKER.value not in made.new_value
    office = next(r for r in rows if r.table_name == "staff" and "街道=" in r.new_value)
    assert "街道=（已删除的记录）" not in office.new_value
    assert re.search(r"街道=[^；]*街道", office.new_value)  # the office's name, not its id
