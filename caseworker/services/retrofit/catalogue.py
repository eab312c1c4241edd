"""The district's retrofit catalogue: read it anywhere, change it only at the district hub.

Storage follows the settings pattern: the 30 national items are defaults in code
(`caseworker.domain.retrofit.DEFAULT_CATALOGUE`); a `retrofit_catalogue_item` row exists only for
an item the district changed or added, under `stable_id("retrofit_item", code)`, so every replica
agrees on ids and nothing needs seeding. The household subsidy cap is the district setting
`retrofit.household_cap_yuan`.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseworker.domain.errors import NotFound, PermissionDenied, ValidationError
from caseworker.domain.retrofit import (
    DEFAULT_CATALOGUE,
    CatalogueItem,
    Part,
    check_catalogue_item,
    is_whole,
)
from caseworker.domain.roles import Actor
from caseworker.services import settings
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


def items(session: Session, *, include_retired: bool = False) -> list[CatalogueItem]:
    """The catalogue in force, by part and order (no permission needed: reference data)."""
    found = {i.code: i for i in DEFAULT_CATALOGUE}
    for r in session.scalars(
        select(RetrofitCatalogueItem).where(RetrofitCatalogueItem.deleted_at.is_(None))
    ):
        found[r.code] = _from_row(r)
    out = [i for i in found.values() if include_retired or not i.retired]
    return sorted(out, key=lambda i: (i.part.rank, i.sort_order, i.code))


def item(session: Session, code: str) -> CatalogueItem:
    key = code.strip().upper()
    for i in items(session, include_retired=True):
        if i.code == key:
            return i
    raise NotFound(f"改造项目目录中没有编号为“{code}”的项目")


def household_cap_fen(session: Session) -> int:
    return int(settings.get(session, HOUSEHOLD_CAP_KEY)) * 100


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


def set_price(
    session: Session, actor: Actor, code: str, price_fen: int, cap_fen: int | None = None
) -> CatalogueItem:
    """New standard price (and, for a basic item, subsidy cap per unit). Approved cases keep
    the prices they were approved with."""
    _at_district(session)
    current = item(session, code)
    if not is_whole(price_fen):  # typed here: min() below would compare text with a number
        raise ValidationError(f"{current.name}：单价应为以分计的整数")
    cap = current.cap_fen if cap_fen is None else cap_fen
    if current.basic and cap_fen is None:
        cap = min(cap, price_fen)
    return _store(session, replace(current, price_fen=price_fen, cap_fen=cap))


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
    return _store(session, replace(new, sort_order=order))


def retire(session: Session, actor: Actor, code: str, *, restore: bool = False) -> CatalogueItem:
    """Take an item off the list for new assessments; cases that used it keep it."""
    _at_district(session)
    current = item(session, code)
    return _store(session, replace(current, retired=not restore))
