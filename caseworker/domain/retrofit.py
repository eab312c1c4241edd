"""Programme 2 rules: the national catalogue, eligibility, the case's steps, and the money.

Money is integer fen (分) everywhere; quantities are integer hundredths of a unit (2.5 m² is 250).
Enum values are the Chinese words themselves, as in the elderly programme.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from caseworker.domain.idnumber import IdNumber, age_on
from caseworker.domain.person import typed_id
from caseworker.domain.roles import Permission

MIN_AGE = 60
ADVANCED_AGE = 80
QTY_SCALE = 100  # quantities are stored in hundredths of a unit
MAX_QUANTITY = 999_99  # 999.99 units on one line
MAX_PRICE_FEN = 10_000_000  # 100,000 yuan for one unit: anything above is a typing error

# ---------------------------------------------------------------------------------------------
# Catalogue


class Part(StrEnum):
    """The seven parts of the national catalogue, in its order."""

    FLOOR = "地面"
    DOORS = "通道/门"
    BEDROOM = "卧室"
    BATHROOM = "如厕洗浴"
    KITCHEN = "厨房"
    ENVIRONMENT = "物理环境"
    AIDS = "老年用品"

    @property
    def rank(self) -> int:
        return list(Part).index(self)


@dataclass(frozen=True)
class CatalogueItem:
    """One item as the district defines it. Prices and caps are per unit, in fen."""

    code: str
    part: Part
    name: str
    unit: str
    basic: bool  # one of the 7 government-subsidised basic items
    price_fen: int
    cap_fen: int  # subsidy cap per unit (0 for optional items)
    retired: bool = False
    sort_order: int = 0


def _item(
    n: int, part: Part, name: str, unit: str, price_yuan: int, cap_yuan: int = 0
) -> CatalogueItem:
    return CatalogueItem(
        f"R{n:02d}", part, name, unit, cap_yuan > 0, price_yuan * 100, cap_yuan * 100, False, n
    )


# The 2020 national guidance's 30 items (7 basic ones carry a subsidy cap). Prices are the
# shipped defaults; the district sets its own with `caseworker-district catalogue set-price`.
DEFAULT_CATALOGUE: tuple[CatalogueItem, ...] = (
    _item(1, Part.FLOOR, "地面防滑处理", "平方米", 80, 80),
    _item(2, Part.FLOOR, "高差处理（坡道）", "处", 600, 600),
    _item(3, Part.FLOOR, "地面平整硬化", "平方米", 120),
    _item(4, Part.FLOOR, "安装扶手（走道）", "米", 260),
    _item(5, Part.DOORS, "门槛移除", "处", 300),
    _item(6, Part.DOORS, "平开门改推拉门", "扇", 1500),
    _item(7, Part.DOORS, "房门拓宽", "扇", 1200),
    _item(8, Part.DOORS, "下压式门把手改造", "个", 150),
    _item(9, Part.DOORS, "安装闪光振动门铃", "个", 260),
    _item(10, Part.BEDROOM, "配置护理床", "张", 2800),
    _item(11, Part.BEDROOM, "床边护栏（抓杆）", "个", 350, 350),
    _item(12, Part.BEDROOM, "配置防压疮垫", "张", 600),
    _item(13, Part.BATHROOM, "如厕洗浴扶手", "个", 280, 280),
    _item(14, Part.BATHROOM, "蹲便器改坐便器", "个", 1600),
    _item(15, Part.BATHROOM, "水龙头改造", "个", 220),
    _item(16, Part.BATHROOM, "浴缸/淋浴房改造", "处", 3000),
    _item(17, Part.BATHROOM, "淋浴椅", "把", 260, 260),
    _item(18, Part.KITCHEN, "台面改造", "米", 900),
    _item(19, Part.KITCHEN, "加设中部柜", "个", 800),
    _item(20, Part.ENVIRONMENT, "安装自动感应灯具", "个", 120),
    _item(21, Part.ENVIRONMENT, "电源插座及开关改造", "个", 90),
    _item(22, Part.ENVIRONMENT, "防撞护角/防撞条", "米", 40),
    _item(23, Part.ENVIRONMENT, "适老家具配置", "件", 1200),
    _item(24, Part.AIDS, "手杖", "根", 90, 90),
    _item(25, Part.AIDS, "轮椅/助行器", "台", 900),
    _item(26, Part.AIDS, "放大装置", "个", 200),
    _item(27, Part.AIDS, "助听器", "个", 2500),
    _item(28, Part.AIDS, "自助进食器具", "套", 150),
    _item(29, Part.AIDS, "防走失装置", "个", 350, 350),
    _item(30, Part.AIDS, "安全监控装置（紧急呼叫）", "套", 1500),
)


def is_whole(value: object) -> bool:
    """Money (fen) and quantities (hundredths) are whole numbers: never a float (100.5 would be
    stored as a decimal in a money column), a bool (True is 1 to Python) or text."""
    return type(value) is int


def check_catalogue_item(item: CatalogueItem) -> None:
    """Refuse an item the district could not mean; ValueError with a Chinese reason."""
    if not item.code.strip() or len(item.code) > 16:
        raise ValueError("项目编号不能为空，最长 16 个字符")
    if not item.name.strip() or len(item.name) > 60:
        raise ValueError("项目名称不能为空，最长 60 个字")
    if not item.unit.strip() or len(item.unit) > 8:
        raise ValueError("计量单位不能为空，最长 8 个字")
    if not (is_whole(item.price_fen) and 0 < item.price_fen <= MAX_PRICE_FEN):
        raise ValueError(f"{item.name}：单价应大于 0 且不超过 {yuan(MAX_PRICE_FEN)} 元")
    if not is_whole(item.cap_fen) or item.cap_fen < 0 or item.cap_fen > item.price_fen:
        raise ValueError(f"{item.name}：补贴上限应在 0 到单价（{yuan(item.price_fen)} 元）之间")
    if not item.basic and item.cap_fen:
        raise ValueError(f"{item.name}：可选项目由家庭自费，不设政府补贴上限")


# ---------------------------------------------------------------------------------------------
# Money


def yuan(fen: int) -> str:
    """12345 → "123.45" (exact; no floats)."""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{part:02d}"


def _decimal_to_int(text: str, places: int, what: str) -> int:
    raw = "".join((text or "").split()).replace("，", "").replace(",", "")
    raw = raw.translate({0xFF10 + i: ord("0") + i for i in range(10)}).replace("．", ".")
    raw = raw.removesuffix("元")
    whole, dot, frac = raw.partition(".")
    if not whole and not frac:
        raise ValueError(f"请填写{what}")
    if not (whole or "0").isdigit() or (dot and not frac.isdigit() and frac != ""):
        raise ValueError(f"{what}应为数字，收到“{text}”")
    if len(frac) > places:
        raise ValueError(f"{what}最多 {places} 位小数，收到“{text}”")
    return int(whole or "0") * 10**places + int((frac or "0").ljust(places, "0"))


def parse_yuan(text: str) -> int:
    """ "1,234.5" or "１２３元" → fen; ValueError with a Chinese reason."""
    return _decimal_to_int(text, 2, "金额")


def parse_quantity(text: str) -> int:
    """ "2.5" → 250 hundredths; must be above 0 and at most 999.99."""
    value = _decimal_to_int(text, 2, "数量")
    if value <= 0:
        raise ValueError("数量应大于 0")
    if value > MAX_QUANTITY:
        raise ValueError("数量不能超过 999.99")
    return value


def quantity_text(centi: int) -> str:
    whole, part = divmod(centi, QTY_SCALE)
    return str(whole) if part == 0 else f"{whole}.{part:02d}".rstrip("0")


def line_cost(quantity_centi: int, unit_fen: int) -> int:
    """quantity × unit price, rounded half up to the fen."""
    return (quantity_centi * unit_fen + QTY_SCALE // 2) // QTY_SCALE


@dataclass(frozen=True)
class Line:
    """One assessed item as the money rule sees it."""

    basic: bool
    quantity_centi: int
    unit_price_fen: int
    unit_cap_fen: int


@dataclass(frozen=True)
class LineMoney:
    cost_fen: int
    subsidy_fen: int  # after the household cap
    household_fen: int
    subsidy_uncapped_fen: int  # what the item's own cap allowed, before the household cap


@dataclass(frozen=True)
class Totals:
    lines: tuple[LineMoney, ...]
    cost_fen: int
    subsidy_fen: int
    household_fen: int
    subsidy_uncapped_fen: int
    household_cap_fen: int

    @property
    def moved_to_household_fen(self) -> int:
        """The part of the items' subsidies above the household cap, paid by the household."""
        return self.subsidy_uncapped_fen - self.subsidy_fen


def compute(lines: Sequence[Line], eligible: bool, household_cap_fen: int) -> Totals:
    """The money of an assessment.

    Per line: cost = quantity × price; subsidy = for basic items of an eligible household the
    cost up to quantity × the item's cap, else 0; household share = cost − subsidy. Per household:
    subsidies are granted in line order until the household cap is used up; the excess moves to
    the household share. Every figure is integer fen and every total is the sum of its lines.
    """
    if household_cap_fen < 0:
        raise ValueError("household cap must not be negative")
    remaining = household_cap_fen
    out: list[LineMoney] = []
    for ln in lines:
        cost = line_cost(ln.quantity_centi, ln.unit_price_fen)
        allowed = 0
        if eligible and ln.basic:
            allowed = min(cost, line_cost(ln.quantity_centi, ln.unit_cap_fen))
        granted = min(allowed, remaining)
        remaining -= granted
        out.append(LineMoney(cost, granted, cost - granted, allowed))
    return Totals(
        tuple(out),
        sum(m.cost_fen for m in out),
        sum(m.subsidy_fen for m in out),
        sum(m.household_fen for m in out),
        sum(m.subsidy_uncapped_fen for m in out),
        household_cap_fen,
    )


# ---------------------------------------------------------------------------------------------
# Eligibility


class HouseholdCategory(StrEnum):
    """Household categories on the application (multi-select). ADVANCED_AGE comes from the ID."""

    EXTREME_POVERTY = "特困"
    MIN_ALLOWANCE = "低保"
    LOW_INCOME = "低保边缘/低收入"
    DISABLED = "失能/半失能"
    ADVANCED_AGE = "高龄"
    HANDICAPPED = "残疾"
    FAMILY_PLANNING_SPECIAL = "计划生育特殊家庭"


CHOSEN_HOUSEHOLD_CATEGORIES: tuple[HouseholdCategory, ...] = tuple(
    c for c in HouseholdCategory if c is not HouseholdCategory.ADVANCED_AGE
)

_H = HouseholdCategory
_NEEDS_IN_DIFFICULTY = (_H.DISABLED, _H.ADVANCED_AGE, _H.HANDICAPPED)


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reason: str


def eligibility(categories: Iterable[HouseholdCategory], birth: date, on: date) -> Eligibility:
    """Whether the household's basic items are government-subsidised, and why (DOMAIN.md):
    extreme poverty (特困) or minimum allowance (低保); or a low-income household (低保边缘)
    with a disabled, handicapped or advanced-age (80+) elderly person. Under 60: not eligible."""
    age = age_on(birth, on)
    if age < MIN_AGE:
        return Eligibility(False, f"申请人 {age} 岁，未满 {MIN_AGE} 周岁")
    cats = set(categories) - {_H.ADVANCED_AGE}
    if age >= ADVANCED_AGE:
        cats.add(_H.ADVANCED_AGE)
    if _H.EXTREME_POVERTY in cats:
        return Eligibility(True, "特困供养人员，基础项目由政府补贴")
    if _H.MIN_ALLOWANCE in cats:
        return Eligibility(True, "低保家庭，基础项目由政府补贴")
    if _H.LOW_INCOME in cats:
        which = [c.value for c in _NEEDS_IN_DIFFICULTY if c in cats]
        if which:
            return Eligibility(
                True, f"低保边缘/低收入家庭中的{'、'.join(which)}老年人，基础项目由政府补贴"
            )
        return Eligibility(
            False, "低保边缘/低收入家庭，但老人不属于失能/半失能、残疾或高龄，基础项目需自费"
        )
    return Eligibility(
        False, "不属于特困、低保或低收入家庭中的失能/残疾/高龄老年人，改造费用由家庭承担"
    )


def encode_categories(categories: Iterable[HouseholdCategory]) -> str:
    """ ",特困,高龄," in catalogue order, so that a filter is `LIKE '%,特困,%'`."""
    cats = frozenset(categories)
    inner = ",".join(c.value for c in HouseholdCategory if c in cats)
    return f",{inner}," if inner else ""


def decode_categories(stored: str | None) -> frozenset[HouseholdCategory]:
    return frozenset(HouseholdCategory(p) for p in (stored or "").split(",") if p)


# ---------------------------------------------------------------------------------------------
# The case's steps


class Step(StrEnum):
    APPLIED = "待资格审核"
    ELIGIBLE = "待评估"
    ASSESSED = "待审批"
    APPROVED = "待施工"
    CONSTRUCTION = "施工中"
    INSPECTION = "待验收"
    COMPLETED = "已完成"
    REJECTED = "不予受理"
    WITHDRAWN = "已撤回"
    TERMINATED = "已终止"

    @property
    def closed(self) -> bool:
        return self in CLOSED_STEPS

    @property
    def rank(self) -> int:
        return list(Step).index(self)


CLOSED_STEPS = frozenset({Step.COMPLETED, Step.REJECTED, Step.WITHDRAWN, Step.TERMINATED})
OPEN_STEPS: tuple[Step, ...] = tuple(s for s in Step if s not in CLOSED_STEPS)
# Items and quantities may change only while the assessment is being made.
EDITABLE_ASSESSMENT = frozenset({Step.ELIGIBLE})


class Action(StrEnum):
    APPLY = "申请"
    CHECK = "资格审核通过"
    REJECT = "不予受理"
    SUBMIT = "提交评估"
    RETURN = "退回评估"
    APPROVE = "审批通过"
    START = "开始施工"
    FINISH = "施工完成"
    ACCEPT = "验收通过"
    FAIL = "验收不通过"
    WITHDRAW = "撤回"
    TERMINATE = "终止"


@dataclass(frozen=True)
class Transition:
    sources: frozenset[Step]
    target: Step
    permission: Permission
    needs_reason: bool = False


_S = Step
_EDIT, _APPROVE = Permission.RETROFIT_EDIT, Permission.RETROFIT_APPROVE
TRANSITIONS: dict[Action, Transition] = {
    Action.CHECK: Transition(frozenset({_S.APPLIED}), _S.ELIGIBLE, _EDIT),
    Action.REJECT: Transition(frozenset({_S.APPLIED}), _S.REJECTED, _EDIT, True),
    Action.SUBMIT: Transition(frozenset({_S.ELIGIBLE}), _S.ASSESSED, _EDIT),
    Action.RETURN: Transition(frozenset({_S.ASSESSED}), _S.ELIGIBLE, _APPROVE, True),
    Action.APPROVE: Transition(frozenset({_S.ASSESSED}), _S.APPROVED, _APPROVE),
    Action.START: Transition(frozenset({_S.APPROVED}), _S.CONSTRUCTION, _EDIT),
    Action.FINISH: Transition(frozenset({_S.CONSTRUCTION}), _S.INSPECTION, _EDIT),
    Action.ACCEPT: Transition(frozenset({_S.INSPECTION}), _S.COMPLETED, _EDIT),
    Action.FAIL: Transition(frozenset({_S.INSPECTION}), _S.CONSTRUCTION, _EDIT, True),
    Action.WITHDRAW: Transition(
        frozenset({_S.APPLIED, _S.ELIGIBLE, _S.ASSESSED, _S.APPROVED}), _S.WITHDRAWN, _EDIT, True
    ),
    Action.TERMINATE: Transition(
        frozenset({_S.APPROVED, _S.CONSTRUCTION, _S.INSPECTION}), _S.TERMINATED, _APPROVE, True
    ),
}


class TransitionRefused(ValueError):
    """The action is not allowed now; the message (Chinese) says why."""


def check_transition(
    step: Step,
    action: Action,
    permissions: frozenset[Permission] | None,
    reason: str = "",
    *,
    acting_staff_id: str | None = None,
    assessed_by_id: str | None = None,
    assessor_ids: Iterable[str | None] = (),
) -> Step:
    """The step after `action`, or TransitionRefused saying why not. `permissions` None is the
    system actor. A supervisor cannot approve an assessment they made themselves: the assessors
    are whoever recorded it (`assessors`), not only who pressed 提交评估."""
    if action not in TRANSITIONS:
        raise TransitionRefused(f"“{action.value}”不是改造流程中的一步")
    t = TRANSITIONS[action]
    if permissions is not None and t.permission not in permissions:
        who = "科长" if t.permission is Permission.RETROFIT_APPROVE else "民政专干或科长"
        raise TransitionRefused(f"“{action.value}”需要由{who}办理，您的账号没有这个权限")
    if step not in t.sources:
        allowed = "、".join(s.value for s in Step if s in t.sources)
        raise TransitionRefused(
            f"这户现在是“{step.value}”，不能“{action.value}”（只有“{allowed}”时可以）"
        )
    if t.needs_reason and not reason.strip():
        raise TransitionRefused(f"“{action.value}”请写明原因")
    if (
        action is Action.APPROVE
        and acting_staff_id is not None
        and acting_staff_id in assessors(assessed_by_id, assessor_ids)
    ):
        raise TransitionRefused(
            "入户评估（改造项目或评估结论）是您本人登记的，不能自己审批，请由另一位科长审批"
        )
    return t.target


def assessors(submitted_by: str | None, line_recorders: Iterable[str | None]) -> frozenset[str]:
    """Who made an assessment: whoever recorded its lines (the items, quantities and rooms of
    the site visit, each line keeping who added or last changed it) and whoever recorded its
    conclusion and date (提交评估). None of them may approve it."""
    return frozenset(i for i in (submitted_by, *line_recorders) if i)


# -- photos --------------------------------------------------------------------------------------


class PhotoStage(StrEnum):
    BEFORE = "改造前"
    AFTER = "改造后"


@dataclass(frozen=True)
class PhotoCount:
    """The case's photos as the photo rule sees them."""

    before: int  # 改造前 photos
    after_by_item: dict[str, int]  # 改造后 photos naming each item (item id → count)


def missing_photos(
    stage: PhotoStage, items: Sequence[tuple[str, str]], photos: PhotoCount, waived: str
) -> str:
    """Why the step that needs `stage` photos cannot be taken yet ("" when it can).

    提交评估 needs at least one 改造前 photo (the home as found); 验收通过 needs, for every
    assessed item (`items`: id and name), an 改造后 photo naming that item. A supervisor's
    recorded reason (`waived`, e.g. the household refused photos) stands in for them."""
    if waived.strip():
        return ""
    if stage is PhotoStage.BEFORE:
        if photos.before:
            return ""
        return "还没有改造前照片：请先添加入户评估时拍的照片，或由科长登记不拍照片的原因"
    lacking = [name for item_id, name in items if not photos.after_by_item.get(item_id)]
    if not lacking:
        return ""
    shown = "、".join(lacking[:5]) + (f"等 {len(lacking)} 项" if len(lacking) > 5 else "")
    return (
        f"以下改造项目还没有改造后照片：{shown}。请添加照片并注明项目，或由科长登记不拍照片的原因"
    )


def waiver_text(reason: str, who: str, on: date) -> str:
    """How a waived photo requirement is stored and shown: the reason, who, when."""
    return f"{reason.strip()}（{who}，{on:%Y-%m-%d}）"


def allowed_actions(
    step: Step,
    permissions: frozenset[Permission] | None,
    *,
    acting_staff_id: str | None = None,
    assessed_by_id: str | None = None,
    assessor_ids: Iterable[str | None] = (),
) -> list[Action]:
    """The actions a person with these permissions may take from `step` (for the buttons): what
    `check_transition` would accept, so no button is offered only to be refused (approving an
    assessment one recorded is not offered)."""
    own_assessment = acting_staff_id is not None and acting_staff_id in assessors(
        assessed_by_id, assessor_ids
    )
    return [
        a
        for a, t in TRANSITIONS.items()
        if step in t.sources
        and (permissions is None or t.permission in permissions)
        and not (a is Action.APPROVE and own_assessment)
    ]


def days_overdue(planned_end: date | None, today: date) -> int:
    """Days past the planned end of construction (0 when not late or not planned)."""
    if planned_end is None or today <= planned_end:
        return 0
    return (today - planned_end).days


def applicant_id(text: str, today: date, ending: str = "") -> IdNumber:
    """An applicant's ID number: valid, and of someone `MIN_AGE` or older on `today` (the form
    adds `ending`, a hint to check the number; the import's row report does not)."""
    too_young = (
        "身份证号 {masked} 显示申请人 {age} 岁，未满 {min_age} 周岁，不属于居家适老化改造对象"
    )
    return typed_id(text, today, min_age=MIN_AGE, too_young=too_young + ending)
