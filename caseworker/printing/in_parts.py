"""A batch of any size printed in parts: each part a small reportlab document, streamed into one
PDF file as soon as it is rendered, so memory stays flat however many pages the batch has.

reportlab keeps every page of a document in memory until `save()` (a month's 75,563 visit forms:
over 800 MB), and joining finished parts with pypdfium2 or pikepdf still keeps a few KB per page
(340 MB and 1 GB at 76,000 pages, measured). The parts are reportlab's own output (a classic
xref table, one object after another), so `Joiner` copies each part's objects byte for byte,
renumbered, into the file and keeps only their offsets (8 bytes an object): each part's page
tree becomes a branch of one root, and each part's catalog and information dictionary become
`null`. It reads what this package wrote, never a file from outside.

`write` puts it together: rendered part by part, progress after each part (a callable that may
raise to cancel), written under a temporary name and renamed when whole (caseworker.outfile), so a
cancelled or failed batch leaves no file behind.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

PART_PAGES = 500  # pages per part: ~5 MB of reportlab's memory, a progress step every 2-3 s

_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_XREF = re.compile(rb"xref\s+0\s+(\d+)\s+")
_TRAILER = re.compile(rb"trailer\s*<<(.*?)>>\s*startxref", re.S)
_REF = re.compile(rb"(\d+) 0 R\b")
_OBJ = re.compile(rb"(\d+) 0 obj\b")
_STREAM = re.compile(rb">>\s*stream\r?\n")
_COUNT = re.compile(rb"/Count\s+(\d+)")

CATALOG, ROOT, INFO = 1, 2, 3  # the joined file's own objects; the parts' follow


class PartError(ValueError):
    """A part is not a PDF as reportlab writes it (a bug here, never the user's input)."""


def _ref(text: bytes, key: bytes) -> int:
    m = re.search(rb"/" + key + rb"\s+(\d+) 0 R", text)
    if m is None:
        raise PartError(f"no /{key.decode()} in the part")
    return int(m.group(1))


class Joiner:
    """Append reportlab PDFs (`add`) to an open binary file; `close` writes the page tree root,
    the catalog, the cross-reference table and the trailer."""

    def __init__(self, f: BinaryIO, title: str = "", author: str = "") -> None:
        self.f = f
        self.title = title
        self.author = author
        self.offsets = array("q", [0, 0, 0])  # object n's offset at n - 1
        self.branches: list[int] = []  # each part's page tree, renumbered
        self.pages = 0
        self.pos = 0
        self._write(b"%PDF-1.4\n%\x93\x8c\x8b\x9e\n")

    def _write(self, data: bytes) -> None:
        self.f.write(data)
        self.pos += len(data)

    def add(self, pdf: bytes) -> int:
        """Copy one part's objects into the file; returns its number of pages."""
        end = _STARTXREF.search(pdf, len(pdf) - 64)
        if end is None:
            raise PartError("no startxref")
        xref_at = int(end.group(1))
        head = _XREF.match(pdf, xref_at)
        trailer = _TRAILER.search(pdf, xref_at)
        if head is None or trailer is None:
            raise PartError("no classic xref table")
        size = int(head.group(1))
        entries = pdf[head.end() : head.end() + 20 * size]
        offsets = [int(entries[i * 20 : i * 20 + 10]) for i in range(1, size)]
        catalog = _ref(trailer.group(1), b"Root")
        info = _ref(trailer.group(1), b"Info")
        ends = [*sorted(offsets), xref_at]
        after = {start: ends[i + 1] for i, start in enumerate(ends[:-1])}
        base = len(self.offsets)  # the part's object n becomes base + n

        def renumber(m: re.Match[bytes]) -> bytes:
            return b"%d 0 R" % (base + int(m.group(1)))

        pages_root = _ref(_chunk(pdf, offsets[catalog - 1], after), b"Pages")
        count = 0
        for number, at in enumerate(offsets, start=1):
            chunk = _chunk(pdf, at, after)
            obj = _OBJ.match(chunk)
            if obj is None or int(obj.group(1)) != number:
                raise PartError(f"object {number} is not where the xref says")
            self.offsets.append(self.pos)
            if number in (catalog, info):
                self._write(b"%d 0 obj\nnull\nendobj\n" % (base + number))
                continue
            stream = _STREAM.search(chunk)
            split = stream.start() + 2 if stream else len(chunk)
            body = _REF.sub(renumber, chunk[obj.end() : split])
            if number == pages_root:
                count = int(_COUNT.search(body).group(1))  # type: ignore[union-attr]
                body = body.replace(b"<<", b"<< /Parent %d 0 R" % ROOT, 1)
            self._write(b"%d 0 obj" % (base + number) + body + chunk[split:])
        self.branches.append(base + pages_root)
        self.pages += count
        return count

    def close(self) -> None:
        """The root of the page tree, the catalog, the information dictionary, the xref."""
        kids = b" ".join(b"%d 0 R" % n for n in self.branches)
        own = {
            CATALOG: b"<< /Pages %d 0 R /Type /Catalog >>" % ROOT,
            ROOT: b"<< /Count %d /Kids [ %s ] /Type /Pages >>" % (self.pages, kids),
            INFO: b"<< /Author %s /Creator (caseworker) /Title %s >>"
            % (_text(self.author), _text(self.title)),
        }
        for number, body in own.items():
            self.offsets[number - 1] = self.pos
            self._write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
        xref_at = self.pos
        size = len(self.offsets) + 1
        self._write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
        for start in range(0, len(self.offsets), 4096):  # in blocks: no list of every line
            block = self.offsets[start : start + 4096]
            self._write(b"".join(b"%010d 00000 n \n" % at for at in block))
        file_id = hashlib.md5(b"%d %d" % (self.pages, xref_at)).hexdigest().encode()
        self._write(
            b"trailer\n<< /ID [ <%s> <%s> ] /Info %d 0 R /Root %d 0 R /Size %d >>\n"
            b"startxref\n%d\n%%%%EOF\n" % (file_id, file_id, INFO, CATALOG, size, xref_at)
        )


def _chunk(pdf: bytes, at: int, after: dict[int, int]) -> bytes:
    return pdf[at : after[at]]


def _text(value: str) -> bytes:
    """A PDF text string: UTF-16 with its byte order mark, in hex (no escaping to get wrong)."""
    return b"<FEFF" + value.encode("utf-16-be").hex().upper().encode() + b">"


def write(
    out: Path,
    count: int,
    render: Callable[[int, int], bytes],
    *,
    title: str = "",
    author: str = "",
    part_pages: int = PART_PAGES,
    progress: Callable[[int, int], None] | None = None,
    before_rename: Callable[[], None] | None = None,
) -> int:
    """Write `count` items to the PDF `out`: `render(start, stop)` returns the PDF of items
    [start, stop). `progress(done, count)` is called before the first part and after each (it
    may raise to cancel: nothing is left behind). `before_rename` runs once the file is whole
    and flushed, just before it takes its name (record what was printed there: if it raises, no
    file appears). Returns the number of pages."""
    from caseworker.outfile import writing

    with writing(out) as tmp:
        with open(tmp, "wb") as f:
            joiner = Joiner(f, title, author)
            if progress is not None:
                progress(0, count)
            for start in range(0, max(count, 1), part_pages):
                stop = min(count, start + part_pages)
                joiner.add(render(start, stop))
                if progress is not None:
                    progress(stop, count)
            joiner.close()
            f.flush()
        if before_rename is not None:
            before_rename()
    return joiner.pages
