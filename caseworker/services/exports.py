"""Every list in the product exported to .xlsx, through one writer and one registry.

A list is a key (`elderly-roster`, `audit`, ...), a title, its columns and a row source that
pages through SQL (never the whole table in memory). The person's rights are checked by the
same services that show the list on screen, so an export can never show more than the screen;
ID numbers are masked where the list masks them. Programmes add their lists to `LISTS`;
the child lists (`logged`) write the view log, so they are exported in a writer session.
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
from caseworker.domain.roles import Actor
from caseworker.domain.visit_form import VisitStatus
from caseworker.services import accounts, audit
from caseworker.services.checked import paged
from caseworker.services.children import exports as child_rows
from caseworker.services.children import search as child_search
from caseworker.services.children import worklists as child_worklists
from caseworker.services.elderly import schedule, search
from caseworker.services.elderly._common import can_view, today_or
from caseworker.services.retrofit import exports as retrofit_rows
from caseworker.services.retrofit import search as retrofit_search
from caseworker.services.tabular.xlsx import Column, XlsxWriter, check_out_path
from db.base import table_of
from db.elderly import ElderlyResident, ElderlyVisit
from db.models import Community

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class ExportFilter:
    """What the screen was showing: the roster's query, a month, a date range, a community."""

    roster: search.RosterQuery = field(default_factory=search.RosterQuery)
    audit: audit.AuditFilter = field(default_factory=audit.AuditFilter)
    retrofit: retrofit_search.CaseQuery = field(default_factory=retrofit_search.CaseQuery)
    children: child_search.ChildQuery = field(default_factory=child_search.ChildQuery)
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
    # Child lists: the export is a view, logged per child (the session must be a writer).
    logged: bool = False


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int
    title: str


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

        for r in paged(fetch):
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
    V = table_of(ElderlyVisit).c
    R = table_of(ElderlyResident).c
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
        .join(table_of(ElderlyResident), R.id == V.resident_id)
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
    for row in paged(lambda o, n: list(s.execute(q.offset(o).limit(n)))):
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

    if not conflicts.may_list(a):
        raise PermissionDenied("没有查看同步冲突的权限")
    for c in conflicts.list_conflicts(s, a, status=None):
        yield (
            c.detected_at,
            audit.TABLE_LABELS.get(c.table_name, c.table_name),
            c.record_id,
            audit.conflict_field_label(c.table_name, c.field),
            c.reason_label,
            "" if c.kept_value is None else str(c.kept_value),
            "" if c.lost_value is None else str(c.lost_value),
            c.lost_actor,
            {"open": "待处理", "kept": "保留现值", "reversed": "已恢复"}.get(c.status, c.status),
        )


# The due list and the overdue list: the same columns (one is a part of the other).
_DUE_COLUMNS = (
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
        _DUE_COLUMNS,
        _due_rows(False),
    ),
    "elderly-overdue": ExportList(
        "elderly-overdue",
        "逾期未探访名单",
        _DUE_COLUMNS,
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


# -- programme 2 -------------------------------------------------------------------------------


def _retrofit_cases(s: Session, a: Actor, f: ExportFilter, day: date) -> Iterator[Sequence[Any]]:
    return retrofit_rows.case_rows(s, a, f.retrofit, day)


def _retrofit_work(key: str) -> Callable[..., Iterator[Sequence[Any]]]:
    def rows(s: Session, a: Actor, f: ExportFilter, day: date) -> Iterator[Sequence[Any]]:
        q = retrofit_search.CaseQuery(work_list=key, community_id=f.community_id)
        return retrofit_rows.case_rows(s, a, q, day)

    return rows


def _retrofit_work_count(key: str) -> Callable[[Session, Actor, ExportFilter, date], int]:
    def count(s: Session, a: Actor, f: ExportFilter, day: date) -> int:
        q = retrofit_search.CaseQuery(work_list=key, community_id=f.community_id)
        return retrofit_search.count(s, a, q, today=day)

    return count


LISTS["retrofit-cases"] = ExportList(
    "retrofit-cases",
    "适老化改造档案",
    retrofit_rows.CASE_COLUMNS,
    _retrofit_cases,
    lambda s, a, f, d: retrofit_search.count(s, a, f.retrofit, today=d),
)
for _key, (_title, _step) in retrofit_search.WORK_LISTS.items():
    LISTS[f"retrofit-{_key}"] = ExportList(
        f"retrofit-{_key}",
        f"适老化改造{_title}",
        retrofit_rows.CASE_COLUMNS,
        _retrofit_work(_key),
        _retrofit_work_count(_key),
    )
LISTS["retrofit-contractors"] = ExportList(
    "retrofit-contractors",
    "施工单位",
    retrofit_rows.CONTRACTOR_COLUMNS,
    lambda s, a, f, d: retrofit_rows.contractor_rows(s, a),
)
LISTS["retrofit-catalogue"] = ExportList(
    "retrofit-catalogue",
    "适老化改造项目目录",
    retrofit_rows.CATALOGUE_COLUMNS,
    lambda s, a, f, d: retrofit_rows.catalogue_rows(s, a),
)


# -- programme 3 (confidential: child-protection roles, scoped in SQL, logged) -----------------


def _child_list(
    title: str,
    rows: Callable[[Session, Actor, ExportFilter, date, child_rows.ViewLogger], Iterator[Any]],
) -> Callable[..., Iterator[Sequence[Any]]]:
    def source(s: Session, a: Actor, f: ExportFilter, day: date) -> Iterator[Sequence[Any]]:
        return rows(s, a, f, day, child_rows.ViewLogger(s, a, title))

    return source


LISTS["children-register"] = ExportList(
    "children-register",
    "儿童台账（保密）",
    child_rows.REGISTER_COLUMNS,
    _child_list(
        "儿童台账",
        lambda s, a, f, d, log: child_rows.register_rows(s, a, f.children, d, log),
    ),
    lambda s, a, f, d: child_search.count(s, a, f.children),
    logged=True,
)
LISTS["children-cases"] = ExportList(
    "children-cases",
    "儿童个案一览（保密）",
    child_rows.CASE_COLUMNS,
    _child_list(
        "个案一览",
        lambda s, a, f, d, log: child_rows.case_rows(
            s, a, f.community_id or f.children.community_id, f.children.open_case_only, log
        ),
    ),
    logged=True,
)


def _child_work(key: str, title: str) -> Callable[..., Iterator[Sequence[Any]]]:
    return _child_list(
        title,
        lambda s, a, f, d, log: child_rows.work_case_rows(s, a, key, f.community_id, d, log),
    )


_CHILD_WORK_KEYS = {
    "urgent": "urgent",
    "to_verify": "verify",
    "to_assess": "assess",
    "to_plan": "plan",
    "visits_due": "visits",
    "turning_18": "turning18",
}
for _key, _title in child_worklists.CASE_LISTS.items():
    _name = f"children-{_CHILD_WORK_KEYS[_key]}"
    LISTS[_name] = ExportList(
        _name,
        f"儿童关爱{_title.replace('/', '、')}（保密）",
        child_rows.TURNING_COLUMNS if _key == "turning_18" else child_rows.WORK_CASE_COLUMNS,
        _child_work(_key, _title),
        logged=True,
    )
LISTS["children-services"] = ExportList(
    "children-services",
    "儿童关爱服务逾期（保密）",
    child_rows.SERVICE_COLUMNS,
    _child_list(
        "服务逾期",
        lambda s, a, f, d, log: child_rows.service_rows(s, a, f.community_id, d, log),
    ),
    logged=True,
)
LISTS["children-categories"] = ExportList(
    "children-categories",
    "儿童类别复核（保密）",
    child_rows.CATEGORY_COLUMNS,
    _child_list(
        "类别复核",
        lambda s, a, f, d, log: child_rows.category_rows(s, a, f.community_id, d, log),
    ),
    logged=True,
)


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
    if spec.logged and session.info.get("journal") is None:
        raise RuntimeError(f"{key}: a logged export needs a writer session")
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
