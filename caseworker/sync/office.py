"""Sync services of a street office, for the 数据同步 screen and `caseworker sync`.

enroll(ws, path, passphrase)                    start from (or join) the district
export_bundle(ws, actor, out, progress=, cancelled=)   everything the district lacks
preview_bundle(ws, actor, path)                 what an import would do (changes nothing)
import_bundle(ws, actor, path)                  apply, all or nothing, backup first
history(ws, actor) / pending(ws, actor) / clock_status(ws)   bundles sent and received, waiting
caseworker.sync.conflicts.list_conflicts / resolve   the conflicts list
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, and_, delete, func, insert, or_, select

from caseworker.domain.errors import PermissionDenied, ValidationError
from caseworker.domain.hlc import Hlc
from caseworker.domain.roles import Actor, Permission
from caseworker.sync import (
    bundle,
    derived,
    enrollment,
    exchange,
    merge,
    moved,
    originals,
    photos,
    restored,
    tables,
)
from caseworker.sync.errors import SyncRefused
from caseworker.sync.exchange import Cancelled, ExportResult, Progress
from caseworker.sync.identity import (
    KEY_FILE,
    Identity,
    add_peer,
    find_identity,
    load_identity,
    peer,
    peers,
    save_identity,
)
from caseworker.workspace import Workspace
from db import numbers
from db.base import table_of, utcnow
from db.journal import HLC_KEY
from db.local_meta import meta, set_meta
from db.models import JournalEntry, Office
from db.photo_store import PhotoStore
from db.schema import known_revisions
from db.sync_models import SyncBundle, SyncConflict, SyncDuplicate, SyncTransfer

DAY_MS = 86_400_000
CHUNK = 500
# who renumbers a colliding number at the hub (caseworker/district/renumber.py)
RENUMBERED_BY = Actor.system("重号改号").display_name
DISTRICT_TIME = "sync.district_time_ms"
CLOCK_SKEW = "sync.clock_skew_ms"


@dataclass(frozen=True)
class EnrollResult:
    office_code: str
    office_name: str
    district_name: str
    records: int


@dataclass(frozen=True)
class ImportPreview:
    bundle_id: str
    sender_name: str
    created_at: datetime
    changes: int
    already_imported: bool
    new_changes: int  # changes this workspace did not hold and takes (refused ones not counted)
    skipped: int
    added: dict[str, int]
    updated: dict[str, int]
    conflicts: dict[str, int]
    refused: int
    refused_reasons: dict[str, int] = field(default_factory=dict)  # "table:reason" → changes
    photos: int = 0  # photo files the bundle carries (each checked)

    @property
    def nothing_new(self) -> bool:
        return self.already_imported or (
            self.new_changes == 0 and self.refused == 0 and self.photos == 0
        )


@dataclass(frozen=True)
class ImportResult(ImportPreview):
    backup: Path | None = None


@dataclass(frozen=True)
class BundleInfo:
    bundle_id: str
    direction: str  # sent / received
    peer_name: str
    created_at: datetime
    recorded_at: datetime
    changes: int
    applied: int
    conflicts: int
    file_name: str
    acknowledged_at: datetime | None


@dataclass(frozen=True)
class PendingInfo:
    changes: int
    by_table: dict[str, int] = field(default_factory=dict)
    oldest: datetime | None = None
    unacknowledged_bundles: int = 0
    capped: bool = False  # more than `changes` wait (counted up to a cap: by_table is empty)
    # restored from a backup, and the district has not sent back what the restore lost yet
    restore_waiting: restored.RestoreWaiting | None = None

    @property
    def in_sync(self) -> bool:
        return not self.changes and not self.unacknowledged_bundles and not self.restore_waiting


@dataclass(frozen=True)
class ClockStatus:
    ok: bool
    message: str
    ahead_ms: int = 0
    behind_ms: int = 0


def _key_file(ws: Workspace) -> Path:
    return ws.paths.root / KEY_FILE


def _require(actor: Actor) -> None:
    if not actor.can(Permission.SYNC):
        raise PermissionDenied("您的账号没有数据同步权限")


def identity(ws: Workspace) -> Identity | None:
    with ws.engine.connect() as conn:
        return find_identity(conn, _key_file(ws))


def _district(conn: Connection) -> str:
    found = peers(conn, "district")
    if not found:
        raise SyncRefused("本工作区还没有登记区级平台，不能同步。")
    return found[0].device_id


# -- enrollment ----------------------------------------------------------------------------------


def enroll(ws: Workspace, path: Path, passphrase: str) -> EnrollResult:
    """Join the district with its enrollment file: new workspace, or one with its own data."""
    info = enrollment.read(path, passphrase, known_revisions())
    with merge.integrity_guard(), ws.engine.begin() as conn:
        if find_identity(conn, _key_file(ws)) is not None:
            raise ValidationError("本工作区已经登记过，不需要再登记。")
        offices = conn.execute(
            select(table_of(Office).c.code).where(table_of(Office).c.deleted_at.is_(None))
        ).scalars()
        codes = list(offices)
        if codes and not info.existing:
            raise ValidationError(
                "这个工作区已经有街道数据，不能用新街道的登记文件登记。"
                "请区里用“已有数据的街道”方式（office add --existing）重新生成登记文件。"
            )
        if codes and codes[0] != info.office["code"]:
            raise ValidationError(
                f"登记文件是给街道代码 {info.office['code']} 的，本工作区的街道代码是 {codes[0]}。"
            )
        if not codes and info.existing:
            raise ValidationError(
                "这是给已有数据的街道的登记文件，而本工作区是空的。请先设置街道信息，或请区里重新生成。"
            )
        plan = merge.plan(conn, info.changes, now_ms=ws.now(), bundle_id="enrollment")
        merge.write(conn, plan, now_ms=ws.now(), source="enrollment")
        save_identity(
            conn,
            _key_file(ws),
            device_id=info.office["device_id"],
            role="office",
            name=info.office["name"],
            office_code=info.office["code"],
            keys=info.keys,
        )
        d = info.district
        add_peer(
            conn,
            device_id=d["device_id"],
            role="district",
            name=d["name"],
            sign_pub=d["sign_pub"],
            box_pub=d["box_pub"],
        )
    return EnrollResult(
        info.office["code"], info.office["name"], info.district["name"], len(plan.journal)
    )


# -- export --------------------------------------------------------------------------------------


def own_devices(conn: Connection, ws: Workspace) -> list[str]:
    """The journal device ids this workspace writes or wrote with: the current one first, then
    those a restore retired (newest first; see `restored`)."""
    return [ws.device_id, *reversed(restored.retired_devices(conn))][: restored.MAX_RETIRED + 1]


def _pending_where(conn: Connection, ws: Workspace, district: str):  # -> ColumnElement[bool]
    """This workspace's own changes the district has not acknowledged: after a restore, also
    those of its retired devices that were never acknowledged (the backup held them unsent)."""
    j = table_of(JournalEntry)
    acks = exchange.acks_of(conn, district)
    return or_(
        *(and_(j.c.device_id == d, j.c.hlc > acks.get(d, "")) for d in own_devices(conn, ws))
    )


def export_bundle(
    ws: Workspace,
    actor: Actor,
    out: Path,
    *,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> ExportResult:
    """Write every change the district has not acknowledged yet into one bundle file."""
    _require(actor)
    out = Path(out)
    if out.is_dir():
        out = out / f"caseworker-{datetime.now():%Y%m%d-%H%M%S}.cwbundle"
    if out.exists():
        raise ValidationError(f"{out} 已存在，不会覆盖。请换一个文件名。")
    with ws.engine.begin() as conn:
        me = load_identity(conn, _key_file(ws))
        district = _district(conn)
        to = peer(conn, district)
        assert to is not None
        store = PhotoStore(ws.paths.photos)
        extras = {
            "have": exchange.have_vector(conn),
            "imported": exchange.received_ids(conn, district),
            "devices": own_devices(conn, ws),
            # photo files this office's rows reference but its store lacks (a restored PC)
            "photos_missing": photos.missing(conn, store),
            # retired devices, and the restore marker until the district has answered it
            **restored.extras(conn),
        }
        changes = exchange.iter_changes(
            conn, _pending_where(conn, ws, district), progress=progress, cancelled=cancelled
        )
        # the kept page originals of scanned forms go too when the district's setting says so
        extra = originals.pages(conn, ws.paths.root) if originals.enabled(conn) else None
        source = photos.Source(conn, store, district, extra=extra)
        manifest = exchange.write_bundle(
            out,
            me,
            to,
            changes,
            extras,
            created_ms=ws.now(),
            kind="office",
            cancelled=cancelled,
            photo_source=source,
        )
        exchange.record_sent(conn, manifest, out.name)
        restored.sent_with_marker(conn, manifest["bundle_id"])
    return dataclasses.replace(
        ExportResult.of(out, manifest, source.sent.waiting), originals=source.sent.originals
    )


# -- import --------------------------------------------------------------------------------------


def _preview(rec: exchange.Received, done: merge.MergeSummary | None) -> dict:
    m = rec.manifest
    return {
        "bundle_id": m["bundle_id"],
        "sender_name": str(m.get("sender_name", "")),
        "created_at": datetime.fromtimestamp(int(m["created_ms"]) / 1000),
        "changes": int(m["changes"]),
        "already_imported": rec.already,
        "new_changes": done.applied if done else 0,
        "skipped": done.skipped if done else int(m["changes"]),
        "added": dict(done.added) if done else {},
        "updated": dict(done.updated) if done else {},
        "conflicts": {k: v for k, v in done.conflicted.items() if v} if done else {},
        "refused": done.refused if done else 0,
        "refused_reasons": dict(done.refused_reasons) if done else {},
        "photos": int(m.get("photos", 0)) if done else 0,
    }


def _check_sender(rec: exchange.Received) -> None:
    if rec.sender.role != "district":
        raise SyncRefused("街道只能导入区级平台发来的数据包，未做任何改动。")


def preview_bundle(ws: Workspace, actor: Actor, path: Path) -> ImportPreview:
    """Check a bundle and say what importing it would add, update and put in conflict."""
    _require(actor)
    # The real merge, frame by frame, in a transaction that is always rolled back: what the
    # import would do, with memory bounded like the import itself.
    received: photos.Receiver | None = None
    with ws.engine.connect() as conn, merge.integrity_guard():
        tx = conn.begin()
        try:
            me = load_identity(conn, _key_file(ws))
            rec = exchange.receive(conn, me, path)
            _check_sender(rec)
            done = None
            if not rec.already:
                # photos are checked as the import would, in a staging folder then removed
                received = photos.Receiver(
                    PhotoStore(ws.paths.photos), "preview-" + rec.manifest["bundle_id"]
                )
                _withdraw_transfers(conn, ws.device_id, rec.extras.get("transferred_in"))
                done = merge.apply_stream(
                    conn,
                    moved.drop_moved(conn, rec.change_chunks(received)),
                    now_ms=ws.now(),
                    bundle_id=rec.manifest["bundle_id"],
                )
        finally:
            tx.rollback()
            if received is not None:
                received.discard()
    return ImportPreview(**_preview(rec, done))


def import_bundle(ws: Workspace, actor: Actor, path: Path) -> ImportResult:
    """Apply a district bundle in one transaction after a "pre-import" backup.

    Importing a bundle a second time changes nothing and says so (`nothing_new`)."""
    _require(actor)
    with ws.engine.connect() as conn:
        me = load_identity(conn, _key_file(ws))
        rec = exchange.receive(conn, me, path)
        _check_sender(rec)
    if rec.already:
        return ImportResult(**_preview(rec, None))
    # A bundle that carries no change (acknowledgements only) touches no record: no backup of
    # the whole database for it (16 s at 100,000 residents).
    taken = ws.backup("pre-import") if rec.manifest["changes"] else None
    now = ws.now()
    store = PhotoStore(ws.paths.photos)
    photos.Receiver.clean(store)  # what a killed import left
    received = photos.Receiver(store, rec.manifest["bundle_id"])
    try:
        with merge.integrity_guard(), ws.engine.begin() as conn:
            done = _apply(conn, ws, rec, received, now)
            # the files move into the store only once every photo and change has passed, just
            # before COMMIT (content-addressed: a file left by a failed commit is harmless)
            received.publish(conn)  # only files a live photo record names
    finally:
        received.discard()
    return ImportResult(**_preview(rec, done), backup=taken)


def _apply(
    conn: Connection,
    ws: Workspace,
    rec: exchange.Received,
    received: photos.Receiver,
    now: int,
) -> merge.MergeSummary:
    """Merge the changes, stage the photos, store acknowledgements and notices (one transaction)."""
    district = rec.sender.device_id
    received.on_photo = lambda sha: photos.received_from(conn, district, sha)
    touched = derived.Pending()

    def after(p: merge.MergePlan) -> None:
        touched.add(conn, p.journal)
        _note_renumbered(conn, district, p.journal, rec.manifest["bundle_id"])

    # records moved (back) to this office first: a child's history must not be dropped below
    _withdraw_transfers(conn, ws.device_id, rec.extras.get("transferred_in"))
    done = merge.apply_stream(
        conn,
        moved.drop_moved(conn, rec.change_chunks(received)),
        now_ms=now,
        bundle_id=rec.manifest["bundle_id"],
        after=after,
    )
    touched.flush(conn)
    acks = rec.extras.get("acks")
    if isinstance(acks, dict):
        exchange.store_acks(conn, district, acks)
    imported = rec.extras.get("imported")
    if isinstance(imported, list):
        exchange.mark_acknowledged(conn, imported, district)
    restored.answered(conn, imported)
    _store_transfers(conn, ws.device_id, rec.extras.get("transferred_out"))
    # a child moved away: this office keeps nothing of it once its own work there is safe
    moved.purge(conn, own_devices(conn, ws), exchange.acks_of(conn, district))
    _store_duplicate_notices(conn, rec.extras.get("duplicates"))
    exchange.record_received(conn, rec, done)
    created = int(rec.manifest["created_ms"])
    previous = meta(conn, DISTRICT_TIME)
    if previous is None or created >= int(previous):
        set_meta(conn, DISTRICT_TIME, str(created))
        set_meta(conn, CLOCK_SKEW, str(now - created))
    return done


def _note_renumbered(
    conn: Connection, district: str, changes: list[merge.Change], bundle_id: str
) -> None:
    """A number of one of this office's records that the district changed because another
    record held it (`caseworker.district.renumber`): into the conflicts list, reason `number`,
    with the old number as the value that lost, so the office sees what became of it."""
    rows = [
        {
            "table_name": c.table_name,
            "record_id": c.record_id,
            "field": c.field,
            "reason": "number",
            "kept_value": c.new_value,
            "lost_value": c.old_value,
            "lost_hlc": "",
            "lost_device": "",
            "lost_actor": "",
            "kept_hlc": c.hlc,
            "kept_device": c.device_id,
            "kept_actor": c.actor_name,
            "bundle_id": bundle_id,
            "detected_at": utcnow(),
            "status": "open",
        }
        for c in changes
        if c.device_id == district
        and c.op == "update"
        and c.field is not None
        and numbers.NUMBERED.get(c.table_name) == c.field
        and c.actor_name == RENUMBERED_BY
    ]
    if rows:
        conn.execute(insert(table_of(SyncConflict)), rows)


def _store_transfers(conn: Connection, device: str, moved_out: object) -> None:
    """Notices of records moved to another office. The district names each transfer's root (a
    resident, a child, a whole community); the office notes the root and every record it holds
    under it, a chunk at a time (its own late additions included)."""
    if not isinstance(moved_out, list):
        return
    t = table_of(SyncTransfer)
    now = utcnow()
    for item in moved_out:
        if not (
            isinstance(item, list) and len(item) == 4 and all(isinstance(x, str) for x in item)
        ):
            continue
        tname, rid, code, name = item
        if tables.info(tname) is None:
            continue
        share, _ = tables.dependents(conn, [(tname, rid)])
        by_table: dict[str, list[str]] = {}
        for table, record in share:
            by_table.setdefault(table, []).append(record)
        for table, ids in by_table.items():
            for i in range(0, len(ids), CHUNK):
                part = ids[i : i + CHUNK]
                # any device id: a restore changes this workspace's (see `restored`)
                have = set(
                    conn.execute(
                        select(t.c.record_id).where(
                            t.c.table_name == table, t.c.record_id.in_(part)
                        )
                    ).scalars()
                )
                rows = [
                    {
                        "office_device": device,
                        "table_name": table,
                        "record_id": record,
                        "to_office_code": code[:32],
                        "to_office_name": name[:100],
                        "recorded_at": now,
                        "root_id": rid[:36],
                    }
                    for record in part
                    if record not in have
                ]
                if rows:
                    conn.execute(insert(t), rows)


def _withdraw_transfers(conn: Connection, device: str, returned: object) -> None:
    """Records the district moved (back) to this office: the notices that they had left are
    withdrawn — each root's, those noted under it, and those of the records named."""
    t = table_of(SyncTransfer)
    if (
        not isinstance(returned, list)
        or conn.execute(select(t.c.record_id).limit(1)).first() is None
    ):
        return  # nothing ever left this office: nothing to withdraw
    named = [
        (item[0], item[1])
        for item in returned
        if isinstance(item, list) and len(item) == 2 and all(isinstance(x, str) for x in item)
    ]
    ids = sorted({rid for _t, rid in named})
    for i in range(0, len(ids), CHUNK):
        part = ids[i : i + CHUNK]
        conn.execute(delete(t).where(t.c.record_id.in_(part)))
        conn.execute(delete(t).where(t.c.root_id.in_(part)))
    for root in named:
        if tables.info(root[0]) is None or root[0] in moved.purged_tables():
            continue  # a child's records are named one by one (its copy here is gone)
        share, _ = tables.dependents(conn, [root])
        by_table: dict[str, list[str]] = {}
        for table, record in share[1:]:
            by_table.setdefault(table, []).append(record)
        for table, records in by_table.items():
            for i in range(0, len(records), CHUNK):
                conn.execute(
                    delete(t).where(
                        t.c.table_name == table, t.c.record_id.in_(records[i : i + CHUNK])
                    )
                )


def _store_duplicate_notices(conn: Connection, notices: object) -> None:
    """Replace the list of this office's records the district holds as cross-office duplicates
    (the district sends the whole current list in every bundle)."""
    if not isinstance(notices, list):
        return
    d = table_of(SyncDuplicate)
    conn.execute(delete(d).where(d.c.status == "notice"))
    now = utcnow()
    for item in notices[:10_000]:
        if (
            isinstance(item, list)
            and len(item) == 3
            and all(isinstance(x, str) and len(x) <= 100 for x in item)
            and tables.info(item[0]) is not None
        ):
            conn.execute(
                insert(d).values(
                    table_name=item[0],
                    record_id=item[1],
                    other_id="",
                    other_office=item[2],
                    detected_at=now,
                    status="notice",
                )
            )


@dataclass(frozen=True)
class DuplicateNotice:
    table_name: str
    record_id: str
    other_office: str


def duplicate_notices(ws: Workspace, actor: Actor) -> list[DuplicateNotice]:
    """This office's records that another office also holds (the district settles them)."""
    _require(actor)
    d = table_of(SyncDuplicate)
    with ws.engine.connect() as conn:
        return [
            DuplicateNotice(r.table_name, r.record_id, r.other_office)
            for r in conn.execute(select(d).where(d.c.status == "notice").order_by(d.c.id))
        ]


@dataclass(frozen=True)
class TransferredOut:
    table_name: str
    record_id: str
    to_office_code: str
    to_office_name: str
    recorded_at: datetime


def transferred_out(
    ws: Workspace, actor: Actor, table_name: str | None = None
) -> list[TransferredOut]:
    """Records the district moved to another office (show them as 已迁出)."""
    _require(actor)
    t = table_of(SyncTransfer)
    q = select(t)  # every notice here is this office's (stored under any of its device ids)
    if table_name:
        q = q.where(t.c.table_name == table_name)
    with ws.engine.connect() as conn:
        return [
            TransferredOut(
                r.table_name, r.record_id, r.to_office_code, r.to_office_name, r.recorded_at
            )
            for r in conn.execute(q.order_by(t.c.recorded_at))
        ]


# -- what the sync screen shows ------------------------------------------------------------------


def history(ws: Workspace, actor: Actor, limit: int = 200, offset: int = 0) -> list[BundleInfo]:
    """Bundles sent and received, newest first, a page of `limit` from `offset`."""
    _require(actor)
    t = table_of(SyncBundle)
    with ws.engine.connect() as conn:
        names = {p.device_id: p.name for p in peers(conn)}
        q = select(t).order_by(t.c.recorded_at.desc(), t.c.bundle_id).limit(limit)
        rows = conn.execute(q.offset(offset or None)).all()
    return [
        BundleInfo(
            r.bundle_id,
            r.direction,
            names.get(r.peer, r.peer[:8]),
            datetime.fromtimestamp(r.created_ms / 1000),
            r.recorded_at,
            r.changes,
            r.applied,
            r.conflicts,
            r.file_name,
            r.acknowledged_at,
        )
        for r in rows
    ]


def history_count(ws: Workspace, actor: Actor) -> int:
    _require(actor)
    t = table_of(SyncBundle)
    with ws.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(t)).scalar() or 0


def pending(ws: Workspace, actor: Actor, cap: int | None = None) -> PendingInfo:
    """Changes of this office that the district has not acknowledged yet (an aggregate over
    the journal's device index: it grows with what waits). With `cap`, counting stops there
    (an office's first export waits with 1.5 M changes at 100,000 residents, 11 s to count on
    a slow disk): `capped` says so, and `by_table` is left empty rather than partial."""
    _require(actor)
    j, b = table_of(JournalEntry), table_of(SyncBundle)
    with ws.engine.connect() as conn:
        if find_identity(conn, _key_file(ws)) is None:
            where = j.c.device_id == ws.device_id
            district = None
        else:
            district = _district(conn)
            where = _pending_where(conn, ws, district)
        capped = False
        if cap is not None:
            # The first cap + 1 waiting changes in clock order (the device index's order).
            first = select(j.c.recorded_at).where(where).limit(cap + 1).subquery()
            n, oldest = conn.execute(select(func.count(), func.min(first.c.recorded_at))).one()
            capped = n > cap
        if capped:
            by_table: Counter[str] = Counter()
            total = cap or 0
        else:
            by_table = Counter(
                {
                    t: n
                    for t, n in conn.execute(
                        select(j.c.table_name, func.count()).where(where).group_by(j.c.table_name)
                    )
                }
            )
            total = sum(by_table.values())
            oldest = conn.execute(select(func.min(j.c.recorded_at)).where(where)).scalar()
        unacked = (
            conn.execute(
                # a bundle that carried no change leaves nothing waiting
                select(func.count()).where(
                    b.c.direction == "sent", b.c.acknowledged_at.is_(None), b.c.changes > 0
                )
            ).scalar()
            or 0
        )
        waiting = restored.waiting(conn) if district is not None else None
    return PendingInfo(total, dict(by_table), oldest, unacked, capped, waiting)


def clock_status(ws: Workspace) -> ClockStatus:
    """Warn before writing when this PC's clock is far off (see docs/sync.md)."""
    now = ws.now()
    with ws.engine.connect() as conn:
        stored = meta(conn, HLC_KEY)
        skew = meta(conn, CLOCK_SKEW)
    last = Hlc.decode(stored).wall_ms if stored else 0
    if now < last - 60_000:
        behind = last - now
        return ClockStatus(
            False,
            f"本机时钟比已记录的最新修改还早 {behind / 3_600_000:.1f} 小时，请先校正电脑的日期和时间再录入。",
            behind_ms=behind,
        )
    if skew is not None and int(skew) > DAY_MS:
        ahead = int(skew)
        return ClockStatus(
            False,
            f"本机时钟比区级平台快约 {ahead / DAY_MS:.1f} 天，请先校正电脑的日期和时间再录入；"
            "时钟超前的修改在同步时不会被采用。",
            ahead_ms=ahead,
        )
    return ClockStatus(True, "")


@dataclass(frozen=True)
class StickBundle:
    path: Path
    bundle_id: str
    sender_name: str
    recipient_name: str
    created_at: datetime | None
    changes: int
    for_us: bool
    already_imported: bool
    problem: str  # why it cannot be imported here, "" when it can


def bundles_in(ws: Workspace, folder: Path) -> list[StickBundle]:
    """The bundle files in a folder (the stick), newest first, each with what the import screen
    needs to offer it: who sent it, for whom, and whether it can be imported here."""
    found: list[StickBundle] = []
    with ws.engine.connect() as conn:
        me = find_identity(conn, _key_file(ws))
        received = set(exchange.received_ids(conn, _district(conn), limit=100_000)) if me else set()
    for path in sorted(Path(folder).glob("*.cwbundle")):
        try:
            env = exchange.peek(path)
            bundle.check_format(env.manifest, known_revisions())
            bundle.parts_shape(env)
            m = env.manifest
            problem = ""
            if me is None:
                problem = "本工作区还没有登记"
            elif m.get("recipient") != me.device_id:
                problem = f"这个数据包是发给“{m.get('recipient_name', '?')}”的"
            found.append(
                StickBundle(
                    path,
                    str(m.get("bundle_id", "")),
                    str(m.get("sender_name", "")),
                    str(m.get("recipient_name", "")),
                    datetime.fromtimestamp(int(m["created_ms"]) / 1000)
                    if "created_ms" in m
                    else None,
                    int(m.get("changes", 0)),
                    not problem,
                    m.get("bundle_id") in received,
                    problem,
                )
            )
        except (SyncRefused, OSError, ValueError, TypeError) as exc:
            found.append(StickBundle(path, "", "", "", None, 0, False, False, str(exc)))
    found.sort(key=lambda b: b.created_at or datetime.min, reverse=True)
    return found
