"""统计报表 to .xlsx: one sheet per table, numbers as numbers, rates as percentages."""

from __future__ import annotations

from pathlib import Path

from caseworker.services.reports import Report
from caseworker.services.tabular.xlsx import XlsxWriter


def write_xlsx(report: Report, out: Path | str) -> Path:
    """The report's tables, one sheet each (title row: office, report, period, date)."""
    with XlsxWriter(out) as w:
        keys = [t.key for section in report.sections for t in section.tables]
        many = len(set(keys)) < len(keys)  # prefix with the section only when names repeat
        for section in report.sections:
            secret = "（保密）" if section.confidential else ""
            for t in section.tables:
                rows = list(t.rows)
                if t.note:
                    rows += [(), (f"说明：{t.note}",)]
                if section.footnotes:  # the section's definitions under each of its tables
                    rows += [(), ("注：",)]
                    rows += [(f"{i}. {text}",) for i, text in enumerate(section.footnotes, 1)]
                w.add_sheet(
                    f"{section.title[:4]}-{t.key}" if many else t.key,
                    t.columns,
                    rows,
                    title=f"{report.title}　{section.title}·{t.title}{secret}　"
                    f"制表日期 {report.generated_on:%Y-%m-%d}",
                )
    return Path(out)
