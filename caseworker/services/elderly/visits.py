"""Home visits (探访记录): save a draft, complete (lock) it, amend it, and its referrals.

A completed visit is a legal record: its row never changes again. A correction is an
amendment row (field, old value, new value, reason, who, when); what a visit *shows* is the
original with its amendments applied, newest last. A visit entered in error (typed twice, the
wrong person) is voided by a supervisor: one more amendment (field "voided", with the reason),
so the record stays in the history, marked 已作废, and counts for nothing in schedules or rates.

`warnings()` tells the form, before completing, what looks like a mistake but may be right: a
visit already on file for the same day (or the same week, for tiers visited less than weekly)
and areas of the form left entirely blank. Every write validates first and changes
nothing when it refuses (the caller's writer transaction rolls back on the exception).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseworker.domain import schedule as rules
from caseworker.domain.elderly import ChangeSource, MajorChange, Status, Tier
from caseworker.domain.errors import NotFound, PermissionDenied, ValidationError
from caseworker.domain.roles import Actor, Permission
from caseworker.domain.visit_form import (
    AREAS,
    CHOICE_FIELDS,
    REFERRAL_TARGETS,
    TEXT_FIELDS,
    Method,
    ReferralStatus,
    VisitStatus,
    as_text,
    check_choice,
)
from caseworker.services.elderly import schedule
from caseworker.services.elderly._common import (
    can_edit,
    can_view,
    clean,
    clean_multiline,
    today_or,
)
from db.base import utcnow
from db.elderly import ElderlyReferral, ElderlyResident, ElderlyVisit, ElderlyVisitAmendment
from db.models import Staff

CONTENT_FIELDS: tuple[str, ...] = (
    *(f.name for f in CHOICE_FIELDS),
    *(name for name, _area, _label in TEXT_FIELDS),
    "problems",
    "actions",
)
DATE_FIELDS = frozenset({"visit_date", "next_visit_on"})
# What an amendment may change (everything a person wrote on the form).
AMENDABLE: tuple[str, ...] = ("visit_date", "method", "visitors", *CONTENT_FIELDS, "next_visit_on")
FIELD_LABELS: dict[str, str] = {
    "visit_date": "探访日期",
    "method": "探访方式",
    "visitors": "探访人",
    "next_visit_on": "下次探访日期",
    "problems": "发现的问题",
    "actions": "采取的措施",
    **{f.name: f.label for f in CHOICE_FIELDS},
    **{name: label for name, _area, label in TEXT_FIELDS},
    schedule.VOID_FIELD: "作废",
}
VOIDED_TEXT = "已作废"


@dataclass(frozen=True)
class VisitDraft:
    """What a person types on the visit form (also the shape of a completed visit's values)."""

    resident_id: str
    visit_date: date
    method: Method = Method.HOME
    visitors: tuple[str, ...] = ()
    visitor_staff_id: str | None = None
    health_communication: str = ""
    health_mobility: str = ""
    health_reaction: str = ""
    health_mental: str = ""
    health_illness: str = ""
    health_notes: str = ""
    living_food: str = ""
    living_clothing: str = ""
    living_housing: str = ""
    living_medical_cost: str = ""
    living_benefits: str = ""
    living_notes: str = ""
    family_contact: str = ""
    family_notes: str = ""
    safety_hazards: str = ""
    safety_notes: str = ""
    needs_services: str = ""
    needs_notes: str = ""
    problems: str = ""
    actions: str = ""
    next_visit_on: date | None = None


@dataclass(frozen=True)
class ReferralDraft:
    target: str  # one of REFERRAL_TARGETS
    due_on: date
    description: str = ""
    owner_staff_id: str | None = None


@dataclass(frozen=True)
class ReferralInfo:
    id: str
    visit_id: str
    resident_id: str
    target: str
    description: str
    due_on: date
    owner_staff_id: str | None
    owner_name: str
    status: ReferralStatus
    outcome: str
    closed_on: date | None


@dataclass(frozen=True)
class AmendmentInfo:
    id: str
    field: str
    field_label: str
    old_value: str
    new_value: str
    reason: str
    amended_by: str
    amended_at: object  # datetime (UTC)


@dataclass(frozen=True)
class VisitInfo:
    """A visit as shown: values with amendments applied; `original` keeps the first values."""

    id: str
    status: VisitStatus
    locked: bool
    values: VisitDraft
    original: VisitDraft
    completed_by: str
    amendments: tuple[AmendmentInfo, ...] = ()
    referrals: tuple[ReferralInfo, ...] = field(default_factory=tuple)

    @property
    def amended_fields(self) -> frozenset[str]:
        return frozenset(a.field for a in self.amendments if a.field != schedule.VOID_FIELD)

    @property
    def void(self) -> AmendmentInfo | None:
        """The voiding amendment (who, when, why) when the visit was voided."""
        return next((a for a in self.amendments if a.field == schedule.VOID_FIELD), None)

    @property
    def voided(self) -> bool:
        return self.void is not None


@dataclass(frozen=True)
class VisitSummary:
    id: str
    visit_date: date
    method: str
    visitors: str
    status: VisitStatus
    amended: bool
    problems: str
    next_visit_on: date | None
    voided: bool = False

    @property
    def status_text(self) -> str:
        return VOIDED_TEXT if self.voided else self.status.value


# -- reading ---------------------------------------------------------------------------------


def _draft_of(v: ElderlyVisit) -> VisitDraft:
    return VisitDraft(
        resident_id=v.resident_id,
        visit_date=v.visit_date,
        method=Method(v.method),
        visitors=tuple(p for p in v.visitors.split("、") if p),
        visitor_staff_id=v.visitor_staff_id,
        next_visit_on=v.next_visit_on,
        **{name: getattr(v, name) for name in CONTENT_FIELDS},
    )


def _from_text(name: str, text: str) -> Any:
    if name in DATE_FIELDS:
        return date.fromisoformat(text) if text else None
    if name == "visitors":
        return tuple(p for p in text.split("、") if p)
    if name == "method":
        return Method(text)
    return text


def _amendments(session: Session, visit_id: str) -> list[ElderlyVisitAmendment]:
    return list(
        session.scalars(
            select(ElderlyVisitAmendment)
            .where(
                ElderlyVisitAmendment.visit_id == visit_id,
                ElderlyVisitAmendment.deleted_at.is_(None),
            )
            .order_by(ElderlyVisitAmendment.amended_at, ElderlyVisitAmendment.id)
        )
    )


def _referral_info(r: ElderlyReferral) -> ReferralInfo:
    return ReferralInfo(
        r.id,
        r.visit_id,
        r.resident_id,
        r.target,
        r.description,
        r.due_on,
        r.owner_staff_id,
        r.owner_name,
        ReferralStatus(r.status),
        r.outcome,
        r.closed_on,
    )


def _info(session: Session, v: ElderlyVisit) -> VisitInfo:
    original = _draft_of(v)
    amendments = _amendments(session, v.id)
    effective = original
    for a in amendments:
        if a.field != schedule.VOID_FIELD:
            effective = replace(effective, **{a.field: _from_text(a.field, a.new_value)})
    refs = session.scalars(
        select(ElderlyReferral)
        .where(ElderlyReferral.visit_id == v.id, ElderlyReferral.deleted_at.is_(None))
        .order_by(ElderlyReferral.created_at, ElderlyReferral.id)
    )
    return VisitInfo(
        id=v.id,
        status=VisitStatus(v.status),
        locked=v.merge_locked(),
        values=effective,
        original=original,
        completed_by=v.completed_by,
        amendments=tuple(
            AmendmentInfo(
                a.id,
                a.field,
                FIELD_LABELS.get(a.field, a.field),
                a.old_value,
                a.new_value,
                a.reason,
                a.amended_by_name,
                a.amended_at,
            )
            for a in amendments
        ),
        referrals=tuple(_referral_info(r) for r in refs),
    )


def _load_visit(session: Session, visit_id: str) -> ElderlyVisit:
    v = session.get(ElderlyVisit, visit_id)
    if v is None or v.deleted_at is not None:
        raise NotFound("找不到这条探访记录，请刷新后再试")
    return v


def get(session: Session, actor: Actor, visit_id: str) -> VisitInfo:
    can_view(actor)
    return _info(session, _load_visit(session, visit_id))


def history(session: Session, actor: Actor, resident_id: str) -> list[VisitSummary]:
    """A resident's visits, newest first, with amended dates applied. Two statements whatever
    the number of visits (the amendments come in one join, not one query per visit: a
    resident's page opened at 100,000 residents ran 125 statements before)."""
    can_view(actor)
    rows = session.scalars(
        select(ElderlyVisit)
        .where(ElderlyVisit.resident_id == resident_id, ElderlyVisit.deleted_at.is_(None))
        .order_by(ElderlyVisit.effective_date.desc(), ElderlyVisit.id.desc())
    ).all()
    amendments: dict[str, list[ElderlyVisitAmendment]] = {}
    for a in session.scalars(
        select(ElderlyVisitAmendment)
        .join(ElderlyVisit, ElderlyVisit.id == ElderlyVisitAmendment.visit_id)
        .where(
            ElderlyVisit.resident_id == resident_id,
            ElderlyVisit.deleted_at.is_(None),
            ElderlyVisitAmendment.deleted_at.is_(None),
        )
        .order_by(ElderlyVisitAmendment.amended_at, ElderlyVisitAmendment.id)
    ):
        amendments.setdefault(a.visit_id, []).append(a)
    out = []
    for v in rows:
        mine = amendments.get(v.id, [])
        vals = _draft_of(v)
        for a in mine:
            if a.field != schedule.VOID_FIELD:
                vals = replace(vals, **{a.field: _from_text(a.field, a.new_value)})
        out.append(
            VisitSummary(
                v.id,
                vals.visit_date,
                vals.method.value,
                "、".join(vals.visitors),
                VisitStatus(v.status),
                bool(mine),
                vals.problems,
                vals.next_visit_on,
                any(a.field == schedule.VOID_FIELD for a in mine),
            )
        )
    return out


def referrals_of(session: Session, actor: Actor, resident_id: str) -> list[ReferralInfo]:
    can_view(actor)
    rows = session.scalars(
        select(ElderlyReferral)
        .where(ElderlyReferral.resident_id == resident_id, ElderlyReferral.deleted_at.is_(None))
        .order_by(ElderlyReferral.due_on.desc(), ElderlyReferral.id.desc())
    )
    return [_referral_info(r) for r in rows]


# -- validation ------------------------------------------------------------------------------


def _resident(session: Session, resident_id: str) -> ElderlyResident:
    r = session.get(ElderlyResident, resident_id)
    if r is None or r.deleted_at is not None:
        raise NotFound("找不到这位老人（可能已被删除），请刷新列表后再试")
    return r


def _validate(
    session: Session, d: VisitDraft, today: date, *, complete: bool
) -> tuple[ElderlyResident, dict[str, object]]:
    """Check a draft; return the resident and the column values to store."""
    r = _resident(session, d.resident_id)
    if not isinstance(d.visit_date, date):
        raise ValidationError("请填写探访日期", field="visit_date")
    if d.visit_date > today:
        raise ValidationError(
            f"探访日期 {d.visit_date:%Y-%m-%d} 在今天（{today:%Y-%m-%d}）之后。"
            "请核对日期，或检查电脑的日期设置。",
            field="visit_date",
        )
    if d.visit_date < r.birth_date:
        raise ValidationError(
            f"探访日期 {d.visit_date:%Y-%m-%d} 早于老人的出生日期 {r.birth_date:%Y-%m-%d}，请核对",
            field="visit_date",
        )
    if (
        not Status(r.status).schedules
        and r.status_date is not None
        and d.visit_date > r.status_date
    ):
        raise ValidationError(
            f"老人已于 {r.status_date:%Y-%m-%d} {r.status}，不能登记此后的探访",
            field="visit_date",
        )
    if d.next_visit_on is not None and d.next_visit_on <= d.visit_date:
        raise ValidationError(
            f"下次探访日期 {d.next_visit_on:%Y-%m-%d} 应晚于本次探访日期 {d.visit_date:%Y-%m-%d}",
            field="next_visit_on",
        )
    try:
        method = Method(d.method)
    except ValueError:
        raise ValidationError("探访方式只能是 入户、电话 或 视频", field="method") from None
    visitors = tuple(clean(p, "探访人", "visitors", 30) for p in d.visitors)
    visitors = tuple(p for p in visitors if p)
    if complete and not visitors:
        raise ValidationError("请填写探访人（至少一人）", field="visitors")
    if d.visitor_staff_id and session.get(Staff, d.visitor_staff_id) is None:
        raise ValidationError("所选的探访人账号不存在", field="visitor_staff_id")
    values: dict[str, object] = {
        "resident_id": r.id,
        "visit_date": d.visit_date,
        "method": method.value,
        "visitors": "、".join(visitors),
        "visitor_staff_id": d.visitor_staff_id or None,
        "next_visit_on": d.next_visit_on,
    }
    for cf in CHOICE_FIELDS:
        raw = "、".join(p.strip() for p in str(getattr(d, cf.name) or "").split("、") if p.strip())
        problem = check_choice(cf, raw)
        if problem:
            raise ValidationError(problem, field=cf.name)
        values[cf.name] = raw
    for name, _area, label in TEXT_FIELDS:
        values[name] = clean_multiline(getattr(d, name), label, name)
    values["problems"] = clean_multiline(d.problems, "发现的问题", "problems")
    values["actions"] = clean_multiline(d.actions, "采取的措施", "actions")
    return r, values


def _check_referral(session: Session, d: ReferralDraft, visit_on: date) -> dict[str, object]:
    if d.target not in REFERRAL_TARGETS:
        raise ValidationError(f"转介去向只能选 {'、'.join(REFERRAL_TARGETS)}", field="target")
    if d.due_on < visit_on:
        raise ValidationError("转介的办理期限不能早于探访日期", field="due_on")
    owner_name = ""
    if d.owner_staff_id:
        owner = session.get(Staff, d.owner_staff_id)
        if owner is None:
            raise ValidationError("所选的跟进人账号不存在", field="owner_staff_id")
        owner_name = owner.display_name
    return {
        "target": d.target,
        "due_on": d.due_on,
        "description": clean_multiline(d.description, "转介事项", "description", 500),
        "owner_staff_id": d.owner_staff_id or None,
        "owner_name": owner_name,
    }


# -- writing ---------------------------------------------------------------------------------


def _write(
    session: Session,
    actor: Actor,
    draft: VisitDraft,
    visit_id: str | None,
    today: date,
    complete: bool,
    referrals: Sequence[ReferralDraft] = (),
) -> ElderlyVisit:
    resident, values = _validate(session, draft, today, complete=complete)
    checked_refs = [_check_referral(session, ref, draft.visit_date) for ref in referrals]
    if visit_id is None:
        v = ElderlyVisit(status=VisitStatus.DRAFT.value, **values)
        session.add(v)
    else:
        v = _load_visit(session, visit_id)
        if v.merge_locked():
            raise ValidationError(
                "这条探访记录已完成并锁定，不能直接修改；请用“更正”并写明原因", field=None
            )
        if v.resident_id != resident.id:
            raise ValidationError("不能把探访记录改到另一位老人名下", field="resident_id")
        for key, value in values.items():
            if getattr(v, key) != value:
                setattr(v, key, value)
    v.effective_date = draft.visit_date
    if complete:
        v.status = VisitStatus.COMPLETED.value
        v.completed_at = utcnow()
        v.completed_by = actor.display_name
    session.flush()
    for ref in checked_refs:
        session.add(
            ElderlyReferral(
                visit_id=v.id,
                resident_id=resident.id,
                status=ReferralStatus.OPEN.value,
                **ref,
            )
        )
    session.flush()
    schedule.recompute(session, [resident.id])
    return v


def save_draft(
    session: Session,
    actor: Actor,
    draft: VisitDraft,
    *,
    visit_id: str | None = None,
    today: date | None = None,
) -> VisitInfo:
    """Create or update a draft visit (not yet counted, not locked). Dates are still checked."""
    can_edit(actor)
    return _info(session, _write(session, actor, draft, visit_id, today_or(today), False))


def complete(
    session: Session,
    actor: Actor,
    draft: VisitDraft,
    *,
    visit_id: str | None = None,
    referrals: Sequence[ReferralDraft] = (),
    changes: Sequence[MajorChange] = (),
    today: date | None = None,
) -> VisitInfo:
    """Record a completed visit (new, or finishing draft `visit_id`), with its referrals and
    the major changes it found (跌倒, 住院, …: a visit is then due the next day).

    The visit is locked from then on; the resident's next due date is updated."""
    from caseworker.services.elderly import changes as change_service

    can_edit(actor)
    day = today_or(today)
    kinds = _change_kinds(changes)
    v = _write(session, actor, draft, visit_id, day, True, referrals)
    for kind in kinds:
        change_service.record(
            session,
            actor,
            v.resident_id,
            kind,
            draft.visit_date,
            source=ChangeSource.VISIT,
            visit_id=v.id,
            today=day,
        )
    return _info(session, v)


def _change_kinds(changes: Sequence[MajorChange | str]) -> list[MajorChange]:
    try:
        return list(dict.fromkeys(MajorChange(c) for c in changes))
    except ValueError:
        raise ValidationError(
            f"重大变化只能选 {'、'.join(k.value for k in MajorChange)}", field="changes"
        ) from None


def amend(
    session: Session,
    actor: Actor,
    visit_id: str,
    changes: Mapping[str, Any],
    reason: str,
    *,
    today: date | None = None,
) -> VisitInfo:
    """Correct a completed visit: one amendment row per changed field, with the reason.

    The new values are validated as a whole visit; nothing is stored when any is refused."""
    can_edit(actor)
    day = today_or(today)
    v = _load_visit(session, visit_id)
    if not v.merge_locked():
        raise ValidationError("草稿可以直接修改，不需要更正", field=None)
    why = clean(reason, "更正原因", "reason", 300, required=True)
    unknown = [k for k in changes if k not in AMENDABLE]
    if unknown:
        raise ValidationError(f"不能更正的项目：{'、'.join(unknown)}", field=unknown[0])
    info = _info(session, v)
    if info.voided:
        raise ValidationError("这条探访记录已作废，不能再更正", field=None)
    current = info.values
    proposed = replace(current, **dict(changes))
    moved = _next_visit_following(session, current, proposed, changes)
    if moved is not None:
        proposed = replace(proposed, next_visit_on=moved)
    _validate(session, proposed, day, complete=True)
    names = [*changes, *(["next_visit_on"] if moved is not None else [])]
    changed = [k for k in names if as_text(getattr(proposed, k)) != as_text(getattr(current, k))]
    if not changed:
        raise ValidationError("没有任何改动，无需更正", field=next(iter(changes), None))
    now = utcnow()
    for name in changed:
        session.add(
            ElderlyVisitAmendment(
                visit_id=v.id,
                field=name,
                old_value=as_text(getattr(current, name)),
                new_value=as_text(getattr(proposed, name)),
                reason=why,
                amended_by_id=actor.staff_id,
                amended_by_name=actor.display_name,
                amended_at=now,
            )
        )
    session.flush()
    schedule.recompute(session, [v.resident_id])
    session.refresh(v)
    return _info(session, v)


def _next_visit_following(
    session: Session, current: VisitDraft, proposed: VisitDraft, changes: Mapping[str, object]
) -> date | None:
    """A corrected visit date takes the proposed next visit along when that was the form's own
    proposal (the tier's interval after the visit): otherwise the visit row kept 2027-01-02 while
    the resident's 下次应访, counted from the corrected date, said 2027-01-01 (issue 18). A date
    the visitor chose stays as they wrote it; None when nothing moves."""
    if "next_visit_on" in changes or current.next_visit_on is None:
        return None
    if proposed.visit_date == current.visit_date:
        return None
    tier = _resident(session, current.resident_id).tier
    days = schedule.intervals(session)[tier]
    if current.next_visit_on != rules.propose_next_visit(current.visit_date, days):
        return None
    return rules.propose_next_visit(proposed.visit_date, days)


def void(
    session: Session, actor: Actor, visit_id: str, reason: str, *, today: date | None = None
) -> VisitInfo:
    """Void a completed visit entered in error (supervisors only). The record and its
    amendments stay; the void is one more amendment with the reason, shown in the history.
    The visit no longer counts as the resident's last visit nor in any month's rate."""
    if not actor.can(Permission.ELDERLY_VOID):
        raise PermissionDenied("只有科长可以作废已完成的探访记录")
    v = _load_visit(session, visit_id)
    if not v.merge_locked():
        raise ValidationError("草稿还没有完成，不需要作废；不要的草稿可以不完成", field=None)
    if _info(session, v).voided:
        raise ValidationError("这条探访记录已经作废了", field=None)
    why = clean(reason, "作废原因", "reason", 300, required=True)
    if len(why) < 4:
        raise ValidationError("请写明作废原因（例如“重复录入”），至少 4 个字", field="reason")
    session.add(
        ElderlyVisitAmendment(
            visit_id=v.id,
            field=schedule.VOID_FIELD,
            old_value="",
            new_value=VOIDED_TEXT,
            reason=why,
            amended_by_id=actor.staff_id,
            amended_by_name=actor.display_name,
            amended_at=utcnow(),
        )
    )
    session.flush()
    schedule.recompute(session, [v.resident_id])
    session.refresh(v)
    return _info(session, v)


def _blank_areas(d: VisitDraft) -> list[str]:
    """The titles of the form's areas where nothing at all was filled in."""
    blank = []
    for area, title in AREAS:
        names = [cf.name for cf in CHOICE_FIELDS if cf.area == area]
        names += [name for name, a, _label in TEXT_FIELDS if a == area]
        if not any(str(getattr(d, name) or "").strip() for name in names):
            blank.append(title)
    return blank


def warnings(
    session: Session,
    actor: Actor,
    draft: VisitDraft,
    *,
    visit_id: str | None = None,
    today: date | None = None,
) -> list[str]:
    """What looks like a mistake before completing (each may be right: the person decides).

    - a completed visit for the same resident already on file on the same day, or in the
      same week for tiers visited less often than weekly (typing the same paper form twice);
    - whole areas of the form left blank.
    """
    can_view(actor)
    out: list[str] = []
    r = _resident(session, draft.resident_id)
    if isinstance(draft.visit_date, date):
        window = 0 if r.tier == Tier.HIGH_RISK.value else 6
        first = draft.visit_date - timedelta(days=window)
        last = draft.visit_date + timedelta(days=window)
        V = ElderlyVisit
        rows = session.execute(
            select(V.id, V.effective_date, V.visitors)
            .where(
                V.resident_id == r.id,
                V.status == VisitStatus.COMPLETED.value,
                V.deleted_at.is_(None),
                V.effective_date >= first,
                V.effective_date <= last,
                V.id != (visit_id or ""),
                schedule.not_voided(),
            )
            .order_by(V.effective_date)
        ).all()
        for _vid, when, who in rows:
            same = "同一天" if when == draft.visit_date else "同一周内"
            out.append(
                f"{r.name} {same}已有一条完成的探访记录（{when:%Y-%m-%d}，探访人 {who or '未填'}）。"
                "如果是同一张纸质表，请不要重复录入。"
            )
    blank = _blank_areas(draft)
    if blank:
        out.append(f"以下部分全部空白：{'、'.join(blank)}。请对照纸质表核对是否漏填。")
    return out


def add_referral(
    session: Session, actor: Actor, visit_id: str, draft: ReferralDraft
) -> ReferralInfo:
    """A referral raised at (or after) a visit; allowed on a completed visit too (it is a
    follow-up, not an edit of the record)."""
    can_edit(actor)
    v = _load_visit(session, visit_id)
    values = _check_referral(session, draft, v.visit_date)
    row = ElderlyReferral(
        visit_id=v.id, resident_id=v.resident_id, status=ReferralStatus.OPEN.value, **values
    )
    session.add(row)
    session.flush()
    return _referral_info(row)


def update_referral(
    session: Session,
    actor: Actor,
    referral_id: str,
    status: ReferralStatus,
    outcome: str = "",
    *,
    closed_on: date | None = None,
    change: MajorChange | None = None,
    today: date | None = None,
) -> ReferralInfo:
    """Move a referral along (待办 → 办理中 → 已办结). Closing needs the outcome. An outcome
    that reports a major change (`change`: the person fell, went to hospital…) records it:
    a visit is then due the next day."""
    from caseworker.services.elderly import changes as change_service

    can_edit(actor)
    day = today_or(today)
    kinds = _change_kinds([change] if change else [])
    row = session.get(ElderlyReferral, referral_id)
    if row is None or row.deleted_at is not None:
        raise NotFound("找不到这条转介，请刷新后再试")
    new = ReferralStatus(status)
    text = clean_multiline(outcome, "办理结果", "outcome", 1000)
    if new is ReferralStatus.CLOSED:
        if not text:
            raise ValidationError("办结转介请填写办理结果", field="outcome")
        when = closed_on or day
        if when > day:
            raise ValidationError("办结日期不能晚于今天", field="closed_on")
        row.closed_on = when
    else:
        row.closed_on = None
    row.status = new.value
    if text != row.outcome:
        row.outcome = text
    session.flush()
    for kind in kinds:
        change_service.record(
            session,
            actor,
            row.resident_id,
            kind,
            row.closed_on or day,
            note=text[:300],
            source=ChangeSource.REFERRAL,
            referral_id=row.id,
            today=day,
        )
    return _referral_info(row)


def visit_field_names() -> tuple[str, ...]:
    """Every field of VisitDraft, in form order (for the GUI's tab order)."""
    return tuple(f.name for f in fields(VisitDraft))
