"""A past month's visit figures count with the visit interval in force in that month (the dated
values of migration 0023), not today's: 工作台's trend and the district report's months did
(s31, noticed at issue 24's last stop)."""

from __future__ import annotations

from datetime import date

import pytest

from caseworker.domain.elderly import Tier
from caseworker.domain.roles import Actor
from caseworker.services import dated
from caseworker.services.elderly import visits
from caseworker.services.reports.elderly import visit_counts
from caseworker.workspace import Workspace
from db.elderly import ElderlyResident
from db.ids import stable_id
from db.models import Setting
from tests.services._elderly import TODAY, add

KEY = Tier.KEY.setting_key
JULY, NOVEMBER = date(2026, 7, 1), date(2026, 11, 1)


def test_past_months_count_with_the_interval_of_their_month(
    office_ws: Workspace, worker: Actor, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dated, "today", lambda: TODAY)
    person = add(office_ws, worker, "冯桂英", date(1941, 5, 5), enrolled_on=date(2025, 1, 6))
    with office_ws.writer(worker) as s:
        row = s.get(ElderlyResident, person.id)
        assert row is not None
        row.tier = Tier.KEY.value
    with office_ws.writer(worker) as s:
        visits.complete(
            s, worker, visits.VisitDraft(person.id, date(2026, 6, 10), visitors=("李专干",)),
            today=TODAY,
        )  # fmt: skip
    # 重点 was visited every 90 days until the bureau made it 30 from October 1st
    with office_ws.writer(admin) as s:
        dated.record(s, admin, dated.SETTING, KEY, 90, dated.SINCE_EVER)
        dated.record(s, admin, dated.SETTING, KEY, 30, date(2026, 10, 1))
        s.merge(Setting(id=stable_id("setting", KEY), key=KEY, value="30"))
    for vectorised in (True, False):
        with office_ws.reader() as s:
            got = visit_counts(s, worker, [JULY, NOVEMBER], today=TODAY, vectorised=vectorised)
        due = {
            m: sum(c.due for (month, _cid), c in got.items() if month == m)
            for m in (JULY, NOVEMBER)
        }
        # July: visited June 10th, next due September 8th at 90 days (today's 30: July 10th)
        assert due[JULY] == 0, vectorised
        # November: at 30 days, long overdue
        assert due[NOVEMBER] == 1, vectorised
