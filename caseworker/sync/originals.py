"""The kept page originals of scanned paper forms, sent from an office to the district when the
district's setting `sync.send_scan_originals` (扫描原件随数据包上报区里) is on; off by default.

They travel as photo files do (caseworker.sync.photos: the same sealed raw frames, size cap per
file, byte budget per bundle and acknowledgements in `sync_photo`), after the retrofit photos,
each file's first frame naming its printed form by its 20-digit code (`form`) and the record it
was entered as (`record`). Only pages of confirmed forms are kept (services.scans.keep_original)
and a child's form never is, so only those travel; each goes once, until the district has
acknowledged the bundle that carried it.

The district trusts none of it (`placer`): the file must be a JPEG of bounded size whose sha256
is its name (photos.Receiver), the code valid and printed by the sending office (its office tag
is derived from the office's id), and the record one the office owns at the district. A page
that fails refuses the whole bundle with its reason, as a bad photo does. A taken page is kept
in the district's photo folder, `originals/<office code>/<form id>-<page>.jpg`; nothing there
is ever sent to an office (the district's bundles carry only photo-record files).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from caseworker.domain import form_code
from caseworker.domain.settings_catalog import get_def
from caseworker.sync import photos
from caseworker.sync.errors import SyncRefused
from db.base import table_of
from db.models import Office, PrintedForm, Setting

KEY = "sync.send_scan_originals"
FOLDER = "originals"
PAGE = 500
CHILD = "child_visit"  # never kept as an image (services.scans.keep_original), never sent
# the tables a page's record may be in, by programme: the visit (or resident) of an elderly
# form, the case of a retrofit form
RECORD_TABLES = {
    "elderly": ("elderly_visit", "elderly_resident"),
    "retrofit": ("retrofit_case",),
}
_PAGE_FILE = re.compile(r"^(\d{12})-(\d{1,2})\.jpg$")

NOT_OURS = "数据包中有一页扫描原件不是本街道打印的表格，已拒收整个数据包，未做任何改动。"
NOT_OWNED = "数据包中有一页扫描原件所属的记录不属于本街道，已拒收整个数据包，未做任何改动。"


def enabled(conn: Connection) -> bool:
    """The district's setting, as it reached this office (off by default). Read as
    services.settings.get reads it, from the table itself: sync sits below the services."""
    definition = get_def(KEY)
    stored = conn.execute(
        select(Setting.value).where(Setting.key == KEY, Setting.deleted_at.is_(None))
    ).scalar()
    if stored is None:
        return bool(definition.default)
    try:
        return bool(definition.coerce(json.loads(stored)))
    except ValueError:
        return bool(definition.default)  # a damaged value: off, as by default


def pages(conn: Connection, root: Path) -> Callable[[], Iterator[list[photos.Extra]]]:
    """The office's kept page originals for photos.Source(extra=...): forms in id order, a page
    of rows at a time; every kept page of a form (`<form id>-<page>.jpg` beside the one the row
    names) goes. A page is known as sent by a key made of its form, page, size and change time
    (sha256 of them): what the district holds is found without reading the files again, and a
    page kept anew (another size or time) goes again."""

    def walk() -> Iterator[list[photos.Extra]]:
        office_id = conn.execute(
            select(Office.id).where(Office.deleted_at.is_(None)).limit(1)
        ).scalar()
        tag = form_code.office_tag(office_id)
        t = table_of(PrintedForm)
        after = ""
        while True:
            rows = conn.execute(
                select(t.c.id, t.c.record_id, t.c.entered_ref, t.c.original)
                .where(
                    t.c.id > after,
                    t.c.original != "",
                    t.c.entered_ref.is_not(None),
                    t.c.kind.not_like(CHILD + "%"),
                )
                .order_by(t.c.id)
                .limit(PAGE)
            ).all()
            if not rows:
                return
            batch: list[photos.Extra] = []
            kept = _kept_pages(root, rows)
            for form_id, record_id, entered_ref, _original in rows:
                for page, path in kept.get(form_id, []):
                    try:
                        st = path.stat()
                    except OSError:
                        continue  # a page removed by hand: nothing to send
                    key = f"original:{form_id}-{page}:{st.st_size}:{st.st_mtime_ns}"
                    names = {
                        "form": form_code.encode(tag, form_id, page),
                        "record": str(entered_ref or record_id or ""),
                    }
                    batch.append(
                        photos.Extra(hashlib.sha256(key.encode()).hexdigest(), _loader(path), names)
                    )
            if batch:
                yield batch
            after = rows[-1][0]

    return walk


def _loader(path: Path) -> Callable[[], bytes | None]:
    def load() -> bytes | None:
        try:
            return path.read_bytes()
        except OSError:
            return None

    return load


def _kept_pages(root: Path, rows: Sequence[Any]) -> dict[str, list[tuple[int, Path]]]:
    """The kept pages of a page of printed-form rows, by form id: pages 1, 2, … beside the file
    the row names, up to the first one not kept, and the page the row names. Found by stat, not
    by listing the folder: a year's folder can hold tens of thousands of pages."""
    found: dict[str, list[tuple[int, Path]]] = {}
    for row in rows:
        named = root / row.original
        m = _PAGE_FILE.match(named.name)
        pages: dict[int, Path] = {}
        if m and m.group(1) == row.id and named.is_file():
            pages[int(m.group(2))] = named
        for page in range(1, 100):
            path = named.parent / f"{row.id}-{page}.jpg"
            if not path.is_file():
                break
            pages[page] = path
        if pages:
            found[row.id] = sorted(pages.items())
    return found


def placer(
    conn: Connection,
    store_root: Path,
    office_code: str,
    office_id: str | None,
    owned: Callable[[str], Any],
) -> Callable[[str, str], Path]:
    """At the district: where a received page original of office `office_code` goes, or
    SyncRefused when its code is not one that office printed or its record not the office's
    (`owned(table)`: a SELECT of the ids of that table the office owns, district.scope)."""

    def place(form: str, record: str) -> Path:
        code = form_code.parse(form)
        if code is None or office_id is None or code.office_tag != form_code.office_tag(office_id):
            raise SyncRefused(NOT_OURS)
        ours = any(
            conn.execute(
                (ids := owned(table)).where(ids.selected_columns[0] == record).limit(1)
            ).first()
            for tables in RECORD_TABLES.values()
            for table in tables
        )
        if not ours:
            raise SyncRefused(NOT_OWNED)
        safe = re.sub(r"[^0-9A-Za-z]", "_", office_code)[:32] or "_"
        return store_root / FOLDER / safe / f"{code.form_id}-{code.page:02d}.jpg"

    return place
