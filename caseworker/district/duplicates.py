"""One person on two offices' rosters: the cross-office duplicates the hub holds, and their ways out.

The ID number is the district-wide key. When an office sends a person another office already
holds (an elderly person who moved in with a child across the street boundary), the merge keeps
the new record as a held duplicate instead of refusing the bundle (`merge.hold_duplicates`).
District staff settle each case with `caseworker-district duplicates`:

- keep the earlier record: the later one is tombstoned (a journaled district change that reaches
  its office), its history stays readable there;
- keep the later record: the earlier one is tombstoned and the later one takes the key.

Either way both offices are told: every district bundle carries the open cases that concern the
office it goes to (`notices_for`), and the office shows them until they are settled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select, update

from caseworker.district import scope
from caseworker.district.accounts import require
from caseworker.district.hub import DISTRICT
from caseworker.domain import idnumber
from caseworker.domain.errors import NotFound, ValidationError
from caseworker.domain.roles import Actor, DistrictPermission
from caseworker.sync import tables
from db.base import Base, utcnow
from db.models import Office
from db.sync_models import SyncDuplicate

if TYPE_CHECKING:
    from caseworker.district.hub import Hub
    from caseworker.sync.identity import Peer


@dataclass(frozen=True)
class DuplicateCase:
    id: int
    table_name: str
    later_id: str
    later_office: str
    earlier_id: str
    earlier_office: str
    name: str
    id_number_masked: str
    detected_at: datetime
    status: str


def _office_names(conn: Connection) -> dict[str, str]:
    t = Office.__table__
    return {r.id: f"{r.name}（{r.code}）" for r in conn.execute(select(t.c.id, t.c.code, t.c.name))}


def _cases(conn: Connection, found: list[Any]) -> list[DuplicateCase]:
    """The cases of these sync_duplicate rows with their offices, name and masked ID number:
    a page's worth of lookups, never the whole list's."""
    names = _office_names(conn)
    owned = _owners_of_cases(conn, [r for r in found if tables.info(r.table_name) is not None])
    out: list[DuplicateCase] = []
    for r in found:
        t = tables.info(r.table_name)
        if t is None:
            continue
        owners = {i: owned.get((r.table_name, i)) for i in (r.record_id, r.other_id)}
        row = conn.execute(
            select(t.table.c.name, t.table.c[t.district_key or "id"]).where(
                t.table.c.id == r.record_id
            )
        ).first()
        out.append(
            DuplicateCase(
                r.id,
                r.table_name,
                r.record_id,
                names.get(owners.get(r.record_id) or "", "?"),
                r.other_id,
                names.get(owners.get(r.other_id) or "", "?"),
                row[0] if row else "",
                idnumber.mask(row[1]) if row else "",
                r.detected_at,
                r.status,
            )
        )
    return out


def list_cases(
    hub: Hub,
    *,
    open_only: bool = True,
    actor: Actor = DISTRICT,
    offset: int = 0,
    limit: int | None = None,
) -> list[DuplicateCase]:
    """The cases in the order they were found; a page of them with `limit` (the console's
    queue reads 200 at a time; `count_cases` says how many there are)."""
    require(actor, DistrictPermission.RECORDS)
    d = SyncDuplicate.__table__
    q = select(d).order_by(d.c.id)
    if open_only:
        q = q.where(d.c.status == "open")
    if limit is not None:
        q = q.limit(limit).offset(offset or None)
    with hub.engine.connect() as conn:
        return _cases(conn, list(conn.execute(q)))


def count_cases(hub: Hub, *, open_only: bool = True, actor: Actor = DISTRICT) -> int:
    """How many cases (open ones by default), counted in SQL (ix_sync_duplicate_status)."""
    require(actor, DistrictPermission.RECORDS)
    d = SyncDuplicate.__table__
    q = select(func.count()).select_from(d)
    if open_only:
        q = q.where(d.c.status == "open")
    with hub.engine.connect() as conn:
        return conn.execute(q).scalar() or 0


def _owner_of(d_col: Any, table_name: str) -> tuple[list[tuple[Any, Any]], Any]:
    """(the join from sync_duplicate, the owning office's id column) for the record `d_col`
    names: fresh aliases up the foreign-key chain, outer joins (a broken chain owns nothing)."""
    path = scope.office_path(table_name)
    start = Base.metadata.tables[table_name].alias()
    on = d_col == start.c.id
    if not path:  # the office table itself (or district-wide: never a duplicate's table)
        return [(start, on)], start.c.id
    joins = [(start, on)]
    cur = start
    for col, ref in path[:-1]:
        nxt = Base.metadata.tables[ref].alias()
        joins.append((nxt, cur.c[col] == nxt.c.id))
        cur = nxt
    return joins, cur.c[path[-1][0]]


def open_by_office(hub: Hub, *, actor: Actor = DISTRICT) -> dict[str, int]:
    """Office id → the open cases with one of their two records there (counted once even when
    both are), for 工作台: one grouped read per table among the open cases, not a lookup per
    case."""
    require(actor, DistrictPermission.STATUS)
    d = SyncDuplicate.__table__
    out: dict[str, int] = {}
    with hub.engine.connect() as conn:
        present = conn.execute(
            select(d.c.table_name).where(d.c.status == "open").group_by(d.c.table_name)
        ).scalars()
        for name in list(present):
            if tables.info(name) is None or scope.office_path(name) is None:
                continue
            later, later_owner = _owner_of(d.c.record_id, name)
            earlier, earlier_owner = _owner_of(d.c.other_id, name)
            joined: Any = d
            for target, on in (*later, *earlier):
                joined = joined.outerjoin(target, on)
            q = (
                select(later_owner, earlier_owner, func.count())
                .select_from(joined)
                .where(d.c.status == "open", d.c.table_name == name)
                .group_by(later_owner, earlier_owner)
            )
            for a, b, n in conn.execute(q):
                for office_id in {a, b} - {None}:
                    out[office_id] = out.get(office_id, 0) + n
    return out


def resolve(hub: Hub, case_id: int, keep: str, *, actor: Actor = DISTRICT) -> DuplicateCase:
    """Settle a case: `keep` is "earlier" or "later"; the other record is tombstoned."""
    require(actor, DistrictPermission.RECORDS)
    if keep not in {"earlier", "later"}:
        raise ValidationError("请选择保留较早的记录（earlier）或较晚的记录（later）。")
    d = SyncDuplicate.__table__
    with hub.writer(actor) as s:
        conn = s.connection()
        # locked for the transaction: a second clerk settling it at once finds it settled
        case = conn.execute(select(d).where(d.c.id == case_id).with_for_update()).first()
        if case is None:
            raise NotFound(f"没有编号为 {case_id} 的重复人员记录。")
        if case.status != "open":
            raise ValidationError(f"重复人员记录 #{case_id} 已经处理过了。")
        t = tables.info(case.table_name)
        assert t is not None
        drop, stay = (
            (case.record_id, case.other_id)
            if keep == "earlier"
            else (case.other_id, case.record_id)
        )
        gone = s.get(t.cls, drop)
        kept = s.get(t.cls, stay)
        if gone is None or kept is None:
            raise NotFound("重复人员记录所指的记录已不存在。")
        now = utcnow()
        gone.deleted_at = now
        s.flush()
        # The key moves to the record that stays (local bookkeeping, not journaled).
        t_ = t.table
        conn.execute(update(t_).where(t_.c.id == drop).values(duplicate_of=stay))
        conn.execute(update(t_).where(t_.c.id == stay).values(duplicate_of=None))
        conn.execute(
            update(d)
            .where(d.c.id == case_id)
            .values(status=f"kept-{keep}", resolved_by="区级平台", resolved_at=now)
        )
    with hub.engine.connect() as conn:
        return _cases(conn, list(conn.execute(select(d).where(d.c.id == case_id))))[0]


def _owners_of_cases(conn: Connection, found: list[Any]) -> dict[tuple[str, str], str | None]:
    """(table, record id) → owning office id for both records of every case in `found`: one
    read per table (in chunks of ids), not one per case."""
    ids: dict[str, set[str]] = {}
    for r in found:
        ids.setdefault(r.table_name, set()).update((r.record_id, r.other_id))
    out: dict[tuple[str, str], str | None] = {}
    for name, wanted in ids.items():
        for rid, owner in scope.owners(conn, name, sorted(wanted)).items():
            out[(name, rid)] = owner
    return out


def notices_for(conn: Connection, office: Peer) -> list[list[Any]]:
    """The open cases that concern `office`, for its next bundle: [table, its record, the other
    office's name]. The list is the whole current set: the office replaces what it had."""
    d = SyncDuplicate.__table__
    t = Office.__table__
    office_id = conn.execute(select(t.c.id).where(t.c.code == office.office_code)).scalar()
    if office_id is None:
        return []
    names = _office_names(conn)
    found = list(conn.execute(select(d).where(d.c.status == "open").order_by(d.c.id)))
    owners = _owners_of_cases(conn, found)  # the owners of all of them, a read per table
    out: list[list[Any]] = []
    for r in found:
        mine = owners.get((r.table_name, r.record_id))
        theirs = owners.get((r.table_name, r.other_id))
        if mine == office_id and theirs != office_id:
            out.append([r.table_name, r.record_id, names.get(theirs or "", "")])
        elif theirs == office_id and mine != office_id:
            out.append([r.table_name, r.other_id, names.get(mine or "", "")])
    return out
