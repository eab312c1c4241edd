"""Helpers shared by the programme 1 services: permission checks, text cleaning, today."""

from __future__ import annotations

from datetime import date

from caseworker.domain.errors import PermissionDenied, ValidationError
from caseworker.domain.roles import Actor, Permission
from caseworker.domain.text import strip_controls
from caseworker.services.person_search import like_escape  # noqa: F401  (re-exported)


def can_view(actor: Actor) -> None:
    if not actor.can(Permission.ELDERLY_VIEW):
        raise PermissionDenied("没有查看老年人台账的权限")


def can_edit(actor: Actor) -> None:
    if not actor.can(Permission.ELDERLY_EDIT):
        raise PermissionDenied("没有修改老年人台账和探访记录的权限，请联系民政专干或科长")


def today_or(today: date | None) -> date:
    return today if today is not None else date.today()


def clean(text: str | None, label: str, field: str, max_len: int, required: bool = False) -> str:
    """Collapse stray whitespace, take out control characters; refuse an empty required value
    or an over-long one."""
    value = " ".join(strip_controls(text or "").split())
    if required and not value:
        raise ValidationError(f"请填写{label}", field=field)
    if len(value) > max_len:
        raise ValidationError(f"{label}不能超过 {max_len} 个字", field=field)
    return value


def clean_multiline(text: str | None, label: str, field: str, max_len: int = 2000) -> str:
    value = "\n".join(line.rstrip() for line in strip_controls(text or "").strip().splitlines())
    if len(value) > max_len:
        raise ValidationError(f"{label}不能超过 {max_len} 个字", field=field)
    return value


def clean_phone(text: str | None, label: str, field: str) -> str:
    value = "".join((text or "").split()).replace("－", "-")
    value = value.translate({0xFF10 + i: ord("0") + i for i in range(10)})
    if value and not all(ch.isdigit() or ch in "-+" for ch in value):
        raise ValidationError(f"{label}只能包含数字和“-”，收到“{text}”", field=field)
    if len(value) > 40:
        raise ValidationError(f"{label}太长", field=field)
    return value
