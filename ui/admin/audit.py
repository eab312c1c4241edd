"""操作日志: the office's whole journal on the shared audit log page (`ui.widgets.audit_page`),
read through the audit services, with 导出Excel of the log as filtered."""

from __future__ import annotations

from caseworker.services import audit
from caseworker.services.audit import AuditFilter
from ui.context import AppContext
from ui.widgets.audit_page import AuditLogPage, AuditReads

OFFICE_READS = AuditReads(
    names=audit.actor_names,
    first=audit.first_page,
    after=lambda s, actor, flt, last, limit: audit.page(
        s, actor, flt, limit=limit, after=audit.after_key(last)
    ),
)


class AuditPage(AuditLogPage):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx, OFFICE_READS, export=lambda flt: self._export_excel(flt))

    def _export_excel(self, flt: AuditFilter) -> object:
        from caseworker.services.exports import ExportFilter
        from ui.export import export_list

        return export_list(self.ctx, self, "audit", ExportFilter(audit=flt))
