"""设置 at the district console (区级业务员): the district settings (visit intervals, the household
subsidy cap, …) and the retrofit catalogue (prices, caps, new and retired items), each with
when it was last changed and by whom.

Every change goes through the services the command line uses (`caseworker.services.settings.
set_value`, `caseworker.services.retrofit.catalogue`), in a writer journaled as the logged-in
person, after the role check (`DistrictPermission.CATALOGUE`). "Last changed" is read from the
journal of each setting's and item's row (its stable id); a value never changed shows its
default and no date. A change takes effect on the day the clerk gives (today when none: at
once), at the hub and at every office that has taken in a bundle sent after it was made; until
then it is listed as pending and may be cancelled (`caseworker.services.dated`). A past day is
refused. An approved retrofit case keeps the prices it was approved with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from caseworker.district.accounts import require
from caseworker.district.hub import Hub
from caseworker.domain.errors import ValidationError
from caseworker.domain.retrofit import CatalogueItem, Part, parse_yuan, yuan
from caseworker.domain.roles import Actor, DistrictPermission
from caseworker.services import settings
from caseworker.services.retrofit import catalogue
from db.ids import stable_id
from db.models import JournalEntry, Setting
from db.retrofit import RetrofitCatalogueItem


@dataclass(frozen=True)
class Changed:
    """The last journaled change of a row: when and by whom (None: never changed)."""

    at: datetime | None = None
    by: str = ""


@dataclass(frozen=True)
class SettingRow:
    value: settings.SettingValue
    changed: Changed


@dataclass(frozen=True)
class CatalogueRow:
    item: CatalogueItem
    changed: Changed


def _last_changes(s: Session, table: str, ids: list[str]) -> dict[str, Changed]:
    """The newest journal entry of each of `ids` (a few dozen: one small statement)."""
    j = JournalEntry
    newest = (
        select(func.max(j.seq))
        .where(j.table_name == table, j.record_id.in_(ids))
        .group_by(j.record_id)
    )
    return {
        rid: Changed(at, who)
        for rid, at, who in s.execute(
            select(j.record_id, j.recorded_at, j.actor_name).where(j.seq.in_(newest))
        )
    }


def setting_rows(hub: Hub, actor: Actor) -> list[SettingRow]:
    require(actor, DistrictPermission.CATALOGUE)
    with hub.reader(actor) as s:
        values = settings.get_all(s)
        ids = {stable_id("setting", v.key): v.key for v in values}
        changed = _last_changes(s, "setting", list(ids))
    by_key = {ids[rid]: c for rid, c in changed.items()}
    return [SettingRow(v, by_key.get(v.key, Changed())) for v in values]


class Stale(ValidationError):
    """Another clerk changed the value since this clerk's screen read it."""


STALE = "刚被其他人修改过（现在是 {0}），请看过新的值后再改。未做任何改动。"


def _lock(s: Session, model: Any, rid: str) -> None:
    """Hold the row until the end of the transaction (on PostgreSQL; a SQLite hub has one writer
    at a time): two clerks saving the same setting or item at once are served one after the
    other, and the second then finds the value changed under it (`expected`)."""
    s.get(model, rid, with_for_update=True)


def _stored_race(what: str) -> ValidationError:
    # both clerks inserted the first row of a value never changed before: the second loses
    return Stale(f"{what}刚被其他人修改过，请刷新后再改。未做任何改动。")


def set_setting(
    hub: Hub,
    actor: Actor,
    key: str,
    raw: str,
    *,
    expected: Any = None,
    effective: date | None = None,
) -> Any:
    """Change one district setting from `effective` on (today when None; it reaches every
    office with its next bundle). With `expected` (the value the clerk's screen showed),
    refused if it has changed since."""
    require(actor, DistrictPermission.CATALOGUE)
    try:
        with hub.writer(actor) as s:
            _lock(s, Setting, stable_id("setting", key))
            if expected is not None:
                now = settings.get(s, key)
                if now != expected:
                    label = settings.get_def(key)
                    raise Stale(f"“{label.label}”" + STALE.format(f"{now}{label.unit}"))
            return settings.set_value(s, actor, key, raw, effective=effective)
    except KeyError as exc:
        raise ValidationError(str(exc.args[0])) from None
    except IntegrityError:
        raise _stored_race("这个参数") from None


def catalogue_rows(hub: Hub, actor: Actor) -> list[CatalogueRow]:
    """Every item, retired ones too, in the catalogue's order."""
    require(actor, DistrictPermission.CATALOGUE)
    with hub.reader(actor) as s:
        found = catalogue.items(s, include_retired=True)
        ids = {stable_id("retrofit_item", i.code): i.code for i in found}
        changed = _last_changes(s, "retrofit_catalogue_item", list(ids))
    by_code = {ids[rid]: c for rid, c in changed.items()}
    return [CatalogueRow(i, by_code.get(i.code, Changed())) for i in found]


def _fen(text: str, what: str) -> int:
    try:
        return parse_yuan(text)
    except ValueError as exc:
        raise ValidationError(f"{what}：{exc}") from None


def _check_item(s: Session, code: str, expected: CatalogueItem | None) -> None:
    _lock(s, RetrofitCatalogueItem, stable_id("retrofit_item", code.strip().upper()))
    if expected is None:
        return
    now = catalogue.item(s, code)
    if now != expected:
        state = "已停用" if now.retired else f"单价 {yuan(now.price_fen)} 元"
        raise Stale(f"项目 {now.code} {now.name}" + STALE.format(state))


def set_price(
    hub: Hub,
    actor: Actor,
    code: str,
    price: str,
    cap: str = "",
    *,
    expected: CatalogueItem | None = None,
    effective: date | None = None,
) -> CatalogueItem:
    """A new price in yuan (and, for a basic item, its cap per unit; blank keeps it) from
    `effective` on (today when None). With `expected` (the item as the clerk's screen showed
    it), refused if it has changed since."""
    require(actor, DistrictPermission.CATALOGUE)
    fen = _fen(price, "单价")
    cap_fen = _fen(cap, "补贴上限") if cap.strip() else None
    try:
        with hub.writer(actor) as s:
            _check_item(s, code, expected)
            return catalogue.set_price(s, actor, code, fen, cap_fen, effective=effective)
    except IntegrityError:
        raise _stored_race("这个项目") from None


def add_item(
    hub: Hub,
    actor: Actor,
    *,
    code: str,
    part: str,
    name: str,
    unit: str,
    price: str,
    basic: bool,
    cap: str = "",
) -> CatalogueItem:
    require(actor, DistrictPermission.CATALOGUE)
    if not code.strip() or not name.strip() or not unit.strip():
        raise ValidationError("请填写新项目的编号、名称和计量单位。未做任何改动。")
    try:
        kind = Part(part)
    except ValueError:
        raise ValidationError(f"类别应为 {'、'.join(p.value for p in Part)} 之一") from None
    fen = _fen(price, "单价")
    cap_fen = _fen(cap, "补贴上限") if cap.strip() else 0
    if cap_fen and not basic:
        raise ValidationError("只有基础项目才设补贴上限。未做任何改动。")
    try:
        with hub.writer(actor) as s:
            return catalogue.add(
                s,
                actor,
                code=code,
                part=kind,
                name=name,
                unit=unit,
                price_fen=fen,
                basic=basic,
                cap_fen=cap_fen,
            )
    except IntegrityError:  # two clerks added the same code at once: the second loses
        raise ValidationError(
            f"编号“{code.strip().upper()}”刚被其他人用于新项目，请换一个编号。未做任何改动。"
        ) from None


def retire(
    hub: Hub,
    actor: Actor,
    code: str,
    *,
    restore: bool = False,
    expected: CatalogueItem | None = None,
    effective: date | None = None,
) -> CatalogueItem:
    """Take an item off the list for new assessments (or put it back) from `effective` on
    (today when None); cases keep theirs."""
    require(actor, DistrictPermission.CATALOGUE)
    try:
        with hub.writer(actor) as s:
            _check_item(s, code, expected)
            return catalogue.retire(s, actor, code, restore=restore, effective=effective)
    except IntegrityError:
        raise _stored_race("这个项目") from None


# -- changes scheduled for a later day ------------------------------------------------------


def pending_settings(hub: Hub, actor: Actor) -> list[settings.Pending]:
    """The settings' changes that take effect after today, by setting then day."""
    require(actor, DistrictPermission.CATALOGUE)
    with hub.reader(actor) as s:
        return settings.pending(s)


def cancel_setting(hub: Hub, actor: Actor, key: str, effective_from: date) -> settings.Pending:
    """Cancel a setting's pending change (journaled as the clerk; its tombstone travels)."""
    require(actor, DistrictPermission.CATALOGUE)
    try:
        with hub.writer(actor) as s:
            return settings.cancel_pending(s, actor, key, effective_from)
    except KeyError as exc:
        raise ValidationError(str(exc.args[0])) from None


def pending_catalogue(hub: Hub, actor: Actor) -> list[catalogue.Pending]:
    """The catalogue's changes that take effect after today, by item then day."""
    require(actor, DistrictPermission.CATALOGUE)
    with hub.reader(actor) as s:
        return catalogue.pending(s)


def cancel_catalogue(hub: Hub, actor: Actor, code: str, effective_from: date) -> catalogue.Pending:
    """Cancel an item's pending change (journaled as the clerk; its tombstone travels)."""
    require(actor, DistrictPermission.CATALOGUE)
    with hub.writer(actor) as s:
        return catalogue.cancel_pending(s, actor, code, effective_from)
