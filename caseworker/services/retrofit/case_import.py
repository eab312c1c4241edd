"""Import the office's retrofit households (适老化改造台账) from Excel, as the elderly roster
imports: .xlsx, .xls or a GB18030/UTF-8 CSV; title rows, merged headers, a sheet per
community (or a year); a preview with a report of every row; all or nothing after a backup;
importing the same file again changes nothing.

What an office keeps: applications waiting, and the households done in earlier years with
their money. A row becomes

- an application (状态 申请/待审核, or none and no acceptance): a case at 待资格审核, its
  eligibility decided by the rule on the application day, as `cases.apply` does;
- a completed household (状态 已完成/验收通过, or an acceptance date or money given): a case at
  已完成 with the acceptance date, who signed, and the money as the 台账 has it (改造总额 =
  政府补贴 + 个人承担, to the fen; two of the three give the third), the items when the 台账
  lists them (名称 or 编号, × quantity), its timeline one line (验收通过, marked 导入台账, with
  the application's day);
- a closed case (不予受理, 撤回, 终止) with its reason.

A household in construction or any other step in between is refused with the reason: the
path's facts (assessment, approval, contractor's dates) are not in a 台账, and taking it on
as if they were would skip the rules (photos, who approved); such a household is entered in
the product and taken along its path.

The key is the ID number (one case per person, as `cases.apply`): a person with a case on
file is compared field by field (contact details), the policy deciding; the step and the
money are never changed by an import.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseworker.domain.errors import ValidationError
from caseworker.domain.retrofit import (
    MAX_QUANTITY,
    Action,
    CatalogueItem,
    HouseholdCategory,
    Step,
    applicant_id,
    eligibility,
    encode_categories,
    parse_quantity,
    parse_yuan,
    yuan,
)
from caseworker.domain.roles import Actor
from caseworker.domain.roster_columns import RETROFIT, read_household_categories, word_key
from caseworker.domain.tabular import Cell, CellRefused, cell_text, phone_text, split_words
from caseworker.services import accounts
from caseworker.services.elderly._common import clean, clean_phone
from caseworker.services.retrofit import catalogue
from caseworker.services.retrofit._common import can_edit
from caseworker.services.tabular import importing
from caseworker.services.tabular.applying import importer
from caseworker.services.tabular.headers import Layout
from caseworker.services.tabular.importing import Context, Progress, date_of, text, value
from caseworker.services.tabular.preview import (
    FieldChange,
    ImportOptions,
    ImportPreview,
    ImportResult,
    RowReading,
    RowStatus,
    save_report,  # noqa: F401  (the row report is the roster's, re-exported)
)
from db.base import Journaled, utcnow
from db.elderly import ElderlyResident
from db.ids import new_ids
from db.journal import insert_many
from db.retrofit import (
    RetrofitAssessmentItem,
    RetrofitCase,
    RetrofitCaseEvent,
    RetrofitContractor,
)

SPEC = RETROFIT
IMPORTED = "导入台账"
CHUNK = 2000
CONTACT_FIELDS = ("applicant_name", "phone", "address", "contact_name", "contact_phone")
LABELS = {
    "applicant_name": "姓名",
    "phone": "联系电话",
    "address": "住址",
    "contact_name": "家属/联系人",
    "contact_phone": "联系人电话",
}
# 状态 words → the step an imported household takes (the others are refused, see above).
STATUS_WORDS: dict[str, Step] = {
    "已完成": Step.COMPLETED,
    "完成": Step.COMPLETED,
    "完工": Step.COMPLETED,
    "已完工": Step.COMPLETED,
    "竣工": Step.COMPLETED,
    "已竣工": Step.COMPLETED,
    "验收通过": Step.COMPLETED,
    "已验收": Step.COMPLETED,
    "申请": Step.APPLIED,
    "已申请": Step.APPLIED,
    "待审核": Step.APPLIED,
    "待资格审核": Step.APPLIED,
    "受理": Step.APPLIED,
    "已受理": Step.APPLIED,
    "不予受理": Step.REJECTED,
    "不符合条件": Step.REJECTED,
    "撤回": Step.WITHDRAWN,
    "已撤回": Step.WITHDRAWN,
    "放弃": Step.WITHDRAWN,
    "终止": Step.TERMINATED,
    "已终止": Step.TERMINATED,
}
# The status words as compared, longest first ("不予受理" before "受理").
_STATUS_KEYS = sorted(
    ((word_key(w), st) for w, st in STATUS_WORDS.items()), key=lambda pair: -len(pair[0])
)
CLOSING = {
    Step.REJECTED: Action.REJECT,
    Step.WITHDRAWN: Action.WITHDRAW,
    Step.TERMINATED: Action.TERMINATE,
}


def _money(cell: Cell, label: str) -> int | None:
    if cell is None or cell_text(cell) == "":
        return None
    raw = f"{cell:.2f}" if isinstance(cell, float) else cell_text(cell)
    try:
        return parse_yuan(raw)
    except ValueError as exc:
        raise CellRefused(f"{label}：{exc}") from None


def read_items(
    cell: Cell, known: Sequence[CatalogueItem]
) -> tuple[list[tuple[CatalogueItem, int]], list[str]]:
    """ "地面防滑处理12.5平方米、如厕洗浴扶手×2、R24" → (item, hundredths) pairs and the parts not
    understood. A part names an item by its code or name; a number after ×, x, * or the name
    (with or without the unit) is the quantity, 1 when none."""
    import re

    by_code = {i.code: i for i in known}
    names = _item_names(tuple(known))
    out: list[tuple[CatalogueItem, int]] = []
    unknown: list[str] = []
    for part in split_words(cell):
        t = word_key(part)
        m = re.match(r"^(R\d{2})", t.upper())
        item = by_code.get(m.group(1)) if m else None
        rest = t[len(m.group(1)) :] if m and item else t
        if item is None:  # the catalogue's name, or its name without the bracketed remark
            for name, candidate in names:
                if name in t:
                    item, rest = candidate, t.split(name, 1)[1]
                    break
        if item is None:
            unknown.append(part)
            continue
        number = re.search(r"(\d+(?:\.\d+)?)", rest.replace(item.unit, ""))
        try:
            qty = parse_quantity(number.group(1)) if number else 100
        except ValueError:
            unknown.append(part)
            continue
        out.append((item, min(qty, MAX_QUANTITY)))
    return out, unknown


@functools.lru_cache(maxsize=4)
def _item_names(known: tuple[CatalogueItem, ...]) -> list[tuple[str, CatalogueItem]]:
    """Each item's name as matched, and its name without the bracketed remark, longest first."""
    import re

    out: list[tuple[str, CatalogueItem]] = []
    for i in known:
        full = word_key(i.name)
        for name in dict.fromkeys((full, re.sub(r"\(.*?\)", "", full))):
            if name:
                out.append((name, i))
    return sorted(out, key=lambda pair: -len(pair[0]))


@dataclass(frozen=True)
class _OnFile:
    """What the comparison reads of a case on file (a plain row: 20,000 of them are loaded)."""

    id: str
    case_no: str
    step: str
    applicant_name: str
    phone: str
    address: str
    contact_name: str
    contact_phone: str


class _Context(Context):
    actor: Actor
    existing: dict[str, _OnFile]
    items: list[CatalogueItem]
    firms: dict[str, str]
    cap_fen: int

    @classmethod
    def load(cls, session: Session, actor: Actor, options: ImportOptions, today: date) -> _Context:
        ctx = cls.of(session, options, today)
        ctx.actor = actor
        C = RetrofitCase
        ctx.existing = {
            idn: _OnFile(*rest)
            for idn, *rest in session.execute(
                select(
                    C.id_number,
                    C.id,
                    C.case_no,
                    C.step,
                    *(getattr(C, f) for f in CONTACT_FIELDS),
                )
                .where(C.deleted_at.is_(None))
                .order_by(C.applied_on)
            )
        }
        ctx.items = catalogue.items(session)
        ctx.firms = {
            word_key(name): fid
            for name, fid in session.execute(
                select(RetrofitContractor.name, RetrofitContractor.id).where(
                    RetrofitContractor.deleted_at.is_(None)
                )
            )
        }
        ctx.cap_fen = catalogue.household_cap_fen(session)
        return ctx


def _step_of(
    cells: Sequence[Cell], layout: Layout, accepted: date | None, money_given: bool
) -> tuple[Step | None, str]:
    said = text(cells, layout, "status")
    if said:
        key = word_key(said)
        step = next((st for w, st in _STATUS_KEYS if w in key), None)
        if step is None:
            return None, (
                f"状态“{said}”：导入只接受申请、已完成、不予受理、撤回和终止的户；"
                "正在评估、审批、施工或待验收的户请在本系统中登记并按流程办理"
            )
        return step, ""
    return (Step.COMPLETED if accepted or money_given else Step.APPLIED), ""


def _read_row(  # noqa: C901
    ctx: _Context, who: importing.Person, layout: Layout, cells: list[Cell]
) -> RowReading:
    """The household's own cells of a row whose applicant `importing.identity` read: the step,
    the dates, the money, the items."""
    reading, rejected = who.reading, who.rejected
    warnings = list(reading.warnings)
    try:
        applied = date_of(cells, layout, "applied_on", "申请日期")
        accepted = date_of(cells, layout, "accepted_on", "验收日期")
        cost = _money(value(cells, layout, "cost"), "改造总额")
        subsidy = _money(value(cells, layout, "subsidy"), "政府补贴")
        household = _money(value(cells, layout, "household"), "个人承担")
    except CellRefused as exc:
        return replace(rejected, reason=str(exc))
    step, refusal = _step_of(cells, layout, accepted, any(m is not None for m in (cost, subsidy)))
    if step is None:
        return replace(rejected, reason=refusal)
    if applied is None:
        if step is Step.COMPLETED and accepted is not None:
            applied = accepted
            warnings.append("没有申请日期：按验收日期记录")
        else:
            return replace(rejected, reason="没有申请日期")
    for label, day in (("申请日期", applied), ("验收日期", accepted)):
        if day is not None and day > ctx.today:
            return replace(rejected, reason=f"{label} {day:%Y-%m-%d} 在今天之后")
    if applied < who.born:
        return replace(rejected, reason="申请日期早于出生日期")
    words = split_words(value(cells, layout, "categories"))
    cats: frozenset[HouseholdCategory] = frozenset()
    if words:
        cats, unknown = read_household_categories(words)
        if unknown:
            warnings.append(f"类别中“{'、'.join(unknown)}”无法识别，未导入该项")
    rule = eligibility(cats, who.born, applied)
    try:
        values: dict[str, Any] = {
            "community_id": who.community_id,
            "applicant_name": clean(reading.name, "姓名", "name", 60, required=True),
            "phone": clean_phone(phone_text(value(cells, layout, "phone")), "联系电话", "phone"),
            "address": clean(text(cells, layout, "address"), "住址", "address", 200),
            "contact_name": clean(text(cells, layout, "contact_name"), "联系人", "contact", 60),
            "contact_phone": clean_phone(
                phone_text(value(cells, layout, "contact_phone")), "联系人电话", "contact_phone"
            ),
            "application_note": clean(text(cells, layout, "note"), "备注", "note", 500),
        }
    except ValidationError as exc:
        return replace(rejected, reason=str(exc))
    if not values["address"]:
        return replace(rejected, reason="没有住址（改造地址）")
    values.update(
        step=step,
        applied_on=applied,
        categories=encode_categories(cats),
        eligible=rule.eligible,
        eligibility_reason=rule.reason,
        case_no=text(cells, layout, "case_no")[:48],
    )
    items, unknown_items = read_items(value(cells, layout, "items"), ctx.items)
    if unknown_items:
        warnings.append(f"改造项目“{'、'.join(unknown_items)}”不在目录中，未导入该项")
    if step is Step.COMPLETED:
        if accepted is None:
            return replace(rejected, reason="已完成的户没有验收日期")
        if accepted < applied:
            return replace(rejected, reason="验收日期早于申请日期")
        money = _complete_money(cost, subsidy, household)
        if isinstance(money, str):
            return replace(rejected, reason=money)
        cost, subsidy, household = money
        if subsidy and not rule.eligible:
            warnings.append(f"按规则不符合补贴条件（{rule.reason}），补贴按台账记录导入")
        if subsidy > ctx.cap_fen:
            warnings.append(
                f"政府补贴 {yuan(subsidy)} 元高于现行每户上限 {yuan(ctx.cap_fen)} 元，按台账记录导入"
            )
        firm_name = text(cells, layout, "contractor")
        firm = ctx.firms.get(word_key(firm_name)) if firm_name else None
        if firm_name and firm is None:
            warnings.append(f"施工单位“{firm_name}”未在施工单位中登记，未关联")
        values.update(
            accepted_on=accepted,
            cost_fen=cost,
            subsidy_fen=subsidy,
            household_fen=household,
            contractor_id=firm,
            signed_by=text(cells, layout, "signed_by")[:60] or values["applicant_name"],
            items=items,
        )
    elif step in CLOSING:
        reason = text(cells, layout, "closed_reason")
        if not reason:
            reason = "台账未载明原因"
            warnings.append("没有原因：记为“台账未载明原因”")
        values["closed_reason"] = reason[:300]
    return replace(reading, name=values["applicant_name"], warnings=tuple(warnings), values=values)


def _complete_money(
    cost: int | None, subsidy: int | None, household: int | None
) -> tuple[int, int, int] | str:
    """The three sums of a completed household: two give the third; all three must add up."""
    given = [m is not None for m in (cost, subsidy, household)]
    if sum(given) < 2:
        if cost is not None:
            return cost, 0, cost  # no subsidy recorded: the household paid it all
        return "已完成的户没有金额：请填写改造总额、政府补贴、个人承担中的至少两项"
    if cost is None:
        assert subsidy is not None and household is not None
        cost = subsidy + household
    elif subsidy is None:
        assert household is not None
        subsidy = cost - household
    elif household is None:
        household = cost - subsidy
    if min(cost, subsidy, household) < 0 or subsidy + household != cost:
        return (
            f"金额不一致：改造总额 {yuan(cost)} 元 ≠ 政府补贴 {yuan(subsidy)} 元 + "
            f"个人承担 {yuan(household)} 元"
        )
    return cost, subsidy, household


def _compare(ctx: _Context, rows: list[RowReading]) -> list[RowReading]:
    """Each row read from the file against the cases as they are now: a person with a case on
    file is compared (contact details, by the policy); the others are new."""
    policy = ctx.options.policy
    out: list[RowReading] = []
    for r in rows:
        found = ctx.existing.get(r.id_number) if r.status is RowStatus.NEW else None
        if found is None or r.values is None:
            out.append(r)
            continue
        v = r.values
        r = replace(r, status=RowStatus.SAME, resident_id=found.id)
        case = found
        changes = tuple(
            FieldChange(k, LABELS[k], getattr(case, k) or "", v[k])
            for k in CONTACT_FIELDS
            if v[k] and getattr(case, k) != v[k]
        )
        warnings = r.warnings
        if Step(case.step) is not v["step"]:
            warnings = (
                *warnings,
                f"已有改造档案 {case.case_no}（{case.step}）：环节和金额按系统记录，导入不改变",
            )
        out.append(importing.settled(r, changes, policy, warnings=warnings))
    return out


def _key(ctx: _Context, actor: Actor) -> tuple[Any, ...]:
    """What a reading depends on besides the file: the cap, the catalogue, the firms."""
    return ("retrofit", ctx.cap_fen, tuple(ctx.items), tuple(ctx.firms.items()))


_read = importing.reader(SPEC, _Context.load, applicant_id, _read_row, _key, _compare)


class _Numbers:
    """Case numbers as `cases._next_case_no` gives them (office code, year, a count), kept in
    memory for the whole import; a 档案号 from the 台账 is kept when no case holds it yet."""

    def __init__(self, session: Session) -> None:
        office = accounts.office(session)
        self.prefix = f"{office.code if office else 'GZ'}-"
        self.taken = set(session.scalars(select(RetrofitCase.case_no)))
        self.counts: dict[str, int] = {}  # a year's head → the last number given

    def take(self, wanted: str, year: int) -> str:
        if wanted and wanted not in self.taken:
            self.taken.add(wanted)
            return wanted
        head = f"{self.prefix}{year}-"
        if head not in self.counts:
            self.counts[head] = sum(1 for no in self.taken if no.startswith(head))
        n = self.counts[head] + 1
        while f"{head}{n:04d}" in self.taken:
            n += 1
        self.taken.add(f"{head}{n:04d}")
        self.counts[head] = n
        return f"{head}{n:04d}"


def _write(
    session: Session,
    actor: Actor,
    result: ImportPreview,
    ctx: _Context,
    day: date,
    progress: Progress | None,
) -> ImportResult:
    """What `result` says to write, in this transaction: new cases with their timeline and
    items, changed contact details."""
    todo = [r for r in result.rows if r.status in (RowStatus.NEW, RowStatus.UPDATE)]
    numbers = _Numbers(session)
    residents = dict(
        session.execute(
            select(ElderlyResident.id_number, ElderlyResident.id).where(
                ElderlyResident.deleted_at.is_(None), ElderlyResident.duplicate_of.is_(None)
            )
        ).all()
    )
    update_ids = [r.resident_id for r in todo if r.status is RowStatus.UPDATE and r.resident_id]
    by_id: dict[str, RetrofitCase] = {}
    for start in range(0, len(update_ids), 500):  # the cases to change, as records
        chunk = update_ids[start : start + 500]
        by_id.update(
            {
                c.id: c
                for c in session.scalars(select(RetrofitCase).where(RetrofitCase.id.in_(chunk)))
            }
        )
    now = utcnow()
    cases_: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    created = updated = 0
    fresh = iter(new_ids(sum(1 for r in todo if r.status is RowStatus.NEW)))  # at once: cheaper
    for n, r in enumerate(todo, start=1):
        v = r.values
        assert v is not None and r.birth_date is not None
        if r.status is RowStatus.UPDATE:
            case = by_id[r.resident_id or ""]
            for change in r.changes:
                setattr(case, change.field, v[change.field])
            updated += 1
            continue
        step: Step = v["step"]
        cid = next(fresh)
        record: dict[str, Any] = {
            "id": cid,
            "case_no": numbers.take(v["case_no"], v["applied_on"].year),
            "community_id": v["community_id"],
            "resident_id": residents.get(r.id_number),
            "id_number": r.id_number,
            "birth_date": r.birth_date,
            "sex": r.sex,
            "step": step.value,
            **{
                k: v[k]
                for k in (
                    *CONTACT_FIELDS,
                    "applied_on",
                    "categories",
                    "eligible",
                    "eligibility_reason",
                    "application_note",
                )
            },
        }
        # One timeline line per imported case, its last step as the 台账 has it (the
        # application's day is the case's own; a second line for it would double the records
        # a 20,000-row import writes and say nothing more).
        if step is Step.APPLIED:
            events.append(_event(cid, Action.APPLY, "", Step.APPLIED, v["applied_on"], actor, now))
        if step is Step.COMPLETED:
            record.update(
                {
                    k: v[k]
                    for k in (
                        "accepted_on",
                        "cost_fen",
                        "subsidy_fen",
                        "household_fen",
                        "contractor_id",
                        "signed_by",
                    )
                },
                closed_on=v["accepted_on"],
                accepted_by_name=actor.display_name,
                household_cap_fen=ctx.cap_fen,
            )
            events.append(
                _event(
                    cid,
                    Action.ACCEPT,
                    "",
                    Step.COMPLETED,
                    v["accepted_on"],
                    actor,
                    now,
                    f"{IMPORTED}：{v['applied_on']:%Y-%m-%d} 申请，签字 {v['signed_by']}",
                )
            )
            for k, (item, qty) in enumerate(v["items"], start=1):
                lines.append(
                    {
                        "case_id": cid,
                        "item_code": item.code,
                        "part": item.part.value,
                        "name": item.name,
                        "unit": item.unit,
                        "basic": item.basic,
                        "quantity_centi": qty,
                        "unit_price_fen": item.price_fen,
                        "unit_cap_fen": item.cap_fen if item.basic else 0,
                        "sort_order": k,
                        "recorded_by_id": actor.staff_id,
                        "recorded_by_name": actor.display_name,
                    }
                )
        elif step in CLOSING:
            record.update(closed_on=v["applied_on"], closed_reason=v["closed_reason"])
            events.append(
                _event(
                    cid,
                    CLOSING[step],
                    "",
                    step,
                    v["applied_on"],
                    actor,
                    now,
                    f"{IMPORTED}：{v['closed_reason']}",
                )
            )
        cases_.append(record)
        created += 1
        if n % CHUNK == 0:
            _flush(session, cases_, events, lines)
            if progress is not None:
                progress(n, len(todo), f"正在写入第 {n} 户（共 {len(todo)} 户）")
    _flush(session, cases_, events, lines)
    session.flush()
    return ImportResult(result, created, updated)


def _event(
    case_id: str,
    action: Action,
    from_step: str,
    to_step: Step,
    on: date,
    actor: Actor,
    at: Any,
    note: str = IMPORTED,
) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "action": action.value,
        "from_step": from_step,
        "to_step": to_step.value,
        "on": on,
        "at": at,
        "actor_id": actor.staff_id,
        "actor_name": actor.display_name,
        "note": note,
    }


def _flush(session: Session, *groups: list[dict[str, Any]]) -> None:
    models: tuple[type[Journaled], ...] = (RetrofitCase, RetrofitCaseEvent, RetrofitAssessmentItem)
    for model, records in zip(models, groups, strict=True):
        if records:
            insert_many(session, model, records)
            records.clear()


# Preview, back up, apply in one transaction: the face every 台账 import shares.
preview, apply, apply_file = importer(
    __name__,
    can_edit,
    _read,
    _write,
    "new cases with their timeline and items, changed contact details",
)
