"""Moving people (and the records that belong to them) from one office to another, at the hub.

One service for every programme's people — an elderly resident, a retrofit household, a child —
called by `caseworker-district transfer --person ID_NUMBER --to CODE --community NAME` and shaped
for a dialog (`transfer_person(..., dry_run=True)` says what would move before anything does).
The generic form (`transfer_record`: one record of any table and what depends on it) is the
same machinery. docs/sync.md lists what moves, what stays and what the old office keeps.

What a transfer does, in one district transaction (every change journaled as the district):

1. **Roots**: the person's records not already at the new office: their elderly-roster record,
   their retrofit cases, their child record (found by ID number). Each root's parent becomes
   the chosen community of the new office (or the new office itself).
2. **Dependents**, found through foreign keys, set-based: visits, amendments, referrals, a
   case's steps, items and photos, a child's guardians, conditions, cases, services, visits and
   view log. A retrofit case reached through its optional link to the resident moves with them.
   The office's own structure never moves with someone (`KEPT`: office, communities, staff,
   contractors, child-data keys); a kept record's link to a moved one (a caseworker's
   community, when a whole community moves) is cleared.
3. **Links the new office cannot hold**: a required link to a community of the old office (a
   retrofit case's) becomes the chosen community; a contractor the new office does not know
   travels with the case as a copy owned by the new office (one with the same licence number,
   or else name, is reused); any other optional link (a visitor, a case owner: the old office's
   staff) is cleared, allowed on a completed visit only for `__merge_unlocked__` fields; any
   other required one refuses the transfer.
4. **Children's narratives** are re-sealed for the new office: the hub opens the old office's
   key with its own (every office's key is wrapped to the district) and seals each value with
   the new office's current key. The hub's opening is logged in the child's view log, which
   travels with the child. A new office without a child-data key yet refuses the transfer.
5. The moved records go on the new office's **push list** (their whole history goes in each of
   its bundles until it acknowledges one) and the old office gets **transferred-out notices**
   (it keeps its copy, shown as moved out; a child's copy it purges, `office.purge_moved`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, select, update
from sqlalchemy.orm import Session

from caseworker.district import scope
from caseworker.district.accounts import require
from caseworker.district.hub import DISTRICT, Hub, office_peer
from caseworker.domain import idnumber
from caseworker.domain.errors import NotFound, ValidationError
from caseworker.domain.roles import Actor, DistrictPermission
from caseworker.services.children import keys
from caseworker.sync import tables
from caseworker.sync.identity import find_identity, peers
from db.base import Base, utcnow
from db.children import ENCRYPTED_COLUMNS, ChildOfficeKey, ChildViewLog
from db.models import Community, Office
from db.retrofit import RetrofitContractor
from db.sync_models import SyncPush, SyncTransfer, SyncTransferLog

CHUNK = 500
log = logging.getLogger("caseworker")
PAGE = 1000

KEPT = tables.KEPT  # never moved as somebody's dependent (the office's structure, accounts)
# An optional link to one of these travels as a copy for the new office, matched on these fields.
COPIED: dict[str, tuple[str, ...]] = {"retrofit_contractor": ("licence_no", "name")}
# The tables whose records are a person, found by ID number (a guardian's number is not theirs).
PERSON_TABLES = ("elderly_resident", "retrofit_case", "child")
PROGRAMME = {"elderly_resident": "老年人探访", "retrofit_case": "适老化改造", "child": "儿童关爱"}
# What the old office keeps, per programme (docs/sync.md says why).
OLD_OFFICE_KEEPS = {
    "elderly_resident": "保留原记录（只读，显示为已迁出）",
    "retrofit_case": "保留原档案（只读，显示为已迁出）",
    "child": "不保留：收到迁出通知、所有修改均已被区里确认后，删除本机的该儿童全部记录",
}


@dataclass(frozen=True)
class Transferred:
    """What a transfer did (or, with `dry_run`, would do): for the command and a dialog."""

    to_code: str
    to_name: str
    community: str
    roots: list[tuple[str, str]]  # (table, id) of each record moved with its dependents
    records: dict[str, int]  # table → records moved (roots and dependents)
    reparented: dict[str, int]  # table → records whose community became the chosen one
    cleared: dict[str, int]  # "table.field" → links to the old office cleared
    contractors: list[str]  # contractors copied to the new office (or matched there)
    resealed: int  # children's narrative values re-sealed for the new office
    from_offices: list[str]  # codes of the offices the records left
    old_office_keeps: dict[str, str]  # programme → what the old office keeps
    dry_run: bool = False
    items: list[tuple[str, str]] = field(default_factory=list, repr=False)

    @property
    def total(self) -> int:
        return sum(self.records.values())


class _DryRun(Exception):
    def __init__(self, result: Transferred) -> None:
        self.result = result


# -- finding what moves ---------------------------------------------------------------------------


def _chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def person_roots(conn: Connection, id_number: str) -> list[tuple[str, str]]:
    """Every live record of a person, by ID number, in each programme."""
    try:
        value = idnumber.parse(id_number).value
    except idnumber.InvalidIdNumber:
        raise ValidationError(
            "身份证号不正确（位数、出生日期或校验位不对），未做任何改动。"
        ) from None
    found: list[tuple[str, str]] = []
    for tname in PERSON_TABLES:
        t = Base.metadata.tables[tname]
        found.extend(
            (tname, rid)
            for rid in conn.execute(
                select(t.c.id)
                .where(t.c.id_number == value, t.c.deleted_at.is_(None))
                .order_by(t.c.id)
            ).scalars()
        )
    if not found:
        raise NotFound("区级平台上没有这个身份证号的人员（老年人台账、改造档案、儿童台账都没有）。")
    return found


# -- the transfer ---------------------------------------------------------------------------------


def _office_row(conn: Connection, code: str) -> tuple[str, str] | None:
    t = Office.__table__
    row = conn.execute(select(t.c.id, t.c.name).where(t.c.code == code)).first()
    return (row[0], row[1]) if row else None


def transfer_person(
    hub: Hub,
    id_number: str,
    to_code: str,
    community: str | None,
    *,
    dry_run: bool = False,
    actor: Actor = DISTRICT,
    reason: str = "",
) -> Transferred:
    """Move everything of one person (every programme) to office `to_code`'s `community`,
    journaled as `actor` (the console's logged-in clerk; the command line's 区民政局), and
    logged with the `reason` in `sync_transfer_log` (the hub's own record of who moved whom)."""
    require(actor, DistrictPermission.RECORDS)
    with hub.reader(actor) as s:
        roots = person_roots(s.connection(), id_number)
    return _transfer(
        hub,
        roots,
        to_code,
        community,
        dry_run=dry_run,
        skip_at_target=True,
        actor=actor,
        log=(idnumber.parse(id_number).value, reason.strip()),
    )


def transfer_record(
    hub: Hub,
    table_name: str,
    record_id: str,
    to_code: str,
    community: str | None = None,
    *,
    dry_run: bool = False,
) -> Transferred:
    """Move one record of any table with a path to an office, and what depends on it."""
    t = tables.info(table_name)
    path = scope.office_path(table_name) if t is not None else None
    if t is None or not path:
        raise ValidationError(f"数据表“{table_name}”的记录不能在街道之间转移。")
    if path[0][1] not in ("office", "community"):
        raise ValidationError(f"“{table_name}”的记录随其上级记录转移，不能单独转移。")
    return _transfer(hub, [(table_name, record_id)], to_code, community, dry_run=dry_run)


def _transfer(
    hub: Hub,
    roots: list[tuple[str, str]],
    to_code: str,
    community: str | None,
    *,
    dry_run: bool,
    skip_at_target: bool = False,
    actor: Actor = DISTRICT,
    log: tuple[str, str] | None = None,
) -> Transferred:
    try:
        with hub.writer(actor) as s:
            name = _person_name(s, roots) if log else ""
            result = _move(s, hub, roots, to_code, community, skip_at_target, dry_run)
            if dry_run:
                raise _DryRun(result)  # the very same work, rolled back
            if log:
                s.add(
                    SyncTransferLog(
                        recorded_at=utcnow(),
                        actor_name=actor.display_name,
                        person_name=name,
                        id_number=log[0],
                        from_offices=",".join(result.from_offices),
                        to_office_code=to_code,
                        community=community or "",
                        records=result.total,
                        reason=log[1],
                    )
                )
            return result
    except _DryRun as done:
        return done.result


def _person_name(s: Session, roots: list[tuple[str, str]]) -> str:
    """The person's name on the first of their records (before anything moves); a child's is
    not kept in the log the clerks read (children's records are for child-protection roles)."""
    if any(tname == "child" for tname, _ in roots):
        return "（儿童，姓名保密）"
    for tname, rid in roots:
        obj = s.get(tables.info(tname).cls, rid)  # type: ignore[union-attr]
        name = getattr(obj, "name", None) or getattr(obj, "applicant_name", None)
        if name:
            return str(name)
    return ""


def _move(  # noqa: C901
    s: Session,
    hub: Hub,
    roots: list[tuple[str, str]],
    to_code: str,
    community: str | None,
    skip_at_target: bool,
    dry_run: bool,
) -> Transferred:
    conn = s.connection()
    target = office_peer(conn, to_code)
    office = _office_row(conn, to_code)
    if office is None:
        raise NotFound(f"区级平台上还没有街道 {to_code} 的数据。")
    target_office, target_name = office
    old_owner: dict[tuple[str, str], str | None] = {}
    for tname, rid in roots:
        # Locked (PostgreSQL) before its office is read: a second clerk moving the same person
        # at the same moment waits, then sees where the first moved them, so the notices go to
        # the office they really leave (a SQLite hub has one writer at a time anyway).
        if s.get(tables.info(tname).cls, rid, with_for_update=True) is None:  # type: ignore[union-attr]
            raise NotFound("找不到要转移的记录。")
        old_owner[(tname, rid)] = scope.owners(conn, tname, [rid]).get(rid)
    if skip_at_target:
        roots = [r for r in roots if old_owner[r] != target_office]
        if not roots:
            raise ValidationError(f"此人的记录都已属于街道 {to_code}，不需要转移。")
    needs_community = any(scope.office_path(t)[0][1] == "community" for t, _ in roots)  # type: ignore[index]
    community_id: str | None = None
    if community:
        community_id = s.scalar(
            select(Community.id).where(
                Community.office_id == target_office, Community.name == community
            )
        )
        if community_id is None:
            raise NotFound(f"街道 {to_code} 没有名为“{community}”的社区或村。")
    elif needs_community:
        raise ValidationError("请用 --community 指定转入街道的社区或村。")

    # 1. the roots' parents
    reparented: Counter[str] = Counter()
    for tname, rid in roots:
        col, ref = scope.office_path(tname)[0]  # type: ignore[index]
        obj = s.get(tables.info(tname).cls, rid)  # type: ignore[union-attr]
        setattr(obj, col, target_office if ref == "office" else community_id)
        reparented[tname] += 1
    s.flush()
    # 2. what depends on them; each root's own share (pushed and noticed records name their root)
    by_root: dict[tuple[str, str], list[tuple[str, str]]] = {}
    linked: dict[tuple[str, str, str], None] = {}
    for root in roots:
        by_root[root], kept = tables.dependents(conn, [root])
        linked.update(dict.fromkeys(kept))
    items = list(dict.fromkeys(i for share in by_root.values() for i in share))
    kept_links = list(linked)
    moved = set(items)
    by_table: dict[str, list[str]] = defaultdict(list)
    for tname, rid in items:
        by_table[tname].append(rid)
    # 3. links the new office cannot hold
    plan = _links(conn, by_table, moved, target_office, community_id)
    contractors = _copy_linked(s, plan.copies, target_office)
    cleared: Counter[str] = Counter()
    for n, (tname, rid, col, value, kind) in enumerate(plan.changes, start=1):
        if n % PAGE == 0:  # journaled on flush; keep memory bounded (a whole community)
            s.flush()
            s.expunge_all()
        t = tables.info(tname)
        assert t is not None
        obj = s.get(t.cls, rid)
        if obj.merge_locked() and not (kind == "clear" and col in t.unlocked):
            raise ValidationError(
                f"“{tname}”的一条已完成（锁定）的记录引用了原街道的记录，不能随之转移。未做任何改动。"
            )
        if kind == "copy":
            value = contractors[value]
        elif kind == "parent":
            reparented[tname] += 1
        else:
            cleared[f"{tname}.{col}"] += 1
        setattr(obj, col, value)
    for n, (tname, rid, col) in enumerate(kept_links, start=1):
        if n % PAGE == 0:
            s.flush()
            s.expunge_all()
        t = tables.info(tname)
        obj = s.get(t.cls, rid) if t is not None else None
        if obj is None or not t.table.c[col].nullable:  # type: ignore[union-attr]
            raise ValidationError(
                f"“{tname}”的记录引用了要转移的记录，不能随之转移。未做任何改动。"
            )
        setattr(obj, col, None)
        cleared[f"{tname}.{col}"] += 1
    s.flush()
    # 4. children's narratives, for the new office's key
    resealed = _reseal(s, hub, by_table, target_office)
    # 5. push list and notices
    for root, share in by_root.items():
        upsert_keys(conn, SyncPush.__table__, target.device_id, share, {"root_id": root[1]})
    drop_keys(conn, SyncTransfer.__table__, target.device_id, items)
    from_codes: list[str] = []
    notice = {
        "to_office_code": target.office_code,
        "to_office_name": target.name,
        "recorded_at": utcnow(),
        "bundle_id": None,
    }
    left: dict[str, list[tuple[str, str]]] = defaultdict(list)  # old office → its roots
    for root, owner in old_owner.items():
        if owner is not None and owner != target_office and root in moved:
            left[owner].append(root)
    for owner, its_roots in left.items():
        code = conn.execute(
            select(Office.__table__.c.code).where(Office.__table__.c.id == owner)
        ).scalar()
        from_codes.append(str(code))
        for p in peers(conn, "office"):
            if p.office_code == code:
                for root in its_roots:  # what left that office, by the root it moved with
                    share = by_root[root]
                    values = {**notice, "root_id": root[1]}
                    upsert_keys(conn, SyncTransfer.__table__, p.device_id, share, values)
                    drop_keys(conn, SyncPush.__table__, p.device_id, share)
    counts = Counter(t for t, _ in items)
    programmes = {PROGRAMME[t] for t, _ in roots if t in PROGRAMME}
    return Transferred(
        to_code,
        target_name,
        community or "",
        roots,
        dict(counts),
        dict(reparented),
        dict(cleared),
        sorted(contractors.names) if contractors else [],
        resealed,
        from_codes,
        {PROGRAMME[t]: OLD_OFFICE_KEEPS[t] for t in PERSON_TABLES if PROGRAMME[t] in programmes},
        dry_run,
        items,
    )


@dataclass
class _LinkPlan:
    changes: list[tuple[str, str, str, Any, str]] = field(default_factory=list)
    copies: dict[tuple[str, str], None] = field(default_factory=dict)  # (table, id) to copy


def _links(
    conn: Connection,
    by_table: dict[str, list[str]],
    moved: set[tuple[str, str]],
    target_office: str,
    community_id: str | None,
) -> _LinkPlan:
    """Every link from a moved record to a record the new office will not hold, and what to
    do with it: "parent" (the chosen community, or the new office), "copy" (a copy for the new
    office), "clear"."""
    plan = _LinkPlan()
    for tname, ids in by_table.items():
        t = tables.info(tname)
        if t is None:
            continue
        for fk in sorted(t.table.foreign_keys, key=lambda f: f.parent.name):
            col, ref = fk.parent.name, fk.column.table.name
            if scope.office_path(ref) is None:
                continue  # a district-wide record: every office holds it
            pairs: list[tuple[str, str]] = []
            for part in _chunks(sorted(ids)):
                pairs.extend(
                    (rid, value)
                    for rid, value in conn.execute(
                        select(t.table.c.id, t.table.c[col]).where(
                            t.table.c.id.in_(part), t.table.c[col].is_not(None)
                        )
                    )
                )
            pairs = [(rid, value) for rid, value in pairs if (ref, value) not in moved]
            owners: dict[str, str | None] = {}
            for part in _chunks(sorted({v for _r, v in pairs})):
                owners.update(scope.owners(conn, ref, part))
            for rid, value in pairs:
                if owners.get(value) == target_office:
                    continue
                if not fk.parent.nullable:
                    if ref == "community" and community_id is not None:
                        plan.changes.append((tname, rid, col, community_id, "parent"))
                        continue
                    if ref == "office":
                        plan.changes.append((tname, rid, col, target_office, "parent"))
                        continue
                    raise ValidationError(
                        f"“{tname}”的记录引用了原街道的“{ref}”记录，不能随之转移。未做任何改动。"
                    )
                if ref in COPIED:
                    plan.copies[(ref, value)] = None
                    plan.changes.append((tname, rid, col, (ref, value), "copy"))
                else:
                    plan.changes.append((tname, rid, col, None, "clear"))
    return plan


class _Copies(dict[tuple[str, str], str]):
    names: list[str]


def _copy_linked(s: Session, wanted: dict[tuple[str, str], None], target_office: str) -> _Copies:
    """A copy for the new office of each linked record it cannot hold (a contractor), or the
    one it already has with the same licence number or name; (table, old id) → new id."""
    out = _Copies()
    out.names = []
    for tname, rid in wanted:
        t = tables.info(tname)
        assert t is not None and tname == RetrofitContractor.__tablename__
        src = s.get(t.cls, rid)
        match = None
        for key in COPIED[tname]:
            value = getattr(src, key)
            if value:
                match = s.scalar(
                    select(t.cls.id).where(
                        t.cls.office_id == target_office,
                        getattr(t.cls, key) == value,
                        t.cls.deleted_at.is_(None),
                    )
                )
                if match:
                    break
        if match is None:
            values = {f: getattr(src, f) for f in t.fields if f not in ("office_id", "deleted_at")}
            copy = t.cls(office_id=target_office, **values)
            s.add(copy)
            s.flush()
            match = copy.id
        out[(tname, rid)] = match
        out.names.append(src.name)
    return out


# -- children's narratives ------------------------------------------------------------------------


def _office_keys(s: Session, hub: Hub, office_id: str) -> list[keys.DataKey]:
    """The office's child-data keys the hub can open (current first, then retired ones)."""
    me = find_identity(s.connection(), hub.key_file)
    assert me is not None
    rows = s.scalars(
        select(ChildOfficeKey)
        .where(ChildOfficeKey.office_id == office_id)
        .order_by(ChildOfficeKey.deleted_at.is_not(None), ChildOfficeKey.created_at.desc())
    )
    found = []
    for row in rows:
        if row.district_wrap:
            key = keys.open_district_wrap(row.district_wrap, me.keys, row.key_id)
            if key is not None:
                found.append(key)
    return found


def _reseal(
    s: Session,
    hub: Hub,
    by_table: dict[str, list[str]],
    target_office: str,
    *,
    only_foreign: bool = False,
) -> int:
    """Open each moved child record's narratives with the key of the office that sealed them
    and seal them with the new office's current key; log the hub's opening on each child.
    `only_foreign`: leave values that the target's keys open already (and log nothing new)."""
    todo = {t: ids for t, ids in by_table.items() if ENCRYPTED_COLUMNS.get(t)}
    if not todo:
        return 0
    target_keys = _office_keys(s, hub, target_office)
    sources: dict[str, list[keys.DataKey]] = {}
    done = 0
    for tname, ids in todo.items():
        t = tables.info(tname)
        assert t is not None
        names = sorted(ENCRYPTED_COLUMNS[tname])
        for part in _chunks(sorted(ids), PAGE):
            for obj in s.scalars(select(t.cls).where(t.cls.id.in_(part))):
                for name in names:
                    stored = getattr(obj, name)
                    if not stored:
                        continue
                    if only_foreign and _opens(target_keys, tname, name, obj.id, stored):
                        continue
                    plain = (
                        _open_any(s, hub, sources, tname, name, obj.id, stored)
                        if target_keys
                        else None
                    )
                    if only_foreign and plain is None:
                        # at ingest: left as it came rather than stopping the bundle (and every
                        # later one); the new office sees 保密内容无法解密 on that one value
                        log.warning("a narrative on %s.%s could not be re-sealed", tname, name)
                        continue
                    if not target_keys:
                        raise ValidationError(
                            "转入街道还没有儿童档案密钥（它的儿童岗位账号还没有在登记后登录并同步过），"
                            "儿童档案暂不能转入。未做任何改动。"
                        )
                    if plain is None:
                        raise ValidationError(
                            f"有一条保密内容（{tname}.{name}）区级平台无法打开（原街道的密钥没有交给区里），"
                            "不能转移。未做任何改动。"
                        )
                    setattr(obj, name, keys.seal_text(target_keys[0], tname, name, obj.id, plain))
                    done += 1
            s.flush()
            s.expunge_all()  # journaled; memory stays at a page
    if only_foreign and not done:
        return 0
    for child_id in by_table.get("child", []):  # the hub opened them: logged like any view
        s.add(
            ChildViewLog(
                child_id=child_id,
                staff_id=None,
                staff_name="区级平台",
                role="district",
                action="区级转移（重新加密）" if done else "区级转移",
                viewed_at=utcnow(),
            )
        )
    s.flush()
    return done


def _opens(found: list[keys.DataKey], table: str, column: str, record_id: str, stored: str) -> bool:
    for key in found:
        try:
            keys.open_text(key, table, column, record_id, stored)
        except ValidationError:
            continue
        return True
    return False


def _open_any(
    s: Session,
    hub: Hub,
    sources: dict[str, list[keys.DataKey]],
    table: str,
    column: str,
    record_id: str,
    stored: str,
) -> str | None:
    """The plaintext, opened with any office's key the hub holds (each value names no key: the
    associated data binds it to its key id, so the right one opens it and no other does)."""
    if not sources:
        for office_id in s.scalars(select(Office.id)):
            sources[office_id] = _office_keys(s, hub, office_id)
    for found in sources.values():
        for key in found:
            try:
                return keys.open_text(key, table, column, record_id, stored)
            except ValidationError:
                continue
    return None


def reseal_arrivals(hub: Hub, conn: Connection, changes: Iterable[Any], office_id: str) -> int:
    """At ingest: narratives an office sealed with its own key on a child record that now
    belongs to another office (written before the office heard of the transfer) are re-sealed
    for that office, as journaled district changes, so they reach it readable."""
    touched: dict[str, set[str]] = defaultdict(set)
    for c in changes:
        cols = ENCRYPTED_COLUMNS.get(c.table_name)
        if cols and (c.op == "insert" or c.field in cols):
            touched[c.table_name].add(c.record_id)
    if not touched:
        return 0
    elsewhere: dict[str, dict[str, list[str]]] = defaultdict(dict)  # owner → table → ids
    for tname, ids in touched.items():
        for part in _chunks(sorted(ids)):
            for rid, owner in scope.owners(conn, tname, part).items():
                if owner is not None and owner != office_id:
                    elsewhere[owner].setdefault(tname, []).append(rid)
    if not elsewhere:
        return 0
    done = 0
    with hub.journaled(conn, DISTRICT, "district-reseal") as s:
        for owner, by_table in elsewhere.items():
            done += _reseal(s, hub, by_table, owner, only_foreign=True)
    return done


# -- push list and notices, in bulk ---------------------------------------------------------------


def drop_keys(conn: Connection, table: Any, device: str, items: list[tuple[str, str]]) -> None:
    grouped: dict[str, list[str]] = defaultdict(list)
    for tname, rid in items:
        grouped[tname].append(rid)
    for tname, ids in grouped.items():
        for part in _chunks(sorted(ids)):
            conn.execute(
                delete(table).where(
                    table.c.office_device == device,
                    table.c.table_name == tname,
                    table.c.record_id.in_(part),
                )
            )


def upsert_keys(
    conn: Connection, table: Any, device: str, items: list[tuple[str, str]], values: dict
) -> None:
    """Put `items` on `table` (push list or notices) for `device`: existing keys updated with
    `values`, new ones inserted, a chunk at a time."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for tname, rid in items:
        grouped[tname].append(rid)
    for tname, ids in grouped.items():
        for part in _chunks(sorted(set(ids))):
            key = and_(
                table.c.office_device == device,
                table.c.table_name == tname,
                table.c.record_id.in_(part),
            )
            have = set(conn.execute(select(table.c.record_id).where(key)).scalars())
            if have and values:
                conn.execute(update(table).where(key).values(**values))
            new = [r for r in part if r not in have]
            if new:
                conn.execute(
                    insert(table),
                    [
                        {"office_device": device, "table_name": tname, "record_id": r, **values}
                        for r in new
                    ],
                )


def summary(result: Transferred) -> dict[str, Any]:
    """The result as plain data (for --json), without the full list of records."""
    out = {f.name: getattr(result, f.name) for f in dataclasses.fields(result) if f.name != "items"}
    out["roots"] = [list(r) for r in result.roots]
    out["total"] = result.total
    return out


def describe(done: Transferred) -> list[str]:
    """What a transfer moved (or, previewed, would move), one line each: the command line prints
    them and the console shows them."""
    from caseworker.services.audit import TABLE_LABELS

    where = f"{done.to_name}（{done.to_code}）" + (f"{done.community}" if done.community else "")
    verb = "将转移到" if done.dry_run else "已转移到"
    out = [f"{verb} {where}：{done.total} 条记录（含下属记录）"]
    out += [f"  {TABLE_LABELS.get(t, t)}：{n} 条" for t, n in sorted(done.records.items())]
    if done.reparented:
        out.append(
            "  改属转入社区："
            + "，".join(f"{TABLE_LABELS.get(t, t)} {n} 条" for t, n in done.reparented.items())
        )
    if done.contractors:
        out.append(f"  施工单位随档案转入：{'、'.join(done.contractors)}")
    if done.cleared:
        out.append(
            f"  清除指向原街道人员等的链接：{sum(done.cleared.values())} 处（原值留在修改记录中）"
        )
    if done.resealed:
        out.append(f"  儿童档案保密内容已按转入街道的密钥重新加密：{done.resealed} 项")
    out += [f"  {p}：原街道{keeps}" for p, keeps in done.old_office_keeps.items()]
    return out
