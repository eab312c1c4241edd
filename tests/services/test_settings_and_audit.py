"""Typed district settings and the audit trail filters."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from caseworker.domain.errors import PermissionDenied, ValidationError
from caseworker.domain.roles import Actor, Role
from caseworker.services import accounts, audit, settings
from caseworker.workspace import Workspace


def test_defaults_and_typed_changes(office_ws: Workspace, admin: Actor) -> None:
    with office_ws.reader() as s:
        assert settings.get(s, "visit.interval_days.general") == 90
    with office_ws.writer(admin) as s:
        assert settings.set_value(s, admin, "visit.interval_days.general", " 60 ") == 60
    with office_ws.reader() as s:
        values = {v.key: v.value for v in settings.get_all(s)}
    assert values["visit.interval_days.general"] == 60
    assert values["visit.interval_days.high_risk"] == 7


@pytest.mark.parametrize(
    ("raw", "fragment"), [("abc", "应为整数"), (0, "不能小于"), (400, "不能大于")]
)
def test_bad_values_are_refused_with_reason(
    office_ws: Workspace, admin: Actor, raw: object, fragment: str
) -> None:
    with pytest.raises(ValidationError, match=fragment), office_ws.writer(admin) as s:
        settings.set_value(s, admin, "visit.interval_days.general", raw)
    with office_ws.reader() as s:
        assert settings.get(s, "visit.interval_days.general") == 90


def test_only_admin_edits_settings(office_ws: Workspace, worker: Actor) -> None:
    with pytest.raises(PermissionDenied), office_ws.writer(worker) as s:
        settings.set_value(s, worker, "visit.interval_days.general", 30)


def test_audit_filters_by_person_record_and_date(
    office_ws: Workspace, admin: Actor, worker: Actor
) -> None:
    with office_ws.writer(admin) as s:
        settings.set_value(s, admin, "visit.interval_days.key", 25)
        accounts.update_staff(
            s, admin, worker.staff_id, accounts.StaffDraft("worker", "李专干二", Role.CASEWORKER)
        )
    with office_ws.reader() as s:
        everything = audit.count(s, admin, audit.AuditFilter())
        by_admin = audit.page(s, admin, audit.AuditFilter(actor_name="张管理"), 0, 100)
        by_record = audit.page(s, admin, audit.AuditFilter(record_id=worker.staff_id), 0, 100)
        today = audit.count(s, admin, audit.AuditFilter(date_from=date.today() - timedelta(days=1)))
        future = audit.count(
            s, admin, audit.AuditFilter(date_from=date.today() + timedelta(days=2))
        )
        names = audit.actor_names(s, admin)
    assert everything >= 7
    assert {r.actor_name for r in by_admin} == {"张管理"}
    # the setting, its dated entry (from today, issue 24), the account
    assert sorted(r.table_name for r in by_admin) == ["dated_value", "setting", "staff"]
    assert {r.op_label for r in by_record} == {"新建", "修改"}
    assert any(r.field_label == "姓名" and r.new_value == "李专干二" for r in by_record)
    assert today == everything and future == 0
    assert "张管理" in names and "系统（测试）" in names


def test_audit_needs_permission(office_ws: Workspace, worker: Actor) -> None:
    with pytest.raises(PermissionDenied), office_ws.reader() as s:
        audit.page(s, worker, audit.AuditFilter(), 0, 10)
