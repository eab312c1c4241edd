"""Every list in the product exported to .xlsx, through one writer and one registry.

A list is a key (`elderly-roster`, `audit`, ...), a title, its columns and a row source that
pages through SQL (never the whole table in memory). The person's rights are checked by the
same services that show the list on screen, so an export can never show more than the screen;
ID numbers are masked where the list masks them. Programmes add their lists to `LISTS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseworker.domain import idnumber
from caseworker.domain import schedule as rules
from caseworker.domain.errors import PermissionDenied, ValidationError
from caseworker.domain.roles import Actor, Permission
from caseworker.domain.visit_form import VisitStatus
from caseworker.services import accounts, audit
from caseworker.services.elderly import schedule, search
from caseworker.services.elderly._common import can_view, today_or
from caseworker.services.tabular.xlsx import Column, XlsxWriter, check_out_path
from db.elderly import ElderlyResident, ElderlyVisit
from db.models import Community

PAGE = 2000
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class ExportFilter:
    """What the screen was showing: the roster's query, a month, a date range, a community."""

    roster: search.RosterQuery = field(default_factory=search.RosterQuery)
    audit: audit.AuditFilter = field(default_factory=audit.AuditFilter)
    community_id: str | None = None
    month: date | None = None  # due lists: due by this month's end (default: this month)
    date_from: date | None = None
    date_to: date | None = None
    description: str = ""  # the filter in words, shown in the title row


@dataclass(frozen=True)
class ExportList:
    key: str
    title: str
    columns: tuple[Column, ...]
    rows: Callable[[Session, Actor, ExportFilter, date], Iterator[Sequence[Any]]]
    count: Callable[[Session, Actor, ExportFilter, date], int] | None = None


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int
    title: str


def _paged(fetch: Callable[[int, int], list[Any]]) -> Iterator[Any]:
    offset = 0
    while True:
        batch = fetch(offset, PAGE)
        yield from batch
        if len(batch) < PAGE:
            return
        offset += PAGE


# -- programme 1 -------------------------------------------------------------------------------


def _roster_rows(s: Session, a: Actor, f: ExportFilter, day: date) -> Iterator[Sequence[Any]]:
    for r in search.stream(s, a, f.roster, today=day):
        yield (
            r.name,
            r.sex,
            r.birth_date,
            r.age_on(day),
            r.id_number_masked,
            r.community_name,
            r.address,
            r.phone,
            r.categories,
            r.tier,
            r.status,
            r.last_visit_on,
            r.next_due,
            r.assigned_staff_name or "",
        )


def _due_rows(overdue: bool) -> Callable[..., Iterator[Sequence[Any]]]:
    def rows(s: Session, a: Actor, f: ExportFilter, day: date) -> Iterator[Sequence[Any]]:
        until = rules.month_of(f.month or day)[1]

        def fetch(o: int, n: int) -> list[schedule.DueRow]:
            if overdue:
                return schedule.overdue_list(
                    s, a, community_id=f.community_id, offset=o, limit=n, today=day
                )
            return schedule.due_list(
                s, a, until, community_id=f.community_id, offset=o, limit=n, today=day
            )

        for r in _paged(fetch):
            yield (
                r.name,
                r.community_name,
                r.address,
                r.phone,
                r.tier,
                r.status,
                r.last_visit_on,
                r.next_due,
                r.days_overdue or None,
                r.assigned_staff_name or "",
            )

    return rows


def _referral_rows(s: Session, a: Actor, f: ExportFilter, day: date) -> Iterator[Sequence[Any]]:
    for r in schedule.open_referrals(s, a, community_id=f.community_id, today=day):
        yield (
            r.resident_name,
            r.community_name,
            r.target,
            r.description,
            r.due_on,
            r.owner_name,
            r.status,
            r.days_overdue or None,
        )


def _visit_rows(s: Session, a: Actor, f: ExportFilter, day: date) -> Iterator[Sequence[Any]]:
    """Visit history: every visit (completed and drafts) in the date range, oldest first."""
    can_view(a)
    V = ElderlyVisit.__table__.c
    R = ElderlyResident.__table__.c
    names = dict(s.execute(select(Community.id, Community.name)).all())
    q = (
        select(
            V.effective_date,
            R.name,
            R.id_number,
            R.community_id,
            V.method,
            V.visitors,
            V.status,
            V.problems,
            V.actions,
            V.next_visit_on,
            V.id,
        )
        .join(ElderlyResident.__table__, R.id == V.resident_id)
        .where(V.deleted_at.is_(None), R.deleted_at.is_(None))
    )
    if f.date_from:
        q = q.where(V.effective_date >= f.date_from)
    if f.date_to:
        q = q.where(V.effective_date <= f.date_to)
    if f.community_id:
        q = q.where(R.community_id == f.community_id)
    q = q.order_by(V.effective_date, V.id)
    done = VisitStatus.COMPLETED.value
    for row in _paged(lambda o, n: list(s.execute(q.offset(o).limit(n)))):
        eff, name, idn, cid, method, visitors, status, problems, actions, nxt, _vid = row
        yield (
            eff,
            name,
            idnumber.mask(idn),
            names.get(cid, ""),
            method,
            visitors,
            "已完成" if status == done else "草稿",
            problems,
            actions,
            nxt,
        )


# -- shared lists ------------------------------------------------------------------------------


def _audit_rows(s: Session, a: Actor, f: ExportFilter, day: date) -> Iterator[Sequence[Any]]:
    for r in audit.stream(s, a, f.audit):
        yield (
            r.recorded_at,
            r.actor_name,
            r.table_label,
            r.record_id,
            r.op_label,
            r.field_label,
            r.old_value,
            r.new_value,
            r.source,
        )


def _conflict_rows(s: Session, a: Actor, f: ExportFilter, day: date) -> Iterator[Sequence[Any]]:
    from caseworker.sync import conflicts

    if not (a.can(Permission.SYNC) or a.can(Permission.RESOLVE_CONFLICTS)):
        raise PermissionDenied("没有查看同步冲突的权限")
    for c in conflicts.list_conflicts(s, a, status=None):
        yield (
            c.detected_at,
            audit.TABLE_LABELS.get(c.table_name, c.table_name),
            c.record_id,
            audit.FIELD_LABELS.get(c.field, c.field),
            c.reason_label,
            "" if c.kept_value is None else str(c.kept_value),
            "" if c.lost_value is None else str(c.lost_value),
            c.lost_actor,
            {"open": "待处理", "kept": "保留现值", "reversed": "已恢复"}.get(c.status, c.status),
        )


LISTS: dict[str, ExportList] = {
    "elderly-roster": ExportList(
        "elderly-roster",
        "老年人台账",
        (
            Column("姓名"),
            Column("性别"),
            Column("出生日期", "date"),
            Column("年龄", "int"),
            Column("身份证号"),
            Column("社区/村"),
            Column("住址"),
            Column("联系电话"),
            Column("类别"),
            Column("探访等级"),
            Column("状态"),
            Column("上次探访", "date"),
            Column("下次应访", "date"),
            Column("责任人"),
        ),
        _roster_rows,
        lambda s, a, f, d: search.count(s, a, f.roster, today=d),
    ),
    "elderly-due": ExportList(
        "elderly-due",
        "本月应探访名单",
        (
            Column("姓名"),
            Column("社区/村"),
            Column("住址"),
            Column("联系电话"),
            Column("探访等级"),
            Column("状态"),
            Column("上次探访", "date"),
            Column("应访日期", "date"),
            Column("逾期天数", "int"),
            Column("责任人"),
        ),
        _due_rows(False),
    ),
    "elderly-overdue": ExportList(
        "elderly-overdue",
        "逾期未探访名单",
        (
            Column("姓名"),
            Column("社区/村"),
            Column("住址"),
            Column("联系电话"),
            Column("探访等级"),
            Column("状态"),
            Column("上次探访", "date"),
            Column("应访日期", "date"),
            Column("逾期天数", "int"),
            Column("责任人"),
        ),
        _due_rows(True),
    ),
    "elderly-referrals": ExportList(
        "elderly-referrals",
        "待跟进转介",
        (
            Column("姓名"),
            Column("社区/村"),
            Column("转介去向"),
            Column("事项"),
            Column("办理期限", "date"),
            Column("跟进人"),
            Column("状态"),
            Column("逾期天数", "int"),
        ),
        _referral_rows,
    ),
    "elderly-visits": ExportList(
        "elderly-visits",
        "探访记录",
        (
            Column("探访日期", "date"),
            Column("姓名"),
            Column("身份证号"),
            Column("社区/村"),
            Column("方式"),
            Column("探访人"),
            Column("状态"),
            Column("发现的问题"),
            Column("采取的措施"),
            Column("下次探访", "date"),
        ),
        _visit_rows,
    ),
    "audit": ExportList(
        "audit",
        "操作日志",
        (
            Column("时间", "datetime"),
            Column("操作人"),
            Column("数据"),
            Column("记录编号"),
            Column("操作"),
            Column("项目"),
            Column("原值"),
            Column("新值"),
            Column("来源"),
        ),
        _audit_rows,
        lambda s, a, f, d: audit.count(s, a, f.audit),
    ),
    "conflicts": ExportList(
        "conflicts",
        "同步冲突",
        (
            Column("发现时间", "datetime"),
            Column("数据"),
            Column("记录编号"),
            Column("项目"),
            Column("原因"),
            Column("现值"),
            Column("被覆盖的值"),
            Column("被覆盖的修改人"),
            Column("处理"),
        ),
        _conflict_rows,
    ),
}


def export(
    session: Session,
    actor: Actor,
    key: str,
    out: Path | str,
    flt: ExportFilter | None = None,
    *,
    today: date | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """Write list `key` (with the screen's filter) to `out` (.xlsx)."""
    spec = LISTS.get(key)
    if spec is None:
        raise ValidationError(f"没有名为“{key}”的列表。可导出：{'、'.join(LISTS)}")
    path = check_out_path(out)
    f = flt or ExportFilter()
    day = today_or(today)
    office = accounts.office(session)
    total = spec.count(session, actor, f, day) if spec.count is not None else 0
    rows = spec.rows(session, actor, f, day)

    def counted() -> Iterator[Sequence[Any]]:
        for n, row in enumerate(rows, start=1):
            if progress is not None and n % 1000 == 0:
                progress(n, total, f"已导出 {n} 行")
            yield row

    title = "　".join(
        p
        for p in (
            spec.title,
            f.description,
            office.name if office else "",
            f"导出日期 {day:%Y-%m-%d}",
        )
        if p
    )
    with XlsxWriter(path) as w:
        n = w.add_sheet(spec.title, spec.columns, counted(), title=title)
    return ExportResult(path, n, spec.title)
