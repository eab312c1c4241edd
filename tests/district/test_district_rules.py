"""Two clerks saving the same catalogue item at once on a PostgreSQL hub (区级平台, issue 24):
the second waits for the first, then finds the item changed under it and is refused with a
clear message; the first's price stands, nothing is written twice. Both the first change of an
item (no row yet: the two inserts collide) and a later one (the row is locked) are raced."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from caseworker.district import rules
from caseworker.services.retrofit import catalogue
from tests.district.test_district_people import _clerk
from tests.sync.conftest import pg_database
from tests.sync.helpers import make_world


@pytest.mark.parametrize("changed_before", [False, True])
def test_the_second_of_two_clerks_saving_one_item_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, changed_before: bool
) -> None:
    with pg_database() as url:
        w = make_world(tmp_path, ["A"], db_url=url)
        try:
            clerk = _clerk(w.hub)
            if changed_before:
                rules.set_price(w.hub, clerk, "R02", "620")
            with w.hub.reader() as s:
                shown = catalogue.item(s, "R02")  # what both clerks' screens show
            stored = catalogue.set_price
            inside = threading.Event()

            def slow(*args, **kwargs):  # the first clerk's transaction stays open a moment
                done = stored(*args, **kwargs)
                if threading.current_thread().name == "first":
                    inside.set()
                    time.sleep(1.0)
                return done

            monkeypatch.setattr(catalogue, "set_price", slow)
            errors: list[BaseException] = []

            def first() -> None:
                try:
                    rules.set_price(w.hub, clerk, "R02", "700", expected=shown)
                except BaseException as exc:  # reported below
                    errors.append(exc)

            t = threading.Thread(target=first, name="first")
            t.start()
            assert inside.wait(10)
            started = time.monotonic()
            with pytest.raises(rules.Stale, match="刚被其他人修改过"):
                rules.set_price(w.hub, clerk, "R02", "650", expected=shown)
            waited = time.monotonic() - started
            t.join()
            assert errors == []
            assert waited > 0.5  # it waited for the first clerk's transaction
            with w.hub.reader() as s:
                assert catalogue.item(s, "R02").price_fen == 70000
        finally:
            w.close()
