"""更正 at the district console (区级业务员): find an office's record (office, table, then a name,
case number, whole ID number or the record's id), see each of its columns with whether it may be
corrected and why not, and correct one by typing its new value. The correction itself is
`service.correct`, the very service of `caseworker-district correct`: the same reading of the
typed text by the column's type, the same locks (a completed, signed record is corrected only at
its office, by an amendment), journaled as the clerk, and sent to the office in its next bundle.
Headless (no Qt); the console's page is `ui/district/corrections.py`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Integer, String, or_, select

from caseworker.district import scope, service
from caseworker.district.accounts import require
from caseworker.district.hub import Hub
from caseworker.domain import field_rules, idnumber
from caseworker.domain.errors import NotFound, ValidationError
from caseworker.domain.roles import Actor, DistrictPermission
from caseworker.services.audit import REFERENCE_FIELDS, TABLE_LABELS, field_label
from caseworker.sync import tables
from db.models import Office

PAGE = 50
# Columns that say which record it is, in the order a clerk would recognise it by.
LABEL_COLUMNS = ("case_no", "name", "title", "visit_date", "planned_date")
# Children's records are for child-protection roles only (区未保中心 sees numbers): the clerk's
# console offers no table of them. Photos are files, not values to type.
HIDDEN_PREFIXES = ("child",)
HIDDEN_TABLES = frozenset({"retrofit_photo"})


@dataclass(frozen=True)
class RecordRow:
    id: str
    label: str  # what the clerk recognises it by: case number, name, masked ID number, date


@dataclass(frozen=True)
class ColumnRule:
    name: str
    label: str
    value: str  # as stored, as text ("" for empty)
    kind: str  # 文字（最多 N 字）/ 整数 / 日期 / 日期时间 / 是/否
    correctable: bool
    why: str  # why it is locked, or what a new value must be


def correctable_tables() -> list[tuple[str, str]]:
    """(table, Chinese label) of the office-owned tables the console corrects, by label."""
    out = []
    for name in tables.registry():
        if name.startswith(HIDDEN_PREFIXES) or name in HIDDEN_TABLES:
            continue
        if scope.office_path(name) is None or name not in TABLE_LABELS:
            continue
        out.append((name, TABLE_LABELS[name]))
    return sorted(out, key=lambda kv: kv[1])


def _table(name: str) -> tables.TableInfo:
    if name not in dict(correctable_tables()):
        raise ValidationError(f"区级平台不能在这里更正“{TABLE_LABELS.get(name, name)}”。")
    info = tables.info(name)
    assert info is not None
    return info


def _office_id(s: Any, code: str) -> str:
    found = s.scalar(select(Office.id).where(Office.code == code, Office.deleted_at.is_(None)))
    if found is None:
        raise NotFound(f"没有登记代码为 {code} 的街道。")
    return str(found)


def _label(row: Any, columns: Any) -> str:
    parts = [str(getattr(row, c)) for c in LABEL_COLUMNS if c in columns and getattr(row, c)]
    if "id_number" in columns and row.id_number:
        parts.append(idnumber.mask(row.id_number))
    if "deleted_at" in columns and row.deleted_at is not None:
        parts.append("（已注销）")
    return " ".join(parts) or row.id


def find_records(
    hub: Hub,
    actor: Actor,
    code: str,
    table_name: str,
    typed: str,
    *,
    offset: int = 0,
    limit: int = PAGE,
) -> tuple[list[RecordRow], bool]:
    """A page of office `code`'s records in `table_name` that match what was typed (part of a
    name or case number, a whole ID number, the start of the record's id); nothing typed lists
    them all, newest first. Returns the rows and whether there are more. One statement whose
    size does not grow with the office (its records are a sub-select)."""
    require(actor, DistrictPermission.RECORDS)
    t = _table(table_name).table
    typed = " ".join(typed.split())[:60]
    with hub.reader(actor) as s:
        owned = scope.owned_ids(table_name, _office_id(s, code))
        q = select(t).where(t.c.id.in_(owned))
        if typed:
            found: list[Any] = [t.c.id.startswith(typed.lower(), autoescape=True)]
            for c in ("name", "case_no", "title"):
                if c in t.c:
                    found.append(t.c[c].contains(typed, autoescape=True))
            if "id_number" in t.c:
                found.append(t.c.id_number == typed.upper())
            q = q.where(or_(*found))
        order = t.c.created_at.desc() if "created_at" in t.c else t.c.id
        rows = s.execute(q.order_by(order, t.c.id).offset(offset).limit(limit + 1)).all()
    return [RecordRow(r.id, _label(r, t.c)) for r in rows[:limit]], len(rows) > limit


# What a column holds, as the correction form says it (DateTime before Date: first match wins).
_KINDS: tuple[tuple[type, str], ...] = (
    (Boolean, "是/否"),
    (DateTime, "日期时间（如 2026-11-29 09:30）"),
    (Date, "日期（如 2026-11-29）"),
    (Integer, "整数"),
)


def _kind(col: Any) -> str:
    ctype = col.type
    for kind, said in _KINDS:
        if isinstance(ctype, kind):
            return said
    length = getattr(ctype, "length", None) if isinstance(ctype, String) else None
    return f"文字（最多 {length} 字）" if length else "文字"


def shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def column_rules(hub: Hub, actor: Actor, table_name: str, record_id: str) -> list[ColumnRule]:
    """Every column of the record: its value, its type, and whether the district may correct
    it — the rules `service.correct` enforces, shown before anything is typed."""
    require(actor, DistrictPermission.RECORDS)
    info = _table(table_name)
    with hub.reader(actor) as s:
        record = s.get(info.cls, record_id)
        if record is None:
            raise NotFound("找不到这条记录。")
        locked = record.merge_locked()
        columns = set(info.table.c.keys())
        out = []
        for col in info.table.c:
            name = col.key
            value = getattr(record, name, None)
            if name in info.redacted:
                value = "（不显示）"
            elif name == "id_number" and value:
                value = idnumber.mask(value)  # the list's rule: never the whole number on screen
            elif name in REFERENCE_FIELDS and value:
                value = _named(s, REFERENCE_FIELDS[name], value)
            derived_why = field_rules.derived_reason(table_name, name, columns)
            if name not in info.fields or name in info.redacted:
                ok, why = False, "系统字段，由程序维护"
            elif derived_why is not None:
                ok, why = False, derived_why
            elif locked and name not in info.unlocked:
                ok, why = (
                    False,
                    "记录已完成（锁定）：有签字的正式记录，须由所属街道以“修正”方式更正",
                )
            elif locked:
                ok, why = True, "记录已锁定，只能清空（留空）"
            else:
                # text is cleared to "" (the command line's reading); other types to NULL
                empty = field_rules.may_be_empty(
                    table_name, name, col.nullable or isinstance(col.type, String)
                )
                why = "可更正" + ("，可留空" if empty else "，不能为空")
                if col.foreign_keys:
                    why += "；须是已有记录的编号"
                if name == "id_number":
                    why += "；须是有效的身份证号（出生日期、性别随之更正）"
                allowed = field_rules.choices(table_name, name)
                if allowed is not None:
                    why += "；只能是 " + "、".join(a or "（空）" for a in allowed)
                ok = True
            out.append(
                ColumnRule(name, field_label(table_name, name), shown(value), _kind(col), ok, why)
            )
    return out


def _named(s: Any, table_name: str, record_id: str) -> str:
    """Another record's name beside its id (a clerk reads 第1社区, not a UUID; the id is what a
    correction of that column is typed as)."""
    info = tables.info(table_name)
    other = s.get(info.cls, record_id) if info is not None else None
    name = getattr(other, "name", None) or getattr(other, "display_name", "") if other else ""
    return f"{name}（{record_id}）" if name else record_id


def correct(
    hub: Hub, actor: Actor, table_name: str, record_id: str, column: str, typed: str
) -> dict[str, Any]:
    """One column's new value, typed: `service.correct` as the clerk (its checks, its journal,
    its way to the office). A locked record's locked column is refused here first, in words."""
    rules = {r.name: r for r in column_rules(hub, actor, table_name, record_id)}
    rule = rules.get(column)
    if rule is None:
        raise ValidationError("请选择要更正的字段。")
    if not rule.correctable:
        raise ValidationError(f"“{rule.label}”不能更正：{rule.why}。未做任何改动。")
    return service.correct(hub, table_name, record_id, {column: typed}, actor=actor)
