"""A household's retrofit case: apply, take each step of the path, read the case's page.

Every step goes through `act`, which asks `caseworker.domain.retrofit.check_transition` whether
it is allowed (step, role, reason, "not your own assessment"), changes the case and writes a
timeline event, all in the caller's transaction (so all journaled, nothing half-written).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseworker.domain.elderly import Category
from caseworker.domain.elderly import decode_categories as decode_elderly
from caseworker.domain.errors import NotFound, PermissionDenied, ValidationError
from caseworker.domain.person import OfPerson, Person, name_columns, person_of
from caseworker.domain.retrofit import (
    CHOSEN_HOUSEHOLD_CATEGORIES,
    Action,
    HouseholdCategory,
    Line,
    PhotoCount,
    PhotoStage,
    Step,
    Totals,
    TransitionRefused,
    allowed_actions,
    applicant_id,
    check_transition,
    compute,
    days_overdue,
    decode_categories,
    eligibility,
    encode_categories,
    missing_photos,
    waiver_text,
)
from caseworker.domain.roles import Actor, Permission
from caseworker.services import accounts
from caseworker.services.elderly._common import clean, clean_multiline, clean_phone, today_or
from caseworker.services.retrofit import catalogue
from caseworker.services.retrofit._common import can_edit, can_view, permissions_of
from db import numbers
from db.base import utcnow
from db.elderly import ElderlyResident
from db.models import Community
from db.retrofit import (
    RetrofitAssessmentItem,
    RetrofitCase,
    RetrofitCaseEvent,
    RetrofitContractor,
    RetrofitPhoto,
)

# Roster categories that carry over to an application opened from a resident.
_FROM_ELDERLY: dict[Category, HouseholdCategory] = {
    Category.EXTREME_POVERTY: HouseholdCategory.EXTREME_POVERTY,
    Category.MIN_ALLOWANCE: HouseholdCategory.MIN_ALLOWANCE,
    Category.LOW_INCOME: HouseholdCategory.LOW_INCOME,
    Category.DISABLED: HouseholdCategory.DISABLED,
    Category.SEVERELY_DISABLED: HouseholdCategory.HANDICAPPED,
    Category.FAMILY_PLANNING_SPECIAL: HouseholdCategory.FAMILY_PLANNING_SPECIAL,
}


@dataclass(frozen=True)
class ApplicationDraft:
    """What the application form (申请表) holds. 高龄 is derived from the ID number."""

    name: str
    id_number: str
    community_id: str
    phone: str = ""
    address: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    categories: frozenset[HouseholdCategory] = field(default_factory=frozenset)
    note: str = ""
    applied_on: date | None = None  # default: today
    resident_id: str | None = None


@dataclass(frozen=True)
class StepRequest:
    """One step on the path. Which fields matter depends on the action (see `act`)."""

    action: Action
    on: date | None = None  # the day it happened (default: today)
    reason: str = ""  # required for 不予受理, 退回, 验收不通过, 撤回, 终止; a note otherwise
    contractor_id: str | None = None  # 开始施工
    start: date | None = None  # 开始施工
    planned_end: date | None = None  # 开始施工
    signed_by: str = ""  # 验收通过: who signed the paper acceptance form


@dataclass(frozen=True)
class CaseInfo(OfPerson):
    id: str
    case_no: str
    step: Step
    community_id: str
    community_name: str
    resident_id: str | None
    person: Person  # the applicant: name, ID number (and masked), birth date, sex, phone
    age: int
    address: str
    contact_name: str
    contact_phone: str
    categories: frozenset[HouseholdCategory]
    eligible: bool
    eligibility_reason: str
    applied_on: date
    application_note: str
    assessed_on: date | None
    assessed_by_id: str | None
    assessed_by_name: str
    assessment_note: str
    approved_on: date | None
    approved_by_name: str
    contractor_id: str | None
    contractor_name: str
    construction_start: date | None
    planned_end: date | None
    construction_done_on: date | None
    accepted_on: date | None
    accepted_by_name: str
    signed_by: str
    closed_on: date | None
    closed_reason: str
    days_overdue: int
    photos_waived_before: str = ""
    photos_waived_after: str = ""
    assessors: tuple[str, ...] = ()  # names of who recorded the assessment


@dataclass(frozen=True)
class ItemInfo:
    id: str
    item_code: str
    part: str
    name: str
    unit: str
    basic: bool
    quantity_centi: int
    unit_price_fen: int
    unit_cap_fen: int
    room: str
    note: str


@dataclass(frozen=True)
class EventInfo:
    action: str
    from_step: str
    to_step: str
    on: date
    at: datetime
    actor_name: str
    note: str


@dataclass(frozen=True)
class PhotoInfo:
    id: str
    stage: str
    item_id: str | None
    sha256: str
    thumb_sha256: str
    width: int
    height: int
    caption: str
    original_name: str
    taken_at: datetime | None

    @classmethod
    def of(cls, p: RetrofitPhoto) -> PhotoInfo:
        return cls(
            p.id,
            p.stage,
            p.item_id,
            p.sha256,
            p.thumb_sha256,
            p.width,
            p.height,
            p.caption,
            p.original_name,
            p.taken_at,
        )


@dataclass(frozen=True)
class CaseDetail:
    case: CaseInfo
    items: tuple[ItemInfo, ...]
    totals: Totals
    events: tuple[EventInfo, ...]  # oldest first
    photos: tuple[PhotoInfo, ...]
    actions: tuple[Action, ...]  # what this person may do now


# -- reading ------------------------------------------------------------------------------------


def _load(session: Session, case_id: str) -> RetrofitCase:
    row = session.get(RetrofitCase, case_id)
    if row is None or row.deleted_at is not None:
        raise NotFound("找不到这户改造档案（可能已被删除），请刷新列表后再试")
    return row


def _info(session: Session, r: RetrofitCase, today: date) -> CaseInfo:
    community = session.get(Community, r.community_id)
    contractor = session.get(RetrofitContractor, r.contractor_id) if r.contractor_id else None
    step = Step(r.step)
    return CaseInfo(
        id=r.id,
        case_no=r.case_no,
        step=step,
        community_id=r.community_id,
        community_name=community.name if community else "",
        resident_id=r.resident_id,
        person=(person := person_of(r, r.applicant_name)),
        age=person.age_on(today),
        address=r.address,
        contact_name=r.contact_name,
        contact_phone=r.contact_phone,
        categories=decode_categories(r.categories),
        eligible=r.eligible,
        eligibility_reason=r.eligibility_reason,
        applied_on=r.applied_on,
        application_note=r.application_note,
        assessed_on=r.assessed_on,
        assessed_by_id=r.assessed_by_id,
        assessed_by_name=r.assessed_by_name,
        assessment_note=r.assessment_note,
        approved_on=r.approved_on,
        approved_by_name=r.approved_by_name,
        contractor_id=r.contractor_id,
        contractor_name=contractor.name if contractor else "",
        construction_start=r.construction_start,
        planned_end=r.planned_end,
        construction_done_on=r.construction_done_on,
        accepted_on=r.accepted_on,
        accepted_by_name=r.accepted_by_name,
        signed_by=r.signed_by,
        closed_on=r.closed_on,
        closed_reason=r.closed_reason,
        days_overdue=days_overdue(r.planned_end, today) if step is Step.CONSTRUCTION else 0,
        photos_waived_before=r.photos_waived_before,
        photos_waived_after=r.photos_waived_after,
        assessors=_assessor_names(session, r),
    )


def _assessor_names(session: Session, r: RetrofitCase) -> tuple[str, ...]:
    names = [i.recorded_by_name for i in _item_rows(session, r.id)] + [r.assessed_by_name]
    return tuple(dict.fromkeys(n for n in names if n))


def _item_rows(session: Session, case_id: str) -> list[RetrofitAssessmentItem]:
    return list(
        session.scalars(
            select(RetrofitAssessmentItem)
            .where(
                RetrofitAssessmentItem.case_id == case_id,
                RetrofitAssessmentItem.deleted_at.is_(None),
            )
            .order_by(RetrofitAssessmentItem.sort_order, RetrofitAssessmentItem.id)
        )
    )


def _item_info(i: RetrofitAssessmentItem) -> ItemInfo:
    return ItemInfo(
        i.id,
        i.item_code,
        i.part,
        i.name,
        i.unit,
        i.basic,
        i.quantity_centi,
        i.unit_price_fen,
        i.unit_cap_fen,
        i.room,
        i.note,
    )


def _totals_of(session: Session, row: RetrofitCase) -> Totals:
    """The case's money: as approved once approved (stored cap, frozen prices), else live."""
    lines = [
        Line(i.basic, i.quantity_centi, i.unit_price_fen, i.unit_cap_fen)
        for i in _item_rows(session, row.id)
    ]
    cap = row.household_cap_fen if row.approved_on else catalogue.household_cap_fen(session)
    return compute(lines, row.eligible, cap)


def get(session: Session, actor: Actor, case_id: str, *, today: date | None = None) -> CaseInfo:
    can_view(actor)
    return _info(session, _load(session, case_id), today_or(today))


def detail(
    session: Session, actor: Actor, case_id: str, *, today: date | None = None
) -> CaseDetail:
    """The case page: details, items with the money, the timeline, photos, allowed steps."""
    can_view(actor)
    row = _load(session, case_id)
    events = session.scalars(
        select(RetrofitCaseEvent)
        .where(RetrofitCaseEvent.case_id == case_id, RetrofitCaseEvent.deleted_at.is_(None))
        .order_by(RetrofitCaseEvent.at, RetrofitCaseEvent.id)
    )
    photos = session.scalars(
        select(RetrofitPhoto)
        .where(RetrofitPhoto.case_id == case_id, RetrofitPhoto.deleted_at.is_(None))
        .order_by(RetrofitPhoto.stage, RetrofitPhoto.created_at, RetrofitPhoto.id)  # 改造前 first
    )
    items = _item_rows(session, case_id)
    return CaseDetail(
        _info(session, row, today_or(today)),
        tuple(_item_info(i) for i in items),
        _totals_of(session, row),
        tuple(
            EventInfo(e.action, e.from_step, e.to_step, e.on, e.at, e.actor_name, e.note)
            for e in events
        ),
        tuple(PhotoInfo.of(p) for p in photos),
        tuple(
            allowed_actions(
                Step(row.step),
                permissions_of(actor),
                acting_staff_id=actor.staff_id,
                assessed_by_id=row.assessed_by_id,
                assessor_ids=[i.recorded_by_id for i in items],
            )
        ),
    )


def case_of_resident(session: Session, actor: Actor, resident_id: str) -> CaseInfo | None:
    """The person's newest retrofit case (for the resident page), or None."""
    can_view(actor)
    row = session.scalar(
        select(RetrofitCase)
        .where(RetrofitCase.resident_id == resident_id, RetrofitCase.deleted_at.is_(None))
        .order_by(RetrofitCase.applied_on.desc(), RetrofitCase.id.desc())
        .limit(1)
    )
    return None if row is None else _info(session, row, date.today())


# -- applying -----------------------------------------------------------------------------------


def prefill_from_resident(session: Session, actor: Actor, resident_id: str) -> ApplicationDraft:
    """An application for a person on the elderly roster, filled from their record."""
    can_view(actor)
    r = session.get(ElderlyResident, resident_id)
    if r is None or r.deleted_at is not None:
        raise NotFound("找不到这位老人")
    cats = frozenset(_FROM_ELDERLY[c] for c in decode_elderly(r.categories) if c in _FROM_ELDERLY)
    return ApplicationDraft(
        name=r.name,
        id_number=r.id_number,
        community_id=r.community_id,
        phone=r.phone,
        address=r.address,
        contact_name=r.supporter_name or r.emergency_name,
        contact_phone=r.supporter_phone or r.emergency_phone,
        categories=cats,
        resident_id=r.id,
    )


def _next_case_no(session: Session, year: int) -> str:
    # never a number issued before, even one lost with a restored backup (db/numbers.py)
    office = accounts.office(session)
    return numbers.next_number(session, RetrofitCase, f"{office.code if office else 'GZ'}-{year}-")


def _event(
    session: Session,
    actor: Actor,
    row: RetrofitCase,
    action: Action,
    before: str,
    on: date,
    note: str = "",
) -> None:
    session.add(
        RetrofitCaseEvent(
            case_id=row.id,
            action=action.value,
            from_step=before,
            to_step=row.step,
            on=on,
            at=utcnow(),
            actor_id=actor.staff_id,
            actor_name=actor.display_name,
            note=note,
        )
    )


def _application_values(session: Session, d: ApplicationDraft, today: date) -> dict[str, object]:
    if session.get(Community, d.community_id) is None:
        raise ValidationError("请选择所在社区/村", field="community_id")
    bad = [c for c in d.categories if c not in CHOSEN_HOUSEHOLD_CATEGORIES]
    if bad:
        raise ValidationError("“高龄”由身份证号的年龄自动判断，不需要勾选", field="categories")
    parsed = applicant_id(d.id_number, today, "。请核对身份证号。")
    rule = eligibility(d.categories, parsed.birth_date, today)
    name = clean(d.name, "姓名", "name", 60, required=True)
    return {
        "applicant_name": name,
        **name_columns(name, sort_key=False),
        "id_number": parsed.value,
        "birth_date": parsed.birth_date,
        "sex": parsed.sex,
        "community_id": d.community_id,
        "phone": clean_phone(d.phone, "联系电话", "phone"),
        "address": clean(d.address, "住址", "address", 200, required=True),
        "contact_name": clean(d.contact_name, "家属/联系人", "contact_name", 60),
        "contact_phone": clean_phone(d.contact_phone, "联系人电话", "contact_phone"),
        "categories": encode_categories(d.categories),
        "eligible": rule.eligible,
        "eligibility_reason": rule.reason,
        "application_note": clean_multiline(d.note, "申请说明", "note"),
    }


def apply(
    session: Session, actor: Actor, draft: ApplicationDraft, *, today: date | None = None
) -> CaseInfo:
    """Open a case (申请). One open or completed case per person: a second is refused with the
    first one's number. The person is linked to the elderly roster when they are on it."""
    can_edit(actor)
    day = today_or(today)
    values = _application_values(session, draft, day)
    applied = draft.applied_on or day
    if applied > day:
        raise ValidationError("申请日期不能晚于今天", field="applied_on")
    earlier = session.execute(
        select(RetrofitCase.case_no, RetrofitCase.step).where(
            RetrofitCase.id_number == values["id_number"],
            RetrofitCase.deleted_at.is_(None),
            RetrofitCase.step.not_in([Step.REJECTED.value, Step.WITHDRAWN.value]),
        )
    ).first()
    if earlier is not None:
        raise ValidationError(
            f"{values['applicant_name']} 已有改造档案 {earlier[0]}（{earlier[1]}），不能重复申请",
            field="id_number",
        )
    resident_id = draft.resident_id or session.scalar(
        select(ElderlyResident.id).where(ElderlyResident.id_number == values["id_number"])
    )
    row = RetrofitCase(
        case_no=_next_case_no(session, applied.year),
        step=Step.APPLIED.value,
        applied_on=applied,
        resident_id=resident_id,
        **values,
    )
    session.add(row)
    session.flush()
    _event(session, actor, row, Action.APPLY, "", applied, row.application_note)
    session.flush()
    return _info(session, row, day)


def update_application(
    session: Session,
    actor: Actor,
    case_id: str,
    draft: ApplicationDraft,
    *,
    today: date | None = None,
) -> CaseInfo:
    """Correct the application's details before approval; eligibility is decided again."""
    can_edit(actor)
    day = today_or(today)
    row = _load(session, case_id)
    if Step(row.step) not in (Step.APPLIED, Step.ELIGIBLE, Step.ASSESSED):
        raise ValidationError(f"这户已是“{row.step}”，申请信息不能再修改")
    values = _application_values(session, draft, day)
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
    session.flush()
    return _info(session, row, day)


# -- the path -----------------------------------------------------------------------------------


def act(
    session: Session,
    actor: Actor,
    case_id: str,
    request: StepRequest,
    *,
    today: date | None = None,
) -> CaseInfo:
    """Take one step. Refused (ValidationError with the reason) when the step is not allowed
    from the case's current step, by this person, or without its reason or dates."""
    can_view(actor)
    day = today_or(today)
    on = request.on or day
    if on > day:
        raise ValidationError("日期不能晚于今天", field="on")
    row = _load(session, case_id)
    before = Step(row.step)
    reason = clean(request.reason, "原因/说明", "reason", 300)
    try:
        target = check_transition(
            before,
            request.action,
            permissions_of(actor),
            reason,
            acting_staff_id=actor.staff_id,
            assessed_by_id=row.assessed_by_id,
            assessor_ids=[i.recorded_by_id for i in _item_rows(session, row.id)],
        )
    except TransitionRefused as exc:
        raise ValidationError(str(exc), field="reason") from None
    if on < row.applied_on:
        raise ValidationError("日期不能早于申请日期", field="on")
    stage = {Action.SUBMIT: PhotoStage.BEFORE, Action.ACCEPT: PhotoStage.AFTER}.get(request.action)
    if stage is not None:
        lacking = _photos_lacking(session, row, stage)
        if lacking:
            raise ValidationError(lacking, field="photos")
    _apply_effects(session, actor, row, request, on, reason)
    row.step = target.value
    session.flush()
    _event(session, actor, row, request.action, before.value, on, reason or _note(request))
    session.flush()
    return _info(session, row, day)


def photo_count(session: Session, actor: Actor, case_id: str) -> PhotoCount:
    """The case's live photos: how many before, and after photos per item."""
    can_view(actor)
    return _photo_count(session, case_id)


def _photo_count(session: Session, case_id: str) -> PhotoCount:
    before = 0
    after: dict[str, int] = {}
    for stage, item_id, n in session.execute(
        select(RetrofitPhoto.stage, RetrofitPhoto.item_id, func.count())
        .where(RetrofitPhoto.case_id == case_id, RetrofitPhoto.deleted_at.is_(None))
        .group_by(RetrofitPhoto.stage, RetrofitPhoto.item_id)
    ):
        if stage == PhotoStage.BEFORE.value:
            before += n
        elif item_id is not None:
            after[item_id] = after.get(item_id, 0) + n
    return PhotoCount(before, after)


def _photos_lacking(session: Session, row: RetrofitCase, stage: PhotoStage) -> str:
    """Why the step needing `stage` photos is refused ("" when the photos are there or a
    supervisor recorded why not): `caseworker.domain.retrofit.missing_photos`."""
    waived = row.photos_waived_before if stage is PhotoStage.BEFORE else row.photos_waived_after
    items = [(i.id, i.name) for i in _item_rows(session, row.id)]
    return missing_photos(stage, items, _photo_count(session, row.id), waived)


def waive_photos(
    session: Session,
    actor: Actor,
    case_id: str,
    stage: PhotoStage,
    reason: str,
    *,
    today: date | None = None,
) -> CaseInfo:
    """A supervisor records why the before (or after) photos are not taken (the household
    refused, the item is a walking stick handed over at the office…); the step may then go on
    without them. The note stays on the case, with who and when."""
    if not actor.can(Permission.RETROFIT_APPROVE):
        raise PermissionDenied("免拍照片须由科长登记原因")
    day = today_or(today)
    row = _load(session, case_id)
    text = clean(reason, "不拍照片的原因", "reason", 200, required=True)
    if len(text) < 4:
        raise ValidationError("请写明不拍照片的原因（至少 4 个字）", field="reason")
    value = waiver_text(text, actor.display_name, day)
    if PhotoStage(stage) is PhotoStage.BEFORE:
        row.photos_waived_before = value
    else:
        row.photos_waived_after = value
    session.flush()
    return _info(session, row, day)


def _note(request: StepRequest) -> str:
    if request.action is Action.ACCEPT and request.signed_by.strip():
        return f"签字：{request.signed_by.strip()}"
    return ""


def _apply_effects(
    session: Session,
    actor: Actor,
    row: RetrofitCase,
    r: StepRequest,
    on: date,
    reason: str,
) -> None:
    a = r.action
    if a is Action.CHECK:
        rule = eligibility(decode_categories(row.categories), row.birth_date, on)
        row.eligible, row.eligibility_reason = rule.eligible, rule.reason
    elif a is Action.SUBMIT:
        items = _item_rows(session, row.id)
        if not items:
            raise ValidationError("评估还没有任何改造项目，请先在评估表中添加项目", field="items")
        _refresh_prices(session, items, on)
        row.assessed_on, row.assessed_by_id = on, actor.staff_id
        row.assessed_by_name = actor.display_name
        if reason:
            row.assessment_note = reason
    elif a is Action.APPROVE:
        row.approved_on, row.approved_by_name = on, actor.display_name
        row.household_cap_fen = catalogue.household_cap_fen(session, on)
        totals = compute(
            [
                Line(i.basic, i.quantity_centi, i.unit_price_fen, i.unit_cap_fen)
                for i in _item_rows(session, row.id)
            ],
            row.eligible,
            row.household_cap_fen,
        )
        row.cost_fen, row.subsidy_fen = totals.cost_fen, totals.subsidy_fen
        row.household_fen = totals.household_fen
    elif a is Action.START:
        _start(session, row, r, on)
    elif a is Action.FINISH:
        if row.construction_start and on < row.construction_start:
            raise ValidationError("施工完成日期不能早于开工日期", field="on")
        row.construction_done_on = on
    elif a is Action.ACCEPT:
        row.accepted_on, row.accepted_by_name = on, actor.display_name
        row.signed_by = clean(r.signed_by, "签字人", "signed_by", 60, required=True)
        row.closed_on = on
    elif a is Action.FAIL:
        row.construction_done_on = None
    elif a in (Action.REJECT, Action.WITHDRAW, Action.TERMINATE):
        row.closed_on, row.closed_reason = on, reason


def _start(session: Session, row: RetrofitCase, r: StepRequest, on: date) -> None:
    contractor = session.get(RetrofitContractor, r.contractor_id) if r.contractor_id else None
    if contractor is None or contractor.deleted_at is not None:
        raise ValidationError(
            "请选择施工单位（没有可选的单位时，请先在“施工单位”页登记）", field="contractor_id"
        )
    start = r.start or on
    if r.planned_end is None:
        raise ValidationError("请填写计划完工日期", field="planned_end")
    if r.planned_end < start:
        raise ValidationError("计划完工日期不能早于开工日期", field="planned_end")
    if row.approved_on and start < row.approved_on:
        raise ValidationError("开工日期不能早于审批日期", field="start")
    row.contractor_id, row.construction_start, row.planned_end = contractor.id, start, r.planned_end


def _refresh_prices(session: Session, items: list[RetrofitAssessmentItem], on: date) -> None:
    """At submission the items take the catalogue's prices in force on the day of submission;
    from then on they keep them (the supervisor approves exactly what was submitted)."""
    for i in items:
        current = catalogue.item(session, i.item_code, on)
        for key, value in (
            ("unit_price_fen", current.price_fen),
            ("unit_cap_fen", current.cap_fen if current.basic else 0),
            ("basic", current.basic),
        ):
            if getattr(i, key) != value:
                setattr(i, key, value)
