"""The child register (儿童台账): children, guardians, conditions with evidence, categories.

Categories are decided by `caseworker.domain.children.evaluate` from the recorded conditions.
A category that starts to hold when a condition is recorded is added with its reason; one that
stops holding (a parent released) stays recorded and is flagged for review until a child-role
person removes it with a reason. Opening a child's page writes a view-log row.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseworker.domain import children as rules
from caseworker.domain import idnumber
from caseworker.domain.children import (
    ChildCategory,
    ChildFact,
    Finding,
    ParentCondition,
    Review,
)
from caseworker.domain.errors import NotFound, ValidationError
from caseworker.domain.person import OfPerson, Person, name_columns, person_of, typed_id
from caseworker.domain.roles import Actor, Role
from caseworker.services.audit import AuditRow, _history_rows
from caseworker.services.children import keys
from caseworker.services.children._common import (
    can_edit,
    can_view,
    check_community,
    check_on_register,
    clean,
    clean_multiline,
    clean_phone,
    load_child,
    load_of_child,
    log_view,
    scope,
    supervisor_only,
    today_or,
)
from db.children import ENCRYPTED_COLUMNS, Child, ChildCase, ChildCondition, ChildGuardian
from db.ids import new_id
from db.models import Community, Staff

# -- children ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildDraft:
    name: str
    id_number: str
    community_id: str
    address: str = ""
    phone: str = ""
    school: str = ""
    grade: str = ""
    living_arrangement: str = ""
    director_staff_id: str | None = None
    notes: str = ""  # encrypted at rest
    registered_on: date | None = None  # default today


@dataclass(frozen=True)
class ChildInfo(OfPerson):
    id: str
    person: Person  # name, ID number (and masked), birth date, sex, phone
    age: int
    turns_18_on: date
    age_warning: str
    community_id: str
    community_name: str
    address: str
    address_masked: str
    school: str
    grade: str
    living_arrangement: str
    categories: frozenset[ChildCategory]
    categories_note: str
    registered_on: date
    status: str  # 在册 / 离册
    director_staff_id: str | None
    director_name: str | None
    notes: str  # decrypted, or a placeholder when this session holds no key
    left_on: date | None = None  # the first day off the register (离册)
    left_reason: str = ""
    left_note: str = ""

    @property
    def on_register(self) -> bool:
        return self.status != rules.LEFT_REGISTER


@dataclass(frozen=True)
class RegisterResult:
    child: ChildInfo
    created: bool  # False: the ID number was already registered; that child is returned
    warning: str  # e.g. turning 18 soon


def _info(session: Session, actor: Actor, c: Child, today: date) -> ChildInfo:
    community = session.get(Community, c.community_id)
    director = session.get(Staff, c.director_staff_id) if c.director_staff_id else None
    age = rules.check_age(c.birth_date, today)
    return ChildInfo(
        id=c.id,
        person=person_of(c),
        age=age.age,
        turns_18_on=age.turns_18_on,
        age_warning=age.message,
        community_id=c.community_id,
        community_name=community.name if community else "",
        address=c.address,
        address_masked=rules.mask_address(c.address),
        school=c.school,
        grade=c.grade,
        living_arrangement=c.living_arrangement,
        categories=rules.decode_categories(c.categories),
        categories_note=c.categories_note,
        registered_on=c.registered_on,
        status=c.status,
        director_staff_id=c.director_staff_id,
        director_name=director.display_name if director else None,
        notes=keys.read_text(actor, "child", "notes", c.id, c.notes),
        left_on=c.status_date if c.status == rules.LEFT_REGISTER else None,
        left_reason=c.left_reason,
        left_note=c.left_note,
    )


def parse_child_id(text: str, today: date) -> tuple[idnumber.IdNumber, str]:
    """A valid ID number of someone under 18 today; the second value is the age warning."""
    parsed = typed_id(text, today)
    check = rules.check_age(parsed.birth_date, today)
    if not check.allowed:
        raise ValidationError(f"身份证号 {parsed.masked}：{check.message}", field="id_number")
    return parsed, check.message


def _community_director(session: Session, community_id: str, actor: Actor) -> str | None:
    """The 儿童主任 of a community (DOMAIN: one per community or village): the person acting when
    they are that community's director, else its active director account (the first by user
    name when, during a handover, there are two); None when the community has none."""
    if actor.role is Role.CHILD_DIRECTOR and actor.community_id == community_id:
        return actor.staff_id
    return session.scalar(
        select(Staff.id)
        .where(
            Staff.role == Role.CHILD_DIRECTOR.value,
            Staff.community_id == community_id,
            Staff.disabled.is_(False),
            Staff.deleted_at.is_(None),
        )
        .order_by(Staff.username)
        .limit(1)
    )


def _director_for(
    session: Session, actor: Actor, community_id: str, chosen: str | None, current: str | None
) -> str | None:
    """Who looks after the child: the one chosen; else the one they have, while that person is
    still the director of the child's community; else the community's director."""
    if chosen:
        return chosen
    if current:
        staff = session.get(Staff, current)
        if staff is not None and staff.community_id == community_id and not staff.disabled:
            return current
    return _community_director(session, community_id, actor)


def _check_fields(session: Session, actor: Actor, d: ChildDraft) -> dict[str, Any]:
    if session.get(Community, d.community_id) is None:
        raise ValidationError("请选择所在社区/村", field="community_id")
    check_community(actor, d.community_id)
    if d.director_staff_id and session.get(Staff, d.director_staff_id) is None:
        raise ValidationError("所选的儿童主任账号不存在", field="director_staff_id")
    if d.living_arrangement and d.living_arrangement not in rules.LIVING_ARRANGEMENTS:
        raise ValidationError(
            f"居住情况只能选 {'、'.join(rules.LIVING_ARRANGEMENTS)}", field="living_arrangement"
        )
    name = clean(d.name, "姓名", "name", 60, required=True)
    return {
        "name": name,
        **name_columns(name),
        "community_id": d.community_id,
        "address": clean(d.address, "住址", "address", 200),
        "phone": clean_phone(d.phone, "联系电话", "phone"),
        "school": clean(d.school, "学校", "school", 100),
        "grade": clean(d.grade, "年级", "grade", 20),
        "living_arrangement": d.living_arrangement,
        "director_staff_id": d.director_staff_id or None,
    }


def register(
    session: Session, actor: Actor, draft: ChildDraft, *, today: date | None = None
) -> RegisterResult:
    """Add a child (under 18 by the ID number); an ID already registered returns that child."""
    can_edit(actor)
    day = today_or(today)
    parsed, warning = parse_child_id(draft.id_number, day)
    existing = session.scalar(select(Child).where(Child.id_number == parsed.value))
    if existing is not None:
        visible = session.scalar(select(Child.id).where(Child.id == existing.id, scope(actor)))
        if visible is None:
            raise ValidationError(
                f"身份证号 {parsed.masked} 已在其他社区登记，请联系儿童督导员", field="id_number"
            )
        return RegisterResult(_info(session, actor, existing, day), False, warning)
    values = _check_fields(session, actor, draft)
    # A new child has a 儿童主任 from the start: the community's (issue 18: none was set).
    values["director_staff_id"] = _director_for(
        session, actor, draft.community_id, draft.director_staff_id, None
    )
    registered = draft.registered_on or day
    if registered > day:
        raise ValidationError("登记日期不能晚于今天", field="registered_on")
    notes = clean_multiline(draft.notes, "备注", "notes")
    row = Child(
        id=new_id(),
        id_number=parsed.value,
        birth_date=parsed.birth_date,
        sex=parsed.sex,
        registered_on=registered,
        **values,
    )
    if notes:
        row.notes = keys.seal_text(keys.require(actor), "child", "notes", row.id, notes)
    session.add(row)
    session.flush()
    return RegisterResult(_info(session, actor, row, day), True, warning)


def update(
    session: Session, actor: Actor, child_id: str, draft: ChildDraft, *, today: date | None = None
) -> ChildInfo:
    """Change a child's details (the ID number may be corrected: still unique, still under 18)."""
    can_edit(actor)
    day = today_or(today)
    row = load_child(session, actor, child_id)
    parsed, _warning = parse_child_id(draft.id_number, day)
    if parsed.value != row.id_number:
        clash = session.scalar(select(Child.id).where(Child.id_number == parsed.value))
        if clash is not None:
            raise ValidationError(f"身份证号 {parsed.masked} 已经登记过", field="id_number")
        row.id_number, row.birth_date, row.sex = parsed.value, parsed.birth_date, parsed.sex
    values = _check_fields(session, actor, draft)
    values["director_staff_id"] = _director_for(
        session, actor, draft.community_id, draft.director_staff_id, row.director_staff_id
    )
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
    notes = clean_multiline(draft.notes, "备注", "notes")
    current = keys.read_text(actor, "child", "notes", row.id, row.notes)
    locked = keys.unlocked(actor) is None
    if locked and notes not in ("", keys.LOCKED_TEXT):
        keys.require(actor)  # refuses: a locked session cannot write narrative
    if not locked and notes != current:
        row.notes = keys.seal_text(keys.require(actor), "child", "notes", row.id, notes)
    session.flush()
    return _info(session, actor, row, day)


def get(session: Session, actor: Actor, child_id: str, *, today: date | None = None) -> ChildInfo:
    """A child's details without logging a view (for forms that follow an opened page)."""
    return _info(session, actor, load_child(session, actor, child_id), today_or(today))


def find_by_id_number(
    session: Session, actor: Actor, text: str, *, today: date | None = None
) -> ChildInfo | None:
    """The child with this ID number within the actor's scope, or None."""
    can_view(actor)
    value = idnumber.value_of(text)
    if value is None:
        return None
    row = session.scalar(select(Child).where(Child.id_number == value, scope(actor)))
    return None if row is None else _info(session, actor, row, today_or(today))


# -- guardians -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GuardianDraft:
    relation: str
    name: str
    id_number: str = ""
    phone: str = ""
    address: str = ""
    lives_with_child: bool = False
    is_guardian: bool = False


@dataclass(frozen=True)
class GuardianInfo:
    id: str
    relation: str
    name: str
    id_number: str
    phone: str
    address: str
    lives_with_child: bool
    is_guardian: bool


def _guardian_info(g: ChildGuardian) -> GuardianInfo:
    return GuardianInfo(
        g.id, g.relation, g.name, g.id_number, g.phone, g.address, g.lives_with_child, g.is_guardian
    )


def _guardian_values(session: Session, child_id: str, d: GuardianDraft, own: str | None) -> dict:
    if d.relation not in rules.RELATIONS:
        raise ValidationError(f"关系只能选 {'、'.join(rules.RELATIONS)}", field="relation")
    if d.relation in rules.PARENT_RELATIONS:
        twin = session.scalar(
            select(ChildGuardian.id).where(
                ChildGuardian.child_id == child_id,
                ChildGuardian.relation == d.relation,
                ChildGuardian.deleted_at.is_(None),
                ChildGuardian.id != (own or ""),
            )
        )
        if twin is not None:
            raise ValidationError(f"已经登记了{d.relation}", field="relation")
    id_value = ""
    if d.id_number.strip():
        id_value = typed_id(d.id_number, field="guardian_id_number").value
    name = clean(d.name, "姓名", "guardian_name", 60, required=True)
    return {
        "relation": d.relation,
        "name": name,
        **name_columns(name, sort_key=False),
        "id_number": id_value,
        "phone": clean_phone(d.phone, "电话", "guardian_phone"),
        "address": clean(d.address, "住址", "guardian_address", 200),
        "lives_with_child": bool(d.lives_with_child),
        "is_guardian": bool(d.is_guardian),
    }


def add_guardian(session: Session, actor: Actor, child_id: str, d: GuardianDraft) -> GuardianInfo:
    can_edit(actor)
    child = load_child(session, actor, child_id)
    row = ChildGuardian(child_id=child.id, **_guardian_values(session, child.id, d, None))
    session.add(row)
    session.flush()
    return _guardian_info(row)


def update_guardian(
    session: Session, actor: Actor, guardian_id: str, d: GuardianDraft
) -> GuardianInfo:
    can_edit(actor)
    row = _load_guardian(session, actor, guardian_id)
    for key, value in _guardian_values(session, row.child_id, d, row.id).items():
        if getattr(row, key) != value:
            setattr(row, key, value)
    session.flush()
    return _guardian_info(row)


def _load_guardian(session: Session, actor: Actor, guardian_id: str) -> ChildGuardian:
    missing = "找不到这位监护人，或不在您负责的社区"
    return load_of_child(session, actor, ChildGuardian, guardian_id, missing)


def guardians_of(session: Session, actor: Actor, child_id: str) -> list[GuardianInfo]:
    child = load_child(session, actor, child_id)
    rows = session.scalars(
        select(ChildGuardian)
        .where(ChildGuardian.child_id == child.id, ChildGuardian.deleted_at.is_(None))
        .order_by(ChildGuardian.created_at)
    )
    return [_guardian_info(g) for g in rows]


# -- conditions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConditionDraft:
    """A parent's condition (guardian_id = the parent) or a fact about the child (None)."""

    guardian_id: str | None
    kind: str
    start_on: date | None
    evidence_kind: str
    evidence_issuer: str
    evidence_date: date
    evidence_number: str = ""
    evidence_description: str = ""  # encrypted at rest
    end_on: date | None = None
    disability_kind: str = ""
    disability_grade: int | None = None


@dataclass(frozen=True)
class ConditionInfo:
    id: str
    guardian_id: str | None
    subject: str  # 父亲 / 母亲 / 儿童本人
    kind: str
    start_on: date | None
    end_on: date | None
    ended_on: date | None
    ended_reason: str
    disability_kind: str
    disability_grade: int | None
    evidence_kind: str
    evidence_issuer: str
    evidence_number: str
    evidence_date: date
    evidence_description: str
    recorded_by: str
    status: rules.ConditionStatus


def _as_rule(c: ChildCondition) -> rules.Condition:
    return rules.Condition(
        c.kind, c.start_on, c.end_on, c.ended_on, c.disability_kind, c.disability_grade
    )


def _condition_info(actor: Actor, c: ChildCondition, subject: str) -> ConditionInfo:
    return ConditionInfo(
        c.id,
        c.guardian_id,
        subject,
        c.kind,
        c.start_on,
        c.end_on,
        c.ended_on,
        c.ended_reason,
        c.disability_kind,
        c.disability_grade,
        c.evidence_kind,
        c.evidence_issuer,
        c.evidence_number,
        c.evidence_date,
        keys.read_text(
            actor, "child_condition", "evidence_description", c.id, c.evidence_description
        ),
        c.recorded_by,
        rules.condition_status(_as_rule(c)),
    )


def _facts_of_many(session: Session, children: list[Child]) -> dict[str, rules.ChildFacts]:
    """The rules' facts for several children in two queries (ids bounded by the caller)."""
    ids = [c.id for c in children]
    relations = dict(
        session.execute(
            select(ChildGuardian.id, ChildGuardian.relation).where(
                ChildGuardian.child_id.in_(ids), ChildGuardian.deleted_at.is_(None)
            )
        ).all()
    )
    parts: dict[str, tuple[list, list, list]] = {i: ([], [], []) for i in ids}
    for c in session.scalars(
        select(ChildCondition)
        .where(ChildCondition.child_id.in_(ids), ChildCondition.deleted_at.is_(None))
        .order_by(ChildCondition.created_at)
    ):
        father, mother, own = parts[c.child_id]
        relation = relations.get(c.guardian_id or "", "") if c.guardian_id else ""
        if relation == "父亲":
            father.append(_as_rule(c))
        elif relation == "母亲":
            mother.append(_as_rule(c))
        elif c.guardian_id is None:
            own.append(_as_rule(c))
    return {c.id: rules.ChildFacts(c.birth_date, *parts[c.id]) for c in children}


def _facts(
    session: Session, child: Child
) -> tuple[rules.ChildFacts, list[tuple[ChildCondition, str]]]:
    guardians = {
        g.id: g.relation
        for g in session.scalars(
            select(ChildGuardian).where(
                ChildGuardian.child_id == child.id, ChildGuardian.deleted_at.is_(None)
            )
        )
    }
    conds = list(
        session.scalars(
            select(ChildCondition)
            .where(ChildCondition.child_id == child.id, ChildCondition.deleted_at.is_(None))
            .order_by(ChildCondition.created_at)
        )
    )
    father, mother, own = [], [], []
    labelled: list[tuple[ChildCondition, str]] = []
    for c in conds:
        relation = guardians.get(c.guardian_id or "", "") if c.guardian_id else "儿童本人"
        labelled.append((c, relation))
        if relation == "父亲":
            father.append(_as_rule(c))
        elif relation == "母亲":
            mother.append(_as_rule(c))
        elif c.guardian_id is None:
            own.append(_as_rule(c))
    return rules.ChildFacts(child.birth_date, father, mother, own), labelled


def _refresh_categories(session: Session, child: Child, today: date) -> None:
    """Add what now holds; never remove (a lapsed category waits for review)."""
    facts, _ = _facts(session, child)
    now_holding = rules.holding(rules.evaluate(facts, today))
    recorded = rules.decode_categories(child.categories)
    merged = rules.encode_categories(recorded | now_holding)
    if merged != child.categories:
        child.categories = merged
        session.flush()


def add_condition(  # noqa: C901
    session: Session,
    actor: Actor,
    child_id: str,
    d: ConditionDraft,
    *,
    today: date | None = None,
) -> ConditionInfo:
    """Record a condition with its evidence; categories that now hold are added with it."""
    can_edit(actor)
    day = today_or(today)
    child = load_child(session, actor, child_id)
    check_on_register(child, day, "情形")
    subject = "儿童本人"
    if d.guardian_id:
        guardian = session.scalar(
            select(ChildGuardian).where(
                ChildGuardian.id == d.guardian_id,
                ChildGuardian.child_id == child.id,
                ChildGuardian.deleted_at.is_(None),
            )
        )
        if guardian is None:
            raise ValidationError("请选择父亲或母亲", field="guardian_id")
        if guardian.relation not in rules.PARENT_RELATIONS:
            raise ValidationError("父母情形只能登记在父亲或母亲名下", field="guardian_id")
        if d.kind not in {k.value for k in ParentCondition}:
            raise ValidationError(f"“{d.kind}”不是父母的情形", field="kind")
        subject = guardian.relation
    elif d.kind not in {k.value for k in ChildFact}:
        raise ValidationError(f"“{d.kind}”不是儿童本人或家庭的情形", field="kind")
    if d.start_on is None:
        raise ValidationError("请填写起始日期（死亡、判决、报案、证明等日期）", field="start_on")
    if d.start_on > day:
        raise ValidationError("起始日期不能晚于今天", field="start_on")
    if d.end_on is not None and d.end_on < d.start_on:
        raise ValidationError("截止日期不能早于起始日期", field="end_on")
    if d.kind == ParentCondition.SEVERE_DISABILITY or d.kind == ChildFact.DISABILITY:
        if d.disability_grade is None or not 1 <= d.disability_grade <= 4:
            raise ValidationError("请填写残疾等级（一至四级）", field="disability_grade")
        if d.disability_kind not in rules.DISABILITY_KINDS:
            raise ValidationError(
                f"残疾类别只能选 {'、'.join(rules.DISABILITY_KINDS)}", field="disability_kind"
            )
    if d.evidence_kind not in rules.EVIDENCE_KINDS:
        raise ValidationError("请选择证明材料种类", field="evidence_kind")
    if d.evidence_date > day:
        raise ValidationError("证明日期不能晚于今天", field="evidence_date")
    unfit = rules.check_evidence(d.kind, d.evidence_kind, d.evidence_date, d.start_on, d.end_on)
    if unfit is not None:
        raise ValidationError(unfit.reason, field=unfit.field)
    row = ChildCondition(
        id=new_id(),
        child_id=child.id,
        guardian_id=d.guardian_id or None,
        kind=d.kind,
        start_on=d.start_on,
        end_on=d.end_on,
        disability_kind=d.disability_kind if d.disability_grade else "",
        disability_grade=d.disability_grade,
        evidence_kind=d.evidence_kind,
        evidence_issuer=clean(d.evidence_issuer, "出具单位", "evidence_issuer", 100, True),
        evidence_number=clean(d.evidence_number, "文书编号", "evidence_number", 60),
        evidence_date=d.evidence_date,
        recorded_by=actor.display_name,
    )
    text = clean_multiline(d.evidence_description, "证明说明", "evidence_description")
    if text:
        row.evidence_description = keys.seal_text(
            keys.require(actor), "child_condition", "evidence_description", row.id, text
        )
    session.add(row)
    session.flush()
    _refresh_categories(session, child, day)
    return _condition_info(actor, row, subject)


def end_condition(
    session: Session,
    actor: Actor,
    condition_id: str,
    ended_on: date,
    reason: str,
    *,
    today: date | None = None,
) -> ConditionInfo:
    """A condition stopped (released, found, recovered): the category it supported is flagged
    for review, not removed."""
    can_edit(actor)
    day = today_or(today)
    row = session.scalar(
        select(ChildCondition)
        .join(Child, Child.id == ChildCondition.child_id)
        .where(ChildCondition.id == condition_id, ChildCondition.deleted_at.is_(None), scope(actor))
    )
    if row is None:
        raise NotFound("找不到这条情形记录，或不在您负责的社区")
    if ended_on > day:
        raise ValidationError("结束日期不能晚于今天", field="ended_on")
    if row.start_on and ended_on < row.start_on:
        raise ValidationError("结束日期不能早于起始日期", field="ended_on")
    row.ended_on = ended_on
    row.ended_reason = clean(reason, "结束原因", "ended_reason", 100, required=True)
    session.flush()
    subject = "儿童本人"
    if row.guardian_id:
        g = session.get(ChildGuardian, row.guardian_id)
        subject = g.relation if g else ""
    return _condition_info(actor, row, subject)


# -- categories ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryState:
    recorded: frozenset[ChildCategory]
    findings: tuple[Finding, ...]
    review: Review


def categories_of(
    session: Session, actor: Actor, child_id: str, *, today: date | None = None
) -> CategoryState:
    day = today_or(today)
    child = load_child(session, actor, child_id)
    facts, _ = _facts(session, child)
    findings = rules.evaluate(facts, day)
    recorded = rules.decode_categories(child.categories)
    return CategoryState(recorded, findings, rules.review(recorded, findings, day))


def confirm_new(
    session: Session, actor: Actor, child_id: str, *, today: date | None = None
) -> CategoryState:
    """Record the categories that hold today but are not recorded yet (e.g. on the day a
    parent's 6 months of being unreachable are complete)."""
    can_edit(actor)
    day = today_or(today)
    _refresh_categories(session, load_child(session, actor, child_id), day)
    return categories_of(session, actor, child_id, today=day)


def remove_category(
    session: Session,
    actor: Actor,
    child_id: str,
    category: ChildCategory,
    reason: str,
    *,
    today: date | None = None,
) -> CategoryState:
    """Resolve a review: take off a category that no longer holds, saying why."""
    can_edit(actor)
    day = today_or(today)
    child = load_child(session, actor, child_id)
    state = categories_of(session, actor, child_id, today=day)
    cat = ChildCategory(category)
    if cat not in state.recorded:
        raise ValidationError(f"此儿童未登记为“{cat.value}”")
    if any(f.category is cat and f.holds for f in state.findings):
        raise ValidationError(f"“{cat.value}”的条件仍然符合，不能移除")
    text = clean(reason, "移除原因", "reason", 200, required=True)
    child.categories = rules.encode_categories(state.recorded - {cat})
    child.categories_note = f"{day:%Y-%m-%d} 移除“{cat.value}”：{text}（{actor.display_name}）"[
        :300
    ]
    session.flush()
    return categories_of(session, actor, child_id, today=day)


# -- leaving the register (离册) -------------------------------------------------------------------


def leave(
    session: Session,
    actor: Actor,
    child_id: str,
    reason: rules.LeaveReason,
    on: date,
    note: str = "",
    *,
    today: date | None = None,
) -> ChildInfo:
    """The child leaves the register (年满18周岁, 迁出, 被收养, 死亡, 不再符合保障条件, 其他) on `on`,
    the first day off it. The child's open cases are closed with the same reason on that day
    (or on the day a later case was reported) in this transaction; the record and its history
    stay. The child supervisor's decision, as closing a case is."""
    from caseworker.services.children import cases as case_service

    supervisor_only(actor, "儿童离册")
    day = today_or(today)
    child = load_child(session, actor, child_id)
    if child.status == rules.LEFT_REGISTER:
        raise ValidationError(
            f"这名儿童已于 {child.status_date:%Y-%m-%d} 离册（{child.left_reason}）", field="reason"
        )
    text = clean(note, "离册说明", "note", 200)
    try:
        why = rules.LeaveReason(reason)
        rules.check_leave(why, on, child.birth_date, child.registered_on, day, text)
    except (ValueError, rules.LeaveRefused) as exc:
        message = str(exc) if isinstance(exc, rules.LeaveRefused) else "请选择离册原因"
        raise ValidationError(message, field="on" if "日期" in message else "reason") from None
    for case in session.scalars(
        select(ChildCase).where(
            ChildCase.child_id == child.id,
            ChildCase.step != rules.CaseStep.CLOSED.value,
            ChildCase.deleted_at.is_(None),
        )
    ).all():
        case_service.close(
            session,
            actor,
            case.id,
            max(on, case.reported_on),
            why.closes_with,
            f"儿童离册：{text}" if text else "儿童离册",
            today=day,
        )
    child.status = rules.LEFT_REGISTER
    child.status_date = on
    child.left_reason = why.value
    child.left_note = text
    session.flush()
    return _info(session, actor, child, day)


def rejoin(
    session: Session,
    actor: Actor,
    child_id: str,
    on: date,
    note: str,
    *,
    today: date | None = None,
) -> ChildInfo:
    """Back on the register (a leave recorded in error, a child who moved back): under 18 only,
    with the reason; the leave stays in the record's history."""
    supervisor_only(actor, "恢复在册")
    day = today_or(today)
    child = load_child(session, actor, child_id)
    if child.status != rules.LEFT_REGISTER:
        raise ValidationError("这名儿童在册，不需要恢复", field="on")
    text = clean(note, "恢复在册原因", "note", 200, required=True)
    if on > day:
        raise ValidationError("恢复在册日期不能晚于今天", field="on")
    if child.status_date is not None and on < child.status_date:
        raise ValidationError(
            f"恢复在册日期不能早于离册日期 {child.status_date:%Y-%m-%d}", field="on"
        )
    check = rules.check_age(child.birth_date, on)
    if not check.allowed:
        raise ValidationError(check.message, field="on")
    child.status = rules.ON_REGISTER
    child.status_date = on
    child.left_note = f"{on:%Y-%m-%d} 恢复在册：{text}（原离册原因：{child.left_reason}）"[:300]
    child.left_reason = ""
    session.flush()
    return _info(session, actor, child, day)


def _leave_proposal(
    session: Session, child: Child, facts: rules.ChildFacts, today: date
) -> rules.LeaveProposal | None:
    """What the register proposes for this child (离册 at 18, or once every category ended)."""
    if child.status == rules.LEFT_REGISTER:
        return None
    open_cases = (
        session.scalar(
            select(func.count())
            .select_from(ChildCase)
            .where(
                ChildCase.child_id == child.id,
                ChildCase.step != rules.CaseStep.CLOSED.value,
                ChildCase.deleted_at.is_(None),
            )
        )
        or 0
    )
    findings = rules.evaluate(facts, today)
    return rules.leave_proposal(
        child.birth_date,
        findings,
        rules.decode_categories(child.categories),
        facts,
        open_cases,
        today,
    )


# -- the child's page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildDetail:
    child: ChildInfo
    guardians: tuple[GuardianInfo, ...]
    conditions: tuple[ConditionInfo, ...]
    categories: CategoryState
    cases: tuple  # tuple[cases.CaseSummary, ...], newest first
    visits: tuple  # tuple[cases.VisitInfo, ...], newest first
    history: tuple[AuditRow, ...]  # the child record's journal, narrative values hidden
    opened_at: datetime
    leave_proposal: rules.LeaveProposal | None = None  # 离册 proposed (at 18, categories ended)


def _history(session: Session, table: str, record_id: str) -> list[AuditRow]:
    """The record's history (the caller has loaded it in scope and logged the opening)."""
    hidden = ENCRYPTED_COLUMNS.get(table, frozenset())
    out = []
    for row in _history_rows(session, table, record_id):
        if row.field in hidden:
            row = replace(row, old_value="（保密）" if row.old_value else "", new_value="（保密）")
        elif row.op == "insert":
            row = replace(row, new_value=_strip_cipher(row.new_value))
        out.append(row)
    return out


def _strip_cipher(text: str) -> str:
    return "；".join(part for part in text.split("；") if keys.PREFIX not in part)


def detail(
    session: Session,
    actor: Actor,
    child_id: str,
    *,
    today: date | None = None,
    action: str | None = "打开档案",
) -> ChildDetail:
    """A child's page: details, guardians, conditions with evidence, categories, cases, visits,
    the record's history. Writes a view-log row (call it inside a writer session); `action=None`
    only for refreshing a page already opened (and logged) in the same session."""
    from caseworker.services.children import cases as case_service

    day = today_or(today)
    child = load_child(session, actor, child_id)
    if action is not None:
        log_view(session, actor, child.id, action)
    facts, labelled = _facts(session, child)
    findings = rules.evaluate(facts, day)
    recorded = rules.decode_categories(child.categories)
    return ChildDetail(
        _info(session, actor, child, day),
        tuple(guardians_of(session, actor, child.id)),
        tuple(_condition_info(actor, c, subject) for c, subject in labelled),
        CategoryState(recorded, findings, rules.review(recorded, findings, day)),
        tuple(case_service.cases_of(session, actor, child.id)),
        tuple(case_service.visits_of(session, actor, child.id)),
        tuple(_history(session, "child", child.id)),
        datetime.now(),
        _leave_proposal(session, child, facts, day),
    )
