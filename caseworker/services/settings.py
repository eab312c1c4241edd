"""Read and change district settings (typed, with defaults from the catalog), as of a day.

A change may be dated (`set_value(..., effective=day)`): it is kept in `dated_value`
(`caseworker.services.dated`) and read from its day on; until then it is pending. `get` and
`get_all` read the value in force on a day (today by default): the newest dated entry in force,
else the `setting` row, else the default. The entries migration 0021 made of the values held
before (dated `SINCE_EVER`) decide only a past day (`dated.counts`): today the `setting` row,
which a change today also writes, stays ahead of them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseworker.domain.errors import PermissionDenied, ValidationError
from caseworker.domain.roles import Actor, Permission
from caseworker.domain.settings_catalog import CATALOG, get_def
from caseworker.services import dated
from db.ids import stable_id
from db.models import Setting
from db.sync_models import SyncIdentity


@dataclass(frozen=True)
class SettingValue:
    key: str
    label: str
    value: Any
    default: Any
    unit: str
    minimum: int | None
    maximum: int | None


def _decode(definition: Any, value: Any) -> Any:
    try:
        return definition.coerce(value)
    except ValueError:
        return definition.default  # a stored value out of today's range falls back to default


def get(session: Session, key: str, on: date | None = None) -> Any:
    """The value of `key` in force on `on` (today)."""
    definition = get_def(key)
    entry = dated.in_force(session, dated.SETTING, key, on)
    if entry is not None and dated.counts(entry, on):
        return _decode(definition, entry.value)
    stored = session.scalar(
        select(Setting.value).where(Setting.key == key, Setting.deleted_at.is_(None))
    )
    if stored is None:
        return definition.default
    try:
        return _decode(definition, json.loads(stored))
    except ValueError:
        return definition.default


def on_days(session: Session, keys: list[str], days: list[date]) -> dict[date, dict[str, Any]]:
    """The values of `keys` in force on each of `days` (`get` for every day and key, each
    day today or earlier), in two statements: the stored rows and the keys' dated entries.
    A report's twelve months each count with the interval of their own month."""
    stored = dict(
        session.execute(
            select(Setting.key, Setting.value).where(
                Setting.key.in_(keys), Setting.deleted_at.is_(None)
            )
        ).all()
    )
    entries = [e for e in dated.history(session, dated.SETTING) if e.key in keys]
    out: dict[date, dict[str, Any]] = {}
    for day in days:
        values: dict[str, Any] = {}
        for key in keys:
            definition = get_def(key)
            # the newest entry in force on the day (history is oldest first), as `in_force`
            entry = next(
                (e for e in reversed(entries) if e.key == key and e.effective_from <= day),
                None,
            )
            if entry is not None and dated.counts(entry, day):
                values[key] = _decode(definition, entry.value)
                continue
            try:
                values[key] = (
                    _decode(definition, json.loads(stored[key]))
                    if key in stored
                    else definition.default
                )
            except ValueError:
                values[key] = definition.default
        out[day] = values
    return out


def get_all(session: Session, on: date | None = None) -> list[SettingValue]:
    """Every setting's value in force on `on` (today): two small statements."""
    stored = {
        k: v
        for k, v in session.execute(
            select(Setting.key, Setting.value).where(Setting.deleted_at.is_(None))
        )
    }
    entries = {
        k: e[-1]
        for k, e in dated.in_force_all(session, dated.SETTING, on).items()
        if dated.counts(e[-1], on)
    }
    result = []
    for d in CATALOG.values():
        value = d.default
        if d.key in entries:
            value = _decode(d, entries[d.key].value)
        elif d.key in stored:
            try:
                value = _decode(d, json.loads(stored[d.key]))
            except ValueError:
                value = d.default
        result.append(SettingValue(d.key, d.label, value, d.default, d.unit, d.minimum, d.maximum))
    return result


@dataclass(frozen=True)
class Pending:
    """A setting's change scheduled for a later day."""

    key: str
    label: str
    value: Any
    unit: str
    effective_from: date
    changed_by: str
    changed_at: datetime


def pending(session: Session, on: date | None = None) -> list[Pending]:
    """The settings' changes that take effect after `on` (today), by setting then day."""
    out = []
    for e in dated.pending(session, dated.SETTING, on):
        if e.key not in CATALOG:  # a key this release does not know: nothing reads it
            continue
        d = CATALOG[e.key]
        out.append(
            Pending(
                e.key,
                d.label,
                _decode(d, e.value),
                d.unit,
                e.effective_from,
                e.changed_by,
                e.changed_at,
            )
        )
    return out


def managed_by_district(session: Session) -> bool:
    """An enrolled office receives its settings from the district and does not edit them:
    otherwise one office's change would spread to every office through the district."""
    return session.scalar(select(SyncIdentity.role)) == "office"


def _may_edit(session: Session, actor: Actor) -> None:
    if not actor.can(Permission.EDIT_SETTINGS):
        raise PermissionDenied("只有系统管理员可以修改设置")
    if managed_by_district(session):
        raise PermissionDenied(
            "本街道已在区民政局登记，参数由区民政局统一设置，会随数据包发来；如需调整请联系区民政局。"
        )


def set_value(
    session: Session, actor: Actor, key: str, raw: Any, *, effective: date | None = None
) -> Any:
    """Set `key` from `effective` on (today when None: at once). A past day is refused."""
    _may_edit(session, actor)
    definition = get_def(key)
    try:
        value = definition.coerce(raw)
    except ValueError as exc:
        raise ValidationError(str(exc), field=key) from None
    day = dated.effective_day(effective)
    dated.record(session, actor, dated.SETTING, key, value, day)
    if day > dated.today():
        return value  # pending: read from its day on (`get`), nothing else changes now
    row = session.get(Setting, stable_id("setting", key))
    encoded = json.dumps(value, ensure_ascii=False)
    if row is None:
        session.add(Setting(id=stable_id("setting", key), key=key, value=encoded))
    else:
        row.value = encoded
        row.deleted_at = None
    session.flush()
    if key.startswith("visit.interval_days."):
        # every resident's next due date follows the interval of their tier
        from caseworker.services.elderly import schedule

        schedule.follow_intervals(session, force=True)
    return value


def cancel_pending(session: Session, actor: Actor, key: str, effective_from: date) -> Pending:
    """Cancel a setting's change scheduled for a later day (before that day only)."""
    _may_edit(session, actor)
    definition = get_def(key)
    e = dated.cancel(session, dated.SETTING, key, effective_from)
    return Pending(
        key,
        definition.label,
        _decode(definition, e.value),
        definition.unit,
        e.effective_from,
        e.changed_by,
        e.changed_at,
    )
