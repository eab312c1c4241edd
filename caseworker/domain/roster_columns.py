"""The columns an imported roster may have, with the header names offices use for each, and the
words their 类别 columns use. Programme 1 (elderly) now; other programmes add their own specs.
"""

from __future__ import annotations

from dataclasses import dataclass

from caseworker.domain.elderly import Category
from caseworker.domain.tabular import header_key


@dataclass(frozen=True)
class ColumnSpec:
    field: str
    label: str  # the product's name for it (the mapping step shows it)
    synonyms: tuple[str, ...]  # header names seen in offices' rosters (matched by header_key)
    required: bool = False


@dataclass(frozen=True)
class RosterSpec:
    """What a roster import understands: its columns and the header names that find them."""

    programme: str
    title: str
    columns: tuple[ColumnSpec, ...]

    def field_of(self, label: object) -> str | None:
        """The field a header label stands for, or None."""
        return self._lookup().get(header_key(label))  # type: ignore[arg-type]

    def _lookup(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for c in self.columns:
            for s in (c.label, *c.synonyms):
                found.setdefault(header_key(s), c.field)
        return found

    def label_of(self, field: str) -> str:
        return next((c.label for c in self.columns if c.field == field), field)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.field for c in self.columns if c.required)


ELDERLY = RosterSpec(
    "elderly",
    "老年人台账",
    (
        ColumnSpec(
            "name", "姓名", ("老人姓名", "老年人姓名", "姓 名", "服务对象", "对象姓名"), True
        ),
        ColumnSpec(
            "id_number",
            "身份证号",
            ("身份证号码", "公民身份号码", "公民身份证号码", "身份证", "证件号码", "身份证件号码"),
            True,
        ),
        ColumnSpec(
            "community",
            "社区/村",
            (
                "社区",
                "所属社区",
                "所在社区",
                "村",
                "社区(村)",
                "社区/村",
                "村(社区)",
                "村/社区",
                "居委会",
                "所在村",
            ),
        ),
        ColumnSpec(
            "phone",
            "联系电话",
            ("电话", "手机", "手机号", "手机号码", "联系方式", "本人电话", "老人电话"),
        ),
        ColumnSpec(
            "address",
            "住址",
            ("家庭住址", "现住址", "居住地址", "地址", "现居住地址", "详细地址", "家庭地址"),
        ),
        ColumnSpec(
            "categories",
            "类别",
            ("老人类别", "人员类别", "困难类别", "对象类别", "特殊困难类型", "困难类型", "类型"),
        ),
        ColumnSpec("living_arrangement", "居住情况", ("居住状况", "居住方式", "居住类型")),
        ColumnSpec("health_notes", "健康状况", ("身体状况", "健康情况")),
        ColumnSpec("supporter_name", "赡养人", ("赡养人姓名", "赡养人名字", "子女姓名")),
        ColumnSpec(
            "supporter_relation",
            "与老人关系",
            ("赡养人关系", "赡养人与老人关系", "关系", "与本人关系"),
        ),
        ColumnSpec(
            "supporter_phone",
            "赡养人电话",
            ("赡养人联系电话", "赡养人手机", "子女电话", "赡养人联系方式"),
        ),
        ColumnSpec("emergency_name", "紧急联系人", ("紧急联系人姓名", "联系人", "联系人姓名")),
        ColumnSpec(
            "emergency_phone",
            "紧急联系人电话",
            ("紧急联系电话", "紧急联系人手机", "紧急联系人联系方式", "联系人电话", "联系人手机"),
        ),
        ColumnSpec(
            "enrolled_on",
            "登记日期",
            ("纳入日期", "纳入时间", "建档日期", "建档时间", "登记时间", "入册日期"),
        ),
        ColumnSpec("birth_date", "出生日期", ("出生年月", "出生年月日", "生日")),
        ColumnSpec("sex", "性别", ()),
        ColumnSpec("notes", "备注", ("其他", "说明")),
    ),
)

# Header groups that stand above sub-headers ("赡养人" over "姓名 | 电话").
GROUP_PREFIXES = ("赡养人", "紧急联系人", "监护人", "联系人")

# 类别 words as offices write them → the product's categories. 高龄 is derived from the ID.
CATEGORY_WORDS: dict[str, Category | None] = {
    **{c.value: c for c in Category},
    "特困": Category.EXTREME_POVERTY,
    "特困人员": Category.EXTREME_POVERTY,
    "特困供养人员": Category.EXTREME_POVERTY,
    "五保": Category.EXTREME_POVERTY,
    "五保户": Category.EXTREME_POVERTY,
    "低保户": Category.MIN_ALLOWANCE,
    "低保对象": Category.MIN_ALLOWANCE,
    "低保边缘": Category.LOW_INCOME,
    "低边": Category.LOW_INCOME,
    "低收入家庭": Category.LOW_INCOME,
    "独居老人": Category.LIVING_ALONE,
    "空巢老人": Category.EMPTY_NEST,
    "留守老人": Category.LEFT_BEHIND,
    "失能": Category.DISABLED,
    "半失能": Category.DISABLED,
    "失能半失能": Category.DISABLED,
    "重度残疾": Category.SEVERELY_DISABLED,
    "重残老人": Category.SEVERELY_DISABLED,
    "计生特殊家庭": Category.FAMILY_PLANNING_SPECIAL,
    "计划生育特殊家庭": Category.FAMILY_PLANNING_SPECIAL,
    "失独": Category.FAMILY_PLANNING_SPECIAL,
    "失独家庭": Category.FAMILY_PLANNING_SPECIAL,
    "高龄老人": Category.ADVANCED_AGE,
}


def read_categories(words: list[str]) -> tuple[frozenset[Category], list[str]]:
    """The categories these words name (高龄 dropped: it is derived) and the words not known."""
    found: set[Category] = set()
    unknown: list[str] = []
    for w in words:
        cat = CATEGORY_WORDS.get(w)
        if cat is None:
            unknown.append(w)
        elif cat is not Category.ADVANCED_AGE:
            found.add(cat)
    return frozenset(found), unknown
