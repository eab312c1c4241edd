"""Read and change district settings (typed, with defaults from the catalog)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseworker.domain.errors import PermissionDenied, ValidationError
from caseworker.domain.roles import Actor, Permission
from caseworker.domain.settings_catalog import CATALOG, get_def
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


def get(session: Session, key: str) -> Any:
    definition = get_def(key)
    stored = session.scalar(
        select(Setting.value).where(Setting.key == key, Setting.deleted_at.is_(None))
    )
    if stored is None:
        return definition.default
    try:
        return definition.coerce(json.loads(stored))
    except ValueError:
        return definition.default  # a stored value out of today's range falls back to default


def get_all(session: Session) -> list[SettingValue]:
    stored = {
        k: v
        for k, v in session.execute(
            select(Setting.key, Setting.value).where(Setting.deleted_at.is_(None))
        )
    }
    result = []
    for d in CATALOG.values():
        value = d.default
        if d.key in stored:
            try:
                value = d.coerce(json.loads(stored[d.key]))
            except ValueError:
                value = d.default
        result.append(SettingValue(d.key, d.label, value, d.default, d.unit, d.minimum, d.maximum))
    return result


def managed_by_district(session: Session) -> bool:
    """An enrolled office receives its settings from the district and does not edit them:
    otherwise one office's change would spread to every office through the district."""
    return session.scalar(select(SyncIdentity.role)) == "office"


def set_value(session: Session, actor: Actor, key: str, raw: Any) -> Any:
    if not actor.can(Permission.EDIT_SETTINGS):
        raise PermissionDenied("只有系统管理员可以修改设置")
    if managed_by_district(session):
        raise PermissionDenied(
            "本街道已在区民政局登记，参数由区民政局统一设置，会随数据包发来；如需调整请联系区民政局。"
        )
    definition = get_def(key)
    try:
        value = definition.coerce(raw)
    except ValueError as exc:
        raise ValidationError(str(exc), field=key) from None
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

        schedule.recompute(session)
    return value
