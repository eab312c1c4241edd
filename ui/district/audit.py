"""操作记录 (区级管理员): who at the bureau did what at the hub, when — the hub's own journal
rows (not the offices' changes it received) on the audit log page the office's 操作日志 uses
(`ui.widgets.audit_page`): by person, record and dates, newest first, a page at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from caseworker.district import console
from ui.context import AppContext
from ui.messages import tr
from ui.widgets.audit_page import AuditLogPage, AuditReads

if TYPE_CHECKING:
    from caseworker.district.hub import Hub


def hub_reads(hub: Hub) -> AuditReads:
    """The hub's reads: each opens its own session on the hub (the runner's is not used)."""
    return AuditReads(
        names=lambda _s, actor: console.audit_names(hub, actor),
        first=lambda _s, actor, flt, limit: console.audit_first_page(hub, actor, flt, limit),
        after=lambda _s, actor, flt, last, limit: console.audit_next_page(
            hub, actor, flt, last, limit
        ),
    )


class AuditPage(AuditLogPage):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__(
            ctx,
            hub_reads(ctx.ws),  # type: ignore[arg-type]
            title=tr("操作记录：区民政局的人员在平台上做了什么"),
            sources=False,  # the hub's own changes: all made here
        )
