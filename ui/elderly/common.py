"""The tables programme 1's views show (they refresh when `ctx.changed` names one). The
form fields the screens share are in `ui/widgets/fields.py`."""

from __future__ import annotations

# The programme 1 tables its views show: a view refreshes when `ctx.changed` (the tables a
# write actually wrote) names one.
ELDERLY_TABLES = frozenset(
    {
        "elderly_resident",
        "elderly_visit",
        "elderly_visit_amendment",
        "elderly_referral",
        "elderly_change",
    }
)
