"""District hub use cases: enroll offices, ingest their bundles, export to them, transfer records,
report status and conflicts. Each takes an open Hub and returns plain dataclasses."""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    union,
    update,
)
from sqlalchemy.exc import IntegrityError

from caseworker.district import duplicates, links, renumber, scope
from caseworker.district import transfer as transfers
from caseworker.district.accounts import check as check_actor
from caseworker.district.accounts import require
from caseworker.district.hub import DISTRICT, Hub, office_peer
from caseworker.domain import field_rules, idnumber
from caseworker.domain.errors import NotFound, ValidationError
from caseworker.domain.person import name_columns
from caseworker.domain.roles import Actor, DistrictPermission
from caseworker.outfile import check_out
from caseworker.services import accounts
from caseworker.sync import (
    bundle,
    derived,
    enrollment,
    exchange,
    merge,
    moved,
    originals,
    photos,
    tables,
)
from caseworker.sync.conflicts import ConflictInfo, count_conflicts, list_conflicts, resolve
from caseworker.sync.crypto import KeyPair
from caseworker.sync.errors import SyncRefused
from caseworker.sync.exchange import ExportResult
from caseworker.sync.identity import (
    Identity,
    Peer,
    add_peer,
    devices_of,
    find_identity,
    owner_of_device,
    peers,
    save_identity,
)
from db.among import among
from db.base import utcnow
from db.ids import new_id
from db.models import Community, JournalEntry, LocalMeta, Office, Setting
from db.photo_store import PhotoStore
from db.schema import HEAD
from db.stats import PlannerStats
from db.sync_models import (
    SyncAck,
    SyncBundle,
    SyncConflict,
    SyncPeer,
    SyncPush,
    SyncTransfer,
)


@dataclass(frozen=True)
class OfficeAdded:
    code: str
    name: str
    device_id: str
    passphrase: str
    path: Path


@dataclass(frozen=True)
class Ingested:
    path: Path
    office: str
    already: bool
    changes: int
    applied: int
    skipped: int
    conflicts: int
    added: dict[str, int]
    updated: dict[str, int]
    refused: str = ""  # why this file was refused (nothing of it was imported)
    refused_changes: int = 0  # changes kept out (scope, locked, future), in the conflicts list
    refused_reasons: dict[str, int] = field(default_factory=dict)  # "table:reason" → changes
    photos: int = 0  # photo files received (each checked)


@dataclass(frozen=True)
class OfficeStatus:
    code: str
    name: str
    last_received: datetime | None
    last_sent: datetime | None
    pending: int
    unacknowledged: int
    conflicts: int


def init(hub: Hub, name: str) -> Identity:
    with hub.engine.begin() as conn:
        if find_identity(conn, hub.key_file) is not None:
            raise ValidationError("区级平台已经初始化过了。")
        return save_identity(
            conn,
            hub.key_file,
            device_id=hub.device_id,
            role="district",
            name=name,
            office_code="",
            keys=KeyPair.generate(),
        )


def _me(conn: Connection, hub: Hub) -> Identity:
    me = find_identity(conn, hub.key_file)
    if me is None:
        raise ValidationError("区级平台还没有初始化，请先运行 caseworker-district init。")
    return me


def add_office(
    hub: Hub,
    *,
    code: str,
    name: str,
    communities: list[str],
    out: Path,
    existing: bool = False,
    passphrase: str | None = None,
    actor: Actor = DISTRICT,
) -> OfficeAdded:
    """Register an office and write its enrollment file; returns the passphrase to tell it."""
    check_actor(hub, actor, DistrictPermission.MANAGE_OFFICES)
    # The file's folder is checked before the office is committed, so a bad --out leaves nothing.
    out = check_out(out, overwrite=False)
    code = code.strip()
    with hub.engine.connect() as conn:
        me = _me(conn, hub)
        if any(p.office_code == code for p in peers(conn, "office")):
            raise ValidationError(f"代码为 {code} 的街道已经登记过了。")
    record_ids: list[str] = []
    if not existing:
        names = [n.strip() for n in communities if n.strip()]
        if not names:
            raise ValidationError("请至少填写一个社区或村（--communities）")
        with hub.writer(actor) as s:
            row = s.scalar(select(Office).where(Office.code == code))
            if row is not None:
                # No peer holds the code (checked above): an earlier `office add` committed the
                # office but could not write its file (a full stick). Finish that one.
                found = s.execute(
                    select(Community.name, Community.id).where(Community.office_id == row.id)
                )
                have = {cname: cid for cname, cid in found}
                record_ids += [row.id, *have.values()]
                names = [n for n in names if n not in have]
            else:
                row = Office(code=code, name=name.strip(), district_name=me.name)
                s.add(row)
                s.flush()
                record_ids.append(row.id)
            for i, n in enumerate(names, start=len(record_ids) - 1):
                c = Community(
                    office_id=row.id,
                    name=n,
                    kind="村" if n.endswith("村") else "社区",
                    sort_order=i,
                )
                s.add(c)
                s.flush()
                record_ids.append(c.id)
    keys = KeyPair.generate()
    device_id = new_id()
    passphrase = passphrase or enrollment.new_passphrase()
    j = JournalEntry.__table__
    with hub.engine.begin() as conn:
        where = j.c.table_name == Setting.__tablename__
        if record_ids:
            where = or_(where, j.c.record_id.in_(record_ids))
        changes = exchange.fetch_changes(conn, where)
        data = _enrollment(me, device_id, code, name.strip(), keys, existing, changes, passphrase)
        add_peer(
            conn,
            device_id=device_id,
            role="office",
            name=name.strip(),
            office_code=code,
            sign_pub=keys.sign_pub,
            box_pub=keys.box_pub,
        )
        bundle.write_verified(out, data)
    return OfficeAdded(code, name.strip(), device_id, passphrase, out)


def _enrollment(
    me: Identity,
    device_id: str,
    code: str,
    name: str,
    keys: KeyPair,
    existing: bool,
    changes: list[list[Any]],
    passphrase: str,
) -> bytes:
    """The sealed enrollment of an office's device (new or re-issued): the district's identity
    and the office's, its fresh keys, and the changes it starts from."""
    district = {
        "device_id": me.device_id,
        "name": me.name,
        "sign_pub": me.keys.sign_pub,
        "box_pub": me.keys.box_pub,
    }
    office = {
        "device_id": device_id,
        "code": code,
        "name": name,
        "sign_pub": keys.sign_pub,
        "box_pub": keys.box_pub,
    }
    return enrollment.build(
        me.keys,
        district,
        office,
        keys,
        existing=existing,
        changes=changes,
        passphrase=passphrase,
        schema=HEAD,
    )


# -- devices and re-issued enrollments (区级管理员) -------------------------------------------------
#
# What the hub knows of an office's PCs: the office's *enrollment* (its peer row: a device id
# and the signing and encryption keys every bundle is checked against), and the journal *device
# ids* its workspaces write with (peer rows with `alias_of` the office, registered when a bundle
# first declares them). A device here is such a journal device id. Retiring one at the hub
# (`revoked`, unlike `retired`, which an office's own restore declares) refuses every later
# bundle it writes. A device id is not a key: against a lost PC or a leaked enrollment file the
# answer is a re-issued enrollment, new keys under the same office, which refuses everything
# signed with the old ones.

REVOKED = "revoked"  # a device the hub's administrator retired: its bundles are refused
REVOKED_REASON = "revoked"  # conflicts list: a change it wrote after, relayed by another device
_DEVICE_STATES = {
    "device": "在用",
    "retired": "已停用（街道恢复备份后）",
    REVOKED: "已停用（区里）",
}


@dataclass(frozen=True)
class DeviceChanged:
    office: str
    device_id: str
    state: str  # 在用 / 已停用（区里）


def device_state(role: str) -> str:
    """The Chinese word for a device's role (sync_peer.role of an alias)."""
    return _DEVICE_STATES.get(role, role)


def _journal_peer(s: Any, record_id: str, field_name: str, old: Any, new: Any) -> None:
    """A change to the hub's own peers, journaled as the person who made it, so 操作记录 says who
    retired a device or re-issued an enrollment. `sync_peer` is no synced table
    (`tables.registry`), so this row never travels to an office."""
    from db.journal import encode, next_clock

    ctx = s.info["journal"]
    s.connection().execute(
        JournalEntry.__table__.insert().values(
            change_id=new_id(),
            tx_id=new_id(),
            hlc=next_clock(s, ctx).encode(),
            device_id=ctx.device_id,
            actor_id=ctx.actor.staff_id,
            actor_name=ctx.actor.display_name,
            table_name=SyncPeer.__tablename__,
            record_id=record_id,
            op="update",
            field=field_name,
            old_value=encode(old),
            new_value=encode(new),
            recorded_at=utcnow(),
            source=ctx.source,
        )
    )


def _office_devices(conn: Connection, office: Peer) -> dict[str, str]:
    """The office's journal device ids and their roles."""
    t = SyncPeer.__table__
    return dict(
        conn.execute(select(t.c.device_id, t.c.role).where(t.c.alias_of == office.device_id)).all()
    )


def _device_named(conn: Connection, office: Peer, typed: str) -> tuple[str, str]:
    """The office's device a clerk typed: the whole id or its first 8 or more characters (the
    console shows the first 8)."""
    typed = typed.strip().lower()
    if typed == office.device_id.lower():
        raise ValidationError(
            "这是街道的登记身份，不是设备；要作废它，请重新签发登记（office reissue）。"
            "未做任何改动。"
        )
    devices = _office_devices(conn, office)
    if len(typed) < 8:
        raise ValidationError("请给出设备编号（至少前 8 位）。未做任何改动。")
    found = [(d, r) for d, r in devices.items() if d.lower().startswith(typed)]
    if not found:
        raise NotFound(f"“{office.name}”没有编号为 {typed} 的设备。未做任何改动。")
    if len(found) > 1:
        raise ValidationError(f"编号以 {typed} 开头的设备不止一个，请多给几位。未做任何改动。")
    return found[0]


def retire_device(hub: Hub, code: str, device: str, *, actor: Actor = DISTRICT) -> DeviceChanged:
    """Retire one of an office's devices at the hub: every bundle it writes from now on is
    refused at ingest (a stolen or scrapped PC). Changes it wrote before stay."""
    check_actor(hub, actor, DistrictPermission.MANAGE_OFFICES)
    t = SyncPeer.__table__
    with hub.writer(actor) as s:
        conn = s.connection()
        _me(conn, hub)
        office = office_peer(conn, code.strip())
        device_id, role = _device_named(conn, office, device)
        if role == REVOKED:
            raise ValidationError(f"设备 {device_id[:8]} 已经停用了。未做任何改动。")
        conn.execute(update(t).where(t.c.device_id == device_id).values(role=REVOKED))
        _journal_peer(s, device_id, "role", role, REVOKED)
    return DeviceChanged(office.office_code, device_id, device_state(REVOKED))


def add_device(hub: Hub, code: str, device: str, *, actor: Actor = DISTRICT) -> DeviceChanged:
    """Register a device id to an office before its first bundle (a new PC whose id the
    office read off its 系统 › 我的账号 tab), or take a device the hub retired back into use. The same
    rules as a bundle's own declaration: never the hub's id, another office's, or one the
    journal already has from another writer."""
    check_actor(hub, actor, DistrictPermission.MANAGE_OFFICES)
    device_id = device.strip().lower()
    try:
        import uuid

        device_id = str(uuid.UUID(device_id))
    except ValueError:
        raise ValidationError(
            "设备编号应是 36 位（例如 1b4e28ba-2fa1-11d2-883f-0016d3cca427），"
            "请照街道电脑“系统 › 我的账号”里显示的完整编号填写。未做任何改动。"
        ) from None
    t, j = SyncPeer.__table__, JournalEntry.__table__
    with hub.writer(actor) as s:
        conn = s.connection()
        _me(conn, hub)
        office = office_peer(conn, code.strip())
        if device_id in (hub.device_id, office.device_id):
            raise ValidationError("这个编号不是街道的设备编号。未做任何改动。")
        owner = owner_of_device(conn, device_id)
        if owner is not None and owner != office.device_id:
            raise ValidationError("这个设备编号已属于另一个单位，不能登记给本街道。未做任何改动。")
        role = _office_devices(conn, office).get(device_id)
        if role == REVOKED:
            conn.execute(update(t).where(t.c.device_id == device_id).values(role="device"))
            _journal_peer(s, device_id, "role", REVOKED, "device")
        elif role is not None:
            raise ValidationError(f"设备 {device_id[:8]} 已经登记在本街道，不需要再添加。")
        else:
            used = conn.execute(select(j.c.device_id).where(j.c.device_id == device_id).limit(1))
            if used.first() is not None:
                raise ValidationError(
                    "这个设备编号已有其他单位写的记录，不能登记给本街道。未做任何改动。"
                )
            add_peer(
                conn,
                device_id=device_id,
                role="device",
                name=office.name,
                alias_of=office.device_id,
            )
            _journal_peer(s, device_id, "role", None, "device")
    return DeviceChanged(office.office_code, device_id, device_state("device"))


def reissue_enrollment(
    hub: Hub,
    code: str,
    out: Path,
    *,
    existing: bool = False,
    passphrase: str | None = None,
    actor: Actor = DISTRICT,
) -> OfficeAdded:
    """A new enrollment for an enrolled office (the file or passphrase was lost, the stick with
    them went missing, the office's PC was replaced): new keys under the same office, a new
    passphrase. From now on the hub checks the office's bundles against the new keys and
    encrypts to them, so the old enrollment no longer joins: what a PC enrolled with it writes
    is refused, and it cannot read what the hub sends. The hub then holds that the office has
    nothing (its acknowledgements are cleared): the next bundle to it carries the office's whole
    history (a new PC) until the office's first bundle says what it holds. `existing`: the PC
    already has the office's data (a backup restored), as `office add --existing`."""
    check_actor(hub, actor, DistrictPermission.MANAGE_OFFICES)
    out = check_out(out, overwrite=False)
    keys = KeyPair.generate()
    passphrase = passphrase or enrollment.new_passphrase()
    t, j = SyncPeer.__table__, JournalEntry.__table__
    with hub.writer(actor) as s:
        conn = s.connection()
        me = _me(conn, hub)
        office = office_peer(conn, code.strip())
        # the same office, taken by everyone's PC one at a time (as ingest and export are)
        hub.lock_office(conn, office.office_code)
        where = j.c.table_name == Setting.__tablename__
        if not existing:
            row = conn.execute(
                select(Office.__table__.c.id).where(Office.__table__.c.code == office.office_code)
            ).scalar()
            if row is not None:
                c = Community.__table__
                ids = select(c.c.id).where(c.c.office_id == row)
                where = or_(where, j.c.record_id == row, j.c.record_id.in_(ids))
        changes = exchange.fetch_changes(conn, where)
        data = _enrollment(
            me,
            office.device_id,
            office.office_code,
            office.name,
            keys,
            existing,
            changes,
            passphrase,
        )
        conn.execute(
            update(t)
            .where(t.c.device_id == office.device_id, t.c.alias_of.is_(None))
            .values(sign_pub=keys.sign_pub, box_pub=keys.box_pub)
        )
        exchange.replace_acks(conn, office.device_id, {})
        _journal_peer(s, office.device_id, "sign_pub", office.sign_pub, keys.sign_pub)
        # the file last: a full stick rolls the new keys back, and the old enrollment holds
        bundle.write_verified(out, data)
    return OfficeAdded(office.office_code, office.name, office.device_id, passphrase, out)


# -- ingest --------------------------------------------------------------------------------------


MAX_DEVICES = 16  # an office's PCs over the years; more in one bundle is not an office's doing


def _register_devices(conn: Connection, hub: Hub, sender: Peer, devices: Any) -> set[str]:
    """The device ids an office writes with: new ones are registered to it, but only ids that no
    one else holds — never the hub's own, never one another peer has, never one the journal
    already has from another writer."""
    refused = SyncRefused(
        f"“{sender.name}”的数据包声称使用另一个单位的设备编号，不能导入。未做任何改动。"
    )
    if isinstance(devices, list):
        if len(devices) > MAX_DEVICES:
            raise refused
        j = JournalEntry.__table__
        for d in devices:
            if not isinstance(d, str) or not d or len(d) > 36:
                continue
            if d == hub.device_id:
                raise refused
            owner = owner_of_device(conn, d)
            if owner is None:
                used = conn.execute(select(j.c.device_id).where(j.c.device_id == d).limit(1))
                if used.first() is not None:
                    raise refused
                add_peer(
                    conn, device_id=d, role="device", name=sender.name, alias_of=sender.device_id
                )
            elif owner != sender.device_id:
                raise refused
    return devices_of(conn, sender.device_id)


def ingest(hub: Hub, paths: list[Path], *, actor: Actor = DISTRICT) -> list[Ingested]:
    """Import office bundles, each in its own transaction (a backup is taken first). A refused
    file is reported in its result (`refused`) and the others are still imported."""
    run = IngestRun(hub, actor)
    return [run.one(Path(path)) for path in paths]


class IngestRun:
    """One run of ingests, file by file: the role is checked once and one backup is taken,
    before the first file that changes anything. The console takes a folder's files one at a
    time (progress and cancel between them) through the same run as the command line, so it
    does not back up the whole hub again before each of twenty files."""

    def __init__(self, hub: Hub, actor: Actor = DISTRICT) -> None:
        check_actor(hub, actor, DistrictPermission.BUNDLES)
        self.hub = hub
        self.state = {"backed_up": False}

    def one(self, path: Path) -> Ingested:
        try:
            return _ingest_one(self.hub, path, self.state)
        except SyncRefused as exc:
            return Ingested(path, "", False, 0, 0, 0, 0, {}, {}, refused=str(exc))


def _ingest_one(hub: Hub, path: Path, state: dict[str, bool]) -> Ingested:
    with hub.engine.connect() as conn:
        me = _me(conn, hub)
        rec = exchange.receive(conn, me, path)
    if rec.sender.role != "office":
        raise SyncRefused(f"{path.name} 不是街道发来的数据包，未做任何改动。")
    if rec.already:
        return Ingested(path, rec.sender.name, True, int(rec.manifest["changes"]), 0, 0, 0, {}, {})
    if not state["backed_up"] and rec.manifest["changes"]:
        hub.backup("pre-import")
        state["backed_up"] = True
    now = hub.now()
    store = photo_store(hub)
    photos.Receiver.clean(store)
    received = photos.Receiver(store, rec.manifest["bundle_id"])
    try:
        with merge.integrity_guard(), hub.engine.begin() as conn:
            # One office's bundles are taken in one at a time across every clerk's PC; the
            # file seen as new before the lock may have been imported meanwhile by another.
            hub.lock_office(conn, rec.sender.office_code)
            if exchange.was_received(conn, rec.manifest["bundle_id"]):
                return Ingested(
                    path, rec.sender.name, True, int(rec.manifest["changes"]), 0, 0, 0, {}, {}
                )
            done = _merge_office_bundle(hub, conn, rec, path, received, now)
            # every photo and change passed: files in, then COMMIT; only the files the
            # office's own photo records name (a signed bundle still writes only its own)
            office_id = _office_record_id(conn, rec.sender.office_code)
            none = select(literal(None)).where(false())
            received.publish(
                conn,
                owned=scope.owned_ids("retrofit_photo", office_id)
                if office_id is not None
                else none,
                # scanned page originals: only of forms the office printed, for its records
                place_original=originals.placer(
                    conn,
                    store.root,
                    rec.sender.office_code,
                    office_id,
                    lambda table: scope.owned_ids(table, office_id) if office_id else none,
                ),
            )
    finally:
        received.discard()
    return Ingested(
        path,
        rec.sender.name,
        False,
        int(rec.manifest["changes"]),
        done.applied,
        done.skipped,
        done.conflicts,
        dict(done.added),
        dict(done.updated),
        refused_changes=done.refused,
        refused_reasons=dict(done.refused_reasons),
        photos=received.count,
    )


def photo_store(hub: Hub) -> PhotoStore:
    """The hub's copy of every office's retrofit photo files."""
    return PhotoStore(hub.home / "photos")


def _merge_office_bundle(
    hub: Hub,
    conn: Connection,
    rec: exchange.Received,
    path: Path,
    received: photos.Receiver,
    now: int,
) -> merge.MergeSummary:
    """One office bundle inside the ingest transaction: changes (each checked against the
    office's scope), photo files (staged), acknowledgements."""
    sender = rec.sender.device_id
    received.on_photo = lambda sha: photos.received_from(conn, sender, sha)
    allowed = _register_devices(conn, hub, rec.sender, rec.extras.get("devices"))
    _refuse_revoked(conn, rec.sender, rec.extras.get("devices"), path)

    def checked(received: photos.Receiver) -> Iterator[list[Any]]:
        for rows in rec.change_chunks(received):
            if any(_device_of(r) not in allowed for r in rows):
                raise SyncRefused(
                    f"{path.name} 含有不属于“{rec.sender.name}”的设备写的修改，不能导入。"
                    "未做任何改动。"
                )
            yield rows

    touched = derived.Pending()
    office_id = _office_record_id(conn, rec.sender.office_code)

    def after(p: merge.MergePlan) -> None:
        touched.add(conn, p.journal)
        links.repair(hub, conn, p.journal)
        renumber.settle(hub, conn, p.journal)
        if office_id is not None:
            transfers.reseal_arrivals(hub, conn, p.journal, office_id)

    stats = PlannerStats(conn)
    done = merge.apply_stream(
        conn,
        checked(received),
        now_ms=now,
        bundle_id=rec.manifest["bundle_id"],
        refuse=functools.partial(
            _refusals, conn, rec.sender, allowed, _revoked_at(conn, rec.sender)
        ),
        after=after,
        stats=stats,
    )
    touched.flush(conn)
    stats.settle()  # PostgreSQL: the statistics committed describe the tables as they now are
    _retire_devices(conn, rec.sender, rec.extras.get("retired"))
    # A bundle written before its office restored an older backup (found late on the stick):
    # its changes count, but what it says the office holds is no longer true.
    stale = _writer_retired(conn, rec.sender, rec.extras.get("devices"))
    have = rec.extras.get("have")
    if isinstance(have, dict) and not stale:
        if isinstance(rec.extras.get("restore"), str):
            # restored from a backup: what it holds went back (see caseworker/sync/restored.py)
            exchange.replace_acks(conn, rec.sender.device_id, have)
            _resend_moves(hub, conn, rec.sender, have.get(hub.device_id))
        else:
            exchange.store_acks(conn, rec.sender.device_id, have)
    imported = rec.extras.get("imported")
    if isinstance(imported, list) and not stale:
        acked = exchange.mark_acknowledged(conn, imported, rec.sender.device_id)
        if acked:
            for p in (SyncPush.__table__, SyncTransfer.__table__):
                conn.execute(
                    delete(p).where(
                        p.c.office_device == rec.sender.device_id,
                        p.c.bundle_id.in_(acked),
                    )
                )
    photos.forget(conn, sender, rec.extras.get("photos_missing"))
    exchange.record_received(conn, rec, done)
    return done


def _retire_devices(conn: Connection, sender: Peer, retired: Any) -> None:
    """Device ids the office no longer writes with (a restore gave it a new one)."""
    if not isinstance(retired, list):
        return
    t = SyncPeer.__table__
    for d in retired[:MAX_DEVICES]:
        if isinstance(d, str) and d:
            conn.execute(
                update(t)
                # a device the hub retired stays refused, whatever the office says of it
                .where(t.c.device_id == d, t.c.alias_of == sender.device_id, t.c.role != REVOKED)
                .values(role="retired")
            )


def _refuse_revoked(conn: Connection, sender: Peer, devices: Any, path: Path) -> None:
    """A bundle written by a device the hub's administrator retired (`retire_device`) is refused
    whole: a stolen or scrapped PC's work is not taken in, however it is signed."""
    if not isinstance(devices, list) or not devices or not isinstance(devices[0], str):
        return
    t = SyncPeer.__table__
    role = conn.execute(
        select(t.c.role).where(t.c.device_id == devices[0], t.c.alias_of == sender.device_id)
    ).scalar()
    if role == REVOKED:
        raise SyncRefused(
            f"{path.name} 是“{sender.name}”已被区里停用的设备（{devices[0][:8]}）写的，"
            "不能导入。未做任何改动。如这台电脑仍在使用，请先在“街道”页恢复该设备。"
        )


def _revoked_at(conn: Connection, sender: Peer) -> dict[str, str]:
    """The office's devices the hub's administrator retired (`retire_device`) → the hub's clock
    when it did: the journaled change of the device's role to revoked, the latest one (a device
    taken back and retired again counts from the second time)."""
    from db.journal import encode

    t, j = SyncPeer.__table__, JournalEntry.__table__
    revoked = conn.execute(
        select(t.c.device_id).where(t.c.alias_of == sender.device_id, t.c.role == REVOKED)
    ).scalars()
    out: dict[str, str] = {}
    for d in list(revoked):
        at = conn.execute(
            select(func.max(j.c.hlc)).where(
                j.c.table_name == SyncPeer.__tablename__,
                j.c.record_id == d,
                j.c.field == "role",
                j.c.new_value == encode(REVOKED),
            )
        ).scalar()
        out[d] = at or ""  # retired with no record of when: nothing of it after any time
    return out


def _refusals(
    conn: Connection,
    sender: Peer,
    devices: set[str],
    revoked: dict[str, str],
    changes: list[Any],
    new_values: Any,
) -> dict[str, str]:
    """What the office may not write (`scope.refusals`), and the changes of a device the hub
    retired that carry a clock after its retirement (`REVOKED_REASON`). The bundle's writer is
    checked whole (`_refuse_revoked`); this is for changes another of the office's devices
    relays: those the retired device wrote before its retirement are legitimate (a PC's work
    that reached a colleague's before it was stolen), anything later is kept out, into the
    conflicts list (docs/sync.md, *A device the district retired*)."""
    out = scope.refusals(conn, sender.office_code, devices, changes, new_values)
    if revoked:
        for c in changes:
            at = revoked.get(c.device_id)
            if at is not None and c.hlc > at and c.change_id not in out:
                out[c.change_id] = REVOKED_REASON
    return out


def _writer_retired(conn: Connection, sender: Peer, devices: Any) -> bool:
    """The bundle was written under a device id its office has since retired."""
    if not isinstance(devices, list) or not devices or not isinstance(devices[0], str):
        return False
    t = SyncPeer.__table__
    role = conn.execute(
        select(t.c.role).where(t.c.device_id == devices[0], t.c.alias_of == sender.device_id)
    ).scalar()
    return role == "retired"


def _resend_moves(hub: Hub, conn: Connection, office: Peer, since: Any) -> None:
    """After a restore: records the district moved into or out of the office since the point
    the backup holds. Their history is older than that point, so the acknowledgements alone
    would not send it again: records moved in go back on the push list (their whole history),
    records moved out get their transferred-out notice again."""
    since = since if isinstance(since, str) else ""
    office_id = _office_record_id(conn, office.office_code)
    if office_id is None:
        return
    parents: dict[str, tuple[str, str]] = {}
    for tname in tables.registry():
        path = scope.office_path(tname)
        if path:
            parents[tname] = path[0]
    j = JournalEntry.__table__
    found = conn.execute(
        select(j.c.table_name, j.c.record_id, j.c.field, j.c.old_value)
        .where(
            j.c.device_id == hub.device_id,
            j.c.hlc > since,
            j.c.op == "update",
            j.c.field.in_(sorted({col for col, _ref in parents.values()})),
        )
        .order_by(j.c.seq)
    ).all()
    moved_in: dict[tuple[str, str], None] = {}
    moved_out: dict[tuple[str, str], None] = {}
    for tname, rid, fname, old in found:
        if tname not in parents or parents[tname][0] != fname:
            continue
        if scope.owners(conn, tname, [rid]).get(rid) == office_id:
            moved_in[(tname, rid)] = None
            continue
        ref = parents[tname][1]
        old_parent = json.loads(old) if old else None
        if (
            isinstance(old_parent, str)
            and scope.owners(conn, ref, [old_parent]).get(old_parent) == office_id
        ):
            moved_out[(tname, rid)] = None
    for root in moved_in:
        items, _ = tables.dependents(conn, [root])
        transfers.upsert_keys(
            conn, SyncPush.__table__, office.device_id, items, {"root_id": root[1]}
        )
    for tname, rid in moved_out:
        owner = scope.owners(conn, tname, [rid]).get(rid)
        code_name = conn.execute(
            select(Office.__table__.c.code, Office.__table__.c.name).where(
                Office.__table__.c.id == owner
            )
        ).first()
        if code_name is None:
            continue
        notice = {
            "to_office_code": code_name[0],
            "to_office_name": code_name[1],
            "recorded_at": utcnow(),
            "bundle_id": None,
            "root_id": rid,
        }
        items, _ = tables.dependents(conn, [(tname, rid)])
        transfers.upsert_keys(conn, SyncTransfer.__table__, office.device_id, items, notice)


def _device_of(row: Any) -> Any:
    return row[3] if isinstance(row, list) and len(row) == len(merge.COLUMNS) else None


# -- export --------------------------------------------------------------------------------------


def _office_record_id(conn: Connection, code: str) -> str | None:
    t = Office.__table__
    return conn.execute(select(t.c.id).where(t.c.code == code)).scalar()


@dataclass(frozen=True)
class _Facts:
    """What `_office_where` needs to know of one office, read for every office at once by
    `_facts` (工作台 counts all twenty: a handful of grouped reads, not ten per office)."""

    mine: list[str]  # its own device ids (the enrollment's and its aliases), sorted
    acks: dict[str, str]  # device → the clock it acknowledged of it (sync_ack)
    office_id: str | None  # its `office` record
    present: frozenset[str]  # the tables this database has
    pushed: bool  # whether any record was transferred (pushed) to it


def _facts(conn: Connection, offices: list[Peer]) -> dict[str, _Facts]:
    """Peer device id → its `_Facts`: five statements whatever the number of offices."""
    p, a, s, o = (
        SyncPeer.__table__,
        SyncAck.__table__,
        SyncPush.__table__,
        Office.__table__,
    )
    ids = sorted({x.device_id for x in offices})
    if not ids:
        return {}
    mine: dict[str, set[str]] = {d: {d} for d in ids}
    for dev, owner in conn.execute(
        select(p.c.device_id, p.c.alias_of).where(among(conn, p.c.alias_of, ids))
    ):
        mine[owner].add(dev)
    acks: dict[str, dict[str, str]] = {d: {} for d in ids}
    for peer, origin, hlc in conn.execute(
        select(a.c.peer, a.c.origin, a.c.hlc).where(among(conn, a.c.peer, ids))
    ):
        acks[peer][origin] = hlc
    pushed = set(
        conn.execute(
            select(s.c.office_device).where(among(conn, s.c.office_device, ids)).distinct()
        ).scalars()
    )
    office_ids = dict(conn.execute(select(o.c.code, o.c.id)).all())
    present = frozenset(scope.existing_tables(conn))
    return {
        x.device_id: _Facts(
            sorted(mine[x.device_id]),
            acks[x.device_id],
            office_ids.get(x.office_code),
            present,
            x.device_id in pushed,
        )
        for x in offices
    }


def _office_where(
    conn: Connection, office: Peer, within: Any = None, facts: _Facts | None = None
) -> Any:
    """Every change the office lacks that concerns it, as one WHERE over the journal (only
    among the rows that meet `within`, when given: `status` counts the journal's tail).

    Changes not written by the office, later than what it holds from their device, to a
    district-wide table or to a record the office owns (through the foreign-key chain); and the
    whole history of records pushed to it (transferred in), whatever their age. Set-based (joins
    and EXISTS, no id lists), so the cost follows the office's own data and the statement's size
    does not grow with it. `facts`: the office's `_Facts` when already read (`status`)."""
    j = JournalEntry.__table__
    f = facts or _facts(conn, [office])[office.device_id]
    mine = f.mine
    all_acks = f.acks
    acks = {d: h for d, h in all_acks.items() if d not in mine}
    office_id = f.office_id
    newer = or_(
        j.c.device_id.not_in(sorted(acks)) if acks else j.c.device_id.is_not(None),
        *(and_(j.c.device_id == d, j.c.hlc > h) for d, h in acks.items()),
    )
    # The office's own changes only when it holds less of them than the district: after it
    # restored an older backup (its `have` went back; caseworker/sync/restored.py). A device
    # of its own that it does not name at all is one it holds nothing of.
    own_newer = or_(
        *(
            and_(j.c.device_id == d, j.c.hlc > all_acks[d]) if d in all_acks else j.c.device_id == d
            for d in mine
        )
    )
    present = f.present
    global_tables = [t for t in tables.registry() if t in present and scope.office_path(t) is None]
    in_scope = [j.c.table_name.in_(global_tables)]
    scoped = [t for t in tables.registry() if t in present and scope.office_path(t) is not None]
    lacking = or_(and_(j.c.device_id.not_in(mine), newer), own_newer)
    if office_id is not None and conn.dialect.name == "postgresql":
        where = _office_where_pg(conn, office, office_id, all_acks, global_tables, scoped)
        return where if within is None else and_(within, where)
    if office_id is not None:
        for tname in scoped:
            in_scope.append(
                and_(
                    j.c.table_name == tname,
                    j.c.record_id.in_(scope.owned_ids(tname, office_id)),
                )
            )
    p = SyncPush.__table__
    pushed = exists(
        select(p.c.record_id).where(
            p.c.office_device == office.device_id,
            p.c.table_name == j.c.table_name,
            p.c.record_id == j.c.record_id,
        )
    )
    if not f.pushed:
        # nothing transferred to the office: no lookup in sync_push for every journal row
        pushed = false()
    # A record pushed to the office (transferred in) goes whole, the office's own changes too:
    # an office may have dropped its copy when the record left (a child's, see `purge`).
    where = or_(pushed, and_(lacking, or_(*in_scope)))
    # `within` first: on SQLite a range of `seq` is then read by the primary key, not the journal
    return where if within is None else and_(within, where)


def _office_where_pg(
    conn: Connection,
    office: Peer,
    office_id: str,
    acks: dict[str, str],
    global_tables: list[str],
    scoped: list[str],
) -> Any:
    """`_office_where` on PostgreSQL, the same rows, without reading the whole journal.

    `lacking` there comes down to "later than what the office acknowledged of the row's device,
    or of a device it acknowledged nothing of" (its own devices' rows included: it may have
    restored an older backup), which is a range of ix_journal_device_hlc per device. Those rows
    are listed (`scope.lacking_tables`, with the records among them the office owns); the
    bundle's rows are those of them in scope, and the whole history of the records pushed to
    the office (found by `ix_journal_record`), read back by `seq`. The OR of the SQLite form
    is a scan of the whole journal on PostgreSQL, the office's own rows included (issue 26)."""
    j = JournalEntry.__table__
    lk, o = scope.lacking_tables(conn, office_id, scoped, acks)
    owned = exists(
        select(o.c.record_id).where(
            o.c.table_name == lk.c.table_name, o.c.record_id == lk.c.record_id
        )
    )
    p = SyncPush.__table__
    # LATERAL: the history of each pushed record by `ix_journal_record`, whatever the planner
    # thinks of `sync_push` (a plain join could be planned as a hash join over a journal scan)
    history = (
        select(j.c.seq)
        .where(j.c.table_name == p.c.table_name, j.c.record_id == p.c.record_id)
        .lateral()
    )
    rows = union(
        select(lk.c.seq).where(or_(lk.c.table_name.in_(global_tables), owned)),
        select(history.c.seq)
        .select_from(p.join(history, true()))
        .where(p.c.office_device == office.device_id),
    )
    return j.c.seq.in_(rows)


def _pushed(conn: Connection, office: Peer) -> list[list[str]]:
    """The roots of what was moved (back) to the office, for it to withdraw notices that they
    had left; and every record of a child moved, which the office no longer holds to find
    under its root (it deleted its copy: `sync.moved`)."""
    p = SyncPush.__table__
    return [
        [r.table_name, r.record_id]
        for r in conn.execute(
            select(p.c.table_name, p.c.record_id)
            .where(
                p.c.office_device == office.device_id,
                or_(
                    p.c.root_id.is_(None),
                    p.c.root_id == p.c.record_id,
                    p.c.table_name.in_(sorted(moved.purged_tables())),
                ),
            )
            .order_by(p.c.table_name, p.c.record_id)
        )
    ]


def export_for(hub: Hub, code: str, out: Path, *, actor: Actor = DISTRICT) -> ExportResult:
    """The bundle for one office: acknowledgements, district changes and corrections, settings,
    changes other offices made to its records, and records transferred to it (streamed)."""
    check_actor(hub, actor, DistrictPermission.BUNDLES)
    out = Path(out)
    if out.exists():
        raise ValidationError(f"{out} 已存在，不会覆盖。")
    with hub.engine.begin() as conn:
        hub.lock_office(conn, code)  # one export or ingest of this office at a time
        me = _me(conn, hub)
        office = office_peer(conn, code)
        tt = SyncTransfer.__table__
        # only the roots: the office extends each notice to what it holds under the root
        left = [
            [r.table_name, r.record_id, r.to_office_code, r.to_office_name]
            for r in conn.execute(
                select(tt)
                .where(
                    tt.c.office_device == office.device_id,
                    or_(tt.c.root_id.is_(None), tt.c.root_id == tt.c.record_id),
                )
                .order_by(tt.c.table_name, tt.c.record_id)
            )
        ]
        extras = {
            "acks": exchange.have_vector(conn, devices_of(conn, office.device_id)),
            "imported": exchange.received_ids(conn, office.device_id),
            "transferred_out": left,
            "transferred_in": _pushed(conn, office),
            "duplicates": duplicates.notices_for(conn, office),
        }
        # the photo files of the office's cases (its own, transferred in, or asked for again
        # after a restore) that it has not acknowledged; never another office's
        office_id = _office_record_id(conn, office.office_code)
        source = (
            photos.Source(
                conn,
                photo_store(hub),
                office.device_id,
                owned=scope.owned_ids("retrofit_photo", office_id),
            )
            if office_id is not None
            else None
        )
        # The journal's last row before the bundle is read: `status` counts only what came
        # after it (taken before, so a row written meanwhile is counted again, never missed)
        last_seq = conn.execute(select(func.max(JournalEntry.__table__.c.seq))).scalar() or 0
        # what the office holds once it has imported this bundle, per writing device: what it
        # had acknowledged, raised by the newest clock of each device the bundle carries
        # (`_waiting` counts from the newest bundle whose figure the office's acks still reach)
        held = dict(exchange.acks_of(conn, office.device_id))

        def carried(chunks: Iterator[list[Any]]) -> Iterator[list[Any]]:
            for rows in chunks:
                for r in rows:
                    if r[2] > held.get(r[3], ""):  # merge.COLUMNS: hlc, device_id
                        held[r[3]] = r[2]
                yield rows

        manifest = exchange.write_bundle(
            out,
            me,
            office,
            carried(exchange.iter_changes(conn, _office_where(conn, office))),
            extras,
            created_ms=hub.now(),
            kind="district",
            photo_source=source,
        )
        exchange.record_sent(conn, manifest, out.name)
        conn.execute(
            insert(LocalMeta.__table__),
            [
                {"key": _SENT_SEQ + manifest["bundle_id"], "value": str(last_seq)},
                {"key": _SENT_HELD + manifest["bundle_id"], "value": json.dumps(held)},
            ],
        )
        for p in (SyncPush.__table__, SyncTransfer.__table__):
            conn.execute(
                update(p)
                .where(p.c.office_device == office.device_id)
                .values(bundle_id=manifest["bundle_id"])
            )
    return ExportResult.of(out, manifest, source.sent.waiting if source else 0)


# -- corrections ---------------------------------------------------------------------------------


def _correction_values(
    t: tables.TableInfo, table_name: str, values: dict[str, str]
) -> dict[str, Any]:
    """The typed values of a correction, read and checked as the screens check them (the column's
    type, a closed list, a required name, a valid ID number), with the columns that follow from
    them (pinyin from a name, birth date and sex from an ID number). Raises ValidationError."""
    columns = set(t.table.c.keys())
    typed: dict[str, Any] = {}
    for key, raw in values.items():
        derived_why = field_rules.derived_reason(table_name, key, columns)
        if derived_why is not None:
            raise ValidationError(
                f"字段 {key} 不能直接更正：{derived_why}。未做任何改动。", field=key
            )
        try:
            typed[key] = t.from_text(key, raw)
        except ValueError as exc:
            raise ValidationError(str(exc), field=key) from None
        if typed[key] is None and not t.table.c[key].nullable:
            raise ValidationError(f"字段 {key} 不能为空。", field=key)
        if isinstance(typed[key], str):
            typed[key] = field_rules.stored_multi(table_name, key, typed[key])
            wrong = field_rules.problem(table_name, key, typed[key])
            if wrong is not None:  # no reason here echoes an ID number
                raise ValidationError(f"字段 {key} {wrong}。未做任何改动。", field=key)
        if key == "id_number" and typed[key]:
            try:
                parsed = idnumber.parse(typed[key])
            except idnumber.InvalidIdNumber:
                # never echo the number: the message may end up in a script's log
                raise ValidationError(
                    "身份证号不正确（位数、出生日期或校验位不对），未做任何改动。", field=key
                ) from None
            typed[key] = parsed.value
            # birth date and sex are read from the number, as the screens do
            if "birth_date" in columns:
                typed["birth_date"] = parsed.birth_date
            if "sex" in columns:
                typed["sex"] = parsed.sex
        if key == "name" and "name_pinyin" in columns:
            # sorting and initials search follow the name on every replica (they travel)
            typed.update(name_columns(typed[key]))
    return typed


def correct(
    hub: Hub,
    table_name: str,
    record_id: str,
    values: dict[str, str],
    *,
    actor: Actor = DISTRICT,
) -> dict[str, Any]:
    """The district corrects fields of a record (a journaled change that goes to its office).

    Values are given as text and read by their column's type (see `TableInfo.from_text`). A
    completed visit (a merge-locked record) is a signed legal record: the district does not edit
    it either — it is corrected at its office by an amendment that keeps the original. Returns
    the fields as now stored."""
    require(actor, DistrictPermission.RECORDS)
    t = tables.info(table_name)
    if t is None:
        raise ValidationError(f"没有名为“{table_name}”的数据表。")
    unknown = sorted(set(values) - t.fields)
    if unknown or not values:
        raise ValidationError(
            f"“{table_name}”没有这些可修改的字段：{'、'.join(unknown) or '（未给出字段）'}"
        )
    typed = _correction_values(t, table_name, values)
    try:
        with hub.writer(actor) as s:
            record = s.get(t.cls, record_id)
            if record is None:
                raise NotFound("找不到这条记录。")
            if record.merge_locked() and not all(
                k in t.unlocked and v is None for k, v in typed.items()
            ):
                raise ValidationError(
                    "这条记录已完成（锁定），是有签字的正式记录，区里也不能直接修改；"
                    "请由所属街道以“修正”方式更正（原始内容会保留）。未做任何改动。"
                )
            for key, value in typed.items():
                setattr(record, key, value)
            s.flush()
            return {k: getattr(record, k) for k in typed}
    except IntegrityError as exc:
        # never echo the values: a duplicate ID number is personal data
        if "FOREIGN KEY" in str(exc.orig):
            raise ValidationError(
                "更正后的值引用了不存在的记录（例如社区编号不对），未做任何改动。"
            ) from None
        raise ValidationError(
            "更正后的值与已有记录冲突（例如身份证号已被另一条记录使用），未做任何改动。"
        ) from None


# -- transfer ------------------------------------------------------------------------------------


def transfer(
    hub: Hub, table_name: str, record_id: str, to_code: str, community: str | None = None
) -> list[tuple[str, str]]:
    """Move a record (e.g. a resident who moved to another street) to another office; its whole
    history and the records that depend on it go to the new office in its next bundle. The office
    it left gets a notice (see `caseworker.district.transfer`, which also moves a person of any
    programme by ID number). Returns the (table, id) of every record moved."""
    return transfers.transfer_record(hub, table_name, record_id, to_code, community).items


# -- status --------------------------------------------------------------------------------------


_SENT_SEQ = "sent_seq:"  # local_meta key + bundle id: the journal's last seq when it was written
_SENT_HELD = "sent_held:"  # … and what the office holds once it imports it (device → clock)
_BASES = 24  # sent bundles looked at for the newest the office's acknowledgements reach


@dataclass(frozen=True)
class LastBundle:
    """An office's latest bundle one way (`last_bundles`)."""

    bundle_id: str
    recorded_at: datetime
    file_name: str
    changes: int
    acknowledged: bool


def last_bundles(conn: Connection) -> dict[tuple[str, str], LastBundle]:
    """(peer, "received"/"sent") → that peer's latest bundle that way: one grouped pass over
    the bundle history for every office at once."""
    b = SyncBundle.__table__
    latest = (
        select(b.c.peer, b.c.direction, func.max(b.c.recorded_at).label("at"))
        .group_by(b.c.peer, b.c.direction)
        .subquery()
    )
    rows = conn.execute(
        select(
            b.c.peer,
            b.c.direction,
            b.c.bundle_id,
            b.c.recorded_at,
            b.c.file_name,
            b.c.changes,
            b.c.acknowledged_at,
            b.c.created_ms,
        )
        .join(
            latest,
            and_(
                b.c.peer == latest.c.peer,
                b.c.direction == latest.c.direction,
                b.c.recorded_at == latest.c.at,
            ),
        )
        .order_by(b.c.created_ms, b.c.bundle_id)  # two at the same instant: the later written
    )
    return {
        (r.peer, r.direction): LastBundle(
            r.bundle_id, r.recorded_at, r.file_name, r.changes, r.acknowledged_at is not None
        )
        for r in rows
    }


def _bases(conn: Connection, facts: dict[str, _Facts]) -> dict[str, int | None]:
    """Per office (peer device id): the journal position up to which it holds everything that
    concerns it, that of the newest bundle sent to it whose contents its acknowledgements
    (per-device high-water marks, `sync_ack`) reach. None when none does (never sent since the
    hub recorded it, or a restore took the office back before all of them). Two statements
    for every office at once: its last `_BASES` sent bundles, and what each carried."""
    b, m = SyncBundle.__table__, LocalMeta.__table__
    ids = sorted(facts)
    if not ids:
        return {}
    newest = func.row_number().over(
        partition_by=b.c.peer, order_by=(b.c.created_ms.desc(), b.c.recorded_at.desc())
    )
    ranked = (
        select(b.c.peer, b.c.bundle_id, newest.label("n"))
        .where(among(conn, b.c.peer, ids), b.c.direction == "sent")
        .subquery()
    )
    sent: dict[str, list[str]] = {d: [] for d in ids}
    for peer, bundle_id in conn.execute(
        select(ranked.c.peer, ranked.c.bundle_id)
        .where(ranked.c.n <= _BASES)
        .order_by(ranked.c.peer, ranked.c.n)
    ):
        sent[peer].append(bundle_id)
    keys = [k + bid for bids in sent.values() for bid in bids for k in (_SENT_SEQ, _SENT_HELD)]
    meta = (
        dict(conn.execute(select(m.c.key, m.c.value).where(among(conn, m.c.key, keys))).all())
        if keys
        else {}
    )
    out: dict[str, int | None] = {}
    for peer in ids:
        out[peer] = None
        acks = facts[peer].acks
        for bundle_id in sent[peer]:
            seq, held = meta.get(_SENT_SEQ + bundle_id), meta.get(_SENT_HELD + bundle_id)
            if seq is None or held is None:
                continue  # written before the hub kept what it carried
            try:
                vector = json.loads(held)
            except ValueError:
                continue
            if all(acks.get(d, "") >= h for d, h in vector.items()):
                out[peer] = int(seq)
                break
    return out


def _waiting_counts(conn: Connection, offices: list[Peer]) -> dict[str, int]:
    """Per office (peer device id): the changes its next bundle would carry, without reading
    the whole journal.

    From what the office has acknowledged, not from what was sent: every export carries all
    the office lacks by its acknowledgements (`_office_where`), and the newest bundle whose
    contents those acknowledgements reach (`_bases`) marks a journal position (`seq`, the order
    rows arrived: an office's changes arrive with clocks older than the district's) up to which
    it lacks nothing in its scope. So what waits is what matches `_office_where` among the
    journal rows after that position, plus the history up to it of the records transferred to
    the office and not yet acknowledged (their rows are old). An office that acknowledged an
    earlier bundle but not the last counts from the earlier one; one that restored a backup
    (its acknowledgements went back) from the newest bundle it still holds. Without such a
    bundle the whole journal is counted once.

    What each office lacks is its own WHERE (its acknowledgements, its records), so the counts
    stay one statement per office, after the grouped reads of `_facts` and `_bases` (issue 24:
    工作台 was ~10 statements an office). Sent as one SELECT of twenty scalar subqueries
    they were slower in SQLite, not faster (80 ms against 20 × 1.5 ms, replayed in sqlite3)."""
    j, p = JournalEntry.__table__, SyncPush.__table__
    facts = _facts(conn, offices)
    bases = _bases(conn, facts)
    out: dict[str, int] = dict.fromkeys(facts, 0)
    for office in offices:
        f, seq = facts[office.device_id], bases[office.device_id]
        within = None if seq is None else j.c.seq > seq
        where = _office_where(conn, office, within, f)
        counts = [select(func.count()).select_from(j).where(where)]
        if seq is not None and f.pushed:
            # records transferred in and not acknowledged: their history up to the position,
            # from the push list (small) through the journal's (table, record) index
            history = p.join(
                j, and_(j.c.table_name == p.c.table_name, j.c.record_id == p.c.record_id)
            )
            counts.append(
                select(func.count())
                .select_from(history)
                .where(p.c.office_device == office.device_id, j.c.seq <= seq)
            )
        out[office.device_id] += sum(conn.execute(q).scalar() or 0 for q in counts)
    return out


def status(hub: Hub, *, actor: Actor = DISTRICT) -> list[OfficeStatus]:
    """Every office's exchange state: a grouped pass per figure, and the changes waiting from
    the journal's tail since each office's last bundle (`_waiting_counts`)."""
    require(actor, DistrictPermission.STATUS)
    b, c = SyncBundle.__table__, SyncConflict.__table__
    out: list[OfficeStatus] = []
    with hub.engine.connect() as conn:
        _me(conn, hub)
        offices = peers(conn, "office")
        last = last_bundles(conn)
        unacked = dict(
            conn.execute(
                select(b.c.peer, func.count())
                .where(b.c.direction == "sent", b.c.acknowledged_at.is_(None), b.c.changes > 0)
                .group_by(b.c.peer)
            ).all()
        )
        waiting = _waiting_counts(conn, offices)
        owner: dict[str, set[str]] = {}
        p = SyncPeer.__table__
        office_ids = {x.device_id for x in offices}
        for d in office_ids:
            owner.setdefault(d, set()).add(d)
        for dev, alias_of in conn.execute(
            select(p.c.device_id, p.c.alias_of).where(p.c.alias_of.is_not(None))
        ):
            if alias_of in office_ids:
                owner.setdefault(dev, set()).add(alias_of)
        # open conflicts by the pair of devices (a few hundred pairs however many conflicts):
        # each counts once for every office one of its two devices belongs to
        n_conf: dict[str, int] = {}
        for lost, kept, n in conn.execute(
            select(c.c.lost_device, c.c.kept_device, func.count())
            .where(c.c.status == "open")
            .group_by(c.c.lost_device, c.c.kept_device)
        ):
            for peer in owner.get(lost, set()) | owner.get(kept, set()):
                n_conf[peer] = n_conf.get(peer, 0) + n
        for x in offices:
            got, sent = last.get((x.device_id, "received")), last.get((x.device_id, "sent"))
            out.append(
                OfficeStatus(
                    x.office_code,
                    x.name,
                    got.recorded_at if got else None,
                    sent.recorded_at if sent else None,
                    waiting[x.device_id],
                    unacked.get(x.device_id, 0),
                    n_conf.get(x.device_id, 0),
                )
            )
    return out


def resolve_conflict(
    hub: Hub, conflict_id: int, action: str, *, actor: Actor = DISTRICT
) -> ConflictInfo:
    """Keep or reverse a conflict at the district; a reversal travels as a district change."""
    require(actor, DistrictPermission.RECORDS)
    with hub.writer(actor) as s:
        return resolve(s, actor, conflict_id, action)


def conflicts(
    hub: Hub, status_filter: str | None = "open", *, limit: int | None = None, offset: int = 0
) -> list[ConflictInfo]:
    """The district's conflicts list, newest first, each entry with the office whose change
    lost or was kept out (`source`); a page of `limit` from `offset` (None: all)."""
    with hub.reader() as s:
        found = list_conflicts(s, DISTRICT, status_filter, limit=limit, offset=offset)
        p = SyncPeer.__table__
        names = dict(s.execute(select(p.c.device_id, p.c.name)).all())
    names[hub.device_id] = "区级平台"
    return [dataclasses.replace(c, source=names.get(c.lost_device, "")) for c in found]


def conflict_count(hub: Hub, status_filter: str | None = "open") -> int:
    with hub.reader() as s:
        return count_conflicts(s, DISTRICT, status_filter)


def offices_on_record(hub: Hub) -> list[accounts.OfficeInfo]:
    with hub.reader() as s:
        rows = s.scalars(select(Office).where(Office.deleted_at.is_(None)).order_by(Office.code))
        return [accounts.OfficeInfo(r.id, r.code, r.name, r.district_name) for r in rows]
