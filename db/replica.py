"""What an office workspace and the district hub have in common: one database that writes
journaled changes under its own device id, with a clock tests and sync can override."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from caseworker.domain.errors import AccountChanged
from caseworker.domain.roles import Actor
from db.base import table_of
from db.engine import make_session_factory
from db.ids import new_id
from db.journal import JournalContext
from db.models import DistrictStaff, LocalMeta, Staff


def ensure_device_id(engine: Engine) -> str:
    """This replica's device id (made once, kept in local_meta, never synced)."""
    t = table_of(LocalMeta)
    with engine.begin() as conn:
        found = conn.execute(select(t.c.value).where(t.c.key == "device_id")).scalar()
        if found:
            return found
        device_id = new_id()
        conn.execute(insert(t).values(key="device_id", value=device_id))
        return device_id


def check_account(session: Session, actor: Actor, *, reading: bool = False) -> None:
    """Refuse an account that is no longer what it was at login (disabled, deleted, another
    role or community): powers end when an administrator takes them, not at logout.

    Checked at the start of every write transaction and of every read the application makes
    for a logged-in person (one primary-key read), so every service sees the account's current
    state; the UI also polls it to end a stale session.
    """
    row = session.execute(
        select(Staff.disabled, Staff.deleted_at, Staff.role, Staff.community_id).where(
            Staff.id == actor.staff_id
        )
    ).first()
    _refuse_if_changed(row, actor, reading, ask="系统管理员", community=True)


def check_district_account(session: Session, actor: Actor, *, reading: bool = False) -> None:
    """`check_account` for the district hub's own accounts (`district_staff`)."""
    row = session.execute(
        select(DistrictStaff.disabled, DistrictStaff.deleted_at, DistrictStaff.role).where(
            DistrictStaff.id == actor.staff_id
        )
    ).first()
    _refuse_if_changed(row, actor, reading, ask="区级管理员", community=False)


def _refuse_if_changed(row: Any, actor: Actor, reading: bool, *, ask: str, community: bool) -> None:
    """The account's row as read now against the actor as logged in: deleted, disabled (ask
    `ask` about it), another role, or (`community`) another community."""
    done = "" if reading else "，未保存"
    if row is None or row.deleted_at is not None:
        raise AccountChanged(f"此账号已被删除{done}。请切换用户后重新登录")
    if row.disabled:
        raise AccountChanged(f"此账号已被管理员停用{done}。请联系{ask}")
    role = actor.role.value if actor.role is not None else None
    moved = community and row.community_id != actor.community_id
    if row.role != role or moved:
        what = "角色或负责社区" if community else "角色"
        raise AccountChanged(f"管理员已更改此账号的{what}{done}。请重新登录后再操作")


class Replica:
    def __init__(self, engine: Engine, device_id: str) -> None:
        self.engine = engine
        self.device_id = device_id
        self._sessions = make_session_factory(engine)
        # Tests and sync override the wall clock used for journal timestamps.
        self.now_ms: Callable[[], int] | None = None

    def check_account(self, session: Session, actor: Actor, *, reading: bool = False) -> None:
        """The account check every transaction of a logged-in person starts with (an office's
        staff here; the district hub checks its own accounts instead)."""
        check_account(session, actor, reading=reading)

    def now(self) -> int:
        return self.now_ms() if self.now_ms is not None else int(time.time() * 1000)

    @contextmanager
    def writer(self, actor: Actor, *, source: str = "local") -> Iterator[Session]:
        """One transaction, journaled as `actor`: commits on success, rolls back on any error."""
        ctx = JournalContext(actor=actor, device_id=self.device_id, source=source)
        if self.now_ms is not None:
            ctx.now_ms = self.now_ms
        with self._sessions() as session:
            session.info["journal"] = ctx
            with session.begin():
                if actor.staff_id is not None:
                    self.check_account(session, actor)
                yield session

    @contextmanager
    def reader(self, actor: Actor | None = None) -> Iterator[Session]:
        """A session for reading; it cannot write journaled records (no journal context).

        With the `actor` of a logged-in person, the read transaction starts by checking that
        the account is still what it was at login, as a write does (`check_account`): a
        disabled or demoted account's open window cannot go on reading either.
        Closing it ends the read transaction; loaded objects stay readable (detached).
        """
        with self._sessions() as session:
            if actor is not None and actor.staff_id is not None:
                self.check_account(session, actor, reading=True)
            yield session

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self):  # -> Self
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
