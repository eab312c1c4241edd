"""The data printed on programme 3 forms, read within the actor's scope; every printout of a
child's record is logged like an opening (打印档案, 打印个案摘要, 打印回访表)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseworker.domain import children as rules
from caseworker.domain.children import CaseStep, Risk
from caseworker.domain.person import person_of
from caseworker.domain.roles import Actor
from caseworker.printing import children_forms as pf
from caseworker.services import accounts
from caseworker.services.children import cases as case_service
from caseworker.services.children import register
from caseworker.services.children._common import load_case, log_view, log_views, scope, today_or
from caseworker.services.children.worklists import _due_expr
from db.children import Child, ChildCase, ChildGuardian
from db.models import Community
from db.replica import Replica


def _printed(session: Session, actor: Actor, at: datetime | None) -> pf.Printed:
    office = accounts.office(session)
    return pf.Printed(actor.display_name, at or datetime.now(), office.name if office else "")


def _d(day: date | None) -> str:
    return day.isoformat() if day else ""


def child_file_pdf(
    session: Session,
    actor: Actor,
    child_id: str,
    *,
    today: date | None = None,
    at: datetime | None = None,
) -> bytes:
    """The child's file (档案): details, categories with their reasons, guardians, conditions and
    evidence, cases and visits. Logged as 打印档案."""
    day = today_or(today)
    page = register.detail(session, actor, child_id, today=day, action="打印档案")
    c = page.child
    info = (
        pf.Field("姓名", c.name, half=True),
        pf.Field("性别/年龄", f"{c.sex} / {c.age} 岁", half=True),
        pf.Field("身份证号", c.id_number, half=True),
        pf.Field("出生日期", _d(c.birth_date), half=True),
        pf.Field("社区/村", c.community_name, half=True),
        pf.Field("联系电话", c.phone, half=True),
        pf.Field("住址", c.address),
        pf.Field("学校/年级", f"{c.school} {c.grade}".strip(), half=True),
        pf.Field("居住情况", c.living_arrangement, half=True),
        pf.Field(
            "已登记类别", "、".join(x.value for x in rules.ChildCategory if x in c.categories)
        ),
        pf.Field("备注", c.notes, lines=3),
    )
    findings = [
        (f.category.value, "是" if f.holds else "否", _d(f.eligible_from), f.reason)
        for f in page.categories.findings
        if f.holds or f.category in c.categories or f.eligible_from
    ]
    guardians = [
        (
            g.relation,
            g.name,
            g.phone,
            "是" if g.lives_with_child else "否",
            "是" if g.is_guardian else "否",
        )
        for g in page.guardians
    ]
    conditions = [
        (
            k.subject,
            k.kind
            + (f"（{k.disability_kind}{k.disability_grade}级）" if k.disability_grade else ""),
            f"{_d(k.start_on)} 至 {_d(k.ended_on or k.end_on) or '今'}",
            f"{k.evidence_kind}，{k.evidence_issuer} {k.evidence_number} {_d(k.evidence_date)}",
            k.evidence_description,
        )
        for k in page.conditions
    ]
    case_rows = [
        (
            _d(x.reported_on),
            x.source,
            x.step.value,
            x.risk,
            "、".join(x.urgent_reasons),
            f"{_d(x.closed_on)} {x.close_reason}".strip(),
        )
        for x in page.cases
    ]
    visits = [(_d(v.visit_date), v.method, v.visitor_name, v.notes) for v in page.visits[:20]]
    doc = pf.child_file(info, findings, guardians, conditions, case_rows, visits)
    return pf.render([doc], _printed(session, actor, at))


def case_summary_pdf(
    session: Session,
    actor: Actor,
    case_id: str,
    *,
    referral_to: str = "",
    today: date | None = None,
    at: datetime | None = None,
) -> bytes:
    """The case summary for a referral (to police, school, court, hospital). Logged."""
    day = today_or(today)
    case = load_case(session, actor, case_id)
    log_view(session, actor, case.child_id, "打印个案摘要")
    d = case_service.detail(session, actor, case_id, action=None)
    child = register.get(session, actor, case.child_id, today=day)
    head = (
        pf.Field("儿童姓名", child.name, half=True),
        pf.Field("性别/年龄", f"{child.sex} / {child.age} 岁", half=True),
        pf.Field("身份证号", child.id_number, half=True),
        pf.Field("社区/村", child.community_name, half=True),
        pf.Field("住址", child.address),
        pf.Field("报告日期/来源", f"{_d(d.case.reported_on)} {d.case.source}", half=True),
        pf.Field("当前阶段", d.case.step.value, half=True),
        pf.Field("风险等级", d.case.risk, half=True),
        pf.Field("紧急情形", "、".join(d.case.urgent_reasons) or "无", half=True),
    )
    narrative = (
        pf.Field("发现的情况", d.seen_text, lines=4),
        pf.Field("核实情况", d.verify_notes, lines=3),
        pf.Field("评估意见", d.assessment_notes, lines=4),
        pf.Field("需求", "、".join(d.case.needs)),
    )
    timeline = [(_d(e.on_date), e.action, e.actor_name, e.note) for e in d.events]
    services = [
        (s.kind, s.description, s.owner_name, _d(s.due_on), s.status, s.outcome) for s in d.services
    ]
    doc = pf.case_summary(head, narrative, timeline, services, referral_to)
    return pf.render([doc], _printed(session, actor, at))


@dataclass(frozen=True)
class VisitForms:
    """A batch of visit record forms as printed: the data of each form, the case each is
    issued for (None: the blank form), the children whose records it shows (logged as
    打印回访表 when the file is whole), and who prints it."""

    forms: list[pf.VisitFormData]
    case_ids: list[str | None]
    child_ids: list[str]
    period: str
    printed: pf.Printed

    @property
    def kind(self) -> str:
        return "child_visit" if self.child_ids else "child_visit_blank"

    @property
    def targets(self) -> list[tuple[str | None, str]]:
        return [(case_id, self.period) for case_id in self.case_ids]


def visit_form_data(
    session: Session,
    actor: Actor,
    month: date | None = None,
    *,
    community_id: str | None = None,
    blank: bool = False,
    today: date | None = None,
    at: datetime | None = None,
) -> VisitForms:
    """Visit record forms: one blank form, or one pre-filled form per open case whose follow-up
    visit falls due in `month` (or is overdue), within the scope, in route order. Reads only:
    nothing is logged or issued until the forms are printed (`print_visit_forms`)."""
    from caseworker.services import paper

    printed = _printed(session, actor, at)
    if blank:
        scope(actor)
        return VisitForms([pf.VisitFormData()], [None], [], "", printed)
    day = today_or(today)
    first = (month or day).replace(day=1)
    end = rules.add_months(first, 1)
    intervals = {r.value: case_service.interval_for(session, r.value) for r in Risk}
    due = _due_expr(intervals)
    stmt = (
        select(ChildCase, Child, Community.name, due)
        .join(Child, Child.id == ChildCase.child_id)
        .join(Community, Community.id == Child.community_id)
        .where(
            scope(actor),
            Child.deleted_at.is_(None),
            ChildCase.step.in_([CaseStep.PLANNED.value, CaseStep.FOLLOW_UP.value]),
            ChildCase.risk != "",
            due < end.isoformat(),
        )
        .order_by(Community.sort_order, Child.name, Child.id)
    )
    if community_id:
        stmt = stmt.where(Child.community_id == community_id)
    out = VisitForms([], [], [], paper.period_of(first), printed)
    rows = []
    for case, child, community, due_text in session.execute(stmt):
        # plain values only: 20,000 ORM objects would stay in the session's identity map
        person = person_of(child)
        rows.append(
            (
                case.id,
                child.id,
                community,
                person.name,
                f"{person.sex} / {person.age_on(day)} 岁",
                person.id_number_masked,
                child.address,
                child.categories.strip(",").replace(",", "、"),
                case.risk,
                _d(case.last_visit_on),
                str(due_text or ""),
            )
        )
        session.expunge(case)
        session.expunge(child)
    guardians = _first_guardians(session, [r[1] for r in rows])
    for (
        case_id,
        child_id,
        community,
        name,
        sex_age,
        masked,
        address,
        cats,
        risk,
        last,
        due_on,
    ) in rows:
        guardian = guardians.get(child_id)
        out.forms.append(
            pf.VisitFormData(
                community=community,
                child_name=name,
                sex_age=sex_age,
                id_masked=masked,
                address=address,
                guardian=f"{guardian[1]}（{guardian[0]}）{guardian[2]}" if guardian else "",
                categories=cats,
                risk=risk,
                last_visit=last,
                due=due_on,
            )
        )
        out.case_ids.append(case_id)
        out.child_ids.append(child_id)
    return out


def _first_guardians(session: Session, child_ids: list[str]) -> dict[str, tuple[str, str, str]]:
    """Each child's first guardian (a guardian before other relatives, then the earliest):
    (relation, name, phone), read 900 children a statement (no statement grows with the
    batch, and not one query per child)."""
    G = ChildGuardian
    out: dict[str, tuple[str, str, str]] = {}
    ids = list(dict.fromkeys(child_ids))
    for start in range(0, len(ids), 900):
        for child_id, relation, name, phone in session.execute(
            select(G.child_id, G.relation, G.name, G.phone)
            .where(G.child_id.in_(ids[start : start + 900]), G.deleted_at.is_(None))
            .order_by(G.child_id, G.is_guardian.desc(), G.created_at)
        ):
            out.setdefault(child_id, (relation, name, phone))
    return out


def print_visit_forms(
    replica: Replica,
    actor: Actor,
    batch: VisitForms,
    out: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    part_pages: int | None = None,
) -> int:
    """Print `batch` (`visit_form_data`) to the PDF `out`, the one path of the GUI and the
    command line: codes chosen first, the file written in parts under a temporary name
    (caseworker.printing.in_parts; `progress(done, total)` may raise to cancel), then in one
    journaled transaction, just before the file takes its name, the printed_form rows and a
    打印回访表 view-log row per child; committed once the file has its name. A cancelled or
    failed print leaves no file, no code and no log row. Returns the pages."""
    from caseworker.services import paper

    prepared = paper.prepare(replica.engine, actor, batch.kind, batch.targets)
    with contextlib.ExitStack() as stack:

        def record() -> None:
            # the write lock is taken only now: nothing is held while the pages render
            s = stack.enter_context(replica.writer(actor))
            prepared.record(s.connection())
            log_views(s, actor, batch.child_ids, "打印回访表")

        return pf.write_visit_forms(
            batch.forms,
            prepared.stamps,
            batch.printed,
            out,
            progress=progress,
            before_rename=record,
            part_pages=part_pages,
        )
