"""Protection cases: 发现报告 → 核实 → 评估 → 帮扶计划 → 回访 → 结案, or 重新开案.

Each step is allowed by `caseworker.domain.children.next_step` and leaves a timeline event
(journaled, with its note encrypted). Urgent reports (abuse, abandonment, injury) carry a flag
that puts them first on the supervisor's list. Assessment, plans, closure and reopening belong
to the child supervisor; reports, verification and visits to either child role.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseworker.domain import children as rules
from caseworker.domain.children import (
    CaseAction,
    CaseStep,
    CloseReason,
    Need,
    ReportSource,
    Risk,
    ServiceKind,
    ServiceStatus,
    StepRefused,
    UrgentReason,
    VisitMethod,
)
from caseworker.domain.errors import NotFound, ValidationError
from caseworker.domain.roles import Actor
from caseworker.services import settings
from caseworker.services.children import keys
from caseworker.services.children._common import (
    can_edit,
    can_view,
    check_on_register,
    clean,
    clean_multiline,
    load_case,
    load_child,
    log_view,
    scope,
    supervisor_only,
    today_or,
)
from db.children import Child, ChildCase, ChildCaseEvent, ChildPlanService, ChildVisit
from db.ids import new_id
from db.models import Staff

SEP = ","


def _enc(values: Iterable[str]) -> str:
    return SEP.join(values)


def _dec(stored: str) -> tuple[str, ...]:
    return tuple(p for p in (stored or "").split(SEP) if p)


def _seal(actor: Actor, table: str, column: str, record_id: str, text: str) -> str:
    return keys.seal_text(keys.require(actor), table, column, record_id, text) if text else ""


def interval_for(session: Session, risk: str) -> int:
    """Days between follow-up visits for a risk level (a district setting)."""
    return int(settings.get(session, Risk(risk).setting_key)) if risk else 0


@dataclass(frozen=True)
class CaseSummary:
    id: str
    child_id: str
    child_name: str
    step: CaseStep
    urgent: bool
    urgent_reasons: tuple[str, ...]
    source: str
    reported_on: date
    risk: str
    needs: tuple[str, ...]
    last_visit_on: date | None
    next_visit_due: date | None
    closed_on: date | None
    close_reason: str


@dataclass(frozen=True)
class EventInfo:
    id: str
    action: str
    step_after: str
    on_date: date
    actor_name: str
    note: str


@dataclass(frozen=True)
class ServiceInfo:
    id: str
    case_id: str
    kind: str
    description: str
    owner_staff_id: str | None
    owner_name: str
    due_on: date
    status: str
    outcome: str
    done_on: date | None


@dataclass(frozen=True)
class VisitInfo:
    id: str
    child_id: str
    case_id: str | None
    visit_date: date
    method: str
    visitor_name: str
    child_seen: bool
    safety_concern: bool
    notes: str
    next_visit_on: date | None


@dataclass(frozen=True)
class CaseDetail:
    case: CaseSummary
    reporter: str
    seen_text: str
    verified_on: date | None
    verify_notes: str
    assessed_on: date | None
    assessment_notes: str
    planned_on: date | None
    events: tuple[EventInfo, ...]  # oldest first
    services: tuple[ServiceInfo, ...]
    visits: tuple[VisitInfo, ...]  # newest first
    allowed: tuple[CaseAction, ...]


def _summary(session: Session, c: ChildCase, child_name: str) -> CaseSummary:
    due = None
    step = CaseStep(c.step)
    if step in (CaseStep.PLANNED, CaseStep.FOLLOW_UP) and c.risk:
        base = c.last_visit_on or c.planned_on
        if base is not None:
            due = rules.visit_due(base, interval_for(session, c.risk))
    return CaseSummary(
        c.id,
        c.child_id,
        child_name,
        step,
        c.urgent,
        _dec(c.urgent_reasons),
        c.source,
        c.reported_on,
        c.risk,
        _dec(c.needs),
        c.last_visit_on,
        due,
        c.closed_on,
        c.close_reason,
    )


def _event(
    session: Session, actor: Actor, case: ChildCase, action: CaseAction, on: date, note: str
) -> None:
    row = ChildCaseEvent(
        id=new_id(),
        case_id=case.id,
        action=action.value,
        step_after=case.step,
        on_date=on,
        actor_name=actor.display_name,
    )
    row.note = _seal(actor, "child_case_event", "note", row.id, note)
    session.add(row)


def _advance(case: ChildCase, action: CaseAction) -> None:
    try:
        case.step = rules.next_step(CaseStep(case.step), action).value
    except StepRefused as exc:
        raise ValidationError(str(exc), field="step") from None


def _check_day(on: date, day: date, label: str, not_before: date | None = None) -> None:
    if on > day:
        raise ValidationError(f"{label}不能晚于今天", field="date")
    if not_before is not None and on < not_before:
        raise ValidationError(f"{label}不能早于 {not_before:%Y-%m-%d}", field="date")


def _child_name(session: Session, case: ChildCase) -> str:
    return session.scalar(select(Child.name).where(Child.id == case.child_id)) or ""


# -- report --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportDraft:
    child_id: str
    source: str
    reported_on: date
    seen_text: str  # what was seen (encrypted at rest)
    urgent_reasons: frozenset[str] = field(default_factory=frozenset)
    reporter: str = ""


def report(
    session: Session, actor: Actor, d: ReportDraft, *, today: date | None = None
) -> CaseSummary:
    """A discovery report (发现报告) opens a case; abuse, abandonment or injury mark it urgent."""
    can_edit(actor)
    day = today_or(today)
    child = load_child(session, actor, d.child_id)
    check_on_register(child, d.reported_on, "发现报告")
    if d.source not in {s.value for s in ReportSource}:
        raise ValidationError("请选择报告来源", field="source")
    _check_day(d.reported_on, day, "报告日期", child.birth_date)
    bad = [r for r in d.urgent_reasons if r not in {u.value for u in UrgentReason}]
    if bad:
        raise ValidationError(f"紧急情形只能选 {'、'.join(u.value for u in UrgentReason)}")
    seen = clean_multiline(d.seen_text, "发现的情况", "seen_text")
    if not seen:
        raise ValidationError("请写明发现的情况", field="seen_text")
    reasons = [u.value for u in UrgentReason if u.value in d.urgent_reasons]
    case = ChildCase(
        id=new_id(),
        child_id=child.id,
        step=CaseStep.REPORTED.value,
        urgent=bool(reasons),
        urgent_reasons=_enc(reasons),
        source=d.source,
        reported_on=d.reported_on,
        reporter=clean(d.reporter, "报告人", "reporter", 100),
        opened_by=actor.display_name,
    )
    case.seen_text = _seal(actor, "child_case", "seen_text", case.id, seen)
    session.add(case)
    session.flush()
    _event(session, actor, case, CaseAction.REPORT, d.reported_on, f"来源：{d.source}")
    return _summary(session, case, child.name)


def verify(
    session: Session,
    actor: Actor,
    case_id: str,
    on: date,
    founded: bool,
    notes: str,
    *,
    today: date | None = None,
) -> CaseSummary:
    """核实: founded → ready for assessment; unfounded → closed with 核实不属实."""
    can_edit(actor)
    day = today_or(today)
    case = load_case(session, actor, case_id)
    _check_day(on, day, "核实日期", case.reported_on)
    text = clean_multiline(notes, "核实情况", "verify_notes")
    if not text:
        raise ValidationError("请写明核实情况", field="verify_notes")
    if founded:
        _advance(case, CaseAction.VERIFY)
    else:
        rules.next_step(CaseStep(case.step), CaseAction.VERIFY)  # only a reported case
        case.step = CaseStep.CLOSED.value
        case.closed_on = on
        case.close_reason = CloseReason.UNFOUNDED.value
    case.verified_on = on
    case.verify_notes = _seal(actor, "child_case", "verify_notes", case.id, text)
    _event(
        session, actor, case, CaseAction.VERIFY, on, ("属实：" if founded else "不属实：") + text
    )
    session.flush()
    return _summary(session, case, _child_name(session, case))


def assess(
    session: Session,
    actor: Actor,
    case_id: str,
    on: date,
    risk: Risk,
    needs: Iterable[str],
    notes: str,
    *,
    today: date | None = None,
) -> CaseSummary:
    """评估: risk level and needs (again later when things change; the latest counts)."""
    supervisor_only(actor, "风险评估")
    day = today_or(today)
    case = load_case(session, actor, case_id)
    _check_day(on, day, "评估日期", case.verified_on or case.reported_on)
    need_values = [n.value for n in Need if n.value in set(needs)]
    if len(need_values) != len(set(needs)):
        raise ValidationError(f"需求只能选 {'、'.join(n.value for n in Need)}", field="needs")
    text = clean_multiline(notes, "评估意见", "assessment_notes")
    if not text:
        raise ValidationError("请写明评估意见", field="assessment_notes")
    _advance(case, CaseAction.ASSESS)
    case.risk = Risk(risk).value
    case.needs = _enc(need_values)
    case.assessed_on = on
    case.assessment_notes = _seal(actor, "child_case", "assessment_notes", case.id, text)
    _event(session, actor, case, CaseAction.ASSESS, on, f"风险{case.risk}：{text}")
    session.flush()
    return _summary(session, case, _child_name(session, case))


# -- plan ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceDraft:
    kind: str
    description: str
    owner_name: str
    due_on: date
    owner_staff_id: str | None = None


def _service_info(actor: Actor, s: ChildPlanService) -> ServiceInfo:
    return ServiceInfo(
        s.id,
        s.case_id,
        s.kind,
        keys.read_text(actor, "child_plan_service", "description", s.id, s.description),
        s.owner_staff_id,
        s.owner_name,
        s.due_on,
        s.status,
        keys.read_text(actor, "child_plan_service", "outcome", s.id, s.outcome),
        s.done_on,
    )


def plan(
    session: Session,
    actor: Actor,
    case_id: str,
    on: date,
    services: Iterable[ServiceDraft],
    *,
    today: date | None = None,
) -> tuple[ServiceInfo, ...]:
    """帮扶计划: services with an owner, due date and (later) outcome; more can be added later."""
    supervisor_only(actor, "帮扶计划")
    day = today_or(today)
    case = load_case(session, actor, case_id)
    items = list(services)
    if not items:
        raise ValidationError("帮扶计划至少要有一项服务", field="services")
    _check_day(on, day, "计划日期", case.assessed_on or case.reported_on)
    first = case.step == CaseStep.ASSESSED.value
    _advance(case, CaseAction.PLAN)
    if first:
        case.planned_on = on
    out = []
    for i, s in enumerate(items, start=1):
        if s.kind not in {k.value for k in ServiceKind}:
            raise ValidationError(f"第 {i} 项：请选择服务类别", field="services")
        if s.owner_staff_id and session.get(Staff, s.owner_staff_id) is None:
            raise ValidationError(f"第 {i} 项：责任人账号不存在", field="services")
        if s.due_on < on:
            raise ValidationError(f"第 {i} 项：完成期限不能早于计划日期", field="services")
        text = clean_multiline(s.description, f"第 {i} 项内容", "services", 1000)
        if not text:
            raise ValidationError(f"第 {i} 项：请写明服务内容", field="services")
        row = ChildPlanService(
            id=new_id(),
            case_id=case.id,
            kind=s.kind,
            owner_staff_id=s.owner_staff_id or None,
            owner_name=clean(s.owner_name, f"第 {i} 项责任人", "services", 60, required=True),
            due_on=s.due_on,
            status=ServiceStatus.OPEN.value,
        )
        row.description = _seal(actor, "child_plan_service", "description", row.id, text)
        session.add(row)
        out.append(row)
    kinds = "、".join(s.kind for s in items)
    _event(session, actor, case, CaseAction.PLAN, on, f"服务：{kinds}")
    session.flush()
    return tuple(_service_info(actor, r) for r in out)


def finish_service(
    session: Session,
    actor: Actor,
    service_id: str,
    status: ServiceStatus,
    on: date,
    outcome: str,
    *,
    today: date | None = None,
) -> ServiceInfo:
    """A service is done or cancelled, with its outcome (required)."""
    can_edit(actor)
    day = today_or(today)
    row = session.scalar(
        select(ChildPlanService)
        .join(ChildCase, ChildCase.id == ChildPlanService.case_id)
        .join(Child, Child.id == ChildCase.child_id)
        .where(ChildPlanService.id == service_id, scope(actor))
    )
    if row is None:
        raise NotFound("找不到这项服务，或不在您负责的社区")
    if ServiceStatus(status) is ServiceStatus.OPEN:
        raise ValidationError("请选择“已完成”或“已取消”", field="status")
    if row.status != ServiceStatus.OPEN.value:
        raise ValidationError(f"这项服务已经{row.status}")
    _check_day(on, day, "办理日期")
    text = clean_multiline(outcome, "办理结果", "outcome", 1000)
    if not text:
        raise ValidationError("请写明办理结果", field="outcome")
    row.status = ServiceStatus(status).value
    row.done_on = on
    row.outcome = _seal(actor, "child_plan_service", "outcome", row.id, text)
    session.flush()
    return _service_info(actor, row)


# -- visits --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitDraft:
    child_id: str
    visit_date: date
    method: str
    visitor_name: str
    notes: str  # encrypted at rest
    case_id: str | None = None
    visitor_staff_id: str | None = None
    child_seen: bool = True
    safety_concern: bool = False
    next_visit_on: date | None = None


def _visit_info(actor: Actor, v: ChildVisit) -> VisitInfo:
    return VisitInfo(
        v.id,
        v.child_id,
        v.case_id,
        v.visit_date,
        v.method,
        v.visitor_name,
        v.child_seen,
        v.safety_concern,
        keys.read_text(actor, "child_visit", "notes", v.id, v.notes),
        v.next_visit_on,
    )


def record_visit(
    session: Session, actor: Actor, d: VisitDraft, *, today: date | None = None
) -> VisitInfo:
    """回访 / a visit by the child director; with a case, it moves the case to 回访."""
    can_edit(actor)
    day = today_or(today)
    child = load_child(session, actor, d.child_id)
    if d.method not in {m.value for m in VisitMethod}:
        raise ValidationError("请选择回访方式", field="method")
    _check_day(d.visit_date, day, "回访日期", child.birth_date)
    check_on_register(child, d.visit_date, "回访")
    if d.next_visit_on is not None and d.next_visit_on <= d.visit_date:
        raise ValidationError("下次回访日期应晚于本次", field="next_visit_on")
    text = clean_multiline(d.notes, "回访记录", "notes")
    if not text:
        raise ValidationError("请写明回访情况", field="notes")
    case = None
    if d.case_id:
        case = load_case(session, actor, d.case_id)
        if case.child_id != child.id:
            raise ValidationError("这个个案不属于这名儿童", field="case_id")
        _advance(case, CaseAction.VISIT)
        if case.planned_on and d.visit_date < case.planned_on:
            raise ValidationError("回访日期不能早于帮扶计划日期", field="visit_date")
    row = ChildVisit(
        id=new_id(),
        child_id=child.id,
        case_id=case.id if case else None,
        visit_date=d.visit_date,
        method=d.method,
        visitor_staff_id=d.visitor_staff_id or actor.staff_id,
        visitor_name=clean(d.visitor_name, "回访人", "visitor_name", 60, required=True),
        child_seen=bool(d.child_seen),
        safety_concern=bool(d.safety_concern),
        next_visit_on=d.next_visit_on,
    )
    row.notes = _seal(actor, "child_visit", "notes", row.id, text)
    session.add(row)
    if case is not None:
        if case.last_visit_on is None or d.visit_date > case.last_visit_on:
            case.last_visit_on = d.visit_date
        _event(session, actor, case, CaseAction.VISIT, d.visit_date, f"{d.method}回访")
    session.flush()
    return _visit_info(actor, row)


def visits_of(session: Session, actor: Actor, child_id: str) -> list[VisitInfo]:
    child = load_child(session, actor, child_id)
    rows = session.scalars(
        select(ChildVisit)
        .where(ChildVisit.child_id == child.id, ChildVisit.deleted_at.is_(None))
        .order_by(ChildVisit.visit_date.desc(), ChildVisit.id.desc())
    )
    return [_visit_info(actor, v) for v in rows]


# -- close, reopen -------------------------------------------------------------------------------


def close(
    session: Session,
    actor: Actor,
    case_id: str,
    on: date,
    reason: CloseReason,
    notes: str,
    *,
    today: date | None = None,
) -> CaseSummary:
    """结案 with its reason (risk removed, turned 18, moved away…)."""
    supervisor_only(actor, "结案")
    day = today_or(today)
    case = load_case(session, actor, case_id)
    _check_day(on, day, "结案日期", case.reported_on)
    text = clean_multiline(notes, "结案说明", "close_notes")
    if CloseReason(reason) is CloseReason.OTHER and not text:
        raise ValidationError("结案原因为“其他”时请写明说明", field="close_notes")
    _advance(case, CaseAction.CLOSE)
    case.closed_on = on
    case.close_reason = CloseReason(reason).value
    _event(session, actor, case, CaseAction.CLOSE, on, f"{case.close_reason}：{text}")
    session.flush()
    return _summary(session, case, _child_name(session, case))


def reopen(
    session: Session, actor: Actor, case_id: str, on: date, notes: str, *, today: date | None = None
) -> CaseSummary:
    """重新开案: the closed case comes back for a new assessment."""
    supervisor_only(actor, "重新开案")
    day = today_or(today)
    case = load_case(session, actor, case_id)
    _check_day(on, day, "开案日期", case.closed_on)
    text = clean_multiline(notes, "重新开案原因", "notes")
    if not text:
        raise ValidationError("请写明重新开案的原因", field="notes")
    _advance(case, CaseAction.REOPEN)
    case.closed_on = None
    case.close_reason = ""
    _event(session, actor, case, CaseAction.REOPEN, on, text)
    session.flush()
    return _summary(session, case, _child_name(session, case))


# -- reading -------------------------------------------------------------------------------------


def cases_of(session: Session, actor: Actor, child_id: str) -> list[CaseSummary]:
    child = load_child(session, actor, child_id)
    rows = session.scalars(
        select(ChildCase)
        .where(ChildCase.child_id == child.id, ChildCase.deleted_at.is_(None))
        .order_by(ChildCase.reported_on.desc(), ChildCase.id.desc())
    )
    return [_summary(session, c, child.name) for c in rows]


def detail(
    session: Session, actor: Actor, case_id: str, *, action: str | None = "打开个案"
) -> CaseDetail:
    """A case's page with its narrative decrypted; writes a view-log row for the child
    (`action=None` only to refresh a page already opened and logged)."""
    can_view(actor)
    case = load_case(session, actor, case_id)
    if action is not None:
        log_view(session, actor, case.child_id, action)
    events = session.scalars(
        select(ChildCaseEvent)
        .where(ChildCaseEvent.case_id == case.id)
        .order_by(ChildCaseEvent.on_date, ChildCaseEvent.created_at)
    )
    services = session.scalars(
        select(ChildPlanService)
        .where(ChildPlanService.case_id == case.id, ChildPlanService.deleted_at.is_(None))
        .order_by(ChildPlanService.due_on, ChildPlanService.id)
    )
    visits = session.scalars(
        select(ChildVisit)
        .where(ChildVisit.case_id == case.id, ChildVisit.deleted_at.is_(None))
        .order_by(ChildVisit.visit_date.desc())
    )

    def text(column: str) -> str:
        return keys.read_text(actor, "child_case", column, case.id, getattr(case, column))

    return CaseDetail(
        _summary(session, case, _child_name(session, case)),
        case.reporter,
        text("seen_text"),
        case.verified_on,
        text("verify_notes"),
        case.assessed_on,
        text("assessment_notes"),
        case.planned_on,
        tuple(
            EventInfo(
                e.id,
                e.action,
                e.step_after,
                e.on_date,
                e.actor_name,
                keys.read_text(actor, "child_case_event", "note", e.id, e.note),
            )
            for e in events
        ),
        tuple(_service_info(actor, s) for s in services),
        tuple(_visit_info(actor, v) for v in visits),
        rules.allowed_actions(CaseStep(case.step)),
    )
