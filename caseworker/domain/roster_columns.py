"""The columns an imported roster may have, with the header names offices use for each, and the
words their 类别 columns use: the elderly roster (`ELDERLY`), the child register (`CHILDREN`)
and the retrofit households (`RETROFIT`).
"""

from __future__ import annotations

from dataclasses import dataclass

from caseworker.domain.children import DISABILITY_KINDS, ChildCategory, ChildFact, ParentCondition
from caseworker.domain.elderly import Category
from caseworker.domain.retrofit import HouseholdCategory
from caseworker.domain.tabular import header_key, to_ascii


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

# Header groups that stand above sub-headers ("赡养人" over "姓名 | 电话", "父亲" over
# "姓名 | 身份证号 | 情况 | 证明材料").
GROUP_PREFIXES = ("赡养人", "紧急联系人", "监护人", "联系人", "父亲", "母亲")

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


# -- the child register (儿童台账) ------------------------------------------------------------------


def _parent(who: str, field: str) -> tuple[ColumnSpec, ...]:
    """A parent's columns: name, ID, phone, their situation with its dates and evidence."""
    p = f"{field}_"
    return (
        ColumnSpec(f"{p}name", f"{who}姓名", (f"{who}",)),
        ColumnSpec(f"{p}id_number", f"{who}身份证号", (f"{who}身份证号码", f"{who}身份证")),
        ColumnSpec(f"{p}phone", f"{who}电话", (f"{who}联系电话", f"{who}手机")),
        ColumnSpec(
            f"{p}condition",
            f"{who}情况",
            (f"{who}状况", f"{who}现状", f"{who}情形", f"{who}困境情形", f"{who}类型"),
        ),
        ColumnSpec(
            f"{p}start",
            f"{who}情况起始日期",
            (f"{who}起始日期", f"{who}开始日期", f"{who}情况开始日期", f"{who}发生日期"),
        ),
        ColumnSpec(
            f"{p}end",
            f"{who}情况截止日期",
            (f"{who}截止日期", f"{who}刑期截止", f"{who}刑满日期", f"{who}期满日期"),
        ),
        ColumnSpec(
            f"{p}evidence",
            f"{who}证明材料",
            (f"{who}证明", f"{who}认定依据", f"{who}证明材料种类", f"{who}材料"),
        ),
        ColumnSpec(f"{p}evidence_date", f"{who}证明日期", (f"{who}证明出具日期",)),
        ColumnSpec(f"{p}evidence_issuer", f"{who}出具单位", (f"{who}证明出具单位",)),
        ColumnSpec(f"{p}evidence_number", f"{who}文书编号", (f"{who}证明编号", f"{who}文号")),
    )


CHILDREN = RosterSpec(
    "children",
    "儿童台账",
    (
        ColumnSpec("name", "姓名", ("儿童姓名", "姓 名", "儿童", "未成年人姓名"), True),
        ColumnSpec(
            "id_number",
            "身份证号",
            ("身份证号码", "公民身份号码", "儿童身份证号", "儿童身份证号码", "身份证", "证件号码"),
            True,
        ),
        ColumnSpec(
            "community",
            "社区/村",
            ("社区", "所属社区", "所在社区", "村", "社区(村)", "村(社区)", "村/社区", "居委会"),
        ),
        ColumnSpec("address", "住址", ("家庭住址", "现住址", "居住地址", "地址", "详细地址")),
        ColumnSpec("phone", "联系电话", ("电话", "联系方式", "家庭电话")),
        ColumnSpec("school", "学校", ("就读学校", "所在学校", "学校名称")),
        ColumnSpec("grade", "年级", ("就读年级", "年级班级")),
        ColumnSpec("living_arrangement", "居住情况", ("居住状况", "居住方式", "生活状况")),
        ColumnSpec(
            "categories",
            "儿童类别",
            ("类别", "保障类别", "儿童类型", "困境类型", "困境儿童类型", "人员类别", "类型"),
        ),
        ColumnSpec(
            "registered_on",
            "登记日期",
            ("建档日期", "建档时间", "纳入日期", "登记时间", "纳入时间", "认定日期"),
        ),
        ColumnSpec("birth_date", "出生日期", ("出生年月", "出生年月日", "生日")),
        ColumnSpec("sex", "性别", ()),
        *_parent("父亲", "father"),
        *_parent("母亲", "mother"),
        ColumnSpec("guardian_name", "监护人姓名", ("监护人", "实际监护人", "实际监护人姓名")),
        ColumnSpec("guardian_relation", "与儿童关系", ("监护人关系", "与本人关系", "关系")),
        ColumnSpec(
            "guardian_phone",
            "监护人电话",
            ("监护人联系电话", "监护人手机", "实际监护人电话"),
        ),
        ColumnSpec("guardian_id_number", "监护人身份证号", ("监护人身份证号码",)),
        ColumnSpec(
            "child_condition",
            "本人/家庭情况",
            ("本人情况", "家庭情况", "儿童本人情况", "家庭经济状况"),
        ),
        ColumnSpec("child_start", "本人/家庭情况起始日期", ("本人情况起始日期",)),
        ColumnSpec("child_evidence", "本人/家庭情况证明材料", ("本人情况证明材料",)),
        ColumnSpec("child_evidence_date", "本人/家庭情况证明日期", ("本人情况证明日期",)),
        ColumnSpec("child_evidence_issuer", "本人/家庭情况出具单位", ("本人情况出具单位",)),
        ColumnSpec("notes", "备注", ("其他", "说明")),
    ),
)


def word_key(word: str) -> str:
    """A 类别 word reduced for matching: full-width to ASCII, no spaces (brackets kept: they
    carry 困境儿童's subtype)."""
    return "".join(to_ascii(word).split())


# 儿童类别 words as offices write them. A bare "困境儿童" names no subtype: not read.
_CHILD_CATEGORY_WORDS: dict[str, ChildCategory] = {
    **{c.value: c for c in ChildCategory},
    "孤儿": ChildCategory.ORPHAN,
    "事实无人抚养": ChildCategory.DE_FACTO,
    "事实无人抚养儿童": ChildCategory.DE_FACTO,
    "事实孤儿": ChildCategory.DE_FACTO,
    "经济困境": ChildCategory.DIFFICULTY_ECONOMIC,
    "困境儿童(经济)": ChildCategory.DIFFICULTY_ECONOMIC,
    "经济困难": ChildCategory.DIFFICULTY_ECONOMIC,
    "自身困境": ChildCategory.DIFFICULTY_OWN,
    "困境儿童(自身)": ChildCategory.DIFFICULTY_OWN,
    "重病重残": ChildCategory.DIFFICULTY_OWN,
    "安全困境": ChildCategory.DIFFICULTY_SAFETY,
    "困境儿童(安全)": ChildCategory.DIFFICULTY_SAFETY,
    "监护缺失": ChildCategory.DIFFICULTY_SAFETY,
    "留守": ChildCategory.LEFT_BEHIND,
    "留守儿童": ChildCategory.LEFT_BEHIND,
    "农村留守儿童": ChildCategory.LEFT_BEHIND,
}
CHILD_CATEGORY_WORDS = {word_key(k): v for k, v in _CHILD_CATEGORY_WORDS.items()}

# A parent's or the child's situation as offices write it → the product's condition.
CONDITION_WORDS: dict[str, str] = {
    **{k.value: k.value for k in ParentCondition},
    **{k.value: k.value for k in ChildFact},
    "去世": "死亡",
    "病故": "死亡",
    "已故": "死亡",
    "亡故": "死亡",
    "服刑": "服刑在押",
    "在押": "服刑在押",
    "坐牢": "服刑在押",
    "服刑人员": "服刑在押",
    "戒毒": "强制隔离戒毒",
    "强戒": "强制隔离戒毒",
    "强制戒毒": "强制隔离戒毒",
    "拘留": "其他限制人身自由",
    "失踪": "失联",
    "下落不明": "失联",
    "联系不上": "失联",
    "残疾": "重残",
    "重度残疾": "重残",
    "重病": "重病",
    "大病": "重病",
    "撤销监护": "撤销监护资格",
    "遣返": "被遣送出境",
    "遣送出境": "被遣送出境",
    "打工": "外出务工",
    "务工": "外出务工",
    "外出打工": "外出务工",
    "在外务工": "外出务工",
    "无监护能力": "无监护能力",
    "低保": "低保家庭",
    "低保户": "低保家庭",
    "特困": "特困供养",
    "低收入": "低收入家庭",
    "低边": "低收入家庭",
}


def read_child_categories(words: list[str]) -> tuple[frozenset[ChildCategory], list[str]]:
    """The categories these words name and the words not known (a bare 困境儿童 among them)."""
    found: set[ChildCategory] = set()
    unknown: list[str] = []
    for w in words:
        cat = CHILD_CATEGORY_WORDS.get(word_key(w))
        if cat is None:
            unknown.append(w)
        else:
            found.add(cat)
    return frozenset(found), unknown


# -- retrofit households (适老化改造台账) -------------------------------------------------------------

RETROFIT = RosterSpec(
    "retrofit",
    "适老化改造台账",
    (
        ColumnSpec("name", "姓名", ("老人姓名", "申请人", "申请人姓名", "户主姓名", "姓 名"), True),
        ColumnSpec(
            "id_number",
            "身份证号",
            ("身份证号码", "公民身份号码", "身份证", "证件号码", "申请人身份证号"),
            True,
        ),
        ColumnSpec(
            "community",
            "社区/村",
            ("社区", "所属社区", "所在社区", "村", "社区(村)", "村(社区)", "村/社区", "居委会"),
        ),
        ColumnSpec("address", "住址", ("家庭住址", "改造地址", "现住址", "地址", "详细地址")),
        ColumnSpec("phone", "联系电话", ("电话", "手机", "联系方式", "老人电话")),
        ColumnSpec("contact_name", "家属/联系人", ("联系人", "家属", "家属姓名", "联系人姓名")),
        ColumnSpec("contact_phone", "联系人电话", ("家属电话", "联系人手机", "家属联系电话")),
        ColumnSpec(
            "categories", "类别", ("老人类别", "家庭类别", "对象类别", "困难类别", "人员类别")
        ),
        ColumnSpec("case_no", "档案号", ("编号", "改造编号", "档案编号")),
        ColumnSpec("applied_on", "申请日期", ("申请时间", "受理日期", "登记日期")),
        ColumnSpec("status", "状态", ("改造状态", "办理状态", "进度", "当前环节", "环节")),
        ColumnSpec(
            "accepted_on",
            "验收日期",
            ("完工日期", "完成日期", "验收时间", "竣工日期", "验收通过日期"),
        ),
        ColumnSpec("items", "改造项目", ("改造内容", "改造项目及数量", "项目")),
        ColumnSpec(
            "cost", "改造总额（元）", ("改造总额", "总费用", "改造费用", "总金额", "合计金额")
        ),
        ColumnSpec(
            "subsidy",
            "政府补贴（元）",
            ("政府补贴", "补贴金额", "财政补贴", "补助金额", "政府补助"),
        ),
        ColumnSpec(
            "household",
            "个人承担（元）",
            ("个人承担", "自付", "家庭自付", "个人自付", "自筹"),
        ),
        ColumnSpec("contractor", "施工单位", ("施工企业", "施工方", "承建单位")),
        ColumnSpec("signed_by", "验收签字人", ("签字人", "老人签字")),
        ColumnSpec("closed_reason", "原因", ("不予受理原因", "撤回原因", "终止原因")),
        ColumnSpec("birth_date", "出生日期", ("出生年月", "出生年月日")),
        ColumnSpec("sex", "性别", ()),
        ColumnSpec("note", "备注", ("说明", "申请说明")),
    ),
)

_HOUSEHOLD_CATEGORY_WORDS: dict[str, HouseholdCategory] = {
    **{c.value: c for c in HouseholdCategory},
    "特困供养": HouseholdCategory.EXTREME_POVERTY,
    "特困人员": HouseholdCategory.EXTREME_POVERTY,
    "五保": HouseholdCategory.EXTREME_POVERTY,
    "五保户": HouseholdCategory.EXTREME_POVERTY,
    "低保户": HouseholdCategory.MIN_ALLOWANCE,
    "低保对象": HouseholdCategory.MIN_ALLOWANCE,
    "低保边缘": HouseholdCategory.LOW_INCOME,
    "低边": HouseholdCategory.LOW_INCOME,
    "低收入": HouseholdCategory.LOW_INCOME,
    "低收入家庭": HouseholdCategory.LOW_INCOME,
    "失能": HouseholdCategory.DISABLED,
    "半失能": HouseholdCategory.DISABLED,
    "失能半失能": HouseholdCategory.DISABLED,
    "残疾人": HouseholdCategory.HANDICAPPED,
    "重残": HouseholdCategory.HANDICAPPED,
    "高龄老人": HouseholdCategory.ADVANCED_AGE,
    "计生特殊家庭": HouseholdCategory.FAMILY_PLANNING_SPECIAL,
    "失独": HouseholdCategory.FAMILY_PLANNING_SPECIAL,
    "失独家庭": HouseholdCategory.FAMILY_PLANNING_SPECIAL,
}
HOUSEHOLD_CATEGORY_WORDS = {word_key(k): v for k, v in _HOUSEHOLD_CATEGORY_WORDS.items()}


def read_household_categories(
    words: list[str],
) -> tuple[frozenset[HouseholdCategory], list[str]]:
    """The household categories these words name (高龄 dropped: it comes from the ID number)
    and the words not known."""
    found: set[HouseholdCategory] = set()
    unknown: list[str] = []
    for w in words:
        cat = HOUSEHOLD_CATEGORY_WORDS.get(word_key(w))
        if cat is None:
            unknown.append(w)
        elif cat is not HouseholdCategory.ADVANCED_AGE:
            found.add(cat)
    return frozenset(found), unknown


# The words as compared, longest first: the first one a cell contains is the longest it holds.
_CONDITION_KEYS = sorted(
    ((word_key(w), k) for w, k in CONDITION_WORDS.items()), key=lambda pair: -len(pair[0])
)


@dataclass(frozen=True)
class ConditionWords:
    """A situation cell read: the condition it names and, for a disability, its kind and grade."""

    kind: str | None  # a ParentCondition or ChildFact value; None when no word is known
    disability_kind: str = ""
    disability_grade: int | None = None


_GRADES = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def read_condition(text: str) -> ConditionWords:
    """ "服刑" → 服刑在押; "重残（肢体一级）" → 重残, 肢体, 1; "智力残疾三级" → 重残, 智力, 3. The
    longest known word the cell contains wins ("强制隔离戒毒" before "戒毒")."""
    t = word_key(text)
    if not t:
        return ConditionWords(None)
    kind = next((k for w, k in _CONDITION_KEYS if w in t), None)
    if kind is None:
        return ConditionWords(None)
    dkind = next((k for k in DISABILITY_KINDS if k in t), "")
    grade = None
    for ch, n in _GRADES.items():
        if f"{ch}级" in t:
            grade = n
            break
    return ConditionWords(kind, dkind, grade)
