"""Helpers shared by the programme 2 services: permission checks and the acting person's rights."""

from __future__ import annotations

from caseworker.domain.errors import PermissionDenied
from caseworker.domain.roles import PERMISSIONS, Actor, DistrictRole, Permission


def can_view(actor: Actor) -> None:
    if not actor.can(Permission.RETROFIT_VIEW):
        raise PermissionDenied("没有查看适老化改造档案的权限")


def can_edit(actor: Actor) -> None:
    if not actor.can(Permission.RETROFIT_EDIT):
        raise PermissionDenied("没有办理适老化改造的权限，请联系民政专干或科长")


def can_approve(actor: Actor) -> None:
    if not actor.can(Permission.RETROFIT_APPROVE):
        raise PermissionDenied("只有科长可以审批适老化改造")


def permissions_of(actor: Actor) -> frozenset[Permission] | None:
    """The actor's permissions; None for the system actor (may do anything)."""
    if actor.role is None:
        return None
    if isinstance(actor.role, DistrictRole):
        return frozenset()  # a district account holds none of an office's permissions
    return PERMISSIONS[actor.role]
