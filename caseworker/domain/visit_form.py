"""What a home visit records (探访记录): methods, the five areas with their structured choices,
referral destinations and statuses. One catalogue serves validation, storage and the paper form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Method(StrEnum):
    HOME = "入户"
    PHONE = "电话"
    VIDEO = "视频"


class VisitStatus(StrEnum):
    DRAFT = "草稿"
    COMPLETED = "已完成"


class ReferralStatus(StrEnum):
    OPEN = "待办"
    IN_PROGRESS = "办理中"
    CLOSED = "已办结"

    @property
    def is_open(self) -> bool:
        return self is not ReferralStatus.CLOSED


REFERRAL_TARGETS: tuple[str, ...] = (
    "社区养老服务站",
    "医疗机构",
    "社会救助",
    "适老化改造",
    "其他",
)


@dataclass(frozen=True)
class ChoiceField:
    """A structured question on the form. `multi` answers are several choices joined by "、"."""

    name: str  # column name on the visit
    area: str
    label: str
    choices: tuple[str, ...]
    multi: bool = False


AREAS: tuple[tuple[str, str], ...] = (
    ("health", "一、健康状况"),
    ("living", "二、生活与经济"),
    ("family", "三、家庭赡养"),
    ("safety", "四、居家安全"),
    ("needs", "五、服务需求"),
)

CHOICE_FIELDS: tuple[ChoiceField, ...] = (
    ChoiceField("health_communication", "health", "沟通", ("正常", "有困难", "不能沟通")),
    ChoiceField("health_mobility", "health", "行动", ("自理", "部分依赖", "卧床")),
    ChoiceField("health_reaction", "health", "反应", ("灵敏", "迟缓")),
    ChoiceField("health_mental", "health", "精神状态", ("良好", "一般", "较差")),
    ChoiceField("living_food", "living", "饮食", ("有保障", "不稳定", "无保障")),
    ChoiceField("living_clothing", "living", "衣着", ("有保障", "不足")),
    ChoiceField("living_housing", "living", "住房", ("安全", "有隐患", "危房")),
    ChoiceField("living_medical_cost", "living", "医疗费用", ("可负担", "有困难")),
    ChoiceField("living_benefits", "living", "享受待遇", ("已按时领取", "未领取", "不清楚")),
    ChoiceField("family_contact", "family", "赡养人探望/联系", ("经常", "偶尔", "很少", "无")),
    ChoiceField(
        "safety_hazards",
        "safety",
        "安全隐患",
        ("无", "用水", "用电", "燃气", "取暖", "跌倒风险"),
        multi=True,
    ),
    ChoiceField(
        "needs_services",
        "needs",
        "服务需求",
        ("无", "日常照料", "康复护理", "精神慰藉", "适老化改造", "助餐"),
        multi=True,
    ),
)

# Free-text fields per area (column name → label), written beside the choices.
TEXT_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("health_illness", "health", "疾病情况"),
    ("health_notes", "health", "健康备注"),
    ("living_notes", "living", "生活经济备注"),
    ("family_notes", "family", "赡养情况备注"),
    ("safety_notes", "safety", "安全备注"),
    ("needs_notes", "needs", "需求备注"),
)

MULTI_SEPARATOR = "、"
FIELDS_BY_NAME: dict[str, ChoiceField] = {f.name: f for f in CHOICE_FIELDS}


def check_choice(field: ChoiceField, value: str) -> str | None:
    """None when `value` is an allowed answer (empty = not asked), else a Chinese reason."""
    if not value:
        return None
    parts = value.split(MULTI_SEPARATOR) if field.multi else [value]
    bad = [p for p in parts if p not in field.choices]
    if bad:
        return f"“{field.label}”只能选 {'、'.join(field.choices)}，不能是“{'、'.join(bad)}”"
    if field.multi and "无" in parts and len(parts) > 1:
        return f"“{field.label}”选了“无”就不能再选其他项"
    return None


def as_text(value: object) -> str:
    """A visit's value as an amendment records it and the forms show it (dates ISO, visitors
    joined by 、): the service compares and journals these, the screens show the same."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return "、".join(value)
    return str(value)
