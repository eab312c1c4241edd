"""After a write, the interface announces the tables the transaction wrote (the journal context
recorded them), not a list its caller guessed: the list page of each programme refreshes after
a write that names nothing, and a write that only read announces nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from db.base import utcnow
from db.children import Child
from db.elderly import ElderlyResident
from db.retrofit import RetrofitCase
from tests.ui.conftest import log_in

# (account, section, the list page's attribute on the section, the model the list shows)
PROGRAMMES = [
    ("zhuangan1", "elderly", "roster", ElderlyResident),
    ("zhuangan1", "retrofit", "cases", RetrofitCase),
    ("dudao", "children", "register", Child),
]


def _live(model: Any) -> Any:
    return select(func.count()).select_from(model).where(model.deleted_at.is_(None))


@pytest.mark.parametrize(("user", "section", "attr", "model"), PROGRAMMES)
def test_a_write_refreshes_the_list_of_the_table_it_wrote(
    demo_root: Path, make_controller, qtbot, user: str, section: str, attr: str, model: Any
) -> None:
    controller = make_controller(demo_root)
    controller.start()
    log_in(controller, qtbot, user)
    assert controller.window is not None
    ctx = controller.ctx
    page = getattr(controller.window.page(section), attr)
    live = ctx.read(lambda s: s.scalar(_live(model)))
    qtbot.waitUntil(lambda: page.model.total == live, timeout=10_000)
    announced: list[frozenset[str]] = []
    ctx.changed.connect(announced.append)

    # a read in a write transaction (as a service that finds nothing to do): nothing changed
    ctx.write(lambda s, a: s.scalar(_live(model)))
    assert ctx.write_wait(lambda s, a: s.scalar(_live(model))) == live
    assert announced == []

    # a tombstone written straight on the record: the caller names no table, and the page
    # that shows the table still hears of it and reads again
    target = ctx.read(lambda s: s.scalar(select(model.id).where(model.deleted_at.is_(None))))

    def tombstone(s: Any, _a: Any) -> None:
        s.get(model, target).deleted_at = utcnow()

    ctx.write(tombstone)
    assert announced == [frozenset({model.__tablename__})]
    qtbot.waitUntil(lambda: page.model.total == live - 1, timeout=10_000)


def test_a_parameter_that_moves_due_dates_refreshes_the_roster(
    demo_root: Path, make_controller, qtbot
) -> None:
    """The parameters page's write names no table; setting a visit interval also rewrites the
    residents' due dates (Core statements past the ORM), so the roster hears of it."""
    from caseworker.services import settings

    controller = make_controller(demo_root)
    controller.start()
    log_in(controller, qtbot, "admin")
    assert controller.window is not None
    ctx = controller.ctx
    roster = controller.window.page("elderly").roster
    reloads: list[int] = []
    roster.reload = lambda: reloads.append(1)  # the slot calls it through the instance
    announced: list[frozenset[str]] = []
    ctx.changed.connect(announced.append)

    key = "visit.interval_days.general"
    current = ctx.read(lambda s: settings.get(s, key))
    ctx.write_wait(lambda s, a: settings.set_value(s, a, key, current))  # no due date moves
    ctx.write_wait(lambda s, a: settings.set_value(s, a, key, current + 30))
    assert announced[-1] >= {"setting", "elderly_resident"}
    assert "elderly_resident" not in announced[0]  # no due date moved the first time
    assert reloads == [1]
