"""The district's retrofit catalogue: read it anywhere, change it only at the district hub.

Storage follows the settings pattern: the 30 national items are defaults in code
(`caseworker.domain.retrofit.DEFAULT_CATALOGUE`); a `retrofit_catalogue_item` row exists only for
an item the district changed or added, under `stable_id("retrofit_item", code)`, so every replica
agrees on ids and nothing needs seeding. The household subsidy cap is the district setting
`retrofit.household_cap_yuan`.

A price, cap or retirement may be dated (`effective=`, issue 24): the change is a `dated_value`
entry of the item's changed fields (`caseworker.services.dated`), and `items(on=day)` applies
every entry in force on that day, in date order, over the item's row or default. A change dated
today is also written to the row. An assessment takes the prices in force on the day it is
submitted and keeps them; an approved case never changes (`cases._refresh_prices`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseworker.domain.errors import NotFound, PermissionDenied, ValidationError
from caseworker.domain.retrofit import (
    DEFAULT_CATALOGUE,
    CatalogueItem,
    Part,
    check_catalogue_item,
    is_whole,
    yuan,
)
from caseworker.domain.roles import Actor
from caseworker.services import dated, settings
from caseworker.services.retrofit._common import can_view
from db.ids import stable_id
from db.retrofit import RetrofitCatalogueItem
from db.sync_models import SyncIdentity

HOUSEHOLD_CAP_KEY = "retrofit.household_cap_yuan"


def _from_row(r: RetrofitCatalogueItem) -> CatalogueItem:
    return CatalogueItem(
        r.code,
        Part(r.part),
        r.name,
        r.unit,
        r.basic,
        r.price_fen,
        r.cap_fen,
        r.retired,
        r.sort_order,
    )


# The fields a dated entry may change, with their types (an entry is read like any received
# value: anything else in it is ignored).
DATED_FIELDS: dict[str, type] = {"price_fen": int, "cap_fen": int, "retired": bool}


def _apply(i: CatalogueItem, fields: Any) -> CatalogueItem:
    if not isinstance(fields, dict):
        return i
    changes: dict[str, Any] = {}
    for k, v in fields.items():
        if k not in DATED_FIELDS or type(v) is not DATED_FIELDS[k]:
            continue
        if isinstance(v, int) and not isinstance(v, bool) and v < 0:
            continue  # a negative price or cap is never applied
        changes[k] = v
    return replace(i, **changes) if changes else i


def items(
    session: Session, *, include_retired: bool = False, on: date | None = None
) -> list[CatalogueItem]:
    """The catalogue in force on `on` (today), by part and order (no permission needed:
    reference data)."""
    found = {i.code: i for i in DEFAULT_CATALOGUE}
    for r in session.scalars(
        select(RetrofitCatalogueItem).where(RetrofitCatalogueItem.deleted_at.is_(None))
    ):
        found[r.code] = _from_row(r)
    for code, entries in dated.in_force_all(session, dated.CATALOGUE, on).items():
        for e in entries:
            # the entries migration 0021 made of the rows decide a past day only
            if code in found and dated.counts(e, on):
                found[code] = _apply(found[code], e.value)
    out = [i for i in found.values() if include_retired or not i.retired]
    return sorted(out, key=lambda i: (i.part.rank, i.sort_order, i.code))


def item(session: Session, code: str, on: date | None = None) -> CatalogueItem:
    key = code.strip().upper()
    for i in items(session, include_retired=True, on=on):
        if i.code == key:
            return i
    raise NotFound(f"改造项目目录中没有编号为“{code}”的项目")


def household_cap_fen(session: Session, on: date | None = None) -> int:
    return int(settings.get(session, HOUSEHOLD_CAP_KEY, on)) * 100


def listing(
    session: Session, actor: Actor, *, include_retired: bool = False
) -> list[CatalogueItem]:
    """The catalogue for screens (with the view permission checked)."""
    can_view(actor)
    return items(session, include_retired=include_retired)


# -- changes, at the district only ------------------------------------------------------------


def _at_district(session: Session) -> None:
    if session.scalar(select(SyncIdentity.role)) != "district":
        raise PermissionDenied(
            "改造项目目录由区民政局统一维护，随数据包发到各街道；街道不能修改。"
            "请在区级平台用 caseworker-district catalogue 修改。"
        )


def _store(session: Session, new: CatalogueItem) -> CatalogueItem:
    try:
        check_catalogue_item(new)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    rid = stable_id("retrofit_item", new.code)
    row = session.get(RetrofitCatalogueItem, rid)
    values = {
        "code": new.code,
        "part": new.part.value,
        "name": new.name,
        "unit": new.unit,
        "basic": new.basic,
        "price_fen": new.price_fen,
        "cap_fen": new.cap_fen,
        "retired": new.retired,
        "sort_order": new.sort_order,
    }
    if row is None:
        session.add(RetrofitCatalogueItem(id=rid, **values))
    else:
        for key, value in values.items():
            if getattr(row, key) != value:
                setattr(row, key, value)
        if row.deleted_at is not None:
            row.deleted_at = None
    session.flush()
    return new


def _change(
    session: Session, actor: Actor, new: CatalogueItem, fields: dict[str, Any], day: date
) -> CatalogueItem:
    """Record a (dated) change of `fields`; one dated today is also written to the row."""
    try:
        check_catalogue_item(new)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    dated.record(session, actor, dated.CATALOGUE, new.code, fields, day, merge=True)
    if day > dated.today():
        return new  # pending: `items(on=...)` applies it from its day on
    return _store(session, new)


def set_price(
    session: Session,
    actor: Actor,
    code: str,
    price_fen: int,
    cap_fen: int | None = None,
    *,
    effective: date | None = None,
) -> CatalogueItem:
    """New standard price (and, for a basic item, subsidy cap per unit) from `effective` on
    (today when None). Approved cases keep the prices they were approved with."""
    _at_district(session)
    day = dated.effective_day(effective)
    current = item(session, code, on=day)
    if not is_whole(price_fen):  # typed here: min() below would compare text with a number
        raise ValidationError(f"{current.name}：单价应为以分计的整数")
    cap = current.cap_fen if cap_fen is None else cap_fen
    if current.basic and cap_fen is None:
        cap = min(cap, price_fen)
    new = replace(current, price_fen=price_fen, cap_fen=cap)
    return _change(session, actor, new, {"price_fen": price_fen, "cap_fen": cap}, day)


def add(
    session: Session,
    actor: Actor,
    *,
    code: str,
    part: Part,
    name: str,
    unit: str,
    price_fen: int,
    basic: bool = False,
    cap_fen: int = 0,
) -> CatalogueItem:
    """A new item (an optional one unless the district says basic, with a cap)."""
    _at_district(session)
    key = code.strip().upper()
    if any(i.code == key for i in items(session, include_retired=True)):
        raise ValidationError(f"编号“{key}”已被使用，请换一个编号")
    order = max((i.sort_order for i in items(session, include_retired=True)), default=0) + 1
    new = CatalogueItem(key, Part(part), name.strip(), unit.strip(), basic, price_fen, cap_fen)
    stored = _store(session, replace(new, sort_order=order))
    # the first entry of the new item's history: its price from today
    fields = {"price_fen": price_fen, "cap_fen": cap_fen, "retired": False}
    dated.record(session, actor, dated.CATALOGUE, key, fields, dated.today())
    return stored


def retire(
    session: Session,
    actor: Actor,
    code: str,
    *,
    restore: bool = False,
    effective: date | None = None,
) -> CatalogueItem:
    """Take an item off the list for new assessments from `effective` on (today when None);
    cases that used it keep it."""
    _at_district(session)
    day = dated.effective_day(effective)
    current = item(session, code, on=day)
    new = replace(current, retired=not restore)
    return _change(session, actor, new, {"retired": not restore}, day)


@dataclass(frozen=True)
class Pending:
    """A catalogue change scheduled for a later day: the item as it will be from then."""

    code: str
    name: str
    change: str  # in words: 单价 80.00 元… / 停用 / 恢复使用
    effective_from: date
    changed_by: str
    changed_at: datetime


def _words(fields: Any, unit: str) -> str:
    if not isinstance(fields, dict):
        return "—"
    parts = []
    if isinstance(fields.get("price_fen"), int):
        parts.append(f"单价 {yuan(fields['price_fen'])} 元/{unit}")
    if isinstance(fields.get("cap_fen"), int) and fields["cap_fen"]:
        parts.append(f"补贴上限 {yuan(fields['cap_fen'])} 元/{unit}")
    if isinstance(fields.get("retired"), bool):
        parts.append("停用" if fields["retired"] else "恢复使用")
    return "，".join(parts) or "—"


def pending(session: Session, on: date | None = None) -> list[Pending]:
    """The catalogue's changes that take effect after `on` (today), by item then day."""
    known = {i.code: i for i in items(session, include_retired=True, on=on)}
    return [
        Pending(
            e.key,
            known[e.key].name,
            _words(e.value, known[e.key].unit),
            e.effective_from,
            e.changed_by,
            e.changed_at,
        )
        for e in dated.pending(session, dated.CATALOGUE, on)
        if e.key in known
    ]


def cancel_pending(session: Session, actor: Actor, code: str, effective_from: date) -> Pending:
    """Cancel an item's change scheduled for a later day (before that day only)."""
    _at_district(session)
    current = item(session, code)
    e = dated.cancel(session, dated.CATALOGUE, current.code, effective_from)
    return Pending(
        current.code,
        current.name,
        _words(e.value, current.unit),
        e.effective_from,
        e.changed_by,
        e.changed_at,
    )
