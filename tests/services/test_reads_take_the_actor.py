"""Reads of personal data take the actor and check the permission first (issue 8): the audit
trail's names and a record's history, the conflicts list, and the sync history and pending
changes, walked with every role. Also the audit trail's keyset pages, its capped count and the
journal's actor-and-time index (migration 0010)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import create_engine, inspect, text

from caseworker.domain.errors import PermissionDenied
from caseworker.domain.roles import Actor, Role
from caseworker.services import accounts, audit
from caseworker.sync import conflicts, office
from caseworker.workspace import Workspace
from db.base import utcnow
from db.sync_models import SyncConflict

ROLES = {
    "admin": Actor("a", "admin", "张管理", Role.ADMIN),
    "supervisor": Actor("s", "kz", "王科长", Role.SUPERVISOR),
    "caseworker": Actor("c", "zg", "李专干", Role.CASEWORKER),
    "child_supervisor": Actor("d", "dd", "赵督导", Role.CHILD_SUPERVISOR),
    "child_director": Actor("e", "er", "刘主任", Role.CHILD_DIRECTOR),
}
EVERYONE = set(ROLES)
SYNCERS = {"admin", "supervisor", "caseworker", "child_supervisor"}


def _add_conflict(ws: Workspace, table: str, note: str) -> None:
    with ws.writer(Actor.system("test")) as s:
        s.add(
            SyncConflict(
                table_name=table,
                record_id="0" * 36,
                field="health_notes",
                reason="clock",
                kept_value='"现值"',
                lost_value=f'"{note}"',
                lost_hlc="",
                lost_device="dev",
                lost_actor="某人",
                detected_at=utcnow(),
            )
        )


def _not_found_is_fine(call: Callable[[], object]) -> object:
    from caseworker.domain.errors import NotFound

    try:
        return call()
    except NotFound:
        return None


# (what, call, roles allowed)
READS: list[tuple[str, Callable[[Workspace, Actor], object], set[str]]] = [
    (
        "audit.actor_names",
        lambda ws, a: _read(ws, lambda s: audit.actor_names(s, a)),
        {"admin", "supervisor"},
    ),
    (
        "audit.record_history elderly",
        lambda ws, a: _read(ws, lambda s: audit.record_history(s, a, "elderly_resident", "x")),
        {"admin", "supervisor", "caseworker"},
    ),
    (
        "audit.record_history retrofit",
        lambda ws, a: _read(ws, lambda s: audit.record_history(s, a, "retrofit_case", "x")),
        {"admin", "supervisor", "caseworker"},
    ),
    (
        "audit.record_history child",
        # a child record is also looked up in the actor's scope: "x" is then not found
        lambda ws, a: _not_found_is_fine(
            lambda: _read(ws, lambda s: audit.record_history(s, a, "child", "x"))
        ),
        {"child_supervisor", "child_director"},
    ),
    (
        "audit.record_history staff",
        lambda ws, a: _read(ws, lambda s: audit.record_history(s, a, "staff", "x")),
        {"admin", "supervisor"},
    ),
    (  # a community child director reads their own community's (see below)
        "conflicts.list_conflicts",
        lambda ws, a: _read(ws, lambda s: conflicts.list_conflicts(s, a)),
        SYNCERS | {"child_director"},
    ),
    (
        "conflicts.count_conflicts",
        lambda ws, a: _read(ws, lambda s: conflicts.count_conflicts(s, a)),
        SYNCERS | {"child_director"},
    ),
    ("office.history", lambda ws, a: office.history(ws, a), SYNCERS),
    ("office.history_count", lambda ws, a: office.history_count(ws, a), SYNCERS),
    ("office.pending", lambda ws, a: office.pending(ws, a), SYNCERS),
]


def _read(ws: Workspace, fn: Callable) -> object:
    with ws.reader() as s:
        return fn(s)


@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize(("what", "call", "allowed"), READS, ids=[r[0] for r in READS])
def test_every_read_checks_the_role(
    office_ws: Workspace, role: str, what: str, call: Callable, allowed: set[str]
) -> None:
    actor = ROLES[role]
    if role in allowed:
        call(office_ws, actor)  # no refusal
    else:
        with pytest.raises(PermissionDenied):
            call(office_ws, actor)


def test_a_child_supervisor_never_sees_an_elderly_health_note(office_ws: Workspace) -> None:
    _add_conflict(office_ws, "elderly_visit", "高血压（保密）")
    _add_conflict(office_ws, "child_visit", "儿童情况（保密）")
    with office_ws.reader() as s:
        seen = {
            role: [c.lost_value for c in conflicts.list_conflicts(s, ROLES[role])]
            for role in SYNCERS
        }
        counts = {role: conflicts.count_conflicts(s, ROLES[role]) for role in SYNCERS}
    assert seen["child_supervisor"] == ["儿童情况（保密）"]
    assert seen["caseworker"] == seen["supervisor"] == seen["admin"] == ["高血压（保密）"]
    assert counts == {role: len(values) for role, values in seen.items()}


def test_the_conflicts_list_pages_in_sql(office_ws: Workspace) -> None:
    for i in range(7):
        _add_conflict(office_ws, "elderly_visit", f"值{i}")
    supervisor = ROLES["supervisor"]
    with office_ws.reader() as s:
        everything = conflicts.list_conflicts(s, supervisor)
        pages = [conflicts.list_conflicts(s, supervisor, limit=3, offset=o) for o in (0, 3, 6)]
        total = conflicts.count_conflicts(s, supervisor)
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [c.id for p in pages for c in p] == [c.id for c in everything]  # newest first
    assert total == 7


def test_audit_keyset_pages_match_the_whole_list(office_ws: Workspace, admin: Actor) -> None:
    system = Actor.system("test")
    with office_ws.writer(system) as s:
        for i in range(9):
            accounts.create_staff(
                s,
                system,
                accounts.StaffDraft(f"w{i}", f"专干{i}", Role.CASEWORKER),
                "Staff2026",
                force_password_change=False,
            )
    flt = audit.AuditFilter()
    with office_ws.reader() as s:
        everything = audit.page(s, admin, flt, 0, 1000)
        walked, after = [], None
        while True:
            part = audit.page(s, admin, flt, limit=4, after=after)
            if not part:
                break
            walked += part
            after = audit.after_key(part[-1])
        capped = audit.first_page(s, admin, flt, limit=4)
        uncapped = audit.count(s, admin, flt)
        small_cap = audit.count(s, admin, flt, cap=5)
    assert [r.seq for r in walked] == [r.seq for r in everything]
    assert len(everything) == uncapped > 10
    stamps = [(r.recorded_at, r.seq) for r in everything]
    assert stamps == sorted(stamps, reverse=True)  # newest first
    assert small_cap == 6  # counting stopped at cap + 1
    assert capped.total == uncapped and not capped.capped and len(capped.rows) == 4


def test_audit_count_is_capped(office_ws: Workspace, admin: Actor, monkeypatch) -> None:
    monkeypatch.setattr(audit, "COUNT_CAP", 3)
    with office_ws.reader() as s:
        result = audit.first_page(s, admin, audit.AuditFilter(), limit=2)
    assert result.capped and result.total == 3 and len(result.rows) == 2


def test_a_record_id_alone_uses_the_journal_index(office_ws: Workspace, admin: Actor) -> None:
    with office_ws.reader() as s:
        staff_id = s.execute(text("SELECT id FROM staff LIMIT 1")).scalar()
        rows = audit.page(s, admin, audit.AuditFilter(record_id=staff_id), 0, 100)
        q = audit._query(audit.AuditFilter(record_id=staff_id)).order_by(*audit.NEWEST_FIRST)
        sql = str(q.compile(compile_kwargs={"literal_binds": True}))
        plan = " ".join(r[-1] for r in s.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
    assert rows and {r.record_id for r in rows} == {staff_id}
    assert "ix_journal_record" in plan


@pytest.mark.parametrize(
    ("flt", "index"),
    [
        (audit.AuditFilter(actor_name="张管理"), "ix_journal_actor_time"),
        (
            audit.AuditFilter(actor_name="张管理", date_from=date.today() - timedelta(days=2)),
            "ix_journal_actor_time",
        ),
        (audit.AuditFilter(date_from=date.today() - timedelta(days=2)), "ix_journal_recorded_at"),
        (audit.AuditFilter(), "ix_journal_recorded_at"),
    ],
)
def test_each_audit_filter_reads_an_index_in_order(
    office_ws: Workspace, flt: audit.AuditFilter, index: str
) -> None:
    with office_ws.reader() as s:
        q = audit._query(flt).order_by(*audit.NEWEST_FIRST).limit(200)
        after = (datetime(2100, 1, 1), 10**9)
        q2 = (
            audit._query(flt)
            .where(audit.JournalEntry.recorded_at <= after[0])
            .order_by(*audit.NEWEST_FIRST)
        )
        for query in (q, q2):
            sql = str(query.compile(compile_kwargs={"literal_binds": True}))
            plan = " ".join(
                r[-1] for r in s.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + sql)
            )
            assert index in plan and "TEMP B-TREE" not in plan, plan


def test_migration_0010_swaps_the_actor_index(tmp_path) -> None:
    from alembic import command
    from alembic.config import Config

    from db.schema import HEAD, MIGRATIONS

    engine = create_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")

    def run(fn: Callable, target: str) -> set[str]:
        with engine.begin() as conn:
            cfg = Config()
            cfg.set_main_option("script_location", str(MIGRATIONS))
            cfg.attributes["connection"] = conn
            fn(cfg, target)
        return {i["name"] for i in inspect(engine).get_indexes("journal")}

    assert HEAD >= "0010"
    at_0010 = run(command.upgrade, "0010")
    assert "ix_journal_actor_time" in at_0010 and "ix_journal_actor" not in at_0010
    assert run(command.upgrade, "head") == at_0010  # later migrations keep it
    before = run(command.downgrade, "0009")
    assert "ix_journal_actor" in before and "ix_journal_actor_time" not in before
    engine.dispose()


def test_pending_counts_up_to_a_cap(office_ws: Workspace) -> None:
    supervisor = ROLES["supervisor"]
    exact = office.pending(office_ws, supervisor)
    roomy = office.pending(office_ws, supervisor, cap=exact.changes)
    small = office.pending(office_ws, supervisor, cap=2)
    assert exact.changes > 2 and not exact.capped and exact.by_table
    assert roomy == exact  # a cap not reached changes nothing
    assert small.capped and small.changes == 2 and small.by_table == {}
    assert small.oldest == exact.oldest  # the first changes in clock order are the oldest
