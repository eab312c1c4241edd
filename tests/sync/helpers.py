"""A small district with offices, built through the real services on real files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, text

from caseworker.district import service
from caseworker.district.hub import Hub
from caseworker.domain.roles import Actor, Role
from caseworker.sync import office
from caseworker.workspace import Workspace

PASSPHRASE = "test-pass-2026"
ADMIN = Actor.system("test")


def account(
    ws: Workspace, username: str, name: str, role: Role, community_id: str | None = None
) -> Actor:
    """A real account at an office, as a login would give it (writes check the account)."""
    from caseworker.services import accounts
    from db.models import Staff

    with ws.writer(ADMIN) as s:
        info = accounts.create_staff(
            s,
            ADMIN,
            accounts.StaffDraft(username, name, role, community_id),
            "test-pass-2026",
            force_password_change=False,
        )
        return accounts.actor_for(s.get(Staff, info.id))


def supervisor(ws: Workspace) -> Actor:
    return account(ws, "kezhang", "王科长", Role.SUPERVISOR)


CHILD_PASSWORD = "Child2026x"


def child_supervisor(
    ws: Workspace,
    username: str = "dudao",
    name: str = "王督导",
    password: str = CHILD_PASSWORD,
) -> tuple[Actor, str]:
    """A child supervisor made on office workspace `ws` (a `make_world` office) and logged in
    through the real login, which makes the office's child-data key (wrapped for the district
    once enrolled); with the id of the office's first community, where children go."""
    from caseworker.services import accounts
    from caseworker.services.children import keys

    with ws.writer(ADMIN) as s:
        accounts.create_staff(
            s,
            ADMIN,
            accounts.StaffDraft(username, name, Role.CHILD_SUPERVISOR),
            password,
            force_password_change=False,
        )
        community = accounts.communities(s)[0].id
    with ws.writer(Actor.system("login")) as s:
        sup = accounts.authenticate(s, username, password).actor
    assert sup is not None and keys.unlocked(sup) is not None
    return sup, community


class Clock:
    """A controllable wall clock in milliseconds."""

    def __init__(self, start: int = 1_790_000_000_000) -> None:
        self.now = start

    def __call__(self) -> int:
        self.now += 7
        return self.now


@dataclass
class World:
    root: Path
    hub: Hub
    offices: dict[str, Workspace]
    clock: Clock
    _n: int = 0

    def path(self, stem: str) -> Path:
        self._n += 1
        return self.root / "stick" / f"{self._n:04d}-{stem}.cwbundle"

    def office_to_district(self, code: str) -> Path:
        out = self.path(f"{code}-up")
        office.export_bundle(self.offices[code], ADMIN, out)
        return out

    def district_to_office(self, code: str) -> Path:
        out = self.path(f"{code}-down")
        service.export_for(self.hub, code, out)
        return out

    def close(self) -> None:
        for ws in self.offices.values():
            ws.close()
        self.hub.close()


def make_world(
    root: Path, codes: list[str], *, db_url: str | None = None, clock: Clock | None = None
) -> World:
    clock = clock or Clock()
    (root / "stick").mkdir(parents=True, exist_ok=True)
    hub = Hub.open(root / "district", db_url)
    hub.now_ms = clock
    service.init(hub, "测试区民政局")
    offices: dict[str, Workspace] = {}
    for i, code in enumerate(codes):
        enroll_file = root / "stick" / f"enroll-{code}.cwenroll"
        service.add_office(
            hub,
            code=code,
            name=f"第{i + 1}街道办事处",
            communities=[f"{code}和平社区", f"{code}光明社区", f"{code}柳村"],
            out=enroll_file,
            passphrase=PASSPHRASE,
        )
        ws = Workspace.open(root / f"office-{code}")
        ws.now_ms = clock
        office.enroll(ws, enroll_file, PASSPHRASE)
        offices[code] = ws
    return World(root, hub, offices, clock)


def table_rows(engine, table: str, where: str = "", columns: str = "*") -> list[tuple]:
    sql = f"SELECT {columns} FROM {table} {where} ORDER BY id"
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def journal_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM journal")).scalar()


def snapshot(engine) -> dict[str, list[tuple]]:
    """Every row of every table: to prove a refused import changed nothing. (PostgreSQL
    returns rows in no fixed order: they are sorted there.)"""
    if engine.dialect.name != "sqlite":
        from sqlalchemy import inspect

        names = sorted(inspect(engine).get_table_names())
        with engine.connect() as conn:
            return {
                n: sorted((tuple(r) for r in conn.execute(text(f'SELECT * FROM "{n}"'))), key=repr)
                for n in names
            }
    with engine.connect() as conn:
        names = [
            r[0]
            for r in conn.execute(
                text("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
            )
        ]
        return {n: [tuple(r) for r in conn.execute(text(f'SELECT * FROM "{n}"'))] for n in names}


def writer_for(ws: Workspace) -> Callable:
    return lambda: ws.writer(ADMIN)


__all__ = ["select"]
