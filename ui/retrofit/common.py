"""What the programme 2 screens share: the tables they listen to, money and step display."""

from __future__ import annotations

from caseworker.domain.retrofit import Step, quantity_text, yuan

# The programme 2 tables its views show: a view refreshes when `ctx.changed` (the tables a
# write actually wrote) names one.
RETROFIT_TABLES = frozenset(
    {
        "retrofit_case",
        "retrofit_case_event",
        "retrofit_assessment_item",
        "retrofit_photo",
        "retrofit_contractor",
        "retrofit_catalogue_item",
    }
)

# Colours of the steps in lists and the timeline (closed steps grey).
STEP_COLOURS: dict[str, str] = {
    Step.APPLIED.value: "#6a1b9a",
    Step.ELIGIBLE.value: "#1565c0",
    Step.ASSESSED.value: "#ef6c00",
    Step.APPROVED.value: "#00838f",
    Step.CONSTRUCTION.value: "#2e7d32",
    Step.INSPECTION.value: "#ad1457",
    Step.COMPLETED.value: "#37474f",
}
CLOSED_COLOUR = "#9e9e9e"


def money(fen: int) -> str:
    """Fen as people read yuan on a form: 1,234.50."""
    return yuan(fen)


def qty(centi: int) -> str:
    return quantity_text(centi)


def step_colour(step: str) -> str:
    return STEP_COLOURS.get(step, CLOSED_COLOUR)
