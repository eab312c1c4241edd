"""The tables a programme 1 write may touch (views refresh when `ctx.changed` names one). The
form fields the screens share are in `ui/widgets/fields.py`."""

from __future__ import annotations

# Every table a programme 1 write may touch: views refresh when `ctx.changed` names one.
ELDERLY_TABLES = frozenset(
    {
        "elderly_resident",
        "elderly_visit",
        "elderly_visit_amendment",
        "elderly_referral",
        "elderly_change",
    }
)
