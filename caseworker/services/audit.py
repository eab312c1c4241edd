"""The audit trail: the journal filtered by person, record and date, and a record's history."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, literal_column, or_, select, text
from sqlalchemy.orm import Session

from caseworker.domain.errors import PermissionDenied
from caseworker.domain.roles import Actor, Permission
from caseworker.domain.visit_form import CHOICE_FIELDS, TEXT_FIELDS
from caseworker.services.checked import rows_checked_first
from db.models import JournalEntry

# Chinese names of tables and fields for the audit view; programme modules add theirs.
TABLE_LABELS: dict[str, str] = {
    "office": "街道",
    "community": "社区/村",
    "staff": "账号",
    "district_staff": "区级平台账号",
    "sync_peer": "街道设备与登记",  # the hub's own: a device retired, an enrollment re-issued
    "setting": "设置",
    "dated_value": "设置与目录（按生效日期）",
    "elderly_resident": "老年人台账",
    "elderly_visit": "探访记录",
    "elderly_visit_amendment": "探访记录更正",
    "elderly_referral": "转介",
    "elderly_change": "重大变化",
    # Programme 3 (shown only on a child's own page, to child-protection roles).
    "child": "儿童档案",
    "child_guardian": "父母/监护人",
    "child_condition": "情形与证明",
    "child_case": "个案",
    "child_case_event": "个案经过",
    "child_plan_service": "帮扶服务",
    "child_visit": "儿童回访",
    "child_view_log": "档案查阅",
    "child_office_key": "儿童档案密钥",
    "child_key_holder": "密钥授权",
    # Programme 2.
    "retrofit_catalogue_item": "改造目录项",
    "retrofit_contractor": "施工单位",
    "retrofit_case": "改造户",
    "retrofit_case_event": "改造经过",
    "retrofit_assessment_item": "评估改造项",
    "retrofit_photo": "改造照片",
}
FIELD_LABELS: dict[str, str] = {
    "name_pinyin": "姓名拼音",
    "name_letters": "拼音首字母",
    "name": "名称",
    "display_name": "姓名",
    "username": "登录名",
    "role": "角色",
    "community_id": "所在社区",
    "phone": "电话",
    "password_hash": "密码",
    "disabled": "停用",
    "must_change_password": "须改密码",
    "deleted_at": "删除",
    "value": "值",
    "key": "设置项",
    "effective_from": "生效日期",
    "changed_by": "修改人",
    "changed_at": "修改时间",
    "active": "启用",
    # Programme 1 (elderly roster, visits, referrals).
    "id_number": "身份证号",
    "birth_date": "出生日期",
    "sex": "性别",
    "address": "住址",
    "assigned_staff_id": "责任人",
    "categories": "类别",
    "living_arrangement": "居住情况",
    "health_notes": "健康状况",
    "supporter_name": "赡养人",
    "supporter_relation": "与老人关系",
    "supporter_phone": "赡养人电话",
    "emergency_name": "紧急联系人",
    "emergency_phone": "紧急联系人电话",
    "status": "状态",
    "status_date": "状态日期",
    "status_note": "状态说明",
    "tier": "探访等级",
    "tier_reason": "等级调整原因",
    "enrolled_on": "登记日期",
    "notes": "备注",
    "resident_id": "老人",
    "visit_date": "探访日期",
    "visitors": "探访人",
    "visitor_staff_id": "探访人账号",
    "method": "探访方式",
    "completed_at": "完成时间",
    "completed_by": "完成人",
    "next_visit_on": "下次探访日期",
    "problems": "发现的问题",
    "actions": "采取的措施",
    "visit_id": "探访记录",
    "field": "更正项目",
    "old_value": "原值",
    "new_value": "新值",
    "reason": "原因",
    "amended_by_name": "更正人",
    "amended_at": "更正时间",
    "target": "转介去向",
    "description": "事项",
    "due_on": "办理期限",
    "owner_name": "跟进人",
    "outcome": "办理结果",
    "closed_on": "办结日期",
    # Programme 3.
    "school": "学校",
    "grade": "年级",
    "registered_on": "登记日期",
    "categories_note": "类别复核说明",
    "director_staff_id": "儿童主任",
    "left_reason": "离册原因",
    "left_note": "离册说明",
    # Major changes (elderly), retrofit photos waived, who recorded an assessment line.
    "known_on": "获知日期",
    "occurred_on": "发生日期",
    "source": "来源",
    "recorded_by_name": "登记人",
    "photos_waived_before": "免改造前照片说明",
    "photos_waived_after": "免改造后照片说明",
    # The office, its communities, accounts and key holders.
    "office_id": "街道",
    "code": "代码",
    "district_name": "所属区",
    "kind": "类型",
    "staff_id": "工作人员",
    "granted_by": "授权人",
    "granted_at": "授权时间",
    "created_by": "创建人",
    "failed_logins": "连续登录失败次数",
    "locked_until": "锁定至",
    "last_login_at": "最近登录",
    "duplicate_of": "疑似重复于",
    "referral_id": "转介",
    # Programme 3: cases, guardians, conditions, services, visits, who read a file.
    "child_id": "儿童",
    "case_id": "个案",
    "guardian_id": "父母/监护人",
    "step": "环节",
    "urgent": "紧急",
    "urgent_reasons": "紧急原因",
    "reported_on": "发现日期",
    "reporter": "报告人",
    "seen_text": "发现情况",
    "verified_on": "核实日期",
    "verify_notes": "核实情况",
    "assessed_on": "评估日期",
    "risk": "风险等级",
    "needs": "需求",
    "assessment_notes": "评估说明",
    "planned_on": "计划制定日期",
    "close_reason": "结案原因",
    "owner_staff_id": "负责人",
    "opened_by": "立案人",
    "relation": "关系",
    "lives_with_child": "与儿童同住",
    "is_guardian": "是监护人",
    "staff_name": "查阅人",
    "action": "操作",
    "viewed_at": "查阅时间",
    "step_after": "操作后环节",
    "on_date": "日期",
    "actor_name": "操作人",
    "note": "说明",
    "start_on": "开始日期",
    "end_on": "截止日期",
    "ended_on": "结束日期",
    "ended_reason": "结束原因",
    "disability_kind": "残疾类别",
    "disability_grade": "残疾等级",
    "evidence_kind": "证明材料",
    "evidence_issuer": "出具单位",
    "evidence_number": "证明编号",
    "evidence_date": "出具日期",
    "evidence_description": "证明说明",
    "recorded_by": "登记人",
    "done_on": "完成日期",
    "visitor_name": "回访人",
    "child_seen": "见到儿童",
    "safety_concern": "安全隐患",
    # Programme 2: cases, their steps, assessment lines, catalogue, contractors, photos.
    "case_no": "档案号",
    "applicant_name": "申请人",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "licence_no": "资质证号",
    "eligible": "补贴资格",
    "eligibility_reason": "资格说明",
    "applied_on": "申请日期",
    "application_note": "申请说明",
    "assessed_by_id": "评估人账号",
    "assessed_by_name": "评估人",
    "assessment_note": "评估说明",
    "approved_on": "审批日期",
    "approved_by_name": "审批人",
    "household_cap_fen": "户补贴上限（分）",
    "cost_fen": "改造费用（分）",
    "subsidy_fen": "补贴金额（分）",
    "household_fen": "自付金额（分）",
    "contractor_id": "施工单位",
    "construction_start": "开工日期",
    "planned_end": "计划完工日期",
    "construction_done_on": "完工日期",
    "accepted_on": "验收日期",
    "accepted_by_name": "验收人",
    "signed_by": "签字人",
    "closed_reason": "终止原因",
    "item_code": "目录编号",
    "part": "部位",
    "unit": "单位",
    "basic": "基础项目",
    "quantity_centi": "数量（×0.01）",
    "unit_price_fen": "单价（分）",
    "unit_cap_fen": "单项补贴上限（分）",
    "price_fen": "单价（分）",
    "cap_fen": "补贴上限（分）",
    "room": "房间",
    "retired": "停用",
    "from_step": "原环节",
    "to_step": "新环节",
    "on": "日期",
    "at": "时间",
    "actor_id": "操作人账号",
    "item_id": "改造项",
    "stage": "拍摄阶段",
    "taken_at": "拍摄时间",
    "original_name": "原文件名",
    "caption": "照片说明",
}
# The visit form's structured and free-text fields, labelled as on the paper form.
FIELD_LABELS.update({f.name: f.label for f in CHOICE_FIELDS})
FIELD_LABELS.update({name: label for name, _area, label in TEXT_FIELDS if name not in FIELD_LABELS})
OP_LABELS = {"insert": "新建", "update": "修改", "delete": "删除"}
# Where a field means something else in one table ("name" of a person is 姓名).
TABLE_FIELD_LABELS: dict[tuple[str, str], str] = {
    ("elderly_resident", "name"): "姓名",
    ("sync_peer", "role"): "设备状态",
    ("sync_peer", "sign_pub"): "登记密钥（重新签发）",
    ("sync_peer", "device_id"): "设备",
    ("sync_peer", "name"): "设备名称",
    ("sync_peer", "office_code"): "街道代码",
    ("sync_peer", "box_pub"): "加密公钥",
    ("sync_peer", "alias_of"): "原设备",
    ("sync_peer", "added_at"): "登记时间",
    ("staff", "name"): "姓名",
    ("elderly_change", "kind"): "变化",
    ("elderly_change", "note"): "说明",
    ("office", "code"): "街道代码",
    ("community", "code"): "社区/村代码",
    ("community", "kind"): "社区或村",
    ("retrofit_catalogue_item", "code"): "目录编号",
    ("child_condition", "kind"): "情形",
    ("child_plan_service", "kind"): "服务内容",
    ("dated_value", "kind"): "类别",  # 参数 or 改造目录; `key` is the 设置项
    ("elderly_referral", "owner_staff_id"): "跟进人",
    ("retrofit_assessment_item", "case_id"): "改造户",
    ("retrofit_case_event", "case_id"): "改造户",
    ("retrofit_photo", "case_id"): "改造户",
    ("child_view_log", "action"): "查阅内容",
}
# Bookkeeping not worth a line in the audit view (ids, timestamps, derived sort keys).
HIDDEN_FIELDS = frozenset(
    {
        "id",
        "created_at",
        "updated_at",
        "name_pinyin",
        "name_letters",
        "amended_by_id",
        "recorded_by_id",
        # Derived by the schedule from the visits (each visit's own line says it).
        "last_visit_on",
        "next_due",
        "effective_date",
        # A list's order, a photo file's fingerprints and size, key material: nothing to read.
        "sort_order",
        "sha256",
        "thumb_sha256",
        "width",
        "height",
        "size_bytes",
        "key_id",
        "public_key",
        "private_wrapped",
        "data_key_sealed",
        "district_pub",
        "district_wrap",
    }
)
# Fields holding another record's id: shown by that record's name.
REFERENCE_FIELDS: dict[str, str] = {
    "office_id": "office",
    "community_id": "community",
    "assigned_staff_id": "staff",
    "visitor_staff_id": "staff",
    "owner_staff_id": "staff",
    "resident_id": "elderly_resident",
    "visit_id": "elderly_visit",
}
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?$")


def field_label(table: str, field: str) -> str:
    return TABLE_FIELD_LABELS.get((table, field)) or FIELD_LABELS.get(field, field)


def conflict_field_label(table: str, field: str | None) -> str:
    """A sync conflict's field as the office and the bureau read it (电话, not phone);
    （整条记录） for a conflict over a whole record."""
    from caseworker.sync.conflicts import WHOLE_RECORD

    return field_label(table, field) if field else WHOLE_RECORD


@dataclass(frozen=True)
class AuditFilter:
    actor_name: str | None = None
    record_id: str | None = None
    table_name: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    # Only what was done on this device: the district hub's log of its own people (its journal
    # also holds every office's changes, which its audit page does not list).
    device_id: str | None = None


@dataclass(frozen=True)
class AuditRow:
    seq: int
    recorded_at: datetime
    actor_name: str
    table_name: str
    table_label: str
    record_id: str
    op: str
    op_label: str
    field: str | None
    field_label: str
    old_value: str
    new_value: str
    source: str


# Child-protection records are shown to child-protection roles only (on the child's own page),
# never in the general audit trail that administrators and supervisors read.
CONFIDENTIAL_TABLE_PREFIX = "child"


def _query(flt: AuditFilter) -> Select[Any]:
    q = select(JournalEntry).where(
        or_(JournalEntry.field.is_(None), JournalEntry.field.not_in(HIDDEN_FIELDS)),
        JournalEntry.table_name.not_like(f"{CONFIDENTIAL_TABLE_PREFIX}%"),
    )
    if flt.actor_name:
        q = q.where(JournalEntry.actor_name == flt.actor_name)
    if flt.record_id:
        # ix_journal_record is on the record id alone (migration 0025): no table to name
        q = q.where(JournalEntry.record_id == flt.record_id.strip())
    if flt.table_name:
        q = q.where(JournalEntry.table_name == flt.table_name)
    if flt.device_id:
        q = q.where(JournalEntry.device_id == flt.device_id)
    if flt.date_from:
        q = q.where(JournalEntry.recorded_at >= datetime.combine(flt.date_from, time.min))
    if flt.date_to:
        q = q.where(
            JournalEntry.recorded_at < datetime.combine(flt.date_to + timedelta(days=1), time.min)
        )
    return q


# Journaled as changed but never shown, whoever reads the log (the office or the bureau).
SECRET_FIELDS = frozenset({"password_hash"})


def _role_words() -> dict[str, str]:
    from caseworker.domain.roles import DISTRICT_ROLE_LABELS, ROLE_LABELS

    return {
        **{r.value: label for r, label in ROLE_LABELS.items()},
        **{r.value: label for r, label in DISTRICT_ROLE_LABELS.items()},
    }


def _value(field: str, value: object, names: dict[str, str]) -> str:
    if field in SECRET_FIELDS:
        return "（不显示）"
    if field == "role" and isinstance(value, str):
        return _role_words().get(value, value)  # 区级统计员, not district_statistician
    if isinstance(value, bool):
        return "是" if value else "否"
    if field in REFERENCE_FIELDS and isinstance(value, str):
        return names.get(value, "（已删除的记录）")
    if isinstance(value, str) and _ISO_DATETIME.match(value):
        stamp = datetime.fromisoformat(value).replace(tzinfo=UTC).astimezone()
        return f"{stamp:%Y-%m-%d %H:%M}"  # stored UTC, shown local, no microseconds
    return str(value)


def _show(table: str, field: str | None, raw: str | None, names: dict[str, str]) -> str:
    if raw is None:
        return ""
    value = json.loads(raw)
    if isinstance(value, dict):
        return "；".join(
            f"{field_label(table, k)}={_value(k, v, names)}"
            for k, v in value.items()
            if v not in (None, "") and k not in HIDDEN_FIELDS
        )
    return _value(field or "", value, names)


def _referenced_names(session: Session, entries: list[JournalEntry]) -> dict[str, str]:
    """Names of the records the page's values point at (bounded by the page size)."""
    from db.elderly import ElderlyResident, ElderlyVisit
    from db.models import Community, Office, Staff

    wanted: dict[str, set[str]] = {}
    for e in entries:
        for raw, field in ((e.old_value, e.field), (e.new_value, e.field)):
            if raw is None:
                continue
            value = json.loads(raw)
            pairs = value.items() if isinstance(value, dict) else [(field or "", value)]
            for k, v in pairs:
                if k in REFERENCE_FIELDS and isinstance(v, str) and v:
                    wanted.setdefault(REFERENCE_FIELDS[k], set()).add(v)
    names: dict[str, str] = {}
    sources = {
        "office": (Office.id, Office.name),
        "community": (Community.id, Community.name),
        "staff": (Staff.id, Staff.display_name),
        "elderly_resident": (ElderlyResident.id, ElderlyResident.name),
    }
    for table, ids in wanted.items():
        listed = sorted(ids)
        if table == "elderly_visit":  # a visit is named by its resident and date
            for start in range(0, len(listed), 500):
                rows = session.execute(
                    select(ElderlyVisit.id, ElderlyResident.name, ElderlyVisit.visit_date)
                    .join(ElderlyResident, ElderlyResident.id == ElderlyVisit.resident_id)
                    .where(ElderlyVisit.id.in_(listed[start : start + 500]))
                )
                names.update({vid: f"{who} {day:%Y-%m-%d}" for vid, who, day in rows})
            continue
        key, name = sources[table]
        for start in range(0, len(listed), 500):
            names.update(
                session.execute(select(key, name).where(key.in_(listed[start : start + 500]))).all()
            )
    return names


def _row(e: JournalEntry, names: dict[str, str]) -> AuditRow:
    return AuditRow(
        e.seq,
        e.recorded_at,
        e.actor_name,
        e.table_name,
        TABLE_LABELS.get(e.table_name, e.table_name),
        e.record_id,
        e.op,
        OP_LABELS.get(e.op, e.op),
        e.field,
        field_label(e.table_name, e.field or ""),
        _show(e.table_name, e.field, e.old_value, names),
        _show(e.table_name, e.field, e.new_value, names),
        e.source,
    )


def _rows(session: Session, entries: list[JournalEntry]) -> list[AuditRow]:
    names = _referenced_names(session, entries)
    return [_row(e, names) for e in entries]


COUNT_CAP = 10_000  # beyond this the audit view says "more than 10,000" (a bounded read)
# Newest first by when the change was made (imported changes keep their own time), then by
# sequence: the journal's time indexes give this order without sorting, and a page continues
# from the last row shown (keyset), never by OFFSET.
NEWEST_FIRST = (JournalEntry.recorded_at.desc(), JournalEntry.seq.desc())


def _require_audit(actor: Actor) -> None:
    if not actor.can(Permission.VIEW_AUDIT):
        raise PermissionDenied("没有查看操作日志的权限")


def count(session: Session, actor: Actor, flt: AuditFilter, cap: int | None = None) -> int:
    """How many entries match; with `cap`, counting stops at cap + 1 (a busy office's journal
    holds millions of rows: the view says "more than cap" instead of counting them all)."""
    _require_audit(actor)
    return _count(session, flt, cap)


def _count(session: Session, flt: AuditFilter, cap: int | None) -> int:
    q: Select[Any] = _query(flt).with_only_columns(literal_column("1"))
    if cap is not None:
        q = q.limit(cap + 1)
    return session.scalar(select(func.count()).select_from(q.subquery())) or 0


@dataclass(frozen=True)
class AuditResult:
    """One page of the audit trail: `rows`, and the count (capped at `COUNT_CAP`)."""

    rows: list[AuditRow]
    total: int
    capped: bool


def after_key(row: AuditRow) -> tuple[datetime, int]:
    """The keyset position of a row: the next page starts after it."""
    return (row.recorded_at, row.seq)


def page(
    session: Session,
    actor: Actor,
    flt: AuditFilter,
    offset: int = 0,
    limit: int = 200,
    *,
    after: tuple[datetime, int] | None = None,
) -> list[AuditRow]:
    """Newest first; `after` (the last row shown, see `after_key`) continues a list by keyset.
    `offset` is kept for callers that page by number (small journals, tests)."""
    _require_audit(actor)
    return _page(session, flt, offset, limit, after)


def _page(
    session: Session, flt: AuditFilter, offset: int, limit: int, after: tuple[datetime, int] | None
) -> list[AuditRow]:
    """`page` without its check, for a caller that has made its own (the district hub's)."""
    q = _query(flt)
    if after is not None:
        at, seq = after
        # The `<=` bounds the index range (an OR alone would make SQLite scan from the
        # lower end); the OR then skips the rows already shown at the same instant.
        q = q.where(
            JournalEntry.recorded_at <= at,
            or_(JournalEntry.recorded_at < at, JournalEntry.seq < seq),
        )
    q = q.order_by(*NEWEST_FIRST).offset(offset or None).limit(limit)
    return _rows(session, list(session.scalars(q)))


def first_page(session: Session, actor: Actor, flt: AuditFilter, limit: int = 200) -> AuditResult:
    """What the audit view shows on a search: the first page and the capped count."""
    _require_audit(actor)
    return _first_page(session, flt, limit)


def _first_page(session: Session, flt: AuditFilter, limit: int = 200) -> AuditResult:
    """`first_page` without its check, for a caller that has made its own (the district hub's)."""
    total = _count(session, flt, COUNT_CAP)
    rows = _page(session, flt, 0, limit, None) if total else []
    return AuditResult(rows, min(total, COUNT_CAP), total > COUNT_CAP)


@rows_checked_first(_require_audit)
def stream(session: Session, actor: Actor, flt: AuditFilter) -> Iterator[AuditRow]:
    """Every matching entry, newest first, read as one streamed statement (an export: OFFSET
    pages would re-read the skipped entries of a long journal for every page)."""
    q = _query(flt).order_by(*NEWEST_FIRST).execution_options(yield_per=2000)
    for part in session.scalars(q).partitions():
        yield from _rows(session, list(part))  # names looked up a batch at a time


def actor_names(session: Session, actor: Actor) -> list[str]:
    """Everyone who appears in the journal, for the audit view's person filter. Read by
    skipping through the actor index one name at a time (a recursive query): as many index
    probes as there are names, however long the journal."""
    _require_audit(actor)
    return list(
        session.scalars(
            text(
                "WITH RECURSIVE names(n) AS ("
                " SELECT min(actor_name) FROM journal"
                " UNION ALL"
                " SELECT (SELECT min(actor_name) FROM journal WHERE actor_name > names.n)"
                " FROM names WHERE names.n IS NOT NULL"
                ") SELECT n FROM names WHERE n IS NOT NULL"
            )
        )
    )


# Who may read a record's history: the programme's readers (a child director never sees an
# elderly person's health note); records of no programme (accounts, settings) need the audit
# permission.
HISTORY_PERMISSIONS: dict[str, Permission] = {
    "elderly_": Permission.ELDERLY_VIEW,
    "retrofit_": Permission.RETROFIT_VIEW,
    CONFIDENTIAL_TABLE_PREFIX: Permission.CHILD_VIEW,
}


def history_permission(table_name: str) -> Permission:
    for prefix, permission in HISTORY_PERMISSIONS.items():
        if table_name.startswith(prefix):
            return permission
    return Permission.VIEW_AUDIT


def record_history(
    session: Session, actor: Actor, table_name: str, record_id: str, limit: int = 1000
) -> list[AuditRow]:
    """The changes to one record, oldest first (for a record's page), at most `limit` (the
    newest ones when there are more). Checks the programme; a child-protection record also
    its scope (a community child director sees only their own community's children) and the
    opening is logged, like opening the child's page (so call it in a writer session)."""
    if not actor.can(history_permission(table_name)):
        raise PermissionDenied("没有查看这条记录历史的权限")
    if table_name.startswith(CONFIDENTIAL_TABLE_PREFIX):
        from caseworker.services.children._common import open_record

        open_record(session, actor, table_name, record_id)
    return _history_rows(session, table_name, record_id, limit)


def _history_rows(
    session: Session, table_name: str, record_id: str, limit: int = 1000
) -> list[AuditRow]:
    """`record_history` without its checks, for a service that has made them (the child's page
    loads the child in scope and logs the opening itself)."""
    newest = (
        select(JournalEntry)
        .where(
            JournalEntry.table_name == table_name,
            JournalEntry.record_id == record_id,
            or_(JournalEntry.field.is_(None), JournalEntry.field.not_in(HIDDEN_FIELDS)),
        )
        .order_by(JournalEntry.seq.desc())
        .limit(limit)
    )
    return _rows(session, sorted(session.scalars(newest), key=lambda e: e.seq))
