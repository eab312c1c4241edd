"""What one column may hold when it is edited on its own (the district's 更正): the closed lists
and required values the programmes' screens enforce, and the columns that follow from another
(pinyin from the name, birth date and sex from the ID number), which are never typed."""

from __future__ import annotations

from caseworker.domain import elderly, retrofit

SEXES: tuple[str, ...] = ("男", "女")

# Columns whose value is one of a closed list, by table (None: every table with that column).
_CHOICES: dict[tuple[str | None, str], tuple[str, ...]] = {
    (None, "sex"): SEXES,
    ("elderly_resident", "tier"): tuple(t.value for t in elderly.Tier),
    ("elderly_resident", "status"): tuple(s.value for s in elderly.Status),
    ("elderly_resident", "living_arrangement"): ("", *elderly.LIVING_ARRANGEMENTS),
}

# Columns that hold a person's name: never empty once stripped.
_REQUIRED_TEXT: dict[str, str] = {
    "name": "姓名",
    "applicant_name": "申请人姓名",
    "id_number": "身份证号",
}

# Multi-select columns stored as ",a,b," and the values each may hold.
_MULTI: dict[tuple[str, str], tuple[str, ...]] = {
    ("elderly_resident", "categories"): tuple(c.value for c in elderly.CHOSEN_CATEGORIES),
    ("retrofit_case", "categories"): tuple(
        c.value
        for c in retrofit.HouseholdCategory
        if c is not retrofit.HouseholdCategory.ADVANCED_AGE
    ),
}

# Columns another column decides, and why they are not typed.
DERIVED: dict[str, str] = {
    "name_pinyin": "由姓名自动生成",
    "name_letters": "由姓名自动生成",
    "birth_date": "由身份证号决定，请更正身份证号",
    "sex": "由身份证号决定，请更正身份证号",
    "step": "由办理流程决定（在街道按流程办理）",
}


def derived_reason(table: str, column: str, columns: frozenset[str] | set[str]) -> str | None:
    """Why `column` of `table` (whose columns are `columns`) is not typed, or None. Birth date
    and sex follow the ID number only where the record has one."""
    why = DERIVED.get(column)
    if why is None:
        return None
    if column in ("birth_date", "sex") and "id_number" not in columns:
        return None
    if column == "step" and table != "retrofit_case":
        return None
    return why


def choices(table: str, column: str) -> tuple[str, ...] | None:
    """The values a closed-list column may hold, or None when it is free text."""
    return _CHOICES.get((table, column)) or _CHOICES.get((None, column))


def may_be_empty(table: str, column: str, column_allows: bool) -> bool:
    """Whether the column may be cleared: what its type allows (`column_allows`), unless it
    holds a name or one of a list without an empty choice."""
    if column in _REQUIRED_TEXT:
        return False
    allowed = choices(table, column)
    if allowed is not None and "" not in allowed:
        return False
    return column_allows


def problem(table: str, column: str, value: object) -> str | None:
    """A Chinese reason why `value` cannot be stored in `column` of `table`, or None."""
    allowed = choices(table, column)
    if allowed is not None and value not in allowed:
        shown = "、".join(a or "（空）" for a in allowed)
        return f"只能是 {shown} 之一，收到“{value}”"
    if column in _REQUIRED_TEXT and (not isinstance(value, str) or not value.strip()):
        return f"{_REQUIRED_TEXT[column]}不能为空"
    multi = _MULTI.get((table, column))
    if multi is not None and isinstance(value, str):
        parts = [p for p in value.strip(",").split(",") if p]
        wrong = [p for p in parts if p not in multi]
        if wrong:
            return f"“{'、'.join(wrong)}”不是可选的类别（可选：{'、'.join(multi)}）"
    return None


def stored_multi(table: str, column: str, value: str) -> str:
    """A multi-select value as the screens store it (",a,b," in the list's order, each once),
    whatever separators were typed (",", "，", "、"); other columns unchanged. Values not on the
    list are kept at the end, for `problem` to name."""
    allowed = _MULTI.get((table, column))
    if allowed is None:
        return value
    typed = {p.strip() for p in value.replace("，", ",").replace("、", ",").split(",")} - {""}
    kept = [a for a in allowed if a in typed] + sorted(typed - set(allowed))
    return f",{','.join(kept)}," if kept else ""
