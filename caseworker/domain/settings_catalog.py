"""The district settings the product knows: key, type, default, Chinese label, allowed range.

Values live in the `setting` table only when they differ from the default, so a new release can
change a default without a migration. Frequencies are settings of the district, not code constants.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SettingDef:
    key: str
    type: type
    default: Any
    label: str
    minimum: int | None = None
    maximum: int | None = None
    unit: str = ""

    def coerce(self, value: Any) -> Any:
        """Turn user or stored input into the setting's type; ValueError with a Chinese reason."""
        if self.type is bool:
            if isinstance(value, str):
                if value.strip().lower() in {"1", "true", "yes", "是"}:
                    return True
                if value.strip().lower() in {"0", "false", "no", "否"}:
                    return False
                raise ValueError(f"{self.label}：应为“是”或“否”")
            return bool(value)
        if self.type is int:
            try:
                number = int(str(value).strip())
            except ValueError:
                raise ValueError(f"{self.label}：应为整数，收到“{value}”") from None
            if self.minimum is not None and number < self.minimum:
                raise ValueError(f"{self.label}：不能小于 {self.minimum}{self.unit}")
            if self.maximum is not None and number > self.maximum:
                raise ValueError(f"{self.label}：不能大于 {self.maximum}{self.unit}")
            return number
        text = str(value).strip()
        if not text:
            raise ValueError(f"{self.label}：不能为空")
        return text


CATALOG: dict[str, SettingDef] = {
    d.key: d
    for d in [
        SettingDef("visit.interval_days.high_risk", int, 7, "高风险老人探访间隔", 1, 92, "天"),
        SettingDef("visit.interval_days.key", int, 30, "重点老人探访间隔", 1, 366, "天"),
        SettingDef("visit.interval_days.general", int, 90, "一般老人探访间隔", 1, 366, "天"),
        SettingDef("child.visit_interval_days.high", int, 7, "高风险儿童回访间隔", 1, 92, "天"),
        SettingDef("child.visit_interval_days.medium", int, 30, "中风险儿童回访间隔", 1, 366, "天"),
        SettingDef("child.visit_interval_days.low", int, 90, "低风险儿童回访间隔", 1, 366, "天"),
        SettingDef("report.visit_rate_target", int, 100, "月探访率目标", 1, 100, "%"),
        SettingDef("security.idle_lock_minutes", int, 10, "无操作自动锁屏", 1, 240, "分钟"),
        SettingDef("security.max_failed_logins", int, 5, "连续输错密码上限", 3, 20, "次"),
        SettingDef("security.lockout_minutes", int, 15, "输错密码后锁定", 1, 1440, "分钟"),
        SettingDef("security.min_password_length", int, 8, "密码最短长度", 6, 64, "位"),
        SettingDef("backup.keep_daily", int, 14, "保留每日备份", 1, 365, "份"),
        SettingDef("backup.keep_weekly", int, 8, "保留每周备份", 0, 520, "份"),
        SettingDef(
            "retrofit.household_cap_yuan", int, 3000, "适老化改造每户补贴上限", 0, 100000, "元"
        ),
        # off by default: a month of 40 forms adds about 7 MB to an office's bundle
        # (docs/paper_forms.md); the signed paper stays in the office's archive either way
        SettingDef("sync.send_scan_originals", bool, False, "扫描原件随数据包上报区里"),
    ]
}


def get_def(key: str) -> SettingDef:
    try:
        return CATALOG[key]
    except KeyError:
        raise KeyError(f"未知的设置项：{key}") from None
