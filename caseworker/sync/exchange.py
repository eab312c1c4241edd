"""Building, checking and recording bundles: the part shared by offices and the district hub.

A received bundle is checked in this order, and refused with a message at the first failure:
file shape → manifest types → format and schema version → sender known → signature → recipient
is us → payload size and digest → decryption of each frame. Only then is anything read from the
payload, a frame at a time.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from caseworker.sync import bundle, crypto, merge, photos
from caseworker.sync.errors import SyncCancelled, SyncRefused
from caseworker.sync.identity import Identity, Peer, peer
from db.base import table_of, utcnow
from db.ids import new_id
from db.journal_packing import sqlite_time_text
from db.models import JournalEntry
from db.schema import HEAD, known_revisions
from db.sync_models import SyncAck, SyncBundle

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]
ACK_CHUNK = 1000
MAX_ORIGINS = 5000
# recorded_at travels as ISO 8601 with a space (what SQLite held as text before migration 0025)
TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


@dataclass(frozen=True)
class ExportResult:
    """A bundle written and verified on the stick (either direction)."""

    path: Path
    bundle_id: str
    changes: int
    counts: dict[str, int]
    photos: int = 0  # photo files carried
    photo_bytes: int = 0
    photos_waiting: int = 0  # files over this bundle's photo budget: they go in the next one
    originals: int = 0  # of `photos`, scanned page originals (an office's, sync.originals)

    @staticmethod
    def of(path: Path, manifest: dict[str, Any], waiting: int = 0) -> ExportResult:
        return ExportResult(
            path,
            manifest["bundle_id"],
            manifest["changes"],
            manifest["counts"],
            manifest.get("photos", 0),
            manifest.get("photo_bytes", 0),
            waiting,
        )


@dataclass(frozen=True)
class Received:
    """A bundle file whose envelope, signature and digest have been checked; its change frames
    are read (and authenticated) one at a time by `change_chunks()`."""

    envelope: bundle.Envelope
    manifest: dict[str, Any]
    extras: dict[str, Any]
    sender: Peer
    already: bool  # this bundle id was imported before
    file_name: str
    keys: crypto.KeyPair
    frame_count: int

    def change_chunks(self, received: photos.Receiver | None = None) -> Iterator[list[Any]]:
        """The change rows, a frame at a time; refuses (SyncRefused) a frame that is not a list
        of rows or a stream whose row count differs from the signed manifest. The photo frames
        that follow the changes go to `received`, which checks and stages each file, before the
        last rows' caller sees the stream end (so a bad photo refuses the whole bundle)."""
        frames = bundle.frames(self.envelope, self.keys, _bound(self.manifest), self.frame_count)
        next(frames)  # the extras, read already
        total = 0
        in_photos = False
        for index, value in enumerate(frames, start=1):
            if index == self.frame_count - 1:
                if value is not None:
                    raise SyncRefused(_MALFORMED)
                break
            if isinstance(value, dict) and received is not None:
                in_photos = True
                received.feed(value)
                continue
            if in_photos or not isinstance(value, list):
                raise SyncRefused(_MALFORMED)
            total += len(value)
            if total > self.manifest["changes"]:
                raise SyncRefused("数据包中的变更条数与清单不符，未做任何改动。")
            yield value
        if total != self.manifest["changes"]:
            raise SyncRefused("数据包中的变更条数与清单不符，未做任何改动。")
        expected = self.manifest.get("photos", 0)
        if received is not None:
            received.finish(expected)
        elif expected:
            raise SyncRefused(_MALFORMED)


_MALFORMED = "数据包内容格式不对，未做任何改动。"


def iter_changes(
    conn: Connection,
    where: Any,
    *,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    size: int = bundle.FRAME_ROWS,
) -> Iterator[list[list[Any]]]:
    """Journal rows matching `where`, in journal order, as lists in merge.COLUMNS order, a chunk
    of `size` at a time (memory stays flat whatever the journal holds)."""
    j = table_of(JournalEntry)
    # counted only for a progress bar: the count is a second pass over the journal (the
    # district's export to an office has none to show)
    total = (
        conn.execute(select(func.count()).select_from(j).where(where)).scalar() or 0
        if progress is not None
        else 0
    )
    cols: list[Any] = [j.c[name] for name in merge.COLUMNS]
    raw_text = conn.dialect.name == "sqlite"
    if raw_text:  # SQLite writes "YYYY-MM-DD HH:MM:SS.ffffff" itself, faster than strftime here
        cols[12] = sqlite_time_text(j.c.recorded_at).label("recorded_at")
    done = 0
    # yield_per on the statement (not the connection): rows stream from a server-side cursor
    # on PostgreSQL, in fetchmany batches on SQLite
    result = conn.execute(
        select(*cols).where(where).order_by(j.c.seq).execution_options(yield_per=size)
    )
    try:
        while True:
            if cancelled is not None and cancelled():
                raise SyncCancelled("已取消导出，没有写出任何文件。")
            part = result.fetchmany(size)
            if not part:
                break
            if raw_text:
                rows = [list(r) for r in part]
            else:
                rows = []
                for r in part:
                    row = list(r)
                    row[12] = row[12].strftime(TIME_FORMAT)
                    rows.append(row)
            done += len(rows)
            if progress is not None:
                progress(done, total)
            yield rows
    finally:
        result.close()


def fetch_changes(conn: Connection, where: Any) -> list[list[Any]]:
    """All matching rows in one list: only for what is small by nature (an enrollment file)."""
    return [row for part in iter_changes(conn, where) for row in part]


def write_bundle(
    path: Path,
    me: Identity,
    to: Peer,
    chunks: Iterable[Sequence[Sequence[Any]]],
    extras: dict[str, Any],
    *,
    created_ms: int,
    kind: str,
    cancelled: Cancelled | None = None,
    photo_source: photos.Source | None = None,
) -> dict[str, Any]:
    """Stream `chunks` of changes, then the photo files of `photo_source`, into a verified
    bundle file at `path`; returns its manifest."""
    bundle_id = new_id()
    counts: Counter[str] = Counter()
    n = 0
    hlc_min = hlc_max = ""
    # A generator of rows is closed here, while its connection is open, even when the write
    # fails (a full stick): collected later, it would close a cursor on a closed database.
    closing = contextlib.ExitStack()
    close = getattr(chunks, "close", None)
    if close is not None:
        closing.callback(close)
    with (
        closing,
        bundle.BundleWriter(
            path, me.keys, to.box_pub, bundle.binding(bundle_id, me.device_id, to.device_id)
        ) as w,
    ):
        w.frame(extras)
        for chunk in chunks:
            if not chunk:
                continue
            counts.update(row[6] for row in chunk)
            n += len(chunk)
            lo = min(row[2] for row in chunk)
            hi = max(row[2] for row in chunk)
            hlc_min = lo if not hlc_min or lo < hlc_min else hlc_min
            hlc_max = max(hi, hlc_max)
            w.frame([list(row) for row in chunk])
        sent = photos.Sent()
        if photo_source is not None:
            sent = photo_source.write(w.raw_frame, bundle_id)
        if cancelled is not None and cancelled():
            raise SyncCancelled("已取消导出，没有写出任何文件。")
        return w.finish(
            {
                "schema": HEAD,
                "bundle_id": bundle_id,
                "kind": kind,
                "sender": me.device_id,
                "sender_name": me.name,
                "sender_office": me.office_code,
                "recipient": to.device_id,
                "recipient_name": to.name,
                "created_ms": created_ms,
                "hlc_min": hlc_min,
                "hlc_max": hlc_max,
                "changes": n,
                "counts": dict(sorted(counts.items())),
                "photos": sent.photos,
                "photo_bytes": sent.size,
            }
        )


def record_sent(conn: Connection, manifest: dict[str, Any], file_name: str) -> None:
    conn.execute(
        insert(table_of(SyncBundle)).values(
            bundle_id=manifest["bundle_id"],
            direction="sent",
            peer=manifest["recipient"],
            created_ms=manifest["created_ms"],
            recorded_at=utcnow(),
            changes=manifest["changes"],
            applied=0,
            conflicts=0,
            counts=json.dumps(manifest["counts"], ensure_ascii=False),
            hlc_min=manifest["hlc_min"],
            hlc_max=manifest["hlc_max"],
            file_name=file_name,
        )
    )


def _bound(manifest: dict[str, Any]) -> bytes:
    return bundle.binding(manifest["bundle_id"], manifest["sender"], manifest["recipient"])


_ID = re.compile(r"[0-9a-fA-F-]{1,64}")


def check_manifest(m: dict[str, Any]) -> None:
    """The manifest's fields have the types and sizes this program writes; nothing else is
    trusted (it is read before the signature is checked)."""

    def text(key: str, limit: int, pattern: re.Pattern[str] | None = None) -> None:
        v = m.get(key)
        if not isinstance(v, str) or len(v) > limit or (pattern and not pattern.fullmatch(v)):
            raise SyncRefused(f"数据包清单的“{key}”一项格式不对，未做任何改动。")

    for key in ("bundle_id", "sender", "recipient"):
        text(key, 64, _ID)
    for key in ("sender_name", "recipient_name", "sender_office", "kind"):
        if key in m:
            text(key, 200)
    for key in ("hlc_min", "hlc_max"):
        if key in m:
            text(key, 32)
    for key, top in (("created_ms", 2**53), ("changes", 2**40)):
        v = m.get(key)
        if type(v) is not int or not 0 <= v < top:
            raise SyncRefused(f"数据包清单的“{key}”一项格式不对，未做任何改动。")
    for key in ("photos", "photo_bytes"):
        v = m.get(key, 0)
        if type(v) is not int or not 0 <= v < 2**40:
            raise SyncRefused(f"数据包清单的“{key}”一项格式不对，未做任何改动。")
    counts = m.get("counts")
    if not isinstance(counts, dict) or not all(
        isinstance(k, str) and len(k) <= 64 and type(v) is int and v >= 0 for k, v in counts.items()
    ):
        raise SyncRefused("数据包清单的“counts”一项格式不对，未做任何改动。")


def peek(path: Path) -> bundle.Envelope:
    """A bundle's envelope with a well-formed manifest (no signature check): for listing what
    is on a stick."""
    env = bundle.read_envelope(path)
    check_manifest(env.manifest)
    return env


def receive(conn: Connection, me: Identity, path: Path) -> Received:
    """Check a bundle file; refuse it (SyncRefused) unless every check passes. Only the extras
    frame is decrypted here; the change frames are read by `Received.change_chunks()`."""
    path = Path(path)
    env = peek(path)
    bundle.check_format(env.manifest, known_revisions())
    m = env.manifest
    sender = peer(conn, str(m["sender"]))
    if sender is None or not sender.sign_pub:
        raise SyncRefused(
            f"数据包来自未登记的单位或设备（{str(m.get('sender_name', '?'))[:60]}，"
            f"{str(m['sender'])[:8]}…），不能导入。未做任何改动。"
        )
    if not crypto.verify(sender.sign_pub, env.signature, bundle.MAGIC + env.manifest_bytes):
        raise SyncRefused(
            f"数据包签名不对：它不是由“{sender.name}”签发的，或者已被改动。未做任何改动。"
        )
    if m["recipient"] != me.device_id:
        raise SyncRefused(
            f"这个数据包是发给“{str(m.get('recipient_name', '?'))[:60]}”的，不是发给本机"
            f"（{me.name}）的。未做任何改动。"
        )
    count = bundle.check_parts(env)
    extras = next(bundle.frames(env, me.keys, _bound(m), count))
    if not isinstance(extras, dict):
        raise SyncRefused(_MALFORMED)
    t = table_of(SyncBundle)
    already = (
        conn.execute(
            select(t.c.bundle_id).where(
                t.c.bundle_id == m["bundle_id"], t.c.direction == "received"
            )
        ).first()
        is not None
    )
    return Received(env, m, extras, sender, already, path.name, me.keys, count)


def was_received(conn: Connection, bundle_id: str) -> bool:
    """This bundle has been imported here already."""
    t = table_of(SyncBundle)
    found = conn.execute(
        select(t.c.bundle_id).where(t.c.bundle_id == bundle_id, t.c.direction == "received")
    ).first()
    return found is not None


def record_received(conn: Connection, rec: Received, result: merge.MergeSummary) -> None:
    m = rec.manifest
    conn.execute(
        insert(table_of(SyncBundle)).values(
            bundle_id=m["bundle_id"],
            direction="received",
            peer=m["sender"],
            created_ms=int(m["created_ms"]),
            recorded_at=utcnow(),
            changes=int(m["changes"]),
            applied=result.applied,
            conflicts=result.conflicts,
            counts=json.dumps(m["counts"], ensure_ascii=False),
            hlc_min=str(m.get("hlc_min", "")),
            hlc_max=str(m.get("hlc_max", "")),
            file_name=rec.file_name[:260],
        )
    )


def store_acks(conn: Connection, peer_id: str, vector: dict[str, str]) -> None:
    """Remember that `peer_id` holds every change of each origin up to the given clock."""
    t = table_of(SyncAck)
    if len(vector) > MAX_ORIGINS:  # a replica per device: thousands would be a crafted file
        raise SyncRefused("数据包中的确认信息不对（设备过多），未做任何改动。")
    current = {
        r.origin: r.hlc
        for r in conn.execute(select(t.c.origin, t.c.hlc).where(t.c.peer == peer_id))
    }
    for origin, hlc in vector.items():
        if not isinstance(origin, str) or not isinstance(hlc, str):
            continue
        if origin not in current:
            conn.execute(insert(t).values(peer=peer_id, origin=origin, hlc=hlc))
        elif hlc > current[origin]:
            conn.execute(update(t).where(t.c.peer == peer_id, t.c.origin == origin).values(hlc=hlc))


def replace_acks(conn: Connection, peer_id: str, vector: dict[str, str]) -> None:
    """`peer_id` holds exactly what `vector` says (a restored office: its acknowledgements go
    back, and an origin it does not name is one it holds nothing of)."""
    if len(vector) > MAX_ORIGINS:
        raise SyncRefused("数据包中的确认信息不对（设备过多），未做任何改动。")
    t = table_of(SyncAck)
    conn.execute(delete(t).where(t.c.peer == peer_id))
    rows = [
        {"peer": peer_id, "origin": o, "hlc": h}
        for o, h in vector.items()
        if isinstance(o, str) and isinstance(h, str) and len(o) <= 36 and len(h) <= 24
    ]
    if rows:
        conn.execute(insert(t), rows)


def acks_of(conn: Connection, peer_id: str) -> dict[str, str]:
    t = table_of(SyncAck)
    return {
        r.origin: r.hlc
        for r in conn.execute(select(t.c.origin, t.c.hlc).where(t.c.peer == peer_id))
    }


def have_vector(conn: Connection, devices: set[str] | None = None) -> dict[str, str]:
    """The greatest clock this replica holds per writing device (of `devices`, when named)."""
    j = table_of(JournalEntry)
    if devices is None:
        q = select(j.c.device_id, func.max(j.c.hlc)).group_by(j.c.device_id)
        return {d: h for d, h in conn.execute(q)}
    # One `max` per device: both databases read it from the end of that device's range of
    # ix_journal_device_hlc. A GROUP BY over `device_id IN (...)` was a whole pass over the
    # journal on PostgreSQL (the district's bundle back to an office read the journal twice,
    # issue 26); an office has a handful of devices.
    found: dict[str, str] = {}
    for d in sorted(devices):
        h = conn.execute(select(func.max(j.c.hlc)).where(j.c.device_id == d)).scalar()
        if h is not None:
            found[d] = h
    return found


def mark_acknowledged(conn: Connection, bundle_ids: Sequence[str], peer_id: str) -> list[str]:
    """Sent bundles the peer reports as imported; returns those newly acknowledged."""
    t = table_of(SyncBundle)
    ids = sorted({b for b in bundle_ids if isinstance(b, str) and len(b) <= 64})
    newly: list[str] = []
    for i in range(0, len(ids), ACK_CHUNK):  # the list comes from the peer: any length
        part = ids[i : i + ACK_CHUNK]
        found = list(
            conn.execute(
                select(t.c.bundle_id).where(
                    t.c.bundle_id.in_(part),
                    t.c.direction == "sent",
                    t.c.peer == peer_id,
                    t.c.acknowledged_at.is_(None),
                )
            ).scalars()
        )
        if found:
            conn.execute(update(t).where(t.c.bundle_id.in_(found)).values(acknowledged_at=utcnow()))
            photos.acknowledge(conn, peer_id, found)
        newly.extend(found)
    return newly


def received_ids(conn: Connection, peer_id: str, limit: int = 500) -> list[str]:
    t = table_of(SyncBundle)
    return list(
        conn.execute(
            select(t.c.bundle_id)
            .where(t.c.direction == "received", t.c.peer == peer_id)
            .order_by(t.c.recorded_at.desc())
            .limit(limit)
        ).scalars()
    )
