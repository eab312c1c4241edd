"""The bundle file: one file on the USB stick, written and read as a stream.

    MAGIC | u8 format | eph_pub(32) | frames … | manifest (JSON) | u32 manifest length |
    Ed25519 signature(64) | u16 signature length

Each frame is `u32 length | ChaCha20-Poly1305 ciphertext` of a zlib-compressed JSON value: frame 0
holds the extras (acknowledgements, have-vector…), the frames after it hold up to `FRAME_ROWS`
changes each, then the photo files (raw frames: 0x00, a u16-long JSON header, the bytes; see
caseworker.sync.photos), and a last, empty frame closes the stream. The key comes from an
ephemeral X25519 key and the recipient's key (HKDF); frame i's nonce is i with a flag on the
closing frame, and every frame's associated data binds the bundle id, sender and recipient, so
frames cannot be reordered, dropped, cut short or moved to another bundle unnoticed. The
manifest at the end carries the sha256 and size of everything between MAGIC and the manifest;
the signature covers MAGIC and the manifest bytes.

A bundle is never held whole in memory: the writer sends each frame to a temporary file as it is
made (then flush, fsync, rename, read back and compare digests) and the reader checks the digest
in one streaming pass before decrypting frame by frame. A frame's inflated size is capped before
the memory is spent, so a small file cannot inflate to gigabytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from caseworker.domain.errors import os_reason
from caseworker.sync import crypto
from caseworker.sync.errors import SyncRefused

MAGIC = b"CWBUNDLE\n"
FORMAT = 2
FRAME_ROWS = 5000
MAX_MANIFEST = 1024 * 1024
MAX_FRAME = 64 * 1024 * 1024  # a compressed frame on disk
MAX_FRAME_PLAIN = 128 * 1024 * 1024  # a frame once inflated
MAX_DEPTH = 32  # nesting of any JSON value read from a bundle
_EPH = 32
RAW = b"\x00"  # first byte of a raw frame; a zlib stream never starts with it (CM must be 8)
_TAG = 16
_HEAD = len(MAGIC) + 1 + _EPH
_TAIL = 4 + 64 + 2
_READ = 1024 * 1024

DAMAGED = "数据包文件不完整或已损坏（可能没有拷贝完），未做任何改动。"


def _nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def binding(bundle_id: str, sender: str, recipient: str) -> bytes:
    """The associated data of every frame: the payload belongs to this bundle and these peers."""
    bound = {"bundle_id": bundle_id, "sender": sender, "recipient": recipient}
    return hashlib.sha256(crypto.canonical(bound)).digest()


def _frame_key(shared: bytes, eph_pub: bytes, recipient_pub: bytes) -> bytes:
    return crypto.seal_key(shared, eph_pub, recipient_pub, info=b"caseworker bundle frames v2")


def loads_bounded(data: bytes) -> Any:
    """json.loads that refuses deep nesting before the parser recurses into it (a crafted
    file nested 100,000 deep would otherwise raise RecursionError). Brackets inside strings
    only make the check stricter: the values a bundle carries are short texts."""
    depth = 0
    for b in data.translate(None, _NOT_BRACKETS):
        depth += 1 if b in (0x5B, 0x7B) else -1
        if depth > MAX_DEPTH:
            raise ValueError("nested too deep")
    return json.loads(data)


_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


class BundleWriter:
    """Write a bundle frame by frame to `<path>.partial`; `finish()` signs, renames, verifies.

    Use as a context manager: leaving it without `finish()` (an error, a cancel) removes the
    partial file, so nothing half-written is ever left on the stick."""

    def __init__(
        self, path: Path, keys: crypto.KeyPair, recipient_box_pub: str, bound: bytes
    ) -> None:
        self.path = Path(path)
        self.tmp = self.path.with_name(self.path.name + ".partial")
        self._keys = keys
        self._aad = bound
        recipient = bytes.fromhex(recipient_box_pub)
        eph = X25519PrivateKey.generate()
        eph_pub = eph.public_key().public_bytes_raw()
        shared = eph.exchange(X25519PublicKey.from_public_bytes(recipient))
        self._aead = ChaCha20Poly1305(_frame_key(shared, eph_pub, recipient))
        self._index = 0
        self._size = 0
        self._digest = hashlib.sha256()  # the body, as the manifest states it
        self._whole = hashlib.sha256(MAGIC)  # the whole file, to compare after reading it back
        self._closed = False
        try:
            self._f: BinaryIO = open(self.tmp, "wb")  # noqa: SIM115 (closed in finish/abort)
        except OSError as exc:
            raise _write_error(self.path, exc) from None
        self._f.write(MAGIC)
        self._body(bytes([FORMAT]) + eph_pub)

    def __enter__(self) -> BundleWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._closed:
            self.abort()

    def _body(self, data: bytes) -> None:
        try:
            self._f.write(data)
        except OSError as exc:
            self.abort()
            raise _write_error(self.path, exc) from None
        self._digest.update(data)
        self._whole.update(data)
        self._size += len(data)

    def frame(self, value: Any, *, last: bool = False) -> None:
        plain = zlib.compress(
            json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(), 3
        )
        sealed = self._aead.encrypt(_nonce(self._index, last), plain, self._aad)
        self._index += 1
        self._body(struct.pack(">I", len(sealed)) + sealed)

    def raw_frame(self, header: dict[str, Any], data: bytes) -> None:
        """A frame of bytes that zlib and JSON would only slow down (a part of a JPEG): RAW, the
        header's length and JSON, then the bytes; read back as the header with "data" added."""
        head = json.dumps(header, separators=(",", ":")).encode()
        plain = RAW + struct.pack(">H", len(head)) + head + data
        sealed = self._aead.encrypt(_nonce(self._index, False), plain, self._aad)
        self._index += 1
        self._body(struct.pack(">I", len(sealed)) + sealed)

    @property
    def frames(self) -> int:
        return self._index

    def finish(self, manifest: dict[str, Any]) -> dict[str, Any]:
        """Close the stream, append the signed manifest, rename into place and read it back."""
        self.frame(None, last=True)
        manifest = dict(manifest)
        manifest["format"] = FORMAT
        manifest["parts"] = {
            "payload": {
                "sha256": self._digest.hexdigest(),
                "size": self._size,
                "frames": self._index,
            }
        }
        mbytes = crypto.canonical(manifest)
        sig = crypto.sign(self._keys, MAGIC + mbytes)
        trailer = mbytes + struct.pack(">I", len(mbytes)) + sig + struct.pack(">H", 64)
        self._whole.update(trailer)
        try:
            self._f.write(trailer)
            self._f.flush()
            os.fsync(self._f.fileno())
            self._f.close()
            self._closed = True
            self.tmp.replace(self.path)
        except OSError as exc:
            self.abort()
            raise _write_error(self.path, exc) from None
        _fsync_dir(self.path.parent)
        if _file_digest(self.path) != self._whole.hexdigest():
            raise SyncRefused(
                f"写入 {self.path} 后读回校验不一致，U 盘可能有问题。请换一个 U 盘再导出。"
            )
        return manifest

    def abort(self) -> None:
        if not self._closed:
            self._closed = True
            with contextlib.suppress(OSError):
                self._f.close()
        self.tmp.unlink(missing_ok=True)


def _write_error(path: Path, exc: OSError) -> SyncRefused:
    return SyncRefused(
        f"无法写入 {path}：{os_reason(exc)}。请检查 U 盘是否已满或写保护。未写出任何文件。"
    )


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_READ):
            h.update(chunk)
    return h.hexdigest()


def write_verified(path: Path, data: bytes) -> None:
    """A small file (an enrollment file): temporary name, fsync, rename, read back, compare."""
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _write_error(path, exc) from None
    _fsync_dir(path.parent)
    if _file_digest(path) != hashlib.sha256(data).hexdigest():
        raise SyncRefused(f"写入 {path} 后读回校验不一致，U 盘可能有问题。请换一个 U 盘再导出。")


def _fsync_dir(folder: Path) -> None:
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Envelope:
    """A bundle file's outside: the manifest and signature, read without touching the payload."""

    path: Path
    manifest: dict[str, Any]
    manifest_bytes: bytes
    signature: bytes
    body_start: int
    body_size: int


def read_envelope(path: Path) -> Envelope:
    """Read the header and the trailer; refuse anything malformed. Does not check the signature."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            head = f.read(len(MAGIC) + 1)
            if not head.startswith(MAGIC):
                raise SyncRefused("这不是工作台的数据包文件（文件头不对），未做任何改动。")
            fmt = head[len(MAGIC)] if len(head) > len(MAGIC) else -1
            if fmt != FORMAT:
                raise SyncRefused(
                    f"数据包格式（{fmt}）与本程序（{FORMAT}）不同：请双方都升级到同一版本的工作台后"
                    "重新导出。未做任何改动。"
                    if fmt > 0
                    else DAMAGED
                )
            if size < _HEAD + _TAIL:
                raise SyncRefused(DAMAGED)
            f.seek(size - _TAIL)
            tail = f.read(_TAIL)
            (mlen,) = struct.unpack_from(">I", tail, 0)
            sig = tail[4:68]
            (slen,) = struct.unpack_from(">H", tail, 68)
            if slen != 64 or mlen > MAX_MANIFEST or mlen > size - _HEAD - _TAIL:
                raise SyncRefused(DAMAGED)
            f.seek(size - _TAIL - mlen)
            mbytes = f.read(mlen)
    except OSError as exc:
        raise SyncRefused(f"无法读取 {path}：{os_reason(exc)}。未做任何改动。") from None
    try:
        manifest = loads_bounded(mbytes)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise SyncRefused(DAMAGED) from None
    if not isinstance(manifest, dict):
        raise SyncRefused(DAMAGED)
    body_start = len(MAGIC)
    return Envelope(path, manifest, mbytes, sig, body_start, size - _TAIL - mlen - body_start)


def check_format(manifest: dict[str, Any], known_schemas: set[str]) -> None:
    fmt = manifest.get("format")
    if type(fmt) is not int or fmt != FORMAT:
        raise SyncRefused(
            f"数据包格式版本（{str(fmt)[:20]}）与本程序不同，请先升级工作台再导入。未做任何改动。"
        )
    schema = manifest.get("schema")
    if not isinstance(schema, str) or schema not in known_schemas:
        raise SyncRefused(
            f"数据包来自数据库版本 {str(schema)[:20]} 的工作台，本程序不认识这个版本，请先升级。"
            "未做任何改动。"
        )


def check_parts(env: Envelope) -> int:
    """The payload's size and digest match the signed manifest (one streaming pass); returns
    the number of frames the manifest announces."""
    frames, digest = parts_shape(env)
    h = hashlib.sha256()
    try:
        with open(env.path, "rb") as f:
            f.seek(env.body_start)
            left = env.body_size
            while left:
                chunk = f.read(min(_READ, left))
                if not chunk:
                    break
                h.update(chunk)
                left -= len(chunk)
    except OSError as exc:
        raise SyncRefused(f"无法读取 {env.path}：{os_reason(exc)}。未做任何改动。") from None
    if h.hexdigest() != digest:
        raise SyncRefused("数据包校验和不符（内容已损坏或被改动），未做任何改动。")
    return frames


def parts_shape(env: Envelope) -> tuple[int, str]:
    """The manifest's payload part is well formed and its size matches the file (no reading
    of the payload): the frame count and the expected digest."""
    part = env.manifest.get("parts")
    part = part.get("payload") if isinstance(part, dict) else None
    if not isinstance(part, dict):
        raise SyncRefused("数据包清单不完整，未做任何改动。")
    size, digest, frames = part.get("size"), part.get("sha256"), part.get("frames")
    if type(size) is not int or size != env.body_size:
        raise SyncRefused("数据包长度与清单不符（文件被截断或拷贝不完整），未做任何改动。")
    if type(frames) is not int or not 2 <= frames <= size // (4 + _TAG) + 1:
        raise SyncRefused("数据包清单不完整，未做任何改动。")
    if not isinstance(digest, str) or len(digest) != 64:
        raise SyncRefused("数据包清单不完整，未做任何改动。")
    return frames, digest


def frames(env: Envelope, keys: crypto.KeyPair, bound: bytes, count: int) -> Iterator[Any]:
    """Decrypt and decode the frames in order (extras first, then change lists). Each frame is
    authenticated before it is inflated; the stream must end with its closing frame exactly
    where the manifest says."""
    undecryptable = SyncRefused(
        "数据包无法解密：它不是发给本机的，或者内容已被改动。未做任何改动。"
    )
    with open(env.path, "rb") as f:
        f.seek(env.body_start)
        head = f.read(1 + _EPH)
        if len(head) != 1 + _EPH:
            raise SyncRefused(DAMAGED)
        eph_pub = head[1:]
        own_pub = bytes.fromhex(keys.box_pub)
        try:
            shared = keys.box.exchange(X25519PublicKey.from_public_bytes(eph_pub))
        except ValueError:
            raise undecryptable from None
        aead = ChaCha20Poly1305(_frame_key(shared, eph_pub, own_pub))
        left = env.body_size - len(head)
        for index in range(count):
            last = index == count - 1
            raw_len = f.read(4)
            if len(raw_len) != 4:
                raise SyncRefused(DAMAGED)
            (n,) = struct.unpack(">I", raw_len)
            left -= 4
            if n < _TAG or n > MAX_FRAME or n > left:
                raise SyncRefused(DAMAGED)
            sealed = f.read(n)
            left -= n
            try:
                plain = aead.decrypt(_nonce(index, last), sealed, bound)
            except InvalidTag:
                raise undecryptable from None
            del sealed
            yield _inflate(plain)
        if left != 0:
            raise SyncRefused(DAMAGED)


def _inflate(compressed: bytes) -> Any:
    if compressed[:1] == RAW:
        return _raw(compressed)
    d = zlib.decompressobj()
    try:
        raw = d.decompress(compressed, MAX_FRAME_PLAIN)
        if d.unconsumed_tail or not d.eof:
            raise SyncRefused(
                "数据包中的一段内容解压后过大或不完整，已拒收（可能是伪造的文件）。未做任何改动。"
            )
        return loads_bounded(raw)
    except (zlib.error, ValueError, UnicodeDecodeError, RecursionError):
        raise SyncRefused("数据包内容无法读取（格式错误），未做任何改动。") from None


def _raw(plain: bytes) -> dict[str, Any]:
    """A raw frame: its JSON header (an object) with the bytes that follow it as "data"."""
    try:
        (n,) = struct.unpack_from(">H", plain, 1)
        header = loads_bounded(plain[3 : 3 + n])
    except (struct.error, ValueError, UnicodeDecodeError, RecursionError):
        raise SyncRefused("数据包内容无法读取（格式错误），未做任何改动。") from None
    if not isinstance(header, dict) or len(plain) < 3 + n:
        raise SyncRefused("数据包内容无法读取（格式错误），未做任何改动。")
    header["data"] = plain[3 + n :]
    return header
