"""Property: two offices and the district edit the same records (down to the same field), bundles
travel in random orders with duplicates and delays; at the end every replica holds the same data
and every value ever written is current, in some conflicts list, or was knowingly replaced."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from caseworker.district import service
from caseworker.district.hub import Hub
from caseworker.services import settings as settings_service
from caseworker.sync import office
from caseworker.workspace import Workspace, restore
from db.ids import stable_id
from db.models import Community, Office
from tests.conftest import shared_template
from tests.examples import examples
from tests.sync.conftest import PG_ENV, _pg_url
from tests.sync.helpers import ADMIN, Clock, account, make_world, table_rows

SETTING = "visit.interval_days.key"
LINKS = [("A", "D"), ("B", "D"), ("D", "A"), ("D", "B")]


def _build_world(root: Path) -> None:
    root.mkdir(parents=True)
    make_world(root, ["A", "B"]).close()


# Session-scoped, built once per run (tests/conftest.py's `shared_template`), not module-scoped:
# a module-scoped fixture keeps the module on one xdist worker (tests/conftest.py), and this
# module's three longest tests (a property each, minutes in the `ci` profile) then ran one after
# another on it while the other worker idled at the end of the suite.
@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_template(tmp_path_factory, "convergence-world", _build_world)


@dataclass
class Replicas:
    root: Path
    hub: Hub
    ws: dict[str, Workspace]
    clocks: dict[str, Clock]
    transit: dict[tuple[str, str], list[Path]] = field(default_factory=dict)
    written: list[tuple[tuple[str, str, str], Any]] = field(default_factory=list)
    superseded: set[tuple[tuple[str, str, str], Any]] = field(default_factory=set)
    created: dict[str, list[str]] = field(default_factory=lambda: {"A": [], "B": []})
    n: int = 0
    # restores: each office's backups (path, writes done when it was taken), the writes each
    # bundle carried, how far the district holds each office's writes, values a restore lost
    backups: dict[str, list[tuple[Path, int]]] = field(default_factory=lambda: {"A": [], "B": []})
    writes: dict[str, int] = field(default_factory=lambda: {"A": 0, "B": 0})
    carried: dict[Path, int] = field(default_factory=dict)
    at_hub: dict[str, int] = field(default_factory=lambda: {"A": 0, "B": 0})
    by: dict[tuple[tuple[str, str, str], Any], tuple[str, int]] = field(default_factory=dict)
    gone: set[tuple[tuple[str, str, str], Any]] = field(default_factory=set)

    def engine(self, name: str):
        return self.hub.engine if name == "D" else self.ws[name].engine

    def close(self) -> None:
        for w in self.ws.values():
            w.close()
        self.hub.close()


def _open(template: Path, root: Path, offsets: tuple[int, int, int]) -> Replicas:
    shutil.copytree(template, root)
    clocks = {
        name: Clock(1_790_000_000_000 + off) for name, off in zip("ABD", offsets, strict=True)
    }
    hub = Hub.open(root / "district")
    hub.now_ms = clocks["D"]
    ws = {}
    for code in "AB":
        ws[code] = Workspace.open(root / f"office-{code}")
        ws[code].now_ms = clocks[code]
    return Replicas(root, hub, ws, clocks)


def _ids(r: Replicas) -> dict[str, str]:
    out = {}
    for code in "AB":
        out[f"community-{code}"] = table_rows(
            r.hub.engine, "community", f"WHERE name='{code}柳村'", "id"
        )[0][0]
        out[f"office-{code}"] = table_rows(r.hub.engine, "office", f"WHERE code='{code}'", "id")[0][
            0
        ]
    return out


def _writer(r: Replicas, name: str):
    return r.hub.writer(ADMIN) if name == "D" else r.ws[name].writer(ADMIN)


def _create(r: Replicas, ids: dict[str, str], who: str) -> None:
    """An office adds a community; later edits may target it (once the editor holds it)."""
    r.n += 1
    with _writer(r, who) as s:
        c = Community(office_id=ids[f"office-{who}"], name=f"新社区{r.n}", code=f"{who}{r.n}")
        s.add(c)
        s.flush()
        r.created[who].append(c.id)
        ids[c.id] = c.id
    _wrote(r, who, ("community", c.id, "code"), f"{who}{r.n}")


def _edit(r: Replicas, ids: dict[str, str], who: str, target: str) -> None:
    r.n += 1
    with _writer(r, who) as s:
        if target in r.created["A"] or target in r.created["B"]:
            obj = s.get(Community, target)
            if obj is None:  # this replica has not received it yet
                return
            key = ("community", obj.id, "code")
            old, value = obj.code, f"{who}{r.n}"
            obj.code = value
        elif target == "setting":
            key = ("setting", stable_id("setting", SETTING), "value")
            row = s.get(settings_service.Setting, key[1])
            old = None if row is None else row.value
            value = json.dumps(1 + r.n % 300)
            # Written as a record, not through the settings service (which an enrolled office
            # may not call): the merge must converge whoever writes the field.
            if row is None:
                s.add(settings_service.Setting(id=key[1], key=SETTING, value=value))
            else:
                row.value = value
        else:
            kind = target.split("-")[0]
            cls, fname = (Community, "code") if kind == "community" else (Office, "phone")
            obj = s.get(cls, ids[target])
            key = (cls.__tablename__, obj.id, fname)
            old = getattr(obj, fname)
            value = f"{who}{r.n}"
            setattr(obj, fname, value)
    _wrote(r, who, key, value)
    r.superseded.add((key, old))


def _wrote(r: Replicas, who: str, key: tuple[str, str, str], value: Any) -> None:
    r.written.append((key, value))
    if who in r.writes:
        r.writes[who] += 1
        r.by[(key, value)] = (who, r.writes[who])


def _backup(r: Replicas, who: str) -> None:
    r.backups[who].append((r.ws[who].backup("manual"), r.writes[who]))


def _restore(r: Replicas, who: str, index: int) -> None:
    """The office restores one of its older backups (closed, restored, opened again). What it
    wrote after that backup and the district never received is gone with it (the replaced
    database is kept in backups/); everything the district holds must come back."""
    if not r.backups[who]:
        return
    path, upto = r.backups[who][index % len(r.backups[who])]
    ws = r.ws[who]
    root = ws.paths.root
    ws.close()
    restore(root, path)
    r.ws[who] = Workspace.open(root)
    r.ws[who].now_ms = r.clocks[who]
    for item, (writer, n) in r.by.items():
        if writer == who and n > upto and n > r.at_hub[who]:
            r.gone.add(item)


def _send(r: Replicas, link: tuple[str, str]) -> None:
    src, dst = link
    r.n += 1
    out = r.root / f"b{r.n:04d}-{src}{dst}.cwbundle"
    if src == "D":
        service.export_for(r.hub, dst, out)
    else:
        office.export_bundle(r.ws[src], ADMIN, out)
        r.carried[out] = r.writes[src]
    r.transit.setdefault(link, []).append(out)


def _arrived(r: Replicas, link: tuple[str, str], path: Path) -> None:
    """A bundle of an office was ingested: the district holds what it carried."""
    if link[1] == "D" and path in r.carried:
        r.at_hub[link[0]] = max(r.at_hub[link[0]], r.carried[path])


def _deliver(r: Replicas, link: tuple[str, str], index: int, keep: bool) -> None:
    queue = r.transit.get(link) or []
    if not queue:
        return
    path = queue[index % len(queue)]
    if not keep:
        queue.remove(path)
    if link[1] == "D":
        service.ingest(r.hub, [path])
        _arrived(r, link, path)
    else:
        office.import_bundle(r.ws[link[1]], ADMIN, path)


def _settle(r: Replicas) -> None:
    for _ in range(2):
        for link in LINKS:
            _send(r, link)
            _deliver(r, link, -1, keep=False)


def _state(r: Replicas, name: str, code: str | None) -> dict[str, list[tuple]]:
    engine = r.engine(name)
    out = {"setting": table_rows(engine, "setting", columns="id, key, value, deleted_at")}
    if code is not None:
        oid = table_rows(r.hub.engine, "office", f"WHERE code='{code}'", "id")[0][0]
        out["office"] = table_rows(
            engine, "office", f"WHERE id='{oid}'", "id, code, name, phone, address, deleted_at"
        )
        out["community"] = table_rows(
            engine,
            "community",
            f"WHERE office_id='{oid}'",
            "id, code, name, kind, sort_order, active, deleted_at",
        )
    return out


def _lost_values(r: Replicas) -> set[tuple[tuple[str, str, str], Any]]:
    found = set()
    for name in "ABD":
        for t, rid, f, lost in table_rows(
            r.engine(name), "sync_conflict", columns="table_name, record_id, field, lost_value"
        ):
            found.add(((t, rid, f), None if lost is None else json.loads(lost)))
    return found


def _current(r: Replicas, key: tuple[str, str, str]) -> Any:
    t, rid, f = key
    return table_rows(r.hub.engine, t, f"WHERE id='{rid}'", f)[0][0]


# Offices do not write district-wide settings (the hub keeps such changes out: scope); the
# district does, and they reach every office.
TARGETS = {"A": ["community-A", "office-A"], "B": ["community-B"]}
TARGETS["D"] = ["setting", "community-A", "community-B", "office-A"]

op = st.one_of(
    st.tuples(st.just("edit"), st.sampled_from("ABD"), st.integers(0, 7)),
    st.tuples(st.just("create"), st.sampled_from("AB"), st.just(0)),
    st.tuples(st.just("send"), st.sampled_from(LINKS), st.just(0)),
    st.tuples(st.just("deliver"), st.sampled_from(LINKS), st.integers(0, 5), st.booleans()),
    st.tuples(st.just("tick"), st.sampled_from("ABD"), st.integers(0, 5000)),
    st.tuples(st.just("backup"), st.sampled_from("AB"), st.just(0)),
    st.tuples(st.just("restore"), st.sampled_from("AB"), st.integers(0, 3)),
)
# An office restores an older backup after its work reached the district (issue 19)
RESTORED = [
    ("backup", "A", 0),
    ("edit", "A", 0),
    ("create", "A", 0),
    ("send", ("A", "D"), 0),
    ("deliver", ("A", "D"), 0, False),
    ("edit", "D", 1),
    ("send", ("D", "A"), 0),
    ("deliver", ("D", "A"), 0, False),
    ("restore", "A", 0),
    ("edit", "A", 0),
]


@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    ops=st.lists(op, max_size=30),
    offsets=st.tuples(st.integers(-3000, 3000), st.integers(-3000, 3000), st.integers(-3000, 3000)),
)
@example(ops=RESTORED, offsets=(0, 0, 0))
def test_replicas_converge_and_lose_nothing(
    template: Path, tmp_path_factory: pytest.TempPathFactory, ops: list, offsets: tuple
) -> None:
    r = _open(template, tmp_path_factory.mktemp("run") / "w", offsets)
    try:
        ids = _ids(r)
        for step in ops:
            if step[0] == "edit":
                _, who, i = step
                pool = TARGETS[who] + (
                    r.created["A"] + r.created["B"] if who == "D" else r.created[who]
                )
                _edit(r, ids, who, pool[i % len(pool)])
            elif step[0] == "create":
                _create(r, ids, step[1])
            elif step[0] == "send":
                _send(r, step[1])
            elif step[0] == "deliver":
                _deliver(r, step[1], step[2], step[3])
            elif step[0] == "backup":
                _backup(r, step[1])
            elif step[0] == "restore":
                _restore(r, step[1], step[2])
            else:
                r.clocks[step[1]].now += step[2]
        _settle(r)
        assert _state(r, "A", "A") == _state(r, "D", "A")
        assert _state(r, "B", "B") == _state(r, "D", "B")
        assert _state(r, "A", None) == _state(r, "B", None)
        lost = _lost_values(r) | r.gone
        for key, value in r.written:
            assert (
                (key, value) in lost or (key, value) in r.superseded or value == _current(r, key)
            ), f"value {value!r} of {key} was lost"
        for name in "ABD":
            problems = []
            if name != "D":
                problems = r.ws[name].integrity_problems()
            assert problems == []
    finally:
        r.close()


# -- programme records through every edit path ------------------------------------------------
# A resident of office A with visits: drafts, completions (also of drafts that already reached
# the district), transfers to B and back racing the offices' work, district corrections of drafts
# and of completed visits, bundles lost, duplicated and reordered. After a final exchange each
# office holds exactly the district's values for every record the district says is its own, no
# bundle was refused, and no value written disappeared without a trace.

PROG_LINKS = LINKS
VISIT_FIELDS = "id, resident_id, status, problems, completed_by, visitor_staff_id, deleted_at"
RESIDENT_FIELDS = "id, community_id, phone, deleted_at"
CASE_FIELDS = "id, community_id, resident_id, contractor_id, case_no, step, deleted_at"


RESIDENT_NUMBER = "110105194001090310"  # idnumber.make("110105", date(1940, 1, 9), 31)
CHILD_NUMBER = "110105201509090517"  # idnumber.make("110105", date(2015, 9, 9), 51)
CHILD_PASSWORD = "Child2026x"


def _prog_world(root: Path, db_url: str | None = None):  # -> World
    """Offices A and B with a caseworker and a child supervisor each (their offices' child-data
    keys wrapped for the district); at A a resident with a retrofit case built by A's
    contractor, and a child with narratives; everyone in sync."""
    from datetime import date

    from caseworker.domain import idnumber
    from caseworker.domain.elderly import Category
    from caseworker.domain.retrofit import Action, HouseholdCategory, PhotoStage
    from caseworker.domain.roles import Role
    from caseworker.services import accounts
    from caseworker.services.children import register
    from caseworker.services.elderly import roster
    from caseworker.services.retrofit import assessment, cases, contractors

    assert idnumber.make("110105", date(1940, 1, 9), 31) == RESIDENT_NUMBER
    assert idnumber.make("110105", date(2015, 9, 9), 51) == CHILD_NUMBER
    w = make_world(root, ["A", "B"], db_url=db_url)
    for code in "AB":
        with w.offices[code].writer(ADMIN) as s:
            accounts.create_staff(
                s,
                ADMIN,
                accounts.StaffDraft(f"zg{code}", f"{code}专干", Role.CASEWORKER),
                "Staff2026",
            )
            accounts.create_staff(
                s,
                ADMIN,
                accounts.StaffDraft(f"dd{code}", f"{code}督导", Role.CHILD_SUPERVISOR),
                CHILD_PASSWORD,
                force_password_change=False,
            )
        _login(w.offices[code], f"dd{code}")  # the office's child-data key, wrapped for the hub
    worker = account(w.offices["A"], "worker", "A改造专干", Role.CASEWORKER)
    chief = account(w.offices["A"], "chief", "A科长", Role.SUPERVISOR)
    with w.offices["A"].writer(worker) as s:
        community = next(c for c in accounts.communities(s) if c.name == "A柳村")
        resident = roster.register(
            s,
            worker,
            roster.ResidentDraft(
                "陈奶奶",
                RESIDENT_NUMBER,
                community.id,
                categories=frozenset({Category.LIVING_ALONE}),
            ),
        ).resident
        firm = contractors.add(s, worker, contractors.ContractorDraft("安居公司")).id
        case = cases.apply(
            s,
            worker,
            cases.ApplicationDraft(
                "陈奶奶",
                RESIDENT_NUMBER,
                community.id,
                address="A柳村1号",
                categories=frozenset({HouseholdCategory.MIN_ALLOWANCE}),
                resident_id=resident.id,
            ),
        )
        cases.act(s, worker, case.id, cases.StepRequest(Action.CHECK))
        assessment.save_items(s, worker, case.id, [assessment.ItemDraft("R13", 300)])
        # The household's photos are not what this test is about: the chief records why none.
        cases.waive_photos(s, chief, case.id, PhotoStage.BEFORE, "户主不同意拍照")
        cases.act(s, worker, case.id, cases.StepRequest(Action.SUBMIT))
        cases.act(s, chief, case.id, cases.StepRequest(Action.APPROVE))
        cases.act(
            s,
            worker,
            case.id,
            cases.StepRequest(Action.START, contractor_id=firm, planned_end=date.today()),
        )
    sup = _login(w.offices["A"], "ddA")
    with w.offices["A"].writer(sup) as s:
        community = next(c for c in accounts.communities(s) if c.name == "A柳村")
        register.register(
            s, sup, register.ChildDraft("韩小雪", CHILD_NUMBER, community.id, notes="起初的备注")
        )
    for _ in range(2):
        service.ingest(w.hub, [w.office_to_district("A"), w.office_to_district("B")])
        for code in "AB":
            office.import_bundle(w.offices[code], ADMIN, w.district_to_office(code))
    return w


def _login(ws: Workspace, username: str):  # -> Actor
    """A child supervisor's login: unlocks (or, the first time, creates) the office's key."""
    from caseworker.domain.roles import Actor
    from caseworker.services import accounts

    with ws.writer(Actor.system("login")) as s:
        actor = accounts.authenticate(s, username, CHILD_PASSWORD).actor
    assert actor is not None
    return actor


def _build_prog_world(root: Path) -> None:
    root.mkdir(parents=True)
    _prog_world(root).close()


@pytest.fixture(scope="session")
def prog_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once per run and shared by the workers, as `template`."""
    return shared_template(tmp_path_factory, "convergence-programmes", _build_prog_world)


@contextmanager
def _prog_replicas(backend: str, template: Path, root: Path) -> Iterator[Replicas]:
    """SQLite: a copy of the template. PostgreSQL: the same world built in a fresh database."""
    if backend == "sqlite":
        r = _open(template, root, (0, 0, 0))
        try:
            yield r
        finally:
            r.close()
        return
    import psycopg

    url = os.environ[PG_ENV]
    name = f"cw_{uuid.uuid4().hex[:12]}"
    base, _, _ = url.rpartition("/")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        w = _prog_world(root, f"{base}/{name}")
        clocks = {c: Clock() for c in "ABD"}
        w.hub.now_ms = clocks["D"]
        for code in "AB":
            w.offices[code].now_ms = clocks[code]
        r = Replicas(root, w.hub, w.offices, clocks)
        try:
            yield r
        finally:
            r.close()
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Prog:
    r: Replicas
    resident: str
    staff: dict[str, str]
    visits: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    child: str = ""
    supervisors: dict[str, Any] = field(default_factory=dict)  # office → its child supervisor
    child_visits: list[tuple[str, str]] = field(default_factory=list)  # (visit id, notes)


def _holds(p: Prog, who: str, table: str, rid: str) -> bool:
    return bool(table_rows(p.r.engine(who), table, f"WHERE id='{rid}'", "id"))


def _prog_draft(p: Prog, who: str) -> None:
    from datetime import date

    from caseworker.services.elderly import visits

    if not _holds(p, who, "elderly_resident", p.resident):
        return
    with _writer(p.r, who) as s:
        info = visits.save_draft(
            s,
            ADMIN,
            visits.VisitDraft(p.resident, date.today(), visitor_staff_id=p.staff[who]),
        )
    p.visits.append(info.id)


def _prog_complete(p: Prog, who: str, i: int) -> None:
    from datetime import date

    from caseworker.domain.errors import CaseworkerError
    from caseworker.services.elderly import visits

    held = [
        v
        for v in p.visits
        if table_rows(p.r.engine(who), "elderly_visit", f"WHERE id='{v}' AND status='草稿'", "id")
    ]
    if not held:
        return
    vid = held[i % len(held)]
    p.r.n += 1
    value = f"{who}完成{p.r.n}"
    try:
        with _writer(p.r, who) as s:
            visits.complete(
                s,
                ADMIN,
                visits.VisitDraft(
                    p.resident,
                    date.today(),
                    visitors=(f"{who}专干",),
                    visitor_staff_id=p.staff[who],
                    problems=value,
                ),
                visit_id=vid,
            )
    except CaseworkerError:
        return
    _wrote(p.r, who, ("elderly_visit", vid, "problems"), value)


def _prog_transfer(p: Prog, to: str) -> None:
    """The resident moves, with their retrofit case (and its contractor, copied)."""
    from caseworker.district import transfer
    from caseworker.domain.errors import CaseworkerError

    try:
        transfer.transfer_person(p.r.hub, RESIDENT_NUMBER, to, f"{to}光明社区")
    except CaseworkerError:
        return  # already there


def _prog_transfer_child(p: Prog, to: str) -> None:
    """The child moves: its narratives re-sealed for the new office at the hub."""
    from caseworker.district import transfer
    from caseworker.domain.errors import CaseworkerError

    try:
        transfer.transfer_person(p.r.hub, CHILD_NUMBER, to, f"{to}和平社区")
    except CaseworkerError:
        return


def _prog_child_visit(p: Prog, who: str) -> None:
    """A visit to the child at an office that holds it (also the old office, before it hears
    that the child moved), its notes sealed with that office's key."""
    from datetime import date

    from caseworker.services.children import cases as child_cases

    if not _holds(p, who, "child", p.child):
        return
    p.r.n += 1
    text = f"{who}回访{p.r.n}"
    sup = p.supervisors[who]
    with _writer_as(p.r, who, sup) as s:
        visit = child_cases.record_visit(
            s, sup, child_cases.VisitDraft(p.child, date.today(), "入户", f"{who}督导", text)
        )
    p.child_visits.append((visit.id, text))
    if who in p.r.writes:
        p.r.writes[who] += 1
        p.r.by[(("child_visit", visit.id, "notes"), text)] = (who, p.r.writes[who])


def _writer_as(r: Replicas, name: str, actor: Any):
    return r.hub.writer(actor) if name == "D" else r.ws[name].writer(actor)


def _prog_correct(p: Prog, i: int) -> None:
    from caseworker.domain.errors import CaseworkerError

    p.r.n += 1
    if not p.visits or i % 3 == 0:
        key, value = ("elderly_resident", p.resident, "phone"), f"1390000{p.r.n:04d}"
    else:
        vid = p.visits[i % len(p.visits)]
        if not _holds(p, "D", "elderly_visit", vid):
            return
        key, value = ("elderly_visit", vid, "problems"), f"区更正{p.r.n}"
    try:
        old = table_rows(p.r.hub.engine, key[0], f"WHERE id='{key[1]}'", key[2])[0][0]
        service.correct(p.r.hub, key[0], key[1], {key[2]: value})
    except CaseworkerError:
        return  # a completed visit: the district may not edit it
    _wrote(p.r, "D", key, value)
    p.r.superseded.add((key, old))


def _prog_deliver(p: Prog, link: tuple[str, str], index: int, keep: bool) -> None:
    queue = p.r.transit.get(link) or []
    if not queue:
        return
    path = queue[index % len(queue)]
    if not keep:
        queue.remove(path)
    if link[1] == "D":
        for result in service.ingest(p.r.hub, [path]):
            if result.refused:
                p.refused.append(result.refused)
            else:
                _arrived(p.r, link, path)
    else:
        office.import_bundle(p.r.ws[link[1]], ADMIN, path)  # a refusal raises: the test fails


def _check_child_visits(p: Prog) -> None:
    """Every child visit written and not lost with a restore is at the district and at the
    child's office, and that office's key opens its notes to what was written."""
    from caseworker.services.children import keys

    owner = next(c for c in "AB" if _owned(p, c, "child", "id"))
    key = keys.unlocked(p.supervisors[owner])
    assert key is not None
    for vid, text in p.child_visits:
        if (("child_visit", vid, "notes"), text) in p.r.gone:
            continue
        assert _holds(p, "D", "child_visit", vid), text
        [(stored,)] = table_rows(p.r.engine(owner), "child_visit", f"WHERE id='{vid}'", "notes")
        assert keys.open_text(key, "child_visit", "notes", vid, stored) == text


def _owned(p: Prog, code: str, table: str, columns: str) -> list[tuple]:
    from caseworker.district import scope

    oid = table_rows(p.r.hub.engine, "office", f"WHERE code='{code}'", "id")[0][0]
    with p.r.hub.engine.connect() as conn:
        mine = set(conn.execute(scope.owned_ids(table, oid)).scalars())
    rows = table_rows(p.r.hub.engine, table, columns=columns)
    return [row for row in rows if row[0] in mine]


prog_op = st.one_of(
    st.tuples(st.just("draft"), st.sampled_from("AB"), st.just(0)),
    st.tuples(st.just("complete"), st.sampled_from("AB"), st.integers(0, 5)),
    st.tuples(st.just("transfer"), st.sampled_from("AB"), st.just(0)),
    st.tuples(st.just("correct"), st.just("D"), st.integers(0, 5)),
    st.tuples(st.just("setting"), st.just("D"), st.just(0)),
    st.tuples(st.just("send"), st.sampled_from(PROG_LINKS), st.just(0)),
    st.tuples(st.just("deliver"), st.sampled_from(PROG_LINKS), st.integers(0, 5), st.booleans()),
    st.tuples(st.just("sync"), st.sampled_from(PROG_LINKS), st.just(0)),
    st.tuples(st.just("tick"), st.sampled_from("ABD"), st.integers(0, 5000)),
    st.tuples(st.just("transfer_child"), st.sampled_from("AB"), st.just(0)),
    st.tuples(st.just("child_visit"), st.sampled_from("AB"), st.just(0)),
    st.tuples(st.just("backup"), st.sampled_from("AB"), st.just(0)),
    st.tuples(st.just("restore"), st.sampled_from("AB"), st.integers(0, 3)),
)
AD, DA, BD, DB = ("A", "D"), ("D", "A"), ("B", "D"), ("D", "B")
# The sequences issue 7 names, always run (hypothesis explores around them)
NAMED = {
    "draft completed after it reached the district": [
        ("draft", "A", 0),
        ("sync", AD, 0),
        ("complete", "A", 0),
        ("sync", AD, 0),
    ],
    "visit at the old office after a transfer": [
        ("transfer", "B", 0),
        ("sync", DB, 0),
        ("draft", "A", 0),
        ("complete", "A", 0),
        ("sync", AD, 0),
        ("sync", DB, 0),
    ],
    "district corrects a draft its office completed": [
        ("draft", "A", 0),
        ("sync", AD, 0),
        ("complete", "A", 0),
        ("tick", "D", 3000),
        ("correct", "D", 1),
        ("sync", DA, 0),
        ("sync", AD, 0),
    ],
    "office completes a draft the district corrected": [
        ("draft", "A", 0),
        ("sync", AD, 0),
        ("correct", "D", 1),
        ("tick", "A", 3000),
        ("complete", "A", 0),
        ("sync", AD, 0),
        ("sync", DA, 0),
    ],
    "transferred there and back, bundles reordered": [
        ("draft", "A", 0),
        ("sync", AD, 0),
        ("transfer", "B", 0),
        ("send", DA, 0),
        ("transfer", "A", 0),
        ("send", DB, 0),
        ("send", DA, 0),
        ("deliver", DA, 1, True),
        ("deliver", DA, 0, False),
        ("deliver", DB, 0, True),
        ("complete", "B", 0),
        ("sync", BD, 0),
    ],
    # issue 19
    "restore an office from an older backup": [
        ("backup", "A", 0),
        ("draft", "A", 0),
        ("complete", "A", 0),
        ("child_visit", "A", 0),
        ("sync", AD, 0),
        ("correct", "D", 0),
        ("sync", DA, 0),
        ("restore", "A", 0),
        ("draft", "A", 0),
        ("child_visit", "A", 0),
    ],
    "transfer a person with retrofit cases and a child": [
        ("draft", "A", 0),
        ("sync", AD, 0),
        ("transfer", "B", 0),
        ("transfer_child", "B", 0),
        ("child_visit", "A", 0),
        ("complete", "A", 0),
        ("sync", DB, 0),
        ("child_visit", "B", 0),
        ("sync", AD, 0),
        ("sync", DA, 0),
    ],
    "restore after a person moved in, then away again": [
        ("backup", "B", 0),
        ("transfer", "B", 0),
        ("transfer_child", "B", 0),
        ("sync", DB, 0),
        ("child_visit", "B", 0),
        ("sync", BD, 0),
        ("transfer_child", "A", 0),
        ("restore", "B", 0),
        ("sync", BD, 0),
        ("sync", DB, 0),
    ],
}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@settings(
    max_examples=examples(30),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(prog_op, max_size=28))
@example(ops=NAMED["draft completed after it reached the district"])
@example(ops=NAMED["visit at the old office after a transfer"])
@example(ops=NAMED["district corrects a draft its office completed"])
@example(ops=NAMED["office completes a draft the district corrected"])
@example(ops=NAMED["transferred there and back, bundles reordered"])
@example(ops=NAMED["restore an office from an older backup"])
@example(ops=NAMED["transfer a person with retrofit cases and a child"])
@example(ops=NAMED["restore after a person moved in, then away again"])
def test_programme_records_converge_through_every_edit_path(  # noqa: C901
    prog_template: Path, tmp_path_factory: pytest.TempPathFactory, backend: str, ops: list
) -> None:
    if backend == "postgresql" and not _pg_url():
        pytest.skip(f"{PG_ENV} not set: no PostgreSQL here")
    root = tmp_path_factory.mktemp("prog") / "w"
    with _prog_replicas(backend, prog_template, root) as r:
        resident = table_rows(r.hub.engine, "elderly_resident", columns="id")[0][0]
        staff = {
            code: table_rows(r.engine(code), "staff", f"WHERE username='zg{code.lower()}'", "id")[
                0
            ][0]
            for code in "AB"
        }
        p = Prog(r, resident, staff)
        p.child = table_rows(r.hub.engine, "child", columns="id")[0][0]
        p.supervisors = {code: _login(r.ws[code], f"dd{code}") for code in "AB"}
        ids = _ids(r)
        for step in ops:
            kind = step[0]
            if kind == "draft":
                _prog_draft(p, step[1])
            elif kind == "complete":
                _prog_complete(p, step[1], step[2])
            elif kind == "transfer":
                _prog_transfer(p, step[1])
            elif kind == "correct":
                _prog_correct(p, step[2])
            elif kind == "setting":
                _edit(r, ids, "D", "setting")
            elif kind == "send":
                _send(r, step[1])
            elif kind == "deliver":
                _prog_deliver(p, step[1], step[2], step[3])
            elif kind == "sync":
                _send(r, step[1])
                _prog_deliver(p, step[1], -1, keep=False)
            elif kind == "transfer_child":
                _prog_transfer_child(p, step[1])
            elif kind == "child_visit":
                _prog_child_visit(p, step[1])
            elif kind == "backup":
                _backup(r, step[1])
            elif kind == "restore":
                _restore(r, step[1], step[2])
            else:
                r.clocks[step[1]].now += step[2]
        for _ in range(3):
            for link in PROG_LINKS:
                _send(r, link)
                _prog_deliver(p, link, -1, keep=False)
        assert p.refused == []
        for code in "AB":
            for table, columns in (
                ("elderly_resident", RESIDENT_FIELDS),
                ("elderly_visit", VISIT_FIELDS),
                ("retrofit_case", CASE_FIELDS),
                ("child", "id, community_id, notes, deleted_at"),
                ("child_visit", "id, child_id, notes, deleted_at"),
            ):
                mine = _owned(p, code, table, columns)
                there = {row[0]: row for row in table_rows(r.engine(code), table, columns=columns)}
                assert [there.get(row[0]) for row in mine] == mine, (code, table)
            # an office keeps nothing of a child that is not its own (narratives included)
            for table in ("child", "child_visit"):
                own = {row[0] for row in _owned(p, code, table, "id")}
                held = {row[0] for row in table_rows(r.engine(code), table, columns="id")}
                assert held <= own, (code, table)
        _check_child_visits(p)
        assert _state(r, "A", None) == _state(r, "D", None)
        lost = _lost_values(r) | r.gone
        for key, value in r.written:
            assert (
                (key, value) in lost or (key, value) in r.superseded or value == _current(r, key)
            ), f"value {value!r} of {key} was lost"
