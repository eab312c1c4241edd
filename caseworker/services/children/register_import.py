"""Import the office's child register (儿童台账) from Excel, as the elderly roster imports:
.xlsx, .xls or a GB18030/UTF-8 CSV; title rows, merged headers (父亲 / 母亲 / 监护人 over their
columns), a sheet per community; a preview with a report of every row; all or nothing after
a backup; importing the same file again changes nothing.

Only child-protection roles import (a child director: their own community's rows only), and
every child the import writes gets a `child_view_log` row (导入台账): it is a view of the
record like opening its page. What a row brings:

- the child (ID number: valid, under 18; the key), the address, school, living arrangement,
  登记日期, and 备注 (sealed like every narrative);
- the father, the mother and a guardian, each with name, ID number and phone;
- each parent's situation (服刑, 重残（肢体一级）, 失联…) and the child's or family's (低保,
  本人残疾…) with its start (and a decided end), the evidence kind, its date, issuer and
  number. A situation is recorded only with its start date and evidence that fits it
  (`caseworker.domain.children.check_evidence`); otherwise the row is still imported and the
  report says which situation was not, and why;
- the 儿童类别 as the 台账 has them. The categories the recorded situations prove are added
  by the rules, as when typed; a category the 台账 names that no recorded situation proves is
  recorded as the 台账 has it and, since the rules do not hold it, appears in the category
  review list (类别复核) until a child-role person adds its evidence or removes it. Nothing is
  ever removed by an import.

An existing child (same ID number) is compared field by field: the policy (update / skip /
mark) decides for changed fields; guardians, situations and categories the file adds are
added (never removed, never overwritten).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseworker.domain import children as rules
from caseworker.domain import idnumber
from caseworker.domain.children import ChildCategory, ChildFact, ParentCondition
from caseworker.domain.errors import ValidationError
from caseworker.domain.person import name_columns
from caseworker.domain.roles import Actor, Role
from caseworker.domain.roster_columns import (
    CHILDREN,
    read_child_categories,
    read_condition,
    word_key,
)
from caseworker.domain.tabular import Cell, CellRefused, id_number_text, phone_text, split_words
from caseworker.services.children import keys, register
from caseworker.services.children._common import can_edit, scope
from caseworker.services.tabular import importing
from caseworker.services.tabular.applying import importer
from caseworker.services.tabular.headers import Layout
from caseworker.services.tabular.importing import Context, Progress, date_of, text, value
from caseworker.services.tabular.preview import (
    ExistingPolicy,
    FieldChange,
    ImportOptions,
    ImportPreview,
    ImportResult,
    RowReading,
    RowStatus,
    save_report,  # noqa: F401  (the row report is the roster's, re-exported)
)
from db.base import Journaled, utcnow
from db.children import Child, ChildCondition, ChildGuardian, ChildViewLog
from db.ids import new_ids
from db.journal import insert_many
from db.models import Community

SPEC = CHILDREN
VIEW_ACTION = "导入台账"
ISSUER_UNKNOWN = "台账未载明"
CHUNK = 2000  # records per insert_many (each one executemany)
CHILD_FIELDS = ("name", "address", "phone", "school", "grade", "living_arrangement")
FIELD_LABELS = {
    "name": "姓名",
    "community_id": "社区/村",
    "address": "住址",
    "phone": "联系电话",
    "school": "学校",
    "grade": "年级",
    "living_arrangement": "居住情况",
    "registered_on": "登记日期",
}
# Evidence as offices write it → the product's kind (the longest word the cell holds wins).
EVIDENCE_WORDS: dict[str, str] = {
    **{k: k for k in rules.EVIDENCE_KINDS if k != "其他"},
    "死亡证": "死亡证明",
    "医学死亡证明": "死亡证明",
    "户籍注销证明": "死亡证明",
    "判决书": "法院判决书/裁定书",
    "裁定书": "法院判决书/裁定书",
    "法院判决": "法院判决书/裁定书",
    "残疾证": "残疾人证",
    "残疾人证": "残疾人证",
    "诊断证明": "医院诊断证明",
    "病历": "医院诊断证明",
    "报案回执": "公安机关报案回执/证明",
    "派出所证明": "公安机关报案回执/证明",
    "公安证明": "公安机关报案回执/证明",
    "戒毒决定书": "强制隔离戒毒决定书",
    "服刑证明": "羁押/服刑证明",
    "在押证明": "羁押/服刑证明",
    "羁押证明": "羁押/服刑证明",
    "遣送证明": "遣送出境证明",
    "低保证": "低保/特困证",
    "特困证": "低保/特困证",
    "低收入证明": "低收入家庭认定证明",
    "居委会证明": "村（居）委会证明",
    "村委会证明": "村（居）委会证明",
    "社区证明": "村（居）委会证明",
}
RELATION_WORDS = {
    "爷爷": "祖父",
    "奶奶": "祖母",
    "外公": "外祖父",
    "姥爷": "外祖父",
    "外婆": "外祖母",
    "姥姥": "外祖母",
    "哥哥": "兄姐",
    "姐姐": "兄姐",
    "叔叔": "其他亲属",
    "伯父": "其他亲属",
    "姑姑": "其他亲属",
    "舅舅": "其他亲属",
    "阿姨": "其他亲属",
    "姨妈": "其他亲属",
}


@dataclass(frozen=True)
class PersonRead:
    relation: str
    name: str
    id_number: str = ""
    phone: str = ""
    is_guardian: bool = False


@dataclass(frozen=True)
class ConditionRead:
    subject: str  # 父亲 / 母亲 / 儿童本人
    kind: str
    start: date
    end: date | None
    disability_kind: str
    disability_grade: int | None
    evidence_kind: str
    evidence_date: date
    evidence_issuer: str
    evidence_number: str


def _parse_child(text: str, today: date) -> idnumber.IdNumber:
    return register.parse_child_id(text, today)[0]


# The evidence words as compared, longest first.
_EVIDENCE_KEYS = sorted(
    ((word_key(w), k) for w, k in EVIDENCE_WORDS.items()), key=lambda pair: -len(pair[0])
)


def _evidence_kind(text: str) -> str | None:
    t = word_key(text)
    return next((k for w, k in _EVIDENCE_KEYS if w in t), None)


class _Context(Context):
    """The register as it stands: every ID number on it, which the actor may see."""

    actor: Actor
    existing: dict[str, tuple[str, bool]]  # ID → (child id, visible to the actor)
    held: list[Community]

    @classmethod
    def load(cls, session: Session, actor: Actor, options: ImportOptions, today: date) -> _Context:
        ctx = cls.of(session, options, today)
        ctx.actor = actor
        # Held so the rule checks' `session.get(Community, …)` find them in the (weak)
        # identity map instead of querying once per row (as the roster's import does).
        ctx.held = list(session.scalars(select(Community)))
        visible = set(session.scalars(select(Child.id).where(scope(actor))))
        ctx.existing = {
            idn: (cid, cid in visible)
            for idn, cid in session.execute(
                select(Child.id_number, Child.id).where(Child.deleted_at.is_(None))
            )
        }
        return ctx


def _people(cells: Sequence[Cell], layout: Layout, warnings: list[str]) -> list[PersonRead]:
    out: list[PersonRead] = []
    for field, relation in (("father", "父亲"), ("mother", "母亲")):
        name = text(cells, layout, f"{field}_name").replace(" ", "")
        if name:
            out.append(
                PersonRead(
                    relation,
                    name[:60],
                    _guardian_id(cells, layout, f"{field}_id_number", relation, warnings),
                    phone_text(value(cells, layout, f"{field}_phone"))[:40],
                )
            )
    name = text(cells, layout, "guardian_name").replace(" ", "")
    if name:
        said = text(cells, layout, "guardian_relation").replace(" ", "")
        relation = said if said in rules.RELATIONS else RELATION_WORDS.get(said, "其他监护人")
        phone = phone_text(value(cells, layout, "guardian_phone"))[:40]
        idn = _guardian_id(cells, layout, "guardian_id_number", "监护人", warnings)
        same = next((p for p in out if p.relation == relation or p.name == name), None)
        if same is not None:  # the guardian is a parent: that parent is the guardian
            out[out.index(same)] = replace(
                same, is_guardian=True, phone=same.phone or phone, id_number=same.id_number or idn
            )
        else:
            out.append(PersonRead(relation, name[:60], idn, phone, True))
    return out


def _guardian_id(
    cells: Sequence[Cell], layout: Layout, field: str, who: str, warnings: list[str]
) -> str:
    try:
        raw = id_number_text(value(cells, layout, field))
    except CellRefused as exc:
        warnings.append(f"{who}身份证号：{exc}，未导入该项")
        return ""
    if not raw:
        return ""
    try:
        return idnumber.parse(raw).value
    except idnumber.InvalidIdNumber as exc:
        warnings.append(f"{who}身份证号：{exc}，未导入该项")
        return ""


def _conditions(
    cells: Sequence[Cell], layout: Layout, today: date, warnings: list[str]
) -> list[ConditionRead]:
    out: list[ConditionRead] = []
    for prefix, subject in (("father", "父亲"), ("mother", "母亲"), ("child", "儿童本人")):
        said = text(cells, layout, f"{prefix}_condition")
        if not said:
            continue
        words = read_condition(said)
        kind = words.kind
        if subject == "儿童本人":
            kind = {
                "重残": ChildFact.DISABILITY.value,
                "重病": ChildFact.SERIOUS_ILLNESS.value,
            }.get(kind or "", kind)
            allowed = {k.value for k in ChildFact}
        else:
            allowed = {k.value for k in ParentCondition}
        who = "本人/家庭" if subject == "儿童本人" else subject
        if kind is None or kind not in allowed:
            warnings.append(f"{who}情况“{said}”无法识别，未导入该项")
            continue
        try:
            start = date_of(cells, layout, f"{prefix}_start", f"{who}情况起始日期")
            end = (
                date_of(cells, layout, f"{prefix}_end", f"{who}情况截止日期")
                if prefix != "child"
                else None
            )
            ev_date = date_of(cells, layout, f"{prefix}_evidence_date", f"{who}证明日期")
        except CellRefused as exc:
            warnings.append(f"{who}情况“{kind}”未导入：{exc}")
            continue
        ev_text = text(cells, layout, f"{prefix}_evidence")
        ev_kind = _evidence_kind(ev_text) if ev_text else None
        missing = [
            label
            for label, present in (
                ("起始日期", start),
                ("证明材料", ev_kind or ev_text),
                ("证明日期", ev_date),
            )
            if not present
        ]
        if missing:
            warnings.append(f"{who}情况“{kind}”未导入：台账缺少{'、'.join(missing)}")
            continue
        if ev_kind is None:
            warnings.append(f"{who}情况“{kind}”未导入：证明材料“{ev_text}”无法识别")
            continue
        assert start is not None and ev_date is not None
        problem = None
        if start > today or ev_date > today:
            problem = "日期晚于今天"
        elif end is not None and end < start:
            problem = "截止日期早于起始日期"
        elif kind in (ParentCondition.SEVERE_DISABILITY.value, ChildFact.DISABILITY.value) and (
            words.disability_grade is None or words.disability_kind not in rules.DISABILITY_KINDS
        ):
            problem = "请注明残疾类别和等级（如“肢体一级”）"
        else:
            unfit = rules.check_evidence(kind, ev_kind, ev_date, start, end)
            problem = unfit.reason if unfit else None
        if problem:
            warnings.append(f"{who}情况“{kind}”未导入：{problem}")
            continue
        issuer = text(cells, layout, f"{prefix}_evidence_issuer") or ISSUER_UNKNOWN
        number = text(cells, layout, f"{prefix}_evidence_number")  # parents' columns only
        out.append(
            ConditionRead(
                subject,
                kind,
                start,
                end,
                words.disability_kind if words.disability_grade else "",
                words.disability_grade,
                ev_kind,
                ev_date,
                issuer[:100],
                number[:60],
            )
        )
    return out


def _read_row(  # noqa: C901
    ctx: _Context, who: importing.Person, layout: Layout, cells: list[Cell]
) -> RowReading:
    """The child's own cells of a row whose child `importing.identity` read: the family, the
    situations, the categories, the school."""
    reading, community_id, rejected = who.reading, who.community_id, who.rejected
    actor = ctx.actor
    if actor.role is Role.CHILD_DIRECTOR and community_id != actor.community_id:
        return replace(rejected, reason="不是您负责的社区：儿童主任只能导入本社区的儿童")
    warnings = list(reading.warnings)
    age = rules.check_age(who.born, ctx.today)
    if age.message:
        warnings.append(age.message)
    values: dict[str, Any] = {"community_id": community_id, "name": reading.name}
    for f in CHILD_FIELDS[1:]:
        if f in layout.fields:
            t = phone_text(value(cells, layout, f)) if f == "phone" else text(cells, layout, f)
            if f == "living_arrangement" and t and t not in rules.LIVING_ARRANGEMENTS:
                warnings.append(f"居住情况“{t}”无法识别，未导入该项")
                t = ""
            if t:
                values[f] = t
    draft = register.ChildDraft(
        name=reading.name,
        id_number=reading.id_number,
        community_id=community_id,
        address=values.get("address", ""),
        phone=values.get("phone", ""),
        school=values.get("school", ""),
        grade=values.get("grade", ""),
        living_arrangement=values.get("living_arrangement", ""),
    )
    try:
        checked = register._check_fields(ctx.session, actor, draft)
        registered = date_of(cells, layout, "registered_on", "登记日期")
    except (ValidationError, CellRefused) as exc:
        return replace(rejected, reason=str(exc))
    if registered is not None:
        if registered > ctx.today:
            return replace(rejected, reason=f"登记日期 {registered:%Y-%m-%d} 在今天之后")
        if registered < who.born:
            return replace(rejected, reason=f"登记日期 {registered:%Y-%m-%d} 早于出生日期")
        values["registered_on"] = registered
    for key in values:
        if key in checked:
            values[key] = checked[key]
    values["name_pinyin"], values["name_letters"] = checked["name_pinyin"], checked["name_letters"]
    cats: frozenset[ChildCategory] = frozenset()
    words = split_words(value(cells, layout, "categories"))
    if words:
        cats, unknown = read_child_categories(words)
        if unknown:
            warnings.append(
                f"儿童类别中“{'、'.join(unknown)}”无法识别，未导入该项"
                "（困境儿童请注明经济、自身或安全）"
            )
    values["categories_file"] = cats
    values["people"] = _people(cells, layout, warnings)
    values["conditions"] = _conditions(cells, layout, ctx.today, warnings)
    notes = text(cells, layout, "notes")
    if notes:
        if keys.unlocked(actor) is None and actor.role is not None:
            warnings.append("备注未导入：本账号还没有儿童档案密钥（请儿童督导员授权后再导入）")
        else:
            values["notes"] = notes[:2000]
    return replace(reading, name=checked["name"], warnings=tuple(warnings), values=values)


def _classify(ctx: _Context, rows: list[RowReading]) -> list[RowReading]:
    """Each row read from the file against the register as it is now: a child already on it
    (SAME, compared next), on it in a community the actor does not see (refused), or new (a
    parent's situation then needs the parent's name in the row)."""
    out: list[RowReading] = []
    for r in rows:
        if r.status is not RowStatus.NEW or r.values is None:
            out.append(r)
            continue
        found = ctx.existing.get(r.id_number)
        if found is not None and not found[1]:
            out.append(
                replace(
                    r,
                    status=RowStatus.REJECTED,
                    reason="该身份证号已在其他社区登记，请联系儿童督导员",
                    values=None,
                )
            )
        elif found is not None:
            out.append(replace(r, status=RowStatus.SAME, resident_id=found[0]))
        else:
            v = r.values
            named = {p.relation for p in v["people"]}
            unnamed = {c.subject for c in v["conditions"]} - named - {"儿童本人"}
            if unnamed:
                who = "、".join(sorted(unnamed))
                out.append(
                    replace(
                        r,
                        warnings=(*r.warnings, f"{who}情况未导入：台账没有{who}的姓名"),
                        values={
                            **v,
                            "conditions": [c for c in v["conditions"] if c.subject not in unnamed],
                        },
                    )
                )
            else:
                out.append(r)
    return out


def _facts_for(
    birth: date, people: Sequence[PersonRead], conds: Sequence[ConditionRead]
) -> rules.ChildFacts:
    father = [_as_rule(c) for c in conds if c.subject == "父亲"]
    mother = [_as_rule(c) for c in conds if c.subject == "母亲"]
    own = [_as_rule(c) for c in conds if c.subject == "儿童本人"]
    return rules.ChildFacts(birth, father, mother, own)


def _as_rule(c: ConditionRead) -> rules.Condition:
    return rules.Condition(c.kind, c.start, c.end, None, c.disability_kind, c.disability_grade)


def _compare(ctx: _Context, rows: list[RowReading]) -> list[RowReading]:
    """Rows of children on the register: field by field, and what the file adds."""
    ids = [r.resident_id for r in rows if r.status is RowStatus.SAME and r.resident_id]
    existing: dict[str, Child] = {}
    people: dict[str, list[tuple[str, str]]] = {}
    conds: dict[str, set[tuple[str, str, date | None]]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        existing.update(
            {c.id: c for c in ctx.session.scalars(select(Child).where(Child.id.in_(chunk)))}
        )
        relation_of: dict[str, str] = {}
        for gid, cid, relation, name in ctx.session.execute(
            select(
                ChildGuardian.id, ChildGuardian.child_id, ChildGuardian.relation, ChildGuardian.name
            ).where(ChildGuardian.child_id.in_(chunk), ChildGuardian.deleted_at.is_(None))
        ):
            people.setdefault(cid, []).append((relation, name))
            relation_of[gid] = relation
        for cid, on_guardian, kind, start_on in ctx.session.execute(
            select(
                ChildCondition.child_id,
                ChildCondition.guardian_id,
                ChildCondition.kind,
                ChildCondition.start_on,
            ).where(ChildCondition.child_id.in_(chunk), ChildCondition.deleted_at.is_(None))
        ):
            subject = relation_of.get(on_guardian or "", "") if on_guardian else "儿童本人"
            conds.setdefault(cid, set()).add((subject, kind, start_on))
    policy = ctx.options.policy
    out: list[RowReading] = []
    for r in rows:
        if r.status is not RowStatus.SAME or r.resident_id is None or r.values is None:
            out.append(r)
            continue
        child = existing[r.resident_id]
        v = r.values
        changed = tuple(
            FieldChange(
                key,
                FIELD_LABELS[key],
                _shown(ctx, key, getattr(child, key)),
                _shown(ctx, key, v[key]),
            )
            for key in (*CHILD_FIELDS, "community_id", "registered_on")
            if key in v and getattr(child, key) != v[key]
        )
        have = people.get(child.id, [])
        new_people = [
            p for p in v["people"] if not any(rel == p.relation or n == p.name for rel, n in have)
        ]
        have_c = conds.get(child.id, set())
        new_conds = [c for c in v["conditions"] if (c.subject, c.kind, c.start) not in have_c]
        recorded = rules.decode_categories(child.categories)
        new_cats = v["categories_file"] - recorded
        added = (
            *(FieldChange("people", p.relation, "", p.name) for p in new_people),
            *(FieldChange("conditions", f"{c.subject}情况", "", c.kind) for c in new_conds),
            *(FieldChange("categories", "儿童类别", "", c.value) for c in sorted(new_cats)),
        )
        values = {**v, "people": new_people, "conditions": new_conds}
        keep = changed if policy is ExistingPolicy.UPDATE else ()
        if changed and not keep:  # marked or skipped, as the person chose
            out.append(importing.settled(r, changed, policy))
        else:  # additions never overwrite: they are written whatever the policy
            values = {**values, "changed": [c.field for c in keep]}
            out.append(importing.settled(r, (*keep, *added), ExistingPolicy.UPDATE, values=values))
    return out


def _shown(ctx: _Context, key: str, value_: Any) -> str:
    if value_ is None:
        return ""
    if key == "community_id":
        return ctx.community_names.get(value_, "")
    if isinstance(value_, date):
        return value_.isoformat()
    return str(value_)


def _key(ctx: _Context, actor: Actor) -> tuple[Any, ...]:
    """What a reading depends on besides the file: who reads (the scope, the key unlocked)."""
    return (
        "children",
        actor.staff_id,
        actor.role,
        actor.community_id,
        keys.unlocked(actor) is not None,
    )


def _settle(ctx: _Context, rows: list[RowReading]) -> list[RowReading]:
    return _compare(ctx, _classify(ctx, rows))


_read = importing.reader(SPEC, _Context.load, _parse_child, _read_row, _key, _settle)


def _write(  # noqa: C901
    session: Session,
    actor: Actor,
    result: ImportPreview,
    _: _Context,
    day: date,
    progress: Progress | None,
) -> ImportResult:
    """What `result` says to write, in this transaction: new children with their guardians
    and situations, what changed on known ones, and a view-log row per child written."""
    todo = [r for r in result.rows if r.status in (RowStatus.NEW, RowStatus.UPDATE)]
    need_key = any(r.values and r.values.get("notes") for r in todo)
    key = keys.require(actor) if need_key else None
    children: list[dict[str, Any]] = []
    guardians: list[dict[str, Any]] = []
    conditions: list[dict[str, Any]] = []
    written: list[str] = []
    created = updated = 0
    by_id: dict[str, Child] = {}
    update_ids = [r.resident_id for r in todo if r.resident_id]
    for start in range(0, len(update_ids), 500):
        for c in session.scalars(
            select(Child).where(Child.id.in_(update_ids[start : start + 500]))
        ):
            by_id[c.id] = c
    # the ids of every new child and person, made at once (`new_ids`: a fraction of `new_id`'s
    # cost, which is felt at 80,000 records)
    fresh = iter(
        new_ids(
            sum(1 for r in todo if not r.resident_id)
            + sum(len(r.values["people"]) for r in todo if r.values)
        )
    )
    for n, r in enumerate(todo, start=1):
        v = r.values
        assert v is not None and r.birth_date is not None
        child_id = r.resident_id or next(fresh)
        people: list[PersonRead] = v["people"]
        conds: list[ConditionRead] = v["conditions"]
        guardian_ids: dict[str, str] = {}
        if r.resident_id:  # the parents on file hold the situations added to them
            guardian_ids.update(
                session.execute(
                    select(ChildGuardian.relation, ChildGuardian.id).where(
                        ChildGuardian.child_id == child_id,
                        ChildGuardian.deleted_at.is_(None),
                        ChildGuardian.relation.in_(rules.PARENT_RELATIONS),
                    )
                ).all()
            )
        for p in people:
            gid = next(fresh)
            if p.relation in rules.PARENT_RELATIONS:
                guardian_ids[p.relation] = gid
            guardians.append(
                {
                    "id": gid,
                    "child_id": child_id,
                    "relation": p.relation,
                    "name": p.name,
                    **name_columns(p.name, sort_key=False),
                    "id_number": p.id_number,
                    "phone": p.phone,
                    "is_guardian": p.is_guardian,
                }
            )
        for cond in conds:
            guardian_id = guardian_ids.get(cond.subject) if cond.subject != "儿童本人" else None
            if cond.subject != "儿童本人" and guardian_id is None:
                continue  # a parent's situation without the parent's name: nowhere to hold it
            conditions.append(
                {
                    "child_id": child_id,
                    "guardian_id": guardian_id,
                    "kind": cond.kind,
                    "start_on": cond.start,
                    "end_on": cond.end,
                    "disability_kind": cond.disability_kind,
                    "disability_grade": cond.disability_grade,
                    "evidence_kind": cond.evidence_kind,
                    "evidence_issuer": cond.evidence_issuer,
                    "evidence_number": cond.evidence_number,
                    "evidence_date": cond.evidence_date,
                    "recorded_by": actor.display_name,
                }
            )
        if r.status is RowStatus.NEW:
            facts = _facts_for(r.birth_date, people, conds)
            proved = rules.holding(rules.evaluate(facts, day))
            cats = v["categories_file"] | proved
            record: dict[str, Any] = {
                "id": child_id,
                "name": v["name"],
                "name_pinyin": v["name_pinyin"],
                "name_letters": v["name_letters"],
                "id_number": r.id_number,
                "birth_date": r.birth_date,
                "sex": r.sex,
                "community_id": v["community_id"],
                "registered_on": v.get("registered_on", day),
                "categories": rules.encode_categories(cats),
                "categories_note": _note(v["categories_file"] - proved, day),
                **{f: v[f] for f in CHILD_FIELDS[1:] if f in v},
            }
            if v.get("notes") and key is not None:
                record["notes"] = keys.seal_text(key, "child", "notes", child_id, v["notes"])
            children.append(record)
            created += 1
        else:
            row = by_id[child_id]
            for f in v.get("changed", []):
                setattr(row, f, v[f])
                if f == "name":
                    row.name_pinyin, row.name_letters = v["name_pinyin"], v["name_letters"]
            updated += 1
        written.append(child_id)
        if n % CHUNK == 0:
            _flush(session, children, guardians, conditions)
            if progress is not None:
                progress(n, len(todo), f"正在写入第 {n} 名儿童（共 {len(todo)} 名）")
    _flush(session, children, guardians, conditions)
    # Categories of the children already on file: add what the file names and what the new
    # situations prove (the rules read every situation on record, old and new).
    updates = [r for r in todo if r.status is RowStatus.UPDATE]
    for start in range(0, len(updates), 400):
        chunk = [by_id[r.resident_id] for r in updates[start : start + 400] if r.resident_id]
        facts_of = register._facts_of_many(session, chunk)
        for r, child in zip(updates[start : start + 400], chunk, strict=True):
            assert r.values is not None
            now = rules.holding(rules.evaluate(facts_of[child.id], day))
            merged = rules.encode_categories(
                rules.decode_categories(child.categories) | now | r.values["categories_file"]
            )
            if merged != child.categories:
                child.categories = merged
                note = _note(r.values["categories_file"] - now, day)
                if note and note != child.categories_note:
                    child.categories_note = note
    _log(session, actor, written)
    session.flush()
    return ImportResult(result, created, updated)


def _note(unproved: frozenset[ChildCategory], day: date) -> str:
    """The categories note of a child whose 台账 named categories nothing recorded proves."""
    if not unproved:
        return ""
    names = "、".join(c.value for c in ChildCategory if c in unproved)
    return (
        f"{day:%Y-%m-%d} {rules.IMPORTED_UNPROVED}：“{names}”按原台账登记，请补录情形与证明材料后复核"
    )[:300]


def _flush(session: Session, *groups: list[dict[str, Any]]) -> None:
    models: tuple[type[Journaled], ...] = (Child, ChildGuardian, ChildCondition)
    for model, records in zip(models, groups, strict=True):
        if records:
            insert_many(session, model, records)
            records.clear()


def _log(session: Session, actor: Actor, child_ids: list[str]) -> None:
    """A view-log row per child the import wrote (an import is a view of the record)."""
    now = utcnow()
    for start in range(0, len(child_ids), CHUNK):
        insert_many(
            session,
            ChildViewLog,
            [
                {
                    "child_id": cid,
                    "staff_id": actor.staff_id,
                    "staff_name": actor.display_name,
                    "role": actor.role.value if actor.role else "",
                    "action": VIEW_ACTION,
                    "viewed_at": now,
                }
                for cid in child_ids[start : start + CHUNK]
            ],
        )


# Preview, back up, apply in one transaction: the face every 台账 import shares.
preview, apply, apply_file = importer(
    __name__,
    can_edit,
    _read,
    _write,
    "new children with their guardians and situations, what changed on known ones, and a"
    " view-log row per child written",
)
