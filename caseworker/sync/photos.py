"""Retrofit photo files in bundles: which files to send, their frames, and checking them on receipt.

Photo files live outside the database, named by their sha256 (db/photo_store).
They travel after a bundle's change frames, each file cut into frames of at most `CHUNK` bytes
(raw frames: a small JSON header `{"photo": sha, "size": n, "at": offset}` and the bytes, not
compressed), inside the same authenticated, numbered frame stream as the changes. A sender
sends the files of live photo rows the receiver may see that the receiver has not acknowledged
(table `sync_photo`, acknowledged with the bundle that carried them) up to `BUDGET` bytes a
bundle; the rest wait for the next one.

The kept page originals of scanned paper forms (caseworker.sync.originals) travel from an office
to the district the same way, when the district's setting says so: the same frames, caps, budget
and acknowledgements, the file's first frame naming its printed form (`form`, the 20-digit code,
and `record`, the record it was entered as). The district takes such a file only for a form the
sending office printed and a record it owns, and never sends it on to any office.

The receiver trusts nothing: a file is rebuilt in a staging folder (`.partial`, then renamed),
its sha256 must equal its name, it must be a JPEG whose dimensions are bounded (checked from the
header before decoding, and under Pillow's decompression-bomb guard) and that decodes. Only when
every photo of the bundle has passed are the files moved into the store, just before the
database transaction commits; any failure refuses the whole bundle and removes the staging folder.
Memory holds one frame (and, on the sending side, one photo file) at a time.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Connection, delete, insert, or_, select, update

from caseworker.domain.errors import ValidationError, os_reason
from caseworker.sync.errors import SyncRefused
from db.base import table_of, utcnow
from db.photo_store import PhotoStore
from db.retrofit import RetrofitPhoto
from db.sync_models import SyncPhoto

CHUNK = 1024 * 1024  # bytes of a photo per frame
BUDGET = 200 * 1024 * 1024  # photo bytes per bundle: a few minutes of USB 2 copying
MAX_BYTES = 16 * 1024 * 1024  # a stored photo is 150-400 KB; a thumbnail about 20 KB
MAX_EDGE = 4096  # stored photos are at most 1600 px on the long edge
MAX_PIXELS = 16_000_000
MAX_MISSING = 1000  # hashes one bundle may ask for again
PAGE = 500
log = logging.getLogger(__name__)
INCOMING = ".incoming"

BAD_HASH = "数据包中的照片与其校验值不符（内容已损坏或被改动），未做任何改动。"
BAD_IMAGE = "数据包中有一张照片不是可用的图片或尺寸过大，已拒收整个数据包，未做任何改动。"
INCOMPLETE = "数据包中的照片不完整（可能没有拷贝完），未做任何改动。"
MISCOUNT = "数据包中的照片张数与清单不符，未做任何改动。"


def _hex64(value: object) -> bool:
    return (
        isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)
    )


# -- sending -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Extra:
    """A file sent after the photos (a scanned page original): `key` records it as sent and
    acknowledged in `sync_photo` (64 hex digits, derived without reading the file, so a file
    the peer holds is not read again); `load()` its bytes (None: gone), `names` what names it."""

    key: str
    load: Callable[[], bytes | None]
    names: dict[str, str]


@dataclass
class Sent:
    """What one bundle carried: photos and their bytes, and those left for the next bundle."""

    photos: int = 0
    size: int = 0
    waiting: int = 0
    originals: int = 0  # of `photos`, scanned page originals (sync.originals)


def candidates(conn: Connection, owned: Any = None) -> Iterator[str]:
    """The file hashes (photo, then thumbnail) of live photo rows, a page at a time in id order;
    `owned` is a SELECT of the photo ids the recipient may see (None: all of this replica's)."""
    t = table_of(RetrofitPhoto)
    after = ""
    while True:
        q = select(t.c.id, t.c.thumb_sha256, t.c.sha256).where(
            t.c.id > after, t.c.deleted_at.is_(None)
        )
        if owned is not None:
            q = q.where(t.c.id.in_(owned))
        rows = conn.execute(q.order_by(t.c.id).limit(PAGE)).all()
        if not rows:
            return
        for _pid, thumb, full in rows:
            yield thumb
            yield full
        after = rows[-1][0]


def _acked(conn: Connection, peer: str, hashes: list[str], bundle_id: str = "") -> set[str]:
    """Of `hashes`, those the peer holds (or that this very bundle carries already)."""
    t = table_of(SyncPhoto)
    held: ColumnElement[bool] = t.c.acked_at.is_not(None)
    if bundle_id:
        held = held | (t.c.bundle_id == bundle_id)
    return set(
        conn.execute(
            select(t.c.sha256).where(t.c.peer == peer, t.c.sha256.in_(hashes), held)
        ).scalars()
    )


def _pages(hashes: Iterator[str]) -> Iterator[list[str]]:
    page: list[str] = []
    for h in hashes:
        page.append(h)
        if len(page) == PAGE:
            yield page
            page = []
    if page:
        yield page


class Source:
    """The photo files for one recipient; `write` streams them into an open bundle writer."""

    def __init__(
        self,
        conn: Connection,
        store: PhotoStore,
        peer: str,
        owned: Any = None,
        budget: int | None = None,
        extra: Callable[[], Iterator[list[Extra]]] | None = None,
    ) -> None:
        self.conn, self.store, self.peer, self.owned = conn, store, peer, owned
        self.budget = BUDGET if budget is None else budget
        self.sent = Sent()
        # further files sent after the photos under the same budget and acknowledgements, a
        # page of them at a time: the page originals of scanned forms (sync.originals)
        self.extra = extra

    def write(self, frame: Callable[[dict[str, Any], bytes], None], bundle_id: str) -> Sent:
        for page in _pages(candidates(self.conn, self.owned)):
            acked = _acked(self.conn, self.peer, sorted(set(page)), bundle_id)
            seen: set[str] = set()  # a file two rows of the page share goes once
            for sha in page:
                if sha in acked or sha in seen or not self.store.has(sha):
                    continue
                seen.add(sha)
                if self.sent.size >= self.budget:
                    self.sent.waiting += 1
                    continue
                try:
                    data = self.store.read_bytes(sha)  # checked against its name
                except ValidationError:
                    continue  # a damaged file here is not sent; the row says it is missing
                self._send(frame, bundle_id, sha, data, {})
        if self.extra is not None:
            for batch in self.extra():
                acked = _acked(self.conn, self.peer, sorted({e.key for e in batch}), bundle_id)
                for e in batch:
                    if e.key in acked:
                        continue
                    if self.sent.size >= self.budget:
                        self.sent.waiting += 1
                        continue
                    loaded = e.load()  # only a file not yet held there is read
                    if loaded is not None:
                        sha = hashlib.sha256(loaded).hexdigest()
                        self._send(frame, bundle_id, sha, loaded, e.names, mark=e.key)
        return self.sent

    def _send(
        self,
        frame: Callable[[dict[str, Any], bytes], None],
        bundle_id: str,
        sha: str,
        data: bytes,
        names: dict[str, str],
        mark: str = "",
    ) -> None:
        """One file in frames of `CHUNK` bytes, its first frame carrying `names`; recorded as
        sent under `mark` (default: its sha256)."""
        if len(data) > MAX_BYTES:
            return
        if self.sent.size and self.sent.size + len(data) > self.budget:
            self.sent.waiting += 1
            return
        for at in range(0, max(len(data), 1), CHUNK):
            head: dict[str, Any] = {"photo": sha, "size": len(data), "at": at}
            if at == 0:
                head.update(names)
            frame(head, data[at : at + CHUNK])
        self._mark_sent(mark or sha, bundle_id)
        self.sent.photos += 1
        self.sent.originals += 1 if names else 0
        self.sent.size += len(data)

    def _mark_sent(self, sha: str, bundle_id: str) -> None:
        t = table_of(SyncPhoto)
        key = (t.c.peer == self.peer) & (t.c.sha256 == sha)
        if self.conn.execute(select(t.c.sha256).where(key)).first() is None:
            self.conn.execute(insert(t).values(peer=self.peer, sha256=sha, bundle_id=bundle_id))
        else:
            self.conn.execute(update(t).where(key).values(bundle_id=bundle_id))


def acknowledge(conn: Connection, peer: str, bundle_ids: list[str]) -> None:
    """The peer imported these bundles: the files they carried are held there."""
    t = table_of(SyncPhoto)
    if bundle_ids:
        conn.execute(
            update(t)
            .where(t.c.peer == peer, t.c.bundle_id.in_(bundle_ids), t.c.acked_at.is_(None))
            .values(acked_at=utcnow())
        )


def received_from(conn: Connection, peer: str, sha: str) -> None:
    """A file came from `peer`: it holds it, so it is never sent back there."""
    t = table_of(SyncPhoto)
    key = (t.c.peer == peer) & (t.c.sha256 == sha)
    if conn.execute(select(t.c.sha256).where(key)).first() is None:
        conn.execute(insert(t).values(peer=peer, sha256=sha, acked_at=utcnow()))
    else:
        conn.execute(update(t).where(key).values(acked_at=utcnow()))


def forget(conn: Connection, peer: str, missing: object) -> int:
    """The peer reports files it should hold but does not (a restored or reinstalled PC): they
    become candidates again for the next bundle to it. Returns how many were forgotten."""
    if not isinstance(missing, list):
        return 0
    hashes = sorted({h for h in missing[:MAX_MISSING] if _hex64(h)})
    if not hashes:
        return 0
    t = table_of(SyncPhoto)
    return conn.execute(delete(t).where(t.c.peer == peer, t.c.sha256.in_(hashes))).rowcount or 0


def missing(conn: Connection, store: PhotoStore, limit: int = MAX_MISSING) -> list[str]:
    """Files referenced by this replica's live photo rows that are not in its store (first
    `limit`): what its next bundle asks for again."""
    out: list[str] = []
    for sha in candidates(conn):
        if not store.has(sha) and sha not in out:
            out.append(sha)
            if len(out) >= limit:
                break
    return out


def waiting(conn: Connection, store: PhotoStore, peer: str, owned: Any = None) -> int:
    """How many files held here `peer` has not acknowledged (for the sync screen)."""
    n = 0
    for page in _pages(candidates(conn, owned)):
        acked = _acked(conn, peer, sorted(set(page)))
        n += sum(1 for sha in set(page) if sha not in acked and store.has(sha))
    return n


# -- receiving -----------------------------------------------------------------------------------


class Receiver:
    """Rebuild, check and stage the photo files of one bundle; `publish()` moves them into the
    store, `discard()` removes what was staged. `on_photo(sha)` runs for each file that passed."""

    def __init__(
        self, store: PhotoStore, bundle_id: str, on_photo: Callable[[str], None] | None = None
    ) -> None:
        self.store = store
        self.bundle_id = bundle_id
        self.unclaimed = 0  # files no photo record (of the sender's) names: not stored
        self.staging = store.root / INCOMING / bundle_id
        self.on_photo = on_photo
        self.count = 0
        # page originals staged: sha -> (form code, record), checked and placed by `publish`
        self.originals: dict[str, tuple[str, str]] = {}
        self._sha: str | None = None
        self._size = 0
        self._at = 0
        self._fh: Any = None
        self._hash: Any = None

    @staticmethod
    def clean(store: PhotoStore) -> None:
        """Remove staging folders a killed import left behind."""
        shutil.rmtree(store.root / INCOMING, ignore_errors=True)

    def feed(self, value: Any) -> None:
        """One photo frame; refuses (SyncRefused) anything out of order or that fails a check."""
        try:
            self._feed(value)
        except OSError as exc:  # a full disk, a folder that cannot be written
            raise SyncRefused(
                f"无法写入收到的照片：{os_reason(exc)}。请检查磁盘空间。未做任何改动。"
            ) from None

    def _feed(self, value: Any) -> None:
        if not isinstance(value, dict):
            raise SyncRefused("数据包内容格式不对，未做任何改动。")
        keys = set(value)
        names = keys - {"photo", "size", "at", "data"}
        # a page original's first frame also names its printed form (strings, bounded)
        if keys - names != {"photo", "size", "at", "data"} or (
            names
            and (
                names != {"form", "record"}
                or value["at"] != 0
                or not all(isinstance(value[k], str) and 0 < len(value[k]) <= 64 for k in names)
            )
        ):
            raise SyncRefused("数据包内容格式不对，未做任何改动。")
        sha, size, at, data = value["photo"], value["size"], value["at"], value["data"]
        if (
            not _hex64(sha)
            or type(size) is not int
            or type(at) is not int
            or not isinstance(data, bytes)
            or not 0 < size <= MAX_BYTES
        ):
            raise SyncRefused(BAD_IMAGE)
        if at == 0:
            if self._sha is not None:
                raise SyncRefused(INCOMPLETE)  # the previous file stopped short
            self._start(sha, size)
            if names:
                self.originals[sha] = (value["form"], value["record"])
        elif sha != self._sha or size != self._size or at != self._at:
            raise SyncRefused(INCOMPLETE)
        if not data or len(data) > size - at:
            raise SyncRefused(BAD_HASH)
        self._fh.write(data)
        self._hash.update(data)
        self._at += len(data)
        if self._at == self._size:
            self._end()

    def _start(self, sha: str, size: int) -> None:
        import hashlib

        self.staging.mkdir(parents=True, exist_ok=True)
        self._sha, self._size, self._at = sha, size, 0
        self._hash = hashlib.sha256()
        self._fh = open(self.staging / f"{sha}.partial", "wb")  # noqa: SIM115 (closed in _end)

    def _end(self) -> None:
        sha = self._sha
        assert sha is not None
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        self._fh = None
        partial = self.staging / f"{sha}.partial"
        if self._hash.hexdigest() != sha:
            raise SyncRefused(BAD_HASH)
        check_image(partial)
        partial.replace(self.staging / sha)
        self._sha = None
        self.count += 1
        if self.on_photo is not None:
            self.on_photo(sha)

    def finish(self, expected: int) -> None:
        """The stream ended: no file may stop short, and the count must match the manifest."""
        if self._sha is not None:
            raise SyncRefused(INCOMPLETE)
        if self.count != expected:
            raise SyncRefused(MISCOUNT)

    def publish(
        self,
        conn: Connection,
        owned: Any = None,
        place_original: Callable[[str, str], Path] | None = None,
    ) -> int:
        """Move every staged file into the store (content-addressed: one already there is
        simply replaced by the same bytes). Returns how many files were moved.

        A file is taken only when a live photo row in `conn` (the import's own transaction,
        this bundle's changes included) names it, and when `owned` (a SELECT of photo ids,
        the sender's own at the district) is given, a row among those: a signed bundle may
        still not park unrelated files in the store. Others are left out (`self.unclaimed`).

        A page original is taken only with `place_original(form, record)` (the district's),
        which says where it goes or refuses the bundle (SyncRefused); without it (an office
        receiving) it is left out."""
        moved = 0
        if not self.staging.is_dir():
            return 0
        try:
            staged = sorted(e.name for e in os.scandir(self.staging) if _hex64(e.name))
            # every original is checked before any file moves: a refusal leaves the store as
            # it was (the database transaction rolls back with it)
            placed: dict[str, Path] = {}
            if place_original is not None:
                for name in staged:
                    if name in self.originals:
                        placed[name] = place_original(*self.originals[name])
            claimed = _claimed(conn, [n for n in staged if n not in self.originals], owned)
            for name in staged:
                if name in placed:
                    placed[name].parent.mkdir(parents=True, exist_ok=True)
                    os.replace(self.staging / name, placed[name])
                    moved += 1
                    continue
                if name not in claimed:
                    self.unclaimed += 1
                    continue
                if self.store.verify(name):
                    continue  # held already (and maybe open in the viewer: not replaced)
                target = self.store.path_of(name)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(self.staging / name, target)
                moved += 1
        except OSError as exc:
            raise SyncRefused(
                f"无法保存收到的照片：{os_reason(exc)}。请检查磁盘空间。数据未改动。"
            ) from None
        if self.unclaimed:
            log.warning(
                "bundle %s: %d photo files named by no photo record left out",
                self.bundle_id,
                self.unclaimed,
            )
        self.discard()
        return moved

    def discard(self) -> None:
        if self._fh is not None:
            with contextlib.suppress(OSError):
                self._fh.close()
            self._fh = None
        shutil.rmtree(self.staging, ignore_errors=True)
        with contextlib.suppress(OSError):
            (self.store.root / INCOMING).rmdir()  # only when empty


def _claimed(conn: Connection, hashes: list[str], owned: Any) -> set[str]:
    """Which of `hashes` a live photo row names (as photo or thumbnail), a page at a time."""
    t = table_of(RetrofitPhoto)
    found: set[str] = set()
    for i in range(0, len(hashes), PAGE):
        page = hashes[i : i + PAGE]
        q = select(t.c.sha256, t.c.thumb_sha256).where(
            t.c.deleted_at.is_(None), or_(t.c.sha256.in_(page), t.c.thumb_sha256.in_(page))
        )
        if owned is not None:
            q = q.where(t.c.id.in_(owned))
        for full, thumb in conn.execute(q):
            found.update((full, thumb))
    return found & set(hashes)


def check_image(path: Path) -> None:
    """A received file must be a JPEG of bounded size that decodes; refuse it otherwise.

    The dimensions are read from the header and checked before any pixel is decoded; Pillow's
    decompression-bomb warning is an error here."""
    from PIL import Image, UnidentifiedImageError

    try:
        if path.stat().st_size > MAX_BYTES:
            raise SyncRefused(BAD_IMAGE)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=["JPEG"]) as img:
                w, h = img.size
                if not (0 < w <= MAX_EDGE and 0 < h <= MAX_EDGE and w * h <= MAX_PIXELS):
                    raise SyncRefused(BAD_IMAGE)
                img.draft("RGB", (max(1, w // 8), max(1, h // 8)))  # decode at 1/8 scale
                img.load()
    except SyncRefused:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise SyncRefused(BAD_IMAGE) from None
