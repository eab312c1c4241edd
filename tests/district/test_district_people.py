"""转移's district-wide search and move (caseworker.district.people), headless, on a SQLite and
(with CASEWORKER_TEST_PG_URL) a PostgreSQL hub: one line per ID number across the programmes,
found by pinyin initials, by the whole ID number or its last digits, a page at a time with no
one twice; the move refused without a reason and done with one, as the clerk."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text

from caseworker import demo
from caseworker.district import accounts, people, service
from caseworker.domain.errors import ValidationError
from caseworker.domain.roles import DistrictRole
from db.elderly import ElderlyResident
from db.journal_packing import id_to_disk
from db.models import DistrictStaff
from tests.sync.conftest import pg_database
from tests.sync.helpers import make_world, snapshot

PASSWORD = "bureau2026"


def _clerk(hub):
    with hub.writer(accounts.SETUP) as s:
        accounts.create_first_admin(
            s, accounts.AccountDraft("admin", "区管理员", DistrictRole.ADMIN), PASSWORD
        )
    with hub.writer(accounts.LOGIN) as s:
        admin = accounts.authenticate(s, "admin", PASSWORD).actor
    with hub.writer(admin) as s:
        info = accounts.create_account(
            s, admin, accounts.AccountDraft("yewu", "李业务", DistrictRole.CLERK), PASSWORD
        )
        s.get(DistrictStaff, info.id).must_change_password = False
    with hub.writer(accounts.LOGIN) as s:
        return accounts.authenticate(s, "yewu", PASSWORD).actor


def test_the_search_pages_and_the_move_needs_a_reason(tmp_path: Path, hub_url) -> None:
    w = make_world(tmp_path, ["A", "B"], db_url=hub_url)
    try:
        a = w.offices["A"]
        demo.build(a, residents=12, seed=1)
        service.ingest(w.hub, [w.office_to_district("A")])
        clerk = _clerk(w.hub)
        with a.reader() as s:
            residents = s.scalars(select(ElderlyResident).order_by(ElderlyResident.id)).all()
        first = residents[0]
        # the whole ID number, its last digits, the pinyin initials: the same one person
        for typed in (first.id_number, first.id_number[-6:], first.name_letters.split()[0]):
            found = people.find_people(w.hub, clerk, typed)
            assert first.id_number in [p.id_number for p in found.rows], typed
        [row] = people.find_people(w.hub, clerk, first.id_number).rows
        assert row.offices == ("第1街道办事处",) and "老年人探访" in row.programmes
        # a page at a time, nobody twice, and the last page says so
        seen: list[str] = []
        offset, more = 0, True
        while more:
            page = people.find_people(w.hub, clerk, "1", offset=offset, limit=5)
            seen += [p.id_number for p in page.rows]
            offset, more = offset + 5, page.more
        assert len(seen) == len(set(seen)) >= 6
        assert people.find_people(w.hub, clerk, "   ").rows == []

        before = snapshot(w.hub.engine)
        community = people.communities(w.hub, clerk, "B")[0]
        with pytest.raises(ValidationError, match="请填写转移原因"):
            people.move(w.hub, clerk, first.id_number, "B", community, " ", dry_run=False)
        preview = people.move(w.hub, clerk, first.id_number, "B", community, "迁居", dry_run=True)
        assert preview.dry_run and preview.records["elderly_resident"] == 1
        assert snapshot(w.hub.engine) == before
        people.move(w.hub, clerk, first.id_number, "B", community, "迁居", dry_run=False)
        [record] = people.person_records(w.hub, clerk, first.id_number)
        assert (record.office_code, record.community) == ("B", community)
        rows, more = people.transfer_log(w.hub, clerk)
        assert [(r.by, r.reason, r.from_offices) for r in rows] == [("李业务", "迁居", "A")]
        with w.hub.engine.connect() as conn:
            who = conn.execute(
                text(
                    "SELECT DISTINCT actor_name FROM journal WHERE table_name = "
                    "'elderly_resident' AND record_id = :id AND device_id = :hub"
                ),
                {"id": first.id, "hub": id_to_disk(w.hub.device_id)},  # 16 bytes on disk (0025)
            ).all()
        assert who == [("李业务",)]
    finally:
        w.close()


def test_two_clerks_moving_one_person_at_once(tmp_path: Path, monkeypatch) -> None:
    """On PostgreSQL: the second clerk's move waits for the first and then moves the person from
    where the first put them, so the office they really leave is the one told (before the
    lock, the second read the old office, and the office in between was never told)."""
    import threading
    import time

    from caseworker.district import transfer

    with pg_database() as url:
        w = make_world(tmp_path, ["A", "B", "C"], db_url=url)
        try:
            demo.build(w.offices["A"], residents=12, seed=1)
            for code in ("A", "B", "C"):
                service.ingest(w.hub, [w.office_to_district(code)])
            clerk = _clerk(w.hub)
            with w.offices["A"].reader() as s:
                number = s.scalars(select(ElderlyResident.id_number)).first()
            reseal = transfer._reseal
            inside = threading.Event()

            def slow(*args, **kwargs):  # the first clerk's transaction stays open a moment
                if threading.current_thread().name == "first":
                    inside.set()
                    time.sleep(1.0)
                return reseal(*args, **kwargs)

            monkeypatch.setattr(transfer, "_reseal", slow)
            done: list = []
            b, c = (people.communities(w.hub, clerk, code)[0] for code in ("B", "C"))
            t = threading.Thread(
                target=lambda: done.append(
                    people.move(w.hub, clerk, number, "B", b, "迁居", dry_run=False)
                ),
                name="first",
            )
            t.start()
            assert inside.wait(10)
            second = people.move(w.hub, clerk, number, "C", c, "又迁居", dry_run=False)
            t.join()
            assert done[0].from_offices == ["A"]
            assert second.from_offices == ["B"]  # from where the first clerk put them
            [record] = people.person_records(w.hub, clerk, number)
            assert record.office_code == "C"
        finally:
            w.close()


def test_a_child_is_found_only_by_the_whole_id_number_and_never_named(tmp_path: Path) -> None:
    """Children's records are for child-protection roles: the clerk finds a child to move by the
    whole ID number the office gave (as the command line does), not by name, pinyin or digits,
    and neither the list nor the transfer log shows the child's name."""
    from tests.sync.test_person_transfer import _child, _child_supervisor, _sync

    w = make_world(tmp_path, ["A", "B"])
    try:
        _child_supervisor(w, "B", "dudao_b")
        number, _child_id, _case = _child(w, _child_supervisor(w, "A", "dudao_a"))
        _sync(w, "A")
        _sync(w, "B")
        clerk = _clerk(w.hub)
        for typed in ("韩小雪", "hxx", number[-6:]):
            assert people.find_people(w.hub, clerk, typed).rows == [], typed
        [row] = people.find_people(w.hub, clerk, number).rows
        assert (row.name, row.programmes, row.offices) == (
            people.CHILD_NAME,
            ("儿童关爱",),
            ("第1街道办事处",),
        )
        people.move(w.hub, clerk, number, "B", "B和平社区", "随父母迁居", dry_run=False)
        [logged] = people.transfer_log(w.hub, clerk)[0]
        assert logged.name == people.CHILD_NAME and "韩" not in repr(logged)
    finally:
        w.close()


def test_people_found_are_sorted_by_pinyin_as_the_office_lists(tmp_path: Path) -> None:
    """转移's list is in pinyin order (安 an, 白 bai, 陈 chen, 万 wan, 王 wang, 赵 zhao), not by
    character code (万 4E07 < 安 5B89 < 王 738B < 白 767D < 陈 9648 < 赵 8D75…); a person
    with a retrofit case only (陈) sorts by the spelling of their name too."""
    from datetime import date

    from caseworker.domain import idnumber
    from caseworker.domain.elderly import Category
    from caseworker.domain.retrofit import HouseholdCategory
    from caseworker.services import accounts as office_accounts
    from caseworker.services.elderly import roster
    from caseworker.services.retrofit import cases
    from tests.services._elderly import TODAY
    from tests.sync.helpers import ADMIN

    w = make_world(tmp_path, ["A"])
    try:
        a = w.offices["A"]
        with a.writer(ADMIN) as s:
            community = office_accounts.communities(s)[0].id
            for i, surname in enumerate("赵王万白安"):
                number = idnumber.make("110105", date(1940, 3, 3), 200 + i)
                draft = roster.ResidentDraft(
                    f"{surname}秀英",
                    number,
                    community,
                    categories=frozenset({Category.LIVING_ALONE}),
                )
                roster.register(s, ADMIN, draft, today=TODAY)
            cases.apply(
                s,
                ADMIN,
                cases.ApplicationDraft(
                    name="陈秀英",
                    id_number=idnumber.make("110105", date(1941, 4, 4), 300),
                    community_id=community,
                    address="A和平社区2号",
                    categories=frozenset({HouseholdCategory.MIN_ALLOWANCE}),
                ),
                today=TODAY,
            )
        [done] = service.ingest(w.hub, [w.office_to_district("A")])
        assert done.refused == ""
        clerk = _clerk(w.hub)
        names = [p.name for p in people.find_people(w.hub, clerk, "秀英").rows]
        assert names == ["安秀英", "白秀英", "陈秀英", "万秀英", "王秀英", "赵秀英"]
        # the pages keep the order: two at a time, the same six
        paged = [
            p.name
            for o in (0, 2, 4)
            for p in people.find_people(w.hub, clerk, "秀英", offset=o, limit=2).rows
        ]
        assert paged == names
    finally:
        w.close()
