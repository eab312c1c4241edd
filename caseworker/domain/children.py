"""Programme 3 rules: who is a child, the categories and their reasons, the case's steps.

Pure functions over plain facts. Each category is decided by `evaluate` with the reason a
supervisor can read out, and the day it starts to hold: the 6-month durations (a sentence, a
compulsory rehabilitation or another deprivation of liberty that lasts 6 months or more, a parent
unreachable for 6 months since the police report) are computed from the dates, so a child becomes
eligible on the right day. A category that stops holding (a parent released) is flagged for review
by `review`, never dropped silently. Enum values are the Chinese words, stored as such.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

from caseworker.domain.idnumber import age_on

CHILD_MAX_AGE = 18  # under 18 on the day
LEFT_BEHIND_MAX_AGE = 16  # left-behind: under 16
SIX_MONTHS = 6


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day when it has no such day (08-31 → 02-28)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def birthday(birth: date, years: int) -> date:
    """The day a person born on `birth` turns `years` (29 Feb → 1 Mar in other years)."""
    try:
        return birth.replace(year=birth.year + years)
    except ValueError:
        return date(birth.year + years, 3, 1)


# -- age ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgeCheck:
    """Whether a person may be registered as a child today; `warning` when 18 is near."""

    age: int
    turns_18_on: date
    allowed: bool
    message: str  # refusal (when not allowed) or warning ("" when neither)


def check_age(birth: date, today: date) -> AgeCheck:
    """Under 18 by the ID's birth date, else refused; aged 17, a warning saying when 18 comes."""
    age = age_on(birth, today)
    eighteen = birthday(birth, CHILD_MAX_AGE)
    if age >= CHILD_MAX_AGE:
        return AgeCheck(
            age,
            eighteen,
            False,
            f"出生于 {birth:%Y年%m月%d日}，已于 {eighteen:%Y年%m月%d日} 年满 18 周岁，"
            "不能登记为儿童。请核对身份证号。",
        )
    if age == CHILD_MAX_AGE - 1:
        months = (eighteen.year - today.year) * 12 + eighteen.month - today.month
        if eighteen.day <= today.day:
            months -= 1
        left = f"还有 {months} 个月" if months >= 1 else f"还有 {(eighteen - today).days} 天"
        return AgeCheck(
            age,
            eighteen,
            True,
            f"将于 {eighteen:%Y年%m月%d日} 年满 18 周岁（{left}），届时个案应以“年满18周岁”结案。",
        )
    return AgeCheck(age, eighteen, True, "")


# -- vocabulary -----------------------------------------------------------------------------------


class ChildCategory(StrEnum):
    ORPHAN = "孤儿"
    DE_FACTO = "事实无人抚养儿童"
    DIFFICULTY_ECONOMIC = "困境儿童（经济）"
    DIFFICULTY_OWN = "困境儿童（自身）"
    DIFFICULTY_SAFETY = "困境儿童（安全）"
    LEFT_BEHIND = "留守儿童"


# The three subtypes of 困境儿童 (State Council 2016): a child may hold several, and is one
# child in difficulty however many (the bureau counts children, not categories).
DIFFICULTY_CATEGORIES = frozenset(
    {
        ChildCategory.DIFFICULTY_ECONOMIC,
        ChildCategory.DIFFICULTY_OWN,
        ChildCategory.DIFFICULTY_SAFETY,
    }
)


def in_difficulty(categories: Iterable[ChildCategory]) -> bool:
    """Whether a child counts once among the children in difficulty (困境儿童, any subtype)."""
    return bool(DIFFICULTY_CATEGORIES & frozenset(categories))


class ParentCondition(StrEnum):
    """What a parent's situation is; each is recorded with its evidence and dates."""

    DEAD = "死亡"
    DECLARED_MISSING = "宣告失踪"
    SEVERE_DISABILITY = "重残"
    SERIOUS_ILLNESS = "重病"
    SENTENCE = "服刑在押"
    DRUG_REHAB = "强制隔离戒毒"
    DEPRIVED_LIBERTY = "其他限制人身自由"
    UNREACHABLE = "失联"
    GUARDIANSHIP_REVOKED = "撤销监护资格"
    DEPORTED = "被遣送出境"
    WORKING_AWAY = "外出务工"
    UNABLE_TO_CARE = "无监护能力"


class ChildFact(StrEnum):
    """Facts about the child or the family (困境儿童 subtypes, orphan by unknown parents)."""

    PARENTS_UNKNOWN = "查找不到生父母"
    FAMILY_MIN_ALLOWANCE = "低保家庭"
    FAMILY_EXTREME_POVERTY = "特困供养"
    FAMILY_LOW_INCOME = "低收入家庭"
    SERIOUS_ILLNESS = "本人重病"
    DISABILITY = "本人残疾"
    NO_GUARDIAN = "监护缺失"
    IMPROPER_GUARDIAN = "监护不当"
    ABUSE = "遭受虐待"
    ABANDONED = "被遗弃"
    INJURY = "意外伤害"


LOSS = frozenset({ParentCondition.DEAD, ParentCondition.DECLARED_MISSING})
DE_FACTO_CONDITIONS = frozenset(
    {
        ParentCondition.SEVERE_DISABILITY,
        ParentCondition.SERIOUS_ILLNESS,
        ParentCondition.SENTENCE,
        ParentCondition.DRUG_REHAB,
        ParentCondition.DEPRIVED_LIBERTY,
        ParentCondition.UNREACHABLE,
        ParentCondition.GUARDIANSHIP_REVOKED,
        ParentCondition.DEPORTED,
    }
)
# Terms that count only when 6 months or longer (民发〔2019〕62号).
TERM_CONDITIONS = frozenset(
    {ParentCondition.SENTENCE, ParentCondition.DRUG_REHAB, ParentCondition.DEPRIVED_LIBERTY}
)
UNABLE = DE_FACTO_CONDITIONS | LOSS | {ParentCondition.UNABLE_TO_CARE}
ECONOMIC_FACTS = frozenset(
    {ChildFact.FAMILY_MIN_ALLOWANCE, ChildFact.FAMILY_EXTREME_POVERTY, ChildFact.FAMILY_LOW_INCOME}
)
OWN_FACTS = frozenset({ChildFact.SERIOUS_ILLNESS, ChildFact.DISABILITY})
SAFETY_FACTS = frozenset(
    {
        ChildFact.NO_GUARDIAN,
        ChildFact.IMPROPER_GUARDIAN,
        ChildFact.ABUSE,
        ChildFact.ABANDONED,
        ChildFact.INJURY,
    }
)
DISABILITY_KINDS = ("视力", "听力", "言语", "肢体", "智力", "精神", "多重")
MENTAL_DISABILITY_KINDS = frozenset({"智力", "精神"})
EVIDENCE_KINDS = (
    "死亡证明",
    "法院判决书/裁定书",
    "残疾人证",
    "医院诊断证明",
    "公安机关报案回执/证明",
    "强制隔离戒毒决定书",
    "羁押/服刑证明",
    "遣送出境证明",
    "低保/特困证",
    "低收入家庭认定证明",
    "村（居）委会证明",
    "其他",  # kept for records made before evidence had to fit; never offered or accepted
)
RELATIONS = ("父亲", "母亲", "祖父", "祖母", "外祖父", "外祖母", "兄姐", "其他亲属", "其他监护人")
PARENT_RELATIONS = ("父亲", "母亲")
LIVING_ARRANGEMENTS = (
    "与父母同住",
    "与父亲同住",
    "与母亲同住",
    "与祖辈同住",
    "与其他亲属同住",
    "寄宿学校",
    "福利机构",
    "独自居住",
    "其他",
)


# -- one condition --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """One recorded condition of a parent (or fact about the child) with its dates.

    `start`: the date it began (death, certificate, judgment, the term's first day, the police
    report). `end`: the last day of a decided term (sentence, rehabilitation), inclusive; None
    when open-ended or not decided. `ended_on`: the day it stopped in fact (released, found,
    recovered, guardianship restored); it no longer holds from that day.
    """

    kind: str  # a ParentCondition or ChildFact value
    start: date | None
    end: date | None = None
    ended_on: date | None = None
    disability_kind: str = ""
    disability_grade: int | None = None


@dataclass(frozen=True)
class ConditionStatus:
    counts: bool  # the condition, as recorded, can qualify at all
    eligible_from: date | None  # the first day it holds (may be in the future)
    lapses_on: date | None  # the first day it no longer holds (None: open)
    reason: str  # why, in words (also why not)

    def holds_on(self, day: date) -> bool:
        return (
            self.counts
            and self.eligible_from is not None
            and self.eligible_from <= day
            and (self.lapses_on is None or day < self.lapses_on)
        )

    def pending_on(self, day: date) -> bool:
        """Will hold later without anything new being recorded."""
        return (
            self.counts
            and self.eligible_from is not None
            and self.eligible_from > day
            and (self.lapses_on is None or self.eligible_from < self.lapses_on)
        )


def _d(day: date | None) -> str:
    return f"{day:%Y-%m-%d}" if day else "日期不详"


@lru_cache(maxsize=1024)
def _kind_values(kinds: frozenset[StrEnum]) -> frozenset[str]:
    """The values of a set of kinds, made once: `evaluate` asks eight times per child."""
    return frozenset(k.value for k in kinds)


@lru_cache(maxsize=8192)
def condition_status(c: Condition) -> ConditionStatus:
    """When one condition holds, by its kind's rule (see the module docstring). A pure function
    of a frozen value, kept: `evaluate` asks it of each condition up to eight times, and an
    import of 20,000 children evaluates them all."""
    kind = c.kind
    if c.start is None:
        return ConditionStatus(False, None, None, f"{kind}：缺少起始日期，无法认定")
    lapse = c.ended_on
    if kind == ParentCondition.SEVERE_DISABILITY or kind == ChildFact.DISABILITY:
        grade, dkind = c.disability_grade, c.disability_kind
        if kind == ParentCondition.SEVERE_DISABILITY:
            if grade is None or not 1 <= grade <= 4:
                return ConditionStatus(False, None, lapse, "重残：缺少残疾等级（一至四级）")
            severe = grade <= 2 or (dkind in MENTAL_DISABILITY_KINDS and grade <= 4)
            label = f"{dkind or ''}残疾{'一二三四'[grade - 1]}级"
            if not severe:
                return ConditionStatus(
                    False,
                    None,
                    lapse,
                    f"{label}不属重残（重残为一、二级，或三、四级智力/精神残疾）",
                )
            return ConditionStatus(True, c.start, lapse, f"{label}（{_d(c.start)} 起）")
    if kind in _kind_values(TERM_CONDITIONS):
        six = add_months(c.start, SIX_MONTHS)
        if c.end is not None:
            last = c.end
            if last < c.start:
                return ConditionStatus(False, None, None, f"{kind}：截止日期早于起始日期")
            if last + timedelta(days=1) < six:
                return ConditionStatus(
                    False,
                    None,
                    None,
                    f"{kind}期限 {_d(c.start)} 至 {_d(last)}，不足 6 个月",
                )
            end_lapse = last + timedelta(days=1)
            lapse = end_lapse if lapse is None else min(lapse, end_lapse)
            return ConditionStatus(
                True, c.start, lapse, f"{kind}期限 {_d(c.start)} 至 {_d(last)}，6 个月以上"
            )
        return ConditionStatus(
            True,
            six,
            lapse,
            f"{kind}自 {_d(c.start)} 起，期限未定，满 6 个月之日（{_d(six)}）起认定",
        )
    if kind == ParentCondition.UNREACHABLE:
        six = add_months(c.start, SIX_MONTHS)
        return ConditionStatus(
            True,
            six,
            lapse,
            f"失联，{_d(c.start)} 向公安机关报案，满 6 个月之日（{_d(six)}）起认定",
        )
    return ConditionStatus(True, c.start, lapse, f"{kind}（{_d(c.start)} 起）")


# -- evidence ------------------------------------------------------------------------------------

# The evidence that proves each condition: the documents 民发〔2019〕62号 names for 事实无人抚养
# (a court's judgment, a certificate, a police record) and, for the other conditions, the
# document the office is given for them. "其他" proves nothing: it is never offered.
EVIDENCE_FOR: dict[str, tuple[str, ...]] = {
    ParentCondition.DEAD: ("死亡证明", "法院判决书/裁定书"),
    ParentCondition.DECLARED_MISSING: ("法院判决书/裁定书",),
    ParentCondition.SEVERE_DISABILITY: ("残疾人证",),
    ParentCondition.SERIOUS_ILLNESS: ("医院诊断证明",),
    ParentCondition.SENTENCE: ("法院判决书/裁定书", "羁押/服刑证明"),
    ParentCondition.DRUG_REHAB: ("强制隔离戒毒决定书",),
    ParentCondition.DEPRIVED_LIBERTY: ("羁押/服刑证明", "法院判决书/裁定书"),
    ParentCondition.UNREACHABLE: ("公安机关报案回执/证明",),
    ParentCondition.GUARDIANSHIP_REVOKED: ("法院判决书/裁定书",),
    ParentCondition.DEPORTED: ("遣送出境证明",),
    ParentCondition.WORKING_AWAY: ("村（居）委会证明",),
    ParentCondition.UNABLE_TO_CARE: ("医院诊断证明", "残疾人证", "村（居）委会证明"),
    ChildFact.PARENTS_UNKNOWN: ("公安机关报案回执/证明",),
    ChildFact.FAMILY_MIN_ALLOWANCE: ("低保/特困证",),
    ChildFact.FAMILY_EXTREME_POVERTY: ("低保/特困证",),
    ChildFact.FAMILY_LOW_INCOME: ("低收入家庭认定证明", "村（居）委会证明"),
    ChildFact.SERIOUS_ILLNESS: ("医院诊断证明",),
    ChildFact.DISABILITY: ("残疾人证",),
    ChildFact.NO_GUARDIAN: ("村（居）委会证明", "公安机关报案回执/证明"),
    ChildFact.IMPROPER_GUARDIAN: ("村（居）委会证明", "公安机关报案回执/证明"),
    ChildFact.ABUSE: ("公安机关报案回执/证明", "医院诊断证明"),
    ChildFact.ABANDONED: ("公安机关报案回执/证明",),
    ChildFact.INJURY: ("医院诊断证明", "公安机关报案回执/证明"),
}
# A decision (a judgment, a rehabilitation decision) is made before the term it orders starts to
# run; an earlier document is not the one for this term. 60 days covers the appeal period and the
# delivery to prison or the centre after a decision takes effect.
DECISION_LEAD_DAYS = 60
DECISIONS = frozenset({"法院判决书/裁定书", "强制隔离戒毒决定书"})


def evidence_kinds_for(kind: str) -> tuple[str, ...]:
    """The evidence kinds that prove the condition `kind` (what the form offers)."""
    return EVIDENCE_FOR.get(kind, ())


@dataclass(frozen=True)
class EvidenceUnfit:
    field: str  # "evidence_kind" or "evidence_date": what to correct
    reason: str


def check_evidence(
    kind: str, evidence_kind: str, evidence_date: date, start: date | None, end: date | None = None
) -> EvidenceUnfit | None:
    """Why this evidence does not prove this condition (None when it does).

    The kind must be one that proves the condition (`EVIDENCE_FOR`). The date must fall in the
    condition's period: not before its start (a certificate does not precede what it certifies;
    a judgment or decision ordering a term may precede the term by `DECISION_LEAD_DAYS`) and
    not after a decided term's last day."""
    fitting = evidence_kinds_for(kind)
    if evidence_kind not in fitting:
        return EvidenceUnfit(
            "evidence_kind",
            f"“{evidence_kind}”不能证明“{kind}”，应为：{'、'.join(fitting) or '（无）'}",
        )
    if start is None:
        return None
    earliest = start
    if evidence_kind in DECISIONS and kind in _kind_values(TERM_CONDITIONS):
        earliest = start - timedelta(days=DECISION_LEAD_DAYS)
    if evidence_date < earliest:
        lead = f"（判决书、决定书最多可早 {DECISION_LEAD_DAYS} 天）" if earliest != start else ""
        return EvidenceUnfit(
            "evidence_date",
            f"证明日期 {evidence_date:%Y-%m-%d} 早于“{kind}”的起始日期 {start:%Y-%m-%d}{lead}，"
            "不是这一情形的证明，请核对日期",
        )
    if end is not None and evidence_date > end:
        return EvidenceUnfit(
            "evidence_date",
            f"证明日期 {evidence_date:%Y-%m-%d} 晚于“{kind}”的截止日期 {end:%Y-%m-%d}，"
            "不能证明期限内的情形，请核对日期",
        )
    return None


# -- the categories ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildFacts:
    """Everything the category rules read: birth date and the recorded conditions."""

    birth: date
    father: Sequence[Condition] = ()
    mother: Sequence[Condition] = ()
    child: Sequence[Condition] = ()  # ChildFact conditions


@dataclass(frozen=True)
class Finding:
    category: ChildCategory
    holds: bool
    eligible_from: date | None  # when it holds or will hold; None when it cannot
    reason: str


@dataclass(frozen=True)
class _Option:
    since: date
    reason: str


def _parent_option(
    who: str, conds: Sequence[Condition], kinds: frozenset[ParentCondition], today: date
) -> _Option | None:
    """The earliest day one of `kinds` holds for this parent (today or later), with its reason."""
    best: _Option | None = None
    values = _kind_values(kinds)
    for c in conds:
        if c.kind not in values:
            continue
        st = condition_status(c)
        if not (st.holds_on(today) or st.pending_on(today)):
            continue
        assert st.eligible_from is not None
        if best is None or st.eligible_from < best.since:
            best = _Option(st.eligible_from, f"{who}{st.reason}")
    return best


def _pair(a: _Option | None, b: _Option | None) -> _Option | None:
    if a is None or b is None:
        return None
    return _Option(max(a.since, b.since), f"{a.reason}；{b.reason}")


def _earliest(options: Iterable[_Option | None]) -> _Option | None:
    found = [o for o in options if o is not None]
    return min(found, key=lambda o: o.since) if found else None


def _finding(
    category: ChildCategory, option: _Option | None, until: date | None, today: date, none: str
) -> Finding:
    if option is None:
        return Finding(category, False, None, none)
    if until is not None and option.since >= until:
        return Finding(category, False, None, f"{none}（满龄前不会符合）")
    holds = option.since <= today and (until is None or today < until)
    reason = option.reason
    if option.since > today:
        reason = f"将于 {option.since:%Y-%m-%d} 起符合：{reason}"
    return Finding(category, holds, option.since, reason)


def _facts(conds: Sequence[Condition], kinds: frozenset[ChildFact], today: date) -> _Option | None:
    held = [
        (condition_status(c), c.kind)
        for c in conds
        if c.kind in _kind_values(kinds) and condition_status(c).holds_on(today)
    ]
    if not held:
        return None
    since = min(st.eligible_from for st, _ in held if st.eligible_from is not None)
    return _Option(since, "、".join(sorted({k for _, k in held})))


def _lapsed(who: str, conds: Sequence[Condition], today: date) -> list[str]:
    """The conditions that held once and no longer do, in words (for a review's reason)."""
    out = []
    for c in conds:
        st = condition_status(c)
        lapse, since = st.lapses_on, st.eligible_from
        if st.counts and lapse is not None and since is not None and since < lapse <= today:
            out.append(f"{who}{c.kind}已于 {lapse - timedelta(days=1):%Y-%m-%d} 结束")
    return out


def evaluate(facts: ChildFacts, today: date) -> tuple[Finding, ...]:
    """Every category with whether it holds today, since when (or from when), and why."""
    adult = birthday(facts.birth, CHILD_MAX_AGE)
    sixteen = birthday(facts.birth, LEFT_BEHIND_MAX_AGE)
    f, m = facts.father, facts.mother
    f_loss = _parent_option("父亲", f, LOSS, today)
    m_loss = _parent_option("母亲", m, LOSS, today)
    f_df = _parent_option("父亲", f, DE_FACTO_CONDITIONS, today)
    m_df = _parent_option("母亲", m, DE_FACTO_CONDITIONS, today)
    unknown = _facts(facts.child, frozenset({ChildFact.PARENTS_UNKNOWN}), today)
    orphan = _earliest([_pair(f_loss, m_loss), unknown])
    orphan_f = _finding(ChildCategory.ORPHAN, orphan, adult, today, "父母未均死亡或宣告失踪")
    de_facto = _earliest([_pair(f_df, m_df), _pair(f_loss, m_df), _pair(f_df, m_loss)])
    if orphan_f.holds:
        de_facto_f = Finding(ChildCategory.DE_FACTO, False, None, "已认定为孤儿")
    else:
        de_facto_f = _finding(
            ChildCategory.DE_FACTO,
            de_facto,
            adult,
            today,
            "未满足：父母双方均符合规定情形，或一方死亡/失踪、另一方符合规定情形",
        )
    f_away = _parent_option("父亲", f, frozenset({ParentCondition.WORKING_AWAY}), today)
    m_away = _parent_option("母亲", m, frozenset({ParentCondition.WORKING_AWAY}), today)
    f_unable = _parent_option("父亲", f, UNABLE, today)
    m_unable = _parent_option("母亲", m, UNABLE, today)
    left = _earliest([_pair(f_away, m_away), _pair(f_away, m_unable), _pair(m_away, f_unable)])
    left_f = _finding(
        ChildCategory.LEFT_BEHIND,
        left,
        sixteen,
        today,
        "未满足：父母均外出务工，或一方外出务工、另一方无监护能力",
    )
    if left is not None and today >= sixteen:
        left_f = Finding(
            ChildCategory.LEFT_BEHIND, False, None, f"已于 {sixteen:%Y-%m-%d} 年满 16 周岁"
        )
    lapsed_parents = _lapsed("父亲", f, today) + _lapsed("母亲", m, today)
    if lapsed_parents:
        gone = "不再符合：" + "；".join(lapsed_parents)
        orphan_f, de_facto_f, left_f = (
            x if x.holds or x.eligible_from else Finding(x.category, False, None, gone)
            for x in (orphan_f, de_facto_f, left_f)
        )
    out = [orphan_f, de_facto_f]
    for cat, kinds, label in (
        (ChildCategory.DIFFICULTY_ECONOMIC, ECONOMIC_FACTS, "家庭经济困难"),
        (ChildCategory.DIFFICULTY_OWN, OWN_FACTS, "本人重病或残疾"),
        (ChildCategory.DIFFICULTY_SAFETY, SAFETY_FACTS, "监护缺失/不当、虐待、遗弃或伤害"),
    ):
        lapsed = _lapsed("", [c for c in facts.child if c.kind in _kind_values(kinds)], today)
        none = "不再符合：" + "；".join(lapsed) if lapsed else f"无{label}"
        out.append(_finding(cat, _facts(facts.child, kinds, today), adult, today, none))
    out.append(left_f)
    if today >= adult:
        return tuple(
            Finding(x.category, False, None, f"已于 {adult:%Y-%m-%d} 年满 18 周岁") for x in out
        )
    return tuple(out)


def holding(findings: Iterable[Finding]) -> frozenset[ChildCategory]:
    return frozenset(x.category for x in findings if x.holds)


@dataclass(frozen=True)
class Review:
    """How the recorded categories compare with the rules today."""

    to_add: tuple[Finding, ...]  # holds but not recorded
    to_review: tuple[Finding, ...]  # recorded but no longer holds (flag, never drop silently)
    upcoming: tuple[Finding, ...]  # will hold on a known later day


def review(recorded: Iterable[ChildCategory], findings: Iterable[Finding], today: date) -> Review:
    rec = frozenset(recorded)
    items = tuple(findings)
    return Review(
        tuple(x for x in items if x.holds and x.category not in rec),
        tuple(x for x in items if not x.holds and x.category in rec),
        tuple(
            x
            for x in items
            if not x.holds and x.eligible_from is not None and x.eligible_from > today
        ),
    )


CATEGORY_SEPARATOR = ","
# The categories note of a child whose 台账 named categories no recorded situation proves (an
# import records them as the 台账 has them, to be reviewed): the review list looks for it.
IMPORTED_UNPROVED = "台账导入"


def encode_categories(categories: Iterable[ChildCategory]) -> str:
    """Stored form ",孤儿,留守儿童," in catalogue order, so a filter is `LIKE '%,孤儿,%'`."""
    cats = frozenset(categories)
    inner = CATEGORY_SEPARATOR.join(c.value for c in ChildCategory if c in cats)
    return f",{inner}," if inner else ""


def decode_categories(stored: str | None) -> frozenset[ChildCategory]:
    return frozenset(ChildCategory(p) for p in (stored or "").split(CATEGORY_SEPARATOR) if p)


# -- cases ---------------------------------------------------------------------------------------


class CaseStep(StrEnum):
    REPORTED = "发现报告"
    VERIFIED = "核实"
    ASSESSED = "评估"
    PLANNED = "帮扶计划"
    FOLLOW_UP = "回访"
    CLOSED = "结案"

    @property
    def order(self) -> int:
        return list(CaseStep).index(self)


class CaseAction(StrEnum):
    REPORT = "发现报告"
    VERIFY = "核实"
    ASSESS = "评估"
    PLAN = "制定帮扶计划"
    VISIT = "回访"
    CLOSE = "结案"
    REOPEN = "重新开案"


# Which actions each step allows, and the step each leads to (None: the step does not change).
_TRANSITIONS: dict[CaseStep, dict[CaseAction, CaseStep | None]] = {
    CaseStep.REPORTED: {CaseAction.VERIFY: CaseStep.VERIFIED, CaseAction.CLOSE: CaseStep.CLOSED},
    CaseStep.VERIFIED: {CaseAction.ASSESS: CaseStep.ASSESSED, CaseAction.CLOSE: CaseStep.CLOSED},
    CaseStep.ASSESSED: {
        CaseAction.ASSESS: None,
        CaseAction.PLAN: CaseStep.PLANNED,
        CaseAction.CLOSE: CaseStep.CLOSED,
    },
    CaseStep.PLANNED: {
        CaseAction.ASSESS: None,
        CaseAction.PLAN: None,
        CaseAction.VISIT: CaseStep.FOLLOW_UP,
        CaseAction.CLOSE: CaseStep.CLOSED,
    },
    CaseStep.FOLLOW_UP: {
        CaseAction.ASSESS: None,
        CaseAction.PLAN: None,
        CaseAction.VISIT: None,
        CaseAction.CLOSE: CaseStep.CLOSED,
    },
    CaseStep.CLOSED: {CaseAction.REOPEN: CaseStep.VERIFIED},
}


class StepRefused(ValueError):
    """`str()` says in Chinese why the action cannot be taken at this step."""


def next_step(step: CaseStep, action: CaseAction) -> CaseStep:
    """The step after `action`; StepRefused (with what to do first) when it is not allowed."""
    allowed = _TRANSITIONS[CaseStep(step)]
    if action not in allowed:
        need = {
            CaseAction.REPORT: "发现报告会开立新的个案",
            CaseAction.VERIFY: "只有“发现报告”阶段的个案需要核实",
            CaseAction.ASSESS: "请先核实报告，再做评估",
            CaseAction.PLAN: "请先完成评估，再制定帮扶计划",
            CaseAction.VISIT: "请先制定帮扶计划，再登记回访",
            CaseAction.CLOSE: "个案已经结案",
            CaseAction.REOPEN: "只有已结案的个案可以重新开案",
        }[action]
        raise StepRefused(f"个案当前处于“{CaseStep(step).value}”阶段，不能{action.value}：{need}")
    target = allowed[action]
    return step if target is None else target


def allowed_actions(step: CaseStep) -> tuple[CaseAction, ...]:
    return tuple(_TRANSITIONS[CaseStep(step)])


class ReportSource(StrEnum):
    VISIT = "入户走访"
    SCHOOL = "学校"
    POLICE = "公安"
    HOTLINE = "热线"
    NEIGHBOUR = "邻居/群众"
    HOSPITAL = "医院"
    FAMILY = "本人/家属"
    OTHER = "其他"


class UrgentReason(StrEnum):
    """Reports that go to the top of the supervisor's list at once."""

    ABUSE = "遭受虐待"
    ABANDONMENT = "被遗弃"
    INJURY = "受到伤害"


class Risk(StrEnum):
    HIGH = "高"
    MEDIUM = "中"
    LOW = "低"

    @property
    def setting_key(self) -> str:
        """The district setting holding this risk level's follow-up visit interval in days."""
        return {
            Risk.HIGH: "child.visit_interval_days.high",
            Risk.MEDIUM: "child.visit_interval_days.medium",
            Risk.LOW: "child.visit_interval_days.low",
        }[self]

    @property
    def rank(self) -> int:
        return {Risk.HIGH: 0, Risk.MEDIUM: 1, Risk.LOW: 2}[self]


class Need(StrEnum):
    LIVING = "基本生活"
    SCHOOLING = "就学"
    MEDICAL = "医疗康复"
    PSYCHOLOGICAL = "心理支持"
    GUARDIANSHIP = "监护"
    SAFETY = "安全保护"
    LEGAL = "法律援助"


class ServiceKind(StrEnum):
    ASSISTANCE = "救助帮扶"
    SCHOOLING = "就学帮扶"
    PSYCHOLOGICAL = "心理介入"
    GUARDIANSHIP = "监护干预"
    REFER_POLICE = "转介公安"
    REFER_SCHOOL = "转介学校"
    REFER_COURT = "转介法院"
    REFER_HOSPITAL = "转介医院"
    OTHER = "其他"


class ServiceStatus(StrEnum):
    OPEN = "待办"
    DONE = "已完成"
    CANCELLED = "已取消"


class CloseReason(StrEnum):
    RISK_REMOVED = "风险已消除"
    TURNED_18 = "年满18周岁"
    MOVED_AWAY = "迁出本辖区"
    UNFOUNDED = "核实不属实"
    DECEASED = "死亡"
    ADOPTED = "被收养"
    NO_CATEGORY = "不再符合保障条件"
    OTHER = "其他"


# -- leaving the register (离册) -------------------------------------------------------------------

ON_REGISTER = "在册"
LEFT_REGISTER = "离册"


class LeaveReason(StrEnum):
    """Why a child leaves the register; each closes the child's open cases with its reason."""

    TURNED_18 = "年满18周岁"
    MOVED_AWAY = "迁出本辖区"
    ADOPTED = "被收养"
    DECEASED = "死亡"
    NO_CATEGORY = "不再符合保障条件"
    OTHER = "其他"

    @property
    def closes_with(self) -> CloseReason:
        return CloseReason(self.value)


class LeaveRefused(ValueError):
    """`str()` says in Chinese why the child cannot leave the register so."""


def check_leave(
    reason: LeaveReason, on: date, birth: date, registered_on: date, today: date, note: str = ""
) -> None:
    """A leave (离册) is dated between the registration and today; leaving as 年满18周岁 is dated
    on or after the 18th birthday; "其他" needs a note saying what happened."""
    reason = LeaveReason(reason)
    if on > today:
        raise LeaveRefused("离册日期不能晚于今天")
    if on < registered_on:
        raise LeaveRefused(f"离册日期不能早于登记日期 {registered_on:%Y-%m-%d}")
    adult = birthday(birth, CHILD_MAX_AGE)
    if reason is LeaveReason.TURNED_18 and on < adult:
        raise LeaveRefused(f"儿童于 {adult:%Y年%m月%d日} 年满 18 周岁，离册日期不能早于这一天")
    if reason is LeaveReason.OTHER and not note.strip():
        raise LeaveRefused("离册原因为“其他”时请写明说明")


def adult_birth_limit(day: date) -> date:
    """Children born after this day are under 18 on `day` (for SQL: birth_date > limit)."""
    try:
        return day.replace(year=day.year - CHILD_MAX_AGE)
    except ValueError:  # 29 February: born on 28 February turns 18 on the 28th
        return date(day.year - CHILD_MAX_AGE, 2, 28)


def on_register(
    registered_on: date, status: str, left_on: date | None, birth: date, day: date
) -> bool:
    """Whether a child counts on the register on `day`: registered by then, not left by then
    (left on `left_on`: the day of leaving is the first day off the register), and under 18 on
    that day (a child who turned 18 counts no more, even before the leave is recorded)."""
    if registered_on > day or birth > day:
        return False
    if status == LEFT_REGISTER and left_on is not None and left_on <= day:
        return False
    return day < birthday(birth, CHILD_MAX_AGE)


@dataclass(frozen=True)
class LeaveProposal:
    reason: LeaveReason
    on: date  # the day the leave would be dated
    text: str


def leave_proposal(
    birth: date,
    findings: Iterable[Finding],
    recorded: Iterable[ChildCategory],
    facts: ChildFacts,
    open_cases: int,
    today: date,
) -> LeaveProposal | None:
    """Whether the register should propose that this child leave it, and why:

    - the 18th birthday has come (always: the open cases close as 年满18周岁);
    - every category the child held has ended (none holds, none will hold on a known later day,
      and some category was recorded or some condition has lapsed) and no case is open: a child
      still in a protection case stays until the case is closed."""
    adult = birthday(birth, CHILD_MAX_AGE)
    if today >= adult:
        cases = f"，{open_cases} 件在办个案将以“年满18周岁”结案" if open_cases else ""
        return LeaveProposal(
            LeaveReason.TURNED_18, adult, f"已于 {adult:%Y-%m-%d} 年满 18 周岁{cases}"
        )
    items = tuple(findings)
    if any(f.holds or (f.eligible_from is not None and f.eligible_from > today) for f in items):
        return None
    lapsed: list[tuple[date, str]] = []
    for who, conds in (("父亲", facts.father), ("母亲", facts.mother), ("", facts.child)):
        for c in conds:
            st = condition_status(c)
            if st.counts and st.lapses_on is not None and st.lapses_on <= today:
                lapsed.append((st.lapses_on, f"{who}{c.kind}"))
    if not (frozenset(recorded) or lapsed) or open_cases:
        return None
    on = max((d for d, _ in lapsed), default=today)
    what = "、".join(t for _, t in sorted(lapsed)) or "已登记的类别"
    return LeaveProposal(LeaveReason.NO_CATEGORY, on, f"{what}已结束，目前不符合任何保障类别")


class VisitMethod(StrEnum):
    HOME = "入户"
    PHONE = "电话"
    SCHOOL = "到校"
    VIDEO = "视频"


def visit_due(last: date, interval_days: int) -> date:
    """The next follow-up visit: the risk level's interval (a district setting) after the last."""
    if interval_days < 1:
        raise ValueError("interval_days must be at least 1")
    return last + timedelta(days=interval_days)


def mask_address(address: str) -> str:
    """Lists show the start of an address only: 和平路12号3单元 → 和平路****."""
    text = address.strip()
    if not text:
        return ""
    prefix = ""
    for ch in text[:4]:
        if ch.isdigit():
            break
        prefix += ch
    return prefix + "****"
