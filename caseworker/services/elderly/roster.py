"""The elderly roster (老年人台账): register, look up, update, tier, status, detail of a resident."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseworker.domain import idnumber
from caseworker.domain.elderly import (
    CHOSEN_CATEGORIES,
    LIVING_ARRANGEMENTS,
    ROSTER_MIN_AGE,
    Category,
    ChangeSource,
    MajorChange,
    Status,
    Tier,
    decode_categories,
    encode_categories,
    suggest_tier,
    tier_after_change,
    with_derived,
)
from caseworker.domain.errors import NotFound, ValidationError
from caseworker.domain.person import OfPerson, Person, name_columns, person_of, typed_id
from caseworker.domain.roles import Actor
from caseworker.services.audit import AuditRow, record_history
from caseworker.services.elderly import schedule
from caseworker.services.elderly import visits as visit_service
from caseworker.services.elderly._common import (
    can_edit,
    can_view,
    clean,
    clean_multiline,
    clean_phone,
    today_or,
)
from db.elderly import ElderlyResident
from db.models import Community, Staff


@dataclass(frozen=True)
class ResidentDraft:
    """What a person types on the resident form. Categories exclude 高龄 (derived)."""

    name: str
    id_number: str
    community_id: str
    phone: str = ""
    address: str = ""
    categories: frozenset[Category] = field(default_factory=frozenset)
    living_arrangement: str = ""
    health_notes: str = ""
    supporter_name: str = ""
    supporter_relation: str = ""
    supporter_phone: str = ""
    emergency_name: str = ""
    emergency_phone: str = ""
    assigned_staff_id: str | None = None
    notes: str = ""
    enrolled_on: date | None = None  # default: today


@dataclass(frozen=True)
class ResidentInfo(OfPerson):
    id: str
    person: Person  # name, ID number (and masked), birth date, sex, phone
    age: int
    address: str
    community_id: str
    community_name: str
    categories: frozenset[Category]
    living_arrangement: str
    health_notes: str
    supporter_name: str
    supporter_relation: str
    supporter_phone: str
    emergency_name: str
    emergency_phone: str
    assigned_staff_id: str | None
    assigned_staff_name: str | None
    status: Status
    status_date: date | None
    status_note: str
    tier: Tier
    suggested_tier: Tier
    suggested_reason: str
    tier_reason: str  # why staff chose a tier other than the suggestion ("" when following it)
    enrolled_on: date
    notes: str
    last_visit_on: date | None
    next_due: date | None


@dataclass(frozen=True)
class RegisterResult:
    resident: ResidentInfo
    created: bool  # False: the ID number was already on the roster; that person is returned


def _info(session: Session, r: ElderlyResident, today: date) -> ResidentInfo:
    community = session.get(Community, r.community_id)
    staff = session.get(Staff, r.assigned_staff_id) if r.assigned_staff_id else None
    chosen = decode_categories(r.categories)
    cats = with_derived(chosen, r.birth_date, today)
    suggestion = suggest_tier(cats)
    return ResidentInfo(
        id=r.id,
        person=(person := person_of(r)),
        age=person.age_on(today),
        address=r.address,
        community_id=r.community_id,
        community_name=community.name if community else "",
        categories=cats,
        living_arrangement=r.living_arrangement,
        health_notes=r.health_notes,
        supporter_name=r.supporter_name,
        supporter_relation=r.supporter_relation,
        supporter_phone=r.supporter_phone,
        emergency_name=r.emergency_name,
        emergency_phone=r.emergency_phone,
        assigned_staff_id=r.assigned_staff_id,
        assigned_staff_name=staff.display_name if staff else None,
        status=Status(r.status),
        status_date=r.status_date,
        status_note=r.status_note,
        tier=Tier(r.tier),
        suggested_tier=suggestion.tier,
        suggested_reason=suggestion.reason,
        tier_reason=r.tier_reason,
        enrolled_on=r.enrolled_on,
        notes=r.notes,
        last_visit_on=r.last_visit_on,
        next_due=r.next_due,
    )


def _saved(session: Session, row: ElderlyResident, day: date) -> ResidentInfo:
    """After a change: write it, bring the derived schedule up to date, return the new view."""
    session.flush()
    schedule.recompute(session, [row.id])
    session.refresh(row)
    return _info(session, row, day)


def _load(session: Session, resident_id: str) -> ElderlyResident:
    row = session.get(ElderlyResident, resident_id)
    if row is None or row.deleted_at is not None:
        raise NotFound("找不到这位老人（可能已被删除），请刷新列表后再试")
    return row


def parse_roster_id(text: str, today: date) -> idnumber.IdNumber:
    """Validate an ID number for the roster: valid, and the person is 60 or older today."""
    return typed_id(
        text,
        today,
        min_age=ROSTER_MIN_AGE,
        too_young="身份证号 {masked} 显示出生于 {born:%Y年%m月%d日}，今年 {age} 岁，"
        "未满 {min_age} 周岁，不能列入老年人台账。请核对身份证号。",
    )


def _check_fields(session: Session, d: ResidentDraft) -> dict[str, Any]:
    if session.get(Community, d.community_id) is None:
        raise ValidationError("请选择所在社区/村", field="community_id")
    if d.assigned_staff_id and session.get(Staff, d.assigned_staff_id) is None:
        raise ValidationError("所选的责任人账号不存在", field="assigned_staff_id")
    bad = [c for c in d.categories if c not in CHOSEN_CATEGORIES]
    if bad:
        raise ValidationError("“高龄”由年龄自动判断，不需要勾选", field="categories")
    if d.living_arrangement and d.living_arrangement not in LIVING_ARRANGEMENTS:
        raise ValidationError(
            f"居住情况只能选 {'、'.join(LIVING_ARRANGEMENTS)}", field="living_arrangement"
        )
    name = clean(d.name, "姓名", "name", 60, required=True)
    return {
        "name": name,
        **name_columns(name),
        "community_id": d.community_id,
        "phone": clean_phone(d.phone, "联系电话", "phone"),
        "address": clean(d.address, "住址", "address", 200),
        "categories": encode_categories(d.categories),
        "living_arrangement": d.living_arrangement,
        "health_notes": clean_multiline(d.health_notes, "健康状况", "health_notes"),
        "supporter_name": clean(d.supporter_name, "赡养人姓名", "supporter_name", 60),
        "supporter_relation": clean(d.supporter_relation, "与老人关系", "supporter_relation", 20),
        "supporter_phone": clean_phone(d.supporter_phone, "赡养人电话", "supporter_phone"),
        "emergency_name": clean(d.emergency_name, "紧急联系人", "emergency_name", 60),
        "emergency_phone": clean_phone(d.emergency_phone, "紧急联系人电话", "emergency_phone"),
        "assigned_staff_id": d.assigned_staff_id or None,
        "notes": clean_multiline(d.notes, "备注", "notes"),
    }


def find_by_id_number(
    session: Session, actor: Actor, text: str, *, today: date | None = None
) -> ResidentInfo | None:
    """The resident with this ID number (any accepted spelling), or None."""
    can_view(actor)
    value = idnumber.value_of(text)
    if value is None:
        return None
    row = session.scalar(select(ElderlyResident).where(ElderlyResident.id_number == value))
    return None if row is None else _info(session, row, today_or(today))


def register(
    session: Session, actor: Actor, draft: ResidentDraft, *, today: date | None = None
) -> RegisterResult:
    """Add a resident; an ID number already on the roster returns that person (not a twin).

    The tier starts at the suggestion from the categories; under-60s are refused."""
    can_edit(actor)
    day = today_or(today)
    parsed = parse_roster_id(draft.id_number, day)
    existing = session.scalar(
        select(ElderlyResident).where(ElderlyResident.id_number == parsed.value)
    )
    if existing is not None:
        return RegisterResult(_info(session, existing, day), created=False)
    values = _check_fields(session, draft)
    enrolled = draft.enrolled_on or day
    if enrolled > day:
        raise ValidationError("登记日期不能晚于今天", field="enrolled_on")
    cats = with_derived(draft.categories, parsed.birth_date, day)
    row = ElderlyResident(
        id_number=parsed.value,
        birth_date=parsed.birth_date,
        sex=parsed.sex,
        tier=suggest_tier(cats).tier.value,
        tier_reason="",
        status=Status.ACTIVE.value,
        enrolled_on=enrolled,
        **values,
    )
    session.add(row)
    return RegisterResult(_saved(session, row, day), created=True)


def update(
    session: Session,
    actor: Actor,
    resident_id: str,
    draft: ResidentDraft,
    *,
    today: date | None = None,
) -> ResidentInfo:
    """Change a resident's details. The ID number may be corrected (still unique, still 60+).

    When the tier followed the suggestion, it follows the new categories too; a tier chosen by
    staff (with a reason) stays until staff change it."""
    can_edit(actor)
    day = today_or(today)
    row = _load(session, resident_id)
    parsed = parse_roster_id(draft.id_number, day)
    if parsed.value != row.id_number:
        clash = session.scalar(
            select(ElderlyResident.name).where(ElderlyResident.id_number == parsed.value)
        )
        if clash is not None:
            raise ValidationError(
                f"身份证号 {parsed.masked} 已登记为 {clash}，不能重复登记", field="id_number"
            )
        row.id_number, row.birth_date, row.sex = parsed.value, parsed.birth_date, parsed.sex
    values = _check_fields(session, draft)
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
    if draft.enrolled_on is not None and draft.enrolled_on != row.enrolled_on:
        if draft.enrolled_on > day:
            raise ValidationError("登记日期不能晚于今天", field="enrolled_on")
        row.enrolled_on = draft.enrolled_on
    if not row.tier_reason:
        suggested = suggest_tier(with_derived(draft.categories, row.birth_date, day)).tier.value
        if row.tier != suggested:
            row.tier = suggested
    return _saved(session, row, day)


def set_tier(
    session: Session,
    actor: Actor,
    resident_id: str,
    tier: Tier,
    reason: str,
    *,
    today: date | None = None,
) -> ResidentInfo:
    """Staff choose the tier. A tier other than the suggestion needs a reason, which is kept on
    the record (and in its history); choosing the suggested tier clears the override."""
    can_edit(actor)
    day = today_or(today)
    row = _load(session, resident_id)
    suggested = suggest_tier(with_derived(decode_categories(row.categories), row.birth_date, day))
    text = clean(reason, "调整原因", "tier_reason", 200)
    if Tier(tier) != suggested.tier and not text:
        raise ValidationError(
            f"系统建议为“{suggested.tier.value}”（{suggested.reason}）；改为“{Tier(tier).value}”"
            "请写明原因",
            field="tier_reason",
        )
    row.tier = Tier(tier).value
    row.tier_reason = text if Tier(tier) != suggested.tier else ""
    return _saved(session, row, day)


def set_status(
    session: Session,
    actor: Actor,
    resident_id: str,
    status: Status,
    on: date,
    note: str = "",
    *,
    today: date | None = None,
) -> ResidentInfo:
    """在册/住院/迁出/去世 with the date. Moved and deceased stop scheduling; history stays."""
    can_edit(actor)
    day = today_or(today)
    row = _load(session, resident_id)
    if on > day:
        raise ValidationError("状态日期不能晚于今天", field="status_date")
    if on < row.birth_date:
        raise ValidationError("状态日期不能早于出生日期", field="status_date")
    was = row.status
    row.status = Status(status).value
    row.status_date = on
    row.status_note = clean(note, "说明", "status_note", 200)
    if row.status == Status.HOSPITAL.value and was != row.status:
        # A hospital stay is a major change (DOMAIN.md): a visit is due the next day and the
        # high-risk tier proposed, as when a visit or a referral reports it.
        from caseworker.services.elderly import changes

        session.flush()
        changes.record(
            session,
            actor,
            row.id,
            MajorChange.HOSPITAL,
            on,
            occurred_on=on,
            note=row.status_note,
            source=ChangeSource.STATUS,
            today=day,
        )
    return _saved(session, row, day)


def get(
    session: Session, actor: Actor, resident_id: str, *, today: date | None = None
) -> ResidentInfo:
    can_view(actor)
    return _info(session, _load(session, resident_id), today_or(today))


@dataclass(frozen=True)
class ResidentDetail:
    resident: ResidentInfo
    visits: tuple[visit_service.VisitSummary, ...]  # newest first
    referrals: tuple[visit_service.ReferralInfo, ...]  # latest due first
    history: tuple[AuditRow, ...]  # the record's journal, oldest first
    changes: tuple = ()  # tuple[changes.ChangeInfo, ...]: major changes, the latest first

    @property
    def change_proposal(self) -> str:
        """ "建议调为高风险" while a major change waits for its visit and the tier is lower."""
        waiting = any(not c.answered for c in self.changes)
        proposal = tier_after_change(self.resident.tier) if waiting else None
        return f"建议调为{proposal.tier.value}：{proposal.reason}" if proposal else ""


def detail(
    session: Session, actor: Actor, resident_id: str, *, today: date | None = None
) -> ResidentDetail:
    """A resident's page: details, visit history, referrals, the record's change history and
    its major changes."""
    from caseworker.services.elderly import changes

    info = get(session, actor, resident_id, today=today)
    return ResidentDetail(
        info,
        tuple(visit_service.history(session, actor, resident_id)),
        tuple(visit_service.referrals_of(session, actor, resident_id)),
        tuple(record_history(session, actor, ElderlyResident.__tablename__, resident_id)),
        tuple(changes.changes_of(session, actor, resident_id)),
    )


@dataclass(frozen=True)
class StaffChoice:
    id: str
    name: str


def staff_choices(session: Session, actor: Actor) -> list[StaffChoice]:
    """Active staff who can be a visitor, referral owner or assigned caseworker (for the pickers
    and the work lists' visitor filter; the account list itself is for administrators only)."""
    can_view(actor)
    rows = session.execute(
        select(Staff.id, Staff.display_name)
        .where(Staff.deleted_at.is_(None), Staff.disabled.is_(False))
        .order_by(Staff.display_name)
    )
    return [StaffChoice(sid, name) for sid, name in rows]
